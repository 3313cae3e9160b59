/* eid/face_match.h — the verification decision: templates, scores and the
 * calibrated thresholds the services decide with.
 *
 * A template is what the face engine keeps of one photo: the reference
 * pipeline's dlib embedding and faceres's descriptor. Two templates compare to
 * a score in units of the East-Asian impostor distribution: for each embedder
 * (cosine - impostor mean) / impostor standard deviation, and the two mixed
 * with a weight that cross-validation on the dev set chose. A level's
 * threshold is the score at which East-Asian impostors are accepted at that
 * level's target rate. Where the numbers come from, and the measurements that
 * justify each step: docs/calibration.md; `make calibrate` recomputes them
 * into src/face/calibration.json, which a test holds equal to the compiled
 * values here.
 *
 *   eid_face_template a, b;
 *   eid_face_template_make(fc, &img, r, &a, &err);      // after eid_face_analyze
 *   eid_face_scorer used;
 *   double s = eid_face_match(&a, &b, &used);
 *   if (s >= eid_face_threshold(EID_FACE_LEVEL_FULL, used)) ...accept
 *
 * Templates stored before the second embedder existed hold dlib alone; they
 * compare with the dlib scorer and its own thresholds, set the same way.
 */
#ifndef EID_FACE_MATCH_H
#define EID_FACE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "eid/face.h"
#include "eid/status.h"

typedef struct eid_face_template {
	float dlib[EID_FACE_EMBEDDING_DIM];
	float faceres[EID_FACE_RES_DIM];
	int has_faceres; /* 0: a dlib-only template (stored before fusion) */
} eid_face_template;

typedef enum eid_face_scorer {
	EID_FACE_SCORER_DLIB = 0,  /* the reference pipeline's embedding alone */
	EID_FACE_SCORER_FUSED = 1, /* dlib and faceres */
	EID_FACE_SCORERS
} eid_face_scorer;

typedef enum eid_face_level {
	EID_FACE_LEVEL_LIGHTWEIGHT = 0,
	EID_FACE_LEVEL_FULL = 1,
	EID_FACE_LEVELS
} eid_face_level;

typedef struct eid_face_calibration {
	const char *id;         /* names this calibration in audit rows and answers */
	const char *population; /* whom the thresholds were set for */
	const char *data;       /* the impostor and genuine data they were set on */
	double dlib_mean, dlib_sd;       /* impostor cosines, dlib */
	double faceres_mean, faceres_sd; /* impostor cosines, faceres */
	double weight;                   /* of dlib's z-score in the fused score */
	double far_target[EID_FACE_LEVELS];
	double threshold[EID_FACE_SCORERS][EID_FACE_LEVELS]; /* four decimals */
} eid_face_calibration;

/* The calibration compiled into this build (src/face/calibration.c). */
const eid_face_calibration *eid_face_calibration_current(void);

const char *eid_face_level_name(eid_face_level level);   /* "lightweight", "full" */
const char *eid_face_scorer_name(eid_face_scorer scorer); /* "dlib", "fused" */

/* The score of two templates with the current calibration: fused when both
 * hold faceres, else dlib alone; *used (may be NULL) says which. Higher =
 * more likely the same person. */
double eid_face_match(const eid_face_template *a, const eid_face_template *b,
		      eid_face_scorer *used);
/* A probe against a person's n templates (the register photo and, since
 * cards that keep it, the enrolment capture): the mean of the n scores, all with
 * the scorer every template can give. The mean of two impostor scores passes a
 * threshold above the impostor mean less often than one does, so a level's
 * single-photo threshold stays valid (measured: docs/calibration.md). */
double eid_face_match_gallery(const eid_face_template *probe, const eid_face_template *const *gallery,
			      size_t n, eid_face_scorer *used);
/* The same with the given calibration and scorer (the scorer must be one both
 * templates can give). */
double eid_face_match_with(const eid_face_calibration *cal, eid_face_scorer scorer,
			   const eid_face_template *a, const eid_face_template *b);

/* The current calibration's threshold: accept when score >= threshold. */
double eid_face_threshold(eid_face_level level, eid_face_scorer scorer);

/* eid_face_analyze's embedding plus faceres on the same face. img must be the
 * image r was computed from. */
EID_MUST_CHECK eid_status eid_face_template_make(eid_face_ctx *fc, const eid_image *img,
						 const eid_face_result *r, eid_face_template *out,
						 eid_err *err);

/* Byte form for storage: "EFT2" then the little-endian floats of dlib and
 * faceres. The legacy form, 512 bytes of dlib floats alone, still unpacks
 * (has_faceres = 0). */
#define EID_FACE_TEMPLATE_BYTES (4 + 4 * (EID_FACE_EMBEDDING_DIM + EID_FACE_RES_DIM))
#define EID_FACE_TEMPLATE_LEGACY_BYTES (4 * EID_FACE_EMBEDDING_DIM)
/* Writes EID_FACE_TEMPLATE_BYTES (or the legacy size for a dlib-only
 * template) to out and returns that length. */
size_t eid_face_template_pack(const eid_face_template *t, uint8_t out[EID_FACE_TEMPLATE_BYTES]);
/* EID_E_FORMAT for a length or header that is neither form, or a value that is
 * not finite. */
EID_MUST_CHECK eid_status eid_face_template_unpack(const uint8_t *in, size_t n,
						   eid_face_template *out, eid_err *err);

#endif
