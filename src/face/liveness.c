/* The active liveness check (eid/liveness.h): movements of a challenge, in
 * order, by one face whose shape changes. Thresholds and their measurement:
 * docs/liveness.md. */
#include <math.h>
#include <string.h>

#include "eid/liveness.h"

#define SHAPE_POINTS 68
#define MESH_POINTS 468

static const char *const move_names[] = {"left", "right", "up", "down"};

const char *eid_move_name(eid_move m)
{
	return (unsigned)m < 4 ? move_names[m] : "unknown";
}

int eid_move_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, move_names[i]) == 0)
			return i;
	return -1;
}

void eid_liveness_defaults(eid_liveness_cfg *cfg)
{
	/* a deliberate turn reaches 25-30 degrees in the dev clips, a still head
	 * wanders by under 5 (clips.csv yaw ranges); the estimate itself is
	 * uncertain by ~15% of its value (quality.c) */
	cfg->turn_deg = 15.0;
	cfg->nod_deg = 12.0;
	/* a turned head scores lower against a frontal one than a frontal pair:
	 * same-person frames of the dev clips stay above ~0.90 */
	cfg->min_identity = 0.88;
	cfg->min_face_frac = 0.6;
	/* a still photo moved, scaled or recompressed changes its normalised
	 * landmarks by well under 0.02; a 15-degree turn by several times that */
	cfg->min_shape_change = 0.04;
}

void eid_liveness_frame_from(const eid_face_result *r, eid_liveness_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (!r)
		return;
	f->has_face = 1;
	f->yaw_deg = r->quality.yaw_deg;
	f->pitch_deg = r->quality.pitch_deg;
	memcpy(f->embedding, r->embedding, sizeof(f->embedding));
	/* 68 of the 468 mesh points, without the roll, centred, unit RMS radius:
	 * moving, scaling or tilting a photo in its plane leaves this unchanged */
	const double a = -r->quality.roll_deg * M_PI / 180.0, c = cos(a), s = sin(a);
	double cx = 0, cy = 0;
	float xy[2 * SHAPE_POINTS];
	for (int i = 0; i < SHAPE_POINTS; i++) {
		const int k = i * (MESH_POINTS / SHAPE_POINTS);
		const double x = r->landmarks[3 * k], y = r->landmarks[3 * k + 1];
		xy[2 * i] = (float)(c * x - s * y);
		xy[2 * i + 1] = (float)(s * x + c * y);
		cx += xy[2 * i];
		cy += xy[2 * i + 1];
	}
	cx /= SHAPE_POINTS;
	cy /= SHAPE_POINTS;
	double rms = 0;
	for (int i = 0; i < SHAPE_POINTS; i++) {
		xy[2 * i] -= (float)cx;
		xy[2 * i + 1] -= (float)cy;
		rms += (double)xy[2 * i] * xy[2 * i] + (double)xy[2 * i + 1] * xy[2 * i + 1];
	}
	rms = sqrt(rms / SHAPE_POINTS);
	for (int i = 0; i < 2 * SHAPE_POINTS; i++)
		f->shape[i] = rms > 0 ? (float)(xy[i] / rms) : 0.0f;
}

static int moved(const eid_liveness_frame *f, eid_move m, const eid_liveness_cfg *cfg)
{
	switch (m) {
	case EID_MOVE_LEFT:
		return f->yaw_deg >= cfg->turn_deg;
	case EID_MOVE_RIGHT:
		return f->yaw_deg <= -cfg->turn_deg;
	case EID_MOVE_UP:
		return f->pitch_deg >= cfg->nod_deg;
	case EID_MOVE_DOWN:
		return f->pitch_deg <= -cfg->nod_deg;
	}
	return 0;
}

static double shape_distance(const float *a, const float *b)
{
	double d = 0;
	for (int i = 0; i < 2 * SHAPE_POINTS; i++)
		d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return sqrt(d / SHAPE_POINTS);
}

eid_status eid_liveness_check(const eid_liveness_frame *frames, size_t n, const eid_move *moves,
			      size_t nmoves, const float *reference, const eid_liveness_cfg *cfg,
			      eid_liveness_verdict *out, eid_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!frames || !moves || !reference || !out || nmoves == 0 ||
	    nmoves > EID_LIVENESS_MAX_MOVES || n > EID_LIVENESS_MAX_FRAMES)
		return eid_fail(err, EID_E_INVALID_ARG,
				"liveness needs frames (at most %d), 1-%d moves and a reference",
				EID_LIVENESS_MAX_FRAMES, EID_LIVENESS_MAX_MOVES);
	for (size_t i = 0; i < nmoves; i++)
		if ((unsigned)moves[i] > EID_MOVE_DOWN)
			return eid_fail(err, EID_E_INVALID_ARG, "move %zu is not a movement", i + 1);
	eid_liveness_cfg def;
	if (!cfg) {
		eid_liveness_defaults(&def);
		cfg = &def;
	}
	out->min_identity = 1.0;
	out->yaw_min = out->pitch_min = INFINITY;
	out->yaw_max = out->pitch_max = -INFINITY;
	const eid_liveness_frame *first = NULL;
	for (size_t i = 0; i < n; i++) {
		const eid_liveness_frame *f = &frames[i];
		if (!f->has_face)
			continue;
		out->faces++;
		const double id = eid_face_score(f->embedding, reference);
		out->min_identity = id < out->min_identity ? id : out->min_identity;
		out->yaw_min = fmin(out->yaw_min, f->yaw_deg);
		out->yaw_max = fmax(out->yaw_max, f->yaw_deg);
		out->pitch_min = fmin(out->pitch_min, f->pitch_deg);
		out->pitch_max = fmax(out->pitch_max, f->pitch_deg);
		if (!first)
			first = f;
		const double d = shape_distance(f->shape, first->shape);
		out->shape_change = d > out->shape_change ? d : out->shape_change;
		/* the next movement of the challenge, in order */
		if (out->moves_done < nmoves && moved(f, moves[out->moves_done], cfg))
			out->moves_done++;
	}
	if (n < 2 * nmoves)
		out->reason = "too_few_frames";
	else if (out->faces == 0 || (double)out->faces < cfg->min_face_frac * (double)n)
		out->reason = "no_face";
	else if (out->min_identity < cfg->min_identity)
		out->reason = "not_same_person";
	else if (out->shape_change < cfg->min_shape_change)
		out->reason = "no_motion";
	else if (out->moves_done < nmoves)
		out->reason = "challenge_not_followed";
	out->pass = out->reason == NULL;
	return EID_OK;
}
