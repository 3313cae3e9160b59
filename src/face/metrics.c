/* Verification metrics from genuine and impostor scores: EER with its
 * threshold, TAR at a target FAR, threshold for a target FAR. The exact
 * definitions (accept when score >= threshold, ties, interpolation) are in
 * face_geom.h. */
#include "eid/face_geom.h"

#include "eid/util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* Checks one score array and returns a sorted (ascending) copy. */
static eid_status sorted_copy(const double *s, size_t n, const char *what, double **out,
			      eid_err *err)
{
	*out = NULL;
	if (!s || n == 0)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot compute metrics: no %s scores",
				what);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(s[i]))
			return eid_fail(err, EID_E_INVALID_ARG,
					"cannot compute metrics: %s score %zu is %g", what, i,
					s[i]);
	size_t bytes;
	if (eid_mul_size(n, sizeof(double), &bytes))
		return eid_fail(err, EID_E_LIMIT, "cannot compute metrics: %zu %s scores", n, what);
	double *c = malloc(bytes);
	if (!c)
		return eid_fail(err, EID_E_NOMEM,
				"cannot compute metrics: no memory for %zu %s scores", n, what);
	memcpy(c, s, bytes);
	qsort(c, n, sizeof(double), cmp_double);
	*out = c;
	return EID_OK;
}

/* Number of values of sorted a[0..n) that are >= t. */
static size_t count_ge(const double *a, size_t n, double t)
{
	size_t lo = 0, hi = n; /* first index with a[i] >= t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n - lo;
}

/* Operating point for far_target on sorted arrays (see face_geom.h). */
static void at_far_sorted(const double *g, size_t ng, const double *im, size_t ni,
			  double far_target, eid_face_op *out)
{
	/* k = the largest number of false accepts with k/ni <= far_target,
	 * computed with the same division that reports the FAR. */
	double kf = floor(far_target * (double)ni);
	size_t k = kf < 0 ? 0 : (size_t)kf;
	if (k > ni)
		k = ni;
	while (k < ni && (double)(k + 1) / (double)ni <= far_target)
		k++;
	while (k > 0 && (double)k / (double)ni > far_target)
		k--;
	/* far_target < 1 keeps k < ni; reject the (k+1)-th highest impostor
	 * score and everything tied with it. */
	double s = im[ni - 1 - k];
	double t = nextafter(s, INFINITY);
	out->threshold = t;
	out->far = (double)count_ge(im, ni, t) / (double)ni;
	out->tar = (double)count_ge(g, ng, t) / (double)ng;
}

/* EER walk over the distinct scores (see face_geom.h). */
static void eer_sorted(const double *g, size_t ng, const double *im, size_t ni, double *eer,
		       double *thr)
{
	size_t gi = 0, ii = 0; /* genuine / impostor scores below the current t */
	double top = fmax(g[ng - 1], im[ni - 1]);
	double t_a = 0, far_a = 0, frr_a = 0;
	int have_a = 0;
	for (;;) {
		/* The next candidate threshold: the lowest score not yet passed. */
		double t;
		if (gi < ng && ii < ni)
			t = fmin(g[gi], im[ii]);
		else if (gi < ng)
			t = g[gi];
		else if (ii < ni)
			t = im[ii];
		else
			t = nextafter(top, INFINITY); /* reject everything: FAR 0, FRR 1 */
		double far = (double)(ni - ii) / (double)ni;
		double frr = (double)gi / (double)ng;
		if (frr >= far) {
			/* At the lowest score FAR = 1 > FRR = 0, so a exists and
			 * d_a > 0 >= d_b. */
			assert(have_a);
			(void)have_a;
			double d_a = far_a - frr_a, d_b = far - frr;
			double alpha = d_a / (d_a - d_b);
			*eer = far_a + alpha * (far - far_a);
			*thr = t_a + alpha * (t - t_a);
			return;
		}
		t_a = t, far_a = far, frr_a = frr, have_a = 1;
		while (gi < ng && g[gi] == t)
			gi++;
		while (ii < ni && im[ii] == t)
			ii++;
	}
}

static eid_status sort_both(const double *genuine, size_t n_genuine, const double *impostor,
			    size_t n_impostor, double **g, double **im, eid_err *err)
{
	eid_status st = sorted_copy(genuine, n_genuine, "genuine", g, err);
	if (st)
		return st;
	st = sorted_copy(impostor, n_impostor, "impostor", im, err);
	if (st) {
		free(*g);
		*g = NULL;
	}
	return st;
}

eid_status eid_face_metrics_at_far(const double *genuine, size_t n_genuine, const double *impostor,
				   size_t n_impostor, double far_target, eid_face_op *out,
				   eid_err *err)
{
	if (!out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot compute metrics: no output");
	if (!(far_target > 0.0 && far_target < 1.0))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot compute metrics: target FAR %g is not in (0, 1)",
				far_target);
	double *g, *im;
	eid_status st = sort_both(genuine, n_genuine, impostor, n_impostor, &g, &im, err);
	if (st)
		return st;
	at_far_sorted(g, n_genuine, im, n_impostor, far_target, out);
	free(g);
	free(im);
	return EID_OK;
}

eid_status eid_face_metrics_eer(const double *genuine, size_t n_genuine, const double *impostor,
				size_t n_impostor, double *eer_out, double *threshold_out,
				eid_err *err)
{
	if (!eer_out || !threshold_out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot compute metrics: no output");
	double *g, *im;
	eid_status st = sort_both(genuine, n_genuine, impostor, n_impostor, &g, &im, err);
	if (st)
		return st;
	eer_sorted(g, n_genuine, im, n_impostor, eer_out, threshold_out);
	free(g);
	free(im);
	return EID_OK;
}

eid_status eid_face_metrics_compute(const double *genuine, size_t n_genuine, const double *impostor,
				    size_t n_impostor, eid_face_metrics *out, eid_err *err)
{
	if (!out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot compute metrics: no output");
	double *g, *im;
	eid_status st = sort_both(genuine, n_genuine, impostor, n_impostor, &g, &im, err);
	if (st)
		return st;
	memset(out, 0, sizeof(*out));
	out->n_genuine = n_genuine;
	out->n_impostor = n_impostor;
	eer_sorted(g, n_genuine, im, n_impostor, &out->eer, &out->eer_threshold);
	at_far_sorted(g, n_genuine, im, n_impostor, 1e-2, &out->at_far_1e2);
	at_far_sorted(g, n_genuine, im, n_impostor, 1e-3, &out->at_far_1e3);
	free(g);
	free(im);
	return EID_OK;
}
