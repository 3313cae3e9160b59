/* The authority's score-normalisation cohort: templates of faces of the
 * served population that are not residents, kept under the KEK in
 * <data>/authority/cohort.bin. Verification and enrolment scores are
 * normalised against it (eid/face_match.h) when it is the cohort the
 * compiled calibration was set with; without it they fall back to the fused
 * scorer and its own thresholds. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eid/log.h"
#include "eid/util.h"
#include "svc_internal.h"

static const uint8_t magic[4] = {'E', 'F', 'C', '1'};
#define HEADER (4 + 4 + 64) /* magic, n (little-endian), digest (hex) */
#define MAX_COHORT 100000

static void path_of(const eid_authority *a, char *buf, size_t cap, const char *suffix)
{
	snprintf(buf, cap, "%s/cohort.bin%s", a->dir, suffix);
}

/* the in-memory cohort: the old one stays allocated until close, for the
 * requests that may still hold it (past SVC_COHORT_RETIRED replacements in
 * one process, the oldest is never freed rather than freed under a reader) */
static void install(eid_authority *a, eid_face_cohort *c)
{
	pthread_mutex_lock(&a->cohort_lock);
	if (a->cohort) {
		a->cohort_retired[a->cohort_retired_n < SVC_COHORT_RETIRED ? a->cohort_retired_n++
									 : 0] = a->cohort;
	}
	a->cohort = c;
	a->cohort_loaded = 1;
	pthread_mutex_unlock(&a->cohort_lock);
}

eid_status eid_authority_cohort_set(eid_authority *a, const eid_face_template *t, size_t n,
				    const char *digest, eid_err *err)
{
	eid_status st = eid_face_cohort_check(n, digest, err);
	if (st)
		return st;
	eid_face_cohort *c;
	if ((st = eid_face_cohort_new(t, n, &c, err)))
		return st;
	const size_t len = HEADER + n * EID_FACE_TEMPLATE_BYTES;
	uint8_t *pt = malloc(len), *ct = malloc(len + EID_KEK_OVERHEAD);
	size_t ct_len = 0;
	st = pt && ct ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st) {
		memcpy(pt, magic, 4);
		for (int b = 0; b < 4; b++)
			pt[4 + b] = (uint8_t)(n >> (8 * b));
		memcpy(pt + 8, digest, 64);
		for (size_t i = 0; i < n; i++) {
			uint8_t *p = pt + HEADER + i * EID_FACE_TEMPLATE_BYTES;
			if (eid_face_template_pack(&t[i], p) != EID_FACE_TEMPLATE_BYTES)
				st = eid_fail(err, EID_E_INVALID_ARG, "cohort template %zu", i);
		}
	}
	if (!st)
		st = eid_kek_encrypt(a->kek, (const uint8_t *)"cohort", 6, pt, len, ct,
				     len + EID_KEK_OVERHEAD, &ct_len, err);
	/* a new file beside the old, then renamed over it: never half a cohort */
	char path[4200], tmp[4200];
	path_of(a, path, sizeof(path), "");
	path_of(a, tmp, sizeof(tmp), ".new");
	if (!st) {
		unlink(tmp);
		st = eid_key_file_write(tmp, ct, ct_len, err);
	}
	if (!st && rename(tmp, path) != 0) {
		st = eid_fail(err, EID_E_IO, "cannot replace '%s'", path);
		unlink(tmp);
	}
	if (pt)
		sodium_memzero(pt, len);
	free(pt);
	free(ct);
	if (st) {
		eid_face_cohort_free(c);
		return st;
	}
	install(a, c);
	char count[24];
	snprintf(count, sizeof(count), "%zu", n);
	eid_log(EID_LOG_INFO, "authority", "cohort.set", "faces", count, NULL);
	return EID_OK;
}

/* Reads and checks the cohort file: NULL in *out when there is none. */
static eid_status load(eid_authority *a, eid_face_cohort **out, eid_err *err)
{
	*out = NULL;
	char path[4200];
	path_of(a, path, sizeof(path), "");
	if (access(path, F_OK) != 0)
		return EID_OK;
	uint8_t *ct;
	size_t ct_len;
	eid_status st = eid_file_read(path, (size_t)MAX_COHORT * EID_FACE_TEMPLATE_BYTES, &ct,
				      &ct_len, err);
	if (st)
		return st;
	uint8_t *pt = ct_len > EID_KEK_OVERHEAD ? malloc(ct_len) : NULL;
	size_t len = 0;
	st = pt ? eid_kek_decrypt(a->kek, (const uint8_t *)"cohort", 6, ct, ct_len, pt, ct_len,
				  &len, err)
		: eid_fail(err, EID_E_FORMAT, "'%s' is too short", path);
	free(ct);
	size_t n = 0;
	char digest[65] = "";
	if (!st && (len < HEADER || memcmp(pt, magic, 4) != 0))
		st = eid_fail(err, EID_E_FORMAT, "'%s' is not a cohort file", path);
	if (!st) {
		for (int b = 0; b < 4; b++)
			n |= (size_t)pt[4 + b] << (8 * b);
		memcpy(digest, pt + 8, 64);
		if (n > MAX_COHORT || len != HEADER + n * EID_FACE_TEMPLATE_BYTES)
			st = eid_fail(err, EID_E_FORMAT, "'%s' has the wrong length", path);
	}
	if (!st)
		st = eid_face_cohort_check(n, digest, err);
	eid_face_template *t = st ? NULL : malloc(n * sizeof(*t));
	if (!st && !t)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	for (size_t i = 0; !st && i < n; i++)
		st = eid_face_template_unpack(pt + HEADER + i * EID_FACE_TEMPLATE_BYTES,
					      EID_FACE_TEMPLATE_BYTES, &t[i], err);
	if (!st)
		st = eid_face_cohort_new(t, n, out, err);
	if (pt)
		sodium_memzero(pt, len);
	free(pt);
	if (t)
		sodium_memzero(t, n * sizeof(*t));
	free(t);
	return st;
}

const eid_face_cohort *svc_cohort(eid_authority *a)
{
	pthread_mutex_lock(&a->cohort_lock);
	if (!a->cohort_loaded) {
		eid_err err;
		eid_face_cohort *c = NULL;
		eid_status st = load(a, &c, &err);
		if (st)
			eid_log(EID_LOG_WARN, "authority", "cohort.unusable", "reason", err.msg,
				NULL);
		else if (!c)
			eid_log(EID_LOG_INFO, "authority", "cohort.none", "scorer", "fused", NULL);
		a->cohort = c;
		a->cohort_loaded = 1;
	}
	const eid_face_cohort *c = a->cohort;
	pthread_mutex_unlock(&a->cohort_lock);
	return c;
}

void svc_cohort_free(eid_authority *a)
{
	eid_face_cohort_free(a->cohort);
	for (int i = 0; i < a->cohort_retired_n; i++)
		eid_face_cohort_free(a->cohort_retired[i]);
}

void svc_log_decision(const char *flow, eid_face_scorer scorer, eid_face_level level,
		      size_t templates, const char *why)
{
	char n[8];
	snprintf(n, sizeof(n), "%zu", templates);
	eid_log(EID_LOG_INFO, "authority", "face.decision", "flow", flow, "scorer",
		eid_face_scorer_name(scorer), "calibration", eid_face_calibration_current()->id,
		"level", eid_face_level_name(level), "templates", n, "result",
		why ? why : "match", NULL);
}
