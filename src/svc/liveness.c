/* The authority's side of the liveness challenge: the challenge of a session
 * and the check of a capture's burst of frames (eid/liveness.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "eid/liveness.h"
#include "svc_internal.h"

/* two different movements from the keyed hash of the nonce */
static eid_status derive(eid_authority *a, const char *nonce, eid_move moves[2], eid_err *err)
{
	char h[EID_PSEUDONYM_LEN + 1];
	uint8_t b[32];
	eid_status st = eid_pseudonym(a->challenge, nonce, strlen(nonce), "liveness", 8, h, err);
	if (!st)
		st = eid_b64url_decode_exact(h, strlen(h), b, sizeof(b), err);
	if (st)
		return st;
	moves[0] = (eid_move)(b[0] % 4);
	moves[1] = (eid_move)((moves[0] + 1 + b[1] % 3) % 4);
	return EID_OK;
}

eid_status eid_authority_challenge(eid_authority *a, const char *nonce, json_t **out, eid_err *err)
{
	*out = NULL;
	if (!nonce || !*nonce || strlen(nonce) > 64)
		return eid_fail(err, EID_E_INVALID_ARG, "nonce missing or too long");
	eid_move m[2];
	eid_status st = derive(a, nonce, m, err);
	if (!st)
		*out = json_pack("{s:[ss]}", "challenge", eid_move_name(m[0]), eid_move_name(m[1]));
	return st ? st : *out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

const char *svc_liveness_check(eid_authority *a, const float *reference,
			       const char *nonce, const json_t *cap, eid_status *st, eid_err *err)
{
	static const char *const why[] = {"liveness_too_few_frames", "liveness_no_face",
					  "liveness_not_same_person", "liveness_no_motion",
					  "liveness_challenge_not_followed"};
	*st = EID_OK;
	const json_t *list = json_object_get(cap, "frames");
	const size_t n = json_array_size(list);
	if (!json_is_array(list) || n < 2 || n > EID_CHALLENGE_FRAMES)
		return "liveness_no_burst";
	eid_move moves[2];
	if ((*st = derive(a, nonce, moves, err)))
		return NULL;
	eid_liveness_frame *frames = calloc(n, sizeof(*frames));
	eid_face_result *r = malloc(sizeof(*r));
	const char *out = NULL;
	if (!frames || !r) {
		*st = eid_fail(err, EID_E_NOMEM, "out of memory");
	} else {
		for (size_t i = 0; !*st && !out && i < n; i++) {
			const char *f = json_string_value(json_array_get(list, i));
			eid_err ignore;
			eid_status fs = f ? svc_capture_analyze(a, f, r, &ignore) : EID_E_FORMAT;
			if (fs == EID_OK || fs == EID_E_NO_FACE)
				eid_liveness_frame_from(fs ? NULL : r, &frames[i]);
			else if (fs == EID_E_NOMEM)
				*st = eid_fail(err, fs, "out of memory");
			else
				out = "liveness_bad_frame"; /* not an image the engine reads */
		}
		eid_liveness_verdict v;
		if (!*st && !out &&
		    !(*st = eid_liveness_check(frames, n, moves, 2, reference, NULL, &v, err)) && !v.pass) {
			out = "liveness_failed";
			for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
				if (strcmp(why[i] + 9, v.reason) == 0)
					out = why[i];
		}
	}
	if (r)
		sodium_memzero(r, sizeof(*r));
	if (frames)
		sodium_memzero(frames, n * sizeof(*frames));
	free(r);
	free(frames);
	return out;
}
