/* The authority administrator's HTTP routes (docs/admin.md): every
 * /admin/v1 route needs "Authorization: Bearer <admin token>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "eid/admin.h"
#include "eid/log.h"

enum { AUTH_ADMIN = 3 };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs before the body is read: a request without the token costs nothing. */
static eid_status check_admin(void *ctx, unsigned auth, eid_http_request *req,
			      eid_http_response *resp)
{
	(void)auth;
	eid_authority *a = ctx;
	const char *h = eid_http_header(req, "Authorization");
	eid_err err;
	if (!h || strncmp(h, "Bearer ", 7) != 0) {
		eid_http_error(resp, 401, "unauthorized", "the admin token is missing");
		return EID_E_DENIED;
	}
	eid_status st = eid_admin_token_check(a, h + 7, &err);
	if (st == EID_E_DENIED)
		eid_http_error(resp, 401, "unauthorized", "%s", err.msg);
	else if (st)
		eid_http_error_status(resp, api_http_status(st), st, &err);
	return st;
}

/* GET /admin/v1/overview */
static void get_overview(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	json_t *out = NULL;
	eid_err err;
	eid_status st = eid_admin_overview(ctx, now_ms(), &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /admin/v1/import {"csv": text, "photos": {name: base64}} */
static void post_import(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_err err;
	json_t *b = req->json;
	json_t *csv = json_object_get(b, "csv"), *photos = json_object_get(b, "photos");
	if (!json_is_object(b) || !json_is_string(csv)) {
		eid_http_error(resp, 400, "invalid_argument", "csv must be a string");
		return;
	}
	if (photos && !json_is_object(photos)) {
		eid_http_error(resp, 400, "invalid_argument", "photos must be an object");
		return;
	}
	const size_t n = photos ? json_object_size(photos) : 0;
	if (n > EID_ADMIN_PHOTOS_MAX) {
		eid_http_error(resp, 413, "limit_exceeded", "photos holds %zu files (max %d)", n,
			       EID_ADMIN_PHOTOS_MAX);
		return;
	}
	eid_admin_photo *list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		eid_http_error(resp, 500, "internal", "out of memory");
		return;
	}
	size_t i = 0;
	const char *name;
	json_t *v;
	json_object_foreach(photos, name, v)
	{
		if (!json_is_string(v)) {
			free(list);
			eid_http_error(resp, 400, "invalid_argument",
				       "photos: every value must be a base64 string");
			return;
		}
		list[i].name = name;
		list[i].b64 = json_string_value(v);
		list[i].b64_len = json_string_length(v);
		i++;
	}
	json_t *out = NULL;
	eid_status st = eid_admin_import(ctx, json_string_value(csv), json_string_length(csv), list,
					 n, NULL, &out, &err);
	free(list);
	if (!st) {
		char rows[24], imported[24], rejected[24];
		snprintf(rows, sizeof(rows), "%lld",
			 (long long)json_integer_value(json_object_get(out, "rows")));
		snprintf(imported, sizeof(imported), "%lld",
			 (long long)json_integer_value(json_object_get(out, "imported")));
		snprintf(rejected, sizeof(rejected), "%lld",
			 (long long)json_integer_value(json_object_get(out, "rejected")));
		eid_log(EID_LOG_INFO, "admin", "register.batch", "batch",
			json_string_value(json_object_get(out, "batch")), "rows", rows, "imported",
			imported, "rejected", rejected, NULL);
	}
	api_reply(resp, 200, st, out, &err);
}

/* GET /admin/v1/held */
static void get_held(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	json_t *out = NULL;
	eid_err err;
	eid_status st = eid_admin_held(ctx, &out, &err);
	api_reply(resp, 200, st, out, &err);
}

/* POST /admin/v1/held/{id}/dismiss */
static void post_dismiss(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	const char *id = eid_http_param(req, "id");
	eid_err err;
	eid_status st = eid_admin_held_dismiss(ctx, id, &err);
	json_t *out = st ? NULL : json_pack("{s:s, s:b}", "id", id, "dismissed", 1);
	api_reply(resp, 200, st, out, &err);
}

/* POST /admin/v1/held/{id}/accept|reject {"reason"}: a duplicate hold's decision */
static void decide(const eid_http_request *req, eid_http_response *resp, eid_authority *a,
		   int accept)
{
	const char *id = eid_http_param(req, "id");
	json_t *reason = json_object_get(req->json, "reason");
	if (!json_is_object(req->json) || !json_is_string(reason)) {
		eid_http_error(resp, 400, "invalid_argument", "reason must be a string");
		return;
	}
	if (strlen(json_string_value(reason)) != json_string_length(reason)) {
		eid_http_error(resp, 400, "invalid_argument", "reason holds control characters");
		return;
	}
	eid_err err;
	eid_status st = accept ? eid_admin_held_accept(a, id, json_string_value(reason), &err)
			       : eid_admin_held_reject(a, id, json_string_value(reason), &err);
	json_t *out = st ? NULL
			 : json_pack("{s:s, s:s}", "id", id, "decision",
				     accept ? "accepted" : "rejected");
	if (!st)
		eid_log(EID_LOG_INFO, "admin", accept ? "held.accepted" : "held.rejected", "held",
			id, NULL);
	api_reply(resp, 200, st, out, &err);
}

static void post_accept(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	decide(req, resp, ctx, 1);
}

static void post_reject(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	decide(req, resp, ctx, 0);
}

static const eid_http_route routes[] = {
	{"GET", "/admin/v1/overview", get_overview, AUTH_ADMIN, 1024, 0},
	{"POST", "/admin/v1/import", post_import, AUTH_ADMIN, EID_ADMIN_IMPORT_BYTES, 0},
	{"GET", "/admin/v1/held", get_held, AUTH_ADMIN, 1024, 0},
	{"POST", "/admin/v1/held/{id}/dismiss", post_dismiss, AUTH_ADMIN, 1024, 0},
	{"POST", "/admin/v1/held/{id}/accept", post_accept, AUTH_ADMIN, 1024, 0},
	{"POST", "/admin/v1/held/{id}/reject", post_reject, AUTH_ADMIN, 1024, 0},
};

eid_status eid_api_admin_start(eid_authority *a, const eid_http_config *cfg,
			       eid_http_server **out, eid_err *err)
{
	eid_http_config c = *cfg;
	c.auth = check_admin;
	return eid_http_server_new(&c, routes, sizeof(routes) / sizeof(routes[0]), a, out, err);
}
