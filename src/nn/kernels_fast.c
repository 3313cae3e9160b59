/* Fast kernels: XNNPACK operators for convolutions, matmuls and pools, and
 * contiguous loops (vectorised by the compiler) for elementwise ops. Each is
 * tested against its reference kernel in tests/nn/test_kernels.c. */
#include "kernels_fast.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include "kernels_bf16.h"
#include "kernels_direct.h"
#include "kernels_small.h"
#include "kernels_winograd.h"

static pthread_once_t xnn_once = PTHREAD_ONCE_INIT;
static enum xnn_status xnn_init_status;

static void xnn_init(void)
{
	xnn_init_status = xnn_initialize(NULL);
}

int nn_fast_available(void)
{
	pthread_once(&xnn_once, xnn_init);
	return xnn_init_status == xnn_status_success;
}

static eid_status xfail(eid_err *err, const nn_node *n, const char *what, enum xnn_status s)
{
	return eid_fail(err, EID_E_BACKEND, "node '%s' (%s): xnnpack %s failed (status %d)",
			n->name, nn_op_name(n->op), what, (int)s);
}

/* What nn_fast_prepare hands the session: one XNNPACK operator, or a
 * Winograd convolution (itself a set of operators). */
typedef struct fast_op {
	xnn_operator_t xnn;
	nn_wino *wino;
	nn_direct *direct;
	nn_small *small;
	nn_bf16 *bf16;
} fast_op;

static eid_status prepare_xnn(const nn_node *n, const nn_tensor *x, nn_tensor *y, void *pool,
			      xnn_operator_t *op_out, eid_err *err);

eid_status nn_fast_prepare(const nn_node *n, const nn_tensor *x, nn_tensor *y, void *pool,
			   int bf16, void **op_out, eid_err *err)
{
	*op_out = NULL;
	fast_op *f = calloc(1, sizeof(*f));
	if (!f)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = nn_wino_fits(n, &x->shape)     ? nn_wino_prepare(n, x, y, pool, &f->wino, err)
			: nn_direct_fits(n, &x->shape) ? nn_direct_prepare(n, x, y, &f->direct, err)
			: nn_small_fits(n, &x->shape)  ? nn_small_prepare(n, x, y, &f->small, err)
			: bf16 && nn_bf16_fits(n, &x->shape) ? nn_bf16_prepare(n, x, y, &f->bf16, err)
						       : prepare_xnn(n, x, y, pool, &f->xnn, err);
	if (st || (!f->xnn && !f->wino && !f->direct && !f->small && !f->bf16)) {
		free(f);
		return st;
	}
	*op_out = f;
	return EID_OK;
}

static eid_status prepare_xnn(const nn_node *n, const nn_tensor *x, nn_tensor *y, void *pool,
			      xnn_operator_t *op_out, eid_err *err)
{
	*op_out = NULL;
	if (!nn_fast_available())
		return eid_fail(err, EID_E_BACKEND, "xnnpack is not available on this cpu");
	xnn_operator_t op = NULL;
	enum xnn_status s;
	nn_window w;
	/* a prelu epilogue runs after xnnpack, so the clamp must wait for it */
	float lo = n->prelu ? -INFINITY : n->clamp_min, hi = n->prelu ? INFINITY : n->clamp_max;
	const size_t batch = (size_t)x->shape.d[0];

	switch (n->op) {
	case NN_CONV2D:
	case NN_DWCONV2D: {
		nn_window_compute(n, x->shape.d[1], x->shape.d[2], &w);
		int dw = n->op == NN_DWCONV2D;
		if (!dw && w.in_h == 1 && w.in_w == 1 && w.out_h == 1 && w.out_w == 1) {
			/* a 1x1 map: only the tap over the pixel meets data, so the conv is
			 * a matmul with that tap's weights (ResNet tails, 3x3 SAME on 1x1) */
			const size_t ci = (size_t)n->in_c, co = (size_t)n->out_c;
			const size_t tap = (size_t)w.pad_top * (size_t)n->ksize[1] + (size_t)w.pad_left;
			float *wt = malloc(ci * co * sizeof(float));
			if (!wt)
				return eid_fail(err, EID_E_NOMEM, "out of memory");
			for (size_t o = 0; o < co; o++)
				memcpy(wt + o * ci, n->data + (o * (size_t)n->ksize[0] * n->ksize[1] + tap) * ci,
				       ci * sizeof(float));
			s = xnn_create_fully_connected_nc_f32(ci, co, ci, co, wt, n->bias, lo, hi, 0, &op);
			free(wt); /* xnnpack packed its own copy */
			if (s != xnn_status_success)
				return xfail(err, n, "create", s);
			s = xnn_setup_fully_connected_nc_f32(op, batch, x->data, y->data, pool);
			break;
		}
		s = xnn_create_convolution2d_nhwc_f32(
			(uint32_t)w.pad_top, (uint32_t)w.pad_right, (uint32_t)w.pad_bottom,
			(uint32_t)w.pad_left, (uint32_t)n->ksize[0], (uint32_t)n->ksize[1],
			(uint32_t)n->stride[0], (uint32_t)n->stride[1], (uint32_t)n->dilation[0],
			(uint32_t)n->dilation[1], dw ? (uint32_t)n->in_c : 1, dw ? 1 : (size_t)n->in_c,
			dw ? (size_t)(n->out_c / n->in_c) : (size_t)n->out_c, (size_t)n->in_c,
			(size_t)n->out_c, n->data, n->bias, lo, hi,
			dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
		if (s != xnn_status_success)
			return xfail(err, n, "create", s);
		s = xnn_setup_convolution2d_nhwc_f32(op, batch, (size_t)w.in_h, (size_t)w.in_w,
						     x->data, y->data, pool);
		break;
	}
	case NN_MATMUL: {
		size_t rows = nn_shape_count(&x->shape) / (size_t)n->in_c;
		s = xnn_create_fully_connected_nc_f32((size_t)n->in_c, (size_t)n->out_c,
						      (size_t)n->in_c, (size_t)n->out_c, n->data,
						      n->bias, lo, hi, XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
		if (s != xnn_status_success)
			return xfail(err, n, "create", s);
		s = xnn_setup_fully_connected_nc_f32(op, rows, x->data, y->data, pool);
		break;
	}
	case NN_MAXPOOL:
	case NN_AVGPOOL: {
		if (n->ksize[0] == 1 && n->ksize[1] == 1)
			return EID_OK; /* xnnpack refuses 1x1 pools: the reference kernel runs it */
		nn_window_compute(n, x->shape.d[1], x->shape.d[2], &w);
		size_t c = (size_t)x->shape.d[3];
		if (n->op == NN_MAXPOOL)
			s = xnn_create_max_pooling2d_nhwc_f32(
				(uint32_t)w.pad_top, (uint32_t)w.pad_right, (uint32_t)w.pad_bottom,
				(uint32_t)w.pad_left, (uint32_t)n->ksize[0], (uint32_t)n->ksize[1],
				(uint32_t)n->stride[0], (uint32_t)n->stride[1], 1, 1, c, c, c,
				-INFINITY, INFINITY, 0, &op);
		else
			s = xnn_create_average_pooling2d_nhwc_f32(
				(uint32_t)w.pad_top, (uint32_t)w.pad_right, (uint32_t)w.pad_bottom,
				(uint32_t)w.pad_left, (uint32_t)n->ksize[0], (uint32_t)n->ksize[1],
				(uint32_t)n->stride[0], (uint32_t)n->stride[1], c, c, c, -INFINITY,
				INFINITY, 0, &op);
		if (s != xnn_status_success)
			return xfail(err, n, "create", s);
		if (n->op == NN_MAXPOOL)
			s = xnn_setup_max_pooling2d_nhwc_f32(op, batch, (size_t)w.in_h,
							     (size_t)w.in_w, x->data, y->data, pool);
		else
			s = xnn_setup_average_pooling2d_nhwc_f32(op, batch, (size_t)w.in_h,
								 (size_t)w.in_w, x->data, y->data, pool);
		break;
	}
	default:
		return EID_OK; /* no xnnpack operator: nn_fast_* loops or reference */
	}
	if (s != xnn_status_success) {
		xnn_delete_operator(op);
		return xfail(err, n, "setup", s);
	}
	*op_out = op;
	return EID_OK;
}

eid_status nn_fast_run(const nn_node *n, void *op, void *pool, nn_tensor *y, eid_err *err)
{
	fast_op *f = op;
	if (f->wino)
		return nn_wino_run(f->wino, pool, err); /* prelu never takes this path */
	if (f->direct) {
		nn_direct_run(f->direct, pool); /* epilogue included */
		return EID_OK;
	}
	if (f->small) {
		nn_small_run(f->small, pool); /* epilogue included */
		return EID_OK;
	}
	if (f->bf16) {
		nn_bf16_run(f->bf16, pool); /* epilogue included */
		return EID_OK;
	}
	enum xnn_status s = xnn_run_operator(f->xnn, pool);
	if (s != xnn_status_success)
		return xfail(err, n, "run", s);
	if (n->prelu) {
		int c = (int)y->shape.d[y->shape.rank - 1];
		nn_epilogue(n, y->data, nn_shape_count(&y->shape) / (size_t)c, c, 0);
	}
	return EID_OK;
}

void nn_fast_release(void *op)
{
	fast_op *f = op;
	if (!f)
		return;
	if (f->xnn)
		xnn_delete_operator(f->xnn);
	nn_wino_free(f->wino);
	nn_direct_free(f->direct);
	nn_small_free(f->small);
	nn_bf16_free(f->bf16);
	free(f);
}

static inline float binop(nn_op op, float u, float v)
{
	switch (op) {
	case NN_ADD:
		return u + v;
	case NN_MUL:
		return u * v;
	case NN_MINIMUM:
		return u < v ? u : v;
	default:
		return u > v ? u : v;
	}
}

/* elementwise loops: -O3 vectorises them, target_clones picks AVX2 where
 * present (not in the libFuzzer build: clang cannot link its ifuncs there) */
#ifdef EID_NO_TARGET_CLONES
#define AVX2_CLONES
#else
#define AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#endif

/* The common broadcasts get contiguous loops; anything else the reference. */
AVX2_CLONES void
nn_fast_binary(nn_op op, const nn_tensor *a, const nn_tensor *b, nn_tensor *y, float lo, float hi)
{
	const size_t n = nn_shape_count(&y->shape), na = nn_shape_count(&a->shape),
		     nb = nn_shape_count(&b->shape);
	const int64_t c = y->shape.rank ? y->shape.d[y->shape.rank - 1] : 1;
	const float *restrict pa = a->data, *restrict pb = b->data;
	float *restrict py = y->data;
	if (na == n && nb == n) {
		switch (op) {
		case NN_ADD:
			for (size_t i = 0; i < n; i++)
				py[i] = nn_clampf(pa[i] + pb[i], lo, hi);
			return;
		case NN_MUL:
			for (size_t i = 0; i < n; i++)
				py[i] = nn_clampf(pa[i] * pb[i], lo, hi);
			return;
		default:
			for (size_t i = 0; i < n; i++)
				py[i] = nn_clampf(binop(op, pa[i], pb[i]), lo, hi);
			return;
		}
	}
	if (na == n && (nb == 1 || (nb == (size_t)c && b->shape.d[b->shape.rank - 1] == c))) {
		for (size_t i = 0; i < n; i += (size_t)c)
			for (int64_t k = 0; k < c; k++)
				py[i + k] = nn_clampf(binop(op, pa[i + k], pb[nb == 1 ? 0 : k]), lo, hi);
		return;
	}
	if (nb == n && (na == 1 || (na == (size_t)c && a->shape.d[a->shape.rank - 1] == c))) {
		for (size_t i = 0; i < n; i += (size_t)c)
			for (int64_t k = 0; k < c; k++)
				py[i + k] = nn_clampf(binop(op, pa[na == 1 ? 0 : k], pb[i + k]), lo, hi);
		return;
	}
	nn_ref_binary(op, a, b, y);
	for (size_t i = 0; i < n; i++)
		py[i] = nn_clampf(py[i], lo, hi);
}

/* alpha per channel (last dimension) or scalar: rows of contiguous channels */
AVX2_CLONES void
nn_fast_prelu(const nn_tensor *x, const nn_tensor *alpha, nn_tensor *y)
{
	const size_t n = nn_shape_count(&x->shape), na = nn_shape_count(&alpha->shape);
	const int64_t c = x->shape.rank ? x->shape.d[x->shape.rank - 1] : 1;
	if (na != 1 && (int64_t)na != c) {
		nn_ref_prelu(x, alpha, y);
		return;
	}
	const float *restrict px = x->data, *restrict pa = alpha->data;
	float *restrict py = y->data;
	if (na == 1) {
		for (size_t i = 0; i < n; i++)
			py[i] = px[i] < 0 ? px[i] * pa[0] : px[i];
		return;
	}
	for (size_t i = 0; i < n; i += (size_t)c)
		for (int64_t k = 0; k < c; k++)
			py[i + k] = px[i + k] < 0 ? px[i + k] * pa[k] : px[i + k];
}

void nn_fast_pad(const int64_t *pads, const nn_tensor *x, nn_tensor *y)
{
	const int r = x->shape.rank;
	if (r == 0 || pads[2 * (r - 1)] < 0) { /* a scalar has no rows to copy */
		nn_ref_pad(pads, x, y);
		return;
	}
	const int64_t row = x->shape.d[r - 1];
	memset(y->data, 0, nn_shape_count(&y->shape) * sizeof(float));
	const size_t rows = nn_shape_count(&x->shape) / (size_t)row;
	int64_t idx[NN_MAX_RANK] = {0};
	for (size_t e = 0; e < rows; e++) {
		int64_t off = 0;
		for (int i = 0; i < r - 1; i++)
			off = off * y->shape.d[i] + idx[i] + pads[2 * i];
		off = off * y->shape.d[r - 1] + pads[2 * (r - 1)];
		memcpy(y->data + off, x->data + e * (size_t)row, (size_t)row * sizeof(float));
		for (int i = r - 2; i >= 0; i--) {
			if (++idx[i] < x->shape.d[i])
				break;
			idx[i] = 0;
		}
	}
}
