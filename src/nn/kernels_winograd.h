/* nn/kernels_winograd.h — 3x3 stride-1 convolutions by Winograd F(4x4, 3x3).
 *
 * A 4x4 output tile costs 36 multiply-adds per input/output channel pair
 * instead of 144: input tiles and filters are transformed into 36 matrices,
 * multiplied as 36 GEMMs (a register-tiled AVX2 kernel: XNNPACK's operators
 * cost more in per-call overhead at these sizes) and transformed back with
 * the bias and the clamp. The
 * transforms are exact in real arithmetic; in float they add rounding of
 * about 1e-5 relative (tests/nn/test_winograd.c bounds it). The fast backend uses it where it measured faster than
 * XNNPACK's direct convolution (nn_wino_fits: maps of 16x16 and up). AVX2+FMA only. */
#ifndef EID_NN_KERNELS_WINOGRAD_H
#define EID_NN_KERNELS_WINOGRAD_H

#include "kernels.h"

typedef struct nn_wino nn_wino;

/* Whether conv node n on an input of shape x should run this way. */
int nn_wino_fits(const nn_node *n, const nn_shape *x);
/* Transforms the filters and allocates the transform buffers for x -> y. */
EID_MUST_CHECK eid_status nn_wino_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y,
					  void *pool, nn_wino **out, eid_err *err);
EID_MUST_CHECK eid_status nn_wino_run(nn_wino *w, void *pool, eid_err *err);
void nn_wino_free(nn_wino *w);

#endif
