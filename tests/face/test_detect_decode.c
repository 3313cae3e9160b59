/* Tests of src/face/detect_decode.c against the reference vectors of
 * REFERENCE-PIPELINE.md §1 and on small synthetic outputs. */
#include "eid/face_geom.h"
#include "eid/util.h"
#include "test.h"
#include "refvec.h"

#include <jansson.h>
#include <png.h>
#include <stdint.h>

/* Splits the reference [896,17] rows into the four outputs the model
 * produces. The README says "16 regressors + logit" but the file holds the
 * logit FIRST, then the 16 regressors: column 0 spans -2801..2.63 and its
 * maximum is the logit of the recorded score (sigmoid(2.6327) = 0.9329 for
 * orl_s3_03), columns 3-4 are the box sizes (0..250 px). Decoding with that
 * order reproduces index.json to 1e-4 px. */
struct outs {
	float logits512[512], regs512[512 * 16], logits384[384], regs384[384 * 16];
};

static void split_raw(const float *raw, struct outs *s, eid_face_det_outputs *o)
{
	for (size_t i = 0; i < 896; i++) {
		const float *row = raw + i * 17;
		if (i < 512) {
			s->logits512[i] = row[0];
			memcpy(&s->regs512[i * 16], row + 1, 16 * sizeof(float));
		} else {
			s->logits384[i - 512] = row[0];
			memcpy(&s->regs384[(i - 512) * 16], row + 1, 16 * sizeof(float));
		}
	}
	o->logits512 = s->logits512;
	o->regs512 = s->regs512;
	o->logits384 = s->logits384;
	o->regs384 = s->regs384;
}

static void test_letterbox(void)
{
	eid_face_letterbox lb;
	eid_err err;
	CHECK_OK(eid_face_det_letterbox(1920, 1280, 0.0, &lb, &err));
	CHECK_NEAR(lb.L, 1920, 0);
	CHECK_NEAR(lb.offx, 0, 0);
	CHECK_NEAR(lb.offy, 320, 0);
	CHECK_NEAR(lb.k, 7.5, 0);
	CHECK_OK(eid_face_det_letterbox(92, 112, 0.25, &lb, &err));
	CHECK_NEAR(lb.L, 168, 1e-12);
	CHECK_NEAR(lb.offx, 38, 1e-12);
	CHECK_NEAR(lb.offy, 28, 1e-12);
	CHECK_NEAR(lb.k, 168.0 / 256, 1e-15);
	float m[6];
	eid_face_det_input_matrix(&lb, m);
	double k = 168.0 / 256;
	/* detector pixel (u,v) -> (k·u + 0.5k - offx - 0.5, k·v + 0.5k - offy - 0.5) */
	CHECK_NEAR(m[0] * 10 + m[1] * 20 + m[2], k * 10 + 0.5 * k - 38.5, 1e-5);
	CHECK_NEAR(m[3] * 10 + m[4] * 20 + m[5], k * 20 + 0.5 * k - 28.5, 1e-5);
	CHECK(m[1] == 0 && m[3] == 0);

	CHECK(eid_face_det_letterbox(0, 5, 0, &lb, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "0x5") != NULL);
	CHECK(eid_face_det_letterbox(5, 5, -0.1, &lb, &err) == EID_E_INVALID_ARG);
	CHECK(eid_face_det_letterbox(5, 5, NAN, &lb, &err) == EID_E_INVALID_ARG);
}

static void test_anchors(void)
{
	static const struct {
		size_t i;
		float x, y;
	} want[] = {
		{0, 8, 8},     {1, 8, 8},	{2, 24, 8},    {31, 248, 8},
		{32, 8, 24},   {511, 248, 248}, {512, 16, 16}, {517, 16, 16},
		{518, 48, 16}, {559, 240, 16},	{560, 16, 48}, {895, 240, 240},
	};
	for (size_t t = 0; t < sizeof(want) / sizeof(want[0]); t++) {
		float ax, ay;
		eid_face_det_anchor(want[t].i, &ax, &ay);
		CHECK_NEAR(ax, want[t].x, 0);
		CHECK_NEAR(ay, want[t].y, 0);
	}
}

/* The input matrix reproduces the reference detector input of orl_s3_03. */
static void test_input_matrix_reference(void)
{
	int w, h;
	uint8_t *img = refvec_grey_png("faces/dev/images/orl/s3/s3_03.png", &w, &h);
	float *ref = load_f32(REF "/orl_s3_03/det_input_pad0.f32", 256 * 256 * 3);
	eid_face_letterbox lb;
	eid_err err;
	CHECK_OK(eid_face_det_letterbox((size_t)w, (size_t)h, 0.0, &lb, &err));
	float m[6];
	eid_face_det_input_matrix(&lb, m);
	double maxd = 0;
	for (int v = 0; v < 256; v++)
		for (int u = 0; u < 256; u++) {
			double x = (double)m[0] * u + (double)m[1] * v + m[2];
			double y = (double)m[3] * u + (double)m[4] * v + m[5];
			float p = refvec_sample(img, w, h, x, y) / 127.5f - 1.0f;
			for (int ch = 0; ch < 3; ch++) {
				double d = fabs(p - ref[((size_t)v * 256 + u) * 3 + ch]);
				if (d > maxd)
					maxd = d;
			}
		}
	printf("  det input orl_s3_03: max abs diff %.3g (x127.5 = %.3g grey levels)\n", maxd,
	       maxd * 127.5);
	CHECK(maxd * 127.5 < 1e-2);
	free(ref);
	free(img);
}

static void check_reference(const char *name)
{
	json_t *j = load_index(name);
	size_t w = (size_t)jnum(j, "w"), h = (size_t)jnum(j, "h");
	json_t *jd = json_object_get(j, "det");
	char rel[256];
	snprintf(rel, sizeof(rel), REF "/%s/det_raw_pad0.f32", name);
	float *raw = load_f32(rel, 896 * 17);
	struct outs *s = malloc(sizeof(*s));
	REQUIRE(s);
	eid_face_det_outputs o;
	split_raw(raw, s, &o);

	eid_face_letterbox lb;
	eid_err err = {{0}};
	CHECK_OK(eid_face_det_letterbox(w, h, 0.0, &lb, &err));
	eid_face_det dets[64];
	size_t n = 99;
	eid_status st = eid_face_det_decode(&lb, &o, 0.5f, dets, 64, &n, &err);
	CHECK(st == EID_OK);
	CHECK(n == (size_t)jnum(j, "ndet"));
	REQUIRE(n > 0);
	for (size_t i = 1; i < n; i++)
		CHECK(dets[i - 1].score >= dets[i].score);
	size_t b = eid_face_det_select(dets, n, w, h);
	REQUIRE(b < n);
	const eid_face_det *d = &dets[b];

	json_t *box = json_object_get(jd, "box"), *kps = json_object_get(jd, "kps");
	double dmax = 0;
	float got[4] = {d->x1, d->y1, d->x2, d->y2};
	for (size_t i = 0; i < 4; i++)
		dmax = fmax(dmax, fabs(got[i] - jat(box, i)));
	for (size_t k = 0; k < 6; k++)
		for (size_t c = 0; c < 2; c++)
			dmax = fmax(dmax, fabs(d->kp[k][c] - jat(json_array_get(kps, k), c)));
	double dscore = fabs(d->score - jnum(jd, "score"));
	printf("  %s: %zu detections, selected #%zu, score diff %.3g, box/keypoint max diff "
	       "%.3g px\n",
	       name, n, b, dscore, dmax);
	CHECK(dscore < 1e-6);
	CHECK(dmax < 1e-3);
	/* Centre/size form agrees with the corners. */
	CHECK_NEAR(d->cx, (d->x1 + d->x2) / 2, 1e-3);
	CHECK_NEAR(d->w, d->x2 - d->x1, 1e-3);
	CHECK_NEAR(d->h, d->y2 - d->y1, 1e-3);

	/* The cap keeps the highest-scoring survivors. */
	eid_face_det one;
	size_t n1 = 0;
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, &one, 1, &n1, &err));
	CHECK(n1 == 1);
	CHECK(one.score == dets[0].score);
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, NULL, 0, &n1, &err));
	CHECK(n1 == 0);

	free(s);
	free(raw);
	json_decref(j);
}

static void test_reference_sample1(void)
{
	check_reference("sample1");
}

static void test_reference_orl(void)
{
	check_reference("orl_s3_03");
}

/* Synthetic outputs: all logits -10 (score ~0) except those set. */
static void set_anchor(struct outs *s, size_t i, float logit, float dx, float dy, float bw,
		       float bh)
{
	float *r = i < 512 ? &s->regs512[i * 16] : &s->regs384[(i - 512) * 16];
	if (i < 512)
		s->logits512[i] = logit;
	else
		s->logits384[i - 512] = logit;
	r[0] = dx, r[1] = dy, r[2] = bw, r[3] = bh;
	for (size_t k = 0; k < 6; k++)
		r[4 + 2 * k] = (float)k, r[5 + 2 * k] = -(float)k;
}

static void synth(struct outs *s, eid_face_det_outputs *o)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < 512; i++)
		s->logits512[i] = -10;
	for (size_t i = 0; i < 384; i++)
		s->logits384[i] = -10;
	o->logits512 = s->logits512;
	o->regs512 = s->regs512;
	o->logits384 = s->logits384;
	o->regs384 = s->regs384;
}

static void test_decode_nms(void)
{
	struct outs *s = malloc(sizeof(*s));
	REQUIRE(s);
	eid_face_det_outputs o;
	synth(s, &o);
	eid_face_letterbox lb;
	eid_err err;
	CHECK_OK(eid_face_det_letterbox(256, 256, 0.0, &lb, &err)); /* k = 1, offsets 0 */

	/* Anchor 0 at (8,8); anchor 1 is the same cell. A 40x40 box at (100,100)
	 * from anchor 0 (score 0.9) and a shifted one from anchor 1: IoU of two
	 * 40x40 boxes shifted by 10 in x is 30·40/(2·1600-1200) = 0.6 > 0.3. */
	set_anchor(s, 0, 2.1972246f, 92, 92, 40, 40);  /* sigmoid = 0.9 */
	set_anchor(s, 1, 1.3862944f, 102, 92, 40, 40); /* 0.8, suppressed */
	/* Shifted by 28: IoU = 12·40/(3200-480) = 0.176 (kept). */
	set_anchor(s, 512, 0.8472979f, 112, 84, 40, 40); /* (128,100), 0.7 */
	/* Exactly at the threshold: score >= 0.5 is kept. */
	set_anchor(s, 895, 0.0f, -40, -40, 20, 20); /* (200,200), 0.5 */
	/* Just below. */
	set_anchor(s, 700, -0.01f, 0, 0, 20, 20);

	eid_face_det d[8];
	size_t n = 0;
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err));
	REQUIRE(n == 3);
	CHECK_NEAR(d[0].score, 0.9, 1e-6);
	CHECK_NEAR(d[1].score, 0.7, 1e-6);
	CHECK_NEAR(d[2].score, 0.5, 0);
	/* Box in image pixels: X = p·k - offx - 0.5 with k = 1. */
	CHECK_NEAR(d[0].cx, 99.5, 1e-5);
	CHECK_NEAR(d[0].x1, 79.5, 1e-5);
	CHECK_NEAR(d[0].y2, 119.5, 1e-5);
	CHECK_NEAR(d[0].w, 40, 0);
	CHECK_NEAR(d[1].cx, 127.5, 1e-5);
	CHECK_NEAR(d[0].kp[3][0], 8 + 3 - 0.5, 1e-5);
	CHECK_NEAR(d[0].kp[3][1], 8 - 3 - 0.5, 1e-5);
	CHECK_NEAR(d[2].cx, 199.5, 1e-5);

	/* A higher threshold, then the cap. */
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.75f, d, 8, &n, &err));
	CHECK(n == 1);
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, d, 2, &n, &err));
	CHECK(n == 2 && fabsf(d[1].score - 0.7f) < 1e-6f);

	/* IoU exactly 0.3 is kept (only > 0.3 is dropped): two 13x10 boxes
	 * shifted by 7 in x overlap by 6·10 = 60 of a union of 200. */
	synth(s, &o);
	set_anchor(s, 40, 3.0f, 0, 0, 13, 10);
	set_anchor(s, 41, 2.0f, 7.0f, 0, 13, 10);
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err));
	CHECK(n == 2);
	set_anchor(s, 41, 2.0f, 6.99f, 0, 13, 10);
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err));
	CHECK(n == 1);

	/* Equal scores: the lower anchor index comes first. */
	synth(s, &o);
	set_anchor(s, 300, 1.0f, 0, 0, 10, 10);
	set_anchor(s, 20, 1.0f, 0, 0, 10, 10);
	CHECK_OK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err));
	REQUIRE(n == 2);
	CHECK_NEAR(d[0].cx, 167.5, 1e-5); /* anchor 20 at (168, 8) */
	CHECK_NEAR(d[1].cx, 103.5, 1e-5); /* anchor 300 at (104, 152) */

	/* Bad model output and bad arguments. */
	s->logits384[3] = NAN;
	CHECK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err) == EID_E_BACKEND);
	CHECK(strstr(err.msg, "anchor 515") != NULL);
	s->logits384[3] = -10;
	s->regs512[20 * 16 + 7] = INFINITY;
	CHECK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err) == EID_E_BACKEND);
	s->regs512[20 * 16 + 7] = 0;
	CHECK(eid_face_det_decode(&lb, &o, 1.5f, d, 8, &n, &err) == EID_E_INVALID_ARG);
	o.regs384 = NULL;
	CHECK(eid_face_det_decode(&lb, &o, 0.5f, d, 8, &n, &err) == EID_E_INVALID_ARG);
	free(s);
}

static void test_select(void)
{
	eid_face_det d[3];
	memset(d, 0, sizeof(d));
	/* 100x100 image, centre (49.5, 49.5). */
	d[0].cx = 20, d[0].cy = 20, d[0].w = 40, d[0].h = 40;	  /* 1600 - 2·1768.5 */
	d[1].cx = 49.5, d[1].cy = 49.5, d[1].w = 30, d[1].h = 30; /* 900 */
	d[2].cx = 80, d[2].cy = 49.5, d[2].w = 45, d[2].h = 45;	  /* 2025 - 2·930.25 = 164.5 */
	CHECK(eid_face_det_select(d, 3, 100, 100) == 1);
	d[1].w = d[1].h = 10; /* 100 */
	CHECK(eid_face_det_select(d, 3, 100, 100) == 2);
	CHECK(eid_face_det_select(d, 0, 100, 100) == SIZE_MAX);
	/* Ties keep the first. */
	d[0] = d[2];
	CHECK(eid_face_det_select(d, 3, 100, 100) == 0);
}

TEST_MAIN(test_letterbox, test_anchors, test_input_matrix_reference, test_reference_sample1,
	  test_reference_orl, test_decode_nms, test_select)
