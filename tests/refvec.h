/* tests/refvec.h — reading the reference vectors of REFERENCE-PIPELINE.md
 * (../shared/faces/reference-vectors) in tests: float32 tensors and the
 * index.json of each image. Include after test.h; every helper REQUIREs
 * success, so a missing or short file fails the test that asked for it. */
#ifndef EID_TEST_REFVEC_H
#define EID_TEST_REFVEC_H

#include <jansson.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid/util.h"

#define REF "faces/reference-vectors"

/* Loads n little-endian float32 values of shared file rel (REQUIREs success). */
static inline float *load_f32(const char *rel, size_t n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", test_shared(), rel);
	uint8_t *data = NULL;
	size_t len = 0;
	eid_err err = {{0}};
	eid_status st = eid_file_read(path, 64u << 20, &data, &len, &err);
	if (st)
		fprintf(stderr, "  %s\n", err.msg);
	REQUIRE(st == EID_OK);
	REQUIRE(len == n * 4);
	float *f = malloc(n * sizeof(float));
	REQUIRE(f);
	for (size_t i = 0; i < n; i++) {
		uint32_t u = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
			     (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
		memcpy(&f[i], &u, 4);
	}
	free(data);
	return f;
}

static inline json_t *load_index(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/" REF "/%s/index.json", test_shared(), name);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fprintf(stderr, "  cannot load '%s': %s\n", path, je.text);
	REQUIRE(j);
	return j;
}

static inline double jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	REQUIRE(json_is_number(v));
	return json_number_value(v);
}

static inline double jat(json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);
	REQUIRE(json_is_number(v));
	return json_number_value(v);
}

/* Bilinear sampling of spec §0 on a grey 8-bit image: the tests' own
 * independent warp, to check the geometry matrices against the reference
 * inputs without going through src/image. */
static inline float refvec_sample(const uint8_t *img, int w, int h, double x, double y)
{
	double x0 = floor(x), y0 = floor(y), fx = x - x0, fy = y - y0;
	double acc = 0;
	for (int t = 0; t < 4; t++) {
		int xi = (int)x0 + (t & 1), yi = (int)y0 + (t >> 1);
		double wt = ((t & 1) ? fx : 1 - fx) * ((t >> 1) ? fy : 1 - fy);
		if (xi >= 0 && xi < w && yi >= 0 && yi < h)
			acc += wt * img[(size_t)yi * w + xi];
	}
	return (float)acc;
}

/* A shared PNG as 8-bit grey (REQUIREs success; caller frees). */
static inline uint8_t *refvec_grey_png(const char *rel, int *w, int *h)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", test_shared(), rel);
	png_image im;
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	REQUIRE(png_image_begin_read_from_file(&im, path));
	im.format = PNG_FORMAT_GRAY;
	uint8_t *buf = malloc(PNG_IMAGE_SIZE(im));
	REQUIRE(buf);
	REQUIRE(png_image_finish_read(&im, NULL, buf, 0, NULL));
	*w = (int)im.width;
	*h = (int)im.height;
	return buf;
}

#endif
