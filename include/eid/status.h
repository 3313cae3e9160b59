/* eid/status.h — the one status type of the project.
 *
 * Every fallible function returns eid_status; results leave through trailing
 * *_out parameters. A human-readable message for the last failure is written
 * into an eid_err buffer supplied by the caller (or NULL to skip it).
 *
 *   eid_err err;
 *   eid_status st = eid_model_load(path, &model, &err);
 *   if (st) fprintf(stderr, "%s: %s\n", eid_status_code(st), err.msg);
 */
#ifndef EID_STATUS_H
#define EID_STATUS_H

#include <stddef.h>

#if defined(__GNUC__)
#define EID_MUST_CHECK __attribute__((warn_unused_result))
#define EID_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EID_MUST_CHECK
#define EID_PRINTF(f, a)
#endif

typedef enum eid_status {
#define EID_STATUS(name, code, summary) name,
#include "eid/status.def"
#undef EID_STATUS
	EID_STATUS_COUNT
} eid_status;

/* Error detail. msg is lowercase, no trailing period (house style 14). */
typedef struct eid_err {
	char msg[512];
} eid_err;

/* Stable machine code, e.g. "no_face". Never NULL. */
const char *eid_status_code(eid_status st);
/* One-line summary of the status itself. Never NULL. */
const char *eid_status_summary(eid_status st);

/* Records a formatted message in err (if not NULL) and returns st. */
eid_status eid_fail(eid_err *err, eid_status st, const char *fmt, ...) EID_PRINTF(3, 4);

/* Prepends "prefix: " to an existing message (for adding context). */
void eid_err_prefix(eid_err *err, const char *fmt, ...) EID_PRINTF(2, 3);

#endif
