/* The liveness check's decisions on made-up bursts: the order of the
 * challenge, a still photo (no shape change), another person, missing faces.
 * The same check on real clips and attacks: tools/liveness-eval.sh. */
#include <math.h>
#include <string.h>

#include "eid/liveness.h"
#include "test.h"

static float ref[EID_FACE_EMBEDDING_DIM], other[EID_FACE_EMBEDDING_DIM];

/* a frame of person `who` at yaw/pitch, its shape bent by the pose */
static eid_liveness_frame frame(double yaw, double pitch, const float *who)
{
	eid_liveness_frame f;
	memset(&f, 0, sizeof(f));
	f.has_face = 1;
	f.yaw_deg = yaw;
	f.pitch_deg = pitch;
	memcpy(f.embedding, who, sizeof(f.embedding));
	for (int i = 0; i < 68; i++) {
		const double a = 2 * M_PI * i / 68;
		f.shape[2 * i] = (float)(cos(a) * (1 - fabs(yaw) / 200) + yaw / 100 * (i % 3 == 0));
		f.shape[2 * i + 1] = (float)(sin(a) + pitch / 100 * (i % 3 == 1));
	}
	return f;
}

static void test_setup(void)
{
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++) {
		ref[i] = (float)(1.0 / sqrt(EID_FACE_EMBEDDING_DIM));
		other[i] = (float)((i % 2 ? 1.0 : -1.0) / sqrt(EID_FACE_EMBEDDING_DIM));
	}
}

static const char *run(const eid_liveness_frame *f, size_t n, const char *a, const char *b)
{
	eid_move m[2] = {(eid_move)eid_move_parse(a), (eid_move)eid_move_parse(b)};
	eid_liveness_verdict v;
	eid_err err;
	REQUIRE(eid_liveness_check(f, n, m, 2, ref, NULL, &v, &err) == EID_OK);
	return v.pass ? "pass" : v.reason;
}

static void test_challenge_order(void)
{
	eid_liveness_frame f[8];
	const double yaw[8] = {0, 10, 25, 5, -5, -25, -10, 0}; /* left, then right */
	for (int i = 0; i < 8; i++)
		f[i] = frame(yaw[i], 0, ref);
	CHECK(strcmp(run(f, 8, "left", "right"), "pass") == 0);
	CHECK(strcmp(run(f, 8, "right", "left"), "challenge_not_followed") == 0);
	CHECK(strcmp(run(f, 8, "up", "left"), "challenge_not_followed") == 0);
	const double nod[8] = {0, 5, 20, 0, -5, -20, 0, 0};
	for (int i = 0; i < 8; i++)
		f[i] = frame(yaw[i] / 5, nod[i], ref);
	CHECK(strcmp(run(f, 8, "up", "down"), "pass") == 0);
}

static void test_attacks_and_errors(void)
{
	eid_liveness_frame f[8];
	for (int i = 0; i < 8; i++) /* a still photo: nothing moves */
		f[i] = frame(0, 0, ref);
	CHECK(strcmp(run(f, 8, "left", "right"), "no_motion") == 0);
	const double yaw[8] = {0, 10, 25, 5, -5, -25, -10, 0};
	for (int i = 0; i < 8; i++)
		f[i] = frame(yaw[i], 0, i == 5 ? other : ref); /* someone else turns right */
	CHECK(strcmp(run(f, 8, "left", "right"), "not_same_person") == 0);
	for (int i = 0; i < 8; i++)
		f[i] = frame(yaw[i], 0, ref);
	for (int i = 0; i < 4; i++)
		f[i].has_face = 0;
	CHECK(strcmp(run(f, 8, "left", "right"), "no_face") == 0);
	CHECK(strcmp(run(f, 3, "left", "right"), "too_few_frames") == 0);
	eid_liveness_verdict v;
	eid_err err;
	eid_move bad = (eid_move)7;
	CHECK(eid_liveness_check(f, 8, &bad, 1, ref, NULL, &v, &err) == EID_E_INVALID_ARG);
	/* one frame too many, with a valid move: the frame limit alone refuses */
	static eid_liveness_frame many[EID_LIVENESS_MAX_FRAMES + 1];
	for (int i = 0; i <= EID_LIVENESS_MAX_FRAMES; i++)
		many[i] = frame(yaw[i % 8], 0, ref);
	const eid_move left = EID_MOVE_LEFT;
	CHECK(eid_liveness_check(many, EID_LIVENESS_MAX_FRAMES + 1, &left, 1, ref, NULL, &v,
				 &err) == EID_E_INVALID_ARG);
	CHECK(eid_liveness_check(many, EID_LIVENESS_MAX_FRAMES, &left, 1, ref, NULL, &v, &err) ==
	      EID_OK);
	CHECK(eid_move_parse("sideways") == -1 && strcmp(eid_move_name(EID_MOVE_UP), "up") == 0);
}

TEST_MAIN(test_setup, test_challenge_order, test_attacks_and_errors)
