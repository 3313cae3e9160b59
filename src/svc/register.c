/* Register import (flow 1): CSV rows -> checked, face-templated, encrypted
 * register entries. See eid_authority_import in eid/svc.h. */
#include <libgen.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "eid/admin.h"
#include "eid/dedup.h"
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

/* Where a row's photo comes from: a file beside the CSV (the CLI) or the
 * files uploaded with it (the admin console). Fills img from the photo
 * column's text; the message names the field, never a path or file name. */
typedef eid_status (*photo_fn)(void *ctx, const char *name, eid_image *img, eid_err *err);

/* Where a row sits, for a duplicate hold's queue entry (eid/dedup.h). */
typedef struct row_pos {
	const char *batch;
	int64_t batch_ms;
	unsigned line;
	int held; /* out: the row was held as a duplicate */
} row_pos;

/* One row: checks, face, 1:N search, encryption, storage, audit. */
static eid_status import_row(eid_authority *a, eid_face_ctx *fc, char **f, photo_fn load,
			     void *load_ctx, row_pos *pos, char person[48], eid_err *err)
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
	eid_image img = {0};
	eid_face_result *r = malloc(sizeof(*r));
	if (!r)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	st = load(load_ctx, f[5], &img, err);
	if (st) {
		free(r);
		return st;
	}
	st = eid_face_analyze(fc, &img, r, err);
	if (!st && r->faces_found != 1)
		st = eid_fail(err, EID_E_FORMAT, "photo shows %d faces, a reference photo needs one",
			      r->faces_found);
	else if (st)
		st = eid_fail(err, st, "photo: %s", eid_status_summary(st));
	eid_face_template *tpl = st ? NULL : malloc(sizeof(*tpl));
	if (!st && !tpl)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = eid_face_template_make(fc, &img, r, tpl, err);
	eid_image_release(&img);
	sodium_memzero(r, sizeof(*r));
	free(r);
	/* one person, one identity: a face already registered holds the row */
	eid_dedup_match dup = {0};
	if (!st)
		st = eid_dedup_search(a, tpl->dlib, NULL, &dup, err);

	/* the row: keyed hash of the ID number, record and template under the KEK */
	eid_resident_row row;
	memset(&row, 0, sizeof(row));
	eid_crypto_random_id(row.person_id);
	char idh[EID_PSEUDONYM_LEN + 1];
	if (!st && !(st = eid_pseudonym(a->idhash, f[0], strlen(f[0]), "id-number", 9, idh, err)))
		st = eid_b64url_decode_exact(idh, strlen(idh), row.id_hash, 32, err);
	char *rec_text = NULL;
	if (!st) {
		json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id_number", f[0], "name", f[1],
					"birth_date", f[2], "sex", f[3], "address", f[4]);
		rec_text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(rec);
	}
	const size_t rec_len = rec_text ? strlen(rec_text) : 0;
	uint8_t *rec_ct = rec_text ? malloc(rec_len + EID_KEK_OVERHEAD) : NULL;
	if (!st && !rec_ct)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	uint8_t tpl_ct[SVC_TEMPLATE_CT_BYTES];
	char ad_rec[64], ad_tpl[64];
	snprintf(ad_rec, sizeof(ad_rec), "record:%s", row.person_id);
	snprintf(ad_tpl, sizeof(ad_tpl), "template:%s", row.person_id);
	if (!st)
		st = eid_kek_encrypt(a->kek, (const uint8_t *)ad_rec, strlen(ad_rec),
				     (const uint8_t *)rec_text, rec_len, rec_ct,
				     rec_len + EID_KEK_OVERHEAD, &row.record_len, err);
	if (!st)
		st = svc_seal_template(a, ad_tpl, tpl, tpl_ct, &row.template_len, err);
	if (rec_text)
		sodium_memzero(rec_text, rec_len);
	free(rec_text);
	row.record_ct = rec_ct;
	row.template_ct = tpl_ct;
	row.status = dup.n ? "held" : "active";
	row.created_ms = svc_now_ms();
	char held_reason[256];
	if (!st && dup.n) { /* held for the administrator: the row is kept, not imported */
		st = eid_dedup_hold(a, &row, idh, &dup, pos->batch, pos->batch_ms, pos->line,
				    held_reason, err);
		pos->held = !st;
	} else if (!st && !(st = eid_store_begin(a->store, err))) {
		/* the row and its audit entry commit together */
		st = eid_store_resident_add(a->store, &row, err);
		if (!st)
			st = eid_store_audit_append(a->store, "register.imported", idh, row.person_id,
						    strlen(row.person_id), NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	free(rec_ct);
	if (!st && !pos->held) /* the gallery follows the register */
		st = eid_dedup_add(a, row.person_id, tpl->dlib, err);
	if (tpl)
		sodium_memzero(tpl, sizeof(*tpl));
	free(tpl);
	if (!st && pos->held)
		return eid_fail(err, EID_E_CONFLICT, "%s", held_reason);
	if (!st)
		snprintf(person, 48, "%s", row.person_id);
	return st;
}

/* What one import run reads and where its rows' outcomes go. */
typedef struct import_src {
	FILE *in;
	const char *what;   /* the source in messages: "register 'PATH'", "csv" */
	const char *source; /* recorded with the batch: "cli", "admin" */
	photo_fn load;
	void *load_ctx;
	/* called for every row with its outcome (st, err) */
	void (*row)(void *ctx, unsigned line, const char *person, eid_status st, const eid_err *err);
	void *row_ctx;
} import_src;

/* A refused row joins the administrator's queue: its line and reason only. */
static eid_status hold_row(eid_authority *a, const char *batch, int64_t batch_ms, unsigned line,
			   eid_status rs, const eid_err *rerr, eid_err *err)
{
	eid_held_import_row h;
	memset(&h, 0, sizeof(h));
	eid_crypto_random_id(h.held_id);
	snprintf(h.batch_id, sizeof(h.batch_id), "%s", batch);
	h.line = line;
	snprintf(h.code, sizeof(h.code), "%s", eid_status_code(rs));
	snprintf(h.reason, sizeof(h.reason), "%.*s", (int)sizeof(h.reason) - 1, rerr->msg);
	h.created_ms = batch_ms;
	return eid_store_held_import_add(a->store, &h, err);
}

/* The import itself, the same for a file and an upload: header, then one
 * row at a time; bad rows reported, held and skipped, good rows kept. */
static eid_status import_run(eid_authority *a, const import_src *src, const char *models_dir,
			     char batch_out[EID_RANDOM_ID_LEN + 1], eid_import_counts *counts_out,
			     eid_err *err)
{
	memset(counts_out, 0, sizeof(*counts_out));
	eid_import_batch_row batch;
	memset(&batch, 0, sizeof(batch));
	eid_crypto_random_id(batch.batch_id);
	snprintf(batch.source, sizeof(batch.source), "%s", src->source);
	batch.created_ms = svc_now_ms();
	snprintf(batch_out, EID_RANDOM_ID_LEN + 1, "%.*s", EID_RANDOM_ID_LEN, batch.batch_id);
	eid_face_ctx *fc = NULL;
	eid_status st = svc_face_acquire(a, models_dir, &fc, err);
	char *line = malloc(MAX_LINE + 2);
	if (!st && !line)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	unsigned lineno = 0;
	int header_ok = 0;
	while (!st && fgets(line, MAX_LINE + 2, src->in)) {
		lineno++;
		size_t n = strlen(line);
		const int too_long = n > MAX_LINE || (n == MAX_LINE + 1 && line[n - 1] != '\n');
		if (too_long) { /* skip the rest of the physical line */
			int c;
			while ((c = fgetc(src->in)) != EOF && c != '\n')
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
					      "%s: the first line must be "
					      "id_number,name,birth_date,sex,address,photo",
					      src->what);
			header_ok = ok;
			continue;
		}
		if (!n)
			continue; /* blank lines */
		counts_out->rows++;
		eid_err rerr = {{0}};
		char person[48] = "";
		row_pos pos = {batch.batch_id, batch.created_ms, lineno, 0};
		eid_status rs = too_long  ? eid_fail(&rerr, EID_E_LIMIT, "line longer than %d bytes",
						     MAX_LINE)
				: nf != FIELDS ? eid_fail(&rerr, EID_E_FORMAT,
							  "expected %d comma-separated fields",
							  FIELDS)
					       : import_row(a, fc, f, src->load, src->load_ctx, &pos,
							    person, &rerr);
		sodium_memzero(line, MAX_LINE + 2);
		if (rs == EID_E_NOMEM || rs == EID_E_STORAGE) {
			st = eid_fail(err, rs, "line %u: %s", lineno, rerr.msg); /* not the row's fault */
			break;
		}
		/* a duplicate is queued already, with its data */
		if (rs && !pos.held &&
		    (st = hold_row(a, batch.batch_id, batch.created_ms, lineno, rs, &rerr, err)))
			break;
		src->row(src->row_ctx, lineno, person, rs, &rerr);
		if (rs)
			counts_out->rejected++;
		else
			counts_out->imported++;
	}
	if (!st && ferror(src->in))
		st = eid_fail(err, EID_E_IO, "cannot read %s", src->what);
	if (!st && lineno == 0)
		st = eid_fail(err, EID_E_FORMAT, "%s is empty", src->what);
	/* the batch's counts, also after a failure part-way: its rows are in */
	if (header_ok) {
		batch.rows = counts_out->rows;
		batch.imported = counts_out->imported;
		batch.rejected = counts_out->rejected;
		eid_err berr;
		eid_status bs = eid_store_import_batch_add(a->store, &batch, st ? &berr : err);
		if (!st)
			st = bs;
	}
	if (line)
		sodium_memzero(line, MAX_LINE + 2);
	free(line);
	if (fc)
		svc_face_release(a, fc);
	return st;
}

/* --- the command line: a CSV file, photos beside it ----------------------- */

static eid_status load_file(void *ctx, const char *name, eid_image *img, eid_err *err)
{
	const char *csv_dir = ctx;
	char path[2048];
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", csv_dir, name);
	eid_status st = eid_image_load(path, img, err);
	if (st) /* the loader's message quotes the path */
		return eid_fail(err, st, "photo cannot be read (%s)", eid_status_code(st));
	return EID_OK;
}

static void report_file(void *ctx, unsigned line, const char *person, eid_status st,
			const eid_err *err)
{
	report_row(ctx, line, person, st, err);
}

eid_status eid_authority_import(eid_authority *a, const char *csv_path, const char *models_dir,
				FILE *report, eid_import_counts *counts_out, eid_err *err)
{
	memset(counts_out, 0, sizeof(*counts_out));
	FILE *in = fopen(csv_path, "r");
	if (!in)
		return eid_fail(err, EID_E_IO, "cannot open register '%s'", csv_path);
	char *dcopy = strdup(csv_path), *what = NULL;
	const size_t what_len = strlen(csv_path) + 16;
	if (dcopy)
		what = malloc(what_len);
	if (!what) {
		fclose(in);
		free(dcopy);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	snprintf(what, what_len, "register '%s'", csv_path);
	import_src src = {.in = in,
			  .what = what,
			  .source = "cli",
			  .load = load_file,
			  .load_ctx = dirname(dcopy),
			  .row = report_file,
			  .row_ctx = report};
	char batch[EID_RANDOM_ID_LEN + 1];
	eid_status st = import_run(a, &src, models_dir, batch, counts_out, err);
	fclose(in);
	free(what);
	free(dcopy);
	return st;
}

/* --- the admin console: CSV text and photos uploaded with it --------------- */

/* the last path component, for '/' and '\' (a register made on Windows) */
static const char *base_name(const char *s)
{
	const char *b = s;
	for (; *s; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b;
}

typedef struct upload {
	const eid_admin_photo *photos;
	size_t n;
} upload;

/* standard or url alphabet, padded or not: what browsers and scripts send */
static eid_status b64_any(const char *txt, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	static const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
				       sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
				       sodium_base64_VARIANT_URLSAFE,
				       sodium_base64_VARIANT_URLSAFE_NO_PADDING};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (sodium_base642bin(out, cap, txt, len, NULL, n, NULL, variants[i]) == 0)
			return EID_OK;
	return EID_E_FORMAT;
}

static eid_status load_upload(void *ctx, const char *name, eid_image *img, eid_err *err)
{
	const upload *u = ctx;
	const char *want = base_name(name);
	const eid_admin_photo *p = NULL;
	for (size_t i = 0; i < u->n && !p; i++)
		if (strcmp(base_name(u->photos[i].name), want) == 0)
			p = &u->photos[i];
	if (!p)
		return eid_fail(err, EID_E_NOT_FOUND, "photo is not among the uploaded files");
	if (p->b64_len / 4 * 3 > EID_ADMIN_PHOTO_BYTES)
		return eid_fail(err, EID_E_LIMIT, "photo is larger than %u bytes",
				EID_ADMIN_PHOTO_BYTES);
	const size_t cap = p->b64_len / 4 * 3 + 3;
	uint8_t *bytes = malloc(cap ? cap : 1);
	if (!bytes)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	size_t n = 0;
	eid_status st = b64_any(p->b64, p->b64_len, bytes, cap, &n);
	if (st)
		st = eid_fail(err, st, "photo is not base64");
	else if ((st = eid_image_decode(bytes, n, img, err)))
		st = eid_fail(err, st, "photo cannot be read (%s)", eid_status_code(st));
	sodium_memzero(bytes, cap); /* the only copy in clear, in memory only */
	free(bytes);
	return st;
}

static void report_json(void *ctx, unsigned line, const char *person, eid_status st,
			const eid_err *err)
{
	(void)person; /* the register's own id: not for the console either */
	if (st)
		json_array_append_new(ctx, json_pack("{s:i, s:s, s:s}", "line", (json_int_t)line,
						     "code", eid_status_code(st), "reason",
						     err->msg));
}

eid_status eid_admin_import(eid_authority *a, const char *csv, size_t csv_len,
			    const eid_admin_photo *photos, size_t nphotos, const char *models_dir,
			    json_t **out, eid_err *err)
{
	*out = NULL;
	if (nphotos > EID_ADMIN_PHOTOS_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "photos holds %zu files (max %d)", nphotos,
				EID_ADMIN_PHOTOS_MAX);
	for (size_t i = 0; i < nphotos; i++) {
		const char *bi = base_name(photos[i].name);
		if (!*bi)
			return eid_fail(err, EID_E_INVALID_ARG, "photos: file %zu has no name", i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(bi, base_name(photos[j].name)) == 0)
				return eid_fail(err, EID_E_INVALID_ARG,
						"photos: files %zu and %zu have the same name", j + 1,
						i + 1);
	}
	if (!csv || !csv_len)
		return eid_fail(err, EID_E_FORMAT, "csv is empty");
	if (memchr(csv, 0, csv_len))
		return eid_fail(err, EID_E_FORMAT, "csv holds a NUL byte");
	FILE *in = fmemopen((void *)csv, csv_len, "r");
	json_t *errors = json_array();
	if (!in || !errors) {
		if (in)
			fclose(in);
		json_decref(errors);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	upload u = {photos, nphotos};
	import_src src = {.in = in,
			  .what = "csv",
			  .source = "admin",
			  .load = load_upload,
			  .load_ctx = &u,
			  .row = report_json,
			  .row_ctx = errors};
	char batch[EID_RANDOM_ID_LEN + 1];
	eid_import_counts c;
	eid_status st = import_run(a, &src, models_dir, batch, &c, err);
	fclose(in);
	if (st) {
		json_decref(errors);
		return st;
	}
	*out = json_pack("{s:s, s:i, s:i, s:i, s:o}", "batch", batch, "rows", (json_int_t)c.rows,
			 "imported", (json_int_t)c.imported, "rejected", (json_int_t)c.rejected,
			 "errors", errors);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}
