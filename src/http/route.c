/* Route table: pattern compilation and matching. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

static int is_upper_token(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (s[n] < 'A' || s[n] > 'Z')
			return 0;
	return n >= 1 && n <= 16;
}

static int literal_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '@';
}

static int param_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

eid_status http_route_compile(http_route *r, const eid_http_route *row, eid_err *err)
{
	memset(r, 0, sizeof(*r));
	const char *method = row->method ? row->method : "";
	const char *path = row->path ? row->path : "";
	if (!is_upper_token(method))
		return eid_fail(err, EID_E_INVALID_ARG, "route '%.32s %.200s': bad method '%.32s'",
				method, path, method);
	if (!row->handler)
		return eid_fail(err, EID_E_INVALID_ARG, "route '%s %.200s': no handler", method,
				path);
	if (path[0] != '/')
		return eid_fail(err, EID_E_INVALID_ARG,
				"route '%s %.200s': pattern must start with '/'", method, path);
	r->method = dup_n(method, strlen(method));
	r->pattern = dup_n(path, strlen(path));
	if (!r->method || !r->pattern) {
		http_route_release(r);
		return eid_fail(err, EID_E_NOMEM, "route '%s %.200s': out of memory", method, path);
	}
	r->handler = row->handler;
	r->auth = row->auth;
	r->max_body = row->max_body;
	r->flags = row->flags;

	size_t nparams = 0;
	const char *p = path + 1;
	if (*p == 0)
		return EID_OK; /* "/" itself: no segments */
	for (;;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *why = NULL;
		if (n == 0)
			why = "empty segment";
		else if (r->nseg == HTTP_MAX_SEGMENTS)
			why = "too many segments";
		if (!why && p[0] == '{') {
			if (n < 3 || p[n - 1] != '}' || !param_name_ok(p + 1, n - 2))
				why = "bad parameter (want {name}, name [a-z_][a-z0-9_]*)";
			else if (nparams == HTTP_MAX_PARAMS)
				why = "too many parameters";
			for (size_t i = 0; !why && i < r->nseg; i++)
				if (r->seg[i].param && r->seg[i].len == n - 2 &&
				    memcmp(r->seg[i].text, p + 1, n - 2) == 0)
					why = "parameter named twice";
			if (!why) {
				r->seg[r->nseg].param = 1;
				r->seg[r->nseg].text = dup_n(p + 1, n - 2);
				r->seg[r->nseg].len = n - 2;
				nparams++;
			}
		} else if (!why) {
			for (size_t i = 0; i < n && !why; i++)
				if (!literal_char(p[i]))
					why = "bad character in a literal segment";
			if (!why) {
				r->seg[r->nseg].text = dup_n(p, n);
				r->seg[r->nseg].len = n;
			}
		}
		if (!why && !r->seg[r->nseg].text)
			why = "out of memory";
		if (why) {
			eid_status st = eid_fail(
				err, strcmp(why, "out of memory") ? EID_E_INVALID_ARG : EID_E_NOMEM,
				"route '%s %.200s': %s", method, path, why);
			http_route_release(r);
			return st;
		}
		r->nseg++;
		if (!end)
			break;
		p = end + 1;
	}
	return EID_OK;
}

void http_route_release(http_route *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->pattern);
	for (size_t i = 0; i < HTTP_MAX_SEGMENTS; i++)
		free(r->seg[i].text);
	memset(r, 0, sizeof(*r));
}

/* Adds a method to the Allow list unless it is there already. */
static void allow_add(char *allow, size_t cap, const char *method)
{
	size_t n = strlen(method), have = strlen(allow);
	for (const char *p = allow; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, method, n) == 0)
			return;
		p = e ? e + 2 : p + len;
	}
	if (have + n + 3 > cap)
		return;
	if (have) {
		memcpy(allow + have, ", ", 2);
		have += 2;
	}
	memcpy(allow + have, method, n + 1);
}

int http_route_find(const http_route *routes, size_t n, const char *method, const char *path,
		    http_match *m)
{
	memset(m, 0, sizeof(*m));
	m->path_route = -1;
	if (path[0] != '/')
		return -1;
	const char *seg[HTTP_MAX_SEGMENTS];
	size_t len[HTTP_MAX_SEGMENTS], nseg = 0;
	if (path[1]) {
		for (const char *p = path + 1;;) {
			if (nseg == HTTP_MAX_SEGMENTS)
				return -1; /* longer than every pattern */
			const char *end = strchr(p, '/');
			seg[nseg] = p;
			len[nseg] = end ? (size_t)(end - p) : strlen(p);
			nseg++;
			if (!end)
				break;
			p = end + 1;
		}
	}
	int head = strcmp(method, "HEAD") == 0;
	int found = -1;
	for (size_t i = 0; i < n && found < 0; i++) {
		const http_route *r = &routes[i];
		if (r->nseg != nseg)
			continue;
		size_t k = 0;
		for (; k < nseg; k++) {
			if (len[k] == 0)
				break;
			if (!r->seg[k].param && (r->seg[k].len != len[k] ||
						 memcmp(r->seg[k].text, seg[k], len[k]) != 0))
				break;
		}
		if (k < nseg)
			continue;
		if (strcmp(r->method, method) == 0 || (head && strcmp(r->method, "GET") == 0)) {
			found = (int)i;
			break;
		}
		if (m->path_route < 0)
			m->path_route = (int)i;
		allow_add(m->allow, sizeof(m->allow), r->method);
		if (strcmp(r->method, "GET") == 0)
			allow_add(m->allow, sizeof(m->allow), "HEAD");
	}
	if (found < 0)
		return m->path_route >= 0 ? -2 : -1;

	const http_route *r = &routes[found];
	size_t need = 0;
	for (size_t k = 0; k < nseg; k++)
		if (r->seg[k].param)
			need += len[k] + 1;
	if (need) {
		m->store = malloc(need);
		if (!m->store)
			return -3;
		char *w = m->store;
		for (size_t k = 0; k < nseg; k++) {
			if (!r->seg[k].param)
				continue;
			memcpy(w, seg[k], len[k]);
			w[len[k]] = 0;
			m->names[m->nparams] = r->seg[k].text;
			m->values[m->nparams] = w;
			m->nparams++;
			w += len[k] + 1;
		}
	}
	return found;
}

void http_match_release(http_match *m)
{
	if (!m)
		return;
	free(m->store);
	m->store = NULL;
	m->nparams = 0;
}
