/* Requests the resident's app signs with its card's device key, with no
 * capture: its own verification history (flow 5) and "revoke this device". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_internal.h"

#define HISTORY_MAX 100

size_t eid_device_msg(const char *verb, const char *card_id, const char *nonce, int64_t ts_ms,
		      char *out, size_t cap)
{
	int n = snprintf(out, cap, "v1|%s|%s|%s|%lld", verb, card_id, nonce, (long long)ts_ms);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t eid_history_msg(const char *card_id, const char *nonce, int64_t ts_ms, char *out,
		       size_t cap)
{
	return eid_device_msg("history", card_id, nonce, ts_ms, out, cap);
}

/* the card, active, and the request (for verb) signed by its device key */
static eid_status check_request(eid_authority *a, const char *verb, const eid_history_request *q,
				eid_card_row *card, eid_err *err)
{
	if (!q->card_id || !q->nonce || !q->device_sig)
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete %s request", verb);
	if (q->sig_len != EID_SIG_BYTES)
		return eid_fail(err, EID_E_FORMAT, "device_sig must be an Ed25519 signature");
	eid_status st = svc_check_clock(q->ts_ms, err);
	if (st)
		return st;
	char msg[256];
	const size_t len = eid_device_msg(verb, q->card_id, q->nonce, q->ts_ms, msg, sizeof(msg));
	if (!len || strlen(q->nonce) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "card_id or nonce too long");
	/* an unknown card and a bad signature read alike: nothing to probe */
	st = eid_store_card_get(a->store, q->card_id, card, err);
	if (st == EID_E_NOT_FOUND)
		return eid_fail(err, EID_E_DENIED, "not signed by the card's device");
	eid_pubkey dev = {.type = EID_KEY_ED25519};
	if (!st) {
		memcpy(dev.key, card->device_pk, 32);
		if (eid_verify(&dev, (const uint8_t *)msg, len, q->device_sig, q->sig_len, err))
			st = eid_fail(err, EID_E_DENIED, "not signed by the card's device");
	}
	if (!st && strcmp(card->status, "active") != 0)
		st = eid_fail(err, EID_E_DENIED, "the card is %s", card->status);
	/* each signed request answers once */
	char once[96];
	snprintf(once, sizeof(once), "%s:%s", verb, q->nonce);
	if (!st)
		st = eid_store_nonce_use(a->store, once, q->ts_ms + SVC_CLOCK_SKEW_MS, err);
	return st;
}

eid_status eid_authority_history(eid_authority *a, const eid_history_request *q, json_t **out,
				 eid_err *err)
{
	*out = NULL;
	eid_card_row card;
	eid_status st = check_request(a, "history", q, &card, err);
	if (st)
		return st;
	/* about 40 KiB: the heap, not a handler thread's stack */
	eid_verification_row *r = calloc(HISTORY_MAX, sizeof(*r));
	size_t n = 0;
	st = r ? eid_store_verification_list(a->store, card.person_id, r, HISTORY_MAX, &n, err)
	       : eid_fail(err, EID_E_NOMEM, "out of memory");
	json_t *list = st ? NULL : json_array();
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "sid", r[i].sid,
						      "rp", r[i].rp_id, "purpose", r[i].purpose,
						      "result", r[i].result, "level", r[i].level,
						      "time", (json_int_t)r[i].time_ms));
	free(r);
	if (st)
		return st;
	*out = json_pack("{s:s, s:o}", "card_id", card.card_id, "verifications", list);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

eid_status eid_authority_revoke_device(eid_authority *a, const eid_history_request *q,
				       json_t **out, eid_err *err)
{
	*out = NULL;
	eid_card_row card;
	eid_status st = check_request(a, "revoke", q, &card, err);
	if (!st)
		st = eid_authority_card_status(a, card.card_id, "revoked", err);
	if (st)
		return st;
	*out = json_pack("{s:s, s:s}", "card_id", card.card_id, "status", "revoked");
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}
