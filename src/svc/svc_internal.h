/* svc/svc_internal.h — pieces shared inside src/svc. */
#ifndef EID_SVC_INTERNAL_H
#define EID_SVC_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "eid/crypto.h"
#include "eid/face.h"
#include "eid/face_match.h"
#include "eid/store.h"
#include "eid/svc.h"

#define SVC_FACE_CTX_MAX 16
#define SVC_COHORT_RETIRED 8 /* cohorts replaced while serving, freed at close */
#define SVC_MAX_CAPTURE (8u << 20) /* a sealed capture's bytes: a photo and its burst */

struct eid_authority {
	eid_key *signing, *sealing, *pseudonym, *kek, *idhash;
	eid_key *challenge; /* derives each session's liveness challenge from its nonce */
	eid_store *store;
	eid_face_engine *faces; /* loaded on first use, shared by the contexts */
	/* a pool of one-thread face contexts, one per core: requests run their
	 * pipelines side by side; face_lock guards the pool, not the work */
	eid_face_ctx *face_ctx[SVC_FACE_CTX_MAX];
	int face_busy[SVC_FACE_CTX_MAX];
	int face_n, face_max;
	pthread_mutex_t face_lock;
	pthread_cond_t face_free;
	struct svc_dedup *dedup; /* the 1:N gallery, built on first use (dedup.c) */
	char dir[4096]; /* <data>/authority */
	/* the score-normalisation cohort (cohort.c), loaded on first use */
	pthread_mutex_t cohort_lock;
	eid_face_cohort *cohort;
	int cohort_loaded;
	eid_face_cohort *cohort_retired[SVC_COHORT_RETIRED];
	int cohort_retired_n;
};

void svc_dedup_free(struct svc_dedup *d);
/* The normalisation cohort when it is the calibration's, else NULL (the
 * fused scorer then decides). Loaded from the data directory on first use. */
const eid_face_cohort *svc_cohort(eid_authority *a);
/* One line per face decision: the scorer, calibration and level it used,
 * never the score or anything of the face. */
void svc_log_decision(const char *flow, eid_face_scorer scorer, eid_face_level level,
		      size_t templates, const char *why);
void svc_cohort_free(eid_authority *a);

/* The platform (platform.c; oidc.c is its OpenID provider). */
struct eid_platform {
	eid_key *signing;
	eid_store *store;
	char *authority_url;
	char public_url[256];
	/* the authority's published keys, fetched at most once a minute for
	 * the sealing key every enrolment session hands out */
	pthread_mutex_t keys_lock;
	json_t *authority_keys;
	int64_t keys_fetched_ms;
	struct svc_oidc *oidc; /* the OpenID provider's signing keys (oidc.c) */
};

/* 1 if id can be one of ours: random base64url, 1 to 47 characters */
int svc_id_ok(const char *id);
/* The stored form of a credential secret, session cookie, code or token:
 * BLAKE2b-256 of its text (the text itself is never stored). */
void svc_secret_hash(const char *secret, uint8_t out[32]);
/* Inside a transaction: revokes person's other cards for card_id and audits
 * "card.superseded" (subject: the id-number hash) if there were any. */
eid_status svc_supersede_cards(eid_authority *a, const char *person, const char *subject,
			       const char *card_id, eid_err *err);
/* "lightweight" 1, "full" 2, anything else -1 */
int svc_level_rank(const char *level);
/* The OpenID provider's keys in dir/oidc-keys (created on first open). */
EID_MUST_CHECK eid_status svc_oidc_open(const char *platform_dir, struct svc_oidc **out,
					eid_err *err);
void svc_oidc_close(struct svc_oidc *o);

/* A face template under the KEK: its ciphertext holds at most this much. */
#define SVC_TEMPLATE_CT_BYTES (EID_FACE_TEMPLATE_BYTES + EID_KEK_OVERHEAD)
/* The register template of person from its KEK ciphertext. */
EID_MUST_CHECK eid_status svc_load_template(eid_authority *a, const char *person, const uint8_t *ct,
					    size_t ct_len, eid_face_template *tpl, eid_err *err);
/* The register template of person, read and decrypted. */
EID_MUST_CHECK eid_status svc_resident_template(eid_authority *a, const char *person,
						eid_face_template *tpl, eid_err *err);
/* The enrolment capture's template kept with card_id (EID_E_NOT_FOUND when the
 * card has none). */
EID_MUST_CHECK eid_status svc_card_template(eid_authority *a, const char *card_id,
					    eid_face_template *tpl, eid_err *err);
/* tpl packed and encrypted under the KEK with ad (e.g. "template:<person>"). */
EID_MUST_CHECK eid_status svc_seal_template(eid_authority *a, const char *ad,
					    const eid_face_template *tpl,
					    uint8_t ct[SVC_TEMPLATE_CT_BYTES], size_t *ct_len,
					    eid_err *err);
/* A capture's photo (base64url JPEG/PNG) through the face engine into r. */
EID_MUST_CHECK eid_status svc_capture_analyze(eid_authority *a, const char *photo_b64,
					      eid_face_result *r, eid_err *err);
/* The liveness check of a capture for session nonce (liveness.c): its
 * "frames" must show the registered person following the session's
 * challenge. reference: the dlib embedding of the person's register template,
 * which the caller has decrypted for the face match. NULL when passed, else
 * why ("liveness_<reason>"); *st is an error that is not the resident's (out
 * of memory, storage). */
const char *svc_liveness_check(eid_authority *a, const float *reference,
			       const char *nonce, const json_t *cap, eid_status *st,
			       eid_err *err);
/* The template of a capture's photo (base64url JPEG/PNG) through the engine;
 * *quality_fails (may be NULL) gets its failed quality checks (a bit mask of
 * eid_face_quality_reason). */
EID_MUST_CHECK eid_status svc_capture_template(eid_authority *a, const char *photo_b64,
					       eid_face_template *out, unsigned *quality_fails,
					       eid_err *err);
/* Opens a message sealed to the authority under ad and parses its JSON;
 * the plaintext is wiped. */
EID_MUST_CHECK eid_status svc_unseal_json(eid_authority *a, const char *ad, size_t ad_len,
					  const uint8_t *sealed, size_t sealed_len, json_t **out,
					  eid_err *err);
/* EID_OK if sig is device's signature of ad || sealed. */
EID_MUST_CHECK eid_status svc_signed_sealed(const eid_pubkey *device, const char *ad,
					    size_t ad_len, const uint8_t *sealed,
					    size_t sealed_len, const uint8_t *sig, size_t sig_len,
					    eid_err *err);
/* Device-signed requests outside a session (history, passcode change) carry
 * the app's clock: EID_E_EXPIRED when it is SVC_CLOCK_SKEW_MS off ours. */
#define SVC_CLOCK_SKEW_MS (2 * 60 * 1000)
EID_MUST_CHECK eid_status svc_check_clock(int64_t ts_ms, eid_err *err);
/* Opens a capture sealed to the authority under ad, parses its JSON (which
 * must hold "card_id" and "photo"), reads that card and checks sig, the
 * device's signature of ad || sealed, against it (EID_E_DENIED if not). */
EID_MUST_CHECK eid_status svc_open_card_capture(eid_authority *a, const char *ad, size_t ad_len,
						const uint8_t *sealed, size_t sealed_len,
						const uint8_t *sig, size_t sig_len, json_t **cap_out,
						eid_card_row *card, eid_err *err);
/* The person's passcode, with lockout: NULL when right, else the reason for
 * a "no" ("passcode_wrong", "passcode_locked", "no_passcode"); *st is set
 * only for storage failures. */
const char *svc_check_passcode(eid_authority *a, const char *person, const char *passcode,
			       eid_status *st, eid_err *err);
/* A capture's probe template against the person's register template reg and
 * card card_id's enrolment template (when there is a card and it keeps one),
 * at the level's calibrated threshold: NULL when it matches, else "no_match";
 * *st for other failures. The decision is logged as flow ("verify", "enrol"). */
const char *svc_face_check(eid_authority *a, const char *flow, const eid_face_template *reg,
			   const char *card_id, const eid_face_template *probe, eid_face_level level,
			   eid_status *st, eid_err *err);
/* The capture's photo through the engine for a decision: EID_E_QUALITY, with
 * the reasons, when it is not good enough to decide on (a new capture is
 * needed, nothing is decided); "no_face" in *why when the engine finds no face
 * or cannot read it. */
EID_MUST_CHECK eid_status svc_probe(eid_authority *a, const char *photo_b64,
				    eid_face_template *probe, const char **why, eid_err *err);
/* Unix time in milliseconds. */
int64_t svc_now_ms(void);

/* A face context of the pool, for this thread alone until svc_face_release:
 * loads the engine on first use (models_dir NULL: the default places), makes
 * a context while fewer than one per core exist, else waits for one. */
EID_MUST_CHECK eid_status svc_face_acquire(eid_authority *a, const char *models_dir,
					   eid_face_ctx **out, eid_err *err);
void svc_face_release(eid_authority *a, eid_face_ctx *fc);

/* Format, check character, birth date and sex of an ID number, checked
 * against the other fields; messages name fields, never values. */
EID_MUST_CHECK eid_status svc_id_check(const char *id, const char *birth_date, const char *sex,
				       eid_err *err);

#endif
