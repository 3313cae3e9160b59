/* Tests of src/http/server.c, route.c, json.c and metrics.c through a real
 * server on 127.0.0.1 (ephemeral port), driven by the libcurl client and by
 * raw sockets where curl would be too polite (chunked bodies, bad framing). */
#include "eid/http.h"
#include "eid/limits.h"
#include "eid/log.h"
#include "eid/util.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the service under test ---- */

typedef struct app {
	atomic_int small_calls; /* the 1 KiB route's handler runs */
	atomic_int slow_calls;
} app;

static app the_app;

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void h_item(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	const char *q = eid_http_query(req, "x"), *h = eid_http_header(req, "X-Test");
	eid_http_reply_json(resp, 200,
			    json_pack("{s:s,s:s?,s:s?,s:s}", "id", eid_http_param(req, "id"), "x",
				      q, "h", h, "route", req->route));
}

static void h_mine(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_http_reply_json(resp, 200, json_pack("{s:s}", "mine", "yes"));
}

static void h_delete(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	/* a body given with 204 is dropped; a handler's Cache-Control wins */
	eid_http_reply_json(resp, 204, json_pack("{s:s}", "ignored", "yes"));
	if (eid_http_header_add(resp, "Cache-Control", "max-age=60", NULL) != EID_OK)
		eid_http_error(resp, 500, "internal", "internal error");
}

static void h_tag(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_http_reply_json(resp, 200,
			    json_pack("{s:s,s:s,s:o}", "id", eid_http_param(req, "id"), "tag",
				      eid_http_param(req, "tag"), "missing",
				      eid_http_param(req, "nope") ? json_true() : json_false()));
}

static void h_echo(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	if (!req->json) {
		eid_http_error(resp, 400, "no_body", "a json body is required");
		return;
	}
	eid_http_reply_json(resp, 200, json_incref(req->json));
}

static void h_small(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	app *a = ctx;
	atomic_fetch_add(&a->small_calls, 1);
	h_echo(ctx, req, resp);
}

static void h_raw(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%zu bytes", req->body_len);
	if (eid_http_reply_bytes(resp, 200, "text/plain", buf, strlen(buf)) != EID_OK)
		return;
	if (eid_http_header_add(resp, "X-Body-Len", buf, NULL) != EID_OK)
		eid_http_error(resp, 500, "internal", "internal error");
}

static void h_slow(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	app *a = ctx;
	atomic_fetch_add(&a->slow_calls, 1);
	sleep_ms(300);
	eid_http_reply_json(resp, 200, json_pack("{s:b}", "slow", 1));
}

static void h_silent(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
}

static void h_fail(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_err err;
	eid_status st = eid_fail(&err, EID_E_IO, "cannot open '/var/lib/eid/secret.db': denied");
	eid_http_error_status(resp, 500, st, &err);
}

static void h_bad_input(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_err err;
	eid_status st = eid_fail(&err, EID_E_INVALID_ARG, "field 'level' is 'gold' (want full)");
	eid_http_error_status(resp, 400, st, &err);
}

static void h_private(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_http_reply_json(resp, 200, json_pack("{s:s}", "caller", (const char *)req->principal));
}

static eid_status check_auth(void *ctx, unsigned auth, eid_http_request *req,
			     eid_http_response *resp)
{
	const char *a = eid_http_header(req, "Authorization");
	if (!a)
		return EID_E_INVALID_ARG; /* the layer answers 401 */
	if (strcmp(a, "Bearer good") != 0) {
		eid_http_error(resp, 403, "forbidden", "credentials refused");
		return EID_E_INVALID_ARG;
	}
	req->principal = strdup("hotel-1");
	req->principal_free = free;
	return EID_OK;
}

static const eid_http_route routes[] = {
	{"GET", "/v1/items/mine", h_mine, 0, 0, 0},
	{"GET", "/v1/items/{id}", h_item, 0, 0, 0},
	{"DELETE", "/v1/items/{id}", h_delete, 0, 0, 0},
	{"PUT", "/v1/items/{id}/tags/{tag}", h_tag, 0, 0, 0},
	{"POST", "/v1/echo", h_echo, 0, 0, 0},
	{"POST", "/v1/small", h_small, 0, 1024, 0},
	{"PATCH", "/v1/small", h_small, 0, 1024, 0},
	{"POST", "/v1/raw", h_raw, 0, 0, EID_HTTP_RAW_BODY},
	{"GET", "/v1/slow", h_slow, 0, 0, 0},
	{"GET", "/v1/silent", h_silent, 0, 0, 0},
	{"GET", "/v1/fail", h_fail, 0, 0, 0},
	{"GET", "/v1/bad", h_bad_input, 0, 0, 0},
	{"POST", "/v1/private", h_private, 1, 0, 0},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static void quiet_logs(void)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	eid_log_set_output(devnull);
}

static eid_http_server *start(const char *name, unsigned threads)
{
	quiet_logs();
	eid_http_config cfg = {.name = name, .threads = threads, .auth = check_auth};
	eid_http_server *srv = NULL;
	eid_err err = {{0}};
	eid_status st = eid_http_server_new(&cfg, routes, NROUTES, &the_app, &srv, &err);
	if (st)
		fprintf(stderr, "  server: %s\n", err.msg);
	return srv;
}

/* ---- client helpers ---- */

typedef struct reply {
	long status;
	json_t *json;
	char text[16384];
	char rid[80], allow[80], ctype[80], cache[80];
} reply;

static int do_req(eid_http_server *srv, const char *method, const char *path, const char *ctype,
		  const char *body, const char *const *headers, reply *r)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(srv), path);
	eid_http_exchange x = {.method = method,
			       .url = url,
			       .headers = headers,
			       .content_type = ctype,
			       .body = (const uint8_t *)body,
			       .body_len = body ? strlen(body) : 0,
			       .timeout_s = 5};
	memset(r, 0, sizeof(*r));
	eid_err err = {{0}};
	if (eid_http_exchange_run(&x, &err) != EID_OK) {
		fprintf(stderr, "  %s %s: %s\n", method, path, err.msg);
		return -1;
	}
	r->status = x.status;
	snprintf(r->text, sizeof(r->text), "%s", x.reply ? (char *)x.reply : "");
	if (x.reply_len)
		r->json = json_loadb((const char *)x.reply, x.reply_len, 0, NULL);
	if (!eid_http_exchange_header(&x, "X-Request-Id", r->rid, sizeof(r->rid)))
		r->rid[0] = 0;
	if (!eid_http_exchange_header(&x, "Allow", r->allow, sizeof(r->allow)))
		r->allow[0] = 0;
	if (!eid_http_exchange_header(&x, "Content-Type", r->ctype, sizeof(r->ctype)))
		r->ctype[0] = 0;
	if (!eid_http_exchange_header(&x, "Cache-Control", r->cache, sizeof(r->cache)))
		r->cache[0] = 0;
	eid_http_exchange_release(&x);
	return 0;
}

static const char *jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s ? s : "";
}

static const char *err_code(const reply *r)
{
	return jstr(json_object_get(r->json, "error"), "code");
}

static const char *err_msg(const reply *r)
{
	return jstr(json_object_get(r->json, "error"), "message");
}

/* Sends raw bytes on a fresh connection and reads the reply until the
 * server closes or 3 s pass. Returns the status code (0 if none). */
static int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	struct timeval tv = {3, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int raw_read_status(int fd, char *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		ssize_t k = recv(fd, out + n, cap - 1 - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n + 1 >= cap)
			break;
	}
	out[n] = 0;
	int status = 0;
	if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	return status;
}

/* ---- tests ---- */

static void test_routing_params(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	const char *hdr[] = {"X-Test: hello", NULL};
	REQUIRE(do_req(srv, "GET", "/v1/items/abc-123?x=a%20b", NULL, NULL, hdr, &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(jstr(r.json, "id"), "abc-123") == 0);
	CHECK(strcmp(jstr(r.json, "x"), "a b") == 0);
	CHECK(strcmp(jstr(r.json, "h"), "hello") == 0);
	CHECK(strcmp(jstr(r.json, "route"), "/v1/items/{id}") == 0);
	CHECK(strncmp(r.ctype, "application/json", 16) == 0);
	json_decref(r.json);

	/* the literal row comes first in the table and wins */
	REQUIRE(do_req(srv, "GET", "/v1/items/mine", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 200 && strcmp(jstr(r.json, "mine"), "yes") == 0);
	json_decref(r.json);

	REQUIRE(do_req(srv, "PUT", "/v1/items/7/tags/red", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(jstr(r.json, "id"), "7") == 0 && strcmp(jstr(r.json, "tag"), "red") == 0);
	CHECK(json_is_false(json_object_get(r.json, "missing")));
	json_decref(r.json);

	REQUIRE(do_req(srv, "DELETE", "/v1/items/7", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 204 && r.text[0] == 0);
	CHECK(strcmp(r.cache, "max-age=60") == 0);
	REQUIRE(do_req(srv, "GET", "/v1/items/7", NULL, NULL, NULL, &r) == 0);
	CHECK(strcmp(r.cache, "no-store") == 0);
	json_decref(r.json);

	/* HEAD is answered by the GET route, without a body */
	REQUIRE(do_req(srv, "HEAD", "/v1/items/7", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 200 && r.text[0] == 0);
	eid_http_server_free(srv);
}

static void test_not_found(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	static const char *const paths[] = {
		"/nope",	 "/v1/items", "/v1/items/", "/v1/items//x",
		"/v1/items/a/b", "/healthz/", "/"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		reply r;
		REQUIRE(do_req(srv, "GET", paths[i], NULL, NULL, NULL, &r) == 0);
		CHECK(r.status == 404);
		CHECK(strcmp(err_code(&r), "not_found") == 0);
		CHECK(r.rid[0] != 0);
		json_decref(r.json);
	}
	/* an encoded slash is decoded before splitting: never one parameter */
	reply r;
	REQUIRE(do_req(srv, "GET", "/v1/items/a%2Fb", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 404);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void test_method_not_allowed(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	REQUIRE(do_req(srv, "POST", "/v1/items/9", "application/json", "{}", NULL, &r) == 0);
	CHECK(r.status == 405);
	CHECK(strcmp(err_code(&r), "method_not_allowed") == 0);
	CHECK(strcmp(r.allow, "GET, HEAD, DELETE") == 0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "GET", "/v1/echo", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 405 && strcmp(r.allow, "POST") == 0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "BREW", "/healthz", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 405 && strcmp(r.allow, "GET, HEAD") == 0);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void test_json_echo(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	const char *doc = "{\"name\":\"\xe5\xbc\xa0\xe4\xb8\x89\",\"n\":[1,2.5,-3,true,null],"
			  "\"o\":{\"a\":{\"b\":\"c\\\"d\"}}}";
	reply r;
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json; charset=utf-8", doc, NULL, &r) ==
		0);
	CHECK(r.status == 200);
	json_t *want = json_loads(doc, 0, NULL);
	CHECK(r.json && json_equal(r.json, want));
	json_decref(want);
	json_decref(r.json);

	/* an empty body reaches the handler with json NULL */
	REQUIRE(do_req(srv, "POST", "/v1/echo", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 400 && strcmp(err_code(&r), "no_body") == 0);
	json_decref(r.json);

	/* raw routes take any content type and see the bytes */
	REQUIRE(do_req(srv, "POST", "/v1/raw", "image/jpeg", "\xff\xd8\xff\xe0 not json", NULL,
		       &r) == 0);
	CHECK(r.status == 200 && strcmp(r.text, "13 bytes") == 0);
	CHECK(strcmp(r.ctype, "text/plain") == 0);
	eid_http_server_free(srv);
}

static void test_body_too_large(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	atomic_store(&the_app.small_calls, 0);
	size_t big = 10u << 20;
	char *body = malloc(big + 1);
	REQUIRE(body);
	memset(body, ' ', big);
	body[0] = '[';
	body[big - 1] = ']';
	body[big] = 0;

	/* within the cap: accepted */
	reply r;
	char ok[1000];
	memset(ok, ' ', sizeof(ok) - 1);
	ok[0] = '[', ok[sizeof(ok) - 2] = ']', ok[sizeof(ok) - 1] = 0;
	REQUIRE(do_req(srv, "POST", "/v1/small", "application/json", ok, NULL, &r) == 0);
	CHECK(r.status == 200);
	json_decref(r.json);
	CHECK(atomic_load(&the_app.small_calls) == 1);

	/* 10 MB with Content-Length through curl (which waits for 100 Continue) */
	double t0 = eid_now_ms();
	REQUIRE(do_req(srv, "POST", "/v1/small", "application/json", body, NULL, &r) == 0);
	double ms = eid_now_ms() - t0;
	CHECK(r.status == 413);
	CHECK(strcmp(err_code(&r), "payload_too_large") == 0);
	CHECK(strstr(err_msg(&r), "1024 bytes") != NULL);
	CHECK(ms < 1500);
	json_decref(r.json);

	/* 10 MB with Content-Length, sent blindly on a raw socket: the answer
	 * comes before the body is read */
	int fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	char head[256], out[4096];
	snprintf(head, sizeof(head),
		 "POST /v1/small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 big);
	t0 = eid_now_ms();
	CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	size_t sent = 0;
	while (sent < big) {
		ssize_t k = send(fd, body + sent, 65536, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		sent += (size_t)k;
	}
	int status = raw_read_status(fd, out, sizeof(out));
	ms = eid_now_ms() - t0;
	close(fd);
	CHECK(status == 413);
	CHECK(sent < big); /* the server stopped reading */
	CHECK(ms < 1500);

	/* chunked: no size up front, refused as the cap is passed */
	fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	snprintf(head, sizeof(head),
		 "POST /v1/small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n");
	t0 = eid_now_ms();
	CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	sent = 0;
	while (sent < big) {
		char chunk[16 + 4096];
		int n = snprintf(chunk, 16, "1000\r\n");
		memset(chunk + n, ' ', 4096);
		memcpy(chunk + n + 4096, "\r\n", 2);
		ssize_t k = send(fd, chunk, (size_t)n + 4098, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		sent += 4096;
	}
	status = raw_read_status(fd, out, sizeof(out));
	ms = eid_now_ms() - t0;
	close(fd);
	CHECK(status == 413 || status == 0); /* 413, or closed when MHD cannot answer mid-body */
	CHECK(sent < big);
	CHECK(ms < 1500);

	/* other methods with a body are refused the same way */
	REQUIRE(do_req(srv, "PATCH", "/v1/small", "application/json", body, NULL, &r) == 0);
	CHECK(r.status == 413);
	json_decref(r.json);
	fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	snprintf(head, sizeof(head),
		 "PATCH /v1/small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 big);
	CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	sent = 0;
	while (sent < big) {
		ssize_t k = send(fd, body + sent, 65536, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		sent += (size_t)k;
	}
	status = raw_read_status(fd, out, sizeof(out));
	close(fd);
	CHECK(status == 413);
	CHECK(sent < big);

	CHECK(atomic_load(&the_app.small_calls) == 1);
	free(body);
	eid_http_server_free(srv);
}

static void test_bad_json(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", "{\"a\":\n [1,2,}", NULL, &r) ==
		0);
	CHECK(r.status == 400);
	CHECK(strcmp(err_code(&r), "bad_json") == 0);
	CHECK(strstr(err_msg(&r), "line 2") != NULL);
	json_decref(r.json);

	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", "\"just a string\"", NULL,
		       &r) == 0);
	CHECK(r.status == 400 && strcmp(err_code(&r), "bad_json") == 0);
	json_decref(r.json);

	/* depth 32 passes, 33 is refused before parsing */
	char deep[200];
	for (int depth = 32; depth <= 33; depth++) {
		size_t n = 0;
		for (int i = 0; i < depth; i++)
			deep[n++] = '[';
		for (int i = 0; i < depth; i++)
			deep[n++] = ']';
		deep[n] = 0;
		REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", deep, NULL, &r) == 0);
		if (depth == 32) {
			CHECK(r.status == 200);
		} else {
			CHECK(r.status == 400);
			CHECK(strcmp(err_code(&r), "json_too_deep") == 0);
		}
		json_decref(r.json);
	}
	/* brackets inside strings do not count */
	char str[200];
	snprintf(str, sizeof(str), "{\"k\":\"%s\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", str, NULL, &r) == 0);
	CHECK(r.status == 200);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void test_duplicate_keys(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", "{\"a\":1,\"a\":2}", NULL,
		       &r) == 0);
	CHECK(r.status == 400);
	CHECK(strcmp(err_code(&r), "bad_json") == 0);
	CHECK(strstr(err_msg(&r), "duplicate") != NULL);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void test_wrong_content_type(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	static const char *const types[] = {"text/plain", "application/jsonx",
					    "application/x-www-form-urlencoded"};
	for (size_t i = 0; i < 3; i++) {
		reply r;
		REQUIRE(do_req(srv, "POST", "/v1/echo", types[i], "{}", NULL, &r) == 0);
		CHECK(r.status == 415);
		CHECK(strcmp(err_code(&r), "unsupported_media_type") == 0);
		json_decref(r.json);
	}
	eid_http_server_free(srv);
}

static void test_healthz(void)
{
	eid_http_server *srv = start("authority", 2);
	REQUIRE(srv);
	CHECK(strncmp(eid_http_server_url(srv), "http://127.0.0.1:", 17) == 0);
	CHECK(eid_http_server_port(srv) != 0);
	long status;
	json_t *j;
	eid_err err = {{0}};
	char url[128];
	snprintf(url, sizeof(url), "%s/healthz", eid_http_server_url(srv));
	CHECK_OK(eid_http_call("GET", url, NULL, 5, &status, &j, &err));
	CHECK(status == 200);
	CHECK(strcmp(jstr(j, "status"), "ok") == 0);
	CHECK(strcmp(jstr(j, "service"), "authority") == 0);
	json_decref(j);
	eid_http_server_free(srv);
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return 1;
	return 0;
}

static void test_metrics(void)
{
	eid_http_server *srv = start("platform", 2);
	REQUIRE(srv);
	reply r;
	for (int i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/v1/items/id%d", i);
		REQUIRE(do_req(srv, "GET", path, NULL, NULL, NULL, &r) == 0);
		json_decref(r.json);
	}
	REQUIRE(do_req(srv, "GET", "/nowhere", NULL, NULL, NULL, &r) == 0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", "[1]", NULL, &r) == 0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", "[1", NULL, &r) == 0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "GET", "/metrics", NULL, NULL, NULL, &r) == 0);
	REQUIRE(do_req(srv, "GET", "/metrics", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 200);
	CHECK(strcmp(r.ctype, "text/plain; version=0.0.4; charset=utf-8") == 0);
	const char *t = r.text;
	CHECK(has_line(t, "# TYPE eid_http_requests_total counter"));
	CHECK(has_line(t, "eid_http_requests_total{service=\"platform\",route=\"/v1/items/{id}\","
			  "method=\"GET\",code=\"200\"} 3"));
	CHECK(has_line(t, "eid_http_requests_total{service=\"platform\",route=\"unmatched\","
			  "method=\"GET\",code=\"404\"} 1"));
	CHECK(has_line(t, "eid_http_requests_total{service=\"platform\",route=\"/v1/echo\","
			  "method=\"POST\",code=\"200\"} 1"));
	CHECK(has_line(t, "eid_http_requests_total{service=\"platform\",route=\"/v1/echo\","
			  "method=\"POST\",code=\"400\"} 1"));
	/* the first scrape is counted, the one being answered is not yet */
	CHECK(has_line(t, "eid_http_requests_total{service=\"platform\",route=\"/metrics\","
			  "method=\"GET\",code=\"200\"} 1"));
	CHECK(has_line(t, "# TYPE eid_http_request_duration_seconds histogram"));
	CHECK(has_line(t, "eid_http_request_duration_seconds_bucket{service=\"platform\","
			  "route=\"/v1/items/{id}\",le=\"+Inf\"} 3"));
	CHECK(has_line(t, "eid_http_request_duration_seconds_count{service=\"platform\","
			  "route=\"/v1/items/{id}\"} 3"));
	CHECK(strstr(t, "eid_http_request_duration_seconds_bucket{service=\"platform\","
			"route=\"/v1/echo\",le=\"0.005\"}") != NULL);
	CHECK(strstr(t, "le=\"10\"}") != NULL);
	CHECK(has_line(t, "# TYPE eid_http_in_flight gauge"));
	CHECK(has_line(t, "eid_http_in_flight{service=\"platform\"} 1"));
	/* no raw path (and so no id) ever becomes a label */
	CHECK(strstr(t, "id0") == NULL && strstr(t, "nowhere") == NULL);
	eid_http_server_free(srv);
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == 0;
}

static void test_request_id(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r1, r2, r3;
	REQUIRE(do_req(srv, "GET", "/healthz", NULL, NULL, NULL, &r1) == 0);
	REQUIRE(do_req(srv, "GET", "/v1/nothing", NULL, NULL, NULL, &r2) == 0);
	CHECK(strlen(r1.rid) == 32 && is_hex(r1.rid, 32));
	CHECK(strlen(r2.rid) == 32 && strcmp(r1.rid, r2.rid) != 0);
	json_decref(r1.json);
	json_decref(r2.json);
	const char *good[] = {"X-Request-Id: trace-42.a_b", NULL};
	REQUIRE(do_req(srv, "GET", "/healthz", NULL, NULL, good, &r3) == 0);
	CHECK(strcmp(r3.rid, "trace-42.a_b") == 0);
	json_decref(r3.json);
	const char *bad[] = {"X-Request-Id: <script>", NULL};
	REQUIRE(do_req(srv, "GET", "/healthz", NULL, NULL, bad, &r3) == 0);
	CHECK(strlen(r3.rid) == 32 && is_hex(r3.rid, 32));
	json_decref(r3.json);
	eid_http_server_free(srv);
}

typedef struct worker {
	const char *base;
	int id, ok;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 50; i++) {
		char url[256];
		snprintf(url, sizeof(url), "%s/v1/echo", w->base);
		json_t *body = json_pack("{s:i,s:i}", "worker", w->id, "i", i), *back = NULL;
		long status = 0;
		eid_err err;
		if (eid_http_call("POST", url, body, 5, &status, &back, &err) == EID_OK &&
		    status == 200 && json_equal(body, back))
			w->ok++;
		json_decref(body);
		json_decref(back);
	}
	return NULL;
}

static void test_concurrent(void)
{
	eid_http_server *srv = start("test", 4);
	REQUIRE(srv);
	pthread_t th[4];
	worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (worker){eid_http_server_url(srv), i, 0};
		REQUIRE(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].ok == 50);
	}
	reply r;
	REQUIRE(do_req(srv, "GET", "/metrics", NULL, NULL, NULL, &r) == 0);
	CHECK(has_line(r.text, "eid_http_requests_total{service=\"test\",route=\"/v1/echo\","
			       "method=\"POST\",code=\"200\"} 200"));
	eid_http_server_free(srv);
}

static void test_request_log(void)
{
	FILE *log = tmpfile();
	REQUIRE(log);
	eid_http_config cfg = {.name = "authority", .threads = 2, .auth = check_auth};
	eid_http_server *srv = NULL;
	eid_err err = {{0}};
	eid_log_set_output(log);
	CHECK_OK(eid_http_server_new(&cfg, routes, NROUTES, &the_app, &srv, &err));
	REQUIRE(srv);
	reply r;
	const char *hdr[] = {"Authorization: Bearer good", "X-Request-Id: req-77",
			     "Cookie: TOKENVALUE-55", NULL};
	REQUIRE(do_req(srv, "POST", "/v1/echo?passcode=13572468", "application/json",
		       "{\"id_number\":\"11010119900307803X\",\"note\":\"SECRET-BODY\"}", hdr,
		       &r) == 0);
	CHECK(r.status == 200);
	json_decref(r.json);
	REQUIRE(do_req(srv, "GET", "/v1/items/11010119900307803X?x=SECRETQ", NULL, NULL, hdr, &r) ==
		0);
	json_decref(r.json);
	REQUIRE(do_req(srv, "GET", "/v1/fail", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 500);
	CHECK(strcmp(err_code(&r), "io_error") == 0);
	CHECK(strstr(r.text, "/var/lib") == NULL); /* internals stay inside */
	json_decref(r.json);
	REQUIRE(do_req(srv, "GET", "/v1/bad", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 400 && strcmp(err_code(&r), "invalid_argument") == 0);
	CHECK(strstr(err_msg(&r), "'gold'") != NULL); /* client errors say what was wrong */
	json_decref(r.json);
	eid_http_server_free(srv);
	quiet_logs();

	fflush(log);
	long size = ftell(log);
	REQUIRE(size > 0 && size < 65536);
	char *text = calloc(1, (size_t)size + 1);
	rewind(log);
	REQUIRE(fread(text, 1, (size_t)size, log) == (size_t)size);
	fclose(log);

	int requests = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		CHECK(j != NULL);
		if (!j)
			continue;
		CHECK(strcmp(jstr(j, "service"), "authority") == 0);
		CHECK(strlen(jstr(j, "time")) == 24);
		if (strcmp(jstr(j, "event"), "http.request") == 0) {
			requests++;
			CHECK(json_is_integer(json_object_get(j, "status")));
			CHECK(json_is_number(json_object_get(j, "duration_ms")));
			CHECK(json_is_integer(json_object_get(j, "bytes")));
			CHECK(jstr(j, "request_id")[0] != 0);
			if (requests == 1) {
				CHECK(strcmp(jstr(j, "route"), "/v1/echo") == 0);
				CHECK(strcmp(jstr(j, "method"), "POST") == 0);
				CHECK(strcmp(jstr(j, "request_id"), "req-77") == 0);
				CHECK(strcmp(jstr(j, "level"), "info") == 0);
			}
			if (requests == 2)
				CHECK(strcmp(jstr(j, "route"), "/v1/items/{id}") == 0);
			if (requests == 3) {
				CHECK(strcmp(jstr(j, "level"), "error") == 0);
				CHECK(strcmp(jstr(j, "error"), "io_error") == 0);
			}
		}
		json_decref(j);
	}
	CHECK(requests == 4);
	/* no body, query, header value or path id */
	static const char *const secrets[] = {"11010119900307803X", "SECRET",	"13572468",
					      "TOKENVALUE",	    "passcode", "Bearer",
					      "/var/lib",	    "gold"};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i])) {
			fprintf(stderr, "  log contains '%s'\n", secrets[i]);
			CHECK(0);
		}
	free(text);
}

static void test_auth(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	REQUIRE(do_req(srv, "POST", "/v1/private", "application/json", "{}", NULL, &r) == 0);
	CHECK(r.status == 401 && strcmp(err_code(&r), "unauthorized") == 0);
	json_decref(r.json);
	const char *bad[] = {"Authorization: Bearer bad", NULL};
	REQUIRE(do_req(srv, "POST", "/v1/private", "application/json", "{}", bad, &r) == 0);
	CHECK(r.status == 403 && strcmp(err_code(&r), "forbidden") == 0);
	json_decref(r.json);
	const char *good[] = {"Authorization: Bearer good", NULL};
	REQUIRE(do_req(srv, "POST", "/v1/private", "application/json", "{}", good, &r) == 0);
	CHECK(r.status == 200 && strcmp(jstr(r.json, "caller"), "hotel-1") == 0);
	json_decref(r.json);

	/* auth comes before the body: an unauthenticated 5 MB upload gets 401 */
	size_t big = 5u << 20;
	char *body = malloc(big + 1);
	REQUIRE(body);
	memset(body, '1', big);
	body[big] = 0;
	REQUIRE(do_req(srv, "POST", "/v1/private", "application/json", body, NULL, &r) == 0);
	CHECK(r.status == 401);
	json_decref(r.json);
	/* authenticated but over HTTP_BODY_BYTES (1 MiB default) */
	REQUIRE(do_req(srv, "POST", "/v1/private", "application/json", body, good, &r) == 0);
	CHECK(r.status == 413);
	json_decref(r.json);
	/* public routes without max_body get the stricter HTTP_BODY_BYTES_UNAUTH */
	body[100u << 10] = 0;
	REQUIRE(do_req(srv, "POST", "/v1/echo", "application/json", body, NULL, &r) == 0);
	CHECK(r.status == 413);
	json_decref(r.json);
	free(body);
	eid_http_server_free(srv);
}

static void test_handler_without_answer(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	reply r;
	REQUIRE(do_req(srv, "GET", "/v1/silent", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 500 && strcmp(err_code(&r), "internal") == 0);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void test_bad_framing(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	/* a chunked JSON body within the cap is reassembled */
	int fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	const char *req = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
	CHECK(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	char out[4096];
	CHECK(raw_read_status(fd, out, sizeof(out)) == 200);
	CHECK(strstr(out, "{\"a\":1}") != NULL);
	close(fd);
	/* garbage is refused by MHD itself and the server lives on */
	fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	const char *junk = "\x01\x02 NOT HTTP\r\n\r\n";
	CHECK(send(fd, junk, strlen(junk), MSG_NOSIGNAL) > 0);
	(void)raw_read_status(fd, out, sizeof(out));
	close(fd);
	reply r;
	REQUIRE(do_req(srv, "GET", "/healthz", NULL, NULL, NULL, &r) == 0);
	CHECK(r.status == 200);
	json_decref(r.json);
	eid_http_server_free(srv);
}

static void *slow_client(void *arg)
{
	const char *url = arg;
	long status;
	json_t *j = NULL;
	eid_err err;
	if (eid_http_call("GET", url, NULL, 3, &status, &j, &err) == EID_OK)
		json_decref(j);
	return NULL;
}

static void test_free_in_flight(void)
{
	eid_http_server *srv = start("test", 2);
	REQUIRE(srv);
	atomic_store(&the_app.slow_calls, 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/v1/slow", eid_http_server_url(srv));
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		REQUIRE(pthread_create(&th[i], NULL, slow_client, url) == 0);
	for (int i = 0; i < 100 && atomic_load(&the_app.slow_calls) == 0; i++)
		sleep_ms(5);
	CHECK(atomic_load(&the_app.slow_calls) > 0);
	double t0 = eid_now_ms();
	eid_http_server_free(srv); /* handlers are running */
	CHECK(eid_now_ms() - t0 < 2000);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
}

static void test_idle_timeout(void)
{
	CHECK(eid_limit_set(EID_LIMIT_HTTP_TIMEOUT_S, 1) == 0);
	eid_http_server *srv = start("test", 1);
	CHECK(eid_limit_set(EID_LIMIT_HTTP_TIMEOUT_S, 30) == 0); /* read at start */
	REQUIRE(srv);
	int fd = raw_connect(eid_http_server_port(srv));
	REQUIRE(fd >= 0);
	const char *partial = "GET /healthz HTTP/1.1\r\nHo";
	CHECK(send(fd, partial, strlen(partial), MSG_NOSIGNAL) > 0);
	double t0 = eid_now_ms();
	char out[256];
	ssize_t k = recv(fd, out, sizeof(out), 0); /* closed by the server */
	double ms = eid_now_ms() - t0;
	CHECK(k <= 0);
	CHECK(ms > 500 && ms < 2900);
	close(fd);
	eid_http_server_free(srv);
}

static void test_connection_limit(void)
{
	CHECK(eid_limit_set(EID_LIMIT_HTTP_CONNECTIONS, 2) == 0);
	eid_http_server *srv = start("test", 1);
	CHECK(eid_limit_set(EID_LIMIT_HTTP_CONNECTIONS, 256) == 0);
	REQUIRE(srv);
	uint16_t port = eid_http_server_port(srv);
	int idle[2];
	for (int i = 0; i < 2; i++) {
		idle[i] = raw_connect(port);
		REQUIRE(idle[i] >= 0);
		CHECK(send(idle[i], "GET", 3, MSG_NOSIGNAL) == 3);
	}
	struct timespec ts = {0, 100 * 1000000L};
	nanosleep(&ts, NULL);
	const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char out[1024];
	int fd = raw_connect(port);
	if (fd >= 0) {
		struct timeval tv = {0, 500000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)send(fd, req, strlen(req), MSG_NOSIGNAL);
		CHECK(raw_read_status(fd, out, sizeof(out)) == 0); /* not served */
		close(fd);
	}
	for (int i = 0; i < 2; i++)
		close(idle[i]);
	nanosleep(&ts, NULL);
	fd = raw_connect(port);
	REQUIRE(fd >= 0);
	CHECK(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	CHECK(raw_read_status(fd, out, sizeof(out)) == 200);
	close(fd);
	eid_http_server_free(srv);
}

static void test_config_errors(void)
{
	quiet_logs();
	eid_http_server *srv = NULL;
	eid_err err = {{0}};
	eid_http_config cfg = {.name = "Bad Name"};
	CHECK(eid_http_server_new(&cfg, NULL, 0, NULL, &srv, &err) == EID_E_INVALID_ARG);
	CHECK(srv == NULL);

	cfg = (eid_http_config){.name = "t"};
	eid_http_route needs_auth[] = {{"GET", "/x", h_mine, 1, 0, 0}};
	CHECK(eid_http_server_new(&cfg, needs_auth, 1, NULL, &srv, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "no auth callback") != NULL);

	eid_http_route twice[] = {{"GET", "/x/{id}", h_mine, 0, 0, 0},
				  {"GET", "/x/{id}", h_item, 0, 0, 0}};
	CHECK(eid_http_server_new(&cfg, twice, 2, NULL, &srv, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "twice") != NULL);

	eid_http_route health[] = {{"GET", "/healthz", h_mine, 0, 0, 0}};
	CHECK(eid_http_server_new(&cfg, health, 1, NULL, &srv, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "built in") != NULL);

	static const char *const bad_paths[] = {"x",	  "/a//b", "/a/",  "/{Id}", "/{id}/{id}",
						"/a{id}", "/{}",   "/a b", "/a?x"};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		eid_http_route row[] = {{"GET", bad_paths[i], h_mine, 0, 0, 0}};
		CHECK(eid_http_server_new(&cfg, row, 1, NULL, &srv, &err) == EID_E_INVALID_ARG);
	}
	eid_http_route lower[] = {{"get", "/x", h_mine, 0, 0, 0}};
	CHECK(eid_http_server_new(&cfg, lower, 1, NULL, &srv, &err) == EID_E_INVALID_ARG);

	cfg.bind = "localhost";
	CHECK(eid_http_server_new(&cfg, NULL, 0, NULL, &srv, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "'localhost'") != NULL);

	/* a port in use is an I/O error that says so */
	cfg.bind = NULL;
	eid_http_server *first = NULL;
	CHECK_OK(eid_http_server_new(&cfg, NULL, 0, NULL, &first, &err));
	REQUIRE(first);
	cfg.port = eid_http_server_port(first);
	CHECK(eid_http_server_new(&cfg, NULL, 0, NULL, &srv, &err) == EID_E_IO);
	CHECK(strstr(err.msg, "in use") != NULL);
	CHECK(srv == NULL);
	eid_http_server_free(first);
	eid_http_server_free(NULL);

	/* IPv6 loopback, where available */
	cfg = (eid_http_config){.name = "v6", .bind = "::1"};
	if (eid_http_server_new(&cfg, NULL, 0, NULL, &srv, &err) == EID_OK) {
		CHECK(strncmp(eid_http_server_url(srv), "http://[::1]:", 13) == 0);
		long status;
		json_t *j = NULL;
		char url[128];
		snprintf(url, sizeof(url), "%s/healthz", eid_http_server_url(srv));
		CHECK_OK(eid_http_call("GET", url, NULL, 5, &status, &j, &err));
		CHECK(status == 200);
		json_decref(j);
		eid_http_server_free(srv);
	}
}

TEST_MAIN(test_routing_params, test_not_found, test_method_not_allowed, test_json_echo,
	  test_body_too_large, test_bad_json, test_duplicate_keys, test_wrong_content_type,
	  test_healthz, test_metrics, test_request_id, test_concurrent, test_request_log, test_auth,
	  test_handler_without_answer, test_bad_framing, test_free_in_flight, test_idle_timeout,
	  test_connection_limit, test_config_errors)
