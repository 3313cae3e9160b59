/* eid/svc.h — the authority and the platform, as services: their state, keys
 * and operations, with no sockets and no SQL (src/api puts them on HTTP,
 * src/cli on the command line). docs/design.md says what each holds.
 *
 *   eid_authority *a;  eid_platform *p;  eid_err err;
 *   if (eid_authority_open("/var/lib/eid", &a, &err)) ...   // DIR/authority/
 *   if (eid_platform_open("/var/lib/eid", authority_url, &p, &err)) ...   // DIR/platform/
 *   json_t *keys = eid_authority_key_set(a);              // publish
 *   ...
 *   eid_platform_close(p);  eid_authority_close(a);
 *
 * Layout of a data directory (created on first open, directories 0700, key
 * files 0600 and never overwritten):
 *   authority/keys/{signing,sealing,pseudonym,kek,idhash}.key
 *   authority/authority.db
 *   platform/keys/signing.key
 *   platform/platform.db
 * The platform's directory holds none of the authority's secrets; the two
 * roles share nothing but the parent directory and talk over HTTP.
 *
 * Ownership: open/close pairs; key sets are new json_t references the caller
 * decrefs. A service object may be used from several threads: its keys are
 * immutable (storage operations, when they come, serialise themselves).
 */
#ifndef EID_SVC_H
#define EID_SVC_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "eid/crypto.h"
#include "eid/face_match.h"
#include "eid/status.h"

typedef struct eid_authority eid_authority;
typedef struct eid_platform eid_platform;

EID_MUST_CHECK eid_status eid_authority_open(const char *data_dir, eid_authority **out,
					     eid_err *err);
void eid_authority_close(eid_authority *a);
/* The published keys: {"service":"authority","keys":[{"kid","use":"sig",
 * "alg":"Ed25519","x"}, {"kid","use":"seal","alg":"X25519","x"}]}; "x" is
 * the public key in base64url (a JWK OKP member). */
json_t *eid_authority_key_set(const eid_authority *a);

/* --- register import (flow 1) ------------------------------------------------
 * A CSV with the header line id_number,name,birth_date,sex,address,photo
 * (RFC 4180 quoting; photo paths relative to the CSV's directory). Each row is
 * checked (the ID number's format and check digit, its birth date and sex
 * against the other fields), its photo goes through the face engine (exactly
 * one face), and the row is stored with the ID number only as a keyed hash,
 * the record and the template encrypted under the KEK, and an audit entry.
 * The photo itself is not kept. Bad rows are reported and skipped, good rows
 * kept: one JSON line per row on `report` (NULL: none),
 *   {"line":N,"status":"imported","person":"..."} or
 *   {"line":N,"status":"rejected","code":"...","message":"..."}
 * Messages name the field, never its value. models_dir: NULL for the face
 * engine's default. Fails as a whole only if the file cannot be read or its
 * header is wrong. */
typedef struct eid_import_counts {
	unsigned rows, imported, rejected;
} eid_import_counts;

/* The GB 11643 check character ('0'-'9' or 'X') of an 18-character ID
 * number, from its first 17 digits. */
char eid_id_check_char(const char *first17);

EID_MUST_CHECK eid_status eid_authority_import(eid_authority *a, const char *csv_path,
					       const char *models_dir, FILE *report,
					       eid_import_counts *counts_out, eid_err *err);

/* The score-normalisation cohort (eid/face_match.h, docs/calibration.md):
 * n templates of faces of the served population that are not residents, and
 * the digest of their file names (eid_face_cohort_dir). Refused unless they
 * are the cohort the compiled calibration was set with. Kept under the KEK in
 * the data directory, replacing any earlier cohort; this authority uses it at
 * once, another process on the same data at its next start. */
EID_MUST_CHECK eid_status eid_authority_cohort_set(eid_authority *a,
						   const eid_face_template *t, size_t n,
						   const char *digest, eid_err *err);

/* --- enrolment (flow 3, lightweight; full enrolment needs a terminal) -------
 * The app seals {"id_number", "photo" (base64url JPEG/PNG), "device_pk"
 * (base64url Ed25519)} to the authority's sealing key with the associated
 * data eid_enrol_ad() builds, and signs AD || sealed with its device key.
 * Full enrolment (flow 2, at a trusted terminal): the ID number comes from
 * the terminal's claim (sealed with eid_claim_ad, relayed by the platform
 * after checking the terminal's signature); the app's capture adds "mobile"
 * (6-15 digits) and "passcode" (eight digits, stored as Argon2id), and the
 * face must pass the full threshold.
 * The authority, given the session's values by the platform, checks the
 * expiry, opens the capture, checks the device signature, spends the nonce
 * (a replay is EID_E_CONFLICT), finds the resident by the keyed hash of the
 * ID number, compares the face with the reference template at the level's
 * calibrated threshold (eid/face_match.h; EID_E_DENIED below it) and issues a
 * card bound to the device key, keeping the capture's template with it,
 * signed: {"card_id","level","device_kid","iat","exp","sig"}. A photo failing
 * the capture quality checks is EID_E_QUALITY before the nonce is spent: the
 * app takes another and sends it in the same session. */

typedef struct eid_enrol_request {
	const char *sid, *nonce, *level;
	int64_t exp_ms;
	const uint8_t *sealed, *device_sig;
	size_t sealed_len, sig_len;
	const uint8_t *claim; /* full: the terminal's sealed {"id_number"} */
	size_t claim_len;
} eid_enrol_request;

/* "v1|claim|<sid>|<nonce>|<exp>": what a terminal's claim is sealed to */
size_t eid_claim_ad(const char *sid, const char *nonce, int64_t exp_ms, char *out, size_t cap);

/* "v1|enrol|<sid>|<nonce>|<exp>|<level>"; returns its length (0 if cap is too small) */
size_t eid_enrol_ad(const char *sid, const char *nonce, int64_t exp_ms, const char *level,
		    char *out, size_t cap);
EID_MUST_CHECK eid_status eid_authority_enrol(eid_authority *a, const eid_enrol_request *req,
					      json_t **card_out, eid_err *err);

/* --- verification (flow 4) -------------------------------------------------
 * The app seals {"card_id", "photo"} with the associated data eid_verify_ad()
 * builds (session, nonce, expiry, relying party, level) and signs AD || sealed
 * with the device key bound to the card. The authority checks expiry, opens
 * the capture, checks the signature against the card's device key, spends
 * the nonce, and decides: "yes" when the card is active and unexpired, its
 * level reaches the request's (a lightweight card never passes "full") and
 * the face matches the register at the level's threshold; otherwise "no".
 * Either way the answer is signed and carries nothing else:
 *   {"sid","rp","result","level","sub" (pairwise pseudonym),"iat","sig"}
 * (sub is absent from a "no"). Protocol failures (bad signature, replay,
 * unknown card) are errors, not answers. A "full" request also needs the
 * card's passcode in the capture ("passcode"): five wrong in a row lock the
 * checks for 1, 2, 4... minutes; a locked or wrong passcode answers no. */
typedef struct eid_verify_request {
	const char *sid, *nonce, *rp_id, *level, *purpose;
	int64_t exp_ms;
	const uint8_t *sealed, *device_sig;
	size_t sealed_len, sig_len;
} eid_verify_request;

/* "v1|verify|<sid>|<nonce>|<exp>|<rp_id>|<level>"; 0 if cap is too small */
size_t eid_verify_ad(const char *sid, const char *nonce, int64_t exp_ms, const char *rp_id,
		     const char *level, char *out, size_t cap);
EID_MUST_CHECK eid_status eid_authority_verify(eid_authority *a, const eid_verify_request *req,
					       json_t **result_out, eid_err *err);

/* --- liveness challenge (issue 6, docs/liveness.md) ---------------------------
 * Every session's challenge is two different head movements, derived from
 * its nonce with the authority's secret "challenge" key: unpredictable to
 * anyone else, the same each time it is asked. Full enrolment and full
 * verification need the capture to carry "frames" (2 to EID_CHALLENGE_FRAMES
 * base64url JPEG/PNG, in time order) showing the registered person perform
 * it (eid/liveness.h); lightweight captures are checked when they carry
 * frames. A failed check refuses the enrolment ("liveness_<reason>") or
 * answers no. */
#define EID_CHALLENGE_MOVES 2
#define EID_CHALLENGE_FRAMES 16
EID_MUST_CHECK eid_status eid_authority_challenge(eid_authority *a, const char *nonce,
						  json_t **out, eid_err *err);

/* --- live capture guidance ---------------------------------------------------
 * While the camera runs, the app seals a frame {"photo"} to the authority with
 * the associated data eid_quality_ad(nonce, ts) (a fresh nonce; ts within two
 * minutes of the authority's clock) and gets the face engine's capture-quality
 * verdict: {"faces", "ok", "reasons": [codes of eid_face_quality_code, or
 * "no_face"]}. Nothing is stored or logged; the platform cannot see the frame. */
size_t eid_quality_ad(const char *nonce, int64_t ts_ms, char *out, size_t cap);
EID_MUST_CHECK eid_status eid_authority_capture_quality(eid_authority *a, const char *nonce,
							int64_t ts_ms, const uint8_t *sealed,
							size_t sealed_len, json_t **out,
							eid_err *err);

/* --- lifecycle and audit (flows 5, 6) ---------------------------------------
 * A card's status: "active", "suspended" (lost, may come back) or "revoked"
 * (for good: a revoked card cannot be made active again, EID_E_DENIED). Each
 * change is audited. audit_verify walks the hash chain (eid_store_audit_verify). */
EID_MUST_CHECK eid_status eid_authority_card_status(eid_authority *a, const char *card_id,
						    const char *status, eid_err *err);
EID_MUST_CHECK eid_status eid_authority_audit_verify(eid_authority *a, uint64_t *rows_out,
						     uint64_t *first_bad_out, eid_err *err);

/* --- the resident's own history (flow 5) ----------------------------------
 * The app asks with its card: it signs eid_history_msg(card_id, nonce, ts)
 * with the card's device key (nonce: a fresh random id; ts: its clock, within
 * two minutes of the authority's). The card must be active: a lost phone's
 * finder learns nothing once the card is suspended or revoked. The answer
 * {"card_id", "verifications": [{"sid", "rp", "purpose", "result", "level",
 * "time"}]} lists the latest 100 decisions, newest first; the platform adds
 * each relying party's name. */
typedef struct eid_history_request {
	const char *card_id, *nonce;
	int64_t ts_ms;
	const uint8_t *device_sig;
	size_t sig_len;
} eid_history_request;

/* "v1|history|<card_id>|<nonce>|<ts>"; 0 if cap is too small */
size_t eid_history_msg(const char *card_id, const char *nonce, int64_t ts_ms, char *out,
		       size_t cap);
EID_MUST_CHECK eid_status eid_authority_history(eid_authority *a, const eid_history_request *q,
						json_t **out, eid_err *err);

/* "v1|<verb>|<card_id>|<nonce>|<ts>": what the device signs for a request
 * without a capture (verb "history" or "revoke"); 0 if cap is too small */
size_t eid_device_msg(const char *verb, const char *card_id, const char *nonce, int64_t ts_ms,
		      char *out, size_t cap);

/* --- "revoke this device" (flow 6, from the app) ----------------------------
 * The same checks as the history with the verb "revoke"; the card becomes
 * revoked for good (audited). For a lost phone the resident goes to a
 * terminal or the authority instead, and re-enrolment revokes it too.
 * *out: {"card_id", "status": "revoked"}. */
EID_MUST_CHECK eid_status eid_authority_revoke_device(eid_authority *a,
						      const eid_history_request *q, json_t **out,
						      eid_err *err);

/* --- changing the passcode of a full card (flow 5) ---------------------------
 * The app seals {"card_id", "photo", "passcode" (the old one), "new_passcode"}
 * to the authority with the associated data eid_passcode_ad(card_id, nonce,
 * ts) and signs AD || sealed with the card's device key. The authority needs
 * an active full card, the request once, within two minutes of its clock, a
 * valid new passcode, the right old one (wrong ones count towards the
 * lockout) and the face at the full threshold. EID_E_DENIED otherwise. */
typedef struct eid_passcode_request {
	const char *card_id, *nonce;
	int64_t ts_ms;
	const uint8_t *sealed, *device_sig;
	size_t sealed_len, sig_len;
} eid_passcode_request;

/* "v1|passcode|<card_id>|<nonce>|<ts>"; 0 if cap is too small */
size_t eid_passcode_ad(const char *card_id, const char *nonce, int64_t ts_ms, char *out,
		       size_t cap);
EID_MUST_CHECK eid_status eid_authority_change_passcode(eid_authority *a,
							const eid_passcode_request *q,
							json_t **out, eid_err *err);

/* authority_url: where the platform reaches the authority ("http://...") */
EID_MUST_CHECK eid_status eid_platform_open(const char *data_dir, const char *authority_url,
					    eid_platform **out, eid_err *err);
void eid_platform_close(eid_platform *p);
json_t *eid_platform_key_set(const eid_platform *p);
const char *eid_platform_authority_url(const eid_platform *p);
/* The platform's URL as the world reaches it ("" until set): the OpenID
 * issuer and the "platform" of QR payloads. */
const char *eid_platform_public_url(const eid_platform *p);
/* The authority's published key set as GET <authority>/v1/keys answers it:
 * fetched now if fresh, else at most once a minute (and again after
 * set_authority_url); *out is the caller's copy. EID_E_IO when the authority
 * does not answer. */
EID_MUST_CHECK eid_status eid_platform_authority_keys(eid_platform *p, int fresh, json_t **out,
						      eid_err *err);
EID_MUST_CHECK eid_status eid_platform_set_authority_url(eid_platform *p, const char *url,
							 eid_err *err);
/* The platform's signing public key (what the authority's internal routes trust). */
const eid_pubkey *eid_platform_signing_key(const eid_platform *p);
/* The platform's own address as apps reach it (put in QR payloads). */
EID_MUST_CHECK eid_status eid_platform_set_public_url(eid_platform *p, const char *url,
						      eid_err *err);

/* --- registration by an administrator (flow 2) -----------------------------
 * A relying party gets an id and a secret, returned once and stored only as
 * a hash; it authenticates as "Bearer <rp_id>.<secret>". max_level is
 * "lightweight" or "full": the highest level it may ask for. A terminal is
 * registered with the public key it generated (base64url Ed25519). Names are
 * 1-100 printable characters. */
#define EID_CREDENTIAL_ID_LEN 22     /* random id, base64url */
#define EID_CREDENTIAL_SECRET_LEN 43 /* 32 random bytes, base64url */

EID_MUST_CHECK eid_status eid_platform_add_rp(eid_platform *p, const char *name,
					      const char *max_level,
					      char rp_id_out[EID_CREDENTIAL_ID_LEN + 1],
					      char secret_out[EID_CREDENTIAL_SECRET_LEN + 1],
					      eid_err *err);
EID_MUST_CHECK eid_status eid_platform_add_terminal(eid_platform *p, const char *name,
						    const char *public_key_b64,
						    char term_id_out[EID_CREDENTIAL_ID_LEN + 1],
						    eid_err *err);
/* Checks a bearer credential in constant time; EID_E_DENIED if it is wrong.
 * On success copies the relying party's id. */
EID_MUST_CHECK eid_status eid_platform_rp_auth(eid_platform *p, const char *credential,
					       char rp_id_out[EID_CREDENTIAL_ID_LEN + 1],
					       eid_err *err);

/* --- verification requests (flow 5, first step) ----------------------------
 * A relying party asks (purpose: 1-200 printable characters; level at most
 * its max_level, else EID_E_DENIED). The answer is
 *   {"sid", "exp" (unix ms, 5 minutes on), "qr"}
 * where qr is base64url of the platform-signed JSON {v, type:"verify", sid,
 * nonce, exp, platform} that the app scans. get answers only the relying
 * party that asked (EID_E_NOT_FOUND for anyone else); request_info is what
 * the app shows the resident before consent: who asks, why, at which level. */
EID_MUST_CHECK eid_status eid_platform_verification_new(eid_platform *p, const char *rp_id,
							const char *purpose, const char *level,
							json_t **out, eid_err *err);
EID_MUST_CHECK eid_status eid_platform_verification_get(eid_platform *p, const char *rp_id,
							const char *sid, json_t **out,
							eid_err *err);
EID_MUST_CHECK eid_status eid_platform_request_info(eid_platform *p, const char *sid,
						    json_t **out, eid_err *err);

/* --- enrolment through the platform -----------------------------------------
 * new: a lightweight enrolment session {"sid","nonce","exp","level",
 * "authority_seal": {"kid","x"}} (the key the app seals to, fetched from the
 * authority). submit: relays the app's sealed capture and device signature
 * (base64url) to the authority, signed with the platform's key, and answers
 * the authority's signed card; the platform cannot open the capture. */
EID_MUST_CHECK eid_status eid_platform_enrolment_new(eid_platform *p, const char *level,
						     json_t **out, eid_err *err);
/* Full enrolment at a trusted terminal. Both calls take the terminal's
 * request signed with its registered key (eid_sign_json; "term_id" and "ts",
 * unix ms within five minutes, in the body; EID_E_DENIED otherwise).
 *   terminal_new:   {} -> {"sid","nonce","exp","level":"full","authority_seal"}
 *   terminal_claim: {"claim": base64url of {"id_number"} sealed with
 *                   eid_claim_ad} -> {"qr"} for the app (platform-signed
 *                   {v, type:"enrol", sid, nonce, exp, level, platform})
 * The app then submits its capture like any enrolment. */
EID_MUST_CHECK eid_status eid_platform_terminal_new(eid_platform *p, const json_t *signed_req,
						    json_t **out, eid_err *err);
EID_MUST_CHECK eid_status eid_platform_terminal_claim(eid_platform *p, const char *sid,
						      const json_t *signed_req, json_t **out,
						      eid_err *err);

/* A terminal's page signs in: any request signed by a registered, active
 * terminal -> {"term_id", "name", "officer"}. The page then puts the
 * officer's badge number ("officer": 1-32 of [A-Za-z0-9-]) in every signed
 * request; terminal_new records it in the platform's audit log with the
 * session (event "terminal.session_opened", subject "TERM_ID:OFFICER"). */
EID_MUST_CHECK eid_status eid_platform_terminal_signin(eid_platform *p, const json_t *signed_req,
						       json_t **out, eid_err *err);
/* What became of the terminal's own enrolment session sid (signed request):
 * {"sid", "state": "pending" | "enrolled" | "refused" (the face did not
 * match) | "expired", "exp"}. Another terminal's session is EID_E_NOT_FOUND. */
EID_MUST_CHECK eid_status eid_platform_terminal_state(eid_platform *p, const char *sid,
						      const json_t *signed_req, json_t **out,
						      eid_err *err);

/* The resident's history: req is the app's {"card_id", "nonce", "ts",
 * "device_sig"} (the authority checks the signature); relayed, then each
 * entry's "rp" becomes {"id", "name"}. */
EID_MUST_CHECK eid_status eid_platform_history(eid_platform *p, const json_t *req, json_t **out,
					       eid_err *err);

/* The liveness challenge of a pending session sid: {"sid", "challenge":
 * ["left", "up"]}, asked of the authority with the session's nonce. */
EID_MUST_CHECK eid_status eid_platform_challenge(eid_platform *p, const char *sid, json_t **out,
						 eid_err *err);

/* Live capture guidance: the app's {"nonce", "ts", "sealed"}, relayed. */
EID_MUST_CHECK eid_status eid_platform_capture_quality(eid_platform *p, const json_t *req,
						       json_t **out, eid_err *err);

/* "Revoke this device": the app's device-signed {"card_id", "nonce", "ts",
 * "device_sig"} (over eid_device_msg("revoke", ...)), relayed. */
EID_MUST_CHECK eid_status eid_platform_revoke_device(eid_platform *p, const json_t *req,
						     json_t **out, eid_err *err);

/* A passcode change: req is the app's {"card_id", "nonce", "ts", "sealed",
 * "device_sig"}, relayed as it is (the platform cannot open it). */
EID_MUST_CHECK eid_status eid_platform_change_passcode(eid_platform *p, const json_t *req,
						       json_t **out, eid_err *err);

/* The app's sealed capture for a verification request: relayed to the
 * authority like an enrolment; the signed answer is kept for the relying
 * party (verification_get then carries it as "result") and returned. */
EID_MUST_CHECK eid_status eid_platform_verification_submit(eid_platform *p, const char *sid,
							   const char *sealed_b64,
							   const char *device_sig_b64,
							   json_t **result_out, eid_err *err);
EID_MUST_CHECK eid_status eid_platform_enrolment_submit(eid_platform *p, const char *sid,
							const char *sealed_b64,
							const char *device_sig_b64,
							json_t **card_out, eid_err *err);

#endif
