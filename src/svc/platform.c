/* The platform: the internet-facing broker. So far: its key and storage. It
 * holds none of the authority's secrets. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "eid/crypto.h"
#include "eid/http.h"
#include "eid/log.h"
#include "eid/store.h"
#include "eid/svc.h"
#include "keydir.h"
#include "svc_internal.h"


#define AUTHORITY_KEYS_TTL_MS (60 * 1000)

#define SESSION_MS (5 * 60 * 1000)

eid_status eid_platform_open(const char *data_dir, const char *authority_url, eid_platform **out,
			     eid_err *err)
{
	*out = NULL;
	if (!authority_url || (strncmp(authority_url, "http://", 7) != 0 &&
			       strncmp(authority_url, "https://", 8) != 0))
		return eid_fail(err, EID_E_INVALID_ARG, "authority url '%s' is not http(s)",
				authority_url ? authority_url : "");
	char dir[4096], keys[4200], db[4200];
	snprintf(dir, sizeof(dir), "%s/platform", data_dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(db, sizeof(db), "sqlite:%s/platform.db", dir);
	eid_status st = eid_crypto_init(err);
	if (!st)
		st = svc_private_dir(keys, err);
	if (st)
		return st;
	eid_platform *p = calloc(1, sizeof(*p));
	if (p)
		pthread_mutex_init(&p->keys_lock, NULL);
	if (!p)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	p->authority_url = strdup(authority_url);
	if (!p->authority_url)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (st || (st = svc_key_load_or_create(keys, "signing", EID_KEY_ED25519, &p->signing, err)) ||
	    (st = eid_store_open(db, EID_SCHEMA_PLATFORM, &p->store, err)) ||
	    (st = svc_oidc_open(dir, &p->oidc, err))) {
		eid_err_prefix(err, "cannot open the platform in '%s'", data_dir);
		eid_platform_close(p);
		return st;
	}
	*out = p;
	return EID_OK;
}

void eid_platform_close(eid_platform *p)
{
	if (!p)
		return;
	svc_oidc_close(p->oidc);
	eid_store_close(p->store);
	eid_key_free(p->signing);
	free(p->authority_url);
	json_decref(p->authority_keys);
	pthread_mutex_destroy(&p->keys_lock);
	free(p);
}

json_t *eid_platform_key_set(const eid_platform *p)
{
	json_t *keys = json_array();
	json_array_append_new(keys, svc_key_json(eid_key_pub(p->signing), "sig"));
	return json_pack("{s:s, s:o}", "service", "platform", "keys", keys);
}

const char *eid_platform_authority_url(const eid_platform *p)
{
	return p->authority_url;
}

const char *eid_platform_public_url(const eid_platform *p)
{
	return p->public_url;
}

eid_status eid_platform_set_public_url(eid_platform *p, const char *url, eid_err *err)
{
	if (!url || strlen(url) >= sizeof(p->public_url) ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return eid_fail(err, EID_E_INVALID_ARG, "public url must be http(s), under %zu bytes",
				sizeof(p->public_url));
	snprintf(p->public_url, sizeof(p->public_url), "%s", url);
	return EID_OK;
}

/* A pending session of type for owner at level: fresh sid and nonce, the
 * usual lifetime. */
static void new_session(eid_session_row *s, const char *type, const char *owner,
			const char *level)
{
	memset(s, 0, sizeof(*s));
	eid_crypto_random_id(s->sid);
	eid_crypto_random_id(s->nonce);
	snprintf(s->type, sizeof(s->type), "%s", type);
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	snprintf(s->state, sizeof(s->state), "pending");
	snprintf(s->level, sizeof(s->level), "%s", level);
	s->exp_ms = svc_now_ms() + SESSION_MS;
}

/* 1..max printable ASCII or UTF-8, no control characters */
static int good_text(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int svc_level_rank(const char *level)
{
	return !level ? -1 : strcmp(level, "lightweight") == 0 ? 1 : strcmp(level, "full") == 0 ? 2 : -1;
}

void svc_secret_hash(const char *secret, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)secret, strlen(secret), NULL, 0);
}

eid_status eid_platform_add_rp(eid_platform *p, const char *name, const char *max_level,
			       char rp_id_out[EID_CREDENTIAL_ID_LEN + 1],
			       char secret_out[EID_CREDENTIAL_SECRET_LEN + 1], eid_err *err)
{
	if (!good_text(name, 100))
		return eid_fail(err, EID_E_INVALID_ARG, "name must be 1-100 printable characters");
	if (svc_level_rank(max_level) < 0)
		return eid_fail(err, EID_E_INVALID_ARG, "level must be lightweight or full");
	eid_rp_row row;
	memset(&row, 0, sizeof(row));
	eid_crypto_random_id(row.rp_id);
	uint8_t raw[32];
	eid_crypto_random(raw, sizeof(raw));
	eid_status st = eid_b64url_encode(raw, sizeof(raw), secret_out,
					  EID_CREDENTIAL_SECRET_LEN + 1, err);
	sodium_memzero(raw, sizeof(raw));
	if (st)
		return st;
	svc_secret_hash(secret_out, row.secret_hash);
	snprintf(row.name, sizeof(row.name), "%s", name);
	snprintf(row.max_level, sizeof(row.max_level), "%s", max_level);
	row.created_ms = svc_now_ms();
	if (!(st = eid_store_rp_add(p->store, &row, err)))
		st = eid_store_audit_append(p->store, "rp.registered", row.rp_id, row.name,
					    strlen(row.name), NULL, err);
	if (st) {
		sodium_memzero(secret_out, EID_CREDENTIAL_SECRET_LEN + 1);
		return st;
	}
	snprintf(rp_id_out, EID_CREDENTIAL_ID_LEN + 1, "%.*s", EID_CREDENTIAL_ID_LEN, row.rp_id);
	return EID_OK;
}

eid_status eid_platform_add_terminal(eid_platform *p, const char *name, const char *public_key_b64,
				     char term_id_out[EID_CREDENTIAL_ID_LEN + 1], eid_err *err)
{
	if (!good_text(name, 100))
		return eid_fail(err, EID_E_INVALID_ARG, "name must be 1-100 printable characters");
	eid_terminal_row row;
	memset(&row, 0, sizeof(row));
	eid_pubkey pub;
	eid_status st = eid_pubkey_from_b64(EID_KEY_ED25519, public_key_b64,
					    public_key_b64 ? strlen(public_key_b64) : 0, NULL, &pub,
					    err);
	if (st)
		return eid_fail(err, EID_E_INVALID_ARG, "key must be a base64url Ed25519 public key");
	memcpy(row.public_key, pub.key, 32);
	eid_crypto_random_id(row.term_id);
	snprintf(row.name, sizeof(row.name), "%s", name);
	snprintf(row.status, sizeof(row.status), "active");
	row.created_ms = svc_now_ms();
	if (!(st = eid_store_terminal_add(p->store, &row, err)))
		st = eid_store_audit_append(p->store, "terminal.registered", row.term_id, pub.kid,
					    strlen(pub.kid), NULL, err);
	if (!st)
		snprintf(term_id_out, EID_CREDENTIAL_ID_LEN + 1, "%.*s", EID_CREDENTIAL_ID_LEN,
			 row.term_id);
	return st;
}

eid_status eid_platform_rp_auth(eid_platform *p, const char *credential,
				char rp_id_out[EID_CREDENTIAL_ID_LEN + 1], eid_err *err)
{
	const char *dot = credential ? strchr(credential, '.') : NULL;
	if (!dot || dot - credential != EID_CREDENTIAL_ID_LEN ||
	    strlen(dot + 1) != EID_CREDENTIAL_SECRET_LEN)
		return eid_fail(err, EID_E_DENIED, "malformed credential");
	char id[EID_CREDENTIAL_ID_LEN + 1];
	memcpy(id, credential, EID_CREDENTIAL_ID_LEN);
	id[EID_CREDENTIAL_ID_LEN] = 0;
	eid_rp_row row;
	uint8_t h[32];
	svc_secret_hash(dot + 1, h);
	eid_status st = eid_store_rp_get(p->store, id, &row, err);
	if (st == EID_E_NOT_FOUND || (!st && !eid_crypto_equal(h, row.secret_hash, 32)))
		return eid_fail(err, EID_E_DENIED, "unknown relying party or wrong secret");
	if (st)
		return st;
	snprintf(rp_id_out, EID_CREDENTIAL_ID_LEN + 1, "%.*s", EID_CREDENTIAL_ID_LEN, row.rp_id);
	return EID_OK;
}

/* A QR payload: payload (consumed) signed with the platform's key, as
 * base64url of its canonical JSON in *qr_out (caller frees). */
static eid_status signed_qr(eid_platform *p, json_t *payload, char **qr_out, eid_err *err)
{
	*qr_out = NULL;
	if (!payload)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = eid_sign_json(p->signing, payload, err);
	char *text = st ? NULL : json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(payload);
	if (!st && !text)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st) {
		const size_t cap = EID_B64URL_LEN(strlen(text)) + 1;
		*qr_out = malloc(cap);
		st = *qr_out ? eid_b64url_encode((const uint8_t *)text, strlen(text), *qr_out, cap,
						 err)
			     : eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	free(text);
	if (st) {
		free(*qr_out);
		*qr_out = NULL;
	}
	return st;
}

eid_status eid_platform_verification_new(eid_platform *p, const char *rp_id, const char *purpose,
					 const char *level, json_t **out, eid_err *err)
{
	*out = NULL;
	if (!good_text(purpose, 200))
		return eid_fail(err, EID_E_INVALID_ARG, "purpose must be 1-200 printable characters");
	if (svc_level_rank(level) < 0)
		return eid_fail(err, EID_E_INVALID_ARG, "level must be lightweight or full");
	eid_rp_row rp;
	eid_status st = eid_store_rp_get(p->store, rp_id, &rp, err);
	if (st)
		return st;
	if (svc_level_rank(level) > svc_level_rank(rp.max_level))
		return eid_fail(err, EID_E_DENIED, "this relying party may not ask for level %s",
				level);
	eid_session_row s;
	new_session(&s, "verify", rp_id, level);
	snprintf(s.purpose, sizeof(s.purpose), "%s", purpose);
	if ((st = eid_store_session_add(p->store, &s, err)))
		return st;

	char *qr;
	st = signed_qr(p,
		       json_pack("{s:i, s:s, s:s, s:s, s:I, s:s}", "v", 1, "type", "verify", "sid",
				 s.sid, "nonce", s.nonce, "exp", (json_int_t)s.exp_ms, "platform",
				 p->public_url),
		       &qr, err);
	if (!st)
		*out = json_pack("{s:s, s:I, s:s}", "sid", s.sid, "exp", (json_int_t)s.exp_ms, "qr", qr);
	free(qr);
	if (!st && !*out)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	return st;
}

eid_status eid_platform_verification_get(eid_platform *p, const char *rp_id, const char *sid,
					 json_t **out, eid_err *err)
{
	*out = NULL;
	eid_session_row s;
	eid_status st = eid_store_session_get(p->store, sid, &s, err);
	if (!st && (strcmp(s.type, "verify") != 0 || strcmp(s.owner, rp_id) != 0))
		st = eid_fail(err, EID_E_NOT_FOUND, "no such session"); /* others' look absent */
	if (st)
		return st;
	const char *state = strcmp(s.state, "pending") == 0 && svc_now_ms() > s.exp_ms ? "expired"
										  : s.state;
	*out = json_pack("{s:s, s:s, s:s, s:s, s:I}", "sid", s.sid, "state", state, "purpose",
			 s.purpose, "level", s.level, "exp", (json_int_t)s.exp_ms);
	if (!*out)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	char *text = NULL;
	if (strcmp(s.state, "answered") == 0 &&
	    eid_store_session_result(p->store, sid, &text, err) == EID_OK) {
		json_t *result = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		if (result)
			json_object_set_new(*out, "result", result); /* as the authority signed it */
	}
	free(text);
	return EID_OK;
}

eid_status eid_platform_request_info(eid_platform *p, const char *sid, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_session_row s;
	eid_rp_row rp;
	eid_status st = eid_store_session_get(p->store, sid, &s, err);
	if (!st && strcmp(s.type, "verify") != 0)
		st = eid_fail(err, EID_E_NOT_FOUND, "no such session");
	if (!st && svc_now_ms() > s.exp_ms)
		st = eid_fail(err, EID_E_EXPIRED, "this request has expired");
	if (!st)
		st = eid_store_rp_get(p->store, s.owner, &rp, err);
	if (st)
		return st;
	*out = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:I}", "sid", s.sid, "rp", "id",
			 rp.rp_id, "name", rp.name, "purpose", s.purpose, "level", s.level, "nonce",
			 s.nonce, "exp", (json_int_t)s.exp_ms);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

eid_status eid_platform_authority_keys(eid_platform *p, int fresh, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_status st = EID_OK;
	pthread_mutex_lock(&p->keys_lock);
	if (fresh || !p->authority_keys || svc_now_ms() - p->keys_fetched_ms > AUTHORITY_KEYS_TTL_MS) {
		char url[512];
		snprintf(url, sizeof(url), "%s/v1/keys", p->authority_url);
		long status = 0;
		json_t *keys = NULL;
		st = eid_http_call("GET", url, NULL, 5.0, &status, &keys, err);
		if (!st && (status != 200 || !json_is_object(keys)))
			st = eid_fail(err, EID_E_IO, "the authority answered %ld for its keys",
				      status);
		if (!st) {
			json_decref(p->authority_keys);
			p->authority_keys = json_incref(keys);
			p->keys_fetched_ms = svc_now_ms();
		}
		json_decref(keys);
	}
	if (!st)
		*out = json_deep_copy(p->authority_keys); /* the caller may change its copy */
	pthread_mutex_unlock(&p->keys_lock);
	if (!st && !*out)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	return st;
}

/* the authority's key with the given use */
static eid_status authority_key(eid_platform *p, const char *use, json_t **key_out, eid_err *err)
{
	json_t *keys = NULL;
	eid_status st = eid_platform_authority_keys(p, 0, &keys, err);
	json_t *k, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(keys, "keys"), i, k) if (
		json_is_string(json_object_get(k, "use")) &&
		strcmp(json_string_value(json_object_get(k, "use")), use) == 0) found = k;
	if (!st && !found)
		st = eid_fail(err, EID_E_FORMAT, "the authority publishes no %s key", use);
	if (!st)
		*key_out = json_pack("{s:O, s:O}", "kid", json_object_get(found, "kid"), "x",
				     json_object_get(found, "x"));
	json_decref(keys);
	return st;
}

eid_status eid_platform_enrolment_new(eid_platform *p, const char *level, json_t **out,
				      eid_err *err)
{
	*out = NULL;
	if (!level || strcmp(level, "lightweight") != 0)
		return eid_fail(err, EID_E_INVALID_ARG,
				"only lightweight enrolment starts in the app (full: at a terminal)");
	json_t *seal = NULL;
	eid_status st = authority_key(p, "seal", &seal, err);
	if (st)
		return st;
	eid_session_row s;
	new_session(&s, "enrol", "app", level);
	if ((st = eid_store_session_add(p->store, &s, err))) {
		json_decref(seal);
		return st;
	}
	*out = json_pack("{s:s, s:s, s:I, s:s, s:o}", "sid", s.sid, "nonce", s.nonce, "exp",
			 (json_int_t)s.exp_ms, "level", s.level, "authority_seal", seal);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}


/* the authority's error code back to a status */
static eid_status from_code(const char *code)
{
	for (int s = 0; s < EID_STATUS_COUNT; s++)
		if (code && strcmp(code, eid_status_code((eid_status)s)) == 0)
			return (eid_status)s;
	return EID_E_INTERNAL;
}

/* Signs body with the platform's key and POSTs it to the authority; a 200 or
 * 201 answer comes back in *reply_out, anything else as the authority's error. */
static eid_status relay(eid_platform *p, const char *path, json_t *body, json_t **reply_out,
			eid_err *err)
{
	*reply_out = NULL;
	eid_status st = eid_sign_json(p->signing, body, err);
	char url[512];
	snprintf(url, sizeof(url), "%s%s", p->authority_url, path);
	long status = 0;
	json_t *reply = NULL;
	if (!st)
		st = eid_http_call("POST", url, body, 30.0, &status, &reply, err);
	if (!st && status != 201 && status != 200) {
		json_t *e = json_object_get(reply, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		st = eid_fail(err, from_code(json_string_value(json_object_get(e, "code"))), "%s",
			      msg ? msg : "the authority refused");
	}
	if (st) {
		json_decref(reply);
		return st;
	}
	*reply_out = reply;
	return EID_OK;
}

/* the session, if it is of this type (NULL: any), pending and unexpired */
static eid_status pending_session(eid_platform *p, const char *sid, const char *type,
				  eid_session_row *s, eid_err *err)
{
	eid_status st = eid_store_session_get(p->store, sid, s, err);
	if (!st && type && strcmp(s->type, type) != 0)
		st = eid_fail(err, EID_E_NOT_FOUND, "no such session");
	if (!st && strcmp(s->state, "pending") != 0)
		st = eid_fail(err, EID_E_CONFLICT, "this session is %s", s->state);
	if (!st && svc_now_ms() > s->exp_ms)
		st = eid_fail(err, EID_E_EXPIRED, "this session has expired");
	return st;
}

eid_status eid_platform_enrolment_submit(eid_platform *p, const char *sid, const char *sealed_b64,
					 const char *device_sig_b64, json_t **card_out, eid_err *err)
{
	*card_out = NULL;
	eid_session_row s;
	eid_status st = pending_session(p, sid, "enrol", &s, err);
	if (st)
		return st;
	json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "sid", s.sid, "nonce", s.nonce,
				 "exp", (json_int_t)s.exp_ms, "level", s.level, "sealed", sealed_b64,
				 "device_sig", device_sig_b64);
	if (!body)
		return eid_fail(err, EID_E_INVALID_ARG, "sealed and device_sig must be strings");
	if (strcmp(s.level, "full") == 0) { /* with the terminal's claim */
		uint8_t claim[1024];
		char b64[1400];
		size_t n;
		st = eid_store_session_sealed(p->store, sid, claim, sizeof(claim), &n, err);
		if (st == EID_E_NOT_FOUND)
			st = eid_fail(err, EID_E_CONFLICT, "the terminal has not made its claim yet");
		if (!st)
			st = eid_b64url_encode(claim, n, b64, sizeof(b64), err);
		if (!st)
			json_object_set_new(body, "claim", json_string(b64));
		if (st) {
			json_decref(body);
			return st;
		}
	}
	json_t *card = NULL;
	st = relay(p, "/internal/enrolments", body, &card, err);
	json_decref(body);
	if (st == EID_E_DENIED) { /* the authority's no: the terminal shows it */
		eid_err ignore;
		if (eid_store_session_transition(p->store, sid, "pending", "refused", &ignore))
			eid_log(EID_LOG_WARN, "platform", "session.not_recorded", "state", "refused",
				NULL);
		return st;
	}
	if (!st)
		st = eid_store_session_transition(p->store, sid, "pending", "answered", err);
	if (st) {
		json_decref(card);
		return st;
	}
	*card_out = card;
	return EID_OK;
}

eid_status eid_platform_verification_submit(eid_platform *p, const char *sid,
					    const char *sealed_b64, const char *device_sig_b64,
					    json_t **result_out, eid_err *err)
{
	*result_out = NULL;
	eid_session_row s;
	eid_status st = pending_session(p, sid, "verify", &s, err);
	if (st)
		return st;
	json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "sid", s.sid, "nonce",
				 s.nonce, "exp", (json_int_t)s.exp_ms, "rp", s.owner, "level", s.level,
				 "purpose", s.purpose, "sealed", sealed_b64, "device_sig",
				 device_sig_b64);
	if (!body)
		return eid_fail(err, EID_E_INVALID_ARG, "sealed and device_sig must be strings");
	json_t *result;
	st = relay(p, "/internal/verifications", body, &result, err);
	json_decref(body);
	if (st)
		return st;
	char *text = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS);
	st = text ? eid_store_session_answer(p->store, sid, text, err)
		  : eid_fail(err, EID_E_NOMEM, "out of memory");
	free(text);
	if (st) {
		json_decref(result);
		return st;
	}
	*result_out = result;
	return EID_OK;
}

/* Relays the app's device-signed {"card_id", "nonce", "ts", "device_sig"}
 * (checked by the authority) to path, with nothing else in it. */
static eid_status relay_device_request(eid_platform *p, const char *path, const json_t *req,
				       json_t **out, eid_err *err)
{
	json_t *card = json_object_get(req, "card_id"), *nonce = json_object_get(req, "nonce"),
	       *ts = json_object_get(req, "ts"), *sig = json_object_get(req, "device_sig");
	if (!json_is_object(req) || !json_is_string(card) || !json_is_string(nonce) ||
	    !json_is_integer(ts) || !json_is_string(sig))
		return eid_fail(err, EID_E_INVALID_ARG,
				"body must be {\"card_id\", \"nonce\", \"ts\": integer, "
				"\"device_sig\"}");
	if (json_string_length(card) > 48 || json_string_length(nonce) > 64 ||
	    json_string_length(sig) > 128)
		return eid_fail(err, EID_E_INVALID_ARG, "card_id, nonce or device_sig too long");
	json_t *body = json_pack("{s:O, s:O, s:O, s:O}", "card_id", card, "nonce", nonce, "ts", ts,
				 "device_sig", sig);
	eid_status st = body ? relay(p, path, body, out, err)
			     : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_decref(body);
	return st;
}

eid_status eid_platform_challenge(eid_platform *p, const char *sid, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_session_row s;
	eid_status st = pending_session(p, sid, NULL, &s, err);
	json_t *body = st ? NULL : json_pack("{s:s}", "nonce", s.nonce), *reply = NULL;
	if (!st && !body)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = relay(p, "/internal/challenge", body, &reply, err);
	json_decref(body);
	if (!st) {
		*out = json_pack("{s:s, s:O}", "sid", s.sid, "challenge",
				 json_object_get(reply, "challenge"));
		if (!*out)
			st = eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	json_decref(reply);
	return st;
}

eid_status eid_platform_capture_quality(eid_platform *p, const json_t *req, json_t **out,
					eid_err *err)
{
	*out = NULL;
	json_t *nonce = json_object_get(req, "nonce"), *ts = json_object_get(req, "ts"),
	       *sealed = json_object_get(req, "sealed");
	if (!json_is_object(req) || !json_is_string(nonce) || !json_is_integer(ts) ||
	    !json_is_string(sealed))
		return eid_fail(err, EID_E_INVALID_ARG,
				"body must be {\"nonce\", \"ts\": integer, \"sealed\"}");
	if (json_string_length(nonce) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "nonce too long");
	json_t *body = json_pack("{s:O, s:O, s:O}", "nonce", nonce, "ts", ts, "sealed", sealed);
	eid_status st = body ? relay(p, "/internal/quality", body, out, err)
			     : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_decref(body);
	return st;
}

eid_status eid_platform_revoke_device(eid_platform *p, const json_t *req, json_t **out,
				      eid_err *err)
{
	*out = NULL;
	return relay_device_request(p, "/internal/revoke", req, out, err);
}

eid_status eid_platform_history(eid_platform *p, const json_t *req, json_t **out, eid_err *err)
{
	*out = NULL;
	json_t *h = NULL;
	eid_status st = relay_device_request(p, "/internal/history", req, &h, err);
	if (st)
		return st;
	/* the resident sees who asked by name, as on the consent screen */
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(h, "verifications"), i, v)
	{
		const char *rp_id = json_string_value(json_object_get(v, "rp"));
		eid_rp_row rp;
		eid_err ignore;
		const int known = rp_id && eid_store_rp_get(p->store, rp_id, &rp, &ignore) == EID_OK;
		json_object_set_new(v, "rp", json_pack("{s:s, s:s}", "id", rp_id ? rp_id : "",
						       "name", known ? rp.name : "(unknown)"));
	}
	*out = h;
	return EID_OK;
}

eid_status eid_platform_change_passcode(eid_platform *p, const json_t *req, json_t **out,
					eid_err *err)
{
	*out = NULL;
	json_t *card = json_object_get(req, "card_id"), *nonce = json_object_get(req, "nonce"),
	       *ts = json_object_get(req, "ts"), *sealed = json_object_get(req, "sealed"),
	       *sig = json_object_get(req, "device_sig");
	if (!json_is_object(req) || !json_is_string(card) || !json_is_string(nonce) ||
	    !json_is_integer(ts) || !json_is_string(sealed) || !json_is_string(sig))
		return eid_fail(err, EID_E_INVALID_ARG,
				"body must be {\"card_id\", \"nonce\", \"ts\": integer, "
				"\"sealed\", \"device_sig\"}");
	if (json_string_length(card) > 48 || json_string_length(nonce) > 64 ||
	    json_string_length(sig) > 128)
		return eid_fail(err, EID_E_INVALID_ARG, "card_id, nonce or device_sig too long");
	json_t *body = json_pack("{s:O, s:O, s:O, s:O, s:O}", "card_id", card, "nonce", nonce, "ts",
				 ts, "sealed", sealed, "device_sig", sig);
	eid_status st = body ? relay(p, "/internal/passcode", body, out, err)
			     : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_decref(body);
	return st;
}

eid_status eid_platform_set_authority_url(eid_platform *p, const char *url, eid_err *err)
{
	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return eid_fail(err, EID_E_INVALID_ARG, "authority url must be http(s)");
	char *copy = strdup(url);
	if (!copy)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	free(p->authority_url);
	p->authority_url = copy;
	pthread_mutex_lock(&p->keys_lock); /* another authority: its keys anew */
	json_decref(p->authority_keys);
	p->authority_keys = NULL;
	pthread_mutex_unlock(&p->keys_lock);
	return EID_OK;
}

const eid_pubkey *eid_platform_signing_key(const eid_platform *p)
{
	return eid_key_pub(p->signing);
}

/* The officer a terminal's page names in its signed requests: 1-32 of
 * [A-Za-z0-9-] (a badge number), or none. */
static eid_status officer_of(const json_t *req, const char **out, eid_err *err)
{
	const json_t *o = json_object_get(req, "officer");
	*out = NULL;
	if (!o)
		return EID_OK;
	const char *s = json_string_value(o);
	size_t n = s ? strlen(s) : 0;
	int ok = n >= 1 && n <= 32;
	for (size_t i = 0; ok && i < n; i++)
		ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		     (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
	if (!ok)
		return eid_fail(err, EID_E_INVALID_ARG, "officer must be 1-32 of A-Z, a-z, 0-9, '-'");
	*out = s;
	return EID_OK;
}

/* The terminal that signed req, if registered, active and the request fresh. */
static eid_status signed_by_terminal(eid_platform *p, const json_t *req, eid_terminal_row *t,
				     eid_err *err)
{
	const char *term = json_string_value(json_object_get(req, "term_id"));
	const json_int_t ts = json_integer_value(json_object_get(req, "ts"));
	if (!term || !json_is_integer(json_object_get(req, "ts")))
		return eid_fail(err, EID_E_DENIED, "a terminal request needs term_id and ts");
	eid_status st = eid_store_terminal_get(p->store, term, t, err);
	if (st == EID_E_NOT_FOUND || (!st && strcmp(t->status, "active") != 0))
		return eid_fail(err, EID_E_DENIED, "unknown or inactive terminal");
	if (st)
		return st;
	char b64[EID_PUBKEY_B64_LEN + 1];
	eid_pubkey pk;
	eid_keyring ring = {&pk, 1};
	if ((st = eid_b64url_encode(t->public_key, 32, b64, sizeof(b64), err)) ||
	    (st = eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), NULL, &pk, err)))
		return st;
	if (eid_verify_json(req, eid_keyring_lookup, &ring, NULL, err) != EID_OK)
		return eid_fail(err, EID_E_DENIED, "not signed by the terminal's key");
	const int64_t skew = svc_now_ms() - (int64_t)ts;
	if (skew > SESSION_MS || skew < -SESSION_MS)
		return eid_fail(err, EID_E_DENIED, "the terminal's request is not fresh");
	return EID_OK;
}

eid_status eid_platform_terminal_new(eid_platform *p, const json_t *req, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_terminal_row t;
	json_t *seal = NULL;
	const char *officer;
	eid_status st = signed_by_terminal(p, req, &t, err);
	if (!st)
		st = officer_of(req, &officer, err);
	if (!st)
		st = authority_key(p, "seal", &seal, err);
	if (st)
		return st;
	eid_session_row s;
	new_session(&s, "enrol", t.term_id, "full");
	/* who at the counter opened it, readable in the audit log (the log keeps
	 * only a hash of the data: the session id) */
	char who[EID_CREDENTIAL_ID_LEN + 40];
	snprintf(who, sizeof(who), "%s:%s", t.term_id, officer ? officer : "-");
	if (!(st = eid_store_begin(p->store, err))) {
		st = eid_store_session_add(p->store, &s, err);
		if (!st)
			st = eid_store_audit_append(p->store, "terminal.session_opened", who, s.sid,
						    strlen(s.sid), NULL, err);
		st = eid_store_end(p->store, st, err);
	}
	if (st) {
		json_decref(seal);
		return st;
	}
	*out = json_pack("{s:s, s:s, s:I, s:s, s:o}", "sid", s.sid, "nonce", s.nonce, "exp",
			 (json_int_t)s.exp_ms, "level", s.level, "authority_seal", seal);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

/* The enrolment session sid of the terminal that signed req (another
 * terminal's looks absent); pending and unexpired when pending is set. */
static eid_status terminal_session(eid_platform *p, const char *sid, const json_t *req,
				   int pending, eid_session_row *s, eid_err *err)
{
	eid_terminal_row t;
	eid_status st = signed_by_terminal(p, req, &t, err);
	if (!st)
		st = pending ? pending_session(p, sid, "enrol", s, err)
			     : eid_store_session_get(p->store, sid, s, err);
	if (!st && (strcmp(s->type, "enrol") != 0 || strcmp(s->owner, t.term_id) != 0))
		st = eid_fail(err, EID_E_NOT_FOUND, "no such session");
	return st;
}

eid_status eid_platform_terminal_claim(eid_platform *p, const char *sid, const json_t *req,
				       json_t **out, eid_err *err)
{
	*out = NULL;
	eid_session_row s;
	eid_status st = terminal_session(p, sid, req, 1, &s, err);
	const char *claim = json_string_value(json_object_get(req, "claim"));
	uint8_t blob[1024];
	size_t n = 0;
	if (!st && (!claim || strlen(claim) > 1300 ||
		    eid_b64url_decode(claim, strlen(claim), blob, sizeof(blob), &n, err) != EID_OK))
		st = eid_fail(err, EID_E_FORMAT, "claim must be a sealed blob in base64url");
	if (!st)
		st = eid_store_session_set_sealed(p->store, sid, blob, n, err);
	if (st)
		return st;
	char *qr;
	st = signed_qr(p,
		       json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s}", "v", 1, "type", "enrol", "sid",
				 s.sid, "nonce", s.nonce, "exp", (json_int_t)s.exp_ms, "level",
				 s.level, "platform", p->public_url),
		       &qr, err);
	if (!st && !(*out = json_pack("{s:s}", "qr", qr)))
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	free(qr);
	return st;
}

eid_status eid_platform_terminal_signin(eid_platform *p, const json_t *req, json_t **out,
					eid_err *err)
{
	*out = NULL;
	eid_terminal_row t;
	const char *officer;
	eid_status st = signed_by_terminal(p, req, &t, err);
	if (!st)
		st = officer_of(req, &officer, err);
	if (st)
		return st;
	*out = json_pack("{s:s, s:s, s:s}", "term_id", t.term_id, "name", t.name, "officer",
			 officer ? officer : "");
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

eid_status eid_platform_terminal_state(eid_platform *p, const char *sid, const json_t *req,
				       json_t **out, eid_err *err)
{
	*out = NULL;
	eid_session_row s;
	eid_status st = terminal_session(p, sid, req, 0, &s, err);
	if (st)
		return st;
	const char *state = strcmp(s.state, "answered") == 0 ? "enrolled"
			    : strcmp(s.state, "pending") == 0 && svc_now_ms() > s.exp_ms ? "expired"
										    : s.state;
	*out = json_pack("{s:s, s:s, s:I}", "sid", s.sid, "state", state, "exp",
			 (json_int_t)s.exp_ms);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}
