/* nn/kernels_bf16.h — 1x1 convolutions in bfloat16, for sessions that ask
 * for it (eid_session_opts.bf16).
 *
 * A MobileNet spends most of its time in 1x1 convolutions, which are plain
 * GEMMs, and XNNPACK runs them near the FMA peak. AVX512_BF16's vdpbf16ps
 * issues as fast as a float FMA on AMD Zen 4 and Intel Sapphire Rapids but
 * does two multiply-adds per lane: inputs and weights rounded to bfloat16
 * (8 significant bits, round to nearest even), products summed in float.
 * Twice the work per instruction, at a cost in precision: the result is the
 * float sum of the rounded values' products, not the float conv's.
 *
 * Layout: weights packed once as [O/16][K/2][16 outputs][2 taps]; each task
 * takes up to 14 pixels, rounds their inputs into pairs [K/2][pixels], and
 * runs them against two 16-output panels at a time (28 accumulators). */
#ifndef EID_NN_KERNELS_BF16_H
#define EID_NN_KERNELS_BF16_H

#include "kernels.h"

typedef struct nn_bf16 nn_bf16;

/* Whether this CPU has AVX512_BF16 (the kernel's only requirement). */
int nn_bf16_available(void);
/* Whether conv node n on an input of shape x can run this way: 1x1, stride 1,
 * no explicit padding, even input channels, output channels in 16s. */
int nn_bf16_fits(const nn_node *n, const nn_shape *x);
EID_MUST_CHECK eid_status nn_bf16_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y,
					  nn_bf16 **out, eid_err *err);
void nn_bf16_run(nn_bf16 *b, void *pool);
void nn_bf16_free(nn_bf16 *b);

/* x rounded to the nearest bfloat16 (ties to even), as a float: what the
 * kernel multiplies. For tests and the reference of this path. */
float nn_bf16_round(float x);

#endif
