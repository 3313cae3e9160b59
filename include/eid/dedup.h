/* eid/dedup.h — one person, one identity: the authority's 1:N search of a
 * new face against every registered resident (issue 6; docs/search.md).
 *
 * The gallery is an eid_search index (int8 templates, exact float re-score
 * of the best candidates, decrypted on demand from the register) built from
 * the active residents' templates on first use and kept current by the
 * import and by adjudication. A register row whose face scores at or above
 * EID_DEDUP_THRESHOLD against a resident is held (status "held", record and
 * template under the KEK, queued for the administrator with kind
 * "duplicate") instead of imported; a lightweight enrolment whose face
 * matches a resident other than the one claimed gets a card held for the
 * same decision (eid_dedup_hold_card).
 *
 *   eid_dedup_match m;
 *   if (eid_dedup_search(a, tpl, NULL, &m, &err)) ...;
 *   if (m.n) ...  // m.c[0].person, m.c[0].score: the best match
 *
 * The administrator decides with eid_admin_held_accept / _reject (eid/admin.h).
 * Candidates are person ids (random, opaque) and scores: never a name, an ID
 * number or a template. All functions may be called from several threads.
 */
#ifndef EID_DEDUP_H
#define EID_DEDUP_H

#include <stdint.h>

#include "eid/face.h"
#include "eid/status.h"
#include "eid/store.h"
#include "eid/svc.h"

/* Same face as a registered resident: a cosine of the dlib embeddings the
 * int8 gallery searches (dev set: FMR 1e-2 per comparison; East-Asian cohort:
 * 4.0e-3). A face that would pass a lightweight
 * verification as another resident is a second identity; holds go to a
 * person, so this errs toward holding. docs/search.md has the FPIR/FNIR it
 * gives on the dev set and what they mean for a city and a country. */
#define EID_DEDUP_THRESHOLD 0.9564
#define EID_DEDUP_CANDIDATES 4 /* candidates kept with a hold */

typedef struct eid_dedup_match {
	unsigned n; /* candidates at or above the threshold, best first */
	struct {
		char person[48];
		double score; /* exact float score */
	} c[EID_DEDUP_CANDIDATES];
} eid_dedup_match;

/* Residents other than exclude (a person id, or NULL) whose reference face
 * scores at least EID_DEDUP_THRESHOLD against tpl, best first, at most
 * EID_DEDUP_CANDIDATES. Builds the gallery on first use. */
EID_MUST_CHECK eid_status eid_dedup_search(eid_authority *a,
					   const float tpl[EID_FACE_EMBEDDING_DIM],
					   const char *exclude, eid_dedup_match *out,
					   eid_err *err);

/* Adds an active resident's template to the gallery (after its row is
 * committed). A no-op before the gallery is built: the build reads it. */
EID_MUST_CHECK eid_status eid_dedup_add(eid_authority *a, const char *person,
					const float tpl[EID_FACE_EMBEDDING_DIM], eid_err *err);

/* Templates in the gallery (builds it first). */
EID_MUST_CHECK eid_status eid_dedup_size(eid_authority *a, size_t *n_out, eid_err *err);

/* The register import's hold: in one transaction, row (its status must be
 * "held") joins the register, the administrator's queue gets an entry of
 * kind "duplicate" (batch, line, the candidates and the best score), and the
 * audit log "register.held" (subject: the ID number's keyed hash). *reason_out
 * is the queue entry's reason text. */
EID_MUST_CHECK eid_status eid_dedup_hold(eid_authority *a, const eid_resident_row *row,
					 const char *subject, const eid_dedup_match *m,
					 const char *batch, int64_t batch_ms, unsigned line,
					 char reason_out[256], eid_err *err);

/* A lightweight enrolment whose face also matches other residents (m, from
 * eid_dedup_search excluding the claimed person): the new card, already
 * stored with status "held", joins the administrator's queue with the
 * candidates (held list; accept makes it active and supersedes the person's
 * earlier cards, reject revokes it; both audited). Runs inside the caller's
 * transaction. */
EID_MUST_CHECK eid_status eid_dedup_hold_card(eid_authority *a, const eid_dedup_match *m,
					      const char *person, const char *subject,
					      const char *card_id, eid_err *err);

#endif
