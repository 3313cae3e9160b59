/* eid/http.h — the HTTP/JSON layer: a server over libmicrohttpd with a route
 * table, JSON bodies through jansson, /healthz, Prometheus /metrics and one
 * structured log line per request; and a small client over libcurl.
 *
 * A service declares its routes in a table (house style 4) and gets one
 * listener per table:
 *
 *   static void get_session(void *app, const eid_http_request *req,
 *                           eid_http_response *resp)
 *   {
 *           const char *id = eid_http_param(req, "id");
 *           json_t *s = platform_session_json(app, id);  // service call
 *           if (!s) {
 *                   eid_http_error(resp, 404, "no_session", "no session '%s'", id);
 *                   return;
 *           }
 *           eid_http_reply_json(resp, 200, s);            // steals s
 *   }
 *
 *   static const eid_http_route routes[] = {
 *           {"POST", "/v1/sessions",      create_session, 0, 0, 0},
 *           {"GET",  "/v1/sessions/{id}", get_session,    1, 0, 0},
 *   };
 *   eid_http_config cfg = {.name = "platform", .port = 8081, .auth = check_rp};
 *   eid_http_server *srv;
 *   eid_err err;
 *   if (eid_http_server_new(&cfg, routes, 2, app, &srv, &err)) ...
 *   printf("platform listening on %s\n", eid_http_server_url(srv));
 *   ...
 *   eid_http_server_free(srv);
 *
 * What the layer does before a handler runs, in order (each failure answers
 * with the error object below and the handler is not called):
 *   - route: no pattern matches the path -> 404 not_found; a pattern matches
 *     but not with this method -> 405 method_not_allowed with an Allow header.
 *     HEAD is answered by GET routes (without a body).
 *   - auth: for a route whose auth value is not 0, cfg->auth is called with
 *     the headers (no body yet). A refusal answers 401 unauthorized unless the
 *     callback filled resp itself (e.g. 403).
 *   - body cap: route max_body, or when 0 the limits table's HTTP_BODY_BYTES
 *     (routes with auth) / HTTP_BODY_BYTES_UNAUTH (public routes). A
 *     Content-Length over the cap answers 413 payload_too_large before any
 *     body byte is read; a chunked body is refused the moment it passes the
 *     cap and nothing past the cap is ever buffered.
 *   - JSON routes (flags without EID_HTTP_RAW_BODY): a non-empty body must be
 *     Content-Type application/json (415 unsupported_media_type); nesting
 *     deeper than JSON_DEPTH is refused by a scan before parsing (400
 *     json_too_deep); then jansson parses with duplicate keys refused (400
 *     bad_json, the message names line and column). Only arrays and objects
 *     are accepted at the top level.
 * Every response carries X-Request-Id (the client's if it is 1..64 characters
 * of [A-Za-z0-9._-], else 32 random hex digits), X-Content-Type-Options:
 * nosniff and Cache-Control: no-store (unless the handler set its own).
 * 204 and 304 answers never carry a body.
 *
 * Error object (house style 14), stable code plus a message without internals:
 *   {"error":{"code":"payload_too_large","message":"request body exceeds 1024 bytes"}}
 *
 * Logs and metrics never see bodies, query strings, header values or the raw
 * path: they name the route by its pattern ("/v1/sessions/{id}").
 *
 * Threads: handlers run on the server's pool threads (cfg->threads), several
 * at once; app_ctx is shared and the service synchronises it. A request and
 * response belong to one handler call and one thread.
 *
 * Ownership: the server copies cfg and the route table. req and everything
 * reachable from it (params, body, json) are borrowed for the handler call.
 * eid_http_reply_json steals the reference to its json_t; reply_bytes and
 * header_add copy their arguments. eid_http_server_free stops listening,
 * waits for handlers that are running, closes connections and frees; it
 * accepts NULL.
 */
#ifndef EID_HTTP_H
#define EID_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

typedef struct eid_http_server eid_http_server;
typedef struct eid_http_response eid_http_response;

/* What a handler sees of a request. Strings are NUL-terminated and valid for
 * the handler call only. */
typedef struct eid_http_request {
	const char *method;	/* "GET", "POST", ... */
	const char *path;	/* percent-decoded path, without the query */
	const char *route;	/* the matched pattern, e.g. "/v1/sessions/{id}" */
	const char *request_id; /* also sent back as X-Request-Id */
	unsigned auth;		/* the route's auth value */
	const uint8_t *body;	/* NULL when empty; not NUL-terminated */
	size_t body_len;
	json_t *json; /* parsed body (JSON routes with a body), else NULL; borrowed */
	/* Set by cfg->auth to describe the caller (e.g. the relying party); freed
	 * with principal_free (if set) when the request ends. */
	void *principal;
	void (*principal_free)(void *principal);
	void *impl_; /* layer-private */
} eid_http_request;

/* A handler must answer through resp (reply_json, reply_bytes or error); a
 * handler that answers nothing produces 500 internal. */
typedef void (*eid_http_handler)(void *app_ctx, const eid_http_request *req,
				 eid_http_response *resp);

/* Called before the body is read for routes whose auth is not 0: returns
 * EID_OK to let the request through. May set req->principal. To refuse, return
 * any other status; resp stays 401 unauthorized unless filled here. */
typedef eid_status (*eid_http_auth_fn)(void *app_ctx, unsigned auth, eid_http_request *req,
				       eid_http_response *resp);

/* Route flags. */
enum {
	EID_HTTP_RAW_BODY = 1u << 0, /* any content type; the body is not parsed */
};

/* One row of a route table: {method, path, handler, auth, max_body, flags}.
 * Patterns are "/"-separated literal segments and "{name}" segments that match
 * one non-empty segment (names: [a-z_][a-z0-9_]*, at most 8 per pattern).
 * The first row that matches wins: put literal routes before parametrised
 * ones that overlap ("/v1/cards/mine" before "/v1/cards/{id}"). A path with
 * an encoded "/" (%2F) is split after decoding, so it never fills one
 * parameter. /healthz and /metrics are built in and cannot be redefined. */
typedef struct eid_http_route {
	const char *method;
	const char *path;
	eid_http_handler handler;
	unsigned auth;	 /* 0 = public; other values are the service's, passed to cfg->auth */
	size_t max_body; /* 0 = default from the limits table (see the overview) */
	unsigned flags;	 /* EID_HTTP_* */
} eid_http_route;

typedef struct eid_http_config {
	const char *name;      /* "authority", "platform": logs, metrics, /healthz (required) */
	const char *bind;      /* IPv4 or IPv6 literal; NULL = "127.0.0.1" */
	uint16_t port;	       /* 0 = ephemeral (read it back with eid_http_server_port) */
	unsigned threads;      /* handler threads; 0 = number of CPUs (at least 2) */
	eid_http_auth_fn auth; /* required when a route has auth != 0 */
	int quiet;	       /* nonzero: no per-request log line (errors still logged) */
	/* Static web pages: when set, GET "/", "/NAME" (NAME/index.html) and
	 * "/DIR/FILE" are answered from this directory after the service's own
	 * routes, with a strict Content-Security-Policy (src/http/static.c). */
	const char *web_dir;
} eid_http_config;

/* Starts listening. Fails with EID_E_INVALID_ARG for a bad config or route
 * table (the message names the row), EID_E_IO when the address cannot be
 * bound (e.g. "cannot listen on 127.0.0.1:8080: address already in use"). */
EID_MUST_CHECK eid_status eid_http_server_new(const eid_http_config *cfg,
					      const eid_http_route *routes, size_t nroutes,
					      void *app_ctx, eid_http_server **out, eid_err *err);
/* The bound port (the real one when cfg->port was 0). */
uint16_t eid_http_server_port(const eid_http_server *srv);
/* "http://127.0.0.1:PORT" ("http://[::1]:PORT" for IPv6); owned by srv. */
const char *eid_http_server_url(const eid_http_server *srv);
void eid_http_server_free(eid_http_server *srv);

/* Request accessors; NULL when absent. Valid during the handler (or auth)
 * call only. eid_http_query reads one percent-decoded query argument. */
const char *eid_http_param(const eid_http_request *req, const char *name);
const char *eid_http_query(const eid_http_request *req, const char *key);
const char *eid_http_header(const eid_http_request *req, const char *name);

/* Answers with a JSON document (serialised compactly); steals body's
 * reference, NULL means an empty body. Answering again replaces the answer. */
void eid_http_reply_json(eid_http_response *resp, int status, json_t *body);
/* Answers with bytes of the given content type (copied). */
EID_MUST_CHECK eid_status eid_http_reply_bytes(eid_http_response *resp, int status,
					       const char *content_type, const void *data,
					       size_t len);
/* Answers {"error":{"code":code,"message":...}}. code is a stable machine
 * code ([a-z0-9_]); the message follows house style 14 and must not contain
 * internals (paths, SQL, library errors) — it goes to the client only, never
 * to the logs. */
void eid_http_error(eid_http_response *resp, int status, const char *code, const char *fmt, ...)
	EID_PRINTF(4, 5);
/* Answers an error from a service failure: code = eid_status_code(st). For
 * status < 500 the message is err->msg (the client's own input described
 * back to it); for 5xx it is the status summary, never err->msg. */
void eid_http_error_status(eid_http_response *resp, int status, eid_status st, const eid_err *err);
/* Adds a response header (copied). Refuses names that are not tokens, values
 * with control characters, and more than 16 headers. */
EID_MUST_CHECK eid_status eid_http_header_add(eid_http_response *resp, const char *name,
					      const char *value, eid_err *err);

/* Checks that the JSON text nests arrays and objects no deeper than
 * max_depth, by a scan that allocates nothing. EID_E_LIMIT when deeper. */
EID_MUST_CHECK eid_status eid_http_json_check_depth(const uint8_t *text, size_t len,
						    size_t max_depth, eid_err *err);
/* Depth check (JSON_DEPTH) then json_loadb with duplicate keys refused;
 * arrays and objects only. EID_E_FORMAT with line and column on bad JSON. */
EID_MUST_CHECK eid_status eid_http_json_parse(const uint8_t *text, size_t len, json_t **out,
					      eid_err *err);

/* ---- client (libcurl) ---- */

/* One request and its reply. Fill the inputs (zero the rest), run, read the
 * outputs, then eid_http_exchange_release. Outputs are reset by each run. */
typedef struct eid_http_exchange {
	/* in */
	const char *method;	    /* NULL = "GET" */
	const char *url;	    /* http:// or https:// only */
	const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
	const char *content_type;   /* of body; NULL = application/json */
	const uint8_t *body;	    /* NULL = no body */
	size_t body_len;
	double timeout_s; /* whole exchange; 0 = HTTP_TIMEOUT_S */
	size_t max_reply; /* 0 = HTTP_REPLY_BYTES */
	/* out */
	long status;	/* HTTP status */
	uint8_t *reply; /* body, NUL-terminated (not counted) */
	size_t reply_len;
	char *reply_headers; /* raw header block of the final response */
} eid_http_exchange;

/* Runs the exchange. EID_E_IO: cannot connect, timed out, connection broken
 * (the message says which); EID_E_LIMIT: reply larger than max_reply;
 * EID_E_INVALID_ARG: bad URL or method. Any HTTP status is EID_OK. */
EID_MUST_CHECK eid_status eid_http_exchange_run(eid_http_exchange *x, eid_err *err);
/* Value of a reply header (first match, case-insensitive name) copied into
 * buf; NULL when absent or when it does not fit. */
const char *eid_http_exchange_header(const eid_http_exchange *x, const char *name, char *buf,
				     size_t cap);
/* Frees the outputs (the inputs are the caller's). Accepts NULL. */
void eid_http_exchange_release(eid_http_exchange *x);

/* JSON call: sends body (NULL = none) as application/json and parses the
 * reply. *status_out gets the HTTP status whatever it is; *reply_out the
 * parsed reply (NULL for an empty one; caller json_decref's). EID_E_FORMAT
 * when the reply is not JSON; errors as for eid_http_exchange_run. timeout_s
 * 0 = HTTP_TIMEOUT_S. */
EID_MUST_CHECK eid_status eid_http_call(const char *method, const char *url, const json_t *body,
					double timeout_s, long *status_out, json_t **reply_out,
					eid_err *err);
/* The same with extra request headers ("Authorization: Bearer ...";
 * NULL-terminated list, or NULL). */
EID_MUST_CHECK eid_status eid_http_call_headers(const char *method, const char *url,
						const char *const *headers, const json_t *body,
						double timeout_s, long *status_out,
						json_t **reply_out, eid_err *err);

#endif
