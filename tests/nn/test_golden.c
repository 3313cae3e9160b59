/* Every model against TF.js 4.22 (wasm backend) golden outputs.
 *
 * tests/golden/<case>.json (made by tools/golden.mjs) names the model, the
 * input tensor and the expected outputs. Each output must agree within 1e-3 of
 * its range; embeddings must also have cosine >= 0.9999. Both backends are
 * checked: the fast one (XNNPACK, 1 and 2 threads) and the reference one. */
#include <jansson.h>

#include "eid/nn.h"
#include "eid/util.h"
#include "test.h"

static float *read_f32(const char *path, size_t *count)
{
	uint8_t *buf;
	size_t len;
	eid_err err;
	char full[1024];
	/* golden index paths start with ../shared/ for shared data: honour EID_SHARED */
	if (strncmp(path, "../shared/", 10) == 0)
		snprintf(full, sizeof(full), "%s/%s", test_shared(), path + 10);
	else
		snprintf(full, sizeof(full), "%s", path);
	if (eid_file_read(full, 64u << 20, &buf, &len, &err) != EID_OK) {
		fprintf(stderr, "  %s\n", err.msg);
		return NULL;
	}
	float *f = malloc(len + 4);
	memcpy(f, buf, len);
	free(buf);
	*count = len / 4;
	return f;
}

static void check_case(const char *name, eid_backend backend, int threads, eid_threadpool *pool)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/golden/%s.json", name);
	json_error_t jerr;
	json_t *idx = json_load_file(path, 0, &jerr);
	REQUIRE(idx);
	const char *model_path = json_string_value(json_object_get(idx, "model_path"));
	const char *input_path = json_string_value(json_object_get(idx, "input_file"));
	json_t *shape = json_object_get(idx, "input_shape"), *outs = json_object_get(idx, "output_files");
	REQUIRE(model_path && input_path && shape && outs);

	eid_model *m;
	eid_session *s;
	eid_err err;
	eid_status st = eid_model_load(model_path, &m, &err);
	if (st)
		fprintf(stderr, "  %s\n", err.msg);
	REQUIRE(st == EID_OK);
	eid_session_opts o = {.backend = backend, .threads = threads, .pool = pool};
	REQUIRE(eid_session_new(m, &o, &s, &err) == EID_OK);
	size_t n_in;
	float *x = read_f32(input_path, &n_in);
	REQUIRE(x);
	int64_t dims[6];
	int rank = (int)json_array_size(shape);
	for (int i = 0; i < rank; i++)
		dims[i] = json_integer_value(json_array_get(shape, (size_t)i));
	st = eid_session_run(s, x, dims, rank, &err);
	if (st)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(st == EID_OK);
	CHECK(eid_model_num_outputs(m) == json_array_size(outs));
	for (size_t i = 0; st == EID_OK && i < json_array_size(outs); i++) {
		size_t n;
		float *want = read_f32(json_string_value(json_array_get(outs, i)), &n);
		eid_tensor_view v = eid_session_output(s, i);
		CHECK(want && v.count == n);
		if (!want || v.count != n) {
			free(want);
			continue;
		}
		float lo = want[0], hi = want[0];
		double maxdiff = 0, dot = 0, na = 0, nb = 0;
		for (size_t k = 0; k < n; k++) {
			lo = fminf(lo, want[k]);
			hi = fmaxf(hi, want[k]);
			maxdiff = fmax(maxdiff, fabs((double)v.data[k] - want[k]));
			dot += (double)v.data[k] * want[k];
			na += (double)v.data[k] * v.data[k];
			nb += (double)want[k] * want[k];
		}
		double range = hi > lo ? hi - lo : fabs(hi) > 0 ? fabs(hi) : 1;
		double cosine = dot / sqrt(na * nb + 1e-30);
		if (getenv("EID_TEST_VERBOSE") || maxdiff > 1e-3 * range)
			fprintf(stderr, "  %s[%zu] %s t%d: max diff %.3g (%.2g of range %.3g), cos %.7f\n",
				name, i, backend ? "ref" : "fast", threads, maxdiff, maxdiff / range,
				range, cosine);
		CHECK(maxdiff <= 1e-3 * range);
		if (n >= 100)
			CHECK(cosine >= 0.9999);
		free(want);
	}
	free(x);
	eid_session_free(s);
	eid_model_free(m);
	json_decref(idx);
}

/* fast on 1 thread, on 2 threads of its own, on a pool shared by every
 * case (as a face context shares one), and the reference kernels */
#define CASE(fn, name)                                                        \
	static void fn(void)                                                  \
	{                                                                     \
		static eid_threadpool *shared;                                \
		eid_err e;                                                    \
		if (!shared)                                                  \
			REQUIRE(eid_threadpool_new(2, &shared, &e) == EID_OK); \
		check_case(name, EID_BACKEND_FAST, 1, NULL);                  \
		check_case(name, EID_BACKEND_FAST, 2, NULL);                  \
		check_case(name, EID_BACKEND_FAST, 1, shared);                \
		check_case(name, EID_BACKEND_REFERENCE, 1, NULL);             \
		eid_threadpool_free(shared);                                  \
		shared = NULL;                                                \
	}

CASE(test_blazeface, "blazeface")
CASE(test_blazeface_orl, "blazeface_orl")
CASE(test_facemesh, "facemesh")
CASE(test_faceres, "faceres")
CASE(test_antispoof, "antispoof")
CASE(test_liveness, "liveness")
CASE(test_dlib, "dlib")
CASE(test_dlib_orl, "dlib_orl")

TEST_MAIN(test_blazeface, test_blazeface_orl, test_facemesh, test_faceres, test_antispoof,
	  test_liveness, test_dlib, test_dlib_orl)
