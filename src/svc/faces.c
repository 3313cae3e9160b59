/* The authority's face work: templates out of the register, templates out of
 * a capture's photo. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_internal.h"

/* the decoded template: 128 little-endian floats */
eid_status svc_load_template(eid_authority *a, const char *person, const uint8_t *ct,
				size_t ct_len, float tpl[EID_FACE_EMBEDDING_DIM], eid_err *err)
{
	uint8_t raw[EID_FACE_EMBEDDING_DIM * 4];
	size_t n;
	char ad[64];
	snprintf(ad, sizeof(ad), "template:%s", person);
	eid_status st = eid_kek_decrypt(a->kek, (const uint8_t *)ad, strlen(ad), ct, ct_len, raw,
					sizeof(raw), &n, err);
	if (!st && n != sizeof(raw))
		st = eid_fail(err, EID_E_FORMAT, "stored template has %zu bytes", n);
	for (int i = 0; !st && i < EID_FACE_EMBEDDING_DIM; i++) {
		uint32_t u = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
			     (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
		memcpy(&tpl[i], &u, 4);
	}
	sodium_memzero(raw, sizeof(raw));
	return st;
}

/* the capture's photo through the face engine -> its template */
eid_status svc_capture_template(eid_authority *a, const char *photo_b64,
				   float out[EID_FACE_EMBEDDING_DIM], eid_err *err)
{
	const size_t len = strlen(photo_b64);
	uint8_t *bytes = malloc(len + 1);
	size_t n;
	if (!bytes)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = eid_b64url_decode(photo_b64, len, bytes, len + 1, &n, err);
	eid_image img = {0};
	if (!st)
		st = eid_image_decode(bytes, n, &img, err);
	free(bytes);
	eid_face_result *r = st ? NULL : malloc(sizeof(*r));
	if (!st && !r)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st) {
		eid_face_ctx *fc;
		st = svc_face_acquire(a, NULL, &fc, err);
		if (!st) {
			st = eid_face_analyze(fc, &img, r, err);
			svc_face_release(a, fc);
		}
	}
	if (!st)
		memcpy(out, r->embedding, sizeof(float) * EID_FACE_EMBEDDING_DIM);
	if (r)
		sodium_memzero(r, sizeof(*r));
	free(r);
	eid_image_release(&img);
	return st;
}


int64_t svc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
