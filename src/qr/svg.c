/* QR codes as SVG: one path of unit squares, in module coordinates. */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/qr.h"

#define QUIET 4
#define PX 4 /* natural size: whole pixels per module, so that screens draw it crisply */

eid_status eid_qr_svg(const char *text, char **svg_out, size_t *len_out, eid_err *err)
{
	*svg_out = NULL;
	*len_out = 0;
	size_t n = text ? strlen(text) : 0;
	if (n == 0 || n > EID_QR_MAX_TEXT)
		return eid_fail(err, EID_E_INVALID_ARG, "QR text must be 1 to %d bytes, not %zu",
				EID_QR_MAX_TEXT, n);
	QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!q)
		return eid_fail(err, EID_E_INVALID_ARG, "text does not fit in a QR code");
	const int w = q->width, side = w + 2 * QUIET;
	/* each dark module is "M x yh1v1h-1z" (at most 24 bytes) */
	size_t cap = 512 + (size_t)w * (size_t)w * 24;
	char *svg = malloc(cap);
	if (!svg) {
		QRcode_free(q);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	size_t len = (size_t)snprintf(svg, cap,
				      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
				      "viewBox=\"0 0 %d %d\" "
				      "shape-rendering=\"crispEdges\" role=\"img\">"
				      "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
				      side * PX, side * PX, side, side, side, side);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				len += (size_t)snprintf(svg + len, cap - len, "M%d %dh1v1h-1z",
							x + QUIET, y + QUIET);
	len += (size_t)snprintf(svg + len, cap - len, "\"/></svg>\n");
	QRcode_free(q);
	*svg_out = svg;
	*len_out = len;
	return EID_OK;
}
