/* Tests of src/face/metrics.c on small hand-computed cases. */
#include "eid/face_geom.h"
#include "test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* No interpolation needed: at t = 0.65 FAR = FRR = 1/4 exactly.
 *   t      0.1  0.2  0.3  0.6  0.65
 *   FAR    1    .75  .5   .25  .25
 *   FRR    0    0    0    0    .25   → EER 0.25 at 0.65 */
static void test_eer_exact_crossing(void)
{
	const double g[] = {0.9, 0.8, 0.7, 0.6}, im[] = {0.1, 0.2, 0.3, 0.65};
	double eer, thr;
	eid_err err;
	CHECK_OK(eid_face_metrics_eer(g, N(g), im, N(im), &eer, &thr, &err));
	CHECK_NEAR(eer, 0.25, 1e-15);
	CHECK_NEAR(thr, 0.65, 1e-15);
}

/* Interpolated: G = {.5,.7,.9}, I = {.2,.6}
 *   t      0.2  0.5  0.6   0.7
 *   FAR    1    .5   .5    0
 *   FRR    0    0    1/3   1/3
 * a = 0.6 (FAR-FRR = 1/6), b = 0.7 (-1/3): alpha = (1/6)/(1/2) = 1/3,
 * EER = .5 + (0 - .5)/3 = 1/3 (= 1/3 + 0 on the FRR side),
 * threshold = 0.6 + 0.1/3. */
static void test_eer_interpolated(void)
{
	const double g[] = {0.7, 0.5, 0.9}, im[] = {0.6, 0.2};
	double eer, thr;
	eid_err err;
	CHECK_OK(eid_face_metrics_eer(g, N(g), im, N(im), &eer, &thr, &err));
	CHECK_NEAR(eer, 1.0 / 3, 1e-15);
	CHECK_NEAR(thr, 0.6 + 0.1 / 3, 1e-15);
}

/* Perfect separation: the crossing is between the highest impostor (FAR 1/2,
 * FRR 0 at 0.3... ) and the lowest genuine score.
 *   t      0.1  0.3  0.8  0.9
 *   FAR    1    .5   0    0
 *   FRR    0    0    0    .5   → b = 0.8 with FAR = FRR = 0: EER 0 at 0.8. */
static void test_eer_separated(void)
{
	const double g[] = {0.8, 0.9}, im[] = {0.1, 0.3};
	double eer, thr;
	eid_err err;
	CHECK_OK(eid_face_metrics_eer(g, N(g), im, N(im), &eer, &thr, &err));
	CHECK_NEAR(eer, 0, 0);
	CHECK_NEAR(thr, 0.8, 0);
}

/* Everything tied: at t = 0.5 FAR 1, FRR 0; just above 0.5 FAR 0, FRR 1:
 * alpha = 1/2, EER = 0.5, threshold between 0.5 and the next double. */
static void test_eer_all_tied(void)
{
	const double g[] = {0.5, 0.5, 0.5}, im[] = {0.5};
	double eer, thr;
	eid_err err;
	CHECK_OK(eid_face_metrics_eer(g, N(g), im, N(im), &eer, &thr, &err));
	CHECK_NEAR(eer, 0.5, 1e-15);
	CHECK_NEAR(thr, 0.5, 1e-15);
}

/* Fully inverted scores: every impostor above every genuine. */
static void test_eer_inverted(void)
{
	const double g[] = {0.1, 0.2}, im[] = {0.8, 0.9};
	/* t: .1 (FAR 1, FRR 0) .2 (1, .5) .8 (1, 1) → a = .2 (d .5), b = .8 (d 0):
	 * alpha = 1, EER 1 at 0.8. */
	double eer, thr;
	eid_err err;
	CHECK_OK(eid_face_metrics_eer(g, N(g), im, N(im), &eer, &thr, &err));
	CHECK_NEAR(eer, 1, 1e-15);
	CHECK_NEAR(thr, 0.8, 1e-15);
}

/* Threshold for a FAR with ties at the cut:
 * I = {.1 .2 .3 .4 .5 .6 .7 .8 .8 .9}, target 0.2 → k = 2 false accepts
 * allowed; the 3rd highest impostor (0.8) must be rejected, and the other
 * 0.8 with it: threshold = next double above 0.8, achieved FAR 1/10.
 * G = {.7 .8 .85 .95}: the genuine 0.8 is rejected too → TAR 2/4. */
static void test_far_ties(void)
{
	const double im[] = {0.5, 0.1, 0.8, 0.3, 0.9, 0.4, 0.2, 0.6, 0.8, 0.7};
	const double g[] = {0.8, 0.85, 0.95, 0.7};
	eid_face_op op;
	eid_err err;
	CHECK_OK(eid_face_metrics_at_far(g, N(g), im, N(im), 0.2, &op, &err));
	CHECK(op.threshold > 0.8);
	CHECK(op.threshold == nextafter(0.8, 1.0));
	CHECK_NEAR(op.far, 0.1, 0);
	CHECK_NEAR(op.tar, 0.5, 0);
	/* Target 0.3: k = 3, the 4th highest (0.7) rejected: accepts 0.8, 0.8, 0.9. */
	CHECK_OK(eid_face_metrics_at_far(g, N(g), im, N(im), 0.3, &op, &err));
	CHECK(op.threshold == nextafter(0.7, 1.0));
	CHECK_NEAR(op.far, 0.3, 1e-15);
	CHECK_NEAR(op.tar, 0.75, 0);
	/* Target below 1/n: threshold just above the highest impostor, FAR 0. */
	CHECK_OK(eid_face_metrics_at_far(g, N(g), im, N(im), 0.05, &op, &err));
	CHECK(op.threshold == nextafter(0.9, 1.0));
	CHECK_NEAR(op.far, 0, 0);
	CHECK_NEAR(op.tar, 0.25, 0);
	/* Just under 0.1·k boundaries: 0.0999 → k = 0. */
	CHECK_OK(eid_face_metrics_at_far(g, N(g), im, N(im), 0.0999, &op, &err));
	CHECK(op.threshold == nextafter(0.9, 1.0));
}

/* 1000 impostors i/1000 and 100 genuine 0.9 + i/1000 (i < 100):
 * FAR 1e-2 → k = 10, reject the 11th highest (0.989): threshold above 0.989,
 * FAR 10/1000; genuine >= 0.989..: 0.990..0.999 → 10 of 100.
 * FAR 1e-3 → k = 1, reject 0.998: FAR 1/1000, genuine 0.999 only → 1/100. */
static void test_compute(void)
{
	double im[1000], g[100];
	for (int i = 0; i < 1000; i++)
		im[i] = i / 1000.0;
	for (int i = 0; i < 100; i++)
		g[i] = 0.9 + i / 1000.0;
	eid_face_metrics m;
	eid_err err;
	CHECK_OK(eid_face_metrics_compute(g, 100, im, 1000, &m, &err));
	CHECK(m.n_genuine == 100 && m.n_impostor == 1000);
	CHECK(m.at_far_1e2.threshold == nextafter(989 / 1000.0, 1.0));
	CHECK_NEAR(m.at_far_1e2.far, 0.01, 1e-15);
	CHECK_NEAR(m.at_far_1e2.tar, 0.10, 1e-15);
	CHECK(m.at_far_1e3.threshold == nextafter(998 / 1000.0, 1.0));
	CHECK_NEAR(m.at_far_1e3.far, 0.001, 1e-15);
	CHECK_NEAR(m.at_far_1e3.tar, 0.01, 1e-15);
	/* EER: at t = 0.9 + j/1000 (j < 100), FAR = (100-j)/1000 and FRR = j/100;
	 * FRR >= FAR first at j = 10 (FAR .09, FRR .1), previous j = 9
	 * (FAR .091, FRR .09): d_a = .001, d_b = -.01, alpha = 1/11,
	 * EER = .091 - .001/11 = .0909..., threshold 0.909 + 0.001/11. */
	CHECK_NEAR(m.eer, 0.091 - 0.001 / 11, 1e-12);
	CHECK_NEAR(m.eer_threshold, 0.909 + 0.001 / 11, 1e-12);
}

static void test_bad_input(void)
{
	const double g[] = {0.5, NAN}, im[] = {0.1};
	eid_face_metrics m;
	eid_face_op op;
	double eer, thr;
	eid_err err;
	CHECK(eid_face_metrics_compute(g, 2, im, 1, &m, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "genuine score 1") != NULL);
	CHECK(eid_face_metrics_compute(g, 1, im, 0, &m, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "no impostor") != NULL);
	CHECK(eid_face_metrics_eer(NULL, 1, im, 1, &eer, &thr, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_metrics_at_far(g, 1, im, 1, 0.0, &op, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_metrics_at_far(g, 1, im, 1, 1.0, &op, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_metrics_at_far(g, 1, im, 1, NAN, &op, &err) == EID_E_INVALID_ARG);
	const double inf[] = {INFINITY};
	CHECK(eid_face_metrics_at_far(g, 1, inf, 1, 0.5, &op, &err) == EID_E_INVALID_ARG);
	/* One score each works. */
	CHECK_OK(eid_face_metrics_compute(g, 1, im, 1, &m, &err));
	CHECK_NEAR(m.eer, 0, 0);
	CHECK_NEAR(m.eer_threshold, 0.5, 0);
}

TEST_MAIN(test_eer_exact_crossing, test_eer_interpolated, test_eer_separated, test_eer_all_tied,
	  test_eer_inverted, test_far_ties, test_compute, test_bad_input)
