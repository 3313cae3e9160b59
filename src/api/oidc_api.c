/* The OpenID Provider's routes on the platform listener (eid/oidc.h). Its
 * errors follow OAuth 2.0 ({"error", "error_description"}), not the
 * platform's own error object, so that OIDC client libraries read them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "eid/oidc.h"

static void header(eid_http_response *resp, const char *name, const char *value)
{
	if (eid_http_header_add(resp, name, value, NULL) != EID_OK)
		eid_http_error(resp, 500, "internal", "internal error");
}

static void get_discovery(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	eid_http_reply_json(resp, 200, eid_oidc_discovery(ctx));
	header(resp, "Access-Control-Allow-Origin", "*");
}

static void get_jwks(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	eid_http_reply_json(resp, 200, eid_oidc_jwks(ctx));
	header(resp, "Access-Control-Allow-Origin", "*");
	header(resp, "Cache-Control", "public, max-age=300");
}

static void redirect(eid_http_response *resp, const char *location)
{
	if (eid_http_reply_bytes(resp, 302, "text/plain; charset=utf-8", "", 0) == EID_OK)
		header(resp, "Location", location);
}

static void get_authorize(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_oidc_authz_req q = {
		.response_type = eid_http_query(req, "response_type"),
		.client_id = eid_http_query(req, "client_id"),
		.redirect_uri = eid_http_query(req, "redirect_uri"),
		.scope = eid_http_query(req, "scope"),
		.state = eid_http_query(req, "state"),
		.nonce = eid_http_query(req, "nonce"),
		.code_challenge = eid_http_query(req, "code_challenge"),
		.code_challenge_method = eid_http_query(req, "code_challenge_method"),
		.acr_values = eid_http_query(req, "acr_values"),
	};
	char location[4096], cookie[160];
	eid_err err;
	eid_status st = eid_oidc_authorize(ctx, &q, location, sizeof(location), cookie, &err);
	if (st) {
		api_reply(resp, 302, st, NULL, &err);
		return;
	}
	redirect(resp, location);
	if (cookie[0]) {
		/* binds this browser to the sign-in: only it collects the code */
		char set[320];
		snprintf(set, sizeof(set), "%s; Path=/oidc; Max-Age=600; HttpOnly; SameSite=Lax%s",
			 cookie, eid_oidc_https(ctx) ? "; Secure" : "");
		header(resp, "Set-Cookie", set);
	}
}

static void get_session(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_oidc_session_state(ctx, eid_http_param(req, "sid"),
					       eid_http_header(req, "Cookie"), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

static void get_finish(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	const char *declined = eid_http_query(req, "declined");
	char location[4096];
	eid_err err;
	eid_status st = eid_oidc_finish(ctx, eid_http_param(req, "sid"),
					eid_http_header(req, "Cookie"),
					declined && strcmp(declined, "1") == 0, location,
					sizeof(location), &err);
	if (st)
		api_reply(resp, 302, st, NULL, &err);
	else
		redirect(resp, location);
}

static void oauth_reply(eid_http_response *resp, json_t *out, int status, const char *www)
{
	eid_http_reply_json(resp, status, out);
	header(resp, "Pragma", "no-cache");
	header(resp, "Access-Control-Allow-Origin", "*");
	if (www[0])
		header(resp, "WWW-Authenticate", www);
}

static void post_token(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	const char *ct = eid_http_header(req, "Content-Type");
	json_t *out;
	int status;
	char www[96] = "";
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		out = json_pack("{s:s, s:s}", "error", "invalid_request", "error_description",
				"the body must be application/x-www-form-urlencoded");
		status = 400;
	} else {
		eid_oidc_token(ctx, eid_http_header(req, "Authorization"), (const char *)req->body,
			       req->body_len, &out, &status, www);
	}
	oauth_reply(resp, out, status, www);
}

static void userinfo(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	int status;
	char www[96];
	eid_oidc_userinfo(ctx, eid_http_header(req, "Authorization"), &out, &status, www);
	oauth_reply(resp, out, status, www);
}

const eid_http_route api_oidc_routes[] = {
	{"GET", "/.well-known/openid-configuration", get_discovery, 0, 0, 0},
	{"GET", "/oidc/jwks", get_jwks, 0, 0, 0},
	{"GET", "/oidc/authorize", get_authorize, 0, 0, 0},
	{"GET", "/oidc/sessions/{sid}", get_session, 0, 0, 0},
	{"GET", "/oidc/finish/{sid}", get_finish, 0, 0, 0},
	{"POST", "/oidc/token", post_token, 0, 32768, EID_HTTP_RAW_BODY},
	{"GET", "/oidc/userinfo", userinfo, 0, 0, 0},
	{"POST", "/oidc/userinfo", userinfo, 0, 4096, EID_HTTP_RAW_BODY},
};
const size_t api_oidc_nroutes = sizeof(api_oidc_routes) / sizeof(api_oidc_routes[0]);
