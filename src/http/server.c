/* The HTTP server: libmicrohttpd glue, request lifecycle, built-in routes.
 *
 * MHD calls on_access several times per request: once when the headers are
 * in (everything that can be refused without the body is refused here: route,
 * auth, Content-Length over the cap, content type), once per chunk of body
 * (appended to a buffer that never grows past the cap), and once at the end
 * (JSON parsing, the handler, the answer). on_done frees the request state
 * whatever happened to the connection. */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eid/limits.h"
#include "eid/log.h"
#include "eid/util.h"

#define NBUILTIN 2

struct eid_http_server {
	char *name;
	char url[96];
	uint16_t port;
	struct MHD_Daemon *daemon;
	http_route *routes; /* built-ins first, then the service's table */
	size_t nroutes;
	http_metrics *metrics;
	void *app;
	eid_http_auth_fn auth;
	int quiet;
	char *web_dir; /* NULL: no static pages */
};

/* State of one request, from its headers to on_done. */
typedef struct call {
	eid_http_server *srv;
	struct MHD_Connection *conn;
	double t0;
	int route;    /* index into srv->routes, -1 when unmatched */
	size_t label; /* metrics route label */
	const char *method_label;
	http_match match;
	eid_http_request req;
	eid_http_response resp;
	uint8_t *body;
	size_t len, cap, limit;
	size_t declared; /* Content-Length (within the cap), 0 if absent */
	int answered;
	char rid[72];
} call;

static const char *method_label(const char *m)
{
	static const char *const known[] = {"GET",    "HEAD",  "POST",	 "PUT",
					    "DELETE", "PATCH", "OPTIONS"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return "OTHER";
}

static int request_id_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n >= 1 && n <= 64;
}

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	static const char want[] = "application/json";
	if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == 0 || *ct == ';';
}

static const char *route_label(const eid_http_server *s, size_t label)
{
	return label < s->nroutes ? s->routes[label].pattern : "unmatched";
}

static void log_request(const call *c, int status, double ms, size_t bytes_out)
{
	const eid_http_server *s = c->srv;
	eid_log_level lv = status >= 500 ? EID_LOG_ERROR : EID_LOG_INFO;
	if (s->quiet && status < 500)
		return;
	eid_log_line l;
	eid_log_begin(&l, lv, s->name, status ? "http.request" : "http.aborted");
	eid_log_str(&l, "method", c->method_label);
	eid_log_str(&l, "route", route_label(s, c->label));
	eid_log_int(&l, "status", status);
	eid_log_num(&l, "duration_ms", ms);
	eid_log_str(&l, "request_id", c->rid);
	eid_log_int(&l, "bytes", (long long)bytes_out);
	eid_log_int(&l, "bytes_in", (long long)c->len);
	if (c->resp.error_code[0])
		eid_log_str(&l, "error", c->resp.error_code);
	eid_log_end(&l);
}

/* Turns c->resp into an MHD response and queues it; counts and logs it. */
static enum MHD_Result answer(call *c)
{
	eid_http_server *s = c->srv;
	eid_http_response *r = &c->resp;
	if (r->status < 200 || r->status > 599) {
		eid_log(EID_LOG_ERROR, s->name, "http.bad_status", "route",
			route_label(s, c->label), NULL);
		eid_http_error(r, 500, "internal", "internal error");
	}
	if (r->status == 204 || r->status == 304)
		http_response_clear_body(r); /* these statuses have no body */
	char *data;
	size_t len;
	const char *ctype;
	if (http_response_body(r, &data, &len, &ctype) != EID_OK) {
		eid_http_error(r, 500, "internal", "internal error");
		if (http_response_body(r, &data, &len, &ctype) != EID_OK) {
			data = NULL;
			len = 0;
			ctype = NULL;
		}
	}
	struct MHD_Response *mr =
		data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
		     : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!mr) {
		free(data);
		return MHD_NO;
	}
	int ok = 1;
	if (ctype)
		ok &= MHD_add_response_header(mr, "Content-Type", ctype) == MHD_YES;
	ok &= MHD_add_response_header(mr, "X-Request-Id", c->rid) == MHD_YES;
	ok &= MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff") == MHD_YES;
	int own_cache = 0;
	for (size_t i = 0; i < r->nhdr; i++) {
		ok &= MHD_add_response_header(mr, r->hdr_name[i], r->hdr_value[i]) == MHD_YES;
		own_cache |= strcasecmp(r->hdr_name[i], "Cache-Control") == 0;
	}
	/* answers carry personal data unless the handler says otherwise
	 * (e.g. static web assets) */
	if (!own_cache)
		ok &= MHD_add_response_header(mr, "Cache-Control", "no-store") == MHD_YES;

	int status = ok ? r->status : 500;
	double ms = eid_now_ms() - c->t0;
	http_metrics_record(s->metrics, c->label, c->method_label, status, ms / 1000.0);
	http_metrics_leave(s->metrics);
	c->answered = 1;
	log_request(c, status, ms, len);

	enum MHD_Result ret = MHD_queue_response(c->conn, (unsigned)status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result refuse(call *c, int status, const char *code, const char *msg)
{
	eid_http_error(&c->resp, status, code, "%s", msg);
	return answer(c);
}

/* ---- built-in routes ---- */

static void healthz(void *app, const eid_http_request *req, eid_http_response *resp)
{
	const call *c = req->impl_;
	eid_http_reply_json(resp, 200,
			    json_pack("{s:s,s:s}", "status", "ok", "service", c->srv->name));
}

static void metrics(void *app, const eid_http_request *req, eid_http_response *resp)
{
	const call *c = req->impl_;
	char *text;
	size_t len;
	if (http_metrics_render(c->srv->metrics, &text, &len) != EID_OK) {
		eid_http_error(resp, 500, "internal", "internal error");
		return;
	}
	http_response_clear_body(resp);
	resp->raw = (uint8_t *)text;
	resp->raw_len = len;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
		 "text/plain; version=0.0.4; charset=utf-8");
	resp->status = 200;
}

static void web(void *app, const eid_http_request *req, eid_http_response *resp)
{
	const call *c = req->impl_;
	http_static_serve(c->srv->web_dir, req, resp);
}

static const eid_http_route builtin[NBUILTIN] = {
	{"GET", "/healthz", healthz, 0, 1024, EID_HTTP_RAW_BODY},
	{"GET", "/metrics", metrics, 0, 1024, EID_HTTP_RAW_BODY},
};

/* after the service's routes, so that its own always win */
#define NWEB 3
static const eid_http_route web_routes[NWEB] = {
	{"GET", "/", web, 0, 1024, EID_HTTP_RAW_BODY},
	{"GET", "/{page}", web, 0, 1024, EID_HTTP_RAW_BODY},
	{"GET", "/{dir}/{file}", web, 0, 1024, EID_HTTP_RAW_BODY},
};

/* ---- request lifecycle ---- */

static enum MHD_Result on_headers(call *c, const char *url, const char *method)
{
	eid_http_server *s = c->srv;
	const char *rid = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "X-Request-Id");
	if (rid && request_id_ok(rid)) {
		snprintf(c->rid, sizeof(c->rid), "%s", rid);
	} else {
		uint8_t rnd[16];
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(c->rid, sizeof(c->rid), rnd, sizeof(rnd));
	}
	c->req.method = method;
	c->req.path = url;
	c->req.request_id = c->rid;
	c->req.impl_ = c;

	c->route = http_route_find(s->routes, s->nroutes, method, url, &c->match);
	if (c->route == -3)
		return refuse(c, 500, "internal", "internal error");
	if (c->route == -1)
		return refuse(c, 404, "not_found", "no route for this path");
	if (c->route == -2) {
		c->label = (size_t)c->match.path_route;
		eid_http_error(&c->resp, 405, "method_not_allowed",
			       "method '%.16s' is not allowed here (allowed: %s)", method,
			       c->match.allow);
		if (eid_http_header_add(&c->resp, "Allow", c->match.allow, NULL) != EID_OK)
			eid_http_error(&c->resp, 500, "internal", "internal error");
		return answer(c);
	}
	const http_route *r = &s->routes[c->route];
	c->label = (size_t)c->route;
	c->req.route = r->pattern;
	c->req.auth = r->auth;

	if (r->auth) {
		eid_status st = s->auth(s->app, r->auth, &c->req, &c->resp);
		if (st != EID_OK) {
			if (c->resp.status == 0)
				eid_http_error(&c->resp, 401, "unauthorized",
					       "missing or invalid credentials");
			return answer(c);
		}
		/* an accepting callback's answer is not the handler's */
		http_response_release(&c->resp);
	}

	c->limit = r->max_body ? r->max_body
			       : (size_t)eid_limit(r->auth ? EID_LIMIT_HTTP_BODY_BYTES
							   : EID_LIMIT_HTTP_BODY_BYTES_UNAUTH);
	const char *cl = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Length");
	const char *te = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Transfer-Encoding");
	unsigned long long declared = 0;
	if (cl) {
		char *end;
		errno = 0;
		declared = strtoull(cl, &end, 10);
		if (errno || end == cl)
			declared = (unsigned long long)-1;
	}
	if (declared > c->limit) {
		eid_http_error(&c->resp, 413, "payload_too_large", "request body exceeds %zu bytes",
			       c->limit);
		return answer(c);
	}
	c->declared = (size_t)declared;
	if (!(r->flags & EID_HTTP_RAW_BODY) && (declared > 0 || te)) {
		const char *ct =
			MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type");
		if (!is_json_type(ct)) {
			eid_http_error(&c->resp, 415, "unsupported_media_type",
				       "content type '%.64s' is not application/json",
				       ct ? ct : "");
			return answer(c);
		}
	}
	return MHD_YES;
}

static enum MHD_Result on_data(call *c, const char *data, size_t n)
{
	if (n > c->limit - c->len) {
		/* Refuse now: the body past the cap is neither buffered nor read. */
		eid_http_error(&c->resp, 413, "payload_too_large", "request body exceeds %zu bytes",
			       c->limit);
		if (answer(c) != MHD_YES)
			return MHD_NO; /* MHD cannot answer mid-body: close the connection */
		return MHD_YES;
	}
	if (c->len + n > c->cap) {
		/* the declared length at once, else doubling; never past the cap */
		size_t cap = c->cap ? c->cap : c->declared ? c->declared : 4096;
		if (cap > c->limit)
			cap = c->limit;
		while (cap < c->len + n)
			cap = cap > c->limit / 2 ? c->limit : 2 * cap;
		uint8_t *b = realloc(c->body, cap);
		if (!b)
			return MHD_NO;
		c->body = b;
		c->cap = cap;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	return MHD_YES;
}

static enum MHD_Result on_complete(call *c)
{
	eid_http_server *s = c->srv;
	const http_route *r = &s->routes[c->route];
	c->req.body = c->len ? c->body : NULL;
	c->req.body_len = c->len;
	if (c->len && !(r->flags & EID_HTTP_RAW_BODY)) {
		const char *ct =
			MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type");
		if (!is_json_type(ct)) {
			eid_http_error(&c->resp, 415, "unsupported_media_type",
				       "content type '%.64s' is not application/json",
				       ct ? ct : "");
			return answer(c);
		}
		eid_err err;
		eid_status st = eid_http_json_parse(c->body, c->len, &c->req.json, &err);
		if (st == EID_E_LIMIT)
			return refuse(c, 400, "json_too_deep", err.msg);
		if (st == EID_E_FORMAT)
			return refuse(c, 400, "bad_json", err.msg);
		if (st)
			return refuse(c, 500, "internal", "internal error");
	}
	r->handler(s->app, &c->req, &c->resp);
	if (c->resp.status == 0) {
		eid_log(EID_LOG_ERROR, s->name, "http.no_answer", "route", r->pattern, NULL);
		eid_http_error(&c->resp, 500, "internal", "internal error");
	}
	return answer(c);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	eid_http_server *s = cls;
	call *c = *con_cls;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		c->srv = s;
		c->conn = conn;
		c->t0 = eid_now_ms();
		c->route = -1;
		c->label = s->nroutes;
		c->method_label = method_label(method);
		http_metrics_enter(s->metrics);
		return on_headers(c, url, method);
	}
	if (c->answered) {
		*upload_data_size = 0; /* discard whatever MHD still hands over */
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		return on_data(c, upload_data, n);
	}
	return on_complete(c);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	eid_http_server *s = cls;
	call *c = *con_cls;
	if (!c)
		return;
	*con_cls = NULL;
	if (!c->answered) {
		http_metrics_leave(s->metrics);
		log_request(c, 0, eid_now_ms() - c->t0, 0);
	}
	if (c->req.principal && c->req.principal_free)
		c->req.principal_free(c->req.principal);
	json_decref(c->req.json);
	free(c->body);
	http_match_release(&c->match);
	http_response_release(&c->resp);
	free(c);
}

/* ---- request accessors ---- */

const char *eid_http_param(const eid_http_request *req, const char *name)
{
	const call *c = req->impl_;
	for (size_t i = 0; i < c->match.nparams; i++)
		if (strcmp(c->match.names[i], name) == 0)
			return c->match.values[i];
	return NULL;
}

const char *eid_http_query(const eid_http_request *req, const char *key)
{
	const call *c = req->impl_;
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *eid_http_header(const eid_http_request *req, const char *name)
{
	const call *c = req->impl_;
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

/* ---- server ---- */

static int name_ok(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
		      s[n] == '-'))
			return 0;
	return n >= 1 && n <= 32;
}

/* Binds and listens, so that errors name their cause (MHD would only say
 * that it failed). */
static eid_status open_listener(const char *bind_addr, uint16_t port, int *fd_out, int *v6_out,
				uint16_t *port_out, eid_err *err)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int v6 = 0;
	if (inet_pton(AF_INET, bind_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		slen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		slen = sizeof(*a6);
		v6 = 1;
	} else {
		return eid_fail(err, EID_E_INVALID_ARG,
				"bad bind address '%.64s' (want an IPv4 or IPv6 literal)",
				bind_addr);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return eid_fail(err, EID_E_IO, "cannot listen on %s:%u: %s", bind_addr, port,
				strerror(errno));
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, 128) != 0) {
		int e = errno;
		close(fd);
		return eid_fail(err, EID_E_IO, "cannot listen on %s:%u: %s", bind_addr, port,
				strerror(e));
	}
	slen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) != 0) {
		int e = errno;
		close(fd);
		return eid_fail(err, EID_E_IO, "cannot listen on %s:%u: %s", bind_addr, port,
				strerror(e));
	}
	*port_out = ntohs(v6 ? a6->sin6_port : a4->sin_port);
	*fd_out = fd;
	*v6_out = v6;
	return EID_OK;
}

eid_status eid_http_server_new(const eid_http_config *cfg, const eid_http_route *routes,
			       size_t nroutes, void *app_ctx, eid_http_server **out, eid_err *err)
{
	*out = NULL;
	if (!cfg || !name_ok(cfg->name))
		return eid_fail(err, EID_E_INVALID_ARG,
				"bad server name '%.40s' (want 1 to 32 of [a-z0-9_-])",
				cfg && cfg->name ? cfg->name : "");
	if (nroutes && !routes)
		return eid_fail(err, EID_E_INVALID_ARG, "server '%s': %zu routes but no table",
				cfg->name, nroutes);
	if (nroutes > 4096)
		return eid_fail(err, EID_E_INVALID_ARG, "server '%s': %zu routes (max 4096)",
				cfg->name, nroutes);
	if (cfg->threads > 256)
		return eid_fail(err, EID_E_INVALID_ARG, "server '%s': %u threads (max 256)",
				cfg->name, cfg->threads);
	if (sodium_init() < 0)
		return eid_fail(err, EID_E_INTERNAL, "server '%s': libsodium failed to start",
				cfg->name);

	eid_http_server *s = calloc(1, sizeof(*s));
	if (!s)
		return eid_fail(err, EID_E_NOMEM, "server '%s': out of memory", cfg->name);
	s->app = app_ctx;
	s->auth = cfg->auth;
	s->quiet = cfg->quiet;
	s->name = strdup(cfg->name);
	s->web_dir = cfg->web_dir ? strdup(cfg->web_dir) : NULL;
	const size_t nweb = cfg->web_dir ? NWEB : 0, total = NBUILTIN + nroutes + nweb;
	s->routes = calloc(total, sizeof(*s->routes));
	const char **labels = calloc(total + 1, sizeof(*labels));
	eid_status st = EID_OK;
	if (!s->name || !s->routes || !labels || (cfg->web_dir && !s->web_dir)) {
		st = eid_fail(err, EID_E_NOMEM, "server '%s': out of memory", cfg->name);
		goto fail;
	}
	for (size_t i = 0; i < total; i++) {
		const eid_http_route *row = i < NBUILTIN	   ? &builtin[i]
					    : i < NBUILTIN + nroutes ? &routes[i - NBUILTIN]
								     : &web_routes[i - NBUILTIN - nroutes];
		st = http_route_compile(&s->routes[i], row, err);
		if (st)
			goto fail;
		s->nroutes = i + 1;
		const http_route *r = &s->routes[i];
		if (r->auth && !cfg->auth) {
			st = eid_fail(
				err, EID_E_INVALID_ARG,
				"route '%s %s' needs auth but the config has no auth callback",
				r->method, r->pattern);
			goto fail;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->routes[k].method, r->method) == 0 &&
			    strcmp(s->routes[k].pattern, r->pattern) == 0) {
				st = eid_fail(err, EID_E_INVALID_ARG, "route '%s %s' %s", r->method,
					      r->pattern,
					      k < NBUILTIN ? "is built in" : "appears twice");
				goto fail;
			}
		labels[i] = r->pattern;
	}
	labels[s->nroutes] = "unmatched";
	st = http_metrics_new(s->name, labels, s->nroutes + 1, &s->metrics, err);
	if (st)
		goto fail;

	const char *bind_addr = cfg->bind ? cfg->bind : "127.0.0.1";
	int fd = -1, v6 = 0;
	st = open_listener(bind_addr, cfg->port, &fd, &v6, &s->port, err);
	if (st)
		goto fail;
	snprintf(s->url, sizeof(s->url), v6 ? "http://[%s]:%u" : "http://%s:%u", bind_addr,
		 (unsigned)s->port);

	unsigned threads = cfg->threads;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n < 2 ? 2 : n > 64 ? 64 : (unsigned)n;
	}
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_access, s, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)eid_limit(EID_LIMIT_HTTP_TIMEOUT_S),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)eid_limit(EID_LIMIT_HTTP_CONNECTIONS),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)eid_limit(EID_LIMIT_HTTP_HEADER_BYTES),
		MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_THREAD_POOL_SIZE,
		threads > 1 ? threads : 0, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		st = eid_fail(err, EID_E_IO, "cannot start the http server on %s:%u", bind_addr,
			      (unsigned)s->port);
		goto fail;
	}
	free(labels);
	eid_log(EID_LOG_INFO, s->name, "http.listening", "url", s->url, NULL);
	*out = s;
	return EID_OK;
fail:
	free(labels);
	eid_http_server_free(s);
	return st;
}

uint16_t eid_http_server_port(const eid_http_server *srv)
{
	return srv->port;
}

const char *eid_http_server_url(const eid_http_server *srv)
{
	return srv->url;
}

void eid_http_server_free(eid_http_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon) {
		/* Joins the pool threads (a running handler finishes first), then
		 * closes every connection; on_done frees their requests. */
		MHD_stop_daemon(srv->daemon);
		eid_log(EID_LOG_INFO, srv->name, "http.stopped", NULL);
	}
	for (size_t i = 0; i < srv->nroutes; i++)
		http_route_release(&srv->routes[i]);
	free(srv->routes);
	http_metrics_free(srv->metrics);
	free(srv->name);
	free(srv->web_dir);
	free(srv);
}
