/* Templates, the three scorers and the calibrated thresholds (eid/face_match.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eid/face_match.h"

struct eid_face_cohort {
	size_t n;
	eid_face_template *t;
};

static double cosine(const float *a, const float *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

eid_status eid_face_cohort_new(const eid_face_template *t, size_t n, eid_face_cohort **out,
			       eid_err *err)
{
	*out = NULL;
	const size_t k = (size_t)eid_face_calibration_current()->cohort_k;
	if (!t || n < k)
		return eid_fail(err, EID_E_INVALID_ARG,
				"a normalisation cohort needs at least %zu faces, not %zu", k, n);
	for (size_t i = 0; i < n; i++)
		if (!t[i].has_faceres)
			return eid_fail(err, EID_E_INVALID_ARG,
					"cohort template %zu has no faceres descriptor", i);
	eid_face_cohort *c = calloc(1, sizeof(*c));
	if (c)
		c->t = malloc(n * sizeof(*c->t));
	if (!c || !c->t) {
		free(c);
		return eid_fail(err, EID_E_NOMEM, "out of memory for a cohort of %zu", n);
	}
	memcpy(c->t, t, n * sizeof(*t));
	c->n = n;
	*out = c;
	return EID_OK;
}

void eid_face_cohort_free(eid_face_cohort *c)
{
	if (!c)
		return;
	free(c->t);
	free(c);
}

size_t eid_face_cohort_size(const eid_face_cohort *c)
{
	return c ? c->n : 0;
}

/* A template's normalisation statistics: for dlib (0) and faceres (1). */
typedef struct norm_stats {
	double mean[2], sd[2];
} norm_stats;

/* Mean and standard deviation (of the population) of the k highest cosines
 * of t against the cohort. */
static void cohort_stats(const eid_face_cohort *c, size_t k, const eid_face_template *t,
			 norm_stats *out)
{
	double top[2][256]; /* descending; k <= 256 */
	if (k > 256)
		k = 256;
	size_t have = 0;
	for (size_t i = 0; i < c->n; i++) {
		const double s[2] = {cosine(t->dlib, c->t[i].dlib, EID_FACE_EMBEDDING_DIM),
				     cosine(t->faceres, c->t[i].faceres, EID_FACE_RES_DIM)};
		for (int e = 0; e < 2; e++) {
			/* insert into the first `have` (or k) kept values */
			size_t j = have < k ? have : k - 1;
			if (have >= k && s[e] <= top[e][k - 1])
				continue;
			while (j > 0 && top[e][j - 1] < s[e]) {
				top[e][j] = top[e][j - 1];
				j--;
			}
			top[e][j] = s[e];
		}
		if (have < k)
			have++;
	}
	for (int e = 0; e < 2; e++) {
		double m = 0, v = 0;
		for (size_t j = 0; j < have; j++)
			m += top[e][j];
		m /= (double)have;
		for (size_t j = 0; j < have; j++)
			v += (top[e][j] - m) * (top[e][j] - m);
		out->mean[e] = m;
		out->sd[e] = fmax(sqrt(v / (double)have), 1e-9); /* a cohort of one face repeated */
	}
}

static double norm_score(const eid_face_calibration *cal, const eid_face_template *a,
			 const norm_stats *na, const eid_face_template *b, const norm_stats *nb)
{
	const double cd = cosine(a->dlib, b->dlib, EID_FACE_EMBEDDING_DIM),
		     cr = cosine(a->faceres, b->faceres, EID_FACE_RES_DIM);
	const double sd = 0.5 * ((cd - na->mean[0]) / na->sd[0] + (cd - nb->mean[0]) / nb->sd[0]),
		     sr = 0.5 * ((cr - na->mean[1]) / na->sd[1] + (cr - nb->mean[1]) / nb->sd[1]);
	const double w = cal->weight[EID_FACE_SCORER_FUSED_NORM];
	return w * sd + (1.0 - w) * sr;
}

double eid_face_match_with(const eid_face_calibration *cal, eid_face_scorer scorer,
			   const eid_face_cohort *cohort, const eid_face_template *a,
			   const eid_face_template *b)
{
	if (scorer == EID_FACE_SCORER_FUSED_NORM) {
		norm_stats na, nb;
		cohort_stats(cohort, (size_t)cal->cohort_k, a, &na);
		cohort_stats(cohort, (size_t)cal->cohort_k, b, &nb);
		return norm_score(cal, a, &na, b, &nb);
	}
	const double zd =
		(cosine(a->dlib, b->dlib, EID_FACE_EMBEDDING_DIM) - cal->dlib_mean) / cal->dlib_sd;
	if (scorer == EID_FACE_SCORER_DLIB)
		return zd;
	const double zr = (cosine(a->faceres, b->faceres, EID_FACE_RES_DIM) - cal->faceres_mean) /
			  cal->faceres_sd;
	const double w = cal->weight[EID_FACE_SCORER_FUSED];
	return w * zd + (1.0 - w) * zr;
}

/* in the cohort's domain: its K best cohort cosines are like a population face's */
static int in_domain(const eid_face_calibration *cal, const norm_stats *s)
{
	return s->mean[0] >= cal->cohort_gate[0] && s->mean[1] >= cal->cohort_gate[1];
}

double eid_face_match_gallery(const eid_face_template *probe, const eid_face_template *const *gallery,
			      size_t n, const eid_face_cohort *cohort, eid_face_scorer *used)
{
	const eid_face_calibration *cal = eid_face_calibration_current();
	int fused = probe->has_faceres;
	for (size_t i = 0; i < n; i++)
		fused = fused && gallery[i]->has_faceres;
	eid_face_scorer s = !fused ? EID_FACE_SCORER_DLIB
			    : cohort ? EID_FACE_SCORER_FUSED_NORM
				     : EID_FACE_SCORER_FUSED;
	if (!n) {
		if (used)
			*used = s;
		return -INFINITY;
	}
	double sum = 0;
	if (s == EID_FACE_SCORER_FUSED_NORM) { /* each template's cohort scores once */
		norm_stats np, ng[8];
		const size_t k = (size_t)cal->cohort_k;
		cohort_stats(cohort, k, probe, &np);
		int ok = n <= 8 && in_domain(cal, &np);
		for (size_t i = 0; ok && i < n; i++) {
			cohort_stats(cohort, k, gallery[i], &ng[i]);
			ok = in_domain(cal, &ng[i]);
		}
		for (size_t i = 0; ok && i < n; i++)
			sum += norm_score(cal, probe, &np, gallery[i], &ng[i]);
		if (!ok)
			s = EID_FACE_SCORER_FUSED;
	}
	if (s != EID_FACE_SCORER_FUSED_NORM)
		for (size_t i = 0; i < n; i++)
			sum += eid_face_match_with(cal, s, NULL, probe, gallery[i]);
	if (used)
		*used = s;
	return sum / (double)n;
}

double eid_face_match(const eid_face_template *a, const eid_face_template *b,
		      const eid_face_cohort *cohort, eid_face_scorer *used)
{
	const eid_face_template *g[1] = {b};
	return eid_face_match_gallery(a, g, 1, cohort, used);
}

double eid_face_threshold(eid_face_level level, eid_face_scorer scorer)
{
	return eid_face_calibration_current()->threshold[scorer][level];
}

const char *eid_face_level_name(eid_face_level level)
{
	return level == EID_FACE_LEVEL_FULL ? "full" : "lightweight";
}

const char *eid_face_scorer_name(eid_face_scorer scorer)
{
	return scorer == EID_FACE_SCORER_FUSED_NORM ? "fused_norm"
	       : scorer == EID_FACE_SCORER_FUSED    ? "fused"
						    : "dlib";
}

eid_status eid_face_template_make(eid_face_ctx *fc, const eid_image *img,
				  const eid_face_result *r, eid_face_template *out, eid_err *err)
{
	memcpy(out->dlib, r->embedding, sizeof(out->dlib));
	out->has_faceres = 1;
	return eid_face_embed_faceres(fc, img, r, out->faceres, err);
}

static void put_floats(const float *v, int n, uint8_t *out)
{
	for (int i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (uint8_t)(u >> (8 * b));
	}
}

static int get_floats(const uint8_t *in, int n, float *v)
{
	for (int i = 0; i < n; i++) {
		uint32_t u = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
			     (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24;
		memcpy(&v[i], &u, 4);
		if (!isfinite(v[i]))
			return -1;
	}
	return 0;
}

static const uint8_t magic[4] = {'E', 'F', 'T', '2'};

size_t eid_face_template_pack(const eid_face_template *t, uint8_t out[EID_FACE_TEMPLATE_BYTES])
{
	if (!t->has_faceres) {
		put_floats(t->dlib, EID_FACE_EMBEDDING_DIM, out);
		return EID_FACE_TEMPLATE_LEGACY_BYTES;
	}
	memcpy(out, magic, 4);
	put_floats(t->dlib, EID_FACE_EMBEDDING_DIM, out + 4);
	put_floats(t->faceres, EID_FACE_RES_DIM, out + 4 + 4 * EID_FACE_EMBEDDING_DIM);
	return EID_FACE_TEMPLATE_BYTES;
}

eid_status eid_face_template_unpack(const uint8_t *in, size_t n, eid_face_template *out,
				    eid_err *err)
{
	memset(out, 0, sizeof(*out));
	int bad;
	if (n == EID_FACE_TEMPLATE_LEGACY_BYTES) {
		bad = get_floats(in, EID_FACE_EMBEDDING_DIM, out->dlib);
	} else if (n == EID_FACE_TEMPLATE_BYTES && memcmp(in, magic, 4) == 0) {
		out->has_faceres = 1;
		bad = get_floats(in + 4, EID_FACE_EMBEDDING_DIM, out->dlib) ||
		      get_floats(in + 4 + 4 * EID_FACE_EMBEDDING_DIM, EID_FACE_RES_DIM, out->faceres);
	} else {
		return eid_fail(err, EID_E_FORMAT,
				"face template: %zu bytes is neither form (%d or %d with header)", n,
				EID_FACE_TEMPLATE_LEGACY_BYTES, EID_FACE_TEMPLATE_BYTES);
	}
	if (bad) {
		memset(out, 0, sizeof(*out));
		return eid_fail(err, EID_E_FORMAT, "face template holds a value that is not finite");
	}
	return EID_OK;
}


double eid_face_score_rescale(double score, eid_face_scorer from, eid_face_scorer to)
{
	const double *f = eid_face_calibration_current()->threshold[from],
		     *t = eid_face_calibration_current()->threshold[to];
	const double slope = (t[EID_FACE_LEVEL_FULL] - t[EID_FACE_LEVEL_LIGHTWEIGHT]) /
			     (f[EID_FACE_LEVEL_FULL] - f[EID_FACE_LEVEL_LIGHTWEIGHT]);
	return t[EID_FACE_LEVEL_LIGHTWEIGHT] + (score - f[EID_FACE_LEVEL_LIGHTWEIGHT]) * slope;
}
