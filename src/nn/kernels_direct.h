/* nn/kernels_direct.h — convolutions of images with few channels (the first
 * layer of a network: 3 input channels, a 3x3 to 7x7 window).
 *
 * XNNPACK's kernels are built for many input channels; with three, most of
 * their time goes into gathering taps. Here an output row is computed from
 * KH zero-padded input rows: in NHWC the KW taps of a pixel are one run of
 * KW*C floats, so each output pixel's patch is KH contiguous runs, and a
 * register-tiled kernel (6 pixels x 16 outputs) multiplies them with the
 * filter laid out as [ky][kx*C + c][o]. AVX2+FMA only. */
#ifndef EID_NN_KERNELS_DIRECT_H
#define EID_NN_KERNELS_DIRECT_H

#include "kernels.h"

typedef struct nn_direct nn_direct;

/* Whether conv node n on an input of shape x should run this way. */
int nn_direct_fits(const nn_node *n, const nn_shape *x);
EID_MUST_CHECK eid_status nn_direct_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y,
					    nn_direct **out, eid_err *err);
void nn_direct_run(nn_direct *d, void *pool);
void nn_direct_free(nn_direct *d);

#endif
