/* nn/model.h — the loaded model: a finished graph plus where it came from.
 * Loaders (src/tfjs) build it; sessions (src/nn/session.c) run it. */
#ifndef EID_NN_MODEL_H
#define EID_NN_MODEL_H

#include "eid/nn.h"
#include "graph.h"

struct eid_model {
	nn_graph g;
	char format[32]; /* "tfjs-graph" or "faceapi-dlib" */
	char *path;      /* owned */
};

/* Allocates an empty model for a loader. */
eid_model *nn_model_new(const char *path, const char *format);

#endif
