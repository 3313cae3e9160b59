/* Templates of many photos on several threads, and the normalisation cohort
 * of a cohort folder chosen by the calibration's rule (eid/face_match.h). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/face_match.h"
#include "eid/util.h"

typedef struct batch {
	const eid_face_engine *fe;
	eid_face_batch_item *items;
	size_t n, next;
	pthread_mutex_t lock;
} batch;

static void *batch_worker(void *arg)
{
	batch *b = arg;
	eid_face_ctx *fc = NULL;
	eid_err err;
	eid_status ctx_st = eid_face_ctx_new(b->fe, 1, &fc, &err);
	eid_face_result *r = ctx_st ? NULL : malloc(sizeof(*r));
	if (!ctx_st && !r)
		ctx_st = eid_fail(&err, EID_E_NOMEM, "out of memory");
	for (;;) {
		pthread_mutex_lock(&b->lock);
		const size_t i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->n)
			break;
		eid_face_batch_item *it = &b->items[i];
		eid_image img = {0};
		it->st = ctx_st ? ctx_st : eid_image_load(it->path, &img, &err);
		if (!it->st)
			it->st = eid_face_analyze(fc, &img, r, &err);
		if (!it->st)
			it->st = eid_face_template_make(fc, &img, r, &it->tpl, &err);
		eid_image_release(&img);
		if (it->st)
			snprintf(it->msg, sizeof(it->msg), "%s", err.msg);
		else
			it->quality_ok = eid_face_quality_reasons(&r->quality, NULL, 0) == 0;
	}
	if (r)
		sodium_memzero(r, sizeof(*r));
	free(r);
	eid_face_ctx_free(fc);
	return NULL;
}

void eid_face_batch(const eid_face_engine *fe, eid_face_batch_item *items, size_t n, int threads)
{
	batch b = {.fe = fe, .items = items, .n = n};
	pthread_mutex_init(&b.lock, NULL);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	pthread_t th[64];
	int started = 0;
	for (int i = 0; i < threads; i++)
		started += pthread_create(&th[started], NULL, batch_worker, &b) == 0;
	if (!started) /* no thread to be had: do the work here */
		batch_worker(&b);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&b.lock);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "file" column of dir/manifest.csv (a header row naming it; plain
 * fields, no quotes), sorted. */
static eid_status manifest_files(const char *dir, char ***out, size_t *n_out, eid_err *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/manifest.csv", dir);
	uint8_t *text;
	size_t len;
	eid_status st = eid_file_read(path, 16u << 20, &text, &len, err);
	if (st)
		return st;
	char **files = NULL;
	size_t n = 0, cap = 0;
	int col = -1, line = 0;
	char *save = NULL;
	for (char *row = strtok_r((char *)text, "\r\n", &save); !st && row;
	     row = strtok_r(NULL, "\r\n", &save), line++) {
		int c = 0;
		char *field = row;
		for (char *p = row;; p++) {
			if (*p != ',' && *p)
				continue;
			const char end = *p;
			*p = 0;
			if (line == 0 && strcmp(field, "file") == 0)
				col = c;
			else if (line > 0 && c == col && *field) {
				if (n == cap) {
					cap = cap ? 2 * cap : 1024;
					char **nf = realloc(files, cap * sizeof(*files));
					if (!nf) {
						st = eid_fail(err, EID_E_NOMEM, "out of memory");
						break;
					}
					files = nf;
				}
				if (!(files[n] = strdup(field))) {
					st = eid_fail(err, EID_E_NOMEM, "out of memory");
					break;
				}
				n++;
			}
			if (!end)
				break;
			field = p + 1;
			c++;
		}
		if (line == 0 && col < 0)
			st = eid_fail(err, EID_E_FORMAT, "'%s' has no \"file\" column", path);
	}
	free(text);
	if (!st && n == 0)
		st = eid_fail(err, EID_E_FORMAT, "'%s' lists no files", path);
	if (st) {
		for (size_t i = 0; i < n; i++)
			free(files[i]);
		free(files);
		return st;
	}
	qsort(files, n, sizeof(*files), by_name);
	*out = files;
	*n_out = n;
	return EID_OK;
}

eid_status eid_face_cohort_dir(const eid_face_engine *fe, const char *dir, int threads,
			       eid_face_template **out, size_t *n_out, char digest[65],
			       eid_err *err)
{
	*out = NULL;
	*n_out = 0;
	char **files;
	size_t nf;
	eid_status st = manifest_files(dir, &files, &nf, err);
	if (st)
		return st;
	/* the calibration's rule: every other file in name order, from the first */
	const size_t n = (nf + 1) / 2;
	eid_face_batch_item *items = calloc(n, sizeof(*items));
	char **paths = calloc(n, sizeof(*paths));
	st = items && paths ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
	for (size_t i = 0; !st && i < n; i++) {
		const size_t len = strlen(dir) + strlen(files[2 * i]) + 2;
		if (!(paths[i] = malloc(len)))
			st = eid_fail(err, EID_E_NOMEM, "out of memory");
		else
			snprintf(paths[i], len, "%s/%s", dir, files[2 * i]);
		items[i].path = paths[i];
	}
	if (!st)
		eid_face_batch(fe, items, n, threads);
	/* photos without a face leave the cohort; any other failure is an error */
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	size_t kept = 0;
	eid_face_template *t = st ? NULL : malloc(n * sizeof(*t));
	if (!st && !t)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	for (size_t i = 0; !st && i < n; i++) {
		if (items[i].st == EID_E_NO_FACE)
			continue;
		if (items[i].st) {
			st = eid_fail(err, items[i].st, "cohort photo '%s': %s", files[2 * i],
				      items[i].msg);
			break;
		}
		if (kept)
			crypto_hash_sha256_update(&h, (const uint8_t *)"\n", 1);
		crypto_hash_sha256_update(&h, (const uint8_t *)files[2 * i], strlen(files[2 * i]));
		t[kept++] = items[i].tpl;
	}
	uint8_t sum[32];
	crypto_hash_sha256_final(&h, sum);
	sodium_bin2hex(digest, 65, sum, sizeof(sum));
	if (items)
		sodium_memzero(items, n * sizeof(*items));
	free(items);
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	for (size_t i = 0; i < nf; i++)
		free(files[i]);
	free(files);
	if (st) {
		free(t);
		return st;
	}
	*out = t;
	*n_out = kept;
	return EID_OK;
}
