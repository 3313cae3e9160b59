/* Image decoding: JPEG (libjpeg-turbo) and PNG (libpng) from memory into 8-bit
 * RGB, EXIF orientation through libexif.
 *
 * Both codecs report fatal errors through a callback that must not return; we
 * longjmp back. Every resource lives in a context struct owned by the caller
 * of the function that calls setjmp, so nothing the cleanup needs is an
 * indeterminate automatic variable after the jump, and the cleanup is one path
 * for success and failure alike. */
#include "eid/image.h"

#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <png.h>

#include "eid/limits.h"
#include "eid/util.h"

/* A progressive JPEG needs about 10 scans; each scan walks the whole image, so
 * a small file with thousands of scans over a large image is a time bomb:
 * EID_LIMIT_IMAGE_JPEG_SCANS caps them. */
/* Past this many tolerated libjpeg warnings the data is junk. */
#define JPEG_MAX_WARNINGS 1000

/* Where a failure is reported: err, and the path for eid_image_load. */
struct where {
	eid_err *err;
	const char *path;
};

static eid_status fail(const struct where *w, eid_status st, const char *fmt, ...)
	EID_PRINTF(3, 4);

static eid_status fail(const struct where *w, eid_status st, const char *fmt, ...)
{
	char why[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (w->path)
		return eid_fail(w->err, st, "cannot decode image '%s': %s", w->path, why);
	return eid_fail(w->err, st, "cannot decode image: %s", why);
}

/* Codec messages start with a capital ("Bogus marker length"); house style is
 * lowercase, but acronyms ("JPEG datastream ...") stay as they are. */
static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

/* Refuses a declared size before anything is allocated from it. */
static eid_status check_size(const struct where *w, uint64_t width, uint64_t height,
			     const char *fmt_name)
{
	uint64_t side = eid_limit(EID_LIMIT_IMAGE_SIDE);
	uint64_t pixels = eid_limit(EID_LIMIT_IMAGE_PIXELS);
	if (width == 0 || height == 0)
		return fail(w, EID_E_FORMAT, "%s declares %llux%llu pixels", fmt_name,
			    (unsigned long long)width, (unsigned long long)height);
	if (width > side || height > side)
		return fail(w, EID_E_LIMIT, "%s is %llux%llu pixels (max side %llu)", fmt_name,
			    (unsigned long long)width, (unsigned long long)height,
			    (unsigned long long)side);
	if (width * height > pixels)
		return fail(w, EID_E_LIMIT, "%s is %llux%llu = %llu pixels (max %llu)", fmt_name,
			    (unsigned long long)width, (unsigned long long)height,
			    (unsigned long long)(width * height), (unsigned long long)pixels);
	return EID_OK;
}

/* ---- EXIF orientation ---------------------------------------------------- */

/* Orientation (1..8) from an APP1-style block starting "Exif\0\0"; 1 when
 * absent or malformed (a broken tag must not make the image undecodable). */
static int exif_orientation(const uint8_t *d, size_t n)
{
	if (n < 6 || n > 0x7fffffff || memcmp(d, "Exif\0\0", 6) != 0)
		return 1;
	ExifData *ed = exif_data_new();
	if (!ed)
		return 1;
	/* Read only; do not let libexif "fix" (add or rewrite) entries. */
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, d, (unsigned int)n);
	int o = 1;
	ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
	if (e && e->data && e->components >= 1) {
		ExifByteOrder bo = exif_data_get_byte_order(ed);
		if (e->format == EXIF_FORMAT_SHORT && e->size >= 2)
			o = exif_get_short(e->data, bo);
		else if (e->format == EXIF_FORMAT_LONG && e->size >= 4)
			o = (int)(exif_get_long(e->data, bo) & 0xffff);
	}
	exif_data_unref(ed);
	return o >= 1 && o <= 8 ? o : 1;
}

/* Applies EXIF orientation o to a w x h RGB buffer. Returns a new buffer (the
 * caller frees src) or NULL when out of memory; *w and *h become the upright
 * size. Output pixel (x,y) reads source pixel base + x*xs + y*ys. */
static uint8_t *orient(const uint8_t *src, int *w, int *h, int o)
{
	ptrdiff_t W = *w, H = *h, base, xs, ys;
	switch (o) {
	case 2: base = W - 1;           xs = -1; ys = W;  break; /* mirror horizontal */
	case 3: base = H * W - 1;       xs = -1; ys = -W; break; /* rotate 180 */
	case 4: base = (H - 1) * W;     xs = 1;  ys = -W; break; /* mirror vertical */
	case 5: base = 0;               xs = W;  ys = 1;  break; /* transpose */
	case 6: base = (H - 1) * W;     xs = -W; ys = 1;  break; /* rotate 90 clockwise */
	case 7: base = H * W - 1;       xs = -W; ys = -1; break; /* transverse */
	case 8: base = W - 1;           xs = W;  ys = -1; break; /* rotate 90 anticlockwise */
	default: assert(0); return NULL;
	}
	int ow = o >= 5 ? *h : *w, oh = o >= 5 ? *w : *h;
	uint8_t *dst = malloc((size_t)ow * (size_t)oh * 3);
	if (!dst)
		return NULL;
	uint8_t *q = dst;
	for (ptrdiff_t y = 0; y < oh; y++) {
		const uint8_t *p = src + 3 * (base + y * ys);
		for (ptrdiff_t x = 0; x < ow; x++, p += 3 * xs, q += 3) {
			q[0] = p[0];
			q[1] = p[1];
			q[2] = p[2];
		}
	}
	*w = ow;
	*h = oh;
	return dst;
}

/* ---- JPEG ----------------------------------------------------------------- */

#define JPEG_SCAN_LIMIT_CODE (-1) /* our code for "too many scans" */

struct jpeg_dec {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	int code; /* libjpeg msg_code that stopped decoding */
	char msg[JMSG_LENGTH_MAX];
	uint8_t *rgb;
	uint8_t *row; /* CMYK scanline */
	int width, height;
	int orientation;
};

static void jpeg_stop(j_common_ptr ci)
{
	struct jpeg_dec *d = ci->client_data;
	d->code = ci->err->msg_code;
	ci->err->format_message(ci, d->msg);
	longjmp(d->jb, 1);
}

/* Warnings are data errors libjpeg can paper over. Running out of data or
 * undecodable entropy-coded data would leave grey or garbled pixels, which a
 * face engine must not mistake for a photo: those stop decoding. */
static void jpeg_on_message(j_common_ptr ci, int level)
{
	if (level >= 0)
		return; /* trace messages */
	switch (ci->err->msg_code) {
	case JWRN_JPEG_EOF:
	case JWRN_HIT_MARKER:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
		jpeg_stop(ci);
		break;
	default:
		if (++ci->err->num_warnings > JPEG_MAX_WARNINGS)
			jpeg_stop(ci);
	}
}

static void jpeg_on_output(j_common_ptr ci)
{
	(void)ci; /* never print */
}

static void jpeg_on_progress(j_common_ptr ci)
{
	struct jpeg_dec *d = ci->client_data;
	if ((uint64_t)d->cinfo.input_scan_number > eid_limit(EID_LIMIT_IMAGE_JPEG_SCANS)) {
		d->code = JPEG_SCAN_LIMIT_CODE;
		longjmp(d->jb, 1);
	}
}

static eid_status jpeg_failed(struct jpeg_dec *d, const struct where *w)
{
	char *m = d->msg;
	static const char corrupt[] = "Corrupt JPEG data: ";
	if (strncmp(m, corrupt, sizeof(corrupt) - 1) == 0)
		m += sizeof(corrupt) - 1;
	lower_first(m);
	switch (d->code) {
	case JPEG_SCAN_LIMIT_CODE:
		return fail(w, EID_E_LIMIT, "JPEG has more than %llu scans",
			    (unsigned long long)eid_limit(EID_LIMIT_IMAGE_JPEG_SCANS));
	case JWRN_JPEG_EOF:
	case JERR_INPUT_EOF:
		return fail(w, EID_E_FORMAT, "truncated JPEG data");
	case JERR_OUT_OF_MEMORY:
		return fail(w, EID_E_NOMEM, "out of memory decoding JPEG");
	case JERR_IMAGE_TOO_BIG:
		return fail(w, EID_E_LIMIT, "JPEG is %ux%u pixels (max side %llu)",
			    d->cinfo.image_width, d->cinfo.image_height,
			    (unsigned long long)eid_limit(EID_LIMIT_IMAGE_SIDE));
	case JERR_BAD_PRECISION:
	case JERR_CONVERSION_NOTIMPL:
	case JERR_NOT_COMPILED:
	case JERR_SOF_UNSUPPORTED:
	case JERR_ARITH_NOTIMPL:
		return fail(w, EID_E_UNSUPPORTED, "%s", m);
	default:
		return fail(w, EID_E_FORMAT, "corrupt JPEG data: %s", m);
	}
}

/* Decodes into d->rgb. Calls setjmp; every resource it creates is in *d, which
 * the caller releases whatever this returns. */
static eid_status jpeg_run(struct jpeg_dec *d, const uint8_t *data, size_t len,
			   const struct where *w)
{
	struct jpeg_decompress_struct *ci = &d->cinfo;
	ci->err = jpeg_std_error(&d->jerr);
	d->jerr.error_exit = jpeg_stop;
	d->jerr.emit_message = jpeg_on_message;
	d->jerr.output_message = jpeg_on_output;
	ci->client_data = d; /* kept by jpeg_create_decompress; the handlers need it */
	if (setjmp(d->jb))
		return jpeg_failed(d, w);
	jpeg_create_decompress(ci);
	d->progress.progress_monitor = jpeg_on_progress;
	ci->progress = &d->progress;
	jpeg_mem_src(ci, data, (unsigned long)len);
	jpeg_save_markers(ci, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(ci, TRUE);

	eid_status st = check_size(w, ci->image_width, ci->image_height, "JPEG");
	if (st)
		return st;
	for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next)
		if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
		    memcmp(m->data, "Exif\0\0", 6) == 0) {
			d->orientation = exif_orientation(m->data, m->data_length);
			break;
		}

	int cmyk = 0;
	switch (ci->jpeg_color_space) {
	case JCS_GRAYSCALE:
	case JCS_YCbCr:
	case JCS_RGB:
		ci->out_color_space = JCS_RGB;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		ci->out_color_space = JCS_CMYK;
		cmyk = 1;
		break;
	default:
		return fail(w, EID_E_UNSUPPORTED, "JPEG with %d colour components is not supported",
			    ci->num_components);
	}
	/* Chroma by replication, not libjpeg's smoothing ("fancy") upsampling:
	 * it matches the decoder of the reference pipeline best (on sample1.jpg
	 * the detector input is within 2.3 grey levels of the TF.js one this
	 * way, 15 with fancy upsampling), and it is faster. */
	ci->do_fancy_upsampling = FALSE;
	jpeg_start_decompress(ci);
	assert(ci->output_width == ci->image_width && ci->output_height == ci->image_height);
	assert(ci->output_components == (cmyk ? 4 : 3));

	size_t width = ci->output_width, height = ci->output_height;
	d->rgb = malloc(width * height * 3); /* cannot overflow: checked against the limits */
	if (cmyk)
		d->row = malloc(width * 4);
	if (!d->rgb || (cmyk && !d->row))
		return fail(w, EID_E_NOMEM, "out of memory for %zux%zu pixels", width, height);
	while (ci->output_scanline < height) {
		uint8_t *out = d->rgb + (size_t)ci->output_scanline * width * 3;
		JSAMPROW row = cmyk ? d->row : out;
		if (jpeg_read_scanlines(ci, &row, 1) != 1)
			return fail(w, EID_E_FORMAT, "truncated JPEG data");
		if (!cmyk)
			continue;
		/* Adobe writes inverted CMYK (255 = no ink); others plain. */
		int inv = ci->saw_Adobe_marker ? 0 : 255;
		for (size_t x = 0; x < width; x++) {
			const uint8_t *p = d->row + 4 * x;
			unsigned k = (unsigned)(p[3] ^ inv);
			for (int c = 0; c < 3; c++)
				out[3 * x + c] = (uint8_t)(((unsigned)(p[c] ^ inv) * k + 127) / 255);
		}
	}
	/* Every pixel is decoded; what follows the last scan does not matter, so
	 * no jpeg_finish_decompress (the caller's destroy aborts cleanly). */
	d->width = (int)width;
	d->height = (int)height;
	return EID_OK;
}

static eid_status decode_jpeg(const uint8_t *data, size_t len, eid_image *out,
			      int *orientation, const struct where *w)
{
	struct jpeg_dec d;
	memset(&d, 0, sizeof(d));
	d.orientation = 1;
	eid_status st = jpeg_run(&d, data, len, w);
	jpeg_destroy_decompress(&d.cinfo); /* safe on a zeroed or half-made struct */
	free(d.row);
	if (st) {
		free(d.rgb);
		return st;
	}
	out->width = d.width;
	out->height = d.height;
	out->rgb = d.rgb;
	*orientation = d.orientation;
	return EID_OK;
}

/* ---- PNG ------------------------------------------------------------------ */

struct png_dec {
	jmp_buf jb;
	png_structp png;
	png_infop info;
	const uint8_t *data;
	size_t len, pos;
	int truncated;
	char msg[256];
	uint8_t *rgb;
	png_bytep *rows;
	png_uint_32 width, height;
	int orientation;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_dec *d = png_get_error_ptr(png);
	snprintf(d->msg, sizeof(d->msg), "%s", msg ? msg : "unknown error");
	longjmp(d->jb, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png; /* never print; benign problems are not failures */
	(void)msg;
}

static void png_on_read(png_structp png, png_bytep buf, size_t n)
{
	struct png_dec *d = png_get_io_ptr(png);
	if (n > d->len - d->pos) {
		d->truncated = 1;
		png_error(png, "truncated");
	}
	memcpy(buf, d->data + d->pos, n);
	d->pos += n;
}

/* Like the TIFF block of JPEG's APP1, eXIf holds bare TIFF data; libexif
 * wants the "Exif\0\0" header in front. */
static int png_exif_orientation(const uint8_t *tiff, size_t n)
{
	if (n > (1u << 24))
		return 1;
	uint8_t *buf = malloc(n + 6);
	if (!buf)
		return 1;
	memcpy(buf, "Exif\0\0", 6);
	memcpy(buf + 6, tiff, n);
	int o = exif_orientation(buf, n + 6);
	free(buf);
	return o;
}

static eid_status png_run(struct png_dec *d, const struct where *w)
{
	if (setjmp(d->jb)) {
		if (d->truncated)
			return fail(w, EID_E_FORMAT, "truncated PNG data");
		lower_first(d->msg);
		if (strstr(d->msg, "ut of memory") || strstr(d->msg, "Insufficient memory"))
			return fail(w, EID_E_NOMEM, "out of memory decoding PNG");
		return fail(w, EID_E_FORMAT, "corrupt PNG data: %s", d->msg);
	}
	d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, png_on_error, png_on_warning);
	if (!d->png)
		return fail(w, EID_E_NOMEM, "out of memory decoding PNG");
	d->info = png_create_info_struct(d->png);
	if (!d->info)
		return fail(w, EID_E_NOMEM, "out of memory decoding PNG");
	png_set_read_fn(d->png, d, png_on_read);
	/* Our own limits apply (below, with a clear message); libpng's are lower
	 * than 2^31 only by default. */
	png_set_user_limits(d->png, 0x7fffffff, 0x7fffffff);
	/* Skip every ancillary chunk but eXIf: no text or ICC inflation, no
	 * gamma; tRNS too, as alpha is dropped anyway. */
	png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_NEVER, (png_const_bytep) "tRNS", 1);
	png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_AS_DEFAULT, (png_const_bytep) "eXIf",
				    1);
	png_read_info(d->png, d->info);

	int depth, ctype;
	png_get_IHDR(d->png, d->info, &d->width, &d->height, &depth, &ctype, NULL, NULL, NULL);
	eid_status st = check_size(w, d->width, d->height, "PNG");
	if (st)
		return st;
	png_uint_32 exif_len = 0;
	png_bytep exif = NULL;
	if (png_get_eXIf_1(d->png, d->info, &exif_len, &exif) && exif && exif_len)
		d->orientation = png_exif_orientation(exif, exif_len);

	if (depth == 16)
		png_set_scale_16(d->png);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(d->png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(d->png);
	if (ctype & PNG_COLOR_MASK_ALPHA)
		png_set_strip_alpha(d->png);
	if (!(ctype & PNG_COLOR_MASK_COLOR))
		png_set_gray_to_rgb(d->png);
	png_set_interlace_handling(d->png);
	png_read_update_info(d->png, d->info);
	size_t width = d->width, height = d->height;
	if (png_get_channels(d->png, d->info) != 3 || png_get_bit_depth(d->png, d->info) != 8 ||
	    png_get_rowbytes(d->png, d->info) != width * 3)
		return fail(w, EID_E_UNSUPPORTED, "PNG colour type %d at %d bits is not supported",
			    ctype, depth);

	d->rgb = malloc(width * height * 3); /* cannot overflow: checked against the limits */
	d->rows = malloc(height * sizeof(*d->rows));
	if (!d->rgb || !d->rows)
		return fail(w, EID_E_NOMEM, "out of memory for %zux%zu pixels", width, height);
	for (size_t y = 0; y < height; y++)
		d->rows[y] = d->rgb + y * width * 3;
	png_read_image(d->png, d->rows);
	/* Like JPEG: all pixels are in; what follows IDAT does not matter. */
	return EID_OK;
}

static eid_status decode_png(const uint8_t *data, size_t len, eid_image *out,
			     int *orientation, const struct where *w)
{
	struct png_dec d;
	memset(&d, 0, sizeof(d));
	d.data = data;
	d.len = len;
	d.orientation = 1;
	eid_status st = png_run(&d, w);
	if (d.png)
		png_destroy_read_struct(&d.png, d.info ? &d.info : NULL, NULL);
	free(d.rows);
	if (st) {
		free(d.rgb);
		return st;
	}
	out->width = (int)d.width;
	out->height = (int)d.height;
	out->rgb = d.rgb;
	*orientation = d.orientation;
	return EID_OK;
}

/* ---- format detection ----------------------------------------------------- */

enum kind { K_UNKNOWN, K_JPEG, K_PNG, K_OTHER };

static const struct magic {
	size_t off, len;
	const char *bytes;
	enum kind kind;
	const char *name;
} magics[] = {
	{0, 3, "\xff\xd8\xff", K_JPEG, "JPEG"},
	{0, 8, "\x89PNG\r\n\x1a\n", K_PNG, "PNG"},
	{0, 6, "GIF87a", K_OTHER, "GIF"},
	{0, 6, "GIF89a", K_OTHER, "GIF"},
	{8, 4, "WEBP", K_OTHER, "WebP"}, /* after "RIFF" + size, checked below */
	{0, 4, "II*\0", K_OTHER, "TIFF"},
	{0, 4, "MM\0*", K_OTHER, "TIFF"},
	{4, 8, "ftypheic", K_OTHER, "HEIF"},
	{4, 8, "ftypheix", K_OTHER, "HEIF"},
	{4, 8, "ftypmif1", K_OTHER, "HEIF"},
	{4, 8, "ftypavif", K_OTHER, "AVIF"},
	{0, 12, "\0\0\0\x0cjP  \r\n\x87\n", K_OTHER, "JPEG 2000"},
	{0, 4, "\xff\x4f\xff\x51", K_OTHER, "JPEG 2000"},
	{0, 12, "\0\0\0\x0cJXL \r\n\x87\n", K_OTHER, "JPEG XL"},
	{0, 2, "\xff\x0a", K_OTHER, "JPEG XL"},
	{0, 4, "qoif", K_OTHER, "QOI"},
	{0, 4, "8BPS", K_OTHER, "PSD"},
	{0, 4, "%PDF", K_OTHER, "PDF"},
	{0, 2, "BM", K_OTHER, "BMP"}, /* with a DIB header size, checked below */
};

static const struct magic *sniff(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic *m = &magics[i];
		if (n < m->off + m->len || memcmp(d + m->off, m->bytes, m->len) != 0)
			continue;
		if (strcmp(m->name, "WebP") == 0 && memcmp(d, "RIFF", 4) != 0)
			continue;
		if (strcmp(m->name, "BMP") == 0) {
			/* "BM" alone is too weak: require a known DIB header size. */
			static const uint32_t dib[] = {12, 40, 52, 56, 64, 108, 124};
			if (n < 18)
				continue;
			uint32_t h = (uint32_t)d[14] | (uint32_t)d[15] << 8 |
				     (uint32_t)d[16] << 16 | (uint32_t)d[17] << 24;
			int ok = 0;
			for (size_t j = 0; j < sizeof(dib) / sizeof(dib[0]); j++)
				ok |= h == dib[j];
			if (!ok)
				continue;
		}
		return m;
	}
	return NULL;
}

/* ---- public --------------------------------------------------------------- */

static eid_status decode(const uint8_t *data, size_t len, eid_image *out, const struct where *w)
{
	if (!out)
		return fail(w, EID_E_INVALID_ARG, "no output image");
	memset(out, 0, sizeof(*out));
	if (!data && len)
		return fail(w, EID_E_INVALID_ARG, "no data");
	uint64_t max = eid_limit(EID_LIMIT_IMAGE_FILE_BYTES);
	if (len > max)
		return fail(w, EID_E_LIMIT, "%zu bytes (max %llu)", len, (unsigned long long)max);
	if (len == 0)
		return fail(w, EID_E_FORMAT, "empty input");
	const struct magic *m = sniff(data, len);
	if (!m)
		return fail(w, EID_E_FORMAT, "not a JPEG or PNG file (unrecognised signature)");
	if (m->kind == K_OTHER)
		return fail(w, EID_E_UNSUPPORTED, "%s is not supported (only JPEG and PNG)",
			    m->name);

	int orientation = 1;
	eid_status st = m->kind == K_JPEG ? decode_jpeg(data, len, out, &orientation, w)
					  : decode_png(data, len, out, &orientation, w);
	if (st || orientation == 1)
		return st;
	uint8_t *up = orient(out->rgb, &out->width, &out->height, orientation);
	if (!up) {
		int width = out->width, height = out->height;
		eid_image_release(out);
		return fail(w, EID_E_NOMEM, "out of memory rotating %dx%d pixels", width, height);
	}
	free(out->rgb);
	out->rgb = up;
	return EID_OK;
}

eid_status eid_image_decode(const uint8_t *data, size_t len, eid_image *out, eid_err *err)
{
	const struct where w = {err, NULL};
	return decode(data, len, out, &w);
}

eid_status eid_image_load(const char *path, eid_image *out, eid_err *err)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (!path || !out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot load image: no %s",
				path ? "output image" : "path");
	uint8_t *data;
	size_t len;
	eid_status st = eid_file_read(path, (size_t)eid_limit(EID_LIMIT_IMAGE_FILE_BYTES), &data,
				      &len, err);
	if (st)
		return st;
	const struct where w = {err, path};
	st = decode(data, len, out, &w);
	free(data);
	return st;
}

void eid_image_release(eid_image *img)
{
	if (!img)
		return;
	free(img->rgb);
	memset(img, 0, sizeof(*img));
}
