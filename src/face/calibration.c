/* The calibration the services decide with. These numbers are
 * src/face/calibration.json, which `make calibrate` (tools/face-calibrate.mjs)
 * computes from ../shared/faces; tests/face/test_match.c holds the two equal.
 * How they were set, and what they give: docs/calibration.md. */
#include "eid/face_match.h"

#include <string.h>

static const eid_face_calibration current = {
	.id = "east-asian-cc4ae576",
	.population = "East Asian",
	.data = "normalisation: 291 faces of ../shared/faces/cohort (half A); impostors: 41905 "
		"pairs of the other half, 19252 dev East-Asian cross-person pairs, 58000 dev x "
		"other half; genuine: 648 dev East-Asian pairs (weights only)",
	.cohort_rule = "the files of manifest.csv in name order at even positions (0, 2, 4, ...), "
		       "less any where no face is found",
	.cohort_digest = "2fc487d0cf217adcfeff19d1395273598618e25b922fcb6afb08df4682d8e894",
	.cohort_n = 291,
	.cohort_k = 50,
	.cohort_gate = {0.8739, 0.4484},
	.dlib_mean = 0.887055,
	.dlib_sd = 0.03471,
	.faceres_mean = 0.469954,
	.faceres_sd = 0.081634,
	.weight = {[EID_FACE_SCORER_DLIB] = 1.0,
		   [EID_FACE_SCORER_FUSED] = 0.6,
		   [EID_FACE_SCORER_FUSED_NORM] = 0.7},
	.far_target = {1e-3, 1e-4},
	.threshold =
		{
			[EID_FACE_SCORER_DLIB] = {2.3360, 2.4485},
			[EID_FACE_SCORER_FUSED] = {2.6012, 2.7178},
			[EID_FACE_SCORER_FUSED_NORM] = {3.1056, 3.7958},
		},
};

const eid_face_calibration *eid_face_calibration_current(void)
{
	return &current;
}

eid_status eid_face_cohort_check(size_t n, const char *digest, eid_err *err)
{
	if (n != (size_t)current.cohort_n || strcmp(digest, current.cohort_digest) != 0)
		return eid_fail(err, EID_E_INVALID_ARG,
				"this cohort (%zu faces, digest %.12s) is not the one calibration %s "
				"was set with (%d faces, digest %.12s): recalibrate with it first",
				n, digest, current.id, current.cohort_n, current.cohort_digest);
	return EID_OK;
}
