/* eid/image.h — decoded images and the one resampling primitive of the engine.
 *
 * Decoding turns an untrusted JPEG or PNG (recognised by its magic bytes, never
 * by a file name) into 8-bit RGB: grey becomes R=G=B, alpha is dropped, 16-bit
 * samples are scaled to 8 bits, palettes are expanded and the EXIF orientation
 * (JPEG APP1, PNG eXIf) is applied so the result is upright. The declared size
 * is checked against EID_LIMIT_IMAGE_SIDE and EID_LIMIT_IMAGE_PIXELS before any
 * pixel buffer is allocated, the encoded size against EID_LIMIT_IMAGE_FILE_BYTES.
 * Truncated or damaged pixel data is an error, never grey filler; a JPEG that
 * ends before its EOI marker counts as truncated, bytes after the image data
 * are ignored. JPEG chroma is upsampled by replication (no "fancy"
 * smoothing), which is closest to the decoder the reference pipeline used.
 *
 * Failures: EID_E_FORMAT (not an image, corrupt or truncated data),
 * EID_E_UNSUPPORTED (a recognised format other than JPEG/PNG, e.g. GIF),
 * EID_E_LIMIT (too large), EID_E_NOMEM, EID_E_IO (eid_image_load only).
 *
 * warpAffine follows REFERENCE-PIPELINE.md section 0: pixel centres sit at
 * integer coordinates, bilinear over 4 taps, taps outside the image are black,
 * output is float and not rounded.
 *
 *   eid_image img = {0};
 *   eid_err err;
 *   if (eid_image_load("photo.jpg", &img, &err) != EID_OK) {
 *           fprintf(stderr, "%s\n", err.msg);
 *           return;
 *   }
 *   // the detector's letterbox (pad 0): longest side to 256, centred
 *   double L = img.width > img.height ? img.width : img.height, k = L / 256;
 *   double offx = (L - img.width) / 2, offy = (L - img.height) / 2;
 *   const double M[6] = {k, 0, 0.5 * k - offx - 0.5, 0, k, 0.5 * k - offy - 0.5};
 *   float *in = malloc(sizeof(float) * 256 * 256 * 3);
 *   eid_image_warp_affine(&img, M, 256, 256, 1.0f / 127.5f, -1.0f, in); // pixel/127.5-1
 *   eid_image_release(&img);
 *   ...
 *   free(in);
 *
 * Ownership: a successful decode/load gives the caller img->rgb, freed by
 * eid_image_release (which accepts NULL and zeroed structs, and leaves the
 * struct zeroed). On failure *out is zeroed and owns nothing. The caller owns
 * every float buffer passed to the warp and mirror functions.
 * All functions are thread-safe (no global state besides the limits table).
 */
#ifndef EID_IMAGE_H
#define EID_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

/* An 8-bit RGB image: width*height*3 bytes, RGB interleaved, row-major,
 * no row padding. */
typedef struct eid_image {
	int width, height;
	uint8_t *rgb;
} eid_image;

/* Decodes a JPEG or PNG held in memory into *out (see the overview). */
EID_MUST_CHECK eid_status eid_image_decode(const uint8_t *data, size_t len, eid_image *out,
					   eid_err *err);

/* Reads path (at most EID_LIMIT_IMAGE_FILE_BYTES) and decodes it; messages name
 * the path, e.g. "cannot decode image 'a.jpg': truncated JPEG data". */
EID_MUST_CHECK eid_status eid_image_load(const char *path, eid_image *out, eid_err *err);

/* Frees img->rgb and zeroes *img. Accepts NULL and zeroed structs. */
void eid_image_release(eid_image *img);

/* Output (u,v), u in [0,W), v in [0,H), samples the image at
 *   x = M[0]*u + M[1]*v + M[2],  y = M[3]*u + M[4]*v + M[5]
 * (source pixel-index coordinates) bilinearly; taps outside the image are 0.
 * Writes out (H,W,3) f32 = sample*scale + offset, sample in 0..255 unrounded.
 * scale=1, offset=0 gives plain pixels; 1/127.5, -1 the detector's input.
 * Coordinates are computed in double, the weighted sum in float. W, H > 0;
 * out must hold W*H*3 floats and must not overlap img->rgb. */
void eid_image_warp_affine(const eid_image *img, const double M[6], int W, int H, float scale,
			   float offset, float *out);

/* Horizontal mirror of an (H,W,3) f32 buffer: column x goes to W-1-x.
 * in == out works in place; otherwise the buffers must not overlap. */
void eid_image_mirror_f32(const float *in, int W, int H, float *out);

#endif
