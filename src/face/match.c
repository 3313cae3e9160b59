/* Templates, the fused score and the calibrated thresholds (eid/face_match.h). */
#include <math.h>
#include <string.h>

#include "eid/face_match.h"

static double cosine(const float *a, const float *b, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

double eid_face_match_with(const eid_face_calibration *cal, eid_face_scorer scorer,
			   const eid_face_template *a, const eid_face_template *b)
{
	const double zd =
		(cosine(a->dlib, b->dlib, EID_FACE_EMBEDDING_DIM) - cal->dlib_mean) / cal->dlib_sd;
	if (scorer == EID_FACE_SCORER_DLIB)
		return zd;
	const double zr = (cosine(a->faceres, b->faceres, EID_FACE_RES_DIM) - cal->faceres_mean) /
			  cal->faceres_sd;
	return cal->weight * zd + (1.0 - cal->weight) * zr;
}

double eid_face_match(const eid_face_template *a, const eid_face_template *b,
		      eid_face_scorer *used)
{
	const eid_face_scorer s = a->has_faceres && b->has_faceres ? EID_FACE_SCORER_FUSED
								  : EID_FACE_SCORER_DLIB;
	if (used)
		*used = s;
	return eid_face_match_with(eid_face_calibration_current(), s, a, b);
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
	return scorer == EID_FACE_SCORER_FUSED ? "fused" : "dlib";
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

double eid_face_match_gallery(const eid_face_template *probe, const eid_face_template *const *gallery,
			      size_t n, eid_face_scorer *used)
{
	eid_face_scorer s = probe->has_faceres ? EID_FACE_SCORER_FUSED : EID_FACE_SCORER_DLIB;
	for (size_t i = 0; i < n; i++)
		if (!gallery[i]->has_faceres)
			s = EID_FACE_SCORER_DLIB;
	if (used)
		*used = s;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += eid_face_match_with(eid_face_calibration_current(), s, probe, gallery[i]);
	return n ? sum / (double)n : -INFINITY;
}
