/* The authority's administrator: the admin token, the counts of the overview
 * and the queue of held rows (eid/admin.h; the import is in register.c). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/admin.h"
#include "svc_internal.h"

#define DAY_MS (24 * 60 * 60 * 1000LL)

/* the stored form of a token: BLAKE2b-256 of its text. The token is 256
 * random bits, so an unkeyed hash cannot be reversed by guessing. */
static void token_hash(const char *token, size_t len, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)token, len, NULL, 0);
}

eid_status eid_admin_token_new(eid_authority *a, char token_out[EID_ADMIN_TOKEN_LEN + 1],
			       eid_err *err)
{
	uint8_t raw[32], hash[32];
	eid_crypto_random(raw, sizeof(raw));
	eid_status st = eid_b64url_encode(raw, sizeof(raw), token_out, EID_ADMIN_TOKEN_LEN + 1, err);
	sodium_memzero(raw, sizeof(raw));
	if (st)
		return st;
	token_hash(token_out, EID_ADMIN_TOKEN_LEN, hash);
	/* the new hash and its audit entry commit together */
	if (!(st = eid_store_begin(a->store, err))) {
		st = eid_store_admin_token_set(a->store, hash, svc_now_ms(), err);
		if (!st)
			st = eid_store_audit_append(a->store, "admin.token_created", "admin", NULL, 0,
						    NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	if (st)
		sodium_memzero(token_out, EID_ADMIN_TOKEN_LEN + 1);
	return st;
}

eid_status eid_admin_token_check(eid_authority *a, const char *token, eid_err *err)
{
	uint8_t want[32], got[32];
	eid_err serr;
	/* the length is public (every token has it); the content is compared
	 * as hashes in constant time */
	if (!token || strnlen(token, EID_ADMIN_TOKEN_LEN + 1) != EID_ADMIN_TOKEN_LEN)
		return eid_fail(err, EID_E_DENIED, "wrong or missing admin token");
	eid_status st = eid_store_admin_token_get(a->store, want, &serr);
	if (st == EID_E_NOT_FOUND)
		return eid_fail(err, EID_E_DENIED, "no admin token is set (eid authority admin-token)");
	if (st) {
		*err = serr;
		return st;
	}
	token_hash(token, EID_ADMIN_TOKEN_LEN, got);
	const int same = sodium_memcmp(want, got, 32) == 0;
	sodium_memzero(got, sizeof(got));
	return same ? EID_OK : eid_fail(err, EID_E_DENIED, "wrong or missing admin token");
}

/* part / whole, or null when nothing was counted */
static json_t *rate(uint64_t part, uint64_t whole)
{
	return whole ? json_real((double)part / (double)whole) : json_null();
}

static json_t *yes_no(uint64_t yes, uint64_t no)
{
	return json_pack("{s:I, s:I, s:o}", "yes", (json_int_t)yes, "no", (json_int_t)no, "no_rate",
			 rate(no, yes + no));
}

static json_t *issued_refused(uint64_t issued, uint64_t refused)
{
	return json_pack("{s:I, s:I, s:o}", "issued", (json_int_t)issued, "refused",
			 (json_int_t)refused, "refusal_rate", rate(refused, issued + refused));
}

/* cards as {LEVEL: {STATUS: n}}, and their total */
static eid_status card_counts(eid_authority *a, json_t **out, uint64_t *total, eid_err *err)
{
	eid_card_count rows[32];
	size_t n;
	eid_status st = eid_store_card_counts(a->store, rows, 32, &n, err);
	if (st)
		return st;
	json_t *by = json_object();
	*total = 0;
	for (size_t i = 0; by && i < n; i++) {
		json_t *lvl = json_object_get(by, rows[i].level);
		if (!lvl) {
			lvl = json_object();
			json_object_set_new(by, rows[i].level, lvl);
		}
		json_object_set_new(lvl, rows[i].status, json_integer((json_int_t)rows[i].count));
		*total += rows[i].count;
	}
	*out = by;
	return by ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

eid_status eid_admin_overview(eid_authority *a, int64_t now_ms, json_t **out, eid_err *err)
{
	*out = NULL;
	const int64_t day_ago = now_ms - DAY_MS;
	uint64_t persons, cards_total, issued, refused, issued_24, refused_24, yes, no, yes_24, no_24,
		held;
	eid_import_totals imp;
	json_t *by_level = NULL;
	eid_status st;
	/* enrolment decisions are in the audit log: a card issued, or the face
	 * refused (the only refusal that is a decision; protocol errors are not) */
	if ((st = eid_store_resident_count(a->store, &persons, err)) ||
	    (st = card_counts(a, &by_level, &cards_total, err)) ||
	    (st = eid_store_audit_count(a->store, "card.issued", 0, &issued, err)) ||
	    (st = eid_store_audit_count(a->store, "enrol.refused", 0, &refused, err)) ||
	    (st = eid_store_audit_count(a->store, "card.issued", day_ago, &issued_24, err)) ||
	    (st = eid_store_audit_count(a->store, "enrol.refused", day_ago, &refused_24, err)) ||
	    (st = eid_store_verification_counts(a->store, 0, &yes, &no, err)) ||
	    (st = eid_store_verification_counts(a->store, day_ago, &yes_24, &no_24, err)) ||
	    (st = eid_store_import_totals(a->store, &imp, err)) ||
	    (st = eid_store_held_import_count(a->store, &held, err))) {
		json_decref(by_level);
		return st;
	}
	json_t *enrol = issued_refused(issued, refused);
	if (enrol)
		json_object_set_new(enrol, "last_24h", issued_refused(issued_24, refused_24));
	*out = json_pack(
		"{s:I, s:{s:I}, s:{s:I, s:o}, s:o*, s:{s:o*, s:o*}, s:{s:I, s:I, s:I, s:I, s:o, s:I}}",
		"time", (json_int_t)now_ms, "register", "persons", (json_int_t)persons, "cards",
		"total", (json_int_t)cards_total, "by_level", by_level, "enrolments", enrol,
		"verifications", "total", yes_no(yes, no), "last_24h", yes_no(yes_24, no_24),
		"imports", "batches", (json_int_t)imp.batches, "rows", (json_int_t)imp.rows, "imported",
		(json_int_t)imp.imported, "rejected", (json_int_t)imp.rejected, "rejection_rate",
		rate(imp.rejected, imp.rows), "held", (json_int_t)held);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

/* a duplicate hold's candidates (stored as "person:score ...") as
 * item.candidates = [{"person", "score"}] */
static eid_status held_candidates(eid_authority *a, const char *held_id, json_t *item,
				  eid_err *err)
{
	eid_dup_hold_row dh;
	eid_status st = eid_store_dup_hold_get(a->store, held_id, &dh, err);
	if (st == EID_E_NOT_FOUND) /* decided since the list was read */
		return EID_OK;
	json_t *c = st ? NULL : json_array();
	for (char *save = NULL, *t = c ? strtok_r(dh.candidates, " ", &save) : NULL; t;
	     t = strtok_r(NULL, " ", &save)) {
		char *colon = strrchr(t, ':');
		if (!colon)
			continue;
		*colon = 0;
		json_array_append_new(c, json_pack("{s:s, s:f}", "person", t, "score",
						   strtod(colon + 1, NULL)));
	}
	if (c)
		json_object_set_new(item, "candidates", c);
	return st;
}

eid_status eid_admin_held(eid_authority *a, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_held_import_row *rows = calloc(EID_ADMIN_HELD_MAX, sizeof(*rows));
	if (!rows)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	size_t n = 0;
	uint64_t total = 0;
	eid_status st = eid_store_held_import_list(a->store, rows, EID_ADMIN_HELD_MAX, &n, err);
	if (!st)
		st = eid_store_held_import_count(a->store, &total, err);
	json_t *list = st ? NULL : json_array();
	for (size_t i = 0; list && !st && i < n; i++) {
		const int dup = strcmp(rows[i].code, "duplicate") == 0;
		json_t *item = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "id", rows[i].held_id,
					 "kind", dup ? "duplicate" : "import_rejected", "batch",
					 rows[i].batch_id, "line", (json_int_t)rows[i].line, "code",
					 rows[i].code, "reason", rows[i].reason, "time",
					 (json_int_t)rows[i].created_ms);
		if (dup && item)
			st = held_candidates(a, rows[i].held_id, item, err);
		json_array_append_new(list, item);
	}
	free(rows);
	if (st)
		json_decref(list);
	if (st)
		return st;
	*out = json_pack("{s:I, s:o*}", "total", (json_int_t)total, "held", list);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

eid_status eid_admin_held_dismiss(eid_authority *a, const char *id, eid_err *err)
{
	/* ids are ours (random base64url): anything else cannot be one */
	if (!svc_id_ok(id))
		return eid_fail(err, EID_E_NOT_FOUND, "no such held row");
	eid_dup_hold_row dh;
	eid_err ignore;
	if (eid_store_dup_hold_get(a->store, id, &dh, &ignore) == EID_OK)
		return eid_fail(err, EID_E_CONFLICT,
				"a duplicate hold is accepted or rejected, not dismissed");
	eid_status st = eid_store_begin(a->store, err);
	if (st)
		return st;
	st = eid_store_held_import_delete(a->store, id, err);
	if (!st)
		st = eid_store_audit_append(a->store, "held.dismissed", id, "import_rejected", 15,
					    NULL, err);
	st = eid_store_end(a->store, st, err);
	return st;
}
