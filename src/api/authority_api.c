/* The authority's HTTP routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "eid/api.h"
#include "eid/crypto.h"

/* what a handler needs: the service and the one platform key it trusts */
typedef struct authority_api {
	eid_authority *a;
	eid_pubkey platform;
	int has_platform;
} authority_api;

static void get_keys(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	authority_api *api = ctx;
	json_t *keys = eid_authority_key_set(api->a);
	if (!keys) {
		eid_http_error(resp, 500, "internal", "cannot list keys");
		return;
	}
	eid_http_reply_json(resp, 200, keys);
}

/* decodes a base64url member into a new buffer */
static uint8_t *member_bytes(json_t *obj, const char *key, size_t max, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s || strlen(s) > max)
		return NULL;
	uint8_t *b = malloc(strlen(s) + 1);
	eid_err err;
	if (b && eid_b64url_decode(s, strlen(s), b, strlen(s) + 1, len, &err) != EID_OK) {
		free(b);
		return NULL;
	}
	return b;
}

/* 1 if the body is an object signed by the platform; else answers 403 */
static int from_platform(const authority_api *api, const eid_http_request *req,
			 eid_http_response *resp, const char *what)
{
	eid_err err;
	eid_keyring ring = {&api->platform, 1};
	if (api->has_platform && json_is_object(req->json) &&
	    eid_verify_json(req->json, eid_keyring_lookup, &ring, NULL, &err) == EID_OK)
		return 1;
	eid_http_error(resp, 403, "denied", "only the platform may relay %s", what);
	return 0;
}

/* POST /internal/enrolments: only the platform, by its signature on the body */
static void post_enrolment(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	authority_api *api = ctx;
	eid_err err;
	if (!from_platform(api, req, resp, "enrolments"))
		return;
	json_t *b = req->json;
	eid_enrol_request q = {
		.sid = json_string_value(json_object_get(b, "sid")),
		.nonce = json_string_value(json_object_get(b, "nonce")),
		.level = json_string_value(json_object_get(b, "level")),
		.exp_ms = json_integer_value(json_object_get(b, "exp")),
	};
	uint8_t *sealed = member_bytes(b, "sealed", 16u << 20, &q.sealed_len);
	uint8_t *sig = member_bytes(b, "device_sig", 128, &q.sig_len);
	uint8_t *claim = member_bytes(b, "claim", 2048, &q.claim_len);
	q.sealed = sealed;
	q.device_sig = sig;
	q.claim = claim;
	json_t *card = NULL;
	eid_status st = sealed && sig ? eid_authority_enrol(api->a, &q, &card, &err)
				      : eid_fail(&err, EID_E_FORMAT,
						 "sealed and device_sig must be base64url");
	free(sealed);
	free(sig);
	free(claim);
	api_reply(resp, 201, st, card, &err);
}

/* POST /internal/verifications: only the platform, by its signature */
static void post_verification(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	authority_api *api = ctx;
	eid_err err;
	if (!from_platform(api, req, resp, "verifications"))
		return;
	json_t *b = req->json;
	eid_verify_request q = {
		.sid = json_string_value(json_object_get(b, "sid")),
		.nonce = json_string_value(json_object_get(b, "nonce")),
		.rp_id = json_string_value(json_object_get(b, "rp")),
		.level = json_string_value(json_object_get(b, "level")),
		.purpose = json_string_value(json_object_get(b, "purpose")),
		.exp_ms = json_integer_value(json_object_get(b, "exp")),
	};
	uint8_t *sealed = member_bytes(b, "sealed", 16u << 20, &q.sealed_len);
	uint8_t *sig = member_bytes(b, "device_sig", 128, &q.sig_len);
	q.sealed = sealed;
	q.device_sig = sig;
	json_t *result = NULL;
	eid_status st = sealed && sig ? eid_authority_verify(api->a, &q, &result, &err)
				      : eid_fail(&err, EID_E_FORMAT,
						 "sealed and device_sig must be base64url");
	free(sealed);
	free(sig);
	api_reply(resp, 201, st, result, &err);
}

/* POST /internal/challenge: a session's liveness challenge, for the platform */
static void post_challenge(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	authority_api *api = ctx;
	eid_err err;
	if (!from_platform(api, req, resp, "challenge requests"))
		return;
	json_t *out = NULL;
	eid_status st = eid_authority_challenge(
		api->a, json_string_value(json_object_get(req->json, "nonce")), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /internal/quality: a sealed frame for live guidance, from the platform */
static void post_quality(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	authority_api *api = ctx;
	eid_err err;
	if (!from_platform(api, req, resp, "capture checks"))
		return;
	json_t *b = req->json;
	size_t n = 0;
	uint8_t *sealed = member_bytes(b, "sealed", 4u << 20, &n);
	json_t *out = NULL;
	eid_status st = sealed ? eid_authority_capture_quality(
					 api->a, json_string_value(json_object_get(b, "nonce")),
					 json_integer_value(json_object_get(b, "ts")), sealed, n,
					 &out, &err)
			       : eid_fail(&err, EID_E_FORMAT, "sealed must be base64url");
	free(sealed);
	api_reply(resp, 200, st, out, &err);
}

/* A device-signed request without a capture, from the platform alone. */
typedef eid_status (*device_fn)(eid_authority *a, const eid_history_request *q, json_t **out,
				eid_err *err);

static void device_request(authority_api *api, const eid_http_request *req,
			   eid_http_response *resp, const char *what, device_fn fn)
{
	eid_err err;
	if (!from_platform(api, req, resp, what))
		return;
	json_t *b = req->json;
	eid_history_request q = {
		.card_id = json_string_value(json_object_get(b, "card_id")),
		.nonce = json_string_value(json_object_get(b, "nonce")),
		.ts_ms = json_integer_value(json_object_get(b, "ts")),
	};
	uint8_t *sig = member_bytes(b, "device_sig", 128, &q.sig_len);
	q.device_sig = sig;
	json_t *out = NULL;
	eid_status st = sig ? fn(api->a, &q, &out, &err)
			    : eid_fail(&err, EID_E_FORMAT, "device_sig must be base64url");
	free(sig);
	api_reply(resp, 200, st, out, &err);
}

/* POST /internal/history */
static void post_history(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	device_request(ctx, req, resp, "history requests", eid_authority_history);
}

/* POST /internal/revoke */
static void post_revoke(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	device_request(ctx, req, resp, "revocations", eid_authority_revoke_device);
}

/* POST /internal/passcode: only the platform, by its signature */
static void post_passcode(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	authority_api *api = ctx;
	eid_err err;
	if (!from_platform(api, req, resp, "passcode changes"))
		return;
	json_t *b = req->json;
	eid_passcode_request q = {
		.card_id = json_string_value(json_object_get(b, "card_id")),
		.nonce = json_string_value(json_object_get(b, "nonce")),
		.ts_ms = json_integer_value(json_object_get(b, "ts")),
	};
	uint8_t *sealed = member_bytes(b, "sealed", 16u << 20, &q.sealed_len);
	uint8_t *sig = member_bytes(b, "device_sig", 128, &q.sig_len);
	q.sealed = sealed;
	q.device_sig = sig;
	json_t *out = NULL;
	eid_status st = sealed && sig ? eid_authority_change_passcode(api->a, &q, &out, &err)
				      : eid_fail(&err, EID_E_FORMAT,
						 "sealed and device_sig must be base64url");
	free(sealed);
	free(sig);
	api_reply(resp, 200, st, out, &err);
}

static const eid_http_route routes[] = {
	{"GET", "/v1/keys", get_keys, 0, 0, 0},
	{"POST", "/internal/enrolments", post_enrolment, 0, 24u << 20, 0},
	{"POST", "/internal/verifications", post_verification, 0, 24u << 20, 0},
	{"POST", "/internal/history", post_history, 0, 8192, 0},
	{"POST", "/internal/revoke", post_revoke, 0, 8192, 0},
	{"POST", "/internal/quality", post_quality, 0, 8u << 20, 0},
	{"POST", "/internal/challenge", post_challenge, 0, 4096, 0},
	{"POST", "/internal/passcode", post_passcode, 0, 24u << 20, 0},
};

eid_status eid_api_authority_start(eid_authority *a, const eid_pubkey *platform,
				   const eid_http_config *cfg, eid_http_server **out,
				   eid_err *err)
{
	/* lives as long as the process: servers are started once */
	static authority_api api;
	api.a = a;
	api.has_platform = platform != NULL;
	if (platform)
		api.platform = *platform;
	return eid_http_server_new(cfg, routes, sizeof(routes) / sizeof(routes[0]), &api, out, err);
}
