/* Tests of src/face/align.c: the chip matrix against the reference chip of
 * REFERENCE-PIPELINE.md §3, and the similarity on exact synthetic cases. */
#include "eid/face_geom.h"
#include "eid/util.h"
#include "test.h"
#include "refvec.h"

#include <jansson.h>
#include <png.h>
#include <stdint.h>

/* The final landmarks of index.json as lm[468*3] (z = 0). */
static void landmarks_of(json_t *j, float lm[468 * 3])
{
	json_t *mesh = json_object_get(j, "mesh");
	REQUIRE(json_array_size(mesh) == 468);
	for (size_t i = 0; i < 468; i++) {
		lm[3 * i] = (float)jat(json_array_get(mesh, i), 0);
		lm[3 * i + 1] = (float)jat(json_array_get(mesh, i), 1);
		lm[3 * i + 2] = 0;
	}
}

/* The chip matrix, applied with the spec's warp, reproduces chip.f32. */
static void test_chip_reference_orl(void)
{
	int w, h;
	uint8_t *img = refvec_grey_png("faces/dev/images/orl/s3/s3_03.png", &w, &h);
	float *ref = load_f32(REF "/orl_s3_03/chip.f32", 150 * 150 * 3);
	json_t *j = load_index("orl_s3_03");
	float lm[468 * 3], m[6];
	landmarks_of(j, lm);
	eid_err err;
	CHECK_OK(eid_face_chip_matrix(lm, m, &err));
	double maxd = 0, sumd = 0;
	for (int v = 0; v < 150; v++)
		for (int u = 0; u < 150; u++) {
			double x = (double)m[0] * u + (double)m[1] * v + m[2];
			double y = (double)m[3] * u + (double)m[4] * v + m[5];
			float p = refvec_sample(img, w, h, x, y);
			for (int ch = 0; ch < 3; ch++) {
				double d = fabs(p - ref[((size_t)v * 150 + u) * 3 + ch]);
				maxd = fmax(maxd, d);
				sumd += d;
			}
		}
	printf("  chip orl_s3_03: max abs diff %.3g, mean %.3g grey levels\n", maxd,
	       sumd / (150.0 * 150 * 3));
	CHECK(maxd < 1e-2);
	json_decref(j);
	free(ref);
	free(img);
}

/* Sum of squared residuals of similarity s on the 33 points. */
static double sse(const double s[4], const double src[33][2], const double dst[33][2])
{
	double e = 0;
	for (size_t i = 0; i < 33; i++) {
		double u = s[0] * src[i][0] - s[1] * src[i][1] + s[2];
		double v = s[1] * src[i][0] + s[0] * src[i][1] + s[3];
		e += (u - dst[i][0]) * (u - dst[i][0]) + (v - dst[i][1]) * (v - dst[i][1]);
	}
	return e;
}

/* sample1 (no image shipped): the similarity maps the 33 mesh points near
 * their destinations, is a least-squares minimum, and the chip matrix is its
 * exact inverse. */
static void check_forward(const char *name)
{
	json_t *j = load_index(name);
	float lm[468 * 3], m[6];
	landmarks_of(j, lm);
	eid_err err;
	double src[33][2], dst[33][2], s[4];
	for (size_t i = 0; i < 33; i++) {
		src[i][0] = lm[3 * eid_face_chip_mesh_idx[i]];
		src[i][1] = lm[3 * eid_face_chip_mesh_idx[i] + 1];
	}
	eid_face_chip_dst(dst);
	CHECK_OK(
		eid_face_similarity((const double(*)[2])src, (const double(*)[2])dst, 33, s, &err));
	CHECK_OK(eid_face_chip_matrix(lm, m, &err));
	double rms = 0, inv = 0;
	for (size_t i = 0; i < 33; i++) {
		double u = s[0] * src[i][0] - s[1] * src[i][1] + s[2];
		double v = s[1] * src[i][0] + s[0] * src[i][1] + s[3];
		rms += (u - dst[i][0]) * (u - dst[i][0]) + (v - dst[i][1]) * (v - dst[i][1]);
		/* back to the image through the chip matrix */
		double x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
		inv = fmax(inv, fmax(fabs(x - src[i][0]), fabs(y - src[i][1])));
	}
	rms = sqrt(rms / 33);
	/* No small change of a, b, tx or ty lowers the squared error. */
	double e0 = sse(s, (const double(*)[2])src, (const double(*)[2])dst);
	for (size_t p = 0; p < 4; p++)
		for (int sg = -1; sg <= 1; sg += 2) {
			double t[4] = {s[0], s[1], s[2], s[3]};
			t[p] += sg * (p < 2 ? 1e-4 : 1e-2);
			CHECK(sse(t, (const double(*)[2])src, (const double(*)[2])dst) > e0);
		}
	double scale = sqrt(s[0] * s[0] + s[1] * s[1]);
	printf("  %s: chip scale %.4f, fit rms %.3g chip px, inverse max err %.3g image px\n", name,
	       scale, rms, inv);
	CHECK(rms < 10.0); /* the mean face is not the subject's: a few px remain */
	CHECK(inv < 1e-3 * fmax(1.0, 1.0 / scale));
	json_decref(j);
}

static void test_forward_sample1(void)
{
	check_forward("sample1");
}

static void test_forward_orl(void)
{
	check_forward("orl_s3_03");
}

static void test_tables(void)
{
	double dst[33][2];
	eid_face_chip_dst(dst);
	/* dlib 27 (nose bridge top, mean (0.490127, 0.203352)) first; dlib 64
	 * (inner-lip right corner, (0.689874, 0.784792)) last. */
	CHECK_NEAR(dst[0][0], (0.490127 + 0.25) / 1.5 * 150, 1e-9);
	CHECK_NEAR(dst[0][1], (0.203352 + 0.25) / 1.5 * 150, 1e-9);
	CHECK_NEAR(dst[32][0], (0.689874 + 0.25) / 1.5 * 150, 1e-9);
	CHECK_NEAR(dst[32][1], (0.784792 + 0.25) / 1.5 * 150, 1e-9);
	/* dlib 36 = right eye outer corner = FaceMesh 33; dlib 45 = 263. */
	CHECK(eid_face_chip_mesh_idx[9] == 33 && eid_face_chip_mesh_idx[18] == 263);
	CHECK_NEAR(dst[9][0], (0.121737 + 0.25) / 1.5 * 150, 1e-9);
	CHECK(eid_face_chip_mesh_idx[28] == 78 && eid_face_chip_mesh_idx[32] == 308);
	for (size_t i = 0; i < 33; i++)
		CHECK(eid_face_chip_mesh_idx[i] < 468);
}

static void test_similarity_exact(void)
{
	/* dst = 2·R(30°)·src + (5, -7) exactly. */
	double src[5][2] = {{0, 0}, {10, 0}, {0, 20}, {-3, 4}, {7, 7}}, dst[5][2], s[4];
	double a = 2 * cos(M_PI / 6), b = 2 * sin(M_PI / 6);
	for (size_t i = 0; i < 5; i++) {
		dst[i][0] = a * src[i][0] - b * src[i][1] + 5;
		dst[i][1] = b * src[i][0] + a * src[i][1] - 7;
	}
	eid_err err;
	CHECK_OK(eid_face_similarity((const double(*)[2])src, (const double(*)[2])dst, 5, s, &err));
	CHECK_NEAR(s[0], a, 1e-12);
	CHECK_NEAR(s[1], b, 1e-12);
	CHECK_NEAR(s[2], 5, 1e-12);
	CHECK_NEAR(s[3], -7, 1e-12);

	/* A mirrored target is not fitted with a reflection: for src (±1, 0)
	 * and dst (∓1, 0) the best rotation+scale is a 180° turn. With src
	 * {(1,0),(-1,0),(0,1),(0,-1)} → dst {(-1,0),(1,0),(0,1),(0,-1)} (x mirrored),
	 * Σp·q = -1-1+1+1 = 0 and Σ(px·qy-py·qx) = 0: a = b = 0 (no reflection
	 * can explain it), t = mean(dst). */
	double ms[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
	double md[4][2] = {{-1, 0}, {1, 0}, {0, 1}, {0, -1}};
	CHECK_OK(eid_face_similarity((const double(*)[2])ms, (const double(*)[2])md, 4, s, &err));
	CHECK_NEAR(s[0], 0, 1e-15);
	CHECK_NEAR(s[1], 0, 1e-15);

	/* Hand-computed least squares: src (0,0),(2,0); dst (0,0),(0,1)(+ noise
	 * free): ms = (1,0), md = (0,0.5), p = (∓1,0), q = (0,∓0.5):
	 * Σ|p|² = 2, Σp·q = 0, Σ(px·qy - py·qx) = 0.5+0.5 = 1 → a = 0, b = 0.5,
	 * t = md - [0 -0.5; 0.5 0]·(1,0) = (0, 0). */
	double hs[2][2] = {{0, 0}, {2, 0}}, hd[2][2] = {{0, 0}, {0, 1}};
	CHECK_OK(eid_face_similarity((const double(*)[2])hs, (const double(*)[2])hd, 2, s, &err));
	CHECK_NEAR(s[0], 0, 1e-15);
	CHECK_NEAR(s[1], 0.5, 1e-15);
	CHECK_NEAR(s[2], 0, 1e-15);
	CHECK_NEAR(s[3], 0, 1e-15);

	/* Degenerate input. */
	double same[3][2] = {{1, 1}, {1, 1}, {1, 1}};
	CHECK(eid_face_similarity((const double(*)[2])same, (const double(*)[2])dst, 3, s, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "all equal") != NULL);
	CHECK(eid_face_similarity((const double(*)[2])same, (const double(*)[2])dst, 0, s, &err) ==
	      EID_E_INVALID_ARG);
	float lm[468 * 3] = {0}, m[6];
	CHECK(eid_face_chip_matrix(lm, m, &err) == EID_E_INVALID_ARG);
	CHECK(strncmp(err.msg, "cannot align face: ", 19) == 0);
	lm[3 * 168] = NAN;
	CHECK(eid_face_chip_matrix(lm, m, &err) == EID_E_INVALID_ARG);
}

/* The matrix of an exactly mean-shaped face is the identity up to the
 * similarity used to place it in the image. */
static void test_chip_matrix_synthetic(void)
{
	double dst[33][2];
	eid_face_chip_dst(dst);
	float lm[468 * 3] = {0}, m[6];
	/* Place the destinations in the image at scale 3, rotated by -20°, at (400, 300). */
	double c = cos(-0.35), s = sin(-0.35);
	for (size_t i = 0; i < 33; i++) {
		size_t k = eid_face_chip_mesh_idx[i];
		lm[3 * k] = (float)(3 * (c * dst[i][0] - s * dst[i][1]) + 400);
		lm[3 * k + 1] = (float)(3 * (s * dst[i][0] + c * dst[i][1]) + 300);
	}
	eid_err err;
	CHECK_OK(eid_face_chip_matrix(lm, m, &err));
	CHECK_NEAR(m[0], 3 * c, 1e-5);
	CHECK_NEAR(m[1], -3 * s, 1e-5);
	CHECK_NEAR(m[2], 400, 1e-3);
	CHECK_NEAR(m[3], 3 * s, 1e-5);
	CHECK_NEAR(m[4], 3 * c, 1e-5);
	CHECK_NEAR(m[5], 300, 1e-3);
}

TEST_MAIN(test_chip_reference_orl, test_forward_sample1, test_forward_orl, test_tables,
	  test_similarity_exact, test_chip_matrix_synthetic)
