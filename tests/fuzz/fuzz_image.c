/* libFuzzer target for src/image: decode (JPEG, PNG, EXIF), then warp and
 * mirror what was decoded. Replayed over tests/fuzz/corpus/image by
 * tests/fuzz/replay.c in the normal test run.
 *
 * PNG protects every chunk with a CRC, so random mutations almost never get
 * past it; each PNG input is decoded a second time with its CRCs repaired so
 * the fuzzer reaches the chunk parsers, inflate and the row filters. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid/image.h"
#include "eid/limits.h"

const char *const fuzz_target_name = "image";
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc_table[256];

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static void fix_png_crcs(uint8_t *p, size_t n)
{
	size_t pos = 8;
	while (n - pos >= 12) {
		size_t len = (size_t)p[pos] << 24 | (size_t)p[pos + 1] << 16 |
			     (size_t)p[pos + 2] << 8 | p[pos + 3];
		if (len > n - pos - 12)
			break;
		uint32_t c = crc32_of(p + pos + 4, 4 + len);
		uint8_t *q = p + pos + 8 + len;
		q[0] = (uint8_t)(c >> 24), q[1] = (uint8_t)(c >> 16);
		q[2] = (uint8_t)(c >> 8), q[3] = (uint8_t)c;
		pos += 12 + len;
	}
}

static void exercise(const uint8_t *data, size_t size)
{
	eid_image img;
	eid_err err;
	eid_status st = eid_image_decode(data, size, &img, &err);
	if (st != EID_OK) {
		assert(!img.rgb && !img.width && !img.height);
		assert(err.msg[0] != 0);
		return;
	}
	assert(img.width > 0 && img.height > 0 && img.rgb);
	/* A warp whose matrix comes from the input: scales, shears, far
	 * offsets; then a mirror, in place. */
	double M[6] = {1, 0, 0, 0, 1, 0};
	for (int i = 0; i < 6 && 8 * (size_t)(i + 1) <= size; i++) {
		int64_t v;
		memcpy(&v, data + size - 8 * (size_t)(i + 1), sizeof(v));
		M[i] = (double)(v % 100000) / 1000.0;
	}
	float out[24 * 16 * 3];
	eid_image_warp_affine(&img, M, 24, 16, 1.0f / 127.5f, -1.0f, out);
	eid_image_mirror_f32(out, 24, 16, out);
	eid_image_release(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Keep each input fast: 4 megapixels is plenty to reach every path,
	 * including the limit checks. */
	static int once;
	if (!once) {
		once = 1;
		if (eid_limit_set(EID_LIMIT_IMAGE_PIXELS, 1u << 22) != 0)
			abort();
	}
	exercise(data, size);
	if (size > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
		uint8_t *copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		fix_png_crcs(copy, size);
		exercise(copy, size);
		free(copy);
	}
	return 0;
}
