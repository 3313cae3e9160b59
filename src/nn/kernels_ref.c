/* Reference kernels: straightforward loops that define each op's result. */
#include "kernels.h"

#include <math.h>
#include <string.h>

int nn_window_compute(const nn_node *n, int64_t in_h, int64_t in_w, nn_window *w)
{
	int64_t in[2] = {in_h, in_w}, out[2];
	int before[2], after[2];
	for (int a = 0; a < 2; a++) {
		int64_t k = (int64_t)(n->ksize[a] - 1) * n->dilation[a] + 1;
		int64_t s = n->stride[a];
		if (k < 1 || s < 1)
			return -1;
		switch (n->padding) {
		case NN_PAD_SAME: {
			out[a] = (in[a] + s - 1) / s;
			int64_t total = (out[a] - 1) * s + k - in[a];
			if (total < 0)
				total = 0;
			before[a] = (int)(total / 2);
			after[a] = (int)(total - total / 2);
			break;
		}
		case NN_PAD_EXPLICIT:
			before[a] = n->pads[a * 2];
			after[a] = n->pads[a * 2 + 1];
			if (in[a] + before[a] + after[a] < k)
				return -1;
			out[a] = (in[a] + before[a] + after[a] - k) / s + 1;
			break;
		default:
			before[a] = after[a] = 0;
			if (in[a] < k)
				return -1;
			out[a] = (in[a] - k) / s + 1;
		}
	}
	w->in_h = in_h;
	w->in_w = in_w;
	w->out_h = out[0];
	w->out_w = out[1];
	w->pad_top = before[0];
	w->pad_bottom = after[0];
	w->pad_left = before[1];
	w->pad_right = after[1];
	return out[0] >= 1 && out[1] >= 1 ? 0 : -1;
}

void nn_epilogue(const nn_node *n, float *y, size_t pixels, int channels, int with_bias)
{
	const float lo = n->clamp_min, hi = n->clamp_max;
	for (size_t p = 0; p < pixels; p++) {
		float *row = y + p * (size_t)channels;
		for (int c = 0; c < channels; c++) {
			float v = row[c];
			if (with_bias && n->bias)
				v += n->bias[c];
			if (n->prelu && v < 0)
				v *= n->prelu[c];
			row[c] = nn_clampf(v, lo, hi);
		}
	}
}

/* x (N,H,W,Ci) * w (Co,KH,KW,Ci) -> y (N,OH,OW,Co) */
void nn_ref_conv2d(const nn_node *n, const nn_tensor *x, nn_tensor *y)
{
	nn_window win;
	nn_window_compute(n, x->shape.d[1], x->shape.d[2], &win);
	const int64_t N = x->shape.d[0], H = x->shape.d[1], W = x->shape.d[2];
	const int ci = n->in_c, co = n->out_c, kh = n->ksize[0], kw = n->ksize[1];
	for (int64_t b = 0; b < N; b++)
		for (int64_t oy = 0; oy < win.out_h; oy++)
			for (int64_t ox = 0; ox < win.out_w; ox++) {
				float *out = y->data + ((b * win.out_h + oy) * win.out_w + ox) * co;
				for (int o = 0; o < co; o++) {
					float acc = 0;
					for (int ky = 0; ky < kh; ky++) {
						int64_t iy = oy * n->stride[0] - win.pad_top + ky * n->dilation[0];
						if (iy < 0 || iy >= H)
							continue;
						for (int kx = 0; kx < kw; kx++) {
							int64_t ix = ox * n->stride[1] - win.pad_left +
								     kx * n->dilation[1];
							if (ix < 0 || ix >= W)
								continue;
							const float *xi = x->data + ((b * H + iy) * W + ix) * ci;
							const float *wi = n->data + (((size_t)o * kh + ky) * kw + kx) * ci;
							for (int c = 0; c < ci; c++)
								acc += xi[c] * wi[c];
						}
					}
					out[o] = acc;
				}
			}
	nn_epilogue(n, y->data, (size_t)(N * win.out_h * win.out_w), co, 1);
}

/* x (N,H,W,C) * w (KH,KW,C*M) -> y (N,OH,OW,C*M); output channel c*M+m reads c */
void nn_ref_dwconv2d(const nn_node *n, const nn_tensor *x, nn_tensor *y)
{
	nn_window win;
	nn_window_compute(n, x->shape.d[1], x->shape.d[2], &win);
	const int64_t N = x->shape.d[0], H = x->shape.d[1], W = x->shape.d[2];
	const int C = n->in_c, CO = n->out_c, M = CO / C, kh = n->ksize[0], kw = n->ksize[1];
	for (int64_t b = 0; b < N; b++)
		for (int64_t oy = 0; oy < win.out_h; oy++)
			for (int64_t ox = 0; ox < win.out_w; ox++) {
				float *out = y->data + ((b * win.out_h + oy) * win.out_w + ox) * CO;
				for (int o = 0; o < CO; o++) {
					float acc = 0;
					for (int ky = 0; ky < kh; ky++) {
						int64_t iy = oy * n->stride[0] - win.pad_top + ky * n->dilation[0];
						if (iy < 0 || iy >= H)
							continue;
						for (int kx = 0; kx < kw; kx++) {
							int64_t ix = ox * n->stride[1] - win.pad_left +
								     kx * n->dilation[1];
							if (ix < 0 || ix >= W)
								continue;
							acc += x->data[((b * H + iy) * W + ix) * C + o / M] *
							       n->data[((size_t)ky * kw + kx) * CO + o];
						}
					}
					out[o] = acc;
				}
			}
	nn_epilogue(n, y->data, (size_t)(N * win.out_h * win.out_w), CO, 1);
}

/* x (R,K) * w (K,N) -> y (R,N) */
void nn_ref_matmul(const nn_node *n, const nn_tensor *x, nn_tensor *y)
{
	const int K = n->in_c, Nn = n->out_c;
	const size_t rows = nn_shape_count(&x->shape) / (size_t)K;
	for (size_t r = 0; r < rows; r++)
		for (int j = 0; j < Nn; j++) {
			float acc = 0;
			for (int k = 0; k < K; k++)
				acc += x->data[r * K + k] * n->data[(size_t)k * Nn + j];
			y->data[r * Nn + j] = acc;
		}
	nn_epilogue(n, y->data, rows, Nn, 1);
}

/* Broadcasting binary op (NumPy rules, shapes right-aligned). */
void nn_ref_binary(nn_op op, const nn_tensor *a, const nn_tensor *b, nn_tensor *y)
{
	const int r = y->shape.rank;
	int64_t sa[NN_MAX_RANK], sb[NN_MAX_RANK];
	/* strides of a and b in y's index space (0 where broadcast) */
	int64_t st = 1, stb = 1;
	for (int i = r - 1; i >= 0; i--) {
		int ia = i - (r - a->shape.rank), ib = i - (r - b->shape.rank);
		int64_t da = ia >= 0 ? a->shape.d[ia] : 1, db = ib >= 0 ? b->shape.d[ib] : 1;
		sa[i] = da == 1 ? 0 : st;
		sb[i] = db == 1 ? 0 : stb;
		st *= da;
		stb *= db;
	}
	const size_t count = nn_shape_count(&y->shape);
	int64_t idx[NN_MAX_RANK] = {0};
	for (size_t e = 0; e < count; e++) {
		int64_t oa = 0, ob = 0;
		for (int i = 0; i < r; i++) {
			oa += idx[i] * sa[i];
			ob += idx[i] * sb[i];
		}
		float u = a->data[oa], v = b->data[ob], z;
		switch (op) {
		case NN_ADD:
			z = u + v;
			break;
		case NN_MUL:
			z = u * v;
			break;
		case NN_MINIMUM:
			z = fminf(u, v);
			break;
		default: /* NN_MAXIMUM */
			z = fmaxf(u, v);
		}
		y->data[e] = z;
		for (int i = r - 1; i >= 0; i--) {
			if (++idx[i] < y->shape.d[i])
				break;
			idx[i] = 0;
		}
	}
}

void nn_ref_unary(nn_op op, const nn_tensor *x, nn_tensor *y)
{
	const size_t count = nn_shape_count(&x->shape);
	for (size_t i = 0; i < count; i++) {
		float v = x->data[i];
		y->data[i] = op == NN_RELU ? fmaxf(v, 0.0f) : 1.0f / (1.0f + expf(-v));
	}
}

/* alpha broadcasts over the last dimension (or is a scalar) */
void nn_ref_prelu(const nn_tensor *x, const nn_tensor *alpha, nn_tensor *y)
{
	const size_t count = nn_shape_count(&x->shape), na = nn_shape_count(&alpha->shape);
	for (size_t i = 0; i < count; i++) {
		float v = x->data[i];
		y->data[i] = v < 0 ? v * alpha->data[i % na] : v;
	}
}

/* softmax over the last dimension */
void nn_ref_softmax(const nn_tensor *x, nn_tensor *y)
{
	const int64_t c = x->shape.d[x->shape.rank - 1];
	const size_t rows = nn_shape_count(&x->shape) / (size_t)c;
	for (size_t r = 0; r < rows; r++) {
		const float *in = x->data + r * c;
		float *out = y->data + r * c, mx = -INFINITY, sum = 0;
		for (int64_t i = 0; i < c; i++)
			mx = fmaxf(mx, in[i]);
		for (int64_t i = 0; i < c; i++)
			sum += out[i] = expf(in[i] - mx);
		for (int64_t i = 0; i < c; i++)
			out[i] /= sum;
	}
}

/* max or average pool; padded cells are skipped (TF semantics) */
void nn_ref_pool(const nn_node *n, const nn_tensor *x, nn_tensor *y)
{
	nn_window win;
	nn_window_compute(n, x->shape.d[1], x->shape.d[2], &win);
	const int64_t N = x->shape.d[0], H = x->shape.d[1], W = x->shape.d[2], C = x->shape.d[3];
	for (int64_t b = 0; b < N; b++)
		for (int64_t oy = 0; oy < win.out_h; oy++)
			for (int64_t ox = 0; ox < win.out_w; ox++)
				for (int64_t c = 0; c < C; c++) {
					float acc = n->op == NN_MAXPOOL ? -INFINITY : 0;
					int cnt = 0;
					for (int ky = 0; ky < n->ksize[0]; ky++) {
						int64_t iy = oy * n->stride[0] - win.pad_top + ky;
						if (iy < 0 || iy >= H)
							continue;
						for (int kx = 0; kx < n->ksize[1]; kx++) {
							int64_t ix = ox * n->stride[1] - win.pad_left + kx;
							if (ix < 0 || ix >= W)
								continue;
							float v = x->data[((b * H + iy) * W + ix) * C + c];
							acc = n->op == NN_MAXPOOL ? fmaxf(acc, v) : acc + v;
							cnt++;
						}
					}
					y->data[((b * win.out_h + oy) * win.out_w + ox) * C + c] =
						n->op == NN_MAXPOOL ? acc : acc / (float)cnt;
				}
}

/* zero padding; pads holds (before, after) per dimension of x */
void nn_ref_pad(const int64_t *pads, const nn_tensor *x, nn_tensor *y)
{
	const int r = x->shape.rank;
	memset(y->data, 0, nn_shape_count(&y->shape) * sizeof(float));
	const size_t count = nn_shape_count(&x->shape);
	int64_t idx[NN_MAX_RANK] = {0};
	for (size_t e = 0; e < count; e++) {
		int64_t off = 0;
		for (int i = 0; i < r; i++)
			off = off * y->shape.d[i] + idx[i] + pads[2 * i];
		y->data[off] = x->data[e];
		for (int i = r - 1; i >= 0; i--) {
			if (++idx[i] < x->shape.d[i])
				break;
			idx[i] = 0;
		}
	}
}

/* mean over the dimensions in axes_mask (bit i = dimension i) */
void nn_ref_mean(unsigned axes_mask, const nn_tensor *x, nn_tensor *y)
{
	const int r = x->shape.rank;
	const size_t out_count = nn_shape_count(&y->shape);
	for (size_t i = 0; i < out_count; i++)
		y->data[i] = 0;
	size_t reduced = 1;
	for (int i = 0; i < r; i++)
		if (axes_mask & (1u << i))
			reduced *= (size_t)x->shape.d[i];
	const size_t count = nn_shape_count(&x->shape);
	int64_t idx[NN_MAX_RANK] = {0};
	for (size_t e = 0; e < count; e++) {
		int64_t off = 0;
		for (int i = 0; i < r; i++)
			if (!(axes_mask & (1u << i)))
				off = off * x->shape.d[i] + idx[i];
		y->data[off] += x->data[e];
		for (int i = r - 1; i >= 0; i--) {
			if (++idx[i] < x->shape.d[i])
				break;
			idx[i] = 0;
		}
	}
	for (size_t i = 0; i < out_count; i++)
		y->data[i] /= (float)reduced;
}
