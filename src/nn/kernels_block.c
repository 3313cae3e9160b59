/* Fused depthwise + pointwise + residual block (see kernels_block.h).
 * Summation order equals the reference kernels' (taps ky, kx; channels c), so
 * results differ from them only by FMA rounding. */
#include "kernels_block.h"

#include <immintrin.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>

#define MAX_ROW 32768 /* floats of depthwise scratch per row (128 KiB, stack) */

int nn_block_fits(const nn_node *dw, const nn_node *pw, int64_t out_w)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	}
	return cpu && dw->op == NN_DWCONV2D && dw->out_c == dw->in_c && dw->in_c % 8 == 0 &&
	       !dw->prelu && pw->op == NN_CONV2D && pw->ksize[0] == 1 && pw->ksize[1] == 1 &&
	       pw->stride[0] == 1 && pw->stride[1] == 1 && pw->padding != NN_PAD_EXPLICIT &&
	       !pw->prelu && pw->clamp_min == -INFINITY && pw->clamp_max == INFINITY &&
	       pw->in_c == dw->out_c && pw->out_c % 8 == 0 && out_w * dw->out_c <= MAX_ROW;
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

typedef struct job {
	const nn_block *b;
	const float *x, *r;
	float *y;
	int64_t H, W, OH, OW;
	nn_window win;
} job;

/* One depthwise output (pixel ox, channels c..c+7) with any window, taps
 * outside the image skipped. */
__attribute__((target("avx2,fma"))) static __m256 dw_any(const job *jb, const float *xb,
							  int64_t iy0, int64_t ox, int c)
{
	const nn_node *dw = jb->b->dw;
	const int C = dw->in_c, KH = dw->ksize[0], KW = dw->ksize[1];
	const int64_t ix0 = ox * dw->stride[1] - jb->win.pad_left;
	__m256 acc = _mm256_setzero_ps();
	for (int ky = 0; ky < KH; ky++) {
		const int64_t iy = iy0 + (int64_t)ky * dw->dilation[0];
		if (iy < 0 || iy >= jb->H)
			continue;
		for (int kx = 0; kx < KW; kx++) {
			const int64_t ix = ix0 + (int64_t)kx * dw->dilation[1];
			if (ix < 0 || ix >= jb->W)
				continue;
			acc = _mm256_fmadd_ps(_mm256_loadu_ps(xb + (iy * jb->W + ix) * C + c),
					      _mm256_loadu_ps(dw->data + ((size_t)ky * KW + kx) * C + c),
					      acc);
		}
	}
	return acc;
}

/* d[ox][c] = clamp(bias + sum over taps of x * w) for one output row. For a
 * 3x3 window the nine weights of 8 channels stay in registers while the
 * interior pixels of the row stream past; edge pixels take dw_any. */
__attribute__((target("avx2,fma"))) static void dw_row(const job *jb, int64_t b, int64_t oy,
						       float *d)
{
	const nn_node *dw = jb->b->dw;
	const int C = dw->in_c, sx = dw->stride[1];
	const int64_t H = jb->H, W = jb->W, OW = jb->OW;
	const int64_t iy0 = oy * dw->stride[0] - jb->win.pad_top;
	const float *const xb = jb->x + b * H * W * C;
	const __m256 lo = _mm256_set1_ps(dw->clamp_min), hi = _mm256_set1_ps(dw->clamp_max);
	/* interior: all nine taps inside the image */
	int64_t in_lo = OW, in_hi = OW;
	if (dw->ksize[0] == 3 && dw->ksize[1] == 3 && dw->dilation[0] == 1 &&
	    dw->dilation[1] == 1 && iy0 >= 0 && iy0 + 2 < H) {
		in_lo = (jb->win.pad_left + sx - 1) / sx;
		in_hi = W - 3 + jb->win.pad_left >= 0 ? (W - 3 + jb->win.pad_left) / sx + 1 : 0;
		if (in_hi > OW)
			in_hi = OW;
		if (in_lo > in_hi)
			in_lo = in_hi = OW;
	}
	for (int c = 0; c < C; c += 8) {
		const __m256 bias = dw->bias ? _mm256_loadu_ps(dw->bias + c) : _mm256_setzero_ps();
		for (int64_t ox = 0; ox < in_lo; ox++) {
			__m256 acc = _mm256_add_ps(dw_any(jb, xb, iy0, ox, c), bias);
			_mm256_storeu_ps(d + ox * C + c, _mm256_min_ps(_mm256_max_ps(acc, lo), hi));
		}
		if (in_lo < in_hi) {
			const float *w = dw->data + c;
			const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + C),
				     w2 = _mm256_loadu_ps(w + 2 * C), w3 = _mm256_loadu_ps(w + 3 * C),
				     w4 = _mm256_loadu_ps(w + 4 * C), w5 = _mm256_loadu_ps(w + 5 * C),
				     w6 = _mm256_loadu_ps(w + 6 * C), w7 = _mm256_loadu_ps(w + 7 * C),
				     w8 = _mm256_loadu_ps(w + 8 * C);
			const int64_t step = (int64_t)sx * C, WC = W * C;
			const float *x0 = xb + (iy0 * W + in_lo * sx - jb->win.pad_left) * C + c;
			/* four pixels at once: four independent FMA chains hide the
			 * latency that one chain of nine would expose */
#define TAPS(acc, p)                                                                    \
	acc = _mm256_mul_ps(_mm256_loadu_ps(p), w0);                                    \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + C), w1, acc);                         \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + 2 * C), w2, acc);                     \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + WC), w3, acc);                        \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + WC + C), w4, acc);                    \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + WC + 2 * C), w5, acc);                \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + 2 * WC), w6, acc);                    \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + 2 * WC + C), w7, acc);                \
	acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + 2 * WC + 2 * C), w8, acc);
#define STORE(acc, ox)                                                                  \
	_mm256_storeu_ps(d + (ox) * C + c,                                              \
			 _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc, bias), lo), hi));
			int64_t ox = in_lo;
			for (; ox + 4 <= in_hi; ox += 4, x0 += 4 * step) {
				__m256 a0, a1, a2, a3;
				TAPS(a0, x0)
				TAPS(a1, (x0 + step))
				TAPS(a2, (x0 + 2 * step))
				TAPS(a3, (x0 + 3 * step))
				STORE(a0, ox)
				STORE(a1, ox + 1)
				STORE(a2, ox + 2)
				STORE(a3, ox + 3)
			}
			for (; ox < in_hi; ox++, x0 += step) {
				__m256 a0;
				TAPS(a0, x0)
				STORE(a0, ox)
			}
#undef TAPS
#undef STORE
		}
		for (int64_t ox = in_hi; ox < OW; ox++) {
			__m256 acc = _mm256_add_ps(dw_any(jb, xb, iy0, ox, c), bias);
			_mm256_storeu_ps(d + ox * C + c, _mm256_min_ps(_mm256_max_ps(acc, lo), hi));
		}
	}
}

/* Output of one accumulator: y = clamp(acc + bias + r). */
__attribute__((target("avx2,fma"))) static inline void pw_store(const job *jb, size_t pixel,
								int o, __m256 acc)
{
	const nn_node *pw = jb->b->pw;
	const size_t off = pixel * (size_t)pw->out_c + (size_t)o;
	if (pw->bias)
		acc = _mm256_add_ps(acc, _mm256_loadu_ps(pw->bias + o));
	acc = _mm256_add_ps(acc, _mm256_loadu_ps(jb->r + off));
	acc = _mm256_max_ps(acc, _mm256_set1_ps(jb->b->add->clamp_min));
	_mm256_storeu_ps(jb->y + off, _mm256_min_ps(acc, _mm256_set1_ps(jb->b->add->clamp_max)));
}

/* 4 pixels x 24 outputs: twelve named accumulators stay in registers */
__attribute__((target("avx2,fma"))) static void pw_4x24(const job *jb, const float *dp,
							 size_t pixel, int o)
{
	const int C = jb->b->pw->in_c, O = jb->b->pw->out_c;
	const float *wt = jb->b->pw_t + o;
	__m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
	__m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
	for (int c = 0; c < C; c++, wt += O) {
		const __m256 w0 = _mm256_loadu_ps(wt), w1 = _mm256_loadu_ps(wt + 8),
			     w2 = _mm256_loadu_ps(wt + 16);
		__m256 v = _mm256_broadcast_ss(dp + c);
		a00 = _mm256_fmadd_ps(v, w0, a00);
		a01 = _mm256_fmadd_ps(v, w1, a01);
		a02 = _mm256_fmadd_ps(v, w2, a02);
		v = _mm256_broadcast_ss(dp + C + c);
		a10 = _mm256_fmadd_ps(v, w0, a10);
		a11 = _mm256_fmadd_ps(v, w1, a11);
		a12 = _mm256_fmadd_ps(v, w2, a12);
		v = _mm256_broadcast_ss(dp + 2 * C + c);
		a20 = _mm256_fmadd_ps(v, w0, a20);
		a21 = _mm256_fmadd_ps(v, w1, a21);
		a22 = _mm256_fmadd_ps(v, w2, a22);
		v = _mm256_broadcast_ss(dp + 3 * C + c);
		a30 = _mm256_fmadd_ps(v, w0, a30);
		a31 = _mm256_fmadd_ps(v, w1, a31);
		a32 = _mm256_fmadd_ps(v, w2, a32);
	}
	/* epilogue: + bias + r, clamp; every pointer and constant loaded once */
	const nn_node *pw = jb->b->pw;
	const __m256 lo = _mm256_set1_ps(jb->b->add->clamp_min),
		     hi = _mm256_set1_ps(jb->b->add->clamp_max);
	const __m256 b0 = pw->bias ? _mm256_loadu_ps(pw->bias + o) : _mm256_setzero_ps(),
		     b1 = pw->bias ? _mm256_loadu_ps(pw->bias + o + 8) : _mm256_setzero_ps(),
		     b2 = pw->bias ? _mm256_loadu_ps(pw->bias + o + 16) : _mm256_setzero_ps();
	const size_t off = pixel * (size_t)O + (size_t)o;
	const float *r = jb->r + off;
	float *y = jb->y + off;
#define OUT(acc, p, j, bias)                                                             \
	_mm256_storeu_ps(y + (p) * O + 8 * (j),                                          \
			 _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_add_ps(acc, bias),   \
							   _mm256_loadu_ps(r + (p) * O + 8 * (j))), \
					     lo),                                                \
				       hi));
	OUT(a00, 0, 0, b0) OUT(a01, 0, 1, b1) OUT(a02, 0, 2, b2)
	OUT(a10, 1, 0, b0) OUT(a11, 1, 1, b1) OUT(a12, 1, 2, b2)
	OUT(a20, 2, 0, b0) OUT(a21, 2, 1, b1) OUT(a22, 2, 2, b2)
	OUT(a30, 3, 0, b0) OUT(a31, 3, 1, b1) OUT(a32, 3, 2, b2)
#undef OUT
}

/* 1 pixel x 8 outputs: edges of rows and of the output channels */
__attribute__((target("avx2,fma"))) static void pw_1x8(const job *jb, const float *dp,
						        size_t pixel, int o)
{
	const int C = jb->b->pw->in_c, O = jb->b->pw->out_c;
	const float *wt = jb->b->pw_t + o;
	__m256 acc = _mm256_setzero_ps();
	for (int c = 0; c < C; c++, wt += O)
		acc = _mm256_fmadd_ps(_mm256_broadcast_ss(dp + c), _mm256_loadu_ps(wt), acc);
	pw_store(jb, pixel, o, acc);
}

/* y = clamp(d * W + bias + r) for one output row */
static void pw_row(const job *jb, int64_t b, int64_t oy, const float *d)
{
	const int C = jb->b->pw->in_c, O = jb->b->pw->out_c;
	const size_t row0 = (size_t)((b * jb->OH + oy) * jb->OW);
	const int o24 = O - O % 24;
	int64_t ox = 0;
	for (; ox + 4 <= jb->OW; ox += 4) {
		for (int o = 0; o < o24; o += 24)
			pw_4x24(jb, d + ox * C, row0 + (size_t)ox, o);
		for (int64_t p = ox; p < ox + 4; p++)
			for (int o = o24; o < O; o += 8)
				pw_1x8(jb, d + p * C, row0 + (size_t)p, o);
	}
	for (; ox < jb->OW; ox++)
		for (int o = 0; o < O; o += 8)
			pw_1x8(jb, d + ox * C, row0 + (size_t)ox, o);
}

static void row_task(void *ctx, size_t task)
{
	const job *jb = ctx;
	float d[MAX_ROW];
	const int64_t b = (int64_t)task / jb->OH, oy = (int64_t)task % jb->OH;
	dw_row(jb, b, oy, d);
	pw_row(jb, b, oy, d);
}

void nn_block_run(const nn_block *blk, const nn_tensor *x, const nn_tensor *r, nn_tensor *y,
		  void *pool)
{
	job jb = {blk, x->data, r->data, y->data, x->shape.d[1], x->shape.d[2], 0, 0, {0}};
	nn_window_compute(blk->dw, jb.H, jb.W, &jb.win);
	jb.OH = jb.win.out_h;
	jb.OW = jb.win.out_w;
	pthreadpool_parallelize_1d((pthreadpool_t)pool, row_task, &jb,
				   (size_t)(x->shape.d[0] * jb.OH), PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
