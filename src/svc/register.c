/* Register import (flow 1): CSV rows -> checked, face-templated, encrypted
 * register entries. See eid_authority_import in eid/svc.h. */
#include <libgen.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_internal.h"

#define MAX_LINE 8192
#define FIELDS 6

static const char *const header[FIELDS] = {"id_number", "name", "birth_date",
					   "sex",       "address", "photo"};
static const size_t max_len[FIELDS] = {18, 128, 10, 1, 512, 1024};

/* Splits one CSV record (RFC 4180: quotes, doubled quotes) in place. Returns
 * the number of fields, or -1 on an unterminated quote. */
static int split_csv(char *line, char **fields, int max)
{
	int n = 0;
	char *r = line, *w = line;
	while (n < max) {
		fields[n++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (!*r)
					return -1;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		if (*r == ',') {
			*w++ = 0;
			r++;
			continue;
		}
		*w = 0;
		return *r ? -1 : n;
	}
	return -1; /* more fields than expected */
}

/* printable UTF-8 text without control characters */
static int clean_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void report_row(FILE *out, unsigned line, const char *person, eid_status st,
		       const eid_err *err)
{
	if (!out)
		return;
	json_t *j = st ? json_pack("{s:i, s:s, s:s, s:s}", "line", line, "status", "rejected",
				   "code", eid_status_code(st), "message", err->msg)
		       : json_pack("{s:i, s:s, s:s}", "line", line, "status", "imported", "person",
				   person);
	char *text = json_dumps(j, JSON_COMPACT);
	if (text)
		fprintf(out, "%s\n", text);
	free(text);
	json_decref(j);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One row: checks, face, encryption, storage, audit. */
static eid_status import_row(eid_authority *a, eid_face_ctx *fc, char **f, const char *csv_dir,
			     char person[48], eid_err *err)
{
	for (int i = 0; i < FIELDS; i++) {
		if (!*f[i])
			return eid_fail(err, EID_E_FORMAT, "%s is empty", header[i]);
		if (strlen(f[i]) > max_len[i])
			return eid_fail(err, EID_E_FORMAT, "%s is longer than %zu bytes", header[i],
					max_len[i]);
		if (!clean_text(f[i]))
			return eid_fail(err, EID_E_FORMAT, "%s holds control characters", header[i]);
	}
	eid_status st = svc_id_check(f[0], f[2], f[3], err);
	if (st)
		return st;

	/* the face: exactly one, and its template */
	char path[2048];
	if (f[5][0] == '/')
		snprintf(path, sizeof(path), "%s", f[5]);
	else
		snprintf(path, sizeof(path), "%s/%s", csv_dir, f[5]);
	eid_image img = {0};
	eid_face_result *r = malloc(sizeof(*r));
	if (!r)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	st = eid_image_load(path, &img, err);
	if (st) {
		free(r);
		return eid_fail(err, st, "photo cannot be read (%s)", eid_status_code(st));
	}
	st = eid_face_analyze(fc, &img, r, err);
	eid_image_release(&img);
	if (!st && r->faces_found != 1)
		st = eid_fail(err, EID_E_FORMAT, "photo shows %d faces, a reference photo needs one",
			      r->faces_found);
	else if (st)
		st = eid_fail(err, st, "photo: %s", eid_status_summary(st));
	uint8_t tpl[EID_FACE_EMBEDDING_DIM * 4];
	if (!st)
		for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++) { /* little-endian floats */
			uint32_t u;
			memcpy(&u, &r->embedding[i], 4);
			for (int b = 0; b < 4; b++)
				tpl[4 * i + b] = (uint8_t)(u >> (8 * b));
		}
	sodium_memzero(r, sizeof(*r));
	free(r);
	if (st)
		return st;

	/* the row: keyed hash of the ID number, record and template under the KEK */
	eid_resident_row row;
	memset(&row, 0, sizeof(row));
	eid_crypto_random_id(row.person_id);
	char idh[EID_PSEUDONYM_LEN + 1];
	if ((st = eid_pseudonym(a->idhash, f[0], strlen(f[0]), "id-number", 9, idh, err)) ||
	    (st = eid_b64url_decode_exact(idh, strlen(idh), row.id_hash, 32, err)))
		return st;
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id_number", f[0], "name", f[1],
				"birth_date", f[2], "sex", f[3], "address", f[4]);
	char *rec_text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(rec);
	if (!rec_text)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	const size_t rec_len = strlen(rec_text);
	uint8_t *rec_ct = malloc(rec_len + EID_KEK_OVERHEAD);
	uint8_t tpl_ct[sizeof(tpl) + EID_KEK_OVERHEAD];
	char ad_rec[64], ad_tpl[64];
	snprintf(ad_rec, sizeof(ad_rec), "record:%s", row.person_id);
	snprintf(ad_tpl, sizeof(ad_tpl), "template:%s", row.person_id);
	st = rec_ct ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = eid_kek_encrypt(a->kek, (const uint8_t *)ad_rec, strlen(ad_rec),
				     (const uint8_t *)rec_text, rec_len, rec_ct,
				     rec_len + EID_KEK_OVERHEAD, &row.record_len, err);
	if (!st)
		st = eid_kek_encrypt(a->kek, (const uint8_t *)ad_tpl, strlen(ad_tpl), tpl, sizeof(tpl),
				     tpl_ct, sizeof(tpl_ct), &row.template_len, err);
	sodium_memzero(rec_text, rec_len);
	free(rec_text);
	sodium_memzero(tpl, sizeof(tpl));
	row.record_ct = rec_ct;
	row.template_ct = tpl_ct;
	row.status = "active";
	row.created_ms = now_ms();
	/* the row and its audit entry commit together */
	if (!st && !(st = eid_store_begin(a->store, err))) {
		st = eid_store_resident_add(a->store, &row, err);
		if (!st)
			st = eid_store_audit_append(a->store, "register.imported", idh, row.person_id,
						    strlen(row.person_id), NULL, err);
		if (st)
			eid_store_rollback(a->store);
		else
			st = eid_store_commit(a->store, err);
	}
	free(rec_ct);
	if (!st)
		snprintf(person, 48, "%s", row.person_id);
	return st;
}

eid_status eid_authority_import(eid_authority *a, const char *csv_path, const char *models_dir,
				FILE *report, eid_import_counts *counts_out, eid_err *err)
{
	memset(counts_out, 0, sizeof(*counts_out));
	FILE *in = fopen(csv_path, "r");
	if (!in)
		return eid_fail(err, EID_E_IO, "cannot open register '%s'", csv_path);
	eid_face_ctx *fc = NULL;
	eid_status st = svc_face_acquire(a, models_dir, &fc, err);
	char *dcopy = strdup(csv_path), *line = malloc(MAX_LINE + 2);
	if (!st && (!dcopy || !line))
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	const char *csv_dir = dcopy ? dirname(dcopy) : ".";
	unsigned lineno = 0;
	while (!st && fgets(line, MAX_LINE + 2, in)) {
		lineno++;
		size_t n = strlen(line);
		const int too_long = n > MAX_LINE || (n == MAX_LINE + 1 && line[n - 1] != '\n');
		if (too_long) { /* skip the rest of the physical line */
			int c;
			while ((c = fgetc(in)) != EOF && c != '\n')
				;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		char *f[FIELDS];
		int nf = too_long ? -1 : split_csv(line, f, FIELDS);
		if (lineno == 1) { /* the header */
			int ok = nf == FIELDS;
			for (int i = 0; ok && i < FIELDS; i++)
				ok = strcmp(f[i], header[i]) == 0;
			if (!ok)
				st = eid_fail(err, EID_E_FORMAT,
					      "register '%s': the first line must be "
					      "id_number,name,birth_date,sex,address,photo",
					      csv_path);
			continue;
		}
		if (!n)
			continue; /* blank lines */
		counts_out->rows++;
		eid_err rerr = {{0}};
		char person[48] = "";
		eid_status rs = too_long  ? eid_fail(&rerr, EID_E_LIMIT, "line longer than %d bytes",
						     MAX_LINE)
				: nf != FIELDS ? eid_fail(&rerr, EID_E_FORMAT,
							  "expected %d comma-separated fields",
							  FIELDS)
					       : import_row(a, fc, f, csv_dir, person, &rerr);
		if (rs == EID_E_NOMEM || rs == EID_E_STORAGE) {
			st = eid_fail(err, rs, "line %u: %s", lineno, rerr.msg); /* not the row's fault */
			break;
		}
		report_row(report, lineno, person, rs, &rerr);
		if (rs)
			counts_out->rejected++;
		else
			counts_out->imported++;
		sodium_memzero(line, MAX_LINE + 2);
	}
	if (!st && ferror(in))
		st = eid_fail(err, EID_E_IO, "cannot read register '%s'", csv_path);
	if (!st && lineno == 0)
		st = eid_fail(err, EID_E_FORMAT, "register '%s' is empty", csv_path);
	fclose(in);
	free(line);
	free(dcopy);
	if (fc)
		svc_face_release(a, fc);
	return st;
}
