/* tests/testrand.h — the fixed-seed random numbers of the kernel tests
 * (a 32-bit LCG: the same shapes and values on every machine). Each test
 * file sets test_seed before drawing. */
#ifndef EID_TEST_RAND_H
#define EID_TEST_RAND_H

#include <stdint.h>
#include <stdlib.h>

static uint32_t test_seed = 1;

/* uniform in [-1, 1) */
static inline float frand(void)
{
	test_seed = test_seed * 1664525u + 1013904223u;
	return (float)(test_seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

/* uniform integer in [lo, hi] */
static inline int irand(int lo, int hi)
{
	test_seed = test_seed * 1664525u + 1013904223u;
	return lo + (int)((test_seed >> 8) % (uint32_t)(hi - lo + 1));
}

/* n values in [-scale, scale), with the 16 bytes of slack XNNPACK may read */
static inline float *randv(size_t n, float scale)
{
	float *v = malloc(n * sizeof(float) + 16);
	for (size_t i = 0; v && i < n; i++)
		v[i] = frand() * scale;
	return v;
}

#endif
