/* Verification at the authority (flow 4): open the sealed capture, check it
 * against the card, decide, sign the answer. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "svc_internal.h"


size_t eid_verify_ad(const char *sid, const char *nonce, int64_t exp_ms, const char *rp_id,
		     const char *level, char *out, size_t cap)
{
	int n = snprintf(out, cap, "v1|verify|%s|%s|%lld|%s|%s", sid, nonce, (long long)exp_ms,
			 rp_id, level);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

eid_status svc_probe(eid_authority *a, const char *photo_b64, eid_face_template *probe,
		     const char **why, eid_err *err)
{
	*why = NULL;
	unsigned fails = 0;
	eid_status st = photo_b64 ? svc_capture_template(a, photo_b64, probe, &fails, err)
				  : eid_fail(err, EID_E_FORMAT, "the capture has no photo");
	if (st == EID_E_NO_FACE || st == EID_E_FORMAT) { /* the resident's photo */
		*why = "no_face";
		return EID_OK;
	}
	if (st || !fails)
		return st;
	/* decide on a good capture or not at all: the app asks for another */
	const char *codes[EID_FACE_Q_COUNT];
	const size_t nc = eid_face_quality_reasons(&(eid_face_quality){.fails = fails}, codes,
						   EID_FACE_Q_COUNT);
	char list[256] = "";
	for (size_t i = 0; i < nc; i++) {
		const size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", codes[i]);
	}
	sodium_memzero(probe, sizeof(*probe));
	return eid_fail(err, EID_E_QUALITY, "take another photo: %s", list);
}

const char *svc_face_check(eid_authority *a, const char *flow, const eid_face_template *reg,
			   const char *card_id, const eid_face_template *probe, eid_face_level level,
			   eid_status *st, eid_err *err)
{
	/* the register photo and, when the card keeps it, the enrolment capture */
	eid_face_template *kept = malloc(sizeof(*kept));
	if (!kept) {
		*st = eid_fail(err, EID_E_NOMEM, "out of memory");
		return NULL;
	}
	const eid_face_template *gallery[2] = {reg, kept};
	size_t n = 1;
	*st = EID_OK;
	if (card_id) {
		eid_status cs = svc_card_template(a, card_id, kept, err);
		if (!cs)
			n = 2;
		else if (cs != EID_E_NOT_FOUND) /* a card issued before cards kept one */
			*st = cs;
	}
	const char *why = NULL;
	if (!*st) {
		eid_face_scorer used;
		const double score = eid_face_match_gallery(probe, gallery, n, svc_cohort(a), &used);
		if (score < eid_face_threshold(level, used))
			why = "no_match";
		svc_log_decision(flow, used, level, n, why);
	}
	sodium_memzero(kept, sizeof(*kept));
	free(kept);
	return why;
}

const char *svc_check_passcode(eid_authority *a, const char *person, const char *passcode,
				  eid_status *st, eid_err *err)
{
	char hash[128];
	int failures = 0;
	int64_t locked_until = 0;
	const int64_t now = svc_now_ms();
	*st = eid_store_passcode_get(a->store, person, hash, &failures, &locked_until, err);
	if (*st == EID_E_NOT_FOUND) { /* a card without a passcode: lightweight only */
		*st = EID_OK;
		return "no_passcode";
	}
	if (*st)
		return NULL;
	if (now < locked_until)
		return "passcode_locked";
	bool match = false;
	eid_err ignore;
	if (!passcode ||
	    eid_passcode_verify(hash, strlen(hash), passcode, strlen(passcode), &match, &ignore) !=
		    EID_OK)
		match = false;
	if (match) {
		if (failures)
			*st = eid_store_passcode_record(a->store, person, 0, 0, err);
		return NULL;
	}
	failures++;
	/* five wrong in a row lock for 1 minute, then 2, 4, ... (capped at a day) */
	int64_t lock = 0;
	if (failures >= 5) {
		const int shift = failures - 5 < 11 ? failures - 5 : 11;
		lock = now + (60000LL << shift);
	}
	*st = eid_store_passcode_record(a->store, person, failures, lock, err);
	return "passcode_wrong";
}

eid_status eid_authority_verify(eid_authority *a, const eid_verify_request *q, json_t **result_out,
				eid_err *err)
{
	*result_out = NULL;
	if (!q->sid || !q->nonce || !q->rp_id || !q->level || !q->sealed || !q->device_sig)
		return eid_fail(err, EID_E_INVALID_ARG, "incomplete verification request");
	if (svc_level_rank(q->level) < 0)
		return eid_fail(err, EID_E_INVALID_ARG, "level must be lightweight or full");
	const int full = svc_level_rank(q->level) == 2;
	if (svc_now_ms() > q->exp_ms)
		return eid_fail(err, EID_E_EXPIRED, "the request has expired");
	if (q->sealed_len > SVC_MAX_CAPTURE || q->sig_len != EID_SIG_BYTES)
		return eid_fail(err, EID_E_FORMAT, "capture too large or signature malformed");
	char ad[512];
	const size_t ad_len = eid_verify_ad(q->sid, q->nonce, q->exp_ms, q->rp_id, q->level, ad,
					    sizeof(ad));
	if (!ad_len)
		return eid_fail(err, EID_E_INVALID_ARG, "session values too long");
	json_t *cap = NULL;
	eid_card_row card;
	eid_status st = svc_open_card_capture(a, ad, ad_len, q->sealed, q->sealed_len, q->device_sig,
					      q->sig_len, &cap, &card, err);
	if (st)
		return st;

	/* the decision */
	const char *why = NULL;
	if (strcmp(card.status, "active") != 0)
		why = "card_not_active";
	else if (svc_now_ms() > card.exp_ms)
		why = "card_expired";
	else if (svc_level_rank(card.level) < svc_level_rank(q->level))
		why = "level_too_low";
	/* the face first: a capture too poor to decide on is sent back before
	 * the nonce is spent, so the app can take another in the same session */
	eid_face_template *tpl = malloc(2 * sizeof(*tpl)); /* the probe, the register's */
	if (!tpl)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	const char *face_why = NULL;
	if (!st && !why)
		st = svc_probe(a, json_string_value(json_object_get(cap, "photo")), &tpl[0], &face_why,
			       err);
	char once[96];
	snprintf(once, sizeof(once), "verify:%s", q->nonce);
	if (!st)
		st = eid_store_nonce_use(a->store, once, q->exp_ms, err);
	if (st) {
		json_decref(cap);
		if (tpl)
			sodium_memzero(tpl, 2 * sizeof(*tpl));
		free(tpl);
		return st;
	}
	if (!why && full)
		why = svc_check_passcode(a, card.person_id,
				     json_string_value(json_object_get(cap, "passcode")), &st, err);
	if (!st && !why)
		why = face_why;
	/* the register template once, for the match and the liveness check */
	if (!st && !why)
		st = svc_resident_template(a, card.person_id, &tpl[1], err);
	if (!st && !why)
		why = svc_face_check(a, "verify", &tpl[1], card.card_id, &tpl[0],
				     full ? EID_FACE_LEVEL_FULL : EID_FACE_LEVEL_LIGHTWEIGHT,
				     &st, err);
	/* full: a live person following the session's challenge (issue 6) */
	if (!st && !why && (full || json_object_get(cap, "frames")))
		why = svc_liveness_check(a, tpl[1].dlib, q->nonce, cap, &st, err);
	sodium_memzero(tpl, 2 * sizeof(*tpl));
	free(tpl);
	json_decref(cap);
	if (st)
		return st;

	/* the signed answer: the result, the level, the pairwise pseudonym */
	char sub[EID_PSEUDONYM_LEN + 1];
	if ((st = eid_pseudonym(a->pseudonym, card.person_id, strlen(card.person_id), q->rp_id,
				strlen(q->rp_id), sub, err)))
		return st;
	const int64_t now = svc_now_ms();
	json_t *res = json_pack("{s:s, s:s, s:s, s:s, s:I}", "sid", q->sid, "rp", q->rp_id, "result",
				why ? "no" : "yes", "level", q->level, "iat", (json_int_t)now);
	if (res && !why)
		json_object_set_new(res, "sub", json_string(sub));
	if (!res)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_verification_row v;
	memset(&v, 0, sizeof(v));
	snprintf(v.sid, sizeof(v.sid), "%s", q->sid);
	snprintf(v.person_id, sizeof(v.person_id), "%s", card.person_id);
	snprintf(v.rp_id, sizeof(v.rp_id), "%s", q->rp_id);
	snprintf(v.purpose, sizeof(v.purpose), "%s", q->purpose ? q->purpose : "");
	snprintf(v.result, sizeof(v.result), "%s", why ? "no" : "yes");
	snprintf(v.level, sizeof(v.level), "%s", q->level);
	v.time_ms = now;
	if (!(st = eid_store_begin(a->store, err))) {
		st = eid_store_verification_add(a->store, &v, err);
		if (!st)
			st = eid_store_audit_append(a->store, why ? "verification.no" : "verification.yes",
						    sub, why ? why : "match", strlen(why ? why : "match"),
						    NULL, err);
		st = eid_store_end(a->store, st, err);
	}
	if (!st)
		st = eid_sign_json(a->signing, res, err);
	if (st) {
		json_decref(res);
		return st;
	}
	*result_out = res;
	return EID_OK;
}
