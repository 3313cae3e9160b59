/* The platform as an OpenID Provider: clients, the authorization code flow
 * on top of face verification, tokens and userinfo (eid/oidc.h,
 * docs/oidc.md). */
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/jose.h"
#include "eid/log.h"
#include "eid/oidc.h"
#include "keydir.h"
#include "svc_internal.h"

#define MAX_KEYS 8
#define MAX_REDIRECTS 10

struct svc_oidc {
	eid_jose_key *keys[MAX_KEYS]; /* oldest first; the last one signs */
	size_t n;
};

/* ---- keys ------------------------------------------------------------------ */

static int key_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 10 && strncmp(d->d_name, "es256-", 6) == 0 &&
	       strcmp(d->d_name + n - 4, ".key") == 0;
}

static eid_status new_key_file(const char *dir, char kid_out[64], eid_err *err)
{
	eid_jose_key *k;
	eid_status st = eid_jose_key_new_es256(&k, err);
	if (st)
		return st;
	char path[4200];
	snprintf(path, sizeof(path), "%s/es256-%013lld.key", dir, (long long)svc_now_ms());
	st = eid_jose_key_write(k, path, err);
	if (!st && kid_out)
		snprintf(kid_out, 64, "%s", eid_jose_key_kid(k));
	eid_jose_key_free(k);
	return st;
}

eid_status svc_oidc_open(const char *platform_dir, struct svc_oidc **out, eid_err *err)
{
	*out = NULL;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/oidc-keys", platform_dir);
	eid_status st = svc_private_dir(dir, err);
	struct dirent **names = NULL;
	int n = st ? 0 : scandir(dir, &names, key_file, alphasort);
	if (!st && n == 0) { /* first start: the first key */
		free(names);
		names = NULL;
		st = new_key_file(dir, NULL, err);
		n = st ? 0 : scandir(dir, &names, key_file, alphasort);
	}
	if (!st && n <= 0)
		st = eid_fail(err, EID_E_IO, "cannot list the OpenID keys in '%s'", dir);
	struct svc_oidc *o = st ? NULL : calloc(1, sizeof(*o));
	if (!st && !o)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	/* the newest MAX_KEYS keys: the older ones are retired */
	for (int i = n > MAX_KEYS ? n - MAX_KEYS : 0; !st && i < n; i++) {
		char path[4500];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		st = eid_jose_key_read(path, &o->keys[o->n], err);
		if (!st)
			o->n++;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (st) {
		svc_oidc_close(o);
		return st;
	}
	*out = o;
	return EID_OK;
}

void svc_oidc_close(struct svc_oidc *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		eid_jose_key_free(o->keys[i]);
	free(o);
}

eid_status eid_oidc_rotate_key(const char *data_dir, char kid_out[64], eid_err *err)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/platform/oidc-keys", data_dir);
	eid_status st = svc_private_dir(dir, err);
	return st ? st : new_key_file(dir, kid_out, err);
}

json_t *eid_oidc_jwks(eid_platform *p)
{
	json_t *keys = json_array();
	for (size_t i = p->oidc->n; i-- > 0;) /* newest first */
		json_array_append_new(keys, eid_jose_key_public_jwk(p->oidc->keys[i]));
	return json_pack("{s:o}", "keys", keys);
}

/* ---- small helpers ------------------------------------------------------------- */

/* "<sid>.<secret>" -> sid and the secret's hash; 0 if malformed */
static int split_token(const char *tok, char sid[48], uint8_t h[32])
{
	const char *dot = tok ? strchr(tok, '.') : NULL;
	if (!dot || dot == tok || (size_t)(dot - tok) >= 48 || strlen(dot + 1) != 43)
		return 0;
	memcpy(sid, tok, (size_t)(dot - tok));
	sid[dot - tok] = 0;
	svc_secret_hash(dot + 1, h);
	return 1;
}

/* appends key=value, percent-encoded, to a URL being built */
static void url_add(char *url, size_t cap, const char *key, const char *value)
{
	size_t n = strlen(url);
	if (n + 2 >= cap)
		return;
	url[n++] = strchr(url, '?') ? '&' : '?';
	url[n] = 0;
	for (const char *s = key; *s && n + 1 < cap; s++)
		url[n++] = *s;
	if (n + 1 < cap)
		url[n++] = '=';
	for (const unsigned char *s = (const unsigned char *)value; *s && n + 4 < cap; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '.' || *s == '_' || *s == '~') {
			url[n++] = (char)*s;
		} else {
			snprintf(url + n, 4, "%%%02X", *s);
			n += 3;
		}
	}
	url[n] = 0;
}

/* the value of cookie `name` in a Cookie header, into out; 0 if absent */
static int cookie_value(const char *cookies, const char *name, char *out, size_t cap)
{
	const size_t nl = strlen(name);
	for (const char *c = cookies; c && *c;) {
		while (*c == ' ' || *c == ';')
			c++;
		const char *end = strchr(c, ';');
		const size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len > nl && strncmp(c, name, nl) == 0 && c[nl] == '=' && len - nl - 1 < cap) {
			memcpy(out, c + nl + 1, len - nl - 1);
			out[len - nl - 1] = 0;
			return 1;
		}
		c = end;
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decodes len bytes of s (and "+" as a space) into out: the decoded
 * length, or -1 when malformed, holding a NUL, or too long for out. */
static int url_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *end = s + len; s < end; s++) {
		int c = (unsigned char)*s;
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			const int hi = s + 2 < end ? hexval(s[1]) : -1, lo = hi >= 0 ? hexval(s[2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			s += 2;
		}
		if (c == 0 || n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return (int)n;
}

/* The value of key in a form body (application/x-www-form-urlencoded),
 * decoded into out: 1 found, 0 absent, -1 malformed, repeated or too long
 * (RFC 6749: a parameter must not appear twice). */
static int form_value(const char *form, size_t len, const char *key, char *out, size_t cap)
{
	const size_t kl = strlen(key);
	int found = 0;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && form[j] != '&')
			j++;
		const char *eq = memchr(form + i, '=', j - i);
		if (eq && (size_t)(eq - (form + i)) == kl && memcmp(form + i, key, kl) == 0) {
			if (found++ || url_decode(eq + 1, (size_t)(form + j - eq - 1), out, cap) < 0)
				return -1;
		}
		i = j + 1;
	}
	return found;
}

static int redirect_allowed(const eid_oidc_client_row *c, const char *uri)
{
	json_error_t jerr;
	json_t *list = json_loads(c->redirect_uris, 0, &jerr), *u;
	size_t i;
	int ok = 0;
	json_array_foreach(list, i, u) ok |= uri && json_is_string(u) &&
					     strcmp(json_string_value(u), uri) == 0;
	json_decref(list);
	return ok;
}

static int uri_acceptable(const char *u)
{
	const size_t n = u ? strlen(u) : 0;
	if (n < 10 || n > 500 || strchr(u, '#') || strpbrk(u, " \"<>\\^`{|}"))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return 0;
	if (strncmp(u, "https://", 8) == 0)
		return 1;
	/* plain http only to the client's own machine (RFC 8252 7.3) */
	return strncmp(u, "http://127.0.0.1:", 17) == 0 || strncmp(u, "http://127.0.0.1/", 17) == 0 ||
	       strncmp(u, "http://localhost:", 17) == 0 || strncmp(u, "http://localhost/", 17) == 0 ||
	       strncmp(u, "http://[::1]:", 13) == 0;
}

/* ---- registration ------------------------------------------------------------------ */

eid_status eid_oidc_client_add(eid_platform *p, const char *name, const json_t *redirect_uris,
			       const char *auth_method, const json_t *jwks, const char *level,
			       char client_id_out[EID_CREDENTIAL_ID_LEN + 1],
			       char secret_out[EID_CREDENTIAL_SECRET_LEN + 1], eid_err *err)
{
	secret_out[0] = 0;
	size_t nr = json_array_size(redirect_uris), i;
	json_t *u;
	if (!json_is_array(redirect_uris) || nr < 1 || nr > MAX_REDIRECTS)
		return eid_fail(err, EID_E_INVALID_ARG, "1 to %d redirect URIs are needed",
				MAX_REDIRECTS);
	json_array_foreach(redirect_uris, i, u) if (!uri_acceptable(json_string_value(u))) return eid_fail(
		err, EID_E_INVALID_ARG,
		"redirect URI %zu must be https (or http on 127.0.0.1 / localhost), without a fragment",
		i + 1);
	const int secret = auth_method && strcmp(auth_method, "client_secret_basic") == 0,
		  pkjwt = auth_method && strcmp(auth_method, "private_key_jwt") == 0,
		  public = auth_method && strcmp(auth_method, "none") == 0;
	if (!secret && !pkjwt && !public)
		return eid_fail(err, EID_E_INVALID_ARG,
				"auth must be client_secret_basic, private_key_jwt or none");
	if (svc_level_rank(level) < 0)
		return eid_fail(err, EID_E_INVALID_ARG, "level must be lightweight or full");
	eid_oidc_client_row *row = calloc(1, sizeof(*row));
	if (!row)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = EID_OK;
	char *text = json_dumps(redirect_uris, JSON_COMPACT);
	char *keys = pkjwt && jwks ? json_dumps(jwks, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (pkjwt && (!jwks || (st = eid_jose_jwks_check(jwks, err))))
		st = st ? st : eid_fail(err, EID_E_INVALID_ARG, "private_key_jwt needs the client's JWKS");
	if (!st && (!text || strlen(text) >= sizeof(row->redirect_uris) ||
		    (keys && strlen(keys) >= sizeof(row->jwks))))
		st = eid_fail(err, EID_E_LIMIT, "redirect URIs or JWKS too long");
	char secret_buf[EID_CREDENTIAL_SECRET_LEN + 1];
	/* the client is a relying party: its pairwise pseudonyms, its sessions */
	if (!st && !(st = eid_store_begin(p->store, err))) {
		st = eid_platform_add_rp(p, name, "full", client_id_out, secret_buf, err);
		if (!st) {
			snprintf(row->client_id, sizeof(row->client_id), "%s", client_id_out);
			snprintf(row->redirect_uris, sizeof(row->redirect_uris), "%s", text);
			snprintf(row->auth_method, sizeof(row->auth_method), "%s", auth_method);
			snprintf(row->jwks, sizeof(row->jwks), "%s", keys ? keys : "");
			snprintf(row->scopes, sizeof(row->scopes), "openid");
			snprintf(row->level, sizeof(row->level), "%s", level);
			row->created_ms = svc_now_ms();
			st = eid_store_oidc_client_add(p->store, row, err);
		}
		if (!st)
			st = eid_store_audit_append(p->store, "oidc.client_registered", row->client_id,
						    row->redirect_uris, strlen(row->redirect_uris),
						    NULL, err);
		st = eid_store_end(p->store, st, err);
	}
	if (!st && secret)
		memcpy(secret_out, secret_buf, sizeof(secret_buf));
	sodium_memzero(secret_buf, sizeof(secret_buf));
	free(text);
	free(keys);
	free(row);
	return st;
}

/* ---- discovery ------------------------------------------------------------------------- */

int eid_oidc_https(const eid_platform *p)
{
	return strncmp(p->public_url, "https://", 8) == 0;
}

json_t *eid_oidc_discovery(eid_platform *p)
{
	const char *iss = p->public_url;
	char a[320], t[320], u[320], j[320];
	snprintf(a, sizeof(a), "%s/oidc/authorize", iss);
	snprintf(t, sizeof(t), "%s/oidc/token", iss);
	snprintf(u, sizeof(u), "%s/oidc/userinfo", iss);
	snprintf(j, sizeof(j), "%s/oidc/jwks", iss);
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s], s:[s], s:[s], s:[ssss], s:[sss],"
		" s:[s], s:[s], s:[ss], s:[sssssssss], s:b, s:b, s:b}",
		"issuer", iss, "authorization_endpoint", a, "token_endpoint", t, "userinfo_endpoint",
		u, "jwks_uri", j, "response_types_supported", "code", "response_modes_supported",
		"query", "grant_types_supported", "authorization_code", "subject_types_supported",
		"pairwise", "id_token_signing_alg_values_supported", "ES256",
		"token_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post",
		"private_key_jwt", "none", "token_endpoint_auth_signing_alg_values_supported", "ES256", "RS256",
		"EdDSA", "code_challenge_methods_supported", "S256", "scopes_supported", "openid",
		"acr_values_supported", "lightweight", "full", "claims_supported", "sub", "iss",
		"aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
		"request_parameter_supported", 0, "request_uri_parameter_supported", 0,
		"claims_parameter_supported", 0);
}

/* ---- authorization ------------------------------------------------------------------ */

static eid_status to_page_error(const char *why, char *location, size_t cap)
{
	/* the message goes in the fragment: the page shows it, no log sees it */
	char frag[600] = "";
	url_add(frag, sizeof(frag), "error", why);
	snprintf(location, cap, "/signin#%s", frag + 1); /* without url_add's "?" */
	return EID_OK;
}

static eid_status to_client_error(const char *redirect_uri, const char *code, const char *why,
				  const char *state, char *location, size_t cap)
{
	snprintf(location, cap, "%s", redirect_uri);
	url_add(location, cap, "error", code);
	url_add(location, cap, "error_description", why);
	if (state)
		url_add(location, cap, "state", state);
	return EID_OK;
}

static int short_text(const char *s, size_t max)
{
	return !s || (strlen(s) <= max && !strpbrk(s, "\r\n"));
}

eid_status eid_oidc_authorize(eid_platform *p, const eid_oidc_authz_req *q, char *location,
			      size_t cap, char cookie[160], eid_err *err)
{
	cookie[0] = 0;
	eid_oidc_client_row *c = calloc(1, sizeof(*c));
	if (!c)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_err ignore;
	/* without a known client and one of its redirect URIs there is nobody
	 * to send an error to (RFC 6749 4.1.2.1): the page says it */
	eid_status st = svc_id_ok(q->client_id)
				? eid_store_oidc_client_get(p->store, q->client_id, c, &ignore)
				: EID_E_NOT_FOUND;
	if (st == EID_E_NOT_FOUND) {
		free(c);
		return to_page_error("This sign-in link names no registered service.", location,
				     cap);
	}
	if (st) {
		free(c);
		return eid_fail(err, st, "cannot read the client");
	}
	if (!redirect_allowed(c, q->redirect_uri)) {
		free(c);
		return to_page_error("This sign-in link returns to an address the service did not "
				     "register.",
				     location, cap);
	}
	const char *ru = q->redirect_uri, *state = q->state;
	const int pkce = q->code_challenge != NULL;
	const char *bad = NULL, *code = "invalid_request";
	if (!short_text(state, 255) || !short_text(q->nonce, 255))
		bad = "state and nonce must be at most 255 characters";
	else if (!q->response_type || strcmp(q->response_type, "code") != 0)
		code = "unsupported_response_type", bad = "only response_type=code is supported";
	else if (!q->scope || !strstr(q->scope, "openid"))
		code = "invalid_scope", bad = "the scope must include openid";
	else if (strspn(q->scope, "openid ") != strlen(q->scope))
		code = "invalid_scope", bad = "only the openid scope is offered: no personal data";
	else if (pkce && (!q->code_challenge_method || strcmp(q->code_challenge_method, "S256") != 0))
		bad = "code_challenge_method must be S256";
	else if (pkce && strlen(q->code_challenge) != 43)
		bad = "code_challenge must be a base64url SHA-256 (43 characters)";
	else if (!pkce && strcmp(c->auth_method, "none") == 0)
		bad = "a public client must use PKCE (code_challenge, S256)";
	if (bad) {
		free(c);
		return to_client_error(ru, code, bad, state, location, cap);
	}
	/* the level: what the client requires, or more if it asks */
	const char *level = c->level;
	if (q->acr_values && strstr(q->acr_values, "full"))
		level = "full";
	eid_rp_row rp;
	char purpose[160];
	json_t *session = NULL;
	st = eid_store_rp_get(p->store, c->client_id, &rp, err);
	if (!st) {
		snprintf(purpose, sizeof(purpose), "Sign in to %s", rp.name);
		st = eid_platform_verification_new(p, c->client_id, purpose, level, &session, err);
	}
	eid_oidc_grant_row *g = st ? NULL : calloc(1, sizeof(*g));
	if (!st && !g)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	char browser[44];
	if (!st) {
		snprintf(g->sid, sizeof(g->sid), "%s", json_string_value(json_object_get(session, "sid")));
		snprintf(g->client_id, sizeof(g->client_id), "%s", c->client_id);
		snprintf(g->redirect_uri, sizeof(g->redirect_uri), "%s", ru);
		snprintf(g->state, sizeof(g->state), "%s", state ? state : "");
		snprintf(g->nonce, sizeof(g->nonce), "%s", q->nonce ? q->nonce : "");
		snprintf(g->code_challenge, sizeof(g->code_challenge), "%s",
			 pkce ? q->code_challenge : "");
		snprintf(g->scope, sizeof(g->scope), "openid");
		snprintf(g->status, sizeof(g->status), "pending");
		eid_jose_random_token(browser);
		svc_secret_hash(browser, g->browser_hash);
		g->created_ms = svc_now_ms();
		st = eid_store_oidc_grant_add(p->store, g, err);
	}
	if (!st) {
		snprintf(location, cap, "/signin#%s",
			 json_string_value(json_object_get(session, "qr")));
		snprintf(cookie, 160, "eid_authz_%s=%s", g->sid, browser);
	}
	sodium_memzero(browser, sizeof(browser));
	json_decref(session);
	free(g);
	free(c);
	return st;
}

/* the grant of sid, if the browser holds its cookie */
static eid_status grant_for_browser(eid_platform *p, const char *sid, const char *cookies,
				    eid_oidc_grant_row *g, eid_err *err)
{
	char name[80], value[64];
	uint8_t h[32];
	if (!svc_id_ok(sid))
		return eid_fail(err, EID_E_NOT_FOUND, "no such sign-in");
	snprintf(name, sizeof(name), "eid_authz_%s", sid);
	if (!cookie_value(cookies, name, value, sizeof(value)))
		return eid_fail(err, EID_E_NOT_FOUND, "no such sign-in in this browser");
	svc_secret_hash(value, h);
	eid_status st = eid_store_oidc_grant_get(p->store, sid, g, err);
	if (!st && !eid_crypto_equal(h, g->browser_hash, 32))
		st = eid_fail(err, EID_E_NOT_FOUND, "no such sign-in in this browser");
	return st;
}

eid_status eid_oidc_session_state(eid_platform *p, const char *sid, const char *cookies,
				  json_t **out, eid_err *err)
{
	*out = NULL;
	eid_oidc_grant_row g;
	json_t *v = NULL;
	eid_status st = grant_for_browser(p, sid, cookies, &g, err);
	if (!st)
		st = eid_platform_verification_get(p, g.client_id, sid, &v, err);
	if (!st)
		*out = json_pack("{s:O}", "state", json_object_get(v, "state"));
	json_decref(v);
	return st;
}

eid_status eid_oidc_finish(eid_platform *p, const char *sid, const char *cookies, int declined,
			   char *location, size_t cap, eid_err *err)
{
	eid_oidc_grant_row g;
	json_t *v = NULL;
	eid_status st = grant_for_browser(p, sid, cookies, &g, err);
	if (!st && strcmp(g.status, "pending") != 0)
		return to_page_error("This sign-in is over: start again from the service.", location,
				     cap);
	if (!st)
		st = eid_platform_verification_get(p, g.client_id, sid, &v, err);
	if (st)
		return st;
	const char *state = json_string_value(json_object_get(v, "state"));
	json_t *result = json_object_get(v, "result");
	const char *answer = json_string_value(json_object_get(result, "result"));
	const char *gstate = g.state[0] ? g.state : NULL;
	if (!declined && state && strcmp(state, "pending") == 0) {
		json_decref(v);
		return to_page_error("The answer has not arrived yet.", location, cap);
	}
	if (declined || !answer || strcmp(answer, "yes") != 0) {
		const char *why = declined ? "the resident declined"
				  : answer ? "the verification failed or the card is below the "
					     "required level"
					   : "the request expired";
		snprintf(g.status, sizeof(g.status), "denied");
		st = eid_store_oidc_grant_update(p->store, &g, "pending", err);
		json_decref(v);
		return st ? st : to_client_error(g.redirect_uri, "access_denied", why, gstate, location,
						 cap);
	}
	/* yes: the code, with what the ID token will say */
	char secret[44], code[96];
	eid_jose_random_token(secret);
	snprintf(code, sizeof(code), "%s.%s", g.sid, secret);
	svc_secret_hash(secret, g.code_hash);
	sodium_memzero(secret, sizeof(secret));
	g.code_exp_ms = svc_now_ms() + EID_OIDC_CODE_MS;
	const char *level = json_string_value(json_object_get(result, "level"));
	snprintf(g.sub, sizeof(g.sub), "%s", json_string_value(json_object_get(result, "sub")));
	snprintf(g.acr, sizeof(g.acr), "%s", level ? level : "");
	snprintf(g.amr, sizeof(g.amr), "%s", level && strcmp(level, "full") == 0 ? "face pin" : "face");
	g.auth_time_ms = json_integer_value(json_object_get(result, "iat"));
	snprintf(g.status, sizeof(g.status), "code");
	json_decref(v);
	st = eid_store_oidc_grant_update(p->store, &g, "pending", err);
	if (!st) {
		snprintf(location, cap, "%s", g.redirect_uri);
		url_add(location, cap, "code", code);
		if (gstate)
			url_add(location, cap, "state", gstate);
	}
	sodium_memzero(code, sizeof(code));
	return st;
}

/* ---- token endpoint ------------------------------------------------------------------- */

static void oauth_error(json_t **out, int *status, int http, const char *code, const char *why)
{
	*out = json_pack("{s:s, s:s}", "error", code, "error_description", why);
	*status = http;
}

static int aud_has(const json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return 1;
	return 0;
}

/* A client_secret_basic client presenting id and secret (in the header or,
 * the same secret, in the body): 1 with c filled, else 0. */
static int secret_client(eid_platform *p, const char *id, const char *secret,
			 eid_oidc_client_row *c)
{
	char cred[256], rp[EID_CREDENTIAL_ID_LEN + 1];
	eid_err e;
	snprintf(cred, sizeof(cred), "%s.%s", id, secret);
	const int ok = eid_platform_rp_auth(p, cred, rp, &e) == EID_OK &&
		       eid_store_oidc_client_get(p->store, rp, c, &e) == EID_OK &&
		       strcmp(c->auth_method, "client_secret_basic") == 0;
	sodium_memzero(cred, sizeof(cred));
	return ok;
}

/* Who is calling the token endpoint: client_secret_basic, private_key_jwt or
 * a public client's client_id. 0 with c filled, or -1 (invalid_client). */
static int authenticate(eid_platform *p, const char *authorization, const char *form, size_t len,
			eid_oidc_client_row *c, const char **why)
{
	eid_err e;
	char id[64], assertion[16384], type[128];
	const int has_assertion = form_value(form, len, "client_assertion", assertion,
					     sizeof(assertion));
	const int has_id = form_value(form, len, "client_id", id, sizeof(id));
	*why = "client authentication failed";
	if (has_assertion < 0 || has_id < 0)
		return -1;
	char posted[96];
	const int has_secret = form_value(form, len, "client_secret", posted, sizeof(posted));
	if (has_secret < 0 || (has_secret && authorization) || (has_secret && has_assertion))
		return -1; /* one method per request (RFC 6749 2.3) */
	if (has_secret == 1) { /* client_secret_post: the same secret, in the body */
		const int ok = has_id == 1 && secret_client(p, id, posted, c);
		sodium_memzero(posted, sizeof(posted));
		return ok ? 0 : -1;
	}
	if (authorization && strncasecmp(authorization, "Basic ", 6) == 0) {
		/* base64(urlencode(id) ":" urlencode(secret)) (RFC 6749 2.3.1): libraries
		 * escape even "-" and "_", so both halves are decoded */
		uint8_t raw[256];
		size_t n;
		const char *b = authorization + 6;
		if (strlen(b) > 340 || sodium_base642bin(raw, sizeof(raw) - 1, b, strlen(b), NULL, &n,
							 NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
			return -1;
		raw[n] = 0;
		char *colon = strchr((char *)raw, ':');
		if (!colon)
			return -1;
		*colon = 0;
		char bid[96], bsecret[128];
		if (url_decode((const char *)raw, strlen((const char *)raw), bid, sizeof(bid)) < 0 ||
		    url_decode(colon + 1, strlen(colon + 1), bsecret, sizeof(bsecret)) < 0) {
			sodium_memzero(raw, sizeof(raw));
			return -1;
		}
		const int ok = secret_client(p, bid, bsecret, c);
		sodium_memzero(bsecret, sizeof(bsecret));
		sodium_memzero(raw, sizeof(raw));
		return ok ? 0 : -1;
	}
	if (has_assertion == 1) {
		if (form_value(form, len, "client_assertion_type", type, sizeof(type)) != 1 ||
		    strcmp(type, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") != 0)
			return -1;
		json_t *hdr, *claims, *vh = NULL, *vc = NULL, *jwks = NULL;
		if (eid_jose_peek(assertion, &hdr, &claims, &e) != EID_OK)
			return -1;
		const char *iss = json_string_value(json_object_get(claims, "iss"));
		int ok = svc_id_ok(iss) &&
			 eid_store_oidc_client_get(p->store, iss, c, &e) == EID_OK &&
			 strcmp(c->auth_method, "private_key_jwt") == 0 &&
			 (has_id == 0 || strcmp(id, iss) == 0);
		json_error_t je;
		const json_t *jwk = NULL;
		if (ok)
			jwks = json_loads(c->jwks, 0, &je);
		ok = ok &&
		     eid_jose_jwk_select(jwks, json_string_value(json_object_get(hdr, "kid")),
					 json_string_value(json_object_get(hdr, "alg")), &jwk,
					 &e) == EID_OK &&
		     eid_jose_verify(assertion, jwk, &vh, &vc, &e) == EID_OK;
		/* RFC 7523 3: iss = sub = client_id, aud = us, not expired, once */
		char token_ep[320];
		snprintf(token_ep, sizeof(token_ep), "%s/oidc/token", p->public_url);
		const json_int_t exp = json_integer_value(json_object_get(vc, "exp"));
		const char *jti = json_string_value(json_object_get(vc, "jti"));
		const int64_t now = svc_now_ms();
		ok = ok && json_is_string(json_object_get(vc, "sub")) &&
		     strcmp(json_string_value(json_object_get(vc, "sub")), c->client_id) == 0 &&
		     (aud_has(json_object_get(vc, "aud"), token_ep) ||
		      aud_has(json_object_get(vc, "aud"), p->public_url)) &&
		     json_is_integer(json_object_get(vc, "exp")) && exp * 1000 > now &&
		     exp * 1000 < now + 10 * 60 * 1000 && jti && strlen(jti) >= 8 &&
		     strlen(jti) <= 128;
		if (ok) {
			char once[200];
			snprintf(once, sizeof(once), "jwt:%s:%s", c->client_id, jti);
			if (eid_store_nonce_use(p->store, once, (int64_t)exp * 1000, &e) != EID_OK) {
				ok = 0;
				*why = "the client assertion was used before";
			}
		}
		json_decref(hdr);
		json_decref(claims);
		json_decref(vh);
		json_decref(vc);
		json_decref(jwks);
		return ok ? 0 : -1;
	}
	if (has_id == 1) /* a public client: PKCE stands in for the secret */
		return eid_store_oidc_client_get(p->store, id, c, &e) == EID_OK &&
				       strcmp(c->auth_method, "none") == 0
			       ? 0
			       : -1;
	return -1;
}

static json_t *amr_array(const char *amr)
{
	json_t *a = json_array();
	json_array_append_new(a, json_string("face"));
	if (strstr(amr, "pin"))
		json_array_append_new(a, json_string("pin"));
	return a;
}

void eid_oidc_token(eid_platform *p, const char *authorization, const char *form, size_t form_len,
		    json_t **out, int *status, char www_authenticate[96])
{
	*out = NULL;
	www_authenticate[0] = 0;
	eid_oidc_client_row *c = calloc(1, sizeof(*c));
	if (!c)
		return oauth_error(out, status, 500, "server_error", "out of memory");
	const char *why;
	char grant_type[64], code[128], ru[520], verifier[160];
	eid_err e;
	if (authenticate(p, authorization, form, form_len, c, &why) != 0) {
		free(c);
		snprintf(www_authenticate, 96, "Basic realm=\"eid\"");
		return oauth_error(out, status, 401, "invalid_client", why);
	}
	const int gt = form_value(form, form_len, "grant_type", grant_type, sizeof(grant_type)),
		  cd = form_value(form, form_len, "code", code, sizeof(code)),
		  rd = form_value(form, form_len, "redirect_uri", ru, sizeof(ru)),
		  cv = form_value(form, form_len, "code_verifier", verifier, sizeof(verifier));
	eid_oidc_grant_row g;
	char sid[48];
	uint8_t h[32];
	const char *bad = NULL, *err_code = "invalid_grant";
	if (gt < 0 || cd < 0 || rd < 0 || cv < 0)
		err_code = "invalid_request", bad = "a parameter is malformed or repeated";
	else if (gt != 1 || strcmp(grant_type, "authorization_code") != 0)
		err_code = "unsupported_grant_type", bad = "only authorization_code is supported";
	else if (cd != 1 || !split_token(code, sid, h) ||
		 eid_store_oidc_grant_get(p->store, sid, &g, &e) != EID_OK ||
		 strcmp(g.client_id, c->client_id) != 0)
		bad = "unknown code";
	else if (strcmp(g.status, "redeemed") == 0 || strcmp(g.status, "revoked") == 0) {
		/* a code used twice: what it gave is withdrawn (RFC 6749 4.1.2) */
		if (eid_crypto_equal(h, g.code_hash, 32) && strcmp(g.status, "redeemed") == 0) {
			snprintf(g.status, sizeof(g.status), "revoked");
			memset(g.token_hash, 0, 32);
			if (eid_store_oidc_grant_update(p->store, &g, "redeemed", &e) != EID_OK)
				eid_log(EID_LOG_WARN, "platform", "oidc.revoke_failed", NULL);
		}
		bad = "the code was used before";
	} else if (strcmp(g.status, "code") != 0 || !eid_crypto_equal(h, g.code_hash, 32))
		bad = "unknown code";
	else if (svc_now_ms() > g.code_exp_ms)
		bad = "the code has expired";
	else if (rd != 1 || strcmp(ru, g.redirect_uri) != 0)
		bad = "redirect_uri differs from the authorization request's";
	else if (g.code_challenge[0] && (cv != 1 || !eid_jose_pkce_s256_ok(verifier, g.code_challenge)))
		bad = "the PKCE code_verifier does not match";
	if (bad) {
		free(c);
		sodium_memzero(code, sizeof(code));
		return oauth_error(out, status, 400, err_code, bad);
	}
	/* the tokens */
	char secret[44], access[96];
	eid_jose_random_token(secret);
	snprintf(access, sizeof(access), "%s.%s", g.sid, secret);
	svc_secret_hash(secret, g.token_hash);
	sodium_memzero(secret, sizeof(secret));
	const int64_t now = svc_now_ms();
	g.token_exp_ms = now + EID_OIDC_TOKEN_S * 1000;
	snprintf(g.status, sizeof(g.status), "redeemed");
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o}", "iss", p->public_url,
				   "sub", g.sub, "aud", c->client_id, "iat", (json_int_t)(now / 1000),
				   "exp", (json_int_t)(now / 1000 + EID_OIDC_TOKEN_S), "auth_time",
				   (json_int_t)(g.auth_time_ms / 1000), "acr", g.acr, "amr",
				   amr_array(g.amr));
	if (claims && g.nonce[0])
		json_object_set_new(claims, "nonce", json_string(g.nonce));
	char *id_token = NULL;
	eid_status st = claims ? eid_jose_sign(p->oidc->keys[p->oidc->n - 1], claims, &id_token, &e)
			       : EID_E_NOMEM;
	json_decref(claims);
	if (!st)
		st = eid_store_oidc_grant_update(p->store, &g, "code", &e);
	if (st == EID_E_CONFLICT)
		oauth_error(out, status, 400, "invalid_grant", "the code was used before");
	else if (st)
		oauth_error(out, status, 500, "server_error", "the tokens could not be issued");
	else {
		*out = json_pack("{s:s, s:s, s:i, s:s, s:s}", "access_token", access, "token_type",
				 "Bearer", "expires_in", EID_OIDC_TOKEN_S, "id_token", id_token,
				 "scope", g.scope);
		*status = 200;
	}
	sodium_memzero(access, sizeof(access));
	free(id_token);
	free(c);
}

void eid_oidc_userinfo(eid_platform *p, const char *authorization, json_t **out, int *status,
		       char www_authenticate[96])
{
	*out = NULL;
	char sid[48];
	uint8_t h[32];
	eid_oidc_grant_row g;
	eid_err e;
	if (!authorization || strncmp(authorization, "Bearer ", 7) != 0 ||
	    !split_token(authorization + 7, sid, h) ||
	    eid_store_oidc_grant_get(p->store, sid, &g, &e) != EID_OK ||
	    strcmp(g.status, "redeemed") != 0 || !eid_crypto_equal(h, g.token_hash, 32) ||
	    svc_now_ms() > g.token_exp_ms) {
		snprintf(www_authenticate, 96, "Bearer error=\"invalid_token\"");
		return oauth_error(out, status, 401, "invalid_token",
				   "the access token is unknown, expired or revoked");
	}
	www_authenticate[0] = 0;
	*out = json_pack("{s:s, s:s, s:o}", "sub", g.sub, "acr", g.acr, "amr", amr_array(g.amr));
	*status = 200;
}
