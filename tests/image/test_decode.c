/* Tests src/image/decode.c: real photos, EXIF orientation, every PNG colour
 * type, and hostile input (empty, truncated, corrupt, random, foreign formats,
 * headers declaring huge sizes). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "eid/image.h"
#include "eid/limits.h"
#include "eid/util.h"
#include "test.h"

/* ---- helpers -------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	eid_err err;
	if (eid_file_read(path, 1u << 30, &buf, len, &err) != EID_OK) {
		fprintf(stderr, "  %s\n", err.msg);
		return NULL;
	}
	return buf;
}

static const char *shared(const char *rel)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "%s/faces/%s", test_shared(), rel);
	return buf;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static int is_zeroed(const eid_image *img)
{
	return img->width == 0 && img->height == 0 && img->rgb == NULL;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Appends a PNG chunk (length, type, data, CRC) at p; returns its size. */
static size_t png_chunk(uint8_t *p, const char *type, const uint8_t *data, uint32_t n)
{
	be32(p, n);
	memcpy(p + 4, type, 4);
	if (n)
		memcpy(p + 8, data, n);
	be32(p + 8 + n, crc32_of(p + 4, 4 + (size_t)n));
	return 12 + (size_t)n;
}

/* An "Exif\0\0" APP1 payload holding only IFD0 with Orientation = o. */
static size_t exif_block(uint8_t *out, int o, int big_endian)
{
	static const uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
				     1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
				     0, 0, 0, 0};
	static const uint8_t be[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
				     0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
				     0, 0, 0, 0};
	memcpy(out, big_endian ? be : le, sizeof(le));
	out[big_endian ? 25 : 24] = (uint8_t)o; /* value field, first SHORT */
	return sizeof(le);
}

/* Encodes w x h pixels of `comps` components (3 = RGB, 4 = CMYK) as a
 * quality-100 4:4:4 JPEG, with an APP1 payload if given. */
static uint8_t *encode_jpeg(const uint8_t *px, int w, int h, int comps, const uint8_t *app1,
			    size_t app1_len, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr je;
	c.err = jpeg_std_error(&je);
	jpeg_create_compress(&c);
	unsigned char *buf = NULL;
	unsigned long n = 0;
	jpeg_mem_dest(&c, &buf, &n);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = comps;
	c.in_color_space = comps == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 100, TRUE);
	for (int i = 0; i < c.num_components; i++)
		c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
	jpeg_start_compress(&c, TRUE);
	if (app1)
		jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)comps);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*len = n;
	return buf;
}

struct membuf {
	uint8_t *p;
	size_t n, cap;
};

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
	struct membuf *m = png_get_io_ptr(png);
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->n, data, n);
	m->n += n;
}

static void png_flush_mem(png_structp png)
{
	(void)png;
}

struct png_spec {
	int w, h, depth, ctype, interlace;
	const uint8_t *data; /* rows packed as the PNG format has them */
	const png_color *palette;
	int npalette;
	const uint8_t *trns;
	int ntrns;
	const uint8_t *exif; /* bare TIFF data for eXIf */
	size_t nexif;
};

static uint8_t *encode_png(const struct png_spec *s, size_t *len)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	struct membuf m = {0};
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(m.p);
		return NULL;
	}
	png_set_write_fn(png, &m, png_write_mem, png_flush_mem);
	png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->ctype,
		     s->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (s->palette)
		png_set_PLTE(png, info, s->palette, s->npalette);
	if (s->trns)
		png_set_tRNS(png, info, s->trns, s->ntrns, NULL);
	if (s->exif)
		png_set_eXIf_1(png, info, (png_uint_32)s->nexif, (png_bytep)s->exif);
	png_write_info(png, info);
	size_t rowbytes = png_get_rowbytes(png, info);
	png_bytep *rows = malloc(sizeof(png_bytep) * (size_t)s->h);
	for (int y = 0; y < s->h; y++)
		rows[y] = (png_bytep)s->data + (size_t)y * rowbytes;
	png_write_image(png, rows);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(rows);
	*len = m.n;
	return m.p;
}

/* Displayed image for EXIF orientation o, from the specification's table of
 * where row 0 and column 0 of the stored image go (independent of the
 * decoder's stride formulas). */
static uint8_t *upright(const uint8_t *px, int w, int h, int o, int *W, int *H)
{
	enum { TOP, BOTTOM, LEFT, RIGHT };
	static const int row0[9] = {0, TOP, TOP, BOTTOM, BOTTOM, LEFT, RIGHT, RIGHT, LEFT};
	static const int col0[9] = {0, LEFT, RIGHT, RIGHT, LEFT, TOP, TOP, BOTTOM, BOTTOM};
	int swap = row0[o] == LEFT || row0[o] == RIGHT;
	*W = swap ? h : w;
	*H = swap ? w : h;
	uint8_t *out = malloc((size_t)w * (size_t)h * 3);
	for (int sy = 0; sy < h; sy++)
		for (int sx = 0; sx < w; sx++) {
			int dx, dy;
			if (!swap) {
				dy = row0[o] == TOP ? sy : h - 1 - sy;
				dx = col0[o] == LEFT ? sx : w - 1 - sx;
			} else {
				dx = row0[o] == LEFT ? sy : h - 1 - sy;
				dy = col0[o] == TOP ? sx : w - 1 - sx;
			}
			memcpy(out + ((size_t)dy * (size_t)*W + (size_t)dx) * 3,
			       px + ((size_t)sy * (size_t)w + (size_t)sx) * 3, 3);
		}
	return out;
}

static int same_image(const eid_image *a, const uint8_t *px, int w, int h)
{
	return a->width == w && a->height == h && a->rgb &&
	       memcmp(a->rgb, px, (size_t)w * (size_t)h * 3) == 0;
}

/* A non-square stored test picture with structure in both directions. */
static void test_picture(uint8_t *px, int w, int h)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)x) * 3;
			p[0] = (uint8_t)(x * 255 / (w - 1));
			p[1] = (uint8_t)(y * 255 / (h - 1));
			p[2] = (uint8_t)((x < w / 3 && y < h / 2) ? 255 : 40);
		}
}

/* ---- real photos ---------------------------------------------------------- */

static void decode_tree(const char *dir, int *n, int *bad)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat sb;
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			decode_tree(path, n, bad);
			continue;
		}
		eid_image img;
		eid_err err;
		eid_status st = eid_image_load(path, &img, &err);
		if (st != EID_OK || img.width <= 0 || img.height <= 0 || !img.rgb) {
			fprintf(stderr, "  %s: %s\n", path, st ? err.msg : "empty image");
			(*bad)++;
		}
		eid_image_release(&img);
		(*n)++;
	}
	closedir(d);
}

static void test_every_dev_image_decodes(void)
{
	int n = 0, bad = 0;
	decode_tree(shared("dev/images"), &n, &bad);
	CHECK(n >= 250);
	CHECK(bad == 0);
}

static void test_jpeg_dimensions(void)
{
	static const struct {
		const char *path;
		int w, h;
	} cases[] = {
		{"dev/images/kpop/Seulgi/Seulgi_001.jpg", 160, 160},      /* 4:2:0 */
		{"dev/images/af/chinese/deng-lun/deng-lun-2.jpg", 300, 250},
		{"dev/images/cncel/114_chen-yanxi/114_16.jpg", 783, 1024}, /* 4:4:4, EXIF */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eid_image img;
		eid_err err;
		eid_status st = eid_image_load(shared(cases[i].path), &img, &err);
		CHECK(st == EID_OK);
		CHECK(img.width == cases[i].w && img.height == cases[i].h);
		eid_image_release(&img);
	}
}

static void test_grey_png(void)
{
	eid_image img;
	eid_err err;
	REQUIRE(eid_image_load(shared("dev/images/orl/s3/s3_03.png"), &img, &err) == EID_OK);
	CHECK(img.width == 92 && img.height == 112);
	int grey = 1, lo = 255, hi = 0;
	for (size_t i = 0; i < (size_t)img.width * (size_t)img.height; i++) {
		const uint8_t *p = img.rgb + 3 * i;
		grey &= p[0] == p[1] && p[1] == p[2];
		lo = p[0] < lo ? p[0] : lo;
		hi = p[0] > hi ? p[0] : hi;
	}
	CHECK(grey);
	CHECK(hi - lo > 100); /* a photo, not a flat field */
	eid_image_release(&img);
}

/* ---- EXIF orientation ----------------------------------------------------- */

/* orient_N.jpg: one 40x24 picture tagged N (exiftool); orient_N_upright.png:
 * ImageMagick's -auto-orient of it. Chroma is not subsampled, so the two
 * decoders agree exactly. */
static void test_exif_matches_imagemagick(void)
{
	for (int o = 1; o <= 8; o++) {
		char a[256], b[256];
		snprintf(a, sizeof(a), "tests/image/fixtures/orient_%d.jpg", o);
		snprintf(b, sizeof(b), "tests/image/fixtures/orient_%d_upright.png", o);
		eid_image ia, ib;
		eid_err err;
		REQUIRE(eid_image_load(a, &ia, &err) == EID_OK);
		REQUIRE(eid_image_load(b, &ib, &err) == EID_OK);
		CHECK(ia.width == (o >= 5 ? 24 : 40) && ia.height == (o >= 5 ? 40 : 24));
		if (!same_image(&ia, ib.rgb, ib.width, ib.height))
			fprintf(stderr, "  orientation %d differs from ImageMagick\n", o);
		CHECK(same_image(&ia, ib.rgb, ib.width, ib.height));
		eid_image_release(&ia);
		eid_image_release(&ib);
	}
}

/* The same JPEG data with each tag, both byte orders: the result must be the
 * untagged decode moved as the EXIF table says. */
static void test_exif_jpeg_generated(void)
{
	enum { W = 24, H = 16 };
	uint8_t px[W * H * 3];
	test_picture(px, W, H);
	size_t n0;
	uint8_t *plain = encode_jpeg(px, W, H, 3, NULL, 0, &n0);
	eid_image ref;
	eid_err err;
	REQUIRE(eid_image_decode(plain, n0, &ref, &err) == EID_OK);
	REQUIRE(ref.width == W && ref.height == H);
	free(plain);
	for (int big = 0; big < 2; big++)
		for (int o = 0; o <= 9; o++) { /* 0 and 9 are invalid: left as stored */
			uint8_t app1[64];
			size_t na = exif_block(app1, o, big), n;
			uint8_t *jpg = encode_jpeg(px, W, H, 3, app1, na, &n);
			eid_image img;
			REQUIRE(eid_image_decode(jpg, n, &img, &err) == EID_OK);
			int ew, eh;
			uint8_t *want = upright(ref.rgb, W, H, o >= 1 && o <= 8 ? o : 1, &ew, &eh);
			if (!same_image(&img, want, ew, eh))
				fprintf(stderr, "  orientation %d (%s) wrong\n", o, big ? "MM" : "II");
			CHECK(same_image(&img, want, ew, eh));
			free(want);
			free(jpg);
			eid_image_release(&img);
		}
	/* A malformed EXIF block is ignored, not an error. */
	uint8_t app1[64];
	size_t na = exif_block(app1, 6, 0), n;
	app1[10] = 200; /* IFD0 offset beyond the block */
	uint8_t *jpg = encode_jpeg(px, W, H, 3, app1, na, &n);
	eid_image img;
	CHECK(eid_image_decode(jpg, n, &img, &err) == EID_OK);
	CHECK(same_image(&img, ref.rgb, W, H));
	eid_image_release(&img);
	free(jpg);
	eid_image_release(&ref);
}

static void test_exif_png(void)
{
	enum { W = 5, H = 3 };
	uint8_t px[W * H * 3];
	test_picture(px, W, H);
	for (int o = 1; o <= 8; o++) {
		uint8_t app1[64];
		size_t na = exif_block(app1, o, o & 1);
		struct png_spec s = {W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, px, NULL, 0,
				     NULL, 0, app1 + 6, na - 6};
		size_t n;
		uint8_t *buf = encode_png(&s, &n);
		REQUIRE(buf);
		eid_image img;
		eid_err err;
		REQUIRE(eid_image_decode(buf, n, &img, &err) == EID_OK);
		int ew, eh;
		uint8_t *want = upright(px, W, H, o, &ew, &eh);
		CHECK(same_image(&img, want, ew, eh));
		free(want);
		free(buf);
		eid_image_release(&img);
	}
}

/* ---- PNG colour types and JPEG colour spaces -------------------------------- */

static void decode_png_spec(const struct png_spec *s, eid_image *img)
{
	size_t n;
	uint8_t *buf = encode_png(s, &n);
	eid_err err;
	memset(img, 0, sizeof(*img));
	if (buf && eid_image_decode(buf, n, img, &err) != EID_OK)
		fprintf(stderr, "  %s\n", err.msg);
	free(buf);
}

static void test_png_colour_types(void)
{
	enum { W = 7, H = 5 };
	eid_image img;
	/* 16-bit RGB: scaled to 8 bits (v/257, rounded). */
	uint8_t d16[W * H * 6];
	for (size_t i = 0; i < sizeof(d16); i += 2) {
		unsigned v = (unsigned)(i * 997 % 65536);
		d16[i] = (uint8_t)(v >> 8);
		d16[i + 1] = (uint8_t)v;
	}
	struct png_spec s16 = {W, H, 16, PNG_COLOR_TYPE_RGB, 0, d16, NULL, 0, NULL, 0, NULL, 0};
	decode_png_spec(&s16, &img);
	REQUIRE(img.rgb && img.width == W && img.height == H);
	for (size_t i = 0; i < (size_t)W * H * 3; i++) {
		double v = (d16[2 * i] << 8 | d16[2 * i + 1]) / 257.0;
		CHECK(fabs(img.rgb[i] - v) <= 0.5 + 1e-9);
	}
	eid_image_release(&img);

	/* Palette with tRNS: colours expanded, transparency dropped. */
	static const png_color pal[3] = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
	static const uint8_t trns[1] = {0};
	uint8_t idx[W * H];
	for (int i = 0; i < W * H; i++)
		idx[i] = (uint8_t)(i % 3);
	struct png_spec sp = {W, H, 8, PNG_COLOR_TYPE_PALETTE, 0, idx, pal, 3, trns, 1, NULL, 0};
	decode_png_spec(&sp, &img);
	REQUIRE(img.rgb && img.width == W && img.height == H);
	for (int i = 0; i < W * H; i++) {
		const png_color *c = &pal[idx[i]];
		CHECK(img.rgb[3 * i] == c->red && img.rgb[3 * i + 1] == c->green &&
		      img.rgb[3 * i + 2] == c->blue);
	}
	eid_image_release(&img);

	/* 1-bit grey: 0 -> 0, 1 -> 255, R=G=B. Rows are one byte (7 bits used). */
	uint8_t bits[H];
	for (int y = 0; y < H; y++)
		bits[y] = (uint8_t)(0xa5 ^ (y * 0x33));
	struct png_spec s1 = {W, H, 1, PNG_COLOR_TYPE_GRAY, 0, bits, NULL, 0, NULL, 0, NULL, 0};
	decode_png_spec(&s1, &img);
	REQUIRE(img.rgb && img.width == W && img.height == H);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t v = (bits[y] >> (7 - x)) & 1 ? 255 : 0;
			const uint8_t *p = img.rgb + 3 * (y * W + x);
			CHECK(p[0] == v && p[1] == v && p[2] == v);
		}
	eid_image_release(&img);

	/* Grey + alpha and RGBA: alpha dropped, colour kept. */
	uint8_t ga[W * H * 2], rgba[W * H * 4];
	for (int i = 0; i < W * H; i++) {
		ga[2 * i] = (uint8_t)(i * 7);
		ga[2 * i + 1] = (uint8_t)(i * 13);
		for (int c = 0; c < 4; c++)
			rgba[4 * i + c] = (uint8_t)(i * 5 + c * 60);
	}
	struct png_spec sga = {W, H, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, ga, NULL, 0, NULL, 0, NULL, 0};
	decode_png_spec(&sga, &img);
	REQUIRE(img.rgb && img.width == W && img.height == H);
	for (int i = 0; i < W * H; i++)
		CHECK(img.rgb[3 * i] == ga[2 * i] && img.rgb[3 * i + 1] == ga[2 * i] &&
		      img.rgb[3 * i + 2] == ga[2 * i]);
	eid_image_release(&img);
	struct png_spec sa = {W, H, 8, PNG_COLOR_TYPE_RGBA, 0, rgba, NULL, 0, NULL, 0, NULL, 0};
	decode_png_spec(&sa, &img);
	REQUIRE(img.rgb && img.width == W && img.height == H);
	for (int i = 0; i < W * H; i++)
		CHECK(memcmp(img.rgb + 3 * i, rgba + 4 * i, 3) == 0);
	eid_image_release(&img);

	/* Interlaced (Adam7) RGB. */
	uint8_t rgb[W * H * 3];
	test_picture(rgb, W, H);
	struct png_spec si = {W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, rgb, NULL, 0, NULL,
			      0, NULL, 0};
	decode_png_spec(&si, &img);
	CHECK(same_image(&img, rgb, W, H));
	eid_image_release(&img);
}

static void test_cmyk_jpeg(void)
{
	/* libjpeg writes an Adobe marker for CMYK, so the values are read as
	 * Adobe's inverted CMYK: 255 = no ink. */
	enum { W = 16, H = 16 };
	uint8_t px[W * H * 4];
	for (int i = 0; i < W * H; i++) {
		uint8_t *p = px + 4 * i;
		p[0] = 255, p[1] = 0, p[2] = 255, p[3] = 255; /* magenta ink only */
	}
	size_t n;
	uint8_t *jpg = encode_jpeg(px, W, H, 4, NULL, 0, &n);
	eid_image img;
	eid_err err;
	REQUIRE(eid_image_decode(jpg, n, &img, &err) == EID_OK);
	CHECK(img.width == W && img.height == H);
	for (int i = 0; i < W * H; i++) {
		CHECK(img.rgb[3 * i] >= 253);
		CHECK(img.rgb[3 * i + 1] <= 2);
		CHECK(img.rgb[3 * i + 2] >= 253);
	}
	eid_image_release(&img);
	free(jpg);
}

/* ---- hostile input -------------------------------------------------------- */

static size_t find_marker(const uint8_t *p, size_t n, uint8_t marker)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == 0xff && p[i + 1] == marker)
			return i;
	return n;
}

/* A progressive JPEG whose first scan (DC, first pass) is repeated `extra`
 * times: libjpeg only warns about the odd progression, the scan limit (100)
 * stops a flood of them. */
static uint8_t *many_scans(int extra, size_t *len)
{
	enum { W = 64, H = 48 };
	uint8_t px[W * H * 3];
	test_picture(px, W, H);
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr je;
	c.err = jpeg_std_error(&je);
	jpeg_create_compress(&c);
	unsigned char *buf = NULL;
	unsigned long n = 0;
	jpeg_mem_dest(&c, &buf, &n);
	c.image_width = W;
	c.image_height = H;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < H) {
		JSAMPROW row = px + (size_t)c.next_scanline * W * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	size_t sos = find_marker(buf, n, 0xda), end = sos + 2;
	while (end + 1 < n && !(buf[end] == 0xff && buf[end + 1] != 0 &&
				(buf[end + 1] < 0xd0 || buf[end + 1] > 0xd7)))
		end++;
	size_t scan = end - sos;
	uint8_t *out = malloc(n + (size_t)extra * scan);
	memcpy(out, buf, end);
	for (int k = 0; k < extra; k++)
		memcpy(out + end + (size_t)k * scan, buf + sos, scan);
	memcpy(out + end + (size_t)extra * scan, buf + end, n - end);
	*len = n + (size_t)extra * scan;
	free(buf);
	return out;
}

static void test_jpeg_scan_limit(void)
{
	size_t n;
	eid_image img;
	eid_err err;
	uint8_t *ok = many_scans(20, &n); /* 10 + 20 scans */
	CHECK(eid_image_decode(ok, n, &img, &err) == EID_OK);
	CHECK(img.width == 64 && img.height == 48);
	eid_image_release(&img);
	free(ok);
	uint8_t *bomb = many_scans(200, &n);
	CHECK(eid_image_decode(bomb, n, &img, &err) == EID_E_LIMIT);
	CHECK(strcmp(err.msg, "cannot decode image: JPEG has more than 100 scans") == 0);
	CHECK(is_zeroed(&img));
	free(bomb);
}

static void test_empty(void)
{
	eid_image img = {1, 1, NULL};
	eid_err err;
	CHECK(eid_image_decode((const uint8_t *)"", 0, &img, &err) == EID_E_FORMAT);
	CHECK(strcmp(err.msg, "cannot decode image: empty input") == 0);
	CHECK(is_zeroed(&img));
	CHECK(eid_image_decode(NULL, 0, &img, &err) == EID_E_FORMAT);
	CHECK(eid_image_decode(NULL, 5, &img, &err) == EID_E_INVALID_ARG);
	CHECK(eid_image_decode((const uint8_t *)"x", 1, NULL, &err) == EID_E_INVALID_ARG);
	CHECK(eid_image_decode((const uint8_t *)"", 0, &img, NULL) == EID_E_FORMAT);
}

/* Every cut of a file before its last `tail` bytes must fail with
 * EID_E_FORMAT and the given message; cuts inside the tail decode. */
static void check_cuts(const char *rel, size_t tail, const char *msg)
{
	size_t n;
	uint8_t *buf = slurp(shared(rel), &n);
	REQUIRE(buf);
	eid_image img;
	eid_err err;
	CHECK(eid_image_decode(buf, n / 2, &img, &err) == EID_E_FORMAT);
	CHECK(strcmp(err.msg, msg) == 0);
	CHECK(is_zeroed(&img));
	int wrong = 0;
	size_t step = n / 300 + 1;
	for (size_t cut = 1; cut < n; cut += (cut + tail + step < n ? step : 1)) {
		eid_status st = eid_image_decode(buf, cut, &img, &err);
		eid_status want = cut + tail < n ? EID_E_FORMAT : EID_OK;
		if (st != want) {
			if (wrong++ < 5)
				fprintf(stderr, "  %s cut at %zu of %zu: %s (%s)\n", rel, cut, n,
					eid_status_code(st), st ? err.msg : "");
		}
		CHECK(st != EID_OK || (img.rgb && img.width > 0));
		eid_image_release(&img);
	}
	CHECK(wrong == 0);
	free(buf);
}

static void test_truncated(void)
{
	/* libjpeg reads ahead to the next marker, so even a JPEG without its EOI
	 * counts as truncated; a PNG may lose its 12-byte IEND. */
	check_cuts("dev/images/kpop/Seulgi/Seulgi_001.jpg", 0,
		   "cannot decode image: truncated JPEG data");
	check_cuts("dev/images/orl/s3/s3_03.png", 12, "cannot decode image: truncated PNG data");
}

static void test_corrupt(void)
{
	size_t n;
	uint8_t *jpg = slurp(shared("dev/images/kpop/Seulgi/Seulgi_001.jpg"), &n);
	REQUIRE(jpg);
	uint8_t *b = malloc(n);
	eid_image img;
	eid_err err;

	/* A marker in the middle of the entropy-coded data. */
	size_t sos = find_marker(jpg, n, 0xda);
	REQUIRE(sos < n);
	memcpy(b, jpg, n);
	b[(sos + n) / 2] = 0xff;
	b[(sos + n) / 2 + 1] = 0xd9;
	CHECK(eid_image_decode(b, n, &img, &err) == EID_E_FORMAT);
	CHECK(strncmp(err.msg, "cannot decode image: corrupt JPEG data: ", 40) == 0);
	CHECK(is_zeroed(&img));
	eid_image_release(&img);

	/* A segment length that cannot be. */
	size_t dqt = find_marker(jpg, n, 0xdb);
	REQUIRE(dqt < sos);
	memcpy(b, jpg, n);
	b[dqt + 2] = 0, b[dqt + 3] = 1;
	CHECK(eid_image_decode(b, n, &img, &err) == EID_E_FORMAT);
	CHECK(strcmp(err.msg, "cannot decode image: corrupt JPEG data: bogus marker length") == 0);
	eid_image_release(&img);

	/* Random damage anywhere: any answer but a crash or a leak. */
	for (int t = 0; t < 300; t++) {
		memcpy(b, jpg, n);
		for (int k = 1 + (int)(rnd() % 8); k > 0; k--)
			b[rnd() % n] = (uint8_t)rnd();
		eid_status st = eid_image_decode(b, n, &img, &err);
		CHECK(st == EID_OK || st == EID_E_FORMAT || st == EID_E_UNSUPPORTED ||
		      st == EID_E_LIMIT);
		CHECK(st == EID_OK ? img.rgb != NULL : is_zeroed(&img));
		eid_image_release(&img);
	}
	free(b);
	free(jpg);

	uint8_t *png = slurp(shared("dev/images/orl/s3/s3_03.png"), &n);
	REQUIRE(png);
	b = malloc(n);
	memcpy(b, png, n);
	b[n - 30] ^= 0x40; /* inside the IDAT data: CRC mismatch */
	CHECK(eid_image_decode(b, n, &img, &err) == EID_E_FORMAT);
	CHECK(strncmp(err.msg, "cannot decode image: corrupt PNG data: ", 39) == 0);
	eid_image_release(&img);
	for (int t = 0; t < 300; t++) {
		memcpy(b, png, n);
		for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
			b[8 + rnd() % (n - 8)] = (uint8_t)rnd();
		eid_status st = eid_image_decode(b, n, &img, &err);
		CHECK(st == EID_OK || st == EID_E_FORMAT || st == EID_E_UNSUPPORTED ||
		      st == EID_E_LIMIT);
		CHECK(st == EID_OK ? img.rgb != NULL : is_zeroed(&img));
		eid_image_release(&img);
	}
	free(b);
	free(png);
}

static void test_random_bytes(void)
{
	static const uint8_t jpeg_magic[] = {0xff, 0xd8, 0xff};
	static const uint8_t png_magic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t buf[4096];
	for (int t = 0; t < 600; t++) {
		size_t n = 1 + rnd() % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		if (t % 3 == 1 && n > sizeof(jpeg_magic))
			memcpy(buf, jpeg_magic, sizeof(jpeg_magic));
		if (t % 3 == 2 && n > sizeof(png_magic))
			memcpy(buf, png_magic, sizeof(png_magic));
		eid_image img;
		eid_err err;
		eid_status st = eid_image_decode(buf, n, &img, &err);
		CHECK(st == EID_E_FORMAT || st == EID_E_UNSUPPORTED || st == EID_E_LIMIT);
		CHECK(is_zeroed(&img));
		CHECK(strncmp(err.msg, "cannot decode image: ", 21) == 0);
	}
}

static void test_other_formats(void)
{
	static const struct {
		const char *data;
		size_t len;
		const char *name;
	} cases[] = {
		{"GIF89a\x01\x00\x01\x00\x80\x00\x00", 13, "GIF"},
		{"GIF87a\x01\x00\x01\x00", 10, "GIF"},
		{"RIFF\x24\x00\x00\x00WEBPVP8 ", 16, "WebP"},
		{"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", 18, "BMP"},
		{"II*\0\x08\0\0\0", 8, "TIFF"},
		{"\0\0\0\x18" "ftypheic\0\0\0\0", 16, "HEIF"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eid_image img;
		eid_err err;
		CHECK(eid_image_decode((const uint8_t *)cases[i].data, cases[i].len, &img, &err) ==
		      EID_E_UNSUPPORTED);
		char want[128];
		snprintf(want, sizeof(want), "cannot decode image: %s is not supported (only JPEG and PNG)",
			 cases[i].name);
		CHECK(strcmp(err.msg, want) == 0);
		CHECK(is_zeroed(&img));
	}
	eid_image img;
	eid_err err;
	CHECK(eid_image_decode((const uint8_t *)"hello, world", 12, &img, &err) == EID_E_FORMAT);
	CHECK(strcmp(err.msg,
		     "cannot decode image: not a JPEG or PNG file (unrecognised signature)") == 0);
	CHECK(eid_image_decode((const uint8_t *)"BM", 2, &img, &err) == EID_E_FORMAT);
}

/* SOI, SOF0 declaring w x h (3 components), SOS, a few bytes of "data". */
static size_t jpeg_header(uint8_t *p, unsigned w, unsigned h)
{
	const uint8_t hdr[] = {0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, (uint8_t)(h >> 8), (uint8_t)h,
			       (uint8_t)(w >> 8), (uint8_t)w, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
			       0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0,
			       0x12, 0x34, 0x56, 0x78};
	memcpy(p, hdr, sizeof(hdr));
	return sizeof(hdr);
}

/* Signature, IHDR declaring w x h RGB, an empty IDAT, IEND; CRCs correct. */
static size_t png_header(uint8_t *p, uint32_t w, uint32_t h)
{
	memcpy(p, "\x89PNG\r\n\x1a\n", 8);
	uint8_t ihdr[13] = {0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0};
	be32(ihdr, w);
	be32(ihdr + 4, h);
	size_t n = 8;
	n += png_chunk(p + n, "IHDR", ihdr, 13);
	n += png_chunk(p + n, "IDAT", NULL, 0);
	n += png_chunk(p + n, "IEND", NULL, 0);
	return n;
}

static void test_declared_size_limits(void)
{
	static const struct {
		unsigned w, h;
		const char *why;
	} cases[] = {
		{60000, 60000, "is 60000x60000 pixels (max side 20000)"},
		{60000, 16, "is 60000x16 pixels (max side 20000)"},
		{19000, 19000, "is 19000x19000 = 361000000 pixels (max 40000000)"},
	};
	uint8_t buf[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int png = 0; png < 2; png++) {
			size_t n = png ? png_header(buf, cases[i].w, cases[i].h)
				       : jpeg_header(buf, cases[i].w, cases[i].h);
			eid_image img;
			eid_err err;
			CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_LIMIT);
			char want[160];
			snprintf(want, sizeof(want), "cannot decode image: %s %s", png ? "PNG" : "JPEG",
				 cases[i].why);
			if (strcmp(err.msg, want) != 0)
				fprintf(stderr, "  got \"%s\"\n", err.msg);
			CHECK(strcmp(err.msg, want) == 0);
			CHECK(is_zeroed(&img));
		}
	}
	/* Beyond what libjpeg itself accepts (65500), and PNG's 2^31-1. */
	eid_image img;
	eid_err err;
	size_t n = jpeg_header(buf, 65535, 65535);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_LIMIT);
	n = png_header(buf, 0x7fffffff, 1);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_LIMIT);
	/* Zero is not a size. */
	n = png_header(buf, 0, 10);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_FORMAT);
	n = jpeg_header(buf, 10, 0);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_FORMAT);
	/* Within the limits, the same header is just short of data. */
	n = jpeg_header(buf, 64, 64);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_FORMAT);
	n = png_header(buf, 64, 64);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_FORMAT);
}

static void test_configured_limits(void)
{
	const char *png = shared("dev/images/orl/s3/s3_03.png"); /* 92x112, 5 KB */
	eid_image img;
	eid_err err;
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_PIXELS, 92 * 112 - 1) == 0);
	CHECK(eid_image_load(png, &img, &err) == EID_E_LIMIT);
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_PIXELS, 92 * 112) == 0);
	CHECK(eid_image_load(png, &img, &err) == EID_OK);
	eid_image_release(&img);
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_PIXELS, 40000000u) == 0);

	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_SIDE, 100) == 0);
	CHECK(eid_image_load(png, &img, &err) == EID_E_LIMIT);
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_SIDE, 20000u) == 0);

	size_t n;
	uint8_t *buf = slurp(png, &n);
	REQUIRE(buf && n > 1024);
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_FILE_BYTES, 1024) == 0);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_E_LIMIT);
	CHECK(eid_image_load(png, &img, &err) == EID_E_LIMIT);
	REQUIRE(eid_limit_set(EID_LIMIT_IMAGE_FILE_BYTES, 64u << 20) == 0);
	CHECK(eid_image_decode(buf, n, &img, &err) == EID_OK);
	eid_image_release(&img);
	free(buf);
}

static void test_load_messages(void)
{
	eid_image img;
	eid_err err;
	CHECK(eid_image_load("/nonexistent/photo.jpg", &img, &err) == EID_E_IO);
	CHECK(strstr(err.msg, "'/nonexistent/photo.jpg'") != NULL);
	CHECK(is_zeroed(&img));

	size_t n;
	uint8_t *buf = slurp(shared("dev/images/kpop/Seulgi/Seulgi_001.jpg"), &n);
	REQUIRE(buf);
	char path[128];
	snprintf(path, sizeof(path), "/tmp/eid-test-decode-%d.jpg", (int)getpid());
	REQUIRE(eid_file_write(path, buf, n / 3, 0600, &err) == EID_OK);
	CHECK(eid_image_load(path, &img, &err) == EID_E_FORMAT);
	char want[256];
	snprintf(want, sizeof(want), "cannot decode image '%s': truncated JPEG data", path);
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(is_zeroed(&img));
	unlink(path);
	free(buf);
}

static void test_release(void)
{
	eid_image_release(NULL);
	eid_image z = {0};
	eid_image_release(&z);
	CHECK(is_zeroed(&z));
	eid_image img;
	eid_err err;
	REQUIRE(eid_image_load(shared("dev/images/orl/s3/s3_03.png"), &img, &err) == EID_OK);
	eid_image_release(&img);
	CHECK(is_zeroed(&img));
	eid_image_release(&img); /* twice is harmless */
}

TEST_MAIN(test_every_dev_image_decodes, test_jpeg_dimensions, test_grey_png,
	  test_exif_matches_imagemagick, test_exif_jpeg_generated, test_exif_png,
	  test_png_colour_types, test_cmyk_jpeg, test_jpeg_scan_limit, test_empty, test_truncated, test_corrupt,
	  test_random_bytes, test_other_formats, test_declared_size_limits,
	  test_configured_limits, test_load_messages, test_release)
