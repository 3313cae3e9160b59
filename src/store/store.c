/* The storage interface: backend choice, transactions, and the parts of the
 * domain operations that are the same for every backend (the audit chain's
 * hashing and checking). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"

/* One connection serves every thread. The lock (recursive) is held for each
 * call, and from eid_store_begin to commit or rollback: another thread's
 * writes can neither land inside nor be rolled back with a transaction. */
struct eid_store {
	const eid_store_backend *be;
	void *impl;
	int version;
	int in_tx;
	pthread_mutex_t lock;
};

/* a backend call under the store's lock */
#define LOCKED(st, call)                                                                           \
	do {                                                                                       \
		pthread_mutex_lock(&(st)->lock);                                                   \
		eid_status locked_st_ = (call);                                                    \
		pthread_mutex_unlock(&(st)->lock);                                                 \
		return locked_st_;                                                                 \
	} while (0)

static const eid_store_backend *const backends[] = {&eid_store_sqlite};

eid_status eid_store_open(const char *location, eid_schema schema, eid_store **store_out,
			  eid_err *err)
{
	*store_out = NULL;
	if (!location || !*location)
		return eid_fail(err, EID_E_INVALID_ARG, "empty storage location");
	if (sodium_init() < 0)
		return eid_fail(err, EID_E_INTERNAL, "libsodium cannot initialise");
	const eid_store_backend *be = NULL;
	const char *colon = strchr(location, ':');
	if (!colon || colon == location || strchr(location, '/') < colon) {
		be = &eid_store_sqlite; /* a plain path */
	} else {
		for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
			if (strncmp(location, backends[i]->scheme, (size_t)(colon - location)) == 0 &&
			    strlen(backends[i]->scheme) == (size_t)(colon - location))
				be = backends[i];
		if (!be)
			return eid_fail(err, EID_E_UNSUPPORTED, "no storage backend for '%.*s'",
					(int)(colon - location), location);
		location = colon + 1;
	}
	eid_store *st = calloc(1, sizeof(*st));
	if (!st)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	st->be = be;
	eid_status s = be->open(location, schema, &st->impl, &st->version, err);
	if (s) {
		free(st);
		return s;
	}
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	*store_out = st;
	return EID_OK;
}

void eid_store_close(eid_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		st->be->rollback(st->impl);
	st->be->close(st->impl);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int eid_store_schema_version(const eid_store *st)
{
	return st->version;
}

eid_status eid_store_begin(eid_store *st, eid_err *err)
{
	pthread_mutex_lock(&st->lock); /* kept until commit or rollback */
	eid_status s = st->in_tx ? eid_fail(err, EID_E_INVALID_ARG, "a transaction is already open")
				 : st->be->begin(st->impl, err);
	if (!s)
		st->in_tx = 1;
	else
		pthread_mutex_unlock(&st->lock);
	return s;
}

eid_status eid_store_commit(eid_store *st, eid_err *err)
{
	pthread_mutex_lock(&st->lock);
	if (!st->in_tx) {
		pthread_mutex_unlock(&st->lock);
		return eid_fail(err, EID_E_INVALID_ARG, "no transaction is open");
	}
	st->in_tx = 0;
	eid_status s = st->be->commit(st->impl, err);
	pthread_mutex_unlock(&st->lock); /* this call's */
	pthread_mutex_unlock(&st->lock); /* begin's */
	return s;
}

void eid_store_rollback(eid_store *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->in_tx) {
		st->be->rollback(st->impl);
		st->in_tx = 0;
		pthread_mutex_unlock(&st->lock); /* begin's */
	}
	pthread_mutex_unlock(&st->lock);
}

eid_status eid_store_end(eid_store *st, eid_status result, eid_err *err)
{
	if (!result)
		return eid_store_commit(st, err);
	eid_store_rollback(st);
	return result;
}

/* --- audit chain ------------------------------------------------------------ */

static void put_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	crypto_generichash_update(h, b, 8);
}

static void put_str(crypto_generichash_state *h, const char *s)
{
	const size_t n = strlen(s);
	uint8_t b[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
	crypto_generichash_update(h, b, 4);
	crypto_generichash_update(h, (const uint8_t *)s, n);
}

static void entry_hash(const eid_audit_entry *e, uint8_t out[32])
{
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, e->prev, 32);
	put_u64(&h, e->seq);
	put_u64(&h, (uint64_t)e->time_ms);
	put_str(&h, e->event);
	put_str(&h, e->subject);
	crypto_generichash_update(&h, e->data_hash, 32);
	crypto_generichash_final(&h, out, 32);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* event and subject: short printable names and opaque hashes only */
static int printable(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= max || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	return 1;
}

eid_status eid_store_audit_append(eid_store *st, const char *event, const char *subject,
				  const void *data, size_t data_len, eid_audit_entry *entry_out,
				  eid_err *err)
{
	eid_audit_entry e;
	memset(&e, 0, sizeof(e));
	if (!event || !*event || !printable(event, sizeof(e.event) - 1))
		return eid_fail(err, EID_E_INVALID_ARG, "audit event must be 1-%zu printable characters",
				sizeof(e.event) - 1);
	if (!subject)
		subject = "";
	if (!printable(subject, sizeof(e.subject) - 1))
		return eid_fail(err, EID_E_INVALID_ARG,
				"audit subject must be at most %zu printable characters",
				sizeof(e.subject) - 1);
	if (!data && data_len)
		return eid_fail(err, EID_E_INVALID_ARG, "audit data is NULL");
	snprintf(e.event, sizeof(e.event), "%s", event);
	snprintf(e.subject, sizeof(e.subject), "%s", subject);
	crypto_generichash(e.data_hash, 32, data, data_len, NULL, 0);
	e.time_ms = now_ms();

	/* the read of the last entry and the insert form one transaction, so two
	 * writers cannot both chain onto the same entry */
	pthread_mutex_lock(&st->lock);
	const int own = !st->in_tx;
	eid_status s = own ? st->be->begin(st->impl, err) : EID_OK;
	uint64_t last = 0;
	if (!s)
		s = st->be->audit_last(st->impl, &last, e.prev, err);
	if (!s) {
		e.seq = last + 1;
		entry_hash(&e, e.hash);
		s = st->be->audit_insert(st->impl, &e, err);
	}
	if (own) {
		if (s)
			st->be->rollback(st->impl);
		else
			s = st->be->commit(st->impl, err);
	}
	pthread_mutex_unlock(&st->lock);
	if (!s && entry_out)
		*entry_out = e;
	return s;
}

typedef struct verify_ctx {
	uint64_t expect_seq, rows, bad;
	uint8_t prev[32];
	const char *why;
} verify_ctx;

static int verify_one(void *ctx, const eid_audit_entry *e)
{
	verify_ctx *v = ctx;
	uint8_t h[32];
	if (e->seq != v->expect_seq)
		v->why = "a row is missing before it";
	else if (sodium_memcmp(e->prev, v->prev, 32) != 0)
		v->why = "its link to the previous row is broken";
	else if (entry_hash(e, h), sodium_memcmp(h, e->hash, 32) != 0)
		v->why = "its content does not match its hash";
	if (v->why) {
		v->bad = v->expect_seq;
		return 1;
	}
	memcpy(v->prev, e->hash, 32);
	v->expect_seq++;
	v->rows++;
	return 0;
}

eid_status eid_store_audit_verify(eid_store *st, uint64_t *rows_out, uint64_t *first_bad_out,
				  eid_err *err)
{
	verify_ctx v;
	memset(&v, 0, sizeof(v));
	v.expect_seq = 1;
	*rows_out = 0;
	*first_bad_out = 0;
	pthread_mutex_lock(&st->lock);
	eid_status s = st->be->audit_scan(st->impl, verify_one, &v, err);
	pthread_mutex_unlock(&st->lock);
	if (s)
		return s;
	*rows_out = v.rows;
	if (v.why) {
		*first_bad_out = v.bad;
		return eid_fail(err, EID_E_FORMAT, "audit log broken at entry %llu: %s",
				(unsigned long long)v.bad, v.why);
	}
	return EID_OK;
}

eid_status eid_store_nonce_use(eid_store *st, const char *value, int64_t expires_ms, eid_err *err)
{
	if (!value || !*value || strlen(value) > 256)
		return eid_fail(err, EID_E_INVALID_ARG, "one-time value must be 1-256 characters");
	LOCKED(st, st->be->nonce_use(st->impl, value, expires_ms, err));
}

eid_status eid_store_nonce_purge(eid_store *st, int64_t now, uint64_t *purged_out, eid_err *err)
{
	LOCKED(st, st->be->nonce_purge(st->impl, now, purged_out, err));
}

eid_status eid_store_resident_add(eid_store *st, const eid_resident_row *row, eid_err *err)
{
	if (!row->person_id[0] || !row->record_ct || !row->template_ct || !row->status)
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete resident row");
	LOCKED(st, st->be->resident_add(st->impl, row, err));
}

eid_status eid_store_resident_count(eid_store *st, uint64_t *count_out, eid_err *err)
{
	LOCKED(st, st->be->resident_count(st->impl, count_out, err));
}

/* forwarding only: the backends own the rows' storage */
eid_status eid_store_rp_add(eid_store *st, const eid_rp_row *row, eid_err *err)
{
	LOCKED(st, st->be->rp_add(st->impl, row, err));
}

eid_status eid_store_rp_get(eid_store *st, const char *rp_id, eid_rp_row *out, eid_err *err)
{
	LOCKED(st, st->be->rp_get(st->impl, rp_id, out, err));
}

eid_status eid_store_terminal_add(eid_store *st, const eid_terminal_row *row, eid_err *err)
{
	LOCKED(st, st->be->terminal_add(st->impl, row, err));
}

eid_status eid_store_terminal_get(eid_store *st, const char *term_id, eid_terminal_row *out,
				  eid_err *err)
{
	LOCKED(st, st->be->terminal_get(st->impl, term_id, out, err));
}

eid_status eid_store_session_add(eid_store *st, const eid_session_row *row, eid_err *err)
{
	LOCKED(st, st->be->session_add(st->impl, row, err));
}

eid_status eid_store_session_get(eid_store *st, const char *sid, eid_session_row *out,
				 eid_err *err)
{
	LOCKED(st, st->be->session_get(st->impl, sid, out, err));
}

eid_status eid_store_session_transition(eid_store *st, const char *sid, const char *from,
					const char *to, eid_err *err)
{
	LOCKED(st, st->be->session_transition(st->impl, sid, from, to, err));
}

eid_status eid_store_resident_find(eid_store *st, const uint8_t id_hash[32],
				   char person_id_out[48], char status_out[16], uint8_t *tpl_out,
				   size_t tpl_cap, size_t *tpl_len, eid_err *err)
{
	LOCKED(st, st->be->resident_find(st->impl, id_hash, person_id_out, status_out, tpl_out,
				     tpl_cap, tpl_len, err));
}

eid_status eid_store_card_add(eid_store *st, const eid_card_row *row, eid_err *err)
{
	LOCKED(st, st->be->card_add(st->impl, row, err));
}

eid_status eid_store_card_get(eid_store *st, const char *card_id, eid_card_row *out, eid_err *err)
{
	LOCKED(st, st->be->card_get(st->impl, card_id, out, err));
}

eid_status eid_store_verification_add(eid_store *st, const eid_verification_row *row,
				      eid_err *err)
{
	LOCKED(st, st->be->verification_add(st->impl, row, err));
}

eid_status eid_store_session_answer(eid_store *st, const char *sid, const char *result,
				    eid_err *err)
{
	LOCKED(st, st->be->session_answer(st->impl, sid, result, err));
}

eid_status eid_store_session_result(eid_store *st, const char *sid, char **result_out,
				    eid_err *err)
{
	LOCKED(st, st->be->session_result(st->impl, sid, result_out, err));
}

eid_status eid_store_resident_template(eid_store *st, const char *person_id, uint8_t *tpl_out,
				       size_t tpl_cap, size_t *tpl_len, eid_err *err)
{
	LOCKED(st, st->be->resident_template(st->impl, person_id, tpl_out, tpl_cap, tpl_len, err));
}

eid_status eid_store_card_set_status(eid_store *st, const char *card_id, const char *status,
				     eid_err *err)
{
	LOCKED(st, st->be->card_set_status(st->impl, card_id, status, err));
}

eid_status eid_store_cards_supersede(eid_store *st, const char *person_id, unsigned *n_out,
				     eid_err *err)
{
	LOCKED(st, st->be->cards_supersede(st->impl, person_id, n_out, err));
}

eid_status eid_store_verification_list(eid_store *st, const char *person_id,
				       eid_verification_row *rows, size_t max, size_t *n_out,
				       eid_err *err)
{
	LOCKED(st, st->be->verification_list(st->impl, person_id, rows, max, n_out, err));
}

eid_status eid_store_passcode_set(eid_store *st, const char *person_id, const char *hash,
				  eid_err *err)
{
	LOCKED(st, st->be->passcode_set(st->impl, person_id, hash, err));
}

eid_status eid_store_passcode_get(eid_store *st, const char *person_id, char hash_out[128],
				  int *failures_out, int64_t *locked_until_out, eid_err *err)
{
	LOCKED(st, st->be->passcode_get(st->impl, person_id, hash_out, failures_out, locked_until_out,
				    err));
}

eid_status eid_store_passcode_record(eid_store *st, const char *person_id, int failures,
				     int64_t locked_until, eid_err *err)
{
	LOCKED(st, st->be->passcode_record(st->impl, person_id, failures, locked_until, err));
}

eid_status eid_store_session_set_sealed(eid_store *st, const char *sid, const uint8_t *blob,
					size_t len, eid_err *err)
{
	LOCKED(st, st->be->session_set_sealed(st->impl, sid, blob, len, err));
}

eid_status eid_store_session_sealed(eid_store *st, const char *sid, uint8_t *out, size_t cap,
				    size_t *len_out, eid_err *err)
{
	LOCKED(st, st->be->session_sealed(st->impl, sid, out, cap, len_out, err));
}

/* --- the administrator's view ---------------------------------------------- */

eid_status eid_store_audit_count(eid_store *st, const char *event, int64_t since_ms,
				 uint64_t *count_out, eid_err *err)
{
	*count_out = 0;
	if (!event || !*event)
		return eid_fail(err, EID_E_INVALID_ARG, "audit event is empty");
	LOCKED(st, st->be->audit_count(st->impl, event, since_ms, count_out, err));
}

eid_status eid_store_card_counts(eid_store *st, eid_card_count *rows, size_t max, size_t *n_out,
				 eid_err *err)
{
	LOCKED(st, st->be->card_counts(st->impl, rows, max, n_out, err));
}

eid_status eid_store_verification_counts(eid_store *st, int64_t since_ms, uint64_t *yes_out,
					 uint64_t *no_out, eid_err *err)
{
	LOCKED(st, st->be->verification_counts(st->impl, since_ms, yes_out, no_out, err));
}

eid_status eid_store_import_batch_add(eid_store *st, const eid_import_batch_row *row,
				      eid_err *err)
{
	if (!row->batch_id[0] || !row->source[0])
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete import batch row");
	LOCKED(st, st->be->import_batch_add(st->impl, row, err));
}

eid_status eid_store_import_totals(eid_store *st, eid_import_totals *out, eid_err *err)
{
	memset(out, 0, sizeof(*out));
	LOCKED(st, st->be->import_totals(st->impl, out, err));
}

eid_status eid_store_held_import_add(eid_store *st, const eid_held_import_row *row, eid_err *err)
{
	if (!row->held_id[0] || !row->batch_id[0] || !row->code[0])
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete held import row");
	LOCKED(st, st->be->held_import_add(st->impl, row, err));
}

eid_status eid_store_held_import_list(eid_store *st, eid_held_import_row *rows, size_t max,
				      size_t *n_out, eid_err *err)
{
	*n_out = 0;
	LOCKED(st, st->be->held_import_list(st->impl, rows, max, n_out, err));
}

eid_status eid_store_held_import_count(eid_store *st, uint64_t *count_out, eid_err *err)
{
	*count_out = 0;
	LOCKED(st, st->be->held_import_count(st->impl, count_out, err));
}

eid_status eid_store_held_import_delete(eid_store *st, const char *held_id, eid_err *err)
{
	if (!held_id || !*held_id)
		return eid_fail(err, EID_E_INVALID_ARG, "held row id is empty");
	LOCKED(st, st->be->held_import_delete(st->impl, held_id, err));
}

eid_status eid_store_admin_token_set(eid_store *st, const uint8_t hash[32], int64_t created_ms,
				     eid_err *err)
{
	LOCKED(st, st->be->admin_token_set(st->impl, hash, created_ms, err));
}

eid_status eid_store_admin_token_get(eid_store *st, uint8_t hash_out[32], eid_err *err)
{
	LOCKED(st, st->be->admin_token_get(st->impl, hash_out, err));
}

eid_status eid_store_dup_hold_add(eid_store *st, const eid_dup_hold_row *row, eid_err *err)
{
	if (!row->held_id[0] || !row->person_id[0] || !row->subject[0])
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete duplicate hold row");
	LOCKED(st, st->be->dup_hold_add(st->impl, row, err));
}

eid_status eid_store_dup_hold_get(eid_store *st, const char *held_id, eid_dup_hold_row *out,
				  eid_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!held_id || !*held_id)
		return eid_fail(err, EID_E_NOT_FOUND, "no such duplicate hold");
	LOCKED(st, st->be->dup_hold_get(st->impl, held_id, out, err));
}

eid_status eid_store_dup_hold_delete(eid_store *st, const char *held_id, eid_err *err)
{
	if (!held_id || !*held_id)
		return eid_fail(err, EID_E_NOT_FOUND, "no such duplicate hold");
	LOCKED(st, st->be->dup_hold_delete(st->impl, held_id, err));
}

eid_status eid_store_resident_scan(eid_store *st, const char *status,
				   int (*fn)(void *ctx, const char *person_id, const uint8_t *tpl,
					     size_t tpl_len),
				   void *ctx, eid_err *err)
{
	if (!status || !fn)
		return eid_fail(err, EID_E_INVALID_ARG, "resident scan needs a status and a callback");
	LOCKED(st, st->be->resident_scan(st->impl, status, fn, ctx, err));
}

eid_status eid_store_resident_set_status(eid_store *st, const char *person_id, const char *from,
					 const char *to, eid_err *err)
{
	if (!person_id || !from || !to)
		return eid_fail(err, EID_E_INVALID_ARG, "resident status change is incomplete");
	LOCKED(st, st->be->resident_set_status(st->impl, person_id, from, to, err));
}

eid_status eid_store_resident_delete_held(eid_store *st, const char *person_id, eid_err *err)
{
	if (!person_id || !*person_id)
		return eid_fail(err, EID_E_NOT_FOUND, "no such held resident");
	LOCKED(st, st->be->resident_delete_held(st->impl, person_id, err));
}

eid_status eid_store_oidc_client_add(eid_store *st, const eid_oidc_client_row *row, eid_err *err)
{
	LOCKED(st, st->be->oidc_client_add(st->impl, row, err));
}

eid_status eid_store_oidc_client_get(eid_store *st, const char *client_id,
				     eid_oidc_client_row *out, eid_err *err)
{
	LOCKED(st, st->be->oidc_client_get(st->impl, client_id, out, err));
}

eid_status eid_store_oidc_grant_add(eid_store *st, const eid_oidc_grant_row *row, eid_err *err)
{
	LOCKED(st, st->be->oidc_grant_add(st->impl, row, err));
}

eid_status eid_store_oidc_grant_get(eid_store *st, const char *sid, eid_oidc_grant_row *out,
				    eid_err *err)
{
	LOCKED(st, st->be->oidc_grant_get(st->impl, sid, out, err));
}

eid_status eid_store_oidc_grant_update(eid_store *st, const eid_oidc_grant_row *row,
				       const char *expected, eid_err *err)
{
	LOCKED(st, st->be->oidc_grant_update(st->impl, row, expected, err));
}

eid_status eid_store_card_template(eid_store *st, const char *card_id, uint8_t *tpl_out,
				   size_t tpl_cap, size_t *tpl_len, eid_err *err)
{
	LOCKED(st, st->be->card_template(st->impl, card_id, tpl_out, tpl_cap, tpl_len, err));
}
