/* What the web pages need of the platform, over real HTTP on loopback: the
 * static pages and their headers, QR codes, a terminal's sign-in and the
 * outcome of its sessions, live capture guidance from the face engine, and
 * "revoke this device". (tests/web/e2e.mjs drives the pages themselves.) */
#include <jansson.h>
#include <png.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/svc/svc_internal.h"
#include "eid/admin.h"
#include "eid/api.h"
#include "eid/client.h"
#include "eid/util.h"
#include "test.h"
#include "call.h"
#include "fixture.h"
#include "orl.h"
#include "burst.h"

static fixture fx;
static eid_pubkey seal_key;

/* a request to the platform: status, body (NUL-terminated) and headers */
typedef struct reply {
	long status;
	char *body, *headers;
	size_t len;
} reply;

static reply raw(const char *method, const char *path)
{
	char url[2048];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(fx.ps), path);
	eid_http_exchange x = {.method = method, .url = url};
	eid_err err;
	REQUIRE(eid_http_exchange_run(&x, &err) == EID_OK);
	reply r = {.status = x.status, .len = x.reply_len};
	r.body = x.reply_len ? strdup((const char *)x.reply) : NULL;
	r.headers = strdup(x.reply_headers ? x.reply_headers : "");
	eid_http_exchange_release(&x);
	return r;
}

static void reply_free(reply *r)
{
	free(r->body);
	free(r->headers);
}

static json_t *call(const char *method, const char *path, json_t *body, long *status)
{
	return api_call(fx.ps, method, path, NULL, body, status);
}

static char *seal_text(const char *ad, const char *text)
{
	const size_t n = strlen(text);
	uint8_t *sealed = malloc(n + EID_SEAL_OVERHEAD);
	size_t len;
	eid_err err;
	REQUIRE(sealed && eid_seal(&seal_key, (const uint8_t *)ad, strlen(ad), (const uint8_t *)text,
				   n, sealed, n + EID_SEAL_OVERHEAD, &len, &err) == EID_OK);
	char *s = test_b64(sealed, len);
	free(sealed);
	return s;
}

static void test_setup(void)
{
	fixture_start(&fx, "web", "s1/s1_01.png", "web");
	eid_err err;
	json_t *keys = eid_authority_key_set(fx.auth), *k;
	size_t i;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
	{
		if (strcmp(json_string_value(json_object_get(k, "use")), "seal") == 0) {
			const char *x = json_string_value(json_object_get(k, "x"));
			REQUIRE(eid_pubkey_from_b64(EID_KEY_X25519, x, strlen(x), NULL, &seal_key,
						    &err) == EID_OK);
		}
	}
	json_decref(keys);
}

static void test_static_pages(void)
{
	reply r = raw("GET", "/app");
	CHECK(r.status == 200);
	CHECK(r.body && strstr(r.body, "<title>") != NULL);
	CHECK(strcasestr(r.headers, "Content-Type: text/html; charset=utf-8") != NULL);
	/* the CSP allows exactly the page's import map, nothing inline else */
	const char *csp = strcasestr(r.headers, "Content-Security-Policy: default-src 'none';");
	CHECK(csp != NULL);
	CHECK(csp && strstr(csp, "script-src 'self' 'wasm-unsafe-eval' 'sha256-") != NULL);
	CHECK(csp && strstr(csp, "frame-ancestors 'none'") != NULL);
	CHECK(csp && strstr(csp, "connect-src 'self'") != NULL);
	CHECK(strcasestr(r.headers, "X-Frame-Options: DENY") != NULL);
	CHECK(strcasestr(r.headers, "Referrer-Policy: no-referrer") != NULL);
	reply_free(&r);

	r = raw("GET", "/common/eid.js");
	CHECK(r.status == 200 && strcasestr(r.headers, "text/javascript") != NULL);
	reply_free(&r);
	r = raw("GET", "/");
	CHECK(r.status == 200 && r.body && strstr(r.body, "/terminal") != NULL);
	reply_free(&r);
	r = raw("HEAD", "/desk");
	CHECK(r.status == 200);
	reply_free(&r);

	/* only the pages' own names: no way out of the web directory */
	static const char *const refused[] = {
		"/..%2f..%2fetc%2fpasswd", "/app/..%2f..%2fMakefile", "/app/.hidden",
		"/.git/config",	 "/app/app.js.bak", "/app/APP.JS", "/nope",
		"/vendor/LICENSE", "/app/index.html/x", "/a/b/c.js", "/app/%00.js",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = raw("GET", refused[i]);
		if (r.status != 404)
			fprintf(stderr, "  %s: %ld\n", refused[i], r.status);
		CHECK(r.status == 404);
		reply_free(&r);
	}
	r = raw("POST", "/app");
	CHECK(r.status == 405);
	reply_free(&r);
	/* the service's routes come first */
	r = raw("GET", "/v1/keys");
	CHECK(r.status == 200 && strstr(r.body, "\"authority\"") != NULL);
	reply_free(&r);
}

static void test_qr(void)
{
	reply r = raw("GET", "/v1/qr?text=http%3A%2F%2F127.0.0.1%2Fapp%23verify%3Dabc");
	CHECK(r.status == 200 && strcasestr(r.headers, "Content-Type: image/svg+xml") != NULL);
	CHECK(r.body && strncmp(r.body, "<svg", 4) == 0 && strstr(r.body, "viewBox=\"0 0 ") != NULL);
	reply_free(&r);
	r = raw("GET", "/v1/qr");
	CHECK(r.status == 400);
	reply_free(&r);
	char path[1400] = "/v1/qr?text=";
	memset(path + strlen(path), 'A', 1250);
	path[12 + 1250] = 0;
	r = raw("GET", path);
	CHECK(r.status == 400);
	reply_free(&r);
}

static json_t *terminal_call(const eid_key *term, const char *term_id, const char *path,
			     json_t *body, long *status)
{
	return terminal_post(fx.ps, term, term_id, path, body, svc_now_ms(), status);
}

/* a full enrolment session of term for the resident; the app's part is submitted with
 * photo; answers the session id */
enum { NO_BURST, FOLLOW, STILL };

static void full_session(const eid_key *term, const char *term_id, const char *photo,
			 const eid_key *phone, int burst, long *submit_status, char sid[64],
			 json_t **card)
{
	long status;
	json_t *s = terminal_call(term, term_id, "/v1/terminal/enrolments",
				  json_pack("{s:s}", "officer", "GZ-0421"), &status);
	REQUIRE(status == 201);
	snprintf(sid, 64, "%s", json_string_value(json_object_get(s, "sid")));
	const char *nonce = json_string_value(json_object_get(s, "nonce"));
	const int64_t exp = json_integer_value(json_object_get(s, "exp"));
	char ad[256], text[64], path[160];
	eid_claim_ad(sid, nonce, exp, ad, sizeof(ad));
	snprintf(text, sizeof(text), "{\"id_number\":\"%s\"}", fx.id);
	char *claim = seal_text(ad, text);
	snprintf(path, sizeof(path), "/v1/terminal/enrolments/%s/claim", sid);
	json_decref(terminal_call(term, term_id, path, json_pack("{s:s}", "claim", claim), &status));
	free(claim);
	REQUIRE(status == 201);

	/* before the app: pending */
	snprintf(path, sizeof(path), "/v1/terminal/enrolments/%s/state", sid);
	json_t *st = terminal_call(term, term_id, path, json_object(), &status);
	CHECK(status == 200 && strcmp(json_string_value(json_object_get(st, "state")), "pending") == 0);
	json_decref(st);

	eid_err err;
	char dev[EID_PUBKEY_B64_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(phone), dev, sizeof(dev), &err) == EID_OK);
	char *pic = test_orl_b64(photo);
	json_t *cap = json_pack("{s:s, s:s, s:s, s:s}", "photo", pic, "device_pk", dev, "mobile",
				"13800138000", "passcode", "20241126");
	if (burst == FOLLOW) /* the resident follows the liveness challenge */
		json_object_set_new(cap, "frames", burst_s1(eid_http_server_url(fx.ps), sid));
	if (burst == STILL) /* a still photo instead: the same picture four times */
		json_object_set_new(cap, "frames", json_pack("[ssss]", pic, pic, pic, pic));
	free(pic);
	char *ctext = json_dumps(cap, JSON_COMPACT);
	json_decref(cap);
	const size_t ad_len = eid_enrol_ad(sid, nonce, exp, "full", ad, sizeof(ad));
	json_decref(s);
	char *sealed = seal_text(ad, ctext);
	free(ctext);
	/* the device signs AD || sealed (raw bytes) */
	uint8_t raw_sealed[1u << 16];
	size_t raw_len;
	REQUIRE(eid_b64url_decode(sealed, strlen(sealed), raw_sealed, sizeof(raw_sealed), &raw_len,
				  &err) == EID_OK);
	uint8_t *msg = malloc(ad_len + raw_len), sig[EID_SIG_BYTES];
	memcpy(msg, ad, ad_len);
	memcpy(msg + ad_len, raw_sealed, raw_len);
	REQUIRE(eid_sign(phone, msg, ad_len + raw_len, sig, &err) == EID_OK);
	free(msg);
	char *sig_b64 = test_b64(sig, sizeof(sig));
	snprintf(path, sizeof(path), "/v1/enrolments/%s", sid);
	*card = call("POST", path, json_pack("{s:s, s:s}", "sealed", sealed, "device_sig", sig_b64),
		     submit_status);
	free(sealed);
	free(sig_b64);
}

static const char *state_of(const eid_key *term, const char *term_id, const char *sid, long *status)
{
	static char state[32];
	char path[160];
	snprintf(path, sizeof(path), "/v1/terminal/enrolments/%s/state", sid);
	json_t *r = terminal_call(term, term_id, path, json_object(), status);
	const char *s = json_string_value(json_object_get(r, "state"));
	snprintf(state, sizeof(state), "%s", s ? s : "");
	json_decref(r);
	return state;
}

static eid_key *phone_a;
static char card_a[64];

static void test_terminal_signin_and_outcome(void)
{
	eid_err err;
	eid_key *term, *other, *impostor;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &term, &err) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &other, &err) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &impostor, &err) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &phone_a, &err) == EID_OK);
	char pub[EID_PUBKEY_B64_LEN + 1], term_id[EID_CREDENTIAL_ID_LEN + 1],
		term2[EID_CREDENTIAL_ID_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(term), pub, sizeof(pub), &err) == EID_OK);
	REQUIRE(eid_platform_add_terminal(fx.plat, "Counter 3", pub, term_id, &err) == EID_OK);
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(other), pub, sizeof(pub), &err) == EID_OK);
	REQUIRE(eid_platform_add_terminal(fx.plat, "Counter 4", pub, term2, &err) == EID_OK);

	long status;
	json_t *r = terminal_call(term, term_id, "/v1/terminal/signin",
				  json_pack("{s:s}", "officer", "GZ-0421"), &status);
	CHECK(status == 200 && strcmp(json_string_value(json_object_get(r, "name")), "Counter 3") == 0);
	CHECK(strcmp(json_string_value(json_object_get(r, "officer")), "GZ-0421") == 0);
	json_decref(r);
	json_decref(terminal_call(term, term_id, "/v1/terminal/signin",
				  json_pack("{s:s}", "officer", "x'; DROP TABLE--"), &status));
	CHECK(status == 400);
	/* another key for that terminal id, an unknown id, no signature */
	json_decref(terminal_call(other, term_id, "/v1/terminal/signin", json_object(), &status));
	CHECK(status == 403);
	json_decref(terminal_call(term, "no-such-terminal", "/v1/terminal/signin", json_object(),
				  &status));
	CHECK(status == 403);
	json_decref(call("POST", "/v1/terminal/signin",
			 json_pack("{s:s, s:I}", "term_id", term_id, "ts", (json_int_t)svc_now_ms()),
			 &status));
	CHECK(status == 403);

	/* an impostor's face: refused, and the terminal sees it */
	char sid[64];
	long submitted;
	json_t *card;
	full_session(term, term_id, "s5/s5_01.png", impostor, FOLLOW, &submitted, sid, &card);
	CHECK(submitted == 403);
	json_decref(card);
	CHECK(strcmp(state_of(term, term_id, sid, &status), "refused") == 0 && status == 200);
	/* another terminal cannot see the session */
	state_of(other, term2, sid, &status);
	CHECK(status == 404);

	/* the resident's own face, but no burst, then a still photo: no card */
	full_session(term, term_id, "s1/s1_02.png", phone_a, NO_BURST, &submitted, sid, &card);
	CHECK(submitted == 403 &&
	      strstr(json_string_value(json_object_get(json_object_get(card, "error"), "message")),
		     "liveness_no_burst"));
	json_decref(card);
	CHECK(strcmp(state_of(term, term_id, sid, &status), "refused") == 0);
	full_session(term, term_id, "s1/s1_02.png", phone_a, STILL, &submitted, sid, &card);
	CHECK(submitted == 403 &&
	      strstr(json_string_value(json_object_get(json_object_get(card, "error"), "message")),
		     "liveness_no_motion"));
	json_decref(card);

	/* the resident's own face, following the challenge: enrolled */
	full_session(term, term_id, "s1/s1_02.png", phone_a, FOLLOW, &submitted, sid, &card);
	CHECK(submitted == 201);
	snprintf(card_a, sizeof(card_a), "%s", json_string_value(json_object_get(card, "card_id")));
	json_decref(card);
	CHECK(strcmp(state_of(term, term_id, sid, &status), "enrolled") == 0);

	/* the platform's audit log says which officer opened each session */
	char path[160], q[256];
	snprintf(path, sizeof(path), "%s/platform/platform.db", fx.data);
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM audit WHERE event = 'terminal.session_opened' AND subject = "
		 "'%s:GZ-0421'",
		 term_id);
	sqlite3 *db;
	sqlite3_stmt *stmt;
	REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_prepare_v2(db, q, -1, &stmt, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 4);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	eid_key_free(term);
	eid_key_free(other);
	eid_key_free(impostor);

}

/* POST path with the device-signed {"card_id", "nonce", "ts", "device_sig"} */
static long device_call(const char *path, const char *verb, const eid_key *key, const char *card,
			const char *nonce)
{
	return device_post(fx.ps, path, verb, key, card, nonce, svc_now_ms(), NULL);
}

static void test_revoke_this_device(void)
{
	REQUIRE(card_a[0]);
	eid_err err;
	eid_key *other;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &other, &err) == EID_OK);
	/* only the card's own device; a history signature does not revoke */
	CHECK(device_call("/v1/revoke", "revoke", other, card_a, "r1") == 403);
	CHECK(device_call("/v1/revoke", "history", phone_a, card_a, "r2") == 403);
	CHECK(device_call("/v1/history", "history", phone_a, card_a, "h1") == 200);
	CHECK(device_call("/v1/revoke", "revoke", phone_a, card_a, "r3") == 200);
	eid_card_row row;
	REQUIRE(eid_store_card_get(fx.auth->store, card_a, &row, &err) == EID_OK);
	CHECK(strcmp(row.status, "revoked") == 0);
	/* revoked for good: the device can do nothing more with it */
	CHECK(device_call("/v1/revoke", "revoke", phone_a, card_a, "r4") == 403);
	CHECK(device_call("/v1/history", "history", phone_a, card_a, "h2") == 403);
	eid_key_free(other);
}

static long quality(const char *photo_b64, int64_t ts, json_t **out)
{
	char ad[128], nonce[32];
	eid_crypto_random_id(nonce);
	eid_quality_ad(nonce, ts, ad, sizeof(ad));
	char *text = malloc(strlen(photo_b64) + 32);
	sprintf(text, "{\"photo\":\"%s\"}", photo_b64);
	char *sealed = seal_text(ad, text);
	free(text);
	long status;
	json_t *r = call("POST", "/v1/quality",
			 json_pack("{s:s, s:I, s:s}", "nonce", nonce, "ts", (json_int_t)ts, "sealed",
				   sealed),
			 &status);
	free(sealed);
	if (out)
		*out = r;
	else
		json_decref(r);
	return status;
}

static void test_capture_guidance(void)
{
	json_t *r;
	char *face = test_orl_b64("s1/s1_02.png");
	CHECK(quality(face, svc_now_ms(), &r) == 200);
	CHECK(json_integer_value(json_object_get(r, "faces")) == 1);
	CHECK(json_is_array(json_object_get(r, "reasons")));
	json_decref(r);

	/* no face: said so, not an error (a flat grey 64x64 PNG) */
	uint8_t pixels[64 * 64], png[4096];
	memset(pixels, 128, sizeof(pixels));
	png_image img = {.version = PNG_IMAGE_VERSION, .width = 64, .height = 64,
			 .format = PNG_FORMAT_GRAY};
	png_alloc_size_t png_len = sizeof(png);
	REQUIRE(png_image_write_to_memory(&img, png, &png_len, 0, pixels, 0, NULL));
	char *grey = test_b64(png, png_len);
	long st = quality(grey, svc_now_ms(), &r);
	CHECK(st == 200);
	CHECK(json_integer_value(json_object_get(r, "faces")) == 0);
	CHECK(json_is_false(json_object_get(r, "ok")));
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(r, "reasons"), 0)), "no_face") ==
	      0);
	json_decref(r);

	/* a stale clock, a broken seal, not an image, wrong shapes */
	CHECK(quality(face, svc_now_ms() - 10 * 60000, NULL) == 410);
	long status;
	json_decref(call("POST", "/v1/quality",
			 json_pack("{s:s, s:I, s:s}", "nonce", "n", "ts", (json_int_t)svc_now_ms(),
				   "sealed", "AAAA"),
			 &status));
	CHECK(status == 400);
	CHECK(quality("bm90IGFuIGltYWdl", svc_now_ms(), NULL) == 400);
	json_decref(call("POST", "/v1/quality", json_pack("{s:s}", "nonce", "n"), &status));
	CHECK(status == 400);
	free(face);
	free(grey);
}

/* one person, one identity: a lightweight enrolment claiming another
 * resident's ID number with a registered resident's face gets a card held
 * for the administrator; it answers no until accepted */
static char *answer_light(eid_app *app, const char *cred, const uint8_t *face, size_t len)
{
	char sid[64], *qr = NULL;
	json_t *ans = NULL;
	eid_err err;
	REQUIRE(eid_rp_request(eid_http_server_url(fx.ps), cred, "check-in", "lightweight", sid, &qr,
			       &err) == EID_OK);
	REQUIRE(eid_app_answer(app, qr, face, len, NULL, NULL, &ans, NULL, &err) == EID_OK);
	char *r = strdup(json_string_value(json_object_get(ans, "result")));
	json_decref(ans);
	free(qr);
	return r;
}

static void test_duplicate_face(void)
{
	char csv[128], id_b[19];
	test_id_number("19851231", "244", id_b);
	snprintf(csv, sizeof(csv), "%s/register-b.csv", fx.data);
	FILE *f = fopen(csv, "w");
	REQUIRE(f);
	fprintf(f, "id_number,name,birth_date,sex,address,photo\n");
	fprintf(f, "%s,B,1985-12-31,F,x,%s/faces/dev/images/orl/s1/s1_05.png\n", id_b,
		test_shared());
	fclose(f);
	eid_err err;
	eid_import_counts n;
	/* B's register photo is A's face: the import holds it; accepted, B is a
	 * resident whose face is A's (twins, or an error an officer cleared) */
	REQUIRE(eid_authority_import(fx.auth, csv, "models", NULL, &n, &err) == EID_OK);
	json_t *held;
	REQUIRE(eid_admin_held(fx.auth, &held, &err) == EID_OK);
	const char *import_hold =
		json_string_value(json_object_get(json_array_get(json_object_get(held, "held"), 0), "id"));
	REQUIRE(import_hold);
	REQUIRE(eid_admin_held_accept(fx.auth, import_hold, "twins, checked at the counter", &err) ==
		EID_OK);
	json_decref(held);

	char path[512], rp_id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1],
		cred[80];
	REQUIRE(eid_platform_add_rp(fx.plat, "Cafe", "lightweight", rp_id, secret, &err) == EID_OK);
	snprintf(cred, sizeof(cred), "%s.%s", rp_id, secret);
	uint8_t *face;
	size_t len;
	snprintf(path, sizeof(path), "%s/faces/dev/images/orl/s1/s1_02.png", test_shared());
	REQUIRE(eid_file_read(path, 1u << 24, &face, &len, &err) == EID_OK);
	eid_app *app;
	REQUIRE(eid_app_new(eid_http_server_url(fx.ps), &app, &err) == EID_OK);
	/* the face (s1) claims B: it matches B and also resident A: held */
	REQUIRE(eid_app_enrol_light(app, id_b, face, len, &err) == EID_OK);
	const json_t *card = eid_app_card(app);
	CHECK(strcmp(json_string_value(json_object_get(card, "status")), "held") == 0);
	char *r = answer_light(app, cred, face, len);
	CHECK(strcmp(r, "no") == 0);
	free(r);
	/* the administrator accepts it with a reason: the card works */
	REQUIRE(eid_admin_held(fx.auth, &held, &err) == EID_OK);
	const char *card_hold = NULL;
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(held, "held"), i, h)
	{
		if (strcmp(json_string_value(json_object_get(h, "batch")), "enrolment") == 0)
			card_hold = json_string_value(json_object_get(h, "id"));
	}
	REQUIRE(card_hold);
	CHECK(eid_admin_held_accept(fx.auth, card_hold, "", &err) == EID_E_INVALID_ARG);
	REQUIRE(eid_admin_held_accept(fx.auth, card_hold, "same person, documents checked", &err) ==
		EID_OK);
	json_decref(held);
	r = answer_light(app, cred, face, len);
	CHECK(strcmp(r, "yes") == 0);
	free(r);
	/* a new phone: its card is held too, and accepting it revokes the first
	 * card, which the audit log records as for any re-enrolment */
	uint64_t superseded = 0;
	REQUIRE(eid_store_audit_count(fx.auth->store, "card.superseded", 0, &superseded, &err) ==
		EID_OK);
	eid_app *app2;
	REQUIRE(eid_app_new(eid_http_server_url(fx.ps), &app2, &err) == EID_OK);
	REQUIRE(eid_app_enrol_light(app2, id_b, face, len, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(eid_app_card(app2), "status")), "held") == 0);
	REQUIRE(eid_admin_held(fx.auth, &held, &err) == EID_OK);
	card_hold = NULL;
	json_array_foreach(json_object_get(held, "held"), i, h)
	{
		if (strcmp(json_string_value(json_object_get(h, "batch")), "enrolment") == 0)
			card_hold = json_string_value(json_object_get(h, "id"));
	}
	REQUIRE(card_hold);
	REQUIRE(eid_admin_held_accept(fx.auth, card_hold, "new phone, documents checked", &err) ==
		EID_OK);
	json_decref(held);
	uint64_t after = 0;
	CHECK(eid_store_audit_count(fx.auth->store, "card.superseded", 0, &after, &err) == EID_OK &&
	      after == superseded + 1);
	r = answer_light(app2, cred, face, len);
	CHECK(strcmp(r, "yes") == 0);
	free(r);
	r = answer_light(app, cred, face, len);
	CHECK(strcmp(r, "no") == 0);
	free(r);
	uint64_t rows, bad;
	CHECK(eid_authority_audit_verify(fx.auth, &rows, &bad, &err) == EID_OK);
	eid_app_free(app2);
	eid_app_free(app);
	free(face);
}

static void test_teardown(void)
{
	eid_key_free(phone_a);
	fixture_stop(&fx);
}

TEST_MAIN(test_setup, test_static_pages, test_qr, test_terminal_signin_and_outcome,
	  test_revoke_this_device, test_capture_guidance, test_duplicate_face, test_teardown)
