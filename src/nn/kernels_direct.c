/* Direct convolution for few input channels (see kernels_direct.h). */
#include "kernels_direct.h"

#include <immintrin.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_fast.h"

#define MAX_C 4
#define MAX_K 7
#define MAX_ROW_FLOATS 16384 /* one padded input row, on the stack */

struct nn_direct {
	const nn_node *n;
	const float *x;
	float *y;
	int64_t N, H, W, OH, OW;
	nn_window win;
	float *wt; /* [ky][kx*C + c][o] */
};

int nn_direct_fits(const nn_node *n, const nn_shape *x)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	}
	return cpu && n->op == NN_CONV2D && n->in_c <= MAX_C && n->out_c % 8 == 0 &&
	       n->ksize[0] <= MAX_K && n->ksize[1] <= MAX_K && n->dilation[0] == 1 &&
	       n->dilation[1] == 1 && x->rank == 4 &&
	       (x->d[2] + 2 * MAX_K) * n->in_c + 64 <= MAX_ROW_FLOATS && !getenv("EID_NO_DIRECT");
}

void nn_direct_free(nn_direct *d)
{
	if (!d)
		return;
	free(d->wt);
	free(d);
}

eid_status nn_direct_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y, nn_direct **out,
			     eid_err *err)
{
	*out = NULL;
	nn_direct *d = calloc(1, sizeof(*d));
	const int C = n->in_c, O = n->out_c, KH = n->ksize[0], KW = n->ksize[1];
	if (d)
		d->wt = malloc((size_t)KH * KW * C * O * sizeof(float));
	if (!d || !d->wt) {
		nn_direct_free(d);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	d->n = n;
	d->x = x->data;
	d->y = y->data;
	d->N = x->shape.d[0];
	d->H = x->shape.d[1];
	d->W = x->shape.d[2];
	nn_window_compute(n, d->H, d->W, &d->win);
	d->OH = d->win.out_h;
	d->OW = d->win.out_w;
	for (int o = 0; o < O; o++)
		for (int k = 0; k < KH * KW * C; k++)
			d->wt[(size_t)k * O + o] = n->data[(size_t)o * KH * KW * C + k];
	*out = d;
	return EID_OK;
}

/* out[p][o..o+8*NB) = patch(p) . wt for P pixels (P and NB constants, so
 * the P x NB accumulators live in registers); rows[ky] point at the first
 * pixel's window in the padded input rows, pixels `step` floats apart */
#define DIRECT_TILE(P, NB)                                                                       \
	__attribute__((target("avx2,fma"))) static void tile_##P##x##NB(                         \
		const nn_direct *d, const float *const *rows, int64_t step, int o, float *out)   \
	{                                                                                        \
		const nn_node *n = d->n;                                                         \
		const int O = n->out_c, KH = n->ksize[0], run = n->ksize[1] * n->in_c;           \
		const __m256 lo = _mm256_set1_ps(n->clamp_min), hi = _mm256_set1_ps(n->clamp_max); \
		__m256 a[P][NB];                                                                 \
		_Pragma("GCC unroll 6") for (int p = 0; p < P; p++)                              \
			_Pragma("GCC unroll 2") for (int q = 0; q < NB; q++)                     \
				a[p][q] = _mm256_setzero_ps();                                   \
		for (int ky = 0; ky < KH; ky++) {                                                \
			const float *src = rows[ky];                                             \
			const float *w = d->wt + (size_t)ky * run * O + o;                       \
			for (int j = 0; j < run; j++, w += O) {                                  \
				__m256 wv[NB];                                                   \
				_Pragma("GCC unroll 2") for (int q = 0; q < NB; q++)             \
					wv[q] = _mm256_loadu_ps(w + 8 * q);                      \
				_Pragma("GCC unroll 6") for (int p = 0; p < P; p++)              \
				{                                                                \
					const __m256 v = _mm256_broadcast_ss(src + p * step + j); \
					_Pragma("GCC unroll 2") for (int q = 0; q < NB; q++)     \
						a[p][q] = _mm256_fmadd_ps(v, wv[q], a[p][q]);    \
				}                                                                \
			}                                                                        \
		}                                                                                \
		_Pragma("GCC unroll 2") for (int q = 0; q < NB; q++) {                           \
			const __m256 b = n->bias ? _mm256_loadu_ps(n->bias + o + 8 * q)          \
						 : _mm256_setzero_ps();                          \
			const __m256 s = n->prelu ? _mm256_loadu_ps(n->prelu + o + 8 * q)        \
						  : _mm256_set1_ps(1);                           \
			_Pragma("GCC unroll 6") for (int p = 0; p < P; p++) {                    \
				__m256 v = _mm256_add_ps(a[p][q], b);                            \
				/* prelu: negative lanes times the slope (1 = identity) */       \
				v = _mm256_blendv_ps(v, _mm256_mul_ps(v, s), v);                 \
				v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);                     \
				_mm256_storeu_ps(out + (size_t)p * O + 8 * q, v);                \
			}                                                                        \
		}                                                                                \
	}
DIRECT_TILE(6, 2)
DIRECT_TILE(6, 1)
DIRECT_TILE(1, 2)
DIRECT_TILE(1, 1)

static void row_task(void *ctx, size_t task)
{
	const nn_direct *d = ctx;
	const nn_node *n = d->n;
	const int C = n->in_c, O = n->out_c, KH = n->ksize[0], sx = n->stride[1];
	const int64_t b = (int64_t)task / d->OH, oy = (int64_t)task % d->OH;
	const int pl = d->win.pad_left;
	/* the input rows of this output row, zero-padded left and right */
	const int64_t padded = d->W + pl + d->win.pad_right + n->ksize[1];
	float buf[MAX_K][MAX_ROW_FLOATS / MAX_K];
	const float *rows[MAX_K];
	for (int ky = 0; ky < KH; ky++) {
		const int64_t iy = oy * n->stride[0] - d->win.pad_top + ky;
		if (iy < 0 || iy >= d->H) {
			memset(buf[ky], 0, (size_t)(padded * C) * sizeof(float));
		} else {
			const size_t left = (size_t)pl * C, mid = (size_t)(d->W * C);
			memset(buf[ky], 0, left * sizeof(float));
			memcpy(buf[ky] + left, d->x + ((b * d->H + iy) * d->W) * C,
			       mid * sizeof(float));
			memset(buf[ky] + left + mid, 0,
			       ((size_t)(padded * C) - left - mid) * sizeof(float));
		}
		rows[ky] = buf[ky];
	}
	float *yrow = d->y + ((b * d->OH + oy) * d->OW) * O;
	const int64_t step = (int64_t)sx * C;
	for (int64_t ox = 0; ox < d->OW;) {
		const int six = d->OW - ox >= 6;
		const float *at[MAX_K];
		for (int ky = 0; ky < KH; ky++)
			at[ky] = rows[ky] + ox * step;
		int o = 0;
		for (; o + 16 <= O; o += 16)
			(six ? tile_6x2 : tile_1x2)(d, at, step, o, yrow + ox * O + o);
		for (; o < O; o += 8)
			(six ? tile_6x1 : tile_1x1)(d, at, step, o, yrow + ox * O + o);
		ox += six ? 6 : 1;
	}
}

void nn_direct_run(nn_direct *d, void *pool)
{
	pthreadpool_parallelize_1d((pthreadpool_t)pool, row_task, d, (size_t)(d->N * d->OH),
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
