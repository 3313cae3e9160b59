/* Winograd F(4x4, 3x3) convolution (see kernels_winograd.h), after Lavin &
 * Gray, "Fast Algorithms for Convolutional Neural Networks" (2016):
 *   input tile d (6x6):  V = B^T d B      filter g (3x3):  U = G g G^T
 *   product m (6x6):     Y = A^T m A      (4x4 outputs)
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *          1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * Matrices are stored position-major: V[k][tile][c], M[k][tile][o], U[k][c][o]
 * for the 36 positions k of the transformed tile; the tile count is rounded up
 * to a multiple of 6 rows for the GEMM kernel (padding rows stay zero). */
#include "kernels_winograd.h"

#include <immintrin.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_fast.h"

struct nn_wino {
	const nn_node *n;
	const float *x;
	float *y;
	int64_t H, W, OH, OW, tiles_h, tiles_w;
	int pad_top, pad_left, C, O;
	size_t tiles, rows; /* real tiles; GEMM rows (tiles rounded up to 6) */
	float *v, *m, *u;
};

int nn_wino_fits(const nn_node *n, const nn_shape *x)
{
	static int cpu = -1;
	if (cpu < 0) {
		__builtin_cpu_init();
		cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	}
	/* the map size limit was measured on the dlib ResNet: faster than
	 * XNNPACK's direct conv on its 35x35 and 17x17 maps (about 4% of the
	 * whole net at 17x17, despite the edge tiles), slower at 8x8
	 * (transformed filters are 4x the weights) */
	return cpu && n->op == NN_CONV2D && n->ksize[0] == 3 && n->ksize[1] == 3 &&
	       n->stride[0] == 1 && n->stride[1] == 1 && n->dilation[0] == 1 &&
	       n->dilation[1] == 1 && !n->prelu && n->in_c % 8 == 0 && n->out_c % 8 == 0 &&
	       x->rank == 4 && x->d[1] >= 16 && x->d[2] >= 16 && !getenv("EID_NO_WINOGRAD");
}

void nn_wino_free(nn_wino *w)
{
	if (!w)
		return;
	free(w->v);
	free(w->m);
	free(w->u);
	free(w);
}

/* G applied to a column of 3: six values */
static void g_apply(const double g[3], double out[6])
{
	out[0] = g[0] / 4;
	out[1] = -(g[0] + g[1] + g[2]) / 6;
	out[2] = -(g[0] - g[1] + g[2]) / 6;
	out[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
	out[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
	out[5] = g[2];
}

/* U = G g G^T for every (c, o); g from the OHWI filter [o][ky][kx][c] */
static void transform_filters(const nn_node *n, float *u)
{
	const int C = n->in_c, O = n->out_c;
	for (int o = 0; o < O; o++)
		for (int c = 0; c < C; c++) {
			double t[3][6]; /* t[j] = G g[:, j] */
			for (int j = 0; j < 3; j++) {
				double col[3];
				for (int i = 0; i < 3; i++)
					col[i] = n->data[(((size_t)o * 3 + i) * 3 + j) * C + c];
				g_apply(col, t[j]);
			}
			for (int i = 0; i < 6; i++) {
				double row[3] = {t[0][i], t[1][i], t[2][i]}, r[6];
				g_apply(row, r);
				for (int j = 0; j < 6; j++)
					u[((size_t)(i * 6 + j) * C + c) * O + o] = (float)r[j];
			}
		}
}

eid_status nn_wino_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y, void *pool,
			   nn_wino **out, eid_err *err)
{
	*out = NULL;
	nn_window win;
	nn_window_compute(n, x->shape.d[1], x->shape.d[2], &win);
	nn_wino *w = calloc(1, sizeof(*w));
	if (!w)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	w->n = n;
	w->x = x->data;
	w->y = y->data;
	w->H = x->shape.d[1];
	w->W = x->shape.d[2];
	w->OH = win.out_h;
	w->OW = win.out_w;
	w->pad_top = win.pad_top;
	w->pad_left = win.pad_left;
	w->C = n->in_c;
	w->O = n->out_c;
	w->tiles_h = (w->OH + 3) / 4;
	w->tiles_w = (w->OW + 3) / 4;
	w->tiles = (size_t)(x->shape.d[0] * w->tiles_h * w->tiles_w);
	w->rows = (w->tiles + 5) / 6 * 6;
	w->v = calloc(36 * w->rows * (size_t)w->C, sizeof(float));
	w->m = malloc(36 * w->rows * (size_t)w->O * sizeof(float));
	w->u = malloc(36 * (size_t)w->C * (size_t)w->O * sizeof(float));
	if (!w->v || !w->m || !w->u) {
		nn_wino_free(w);
		return eid_fail(err, EID_E_NOMEM, "out of memory for a winograd conv");
	}
	transform_filters(n, w->u);
	*out = w;
	return EID_OK;
}

static void tile_coords(const nn_wino *w, size_t t, int64_t *b, int64_t *ty, int64_t *tx)
{
	const int64_t per_img = w->tiles_h * w->tiles_w;
	*b = (int64_t)t / per_img;
	*ty = ((int64_t)t % per_img) / w->tiles_w;
	*tx = (int64_t)t % w->tiles_w;
}

/* B^T applied to six vectors */
__attribute__((target("avx2,fma"))) static inline void bt_apply(const __m256 z[6], __m256 r[6])
{
	const __m256 two = _mm256_set1_ps(2), four = _mm256_set1_ps(4), five = _mm256_set1_ps(5);
	r[0] = _mm256_add_ps(_mm256_fnmadd_ps(five, z[2], _mm256_mul_ps(four, z[0])), z[4]);
	r[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(z[1], z[2]), _mm256_add_ps(z[3], z[4]));
	r[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(z[1], z[2]), _mm256_sub_ps(z[4], z[3]));
	r[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(z[3], z[1]), _mm256_sub_ps(z[4], z[2]));
	r[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(z[1], z[3]), _mm256_sub_ps(z[4], z[2]));
	r[5] = _mm256_add_ps(_mm256_fnmadd_ps(five, z[3], _mm256_mul_ps(four, z[1])), z[5]);
}

/* V = B^T d B for one tile, 8 channels per step; taps outside the image are 0 */
__attribute__((target("avx2,fma"))) static void input_tile(void *ctx, size_t t)
{
	const nn_wino *w = ctx;
	const int C = w->C;
	int64_t b, ty, tx;
	tile_coords(w, t, &b, &ty, &tx);
	const int64_t y0 = 4 * ty - w->pad_top, x0 = 4 * tx - w->pad_left;
	const float *p[6][6];
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 6; j++) {
			const int64_t iy = y0 + i, ix = x0 + j;
			p[i][j] = iy >= 0 && iy < w->H && ix >= 0 && ix < w->W
					  ? w->x + ((b * w->H + iy) * w->W + ix) * C
					  : NULL;
		}
	const size_t ks = w->rows * (size_t)C;
	float *v = w->v + t * (size_t)C;
	for (int c = 0; c < C; c += 8) {
		__m256 r[6][6]; /* r[j] = B^T d[:, j] */
		for (int j = 0; j < 6; j++) {
			__m256 col[6];
			for (int i = 0; i < 6; i++)
				col[i] = p[i][j] ? _mm256_loadu_ps(p[i][j] + c) : _mm256_setzero_ps();
			bt_apply(col, r[j]);
		}
		for (int i = 0; i < 6; i++) {
			__m256 row[6], out[6];
			for (int j = 0; j < 6; j++)
				row[j] = r[j][i];
			bt_apply(row, out);
			for (int j = 0; j < 6; j++)
				_mm256_storeu_ps(v + (6 * i + j) * ks + c, out[j]);
		}
	}
}

/* A^T applied to six vectors: four */
__attribute__((target("avx2,fma"))) static inline void at_apply(const __m256 z[6], __m256 r[4])
{
	const __m256 two = _mm256_set1_ps(2), four = _mm256_set1_ps(4), eight = _mm256_set1_ps(8);
	const __m256 s12 = _mm256_add_ps(z[1], z[2]), d12 = _mm256_sub_ps(z[1], z[2]);
	const __m256 s34 = _mm256_add_ps(z[3], z[4]), d34 = _mm256_sub_ps(z[3], z[4]);
	r[0] = _mm256_add_ps(_mm256_add_ps(z[0], s12), s34);
	r[1] = _mm256_fmadd_ps(two, d34, d12);
	r[2] = _mm256_fmadd_ps(four, s34, s12);
	r[3] = _mm256_add_ps(_mm256_fmadd_ps(eight, d34, d12), z[5]);
}

/* Y = A^T m A + bias for one tile, clamped, written where inside y */
__attribute__((target("avx2,fma"))) static void output_tile(void *ctx, size_t t)
{
	const nn_wino *w = ctx;
	const nn_node *n = w->n;
	const int O = w->O;
	int64_t b, ty, tx;
	tile_coords(w, t, &b, &ty, &tx);
	const int64_t ny = w->OH - 4 * ty < 4 ? w->OH - 4 * ty : 4,
		      nx = w->OW - 4 * tx < 4 ? w->OW - 4 * tx : 4;
	float *y = w->y + ((b * w->OH + 4 * ty) * w->OW + 4 * tx) * O;
	const size_t ks = w->rows * (size_t)O;
	const float *m = w->m + t * (size_t)O;
	const __m256 lo = _mm256_set1_ps(n->clamp_min), hi = _mm256_set1_ps(n->clamp_max);
	for (int o = 0; o < O; o += 8) {
		__m256 s[6][4]; /* s[j] = A^T m[:, j] */
		for (int j = 0; j < 6; j++) {
			__m256 col[6];
			for (int i = 0; i < 6; i++)
				col[i] = _mm256_loadu_ps(m + (6 * i + j) * ks + o);
			at_apply(col, s[j]);
		}
		const __m256 bias = n->bias ? _mm256_loadu_ps(n->bias + o) : _mm256_setzero_ps();
		for (int64_t a = 0; a < ny; a++) {
			__m256 row[6], out[4];
			for (int j = 0; j < 6; j++)
				row[j] = s[j][a];
			at_apply(row, out);
			for (int64_t e = 0; e < nx; e++)
				_mm256_storeu_ps(y + (a * w->OW + e) * O + o,
						 _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(out[e], bias), lo), hi));
		}
	}
}

/* C[r][n] = sum_k A[r][k] * B[k][n] for 6 rows x 16 columns: twelve
 * accumulators, two weight vectors and one broadcast in registers. */
__attribute__((target("avx2,fma"))) static void gemm_6x16(const float *a, const float *b,
							   float *c, int K, int N)
{
	__m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
	__m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
	for (int k = 0; k < K; k++, b += N) {
		const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
		__m256 x = _mm256_broadcast_ss(a + k);
		c00 = _mm256_fmadd_ps(x, b0, c00);
		c01 = _mm256_fmadd_ps(x, b1, c01);
		x = _mm256_broadcast_ss(a + K + k);
		c10 = _mm256_fmadd_ps(x, b0, c10);
		c11 = _mm256_fmadd_ps(x, b1, c11);
		x = _mm256_broadcast_ss(a + 2 * K + k);
		c20 = _mm256_fmadd_ps(x, b0, c20);
		c21 = _mm256_fmadd_ps(x, b1, c21);
		x = _mm256_broadcast_ss(a + 3 * K + k);
		c30 = _mm256_fmadd_ps(x, b0, c30);
		c31 = _mm256_fmadd_ps(x, b1, c31);
		x = _mm256_broadcast_ss(a + 4 * K + k);
		c40 = _mm256_fmadd_ps(x, b0, c40);
		c41 = _mm256_fmadd_ps(x, b1, c41);
		x = _mm256_broadcast_ss(a + 5 * K + k);
		c50 = _mm256_fmadd_ps(x, b0, c50);
		c51 = _mm256_fmadd_ps(x, b1, c51);
	}
	_mm256_storeu_ps(c, c00), _mm256_storeu_ps(c + 8, c01);
	_mm256_storeu_ps(c + N, c10), _mm256_storeu_ps(c + N + 8, c11);
	_mm256_storeu_ps(c + 2 * N, c20), _mm256_storeu_ps(c + 2 * N + 8, c21);
	_mm256_storeu_ps(c + 3 * N, c30), _mm256_storeu_ps(c + 3 * N + 8, c31);
	_mm256_storeu_ps(c + 4 * N, c40), _mm256_storeu_ps(c + 4 * N + 8, c41);
	_mm256_storeu_ps(c + 5 * N, c50), _mm256_storeu_ps(c + 5 * N + 8, c51);
}

/* the same for one row and 8 columns: the edges */
__attribute__((target("avx2,fma"))) static void gemm_1x8(const float *a, const float *b,
							  float *c, int K, int N)
{
	__m256 acc = _mm256_setzero_ps();
	for (int k = 0; k < K; k++, b += N)
		acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_loadu_ps(b), acc);
	_mm256_storeu_ps(c, acc);
}

#define ROWS_PER_TASK 48

/* task (k, block): rows [block*48, +48) of M_k = V_k * U_k */
static void gemm_task(void *ctx, size_t k, size_t block)
{
	const nn_wino *w = ctx;
	const int K = w->C, N = w->O;
	const float *A = w->v + k * w->rows * (size_t)K, *B = w->u + k * (size_t)K * N;
	float *Cm = w->m + k * w->rows * (size_t)N;
	size_t r = block * ROWS_PER_TASK, end = r + ROWS_PER_TASK;
	if (end > w->rows)
		end = w->rows;
	const int n16 = N - N % 16;
	for (; r + 6 <= end; r += 6) {
		for (int n = 0; n < n16; n += 16)
			gemm_6x16(A + r * K, B + n, Cm + r * N + n, K, N);
		for (int n = n16; n < N; n += 8)
			for (size_t i = r; i < r + 6; i++)
				gemm_1x8(A + i * K, B + n, Cm + i * N + n, K, N);
	}
	for (; r < end; r++)
		for (int n = 0; n < N; n += 8)
			gemm_1x8(A + r * K, B + n, Cm + r * N + n, K, N);
}

eid_status nn_wino_run(nn_wino *w, void *pool, eid_err *err)
{
	(void)err; /* nothing here can fail once prepared */
	pthreadpool_parallelize_1d((pthreadpool_t)pool, input_tile, w, w->tiles,
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
	pthreadpool_parallelize_2d((pthreadpool_t)pool, gemm_task, w, 36,
				   (w->rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK,
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
	pthreadpool_parallelize_1d((pthreadpool_t)pool, output_tile, w, w->tiles,
				   PTHREADPOOL_FLAG_DISABLE_DENORMALS);
	return EID_OK;
}
