/* The whole face pipeline against the reference vectors of
 * REFERENCE-PIPELINE.md: detection count, selected box, final landmarks, chip
 * and embedding, for a PNG (decoded identically everywhere) and a JPEG (decoders
 * differ by a few grey levels, so looser bounds). Plus the failure paths. */
#include <jansson.h>

#include "eid/face.h"
#include "eid/util.h"
#include "test.h"
#include "engine.h"

static float *load_f32(const char *path, size_t n)
{
	uint8_t *buf;
	size_t len;
	eid_err err;
	if (eid_file_read(path, 64u << 20, &buf, &len, &err) != EID_OK || len != n * 4) {
		free(buf);
		return NULL;
	}
	float *f = malloc(len);
	memcpy(f, buf, len);
	free(buf);
	return f;
}

/* box_tol: detection box and score; px_tol: landmarks, pixels; chip_tol: grey levels */
static void check_reference(const char *image, const char *ref, double box_tol, double px_tol,
			    double chip_tol, double min_cos)
{
	start();
	char path[1024];
	snprintf(path, sizeof(path), "%s/faces/reference-vectors/%s/index.json", test_shared(), ref);
	json_error_t jerr;
	json_t *idx = json_load_file(path, 0, &jerr);
	REQUIRE(idx);
	eid_image img = {0};
	eid_err err;
	REQUIRE(eid_image_load(image, &img, &err) == EID_OK);
	eid_face_result *r = malloc(sizeof(*r));
	REQUIRE(r);
	eid_status st = eid_face_analyze(fc, &img, r, &err);
	CHECK(st == EID_OK);
	CHECK(r->faces_found == json_integer_value(json_object_get(idx, "ndet")));
	CHECK(r->detect_try == 1);
	json_t *det = json_object_get(idx, "det");
	CHECK_NEAR(r->det.score, json_number_value(json_object_get(det, "score")), box_tol / 100);
	json_t *box = json_object_get(det, "box");
	CHECK_NEAR(r->det.x1, json_number_value(json_array_get(box, 0)), box_tol);
	CHECK_NEAR(r->det.y2, json_number_value(json_array_get(box, 3)), box_tol);
	json_t *mesh = json_object_get(idx, "mesh");
	double maxd = 0;
	for (int k = 0; k < EID_FACE_MESH_POINTS; k++)
		for (int c = 0; c < 2; c++)
			maxd = fmax(maxd, fabs(r->landmarks[3 * k + c] -
					       json_number_value(json_array_get(
						       json_array_get(mesh, (size_t)k), (size_t)c))));
	CHECK(maxd <= px_tol);
	snprintf(path, sizeof(path), "%s/faces/reference-vectors/%s/chip.f32", test_shared(), ref);
	float *chip = load_f32(path, 150 * 150 * 3);
	REQUIRE(chip);
	double chipd = 0;
	for (int i = 0; i < 150 * 150 * 3; i++)
		chipd = fmax(chipd, fabs(r->chip[i] - chip[i]));
	CHECK(chipd <= chip_tol);
	snprintf(path, sizeof(path), "%s/faces/reference-vectors/%s/emb_final.f32", test_shared(), ref);
	float *emb = load_f32(path, 128);
	REQUIRE(emb);
	double cosine = eid_face_score(r->embedding, emb), norm = eid_face_score(r->embedding, r->embedding);
	CHECK(cosine >= min_cos);
	CHECK_NEAR(norm, 1.0, 1e-5);
	if (getenv("EID_TEST_VERBOSE"))
		fprintf(stderr, "  %s: landmarks %.2g px, chip %.2g, cosine %.7f\n", ref, maxd, chipd,
			cosine);
	free(chip);
	free(emb);
	free(r);
	eid_image_release(&img);
	json_decref(idx);
}

static void test_orl_png_matches_reference(void)
{
	char image[512];
	snprintf(image, sizeof(image), "%s/faces/dev/images/orl/s3/s3_03.png", test_shared());
	check_reference(image, "orl_s3_03", 1e-2, 1e-2, 0.05, 0.9999);
}

static void test_sample1_jpeg_close_to_reference(void)
{
	/* three faces; the central large one is selected, not the best-scoring */
	check_reference("models/face-api/sample1.jpg", "sample1", 2.0, 1.0, 20.0, 0.9999);
}

static void test_no_face(void)
{
	start();
	eid_image img = {64, 48, calloc(64 * 48 * 3, 1)};
	REQUIRE(img.rgb);
	memset(img.rgb, 128, 64 * 48 * 3);
	eid_face_result *r = malloc(sizeof(*r));
	eid_err err;
	CHECK(eid_face_analyze(fc, &img, r, &err) == EID_E_NO_FACE);
	CHECK(r->faces_found == 0);
	CHECK(strstr(err.msg, "no face") != NULL);
	img.width = 0;
	CHECK(eid_face_analyze(fc, &img, r, &err) == EID_E_INVALID_ARG);
	free(r);
	free(img.rgb);
}

static void test_same_and_different_people(void)
{
	start();
	const char *paths[3] = {"orl/s3/s3_03.png", "orl/s3/s3_01.png", "orl/s1/s1_01.png"};
	float emb[3][128];
	eid_face_result *r = malloc(sizeof(*r));
	for (int i = 0; i < 3; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/faces/dev/images/%s", test_shared(), paths[i]);
		eid_image img = {0};
		eid_err err;
		REQUIRE(eid_image_load(p, &img, &err) == EID_OK);
		REQUIRE(eid_face_analyze(fc, &img, r, &err) == EID_OK);
		memcpy(emb[i], r->embedding, sizeof(emb[i]));
		eid_image_release(&img);
	}
	free(r);
	float same = eid_face_score(emb[0], emb[1]), other = eid_face_score(emb[0], emb[2]);
	CHECK(same > other);
	CHECK(same > 0.9);
}

static void test_cleanup(void)
{
	engine_stop();
	eid_face_engine *bad;
	eid_err err;
	CHECK(eid_face_engine_load("/nonexistent", &bad, &err) == EID_E_IO);
	CHECK(bad == NULL);
}

TEST_MAIN(test_orl_png_matches_reference, test_sample1_jpeg_close_to_reference, test_no_face,
	  test_same_and_different_people, test_cleanup)
