/* Changing the passcode of a full card at the authority (flow 5): the old
 * passcode and the face, sealed together with the new one. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc_internal.h"


size_t eid_passcode_ad(const char *card_id, const char *nonce, int64_t ts_ms, char *out,
		       size_t cap)
{
	int n = snprintf(out, cap, "v1|passcode|%s|%s|%lld", card_id, nonce, (long long)ts_ms);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* the checks once the capture is open: card, request once, new passcode,
 * old passcode, face; then the new hash */
static eid_status decide(eid_authority *a, const eid_passcode_request *q, json_t *cap,
			 const eid_card_row *card, char hash[128], eid_err *err)
{
	const char *id = json_string_value(json_object_get(cap, "card_id"));
	const char *old_pc = json_string_value(json_object_get(cap, "passcode"));
	const char *new_pc = json_string_value(json_object_get(cap, "new_passcode"));
	if (strcmp(id, q->card_id) != 0)
		return eid_fail(err, EID_E_DENIED, "the capture is for another card");
	if (strcmp(card->status, "active") != 0)
		return eid_fail(err, EID_E_DENIED, "the card is %s", card->status);
	if (strcmp(card->level, "full") != 0)
		return eid_fail(err, EID_E_DENIED, "only a full card has a passcode");
	char once[96];
	snprintf(once, sizeof(once), "passcode:%s", q->nonce);
	eid_status st = eid_store_nonce_use(a->store, once, q->ts_ms + SVC_CLOCK_SKEW_MS, err);
	if (st)
		return st;
	if (!new_pc)
		return eid_fail(err, EID_E_INVALID_ARG, "the capture needs new_passcode");
	if ((st = eid_passcode_check(new_pc, strlen(new_pc), err)))
		return st;
	/* the old passcode counts towards the lockout like any other attempt */
	const char *why = svc_check_passcode(a, card->person_id, old_pc, &st, err);
	if (!st && why)
		st = eid_fail(err, EID_E_DENIED, "%s",
			      strcmp(why, "passcode_locked") == 0 ? "the passcode is locked for now"
								  : "wrong passcode");
	if (!st) {
		eid_face_template *tpl = malloc(2 * sizeof(*tpl)); /* the probe, the register's */
		if (!tpl)
			st = eid_fail(err, EID_E_NOMEM, "out of memory");
		else
			st = svc_probe(a, json_string_value(json_object_get(cap, "photo")), &tpl[0],
				       &why, err);
		if (!st && !why)
			st = svc_resident_template(a, card->person_id, &tpl[1], err);
		if (!st && !why)
			why = svc_face_check(a, "verify", &tpl[1], card->card_id, &tpl[0],
					     EID_FACE_LEVEL_FULL, &st, err);
		if (tpl)
			sodium_memzero(tpl, 2 * sizeof(*tpl));
		free(tpl);
		if (!st && why)
			st = eid_fail(err, EID_E_DENIED, "the face does not match the register");
	}
	if (!st)
		st = eid_passcode_hash(new_pc, strlen(new_pc), hash, 128, err);
	return st;
}

eid_status eid_authority_change_passcode(eid_authority *a, const eid_passcode_request *q,
					 json_t **out, eid_err *err)
{
	*out = NULL;
	if (!q->card_id || !q->nonce || !q->sealed || !q->device_sig)
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete passcode request");
	if (q->sealed_len > SVC_MAX_CAPTURE || q->sig_len != EID_SIG_BYTES)
		return eid_fail(err, EID_E_FORMAT, "capture too large or signature malformed");
	eid_status st = svc_check_clock(q->ts_ms, err);
	if (st)
		return st;
	char ad[256];
	const size_t ad_len = eid_passcode_ad(q->card_id, q->nonce, q->ts_ms, ad, sizeof(ad));
	if (!ad_len || strlen(q->nonce) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "card_id or nonce too long");
	json_t *cap = NULL;
	eid_card_row card;
	st = svc_open_card_capture(a, ad, ad_len, q->sealed, q->sealed_len, q->device_sig,
				  q->sig_len, &cap, &card, err);
	char hash[128] = "";
	if (!st)
		st = decide(a, q, cap, &card, hash, err);
	json_decref(cap);
	if (!st && !(st = eid_store_begin(a->store, err))) {
		st = eid_store_passcode_set(a->store, card.person_id, hash, err);
		if (!st)
			st = eid_store_audit_append(a->store, "passcode.changed", card.card_id, "ok", 2,
						    NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	sodium_memzero(hash, sizeof(hash));
	if (st)
		return st;
	*out = json_pack("{s:s, s:b}", "card_id", card.card_id, "changed", 1);
	return *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}
