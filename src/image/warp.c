/* warpAffine and mirror on RGB images (REFERENCE-PIPELINE.md section 0). */
#include "eid/image.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void eid_image_warp_affine(const eid_image *img, const double M[6], int W, int H, float scale,
			   float offset, float *out)
{
	assert(img && img->rgb && img->width > 0 && img->height > 0);
	assert(M && out && W > 0 && H > 0);
	const int w = img->width, h = img->height;
	const size_t stride = (size_t)w * 3;
	const uint8_t *px = img->rgb;
	float *o = out;
	for (int v = 0; v < H; v++) {
		for (int u = 0; u < W; u++, o += 3) {
			const double x = M[0] * u + M[1] * v + M[2];
			const double y = M[3] * u + M[4] * v + M[5];
			/* All four taps outside (or NaN): black. This also keeps the
			 * int conversions below in range whatever M holds. */
			if (!(x > -1.0 && x < w && y > -1.0 && y < h)) {
				o[0] = o[1] = o[2] = offset;
				continue;
			}
			/* floor without a libm call: x, y > -1 here, so truncation is
			 * off by one only on (-1, 0) and at no integer */
			int x0 = (int)x, y0 = (int)y;
			x0 -= x0 > x;
			y0 -= y0 > y;
			const double xf = x0, yf = y0;
			const float fx = (float)(x - xf), fy = (float)(y - yf);
			const float w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy);
			const float w01 = (1 - fx) * fy, w11 = fx * fy;
			float acc[3];
			if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
				const uint8_t *p = px + (size_t)y0 * stride + (size_t)x0 * 3;
				for (int c = 0; c < 3; c++)
					acc[c] = w00 * p[c] + w10 * p[3 + c] + w01 * p[stride + c] +
						 w11 * p[stride + 3 + c];
			} else {
				/* Border: a tap outside the image contributes 0. */
				const int in_x0 = x0 >= 0, in_x1 = x0 + 1 < w;
				const int in_y0 = y0 >= 0, in_y1 = y0 + 1 < h;
				const uint8_t *r0 = px + (size_t)(in_y0 ? y0 : 0) * stride;
				const uint8_t *r1 = px + (size_t)(in_y1 ? y0 + 1 : 0) * stride;
				const size_t c0 = (size_t)(in_x0 ? x0 : 0) * 3;
				const size_t c1 = (size_t)(in_x1 ? x0 + 1 : 0) * 3;
				for (int c = 0; c < 3; c++) {
					float a = 0;
					if (in_y0 && in_x0)
						a += w00 * r0[c0 + c];
					if (in_y0 && in_x1)
						a += w10 * r0[c1 + c];
					if (in_y1 && in_x0)
						a += w01 * r1[c0 + c];
					if (in_y1 && in_x1)
						a += w11 * r1[c1 + c];
					acc[c] = a;
				}
			}
			o[0] = acc[0] * scale + offset;
			o[1] = acc[1] * scale + offset;
			o[2] = acc[2] * scale + offset;
		}
	}
}

void eid_image_mirror_f32(const float *in, int W, int H, float *out)
{
	assert(in && out && W > 0 && H > 0);
	const size_t row = (size_t)W * 3;
	for (int y = 0; y < H; y++) {
		const float *r = in + (size_t)y * row;
		float *q = out + (size_t)y * row;
		if (r == q) {
			for (int x = 0; x < W / 2; x++) {
				float t[3];
				float *a = q + 3 * (size_t)x, *b = q + 3 * (size_t)(W - 1 - x);
				memcpy(t, a, sizeof(t));
				memcpy(a, b, sizeof(t));
				memcpy(b, t, sizeof(t));
			}
		} else {
			for (int x = 0; x < W; x++)
				memcpy(q + 3 * (size_t)x, r + 3 * (size_t)(W - 1 - x), 3 * sizeof(float));
		}
	}
}
