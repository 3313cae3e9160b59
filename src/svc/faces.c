/* The authority's face work: templates out of the register, templates out of
 * a capture's photo. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_internal.h"

static eid_status open_template(eid_authority *a, const char *ad, const uint8_t *ct, size_t ct_len,
				 eid_face_template *tpl, eid_err *err)
{
	uint8_t raw[EID_FACE_TEMPLATE_BYTES];
	size_t n = 0;
	eid_status st = eid_kek_decrypt(a->kek, (const uint8_t *)ad, strlen(ad), ct, ct_len, raw,
					sizeof(raw), &n, err);
	if (!st)
		st = eid_face_template_unpack(raw, n, tpl, err);
	sodium_memzero(raw, sizeof(raw));
	return st;
}

eid_status svc_load_template(eid_authority *a, const char *person, const uint8_t *ct,
			     size_t ct_len, eid_face_template *tpl, eid_err *err)
{
	char ad[64];
	snprintf(ad, sizeof(ad), "template:%s", person);
	return open_template(a, ad, ct, ct_len, tpl, err);
}

eid_status svc_resident_template(eid_authority *a, const char *person, eid_face_template *tpl,
				 eid_err *err)
{
	uint8_t ct[SVC_TEMPLATE_CT_BYTES];
	size_t len = 0;
	eid_status st = eid_store_resident_template(a->store, person, ct, sizeof(ct), &len, err);
	return st ? st : svc_load_template(a, person, ct, len, tpl, err);
}

eid_status svc_card_template(eid_authority *a, const char *card_id, eid_face_template *tpl,
			     eid_err *err)
{
	uint8_t ct[SVC_TEMPLATE_CT_BYTES];
	size_t len = 0;
	char ad[80];
	snprintf(ad, sizeof(ad), "card-template:%s", card_id);
	eid_status st = eid_store_card_template(a->store, card_id, ct, sizeof(ct), &len, err);
	return st ? st : open_template(a, ad, ct, len, tpl, err);
}

eid_status svc_seal_template(eid_authority *a, const char *ad, const eid_face_template *tpl,
			     uint8_t ct[SVC_TEMPLATE_CT_BYTES], size_t *ct_len, eid_err *err)
{
	uint8_t raw[EID_FACE_TEMPLATE_BYTES];
	const size_t n = eid_face_template_pack(tpl, raw);
	eid_status st = eid_kek_encrypt(a->kek, (const uint8_t *)ad, strlen(ad), raw, n, ct,
					SVC_TEMPLATE_CT_BYTES, ct_len, err);
	sodium_memzero(raw, sizeof(raw));
	return st;
}

/* The photo through the engine into r, and into tpl when it is not NULL. */
static eid_status capture(eid_authority *a, const char *photo_b64, eid_face_result *r,
			  eid_face_template *tpl, eid_err *err)
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
	if (!st) {
		eid_face_ctx *fc;
		st = svc_face_acquire(a, NULL, &fc, err);
		if (!st) {
			st = eid_face_analyze(fc, &img, r, err);
			if (!st && tpl)
				st = eid_face_template_make(fc, &img, r, tpl, err);
			svc_face_release(a, fc);
		}
	}
	eid_image_release(&img);
	return st;
}

eid_status svc_capture_analyze(eid_authority *a, const char *photo_b64, eid_face_result *r,
			       eid_err *err)
{
	return capture(a, photo_b64, r, NULL, err);
}

eid_status svc_capture_template(eid_authority *a, const char *photo_b64, eid_face_template *out,
				unsigned *quality_fails, eid_err *err)
{
	eid_face_result *r = malloc(sizeof(*r));
	if (!r)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = capture(a, photo_b64, r, out, err);
	if (quality_fails)
		*quality_fails = st ? 0 : r->quality.fails;
	sodium_memzero(r, sizeof(*r));
	free(r);
	return st;
}

size_t eid_quality_ad(const char *nonce, int64_t ts_ms, char *out, size_t cap)
{
	int n = snprintf(out, cap, "v1|quality|%s|%lld", nonce, (long long)ts_ms);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

eid_status eid_authority_capture_quality(eid_authority *a, const char *nonce, int64_t ts_ms,
					 const uint8_t *sealed, size_t sealed_len, json_t **out,
					 eid_err *err)
{
	*out = NULL;
	char ad[128];
	const size_t ad_len = nonce ? eid_quality_ad(nonce, ts_ms, ad, sizeof(ad)) : 0;
	if (!ad_len || strlen(nonce) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "nonce missing or too long");
	eid_status st = svc_check_clock(ts_ms, err);
	json_t *cap = NULL;
	if (!st)
		st = svc_unseal_json(a, ad, ad_len, sealed, sealed_len, &cap, err);
	const char *photo = json_string_value(json_object_get(cap, "photo"));
	if (!st && !photo)
		st = eid_fail(err, EID_E_FORMAT, "the capture has no photo");
	eid_face_result *r = st ? NULL : malloc(sizeof(*r));
	if (!st && !r)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = svc_capture_analyze(a, photo, r, err);
	json_decref(cap);
	json_t *reasons = json_array();
	if (st == EID_E_NO_FACE) {
		st = EID_OK;
		json_array_append_new(reasons, json_string("no_face"));
		*out = json_pack("{s:i, s:b, s:o}", "faces", 0, "ok", 0, "reasons", reasons);
	} else if (!st) {
		for (int q = 0; q < EID_FACE_Q_COUNT; q++)
			if (r->quality.fails & (1u << q))
				json_array_append_new(reasons,
						      json_string(eid_face_quality_code(
							      (eid_face_quality_reason)q)));
		*out = json_pack("{s:i, s:b, s:o}", "faces", r->faces_found, "ok",
				 r->quality.fails == 0, "reasons", reasons);
	} else {
		json_decref(reasons);
	}
	if (r)
		sodium_memzero(r, sizeof(*r));
	free(r);
	if (!st && !*out)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	return st;
}

int64_t svc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
