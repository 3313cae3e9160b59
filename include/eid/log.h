/* eid/log.h — structured logs: one JSON object per line.
 *
 * Every line carries "time" (RFC 3339, UTC, milliseconds), "level", "service"
 * and "event", then the caller's key/value fields in the order given:
 *
 *   {"time":"2024-05-01T09:30:00.123Z","level":"info","service":"platform",
 *    "event":"http.request","method":"POST","route":"/v1/sessions/{id}",...}
 *
 * Two ways to write a line. The short one takes string pairs ending in NULL:
 *
 *   eid_log(EID_LOG_INFO, "authority", "register.imported", "rows", "120",
 *           "rejected", "3", NULL);
 *
 * The builder also writes numbers and booleans, and nothing is allocated:
 *
 *   eid_log_line l;
 *   eid_log_begin(&l, EID_LOG_INFO, "authority", "card.issued");
 *   eid_log_str(&l, "level_issued", "full");
 *   eid_log_id(&l, "subject", id_number, strlen(id_number)); // opaque hash
 *   eid_log_num(&l, "match_ms", 41.7);
 *   eid_log_end(&l);
 *
 * REDACTION RULE (house style 12). Callers must never pass secrets, keys,
 * tokens, passcodes, biometric data (images, templates, captures, scores tied
 * to a person), national ID numbers, names, addresses, phone numbers, request
 * bodies, query strings or header values. Where an identifier is needed to
 * correlate lines, log eid_log_hash_id / eid_log_id instead: a keyed BLAKE2b
 * hash, 16 hex digits. The key is random per process unless
 * eid_log_set_hash_key installs a stable one (so that several nodes or
 * restarts produce the same hash); without the key the hash of a guessable
 * identifier (an ID number) cannot be reversed by trying candidates.
 *
 * Lines longer than EID_LOG_LINE_MAX bytes lose the fields that do not fit
 * and gain "truncated":true; the line is always valid JSON. Strings are
 * escaped, invalid UTF-8 becomes U+FFFD. Each line is written with a single
 * locked write and flushed, so lines from several threads never interleave.
 *
 * Thread-safety: every function may be called from any thread. The output
 * stream and the level can be changed at any time; the caller keeps the FILE
 * open for as long as it is installed (install NULL = stderr before closing).
 */
#ifndef EID_LOG_H
#define EID_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eid/status.h"

typedef enum eid_log_level {
	EID_LOG_DEBUG,
	EID_LOG_INFO,
	EID_LOG_WARN,
	EID_LOG_ERROR,
} eid_log_level;

#define EID_LOG_LINE_MAX 2048
/* Characters of a hashed identifier plus the terminating NUL. */
#define EID_LOG_HASH_SIZE 17

/* Where lines go; NULL restores stderr. */
void eid_log_set_output(FILE *out);
/* Lines below min are dropped (default EID_LOG_INFO). */
void eid_log_set_level(eid_log_level min);
/* Nonzero when a line at this level would be written. */
int eid_log_enabled(eid_log_level level);
/* "debug", "info", "warn" or "error". */
const char *eid_log_level_name(eid_log_level level);

/* Writes one line; the variadic part is const char * key, value pairs ending
 * with a NULL key. A NULL value is written as JSON null. */
void eid_log(eid_log_level level, const char *service, const char *event, ...);

/* Builder for one line, kept on the caller's stack. */
typedef struct eid_log_line {
	char buf[EID_LOG_LINE_MAX];
	size_t len;
	int truncated;
	int enabled;
} eid_log_line;

void eid_log_begin(eid_log_line *l, eid_log_level level, const char *service, const char *event);
void eid_log_str(eid_log_line *l, const char *key, const char *value);
void eid_log_strn(eid_log_line *l, const char *key, const char *value, size_t len);
void eid_log_int(eid_log_line *l, const char *key, long long value);
void eid_log_num(eid_log_line *l, const char *key, double value);
void eid_log_bool(eid_log_line *l, const char *key, int value);
/* Adds key = the opaque hash of id (see eid_log_hash_id). */
void eid_log_id(eid_log_line *l, const char *key, const void *id, size_t len);
/* Writes the line (if its level is enabled). The builder may be reused after
 * another eid_log_begin. */
void eid_log_end(eid_log_line *l);

/* Writes into out the 16 hex digits of BLAKE2b-128(key, id) truncated to
 * 8 bytes, and returns out, so it can be used inline in eid_log(). */
const char *eid_log_hash_id(const void *id, size_t len, char out[EID_LOG_HASH_SIZE]);

/* Installs the hashing key (16 to 64 bytes, copied). Fails with
 * EID_E_INVALID_ARG for another length. Lines hashed before and after the
 * change do not correlate. */
EID_MUST_CHECK eid_status eid_log_set_hash_key(const uint8_t *key, size_t len, eid_err *err);

#endif
