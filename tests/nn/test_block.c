/* The fused residual blocks (src/nn/kernels_block.c) against the reference
 * kernels composed, y = clamp(conv1x1(dwconv(x)) + r), one block and chains
 * of blocks (line-buffer pipeline, 1 to 3 bands). Random shapes from a fixed
 * seed, 1 and 2 threads. */
#include <pthreadpool.h>

#include "../../src/nn/kernels_block.h"
#include "test.h"
#include "testrand.h"


static void one_case(pthreadpool_t pool)
{
	static const int chans[] = {8, 16, 24, 32, 48, 64, 96};
	const int C = chans[irand(0, 6)], O = chans[irand(0, 6)];
	const int H = irand(1, 19), W = irand(1, 40), k = irand(0, 3) ? 3 : 5;
	nn_node dw = {0}, pw = {0}, add = {0};
	dw.op = NN_DWCONV2D;
	dw.in_c = dw.out_c = C;
	dw.ksize[0] = dw.ksize[1] = k;
	dw.stride[0] = dw.stride[1] = irand(1, 2);
	dw.dilation[0] = dw.dilation[1] = 1;
	dw.padding = irand(0, 2) ? NN_PAD_SAME : NN_PAD_VALID;
	dw.data = randv((size_t)k * k * C, 1.0f);
	dw.bias = irand(0, 1) ? randv((size_t)C, 1.0f) : NULL;
	dw.clamp_min = irand(0, 1) ? 0.0f : -INFINITY;
	dw.clamp_max = INFINITY;
	nn_window win;
	if (nn_window_compute(&dw, H, W, &win) != 0) {
		free(dw.data);
		free(dw.bias);
		return;
	}
	pw.op = NN_CONV2D;
	pw.in_c = C;
	pw.out_c = O;
	pw.ksize[0] = pw.ksize[1] = 1;
	pw.stride[0] = pw.stride[1] = pw.dilation[0] = pw.dilation[1] = 1;
	pw.data = randv((size_t)C * O, 1.0f);
	pw.bias = irand(0, 1) ? randv((size_t)O, 1.0f) : NULL;
	pw.clamp_min = -INFINITY;
	pw.clamp_max = INFINITY;
	add.op = NN_ADD;
	add.clamp_min = irand(0, 1) ? 0.0f : -INFINITY;
	add.clamp_max = irand(0, 3) ? INFINITY : 0.5f;
	add.out_c = O;
	add.prelu = irand(0, 2) ? NULL : randv((size_t)O, 1.0f); /* a fused prelu, as in FaceMesh */
	REQUIRE(nn_block_fits(&dw, &pw, W, win.out_w));

	const size_t nin = (size_t)H * W * C, nmid = (size_t)win.out_h * win.out_w * C,
		     nout = (size_t)win.out_h * win.out_w * O;
	nn_tensor x = {{4, {1, H, W, C}}, randv(nin, 1.0f)};
	nn_tensor r = {{4, {1, win.out_h, win.out_w, O}}, randv(nout, 1.0f)};
	nn_tensor mid = {{4, {1, win.out_h, win.out_w, C}}, randv(nmid, 1.0f)};
	nn_tensor conv = {r.shape, randv(nout, 1.0f)}, want = {r.shape, randv(nout, 1.0f)},
		  got = {r.shape, randv(nout, 1.0f)};
	nn_ref_dwconv2d(&dw, &x, &mid);
	nn_ref_conv2d(&pw, &mid, &conv);
	nn_ref_binary(NN_ADD, &conv, &r, &want);
	nn_epilogue(&add, want.data, nout / (size_t)O, O, 0); /* prelu, clamp */

	nn_block b;
	eid_err err;
	REQUIRE(nn_block_init(&b, &dw, &pw, &add, &err) == EID_OK);
	nn_block_run(&b, &x, &r, &got, pool);
	double maxd = 0, maxv = 0;
	for (size_t i = 0; i < nout; i++) {
		maxd = fmax(maxd, fabs((double)got.data[i] - want.data[i]));
		maxv = fmax(maxv, fabs((double)want.data[i]));
	}
	if (maxd > 1e-4 * (1 + maxv))
		fprintf(stderr, "  C=%d O=%d %dx%d k%d s%d pad%d: max diff %g\n", C, O, H, W, k,
			dw.stride[0], dw.padding, maxd);
	CHECK(maxd <= 1e-4 * (1 + maxv));
	nn_block_release(&b);
	free(x.data), free(r.data), free(mid.data), free(conv.data), free(want.data), free(got.data);
	free(dw.data), free(dw.bias), free(pw.data), free(pw.bias), free(add.prelu);
}

static void test_block_matches_reference_one_thread(void)
{
	test_seed = 12345;
	for (int i = 0; i < 150; i++)
		one_case(NULL);
}

static void test_block_matches_reference_two_threads(void)
{
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 100; i++)
		one_case(pool);
	pthreadpool_destroy(pool);
}

static void test_block_refuses_what_it_cannot_do(void)
{
	nn_node dw = {0}, pw = {0};
	dw.op = NN_DWCONV2D;
	dw.in_c = dw.out_c = 12; /* not a multiple of 8 */
	pw.op = NN_CONV2D;
	pw.in_c = 12;
	pw.out_c = 16;
	pw.ksize[0] = pw.ksize[1] = pw.stride[0] = pw.stride[1] = 1;
	pw.clamp_min = -INFINITY;
	pw.clamp_max = INFINITY;
	CHECK(!nn_block_fits(&dw, &pw, 16, 16));
	dw.in_c = dw.out_c = pw.in_c = 16;
	CHECK(nn_block_fits(&dw, &pw, 16, 16) || !__builtin_cpu_supports("avx2"));
	pw.ksize[0] = pw.ksize[1] = 3; /* not a 1x1 conv */
	CHECK(!nn_block_fits(&dw, &pw, 16, 16));
}

/* k chained blocks (3x3 stride 1 SAME, r = x) vs the reference, block by block */
static void chain_case(int k, int bands, pthreadpool_t pool)
{
	static const int chans[] = {8, 16, 24, 32, 48, 64};
	const int C = chans[irand(0, 5)], N = irand(1, 2), H = irand(1, 24), W = irand(1, 24);
	nn_node dw[8], pw[8], add[8];
	nn_block blocks[8];
	const nn_block *links[8];
	eid_err err;
	memset(dw, 0, sizeof(dw)), memset(pw, 0, sizeof(pw)), memset(add, 0, sizeof(add));
	for (int i = 0; i < k; i++) {
		dw[i].op = NN_DWCONV2D;
		dw[i].in_c = dw[i].out_c = C;
		dw[i].ksize[0] = dw[i].ksize[1] = 3;
		dw[i].stride[0] = dw[i].stride[1] = dw[i].dilation[0] = dw[i].dilation[1] = 1;
		dw[i].padding = NN_PAD_SAME;
		dw[i].data = randv((size_t)9 * C, 1.0f);
		dw[i].bias = irand(0, 1) ? randv((size_t)C, 1.0f) : NULL;
		dw[i].clamp_min = -INFINITY;
		dw[i].clamp_max = INFINITY;
		pw[i].op = NN_CONV2D;
		pw[i].in_c = pw[i].out_c = C;
		pw[i].ksize[0] = pw[i].ksize[1] = pw[i].stride[0] = pw[i].stride[1] = 1;
		pw[i].dilation[0] = pw[i].dilation[1] = 1;
		pw[i].data = randv((size_t)C * C, 1.0f);
		pw[i].bias = randv((size_t)C, 1.0f);
		pw[i].clamp_min = -INFINITY;
		pw[i].clamp_max = INFINITY;
		add[i].op = NN_ADD;
		add[i].clamp_min = 0.0f;
		add[i].clamp_max = INFINITY;
		REQUIRE(nn_block_init(&blocks[i], &dw[i], &pw[i], &add[i], &err) == EID_OK);
		REQUIRE(nn_chain_link_fits(&blocks[i]));
		links[i] = &blocks[i];
	}
	const nn_shape sh = {4, {N, H, W, C}};
	const size_t cnt = (size_t)N * H * W * C;
	nn_tensor x = {sh, randv(cnt, 1.0f)}, want = {sh, randv(cnt, 1.0f)}, got = {sh, randv(cnt, 1.0f)};
	nn_tensor cur = {sh, randv(cnt, 1.0f)}, mid = {sh, randv(cnt, 1.0f)}, conv = {sh, randv(cnt, 1.0f)};
	memcpy(cur.data, x.data, cnt * sizeof(float));
	for (int i = 0; i < k; i++) {
		nn_ref_dwconv2d(&dw[i], &cur, &mid);
		nn_ref_conv2d(&pw[i], &mid, &conv);
		nn_ref_binary(NN_ADD, &conv, &cur, &want);
		for (size_t e = 0; e < cnt; e++)
			cur.data[e] = nn_clampf(want.data[e], 0.0f, INFINITY);
	}
	nn_chain ch;
	REQUIRE(nn_chain_init(&ch, links, k, &sh, bands, &err) == EID_OK);
	nn_chain_run(&ch, &x, &got, pool);
	double maxd = 0, maxv = 0;
	for (size_t e = 0; e < cnt; e++) {
		maxd = fmax(maxd, fabs((double)got.data[e] - cur.data[e]));
		maxv = fmax(maxv, fabs((double)cur.data[e]));
	}
	if (maxd > 1e-4 * (1 + maxv))
		fprintf(stderr, "  chain k=%d bands=%d N=%d %dx%dx%d: max diff %g of %g\n", k, bands,
			N, H, W, C, maxd, maxv);
	CHECK(maxd <= 1e-4 * (1 + maxv));
	nn_chain_release(&ch);
	for (int i = 0; i < k; i++) {
		nn_block_release(&blocks[i]);
		free(dw[i].data), free(dw[i].bias), free(pw[i].data), free(pw[i].bias);
	}
	free(x.data), free(want.data), free(got.data), free(cur.data), free(mid.data), free(conv.data);
}

static void test_chains_match_reference(void)
{
	pthreadpool_t pool = pthreadpool_create(2);
	REQUIRE(pool);
	for (int i = 0; i < 60; i++)
		chain_case(irand(2, 8), irand(1, 3), i % 2 ? pool : NULL);
	pthreadpool_destroy(pool);
}

TEST_MAIN(test_block_matches_reference_one_thread, test_block_matches_reference_two_threads,
	  test_block_refuses_what_it_cannot_do, test_chains_match_reference)
