/* search/kernels.h — the int8 scan kernels of the search index: one probe
 * against a run of gallery rows. Layouts: a gallery row is EID_SEARCH_DIM
 * int8 values in [-127, 127]; rows are consecutive (row r at g + r * DIM). */
#ifndef EID_SEARCH_KERNELS_H
#define EID_SEARCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "eid/search.h"

/* A quantised probe in the three forms the kernels want. */
typedef struct search_probe {
	_Alignas(64) int8_t s8[EID_SEARCH_DIM]; /* q in [-127, 127] */
	_Alignas(64) uint8_t abs[EID_SEARCH_DIM]; /* |q|: maddubs' unsigned operand (AVX2) */
	_Alignas(64) uint8_t u8[EID_SEARCH_DIM];  /* q + 128: dpbusd's unsigned operand (VNNI) */
	float scale; /* x ~ q * scale */
} search_probe;

/* out[r] = sum_i g[r][i] * p->s8[i] for r < rows, exactly (int32). gsum[r]
 * is the sum of row r's values (the VNNI kernel's offset correction). */
typedef void (*search_dot_fn)(const int8_t *g, const int32_t *gsum, size_t rows,
			      const search_probe *p, int32_t *out);

void search_dot_ref(const int8_t *g, const int32_t *gsum, size_t rows, const search_probe *p,
		    int32_t *out);
#if defined(__x86_64__) || defined(__i386__)
void search_dot_avx2(const int8_t *g, const int32_t *gsum, size_t rows, const search_probe *p,
		     int32_t *out);
void search_dot_avx512(const int8_t *g, const int32_t *gsum, size_t rows, const search_probe *p,
		       int32_t *out);
#endif

#endif
