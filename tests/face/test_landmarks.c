/* Tests of src/face/landmarks.c against the reference vectors of
 * REFERENCE-PIPELINE.md §2. */
#include "eid/face_geom.h"
#include "eid/util.h"
#include "test.h"
#include "refvec.h"

#include <jansson.h>
#include <png.h>
#include <stdint.h>

static void roi_of(json_t *j, const char *key, eid_face_roi *roi)
{
	json_t *r = json_object_get(j, key);
	REQUIRE(json_is_object(r));
	roi->cx = jnum(r, "cx");
	roi->cy = jnum(r, "cy");
	roi->size = jnum(r, "size");
	roi->theta = jnum(r, "theta");
}

static void det_of(json_t *j, eid_face_det *d)
{
	json_t *jd = json_object_get(j, "det");
	json_t *box = json_object_get(jd, "box"), *kps = json_object_get(jd, "kps");
	memset(d, 0, sizeof(*d));
	d->score = (float)jnum(jd, "score");
	d->x1 = (float)jat(box, 0);
	d->y1 = (float)jat(box, 1);
	d->x2 = (float)jat(box, 2);
	d->y2 = (float)jat(box, 3);
	d->cx = (d->x1 + d->x2) / 2;
	d->cy = (d->y1 + d->y2) / 2;
	d->w = d->x2 - d->x1;
	d->h = d->y2 - d->y1;
	for (size_t k = 0; k < 6; k++)
		for (size_t c = 0; c < 2; c++)
			d->kp[k][c] = (float)jat(json_array_get(kps, k), c);
}

static double roi_diff(const eid_face_roi *a, const eid_face_roi *b)
{
	double d = fabs(a->cx - b->cx);
	d = fmax(d, fabs(a->cy - b->cy));
	d = fmax(d, fabs(a->size - b->size));
	/* the angle as a displacement at the ROI's edge */
	return fmax(d, fabs(a->theta - b->theta) * b->size / 2);
}

static void check_reference(const char *name)
{
	json_t *j = load_index(name);
	eid_err err = {{0}};
	char rel[256];

	/* Pass-1 ROI from the recorded detection. */
	eid_face_det det;
	eid_face_roi ref1, ref2, roi1, roi2;
	det_of(j, &det);
	roi_of(j, "roi1", &ref1);
	roi_of(j, "roi2", &ref2);
	eid_face_roi_from_det(&det, &roi1);
	double d1 = roi_diff(&roi1, &ref1);

	/* Pass-1 mesh in the reference pass-1 ROI → pass-2 ROI. */
	snprintf(rel, sizeof(rel), REF "/%s/mesh_raw_pass1.f32", name);
	float *mesh1 = load_f32(rel, 468 * 3);
	float lm1[468 * 3];
	CHECK_OK(eid_face_mesh_to_image(&ref1, mesh1, lm1, &err));
	CHECK_OK(eid_face_roi_from_mesh(lm1, &roi2, &err));
	double d2 = roi_diff(&roi2, &ref2);

	/* Pass-2 mesh in the reference pass-2 ROI = the final landmarks. */
	snprintf(rel, sizeof(rel), REF "/%s/mesh_raw_pass2.f32", name);
	float *mesh2 = load_f32(rel, 468 * 3);
	float lm2[468 * 3];
	CHECK_OK(eid_face_mesh_to_image(&ref2, mesh2, lm2, &err));
	json_t *mesh = json_object_get(j, "mesh");
	REQUIRE(json_array_size(mesh) == 468);
	double dl = 0;
	for (size_t i = 0; i < 468; i++)
		for (size_t c = 0; c < 2; c++)
			dl = fmax(dl, fabs(lm2[3 * i + c] - jat(json_array_get(mesh, i), c)));
	CHECK_NEAR(lm2[3 * 4 + 2], mesh2[3 * 4 + 2] * ref2.size / 192, 1e-4);

	/* Chained without reference ROIs: det → roi1 → roi2 → landmarks. */
	float lm1c[468 * 3], lm2c[468 * 3];
	eid_face_roi roi2c;
	CHECK_OK(eid_face_mesh_to_image(&roi1, mesh1, lm1c, &err));
	CHECK_OK(eid_face_roi_from_mesh(lm1c, &roi2c, &err));
	CHECK_OK(eid_face_mesh_to_image(&roi2c, mesh2, lm2c, &err));
	double dc = 0;
	for (size_t i = 0; i < 468; i++)
		for (size_t c = 0; c < 2; c++)
			dc = fmax(dc, fabs(lm2c[3 * i + c] - jat(json_array_get(mesh, i), c)));

	printf("  %s: roi1 max diff %.3g px, roi2 %.3g px, final landmarks %.3g px "
	       "(chained from the detection %.3g px)\n",
	       name, d1, d2, dl, dc);
	CHECK(d1 < 1e-3);
	CHECK(d2 < 1e-3);
	CHECK(dl < 1e-3);
	CHECK(dc < 2e-3);
	free(mesh1);
	free(mesh2);
	json_decref(j);
}

static void test_reference_sample1(void)
{
	check_reference("sample1");
}

static void test_reference_orl(void)
{
	check_reference("orl_s3_03");
}

/* The crop matrix reproduces both FaceMesh inputs of orl_s3_03. */
static void test_crop_matrix_reference(void)
{
	int w, h;
	uint8_t *img = refvec_grey_png("faces/dev/images/orl/s3/s3_03.png", &w, &h);
	json_t *j = load_index("orl_s3_03");
	for (int pass = 1; pass <= 2; pass++) {
		char rel[256], key[16];
		snprintf(rel, sizeof(rel), REF "/orl_s3_03/mesh_input_pass%d.f32", pass);
		snprintf(key, sizeof(key), "roi%d", pass);
		float *ref = load_f32(rel, 192 * 192 * 3);
		eid_face_roi roi;
		roi_of(j, key, &roi);
		float m[6];
		eid_face_roi_matrix(&roi, m);
		double maxd = 0;
		for (int v = 0; v < 192; v++)
			for (int u = 0; u < 192; u++) {
				double x = (double)m[0] * u + (double)m[1] * v + m[2];
				double y = (double)m[3] * u + (double)m[4] * v + m[5];
				float p = refvec_sample(img, w, h, x, y);
				for (int ch = 0; ch < 3; ch++)
					maxd = fmax(
						maxd,
						fabs(p -
						     255.0f * ref[((size_t)v * 192 + u) * 3 + ch]));
			}
		printf("  mesh input pass %d orl_s3_03: max abs diff %.3g grey levels\n", pass,
		       maxd);
		CHECK(maxd < 1e-2);
		free(ref);
	}
	json_decref(j);
	free(img);
}

/* The crop matrix and the mesh mapping agree: crop pixel (u,v) has its
 * centre at mesh coordinate (u+0.5, v+0.5). */
static void test_matrix_mapping_agree(void)
{
	eid_face_roi roi = {123.25, -40.5, 317.0, 2.2};
	float m[6];
	eid_face_roi_matrix(&roi, m);
	float crop[468 * 3] = {0}, lm[468 * 3];
	for (size_t i = 0; i < 468; i++) {
		crop[3 * i] = (float)(i % 192) + 0.5f;
		crop[3 * i + 1] = (float)(i * 7 % 192) + 0.5f;
		crop[3 * i + 2] = (float)i / 10;
	}
	eid_err err;
	CHECK_OK(eid_face_mesh_to_image(&roi, crop, lm, &err));
	double maxd = 0;
	for (size_t i = 0; i < 468; i++) {
		double u = (double)(i % 192), v = (double)(i * 7 % 192);
		maxd = fmax(maxd, fabs(m[0] * u + m[1] * v + m[2] - lm[3 * i]));
		maxd = fmax(maxd, fabs(m[3] * u + m[4] * v + m[5] - lm[3 * i + 1]));
	}
	CHECK(maxd < 1e-3);
	/* The crop centre (96,96) is the ROI centre. */
	crop[0] = crop[1] = 96;
	CHECK_OK(eid_face_mesh_to_image(&roi, crop, lm, &err));
	CHECK_NEAR(lm[0], 123.25, 1e-4);
	CHECK_NEAR(lm[1], -40.5, 1e-4);
	/* In place. */
	CHECK_OK(eid_face_mesh_to_image(&roi, crop, crop, &err));
	CHECK_NEAR(crop[0], 123.25, 1e-4);
}

/* A pass-2 ROI of an upright, axis-aligned square of points. */
static void test_roi_from_mesh_synthetic(void)
{
	float lm[468 * 3];
	for (size_t i = 0; i < 468; i++) {
		lm[3 * i] = 10.0f + (float)(i % 5) * 10.0f;	 /* 10..50 */
		lm[3 * i + 1] = 100.0f + (float)(i % 3) * 20.0f; /* 100..140 */
		lm[3 * i + 2] = 0;
	}
	lm[3 * 33] = 10, lm[3 * 33 + 1] = 100;
	lm[3 * 263] = 50, lm[3 * 263 + 1] = 100;
	eid_face_roi roi;
	eid_err err;
	CHECK_OK(eid_face_roi_from_mesh(lm, &roi, &err));
	CHECK_NEAR(roi.theta, 0, 1e-12);
	CHECK_NEAR(roi.cx, 30, 1e-9);
	CHECK_NEAR(roi.cy, 120, 1e-9);
	CHECK_NEAR(roi.size, 60, 1e-9);
	/* Rotated by 90 degrees about the origin: same size, rotated centre. */
	for (size_t i = 0; i < 468; i++) {
		float x = lm[3 * i], y = lm[3 * i + 1];
		lm[3 * i] = -y, lm[3 * i + 1] = x;
	}
	CHECK_OK(eid_face_roi_from_mesh(lm, &roi, &err));
	CHECK_NEAR(roi.theta, M_PI / 2, 1e-9);
	CHECK_NEAR(roi.cx, -120, 1e-6);
	CHECK_NEAR(roi.cy, 30, 1e-6);
	CHECK_NEAR(roi.size, 60, 1e-6);
}

static void test_roi_from_det_synthetic(void)
{
	eid_face_det d;
	memset(&d, 0, sizeof(d));
	d.x1 = 10, d.y1 = 20, d.x2 = 50, d.y2 = 80;
	d.kp[0][0] = 0, d.kp[0][1] = 0;
	d.kp[1][0] = 10, d.kp[1][1] = 10;
	eid_face_roi roi;
	eid_face_roi_from_det(&d, &roi);
	CHECK_NEAR(roi.cx, 30, 0);
	CHECK_NEAR(roi.cy, 50, 0);
	CHECK_NEAR(roi.size, 90, 0);
	CHECK_NEAR(roi.theta, M_PI / 4, 1e-12);
}

static void test_errors(void)
{
	float crop[468 * 3] = {0}, lm[468 * 3];
	eid_face_roi roi = {0, 0, 100, 0};
	eid_err err;
	crop[3 * 17 + 2] = NAN;
	CHECK(eid_face_mesh_to_image(&roi, crop, lm, &err) == EID_E_BACKEND);
	CHECK(strstr(err.msg, "point 17") != NULL);
	crop[3 * 17 + 2] = 0;
	roi.size = 0;
	CHECK(eid_face_mesh_to_image(&roi, crop, lm, &err) == EID_E_INVALID_ARG);
	roi.size = NAN;
	CHECK(eid_face_mesh_to_image(&roi, crop, lm, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_mesh_to_image(NULL, crop, lm, &err) == EID_E_INVALID_ARG);
	/* All points equal: no ROI. */
	CHECK(eid_face_roi_from_mesh(crop, &roi, &err) == EID_E_INVALID_ARG);
	crop[3] = INFINITY;
	CHECK(eid_face_roi_from_mesh(crop, &roi, &err) == EID_E_INVALID_ARG);
}

TEST_MAIN(test_reference_sample1, test_reference_orl, test_crop_matrix_reference,
	  test_matrix_mapping_agree, test_roi_from_mesh_synthetic, test_roi_from_det_synthetic,
	  test_errors)
