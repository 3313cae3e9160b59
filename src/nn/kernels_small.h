/* nn/kernels_small.h — convolutions whose output is a few pixels deep in
 * channels: the last stages of a ResNet or a MobileNet (4x4x256, 7x7x1024).
 *
 * There the weights outweigh the data: a 3x3 conv to 4x4x256 has 16 output
 * pixels and 2.4 MB of weights. XNNPACK's 7-pixel tiles stream all the
 * weights once per 7 pixels, from memory each time. Here the output pixels
 * are gathered first (im2col: each pixel's window as one row, zero where it
 * leaves the image) and all of them, up to 14 per pass so the 14 x 2
 * accumulators and two weight vectors fill the 32 AVX-512 registers, run
 * against one 32-output slice of the weights while that slice is in cache:
 * the weights stream from memory once. At 64 pixels and more (8x8 maps)
 * XNNPACK measured faster, so the path stops at 32. Sums
 * run over taps ky, kx and channels c as in the reference conv, so results
 * differ from it only by FMA rounding. AVX-512F only. */
#ifndef EID_NN_KERNELS_SMALL_H
#define EID_NN_KERNELS_SMALL_H

#include "kernels.h"

typedef struct nn_small nn_small;

/* Whether conv node n on an input of shape x should run this way. */
int nn_small_fits(const nn_node *n, const nn_shape *x);
/* Packs the weights and allocates the patch buffer for x -> y. */
EID_MUST_CHECK eid_status nn_small_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y,
					   nn_small **out, eid_err *err);
void nn_small_run(nn_small *s, void *pool);
void nn_small_free(nn_small *s);

#endif
