/* nn/kernels_block.h — the fast backend's fused residual block:
 *
 *   y = clamp(conv1x1(dwconv(x)) + r)      x, r, y: (N,H,W,C) f32, NHWC
 *
 * chosen by the session when a depthwise conv feeds only a 1x1 conv that
 * feeds only an Add. BlazeFace is built of such blocks on 24-96 channel maps,
 * where separate ops spend their time moving whole tensors through memory:
 * fused, each output row is made from three input rows while the depthwise
 * result stays in L1, and x, r and y are each touched once. AVX2+FMA only;
 * elsewhere the session keeps the separate ops. */
#ifndef EID_NN_KERNELS_BLOCK_H
#define EID_NN_KERNELS_BLOCK_H

#include "kernels.h"

typedef struct nn_block {
	const nn_node *dw, *pw, *add;
	float *pw_t; /* 1x1 weights as [in_c][out_c]; owned by the session */
} nn_block;

/* Whether dw -> pw can run fused on this CPU for an output of width out_w. */
int nn_block_fits(const nn_node *dw, const nn_node *pw, int64_t out_w);

/* Fills b->pw_t from pw (allocates it); EID_E_NOMEM on failure. */
EID_MUST_CHECK eid_status nn_block_init(nn_block *b, const nn_node *dw, const nn_node *pw,
					const nn_node *add, eid_err *err);
void nn_block_release(nn_block *b);

/* pool: pthreadpool_t or NULL; y has the shape of r. */
void nn_block_run(const nn_block *b, const nn_tensor *x, const nn_tensor *r, nn_tensor *y,
		  void *pool);

#endif
