/* The verification decision: the compiled calibration equals the committed
 * src/face/calibration.json, templates round-trip through their byte form,
 * and the fused score separates real photos the way the calibration says. */
#include <jansson.h>

#include "eid/face_match.h"
#include "eid/util.h"
#include "test.h"
#include "engine.h"

static double num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return json_number_value(b ? json_object_get(v, b) : v);
}

static void test_compiled_calibration_is_the_committed_one(void)
{
	json_error_t jerr;
	json_t *j = json_load_file("src/face/calibration.json", 0, &jerr);
	REQUIRE(j);
	const eid_face_calibration *c = eid_face_calibration_current();
	CHECK(strcmp(c->id, json_string_value(json_object_get(j, "id"))) == 0);
	CHECK(strcmp(c->population, json_string_value(json_object_get(j, "population"))) == 0);
	CHECK(strcmp(c->data, json_string_value(json_object_get(j, "data"))) == 0);
	CHECK(c->dlib_mean == num(j, "dlib", "mean") && c->dlib_sd == num(j, "dlib", "sd"));
	CHECK(c->faceres_mean == num(j, "faceres", "mean") &&
	      c->faceres_sd == num(j, "faceres", "sd"));
	CHECK(c->weight[EID_FACE_SCORER_DLIB] == 1.0);
	CHECK(c->weight[EID_FACE_SCORER_FUSED] == num(j, "weight", "fused"));
	CHECK(c->weight[EID_FACE_SCORER_FUSED_NORM] == num(j, "weight", "fused_norm"));
	json_t *co = json_object_get(j, "cohort");
	CHECK(strcmp(c->cohort_rule, json_string_value(json_object_get(co, "rule"))) == 0);
	CHECK(strcmp(c->cohort_digest, json_string_value(json_object_get(co, "digest"))) == 0);
	CHECK(c->cohort_n == num(j, "cohort", "n") && c->cohort_k == num(j, "cohort", "k"));
	json_t *gate = json_object_get(co, "gate");
	CHECK(c->cohort_gate[0] == num(gate, "dlib", NULL) && c->cohort_gate[1] == num(gate, "faceres", NULL));
	json_t *thr = json_object_get(j, "threshold");
	for (int l = 0; l < EID_FACE_LEVELS; l++) {
		const char *level = eid_face_level_name((eid_face_level)l);
		CHECK(c->far_target[l] == num(j, "far_target", level));
		for (int s = 0; s < EID_FACE_SCORERS; s++)
			CHECK(c->threshold[s][l] ==
			      num(thr, eid_face_scorer_name((eid_face_scorer)s), level));
	}
	/* stricter level, stricter threshold; four decimals */
	for (int s = 0; s < EID_FACE_SCORERS; s++) {
		CHECK(c->threshold[s][EID_FACE_LEVEL_FULL] > c->threshold[s][EID_FACE_LEVEL_LIGHTWEIGHT]);
		for (int l = 0; l < EID_FACE_LEVELS; l++)
			CHECK_NEAR(c->threshold[s][l] * 1e4, round(c->threshold[s][l] * 1e4), 1e-6);
	}
	json_decref(j);
}

static void template_of(const char *rel, eid_face_template *t)
{
	start();
	char path[1024];
	snprintf(path, sizeof(path), "%s/faces/dev/images/%s", test_shared(), rel);
	eid_image img = {0};
	eid_err err;
	REQUIRE(eid_image_load(path, &img, &err) == EID_OK);
	eid_face_result *r = malloc(sizeof(*r));
	REQUIRE(r);
	REQUIRE(eid_face_analyze(fc, &img, r, &err) == EID_OK);
	REQUIRE(eid_face_template_make(fc, &img, r, t, &err) == EID_OK);
	free(r);
	eid_image_release(&img);
}

static double dot(const float *a, const float *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static double norm(const float *v, int n)
{
	return sqrt(dot(v, v, n));
}

static void test_scores_on_real_photos(void)
{
	static eid_face_template a, b, c;
	template_of("orl/s1/s1_01.png", &a);
	template_of("orl/s1/s1_08.png", &b);
	template_of("orl/s2/s2_01.png", &c);
	CHECK(a.has_faceres && b.has_faceres);
	CHECK_NEAR(norm(a.faceres, EID_FACE_RES_DIM), 1.0, 1e-5);
	CHECK_NEAR(norm(a.dlib, EID_FACE_EMBEDDING_DIM), 1.0, 1e-5);
	eid_face_scorer used = EID_FACE_SCORER_DLIB;
	const double same = eid_face_match(&a, &b, NULL, &used),
		     other = eid_face_match(&a, &c, NULL, NULL);
	CHECK(used == EID_FACE_SCORER_FUSED);
	CHECK(same >= eid_face_threshold(EID_FACE_LEVEL_FULL, used));
	CHECK(other < eid_face_threshold(EID_FACE_LEVEL_LIGHTWEIGHT, used));
	CHECK_NEAR(eid_face_match(&b, &a, NULL, NULL), same, 1e-12); /* symmetric */
	/* the fused score is the calibration's mix of the two z-scores */
	const eid_face_calibration *cal = eid_face_calibration_current();
	const double zd = eid_face_match_with(cal, EID_FACE_SCORER_DLIB, NULL, &a, &b);
	const double zr = (dot(a.faceres, b.faceres, EID_FACE_RES_DIM) - cal->faceres_mean) /
			  cal->faceres_sd;
	const double w = cal->weight[EID_FACE_SCORER_FUSED];
	CHECK_NEAR(same, w * zd + (1 - w) * zr, 1e-9);
	/* a template without faceres compares with dlib alone */
	c = a;
	c.has_faceres = 0;
	CHECK_NEAR(eid_face_match(&c, &b, NULL, &used), zd, 1e-12);
	CHECK(used == EID_FACE_SCORER_DLIB);
	/* a gallery of two: the mean of the two scores, with the scorer every
	 * template allows */
	const eid_face_template *both[2] = {&a, &b};
	const double sa = eid_face_match(&b, &a, NULL, NULL), sb = eid_face_match(&b, &b, NULL, NULL);
	CHECK_NEAR(eid_face_match_gallery(&b, both, 2, NULL, &used), (sa + sb) / 2, 1e-12);
	CHECK(used == EID_FACE_SCORER_FUSED);
	both[1] = &c; /* dlib only */
	CHECK_NEAR(eid_face_match_gallery(&b, both, 2, NULL, &used),
		   (eid_face_match_with(cal, EID_FACE_SCORER_DLIB, NULL, &b, &a) +
		    eid_face_match_with(cal, EID_FACE_SCORER_DLIB, NULL, &b, &c)) / 2,
		   1e-12);
	CHECK(used == EID_FACE_SCORER_DLIB);
}

static int desc(const void *x, const void *y)
{
	const double a = *(const double *)x, b = *(const double *)y;
	return (a < b) - (a > b);
}

/* mean and sd of the k best cosines of t against n cohort templates, the
 * plain way: every cosine, sorted */
static void plain_stats(const eid_face_template *t, const eid_face_template *co, size_t n,
			int k, int res, double *m, double *s)
{
	double *v = malloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		v[i] = res ? dot(t->faceres, co[i].faceres, EID_FACE_RES_DIM)
			   : dot(t->dlib, co[i].dlib, EID_FACE_EMBEDDING_DIM);
	qsort(v, n, sizeof(double), desc);
	*m = 0;
	for (int i = 0; i < k; i++)
		*m += v[i] / k;
	*s = 0;
	for (int i = 0; i < k; i++)
		*s += (v[i] - *m) * (v[i] - *m) / k;
	*s = sqrt(*s);
	free(v);
}

/* both embeddings to unit length */
static void unit_template(eid_face_template *t)
{
	const double nd = norm(t->dlib, EID_FACE_EMBEDDING_DIM), nr = norm(t->faceres, EID_FACE_RES_DIM);
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++)
		t->dlib[i] = (float)(t->dlib[i] / nd);
	for (int i = 0; i < EID_FACE_RES_DIM; i++)
		t->faceres[i] = (float)(t->faceres[i] / nr);
	t->has_faceres = 1;
}

static void random_template(eid_face_template *t, unsigned *seed)
{
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++)
		t->dlib[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
	for (int i = 0; i < EID_FACE_RES_DIM; i++)
		t->faceres[i] = (float)rand_r(seed) / RAND_MAX;
	unit_template(t);
}

/* a template near base: cosines with base's other neighbours about 0.95 */
static void near_template(const eid_face_template *base, eid_face_template *t, unsigned *seed)
{
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++)
		t->dlib[i] = base->dlib[i] + 0.03f * ((float)rand_r(seed) / RAND_MAX - 0.5f);
	for (int i = 0; i < EID_FACE_RES_DIM; i++)
		t->faceres[i] = base->faceres[i] + 0.02f * ((float)rand_r(seed) / RAND_MAX);
	unit_template(t);
}

/* adaptive score normalisation against its definition; the domain gate */
static void test_cohort_normalisation(void)
{
	const eid_face_calibration *cal = eid_face_calibration_current();
	const size_t n = (size_t)cal->cohort_k + 37;
	eid_face_template *co = malloc((n + 3) * sizeof(*co));
	REQUIRE(co);
	unsigned seed = 7;
	static eid_face_template base;
	random_template(&base, &seed);
	for (size_t i = 0; i < n + 2; i++)
		near_template(&base, &co[i], &seed);
	eid_face_template *a = &co[n], *b = &co[n + 1], *far = &co[n + 2];
	random_template(far, &seed);
	eid_face_cohort *cohort;
	eid_err err;
	REQUIRE(eid_face_cohort_new(co, n, &cohort, &err) == EID_OK);
	CHECK(eid_face_cohort_size(cohort) == n);
	double ma[2], sa[2], mb[2], sb[2];
	for (int e = 0; e < 2; e++) {
		plain_stats(a, co, n, cal->cohort_k, e, &ma[e], &sa[e]);
		plain_stats(b, co, n, cal->cohort_k, e, &mb[e], &sb[e]);
	}
	REQUIRE(ma[0] >= cal->cohort_gate[0] && ma[1] >= cal->cohort_gate[1]); /* in the domain */
	const double cd = dot(a->dlib, b->dlib, EID_FACE_EMBEDDING_DIM),
		     cr = dot(a->faceres, b->faceres, EID_FACE_RES_DIM);
	const double w = cal->weight[EID_FACE_SCORER_FUSED_NORM];
	const double want = w * 0.5 * ((cd - ma[0]) / sa[0] + (cd - mb[0]) / sb[0]) +
			    (1 - w) * 0.5 * ((cr - ma[1]) / sa[1] + (cr - mb[1]) / sb[1]);
	eid_face_scorer used;
	CHECK_NEAR(eid_face_match(a, b, cohort, &used), want, 1e-9);
	CHECK(used == EID_FACE_SCORER_FUSED_NORM);
	CHECK_NEAR(eid_face_match_with(cal, EID_FACE_SCORER_FUSED_NORM, cohort, a, b), want, 1e-9);
	/* a face unlike the whole cohort: its normalised score would be
	 * inflated, so the comparison falls back to the fused scorer */
	const double f = eid_face_match(a, far, cohort, &used);
	CHECK(used == EID_FACE_SCORER_FUSED);
	CHECK_NEAR(f, eid_face_match_with(cal, EID_FACE_SCORER_FUSED, NULL, a, far), 1e-12);
	/* ... and a gallery with one such face too, for every template */
	const eid_face_template *g[2] = {b, far};
	eid_face_match_gallery(a, g, 2, cohort, &used);
	CHECK(used == EID_FACE_SCORER_FUSED);
	/* the rescaled fused thresholds land on the normalised ones */
	for (int l = 0; l < EID_FACE_LEVELS; l++)
		CHECK_NEAR(eid_face_score_rescale(cal->threshold[EID_FACE_SCORER_FUSED][l],
						  EID_FACE_SCORER_FUSED, EID_FACE_SCORER_FUSED_NORM),
			   cal->threshold[EID_FACE_SCORER_FUSED_NORM][l], 1e-12);
	/* a dlib-only template cannot be normalised: dlib alone */
	a->has_faceres = 0;
	eid_face_match(a, b, cohort, &used);
	CHECK(used == EID_FACE_SCORER_DLIB);
	eid_face_cohort_free(cohort);
	/* too small a cohort, or one without faceres, is refused */
	CHECK(eid_face_cohort_new(co, (size_t)cal->cohort_k - 1, &cohort, &err) ==
	      EID_E_INVALID_ARG);
	co[3].has_faceres = 0;
	CHECK(eid_face_cohort_new(co, n, &cohort, &err) == EID_E_INVALID_ARG);
	free(co);
}

static void test_faceres_same_on_two_threads(void)
{
	static eid_face_template a, b;
	template_of("orl/s3/s3_03.png", &a);
	eid_face_ctx *one = fc;
	eid_err err;
	REQUIRE(eid_face_ctx_new(fe, 2, &fc, &err) == EID_OK);
	template_of("orl/s3/s3_03.png", &b);
	eid_face_ctx_free(fc);
	fc = one;
	double cos = 0;
	for (int i = 0; i < EID_FACE_RES_DIM; i++)
		cos += (double)a.faceres[i] * b.faceres[i];
	CHECK(cos > 0.99999);
}

static void test_template_bytes(void)
{
	static eid_face_template t, u;
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++)
		t.dlib[i] = (float)i / 7;
	for (int i = 0; i < EID_FACE_RES_DIM; i++)
		t.faceres[i] = -(float)i / 3;
	t.has_faceres = 1;
	static uint8_t buf[EID_FACE_TEMPLATE_BYTES];
	eid_err err;
	size_t n = eid_face_template_pack(&t, buf);
	CHECK(n == EID_FACE_TEMPLATE_BYTES);
	REQUIRE(eid_face_template_unpack(buf, n, &u, &err) == EID_OK);
	CHECK(u.has_faceres && memcmp(&t.dlib, &u.dlib, sizeof(t.dlib)) == 0 &&
	      memcmp(&t.faceres, &u.faceres, sizeof(t.faceres)) == 0);
	/* the legacy form: dlib's 128 floats alone */
	t.has_faceres = 0;
	n = eid_face_template_pack(&t, buf);
	CHECK(n == EID_FACE_TEMPLATE_LEGACY_BYTES);
	REQUIRE(eid_face_template_unpack(buf, n, &u, &err) == EID_OK);
	CHECK(!u.has_faceres && memcmp(&t.dlib, &u.dlib, sizeof(t.dlib)) == 0);
	/* neither form */
	CHECK(eid_face_template_unpack(buf, n - 1, &u, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "neither form"));
	t.has_faceres = 1;
	n = eid_face_template_pack(&t, buf);
	buf[0] = 'X';
	CHECK(eid_face_template_unpack(buf, n, &u, &err) == EID_E_FORMAT);
	buf[0] = 'E';
	const float nan = NAN;
	memcpy(buf + 4 + 4 * 5, &nan, 4);
	CHECK(eid_face_template_unpack(buf, n, &u, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "not finite"));
}

static void test_cleanup(void)
{
	engine_stop();
}

TEST_MAIN(test_compiled_calibration_is_the_committed_one, test_scores_on_real_photos,
	  test_cohort_normalisation,
	  test_faceres_same_on_two_threads, test_template_bytes, test_cleanup)
