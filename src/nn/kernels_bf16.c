/* 1x1 convolutions in bfloat16 (see kernels_bf16.h). */
#include "kernels_bf16.h"

#include <immintrin.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_zmm.h"

#define ROWS 14    /* pixels per task: 14 x 2 accumulators + 2 weight vectors */
#define MAX_K 8192 /* input channels (a sanity bound) */

struct nn_bf16 {
	const nn_node *n;
	const float *x;
	float *y;
	int64_t M;         /* pixels of the whole batch */
	int K, O;          /* input, output channels */
	uint32_t *panels;  /* [O/16][K/2][16] pairs of bf16 weights (tap k low), 64-byte aligned */
	uint32_t *a;       /* per tile of ROWS pixels, their rounded inputs [K/2][R] */
	int64_t tiles;
	int weights_outer; /* weights too big for L2: each panel pair meets every tile in turn */
};

int nn_bf16_available(void)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
	}
	return cpu;
}

int nn_bf16_fits(const nn_node *n, const nn_shape *x)
{
	return nn_bf16_available() && n->op == NN_CONV2D && n->ksize[0] == 1 && n->ksize[1] == 1 &&
	       n->stride[0] == 1 && n->stride[1] == 1 && n->padding != NN_PAD_EXPLICIT &&
	       n->in_c % 2 == 0 && n->in_c <= MAX_K && n->out_c % 16 == 0 && x->rank == 4 &&
	       !getenv("EID_NO_BF16");
}

/* Round to nearest even on the upper 16 bits, as vcvtne2ps2bf16 does for
 * finite values (the weights and inputs here are finite). */
static uint16_t to_bf16(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

float nn_bf16_round(float x)
{
	const uint32_t u = (uint32_t)to_bf16(x) << 16;
	float r;
	memcpy(&r, &u, 4);
	return r;
}

void nn_bf16_free(nn_bf16 *b)
{
	if (!b)
		return;
	free(b->panels);
	free(b->a);
	free(b);
}

eid_status nn_bf16_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y, nn_bf16 **out,
			   eid_err *err)
{
	*out = NULL;
	nn_bf16 *b = calloc(1, sizeof(*b));
	if (!b)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	b->n = n;
	b->x = x->data;
	b->y = y->data;
	b->M = x->shape.d[0] * x->shape.d[1] * x->shape.d[2];
	b->K = n->in_c;
	b->O = n->out_c;
	b->tiles = (b->M + ROWS - 1) / ROWS;
	const size_t words = (size_t)b->O * (size_t)b->K / 2;
	b->weights_outer = words * 4 > 256 * 1024;
	b->panels = aligned_alloc(64, (words * 4 + 63) / 64 * 64);
	b->a = malloc((size_t)b->tiles * ROWS * (size_t)(b->K / 2) * sizeof(uint32_t));
	if (!b->panels || !b->a) {
		nn_bf16_free(b);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	const int K = b->K;
	for (int o = 0; o < b->O; o++)
		for (int k = 0; k < K; k += 2) {
			const float *w = n->data + (size_t)o * K + k; /* weights (O, 1, 1, K) */
			b->panels[((size_t)(o / 16) * (K / 2) + k / 2) * 16 + o % 16] =
				(uint32_t)to_bf16(w[0]) | (uint32_t)to_bf16(w[1]) << 16;
		}
	*out = b;
	return EID_OK;
}

/* R pixels (a: [K/2][R] pairs) against NP adjacent panels: y[r][o..o+16*NP)
 * = clamp(prelu(sum + bias)); R and NP constants so the accumulators are
 * registers, each pair broadcast once for NP vdpbf16ps. */
#define BF16_TILE(R, NP)                                                                         \
	__attribute__((target("avx512f,avx512bf16"))) static void tile_##R##x##NP(               \
		const nn_bf16 *b, const uint32_t *a, const uint32_t *panel, int o, float *y)     \
	{                                                                                        \
		const nn_node *n = b->n;                                                         \
		const int K2 = b->K / 2, O = b->O;                                               \
		__m512 acc[R][NP];                                                               \
		_Pragma("GCC unroll 14") for (int r = 0; r < R; r++)                             \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)                     \
				acc[r][q] = _mm512_setzero_ps();                                 \
		for (int k = 0; k < K2; k++) {                                                   \
			__m512bh w[NP];                                                          \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++) w[q] =              \
				(__m512bh)_mm512_load_si512(panel + ((size_t)q * K2 + k) * 16);  \
			_Pragma("GCC unroll 14") for (int r = 0; r < R; r++) {                   \
				const __m512bh v =                                               \
					(__m512bh)_mm512_set1_epi32((int)a[(size_t)k * R + r]);  \
				_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)             \
					acc[r][q] = _mm512_dpbf16_ps(acc[r][q], v, w[q]);        \
			}                                                                        \
		}                                                                                \
		_Pragma("GCC unroll 14") for (int r = 0; r < R; r++)                             \
			_Pragma("GCC unroll 2") for (int q = 0; q < NP; q++)                     \
				nn_zmm_store(n, acc[r][q], o + 16 * q, y + (size_t)r * O);       \
	}
#define BF16_TILES(R) BF16_TILE(R, 1) BF16_TILE(R, 2)
BF16_TILES(1)
BF16_TILES(2)
BF16_TILES(3)
BF16_TILES(4)
BF16_TILES(5)
BF16_TILES(6)
BF16_TILES(7)
BF16_TILES(8)
BF16_TILES(9)
BF16_TILES(10)
BF16_TILES(11)
BF16_TILES(12)
BF16_TILES(13)
BF16_TILES(14)

typedef void tile_fn(const nn_bf16 *, const uint32_t *, const uint32_t *, int, float *);
static tile_fn *const tiles[ROWS + 1][2] = {
	{NULL, NULL},
	{tile_1x1, tile_1x2},	{tile_2x1, tile_2x2},	{tile_3x1, tile_3x2},
	{tile_4x1, tile_4x2},	{tile_5x1, tile_5x2},	{tile_6x1, tile_6x2},
	{tile_7x1, tile_7x2},	{tile_8x1, tile_8x2},	{tile_9x1, tile_9x2},
	{tile_10x1, tile_10x2}, {tile_11x1, tile_11x2}, {tile_12x1, tile_12x2},
	{tile_13x1, tile_13x2}, {tile_14x1, tile_14x2},
};

/* The R pixels' inputs rounded to bf16 pairs, interleaved [K/2][R]. */
__attribute__((target("avx512f,avx512bf16"))) static void round_rows(const float *x, int K, int R,
								    uint32_t *a)
{
	for (int r = 0; r < R; r++) {
		const float *row = x + (size_t)r * K;
		int k = 0;
		for (; k + 32 <= K; k += 32) {
			uint32_t pairs[16];
			const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + k + 16),
								_mm512_loadu_ps(row + k));
			_mm512_storeu_si512(pairs, (__m512i)v);
			for (int j = 0; j < 16; j++)
				a[(size_t)(k / 2 + j) * R + r] = pairs[j];
		}
		for (; k < K; k += 2)
			a[(size_t)(k / 2) * R + r] =
				(uint32_t)to_bf16(row[k]) | (uint32_t)to_bf16(row[k + 1]) << 16;
	}
}

static int tile_rows(const nn_bf16 *b, int64_t t)
{
	const int64_t left = b->M - t * ROWS;
	return (int)(left < ROWS ? left : ROWS);
}

static void round_task(void *ctx, size_t t)
{
	const nn_bf16 *b = ctx;
	round_rows(b->x + (int64_t)t * ROWS * b->K, b->K, tile_rows(b, (int64_t)t),
		   b->a + t * ROWS * (size_t)(b->K / 2));
}

/* Tile t of pixels against the panel pair starting at panel 2p. */
static void gemm(const nn_bf16 *b, size_t t, size_t p2)
{
	const int np = b->O / 16, p = 2 * (int)p2;
	tiles[tile_rows(b, (int64_t)t)][p + 1 < np](b, b->a + t * ROWS * (size_t)(b->K / 2),
						   b->panels + (size_t)p * (b->K / 2) * 16, p * 16,
						   b->y + (int64_t)t * ROWS * b->O);
}

static void gemm_weights_outer(void *ctx, size_t p2, size_t t)
{
	gemm(ctx, t, p2);
}

static void gemm_tiles_outer(void *ctx, size_t t, size_t p2)
{
	gemm(ctx, t, p2);
}

void nn_bf16_run(nn_bf16 *b, void *pool)
{
	pthreadpool_t tp = (pthreadpool_t)pool;
	const size_t pairs = (size_t)(b->O / 16 + 1) / 2, tiles_n = (size_t)b->tiles;
	pthreadpool_parallelize_1d(tp, round_task, b, tiles_n, 0);
	if (b->weights_outer)
		pthreadpool_parallelize_2d(tp, gemm_weights_outer, b, pairs, tiles_n,
					   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
	else
		pthreadpool_parallelize_2d(tp, gemm_tiles_outer, b, tiles_n, pairs,
					   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
