/* JSON I/O: body parsing with a depth cap, response building, the error
 * object. */
#include "http_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eid/limits.h"

eid_status eid_http_json_check_depth(const uint8_t *text, size_t len, size_t max_depth,
				     eid_err *err)
{
	size_t depth = 0;
	int in_str = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];
		if (in_str) {
			if (c == '\\')
				i++; /* the escaped byte cannot end the string */
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return eid_fail(err, EID_E_LIMIT,
						"json nests deeper than %zu levels (at byte %zu)",
						max_depth, i);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return EID_OK;
}

eid_status eid_http_json_parse(const uint8_t *text, size_t len, json_t **out, eid_err *err)
{
	*out = NULL;
	eid_status st =
		eid_http_json_check_depth(text, len, (size_t)eid_limit(EID_LIMIT_JSON_DEPTH), err);
	if (st)
		return st;
	json_error_t je;
	json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return eid_fail(err, EID_E_FORMAT, "invalid json at line %d, column %d: %s",
				je.line, je.column, je.text);
	*out = j;
	return EID_OK;
}

/* Copies s into dst (cap bytes) replacing control characters and bytes that
 * are not valid UTF-8 with '?', so jansson accepts the result. */
static void clean_text(char *dst, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;
	while (*p && w + 5 < cap) {
		unsigned c = *p;
		size_t k = 0;
		if (c >= 0x20 && c < 0x7f)
			k = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 2;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4;
		for (size_t i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				k = 0;
		/* overlong 3/4-byte forms, surrogates, > U+10FFFF */
		if ((k == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))) ||
		    (k == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))))
			k = 0;
		if (k == 0) {
			dst[w++] = '?';
			p++;
		} else {
			memcpy(dst + w, p, k);
			w += k;
			p += k;
		}
	}
	dst[w] = 0;
}

void http_response_clear_body(eid_http_response *resp)
{
	json_decref(resp->json);
	resp->json = NULL;
	free(resp->raw);
	resp->raw = NULL;
	resp->raw_len = 0;
	resp->content_type[0] = 0;
	resp->error_code[0] = 0;
}

void http_response_release(eid_http_response *resp)
{
	if (!resp)
		return;
	http_response_clear_body(resp);
	for (size_t i = 0; i < resp->nhdr; i++) {
		free(resp->hdr_name[i]);
		free(resp->hdr_value[i]);
	}
	memset(resp, 0, sizeof(*resp));
}

void eid_http_reply_json(eid_http_response *resp, int status, json_t *body)
{
	http_response_clear_body(resp);
	resp->status = status;
	resp->json = body;
}

eid_status eid_http_reply_bytes(eid_http_response *resp, int status, const char *content_type,
				const void *data, size_t len)
{
	http_response_clear_body(resp);
	const char *ct = content_type ? content_type : "application/octet-stream";
	if (strlen(ct) >= sizeof(resp->content_type) || strpbrk(ct, "\r\n")) {
		eid_http_error(resp, 500, "internal", "internal error");
		return EID_E_INVALID_ARG;
	}
	if (len) {
		resp->raw = malloc(len);
		if (!resp->raw) {
			eid_http_error(resp, 500, "internal", "internal error");
			return EID_E_NOMEM;
		}
		memcpy(resp->raw, data, len);
	}
	resp->raw_len = len;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
	resp->status = status;
	return EID_OK;
}

void eid_http_error(eid_http_response *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[512], clean[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clean_text(clean, sizeof(clean), msg);

	char c[sizeof(resp->error_code)];
	size_t n = 0;
	for (const char *p = code ? code : "error"; *p && n + 1 < sizeof(c); p++)
		c[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) ? *p : '_';
	c[n] = 0;

	json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", c, "message", clean);
	eid_http_reply_json(resp, status, body); /* body NULL (no memory): empty answer */
	memcpy(resp->error_code, c, n + 1);
}

void eid_http_error_status(eid_http_response *resp, int status, eid_status st, const eid_err *err)
{
	if (status < 500 && err && err->msg[0])
		eid_http_error(resp, status, eid_status_code(st), "%s", err->msg);
	else
		eid_http_error(resp, status, eid_status_code(st), "%s", eid_status_summary(st));
}

static int tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

eid_status eid_http_header_add(eid_http_response *resp, const char *name, const char *value,
			       eid_err *err)
{
	static const char *const reserved[] = {"content-length", "content-type",
					       "transfer-encoding", "connection", "x-request-id"};
	if (!name || !*name || strlen(name) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "bad header name");
	for (const char *p = name; *p; p++)
		if (!tchar(*p))
			return eid_fail(err, EID_E_INVALID_ARG, "bad header name '%.64s'", name);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return eid_fail(err, EID_E_INVALID_ARG,
					"header '%s' is set by the http layer", name);
	if (!value || strlen(value) > 4096)
		return eid_fail(err, EID_E_INVALID_ARG, "header '%s': bad value", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return eid_fail(err, EID_E_INVALID_ARG,
					"header '%s': control character in the value", name);
	if (resp->nhdr == HTTP_MAX_HEADERS)
		return eid_fail(err, EID_E_LIMIT, "header '%s': more than %d headers", name,
				HTTP_MAX_HEADERS);
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return eid_fail(err, EID_E_NOMEM, "header '%s': out of memory", name);
	}
	resp->hdr_name[resp->nhdr] = n;
	resp->hdr_value[resp->nhdr] = v;
	resp->nhdr++;
	return EID_OK;
}

eid_status http_response_body(eid_http_response *resp, char **data, size_t *len,
			      const char **content_type)
{
	*data = NULL;
	*len = 0;
	*content_type = NULL;
	if (resp->raw || resp->content_type[0]) {
		*data = (char *)resp->raw;
		*len = resp->raw_len;
		*content_type = resp->content_type;
		resp->raw = NULL; /* moved */
		resp->raw_len = 0;
		return EID_OK;
	}
	if (!resp->json)
		return EID_OK;
	size_t n = json_dumpb(resp->json, NULL, 0, JSON_COMPACT);
	if (n == 0)
		return EID_E_INTERNAL;
	char *buf = malloc(n + 1);
	if (!buf)
		return EID_E_NOMEM;
	if (json_dumpb(resp->json, buf, n, JSON_COMPACT) != n) {
		free(buf);
		return EID_E_INTERNAL;
	}
	buf[n] = '\n';
	*data = buf;
	*len = n + 1;
	*content_type = "application/json";
	return EID_OK;
}
