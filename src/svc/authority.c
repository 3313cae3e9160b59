/* The authority: the register's keeper. So far: its keys and storage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keydir.h"
#include "svc_internal.h"

eid_status eid_authority_open(const char *data_dir, eid_authority **out, eid_err *err)
{
	*out = NULL;
	char dir[4096], keys[4200], db[4200];
	snprintf(dir, sizeof(dir), "%s/authority", data_dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(db, sizeof(db), "sqlite:%s/authority.db", dir);
	eid_status st = eid_crypto_init(err);
	if (!st)
		st = svc_private_dir(keys, err);
	if (st)
		return st;
	eid_authority *a = calloc(1, sizeof(*a));
	if (!a)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	pthread_mutex_init(&a->face_lock, NULL);
	pthread_mutex_init(&a->cohort_lock, NULL);
	snprintf(a->dir, sizeof(a->dir), "%s", dir);
	pthread_cond_init(&a->face_free, NULL);
	const long cores = sysconf(_SC_NPROCESSORS_ONLN);
	a->face_max = cores < 1 ? 1 : cores > SVC_FACE_CTX_MAX ? SVC_FACE_CTX_MAX : (int)cores;
	if ((st = svc_key_load_or_create(keys, "signing", EID_KEY_ED25519, &a->signing, err)) ||
	    (st = svc_key_load_or_create(keys, "sealing", EID_KEY_X25519, &a->sealing, err)) ||
	    (st = svc_key_load_or_create(keys, "pseudonym", EID_KEY_PAIRWISE, &a->pseudonym, err)) ||
	    (st = svc_key_load_or_create(keys, "kek", EID_KEY_KEK, &a->kek, err)) ||
	    (st = svc_key_load_or_create(keys, "idhash", EID_KEY_PAIRWISE, &a->idhash, err)) ||
	    (st = svc_key_load_or_create(keys, "challenge", EID_KEY_PAIRWISE, &a->challenge,
					 err)) ||
	    (st = eid_store_open(db, EID_SCHEMA_AUTHORITY, &a->store, err))) {
		eid_err_prefix(err, "cannot open the authority in '%s'", data_dir);
		eid_authority_close(a);
		return st;
	}
	*out = a;
	return EID_OK;
}

void eid_authority_close(eid_authority *a)
{
	if (!a)
		return;
	svc_dedup_free(a->dedup);
	svc_cohort_free(a);
	pthread_mutex_destroy(&a->cohort_lock);
	eid_store_close(a->store);
	for (int i = 0; i < a->face_n; i++)
		eid_face_ctx_free(a->face_ctx[i]);
	eid_face_engine_free(a->faces);
	pthread_cond_destroy(&a->face_free);
	pthread_mutex_destroy(&a->face_lock);
	eid_key_free(a->signing);
	eid_key_free(a->sealing);
	eid_key_free(a->pseudonym);
	eid_key_free(a->kek);
	eid_key_free(a->idhash);
	eid_key_free(a->challenge);
	free(a);
}

json_t *eid_authority_key_set(const eid_authority *a)
{
	json_t *keys = json_array();
	json_array_append_new(keys, svc_key_json(eid_key_pub(a->signing), "sig"));
	json_array_append_new(keys, svc_key_json(eid_key_pub(a->sealing), "seal"));
	return json_pack("{s:s, s:o}", "service", "authority", "keys", keys);
}

eid_status svc_face_acquire(eid_authority *a, const char *models_dir, eid_face_ctx **out,
			    eid_err *err)
{
	*out = NULL;
	eid_status st = EID_OK;
	pthread_mutex_lock(&a->face_lock);
	if (!a->faces)
		st = eid_face_engine_load(models_dir, &a->faces, err);
	while (!st && !*out) {
		for (int i = 0; i < a->face_n && !*out; i++)
			if (!a->face_busy[i]) {
				a->face_busy[i] = 1;
				*out = a->face_ctx[i];
			}
		if (!*out && a->face_n < a->face_max) {
			st = eid_face_ctx_new(a->faces, 1, &a->face_ctx[a->face_n], err);
			if (!st) {
				a->face_busy[a->face_n] = 1;
				*out = a->face_ctx[a->face_n++];
			}
		}
		if (!st && !*out)
			pthread_cond_wait(&a->face_free, &a->face_lock);
	}
	pthread_mutex_unlock(&a->face_lock);
	return st;
}

void svc_face_release(eid_authority *a, eid_face_ctx *fc)
{
	pthread_mutex_lock(&a->face_lock);
	for (int i = 0; i < a->face_n; i++)
		if (a->face_ctx[i] == fc)
			a->face_busy[i] = 0;
	pthread_cond_signal(&a->face_free);
	pthread_mutex_unlock(&a->face_lock);
}

eid_status eid_authority_card_status(eid_authority *a, const char *card_id, const char *status,
				     eid_err *err)
{
	if (!status || (strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0 &&
			strcmp(status, "revoked") != 0))
		return eid_fail(err, EID_E_INVALID_ARG, "status must be active, suspended or revoked");
	eid_card_row card;
	eid_status st = eid_store_card_get(a->store, card_id ? card_id : "", &card, err);
	if (st)
		return st;
	if (strcmp(card.status, "revoked") == 0 && strcmp(status, "revoked") != 0)
		return eid_fail(err, EID_E_DENIED, "a revoked card stays revoked");
	char event[48];
	snprintf(event, sizeof(event), "card.%s", status);
	if (!(st = eid_store_begin(a->store, err))) {
		st = eid_store_card_set_status(a->store, card.card_id, status, err);
		if (!st)
			st = eid_store_audit_append(a->store, event, card.card_id, status, strlen(status),
						    NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	return st;
}

eid_status eid_authority_audit_verify(eid_authority *a, uint64_t *rows_out, uint64_t *first_bad_out,
				      eid_err *err)
{
	return eid_store_audit_verify(a->store, rows_out, first_bad_out, err);
}

int svc_id_ok(const char *id)
{
	const size_t len = id ? strnlen(id, 48) : 0;
	int ok = len > 0 && len < 48;
	for (size_t i = 0; ok && i < len; i++)
		ok = (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') ||
		     (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_';
	return ok;
}
