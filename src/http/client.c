/* HTTP client over libcurl: one easy handle per exchange, no global state
 * besides curl_global_init, run once. */
#include "http_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eid/limits.h"

#define HEADER_BYTES_MAX (64u << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sink {
	uint8_t *p;
	size_t len, cap, max;
	int too_big;
} sink;

static int sink_add(sink *s, const void *data, size_t n)
{
	if (n > s->max - s->len) {
		s->too_big = 1;
		return -1;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + n + 1)
			cap *= 2;
		uint8_t *p = realloc(s->p, cap);
		if (!p)
			return -1;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = 0;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	return sink_add(user, data, nmemb) ? 0 : nmemb; /* size is always 1 */
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	sink *h = user;
	/* A new status line (after 100 Continue or a redirect) starts over, so
	 * the block holds the final response's headers only. */
	if (nmemb >= 5 && memcmp(data, "HTTP/", 5) == 0)
		h->len = 0;
	return sink_add(h, data, nmemb) ? 0 : nmemb;
}

static int method_ok(const char *m)
{
	size_t n = 0;
	for (; m[n]; n++)
		if (m[n] < 'A' || m[n] > 'Z')
			return 0;
	return n >= 1 && n <= 16;
}

/* strerror text with a lowercase first letter (house style 14). */
static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

void eid_http_exchange_release(eid_http_exchange *x)
{
	if (!x)
		return;
	free(x->reply);
	free(x->reply_headers);
	x->reply = NULL;
	x->reply_headers = NULL;
	x->reply_len = 0;
	x->status = 0;
}

eid_status eid_http_exchange_run(eid_http_exchange *x, eid_err *err)
{
	eid_http_exchange_release(x);
	const char *url = x->url ? x->url : "";
	const char *method = x->method ? x->method : "GET";
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return eid_fail(err, EID_E_INVALID_ARG,
				"bad url '%.200s' (want http:// or https://)", url);
	if (!method_ok(method))
		return eid_fail(err, EID_E_INVALID_ARG, "bad method '%.16s'", method);
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return eid_fail(err, EID_E_INTERNAL, "cannot start libcurl: %s",
				curl_easy_strerror(curl_init_rc));

	double timeout =
		x->timeout_s > 0 ? x->timeout_s : (double)eid_limit(EID_LIMIT_HTTP_TIMEOUT_S);
	sink body = {.max = x->max_reply ? x->max_reply
					 : (size_t)eid_limit(EID_LIMIT_HTTP_REPLY_BYTES)};
	sink head = {.max = HEADER_BYTES_MAX};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL;
	eid_status st = EID_OK;

	CURL *h = curl_easy_init();
	if (!h)
		return eid_fail(err, EID_E_NOMEM, "request to '%.200s': out of memory", url);
	int ok = 1;
	if (x->body) {
		char ct[160];
		snprintf(ct, sizeof(ct), "Content-Type: %.128s",
			 x->content_type ? x->content_type : "application/json");
		struct curl_slist *t = curl_slist_append(hl, ct);
		ok &= t != NULL;
		hl = t ? t : hl;
	}
	/* curl's default Expect: 100-continue (bodies over 1 MiB) stays: it lets
	 * a server refuse a large body before a byte of it is sent. */
	struct curl_slist *t;
	for (const char *const *p = x->headers; p && *p; p++) {
		if (strpbrk(*p, "\r\n")) {
			st = eid_fail(err, EID_E_INVALID_ARG,
				      "request header with a line break (header %zu)",
				      (size_t)(p - x->headers));
			goto out;
		}
		t = curl_slist_append(hl, *p);
		ok &= t != NULL;
		hl = t ? t : hl;
	}
	ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0)) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) ==
	      CURLE_OK;
#endif
	ok &= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, &body) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HEADERDATA, &head) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
	if (strcmp(method, "HEAD") == 0)
		ok &= curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK;
	else if (strcmp(method, "GET") != 0 || x->body)
		ok &= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
	if (x->body) {
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len) ==
		      CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)x->body) == CURLE_OK;
	}
	if (!ok) {
		st = eid_fail(err, EID_E_NOMEM, "request to '%.200s': cannot set up libcurl", url);
		goto out;
	}

	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		long os_errno = 0;
		(void)curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		char why[256];
		snprintf(why, sizeof(why), "%s",
			 os_errno ? strerror((int)os_errno) : curl_easy_strerror(rc));
		lower_first(why);
		if (body.too_big)
			st = eid_fail(err, EID_E_LIMIT, "reply from '%.200s' exceeds %zu bytes",
				      url, body.max);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			st = eid_fail(err, EID_E_IO, "request to '%.200s' timed out after %g s",
				      url, timeout);
		else if (rc == CURLE_COULDNT_CONNECT)
			st = eid_fail(err, EID_E_IO, "cannot connect to '%.200s': %s", url, why);
		else if (rc == CURLE_COULDNT_RESOLVE_HOST)
			st = eid_fail(err, EID_E_IO, "cannot resolve the host of '%.200s'", url);
		else if (rc == CURLE_OUT_OF_MEMORY || (rc == CURLE_WRITE_ERROR && !head.too_big))
			st = eid_fail(err, EID_E_NOMEM, "request to '%.200s': out of memory", url);
		else if (rc == CURLE_WRITE_ERROR)
			st = eid_fail(err, EID_E_LIMIT,
				      "reply headers from '%.200s' exceed %u bytes", url,
				      HEADER_BYTES_MAX);
		else
			st = eid_fail(err, EID_E_IO, "request to '%.200s' failed: %s", url, why);
		goto out;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
	x->reply = body.p;
	x->reply_len = body.len;
	x->reply_headers = (char *)head.p;
	body.p = NULL;
	head.p = NULL;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	free(body.p);
	free(head.p);
	return st;
}

const char *eid_http_exchange_header(const eid_http_exchange *x, const char *name, char *buf,
				     size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = x->reply_headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			const char *v = p + n + 1, *e = p + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if ((size_t)(e - v) >= cap)
				return NULL;
			memcpy(buf, v, (size_t)(e - v));
			buf[e - v] = 0;
			return buf;
		}
		p = eol ? eol + 1 : p + len;
	}
	return NULL;
}

eid_status eid_http_call_headers(const char *method, const char *url, const char *const *headers,
				 const json_t *body, double timeout_s, long *status_out,
				 json_t **reply_out, eid_err *err)
{
	*status_out = 0;
	*reply_out = NULL;
	char *text = NULL;
	size_t len = 0;
	if (body) {
		len = json_dumpb(body, NULL, 0, JSON_COMPACT);
		text = len ? malloc(len) : NULL;
		if (!text || json_dumpb(body, text, len, JSON_COMPACT) != len) {
			free(text);
			return eid_fail(err, EID_E_INVALID_ARG,
					"request to '%.200s': cannot serialise the body", url);
		}
	}
	eid_http_exchange x = {
		.method = method,
		.url = url,
		.headers = headers,
		.body = (const uint8_t *)text,
		.body_len = len,
		.timeout_s = timeout_s,
	};
	eid_status st = eid_http_exchange_run(&x, err);
	free(text);
	if (st)
		return st;
	*status_out = x.status;
	if (x.reply_len) {
		eid_err perr;
		st = eid_http_json_parse(x.reply, x.reply_len, reply_out, &perr);
		if (st)
			st = eid_fail(err, EID_E_FORMAT,
				      "reply from '%.200s' (status %ld) is not json: %s", url,
				      x.status, perr.msg);
	}
	eid_http_exchange_release(&x);
	return st;
}

eid_status eid_http_call(const char *method, const char *url, const json_t *body, double timeout_s,
			 long *status_out, json_t **reply_out, eid_err *err)
{
	return eid_http_call_headers(method, url, NULL, body, timeout_s, status_out, reply_out,
				     err);
}
