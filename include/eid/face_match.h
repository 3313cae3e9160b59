/* eid/face_match.h — the verification decision: templates, scores and the
 * calibrated thresholds the services decide with.
 *
 * A template is what the face engine keeps of one photo: the reference
 * pipeline's dlib embedding and faceres's descriptor. Two templates compare to
 * a score in units of the East-Asian impostor distribution, by the best of
 * three scorers the templates allow:
 *   fused_norm  adaptive score normalisation against a cohort of East-Asian
 *               faces (each cosine minus the mean of the two templates' K best
 *               cohort cosines, over their standard deviations, averaged),
 *               for each embedder, the two mixed with a weight; only when
 *               every template is in the cohort's domain (a face far from
 *               all of the cohort, a grey 1990s scan say, would get an
 *               inflated score), else fused;
 *   fused       without a cohort: (cosine - impostor mean) / impostor sd per
 *               embedder, mixed with a weight;
 *   dlib        the reference pipeline's embedding alone, z-normalised, for
 *               templates stored before faceres was added.
 * Each scorer has its own threshold per level: the score at which
 * East-Asian impostors are accepted at that level's target rate. Where the
 * numbers come from and the measurements behind each step: docs/calibration.md;
 * `make calibrate` recomputes them into src/face/calibration.json, which a test
 * holds equal to the compiled values here.
 *
 *   eid_face_template a, b;
 *   eid_face_template_make(fc, &img, r, &a, &err);      // after eid_face_analyze
 *   eid_face_scorer used;
 *   double s = eid_face_match(&a, &b, cohort, &used);  // cohort may be NULL
 *   if (s >= eid_face_threshold(EID_FACE_LEVEL_FULL, used)) ...accept
 */
#ifndef EID_FACE_MATCH_H
#define EID_FACE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "eid/face.h"
#include "eid/status.h"

typedef struct eid_face_template {
	float dlib[EID_FACE_EMBEDDING_DIM];
	float faceres[EID_FACE_RES_DIM];
	int has_faceres; /* 0: a dlib-only template (stored before fusion) */
} eid_face_template;

typedef enum eid_face_scorer {
	EID_FACE_SCORER_DLIB = 0,       /* the reference pipeline's embedding alone */
	EID_FACE_SCORER_FUSED = 1,      /* dlib and faceres, z-normalised */
	EID_FACE_SCORER_FUSED_NORM = 2, /* dlib and faceres, normalised against the cohort */
	EID_FACE_SCORERS
} eid_face_scorer;

typedef enum eid_face_level {
	EID_FACE_LEVEL_LIGHTWEIGHT = 0,
	EID_FACE_LEVEL_FULL = 1,
	EID_FACE_LEVELS
} eid_face_level;

typedef struct eid_face_calibration {
	const char *id;         /* names this calibration in logs and reports */
	const char *population; /* whom the thresholds were set for */
	const char *data;       /* the impostor and genuine data they were set on */
	/* the normalisation cohort the fused_norm thresholds hold for */
	const char *cohort_rule;   /* how it is chosen from a cohort folder */
	const char *cohort_digest; /* SHA-256 (hex) of its file names, one per line */
	int cohort_n, cohort_k;    /* its size; the K best cosines each score uses */
	/* the cohort's domain: a template whose K best cohort cosines average less
	 * than this (dlib, faceres) is unlike the faces the normalisation was
	 * calibrated on, and its comparisons use the fused scorer */
	double cohort_gate[2];
	double dlib_mean, dlib_sd;       /* impostor cosines, dlib */
	double faceres_mean, faceres_sd; /* impostor cosines, faceres */
	double weight[EID_FACE_SCORERS]; /* of dlib in each scorer (1 for dlib) */
	double far_target[EID_FACE_LEVELS];
	double threshold[EID_FACE_SCORERS][EID_FACE_LEVELS]; /* four decimals */
} eid_face_calibration;

/* The calibration compiled into this build (src/face/calibration.c). */
const eid_face_calibration *eid_face_calibration_current(void);
/* EID_OK if a cohort of n templates whose names hash to digest (as
 * eid_face_cohort_dir gives them) is the one the calibration was set with:
 * its fused_norm thresholds hold for that cohort only. */
EID_MUST_CHECK eid_status eid_face_cohort_check(size_t n, const char *digest, eid_err *err);

const char *eid_face_level_name(eid_face_level level);   /* "lightweight", "full" */
const char *eid_face_scorer_name(eid_face_scorer scorer); /* "dlib", "fused", "fused_norm" */

/* A score-normalisation cohort: templates (with faceres) of people of the
 * served population, one photo each, none of them compared with it. The
 * cohort is immutable once made and may be shared between threads. */
typedef struct eid_face_cohort eid_face_cohort;
/* Copies n templates. EID_E_INVALID_ARG if one lacks faceres or n is smaller
 * than the calibration's K. */
EID_MUST_CHECK eid_status eid_face_cohort_new(const eid_face_template *t, size_t n,
					      eid_face_cohort **out, eid_err *err);
void eid_face_cohort_free(eid_face_cohort *c);
size_t eid_face_cohort_size(const eid_face_cohort *c);

/* Templates of many photos, on threads threads (each its own context). */
typedef struct eid_face_batch_item {
	const char *path;      /* in: the photo */
	eid_face_template tpl; /* out */
	int quality_ok;        /* out: passes the capture quality checks */
	eid_status st;         /* out: EID_OK, or why there is no template */
	char msg[sizeof(((eid_err *)0)->msg)]; /* out: the message when st is not EID_OK */
} eid_face_batch_item;
void eid_face_batch(const eid_face_engine *fe, eid_face_batch_item *items, size_t n, int threads);

/* The normalisation cohort of a cohort folder (photos and a manifest.csv with
 * a "file" column) by the calibration's rule: the files in name order at even
 * positions, less any where no face is found. *out (caller frees) gets their
 * templates, digest the SHA-256 (hex) of their names, one per line, which
 * must equal the calibration's cohort_digest for its thresholds to hold. */
EID_MUST_CHECK eid_status eid_face_cohort_dir(const eid_face_engine *fe, const char *dir,
					      int threads, eid_face_template **out,
					      size_t *n_out, char digest[65], eid_err *err);

/* The score of a probe against a person's n templates (the register photo
 * and, for cards that keep it, the enrolment capture): the mean of the n
 * scores, with the best scorer every template allows (fused_norm needs
 * cohort, which may be NULL); *used (may be NULL) says which. Higher = more
 * likely the same person. The mean of two impostor scores passes a threshold
 * above the impostor mean less often than one does, so a level's
 * single-photo threshold stays valid for two (measured: docs/calibration.md). */
double eid_face_match_gallery(const eid_face_template *probe, const eid_face_template *const *gallery,
			      size_t n, const eid_face_cohort *cohort, eid_face_scorer *used);
/* One template against another: eid_face_match_gallery with n = 1. */
double eid_face_match(const eid_face_template *a, const eid_face_template *b,
		      const eid_face_cohort *cohort, eid_face_scorer *used);
/* The score with the given calibration and scorer, which both templates (and
 * the cohort, for fused_norm) must allow. */
double eid_face_match_with(const eid_face_calibration *cal, eid_face_scorer scorer,
			   const eid_face_cohort *cohort, const eid_face_template *a,
			   const eid_face_template *b);

/* The current calibration's threshold: accept when score >= threshold. */
double eid_face_threshold(eid_face_level level, eid_face_scorer scorer);
/* A score of one scorer on another's scale: the linear map that takes the
 * first's two thresholds to the second's, so decisions keep their level.
 * For ROC numbers over pairs some of which fell back to another scorer. */
double eid_face_score_rescale(double score, eid_face_scorer from, eid_face_scorer to);

/* eid_face_analyze's embedding plus faceres on the same face. img must be the
 * image r was computed from. */
EID_MUST_CHECK eid_status eid_face_template_make(eid_face_ctx *fc, const eid_image *img,
						 const eid_face_result *r, eid_face_template *out,
						 eid_err *err);

/* Byte form for storage: "EFT2" then the little-endian floats of dlib and
 * faceres. The legacy form, 512 bytes of dlib floats alone, still unpacks
 * (has_faceres = 0). */
#define EID_FACE_TEMPLATE_BYTES (4 + 4 * (EID_FACE_EMBEDDING_DIM + EID_FACE_RES_DIM))
#define EID_FACE_TEMPLATE_LEGACY_BYTES (4 * EID_FACE_EMBEDDING_DIM)
/* Writes EID_FACE_TEMPLATE_BYTES (or the legacy size for a dlib-only
 * template) to out and returns that length. */
size_t eid_face_template_pack(const eid_face_template *t, uint8_t out[EID_FACE_TEMPLATE_BYTES]);
/* EID_E_FORMAT for a length or header that is neither form, or a value that is
 * not finite. */
EID_MUST_CHECK eid_status eid_face_template_unpack(const uint8_t *in, size_t n,
						   eid_face_template *out, eid_err *err);

#endif
