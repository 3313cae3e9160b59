/* nn/kernels.h — kernels for every op, on NHWC float32.
 *
 * The reference kernels (kernels_ref.c) are the plain C definition of each op
 * and the yardstick for the fast path (kernels_fast.c), which tests compare
 * against them on random shapes. A kernel gets its node (attributes, weights,
 * fused epilogue), the input tensors and the output tensor whose shape the
 * session has already inferred. */
#ifndef EID_NN_KERNELS_H
#define EID_NN_KERNELS_H

#include "graph.h"

typedef struct nn_tensor {
	nn_shape shape;
	float *data;
} nn_tensor;

/* Spatial geometry of a conv or pool node on an input of h x w. */
typedef struct nn_window {
	int64_t in_h, in_w, out_h, out_w;
	int pad_top, pad_left, pad_bottom, pad_right;
} nn_window;

/* Computes output size and padding; returns -1 if the window does not fit. */
int nn_window_compute(const nn_node *n, int64_t in_h, int64_t in_w, nn_window *w);

/* Reference kernels: one per op (CONST, INPUT, RESHAPE, IDENTITY need none). */
void nn_ref_conv2d(const nn_node *n, const nn_tensor *x, nn_tensor *y);
void nn_ref_dwconv2d(const nn_node *n, const nn_tensor *x, nn_tensor *y);
void nn_ref_matmul(const nn_node *n, const nn_tensor *x, nn_tensor *y);
void nn_ref_binary(nn_op op, const nn_tensor *a, const nn_tensor *b, nn_tensor *y);
void nn_ref_unary(nn_op op, const nn_tensor *x, nn_tensor *y);
void nn_ref_prelu(const nn_tensor *x, const nn_tensor *alpha, nn_tensor *y);
void nn_ref_softmax(const nn_tensor *x, nn_tensor *y);
void nn_ref_pool(const nn_node *n, const nn_tensor *x, nn_tensor *y);
void nn_ref_pad(const int64_t *pads, const nn_tensor *x, nn_tensor *y);
void nn_ref_mean(unsigned axes_mask, const nn_tensor *x, nn_tensor *y);

/* max(lo, min(hi, v)) that compiles to two SSE instructions (fminf/fmaxf
 * carry NaN rules that keep them out of line). NaN passes through. */
static inline float nn_clampf(float v, float lo, float hi)
{
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

/* Applies a node's fused epilogue (bias, prelu, clamp) in place, channels last. */
void nn_epilogue(const nn_node *n, float *y, size_t pixels, int channels, int with_bias);

#endif
