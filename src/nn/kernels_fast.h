/* nn/kernels_fast.h — the fast backend (XNNPACK operators + contiguous loops).
 *
 * Conv, depthwise conv, matmul and pools become XNNPACK operators created and
 * set up once per session plan (`prepare`, which packs the weights) and run on
 * every call. Ops without an operator use nn_fast_binary / nn_fast_pad or the
 * reference kernel. */
#ifndef EID_NN_KERNELS_FAST_H
#define EID_NN_KERNELS_FAST_H

#include "kernels.h"

/* XNNPACK kernels may read this many bytes past the end of an input
 * (XNN_EXTRA_BYTES): every activation buffer is allocated with this slack. */
#define NN_FAST_EXTRA_BYTES 16

int nn_fast_available(void);
/* Creates the operator for node n reading x and writing y (buffers fixed for
 * the plan). *op_out stays NULL for ops that have no operator. pool is a
 * pthreadpool_t or NULL; bf16: 1x1 convs may run in bfloat16. */
EID_MUST_CHECK eid_status nn_fast_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y,
					  void *pool, int bf16, void **op_out, eid_err *err);
EID_MUST_CHECK eid_status nn_fast_run(const nn_node *n, void *op, void *pool, nn_tensor *y,
				      eid_err *err);
void nn_fast_release(void *op);
/* y = clamp(a op b, lo, hi) */
void nn_fast_binary(nn_op op, const nn_tensor *a, const nn_tensor *b, nn_tensor *y, float lo,
		    float hi);
void nn_fast_pad(const int64_t *pads, const nn_tensor *x, nn_tensor *y);
void nn_fast_prelu(const nn_tensor *x, const nn_tensor *alpha, nn_tensor *y);

#endif
