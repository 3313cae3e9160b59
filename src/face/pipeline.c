/* The face pipeline: detection schedule, two FaceMesh passes, chip, embedding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eid/face.h"
#include "eid/limits.h"
#include "eid/nn.h"
#include "eid/util.h"

struct eid_face_engine {
	eid_model *det, *mesh, *embed;
	eid_model *spoof, *live; /* passive presentation-attack models (eid_face_passive) */
	eid_model *res;          /* the second embedder, faceres (eid_face_embed_faceres) */
	int res_out;             /* output index of its descriptor */
	int det_out[4]; /* output index of Identity, Identity_2, Identity_1, Identity_3 */
	int mesh_out;   /* output index of the 1404 landmark values */
};

struct eid_face_ctx {
	const eid_face_engine *fe;
	eid_threadpool *pool; /* shared by the three sessions, which run in turn */
	eid_session *det, *mesh, *embed;
	eid_session *spoof, *live; /* made on first eid_face_passive */
	eid_session *res;          /* made on first eid_face_embed_faceres */
	float res_pair[2 * EID_FACE_RES_SIZE * EID_FACE_RES_SIZE * 3]; /* chip, mirror */
	float det_in[EID_FACE_DET_SIZE * EID_FACE_DET_SIZE * 3];
	float mesh_in[EID_FACE_MESH_SIZE * EID_FACE_MESH_SIZE * 3];
	float pair[2 * EID_FACE_CHIP_SIZE * EID_FACE_CHIP_SIZE * 3]; /* chip, mirror */
	eid_face_det dets[896];
};

static int find_output(const eid_model *m, const char *name)
{
	for (size_t i = 0; i < eid_model_num_outputs(m); i++)
		if (strcmp(eid_model_output_name(m, i), name) == 0)
			return (int)i;
	return -1;
}

/* The model directory: explicit, $EID_MODELS, ./models, <exe dir>/../models. */
static void model_dir_guess(char *buf, size_t cap)
{
	const char *env = getenv("EID_MODELS");
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return;
	}
	if (access("models/human-models/blazeface.json", R_OK) == 0) {
		snprintf(buf, cap, "models");
		return;
	}
	char exe[2048];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, cap, "%s/../models", exe);
			return;
		}
	}
	snprintf(buf, cap, "models");
}

eid_status eid_face_engine_load(const char *model_dir, eid_face_engine **out, eid_err *err)
{
	*out = NULL;
	char dir[4096], path[4200];
	if (model_dir)
		snprintf(dir, sizeof(dir), "%s", model_dir);
	else
		model_dir_guess(dir, sizeof(dir));
	eid_face_engine *fe = calloc(1, sizeof(*fe));
	if (!fe)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	eid_status st;
	snprintf(path, sizeof(path), "%s/human-models/blazeface.json", dir);
	if ((st = eid_model_load(path, &fe->det, err)))
		goto fail;
	snprintf(path, sizeof(path), "%s/human-models/facemesh.json", dir);
	if ((st = eid_model_load(path, &fe->mesh, err)))
		goto fail;
	snprintf(path, sizeof(path), "%s/face-api/face_recognition_model-weights_manifest.json", dir);
	if ((st = eid_model_load(path, &fe->embed, err)))
		goto fail;
	static const char *const det_names[4] = {"Identity", "Identity_2", "Identity_1", "Identity_3"};
	for (int i = 0; i < 4; i++)
		if ((fe->det_out[i] = find_output(fe->det, det_names[i])) < 0) {
			st = eid_fail(err, EID_E_FORMAT, "detector has no output '%s'", det_names[i]);
			goto fail;
		}
	if ((fe->mesh_out = find_output(fe->mesh, "Identity_2:0")) < 0) {
		st = eid_fail(err, EID_E_FORMAT, "facemesh has no output 'Identity_2:0'");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/human-models/antispoof.json", dir);
	if ((st = eid_model_load(path, &fe->spoof, err)))
		goto fail;
	snprintf(path, sizeof(path), "%s/human-models/liveness.json", dir);
	if ((st = eid_model_load(path, &fe->live, err)))
		goto fail;
	snprintf(path, sizeof(path), "%s/human-models/faceres.json", dir);
	if ((st = eid_model_load(path, &fe->res, err)))
		goto fail;
	if ((fe->res_out = find_output(fe->res, "global_pooling/Mean")) < 0) {
		st = eid_fail(err, EID_E_FORMAT, "faceres has no output 'global_pooling/Mean'");
		goto fail;
	}
	*out = fe;
	return EID_OK;
fail:
	eid_face_engine_free(fe);
	return st;
}

void eid_face_engine_free(eid_face_engine *fe)
{
	if (!fe)
		return;
	eid_model_free(fe->det);
	eid_model_free(fe->mesh);
	eid_model_free(fe->embed);
	eid_model_free(fe->spoof);
	eid_model_free(fe->live);
	eid_model_free(fe->res);
	free(fe);
}

eid_status eid_face_ctx_new(const eid_face_engine *fe, int threads, eid_face_ctx **out,
			    eid_err *err)
{
	*out = NULL;
	eid_face_ctx *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	fc->fe = fe;
	eid_session_opts o = eid_session_defaults();
	eid_status st = eid_threadpool_new(threads, &fc->pool, err);
	if (st) {
		free(fc);
		return st;
	}
	o.pool = fc->pool;
	if ((st = eid_session_new(fe->det, &o, &fc->det, err)) ||
	    (st = eid_session_new(fe->mesh, &o, &fc->mesh, err)) ||
	    (st = eid_session_new(fe->embed, &o, &fc->embed, err))) {
		eid_face_ctx_free(fc);
		return st;
	}
	*out = fc;
	return EID_OK;
}

void eid_face_ctx_free(eid_face_ctx *fc)
{
	if (!fc)
		return;
	eid_session_free(fc->det);
	eid_session_free(fc->mesh);
	eid_session_free(fc->embed);
	eid_session_free(fc->spoof);
	eid_session_free(fc->live);
	eid_session_free(fc->res);
	eid_threadpool_free(fc->pool);
	free(fc);
}

static void to_double(const float m[6], double d[6])
{
	for (int i = 0; i < 6; i++)
		d[i] = m[i];
}

/* Detector schedule of REFERENCE-PIPELINE.md section 1.5. */
static const struct {
	double pad;
	float min_score;
} schedule[] = {{0.0, 0.5f}, {0.25, 0.5f}, {0.25, 0.3f}};

static eid_status detect(eid_face_ctx *fc, const eid_image *img, eid_face_result *out,
			 eid_err *err)
{
	const eid_face_engine *fe = fc->fe;
	const size_t cap = (size_t)eid_limit(EID_LIMIT_FACES_PER_IMAGE);
	for (size_t t = 0; t < sizeof(schedule) / sizeof(schedule[0]); t++) {
		eid_face_letterbox lb;
		float m[6];
		double md[6];
		eid_status st = eid_face_det_letterbox((size_t)img->width, (size_t)img->height,
						       schedule[t].pad, &lb, err);
		if (st)
			return st;
		/* the tries with the same pad share one detector run */
		if (t == 0 || schedule[t].pad != schedule[t - 1].pad) {
			eid_face_det_input_matrix(&lb, m);
			to_double(m, md);
			eid_image_warp_affine(img, md, EID_FACE_DET_SIZE, EID_FACE_DET_SIZE,
					      1.0f / 127.5f, -1.0f, fc->det_in);
			const int64_t shape[4] = {1, EID_FACE_DET_SIZE, EID_FACE_DET_SIZE, 3};
			if ((st = eid_session_run(fc->det, fc->det_in, shape, 4, err)))
				return st;
		}
		eid_face_det_outputs o = {
			eid_session_output(fc->det, (size_t)fe->det_out[0]).data,
			eid_session_output(fc->det, (size_t)fe->det_out[1]).data,
			eid_session_output(fc->det, (size_t)fe->det_out[2]).data,
			eid_session_output(fc->det, (size_t)fe->det_out[3]).data,
		};
		size_t n = 0;
		st = eid_face_det_decode(&lb, &o, schedule[t].min_score, fc->dets, cap, &n, err);
		if (st)
			return st;
		if (n > 0) {
			size_t best = eid_face_det_select(fc->dets, n, (size_t)img->width,
							  (size_t)img->height);
			out->det = fc->dets[best];
			out->faces_found = (int)n;
			out->detect_try = (int)t + 1;
			return EID_OK;
		}
	}
	out->faces_found = 0;
	return eid_fail(err, EID_E_NO_FACE, "no face found (tried letterbox pad 0 and 0.25)");
}

static eid_status mesh_pass(eid_face_ctx *fc, const eid_image *img, const eid_face_roi *roi,
			    float *lm, eid_err *err)
{
	float m[6];
	double md[6];
	eid_face_roi_matrix(roi, m);
	to_double(m, md);
	eid_image_warp_affine(img, md, EID_FACE_MESH_SIZE, EID_FACE_MESH_SIZE, 1.0f / 255.0f, 0.0f,
			      fc->mesh_in);
	const int64_t shape[4] = {1, EID_FACE_MESH_SIZE, EID_FACE_MESH_SIZE, 3};
	eid_status st = eid_session_run(fc->mesh, fc->mesh_in, shape, 4, err);
	if (st)
		return st;
	eid_tensor_view v = eid_session_output(fc->mesh, (size_t)fc->fe->mesh_out);
	if (v.count != EID_FACE_MESH_FLOATS)
		return eid_fail(err, EID_E_BACKEND, "facemesh gave %zu values, expected %d", v.count,
				EID_FACE_MESH_FLOATS);
	return eid_face_mesh_to_image(roi, v.data, lm, err);
}

static void l2_normalise(float *v, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += (double)v[i] * v[i];
	float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
	for (int i = 0; i < n; i++)
		v[i] *= inv;
}

/* out = L2(L2(a) + L2(b)) for the two rows a, b of a batch-of-two output:
 * how the reference averages a chip's embedding with its mirror's. */
static void mirror_average(const float *two, int dim, float *out)
{
	float b[EID_FACE_RES_DIM];
	memcpy(out, two, (size_t)dim * sizeof(float));
	memcpy(b, two + dim, (size_t)dim * sizeof(float));
	l2_normalise(out, dim);
	l2_normalise(b, dim);
	for (int i = 0; i < dim; i++)
		out[i] += b[i];
	l2_normalise(out, dim);
}

/* The chip and its mirror run as one batch of two: the late layers of the
 * ResNet are bound by reading their weights, which a batch reads once. */
static eid_status embed(eid_face_ctx *fc, const float *chip, float *emb, eid_err *err)
{
	const size_t n = EID_FACE_CHIP_SIZE * EID_FACE_CHIP_SIZE * 3;
	const int64_t shape[4] = {2, EID_FACE_CHIP_SIZE, EID_FACE_CHIP_SIZE, 3};
	memcpy(fc->pair, chip, n * sizeof(float));
	eid_image_mirror_f32(chip, EID_FACE_CHIP_SIZE, EID_FACE_CHIP_SIZE, fc->pair + n);
	eid_status st = eid_session_run(fc->embed, fc->pair, shape, 4, err);
	if (st)
		return st;
	eid_tensor_view v = eid_session_output(fc->embed, 0);
	if (v.count != 2 * EID_FACE_EMBEDDING_DIM)
		return eid_fail(err, EID_E_BACKEND, "embedding has %zu values", v.count);
	mirror_average(v.data, EID_FACE_EMBEDDING_DIM, emb);
	return EID_OK;
}

eid_status eid_face_analyze(eid_face_ctx *fc, const eid_image *img, eid_face_result *out,
			    eid_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!img || !img->rgb || img->width < 1 || img->height < 1)
		return eid_fail(err, EID_E_INVALID_ARG, "empty image");
	double t0 = eid_now_ms();
	eid_status st = detect(fc, img, out, err);
	double t1 = eid_now_ms();
	out->ms_detect = t1 - t0;
	if (st)
		return st;

	eid_face_roi roi;
	eid_face_roi_from_det(&out->det, &roi);
	if ((st = mesh_pass(fc, img, &roi, out->landmarks, err)) ||
	    (st = eid_face_roi_from_mesh(out->landmarks, &roi, err)) ||
	    (st = mesh_pass(fc, img, &roi, out->landmarks, err)))
		return st;
	double t2 = eid_now_ms();
	out->ms_landmarks = t2 - t1;

	float m[6];
	double md[6];
	if ((st = eid_face_chip_matrix(out->landmarks, m, err)))
		return st;
	to_double(m, md);
	eid_image_warp_affine(img, md, EID_FACE_CHIP_SIZE, EID_FACE_CHIP_SIZE, 1.0f, 0.0f, out->chip);
	double t3 = eid_now_ms();
	out->ms_align = t3 - t2;

	if ((st = embed(fc, out->chip, out->embedding, err)))
		return st;
	double t4 = eid_now_ms();
	out->ms_embed = t4 - t3;
	return eid_face_quality_eval(&out->det, out->landmarks, out->chip, (size_t)img->width,
				     (size_t)img->height, NULL, &out->quality, err);
}

float eid_face_score(const float *a, const float *b)
{
	double s = 0;
	for (int i = 0; i < EID_FACE_EMBEDDING_DIM; i++)
		s += (double)a[i] * b[i];
	return (float)s;
}

/* Bilinear resize of an RGB float image (corner-aligned off, half-pixel
 * centres: what tf.image.resizeBilinear does with its defaults). */
static void resize_rgb(const float *src, int sw, int sh, float *dst, int dw, int dh)
{
	for (int y = 0; y < dh; y++) {
		double fy = (y + 0.5) * sh / dh - 0.5;
		fy = fy < 0 ? 0 : fy;
		const int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : y0;
		const double wy = fy - y0;
		for (int x = 0; x < dw; x++) {
			double fx = (x + 0.5) * sw / dw - 0.5;
			fx = fx < 0 ? 0 : fx;
			const int x0 = (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : x0;
			const double wx = fx - x0;
			for (int c = 0; c < 3; c++) {
				const double a = src[(y0 * sw + x0) * 3 + c], b = src[(y0 * sw + x1) * 3 + c],
					     d = src[(y1 * sw + x0) * 3 + c], e = src[(y1 * sw + x1) * 3 + c];
				dst[(y * dw + x) * 3 + c] =
					(float)((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
			}
		}
	}
}

eid_status eid_face_passive(eid_face_ctx *fc, float *real_out, float *live_out, eid_err *err)
{
	eid_session_opts o = eid_session_defaults();
	o.pool = fc->pool;
	eid_status st = EID_OK;
	if (!fc->spoof && (st = eid_session_new(fc->fe->spoof, &o, &fc->spoof, err)))
		return st;
	if (!fc->live && (st = eid_session_new(fc->fe->live, &o, &fc->live, err)))
		return st;
	/* the last analysis's face crop (the second FaceMesh input, 0..1), as
	 * Human gives both models its face tensor */
	float spoof_in[128 * 128 * 3], live_in[32 * 32 * 3];
	resize_rgb(fc->mesh_in, EID_FACE_MESH_SIZE, EID_FACE_MESH_SIZE, spoof_in, 128, 128);
	resize_rgb(fc->mesh_in, EID_FACE_MESH_SIZE, EID_FACE_MESH_SIZE, live_in, 32, 32);
	const int64_t s1[4] = {1, 128, 128, 3}, s2[4] = {1, 32, 32, 3};
	if ((st = eid_session_run(fc->spoof, spoof_in, s1, 4, err)) ||
	    (st = eid_session_run(fc->live, live_in, s2, 4, err)))
		return st;
	eid_tensor_view a = eid_session_output(fc->spoof, 0), b = eid_session_output(fc->live, 0);
	if (a.count < 1 || b.count < 1)
		return eid_fail(err, EID_E_BACKEND, "the passive models gave no score");
	*real_out = a.data[0];
	*live_out = b.data[0];
	return EID_OK;
}

/* faceres takes VGGFace2-style input: BGR with that set's channel means
 * subtracted. On the aligned chip this gives 4.9% EER on the dev set where
 * RGB 0-255, as Human feeds it, gives 8.6% (docs/calibration.md). */
static const float faceres_mean_bgr[3] = {91.4953f, 103.8827f, 131.0912f};

eid_status eid_face_embed_faceres(eid_face_ctx *fc, const eid_image *img,
				  const eid_face_result *r, float out[EID_FACE_RES_DIM],
				  eid_err *err)
{
	if (!img || !img->rgb || !r || !out)
		return eid_fail(err, EID_E_INVALID_ARG, "faceres: NULL argument");
	eid_session_opts o = eid_session_defaults();
	o.pool = fc->pool;
	eid_status st;
	if (!fc->res && (st = eid_session_new(fc->fe->res, &o, &fc->res, err)))
		return st;
	/* the dlib chip's alignment at 224 pixels: same landmarks, same padding */
	float m[6];
	if ((st = eid_face_chip_matrix(r->landmarks, m, err)))
		return st;
	const double k = (double)EID_FACE_CHIP_SIZE / EID_FACE_RES_SIZE;
	const double md[6] = {m[0] * k, m[1] * k, m[2], m[3] * k, m[4] * k, m[5]};
	const size_t px = (size_t)EID_FACE_RES_SIZE * EID_FACE_RES_SIZE, n = px * 3;
	float *chip = fc->res_pair, *mirror = fc->res_pair + n;
	eid_image_warp_affine(img, md, EID_FACE_RES_SIZE, EID_FACE_RES_SIZE, 1.0f, 0.0f, mirror);
	for (size_t i = 0; i < px; i++)
		for (int c = 0; c < 3; c++)
			chip[3 * i + (size_t)c] = mirror[3 * i + 2 - (size_t)c] - faceres_mean_bgr[c];
	eid_image_mirror_f32(chip, EID_FACE_RES_SIZE, EID_FACE_RES_SIZE, mirror);
	const int64_t shape[4] = {2, EID_FACE_RES_SIZE, EID_FACE_RES_SIZE, 3};
	if ((st = eid_session_run(fc->res, fc->res_pair, shape, 4, err)))
		return st;
	eid_tensor_view v = eid_session_output(fc->res, (size_t)fc->fe->res_out);
	if (v.count != 2 * EID_FACE_RES_DIM)
		return eid_fail(err, EID_E_BACKEND, "faceres descriptor has %zu values", v.count);
	mirror_average(v.data, EID_FACE_RES_DIM, out);
	return EID_OK;
}
