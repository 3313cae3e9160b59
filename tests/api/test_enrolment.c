/* Lightweight enrolment end to end over real HTTP on loopback: the app (this
 * test) seals a capture to the authority's key and signs it with its device
 * key; the platform relays what it cannot open; the authority matches the
 * face with the register and issues a signed card. Then everything that must
 * be refused: a replay, a capture moved to another session, an impostor's
 * face, a bad device signature, a capture sealed to another key, a relay that
 * does not come from the platform. */
#include <jansson.h>
#include <sqlite3.h>

#include "../../src/svc/svc_internal.h"
#include "eid/api.h"
#include "eid/util.h"
#include "test.h"
#include "call.h"
#include "burst.h"
#include "orl.h"

static char data[64], id_a[19], id_b[19];
static eid_authority *auth;
static eid_platform *plat;
static eid_http_server *as, *ps;
static eid_key *device;
static char card_id[64];

static json_t *call(eid_http_server *srv, const char *method, const char *path, json_t *body,
		    long *status)
{
	return api_call(srv, method, path, NULL, body, status);
}

/* What the app sends: text sealed to `to` under ad, and signer's signature of
 * ad || sealed (flipped in one bit when corrupt_sig): {sealed, device_sig}. */
static json_t *sealed_body(const eid_pubkey *to, const char *ad, size_t ad_len, const char *text,
			   const eid_key *signer, int corrupt_sig)
{
	const size_t n = strlen(text);
	uint8_t *sealed = malloc(n + EID_SEAL_OVERHEAD), *msg = malloc(ad_len + n + EID_SEAL_OVERHEAD);
	size_t sealed_len;
	eid_err err;
	REQUIRE(eid_seal(to, (const uint8_t *)ad, ad_len, (const uint8_t *)text, n, sealed,
			 n + EID_SEAL_OVERHEAD, &sealed_len, &err) == EID_OK);
	memcpy(msg, ad, ad_len);
	memcpy(msg + ad_len, sealed, sealed_len);
	uint8_t sig[EID_SIG_BYTES];
	REQUIRE(eid_sign(signer, msg, ad_len + sealed_len, sig, &err) == EID_OK);
	if (corrupt_sig)
		sig[5] ^= 1;
	char *s1 = test_b64(sealed, sealed_len), *s2 = test_b64(sig, sizeof(sig));
	json_t *body = json_pack("{s:s, s:s}", "sealed", s1, "device_sig", s2);
	free(s1), free(s2), free(sealed), free(msg);
	return body;
}

/* a new session, and a capture for it: {sealed, device_sig} */
typedef struct capture {
	char sid[64];
	json_t *body;
} capture;

static capture make_capture(const char *id, const char *photo, const eid_pubkey *seal_to,
			    int corrupt_sig)
{
	capture c;
	long status;
	json_t *s = call(ps, "POST", "/v1/enrolments", json_pack("{s:s}", "level", "lightweight"),
			 &status);
	REQUIRE(status == 201);
	snprintf(c.sid, sizeof(c.sid), "%s", json_string_value(json_object_get(s, "sid")));
	const char *nonce = json_string_value(json_object_get(s, "nonce"));
	const int64_t exp = json_integer_value(json_object_get(s, "exp"));
	eid_err err;
	eid_pubkey authority_seal;
	const char *x = json_string_value(json_object_get(json_object_get(s, "authority_seal"), "x"));
	REQUIRE(eid_pubkey_from_b64(EID_KEY_X25519, x, strlen(x), NULL, &authority_seal, &err) ==
		EID_OK);
	char dev[EID_PUBKEY_B64_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(device), dev, sizeof(dev), &err) == EID_OK);
	char *pic = test_orl_b64(photo);
	json_t *cap = json_pack("{s:s, s:s, s:s}", "id_number", id, "photo", pic, "device_pk", dev);
	char *text = json_dumps(cap, JSON_COMPACT);
	json_decref(cap);
	free(pic);
	char ad[256];
	size_t ad_len = eid_enrol_ad(c.sid, nonce, exp, "lightweight", ad, sizeof(ad));
	REQUIRE(ad_len);
	json_decref(s);
	c.body = sealed_body(seal_to ? seal_to : &authority_seal, ad, ad_len, text, device,
			     corrupt_sig);
	free(text);
	return c;
}

static json_t *submit(const char *sid, json_t *body, long *status)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/enrolments/%s", sid);
	return call(ps, "POST", path, json_incref(body), status);
}

static void test_setup(void)
{
	snprintf(data, sizeof(data), "/tmp/eid-enrol-XXXXXX");
	REQUIRE(mkdtemp(data));
	test_id_number("19900101", "123", id_a);
	test_id_number("19851231", "244", id_b);
	char csv[128];
	snprintf(csv, sizeof(csv), "%s/register.csv", data);
	FILE *f = fopen(csv, "w");
	REQUIRE(f);
	fprintf(f, "id_number,name,birth_date,sex,address,photo\n");
	fprintf(f, "%s,A,1990-01-01,M,x,%s/faces/dev/images/orl/s3/s3_03.png\n", id_a, test_shared());
	fprintf(f, "%s,B,1985-12-31,F,x,%s/faces/dev/images/orl/s1/s1_01.png\n", id_b, test_shared());
	fclose(f);
	eid_err err;
	REQUIRE(eid_authority_open(data, &auth, &err) == EID_OK);
	eid_import_counts c;
	REQUIRE(eid_authority_import(auth, csv, "models", NULL, &c, &err) == EID_OK);
	REQUIRE(c.imported == 2);
	/* a damaged normalisation cohort: decisions go on with the fused scorer */
	char cohort[128];
	snprintf(cohort, sizeof(cohort), "%s/authority/cohort.bin", data);
	REQUIRE(eid_file_write(cohort, "EFC1 not a cohort", 17, 0600, &err) == EID_OK);
	REQUIRE(eid_platform_open(data, "http://127.0.0.1:9", &plat, &err) == EID_OK);
	eid_http_config acfg = {.name = "authority", .quiet = 1};
	REQUIRE(eid_api_authority_start(auth, eid_platform_signing_key(plat), &acfg, &as, &err) ==
		EID_OK);
	REQUIRE(eid_platform_set_authority_url(plat, eid_http_server_url(as), &err) == EID_OK);
	eid_http_config pcfg = {.name = "platform", .quiet = 1};
	REQUIRE(eid_api_platform_start(plat, &pcfg, &ps, &err) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &device, &err) == EID_OK);
}

static void test_enrol_and_card(void)
{
	/* resident A, another photo of the same person */
	capture c = make_capture(id_a, "s3/s3_01.png", NULL, 0);
	long status;
	json_t *card = submit(c.sid, c.body, &status);
	if (status != 201)
		fprintf(stderr, "  %s\n", json_dumps(card, 0));
	REQUIRE(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(card, "level")), "lightweight") == 0);
	CHECK(strcmp(json_string_value(json_object_get(card, "device_kid")),
		     eid_key_id(device)) == 0);
	CHECK(svc_cohort(auth) == NULL); /* the damaged cohort file was set aside */
	snprintf(card_id, sizeof(card_id), "%s", json_string_value(json_object_get(card, "card_id")));
	/* the card is the authority's: its published signing key verifies it */
	json_t *keys = call(ps, "GET", "/v1/keys", NULL, &status);
	json_t *k = json_array_get(json_object_get(json_object_get(keys, "authority"), "keys"), 0);
	eid_pubkey pk;
	eid_err err;
	const char *x = json_string_value(json_object_get(k, "x"));
	REQUIRE(eid_pubkey_from_b64(EID_KEY_ED25519, x, strlen(x), NULL, &pk, &err) == EID_OK);
	eid_keyring ring = {&pk, 1};
	CHECK(eid_verify_json(card, eid_keyring_lookup, &ring, NULL, &err) == EID_OK);
	json_object_set_new(card, "level", json_string("full"));
	CHECK(eid_verify_json(card, eid_keyring_lookup, &ring, NULL, &err) != EID_OK);
	json_decref(keys);
	json_decref(card);

	/* the card keeps the capture's template under the KEK (verification
	 * compares with it and the register photo): no plaintext floats stored,
	 * and it opens only as this card's */
	uint8_t ct[SVC_TEMPLATE_CT_BYTES];
	size_t ct_len = 0;
	REQUIRE(eid_store_card_template(auth->store, card_id, ct, sizeof(ct), &ct_len, &err) ==
		EID_OK);
	CHECK(ct_len == EID_FACE_TEMPLATE_BYTES + EID_KEK_OVERHEAD);
	CHECK(memmem(ct, ct_len, "EFT2", 4) == NULL);
	static eid_face_template kept, fresh;
	REQUIRE(svc_card_template(auth, card_id, &kept, &err) == EID_OK);
	CHECK(kept.has_faceres);
	char *pic = test_orl_b64("s3/s3_01.png");
	REQUIRE(svc_capture_template(auth, pic, &fresh, NULL, &err) == EID_OK);
	free(pic);
	CHECK(eid_face_score(kept.dlib, fresh.dlib) > 0.9999); /* the same photo */
	CHECK(svc_load_template(auth, card_id, ct, ct_len, &fresh, &err) != EID_OK);

	/* the same capture again: the session is answered */
	json_t *again = submit(c.sid, c.body, &status);
	CHECK(status == 409);
	json_decref(again);
	/* the same capture in another session: bound to the first one */
	capture other = make_capture(id_a, "s3/s3_01.png", NULL, 0);
	json_t *moved = submit(other.sid, c.body, &status);
	CHECK(status == 400);
	json_decref(moved);
	json_decref(other.body);
	json_decref(c.body);
}

static void test_refusals(void)
{
	long status;
	/* an impostor: B's face with A's ID number */
	capture c = make_capture(id_a, "s1/s1_01.png", NULL, 0);
	json_t *r = submit(c.sid, c.body, &status);
	CHECK(status == 403);
	json_decref(r);
	json_decref(c.body);
	/* the device signature does not match */
	c = make_capture(id_a, "s3/s3_01.png", NULL, 1);
	r = submit(c.sid, c.body, &status);
	CHECK(status == 400);
	json_decref(r);
	json_decref(c.body);
	/* sealed to someone else's key (the platform could only have done that) */
	eid_key *other;
	eid_err err;
	REQUIRE(eid_key_new(EID_KEY_X25519, &other, &err) == EID_OK);
	c = make_capture(id_a, "s3/s3_01.png", eid_key_pub(other), 0);
	r = submit(c.sid, c.body, &status);
	CHECK(status == 400);
	json_decref(r);
	eid_key_free(other);
	/* the authority's relay route refuses anyone but the platform */
	json_t *forged = json_pack("{s:s, s:s, s:i, s:s, s:O, s:O}", "sid", c.sid, "nonce", "n",
				   "exp", 0, "level", "lightweight", "sealed",
				   json_object_get(c.body, "sealed"), "device_sig",
				   json_object_get(c.body, "device_sig"));
	r = call(as, "POST", "/internal/enrolments", forged, &status);
	CHECK(status == 403);
	json_decref(r);
	json_decref(c.body);
	/* an unknown session */
	r = call(ps, "POST", "/v1/enrolments/nope", json_pack("{s:s, s:s}", "sealed", "x",
							       "device_sig", "y"), &status);
	CHECK(status == 404);
	json_decref(r);
}

/* --- verification (flow 4) ------------------------------------------------ */

static eid_pubkey authority_signing(void)
{
	long status;
	json_t *keys = call(as, "GET", "/v1/keys", NULL, &status);
	json_t *k = json_array_get(json_object_get(keys, "keys"), 0);
	eid_pubkey pk;
	eid_err err;
	const char *x = json_string_value(json_object_get(k, "x"));
	REQUIRE(eid_pubkey_from_b64(EID_KEY_ED25519, x, strlen(x), NULL, &pk, &err) == EID_OK);
	json_decref(keys);
	return pk;
}

static char *new_rp(const char *name, const char *level)
{
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	eid_err err;
	REQUIRE(eid_platform_add_rp(plat, name, level, id, secret, &err) == EID_OK);
	char *cred = malloc(128);
	snprintf(cred, 128, "%s.%s", id, secret);
	return cred;
}

/* a relying party asks; returns the session id */
static void rp_request(const char *cred, const char *level, char sid[64])
{
	char url[512], hdr[256];
	snprintf(url, sizeof(url), "%s/v1/verifications", eid_http_server_url(ps));
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", cred);
	const char *headers[] = {hdr, NULL};
	json_t *body = json_pack("{s:s, s:s}", "purpose", "check-in", "level", level), *reply;
	long status;
	eid_err err;
	REQUIRE(eid_http_call_headers("POST", url, headers, body, 5.0, &status, &reply, &err) ==
		EID_OK);
	json_decref(body);
	REQUIRE(status == 201);
	snprintf(sid, 64, "%s", json_string_value(json_object_get(reply, "sid")));
	json_decref(reply);
}

static json_t *rp_result(const char *cred, const char *sid)
{
	char url[512], hdr[256];
	snprintf(url, sizeof(url), "%s/v1/verifications/%s", eid_http_server_url(ps), sid);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", cred);
	const char *headers[] = {hdr, NULL};
	json_t *reply;
	long status;
	eid_err err;
	REQUIRE(eid_http_call_headers("GET", url, headers, NULL, 5.0, &status, &reply, &err) ==
		EID_OK);
	CHECK(status == 200);
	return reply;
}

/* set: app_answer_card lets the session expire between reading the request
 * and sending the capture */
static int expire_before_submit;

static void expire_session(const char *sid)
{
	char db_path[160], sql[256];
	snprintf(db_path, sizeof(db_path), "%s/platform/platform.db", data);
	snprintf(sql, sizeof(sql), "UPDATE sessions SET exp_ms = 1 WHERE sid = '%s'", sid);
	sqlite3 *db;
	REQUIRE(sqlite3_open(db_path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

/* the app: reads the request, seals {card_id, photo}, signs with `signer` */
static json_t *app_answer_card(const char *sid, const char *card, const char *photo,
			       const char *passcode, const eid_key *signer, long *status,
			       json_t **body_out);

static json_t *app_answer(const char *sid, const char *photo, const eid_key *signer,
			  long *status, json_t **body_out)
{
	return app_answer_card(sid, card_id, photo, NULL, signer, status, body_out);
}

static json_t *app_answer_card(const char *sid, const char *card, const char *photo,
			       const char *passcode, const eid_key *signer, long *status,
			       json_t **body_out)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/requests/%s", sid);
	json_t *info = call(ps, "GET", path, NULL, status);
	REQUIRE(*status == 200);
	const char *nonce = json_string_value(json_object_get(info, "nonce"));
	const char *rp = json_string_value(json_object_get(json_object_get(info, "rp"), "id"));
	const char *level = json_string_value(json_object_get(info, "level"));
	const int64_t exp = json_integer_value(json_object_get(info, "exp"));
	char ad[512];
	size_t ad_len = eid_verify_ad(sid, nonce, exp, rp, level, ad, sizeof(ad));
	REQUIRE(ad_len);
	const int full = strcmp(level, "full") == 0;
	json_decref(info);
	json_t *keys = call(as, "GET", "/v1/keys", NULL, status);
	const char *x = json_string_value(
		json_object_get(json_array_get(json_object_get(keys, "keys"), 1), "x"));
	eid_pubkey seal;
	eid_err err;
	REQUIRE(eid_pubkey_from_b64(EID_KEY_X25519, x, strlen(x), NULL, &seal, &err) == EID_OK);
	json_decref(keys);
	char *pic = test_orl_b64(photo);
	json_t *cap = json_pack("{s:s, s:s}", "card_id", card, "photo", pic);
	if (passcode)
		json_object_set_new(cap, "passcode", json_string(passcode));
	if (full) /* s1 follows the challenge */
		json_object_set_new(cap, "frames", burst_s1(eid_http_server_url(ps), sid));
	free(pic);
	char *text = json_dumps(cap, JSON_COMPACT);
	json_decref(cap);
	json_t *body = sealed_body(&seal, ad, ad_len, text, signer, 0);
	free(text);
	*body_out = json_incref(body);
	if (expire_before_submit) /* the resident took too long */
		expire_session(sid);
	return call(ps, "POST", path, body, status);
}

static void test_verification(void)
{
	REQUIRE(card_id[0]);
	char *cafe = new_rp("Net Cafe", "lightweight"), *cafe2 = new_rp("Cafe Two", "lightweight"),
	     *hotel = new_rp("Hotel Canton", "full");
	eid_pubkey authority = authority_signing();
	eid_keyring ring = {&authority, 1};
	eid_err err;
	char sid[64];
	long status;
	json_t *body;

	/* the cafe: lightweight, the resident's own face -> yes, signed, minimal */
	rp_request(cafe, "lightweight", sid);
	json_t *ans = app_answer(sid, "s3/s3_01.png", device, &status, &body);
	CHECK(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(ans, "result")), "yes") == 0);
	json_decref(ans);
	json_t *r = rp_result(cafe, sid), *res = json_object_get(r, "result");
	REQUIRE(res);
	CHECK(eid_verify_json(res, eid_keyring_lookup, &ring, NULL, &err) == EID_OK);
	CHECK(json_object_size(res) == 7); /* sid, rp, result, level, sub, iat, sig: nothing else */
	char sub1[64];
	snprintf(sub1, sizeof(sub1), "%s", json_string_value(json_object_get(res, "sub")));
	json_decref(r);
	/* the same capture again: refused */
	json_t *again = call(ps, "POST", "/v1/requests/x", json_incref(body), &status);
	CHECK(status == 404);
	json_decref(again);
	char path[128];
	snprintf(path, sizeof(path), "/v1/requests/%s", sid);
	again = call(ps, "POST", path, body, &status);
	CHECK(status == 409);
	json_decref(again);

	/* stable for one relying party, different for another */
	rp_request(cafe, "lightweight", sid);
	json_decref(app_answer(sid, "s3/s3_05.png", device, &status, &body));
	json_decref(body);
	r = rp_result(cafe, sid);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(r, "result"), "sub")),
		     sub1) == 0);
	json_decref(r);
	rp_request(cafe2, "lightweight", sid);
	json_decref(app_answer(sid, "s3/s3_01.png", device, &status, &body));
	json_decref(body);
	r = rp_result(cafe2, sid);
	const char *sub2 = json_string_value(json_object_get(json_object_get(r, "result"), "sub"));
	CHECK(sub2 && strcmp(sub2, sub1) != 0);
	json_decref(r);

	/* a capture too poor to decide on (overexposed) goes back to the app
	 * before anything is decided: 422, the session stays open, and the
	 * resident's next capture in the same session gets its answer */
	rp_request(cafe, "lightweight", sid);
	ans = app_answer(sid, "../af/chinese/deng-lun/deng-lun-6.jpg", device, &status, &body);
	CHECK(status == 422);
	CHECK(strcmp(error_code(ans), "poor_quality") == 0);
	CHECK(strstr(json_string_value(json_object_get(json_object_get(ans, "error"), "message")),
		     "too_bright") != NULL);
	json_decref(ans);
	json_decref(body);
	ans = app_answer(sid, "s3/s3_01.png", device, &status, &body);
	CHECK(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(ans, "result")), "yes") == 0);
	json_decref(ans);
	json_decref(body);

	/* the hotel needs full: a lightweight card answers no, with no pseudonym */
	rp_request(hotel, "full", sid);
	ans = app_answer(sid, "s3/s3_01.png", device, &status, &body);
	CHECK(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(ans, "result")), "no") == 0);
	CHECK(json_object_get(ans, "sub") == NULL);
	json_decref(ans);
	json_decref(body);

	/* an impostor holding the card: no */
	rp_request(cafe, "lightweight", sid);
	ans = app_answer(sid, "s1/s1_01.png", device, &status, &body);
	CHECK(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(ans, "result")), "no") == 0);
	json_decref(ans);
	json_decref(body);

	/* another phone with a copy of the card: refused outright */
	eid_key *other;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &other, &err) == EID_OK);
	rp_request(cafe, "lightweight", sid);
	ans = app_answer(sid, "s3/s3_01.png", other, &status, &body);
	CHECK(status == 403);
	json_decref(ans);
	json_decref(body);
	eid_key_free(other);
	free(cafe), free(cafe2), free(hotel);
}

/* --- full enrolment at a terminal, passcodes -------------------------------- */

static json_t *terminal_call(const eid_key *term, const char *term_id, const char *path,
			     json_t *body, long *status)
{
	return terminal_post(ps, term, term_id, path, body, svc_now_ms(), status);
}

static void test_full_enrolment_and_passcode(void)
{
	eid_err err;
	eid_key *term, *phone;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &term, &err) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &phone, &err) == EID_OK);
	char pub[EID_PUBKEY_B64_LEN + 1], term_id[EID_CREDENTIAL_ID_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(term), pub, sizeof(pub), &err) == EID_OK);
	REQUIRE(eid_platform_add_terminal(plat, "Station 3", pub, term_id, &err) == EID_OK);
	long status;

	/* an unregistered key cannot open sessions */
	json_t *r = terminal_call(phone, term_id, "/v1/terminal/enrolments", json_object(), &status);
	CHECK(status == 403);
	json_decref(r);

	/* 1. the terminal opens a session and seals the resident's claimed ID number */
	json_t *s = terminal_call(term, term_id, "/v1/terminal/enrolments", json_object(), &status);
	REQUIRE(status == 201);
	char sid[64], path[160];
	snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(s, "sid")));
	const char *nonce = json_string_value(json_object_get(s, "nonce"));
	const int64_t exp = json_integer_value(json_object_get(s, "exp"));
	eid_pubkey seal;
	const char *x = json_string_value(json_object_get(json_object_get(s, "authority_seal"), "x"));
	REQUIRE(eid_pubkey_from_b64(EID_KEY_X25519, x, strlen(x), NULL, &seal, &err) == EID_OK);
	char ad[256], claim_text[64];
	size_t ad_len = eid_claim_ad(sid, nonce, exp, ad, sizeof(ad));
	snprintf(claim_text, sizeof(claim_text), "{\"id_number\":\"%s\"}", id_b);
	uint8_t claim[256];
	size_t claim_len;
	REQUIRE(eid_seal(&seal, (const uint8_t *)ad, ad_len, (const uint8_t *)claim_text,
			 strlen(claim_text), claim, sizeof(claim), &claim_len, &err) == EID_OK);
	char *claim_b64 = test_b64(claim, claim_len);
	snprintf(path, sizeof(path), "/v1/terminal/enrolments/%s/claim", sid);
	r = terminal_call(term, term_id, path, json_pack("{s:s}", "claim", claim_b64), &status);
	CHECK(status == 201 && json_is_string(json_object_get(r, "qr")));
	json_decref(r);
	r = terminal_call(term, term_id, path, json_pack("{s:s}", "claim", claim_b64), &status);
	CHECK(status == 409); /* one claim per session */
	json_decref(r);
	free(claim_b64);

	/* 2. the app: mobile, passcode, face; sealed for this full session */
	char dev[EID_PUBKEY_B64_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(phone), dev, sizeof(dev), &err) == EID_OK);
	char *pic = test_orl_b64("s1/s1_02.png");
	json_t *cap = json_pack("{s:s, s:s, s:s, s:s}", "photo", pic, "device_pk", dev, "mobile",
				"13800138000", "passcode", "20241126");
	json_object_set_new(cap, "frames", burst_s1(eid_http_server_url(ps), sid));
	free(pic);
	char *text = json_dumps(cap, JSON_COMPACT);
	json_decref(cap);
	ad_len = eid_enrol_ad(sid, nonce, exp, "full", ad, sizeof(ad));
	json_decref(s);
	json_t *capture_body = sealed_body(&seal, ad, ad_len, text, phone, 0);
	free(text);
	json_t *card = submit(sid, capture_body, &status);
	json_decref(capture_body);
	REQUIRE(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(card, "level")), "full") == 0);
	char full_card[64];
	snprintf(full_card, sizeof(full_card), "%s", json_string_value(json_object_get(card, "card_id")));
	json_decref(card);

	/* 3. the hotel needs full: face and passcode */
	char *hotel = new_rp("Hotel Pearl", "full"), rsid[64];
	json_t *body;
	rp_request(hotel, "full", rsid);
	json_t *ans = app_answer_card(rsid, full_card, "s1/s1_06.png", "20241126", phone, &status,
				      &body);
	CHECK(status == 201 && strcmp(json_string_value(json_object_get(ans, "result")), "yes") == 0);
	json_decref(ans);
	json_decref(body);
	/* five wrong passcodes lock; then even the right one answers no */
	for (int i = 0; i < 5; i++) {
		rp_request(hotel, "full", rsid);
		ans = app_answer_card(rsid, full_card, "s1/s1_06.png", "11111111", phone, &status,
				      &body);
		CHECK(status == 201 &&
		      strcmp(json_string_value(json_object_get(ans, "result")), "no") == 0);
		json_decref(ans);
		json_decref(body);
	}
	rp_request(hotel, "full", rsid);
	ans = app_answer_card(rsid, full_card, "s1/s1_06.png", "20241126", phone, &status, &body);
	CHECK(status == 201 && strcmp(json_string_value(json_object_get(ans, "result")), "no") == 0);
	json_decref(ans);
	json_decref(body);
	free(hotel);
	eid_key_free(term);
	eid_key_free(phone);
}

/* --- lifecycle and audit (flows 5, 6) ---------------------------------------- */

static const char *answer_for(const char *cred)
{
	static char result[8];
	char sid[64];
	long status;
	json_t *body;
	rp_request(cred, "lightweight", sid);
	json_t *ans = app_answer(sid, "s3/s3_01.png", device, &status, &body);
	snprintf(result, sizeof(result), "%s",
		 status == 201 ? json_string_value(json_object_get(ans, "result")) : "error");
	json_decref(ans);
	json_decref(body);
	return result;
}

/* What a relying party or a holder must refuse, and what the platform must:
 * a capture moved to another session, an expired request, a result or a card
 * edited after signing. */
static void test_tampering(void)
{
	REQUIRE(card_id[0]);
	char *cafe = new_rp("Tamper Cafe", "lightweight");
	char sid_a[64], sid_b[64], path[128];
	long status;
	json_t *body;

	/* a capture for session A sent to session B: refused, B still open */
	rp_request(cafe, "lightweight", sid_a);
	rp_request(cafe, "lightweight", sid_b);
	json_decref(app_answer(sid_a, "s3/s3_01.png", device, &status, &body));
	REQUIRE(status == 201);
	snprintf(path, sizeof(path), "/v1/requests/%s", sid_b);
	json_decref(call(ps, "POST", path, body, &status));
	CHECK(status == 400 || status == 403);
	json_t *ans = app_answer(sid_b, "s3/s3_01.png", device, &status, &body);
	CHECK(status == 201 && strcmp(json_string_value(json_object_get(ans, "result")), "yes") == 0);
	json_decref(ans);
	json_decref(body);

	/* a signed answer edited afterwards fails the relying party's check */
	eid_pubkey authority = authority_signing();
	eid_keyring ring = {&authority, 1};
	eid_err err;
	json_t *r = rp_result(cafe, sid_b), *res = json_object_get(r, "result");
	REQUIRE(res && eid_verify_json(res, eid_keyring_lookup, &ring, NULL, &err) == EID_OK);
	json_object_set_new(res, "level", json_string("full"));
	CHECK(eid_verify_json(res, eid_keyring_lookup, &ring, NULL, &err) != EID_OK);
	json_object_set_new(res, "level", json_string("lightweight"));
	json_object_set_new(res, "sub", json_string("someone-else"));
	CHECK(eid_verify_json(res, eid_keyring_lookup, &ring, NULL, &err) != EID_OK);
	json_decref(r);

	/* an expired request: the platform refuses the answer (410) */
	rp_request(cafe, "lightweight", sid_a);
	expire_before_submit = 1;
	ans = app_answer(sid_a, "s3/s3_01.png", device, &status, &body);
	expire_before_submit = 0;
	CHECK(status == 410);
	json_decref(ans);
	json_decref(body);
	r = rp_result(cafe, sid_a);
	CHECK(json_object_get(r, "result") == NULL); /* nothing decided */
	json_decref(r);

	/* a card signed by anyone but the authority fails its check (edits: test_enrol_and_card) */
	json_t *card = json_pack("{s:s, s:s}", "card_id", card_id, "level", "lightweight");
	REQUIRE(card);
	eid_key *fake;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &fake, &err) == EID_OK);
	REQUIRE(eid_sign_json(fake, card, &err) == EID_OK);
	CHECK(eid_verify_json(card, eid_keyring_lookup, &ring, NULL, &err) != EID_OK);
	eid_key_free(fake);
	json_decref(card);
	free(cafe);
}

/* POST /v1/history signed by key for card; the HTTP status */
static long history_call(const eid_key *key, const char *card, const char *nonce, int64_t ts,
			 json_t **reply_out)
{
	return device_post(ps, "/v1/history", "history", key, card, nonce, ts, reply_out);
}

static void test_history(void)
{
	REQUIRE(card_id[0]);
	const int64_t now = svc_now_ms();
	json_t *h;
	REQUIRE(history_call(device, card_id, "nonce-history-1", now, &h) == 200);
	json_t *list = json_object_get(h, "verifications"), *v;
	CHECK(json_array_size(list) >= 3);
	size_t i;
	int64_t last = INT64_MAX;
	json_array_foreach(list, i, v)
	{
		/* newest first; the relying party by name; nothing about other people */
		const int64_t t = json_integer_value(json_object_get(v, "time"));
		CHECK(t <= last);
		last = t;
		CHECK(json_string_value(json_object_get(json_object_get(v, "rp"), "name")) != NULL);
		CHECK(json_object_size(v) == 6);
	}
	json_decref(h);
	/* the same signed request again: refused */
	CHECK(history_call(device, card_id, "nonce-history-1", now, NULL) == 409);
	/* a stale or future clock, another device's key, an unknown card, junk */
	CHECK(history_call(device, card_id, "nonce-history-2", now - 10 * 60000, NULL) == 410);
	CHECK(history_call(device, card_id, "nonce-history-3", now + 10 * 60000, NULL) == 410);
	eid_key *other;
	eid_err err;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &other, &err) == EID_OK);
	CHECK(history_call(other, card_id, "nonce-history-4", now, NULL) == 403);
	CHECK(history_call(device, "no-such-card", "nonce-history-5", now, NULL) == 403);
	CHECK(history_call(device, "x' OR '1'='1", "nonce-history-6", now, NULL) == 403);
	eid_key_free(other);
	long status;
	json_decref(call(ps, "POST", "/v1/history", json_pack("{s:s, s:s}", "card_id", card_id,
							      "nonce", "n"),
			 &status));
	CHECK(status == 400);
	json_decref(call(ps, "POST", "/v1/history",
			 json_pack("{s:s, s:s, s:s, s:s}", "card_id", card_id, "nonce", "n", "ts",
				   "yesterday", "device_sig", "AAAA"),
			 &status));
	CHECK(status == 400);
	/* the authority answers only the platform */
	char url[256];
	snprintf(url, sizeof(url), "%s/internal/history", eid_http_server_url(as));
	json_t *r = NULL;
	json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "card_id", card_id, "nonce", "n7", "ts",
				 (json_int_t)now, "device_sig", "AAAA");
	REQUIRE(eid_http_call("POST", url, body, 30.0, &status, &r, &err) == EID_OK);
	CHECK(status == 403);
	json_decref(body);
	json_decref(r);
}

static void test_lifecycle_and_audit(void)
{
	char *cafe = new_rp("Lifecycle Cafe", "lightweight");
	eid_err err;
	CHECK(strcmp(answer_for(cafe), "yes") == 0);
	REQUIRE(eid_authority_card_status(auth, card_id, "suspended", &err) == EID_OK);
	CHECK(strcmp(answer_for(cafe), "no") == 0);
	REQUIRE(eid_authority_card_status(auth, card_id, "active", &err) == EID_OK);
	CHECK(strcmp(answer_for(cafe), "yes") == 0);
	REQUIRE(eid_authority_card_status(auth, card_id, "revoked", &err) == EID_OK); /* lost phone */
	CHECK(strcmp(answer_for(cafe), "no") == 0);
	CHECK(eid_authority_card_status(auth, card_id, "active", &err) == EID_E_DENIED);
	CHECK(eid_authority_card_status(auth, "nope", "revoked", &err) == EID_E_NOT_FOUND);
	CHECK(eid_authority_card_status(auth, card_id, "gone", &err) == EID_E_INVALID_ARG);
	free(cafe);

	/* every decision is in the chain; an edit behind the authority's back shows */
	uint64_t rows, bad;
	CHECK(eid_authority_audit_verify(auth, &rows, &bad, &err) == EID_OK);
	CHECK(rows >= 10);
	char path[160];
	snprintf(path, sizeof(path), "%s/authority/authority.db", data);
	sqlite3 *db;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "UPDATE audit SET event = 'verification.yes' WHERE event ="
				 " 'verification.no'",
			     NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(eid_authority_audit_verify(auth, &rows, &bad, &err) == EID_E_FORMAT);
	CHECK(bad > 0);
}

static void test_teardown(void)
{
	eid_http_server_free(ps);
	eid_http_server_free(as);
	eid_platform_close(plat);
	/* nothing of the captures stayed on the platform */
	char path[160];
	snprintf(path, sizeof(path), "%s/platform/platform.db", data);
	uint8_t *buf;
	size_t len;
	eid_err err;
	REQUIRE(eid_file_read(path, 1u << 28, &buf, &len, &err) == EID_OK);
	int found = 0;
	for (size_t i = 0; !found && len >= 18 && i <= len - 18; i++)
		found = memcmp(buf + i, id_a, 18) == 0;
	CHECK(!found);
	free(buf);
	eid_authority_close(auth);
	eid_key_free(device);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_setup, test_enrol_and_card, test_refusals, test_verification,
	  test_full_enrolment_and_passcode, test_tampering, test_history, test_lifecycle_and_audit, test_teardown)
