/* eid/util.h — small helpers shared by every layer: whole-file reads, clocks,
 * little-endian loads. */
#ifndef EID_UTIL_H
#define EID_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

/* Reads a whole file into a new buffer (caller frees with free()).
 * Fails with EID_E_LIMIT if the file is larger than max_bytes. A NUL byte is
 * appended after the data (not counted in *len_out) so text parsers may use it. */
EID_MUST_CHECK eid_status eid_file_read(const char *path, size_t max_bytes, uint8_t **data_out,
					size_t *len_out, eid_err *err);

/* Writes len bytes to path (created with the given mode, e.g. 0644). */
EID_MUST_CHECK eid_status eid_file_write(const char *path, const void *data, size_t len,
					 unsigned mode, eid_err *err);

/* Key files: creates path with mode exactly 0600 (O_CREAT|O_EXCL|O_NOFOLLOW,
 * then fchmod, so the umask does not matter; an existing file or a symlink is
 * refused, never replaced), writes len bytes and fsyncs; on failure the new
 * file is removed. The caller wipes its own copy of the data. */
EID_MUST_CHECK eid_status eid_key_file_write(const char *path, const void *data, size_t len,
					     eid_err *err);
/* Reads a key file into buf (at most cap bytes): refuses a symlink, a
 * non-regular file, a mode that lets group or others in (EID_E_INVALID_ARG,
 * the message says "chmod 600") and a file longer than cap (EID_E_FORMAT). */
EID_MUST_CHECK eid_status eid_key_file_read(const char *path, char *buf, size_t cap,
					    size_t *len_out, eid_err *err);

/* Monotonic clock in milliseconds. */
double eid_now_ms(void);

/* a*b with overflow check: returns 0 and sets *out, or -1 on overflow. */
static inline int eid_mul_size(size_t a, size_t b, size_t *out)
{
	if (a && b > (size_t)-1 / a)
		return -1;
	*out = a * b;
	return 0;
}

#endif
