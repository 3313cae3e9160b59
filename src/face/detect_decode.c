/* BlazeFace "back" decoding (spec §1): letterbox, input matrix, anchors,
 * decode, threshold, sort, greedy NMS, face selection. */
#include "eid/face_geom.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

eid_status eid_face_det_letterbox(size_t w, size_t h, double pad, eid_face_letterbox *out,
				  eid_err *err)
{
	if (!out)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot make letterbox: no output");
	if (w == 0 || h == 0)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot make letterbox: image is %zux%zu (empty)", w, h);
	if (!(pad >= 0.0 && pad <= 4.0))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot make letterbox: 'pad' is %g (must be in [0, 4])", pad);
	double side = (double)(w > h ? w : h);
	out->L = side * (1.0 + 2.0 * pad);
	out->offx = (out->L - (double)w) / 2.0;
	out->offy = (out->L - (double)h) / 2.0;
	out->k = out->L / EID_FACE_DET_SIZE;
	out->w = w;
	out->h = h;
	return EID_OK;
}

void eid_face_det_input_matrix(const eid_face_letterbox *lb, float m[6])
{
	double k = lb->k;
	m[0] = (float)k;
	m[1] = 0.0f;
	m[2] = (float)(0.5 * k - lb->offx - 0.5);
	m[3] = 0.0f;
	m[4] = (float)k;
	m[5] = (float)(0.5 * k - lb->offy - 0.5);
}

void eid_face_det_anchor(size_t i, float *ax_out, float *ay_out)
{
	/* Rows: for gy, for gx, for each anchor of the cell; 16x16 grid with 2
	 * anchors per cell (stride 16) first, then 8x8 with 6 (stride 32). */
	size_t grid, per_cell, stride;
	if (i < EID_FACE_DET_ANCHORS_16) {
		grid = 16, per_cell = 2, stride = 16;
	} else {
		i -= EID_FACE_DET_ANCHORS_16;
		grid = 8, per_cell = 6, stride = 32;
	}
	size_t cell = i / per_cell;
	size_t gx = cell % grid, gy = cell / grid;
	*ax_out = (float)stride * ((float)gx + 0.5f);
	*ay_out = (float)stride * ((float)gy + 0.5f);
}

/* Logit and regressor row of anchor i. */
static float logit_of(const eid_face_det_outputs *o, size_t i)
{
	return i < EID_FACE_DET_ANCHORS_16 ? o->logits512[i]
					   : o->logits384[i - EID_FACE_DET_ANCHORS_16];
}

static const float *regs_of(const eid_face_det_outputs *o, size_t i)
{
	return i < EID_FACE_DET_ANCHORS_16
		       ? o->regs512 + i * EID_FACE_DET_REGS
		       : o->regs384 + (i - EID_FACE_DET_ANCHORS_16) * EID_FACE_DET_REGS;
}

static double sigmoid_clamped(double x)
{
	if (x < -100.0)
		x = -100.0;
	if (x > 100.0)
		x = 100.0;
	return 1.0 / (1.0 + exp(-x));
}

/* A candidate before NMS: anchor index and score. */
struct cand {
	uint32_t idx;
	double score;
};

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Box (x1,y1,x2,y2) of anchor i in detector pixels: centre ± size/2. */
static void cand_box(const eid_face_det_outputs *o, size_t i, double b[4])
{
	const float *r = regs_of(o, i);
	float ax, ay;
	eid_face_det_anchor(i, &ax, &ay);
	double cx = (double)ax + r[0], cy = (double)ay + r[1];
	b[0] = cx - (double)r[2] / 2.0;
	b[1] = cy - (double)r[3] / 2.0;
	b[2] = cx + (double)r[2] / 2.0;
	b[3] = cy + (double)r[3] / 2.0;
}

/* IoU of two (x1,y1,x2,y2) boxes, no +1; 0 if either is empty. */
static double iou(const double a[4], const double b[4])
{
	double area_a = (a[2] - a[0]) * (a[3] - a[1]);
	double area_b = (b[2] - b[0]) * (b[3] - b[1]);
	if (area_a <= 0.0 || area_b <= 0.0)
		return 0.0;
	double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]);
	double ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
	if (iw <= 0.0 || ih <= 0.0)
		return 0.0;
	double inter = iw * ih;
	return inter / (area_a + area_b - inter);
}

static void fill_det(const eid_face_letterbox *lb, const eid_face_det_outputs *o,
		     const struct cand *c, eid_face_det *d)
{
	const float *r = regs_of(o, c->idx);
	float ax, ay;
	double b[4];
	eid_face_det_anchor(c->idx, &ax, &ay);
	cand_box(o, c->idx, b);
	double k = lb->k, ox = lb->offx + 0.5, oy = lb->offy + 0.5;
	d->score = (float)c->score;
	d->x1 = (float)(b[0] * k - ox);
	d->y1 = (float)(b[1] * k - oy);
	d->x2 = (float)(b[2] * k - ox);
	d->y2 = (float)(b[3] * k - oy);
	d->cx = (float)(((double)ax + r[0]) * k - ox);
	d->cy = (float)(((double)ay + r[1]) * k - oy);
	d->w = (float)((double)r[2] * k);
	d->h = (float)((double)r[3] * k);
	for (size_t j = 0; j < EID_FACE_DET_KEYPOINTS; j++) {
		d->kp[j][0] = (float)(((double)ax + r[4 + 2 * j]) * k - ox);
		d->kp[j][1] = (float)(((double)ay + r[5 + 2 * j]) * k - oy);
	}
}

eid_status eid_face_det_decode(const eid_face_letterbox *lb, const eid_face_det_outputs *o,
			       float min_score, eid_face_det *dets, size_t cap, size_t *n_out,
			       eid_err *err)
{
	if (n_out)
		*n_out = 0;
	if (!lb || !o || !n_out || !o->logits512 || !o->regs512 || !o->logits384 || !o->regs384 ||
	    (cap && !dets))
		return eid_fail(err, EID_E_INVALID_ARG, "cannot decode detections: NULL argument");
	if (!(min_score >= 0.0f && min_score <= 1.0f))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot decode detections: 'min_score' is %g (must be in [0, 1])",
				(double)min_score);

	/* 896 candidates at most: 14 KiB of stack. */
	struct cand c[EID_FACE_DET_ANCHORS];
	size_t nc = 0;
	for (size_t i = 0; i < EID_FACE_DET_ANCHORS; i++) {
		float logit = logit_of(o, i);
		if (!isfinite(logit))
			return eid_fail(err, EID_E_BACKEND,
					"cannot decode detections: logit of anchor %zu is %g", i,
					(double)logit);
		double score = sigmoid_clamped(logit);
		if (!(score >= (double)min_score))
			continue;
		const float *r = regs_of(o, i);
		for (size_t j = 0; j < EID_FACE_DET_REGS; j++)
			if (!isfinite(r[j]))
				return eid_fail(err, EID_E_BACKEND,
						"cannot decode detections: regressor %zu of anchor "
						"%zu is %g",
						j, i, (double)r[j]);
		c[nc].idx = (uint32_t)i;
		c[nc].score = score;
		nc++;
	}
	qsort(c, nc, sizeof(c[0]), cand_cmp);

	/* Greedy NMS: kept candidates are compacted to the front of c. Once cap
	 * are kept no later (lower-scoring) one could be written, so stop. */
	size_t kept = 0;
	for (size_t i = 0; i < nc && kept < cap; i++) {
		double bi[4], bj[4];
		int drop = 0;
		cand_box(o, c[i].idx, bi);
		for (size_t j = 0; j < kept && !drop; j++) {
			cand_box(o, c[j].idx, bj);
			drop = iou(bj, bi) > EID_FACE_DET_NMS_IOU;
		}
		if (!drop)
			c[kept++] = c[i];
	}
	for (size_t i = 0; i < kept; i++)
		fill_det(lb, o, &c[i], &dets[i]);
	*n_out = kept;
	return EID_OK;
}

size_t eid_face_det_select(const eid_face_det *dets, size_t n, size_t img_w, size_t img_h)
{
	size_t best = SIZE_MAX;
	double best_v = -INFINITY;
	double mx = ((double)img_w - 1.0) / 2.0, my = ((double)img_h - 1.0) / 2.0;
	for (size_t i = 0; i < n; i++) {
		double dx = dets[i].cx - mx, dy = dets[i].cy - my;
		double v = (double)dets[i].w * dets[i].h - 2.0 * (dx * dx + dy * dy);
		if (best == SIZE_MAX || v > best_v) {
			best = i;
			best_v = v;
		}
	}
	return best;
}
