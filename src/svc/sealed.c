/* What every sealed message to the authority goes through: opening it under
 * its associated data, parsing it, and checking who signed AD || sealed. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "svc_internal.h"

eid_status svc_unseal_json(eid_authority *a, const char *ad, size_t ad_len, const uint8_t *sealed,
			   size_t sealed_len, json_t **out, eid_err *err)
{
	*out = NULL;
	uint8_t *plain = malloc(sealed_len + 1);
	size_t plain_len = 0;
	if (!plain)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st = eid_unseal(a->sealing, (const uint8_t *)ad, ad_len, sealed, sealed_len, plain,
				   sealed_len, &plain_len, err);
	if (!st) {
		json_error_t jerr;
		*out = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!*out)
			st = eid_fail(err, EID_E_FORMAT, "the sealed message is not JSON");
	}
	sodium_memzero(plain, plain_len);
	free(plain);
	return st;
}

eid_status svc_signed_sealed(const eid_pubkey *device, const char *ad, size_t ad_len,
			     const uint8_t *sealed, size_t sealed_len, const uint8_t *sig,
			     size_t sig_len, eid_err *err)
{
	uint8_t *msg = malloc(ad_len + sealed_len);
	if (!msg)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	memcpy(msg, ad, ad_len);
	memcpy(msg + ad_len, sealed, sealed_len);
	eid_status st = eid_verify(device, msg, ad_len + sealed_len, sig, sig_len, err);
	free(msg);
	return st;
}

eid_status svc_open_card_capture(eid_authority *a, const char *ad, size_t ad_len,
				 const uint8_t *sealed, size_t sealed_len, const uint8_t *sig,
				 size_t sig_len, json_t **cap_out, eid_card_row *card,
				 eid_err *err)
{
	json_t *cap = NULL;
	eid_status st = svc_unseal_json(a, ad, ad_len, sealed, sealed_len, &cap, err);
	const char *card_id = json_string_value(json_object_get(cap, "card_id"));
	if (!st && (!card_id || !json_is_string(json_object_get(cap, "photo"))))
		st = eid_fail(err, EID_E_FORMAT, "the capture needs card_id and photo");
	if (!st)
		st = eid_store_card_get(a->store, card_id, card, err);
	if (!st) { /* signed by the device the card is bound to, for this session */
		eid_pubkey dev = {.type = EID_KEY_ED25519};
		memcpy(dev.key, card->device_pk, 32);
		if (svc_signed_sealed(&dev, ad, ad_len, sealed, sealed_len, sig, sig_len, err))
			st = eid_fail(err, EID_E_DENIED, "not signed by the device bound to this card");
	}
	if (st) {
		json_decref(cap);
		return st;
	}
	*cap_out = cap;
	return EID_OK;
}

eid_status svc_check_clock(int64_t ts_ms, eid_err *err)
{
	const int64_t now = svc_now_ms();
	if (ts_ms < now - SVC_CLOCK_SKEW_MS || ts_ms > now + SVC_CLOCK_SKEW_MS)
		return eid_fail(err, EID_E_EXPIRED, "the request's time is more than 2 minutes off");
	return EID_OK;
}
