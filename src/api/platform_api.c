/* The platform's HTTP routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "eid/api.h"
#include "eid/qr.h"

/* The authority's keys, fetched now and relayed unchanged: relying parties
 * verify the authority's signatures, and the platform has nothing to add to
 * them; when the authority is down this says so rather than serve old keys. */
static void get_keys(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	eid_platform *p = ctx;
	json_t *authority = NULL;
	eid_err err;
	if (eid_platform_authority_keys(p, 1, &authority, &err) != EID_OK) {
		eid_http_error(resp, 502, "authority_unreachable",
			       "the authority did not answer with its keys");
		return;
	}
	json_t *mine = eid_platform_key_set(p);
	eid_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "platform", mine, "authority",
						 authority));
}

enum { AUTH_RP = 1 };

/* "Authorization: Bearer <rp_id>.<secret>" -> the relying party's id */
static eid_status auth(void *ctx, unsigned kind, eid_http_request *req, eid_http_response *resp)
{
	(void)resp;
	eid_err err;
	const char *h = eid_http_header(req, "Authorization");
	if (kind != AUTH_RP || !h || strncmp(h, "Bearer ", 7) != 0)
		return EID_E_DENIED;
	char *rp = malloc(EID_CREDENTIAL_ID_LEN + 1);
	if (!rp)
		return EID_E_NOMEM;
	eid_status st = eid_platform_rp_auth(ctx, h + 7, rp, &err);
	if (st) {
		free(rp);
		return st;
	}
	req->principal = rp;
	req->principal_free = free;
	return EID_OK;
}

static void post_verification(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *purpose = json_object_get(req->json, "purpose"),
	       *level = json_object_get(req->json, "level");
	if (!json_is_object(req->json) || !json_is_string(purpose) || !json_is_string(level)) {
		eid_http_error(resp, 400, "bad_request",
			       "body must be {\"purpose\": string, \"level\": string}");
		return;
	}
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_verification_new(ctx, req->principal, json_string_value(purpose),
						      json_string_value(level), &out, &err);
	api_reply(resp, 201, st, out, &err);
}

static void get_verification(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_verification_get(ctx, req->principal,
						      eid_http_param(req, "sid"), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

static void get_request(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_request_info(ctx, eid_http_param(req, "sid"), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

static void post_enrolment(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *level = json_object_get(req->json, "level");
	if (!json_is_string(level)) {
		eid_http_error(resp, 400, "bad_request", "body must be {\"level\": string}");
		return;
	}
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_enrolment_new(ctx, json_string_value(level), &out, &err);
	api_reply(resp, 201, st, out, &err);
}

static void post_capture(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *sealed = json_object_get(req->json, "sealed"),
	       *sig = json_object_get(req->json, "device_sig");
	if (!json_is_string(sealed) || !json_is_string(sig)) {
		eid_http_error(resp, 400, "bad_request",
			       "body must be {\"sealed\": string, \"device_sig\": string}");
		return;
	}
	json_t *card;
	eid_err err;
	eid_status st = eid_platform_enrolment_submit(ctx, eid_http_param(req, "sid"),
						      json_string_value(sealed),
						      json_string_value(sig), &card, &err);
	api_reply(resp, 201, st, card, &err);
}

static void post_request_capture(void *ctx, const eid_http_request *req,
				 eid_http_response *resp)
{
	json_t *sealed = json_object_get(req->json, "sealed"),
	       *sig = json_object_get(req->json, "device_sig");
	if (!json_is_string(sealed) || !json_is_string(sig)) {
		eid_http_error(resp, 400, "bad_request",
			       "body must be {\"sealed\": string, \"device_sig\": string}");
		return;
	}
	json_t *result;
	eid_err err;
	eid_status st = eid_platform_verification_submit(ctx, eid_http_param(req, "sid"),
							 json_string_value(sealed),
							 json_string_value(sig), &result, &err);
	api_reply(resp, 201, st, result, &err);
}

static void post_terminal_enrolment(void *ctx, const eid_http_request *req,
				    eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_terminal_new(ctx, req->json, &out, &err);
	api_reply(resp, 201, st, out, &err);
}

static void post_terminal_claim(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st =
		eid_platform_terminal_claim(ctx, eid_http_param(req, "sid"), req->json, &out, &err);
	api_reply(resp, 201, st, out, &err);
}

/* POST /v1/history: the resident's own decisions, asked with the card (the
 * device signature is the authority's to check) */
static void post_history(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_history(ctx, req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /v1/passcode: a sealed passcode change, relayed */
static void post_passcode(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_change_passcode(ctx, req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* GET /v1/challenge/{sid}: the session's liveness challenge */
static void get_challenge(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_challenge(ctx, eid_http_param(req, "sid"), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /v1/quality: a sealed camera frame for live guidance, relayed */
static void post_quality(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_capture_quality(ctx, req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /v1/revoke: "revoke this device", device-signed, relayed */
static void post_revoke(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_revoke_device(ctx, req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

static void post_terminal_signin(void *ctx, const eid_http_request *req,
				 eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st = eid_platform_terminal_signin(ctx, req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

static void post_terminal_state(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	json_t *out;
	eid_err err;
	eid_status st =
		eid_platform_terminal_state(ctx, eid_http_param(req, "sid"), req->json, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* GET /v1/qr?text=...: the pages' QR codes as SVG (the text is not logged:
 * the HTTP layer never logs query strings) */
static void get_qr(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)ctx;
	char *svg;
	size_t len;
	eid_err err;
	eid_status st = eid_qr_svg(eid_http_query(req, "text"), &svg, &len, &err);
	if (st) {
		api_reply(resp, 200, st, NULL, &err);
		return;
	}
	if (eid_http_reply_bytes(resp, 200, "image/svg+xml", svg, len) != EID_OK)
		eid_http_error(resp, 500, "internal", "internal error");
	free(svg);
}

static const eid_http_route routes[] = {
	{"GET", "/v1/qr", get_qr, 0, 0, 0},
	{"POST", "/v1/revoke", post_revoke, 0, 4096, 0},
	{"POST", "/v1/quality", post_quality, 0, 4u << 20, 0},
	{"GET", "/v1/challenge/{sid}", get_challenge, 0, 0, 0},
	{"POST", "/v1/terminal/signin", post_terminal_signin, 0, 4096, 0},
	{"POST", "/v1/terminal/enrolments/{sid}/state", post_terminal_state, 0, 4096, 0},
	{"POST", "/v1/terminal/enrolments", post_terminal_enrolment, 0, 4096, 0},
	{"POST", "/v1/terminal/enrolments/{sid}/claim", post_terminal_claim, 0, 8192, 0},
	{"POST", "/v1/requests/{sid}", post_request_capture, 0, 16u << 20, 0},
	{"GET", "/v1/keys", get_keys, 0, 0, 0},
	{"POST", "/v1/enrolments", post_enrolment, 0, 1024, 0},
	{"POST", "/v1/enrolments/{sid}", post_capture, 0, 16u << 20, 0},
	{"POST", "/v1/verifications", post_verification, AUTH_RP, 4096, 0},
	{"GET", "/v1/verifications/{sid}", get_verification, AUTH_RP, 0, 0},
	{"GET", "/v1/requests/{sid}", get_request, 0, 0, 0},
	{"POST", "/v1/history", post_history, 0, 4096, 0},
	{"POST", "/v1/passcode", post_passcode, 0, 16u << 20, 0},
};

eid_status eid_api_platform_start(eid_platform *p, const eid_http_config *cfg,
				  eid_http_server **out, eid_err *err)
{
	eid_http_config c = *cfg;
	c.auth = auth;
	/* the platform's own routes, then the OpenID Provider's */
	const size_t n = sizeof(routes) / sizeof(routes[0]);
	eid_http_route all[sizeof(routes) / sizeof(routes[0]) + 16];
	if (api_oidc_nroutes > 16)
		return eid_fail(err, EID_E_INVALID_ARG, "too many OpenID routes");
	memcpy(all, routes, sizeof(routes));
	memcpy(all + n, api_oidc_routes, api_oidc_nroutes * sizeof(*all));
	eid_status st = eid_http_server_new(&c, all, n + api_oidc_nroutes, p, out, err);
	/* the listener's own URL, unless the operator gave the public one */
	if (!st && !eid_platform_public_url(p)[0])
		st = eid_platform_set_public_url(p, eid_http_server_url(*out), err);
	return st;
}
