/* Enrolment at the authority (flow 3, lightweight): open the sealed capture,
 * check it, match the face with the register, issue a card. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eid/log.h"
#include "eid/dedup.h"
#include "svc_internal.h"

#define CARD_MS (365LL * 24 * 3600 * 1000)

size_t eid_enrol_ad(const char *sid, const char *nonce, int64_t exp_ms, const char *level,
		    char *out, size_t cap)
{
	int n = snprintf(out, cap, "v1|enrol|%s|%s|%lld|%s", sid, nonce, (long long)exp_ms, level);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}


size_t eid_claim_ad(const char *sid, const char *nonce, int64_t exp_ms, char *out, size_t cap)
{
	int n = snprintf(out, cap, "v1|claim|%s|%s|%lld", sid, nonce, (long long)exp_ms);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* the terminal's claim: {"id_number"} sealed to this session; *id_out is the
 * claim object's string (owned by *claim_out) */
static eid_status open_claim(eid_authority *a, const eid_enrol_request *q, json_t **claim_out,
			     eid_err *err)
{
	char ad[256];
	const size_t ad_len = eid_claim_ad(q->sid, q->nonce, q->exp_ms, ad, sizeof(ad));
	if (!q->claim || q->claim_len > 512 + EID_SEAL_OVERHEAD || !ad_len)
		return eid_fail(err, EID_E_FORMAT, "full enrolment needs the terminal's claim");
	eid_status st = svc_unseal_json(a, ad, ad_len, q->claim, q->claim_len, claim_out, err);
	if (st)
		return st;
	if ( !json_is_string(json_object_get(*claim_out, "id_number"))) {
		json_decref(*claim_out);
		*claim_out = NULL;
		return eid_fail(err, EID_E_FORMAT, "the claim needs id_number");
	}
	return EID_OK;
}

static int digits(const char *s, size_t lo, size_t hi)
{
	size_t n = s ? strlen(s) : 0;
	if (n < lo || n > hi)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Inside a transaction: person's cards before card_id are revoked (one card
 * per person), and the audit log says so when there were any. */
eid_status svc_supersede_cards(eid_authority *a, const char *person, const char *subject,
			       const char *card_id, eid_err *err)
{
	unsigned superseded = 0;
	eid_status st = eid_store_cards_supersede(a->store, person, &superseded, err);
	if (!st && superseded)
		st = eid_store_audit_append(a->store, "card.superseded", subject, card_id,
					    strlen(card_id), NULL, err);
	return st;
}

eid_status eid_authority_enrol(eid_authority *a, const eid_enrol_request *q, json_t **card_out,
			       eid_err *err)
{
	*card_out = NULL;
	if (!q->sid || !q->nonce || !q->level || !q->sealed || !q->device_sig)
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete enrolment request");
	const int full = strcmp(q->level, "full") == 0;
	if (!full && strcmp(q->level, "lightweight") != 0)
		return eid_fail(err, EID_E_INVALID_ARG, "level must be lightweight or full");
	if (svc_now_ms() > q->exp_ms)
		return eid_fail(err, EID_E_EXPIRED, "the enrolment session has expired");
	if (q->sealed_len > SVC_MAX_CAPTURE || q->sig_len != EID_SIG_BYTES)
		return eid_fail(err, EID_E_FORMAT, "capture too large or signature malformed");

	/* 1. open the capture, bound to this session */
	char ad[256];
	const size_t ad_len = eid_enrol_ad(q->sid, q->nonce, q->exp_ms, q->level, ad, sizeof(ad));
	if (!ad_len)
		return eid_fail(err, EID_E_INVALID_ARG, "session values too long");
	json_t *cap = NULL;
	eid_status st = svc_unseal_json(a, ad, ad_len, q->sealed, q->sealed_len, &cap, err);
	json_t *claim = NULL;
	if (!st && full)
		st = open_claim(a, q, &claim, err);
	/* full: the ID number is the terminal's, not the app's */
	const char *id = json_string_value(json_object_get(full ? claim : cap, "id_number"));
	const char *photo = json_string_value(json_object_get(cap, "photo"));
	const char *dev = json_string_value(json_object_get(cap, "device_pk"));
	const char *passcode = json_string_value(json_object_get(cap, "passcode"));
	const char *mobile = json_string_value(json_object_get(cap, "mobile"));
	if (!st && (!id || !photo || !dev))
		st = eid_fail(err, EID_E_FORMAT, "the capture needs id_number, photo and device_pk");
	if (!st && full && !digits(mobile, 6, 15))
		st = eid_fail(err, EID_E_FORMAT, "mobile must be 6-15 digits");
	if (!st && full)
		st = eid_passcode_check(passcode ? passcode : "", passcode ? strlen(passcode) : 0,
					err);
	char pc_hash[EID_PASSCODE_HASH_MAX];
	if (!st && full)
		st = eid_passcode_hash(passcode, strlen(passcode), pc_hash, sizeof(pc_hash), err);

	/* 2. the device signed this very capture for this very session */
	eid_pubkey device;
	if (!st)
		st = eid_pubkey_from_b64(EID_KEY_ED25519, dev, strlen(dev), NULL, &device, err);
	if (!st)
		st = svc_signed_sealed(&device, ad, ad_len, q->sealed, q->sealed_len, q->device_sig,
				       q->sig_len, err);
	/* 3. the capture's face: one too poor to decide on goes back before the
	 * nonce is spent, so the app can take another in the same session */
	eid_face_template *tpl = malloc(2 * sizeof(*tpl)); /* the register's, the capture's */
	const char *face_why = NULL;
	if (!st && !tpl)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st)
		st = svc_probe(a, photo, &tpl[1], &face_why, err);
	if (!st && face_why)
		st = eid_fail(err, EID_E_NO_FACE, "no face found in the capture's photo");
	/* 4. spend the nonce: a capture is good once */
	char once[96];
	snprintf(once, sizeof(once), "enrol:%s", q->nonce);
	if (!st)
		st = eid_store_nonce_use(a->store, once, q->exp_ms, err);

	/* 5. the resident and the face */
	char idh[EID_PSEUDONYM_LEN + 1] = "", person[48], status[16];
	uint8_t id_hash[32], tpl_ct[SVC_TEMPLATE_CT_BYTES];
	size_t tpl_len = 0;
	if (!st && !(st = eid_pseudonym(a->idhash, id, strlen(id), "id-number", 9, idh, err)) &&
	    !(st = eid_b64url_decode_exact(idh, strlen(idh), id_hash, 32, err)))
		st = eid_store_resident_find(a->store, id_hash, person, status, tpl_ct, sizeof(tpl_ct),
					     &tpl_len, err);
	if (!st && strcmp(status, "active") != 0)
		st = eid_fail(err, EID_E_DENIED, "the register entry is not active");
	if (!st)
		st = svc_load_template(a, person, tpl_ct, tpl_len, &tpl[0], err);
	/* one person, one identity (issue 6): a face that also matches another
	 * resident gets a card held for the administrator, not an active one */
	eid_dedup_match dup = {0};
	if (!st && !full)
		st = eid_dedup_search(a, tpl[1].dlib, person, &dup, err);
	/* a live person following the session's challenge: required for full
	 * cards, checked for lightweight ones when frames come (issue 6) */
	const char *live_why = NULL;
	if (!st && (full || json_object_get(cap, "frames")))
		live_why = svc_liveness_check(a, tpl[0].dlib, q->nonce, cap, &st, err);
	json_decref(cap);
	json_decref(claim);
	const eid_face_level level = full ? EID_FACE_LEVEL_FULL : EID_FACE_LEVEL_LIGHTWEIGHT;
	const char *no_match =
		st ? NULL : svc_face_check(a, "enrol", &tpl[0], NULL, &tpl[1], level, &st, err);
	const char *refused = no_match ? no_match : live_why;
	if (!st && refused) {
		st = no_match ? eid_fail(err, EID_E_DENIED, "the face does not match the register")
			      : eid_fail(err, EID_E_DENIED, "the liveness check failed (%s)",
					 live_why);
		/* the refusal stands even if its audit row cannot be written */
		eid_err ignore;
		if (eid_store_audit_append(a->store, "enrol.refused", idh, refused, strlen(refused),
					   NULL, &ignore) != EID_OK)
			eid_log(EID_LOG_WARN, "authority", "audit.write_failed", "reason",
				ignore.msg, NULL);
	}

	/* 6. the card, bound to the device key, keeping the capture's template:
	 * verification compares with the register photo and this one */
	eid_card_row card;
	memset(&card, 0, sizeof(card));
	eid_crypto_random_id(card.card_id);
	char card_ad[80];
	snprintf(card_ad, sizeof(card_ad), "card-template:%s", card.card_id);
	uint8_t card_ct[SVC_TEMPLATE_CT_BYTES];
	if (!st)
		st = svc_seal_template(a, card_ad, &tpl[1], card_ct, &card.template_len, err);
	if (tpl)
		sodium_memzero(tpl, 2 * sizeof(*tpl));
	free(tpl);
	if (st)
		return st;
	card.template_ct = card_ct;
	snprintf(card.person_id, sizeof(card.person_id), "%s", person);
	snprintf(card.level, sizeof(card.level), "%s", q->level);
	memcpy(card.device_pk, device.key, 32);
	const int held = dup.n > 0;
	snprintf(card.status, sizeof(card.status), "%s", held ? "held" : "active");
	card.iat_ms = svc_now_ms();
	card.exp_ms = card.iat_ms + CARD_MS;
	if (!(st = eid_store_begin(a->store, err))) {
		/* one card per person: enrolling again (a new phone) revokes the old
		 * ones; a held card does so only when the administrator accepts it */
		if (!held)
			st = svc_supersede_cards(a, person, idh, card.card_id, err);
		if (!st)
			st = eid_store_card_add(a->store, &card, err);
		if (!st && full)
			st = eid_store_passcode_set(a->store, person, pc_hash, err);
		if (!st && held)
			st = eid_dedup_hold_card(a, &dup, person, idh, card.card_id, err);
		else if (!st)
			st = eid_store_audit_append(a->store, "card.issued", idh, card.card_id,
						    strlen(card.card_id), NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	json_t *signed_card = st ? NULL
				 : json_pack("{s:s, s:s, s:s, s:I, s:I}", "card_id", card.card_id,
					     "level", card.level, "device_kid", device.kid, "iat",
					     (json_int_t)card.iat_ms, "exp", (json_int_t)card.exp_ms);
	if (!st && !signed_card)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (!st && held) /* the app tells the resident: no card until the authority decides */
		json_object_set_new(signed_card, "status", json_string("held"));
	if (!st)
		st = eid_sign_json(a->signing, signed_card, err);
	if (st) {
		json_decref(signed_card);
		return st;
	}
	*card_out = signed_card;
	return EID_OK;
}
