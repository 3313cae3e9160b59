/* eid/admin.h — the authority's administrator: a console on its own
 * listener (docs/admin.md). The service half (src/svc/admin.c, register.c)
 * counts, imports and keeps the queue of held rows; the HTTP half
 * (src/api/admin_api.c) puts it behind a bearer token.
 *
 *   char token[EID_ADMIN_TOKEN_LEN + 1];
 *   if (eid_admin_token_new(a, token, &err)) ...     // show it once, then wipe
 *   eid_http_config cfg = {.name = "admin", .port = 8443, .web_dir = "web"};
 *   eid_http_server *srv;
 *   if (eid_api_admin_start(a, &cfg, &srv, &err)) ...
 *   printf("admin listening on %s\n", eid_http_server_url(srv));
 *   ...
 *   eid_http_server_free(srv);                        // before closing a
 *
 * What the administrator sees are counts and the held rows' line numbers and
 * reasons: never an ID number, a name, a record, a photo or a template.
 *
 * Ownership: json_t results are new references the caller decrefs; the
 * photos passed to eid_admin_import stay the caller's. All functions may be
 * called from several threads (the store serialises itself).
 */
#ifndef EID_ADMIN_H
#define EID_ADMIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "eid/http.h"
#include "eid/status.h"
#include "eid/svc.h"

#define EID_ADMIN_TOKEN_LEN 43     /* 32 random bytes, base64url */
#define EID_ADMIN_HELD_MAX 200     /* rows of the held queue answered at once */
#define EID_ADMIN_PHOTOS_MAX 10000 /* files in one uploaded import */
#define EID_ADMIN_PHOTO_BYTES (16u << 20) /* one uploaded photo, decoded */
#define EID_ADMIN_IMPORT_BYTES (64u << 20) /* the whole upload (route body cap) */

/* A new random admin token, returned once in token_out; only its BLAKE2b-256
 * hash is stored (replacing the previous token's) and the change is audited.
 * The caller shows the token and wipes it. */
EID_MUST_CHECK eid_status eid_admin_token_new(eid_authority *a,
					      char token_out[EID_ADMIN_TOKEN_LEN + 1],
					      eid_err *err);
/* EID_OK if token (NUL-terminated, untrusted) is the current admin token,
 * compared in constant time; EID_E_DENIED otherwise, also when none is set. */
EID_MUST_CHECK eid_status eid_admin_token_check(eid_authority *a, const char *token,
						eid_err *err);

/* Counts and rates at now_ms (unix ms; "last 24 h" ends there):
 *   {"time", "register": {"persons"},
 *    "cards": {"total", "by_level": {LEVEL: {STATUS: n}}},
 *    "enrolments": {"issued", "refused", "refusal_rate",
 *                   "last_24h": {"issued", "refused", "refusal_rate"}},
 *    "verifications": {"total": {"yes", "no", "no_rate"},
 *                      "last_24h": {"yes", "no", "no_rate"}},
 *    "imports": {"batches", "rows", "imported", "rejected", "rejection_rate", "held"}}
 * Rates are fractions in [0, 1], null when nothing was counted. */
EID_MUST_CHECK eid_status eid_admin_overview(eid_authority *a, int64_t now_ms, json_t **out,
					     eid_err *err);

/* The register import of eid_authority_import from memory: csv is the text
 * of the register (csv_len bytes, no NUL inside), and each row's photo
 * column is matched by its base name against photos[i].name (itself taken by
 * base name). Nothing is written to disk but the register rows. *out:
 *   {"batch", "rows", "imported", "rejected", "errors": [{"line", "code", "reason"}]}
 * Rejected rows join the held queue. EID_E_FORMAT for a bad header or an
 * empty file, EID_E_INVALID_ARG for two photos with the same name or more
 * than EID_ADMIN_PHOTOS_MAX. */
typedef struct eid_admin_photo {
	const char *name;
	const char *b64; /* the image bytes in base64 (standard or url alphabet, padded or not) */
	size_t b64_len;
} eid_admin_photo;

EID_MUST_CHECK eid_status eid_admin_import(eid_authority *a, const char *csv, size_t csv_len,
					   const eid_admin_photo *photos, size_t nphotos,
					   const char *models_dir, json_t **out, eid_err *err);

/* The queue of held records, newest first, at most EID_ADMIN_HELD_MAX:
 *   {"total", "held": [{"id", "kind", "batch", "line", "code", "reason", "time"}]}
 * kind "import_rejected" (a row refused at import: fix and import again,
 * then dismiss) or "duplicate" (a row whose face matches registered
 * residents, eid/dedup.h: accept or reject), which also carries
 * "candidates": [{"person", "score"}] (opaque person ids, exact scores). */
EID_MUST_CHECK eid_status eid_admin_held(eid_authority *a, json_t **out, eid_err *err);
/* Removes one held "import_rejected" row after the administrator dealt with
 * it (audited as "held.dismissed"); EID_E_NOT_FOUND if there is no such row,
 * EID_E_CONFLICT for a duplicate hold (those are accepted or rejected). */
EID_MUST_CHECK eid_status eid_admin_held_dismiss(eid_authority *a, const char *id, eid_err *err);
/* The administrator's decision on a duplicate hold, with a reason (1 to 200
 * printable characters; its hash is chained in the audit log). accept: the
 * held row becomes an active resident and joins the gallery ("held.accepted"
 * and "register.imported"); reject: the held row and its record are deleted
 * ("held.rejected"). Either removes the queue entry. EID_E_NOT_FOUND for no
 * such duplicate hold, EID_E_INVALID_ARG for a bad reason. */
EID_MUST_CHECK eid_status eid_admin_held_accept(eid_authority *a, const char *id,
						const char *reason, eid_err *err);
EID_MUST_CHECK eid_status eid_admin_held_reject(eid_authority *a, const char *id,
						const char *reason, eid_err *err);

/* The admin listener: /admin/v1/overview, /admin/v1/import, /admin/v1/held,
 * /admin/v1/held/{id}/dismiss, .../accept, .../reject, each behind "Authorization: Bearer TOKEN",
 * plus the pages of cfg->web_dir (web/admin). cfg->auth is set here. */
EID_MUST_CHECK eid_status eid_api_admin_start(eid_authority *a, const eid_http_config *cfg,
					      eid_http_server **out, eid_err *err);

#endif
