/* eid/qr.h — QR codes for the web pages, drawn by libqrencode. */
#ifndef EID_QR_H
#define EID_QR_H

#include <stddef.h>

#include "eid/status.h"

#define EID_QR_MAX_TEXT 1200 /* bytes; a URL with a signed payload is ~450 */

/* An SVG image of text as a QR code (error correction M, 8-bit mode, a quiet
 * zone of four modules, one path so it scales crisply). *svg_out is
 * malloc'd and NUL-terminated. EID_E_INVALID_ARG for empty or too long text. */
EID_MUST_CHECK eid_status eid_qr_svg(const char *text, char **svg_out, size_t *len_out,
				     eid_err *err);

#endif
