/* Static web pages: the files of a listener's web directory, served read-only
 * behind the service's own routes (see eid_http_config.web_dir).
 *
 * Only names the pages use are served: at most two segments of
 * [a-z0-9_.-] (no leading dot, so no "..", no hidden files) and a known
 * extension. "/" is index.html and "/NAME" is NAME/index.html, so a page's
 * address has no trailing slash. Every answer carries a strict Content
 * Security Policy: scripts only from this origin, no inline script except an
 * import map whose SHA-256 is computed here from the page itself, no
 * requests to other hosts, no framing. */
#define _POSIX_C_SOURCE 200809L
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "eid/util.h"

#define STATIC_MAX_BYTES (8u << 20)
#define STATIC_MAX_NAME 64

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".json", "application/json"},
	{".txt", "text/plain; charset=utf-8"},
};

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > STATIC_MAX_NAME || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static const char *type_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* The CSP of a page: its inline import map (if any) is allowed by hash. */
static void csp_for(const uint8_t *html, size_t len, char *out, size_t cap)
{
	static const char open[] = "<script type=\"importmap\">", close[] = "</script>";
	char hash[64] = "";
	const char *s = html ? memmem(html, len, open, sizeof(open) - 1) : NULL;
	if (s) {
		s += sizeof(open) - 1;
		const char *e = memmem(s, len - (size_t)(s - (const char *)html), close,
				       sizeof(close) - 1);
		if (e) {
			uint8_t sum[crypto_hash_sha256_BYTES];
			crypto_hash_sha256(sum, (const uint8_t *)s, (unsigned long long)(e - s));
			char b64[sodium_base64_ENCODED_LEN(sizeof(sum), sodium_base64_VARIANT_ORIGINAL)];
			sodium_bin2base64(b64, sizeof(b64), sum, sizeof(sum),
					  sodium_base64_VARIANT_ORIGINAL);
			snprintf(hash, sizeof(hash), " 'sha256-%s'", b64);
		}
	}
	snprintf(out, cap,
		 "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'%s; style-src 'self'; "
		 "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
		 "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
		 "frame-ancestors 'none'",
		 hash);
}

void http_static_serve(const char *web_dir, const eid_http_request *req, eid_http_response *resp)
{
	const char *page = eid_http_param(req, "page"), *dir = eid_http_param(req, "dir"),
		   *file = eid_http_param(req, "file");
	char path[4096];
	const char *name; /* the file's own name, for its type */
	if (dir && file) {
		if (!name_ok(dir) || !name_ok(file)) {
			eid_http_error(resp, 404, "not_found", "no such page");
			return;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", web_dir, dir, file);
		name = file;
	} else if (page) {
		if (!name_ok(page) || strchr(page, '.')) {
			eid_http_error(resp, 404, "not_found", "no such page");
			return;
		}
		snprintf(path, sizeof(path), "%s/%s/index.html", web_dir, page);
		name = "index.html";
	} else {
		snprintf(path, sizeof(path), "%s/index.html", web_dir);
		name = "index.html";
	}
	const char *type = type_of(name);
	uint8_t *data = NULL;
	size_t len = 0;
	eid_err err;
	if (!type || eid_file_read(path, STATIC_MAX_BYTES, &data, &len, &err) != EID_OK) {
		eid_http_error(resp, 404, "not_found", "no such page");
		return;
	}
	char csp[640];
	/* only a page can carry an import map */
	csp_for(strncmp(type, "text/html", 9) == 0 ? data : NULL, len, csp, sizeof(csp));
	if (eid_http_reply_bytes(resp, 200, type, data, len) == EID_OK &&
	    (eid_http_header_add(resp, "Content-Security-Policy", csp, NULL) ||
	     eid_http_header_add(resp, "Cache-Control", "no-cache", NULL) ||
	     eid_http_header_add(resp, "X-Frame-Options", "DENY", NULL) ||
	     eid_http_header_add(resp, "Referrer-Policy", "no-referrer", NULL) ||
	     eid_http_header_add(resp, "Permissions-Policy", "camera=(self), microphone=()",
				 NULL)))
		eid_http_error(resp, 500, "internal", "internal error");
	free(data);
}
