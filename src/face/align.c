/* The dlib face chip (spec §3): 33 FaceMesh points → dlib mean face shape
 * destinations in a 150x150 chip with padding 0.25, least-squares similarity,
 * inverted into the warp matrix chip pixel → image. */
#include "eid/face_geom.h"

#include <math.h>

/* dlib-68 points 27..54 then 60..64, as dlib's get_face_chip_details uses
 * them, and their FaceMesh counterparts. */
static const uint8_t dlib_idx[EID_FACE_CHIP_POINTS] = {
	27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
	44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 60, 61, 62, 63, 64,
};

/* clang-format off */
const uint16_t eid_face_chip_mesh_idx[EID_FACE_CHIP_POINTS] = {
	/* dlib 27..37             */ 168, 197,   5,   4,  75,  97,   2, 326, 305,  33, 160,
	/* dlib 38..48             */ 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,  61,
	/* dlib 49..64 (no 55..59) */  39,  37,   0, 267, 269, 291,  78,  82,  13, 312, 308,
};
/* clang-format on */

/* dlib's mean_face_shape_x/y for dlib points 17..67, in [0,1] units. */
static const double mean_x[51] = {
	0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124,
	0.904991,    0.98004,	0.490127, 0.490127, 0.490127, 0.490127, 0.36688,  0.426036,
	0.490127,    0.554217,	0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
	0.182743,    0.645647,	0.714428, 0.793132, 0.858516, 0.79751,	0.719335, 0.254149,
	0.340985,    0.428858,	0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
	0.490127,    0.423532,	0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
	0.553364,    0.490127,	0.42689,
};
static const double mean_y[51] = {
	0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482,
	0.038915, 0.106454, 0.203352,  0.307009,  0.409805,  0.515625,	0.587326,  0.609345,
	0.628106, 0.609345, 0.587326,  0.216423,  0.178758,  0.179852,	0.231733,  0.245099,
	0.244077, 0.231733, 0.179852,  0.178758,  0.216423,  0.244077,	0.245099,  0.780233,
	0.745405, 0.727388, 0.742578,  0.727388,  0.745405,  0.780233,	0.864805,  0.902192,
	0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,	0.778746,  0.784792,
	0.824182, 0.831803, 0.824182,
};

void eid_face_chip_dst(double dst[EID_FACE_CHIP_POINTS][2])
{
	const double pad = EID_FACE_CHIP_PADDING, span = 1.0 + 2.0 * EID_FACE_CHIP_PADDING;
	for (size_t i = 0; i < EID_FACE_CHIP_POINTS; i++) {
		size_t m = (size_t)dlib_idx[i] - 17;
		dst[i][0] = (mean_x[m] + pad) / span * EID_FACE_CHIP_SIZE;
		dst[i][1] = (mean_y[m] + pad) / span * EID_FACE_CHIP_SIZE;
	}
}

eid_status eid_face_similarity(const double (*src)[2], const double (*dst)[2], size_t n,
			       double s_out[4], eid_err *err)
{
	if (!src || !dst || !s_out || n == 0)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot fit similarity: %zu points (need at least 1)", n);
	double msx = 0, msy = 0, mdx = 0, mdy = 0;
	for (size_t i = 0; i < n; i++) {
		msx += src[i][0], msy += src[i][1];
		mdx += dst[i][0], mdy += dst[i][1];
	}
	msx /= (double)n, msy /= (double)n, mdx /= (double)n, mdy /= (double)n;
	double pp = 0, dot = 0, cross = 0;
	for (size_t i = 0; i < n; i++) {
		double px = src[i][0] - msx, py = src[i][1] - msy;
		double qx = dst[i][0] - mdx, qy = dst[i][1] - mdy;
		pp += px * px + py * py;
		dot += px * qx + py * qy;
		cross += px * qy - py * qx;
	}
	if (!(pp > 0.0) || !isfinite(pp) || !isfinite(dot) || !isfinite(cross))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot fit similarity: source points are %s",
				isfinite(pp) ? "all equal" : "not finite");
	double a = dot / pp, b = cross / pp;
	s_out[0] = a;
	s_out[1] = b;
	s_out[2] = mdx - (a * msx - b * msy);
	s_out[3] = mdy - (b * msx + a * msy);
	return EID_OK;
}

eid_status eid_face_chip_matrix(const float *lm, float m[6], eid_err *err)
{
	if (!lm || !m)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot align face: NULL argument");
	double src[EID_FACE_CHIP_POINTS][2], dst[EID_FACE_CHIP_POINTS][2], s[4] = {0};
	for (size_t i = 0; i < EID_FACE_CHIP_POINTS; i++) {
		src[i][0] = lm[3 * (size_t)eid_face_chip_mesh_idx[i]];
		src[i][1] = lm[3 * (size_t)eid_face_chip_mesh_idx[i] + 1];
	}
	eid_face_chip_dst(dst);
	eid_status st = eid_face_similarity((const double(*)[2])src, (const double(*)[2])dst,
					    EID_FACE_CHIP_POINTS, s, err);
	if (st) {
		eid_err_prefix(err, "cannot align face");
		return st;
	}
	/* image → chip is [a -b; b a]·p + t; chip → image is its inverse
	 * [a b; -b a]/(a²+b²)·(q - t). */
	double a = s[0], b = s[1], tx = s[2], ty = s[3];
	double d = a * a + b * b;
	if (!(d > 0.0) || !isfinite(d))
		return eid_fail(
			err, EID_E_INVALID_ARG,
			"cannot align face: landmarks give a degenerate similarity (squared scale %g)", d);
	double ia = a / d, ib = b / d;
	m[0] = (float)ia;
	m[1] = (float)ib;
	m[2] = (float)(-(ia * tx + ib * ty));
	m[3] = (float)(-ib);
	m[4] = (float)ia;
	m[5] = (float)(ib * tx - ia * ty);
	return EID_OK;
}
