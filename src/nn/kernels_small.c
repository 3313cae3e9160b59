/* Convolutions with few output pixels (see kernels_small.h). */
#include "kernels_small.h"

#include <immintrin.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_zmm.h"

#define MAX_ROWS 14   /* output pixels per pass: 14 x 2 accumulators + the weights */
#define MAX_PIXELS 32 /* at 64 (dlib 8x8, faceres 7x7) XNNPACK measured faster */
#define MAX_K 16384   /* floats in one window: bounds the patch buffer */

struct nn_small {
	const nn_node *n;
	const float *x;
	float *y;
	int64_t H, W, OH, OW, M; /* M: output pixels of the whole batch */
	nn_window win;
	int K;           /* floats per window: KH * KW * C */
	int64_t passes;  /* row passes of nearly equal size, at most MAX_ROWS each */
	float *panels;   /* weights as [O/16][K][16], 64-byte aligned */
	float *patches;  /* pass by pass: the pass's R rows interleaved, [K][R] */
};

/* Pass i covers pixels [*m0, *m0 + rows). */
static int64_t pass_rows(const nn_small *s, int64_t i, int64_t *m0)
{
	const int64_t base = s->M / s->passes, extra = s->M % s->passes;
	*m0 = i * base + (i < extra ? i : extra);
	return base + (i < extra);
}

int nn_small_fits(const nn_node *n, const nn_shape *x)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx512f");
	}
	if (!cpu || n->op != NN_CONV2D || n->out_c % 16 != 0 || x->rank != 4 ||
	    getenv("EID_NO_SMALL"))
		return 0;
	nn_window w;
	if (nn_window_compute(n, x->d[1], x->d[2], &w) != 0)
		return 0;
	const int64_t K = (int64_t)n->ksize[0] * n->ksize[1] * n->in_c;
	/* a lone pixel on a 1x1 map has its own matmul path (kernels_fast.c) */
	const int one_pixel_map = w.in_h == 1 && w.in_w == 1 && w.out_h == 1 && w.out_w == 1;
	return !one_pixel_map && x->d[0] * w.out_h * w.out_w <= MAX_PIXELS && K >= 64 && K <= MAX_K;
}

void nn_small_free(nn_small *s)
{
	if (!s)
		return;
	free(s->panels);
	free(s->patches);
	free(s);
}

eid_status nn_small_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y, nn_small **out,
			    eid_err *err)
{
	*out = NULL;
	nn_small *s = calloc(1, sizeof(*s));
	if (!s)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	s->n = n;
	s->x = x->data;
	s->y = y->data;
	s->H = x->shape.d[1];
	s->W = x->shape.d[2];
	nn_window_compute(n, s->H, s->W, &s->win);
	s->OH = s->win.out_h;
	s->OW = s->win.out_w;
	s->M = x->shape.d[0] * s->OH * s->OW;
	s->K = n->ksize[0] * n->ksize[1] * n->in_c;
	s->passes = (s->M + MAX_ROWS - 1) / MAX_ROWS;
	const int O = n->out_c, K = s->K;
	const size_t panel_bytes = (size_t)O * (size_t)K * sizeof(float);
	s->panels = aligned_alloc(64, (panel_bytes + 63) / 64 * 64);
	s->patches = malloc((size_t)s->M * (size_t)K * sizeof(float));
	if (!s->panels || !s->patches) {
		nn_small_free(s);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	/* weights are (O, KH, KW, C): row o is already one window's worth */
	for (int o = 0; o < O; o++)
		for (int k = 0; k < K; k++)
			s->panels[((size_t)(o / 16) * K + k) * 16 + o % 16] = n->data[(size_t)o * K + k];
	*out = s;
	return EID_OK;
}

/* Pass i's patches: each of its pixels' windows, tap by tap, interleaved
 * ([K][R]) so the tile reads one run per k; written in that order. */
static void gather(void *ctx, size_t i)
{
	const nn_small *s = ctx;
	const nn_node *n = s->n;
	const int C = n->in_c;
	int64_t m0;
	const int64_t R = pass_rows(s, (int64_t)i, &m0);
	float *dst = s->patches + m0 * s->K;
	const float *src[MAX_ROWS];
	for (int ky = 0; ky < n->ksize[0]; ky++)
		for (int kx = 0; kx < n->ksize[1]; kx++) {
			for (int64_t r = 0; r < R; r++) {
				const int64_t m = m0 + r, b = m / (s->OH * s->OW),
					      oy = m / s->OW % s->OH, ox = m % s->OW;
				const int64_t iy = oy * n->stride[0] - s->win.pad_top +
						   (int64_t)ky * n->dilation[0];
				const int64_t ix = ox * n->stride[1] - s->win.pad_left +
						   (int64_t)kx * n->dilation[1];
				src[r] = iy >= 0 && iy < s->H && ix >= 0 && ix < s->W
						 ? s->x + ((b * s->H + iy) * s->W + ix) * C
						 : NULL;
			}
			for (int c = 0; c < C; c++)
				for (int64_t r = 0; r < R; r++)
					*dst++ = src[r] ? src[r][c] : 0.0f;
		}
}

/* y[r][o..o+16*NP) = clamp(prelu(a[r] . panels + bias)) for R rows and NP
 * adjacent panels (constants, so the R x NP accumulators are registers): each
 * patch value is broadcast once for NP FMAs, each panel load feeds R. */
#define SMALL_TILE(R, NP)                                                                        \
	__attribute__((target("avx512f"))) static void tile_##R##x##NP(                          \
		const nn_small *s, const float *a, const float *panel, int o, float *y)          \
	{                                                                                        \
		const nn_node *n = s->n;                                                         \
		const int K = s->K, O = n->out_c;                                                \
		__m512 acc[R][NP];                                                               \
		_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                             \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)                     \
				acc[r][q] = _mm512_setzero_ps();                                 \
		for (int k = 0; k < K; k++) {                                                    \
			__m512 w[NP];                                                            \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)                     \
				w[q] = _mm512_load_ps(panel + ((size_t)q * K + k) * 16);         \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                   \
				const __m512 v = _mm512_set1_ps(a[(size_t)k * R + r]);           \
				_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)             \
					acc[r][q] = _mm512_fmadd_ps(v, w[q], acc[r][q]);         \
			}                                                                        \
		}                                                                                \
		_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                             \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)                     \
				nn_zmm_store(n, acc[r][q], o + 16 * q, y + (size_t)r * O);       \
	}
#define SMALL_TILES(R) SMALL_TILE(R, 1) SMALL_TILE(R, 2)
SMALL_TILES(1)
SMALL_TILES(2)
SMALL_TILES(3)
SMALL_TILES(4)
SMALL_TILES(5)
SMALL_TILES(6)
SMALL_TILES(7)
SMALL_TILES(8)
SMALL_TILES(9)
SMALL_TILES(10)
SMALL_TILES(11)
SMALL_TILES(12)
SMALL_TILES(13)
SMALL_TILES(14)

typedef void tile_fn(const nn_small *, const float *, const float *, int, float *);
static tile_fn *const tiles[MAX_ROWS + 1][2] = {
	{NULL, NULL},
	{tile_1x1, tile_1x2},	{tile_2x1, tile_2x2},	{tile_3x1, tile_3x2},
	{tile_4x1, tile_4x2},	{tile_5x1, tile_5x2},	{tile_6x1, tile_6x2},
	{tile_7x1, tile_7x2},	{tile_8x1, tile_8x2},	{tile_9x1, tile_9x2},
	{tile_10x1, tile_10x2}, {tile_11x1, tile_11x2}, {tile_12x1, tile_12x2},
	{tile_13x1, tile_13x2}, {tile_14x1, tile_14x2},
};

/* Two 16-output slices of the weights (one at the end of an odd count)
 * against every pixel, pass by pass, so the slices are read from memory once. */
static void panel_task(void *ctx, size_t t)
{
	const nn_small *s = ctx;
	const int np = s->n->out_c / 16, p = 2 * (int)t, two = p + 1 < np;
	const float *panel = s->panels + (size_t)p * s->K * 16;
	for (int64_t i = 0, m0; i < s->passes; i++) {
		const int64_t rows = pass_rows(s, i, &m0);
		tiles[rows][two](s, s->patches + m0 * s->K, panel, p * 16,
				 s->y + m0 * s->n->out_c);
	}
}

void nn_small_run(nn_small *s, void *pool)
{
	pthreadpool_parallelize_1d((pthreadpool_t)pool, gather, s, (size_t)s->passes, 0);
	pthreadpool_parallelize_1d((pthreadpool_t)pool, panel_task, s, (size_t)(s->n->out_c / 16 + 1) / 2,
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
