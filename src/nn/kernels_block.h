/* nn/kernels_block.h — the fast backend's fused residual blocks:
 *
 *   y = clamp(prelu(conv1x1(dwconv(x)) + r))   x, r, y: (N,H,W,C) f32, NHWC
 *   (prelu and clamp: the Add node's fused epilogue, each optional)
 *
 * chosen by the session when a depthwise conv feeds only a 1x1 conv that
 * feeds only an Add. BlazeFace is built of such blocks on 24-96 channel maps,
 * where separate ops spend their time moving whole tensors through memory.
 * Fused, each output row is made from KH input rows while the depthwise
 * result stays in L1.
 *
 * A chain is a run of such blocks (3x3, stride 1, SAME, r = x) where each
 * block's output feeds only the next: it runs as a line-buffer pipeline, each
 * block keeping three rows of its output in a ring, so the intermediate maps
 * never leave the cache. With several threads the image is cut into bands of
 * rows, each band recomputing the few rows its neighbours' windows overlap.
 * AVX2+FMA only; elsewhere the session keeps the separate ops. */
#ifndef EID_NN_KERNELS_BLOCK_H
#define EID_NN_KERNELS_BLOCK_H

#include "kernels.h"

typedef struct nn_block {
	const nn_node *dw, *pw, *add;
	float *pw_t; /* 1x1 weights as [in_c][out_c]; owned */
} nn_block;

/* Whether dw -> pw can run fused on this CPU (input and output widths). */
int nn_block_fits(const nn_node *dw, const nn_node *pw, int64_t in_w, int64_t out_w);
/* Fills b->pw_t from pw (allocates it); EID_E_NOMEM on failure. */
EID_MUST_CHECK eid_status nn_block_init(nn_block *b, const nn_node *dw, const nn_node *pw,
					const nn_node *add, eid_err *err);
void nn_block_release(nn_block *b);
/* pool: pthreadpool_t or NULL; y has the shape of r. */
void nn_block_run(const nn_block *b, const nn_tensor *x, const nn_tensor *r, nn_tensor *y,
		  void *pool);

typedef struct nn_chain {
	nn_block **blocks; /* owned array of borrowed blocks, in order */
	int k, bands;
	float *rings;      /* owned line buffers */
} nn_chain;

/* Whether block b can be a link of a chain (3x3 stride-1 SAME, out_c = in_c). */
int nn_chain_link_fits(const nn_block *b);
/* k >= 2 blocks on an input of shape x (N,H,W,C), run in `bands` row bands
 * (one per thread). */
EID_MUST_CHECK eid_status nn_chain_init(nn_chain *ch, const nn_block *const *blocks, int k,
					const nn_shape *x, int bands, eid_err *err);
void nn_chain_release(nn_chain *ch);
/* x: the first block's input (also its residual); y: the last block's output */
void nn_chain_run(const nn_chain *ch, const nn_tensor *x, nn_tensor *y, void *pool);

#endif
