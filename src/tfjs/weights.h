/* tfjs/weights.h — TF.js weight manifests: validation and decoding.
 *
 * A manifest is an array of groups {paths: [shard files], weights: [{name,
 * shape, dtype, quantization?}]}. Each group's shards are concatenated and
 * hold its weights back to back. Everything is checked before decoding:
 * shard names (plain file names in the manifest's directory), ranks, shape
 * products (overflow, element limit), byte lengths against the shard lengths
 * (exactly: a shard of the wrong length is an error), dtypes. */
#ifndef EID_TFJS_WEIGHTS_H
#define EID_TFJS_WEIGHTS_H

#include <jansson.h>

#include "../nn/graph.h"

typedef struct tfjs_weight {
	char *name;
	nn_shape shape;
	size_t count;
	float *f;     /* float weights (decoded from f32, f16, uint8, uint16) */
	int64_t *i;   /* int32 weights */
} tfjs_weight;

typedef struct tfjs_weights {
	tfjs_weight *w;
	int n;
} tfjs_weights;

/* manifest: the weightsManifest JSON array; dir: where the shards are. */
EID_MUST_CHECK eid_status tfjs_weights_load(json_t *manifest, const char *dir, tfjs_weights *out,
					    eid_err *err);
void tfjs_weights_release(tfjs_weights *ws);
/* Finds a weight by exact name (NULL if absent). */
tfjs_weight *tfjs_weights_find(tfjs_weights *ws, const char *name);

/* Shape from a JSON array of non-negative sizes (rank <= NN_MAX_RANK). */
EID_MUST_CHECK eid_status tfjs_shape_from_json(json_t *arr, nn_shape *out, size_t *count_out,
					       const char *what, eid_err *err);

#endif
