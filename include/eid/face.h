/* eid/face.h — the face engine: photo in, face template and quality out.
 *
 * The pipeline is REFERENCE-PIPELINE.md's winner, reproduced stage by stage:
 * BlazeFace detection with its pad schedule and face-selection rule, two
 * FaceMesh passes, the dlib 150x150 face chip, the dlib ResNet on the chip and
 * its mirror, L2(L2(e1) + L2(e2)). Quality checks (size, blur, exposure, pose)
 * come with every result so a capture app can tell the resident what to fix.
 *
 *   eid_face_engine *fe;  eid_face_ctx *fc;  eid_err err;
 *   if (eid_face_engine_load(NULL, &fe, &err)) ...   // NULL: $EID_MODELS or ./models
 *   if (eid_face_ctx_new(fe, 1, &fc, &err)) ...      // one per thread
 *   eid_face_result *r = malloc(sizeof *r);
 *   if (eid_face_analyze(fc, &img, r, &err) == EID_E_NO_FACE) ...
 *   float score = eid_face_score(r->embedding, other);  // cosine, higher = same
 *   eid_face_ctx_free(fc);  eid_face_engine_free(fe);
 *
 * Ownership: the engine holds the loaded models (immutable, shared by all
 * contexts and threads); a context holds sessions and scratch and is used by
 * one thread at a time; results are caller memory. Free contexts before the
 * engine.
 */
#ifndef EID_FACE_H
#define EID_FACE_H

#include "eid/face_geom.h"
#include "eid/image.h"
#include "eid/status.h"

#define EID_FACE_EMBEDDING_DIM 128

/* The second embedder, human-models' faceres: its 1024-value descriptor on a
 * 224x224 chip aligned like the dlib chip. */
#define EID_FACE_RES_DIM 1024
#define EID_FACE_RES_SIZE 224

typedef struct eid_face_engine eid_face_engine;
typedef struct eid_face_ctx eid_face_ctx;

typedef struct eid_face_result {
	int faces_found;      /* detections kept after NMS at the successful try */
	int detect_try;       /* 1..3: which step of the pad/score schedule found it */
	eid_face_det det;     /* the selected face */
	float landmarks[EID_FACE_MESH_FLOATS]; /* final 468 points, image pixels */
	float chip[EID_FACE_CHIP_SIZE * EID_FACE_CHIP_SIZE * 3]; /* aligned, RGB 0..255 */
	float embedding[EID_FACE_EMBEDDING_DIM]; /* unit length */
	eid_face_quality quality;
	double ms_decode, ms_detect, ms_landmarks, ms_align, ms_embed; /* stage times */
} eid_face_result;

/* Loads blazeface, facemesh and the dlib ResNet from model_dir (laid out as
 * scripts/setup.sh leaves it: human-models/, face-api/). NULL means $EID_MODELS,
 * else ./models, else ../models next to the executable's directory. */
EID_MUST_CHECK eid_status eid_face_engine_load(const char *model_dir, eid_face_engine **out,
					       eid_err *err);
void eid_face_engine_free(eid_face_engine *fe);

/* threads: worker threads for the models (1 = the calling thread only). */
EID_MUST_CHECK eid_status eid_face_ctx_new(const eid_face_engine *fe, int threads,
					   eid_face_ctx **out, eid_err *err);
void eid_face_ctx_free(eid_face_ctx *fc);

/* Runs the whole pipeline on an upright RGB image. EID_E_NO_FACE when the
 * schedule finds nothing (out->faces_found = 0). */
EID_MUST_CHECK eid_status eid_face_analyze(eid_face_ctx *fc, const eid_image *img,
					   eid_face_result *out, eid_err *err);

/* The faceres descriptor (unit length) of the face r that eid_face_analyze
 * found in img: the 224x224 chip with the dlib chip's alignment, BGR minus
 * the VGGFace2 channel means, the chip and its mirror averaged. It is not part
 * of the reference pipeline: it is the second half of the fused verification
 * template (eid/face_match.h, docs/calibration.md). img must be the image r
 * was computed from. */
EID_MUST_CHECK eid_status eid_face_embed_faceres(eid_face_ctx *fc, const eid_image *img,
						 const eid_face_result *r,
						 float out[EID_FACE_RES_DIM], eid_err *err);

/* Cosine similarity of two unit embeddings, -1..1; higher = more similar. */
float eid_face_score(const float *a, const float *b);

/* The passive presentation-attack scores of the face of fc's last
 * successful eid_face_analyze: human-models' "antispoof" (real_out) and
 * "liveness" (live_out, its first softmax output), both 0..1, on that
 * analysis's face crop as Human feeds them. Evidence only: how much they are
 * worth on our data is measured in docs/liveness.md. */
EID_MUST_CHECK eid_status eid_face_passive(eid_face_ctx *fc, float *real_out, float *live_out,
					   eid_err *err);

#endif
