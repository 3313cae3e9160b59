/* eid/client.h — the parties that are not services: the resident's app, a
 * trusted terminal and a relying party, as HTTP clients of the platform
 * (docs/design.md). `eid demo` and the tests use them; the CLI clients will.
 *
 *   eid_app *app;
 *   if (eid_app_new(platform_url, &app, &err)) ...        // a new device key
 *   if (eid_app_enrol_light(app, id_number, photo, len, &err)) ...  // its card
 *   char sid[64]; char *qr;
 *   if (eid_rp_request(platform_url, credential, "check-in", "full", sid, &qr, &err)) ...
 *   json_t *answer;
 *   if (eid_app_answer(app, qr, photo, len, passcode, &answer, NULL, &err)) ...
 *   json_t *result;   // verified against the authority's published keys
 *   if (eid_rp_result(platform_url, credential, sid, &result, &err)) ...
 *
 * Ownership: eid_app and eid_terminal are opaque, freed with their _free
 * (which accepts NULL); returned json_t and strings are the caller's. Photos
 * are the caller's bytes (JPEG or PNG), sealed to the authority, never kept.
 */
#ifndef EID_CLIENT_H
#define EID_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "eid/crypto.h"
#include "eid/status.h"

typedef struct eid_app eid_app;
typedef struct eid_terminal eid_terminal;

/* A burst of frames (JPEG/PNG, in time order) of the resident performing the
 * challenge: the liveness evidence a capture carries with its photo
 * (eid/svc.h); needed at the full level, NULL where not. */
typedef struct eid_burst {
	const uint8_t *const *frames;
	const size_t *lens;
	size_t n;
} eid_burst;

/* An app that keeps nothing on disk: a new device key, no card. */
EID_MUST_CHECK eid_status eid_app_new(const char *platform_url, eid_app **out, eid_err *err);
/* An app kept in a directory (made 0700 if missing): device.key (0600, made
 * on first use) and card.json (0600, replaced atomically on enrolment). */
EID_MUST_CHECK eid_status eid_app_open(const char *state_dir, const char *platform_url,
				       eid_app **out, eid_err *err);
void eid_app_free(eid_app *app);
/* The card the app holds (NULL before enrolment); owned by the app. */
const json_t *eid_app_card(const eid_app *app);

/* Lightweight enrolment in the app alone (flow 3). */
EID_MUST_CHECK eid_status eid_app_enrol_light(eid_app *app, const char *id_number,
					      const uint8_t *photo, size_t photo_len,
					      eid_err *err);
/* Full enrolment with a terminal's QR payload (flow 2). */
EID_MUST_CHECK eid_status eid_app_enrol_full(eid_app *app, const char *qr, const char *mobile,
					     const char *passcode, const uint8_t *photo,
					     size_t photo_len, const eid_burst *burst, eid_err *err);
/* Answers a relying party's QR payload: shows nothing here (the caller has
 * the request from eid_app_request_info if it wants to), seals the face (and
 * passcode, NULL if none) and returns the authority's signed answer. body_out
 * (NULL if unwanted) receives what was sent, for replay tests. */
EID_MUST_CHECK eid_status eid_app_answer(eid_app *app, const char *qr, const uint8_t *photo,
					 size_t photo_len, const char *passcode,
					 const eid_burst *burst, json_t **answer_out,
					 json_t **body_out, eid_err *err);
/* The liveness challenge of a QR payload's session (after checking the
 * platform's signature on it): a JSON array of movements ("left", "right",
 * "up", "down"), to perform in order. */
EID_MUST_CHECK eid_status eid_app_challenge(eid_app *app, const char *qr, json_t **moves_out,
					    eid_err *err);
/* Who asks and why, for the consent screen: the platform's request
 * {"sid","rp":{"id","name"},"purpose","level","nonce","exp"}. */
EID_MUST_CHECK eid_status eid_app_request_info(eid_app *app, const char *qr, json_t **info_out,
					       eid_err *err);
/* The resident's own verification history, asked with the card (signed by
 * the device key): {"card_id", "verifications": [...]} newest first. */
EID_MUST_CHECK eid_status eid_app_history(eid_app *app, json_t **out, eid_err *err);
/* Changes the passcode of the app's full card: the old one and the face,
 * sealed to the authority with the new one. */
EID_MUST_CHECK eid_status eid_app_change_passcode(eid_app *app, const char *old_passcode,
						  const char *new_passcode, const uint8_t *photo,
						  size_t photo_len, eid_err *err);
/* Sends a body again to the session of qr (a replay); *status_out is the
 * platform's HTTP status. */
EID_MUST_CHECK eid_status eid_app_resend(eid_app *app, const char *qr, json_t *body,
					 long *status_out, eid_err *err);

/* A registered terminal: its id and key (the terminal takes the key, also
 * when it fails). */
EID_MUST_CHECK eid_status eid_terminal_new(const char *platform_url, const char *term_id,
					   eid_key *key, eid_terminal **out, eid_err *err);
void eid_terminal_free(eid_terminal *t);
/* Opens a full enrolment for a claimed ID number; *qr_out (free()) for the app. */
EID_MUST_CHECK eid_status eid_terminal_enrol(eid_terminal *t, const char *id_number,
					     char **qr_out, eid_err *err);

/* A relying party's request; sid_out and *qr_out (free()). */
EID_MUST_CHECK eid_status eid_rp_request(const char *platform_url, const char *credential,
					 const char *purpose, const char *level, char sid_out[64],
					 char **qr_out, eid_err *err);
/* Its signed answer, checked against the authority's keys as the platform
 * relays them; EID_E_NOT_FOUND while unanswered. */
EID_MUST_CHECK eid_status eid_rp_result(const char *platform_url, const char *credential,
					const char *sid, json_t **result_out, eid_err *err);

#endif
