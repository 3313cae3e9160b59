/* Tests of src/face/quality.c: the reference captures pass, degraded ones
 * fail with the right reason, and the pose estimator is measured on the
 * canonical face model rotated by known angles. */
#include "eid/face_geom.h"
#include "eid/util.h"
#include "test.h"
#include "refvec.h"

#include <jansson.h>
#include <stdint.h>

/* One reference capture: detection, landmarks (z = 0: index.json has x, y),
 * chip, image size. */
struct capture {
	eid_face_det det;
	float lm[468 * 3];
	float *chip;
	size_t w, h;
};

static void load_capture(const char *name, struct capture *c)
{
	json_t *j = load_index(name);
	json_t *jd = json_object_get(j, "det");
	json_t *box = json_object_get(jd, "box"), *kps = json_object_get(jd, "kps");
	memset(&c->det, 0, sizeof(c->det));
	c->det.score = (float)jnum(jd, "score");
	c->det.x1 = (float)jat(box, 0);
	c->det.y1 = (float)jat(box, 1);
	c->det.x2 = (float)jat(box, 2);
	c->det.y2 = (float)jat(box, 3);
	c->det.cx = (c->det.x1 + c->det.x2) / 2;
	c->det.cy = (c->det.y1 + c->det.y2) / 2;
	c->det.w = c->det.x2 - c->det.x1;
	c->det.h = c->det.y2 - c->det.y1;
	for (size_t k = 0; k < 6; k++)
		for (size_t d = 0; d < 2; d++)
			c->det.kp[k][d] = (float)jat(json_array_get(kps, k), d);
	json_t *mesh = json_object_get(j, "mesh");
	REQUIRE(json_array_size(mesh) == 468);
	for (size_t i = 0; i < 468; i++) {
		c->lm[3 * i] = (float)jat(json_array_get(mesh, i), 0);
		c->lm[3 * i + 1] = (float)jat(json_array_get(mesh, i), 1);
		c->lm[3 * i + 2] = 0;
	}
	c->w = (size_t)jnum(j, "w");
	c->h = (size_t)jnum(j, "h");
	char rel[256];
	snprintf(rel, sizeof(rel), REF "/%s/chip.f32", name);
	c->chip = load_f32(rel, 150 * 150 * 3);
	json_decref(j);
}

static void print_q(const char *what, const eid_face_quality *q)
{
	const char *codes[EID_FACE_Q_COUNT];
	size_t n = eid_face_quality_reasons(q, codes, EID_FACE_Q_COUNT);
	printf("  %-22s iod %.1f box %.1f out %.3f lapvar %.1f sharp %.4f luma %.1f dark %.3f "
	       "bright %.3f yaw %.1f pitch %.1f roll %.1f:",
	       what, q->iod_px, q->box_px, q->outside_frac, q->blur_var, q->sharpness, q->mean_luma,
	       q->dark_frac, q->bright_frac, q->yaw_deg, q->pitch_deg, q->roll_deg);
	for (size_t i = 0; i < n; i++)
		printf(" %s", codes[i]);
	printf("%s\n", n ? "" : " pass");
}

#define FAILS(q, r) (((q).fails >> EID_FACE_Q_##r) & 1u)

/* In-place box blur (2r+1)^2 of an RGB chip, edges clamped. */
static void box_blur(float *chip, int r)
{
	static float tmp[150 * 150 * 3];
	for (int v = 0; v < 150; v++)
		for (int u = 0; u < 150; u++)
			for (int ch = 0; ch < 3; ch++) {
				double s = 0;
				for (int dy = -r; dy <= r; dy++)
					for (int dx = -r; dx <= r; dx++) {
						int x = u + dx < 0     ? 0
							: u + dx > 149 ? 149
								       : u + dx;
						int y = v + dy < 0     ? 0
							: v + dy > 149 ? 149
								       : v + dy;
						s += chip[(y * 150 + x) * 3 + ch];
					}
				tmp[(v * 150 + u) * 3 + ch] =
					(float)(s / ((2 * r + 1) * (2 * r + 1)));
			}
	memcpy(chip, tmp, sizeof(tmp));
}

/* Rotates the landmarks by deg degrees (clockwise on screen) about the eye
 * midpoint. */
static void rotate_lm(float *lm, double deg)
{
	double cx = (lm[3 * 33] + lm[3 * 133] + lm[3 * 263] + lm[3 * 362]) / 4;
	double cy = (lm[3 * 33 + 1] + lm[3 * 133 + 1] + lm[3 * 263 + 1] + lm[3 * 362 + 1]) / 4;
	double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180);
	for (size_t i = 0; i < 468; i++) {
		double x = lm[3 * i] - cx, y = lm[3 * i + 1] - cy;
		lm[3 * i] = (float)(cx + c * x - s * y);
		lm[3 * i + 1] = (float)(cy + s * x + c * y);
	}
}

static void check_reference(const char *name)
{
	struct capture *c = malloc(sizeof(*c));
	REQUIRE(c);
	load_capture(name, c);
	eid_face_quality q, q2;
	eid_err err = {{0}};
	char what[64];

	/* The reference capture passes every check. */
	CHECK_OK(eid_face_quality_eval(&c->det, c->lm, c->chip, c->w, c->h, NULL, &q, &err));
	print_q(name, &q);
	CHECK(q.fails == 0);

	/* A 5x5 box blur fails blur (and nothing else). */
	float *chip2 = malloc(150 * 150 * 3 * sizeof(float));
	REQUIRE(chip2);
	memcpy(chip2, c->chip, 150 * 150 * 3 * sizeof(float));
	box_blur(chip2, 2);
	CHECK_OK(eid_face_quality_eval(&c->det, c->lm, chip2, c->w, c->h, NULL, &q2, &err));
	snprintf(what, sizeof(what), "%s blur 5x5", name);
	print_q(what, &q2);
	CHECK(q2.fails == 1u << EID_FACE_Q_TOO_BLURRY);
	CHECK(q2.sharpness < q.sharpness / 3);

	/* Darkened to 30%: too dark, and only that (sharpness ignores gain).
	 * Brightened 3x (clipped): too bright. */
	for (size_t i = 0; i < 150 * 150 * 3; i++)
		chip2[i] = c->chip[i] * 0.3f;
	CHECK_OK(eid_face_quality_eval(&c->det, c->lm, chip2, c->w, c->h, NULL, &q2, &err));
	snprintf(what, sizeof(what), "%s dark x0.3", name);
	print_q(what, &q2);
	CHECK(q2.fails == 1u << EID_FACE_Q_TOO_DARK);
	CHECK_NEAR(q2.sharpness, q.sharpness, 1e-3 * q.sharpness);
	for (size_t i = 0; i < 150 * 150 * 3; i++)
		chip2[i] = fminf(255.0f, c->chip[i] * 3.0f);
	CHECK_OK(eid_face_quality_eval(&c->det, c->lm, chip2, c->w, c->h, NULL, &q2, &err));
	snprintf(what, sizeof(what), "%s bright x3", name);
	print_q(what, &q2);
	CHECK(FAILS(q2, TOO_BRIGHT));
	CHECK(!FAILS(q2, TOO_DARK));

	/* Landmarks rotated by 40 degrees away from upright: roll fails, and
	 * the measured roll moves by exactly 40. */
	float *lm2 = malloc(sizeof(c->lm));
	REQUIRE(lm2);
	double dir = q.roll_deg >= 0 ? 1 : -1;
	memcpy(lm2, c->lm, sizeof(c->lm));
	rotate_lm(lm2, 40 * dir);
	CHECK_OK(eid_face_quality_eval(&c->det, lm2, c->chip, c->w, c->h, NULL, &q2, &err));
	snprintf(what, sizeof(what), "%s roll %+d", name, (int)(40 * dir));
	print_q(what, &q2);
	CHECK(FAILS(q2, POSE_ROLL));
	CHECK_NEAR(q2.roll_deg, q.roll_deg + 40 * dir, 1e-3);
	/* Rotation leaves yaw and pitch alone. */
	CHECK_NEAR(q2.yaw_deg, q.yaw_deg, 1e-2);
	CHECK_NEAR(q2.pitch_deg, q.pitch_deg, 1e-2);

	/* An image that ends 15 px right of the eye midpoint: the face is cut off. */
	double mid = (c->lm[3 * 33] + c->lm[3 * 263]) / 2;
	CHECK_OK(eid_face_quality_eval(&c->det, c->lm, c->chip, (size_t)(mid + 15), c->h, NULL, &q2,
				       &err));
	snprintf(what, sizeof(what), "%s cut at x=%.0f", name, mid + 15);
	print_q(what, &q2);
	CHECK(FAILS(q2, FACE_CUT_OFF));

	/* Landmarks and box shrunk 5x about the eye midpoint: too small. */
	memcpy(lm2, c->lm, sizeof(c->lm));
	for (size_t i = 0; i < 468; i++) {
		lm2[3 * i] = (float)(mid + (lm2[3 * i] - mid) / 5);
		lm2[3 * i + 1] = lm2[3 * i + 1] / 5;
	}
	eid_face_det d2 = c->det;
	d2.w /= 5, d2.h /= 5;
	CHECK_OK(eid_face_quality_eval(&d2, lm2, c->chip, c->w, c->h, NULL, &q2, &err));
	snprintf(what, sizeof(what), "%s shrunk 5x", name);
	print_q(what, &q2);
	CHECK(FAILS(q2, FACE_TOO_SMALL));
	CHECK_NEAR(q2.iod_px, q.iod_px / 5, 1e-3);

	free(lm2);
	free(chip2);
	free(c->chip);
	free(c);
}

static void test_reference_orl(void)
{
	check_reference("orl_s3_03");
}

static void test_reference_sample1(void)
{
	check_reference("sample1");
}

/* The canonical face points the estimator uses (MediaPipe
 * canonical_face_model.obj; x right of the subject = image right, y up,
 * z towards the camera), plus the nose bridge/lip points the chip needs. */
static const struct {
	int idx;
	double x, y, z;
} canon[] = {
	{4, 0.000000, -0.463170, 7.586580},   {33, -4.445859, 2.663991, 3.173422},
	{133, -1.856432, 2.585245, 3.757904}, {263, 4.445859, 2.663991, 3.173422},
	{362, 1.856432, 2.585245, 3.757904},  {234, -7.664182, 0.673132, -2.435867},
	{454, 7.664182, 0.673132, -2.435867}, {13, 0.000000, -3.994436, 5.219482},
	{14, 0.000000, -4.542400, 5.404754},  {168, 0.000000, 3.271027, 5.236015},
	{0, 0.000000, -3.406404, 5.979507},   {61, -2.456206, -4.342621, 4.283884},
	{291, 2.456206, -4.342621, 4.283884}, {2, 0.000000, -2.089024, 6.058267},
};

/* Places the canonical face turned by (yaw, pitch, roll) degrees:
 * R = Rz(roll)·Ry(yaw)·Rx(pitch) (nod in the head frame, turn about the
 * vertical, then tilt), orthographic, 20 px/cm, centred at (500, 400). */
static void place_canonical(float *lm, double yaw, double pitch, double roll)
{
	double ya = yaw * M_PI / 180, pa = pitch * M_PI / 180, ra = roll * M_PI / 180;
	for (size_t i = 0; i < 468 * 3; i++)
		lm[i] = 0;
	/* Points not in the table sit at the nose bridge (irrelevant to pose). */
	for (size_t i = 0; i < 468; i++)
		lm[3 * i] = 500, lm[3 * i + 1] = 400;
	for (size_t k = 0; k < sizeof(canon) / sizeof(canon[0]); k++) {
		double x = canon[k].x, y = canon[k].y, z = canon[k].z;
		/* pitch, chin up positive: the nose (z > 0) moves up (y > 0) */
		double y1 = y * cos(pa) + z * sin(pa), z1 = -y * sin(pa) + z * cos(pa);
		/* yaw, nose to the image right positive */
		double x2 = x * cos(ya) + z1 * sin(ya);
		/* roll, clockwise on screen positive (y up here) */
		double x3 = x2 * cos(ra) + y1 * sin(ra), y3 = -x2 * sin(ra) + y1 * cos(ra);
		lm[3 * canon[k].idx] = (float)(500 + 20 * x3);
		lm[3 * canon[k].idx + 1] = (float)(400 - 20 * y3);
	}
}

/* Measures the estimator on the canonical face over a grid of poses. */
static void test_pose_canonical(void)
{
	static float chip[150 * 150 * 3];
	for (size_t i = 0; i < 150 * 150 * 3; i++)
		chip[i] = 128;
	eid_face_det det;
	memset(&det, 0, sizeof(det));
	det.w = det.h = 300;
	float lm[468 * 3];
	eid_face_quality q;
	eid_err err;
	double e_yaw = 0, e_pitch = 0, e_roll = 0;
	for (int yaw = -30; yaw <= 30; yaw += 5)
		for (int pitch = -30; pitch <= 30; pitch += 5)
			for (int roll = -40; roll <= 40; roll += 20) {
				place_canonical(lm, yaw, pitch, roll);
				CHECK_OK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q,
							       &err));
				e_yaw = fmax(e_yaw, fabs(q.yaw_deg - yaw));
				e_pitch = fmax(e_pitch, fabs(q.pitch_deg - pitch));
				e_roll = fmax(e_roll, fabs(q.roll_deg - roll));
			}
	printf("  canonical face, |yaw|,|pitch| <= 30, |roll| <= 40: max error yaw %.2f, pitch "
	       "%.2f, roll %.2f degrees\n",
	       e_yaw, e_pitch, e_roll);
	CHECK(e_yaw < 1e-3);
	CHECK(e_pitch < 1e-3);
	CHECK(e_roll < 1e-3);

	/* Frontal passes; beyond the limits the right reason fails (the flat
	 * synthetic chip fails blur, which is not what is tested here). */
	const uint32_t pose = 1u << EID_FACE_Q_POSE_YAW | 1u << EID_FACE_Q_POSE_PITCH |
			      1u << EID_FACE_Q_POSE_ROLL;
	place_canonical(lm, 0, 0, 0);
	CHECK_OK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err));
	CHECK((q.fails & pose) == 0);
	CHECK(FAILS(q, TOO_BLURRY));
	CHECK_NEAR(q.yaw_deg, 0, 1e-3);
	CHECK_NEAR(q.pitch_deg, 0, 1e-3);
	place_canonical(lm, 40, 0, 0);
	CHECK_OK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err));
	CHECK((q.fails & pose) == 1u << EID_FACE_Q_POSE_YAW);
	CHECK_NEAR(q.yaw_deg, 40, 1e-3);
	place_canonical(lm, 0, -30, 0);
	CHECK_OK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err));
	CHECK((q.fails & pose) == 1u << EID_FACE_Q_POSE_PITCH);
	CHECK_NEAR(q.pitch_deg, -30, 1e-3);
	place_canonical(lm, 10, 10, 60);
	CHECK_OK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err));
	CHECK((q.fails & pose) == 1u << EID_FACE_Q_POSE_ROLL);
}

static void test_codes(void)
{
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_FACE_TOO_SMALL), "face_too_small") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_FACE_CUT_OFF), "face_cut_off") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_TOO_BLURRY), "too_blurry") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_TOO_DARK), "too_dark") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_TOO_BRIGHT), "too_bright") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_POSE_YAW), "pose_yaw") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_POSE_PITCH), "pose_pitch") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_POSE_ROLL), "pose_roll") == 0);
	CHECK(strcmp(eid_face_quality_code(EID_FACE_Q_COUNT), "unknown") == 0);
	eid_face_quality q;
	memset(&q, 0, sizeof(q));
	q.fails = 1u << EID_FACE_Q_TOO_DARK | 1u << EID_FACE_Q_POSE_ROLL;
	const char *codes[1];
	CHECK(eid_face_quality_reasons(&q, codes, 1) == 2);
	CHECK(strcmp(codes[0], "too_dark") == 0);
	CHECK(eid_face_quality_reasons(&q, NULL, 0) == 2);
}

static void test_bad_input(void)
{
	static float chip[150 * 150 * 3];
	float lm[468 * 3];
	eid_face_det det;
	memset(&det, 0, sizeof(det));
	place_canonical(lm, 0, 0, 0);
	eid_face_quality q;
	eid_err err;
	CHECK(eid_face_quality_eval(NULL, lm, chip, 10, 10, NULL, &q, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_quality_eval(&det, lm, chip, 0, 10, NULL, &q, &err) == EID_E_INVALID_ARG);
	lm[3 * 100 + 1] = NAN;
	CHECK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "landmark 100") != NULL);
	place_canonical(lm, 0, 0, 0);
	chip[(60 * 150 + 70) * 3] = NAN;
	CHECK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err) ==
	      EID_E_INVALID_ARG);
	chip[(60 * 150 + 70) * 3] = 0;
	/* Collapsed landmarks: no chip matrix. */
	for (size_t i = 0; i < 468 * 3; i++)
		lm[i] = 5;
	CHECK(eid_face_quality_eval(&det, lm, chip, 1000, 800, NULL, &q, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(strncmp(err.msg, "cannot judge quality: ", 22) == 0);
}

TEST_MAIN(test_reference_orl, test_reference_sample1, test_pose_canonical, test_codes,
	  test_bad_input)
