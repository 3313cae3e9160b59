/* eid/liveness.h — the active liveness check: did a burst of camera frames
 * show one live face following a random challenge of head movements?
 *
 * The authority picks the challenge (e.g. left then right); the app films
 * the resident following it; each frame goes through the face engine
 * (eid_face_analyze) and becomes an eid_liveness_frame; the check then asks:
 *   - a face in enough of the frames;
 *   - every face the same person as the reference (the capture's frontal
 *     photo) at min_identity;
 *   - the movements of the challenge, in its order: yaw past +turn_deg for
 *     "left" (the resident's left: the nose goes to the image's right in an
 *     unmirrored frame), past -turn_deg for "right", pitch past +nod_deg for
 *     "up", past -nod_deg for "down";
 *   - the face's shape moving, not only its place and size: a still photo,
 *     shifted, scaled or recompressed, keeps its normalised landmarks.
 * Measured on ../shared/faces/video-dev (real head turns, real replays, and
 * still-photo attacks made from them): docs/liveness.md, with what it does
 * not stop (a replayed video that happens to turn the right way, prints
 * bent to fake a turn, masks, deepfakes). */
#ifndef EID_LIVENESS_H
#define EID_LIVENESS_H

#include <stddef.h>

#include "eid/face.h"

#define EID_LIVENESS_MAX_FRAMES 32
#define EID_LIVENESS_MAX_MOVES 4

typedef enum eid_move { EID_MOVE_LEFT, EID_MOVE_RIGHT, EID_MOVE_UP, EID_MOVE_DOWN } eid_move;

/* "left", "right", "up", "down"; parse answers -1 for anything else */
const char *eid_move_name(eid_move m);
int eid_move_parse(const char *s);

/* What the check needs of one frame (from an eid_face_result). */
typedef struct eid_liveness_frame {
	int has_face;
	double yaw_deg, pitch_deg;
	float shape[2 * 68]; /* landmarks, centred and scaled to unit RMS radius */
	float embedding[EID_FACE_EMBEDDING_DIM];
} eid_liveness_frame;

/* Fills f from a face result (r NULL: no face in this frame). */
void eid_liveness_frame_from(const eid_face_result *r, eid_liveness_frame *f);

typedef struct eid_liveness_cfg {
	double turn_deg, nod_deg; /* how far a movement must go */
	double min_identity;	  /* each frame vs the reference */
	double min_face_frac;	  /* frames with a face */
	double min_shape_change;  /* largest normalised-landmark change */
} eid_liveness_cfg;

void eid_liveness_defaults(eid_liveness_cfg *cfg);

typedef struct eid_liveness_verdict {
	int pass;
	const char *reason; /* NULL when passed: "too_few_frames", "no_face",
			     * "not_same_person", "no_motion", "challenge_not_followed" */
	size_t moves_done;  /* of the challenge, in order */
	size_t faces;	    /* frames with a face */
	double min_identity;
	double yaw_min, yaw_max, pitch_min, pitch_max;
	double shape_change;
} eid_liveness_verdict;

/* Judges n frames (in time order) against the challenge. reference: the
 * template the frames must match (unit length). cfg NULL: the defaults.
 * EID_E_INVALID_ARG for bad arguments; a failed check is EID_OK with
 * out->pass = 0 and out->reason set. */
EID_MUST_CHECK eid_status eid_liveness_check(const eid_liveness_frame *frames, size_t n,
					     const eid_move *moves, size_t nmoves,
					     const float *reference, const eid_liveness_cfg *cfg,
					     eid_liveness_verdict *out, eid_err *err);

#endif
