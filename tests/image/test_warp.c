/* Tests src/image/warp.c against hand-computed cases, a naive reference kernel
 * and the TF.js reference vectors (detector input of REFERENCE-PIPELINE.md
 * section 1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/image.h"
#include "eid/util.h"
#include "test.h"

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static double rnd_unit(void)
{
	return rnd() / 4294967296.0;
}

static eid_image random_image(int w, int h)
{
	eid_image img = {w, h, malloc((size_t)w * (size_t)h * 3)};
	for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++)
		img.rgb[i] = (uint8_t)rnd();
	return img;
}

static double px(const eid_image *img, int x, int y, int c)
{
	if (x < 0 || y < 0 || x >= img->width || y >= img->height)
		return 0;
	return img->rgb[((size_t)y * (size_t)img->width + (size_t)x) * 3 + (size_t)c];
}

/* Section 0 of REFERENCE-PIPELINE.md, literally, in double. */
static void naive_warp(const eid_image *img, const double M[6], int W, int H, double *out)
{
	for (int v = 0; v < H; v++)
		for (int u = 0; u < W; u++) {
			double x = M[0] * u + M[1] * v + M[2], y = M[3] * u + M[4] * v + M[5];
			double x0 = floor(x), y0 = floor(y), fx = x - x0, fy = y - y0;
			for (int c = 0; c < 3; c++) {
				double s = 0;
				if (fabs(x) < 1e6 && fabs(y) < 1e6) {
					int i = (int)x0, j = (int)y0;
					s = (1 - fx) * (1 - fy) * px(img, i, j, c) +
					    fx * (1 - fy) * px(img, i + 1, j, c) +
					    (1 - fx) * fy * px(img, i, j + 1, c) +
					    fx * fy * px(img, i + 1, j + 1, c);
				}
				out[((size_t)v * (size_t)W + (size_t)u) * 3 + (size_t)c] = s;
			}
		}
}

static void test_identity_is_exact(void)
{
	eid_image img = random_image(7, 5);
	const double M[6] = {1, 0, 0, 0, 1, 0};
	float out[7 * 5 * 3];
	eid_image_warp_affine(&img, M, 7, 5, 1.0f, 0.0f, out);
	for (int i = 0; i < 7 * 5 * 3; i++)
		CHECK(out[i] == (float)img.rgb[i]);
	/* The detector's scaling: pixel/127.5 - 1. */
	eid_image_warp_affine(&img, M, 7, 5, 1.0f / 127.5f, -1.0f, out);
	for (int i = 0; i < 7 * 5 * 3; i++)
		CHECK_NEAR(out[i], img.rgb[i] / 127.5 - 1, 1e-6);
	eid_image_release(&img);
}

static void test_half_pixel_shift_averages(void)
{
	eid_image img = random_image(6, 4);
	float out[6 * 4 * 3];
	/* x + 0.5: mean of horizontal neighbours; the last column has only
	 * its left tap inside, at weight 0.5. */
	const double Mx[6] = {1, 0, 0.5, 0, 1, 0};
	eid_image_warp_affine(&img, Mx, 6, 4, 1.0f, 0.0f, out);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 6; x++)
			for (int c = 0; c < 3; c++)
				CHECK(out[(y * 6 + x) * 3 + c] ==
				      (float)(0.5 * px(&img, x, y, c) + 0.5 * px(&img, x + 1, y, c)));
	/* (x + 0.5, y + 0.5): mean of four. */
	const double Mxy[6] = {1, 0, 0.5, 0, 1, 0.5};
	eid_image_warp_affine(&img, Mxy, 6, 4, 1.0f, 0.0f, out);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 6; x++)
			for (int c = 0; c < 3; c++) {
				double want = 0.25 * (px(&img, x, y, c) + px(&img, x + 1, y, c) +
						      px(&img, x, y + 1, c) + px(&img, x + 1, y + 1, c));
				CHECK_NEAR(out[(y * 6 + x) * 3 + c], want, 1e-4);
			}
	/* x - 0.5 at column 0: half of pixel 0, the other tap is outside. */
	const double Mneg[6] = {1, 0, -0.5, 0, 1, 0};
	eid_image_warp_affine(&img, Mneg, 6, 4, 1.0f, 0.0f, out);
	for (int y = 0; y < 4; y++)
		for (int c = 0; c < 3; c++)
			CHECK(out[(y * 6) * 3 + c] == (float)(0.5 * px(&img, 0, y, c)));
	eid_image_release(&img);
}

static void test_outside_is_black(void)
{
	eid_image img = random_image(5, 5);
	float out[4 * 3 * 3];
	const double far[6] = {1, 0, -100, 0, 1, 7};
	eid_image_warp_affine(&img, far, 4, 3, 1.0f, 0.0f, out);
	for (int i = 0; i < 4 * 3 * 3; i++)
		CHECK(out[i] == 0.0f);
	/* With scaling, black is 0*scale + offset. */
	eid_image_warp_affine(&img, far, 4, 3, 1.0f / 127.5f, -1.0f, out);
	for (int i = 0; i < 4 * 3 * 3; i++)
		CHECK(out[i] == -1.0f);
	/* Degenerate matrices must not crash (huge, infinite, NaN). */
	const double bad[3][6] = {{1e300, 0, 0, 0, 1e300, 0},
				  {INFINITY, 0, 0, 0, 1, 0},
				  {NAN, 0, 0, 0, 1, 0}};
	for (int k = 0; k < 3; k++) {
		eid_image_warp_affine(&img, bad[k], 4, 3, 1.0f, 0.0f, out);
		for (int i = 3; i < 4 * 3 * 3; i++) /* (0,0) may hit 0*inf = NaN */
			CHECK(out[i] == 0.0f);
	}
	eid_image_release(&img);
}

/* Random rotations/scales/shears from a fixed seed against the naive kernel. */
static void test_matches_naive_kernel(void)
{
	double worst = 0;
	for (int t = 0; t < 50; t++) {
		int w = 1 + (int)(rnd() % 40), h = 1 + (int)(rnd() % 40);
		int W = 1 + (int)(rnd() % 33), H = 1 + (int)(rnd() % 33);
		eid_image img = random_image(w, h);
		double a = rnd_unit() * 6.3, s = 0.2 + rnd_unit() * 2;
		double M[6] = {s * cos(a), -s * sin(a), (rnd_unit() - 0.3) * w,
			       s * sin(a) + (rnd_unit() - 0.5) * 0.2, s * cos(a),
			       (rnd_unit() - 0.3) * h};
		float *out = malloc(sizeof(float) * (size_t)W * (size_t)H * 3);
		double *ref = malloc(sizeof(double) * (size_t)W * (size_t)H * 3);
		float scale = t % 2 ? 1.0f : 1.0f / 255.0f, offset = t % 2 ? 0.0f : 0.25f;
		eid_image_warp_affine(&img, M, W, H, scale, offset, out);
		naive_warp(&img, M, W, H, ref);
		for (size_t i = 0; i < (size_t)W * (size_t)H * 3; i++) {
			double d = fabs((out[i] - offset) / scale - ref[i]);
			worst = d > worst ? d : worst;
		}
		free(out);
		free(ref);
		eid_image_release(&img);
	}
	CHECK(worst < 1e-3); /* float accumulation of 0..255 values */
}

static void test_mirror(void)
{
	enum { W = 5, H = 3 };
	float in[W * H * 3], out[W * H * 3], back[W * H * 3];
	for (int i = 0; i < W * H * 3; i++)
		in[i] = (float)i * 0.5f;
	eid_image_mirror_f32(in, W, H, out);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			for (int c = 0; c < 3; c++)
				CHECK(out[(y * W + x) * 3 + c] == in[(y * W + (W - 1 - x)) * 3 + c]);
	memcpy(back, out, sizeof(out));
	eid_image_mirror_f32(back, W, H, back); /* in place */
	CHECK(memcmp(back, in, sizeof(in)) == 0);
	/* Even width in place too. */
	float even[4 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	eid_image_mirror_f32(even, 4, 1, even);
	const float want[4 * 3] = {10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3};
	CHECK(memcmp(even, want, sizeof(want)) == 0);
}

/* Letterbox warp of REFERENCE-PIPELINE.md section 1 (pad 0) compared with the
 * TF.js detector input; returns the max abs difference (or -1). */
static double letterbox_diff(const char *image, const char *ref_path, double *mean)
{
	eid_image img;
	eid_err err;
	if (eid_image_load(image, &img, &err) != EID_OK) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	uint8_t *raw;
	size_t n;
	if (eid_file_read(ref_path, 1u << 24, &raw, &n, &err) != EID_OK ||
	    n != sizeof(float) * 256 * 256 * 3) {
		fprintf(stderr, "  cannot use '%s'\n", ref_path);
		eid_image_release(&img);
		return -1;
	}
	float *ref = malloc(n);
	memcpy(ref, raw, n); /* little-endian float32, as is the host */
	free(raw);
	double w = img.width, h = img.height, L = w > h ? w : h;
	double offx = (L - w) / 2, offy = (L - h) / 2, k = L / 256;
	const double M[6] = {k, 0, 0.5 * k - offx - 0.5, 0, k, 0.5 * k - offy - 0.5};
	float *out = malloc(n);
	eid_image_warp_affine(&img, M, 256, 256, 1.0f / 127.5f, -1.0f, out);
	double worst = 0, sum = 0;
	for (size_t i = 0; i < 256 * 256 * 3; i++) {
		double d = fabs((double)out[i] - ref[i]);
		worst = d > worst ? d : worst;
		sum += d;
	}
	*mean = sum / (256 * 256 * 3);
	free(out);
	free(ref);
	eid_image_release(&img);
	return worst;
}

static void test_reference_orl_s3_03(void)
{
	char image[1024], ref[1024];
	snprintf(image, sizeof(image), "%s/faces/dev/images/orl/s3/s3_03.png", test_shared());
	snprintf(ref, sizeof(ref), "%s/faces/reference-vectors/orl_s3_03/det_input_pad0.f32",
		 test_shared());
	double mean, worst = letterbox_diff(image, ref, &mean);
	fprintf(stderr, "  info: orl_s3_03 det_input_pad0 max abs diff %.3g, mean %.3g\n", worst,
		mean);
	CHECK(worst >= 0 && worst < 1e-4);
}

/* sample1.jpg lives in models/ (fetched by scripts/setup.sh). JPEG decoders
 * differ by a few grey levels: allow 3 levels at worst, 0.5 on average. */
static void test_reference_sample1(void)
{
	const char *image = "models/face-api/sample1.jpg";
	FILE *f = fopen(image, "rb");
	if (!f) {
		fprintf(stderr, "  info: %s absent (run scripts/setup.sh), skipped\n", image);
		return;
	}
	fclose(f);
	char ref[1024];
	snprintf(ref, sizeof(ref), "%s/faces/reference-vectors/sample1/det_input_pad0.f32",
		 test_shared());
	double mean, worst = letterbox_diff(image, ref, &mean);
	fprintf(stderr, "  info: sample1 det_input_pad0 max abs diff %.3g (%.2f grey levels), "
			"mean %.3g\n",
		worst, worst * 127.5, mean);
	CHECK(worst >= 0 && worst < 3 / 127.5);
	CHECK(mean < 0.5 / 127.5);
}

TEST_MAIN(test_identity_is_exact, test_half_pixel_shift_averages, test_outside_is_black,
	  test_matches_naive_kernel, test_mirror, test_reference_orl_s3_03, test_reference_sample1)
