/* The calibration the services decide with. These numbers are
 * src/face/calibration.json, which `make calibrate` (tools/face-calibrate.mjs)
 * computes from ../shared/faces; tests/face/test_calibration.c holds the two
 * equal. How they were set, and what they give: docs/calibration.md. */
#include "eid/face_match.h"

static const eid_face_calibration current = {
	.id = "east-asian-cf1f5c85",
	.population = "East Asian",
	.data = "impostors: 168490 pairs of ../shared/faces/cohort (581 people), 19252 dev "
		"East-Asian cross-person pairs, 116200 dev x cohort pairs; genuine: 648 dev "
		"East-Asian pairs (weight only)",
	.dlib_mean = 0.886695,
	.dlib_sd = 0.034031,
	.faceres_mean = 0.470472,
	.faceres_sd = 0.078995,
	.weight = 0.7,
	.far_target = {1e-3, 1e-4},
	.threshold =
		{
			[EID_FACE_SCORER_DLIB] = {2.3932, 2.4893},
			[EID_FACE_SCORER_FUSED] = {2.5733, 2.7595},
		},
};

const eid_face_calibration *eid_face_calibration_current(void)
{
	return &current;
}
