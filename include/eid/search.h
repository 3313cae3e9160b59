/* eid/search.h — 1:N face search: an in-memory gallery of int8 templates,
 * scanned exactly with SIMD, the best candidates re-scored in float
 * (docs/search.md).
 *
 * A template is EID_SEARCH_DIM float32 values (the face engine's unit
 * embedding); the score of two templates is their dot product. The gallery
 * keeps each template quantised to int8 with its own scale
 * (q = round(x * 127 / max|x|)), so a pass over 1M templates reads 128 MB.
 * A query scans every template (no approximate index: recall of the scan is
 * limited by quantisation only), keeps the best `rescore` candidates by the
 * int8 score, then re-scores those exactly in float and returns the best k
 * by the exact score: decisions never rest on a quantised score.
 *
 * The float templates for the re-score come from a copy kept in the index
 * (keep_float: 4x the memory) or from the caller's fetch callback (the
 * authority decrypts the few candidates on demand and keeps no float copy).
 *
 *   eid_search *s;  eid_err err;
 *   eid_search_config cfg = {.keep_float = 1};
 *   if (eid_search_new(&cfg, &s, &err)) ...;
 *   if (eid_search_add(s, 7, tpl, &err)) ...;           // ids: small integers
 *   eid_search_hit hits[5];  unsigned n;
 *   if (eid_search_query(s, probe, 5, hits, &n, &err)) ...;
 *   // hits[0].id, hits[0].score (exact), best first
 *   eid_search_free(s);
 *
 * Ownership: the index copies what it is given; results go to caller memory.
 * Threads: queries run concurrently (a read lock); add and remove take the
 * write lock. The fetch callback is called with the read lock held and must
 * not call back into the index.
 */
#ifndef EID_SEARCH_H
#define EID_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

#define EID_SEARCH_DIM 128
#define EID_SEARCH_K_MAX 256           /* candidates per query (k and rescore) */
#define EID_SEARCH_BATCH_MAX 64        /* probes per query_batch call */
#define EID_SEARCH_THREADS_MAX 16
#define EID_SEARCH_ID_MAX 0x0fffffffu  /* ids are 0 .. EID_SEARCH_ID_MAX */
#define EID_SEARCH_RESCORE_DEFAULT 32  /* int8 candidates re-scored in float */

/* Which scan kernel: AUTO picks the best the CPU has at eid_search_new. */
typedef enum eid_search_isa {
	EID_SEARCH_ISA_AUTO,
	EID_SEARCH_ISA_REF,    /* plain C: the reference the SIMD kernels are tested against */
	EID_SEARCH_ISA_AVX2,   /* _mm256_maddubs_epi16 + _mm256_madd_epi16 */
	EID_SEARCH_ISA_AVX512, /* AVX-512 VNNI _mm512_dpbusd_epi32 */
} eid_search_isa;

/* How templates are quantised: one scale per template (max|x| -> 127, the
 * default) or one fixed scale for all (EID_SEARCH_GLOBAL_MAX -> 127,
 * clipped); docs/search.md compares their recall. */
typedef enum eid_search_quant {
	EID_SEARCH_QUANT_VECTOR,
	EID_SEARCH_QUANT_GLOBAL,
} eid_search_quant;
#define EID_SEARCH_GLOBAL_MAX 0.5f

/* The float template of id for the exact re-score; EID_E_NOT_FOUND if the
 * caller no longer has it (the candidate is then dropped). */
typedef eid_status (*eid_search_fetch_fn)(void *ctx, uint32_t id,
					  float out[EID_SEARCH_DIM], eid_err *err);

typedef struct eid_search_config {
	int keep_float;            /* keep a float copy of every template for the re-score */
	eid_search_fetch_fn fetch; /* else: fetch(fetch_ctx, id, out) (required then) */
	void *fetch_ctx;
	unsigned rescore;          /* int8 candidates re-scored (0: default; at least k) */
	unsigned threads;          /* threads per scan (0, 1: the caller's only) */
	eid_search_isa isa;
	eid_search_quant quant;
} eid_search_config;

typedef struct eid_search_hit {
	uint32_t id;
	float score;  /* exact float dot product (query), or the int8 estimate (scan) */
	float approx; /* the int8 estimate */
} eid_search_hit;

typedef struct eid_search eid_search;

/* cfg NULL: keep_float, defaults. EID_E_UNSUPPORTED if cfg->isa asks for a
 * kernel this CPU lacks; EID_E_INVALID_ARG for neither keep_float nor fetch. */
EID_MUST_CHECK eid_status eid_search_new(const eid_search_config *cfg, eid_search **out,
					 eid_err *err);
void eid_search_free(eid_search *s);

/* Adds tpl under id (<= EID_SEARCH_ID_MAX). EID_E_CONFLICT if id is in the
 * gallery, EID_E_INVALID_ARG for a non-finite or all-zero template. */
EID_MUST_CHECK eid_status eid_search_add(eid_search *s, uint32_t id,
					 const float tpl[EID_SEARCH_DIM], eid_err *err);
/* EID_E_NOT_FOUND if id is not in the gallery. */
EID_MUST_CHECK eid_status eid_search_remove(eid_search *s, uint32_t id, eid_err *err);
size_t eid_search_size(eid_search *s);
/* The kernel in use: "ref", "avx2", "avx512vnni". */
const char *eid_search_isa_name(const eid_search *s);

/* The best min(k, size) templates for probe by exact score, best first, in
 * hits[0 .. *n_out); 1 <= k <= EID_SEARCH_K_MAX. */
EID_MUST_CHECK eid_status eid_search_query(eid_search *s, const float probe[EID_SEARCH_DIM],
					   unsigned k, eid_search_hit *hits, unsigned *n_out,
					   eid_err *err);
/* nprobes probes (row-major, nprobes x EID_SEARCH_DIM, at most
 * EID_SEARCH_BATCH_MAX) in one pass over the gallery: probe i's hits are
 * hits[i*k .. i*k + n_out[i]). */
EID_MUST_CHECK eid_status eid_search_query_batch(eid_search *s, const float *probes,
						 size_t nprobes, unsigned k, eid_search_hit *hits,
						 unsigned *n_out, eid_err *err);
/* The int8 scan alone (no re-score; score = approx), as query_batch: for the
 * benchmark's recall and the kernel tests. */
EID_MUST_CHECK eid_status eid_search_scan_batch(eid_search *s, const float *probes,
						size_t nprobes, unsigned k, eid_search_hit *hits,
						unsigned *n_out, eid_err *err);

#endif
