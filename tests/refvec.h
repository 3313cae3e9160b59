/* tests/refvec.h — reading the reference vectors of REFERENCE-PIPELINE.md
 * (../shared/faces/reference-vectors) in tests: float32 tensors and the
 * index.json of each image. Include after test.h; every helper REQUIREs
 * success, so a missing or short file fails the test that asked for it. */
#ifndef EID_TEST_REFVEC_H
#define EID_TEST_REFVEC_H

#include <jansson.h>
#include <stdint.h>

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

#endif
