/* eid/nn.h — the neural-network runtime: load a model once, run it in sessions.
 *
 * A model is immutable after loading and may be shared by any number of
 * threads. Each thread that runs it owns a session: the activation buffers,
 * the packed weights of the fast backend and its thread pool.
 *
 *   eid_model *m;  eid_session *s;  eid_err err;
 *   if (eid_model_load("models/human-models/blazeface.json", &m, &err)) ...
 *   eid_session_opts o = eid_session_defaults();   // fast backend, 1 thread
 *   if (eid_session_new(m, &o, &s, &err)) ...
 *   int64_t shape[4] = {1, 256, 256, 3};
 *   if (eid_session_run(s, input, shape, 4, &err)) ...
 *   eid_tensor_view out = eid_session_output(s, 0);  // valid until the next run
 *   eid_session_free(s);  eid_model_free(m);        // session first
 *
 * Formats (src/tfjs): a TF.js graph model (`model.json` with GraphDef nodes and
 * a weightsManifest; float32, float16- and uint8/uint16-quantised weights) or a
 * face-api weights-only manifest (`*-weights_manifest.json`) whose topology is
 * fixed in code (the dlib ResNet). Everything is validated before use; an
 * unknown op is a load error naming the node and the op.
 */
#ifndef EID_NN_H
#define EID_NN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eid/status.h"

typedef struct eid_model eid_model;
typedef struct eid_session eid_session;

typedef enum eid_backend {
	EID_BACKEND_FAST,      /* XNNPACK kernels (SIMD, multi-threaded) */
	EID_BACKEND_REFERENCE, /* plain C reference kernels, one thread */
} eid_backend;

/* Worker threads that several sessions used one after the other (never at
 * the same time) may share, e.g. the models of one face-pipeline context. */
typedef struct eid_threadpool eid_threadpool;

typedef struct eid_session_opts {
	eid_backend backend;
	int threads;          /* 1 = run on the calling thread; 0 = one per core */
	eid_threadpool *pool; /* if set, used instead of a pool of `threads`; not owned */
	int bf16;             /* fast backend: 1x1 convs in bfloat16 on CPUs with AVX512_BF16,
				 about 2x faster there and no longer exact (src/nn/kernels_bf16.h);
				 default 0 */
} eid_session_opts;

typedef struct eid_tensor_view {
	const char *name;
	int rank;
	int64_t dims[6];
	const float *data; /* owned by the session */
	size_t count;
} eid_tensor_view;

eid_session_opts eid_session_defaults(void);

/* threads: workers including the caller (0 = one per core). A pool of 1
 * thread is valid and runs everything on the caller. */
EID_MUST_CHECK eid_status eid_threadpool_new(int threads, eid_threadpool **out, eid_err *err);
/* Free after every session that uses it. Accepts NULL. */
void eid_threadpool_free(eid_threadpool *pool);

/* Loads and validates a model file. The format is chosen by content: a JSON
 * object with "modelTopology" is a graph model; a JSON array of weight groups
 * is a face-api manifest (only the dlib ResNet, face_recognition_model, is
 * known). Shards are read from the manifest's directory. */
EID_MUST_CHECK eid_status eid_model_load(const char *path, eid_model **model_out, eid_err *err);
void eid_model_free(eid_model *model);

/* Writes one JSON object describing the model: inputs, outputs, source op
 * counts, executed (fused) op counts, parameter count. */
void eid_model_describe_json(const eid_model *model, FILE *out);
size_t eid_model_num_outputs(const eid_model *model);
const char *eid_model_output_name(const eid_model *model, size_t i);
/* Declared input shape; -1 marks a free dimension. Returns the rank. */
int eid_model_input_shape(const eid_model *model, int64_t dims_out[6]);

EID_MUST_CHECK eid_status eid_session_new(const eid_model *model, const eid_session_opts *opts,
					  eid_session **session_out, eid_err *err);
void eid_session_free(eid_session *session);

/* Runs the model on one NHWC float32 input. Buffers are planned on the first
 * run and again only when the input shape changes. */
EID_MUST_CHECK eid_status eid_session_run(eid_session *session, const float *input,
					  const int64_t *shape, int rank, eid_err *err);
eid_tensor_view eid_session_output(const eid_session *session, size_t i);

#endif
