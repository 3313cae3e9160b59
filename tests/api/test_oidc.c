/* The OpenID Provider over real HTTP on loopback: discovery and keys, the
 * code flow with the face verification answered by a real app client, ID
 * token checks, userinfo, pairwise subjects, and every refusal the spec
 * asks for (wrong redirect URI, reused or expired code, PKCE mismatch, level
 * too low, bad client authentication, another browser). The same flow in a
 * browser with an unmodified OIDC library: tests/web/oidc.mjs. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/svc/svc_internal.h"
#include "eid/api.h"
#include "eid/client.h"
#include "eid/jose.h"
#include "eid/oidc.h"
#include "eid/util.h"
#include "test.h"
#include "fixture.h"

static fixture fx;
static eid_app *app;
static uint8_t *photo;
static size_t photo_len;
static const char *const cb = "http://127.0.0.1:9/cb";

typedef struct client {
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
} client;

static client basic_a, basic_b, public_c, full_d, jwt_e;
static eid_jose_key *jwt_key;

typedef struct reply {
	long status;
	char location[4096], cookie[256];
	json_t *json;
} reply;

/* one request to the platform, redirects not followed */
static reply http(const char *method, const char *path, const char *const *headers,
		  const char *form)
{
	char url[4096];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(fx.ps), path);
	eid_http_exchange x = {.method = method,
			       .url = url,
			       .headers = headers,
			       .content_type = form ? "application/x-www-form-urlencoded" : NULL,
			       .body = (const uint8_t *)form,
			       .body_len = form ? strlen(form) : 0};
	eid_err err;
	REQUIRE(eid_http_exchange_run(&x, &err) == EID_OK);
	reply r = {.status = x.status};
	if (!eid_http_exchange_header(&x, "Location", r.location, sizeof(r.location)))
		r.location[0] = 0;
	char set[512];
	if (eid_http_exchange_header(&x, "Set-Cookie", set, sizeof(set))) {
		size_t n = strcspn(set, ";");
		snprintf(r.cookie, sizeof(r.cookie), "Cookie: %.*s", (int)n, set);
	}
	json_error_t je;
	r.json = x.reply_len ? json_loadb((const char *)x.reply, x.reply_len, 0, &je) : NULL;
	eid_http_exchange_release(&x);
	return r;
}

/* the value of key in a URL's query (or fragment), decoded enough for ours */
static int url_param(const char *url, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=", key);
	for (const char *s = strpbrk(url, "?#&"); s; s = strpbrk(s + 1, "?#&")) {
		if (strncmp(s + 1, pat, strlen(pat)) != 0)
			continue;
		const char *v = s + 1 + strlen(pat);
		size_t n = 0;
		for (; *v && *v != '&' && n + 1 < cap; v++) {
			if (*v == '%' && v[1] && v[2]) {
				char hex[3] = {v[1], v[2], 0};
				out[n++] = (char)strtol(hex, NULL, 16);
				v += 2;
			} else {
				out[n++] = *v == '+' ? ' ' : *v;
			}
		}
		out[n] = 0;
		return 1;
	}
	return 0;
}

static void pkce(char verifier[44], char challenge[44])
{
	eid_jose_random_token(verifier);
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const uint8_t *)verifier, strlen(verifier));
	eid_err err;
	REQUIRE(eid_b64url_encode(h, sizeof(h), challenge, 44, &err) == EID_OK);
}

/* An authorization as far as the code (or the error at the redirect URI):
 * the browser's request, the resident's answer in the app (answer = 0: no
 * answer; -1: decline), the browser's return. */
typedef struct flow {
	char sid[48], cookie[256], back[4096], code[160];
} flow;

static flow authorize(const client *c, const char *challenge, const char *nonce, int answer)
{
	flow f;
	memset(&f, 0, sizeof(f));
	char path[2048];
	snprintf(path, sizeof(path),
		 "/oidc/authorize?response_type=code&client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1"
		 "%%3A9%%2Fcb&scope=openid&state=st-1&nonce=%s%s%s",
		 c->id, nonce, challenge ? "&code_challenge_method=S256&code_challenge=" : "",
		 challenge ? challenge : "");
	reply r = http("GET", path, NULL, NULL);
	json_decref(r.json);
	REQUIRE(r.status == 302 && strncmp(r.location, "/signin#", 8) == 0 && r.cookie[0]);
	snprintf(f.cookie, sizeof(f.cookie), "%s", r.cookie);
	const char *qr = r.location + 8;
	json_t *info;
	eid_err err;
	REQUIRE(eid_app_request_info(app, qr, &info, &err) == EID_OK);
	snprintf(f.sid, sizeof(f.sid), "%s", json_string_value(json_object_get(info, "sid")));
	json_decref(info);
	if (answer > 0) {
		json_t *ans;
		REQUIRE(eid_app_answer(app, qr, photo, photo_len, NULL, NULL, &ans, NULL, &err) == EID_OK);
		json_decref(ans);
	}
	const char *hdr[] = {f.cookie, NULL};
	snprintf(path, sizeof(path), "/oidc/finish/%s%s", f.sid, answer < 0 ? "?declined=1" : "");
	r = http("GET", path, hdr, NULL);
	json_decref(r.json);
	CHECK(r.status == 302);
	snprintf(f.back, sizeof(f.back), "%s", r.location);
	if (!url_param(f.back, "code", f.code, sizeof(f.code)))
		f.code[0] = 0;
	return f;
}

/* The token request for code with redirect_uri (percent-encoded) */
static reply token_at(const client *c, const char *code, const char *verifier, const char *extra,
		      const char *redirect)
{
	char form[4096], basic[256], hdr[300];
	snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=%s%s%s%s",
		 code, redirect, verifier ? "&code_verifier=" : "", verifier ? verifier : "",
		 extra ? extra : "");
	const char *headers[] = {hdr, NULL};
	if (c->secret[0]) {
		char pair[128];
		snprintf(pair, sizeof(pair), "%s:%s", c->id, c->secret);
		sodium_bin2base64(basic, sizeof(basic), (const uint8_t *)pair, strlen(pair),
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", basic);
	}
	return http("POST", "/oidc/token", c->secret[0] ? headers : NULL, form);
}

/* ... with the registered redirect URI */
static reply token(const client *c, const char *code, const char *verifier, const char *extra)
{
	return token_at(c, code, verifier, extra, "http%3A%2F%2F127.0.0.1%3A9%2Fcb");
}

/* the ID token's claims, after checking its signature against the JWKS */
static json_t *id_token_claims(const reply *t)
{
	const char *jwt = json_string_value(json_object_get(t->json, "id_token"));
	REQUIRE(jwt);
	reply k = http("GET", "/oidc/jwks", NULL, NULL);
	const json_t *jwk;
	json_t *hdr, *claims;
	eid_err err;
	REQUIRE(eid_jose_jwk_select(k.json, NULL, "ES256", &jwk, &err) == EID_OK);
	REQUIRE(eid_jose_verify(jwt, jwk, &hdr, &claims, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(hdr, "alg")), "ES256") == 0);
	json_decref(hdr);
	json_decref(k.json);
	return claims;
}

static void test_setup(void)
{
	fixture_start(&fx, "oidc", "s1/s1_01.png", NULL);
	eid_err err;
	char path[512];

	/* the resident: a lightweight card in an app */
	snprintf(path, sizeof(path), "%s/faces/dev/images/orl/s1/s1_02.png", test_shared());
	REQUIRE(eid_file_read(path, 1u << 24, &photo, &photo_len, &err) == EID_OK);
	REQUIRE(eid_app_new(eid_http_server_url(fx.ps), &app, &err) == EID_OK);
	REQUIRE(eid_app_enrol_light(app, fx.id, photo, photo_len, &err) == EID_OK);

	/* the clients, as an administrator registers them */
	json_t *uris = json_pack("[s]", cb);
	REQUIRE(eid_oidc_client_add(fx.plat, "Hotel A", uris, "client_secret_basic", NULL,
				    "lightweight", basic_a.id, basic_a.secret, &err) == EID_OK);
	CHECK(strlen(basic_a.secret) == EID_CREDENTIAL_SECRET_LEN);
	REQUIRE(eid_oidc_client_add(fx.plat, "Shop B", uris, "client_secret_basic", NULL,
				    "lightweight", basic_b.id, basic_b.secret, &err) == EID_OK);
	REQUIRE(eid_oidc_client_add(fx.plat, "App C", uris, "none", NULL, "lightweight", public_c.id,
				    public_c.secret, &err) == EID_OK);
	CHECK(public_c.secret[0] == 0);
	REQUIRE(eid_oidc_client_add(fx.plat, "Bank D", uris, "client_secret_basic", NULL, "full",
				    full_d.id, full_d.secret, &err) == EID_OK);
	REQUIRE(eid_jose_key_new_es256(&jwt_key, &err) == EID_OK);
	json_t *jwks = json_pack("{s:[o]}", "keys", eid_jose_key_public_jwk(jwt_key));
	REQUIRE(eid_oidc_client_add(fx.plat, "Portal E", uris, "private_key_jwt", jwks, "lightweight",
				    jwt_e.id, jwt_e.secret, &err) == EID_OK);
	json_decref(jwks);
	/* registration refusals */
	char scratch_id[EID_CREDENTIAL_ID_LEN + 1], scratch[EID_CREDENTIAL_SECRET_LEN + 1];
	json_t *bad = json_pack("[s]", "http://hotel.example/cb");
	CHECK(eid_oidc_client_add(fx.plat, "X", bad, "client_secret_basic", NULL, "full", scratch_id,
				  scratch, &err) == EID_E_INVALID_ARG);
	json_decref(bad);
	bad = json_pack("[s]", "https://hotel.example/cb#frag");
	CHECK(eid_oidc_client_add(fx.plat, "X", bad, "client_secret_basic", NULL, "full", scratch_id,
				  scratch, &err) == EID_E_INVALID_ARG);
	json_decref(bad);
	CHECK(eid_oidc_client_add(fx.plat, "X", uris, "private_key_jwt", NULL, "full", scratch_id,
				  scratch, &err) == EID_E_INVALID_ARG);
	CHECK(eid_oidc_client_add(fx.plat, "X", uris, "client_secret_post", NULL, "full", scratch_id,
				  scratch, &err) == EID_E_INVALID_ARG);
	json_decref(uris);
}

static void test_discovery(void)
{
	reply r = http("GET", "/.well-known/openid-configuration", NULL, NULL);
	CHECK(r.status == 200);
	CHECK(strcmp(json_string_value(json_object_get(r.json, "issuer")),
		     eid_http_server_url(fx.ps)) == 0);
	CHECK(json_is_string(json_object_get(r.json, "token_endpoint")));
	CHECK(strcmp(json_string_value(json_array_get(
			     json_object_get(r.json, "id_token_signing_alg_values_supported"), 0)),
		     "ES256") == 0);
	CHECK(strcmp(json_string_value(json_array_get(
			     json_object_get(r.json, "subject_types_supported"), 0)),
		     "pairwise") == 0);
	json_decref(r.json);
	/* behind a TLS proxy the operator gives the public URL: the issuer follows */
	eid_err err;
	char listener[128];
	snprintf(listener, sizeof(listener), "%s", eid_platform_public_url(fx.plat));
	REQUIRE(eid_platform_set_public_url(fx.plat, "https://eid.example", &err) == EID_OK);
	r = http("GET", "/.well-known/openid-configuration", NULL, NULL);
	CHECK(strcmp(json_string_value(json_object_get(r.json, "token_endpoint")),
		     "https://eid.example/oidc/token") == 0 &&
	      eid_oidc_https(fx.plat));
	json_decref(r.json);
	REQUIRE(eid_platform_set_public_url(fx.plat, listener, &err) == EID_OK);
	r = http("GET", "/oidc/jwks", NULL, NULL);
	json_t *k = json_array_get(json_object_get(r.json, "keys"), 0);
	CHECK(r.status == 200 && strcmp(json_string_value(json_object_get(k, "kty")), "EC") == 0);
	CHECK(json_string_length(json_object_get(k, "kid")) == 43 && !json_object_get(k, "d"));
	json_decref(r.json);
}

static char sub_a[64];

static void test_code_flow(void)
{
	char verifier[44], challenge[44];
	pkce(verifier, challenge);
	flow f = authorize(&basic_a, challenge, "n-0S6_WzA2Mj", 1);
	char state[32];
	CHECK(url_param(f.back, "state", state, sizeof(state)) && strcmp(state, "st-1") == 0);
	CHECK(strncmp(f.back, cb, strlen(cb)) == 0 && f.code[0]);
	reply t = token(&basic_a, f.code, verifier, NULL);
	REQUIRE(t.status == 200);
	CHECK(strcmp(json_string_value(json_object_get(t.json, "token_type")), "Bearer") == 0);
	json_t *c = id_token_claims(&t);
	CHECK(strcmp(json_string_value(json_object_get(c, "iss")), eid_http_server_url(fx.ps)) == 0);
	CHECK(strcmp(json_string_value(json_object_get(c, "aud")), basic_a.id) == 0);
	CHECK(strcmp(json_string_value(json_object_get(c, "nonce")), "n-0S6_WzA2Mj") == 0);
	CHECK(strcmp(json_string_value(json_object_get(c, "acr")), "lightweight") == 0);
	CHECK(json_array_size(json_object_get(c, "amr")) == 1 &&
	      strcmp(json_string_value(json_array_get(json_object_get(c, "amr"), 0)), "face") == 0);
	CHECK(json_integer_value(json_object_get(c, "auth_time")) > 1700000000);
	CHECK(json_integer_value(json_object_get(c, "exp")) >
	      json_integer_value(json_object_get(c, "iat")));
	/* nothing personal: exactly the standard claims */
	CHECK(json_object_size(c) == 9);
	snprintf(sub_a, sizeof(sub_a), "%s", json_string_value(json_object_get(c, "sub")));
	CHECK(strlen(sub_a) > 20);
	json_decref(c);

	char bearer[256];
	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
		 json_string_value(json_object_get(t.json, "access_token")));
	const char *h[] = {bearer, NULL};
	reply u = http("GET", "/oidc/userinfo", h, NULL);
	CHECK(u.status == 200 && strcmp(json_string_value(json_object_get(u.json, "sub")), sub_a) == 0);
	json_decref(u.json);

	/* the code again: refused, and what it gave is withdrawn */
	reply t2 = token(&basic_a, f.code, verifier, NULL);
	CHECK(t2.status == 400 &&
	      strcmp(json_string_value(json_object_get(t2.json, "error")), "invalid_grant") == 0);
	u = http("GET", "/oidc/userinfo", h, NULL);
	CHECK(u.status == 401);
	json_decref(u.json);
	json_decref(t2.json);
	json_decref(t.json);
}

static const char *sub_of(const client *c, const char *extra)
{
	static char sub[64];
	sub[0] = 0;
	char verifier[44], challenge[44];
	pkce(verifier, challenge);
	flow f = authorize(c, challenge, "n1", 1);
	reply t = token(c, f.code, verifier, extra);
	if (t.status != 200)
		fprintf(stderr, "  token: %ld %s (back: %.80s)\n", t.status,
			json_string_value(json_object_get(t.json, "error_description")), f.back);
	CHECK(t.status == 200);
	if (t.status == 200) {
		json_t *claims = id_token_claims(&t);
		snprintf(sub, sizeof(sub), "%s", json_string_value(json_object_get(claims, "sub")));
		json_decref(claims);
	}
	json_decref(t.json);
	return sub;
}

static void test_pairwise_subjects(void)
{
	REQUIRE(sub_a[0]);
	CHECK(strcmp(sub_of(&basic_a, NULL), sub_a) == 0); /* one service: always the same */
	char b[64];
	snprintf(b, sizeof(b), "%s", sub_of(&basic_b, NULL));
	CHECK(b[0] && strcmp(b, sub_a) != 0); /* two: unlinkable */
	char extra[64];
	snprintf(extra, sizeof(extra), "&client_id=%s", public_c.id);
	const char *c = sub_of(&public_c, extra);
	CHECK(c[0] && strcmp(c, sub_a) != 0 && strcmp(c, b) != 0);
}

static void test_refusals(void)
{
	char verifier[44], challenge[44], path[1024], err[64];
	pkce(verifier, challenge);

	/* a redirect URI the client did not register: no redirect there */
	snprintf(path, sizeof(path),
		 "/oidc/authorize?response_type=code&client_id=%s&redirect_uri=https%%3A%%2F%%2Fevil."
		 "example%%2Fcb&scope=openid&state=s",
		 basic_a.id);
	reply r = http("GET", path, NULL, NULL);
	CHECK(r.status == 302 && strncmp(r.location, "/signin#error=", 14) == 0);
	CHECK(!strstr(r.location, "evil") && !r.cookie[0]);
	r = http("GET", "/oidc/authorize?response_type=code&client_id=nobody&scope=openid", NULL,
		 NULL);
	CHECK(r.status == 302 && strncmp(r.location, "/signin#error=", 14) == 0);

	/* errors the client hears at its redirect URI */
	static const struct {
		const char *query, *error;
	} sent_back[] = {
		{"response_type=token&scope=openid", "unsupported_response_type"},
		{"response_type=code&scope=profile", "invalid_scope"},
		{"response_type=code&scope=openid%20email", "invalid_scope"},
		{"response_type=code&scope=openid&code_challenge=abc&code_challenge_method=plain",
		 "invalid_request"},
	};
	for (size_t i = 0; i < sizeof(sent_back) / sizeof(sent_back[0]); i++) {
		snprintf(path, sizeof(path),
			 "/oidc/authorize?client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb"
			 "&state=s9&%s",
			 basic_a.id, sent_back[i].query);
		r = http("GET", path, NULL, NULL);
		CHECK(r.status == 302 && strncmp(r.location, cb, strlen(cb)) == 0 &&
		      url_param(r.location, "error", err, sizeof(err)) &&
		      strcmp(err, sent_back[i].error) == 0);
		CHECK(url_param(r.location, "state", err, sizeof(err)) && strcmp(err, "s9") == 0);
	}
	/* a public client without PKCE */
	snprintf(path, sizeof(path),
		 "/oidc/authorize?client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9%%2Fcb"
		 "&response_type=code&scope=openid",
		 public_c.id);
	r = http("GET", path, NULL, NULL);
	CHECK(url_param(r.location, "error", err, sizeof(err)) && strcmp(err, "invalid_request") == 0);

	/* PKCE mismatch, or no verifier */
	flow f = authorize(&basic_a, challenge, "n2", 1);
	char other[44], other_challenge[44];
	pkce(other, other_challenge);
	reply t = token(&basic_a, f.code, other, NULL);
	CHECK(t.status == 400 &&
	      strcmp(json_string_value(json_object_get(t.json, "error")), "invalid_grant") == 0);
	json_decref(t.json);
	t = token(&basic_a, f.code, NULL, NULL);
	CHECK(t.status == 400);
	json_decref(t.json);

	/* another redirect_uri at the token endpoint than at authorization;
	 * the same code with the right one then works */
	f = authorize(&basic_a, challenge, "n2b", 1);
	t = token_at(&basic_a, f.code, verifier, NULL, "http%3A%2F%2F127.0.0.1%3A9%2Fother");
	CHECK(t.status == 400 &&
	      strcmp(json_string_value(json_object_get(t.json, "error")), "invalid_grant") == 0 &&
	      strstr(json_string_value(json_object_get(t.json, "error_description")),
		     "redirect_uri") != NULL);
	json_decref(t.json);
	t = token(&basic_a, f.code, verifier, NULL);
	CHECK(t.status == 200);
	json_decref(t.json);

	/* an expired code */
	f = authorize(&basic_a, challenge, "n3", 1);
	eid_oidc_grant_row g;
	eid_err e;
	REQUIRE(eid_store_oidc_grant_get(fx.plat->store, f.sid, &g, &e) == EID_OK);
	g.code_exp_ms = svc_now_ms() - 1;
	REQUIRE(eid_store_oidc_grant_update(fx.plat->store, &g, "code", &e) == EID_OK);
	t = token(&basic_a, f.code, verifier, NULL);
	CHECK(t.status == 400 && strstr(json_string_value(json_object_get(t.json,
									 "error_description")),
					"expired"));
	json_decref(t.json);

	/* another client's code, a wrong secret, no authentication */
	f = authorize(&basic_a, challenge, "n4", 1);
	t = token(&basic_b, f.code, verifier, NULL);
	CHECK(t.status == 400);
	json_decref(t.json);
	client wrong = basic_a;
	wrong.secret[0] ^= 1;
	t = token(&wrong, f.code, verifier, NULL);
	CHECK(t.status == 401 &&
	      strcmp(json_string_value(json_object_get(t.json, "error")), "invalid_client") == 0);
	json_decref(t.json);
	client none = basic_a;
	none.secret[0] = 0;
	t = token(&none, f.code, verifier, NULL);
	CHECK(t.status == 401);
	json_decref(t.json);
	t = token(&basic_a, f.code, verifier, NULL); /* still good after all that */
	CHECK(t.status == 200);
	json_decref(t.json);

	/* level too low: the bank needs full, the resident's card is lightweight */
	f = authorize(&full_d, challenge, "n5", 1);
	CHECK(strncmp(f.back, cb, strlen(cb)) == 0 && !f.code[0] &&
	      url_param(f.back, "error", err, sizeof(err)) && strcmp(err, "access_denied") == 0);

	/* declined */
	f = authorize(&basic_a, challenge, "n6", -1);
	CHECK(url_param(f.back, "error", err, sizeof(err)) && strcmp(err, "access_denied") == 0);

	/* another browser cannot collect the code */
	snprintf(path, sizeof(path),
		 "/oidc/authorize?response_type=code&client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1"
		 "%%3A9%%2Fcb&scope=openid&code_challenge_method=S256&code_challenge=%s",
		 basic_a.id, challenge);
	r = http("GET", path, NULL, NULL);
	char sid[48];
	json_t *info;
	REQUIRE(eid_app_request_info(app, r.location + 8, &info, &e) == EID_OK);
	snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(info, "sid")));
	json_decref(info);
	snprintf(path, sizeof(path), "/oidc/finish/%s", sid);
	const char *stranger[] = {"Cookie: eid_authz_x=y", NULL};
	r = http("GET", path, stranger, NULL);
	json_decref(r.json);
	CHECK(r.status == 404);
	snprintf(path, sizeof(path), "/oidc/sessions/%s", sid);
	r = http("GET", path, stranger, NULL);
	CHECK(r.status == 404);
	json_decref(r.json);

	/* malformed token requests */
	t = http("POST", "/oidc/token", NULL, NULL);
	CHECK(t.status == 400);
	json_decref(t.json);
}

/* private_key_jwt: a client assertion signed with the client's key */
static char *assertion(const char *jti, int64_t exp_s, const char *aud)
{
	json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I}", "iss", jwt_e.id, "sub", jwt_e.id,
				   "aud", aud, "jti", jti, "exp", (json_int_t)exp_s);
	char *jwt;
	eid_err err;
	REQUIRE(eid_jose_sign(jwt_key, claims, &jwt, &err) == EID_OK);
	json_decref(claims);
	return jwt;
}

static void test_private_key_jwt(void)
{
	char token_ep[256], extra[2048];
	snprintf(token_ep, sizeof(token_ep), "%s/oidc/token", eid_http_server_url(fx.ps));
	const int64_t now_s = svc_now_ms() / 1000;
	static const char type[] =
		"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
	char verifier[44], challenge[44];
	pkce(verifier, challenge);
	flow f = authorize(&jwt_e, challenge, "n7", 1);
	/* wrong audience, expired, then good, then the same assertion again */
	char *a = assertion("jti-0001", now_s + 60, "https://elsewhere.example/token");
	snprintf(extra, sizeof(extra), "%s&client_assertion=%s", type, a);
	reply t = token(&jwt_e, f.code, verifier, extra);
	CHECK(t.status == 401);
	json_decref(t.json);
	free(a);
	a = assertion("jti-0002", now_s - 10, token_ep);
	snprintf(extra, sizeof(extra), "%s&client_assertion=%s", type, a);
	t = token(&jwt_e, f.code, verifier, extra);
	CHECK(t.status == 401);
	json_decref(t.json);
	free(a);
	a = assertion("jti-0003", now_s + 60, token_ep);
	snprintf(extra, sizeof(extra), "%s&client_assertion=%s", type, a);
	t = token(&jwt_e, f.code, verifier, extra);
	CHECK(t.status == 200);
	json_decref(t.json);
	f = authorize(&jwt_e, challenge, "n8", 1);
	t = token(&jwt_e, f.code, verifier, extra);
	CHECK(t.status == 401); /* the assertion works once */
	json_decref(t.json);
	free(a);
	/* signed by a key the client never registered (its kid names no key of
	 * the client's JWKS; a wrong signature under a registered key is
	 * tests/jose/test_jose.c's) */
	eid_jose_key *other;
	eid_err err;
	REQUIRE(eid_jose_key_new_es256(&other, &err) == EID_OK);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I}", "iss", jwt_e.id, "sub", jwt_e.id,
				   "aud", token_ep, "jti", "jti-0004", "exp", (json_int_t)now_s + 60);
	REQUIRE(eid_jose_sign(other, claims, &a, &err) == EID_OK);
	json_decref(claims);
	eid_jose_key_free(other);
	snprintf(extra, sizeof(extra), "%s&client_assertion=%s", type, a);
	t = token(&jwt_e, f.code, verifier, extra);
	CHECK(t.status == 401);
	json_decref(t.json);
	free(a);
}

/* the app checks the platform's signature on a QR payload before using it */
static void test_forged_qr(void)
{
	char path[1024];
	snprintf(path, sizeof(path),
		 "/oidc/authorize?response_type=code&client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1"
		 "%%3A9%%2Fcb&scope=openid&code_challenge_method=S256&code_challenge=%s",
		 basic_a.id, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	reply r = http("GET", path, NULL, NULL);
	const char *qr = r.location + 8;
	uint8_t raw[2048];
	size_t n;
	eid_err err;
	REQUIRE(eid_b64url_decode(qr, strlen(qr), raw, sizeof(raw) - 1, &n, &err) == EID_OK);
	json_t *p = json_loadb((const char *)raw, n, 0, NULL), *info;
	REQUIRE(p);
	/* the same payload signed by someone else's key */
	eid_key *k;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &k, &err) == EID_OK);
	json_object_del(p, "sig");
	REQUIRE(eid_sign_json(k, p, &err) == EID_OK);
	char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS), forged[2048];
	REQUIRE(eid_b64url_encode((const uint8_t *)text, strlen(text), forged, sizeof(forged),
				  &err) == EID_OK);
	CHECK(eid_app_request_info(app, forged, &info, &err) == EID_E_DENIED);
	json_t *ans;
	CHECK(eid_app_answer(app, forged, photo, photo_len, NULL, NULL, &ans, NULL, &err) == EID_E_DENIED);
	/* unsigned */
	json_object_del(p, "sig");
	free(text);
	text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	REQUIRE(eid_b64url_encode((const uint8_t *)text, strlen(text), forged, sizeof(forged),
				  &err) == EID_OK);
	CHECK(eid_app_request_info(app, forged, &info, &err) == EID_E_DENIED);
	/* the real one still works */
	CHECK(eid_app_request_info(app, qr, &info, &err) == EID_OK);
	json_decref(info);
	free(text);
	json_decref(p);
	eid_key_free(k);
}

static void test_teardown(void)
{
	eid_jose_key_free(jwt_key);
	eid_app_free(app);
	free(photo);
	fixture_stop(&fx);
}

TEST_MAIN(test_setup, test_discovery, test_code_flow, test_pairwise_subjects, test_refusals,
	  test_private_key_jwt, test_forged_qr, test_teardown)
