/* One person, one identity (eid/dedup.h): the authority's gallery of
 * residents' faces, the import's duplicate holds, the enrolment guard and
 * the administrator's accept / reject (eid/admin.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/admin.h"
#include "eid/dedup.h"
#include "eid/log.h"
#include "eid/search.h"
#include "svc_internal.h"

#define DIM EID_FACE_EMBEDDING_DIM
#define QUERY_K 8   /* a few more than kept: one may be the excluded person, twice */
#define RESCORE 16  /* int8 candidates re-scored (each one a decrypt) */
#define REASON_MAX 200

_Static_assert(DIM == EID_SEARCH_DIM, "the index holds the engine's templates");

/* The gallery: search ids are indexes into person[] (append-only; a person
 * added twice by a build racing an import is harmless: candidates are
 * merged by person). lock guards person[]; it is taken inside the index's
 * read lock (fetch) and never held while calling into the index. */
struct svc_dedup {
	eid_authority *a;
	eid_search *idx;
	pthread_mutex_t lock;
	char (*person)[48];
	size_t n, cap;
};

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

void svc_dedup_free(struct svc_dedup *d)
{
	if (!d)
		return;
	eid_search_free(d->idx);
	pthread_mutex_destroy(&d->lock);
	free(d->person);
	free(d);
}

/* the dlib embedding of a register template: the gallery searches with it */
static eid_status dlib_of(eid_authority *a, const char *person, const uint8_t *ct, size_t len,
			 float out[DIM], eid_err *err)
{
	eid_face_template *t = malloc(sizeof(*t));
	if (!t)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = ct ? svc_load_template(a, person, ct, len, t, err)
			   : svc_resident_template(a, person, t, err);
	if (!st)
		memcpy(out, t->dlib, sizeof(float) * DIM);
	sodium_memzero(t, sizeof(*t));
	free(t);
	return st;
}

/* the person of search id, or "" (read under the map's lock) */
static void person_at(struct svc_dedup *d, uint32_t id, char person[48])
{
	person[0] = 0;
	pthread_mutex_lock(&d->lock);
	if (id < d->n)
		memcpy(person, d->person[id], 48);
	pthread_mutex_unlock(&d->lock);
}

/* the float template of search id for the exact re-score: decrypted from the
 * register on demand, so no float copy of the gallery stays in memory */
static eid_status fetch(void *ctx, uint32_t id, float out[DIM], eid_err *err)
{
	struct svc_dedup *d = ctx;
	char person[48];
	person_at(d, id, person);
	if (!person[0])
		return eid_fail(err, EID_E_NOT_FOUND, "no such gallery entry");
	return dlib_of(d->a, person, NULL, 0, out, err);
}

/* appends person to the map: its search id in *id_out */
static eid_status map_add(struct svc_dedup *d, const char *person, uint32_t *id_out, eid_err *err)
{
	eid_status st = EID_OK;
	pthread_mutex_lock(&d->lock);
	if (d->n == d->cap) {
		const size_t nc = d->cap ? d->cap * 2 : 1024;
		void *p = nc - 1 <= EID_SEARCH_ID_MAX ? realloc(d->person, nc * sizeof(*d->person))
						      : NULL;
		if (p) {
			d->person = p;
			d->cap = nc;
		} else {
			st = eid_fail(err, EID_E_NOMEM, "the gallery cannot grow");
		}
	}
	if (!st) {
		snprintf(d->person[d->n], sizeof(d->person[0]), "%s", person);
		*id_out = (uint32_t)d->n++;
	}
	pthread_mutex_unlock(&d->lock);
	return st;
}

static eid_status gallery_add(struct svc_dedup *d, const char *person, const float tpl[DIM],
			      eid_err *err)
{
	uint32_t id;
	eid_status st = map_add(d, person, &id, err);
	return st ? st : eid_search_add(d->idx, id, tpl, err);
}

typedef struct build_ctx {
	struct svc_dedup *d;
	eid_status st;
	eid_err *err;
} build_ctx;

static int build_one(void *ctx, const char *person, const uint8_t *ct, size_t len)
{
	build_ctx *b = ctx;
	float tpl[DIM];
	b->st = dlib_of(b->d->a, person, ct, len, tpl, b->err);
	if (!b->st)
		b->st = gallery_add(b->d, person, tpl, b->err);
	sodium_memzero(tpl, sizeof(tpl));
	return b->st != EID_OK;
}

/* the gallery, built from the register's active residents on first use */
static eid_status gallery(eid_authority *a, struct svc_dedup **out, eid_err *err)
{
	*out = __atomic_load_n(&a->dedup, __ATOMIC_ACQUIRE);
	if (*out)
		return EID_OK;
	pthread_mutex_lock(&build_lock);
	eid_status st = EID_OK;
	struct svc_dedup *d = a->dedup;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			st = eid_fail(err, EID_E_NOMEM, "out of memory");
		if (!st) {
			d->a = a;
			pthread_mutex_init(&d->lock, NULL);
			eid_search_config cfg = {.fetch = fetch, .fetch_ctx = d, .rescore = RESCORE};
			st = eid_search_new(&cfg, &d->idx, err);
		}
		build_ctx b = {d, EID_OK, err};
		if (!st)
			st = eid_store_resident_scan(a->store, "active", build_one, &b, err);
		if (!st)
			st = b.st;
		if (st) {
			svc_dedup_free(d);
			d = NULL;
		} else {
			char n[24];
			snprintf(n, sizeof(n), "%zu", eid_search_size(d->idx));
			eid_log(EID_LOG_INFO, "authority", "dedup.gallery_built", "templates", n,
				"kernel", eid_search_isa_name(d->idx), NULL);
			__atomic_store_n(&a->dedup, d, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&build_lock);
	*out = d;
	return st;
}

eid_status eid_dedup_search(eid_authority *a, const float tpl[DIM], const char *exclude,
			    eid_dedup_match *out, eid_err *err)
{
	memset(out, 0, sizeof(*out));
	struct svc_dedup *d;
	eid_status st = gallery(a, &d, err);
	if (st)
		return st;
	eid_search_hit hits[QUERY_K];
	unsigned n = 0;
	if ((st = eid_search_query(d->idx, tpl, QUERY_K, hits, &n, err)))
		return st;
	for (unsigned i = 0; i < n && hits[i].score >= EID_DEDUP_THRESHOLD; i++) {
		char person[48];
		person_at(d, hits[i].id, person);
		if (!person[0] || (exclude && strcmp(person, exclude) == 0))
			continue;
		int seen = 0;
		for (unsigned j = 0; j < out->n; j++)
			seen |= strcmp(out->c[j].person, person) == 0;
		if (seen || out->n == EID_DEDUP_CANDIDATES)
			continue;
		snprintf(out->c[out->n].person, sizeof(out->c[0].person), "%s", person);
		out->c[out->n++].score = hits[i].score;
	}
	return EID_OK;
}

eid_status eid_dedup_add(eid_authority *a, const char *person, const float tpl[DIM], eid_err *err)
{
	struct svc_dedup *d = __atomic_load_n(&a->dedup, __ATOMIC_ACQUIRE);
	return d ? gallery_add(d, person, tpl, err) : EID_OK;
}

eid_status eid_dedup_size(eid_authority *a, size_t *n_out, eid_err *err)
{
	struct svc_dedup *d;
	eid_status st = gallery(a, &d, err);
	*n_out = st ? 0 : eid_search_size(d->idx);
	return st;
}

/* --- holds --------------------------------------------------------------------- */

/* The two rows of a duplicate hold, in the caller's transaction: the queue
 * entry (batch, line, reason naming the threshold) and the link to what is
 * held (a held resident row, or card_id for an enrolment's card) with the
 * candidates as "person:score ..." (opaque ids: no personal data). */
static eid_status hold_rows(eid_authority *a, const eid_dedup_match *m, const char *person,
			    const char *subject, const char *card_id, const char *batch,
			    int64_t when_ms, unsigned line, const char *what, char held_id[48],
			    char reason_out[256], eid_err *err)
{
	if (!m->n)
		return eid_fail(err, EID_E_INTERNAL, "a duplicate hold needs a match");
	eid_held_import_row h;
	eid_dup_hold_row dh;
	memset(&h, 0, sizeof(h));
	memset(&dh, 0, sizeof(dh));
	eid_crypto_random_id(h.held_id);
	snprintf(dh.held_id, sizeof(dh.held_id), "%s", h.held_id);
	snprintf(held_id, 48, "%s", h.held_id);
	snprintf(h.batch_id, sizeof(h.batch_id), "%s", batch);
	h.line = line;
	snprintf(h.code, sizeof(h.code), "duplicate");
	h.created_ms = dh.created_ms = when_ms;
	snprintf(dh.person_id, sizeof(dh.person_id), "%s", person);
	snprintf(dh.subject, sizeof(dh.subject), "%s", subject);
	snprintf(dh.card_id, sizeof(dh.card_id), "%s", card_id ? card_id : "");
	dh.score = m->c[0].score;
	size_t used = 0;
	for (unsigned i = 0; i < m->n; i++) {
		int w = snprintf(dh.candidates + used, sizeof(dh.candidates) - used, "%s%s:%.4f",
				 i ? " " : "", m->c[i].person, m->c[i].score);
		if (w < 0 || (size_t)w >= sizeof(dh.candidates) - used)
			break;
		used += (size_t)w;
	}
	snprintf(h.reason, sizeof(h.reason),
		 "%s matches %u other registered resident%s at or above the duplicate threshold"
		 " %.4f (best %.4f): held for adjudication",
		 what, m->n, m->n == 1 ? "" : "s", EID_DEDUP_THRESHOLD, m->c[0].score);
	snprintf(reason_out, 256, "%s", h.reason);
	eid_status st = eid_store_held_import_add(a->store, &h, err);
	return st ? st : eid_store_dup_hold_add(a->store, &dh, err);
}

eid_status eid_dedup_hold(eid_authority *a, const eid_resident_row *row, const char *subject,
			  const eid_dedup_match *m, const char *batch, int64_t batch_ms,
			  unsigned line, char reason_out[256], eid_err *err)
{
	if (strcmp(row->status, "held") != 0)
		return eid_fail(err, EID_E_INTERNAL, "a duplicate hold needs a held row");
	char held_id[48];
	eid_status st = eid_store_begin(a->store, err);
	if (st)
		return st;
	st = eid_store_resident_add(a->store, row, err);
	if (!st)
		st = hold_rows(a, m, row->person_id, subject, NULL, batch, batch_ms, line, "the face",
			       held_id, reason_out, err);
	if (!st)
		st = eid_store_audit_append(a->store, "register.held", subject, held_id,
					    strlen(held_id), NULL, err);
	st = eid_store_end(a->store, st, err);
	return st;
}

eid_status eid_dedup_hold_card(eid_authority *a, const eid_dedup_match *m, const char *person,
			       const char *subject, const char *card_id, eid_err *err)
{
	char held_id[48], reason[256];
	eid_status st = hold_rows(a, m, person, subject, card_id, "enrolment", svc_now_ms(), 0,
				  "a lightweight enrolment's face", held_id, reason, err);
	return st ? st
		  : eid_store_audit_append(a->store, "enrol.held", subject, card_id,
					   strlen(card_id), NULL, err);
}

/* --- the administrator's decision --------------------------------------------- */

/* a held id is ours (random base64url); a reason is 1..REASON_MAX bytes of
 * printable text (UTF-8 allowed, no control characters) */
static eid_status check_decision(const char *id, const char *reason, eid_err *err)
{
	if (!svc_id_ok(id))
		return eid_fail(err, EID_E_NOT_FOUND, "no such duplicate hold");
	const size_t rl = reason ? strnlen(reason, REASON_MAX + 1) : 0;
	if (rl < 1 || rl > REASON_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "reason must be 1 to %d characters",
				REASON_MAX);
	for (size_t i = 0; i < rl; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return eid_fail(err, EID_E_INVALID_ARG, "reason holds control characters");
	return EID_OK;
}

static eid_status decide(eid_authority *a, const char *id, const char *reason, int accept,
			 eid_err *err)
{
	eid_status st = check_decision(id, reason, err);
	eid_dup_hold_row dh;
	if (!st)
		st = eid_store_dup_hold_get(a->store, id, &dh, err);
	if (st)
		return st;
	if ((st = eid_store_begin(a->store, err)))
		return st;
	if (dh.card_id[0] && accept) /* the held card replaces the person's earlier ones */
		st = svc_supersede_cards(a, dh.person_id, dh.subject, dh.card_id, err);
	if (dh.card_id[0] && !st)
		st = eid_store_card_set_status(a->store, dh.card_id, accept ? "active" : "revoked",
					       err);
	else if (!st)
		st = accept ? eid_store_resident_set_status(a->store, dh.person_id, "held", "active",
							    err)
			    : eid_store_resident_delete_held(a->store, dh.person_id, err);
	if (!st)
		st = eid_store_held_import_delete(a->store, id, err);
	if (!st)
		st = eid_store_dup_hold_delete(a->store, id, err);
	/* the reason's hash is chained, like every event's data */
	if (!st)
		st = eid_store_audit_append(a->store, accept ? "held.accepted" : "held.rejected", id,
					    reason, strlen(reason), NULL, err);
	if (!st && accept && dh.card_id[0])
		st = eid_store_audit_append(a->store, "card.issued", dh.subject, dh.card_id,
					    strlen(dh.card_id), NULL, err);
	else if (!st && accept)
		st = eid_store_audit_append(a->store, "register.imported", dh.subject, dh.person_id,
					    strlen(dh.person_id), NULL, err);
	st = eid_store_end(a->store, st, err);
	if (st == EID_E_NOT_FOUND) /* a concurrent decision got there first */
		return eid_fail(err, st, "no such duplicate hold");
	if (st || !accept || dh.card_id[0])
		return st; /* a held card's person is in the gallery already */
	/* the accepted resident joins the gallery: its own face is now registered */
	float tpl[DIM];
	st = dlib_of(a, dh.person_id, NULL, 0, tpl, err);
	if (!st)
		st = eid_dedup_add(a, dh.person_id, tpl, err);
	sodium_memzero(tpl, sizeof(tpl));
	return st;
}

eid_status eid_admin_held_accept(eid_authority *a, const char *id, const char *reason,
				 eid_err *err)
{
	return decide(a, id, reason, 1, err);
}

eid_status eid_admin_held_reject(eid_authority *a, const char *id, const char *reason,
				 eid_err *err)
{
	return decide(a, id, reason, 0, err);
}
