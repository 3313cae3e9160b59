/* eid model info|run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eid/nn.h"
#include "eid/util.h"

static int fail(const char *what, eid_status st, const eid_err *err)
{
	fprintf(stderr, "eid: %s: %s (%s)\n", what, err->msg, eid_status_code(st));
	return 1;
}

int cmd_model_info(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: eid model info MODEL\n");
		return 2;
	}
	eid_model *m;
	eid_err err;
	eid_status st = eid_model_load(argv[0], &m, &err);
	if (st)
		return fail("model info", st, &err);
	eid_model_describe_json(m, stdout);
	eid_model_free(m);
	return 0;
}

static int parse_shape(const char *s, int64_t *dims, int *rank)
{
	*rank = 0;
	while (*s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (end == s || v < 1 || v > 1 << 20 || *rank == 6)
			return -1;
		dims[(*rank)++] = v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return *rank ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int cmd_model_run(int argc, char **argv)
{
	const char *model = NULL, *input = NULL, *shape = NULL, *prefix = NULL;
	int repeat = 1, threads = 1, reference = 0, bf16 = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--input") == 0 && v)
			input = argv[++i];
		else if (strcmp(a, "--shape") == 0 && v)
			shape = argv[++i];
		else if (strcmp(a, "--output") == 0 && v)
			prefix = argv[++i];
		else if (strcmp(a, "--repeat") == 0 && v)
			repeat = atoi(argv[++i]);
		else if (strcmp(a, "--threads") == 0 && v)
			threads = atoi(argv[++i]);
		else if (strcmp(a, "--reference") == 0)
			reference = 1;
		else if (strcmp(a, "--bf16") == 0)
			bf16 = 1;
		else if (a[0] != '-' && !model)
			model = a;
		else {
			fprintf(stderr, "eid model run: unknown or incomplete option '%s'\n", a);
			return 2;
		}
	}
	int64_t dims[6];
	int rank;
	if (!model || !input || !shape || !prefix || repeat < 1 || repeat > 100000 || threads < 0 ||
	    threads > 256 || (reference && bf16) || parse_shape(shape, dims, &rank) != 0) {
		fprintf(stderr, "usage: eid model run MODEL --input IN.f32 --shape 1,H,W,C --output "
				"PREFIX [--repeat N] [--threads T] [--reference | --bf16]\n");
		return 2;
	}
	eid_err err;
	eid_model *m = NULL;
	eid_session *s = NULL;
	uint8_t *buf = NULL;
	size_t len, count = 1;
	double *times = NULL;
	int rc = 1;
	eid_status st = eid_model_load(model, &m, &err);
	if (st) {
		fail("model run", st, &err);
		goto out;
	}
	for (int i = 0; i < rank; i++)
		count *= (size_t)dims[i];
	st = eid_file_read(input, (size_t)1 << 31, &buf, &len, &err);
	if (st) {
		fail("model run", st, &err);
		goto out;
	}
	if (len != count * sizeof(float)) {
		fprintf(stderr, "eid: model run: '%s' has %zu bytes, shape %s needs %zu\n", input, len,
			shape, count * sizeof(float));
		goto out;
	}
	float *x = malloc(count * sizeof(float));
	if (!x)
		goto out;
	memcpy(x, buf, count * sizeof(float)); /* aligned copy; file bytes are little-endian */
	eid_session_opts o = eid_session_defaults();
	o.threads = threads;
	o.backend = reference ? EID_BACKEND_REFERENCE : EID_BACKEND_FAST;
	o.bf16 = bf16;
	st = eid_session_new(m, &o, &s, &err);
	times = malloc((size_t)repeat * sizeof(double));
	for (int r = 0; !st && times && r < repeat; r++) {
		double t0 = eid_now_ms();
		st = eid_session_run(s, x, dims, rank, &err);
		times[r] = eid_now_ms() - t0;
	}
	free(x);
	if (st || !times) {
		fail("model run", st ? st : EID_E_NOMEM, &err);
		goto out;
	}
	qsort(times, (size_t)repeat, sizeof(double), cmp_double);
	double median = repeat % 2 ? times[repeat / 2]
				   : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
	printf("{\"model\":\"%s\",\"outputs\":[", model);
	for (size_t i = 0; i < eid_model_num_outputs(m); i++) {
		eid_tensor_view v = eid_session_output(s, i);
		char path[4096];
		snprintf(path, sizeof(path), "%s.%zu.f32", prefix, i);
		st = eid_file_write(path, v.data, v.count * sizeof(float), 0644, &err);
		if (st) {
			printf("]}\n");
			fail("model run", st, &err);
			goto out;
		}
		printf("%s{\"name\":\"%s\",\"file\":\"%s\",\"shape\":[", i ? "," : "", v.name, path);
		for (int d = 0; d < v.rank; d++)
			printf("%s%lld", d ? "," : "", (long long)v.dims[d]);
		printf("]}");
	}
	printf("],\"backend\":\"%s\",\"threads\":%d,\"repeat\":%d,\"median_ms\":%.3f,"
	       "\"min_ms\":%.3f}\n",
	       reference ? "reference" : bf16 ? "fast-bf16" : "fast", threads, repeat, median,
	       times[0]);
	rc = 0;
out:
	free(times);
	free(buf);
	eid_session_free(s);
	eid_model_free(m);
	return rc;
}
