/* nn/kernels_zmm.h — the output step of the AVX-512 GEMM tiles
 * (kernels_small.c, kernels_bf16.c): a node's fused epilogue on 16 outputs. */
#ifndef EID_NN_KERNELS_ZMM_H
#define EID_NN_KERNELS_ZMM_H

#include <immintrin.h>

#include "kernels.h"

/* y[o..o+16) = clamp(prelu(acc + bias[o..o+16))) as node n fuses them */
__attribute__((target("avx512f"), always_inline)) static inline void
nn_zmm_store(const nn_node *n, __m512 acc, int o, float *y)
{
	if (n->bias)
		acc = _mm512_add_ps(acc, _mm512_loadu_ps(n->bias + o));
	if (n->prelu) {
		const __mmask16 neg = _mm512_cmp_ps_mask(acc, _mm512_setzero_ps(), _CMP_LT_OQ);
		acc = _mm512_mask_mul_ps(acc, neg, acc, _mm512_loadu_ps(n->prelu + o));
	}
	acc = _mm512_min_ps(_mm512_max_ps(acc, _mm512_set1_ps(n->clamp_min)),
			    _mm512_set1_ps(n->clamp_max));
	_mm512_storeu_ps(y + o, acc);
}

#endif
