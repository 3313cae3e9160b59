/* FaceMesh regions of interest (spec §2): pass-1 ROI from a detection, crop
 * matrix, crop → image mapping, pass-2 ROI from pass-1 landmarks. */
#include "eid/face_geom.h"

#include <math.h>

/* Eye outer corners (subject's right = image left, subject's left). */
#define MESH_RIGHT_EYE_OUTER 33
#define MESH_LEFT_EYE_OUTER 263

/* 1.5 = ROI side over the face extent, both passes. */
#define ROI_SCALE 1.5

void eid_face_roi_from_det(const eid_face_det *det, eid_face_roi *out)
{
	out->cx = ((double)det->x1 + det->x2) / 2.0;
	out->cy = ((double)det->y1 + det->y2) / 2.0;
	double bw = (double)det->x2 - det->x1, bh = (double)det->y2 - det->y1;
	out->size = ROI_SCALE * (bw > bh ? bw : bh);
	out->theta =
		atan2((double)det->kp[EID_FACE_KP_LEFT_EYE][1] - det->kp[EID_FACE_KP_RIGHT_EYE][1],
		      (double)det->kp[EID_FACE_KP_LEFT_EYE][0] - det->kp[EID_FACE_KP_RIGHT_EYE][0]);
}

void eid_face_roi_matrix(const eid_face_roi *roi, float m[6])
{
	double k = roi->size / EID_FACE_MESH_SIZE;
	double c = cos(roi->theta), s = sin(roi->theta);
	/* Crop pixel u has its centre at u + 0.5 of the 0..192 crop, i.e.
	 * (u + 0.5 - 96)·k from the ROI centre before rotation. */
	double o = (0.5 - EID_FACE_MESH_SIZE / 2.0) * k;
	m[0] = (float)(c * k);
	m[1] = (float)(-s * k);
	m[2] = (float)(roi->cx + c * o - s * o);
	m[3] = (float)(s * k);
	m[4] = (float)(c * k);
	m[5] = (float)(roi->cy + s * o + c * o);
}

eid_status eid_face_mesh_to_image(const eid_face_roi *roi, const float *crop, float *lm,
				  eid_err *err)
{
	if (!roi || !crop || !lm)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot map landmarks: NULL argument");
	if (!(roi->size > 0.0) || !isfinite(roi->size) || !isfinite(roi->cx) ||
	    !isfinite(roi->cy) || !isfinite(roi->theta))
		return eid_fail(
			err, EID_E_INVALID_ARG,
			"cannot map landmarks: roi (%g, %g, size %g, angle %g) is degenerate",
			roi->cx, roi->cy, roi->size, roi->theta);
	for (size_t i = 0; i < EID_FACE_MESH_FLOATS; i++)
		if (!isfinite(crop[i]))
			return eid_fail(err, EID_E_BACKEND,
					"cannot map landmarks: point %zu coordinate %zu is %g",
					i / 3, i % 3, (double)crop[i]);
	double k = roi->size / EID_FACE_MESH_SIZE;
	double c = cos(roi->theta), s = sin(roi->theta);
	const double half = EID_FACE_MESH_SIZE / 2.0;
	for (size_t i = 0; i < EID_FACE_MESH_POINTS; i++) {
		double lx = ((double)crop[3 * i] - half) * k;
		double ly = ((double)crop[3 * i + 1] - half) * k;
		double z = (double)crop[3 * i + 2] * k;
		lm[3 * i] = (float)(roi->cx + c * lx - s * ly);
		lm[3 * i + 1] = (float)(roi->cy + s * lx + c * ly);
		lm[3 * i + 2] = (float)z;
	}
	return EID_OK;
}

eid_status eid_face_roi_from_mesh(const float *lm, eid_face_roi *out, eid_err *err)
{
	if (!lm || !out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot make roi: NULL argument");
	for (size_t i = 0; i < EID_FACE_MESH_POINTS; i++)
		if (!isfinite(lm[3 * i]) || !isfinite(lm[3 * i + 1]))
			return eid_fail(err, EID_E_INVALID_ARG,
					"cannot make roi: landmark %zu is (%g, %g)", i,
					(double)lm[3 * i], (double)lm[3 * i + 1]);
	const float *r = lm + 3 * MESH_RIGHT_EYE_OUTER, *l = lm + 3 * MESH_LEFT_EYE_OUTER;
	double theta = atan2((double)l[1] - r[1], (double)l[0] - r[0]);
	double c = cos(theta), s = sin(theta);
	double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
	for (size_t i = 0; i < EID_FACE_MESH_POINTS; i++) {
		double x = lm[3 * i], y = lm[3 * i + 1];
		double u = c * x + s * y, v = -s * x + c * y;
		umin = fmin(umin, u);
		umax = fmax(umax, u);
		vmin = fmin(vmin, v);
		vmax = fmax(vmax, v);
	}
	double mu = (umin + umax) / 2.0, mv = (vmin + vmax) / 2.0;
	double side = fmax(umax - umin, vmax - vmin);
	if (!(side > 0.0))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot make roi: the 468 landmarks collapse to one point");
	out->cx = c * mu - s * mv;
	out->cy = s * mu + c * mv;
	out->size = ROI_SCALE * side;
	out->theta = theta;
	return EID_OK;
}
