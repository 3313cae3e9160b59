/* eid/svc.h — the authority and the platform, as services: their state, keys
 * and operations, with no sockets and no SQL (src/api puts them on HTTP,
 * src/cli on the command line). docs/design.md says what each holds.
 *
 *   eid_authority *a;  eid_platform *p;  eid_err err;
 *   if (eid_authority_open("/var/lib/eid", &a, &err)) ...   // DIR/authority/
 *   if (eid_platform_open("/var/lib/eid", authority_url, &p, &err)) ...   // DIR/platform/
 *   json_t *keys = eid_authority_key_set(a);              // publish
 *   ...
 *   eid_platform_close(p);  eid_authority_close(a);
 *
 * Layout of a data directory (created on first open, directories 0700, key
 * files 0600 and never overwritten):
 *   authority/keys/{signing,sealing,pseudonym,kek,idhash}.key
 *   authority/authority.db
 *   platform/keys/signing.key
 *   platform/platform.db
 * The platform's directory holds none of the authority's secrets; the two
 * roles share nothing but the parent directory and talk over HTTP.
 *
 * Ownership: open/close pairs; key sets are new json_t references the caller
 * decrefs. A service object may be used from several threads: its keys are
 * immutable (storage operations, when they come, serialise themselves).
 */
#ifndef EID_SVC_H
#define EID_SVC_H

#include <jansson.h>
#include <stdio.h>

#include "eid/status.h"

typedef struct eid_authority eid_authority;
typedef struct eid_platform eid_platform;

EID_MUST_CHECK eid_status eid_authority_open(const char *data_dir, eid_authority **out,
					     eid_err *err);
void eid_authority_close(eid_authority *a);
/* The published keys: {"service":"authority","keys":[{"kid","use":"sig",
 * "alg":"Ed25519","x"}, {"kid","use":"seal","alg":"X25519","x"}]}; "x" is
 * the public key in base64url (a JWK OKP member). */
json_t *eid_authority_key_set(const eid_authority *a);

/* --- register import (flow 1) ------------------------------------------------
 * A CSV with the header line id_number,name,birth_date,sex,address,photo
 * (RFC 4180 quoting; photo paths relative to the CSV's directory). Each row is
 * checked (the ID number's format and check digit, its birth date and sex
 * against the other fields), its photo goes through the face engine (exactly
 * one face), and the row is stored with the ID number only as a keyed hash,
 * the record and the template encrypted under the KEK, and an audit entry.
 * The photo itself is not kept. Bad rows are reported and skipped, good rows
 * kept: one JSON line per row on `report` (NULL: none),
 *   {"line":N,"status":"imported","person":"..."} or
 *   {"line":N,"status":"rejected","code":"...","message":"..."}
 * Messages name the field, never its value. models_dir: NULL for the face
 * engine's default. Fails as a whole only if the file cannot be read or its
 * header is wrong. */
typedef struct eid_import_counts {
	unsigned rows, imported, rejected;
} eid_import_counts;

EID_MUST_CHECK eid_status eid_authority_import(eid_authority *a, const char *csv_path,
					       const char *models_dir, FILE *report,
					       eid_import_counts *counts_out, eid_err *err);

/* authority_url: where the platform reaches the authority ("http://...") */
EID_MUST_CHECK eid_status eid_platform_open(const char *data_dir, const char *authority_url,
					    eid_platform **out, eid_err *err);
void eid_platform_close(eid_platform *p);
json_t *eid_platform_key_set(const eid_platform *p);
const char *eid_platform_authority_url(const eid_platform *p);

#endif
