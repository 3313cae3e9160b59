/* Private to src/http: the pieces the server, router, JSON I/O and metrics
 * files share. Nothing outside src/http includes this. */
#ifndef EID_HTTP_INTERNAL_H
#define EID_HTTP_INTERNAL_H

#include "eid/http.h"

#include <stdint.h>

#define HTTP_MAX_PARAMS	  8
#define HTTP_MAX_HEADERS  16
#define HTTP_MAX_SEGMENTS 32

/* ---- responses (json.c) ---- */

struct eid_http_response {
	int status; /* 0 = nothing answered yet */
	json_t *json;
	uint8_t *raw;
	size_t raw_len;
	char content_type[128];
	char error_code[64]; /* set by eid_http_error*, logged (codes are not data) */
	size_t nhdr;
	char *hdr_name[HTTP_MAX_HEADERS];
	char *hdr_value[HTTP_MAX_HEADERS];
};

/* Frees what the response holds and zeroes it. */
void http_response_release(eid_http_response *resp);
/* Drops the body and error of an earlier answer (headers are kept). */
void http_response_clear_body(eid_http_response *resp);
/* Serialises the answer into a malloc'd buffer (*data may be NULL when
 * *len is 0) and its content type (NULL for no body). Raw bytes are moved
 * out of resp; the content type stays owned by resp. */
EID_MUST_CHECK eid_status http_response_body(eid_http_response *resp, char **data, size_t *len,
					     const char **content_type);

/* ---- static pages (static.c) ---- */

/* Answers GET /, /{page} and /{dir}/{file} from web_dir (see static.c). */
void http_static_serve(const char *web_dir, const eid_http_request *req, eid_http_response *resp);

/* ---- routing (route.c) ---- */

typedef struct http_seg {
	char *text; /* literal text, or the parameter name */
	size_t len;
	int param;
} http_seg;

typedef struct http_route {
	char *method;
	char *pattern;
	eid_http_handler handler;
	unsigned auth;
	size_t max_body;
	unsigned flags;
	size_t nseg;
	http_seg seg[HTTP_MAX_SEGMENTS];
} http_route;

/* Validates one table row and compiles its pattern. */
EID_MUST_CHECK eid_status http_route_compile(http_route *r, const eid_http_route *row,
					     eid_err *err);
void http_route_release(http_route *r);

typedef struct http_match {
	size_t nparams;
	const char *names[HTTP_MAX_PARAMS];
	const char *values[HTTP_MAX_PARAMS]; /* into store */
	char *store;			     /* malloc'd */
	char allow[128];		     /* for 405: "GET, HEAD, POST" */
	int path_route;			     /* for 405: first pattern matching the path */
} http_match;

/* Finds the route for method and path: its index (>= 0), -1 when no pattern
 * matches the path (404), -2 when patterns match but not the method (405;
 * m->allow and m->path_route are set), -3 when out of memory. */
int http_route_find(const http_route *routes, size_t n, const char *method, const char *path,
		    http_match *m);
void http_match_release(http_match *m);

/* ---- metrics (metrics.c) ---- */

typedef struct http_metrics http_metrics;

/* labels: one route label per route index; nlabels - 1 is "unmatched". */
EID_MUST_CHECK eid_status http_metrics_new(const char *service, const char *const *labels,
					   size_t nlabels, http_metrics **out, eid_err *err);
void http_metrics_free(http_metrics *m);
void http_metrics_enter(http_metrics *m);
void http_metrics_leave(http_metrics *m);
/* Counts one answered request. */
void http_metrics_record(http_metrics *m, size_t label, const char *method, int code,
			 double seconds);
/* Prometheus text format 0.0.4 in a malloc'd buffer. */
EID_MUST_CHECK eid_status http_metrics_render(http_metrics *m, char **text, size_t *len);

#endif
