/* Fused depthwise + pointwise + residual blocks (see kernels_block.h).
 *
 * Everything works on rows: dw_row makes one row of the depthwise output from
 * KH input rows (a shared zero row stands for rows outside the image), and
 * pw_row turns it into one output row with the 1x1 conv, bias, residual, the
 * Add's prelu (if it took one) and clamp. A single block runs its rows in parallel; a chain of blocks runs as
 * a line-buffer pipeline (see nn_chain_run). Summation order equals the
 * reference kernels' (taps ky, kx; channels c): results differ from them only
 * by FMA rounding. */
#include "kernels_block.h"

#include <immintrin.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROW 32768 /* floats in one row (W*C): depthwise scratch on the stack */
#define MAX_CHAIN 32

static const float zero_row[MAX_ROW];

int nn_block_fits(const nn_node *dw, const nn_node *pw, int64_t in_w, int64_t out_w)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	}
	return cpu && dw->op == NN_DWCONV2D && dw->out_c == dw->in_c && dw->in_c % 8 == 0 &&
	       !dw->prelu && dw->ksize[0] <= 16 && pw->op == NN_CONV2D && pw->ksize[0] == 1 &&
	       pw->ksize[1] == 1 && pw->stride[0] == 1 && pw->stride[1] == 1 &&
	       pw->padding != NN_PAD_EXPLICIT && !pw->prelu && pw->clamp_min == -INFINITY &&
	       pw->clamp_max == INFINITY && pw->in_c == dw->out_c && pw->out_c % 8 == 0 &&
	       out_w * dw->out_c <= MAX_ROW && in_w * dw->in_c <= MAX_ROW &&
	       out_w * pw->out_c <= MAX_ROW;
}

eid_status nn_block_init(nn_block *b, const nn_node *dw, const nn_node *pw, const nn_node *add,
			 eid_err *err)
{
	b->dw = dw;
	b->pw = pw;
	b->add = add;
	b->pw_t = malloc((size_t)pw->in_c * (size_t)pw->out_c * sizeof(float));
	if (!b->pw_t)
		return eid_fail(err, EID_E_NOMEM, "out of memory for a fused block");
	for (int o = 0; o < pw->out_c; o++)
		for (int c = 0; c < pw->in_c; c++)
			b->pw_t[(size_t)c * pw->out_c + o] = pw->data[(size_t)o * pw->in_c + c];
	return EID_OK;
}

void nn_block_release(nn_block *b)
{
	if (b)
		free(b->pw_t);
}

/* geometry of one block on one input size */
typedef struct geom {
	int64_t H, W, OH, OW;
	nn_window win;
} geom;

static void geom_of(const nn_block *b, int64_t H, int64_t W, geom *g)
{
	nn_window_compute(b->dw, H, W, &g->win);
	g->H = H;
	g->W = W;
	g->OH = g->win.out_h;
	g->OW = g->win.out_w;
}

/* One depthwise output (pixel ox, channels c..c+7) with any window; taps
 * outside the row are skipped. */
__attribute__((target("avx2,fma"))) static __m256 dw_any(const nn_node *dw, const float *const *rows,
							  const geom *g, int64_t ox, int c)
{
	const int C = dw->in_c, KH = dw->ksize[0], KW = dw->ksize[1];
	const int64_t ix0 = ox * dw->stride[1] - g->win.pad_left;
	__m256 acc = _mm256_setzero_ps();
	for (int ky = 0; ky < KH; ky++)
		for (int kx = 0; kx < KW; kx++) {
			const int64_t ix = ix0 + (int64_t)kx * dw->dilation[1];
			if (ix < 0 || ix >= g->W)
				continue;
			acc = _mm256_fmadd_ps(_mm256_loadu_ps(rows[ky] + ix * C + c),
					      _mm256_loadu_ps(dw->data + ((size_t)ky * KW + kx) * C + c),
					      acc);
		}
	return acc;
}

/* Eight stride-1 3x3 outputs of 8 channels side by side (first: the first
 * one's window in the rows): each input pixel is loaded once and feeds the up
 * to three outputs whose window holds it, 10 loads per row of taps instead
 * of 24. Each output still sums its taps in the order ky, kx: a[j] meets
 * x[j], x[j+1], x[j+2] in turn, row by row. */
__attribute__((target("avx2,fma"))) static inline void dw_slide8(const float *const *rows,
								   int64_t first, int C,
								   const float *w, __m256 a[8])
{
	_Pragma("GCC unroll 3") for (int ky = 0; ky < 3; ky++) {
		const __m256 w0 = _mm256_loadu_ps(w + (3 * ky) * C),
			     w1 = _mm256_loadu_ps(w + (3 * ky + 1) * C),
			     w2 = _mm256_loadu_ps(w + (3 * ky + 2) * C);
		const float *p = rows[ky] + first;
		_Pragma("GCC unroll 10") for (int x = 0; x < 10; x++, p += C) {
			const __m256 v = _mm256_loadu_ps(p);
			if (x < 8)
				a[x] = ky == 0 ? _mm256_mul_ps(v, w0) : _mm256_fmadd_ps(v, w0, a[x]);
			if (x >= 1 && x < 9)
				a[x - 1] = _mm256_fmadd_ps(v, w1, a[x - 1]);
			if (x >= 2)
				a[x - 2] = _mm256_fmadd_ps(v, w2, a[x - 2]);
		}
	}
}

/* d[ox][c] = clamp(bias + sum over taps of x * w) for one output row from the
 * KH input rows of its window (zero_row where outside the image). For a 3x3
 * stride-1 window the interior runs in strips of 8 pixels (dw_slide8), every
 * channel group of a strip before the next strip: going channel group by
 * group over the whole row instead read rows of 24+ channels, which exceed
 * L1, from L2 once per group (blazeface 10% slower). Other 3x3 windows keep
 * the nine weights of 8 channels in registers while the pixels stream past,
 * four at a time. */
__attribute__((target("avx2,fma"))) static void dw_row(const nn_node *dw, const float *const *rows,
						       const geom *g, float *d)
{
	const int C = dw->in_c, sx = dw->stride[1];
	const int64_t W = g->W, OW = g->OW;
	const __m256 lo = _mm256_set1_ps(dw->clamp_min), hi = _mm256_set1_ps(dw->clamp_max);
	int64_t in_lo = OW, in_hi = OW; /* pixels whose nine taps are all inside the row */
	if (dw->ksize[0] == 3 && dw->ksize[1] == 3 && dw->dilation[0] == 1 && dw->dilation[1] == 1) {
		in_lo = (g->win.pad_left + sx - 1) / sx;
		in_hi = W - 3 + g->win.pad_left >= 0 ? (W - 3 + g->win.pad_left) / sx + 1 : 0;
		if (in_hi > OW)
			in_hi = OW;
		if (in_lo > in_hi)
			in_lo = in_hi = OW;
	}
	/* stride 1: the interior in strips of 8 pixels, all channel groups of a
	 * strip in turn while its input lines are in L1 */
	const int64_t strips_end = sx == 1 ? in_lo + (in_hi - in_lo) / 8 * 8 : in_lo;
	for (int64_t ox = in_lo; ox < strips_end; ox += 8)
		for (int c = 0; c < C; c += 8) {
			const __m256 bias =
				dw->bias ? _mm256_loadu_ps(dw->bias + c) : _mm256_setzero_ps();
			__m256 a[8];
			dw_slide8(rows, (ox - g->win.pad_left) * C + c, C, dw->data + c, a);
			_Pragma("GCC unroll 8") for (int j = 0; j < 8; j++)
				_mm256_storeu_ps(d + (ox + j) * C + c,
						 _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(a[j], bias), lo), hi));
		}
	for (int c = 0; c < C; c += 8) {
		const __m256 bias = dw->bias ? _mm256_loadu_ps(dw->bias + c) : _mm256_setzero_ps();
#define STORE(acc, ox)                                                                  \
	_mm256_storeu_ps(d + (ox) * C + c,                                              \
			 _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc, bias), lo), hi));
		for (int64_t ox = 0; ox < in_lo; ox++)
			STORE(dw_any(dw, rows, g, ox, c), ox)
		if (in_lo < in_hi) {
			const float *w = dw->data + c;
			const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + C),
				     w2 = _mm256_loadu_ps(w + 2 * C), w3 = _mm256_loadu_ps(w + 3 * C),
				     w4 = _mm256_loadu_ps(w + 4 * C), w5 = _mm256_loadu_ps(w + 5 * C),
				     w6 = _mm256_loadu_ps(w + 6 * C), w7 = _mm256_loadu_ps(w + 7 * C),
				     w8 = _mm256_loadu_ps(w + 8 * C);
			const int64_t step = (int64_t)sx * C,
				      first = (strips_end * sx - g->win.pad_left) * C + c;
			const float *r0 = rows[0] + first, *r1 = rows[1] + first, *r2 = rows[2] + first;
#define TAPS(acc, o)                                                                    \
	acc = _mm256_mul_ps(_mm256_loadu_ps(r0 + (o)), w0);                             \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + (o) + C), w1, acc);                  \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + (o) + 2 * C), w2, acc);              \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + (o)), w3, acc);                      \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + (o) + C), w4, acc);                  \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + (o) + 2 * C), w5, acc);              \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + (o)), w6, acc);                      \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + (o) + C), w7, acc);                  \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + (o) + 2 * C), w8, acc);
			int64_t ox = strips_end, off = 0;
			for (; ox + 4 <= in_hi; ox += 4, off += 4 * step) {
				__m256 a0, a1, a2, a3;
				TAPS(a0, off)
				TAPS(a1, off + step)
				TAPS(a2, off + 2 * step)
				TAPS(a3, off + 3 * step)
				STORE(a0, ox)
				STORE(a1, ox + 1)
				STORE(a2, ox + 2)
				STORE(a3, ox + 3)
			}
			for (; ox < in_hi; ox++, off += step) {
				__m256 a0;
				TAPS(a0, off)
				STORE(a0, ox)
			}
#undef TAPS
		}
		for (int64_t ox = in_hi; ox < OW; ox++)
			STORE(dw_any(dw, rows, g, ox, c), ox)
#undef STORE
	}
}

/* 4 pixels x 8*NB outputs of y = clamp(prelu(d * W + bias + r)) (NB a
 * constant, so the 4 x NB accumulators stay in registers: 12 at most) */
#define PW_TILE(NB)                                                                              \
	__attribute__((target("avx2,fma"))) static void pw_4x##NB(                               \
		const nn_block *b, const float *dp, const float *r, float *y, int o)             \
	{                                                                                        \
		const int C = b->pw->in_c, O = b->pw->out_c;                                     \
		const float *wt = b->pw_t + o;                                                   \
		__m256 a[4][NB];                                                                 \
		_Pragma("GCC unroll 4") for (int p = 0; p < 4; p++)                              \
			_Pragma("GCC unroll 3") for (int q = 0; q < NB; q++)                     \
				a[p][q] = _mm256_setzero_ps();                                   \
		for (int c = 0; c < C; c++, wt += O) {                                           \
			__m256 w[NB];                                                            \
			_Pragma("GCC unroll 3") for (int q = 0; q < NB; q++)                     \
				w[q] = _mm256_loadu_ps(wt + 8 * q);                              \
			_Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {                    \
				const __m256 v = _mm256_broadcast_ss(dp + p * C + c);            \
				_Pragma("GCC unroll 3") for (int q = 0; q < NB; q++)             \
					a[p][q] = _mm256_fmadd_ps(v, w[q], a[p][q]);             \
			}                                                                        \
		}                                                                                \
		const nn_node *pw = b->pw, *add = b->add;                                        \
		const __m256 lo = _mm256_set1_ps(add->clamp_min), hi = _mm256_set1_ps(add->clamp_max); \
		_Pragma("GCC unroll 3") for (int q = 0; q < NB; q++) {                           \
			const int oq = o + 8 * q;                                                \
			const __m256 bias = pw->bias ? _mm256_loadu_ps(pw->bias + oq)            \
						     : _mm256_setzero_ps();                      \
			_Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {                    \
				__m256 v = _mm256_add_ps(_mm256_add_ps(a[p][q], bias),           \
							 _mm256_loadu_ps(r + p * O + oq));       \
				/* the Add's own prelu, when it took one */                      \
				if (add->prelu)                                                  \
					v = _mm256_blendv_ps(                                    \
						v, _mm256_mul_ps(v, _mm256_loadu_ps(add->prelu + oq)), \
						v);                                              \
				_mm256_storeu_ps(y + p * O + oq,                                 \
						 _mm256_min_ps(_mm256_max_ps(v, lo), hi));       \
			}                                                                        \
		}                                                                                \
	}
PW_TILE(3)
PW_TILE(2)
PW_TILE(1)

/* 1 pixel x 8 outputs: the edges of rows and of the output channels */
__attribute__((target("avx2,fma"))) static void pw_1x8(const nn_block *b, const float *dp,
						        const float *r, float *y, int o)
{
	const int C = b->pw->in_c, O = b->pw->out_c;
	const float *wt = b->pw_t + o;
	__m256 acc = _mm256_setzero_ps();
	for (int c = 0; c < C; c++, wt += O)
		acc = _mm256_fmadd_ps(_mm256_broadcast_ss(dp + c), _mm256_loadu_ps(wt), acc);
	if (b->pw->bias)
		acc = _mm256_add_ps(acc, _mm256_loadu_ps(b->pw->bias + o));
	acc = _mm256_add_ps(acc, _mm256_loadu_ps(r + o));
	if (b->add->prelu)
		acc = _mm256_blendv_ps(acc, _mm256_mul_ps(acc, _mm256_loadu_ps(b->add->prelu + o)), acc);
	acc = _mm256_max_ps(acc, _mm256_set1_ps(b->add->clamp_min));
	_mm256_storeu_ps(y + o, _mm256_min_ps(acc, _mm256_set1_ps(b->add->clamp_max)));
}

/* one output row: y = clamp(d * W + bias + r) for OW pixels */
static void pw_row(const nn_block *b, const float *d, const float *r, float *y, int64_t OW)
{
	const int C = b->pw->in_c, O = b->pw->out_c;
	const int o24 = O - O % 24;
	int64_t ox = 0;
	for (; ox + 4 <= OW; ox += 4) {
		for (int o = 0; o < o24; o += 24)
			pw_4x3(b, d + ox * C, r + ox * O, y + ox * O, o);
		if (O - o24 == 16)
			pw_4x2(b, d + ox * C, r + ox * O, y + ox * O, o24);
		else if (O - o24 == 8)
			pw_4x1(b, d + ox * C, r + ox * O, y + ox * O, o24);
	}
	for (; ox < OW; ox++)
		for (int o = 0; o < O; o += 8)
			pw_1x8(b, d + ox * C, r + ox * O, y + ox * O, o);
}

/* --- one block ------------------------------------------------------------ */

typedef struct job {
	const nn_block *b;
	const float *x, *r;
	float *y;
	geom g;
} job;

static void block_row(void *ctx, size_t task)
{
	const job *jb = ctx;
	const nn_node *dw = jb->b->dw;
	const int C = dw->in_c, O = jb->b->pw->out_c;
	const int64_t b = (int64_t)task / jb->g.OH, oy = (int64_t)task % jb->g.OH;
	const float *rows[16];
	for (int ky = 0; ky < dw->ksize[0]; ky++) {
		const int64_t iy = oy * dw->stride[0] - jb->g.win.pad_top + ky * dw->dilation[0];
		rows[ky] = iy >= 0 && iy < jb->g.H ? jb->x + (b * jb->g.H + iy) * jb->g.W * C
						   : zero_row;
	}
	float d[MAX_ROW];
	dw_row(dw, rows, &jb->g, d);
	const size_t out = (size_t)((b * jb->g.OH + oy) * jb->g.OW) * (size_t)O;
	pw_row(jb->b, d, jb->r + out, jb->y + out, jb->g.OW);
}

void nn_block_run(const nn_block *blk, const nn_tensor *x, const nn_tensor *r, nn_tensor *y,
		  void *pool)
{
	job jb = {blk, x->data, r->data, y->data, {0}};
	geom_of(blk, x->shape.d[1], x->shape.d[2], &jb.g);
	pthreadpool_parallelize_1d((pthreadpool_t)pool, block_row, &jb,
				   (size_t)(x->shape.d[0] * jb.g.OH), PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* --- chains --------------------------------------------------------------- */

int nn_chain_link_fits(const nn_block *b)
{
	const nn_node *dw = b->dw;
	return dw->ksize[0] == 3 && dw->ksize[1] == 3 && dw->stride[0] == 1 && dw->stride[1] == 1 &&
	       dw->dilation[0] == 1 && dw->dilation[1] == 1 && dw->padding == NN_PAD_SAME &&
	       b->pw->out_c == dw->in_c;
}

typedef struct chain_job {
	const nn_block *const *blocks;
	int k, bands;
	const float *x;
	float *y, *rings; /* rings: [band][stage 0..k-2][3 rows][W*C] */
	int64_t N, H, W, C;
} chain_job;

/* Rows [a, b) of the last block's output of image n, for one band: stage s
 * (0-based) makes rows [lo_s, hi_s), the band widened by the k-1-s rows the
 * later stages' windows need. At step t stage s makes row t - s, reading rows
 * t-s-1 .. t-s+1 of stage s-1, which made row t-s+1 earlier in the same step;
 * three ring rows per stage therefore suffice. */
static void chain_band_image(const chain_job *cj, int64_t band, int64_t n)
{
	const int k = cj->k;
	const int64_t H = cj->H, W = cj->W, C = cj->C, row = W * C;
	const int64_t a = H * band / cj->bands, b = H * (band + 1) / cj->bands;
	float *ring = cj->rings + (size_t)band * (size_t)(k - 1) * 3 * (size_t)row;
	const float *img = cj->x + n * H * row;
	float *out = cj->y + n * H * row;
	int64_t lo[MAX_CHAIN], hi[MAX_CHAIN];
	for (int s = 0; s < k; s++) {
		lo[s] = a - (k - 1 - s) > 0 ? a - (k - 1 - s) : 0;
		hi[s] = b + (k - 1 - s) < H ? b + (k - 1 - s) : H;
	}
	geom g = {H, W, H, W, {0}};
	nn_window_compute(cj->blocks[0]->dw, H, W, &g.win);
	float d[MAX_ROW];
	for (int64_t t = lo[0]; t - (k - 1) < hi[k - 1]; t++)
		for (int s = 0; s < k; s++) {
			const int64_t yy = t - s;
			if (yy < lo[s] || yy >= hi[s])
				continue;
			/* rows yy-1, yy, yy+1 of this stage's input */
			const float *rows[3];
			for (int j = 0; j < 3; j++) {
				const int64_t iy = yy - 1 + j;
				if (iy < 0 || iy >= H)
					rows[j] = zero_row;
				else if (s == 0)
					rows[j] = img + iy * row;
				else
					rows[j] = ring + ((size_t)(s - 1) * 3 + (size_t)(iy % 3)) * row;
			}
			dw_row(cj->blocks[s]->dw, rows, &g, d);
			float *dst = s == k - 1 ? out + yy * row
						: ring + ((size_t)s * 3 + (size_t)(yy % 3)) * row;
			pw_row(cj->blocks[s], d, rows[1], dst, W);
		}
}

/* one task per band (its ring buffers are its own), images in turn */
static void chain_band(void *ctx, size_t band)
{
	const chain_job *cj = ctx;
	for (int64_t n = 0; n < cj->N; n++)
		chain_band_image(cj, (int64_t)band, n);
}

eid_status nn_chain_init(nn_chain *ch, const nn_block *const *blocks, int k, const nn_shape *x,
			 int bands, eid_err *err)
{
	memset(ch, 0, sizeof(*ch));
	if (k < 2 || k > MAX_CHAIN || bands < 1)
		return eid_fail(err, EID_E_INVALID_ARG, "chain of %d blocks in %d bands", k, bands);
	ch->blocks = malloc((size_t)k * sizeof(*ch->blocks));
	const size_t row = (size_t)(x->d[2] * x->d[3]);
	ch->rings = malloc((size_t)bands * (size_t)(k - 1) * 3 * row * sizeof(float));
	if (!ch->blocks || !ch->rings) {
		nn_chain_release(ch);
		return eid_fail(err, EID_E_NOMEM, "out of memory for a block chain");
	}
	memcpy(ch->blocks, blocks, (size_t)k * sizeof(*blocks));
	ch->k = k;
	ch->bands = bands;
	return EID_OK;
}

void nn_chain_release(nn_chain *ch)
{
	if (!ch)
		return;
	free(ch->blocks);
	free(ch->rings);
	memset(ch, 0, sizeof(*ch));
}

void nn_chain_run(const nn_chain *ch, const nn_tensor *x, nn_tensor *y, void *pool)
{
	chain_job cj = {(const nn_block *const *)ch->blocks, ch->k, ch->bands, x->data, y->data,
			ch->rings, x->shape.d[0], x->shape.d[1], x->shape.d[2], x->shape.d[3]};
	pthreadpool_parallelize_1d((pthreadpool_t)pool, chain_band, &cj, (size_t)cj.bands,
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
