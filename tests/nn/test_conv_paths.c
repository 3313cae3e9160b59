/* The fast backend's own convolution paths against the reference conv on
 * random shapes from a fixed seed, 1 and 2 threads:
 *  - Winograd F(4x4, 3x3) (src/nn/kernels_winograd.c): sizes that leave
 *    partial tiles, SAME and VALID, bias and clamps, batch 2;
 *  - direct convolution of few-channel images (src/nn/kernels_direct.c):
 *    3x3 to 7x7 windows, strides 1 and 2, prelu;
 *  - convolutions with few output pixels (src/nn/kernels_small.c): 1x1 to
 *    5x5 windows, strides, dilation, SAME/VALID/explicit pads, prelu, odd
 *    panel counts and uneven row passes;
 *  - 1x1 convolutions in bfloat16 (src/nn/kernels_bf16.c) against the
 *    reference conv on inputs and weights rounded to bfloat16;
 *  - a conv on a 1x1 map, run as a matmul of the centre tap. */
#include <pthreadpool.h>

#include "../../src/nn/kernels_bf16.h"
#include "../../src/nn/kernels_direct.h"
#include "../../src/nn/kernels_fast.h"
#include "../../src/nn/kernels_small.h"
#include "../../src/nn/kernels_winograd.h"
#include "test.h"
#include "testrand.h"

#include <stdarg.h>

/* A random fused epilogue for n (out_c set): bias, prelu and clamps, each
 * present or not. */
static void random_epilogue(nn_node *n)
{
	n->bias = irand(0, 1) ? randv((size_t)n->out_c, 1.0f) : NULL;
	n->prelu = irand(0, 2) ? NULL : randv((size_t)n->out_c, 0.5f);
	n->clamp_min = irand(0, 2) ? -INFINITY : 0.0f;
	n->clamp_max = irand(0, 3) ? INFINITY : 2.0f;
}

/* got against want: every element within tol * (1 + max |want|); otherwise
 * the case (printf-style) and the largest difference go to stderr. */
__attribute__((format(printf, 4, 5))) static void check_close(const nn_tensor *got,
							      const nn_tensor *want, double tol,
							      const char *fmt, ...)
{
	const size_t n = nn_shape_count(&want->shape);
	double maxd = 0, maxv = 0;
	for (size_t i = 0; i < n; i++) {
		maxd = fmax(maxd, fabs((double)got->data[i] - want->data[i]));
		maxv = fmax(maxv, fabs((double)want->data[i]));
	}
	if (maxd > tol * (1 + maxv)) {
		va_list ap;
		va_start(ap, fmt);
		fputs("  ", stderr);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, ": max diff %g of %g\n", maxd, maxv);
	}
	CHECK(maxd <= tol * (1 + maxv));
}


static void one_case(pthreadpool_t pool)
{
	const int N = irand(1, 2), H = irand(16, 48), W = irand(16, 48);
	const int C = 8 * irand(1, 8), O = 8 * irand(1, 8);
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = C;
	n.out_c = O;
	n.ksize[0] = n.ksize[1] = 3;
	n.stride[0] = n.stride[1] = n.dilation[0] = n.dilation[1] = 1;
	n.padding = irand(0, 2) ? NN_PAD_SAME : NN_PAD_VALID;
	n.data = randv((size_t)O * 9 * C, 0.2f);
	n.count = (size_t)O * 9 * C;
	n.bias = irand(0, 1) ? randv((size_t)O, 1.0f) : NULL;
	n.clamp_min = irand(0, 1) ? 0.0f : -INFINITY;
	n.clamp_max = irand(0, 3) ? INFINITY : 1.0f;
	nn_shape xs = {4, {N, H, W, C}};
	REQUIRE(nn_wino_fits(&n, &xs) || !__builtin_cpu_supports("avx2"));
	if (!nn_wino_fits(&n, &xs)) {
		free(n.data);
		free(n.bias);
		return;
	}
	nn_window win;
	REQUIRE(nn_window_compute(&n, H, W, &win) == 0);
	const size_t nout = (size_t)N * win.out_h * win.out_w * O;
	nn_tensor x = {xs, randv((size_t)N * H * W * C, 2.0f)};
	nn_tensor want = {{4, {N, win.out_h, win.out_w, O}}, randv(nout, 1)};
	nn_tensor got = {want.shape, randv(nout, 1)};
	nn_ref_conv2d(&n, &x, &want);
	nn_wino *w;
	eid_err err;
	REQUIRE(nn_wino_prepare(&n, &x, &got, pool, &w, &err) == EID_OK);
	REQUIRE(nn_wino_run(w, pool, &err) == EID_OK);
	check_close(&got, &want, 1e-4, "winograd N=%d %dx%dx%d->%d pad %d", N, H, W, C, O,
		    n.padding);
	nn_wino_free(w);
	free(x.data), free(want.data), free(got.data), free(n.data), free(n.bias);
}

static void test_winograd_matches_reference(void)
{
	for (int i = 0; i < 40; i++)
		one_case(NULL);
}

static void test_winograd_two_threads(void)
{
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 20; i++)
		one_case(pool);
	pthreadpool_destroy(pool);
}

static void test_winograd_declines_other_convs(void)
{
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = n.out_c = 32;
	n.ksize[0] = n.ksize[1] = 3;
	n.stride[0] = n.stride[1] = n.dilation[0] = n.dilation[1] = 1;
	nn_shape small = {4, {1, 8, 8, 32}}, big = {4, {1, 17, 17, 32}};
	CHECK(!nn_wino_fits(&n, &small)); /* measured slower there */
	n.stride[0] = n.stride[1] = 2;
	CHECK(!nn_wino_fits(&n, &big));
	n.stride[0] = n.stride[1] = 1;
	n.in_c = 12; /* channels in whole vectors only */
	CHECK(!nn_wino_fits(&n, &big));
}

static void direct_case(pthreadpool_t pool)
{
	const int N = irand(1, 2), H = irand(5, 40), W = irand(5, 40), C = irand(1, 4);
	const int O = 8 * irand(1, 5), k = irand(1, 3) * 2 + 1;
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = C;
	n.out_c = O;
	n.ksize[0] = n.ksize[1] = k;
	n.stride[0] = n.stride[1] = irand(1, 2);
	n.dilation[0] = n.dilation[1] = 1;
	n.padding = irand(0, 1) ? NN_PAD_SAME : NN_PAD_VALID;
	n.data = randv((size_t)O * k * k * C, 0.3f);
	n.count = (size_t)O * k * k * C;
	random_epilogue(&n);
	nn_shape xs = {4, {N, H, W, C}};
	nn_window win;
	if (nn_window_compute(&n, H, W, &win) != 0 || !nn_direct_fits(&n, &xs)) {
		free(n.data), free(n.bias), free(n.prelu);
		return;
	}
	const size_t nout = (size_t)N * win.out_h * win.out_w * O;
	nn_tensor x = {xs, randv((size_t)N * H * W * C, 2.0f)};
	nn_tensor want = {{4, {N, win.out_h, win.out_w, O}}, randv(nout, 1)};
	nn_tensor got = {want.shape, randv(nout, 1)};
	nn_ref_conv2d(&n, &x, &want);
	nn_direct *d;
	eid_err err;
	REQUIRE(nn_direct_prepare(&n, &x, &got, &d, &err) == EID_OK);
	nn_direct_run(d, pool);
	check_close(&got, &want, 1e-4, "direct N=%d %dx%dx%d->%d k%d s%d pad %d", N, H, W, C, O, k,
		    n.stride[0], n.padding);
	nn_direct_free(d);
	free(x.data), free(want.data), free(got.data), free(n.data), free(n.bias), free(n.prelu);
}

static void test_direct_matches_reference(void)
{
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 60; i++)
		direct_case(i % 2 ? pool : NULL);
	pthreadpool_destroy(pool);
}

static int small_ran;
static void small_case(pthreadpool_t pool)
{
	const int N = irand(1, 2), k = 2 * irand(0, 2) + 1;
	const int H = irand(1, 6), W = irand(1, 6), C = irand(8, 300), O = 16 * irand(1, 5);
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = C;
	n.out_c = O;
	n.ksize[0] = k;
	n.ksize[1] = irand(0, 3) ? k : 3;
	n.stride[0] = n.stride[1] = irand(1, 2);
	n.dilation[0] = n.dilation[1] = k > 1 && !irand(0, 3) ? 2 : 1;
	n.padding = (nn_padding)irand(0, 2);
	if (n.padding == NN_PAD_EXPLICIT)
		for (int i = 0; i < 4; i++)
			n.pads[i] = irand(0, 2);
	const size_t nw = (size_t)O * n.ksize[0] * n.ksize[1] * C;
	n.data = randv(nw, 0.2f);
	n.count = nw;
	random_epilogue(&n);
	nn_shape xs = {4, {N, H, W, C}};
	nn_window win;
	if (nn_window_compute(&n, H, W, &win) != 0 || !nn_small_fits(&n, &xs)) {
		free(n.data), free(n.bias), free(n.prelu);
		return;
	}
	const size_t nout = (size_t)N * win.out_h * win.out_w * O;
	nn_tensor x = {xs, randv((size_t)N * H * W * C, 2.0f)};
	nn_tensor want = {{4, {N, win.out_h, win.out_w, O}}, randv(nout, 1)};
	nn_tensor got = {want.shape, randv(nout, 1)};
	nn_ref_conv2d(&n, &x, &want);
	small_ran++;
	nn_small *sm;
	eid_err err;
	REQUIRE(nn_small_prepare(&n, &x, &got, &sm, &err) == EID_OK);
	nn_small_run(sm, pool);
	check_close(&got, &want, 1e-4, "small N=%d %dx%dx%d->%d k%dx%d s%d d%d pad %d", N, H, W, C,
		    O, n.ksize[0], n.ksize[1], n.stride[0], n.dilation[0], n.padding);
	nn_small_free(sm);
	free(x.data), free(want.data), free(got.data), free(n.data), free(n.bias), free(n.prelu);
}

static void test_small_maps_match_reference(void)
{
	if (!__builtin_cpu_supports("avx512f"))
		return; /* the path is AVX-512 only; XNNPACK runs these convs elsewhere */
	test_seed = 4242;
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 120; i++)
		small_case(i % 2 ? pool : NULL);
	CHECK(small_ran >= 60); /* most random shapes take the path */
	pthreadpool_destroy(pool);
}

static void test_small_maps_decline_other_convs(void)
{
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = n.out_c = 256;
	n.ksize[0] = n.ksize[1] = 3;
	n.stride[0] = n.stride[1] = n.dilation[0] = n.dilation[1] = 1;
	n.padding = NN_PAD_SAME;
	nn_shape four = {4, {1, 4, 4, 256}}, eight = {4, {1, 8, 8, 256}}, one = {4, {1, 1, 1, 256}};
	CHECK(!nn_small_fits(&n, &four) == !__builtin_cpu_supports("avx512f"));
	CHECK(!nn_small_fits(&n, &eight)); /* 64 pixels: XNNPACK measured faster */
	CHECK(!nn_small_fits(&n, &one));   /* a lone pixel: the centre-tap matmul */
	n.out_c = 24;                      /* whole 16-output panels only */
	CHECK(!nn_small_fits(&n, &four));
	n.out_c = 256;
	n.op = NN_DWCONV2D;
	CHECK(!nn_small_fits(&n, &four));
}

/* The bf16 kernel must equal the float conv of the rounded values up to
 * float summation order: rounding is its only departure from the reference. */
static void bf16_case(pthreadpool_t pool)
{
	const int N = irand(1, 2), H = irand(1, 20), W = irand(1, 20);
	const int C = 2 * irand(1, 300), O = 16 * irand(1, 7);
	nn_node n = {0};
	n.op = NN_CONV2D;
	n.in_c = C;
	n.out_c = O;
	n.ksize[0] = n.ksize[1] = 1;
	n.stride[0] = n.stride[1] = n.dilation[0] = n.dilation[1] = 1;
	n.padding = irand(0, 1) ? NN_PAD_SAME : NN_PAD_VALID;
	n.data = randv((size_t)O * C, 0.5f);
	n.count = (size_t)O * C;
	random_epilogue(&n);
	nn_shape xs = {4, {N, H, W, C}};
	REQUIRE(nn_bf16_fits(&n, &xs));
	const size_t nin = (size_t)N * H * W * C, nout = (size_t)N * H * W * O;
	nn_tensor x = {xs, randv(nin, 2.0f)};
	nn_tensor want = {{4, {N, H, W, O}}, randv(nout, 1)};
	nn_tensor got = {want.shape, randv(nout, 1)};
	nn_bf16 *b;
	eid_err err;
	REQUIRE(nn_bf16_prepare(&n, &x, &got, &b, &err) == EID_OK);
	nn_bf16_run(b, pool);
	/* the reference on the rounded values */
	for (size_t i = 0; i < nin; i++)
		x.data[i] = nn_bf16_round(x.data[i]);
	for (size_t i = 0; i < (size_t)O * C; i++)
		n.data[i] = nn_bf16_round(n.data[i]);
	nn_ref_conv2d(&n, &x, &want);
	check_close(&got, &want, 1e-5, "bf16 N=%d %dx%dx%d->%d", N, H, W, C, O);
	nn_bf16_free(b);
	free(x.data), free(want.data), free(got.data), free(n.data), free(n.bias), free(n.prelu);
}

static void test_bf16_is_the_conv_of_rounded_values(void)
{
	if (!nn_bf16_available())
		return; /* AVX512_BF16 only; sessions fall back to float elsewhere */
	test_seed = 1616;
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 60; i++)
		bf16_case(i % 2 ? pool : NULL);
	pthreadpool_destroy(pool);
}

static void test_bf16_rounds_to_nearest_even(void)
{
	/* 8 significant bits: steps of 1/128 above 1 */
	CHECK(nn_bf16_round(1.0f) == 1.0f);
	CHECK(nn_bf16_round(1.0f + 1.0f / 256) == 1.0f);              /* tie: to even */
	CHECK(nn_bf16_round(1.0f + 3.0f / 256) == 1.0f + 4.0f / 256); /* tie: to even */
	CHECK(nn_bf16_round(1.0f + 1.5f / 256) == 1.0f + 2.0f / 256); /* above half */
	CHECK(nn_bf16_round(-3.0f) == -3.0f);
}

static void test_conv_on_one_pixel_is_centre_tap_matmul(void)
{
	test_seed = 777;
	for (int i = 0; i < 10; i++) {
		const int C = irand(1, 40), O = irand(1, 40), k = 2 * irand(0, 2) + 1, N = irand(1, 3);
		nn_node n = {0};
		n.op = NN_CONV2D;
		n.in_c = C;
		n.out_c = O;
		n.ksize[0] = n.ksize[1] = k;
		n.stride[0] = n.stride[1] = n.dilation[0] = n.dilation[1] = 1;
		n.padding = NN_PAD_SAME;
		n.data = randv((size_t)O * k * k * C, 0.5f);
		n.count = (size_t)O * k * k * C;
		n.bias = randv((size_t)O, 1.0f);
		n.clamp_min = 0.0f;
		n.clamp_max = INFINITY;
		nn_tensor x = {{4, {N, 1, 1, C}}, randv((size_t)N * C, 1.0f)};
		nn_tensor want = {{4, {N, 1, 1, O}}, randv((size_t)N * O, 1)};
		nn_tensor got = {want.shape, randv((size_t)N * O, 1)};
		nn_ref_conv2d(&n, &x, &want);
		void *op;
		eid_err err;
		REQUIRE(nn_fast_prepare(&n, &x, &got, NULL, 0, &op, &err) == EID_OK);
		REQUIRE(nn_fast_run(&n, op, NULL, &got, &err) == EID_OK);
		for (int j = 0; j < N * O; j++)
			CHECK_NEAR(got.data[j], want.data[j], 1e-4 * (1 + fabs(want.data[j])));
		nn_fast_release(op);
		free(x.data), free(want.data), free(got.data), free(n.data), free(n.bias);
	}
}

TEST_MAIN(test_conv_on_one_pixel_is_centre_tap_matmul, test_winograd_matches_reference, test_winograd_two_threads,
	  test_winograd_declines_other_convs, test_direct_matches_reference,
	  test_small_maps_match_reference, test_small_maps_decline_other_convs,
	  test_bf16_is_the_conv_of_rounded_values, test_bf16_rounds_to_nearest_even)
