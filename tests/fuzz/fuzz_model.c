/* libFuzzer target for src/tfjs and src/nn: the input is a model.json, loaded
 * from a per-process temporary directory next to small fixed shards; a model
 * that loads is described, then run once on each backend when its input is
 * small. Replayed over tests/fuzz/corpus/model by tests/fuzz/replay.c in the
 * normal test run.
 *
 * The shards, for corpus files to refer to (each group must describe exactly
 * the bytes of its shards):
 *   w.bin  16 float32  (1 -1 2 0.5 0.5 -1 0.25 -0.25 1.5 -2 0.75 -0.5 3 -3 0.1 -0.1)
 *   i.bin  12 int32    (1 -1 | 0 0 1 1 1 1 0 0 | 1 2): a reshape target [1,-1],
 *                      paddings [4,2] of 1 around H and W, mean axes [1,2]
 *   q.bin  16 bytes    (0 16 32 ... 240), for uint8, uint16 and float16 weights */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eid/limits.h"
#include "eid/nn.h"
#include "eid/util.h"

const char *const fuzz_target_name = "model";

static char dir[64];
static char model_path[128];

static void write_or_die(const char *name, const void *data, size_t len)
{
	char path[128];
	eid_err err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (eid_file_write(path, data, len, 0600, &err) != EID_OK) {
		fprintf(stderr, "fuzz_model: %s\n", err.msg);
		abort();
	}
}

static void cleanup(void)
{
	static const char *const files[] = {"model.json", "w.bin", "i.bin", "q.bin"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/eid-fuzz-model-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(model_path, sizeof(model_path), "%s/model.json", dir);
	static const float w[16] = {1,	   -1,	 2,    0.5f,  0.5f, -1, 0.25f, -0.25f,
				    1.5f, -2,	 0.75f, -0.5f, 3,    -3, 0.1f,  -0.1f};
	static const int32_t iv[12] = {1, -1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 2};
	uint8_t q[16];
	for (int i = 0; i < 16; i++)
		q[i] = (uint8_t)(16 * i);
	write_or_die("w.bin", w, sizeof(w)); /* little-endian host */
	write_or_die("i.bin", iv, sizeof(iv));
	write_or_die("q.bin", q, sizeof(q));
	atexit(cleanup);
	/* keep every input fast: no tensor above 1M elements */
	if (eid_limit_set(EID_LIMIT_MODEL_TENSOR_ELEMS, 1u << 20) != 0)
		abort();
}

static void run_once(const eid_model *m, eid_backend backend)
{
	int64_t dims[6];
	int rank = eid_model_input_shape(m, dims);
	if (rank < 0 || rank > 6)
		abort();
	size_t count = 1;
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0)
			dims[i] = 3; /* a free dimension */
		if (dims[i] < 1 || dims[i] > 64 * 64 * 4)
			return;
		count *= (size_t)dims[i];
		if (count > 64 * 64 * 4)
			return; /* large inputs are the golden tests' business */
	}
	float *x = malloc(count * sizeof(float));
	if (!x)
		abort();
	for (size_t i = 0; i < count; i++)
		x[i] = (float)((int)(i * 7 % 13) - 6) * 0.25f;
	eid_session_opts o = {.backend = backend, .threads = 1};
	eid_session *s;
	eid_err err;
	if (eid_session_new(m, &o, &s, &err) != EID_OK)
		abort();
	eid_status st = eid_session_run(s, x, dims, rank, &err);
	if (st == EID_OK) {
		/* every output must be readable in full */
		volatile float sum = 0;
		for (size_t i = 0; i < eid_model_num_outputs(m); i++) {
			eid_tensor_view v = eid_session_output(s, i);
			if (v.count && !v.data)
				abort();
			for (size_t k = 0; k < v.count; k++)
				sum += v.data[k];
		}
	} else if (!err.msg[0]) {
		abort(); /* a failure always says why */
	}
	eid_session_free(s);
	free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		setup();
	write_or_die("model.json", data, size);
	eid_model *m = (eid_model *)&m;
	eid_err err;
	err.msg[0] = 0;
	eid_status st = eid_model_load(model_path, &m, &err);
	if (st != EID_OK) {
		if (m != NULL || !err.msg[0])
			abort();
		return 0;
	}
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		eid_model_describe_json(m, devnull);
	run_once(m, EID_BACKEND_FAST);
	run_once(m, EID_BACKEND_REFERENCE);
	eid_model_free(m);
	return 0;
}
