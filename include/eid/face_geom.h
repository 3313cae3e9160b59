/* eid/face_geom.h — the arithmetic of the face pipeline that runs no neural
 * network (implemented in src/face/; eid/face.h is the engine built on it).
 *
 * Everything here follows ../shared/faces/REFERENCE-PIPELINE.md ("the spec")
 * section by section and is tested against its reference vectors:
 *   detect_decode.c  section 1: letterbox, detector input matrix, 896 anchors,
 *                    decoding, threshold, NMS, face selection
 *   landmarks.c      section 2: FaceMesh ROIs, crop matrix, crop → image mapping
 *   align.c          section 3: the 33-point dlib chip, similarity, chip matrix
 *   metrics.c        verification metrics (EER, TAR at FAR, threshold for a FAR)
 *   quality.c        capture-quality checks shown to the resident (size, framing,
 *                    blur, exposure, pose) with stable reason codes
 *
 * Conventions.
 *   Coordinates are pixel-index coordinates of the original image: the centre
 *   of pixel (i, j) is (x=i, y=j). y grows downwards.
 *   A warp matrix is float m[6] mapping an OUTPUT pixel (u, v) of a warp to
 *   the SOURCE image: x = m[0]*u + m[1]*v + m[2], y = m[3]*u + m[4]*v + m[5];
 *   the image module samples there bilinearly with a black border (spec §0).
 *   Geometry parameters (letterbox, ROI, similarity) are double; per-point data
 *   (detections, landmarks, chips) is float like the model tensors it comes from.
 *   Landmarks are float[468*3]: (x, y, z) per FaceMesh point, x/y in image
 *   pixels, z the model's relative depth scaled to image pixels (smaller z =
 *   nearer the camera, as FaceMesh outputs it).
 *
 * Usage (one image; warp = the image module's bilinear warp, nn = the runtime):
 *
 *   eid_face_letterbox lb;
 *   float m[6];
 *   st = eid_face_det_letterbox(w, h, 0.0, &lb, &err);
 *   eid_face_det_input_matrix(&lb, m);            // warp to 256x256, then /127.5-1
 *   ... run BlazeFace → four outputs ...
 *   eid_face_det_outputs o = {logits512, regs512, logits384, regs384};
 *   eid_face_det dets[64];
 *   size_t n;
 *   st = eid_face_det_decode(&lb, &o, 0.5f, dets, 64, &n, &err);
 *   size_t best = eid_face_det_select(dets, n, w, h);   // n == 0: try the next pad
 *   eid_face_roi roi;
 *   eid_face_roi_from_det(&dets[best], &roi);
 *   eid_face_roi_matrix(&roi, m);                  // warp to 192x192, then /255
 *   ... run FaceMesh → mesh[468*3] in crop pixels ...
 *   st = eid_face_mesh_to_image(&roi, mesh, lm, &err);
 *   st = eid_face_roi_from_mesh(lm, &roi, &err);   // pass 2: matrix, FaceMesh, map
 *   st = eid_face_chip_matrix(lm, m, &err);        // warp to 150x150 = the chip
 *   st = eid_face_quality_eval(&dets[best], lm, chip, w, h, NULL, &q, &err);
 *
 * Ownership: every output goes to memory the caller provides; nothing returned
 * here needs freeing. Only the metrics functions allocate (temporary sorted
 * copies, freed before they return; EID_E_NOMEM if that fails). All functions
 * are reentrant: there is no global mutable state.
 */
#ifndef EID_FACE_GEOM_H
#define EID_FACE_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

/* ---- 1. Detection: BlazeFace "back" (spec §1) ---------------------------- */

#define EID_FACE_DET_SIZE 256	 /* detector input side, pixels */
#define EID_FACE_DET_ANCHORS 896 /* 512 (16x16 grid, 2/cell) + 384 (8x8, 6/cell) */
#define EID_FACE_DET_ANCHORS_16 512
#define EID_FACE_DET_ANCHORS_8 384
#define EID_FACE_DET_REGS 16 /* regressors per anchor */
#define EID_FACE_DET_KEYPOINTS 6
#define EID_FACE_DET_NMS_IOU 0.3 /* a box overlapping a kept one by more is dropped */

/* Keypoint order of a detection (subject's right = image left). */
enum {
	EID_FACE_KP_RIGHT_EYE = 0,
	EID_FACE_KP_LEFT_EYE = 1,
	EID_FACE_KP_NOSE = 2,
	EID_FACE_KP_MOUTH = 3,
	EID_FACE_KP_RIGHT_EAR = 4,
	EID_FACE_KP_LEFT_EAR = 5,
};

/* Letterbox placing a w x h image in a square of side L (spec §1.1). */
typedef struct eid_face_letterbox {
	double L;	   /* max(w,h)·(1+2·pad) */
	double offx, offy; /* (L-w)/2, (L-h)/2 */
	double k;	   /* L/256: image pixels per detector pixel */
	size_t w, h;	   /* the image */
} eid_face_letterbox;

/* One detected face, in image pixel-index coordinates. */
typedef struct eid_face_det {
	float score;	      /* sigmoid of the logit, 0..1 */
	float x1, y1, x2, y2; /* box corners: centre ± size/2, mapped to the image */
	float cx, cy, w, h;   /* the same box as centre and size (w = x2-x1) */
	float kp[EID_FACE_DET_KEYPOINTS][2]; /* EID_FACE_KP_* order, (x, y) */
} eid_face_det;

/* The detector's four outputs, each a separate dense float array. */
typedef struct eid_face_det_outputs {
	const float *logits512; /* [512]    "Identity"   16x16 grid logits */
	const float *regs512;	/* [512*16] "Identity_2" 16x16 grid regressors */
	const float *logits384; /* [384]    "Identity_1" 8x8 grid logits */
	const float *regs384;	/* [384*16] "Identity_3" 8x8 grid regressors */
} eid_face_det_outputs;

/* Letterbox of a w x h image with padding pad (0 and 0.25 in the schedule).
 * Fails with EID_E_INVALID_ARG if w or h is 0 or pad is outside [0, 4]. */
EID_MUST_CHECK eid_status eid_face_det_letterbox(size_t w, size_t h, double pad,
						 eid_face_letterbox *out, eid_err *err);

/* Warp matrix of the detector input: detector pixel (u,v) samples the image
 * at (k·u + 0.5k - offx - 0.5, k·v + 0.5k - offy - 0.5). */
void eid_face_det_input_matrix(const eid_face_letterbox *lb, float m[6]);

/* Centre of anchor i (0 <= i < 896) in detector-input pixels. */
void eid_face_det_anchor(size_t i, float *ax_out, float *ay_out);

/* Decodes the detector outputs (spec §1.3-1.4): score = sigmoid(clamp(logit,
 * ±100)), keeps score >= min_score, sorts by score descending (ties: lower
 * anchor index first), greedy NMS (IoU > 0.3 dropped), and writes at most cap
 * detections to dets (the cap highest-scoring survivors) and their count to
 * *n_out (0 is not an error). Fails with EID_E_INVALID_ARG on NULL arrays or
 * min_score outside [0,1], and with EID_E_BACKEND if a logit, or a regressor
 * of a row above the threshold, is not finite. */
EID_MUST_CHECK eid_status eid_face_det_decode(const eid_face_letterbox *lb,
					      const eid_face_det_outputs *o, float min_score,
					      eid_face_det *dets, size_t cap, size_t *n_out,
					      eid_err *err);

/* Index of the face to use when several were found (spec §1.6): the maximum
 * of w·h - 2·((cx-(img_w-1)/2)² + (cy-(img_h-1)/2)²); the first on ties.
 * Returns SIZE_MAX if n is 0. */
size_t eid_face_det_select(const eid_face_det *dets, size_t n, size_t img_w, size_t img_h);

/* ---- 2. Landmarks: FaceMesh ROIs (spec §2) ------------------------------- */

#define EID_FACE_MESH_SIZE 192 /* FaceMesh input side, pixels */
#define EID_FACE_MESH_POINTS 468
#define EID_FACE_MESH_FLOATS (EID_FACE_MESH_POINTS * 3)

/* Square, rotated region of interest in image pixels. */
typedef struct eid_face_roi {
	double cx, cy; /* centre */
	double size;   /* side */
	double theta;  /* rotation in radians (eye line angle, y down) */
} eid_face_roi;

/* Pass-1 ROI: box centre, 1.5·max(w,h), angle of the eye keypoints. */
void eid_face_roi_from_det(const eid_face_det *det, eid_face_roi *out);

/* Warp matrix of the 192x192 FaceMesh crop of roi. */
void eid_face_roi_matrix(const eid_face_roi *roi, float m[6]);

/* Maps FaceMesh output crop[468*3] (x, y, z in crop pixels) to image
 * landmarks lm[468*3] (z multiplied by size/192). crop and lm may alias.
 * Fails with EID_E_BACKEND if a value is not finite, EID_E_INVALID_ARG on a
 * degenerate roi (size not > 0). */
EID_MUST_CHECK eid_status eid_face_mesh_to_image(const eid_face_roi *roi, const float *crop,
						 float *lm, eid_err *err);

/* Pass-2 ROI from pass-1 image landmarks lm[468*3] (angle of P33→P263,
 * bounding box in the de-rotated frame, 1.5·its larger side). Fails with
 * EID_E_INVALID_ARG if the landmarks are not finite or collapse to a point. */
EID_MUST_CHECK eid_status eid_face_roi_from_mesh(const float *lm, eid_face_roi *out, eid_err *err);

/* ---- 3. Alignment: the dlib face chip (spec §3) -------------------------- */

#define EID_FACE_CHIP_SIZE 150
#define EID_FACE_CHIP_PADDING 0.25
#define EID_FACE_CHIP_POINTS 33

/* FaceMesh index of each of the 33 chip points (dlib-68 points 27..54, 60..64). */
extern const uint16_t eid_face_chip_mesh_idx[EID_FACE_CHIP_POINTS];

/* Chip-pixel destination of each of the 33 points (dlib mean face shape,
 * ((M + 0.25)/1.5)·150). */
void eid_face_chip_dst(double dst[EID_FACE_CHIP_POINTS][2]);

/* Least-squares similarity dst ≈ [a -b; b a]·src + t (Umeyama, no
 * reflection): s_out = {a, b, tx, ty}. Fails with EID_E_INVALID_ARG if n is 0
 * or the source points are all equal or not finite. */
EID_MUST_CHECK eid_status eid_face_similarity(const double (*src)[2], const double (*dst)[2],
					      size_t n, double s_out[4], eid_err *err);

/* Warp matrix of the 150x150 chip from image landmarks lm[468*3]: the inverse
 * of similarity(mesh points, destinations), mapping chip pixel (u,v) to the
 * image. Fails like eid_face_similarity. */
EID_MUST_CHECK eid_status eid_face_chip_matrix(const float *lm, float m[6], eid_err *err);

/* ---- 4. Verification metrics --------------------------------------------- */

/* Scores: higher = more similar. A pair is accepted when score >= threshold,
 * so FAR(t) = #{impostor >= t}/n_impostor, FRR(t) = #{genuine < t}/n_genuine
 * and TAR = 1 - FRR, exactly (no smoothing of ties).
 *
 * Threshold for a target FAR f: the smallest threshold whose FAR <= f. With
 * impostors sorted descending s1 >= s2 >= ... and k = floor(f·n) the number
 * of false accepts allowed, that is the double just above s(k+1) (s(k+1) itself
 * is rejected, and every impostor tied with it too, so the achieved FAR may be
 * below f). If k = 0 it is just above the highest impostor score (FAR 0): a
 * FAR below 1/n_impostor cannot be measured, only bounded.
 *
 * EER: FAR and FRR are step functions that change only at observed scores.
 * Walking the distinct scores upwards, the first threshold t_b with
 * FRR(t_b) >= FAR(t_b) and its predecessor t_a (FAR > FRR) bracket the
 * crossing. The two operating points are joined by a straight line (the
 * operating points a randomised choice between t_a and t_b achieves) and the
 * EER is where that line meets FAR = FRR; the EER threshold is interpolated
 * between t_a and t_b with the same fraction. Above the highest score the
 * walk ends at FAR 0, FRR 1 with the threshold just above the highest score. */
typedef struct eid_face_op {
	double threshold; /* accept when score >= threshold */
	double far;	  /* achieved false-accept rate at threshold */
	double tar;	  /* true-accept rate at threshold */
} eid_face_op;

typedef struct eid_face_metrics {
	size_t n_genuine, n_impostor;
	double eer;		/* equal error rate, 0..1 */
	double eer_threshold;	/* interpolated threshold of the EER (see above) */
	eid_face_op at_far_1e2; /* operating point for target FAR 1e-2 */
	eid_face_op at_far_1e3; /* operating point for target FAR 1e-3 */
} eid_face_metrics;

/* Computes all metrics. Fails with EID_E_INVALID_ARG on empty or NULL
 * arrays or a non-finite score, EID_E_NOMEM if scratch cannot be allocated. */
EID_MUST_CHECK eid_status eid_face_metrics_compute(const double *genuine, size_t n_genuine,
						   const double *impostor, size_t n_impostor,
						   eid_face_metrics *out, eid_err *err);

/* Operating point for target FAR far_target (0 < far_target < 1): threshold
 * from the impostors as described above, far and tar measured there. */
EID_MUST_CHECK eid_status eid_face_metrics_at_far(const double *genuine, size_t n_genuine,
						  const double *impostor, size_t n_impostor,
						  double far_target, eid_face_op *out,
						  eid_err *err);

/* Equal error rate and its interpolated threshold. */
EID_MUST_CHECK eid_status eid_face_metrics_eer(const double *genuine, size_t n_genuine,
					       const double *impostor, size_t n_impostor,
					       double *eer_out, double *threshold_out,
					       eid_err *err);

/* ---- 5. Capture quality --------------------------------------------------- */

/* Reason codes, stable strings (part of the API: shown by apps, logged). */
#define EID_FACE_QUALITY_REASONS(X)                                                                \
	X(FACE_TOO_SMALL, "face_too_small") /* eye distance or box too small: come closer */       \
	X(FACE_CUT_OFF, "face_cut_off")	    /* part of the face outside the image */               \
	X(TOO_BLURRY, "too_blurry")	    /* too little fine detail on the chip */               \
	X(TOO_DARK, "too_dark")		    /* face too dark or too much of it black */            \
	X(TOO_BRIGHT, "too_bright")	    /* face too bright or too much of it white */          \
	X(POSE_YAW, "pose_yaw")		    /* head turned left/right */                           \
	X(POSE_PITCH, "pose_pitch")	    /* head tilted up/down */                              \
	X(POSE_ROLL, "pose_roll")	    /* head tilted sideways */

typedef enum eid_face_quality_reason {
#define EID_FACE_Q_ENUM(name, code) EID_FACE_Q_##name,
	EID_FACE_QUALITY_REASONS(EID_FACE_Q_ENUM)
#undef EID_FACE_Q_ENUM
	EID_FACE_Q_COUNT
} eid_face_quality_reason;

/* Thresholds; a check fails when its measurement is beyond them. The
 * defaults (eid_face_quality_defaults) and their rationale are in quality.c. */
typedef struct eid_face_quality_cfg {
	double min_iod_px;    /* eye-centre distance, image pixels */
	double min_box_px;    /* smaller side of the detection box, image pixels */
	double min_sharpness; /* Laplacian variance / luma variance, inner face */
	double min_mean_luma; /* mean luma (0..255) over the inner face */
	double max_mean_luma;
	double max_dark_frac;	 /* fraction of inner-face pixels with luma <= 5 */
	double max_bright_frac;	 /* fraction of inner-face pixels with luma >= 250 */
	double max_outside_frac; /* fraction of the inner face outside the image */
	double max_yaw_deg;	 /* absolute pose angles, degrees */
	double max_pitch_deg;
	double max_roll_deg;
} eid_face_quality_cfg;

/* Measurements and verdict. "Inner face" = chip pixels x 40..109, y 35..114
 * (eye corner to eye corner, eyebrows to chin of the dlib mean face). */
typedef struct eid_face_quality {
	double iod_px;		       /* distance of the eye centres, image pixels */
	double box_px;		       /* min(w, h) of the detection box */
	double outside_frac;	       /* inner-face chip pixels sampled outside the image */
	double blur_var;	       /* variance of the 4-neighbour Laplacian of luma */
	double sharpness;	       /* blur_var / variance of luma: judged for blur */
	double mean_luma;	       /* BT.601 luma mean, 0..255 */
	double dark_frac, bright_frac; /* clipped fractions, 0..1 */
	double yaw_deg;		       /* + = nose towards the image right */
	double pitch_deg;	       /* + = chin up (looking up) */
	double roll_deg;	       /* + = eye line turned clockwise on screen */
	uint32_t fails;		       /* bit (1u << EID_FACE_Q_x) per failed check */
} eid_face_quality;

/* Default thresholds (see quality.c for their rationale). */
void eid_face_quality_defaults(eid_face_quality_cfg *cfg);

/* Measures and judges one capture. det: its detection (box size); lm: its
 * image landmarks [468*3]; chip: the aligned face chip made from lm, float
 * RGB interleaved 0..255 [150*150*3] (blur and exposure are measured on the
 * face, at a fixed scale, on the pixels the recogniser sees); img_w, img_h:
 * the image size (chip pixels that came from outside the image are excluded
 * and counted as cut off); cfg NULL for the defaults. Blur and exposure are
 * not judged when less than half of the inner face is inside the image.
 * Fails with EID_E_INVALID_ARG on NULL input, an empty image or a non-finite
 * landmark or chip value. Pose method and accuracy: quality.c. */
EID_MUST_CHECK eid_status eid_face_quality_eval(const eid_face_det *det, const float *lm,
						const float *chip, size_t img_w, size_t img_h,
						const eid_face_quality_cfg *cfg,
						eid_face_quality *out, eid_err *err);

/* Stable code of a reason ("face_too_small", ...), "unknown" if out of range. */
const char *eid_face_quality_code(eid_face_quality_reason r);

/* Writes the codes of q's failed checks, in enum order, to codes[0..cap) and
 * returns how many failed (may exceed cap). */
size_t eid_face_quality_reasons(const eid_face_quality *q, const char **codes, size_t cap);

#endif
