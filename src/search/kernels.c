/* The int8 scan kernels (search/kernels.h): plain C, AVX2 and AVX-512 VNNI,
 * compiled with per-function target attributes so the build needs no -m
 * flags; search.c picks one at run time. All three give the same int32 dot
 * products bit for bit (integer arithmetic, no saturation: see each). */
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define DIM EID_SEARCH_DIM

void search_dot_ref(const int8_t *g, const int32_t *gsum, size_t rows, const search_probe *p,
		    int32_t *out)
{
	(void)gsum;
	for (size_t r = 0; r < rows; r++) {
		const int8_t *row = g + r * DIM;
		int32_t s = 0;
		for (int i = 0; i < DIM; i++)
			s += (int32_t)row[i] * p->s8[i];
		out[r] = s;
	}
}

#if defined(__x86_64__) || defined(__i386__)

/* 8 vectors of 8 int32 partial sums -> the 8 totals, in order */
__attribute__((target("avx2"))) static inline __m256i hsum8(const __m256i a[8])
{
	const __m256i s01 = _mm256_hadd_epi32(a[0], a[1]), s23 = _mm256_hadd_epi32(a[2], a[3]);
	const __m256i s45 = _mm256_hadd_epi32(a[4], a[5]), s67 = _mm256_hadd_epi32(a[6], a[7]);
	const __m256i s0123 = _mm256_hadd_epi32(s01, s23), s4567 = _mm256_hadd_epi32(s45, s67);
	/* each 128-bit lane holds half of every row's sum: add the lanes */
	return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
				_mm256_permute2x128_si256(s0123, s4567, 0x31));
}

/* maddubs multiplies unsigned by signed bytes and adds pairs into int16 with
 * saturation: with |p| (<= 127) as the unsigned side and g carrying p's sign
 * (_mm256_sign_epi8), a pair is at most 2 * 127 * 127 = 32258: never
 * saturates. */
__attribute__((target("avx2"))) void search_dot_avx2(const int8_t *g, const int32_t *gsum,
						     size_t rows, const search_probe *p,
						     int32_t *out)
{
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i pa[4], ps[4];
	for (int j = 0; j < 4; j++) {
		pa[j] = _mm256_load_si256((const __m256i *)(p->abs + 32 * j));
		ps[j] = _mm256_load_si256((const __m256i *)(p->s8 + 32 * j));
	}
	size_t r = 0;
	for (; r + 8 <= rows; r += 8) {
		__m256i acc[8];
		for (int v = 0; v < 8; v++) {
			const int8_t *row = g + (r + v) * DIM;
			__m256i s = _mm256_setzero_si256();
			for (int j = 0; j < 4; j++) {
				const __m256i x = _mm256_loadu_si256((const __m256i *)(row + 32 * j));
				const __m256i m = _mm256_maddubs_epi16(pa[j], _mm256_sign_epi8(x, ps[j]));
				s = _mm256_add_epi32(s, _mm256_madd_epi16(m, ones));
			}
			acc[v] = s;
		}
		_mm256_storeu_si256((__m256i *)(out + r), hsum8(acc));
	}
	if (r < rows)
		search_dot_ref(g + r * DIM, gsum + r, rows - r, p, out + r);
}

/* dpbusd multiplies unsigned by signed bytes into int32 without saturation;
 * the probe goes in as q + 128, so the sum is dot + 128 * sum(g): the row's
 * stored sum takes the offset out again. */
__attribute__((target("avx2,avx512f,avx512bw,avx512vnni"))) void
search_dot_avx512(const int8_t *g, const int32_t *gsum, size_t rows, const search_probe *p,
		  int32_t *out)
{
	const __m512i pu0 = _mm512_load_si512((const void *)p->u8);
	const __m512i pu1 = _mm512_load_si512((const void *)(p->u8 + 64));
	size_t r = 0;
	for (; r + 8 <= rows; r += 8) {
		__m256i acc[8];
		for (int v = 0; v < 8; v++) {
			const int8_t *row = g + (r + v) * DIM;
			__m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pu0,
							_mm512_loadu_si512((const void *)row));
			s = _mm512_dpbusd_epi32(s, pu1, _mm512_loadu_si512((const void *)(row + 64)));
			acc[v] = _mm256_add_epi32(_mm512_castsi512_si256(s),
						  _mm512_extracti64x4_epi64(s, 1));
		}
		const __m256i off =
			_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(gsum + r)), 7);
		_mm256_storeu_si256((__m256i *)(out + r), _mm256_sub_epi32(hsum8(acc), off));
	}
	if (r < rows)
		search_dot_ref(g + r * DIM, gsum + r, rows - r, p, out + r);
}

#endif
