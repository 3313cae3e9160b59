/* The app, the terminal and relying parties as HTTP clients (eid/client.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eid/client.h"
#include "eid/http.h"
#include "eid/svc.h"
#include "eid/util.h"

struct eid_app {
	char platform[256];
	char dir[256]; /* "" for an app that keeps nothing on disk */
	eid_key *device;
	json_t *card;
	/* the authority's sealing key and the platform's signing key, fetched
	 * once: answers may run in threads */
	pthread_mutex_t lock;
	eid_pubkey seal, platform_sig;
	int have_seal, have_platform_sig;
};

struct eid_terminal {
	char platform[256], term_id[64];
	eid_key *key;
};

/* --- small helpers ------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the platform's error object as a status */
static eid_status http_error(long status, json_t *reply, eid_err *err)
{
	json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	eid_status st = EID_E_INTERNAL;
	for (int s = 0; s < EID_STATUS_COUNT; s++)
		if (code && strcmp(code, eid_status_code((eid_status)s)) == 0)
			st = (eid_status)s;
	if (status == 401)
		st = EID_E_DENIED;
	return eid_fail(err, st, "platform answered %ld: %s", status, msg ? msg : "no message");
}

/* One JSON call to the platform; takes body (NULL for a GET) and wants the
 * status `want`. */
static eid_status post(const char *base, const char *path, const char *credential, json_t *body,
		       long want, json_t **reply_out, eid_err *err)
{
	char url[512], hdr[256];
	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", credential ? credential : "");
	const char *headers[] = {hdr, NULL};
	long status = 0;
	json_t *reply = NULL;
	eid_status st = eid_http_call_headers(body ? "POST" : "GET", url, credential ? headers : NULL,
					      body, 60.0, &status, &reply, err);
	json_decref(body);
	if (!st && status != want)
		st = http_error(status, reply, err);
	if (st) {
		json_decref(reply);
		return st;
	}
	*reply_out = reply;
	return EID_OK;
}

static char *to_b64(const uint8_t *b, size_t n)
{
	char *s = malloc(EID_B64URL_LEN(n) + 1);
	eid_err err;
	if (s && eid_b64url_encode(b, n, s, EID_B64URL_LEN(n) + 1, &err) != EID_OK) {
		free(s);
		return NULL;
	}
	return s;
}

/* a QR payload's JSON, unchecked (app_payload checks the platform's signature) */
static json_t *qr_payload(const char *qr)
{
	const size_t n = strlen(qr);
	uint8_t *raw = malloc(n + 1);
	size_t len;
	eid_err err;
	json_t *j = NULL;
	if (raw && eid_b64url_decode(qr, n, raw, n, &len, &err) == EID_OK)
		j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	return j;
}

/* a session id as the platform makes them (base64url): anything else in a QR
 * payload could steer the app's request elsewhere on the platform */
static int sid_ok(const char *sid)
{
	const size_t n = sid ? strlen(sid) : 0;
	return n > 0 && n <= 64 && strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789-_") == n;
}

/* Seals text to the authority's sealing key for ad, signs ad || sealed with
 * the device key; the body {"sealed", "device_sig"}. */
static eid_status seal_and_sign(const eid_key *device, const eid_pubkey *seal, const char *ad,
				const char *text, json_t **body_out, eid_err *err)
{
	const size_t ad_len = strlen(ad), n = strlen(text);
	uint8_t *sealed = malloc(n + EID_SEAL_OVERHEAD), *msg = malloc(ad_len + n + EID_SEAL_OVERHEAD);
	size_t sealed_len = 0;
	uint8_t sig[EID_SIG_BYTES];
	eid_status st = sealed && msg ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = eid_seal(seal, (const uint8_t *)ad, ad_len, (const uint8_t *)text, n, sealed,
			      n + EID_SEAL_OVERHEAD, &sealed_len, err);
	if (!st) {
		memcpy(msg, ad, ad_len);
		memcpy(msg + ad_len, sealed, sealed_len);
		st = eid_sign(device, msg, ad_len + sealed_len, sig, err);
	}
	char *s1 = st ? NULL : to_b64(sealed, sealed_len), *s2 = st ? NULL : to_b64(sig, sizeof(sig));
	if (!st && (!s1 || !s2))
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		*body_out = json_pack("{s:s, s:s}", "sealed", s1, "device_sig", s2);
	free(s1), free(s2), free(sealed), free(msg);
	return st;
}

/* a published key of party ("authority", relayed by the platform, or
 * "platform") with the given use */
static eid_status published_key(const char *platform, const char *party, const char *use,
				eid_key_type type, eid_pubkey *out, eid_err *err)
{
	json_t *keys;
	eid_status st = post(platform, "/v1/keys", NULL, NULL, 200, &keys, err);
	if (st)
		return st;
	json_t *k;
	size_t i;
	st = eid_fail(err, EID_E_FORMAT, "the %s publishes no %s key", party, use);
	json_array_foreach(json_object_get(json_object_get(keys, party), "keys"), i, k)
	{
		const char *u = json_string_value(json_object_get(k, "use"));
		const char *x = json_string_value(json_object_get(k, "x"));
		if (u && x && strcmp(u, use) == 0)
			st = eid_pubkey_from_b64(type, x, strlen(x), NULL, out, err);
	}
	json_decref(keys);
	return st;
}

/* --- the app ------------------------------------------------------------------ */

/* Adds the burst to the capture as "frames"; 0 if out of memory. */
static int add_burst(const eid_burst *burst, json_t *capture)
{
	const size_t n = burst ? burst->n : 0;
	if (!capture || !n)
		return capture != NULL;
	json_t *frames = json_array();
	for (size_t i = 0; frames && i < n; i++) {
		char *f = to_b64(burst->frames[i], burst->lens[i]);
		if (!f || json_array_append_new(frames, json_string(f))) {
			free(f);
			json_decref(frames);
			return 0;
		}
		free(f);
	}
	return frames && json_object_set_new(capture, "frames", frames) == 0;
}

/* A published key (party, use), asked of the platform once per app: the
 * copy kept in *slot once *have is set. */
static eid_status cached_key(eid_app *app, const char *party, const char *use,
			     eid_key_type type, eid_pubkey *slot, int *have, eid_pubkey *out,
			     eid_err *err)
{
	eid_status st = EID_OK;
	pthread_mutex_lock(&app->lock);
	if (!*have)
		st = published_key(app->platform, party, use, type, slot, err);
	if (!st) {
		*have = 1;
		*out = *slot;
	}
	pthread_mutex_unlock(&app->lock);
	return st;
}

/* the authority's sealing key */
static eid_status app_seal_key(eid_app *app, eid_pubkey *out, eid_err *err)
{
	return cached_key(app, "authority", "seal", EID_KEY_X25519, &app->seal, &app->have_seal,
			  out, err);
}

/* A QR payload of the given type ("enrol", "verify", or NULL for either),
 * after checking the platform's signature on it: a forged code could
 * otherwise send the resident's capture into another session or make the
 * consent screen lie. */
static eid_status app_payload(eid_app *app, const char *qr, const char *type, json_t **out,
			      eid_err *err)
{
	*out = NULL;
	eid_pubkey key;
	eid_status st = cached_key(app, "platform", "sig", EID_KEY_ED25519, &app->platform_sig,
				   &app->have_platform_sig, &key, err);
	if (st)
		return st;
	json_t *p = qr_payload(qr);
	const char *t = json_string_value(json_object_get(p, "type"));
	eid_keyring ring = {&key, 1};
	const int fits = t && (type ? strcmp(t, type) == 0
				    : strcmp(t, "enrol") == 0 || strcmp(t, "verify") == 0);
	if (!fits) {
		json_decref(p);
		return eid_fail(err, EID_E_FORMAT, "not %s QR payload",
				!type			  ? "an eid"
				: strcmp(type, "enrol") == 0 ? "an enrolment"
							     : "a verification");
	}
	if (eid_verify_json(p, eid_keyring_lookup, &ring, NULL, err) != EID_OK) {
		json_decref(p);
		return eid_fail(err, EID_E_DENIED, "the QR code was not signed by this platform");
	}
	*out = p;
	return EID_OK;
}

/* The session of a signed QR payload (type as for app_payload): its id and
 * the platform path "/v1/<what>/<sid>". */
static eid_status payload_session(eid_app *app, const char *qr, const char *type,
				  const char *what, char sid[72], char path[128], eid_err *err)
{
	json_t *payload;
	eid_status st = app_payload(app, qr, type, &payload, err);
	if (st)
		return st;
	const char *s = json_string_value(json_object_get(payload, "sid"));
	const int good = sid_ok(s);
	snprintf(sid, 72, "%s", good ? s : "");
	json_decref(payload);
	if (!good)
		return eid_fail(err, EID_E_FORMAT, "the QR payload names no session");
	snprintf(path, 128, "/v1/%s/%s", what, sid);
	return EID_OK;
}

eid_status eid_app_challenge(eid_app *app, const char *qr, json_t **moves_out, eid_err *err)
{
	*moves_out = NULL;
	char sid[72], path[128];
	json_t *reply;
	eid_status st = payload_session(app, qr, NULL, "challenge", sid, path, err);
	if (!st)
		st = post(app->platform, path, NULL, NULL, 200, &reply, err);
	if (!st) {
		*moves_out = json_incref(json_object_get(reply, "challenge"));
		json_decref(reply);
		if (!json_is_array(*moves_out)) {
			json_decref(*moves_out);
			*moves_out = NULL;
			st = eid_fail(err, EID_E_FORMAT, "the platform sent no challenge");
		}
	}
	return st;
}

eid_status eid_app_new(const char *platform_url, eid_app **out, eid_err *err)
{
	return eid_app_open(NULL, platform_url, out, err);
}

/* DIR/name */
static void state_path(const eid_app *app, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", app->dir, name);
}

eid_status eid_app_open(const char *dir, const char *platform_url, eid_app **out, eid_err *err)
{
	*out = NULL;
	if (dir && strlen(dir) > 200)
		return eid_fail(err, EID_E_INVALID_ARG, "state directory path too long");
	eid_app *app = calloc(1, sizeof(*app));
	if (!app)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	snprintf(app->platform, sizeof(app->platform), "%s", platform_url);
	snprintf(app->dir, sizeof(app->dir), "%s", dir ? dir : "");
	pthread_mutex_init(&app->lock, NULL);
	char path[300];
	eid_status st = EID_OK;
	if (!dir) {
		st = eid_key_new(EID_KEY_ED25519, &app->device, err);
	} else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		st = eid_fail(err, EID_E_IO, "cannot create %s: %s", dir, strerror(errno));
	} else {
		/* the device key is made once and never leaves the directory */
		state_path(app, "device.key", path, sizeof(path));
		st = eid_key_read(path, EID_KEY_ED25519, &app->device, err);
		if (st == EID_E_IO && access(path, F_OK) != 0) {
			st = eid_key_new(EID_KEY_ED25519, &app->device, err);
			if (!st)
				st = eid_key_write(app->device, path, err);
		}
		state_path(app, "card.json", path, sizeof(path));
		if (!st && access(path, F_OK) == 0) {
			json_error_t je;
			app->card = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
			if (!app->card)
				st = eid_fail(err, EID_E_FORMAT, "%s: %s", path, je.text);
		}
	}
	if (st) {
		eid_app_free(app);
		return st;
	}
	*out = app;
	return EID_OK;
}

/* keeps a new card: replaced atomically, readable by the resident alone */
static eid_status save_card(eid_app *app, eid_err *err)
{
	if (!app->dir[0])
		return EID_OK;
	char path[300], tmp[310];
	state_path(app, "card.json", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	char *text = json_dumps(app->card, JSON_INDENT(2));
	eid_status st = text ? eid_file_write(tmp, text, strlen(text), 0600, err)
			     : eid_fail(err, EID_E_NOMEM, "out of memory");
	free(text);
	if (!st && rename(tmp, path) != 0)
		st = eid_fail(err, EID_E_IO, "cannot replace %s: %s", path, strerror(errno));
	return st;
}

eid_status eid_app_request_info(eid_app *app, const char *qr, json_t **info_out, eid_err *err)
{
	*info_out = NULL;
	char sid[72], path[128];
	eid_status st = payload_session(app, qr, "verify", "requests", sid, path, err);
	return st ? st : post(app->platform, path, NULL, NULL, 200, info_out, err);
}

void eid_app_free(eid_app *app)
{
	if (!app)
		return;
	eid_key_free(app->device);
	json_decref(app->card);
	pthread_mutex_destroy(&app->lock);
	free(app);
}

const json_t *eid_app_card(const eid_app *app)
{
	return app->card;
}

/* seals the enrolment capture for session s and submits it */
static eid_status enrol(eid_app *app, json_t *session, const char *level, json_t *capture,
			eid_err *err)
{
	const char *sid = json_string_value(json_object_get(session, "sid"));
	const char *nonce = json_string_value(json_object_get(session, "nonce"));
	const int64_t exp = json_integer_value(json_object_get(session, "exp"));
	char ad[256], path[128];
	eid_pubkey seal;
	if (!sid || !nonce || !eid_enrol_ad(sid, nonce, exp, level, ad, sizeof(ad)))
		return eid_fail(err, EID_E_FORMAT, "the platform sent an incomplete session");
	eid_status st = app_seal_key(app, &seal, err);
	char dev[EID_PUBKEY_B64_LEN + 1];
	if (!st)
		st = eid_pubkey_to_b64(eid_key_pub(app->device), dev, sizeof(dev), err);
	if (!st)
		json_object_set_new(capture, "device_pk", json_string(dev));
	char *text = st ? NULL : json_dumps(capture, JSON_COMPACT);
	json_t *body = NULL, *card = NULL;
	if (!st && !text)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = seal_and_sign(app->device, &seal, ad, text, &body, err);
	free(text);
	snprintf(path, sizeof(path), "/v1/enrolments/%s", sid);
	if (!st)
		st = post(app->platform, path, NULL, body, 201, &card, err);
	if (!st) {
		json_decref(app->card);
		app->card = card;
		st = save_card(app, err);
	}
	return st;
}

eid_status eid_app_enrol_light(eid_app *app, const char *id_number, const uint8_t *photo,
			       size_t photo_len, eid_err *err)
{
	json_t *session;
	eid_status st = post(app->platform, "/v1/enrolments", NULL,
			     json_pack("{s:s}", "level", "lightweight"), 201, &session, err);
	if (st)
		return st;
	char *pic = to_b64(photo, photo_len);
	json_t *capture = pic ? json_pack("{s:s, s:s}", "id_number", id_number, "photo", pic) : NULL;
	free(pic);
	st = capture ? enrol(app, session, "lightweight", capture, err)
		     : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_decref(capture);
	json_decref(session);
	return st;
}

eid_status eid_app_enrol_full(eid_app *app, const char *qr, const char *mobile,
			      const char *passcode, const uint8_t *photo, size_t photo_len,
			      const eid_burst *burst, eid_err *err)
{
	json_t *session;
	eid_status st = app_payload(app, qr, "enrol", &session, err);
	if (st)
		return st;
	char *pic = to_b64(photo, photo_len);
	json_t *capture = pic ? json_pack("{s:s, s:s, s:s}", "photo", pic, "mobile", mobile,
					  "passcode", passcode)
			      : NULL;
	free(pic);
	if (!add_burst(burst, capture)) {
		json_decref(capture);
		capture = NULL;
	}
	st = capture ? enrol(app, session, "full", capture, err)
		     : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_decref(capture);
	json_decref(session);
	return st;
}

eid_status eid_app_answer(eid_app *app, const char *qr, const uint8_t *photo, size_t photo_len,
			  const char *passcode, const eid_burst *burst, json_t **answer_out,
			  json_t **body_out, eid_err *err)
{
	*answer_out = NULL;
	if (body_out)
		*body_out = NULL;
	if (!app->card)
		return eid_fail(err, EID_E_INVALID_ARG, "the app holds no card");
	char sid[72], path[128], ad[512];
	json_t *info = NULL, *body = NULL;
	eid_pubkey seal;
	eid_status st = payload_session(app, qr, "verify", "requests", sid, path, err);
	if (!st)
		st = post(app->platform, path, NULL, NULL, 200, &info, err);
	if (!st)
		st = app_seal_key(app, &seal, err);
	if (!st &&
	    !eid_verify_ad(sid, json_string_value(json_object_get(info, "nonce")),
			   json_integer_value(json_object_get(info, "exp")),
			   json_string_value(json_object_get(json_object_get(info, "rp"), "id")),
			   json_string_value(json_object_get(info, "level")), ad, sizeof(ad)))
		st = eid_fail(err, EID_E_FORMAT, "the platform sent an incomplete request");
	char *pic = st ? NULL : to_b64(photo, photo_len);
	json_t *capture = pic ? json_pack("{s:O, s:s}", "card_id",
					  json_object_get(app->card, "card_id"), "photo", pic)
			      : NULL;
	free(pic);
	if (capture && passcode)
		json_object_set_new(capture, "passcode", json_string(passcode));
	if (!add_burst(burst, capture)) {
		json_decref(capture);
		capture = NULL;
	}
	char *text = capture ? json_dumps(capture, JSON_COMPACT) : NULL;
	json_decref(capture);
	if (!st && !text)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = seal_and_sign(app->device, &seal, ad, text, &body, err);
	free(text);
	if (!st)
		st = post(app->platform, path, NULL, json_incref(body), 201, answer_out, err);
	if (body_out && !st)
		*body_out = json_incref(body);
	json_decref(body);
	json_decref(info);
	return st;
}

eid_status eid_app_history(eid_app *app, json_t **out, eid_err *err)
{
	*out = NULL;
	const char *card_id = json_string_value(json_object_get(app->card, "card_id"));
	if (!card_id)
		return eid_fail(err, EID_E_INVALID_ARG, "the app holds no card");
	char nonce[EID_RANDOM_ID_LEN + 1], msg[256];
	eid_crypto_random_id(nonce);
	const int64_t ts = now_ms();
	const size_t len = eid_history_msg(card_id, nonce, ts, msg, sizeof(msg));
	uint8_t sig[EID_SIG_BYTES];
	eid_status st = len ? eid_sign(app->device, (const uint8_t *)msg, len, sig, err)
			    : eid_fail(err, EID_E_FORMAT, "the card id is too long");
	char *s = st ? NULL : to_b64(sig, sizeof(sig));
	if (!st && !s)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = post(app->platform, "/v1/history", NULL,
			  json_pack("{s:s, s:s, s:I, s:s}", "card_id", card_id, "nonce", nonce, "ts",
				    (json_int_t)ts, "device_sig", s),
			  200, out, err);
	free(s);
	return st;
}

eid_status eid_app_change_passcode(eid_app *app, const char *old_passcode,
				   const char *new_passcode, const uint8_t *photo, size_t photo_len,
				   eid_err *err)
{
	const char *card_id = json_string_value(json_object_get(app->card, "card_id"));
	if (!card_id)
		return eid_fail(err, EID_E_INVALID_ARG, "the app holds no card");
	char nonce[EID_RANDOM_ID_LEN + 1], ad[256];
	eid_crypto_random_id(nonce);
	const int64_t ts = now_ms();
	if (!eid_passcode_ad(card_id, nonce, ts, ad, sizeof(ad)))
		return eid_fail(err, EID_E_FORMAT, "the card id is too long");
	eid_pubkey seal;
	eid_status st = app_seal_key(app, &seal, err);
	char *pic = st ? NULL : to_b64(photo, photo_len);
	json_t *capture = pic ? json_pack("{s:s, s:s, s:s, s:s}", "card_id", card_id, "photo", pic,
					  "passcode", old_passcode, "new_passcode", new_passcode)
			      : NULL;
	free(pic);
	char *text = capture ? json_dumps(capture, JSON_COMPACT) : NULL;
	json_decref(capture);
	json_t *body = NULL, *reply = NULL;
	if (!st && !text)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = seal_and_sign(app->device, &seal, ad, text, &body, err);
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if (!st) {
		json_object_set_new(body, "card_id", json_string(card_id));
		json_object_set_new(body, "nonce", json_string(nonce));
		json_object_set_new(body, "ts", json_integer(ts));
		st = post(app->platform, "/v1/passcode", NULL, body, 200, &reply, err);
	}
	json_decref(reply);
	return st;
}

eid_status eid_app_resend(eid_app *app, const char *qr, json_t *body, long *status_out,
			  eid_err *err)
{
	json_t *payload = qr_payload(qr);
	const char *sid = json_string_value(json_object_get(payload, "sid"));
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/requests/%s", app->platform,
		 sid_ok(sid) ? sid : "none");
	json_decref(payload);
	json_t *reply = NULL;
	eid_status st = eid_http_call("POST", url, body, 30.0, status_out, &reply, err);
	json_decref(reply);
	return st;
}

/* --- the terminal ---------------------------------------------------------------- */

eid_status eid_terminal_new(const char *platform_url, const char *term_id, eid_key *key,
			    eid_terminal **out, eid_err *err)
{
	*out = NULL;
	eid_terminal *t = calloc(1, sizeof(*t));
	if (!t) {
		eid_key_free(key);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	snprintf(t->platform, sizeof(t->platform), "%s", platform_url);
	snprintf(t->term_id, sizeof(t->term_id), "%s", term_id);
	t->key = key;
	*out = t;
	return EID_OK;
}

void eid_terminal_free(eid_terminal *t)
{
	if (!t)
		return;
	eid_key_free(t->key);
	free(t);
}

static eid_status terminal_post(eid_terminal *t, const char *path, json_t *body,
				json_t **reply_out, eid_err *err)
{
	json_object_set_new(body, "term_id", json_string(t->term_id));
	json_object_set_new(body, "ts", json_integer(now_ms()));
	eid_status st = eid_sign_json(t->key, body, err);
	if (st) {
		json_decref(body);
		return st;
	}
	return post(t->platform, path, NULL, body, 201, reply_out, err);
}

eid_status eid_terminal_enrol(eid_terminal *t, const char *id_number, char **qr_out, eid_err *err)
{
	*qr_out = NULL;
	json_t *s, *r;
	eid_status st = terminal_post(t, "/v1/terminal/enrolments", json_object(), &s, err);
	if (st)
		return st;
	const char *sid = json_string_value(json_object_get(s, "sid"));
	const char *nonce = json_string_value(json_object_get(s, "nonce"));
	const int64_t exp = json_integer_value(json_object_get(s, "exp"));
	char ad[256], path[160];
	eid_pubkey seal;
	json_t *claim = json_pack("{s:s}", "id_number", id_number);
	char *text = claim ? json_dumps(claim, JSON_COMPACT) : NULL;
	json_decref(claim);
	uint8_t sealed[512];
	size_t n = 0;
	if (!sid || !nonce || !eid_claim_ad(sid, nonce, exp, ad, sizeof(ad)) || !text)
		st = eid_fail(err, EID_E_FORMAT, "incomplete session or bad ID number");
	if (!st)
		st = published_key(t->platform, "authority", "seal", EID_KEY_X25519, &seal, err);
	if (!st)
		st = eid_seal(&seal, (const uint8_t *)ad, strlen(ad), (const uint8_t *)text,
			      strlen(text), sealed, sizeof(sealed), &n, err);
	free(text);
	char *b64 = st ? NULL : to_b64(sealed, n);
	snprintf(path, sizeof(path), "/v1/terminal/enrolments/%s/claim", sid ? sid : "");
	if (!st)
		st = b64 ? terminal_post(t, path, json_pack("{s:s}", "claim", b64), &r, err)
			 : eid_fail(err, EID_E_NOMEM, "out of memory");
	free(b64);
	json_decref(s);
	if (st)
		return st;
	const char *qr = json_string_value(json_object_get(r, "qr"));
	*qr_out = qr ? strdup(qr) : NULL;
	json_decref(r);
	return *qr_out ? EID_OK : eid_fail(err, EID_E_FORMAT, "the platform sent no QR payload");
}

/* --- relying parties -------------------------------------------------------------- */

eid_status eid_rp_request(const char *platform_url, const char *credential, const char *purpose,
			  const char *level, char sid_out[64], char **qr_out, eid_err *err)
{
	*qr_out = NULL;
	json_t *r;
	eid_status st = post(platform_url, "/v1/verifications", credential,
			     json_pack("{s:s, s:s}", "purpose", purpose, "level", level), 201, &r, err);
	if (st)
		return st;
	const char *sid = json_string_value(json_object_get(r, "sid"));
	const char *qr = json_string_value(json_object_get(r, "qr"));
	if (sid && qr) {
		snprintf(sid_out, 64, "%s", sid);
		*qr_out = strdup(qr);
	}
	json_decref(r);
	return *qr_out ? EID_OK : eid_fail(err, EID_E_FORMAT, "the platform sent no request");
}

eid_status eid_rp_result(const char *platform_url, const char *credential, const char *sid,
			 json_t **result_out, eid_err *err)
{
	*result_out = NULL;
	char path[128];
	snprintf(path, sizeof(path), "/v1/verifications/%s", sid);
	json_t *r;
	eid_pubkey signing;
	eid_status st = post(platform_url, path, credential, NULL, 200, &r, err);
	if (st)
		return st;
	json_t *result = json_object_get(r, "result");
	if (!result)
		st = eid_fail(err, EID_E_NOT_FOUND, "not answered yet");
	if (!st)
		st = published_key(platform_url, "authority", "sig", EID_KEY_ED25519, &signing, err);
	eid_keyring ring = {&signing, 1};
	if (!st && eid_verify_json(result, eid_keyring_lookup, &ring, NULL, err) != EID_OK)
		st = eid_fail(err, EID_E_FORMAT, "the answer is not signed by the authority");
	if (!st)
		*result_out = json_incref(result);
	json_decref(r);
	return st;
}
