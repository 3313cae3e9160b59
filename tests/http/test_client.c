/* Tests of src/http/client.c against a real server on 127.0.0.1: replies of
 * every kind, and each way a call can fail with its message. */
#include "eid/http.h"
#include "eid/log.h"
#include "eid/util.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void h_slow(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	struct timespec ts = {0, 400 * 1000000L};
	nanosleep(&ts, NULL);
	eid_http_reply_json(resp, 200, json_object());
}

static void h_whoami(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	const char *a = eid_http_header(req, "Authorization");
	eid_http_reply_json(resp, 201, json_pack("{s:s?,s:s}", "auth", a, "method", req->method));
}

static void h_text(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	if (eid_http_reply_bytes(resp, 200, "text/html", "<p>hi</p>", 9) != EID_OK)
		return;
}

static void h_empty(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	eid_http_reply_json(resp, 204, NULL);
}

static const eid_http_route routes[] = {
	{"GET", "/slow", h_slow, 0, 0, 0},
	{"PUT", "/whoami", h_whoami, 0, 0, 0},
	{"GET", "/text", h_text, 0, 0, 0},
	{"DELETE", "/empty", h_empty, 0, 0, 0},
};

static eid_http_server *start(void)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	eid_log_set_output(devnull);
	eid_http_config cfg = {.name = "client-test", .threads = 2};
	eid_http_server *srv = NULL;
	eid_err err = {{0}};
	if (eid_http_server_new(&cfg, routes, sizeof(routes) / sizeof(routes[0]), NULL, &srv, &err))
		fprintf(stderr, "  server: %s\n", err.msg);
	return srv;
}

static char *url_of(eid_http_server *srv, const char *path)
{
	static char url[256];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(srv), path);
	return url;
}

static void test_json_reply(void)
{
	eid_http_server *srv = start();
	REQUIRE(srv);
	long status;
	json_t *j = NULL, *body = json_pack("{s:s}", "k", "v");
	eid_err err = {{0}};
	const char *hdr[] = {"Authorization: Bearer abc", NULL};
	CHECK_OK(eid_http_call_headers("PUT", url_of(srv, "/whoami"), hdr, body, 5, &status, &j,
				       &err));
	CHECK(status == 201);
	CHECK(strcmp(json_string_value(json_object_get(j, "auth")), "Bearer abc") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "method")), "PUT") == 0);
	json_decref(j);
	json_decref(body);

	/* an error status is still a successful call: the caller reads it */
	CHECK_OK(eid_http_call("GET", url_of(srv, "/missing"), NULL, 5, &status, &j, &err));
	CHECK(status == 404);
	CHECK(json_is_object(json_object_get(j, "error")));
	json_decref(j);

	/* an empty reply gives NULL */
	json_t sentinel;
	j = &sentinel;
	CHECK_OK(eid_http_call("DELETE", url_of(srv, "/empty"), NULL, 5, &status, &j, &err));
	CHECK(status == 204 && j == NULL);
	eid_http_server_free(srv);
}

static void test_not_json(void)
{
	eid_http_server *srv = start();
	REQUIRE(srv);
	long status;
	json_t *j = NULL;
	eid_err err = {{0}};
	CHECK(eid_http_call("GET", url_of(srv, "/text"), NULL, 5, &status, &j, &err) ==
	      EID_E_FORMAT);
	CHECK(status == 200 && j == NULL);
	CHECK(strstr(err.msg, "is not json") != NULL);
	CHECK(strstr(err.msg, "/text") != NULL);

	/* the raw exchange reads it fine, with its headers */
	eid_http_exchange x = {.url = url_of(srv, "/text")};
	CHECK_OK(eid_http_exchange_run(&x, &err));
	CHECK(x.status == 200 && x.reply_len == 9 && strcmp((char *)x.reply, "<p>hi</p>") == 0);
	char buf[64];
	CHECK(eid_http_exchange_header(&x, "content-type", buf, sizeof(buf)) != NULL);
	CHECK(strcmp(buf, "text/html") == 0);
	CHECK(eid_http_exchange_header(&x, "X-Request-Id", buf, 8) == NULL); /* too small */
	CHECK(eid_http_exchange_header(&x, "X-Nothing", buf, sizeof(buf)) == NULL);

	/* a reply over max_reply */
	x.max_reply = 4;
	CHECK(eid_http_exchange_run(&x, &err) == EID_E_LIMIT);
	CHECK(strstr(err.msg, "exceeds 4 bytes") != NULL);
	CHECK(x.reply == NULL);
	eid_http_exchange_release(&x);
	eid_http_exchange_release(NULL);
	eid_http_server_free(srv);
}

static void test_connection_refused(void)
{
	/* a port that was just free: bind, read it, close */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	socklen_t len = sizeof(a);
	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", ntohs(a.sin_port));
	long status = -1;
	json_t *j = NULL;
	eid_err err = {{0}};
	double t0 = eid_now_ms();
	CHECK(eid_http_call("GET", url, NULL, 5, &status, &j, &err) == EID_E_IO);
	CHECK(eid_now_ms() - t0 < 1000);
	CHECK(strstr(err.msg, "cannot connect to") != NULL);
	CHECK(strstr(err.msg, "connection refused") != NULL);
	CHECK(status == 0 && j == NULL);
}

static void test_timeout(void)
{
	eid_http_server *srv = start();
	REQUIRE(srv);
	long status;
	json_t *j = NULL;
	eid_err err = {{0}};
	double t0 = eid_now_ms();
	CHECK(eid_http_call("GET", url_of(srv, "/slow"), NULL, 0.1, &status, &j, &err) == EID_E_IO);
	double ms = eid_now_ms() - t0;
	CHECK(ms >= 90 && ms < 350);
	CHECK(strstr(err.msg, "timed out after 0.1 s") != NULL);
	eid_http_server_free(srv);
}

static void test_bad_arguments(void)
{
	long status;
	json_t *j = NULL;
	eid_err err = {{0}};
	CHECK(eid_http_call("GET", "ftp://127.0.0.1/x", NULL, 1, &status, &j, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "bad url 'ftp://127.0.0.1/x'") != NULL);
	CHECK(eid_http_call("get", "http://127.0.0.1:1/", NULL, 1, &status, &j, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "bad method 'get'") != NULL);
	const char *hdr[] = {"X-A: 1\r\nX-Injected: 2", NULL};
	CHECK(eid_http_call_headers("GET", "http://127.0.0.1:1/", hdr, NULL, 1, &status, &j,
				    &err) == EID_E_INVALID_ARG);
	/* a body jansson cannot serialise */
	json_t *bad = json_real(0);
	json_real_set(bad, 1.0 / 0.0);
	CHECK(eid_http_call("POST", "http://127.0.0.1:1/", bad, 1, &status, &j, &err) ==
	      EID_E_INVALID_ARG);
	json_decref(bad);
}

TEST_MAIN(test_json_reply, test_not_json, test_connection_refused, test_timeout, test_bad_arguments)
