/* eid bench search: the 1:N search index on synthetic templates (random
 * Gaussian vectors normalised to unit length, the shape of the engine's
 * templates; half the probes are planted near duplicates of a gallery row).
 * Per gallery size: time per query (the int8 scan alone, the scan with the
 * float re-score, batched), and the recall of the int8 scan and of the
 * re-scored query against exact float search. docs/search.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eid/search.h"
#include "eid/util.h"

#define D EID_SEARCH_DIM
#define K 10
#define SIZES_MAX 8
#define RECALL_PROBES 50 /* exact float search is slow: recall on this many */

typedef struct rnd {
	uint64_t s;
} rnd;

static uint64_t next64(rnd *r) /* xorshift64* */
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static double gauss(rnd *r)
{
	const double u = ((next64(r) >> 11) + 1.0) / 9007199254740993.0;
	const double v = (next64(r) >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* x = unit(base + sigma * noise), or a random unit vector without base */
static void unit(rnd *r, const float *base, double sigma, float *x)
{
	double n = 0;
	for (int i = 0; i < D; i++) {
		const double v = (base ? base[i] : 0) + (base ? sigma : 1) * gauss(r);
		x[i] = (float)v;
		n += v * v;
	}
	for (int i = 0; i < D; i++)
		x[i] = (float)(x[i] / sqrt(n));
}

static void exact_topk(const float *g, size_t n, const float *p, uint32_t out[K])
{
	float best[K];
	for (int j = 0; j < K; j++)
		best[j] = -2, out[j] = 0;
	for (size_t i = 0; i < n; i++) {
		const float *row = g + i * D;
		float s = 0;
		for (int d = 0; d < D; d++)
			s += row[d] * p[d];
		if (s <= best[K - 1])
			continue;
		int j = K - 1;
		for (; j > 0 && best[j - 1] < s; j--) {
			best[j] = best[j - 1];
			out[j] = out[j - 1];
		}
		best[j] = s;
		out[j] = (uint32_t)i;
	}
}

static int parse_sizes(const char *s, size_t *out, int *n)
{
	*n = 0;
	while (*s && *n < SIZES_MAX) {
		char *end;
		const unsigned long long v = strtoull(s, &end, 10);
		if (end == s || v < 1 || v > 50000000ULL)
			return -1;
		out[(*n)++] = (size_t)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return *n ? 0 : -1;
}

typedef struct opts {
	unsigned queries, batch, threads, rescore;
	eid_search_isa isa;
	eid_search_quant quant;
	double sigma;
} opts;

/* one gallery size: prints the lines of the table; 0 or 1 */
static int run_size(const opts *o, size_t n, rnd *r)
{
	eid_err err;
	size_t bytes;
	if (eid_mul_size(n, D * sizeof(float), &bytes))
		return 1;
	float *g = malloc(bytes);
	float *probes = malloc((size_t)o->queries * D * sizeof(float));
	uint32_t *planted = malloc(o->queries * sizeof(uint32_t));
	eid_search_hit *hits = malloc((size_t)EID_SEARCH_BATCH_MAX * K * sizeof(eid_search_hit));
	if (!g || !probes || !planted || !hits) {
		fprintf(stderr, "eid bench search: out of memory for %zu templates\n", n);
		free(g), free(probes), free(planted), free(hits);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		unit(r, NULL, 0, g + i * D);
	/* even probes: near duplicates of a random row; odd: strangers */
	for (unsigned q = 0; q < o->queries; q++) {
		planted[q] = q % 2 ? UINT32_MAX : (uint32_t)(next64(r) % n);
		unit(r, q % 2 ? NULL : g + (size_t)planted[q] * D, o->sigma, probes + (size_t)q * D);
	}
	int rc = 0;
	eid_search *idx[2] = {NULL, NULL};
	const unsigned thr[2] = {1, o->threads};
	const int nvar = o->threads > 1 ? 2 : 1;
	for (int v = 0; v < nvar; v++) {
		eid_search_config cfg = {.keep_float = 1,
					 .threads = thr[v],
					 .isa = o->isa,
					 .quant = o->quant,
					 .rescore = o->rescore};
		if (eid_search_new(&cfg, &idx[v], &err)) {
			fprintf(stderr, "eid bench search: %s\n", err.msg);
			rc = 1;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (eid_search_add(idx[v], (uint32_t)i, g + i * D, &err)) {
				fprintf(stderr, "eid bench search: %s\n", err.msg);
				rc = 1;
				goto out;
			}
	}
	for (int v = 0; v < nvar; v++) {
		unsigned nh[EID_SEARCH_BATCH_MAX];
		double t0 = eid_now_ms();
		for (unsigned q = 0; q < o->queries; q++)
			if (eid_search_scan_batch(idx[v], probes + (size_t)q * D, 1, K, hits, nh, &err))
				goto fail;
		const double scan_ms = (eid_now_ms() - t0) / o->queries;
		t0 = eid_now_ms();
		for (unsigned q = 0; q < o->queries; q++)
			if (eid_search_query(idx[v], probes + (size_t)q * D, K, hits, nh, &err))
				goto fail;
		const double query_ms = (eid_now_ms() - t0) / o->queries;
		t0 = eid_now_ms();
		for (unsigned q = 0; q < o->queries; q += o->batch) {
			const unsigned b = o->queries - q < o->batch ? o->queries - q : o->batch;
			if (eid_search_query_batch(idx[v], probes + (size_t)q * D, b, K, hits, nh,
						   &err))
				goto fail;
		}
		const double batch_ms = (eid_now_ms() - t0) / o->queries;
		printf("%9zu  %-10s %7u  %9.3f  %9.3f  %9.3f  %7.0f\n", n, eid_search_isa_name(idx[v]),
		       thr[v], scan_ms, query_ms, batch_ms,
		       (double)n * D / (scan_ms * 1e-3) / 1e9);
		fflush(stdout);
	}
	/* recall against exact float search: strangers (the hard case: the
	 * ranking among random vectors) and planted duplicates (found at rank 1) */
	unsigned s_n = 0, s_r1 = 0, s_r10 = 0, s_q1 = 0, s_q10 = 0, m_n = 0, m_r1 = 0;
	for (unsigned q = 0; q < o->queries && s_n + m_n < RECALL_PROBES; q++) {
		const float *p = probes + (size_t)q * D;
		uint32_t want[K];
		exact_topk(g, n, p, want);
		eid_search_hit sh[K], qh[K];
		unsigned ns, nq;
		if (eid_search_scan_batch(idx[0], p, 1, K, sh, &ns, &err) ||
		    eid_search_query(idx[0], p, K, qh, &nq, &err))
			goto fail;
		if (planted[q] != UINT32_MAX) {
			m_n++;
			m_r1 += nq && qh[0].id == planted[q];
			continue;
		}
		s_n++;
		s_r1 += ns && sh[0].id == want[0];
		s_q1 += nq && qh[0].id == want[0];
		for (unsigned i = 0; i < ns; i++)
			for (int j = 0; j < K; j++)
				s_r10 += sh[i].id == want[j];
		for (unsigned i = 0; i < nq; i++)
			for (int j = 0; j < K; j++)
				s_q10 += qh[i].id == want[j];
	}
	printf("%9zu  recall vs exact float, %u random probes: int8 scan @1 %.3f @10 %.3f;"
	       " re-scored @1 %.3f @10 %.3f; %u planted duplicates found at rank 1: %.3f\n",
	       n, s_n, s_n ? (double)s_r1 / s_n : 0, s_n ? (double)s_r10 / (s_n * K) : 0,
	       s_n ? (double)s_q1 / s_n : 0, s_n ? (double)s_q10 / (s_n * K) : 0, m_n,
	       m_n ? (double)m_r1 / m_n : 0);
	goto out;
fail:
	fprintf(stderr, "eid bench search: %s\n", err.msg);
	rc = 1;
out:
	eid_search_free(idx[0]);
	eid_search_free(idx[1]);
	free(g), free(probes), free(planted), free(hits);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: eid bench search [--n 10000,100000,1000000] [--queries Q]"
			" [--batch B] [--threads T] [--rescore R] [--isa auto|ref|avx2|avx512]"
			" [--quant vector|global] [--sigma S]\n");
	return 2;
}

int cmd_bench_search(int argc, char **argv)
{
	size_t sizes[SIZES_MAX];
	int nsizes = 0;
	const long cores = sysconf(_SC_NPROCESSORS_ONLN);
	opts o = {.queries = 200,
		  .batch = 16,
		  .threads = cores < 1 ? 1 : cores > EID_SEARCH_THREADS_MAX ? EID_SEARCH_THREADS_MAX
									: (unsigned)cores,
		  .sigma = 0.03};
	parse_sizes("10000,100000,1000000", sizes, &nsizes);
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		long x = atol(v);
		if (strcmp(argv[i], "--n") == 0) {
			if (parse_sizes(v, sizes, &nsizes))
				return usage();
		} else if (strcmp(argv[i], "--queries") == 0 && x >= 1 && x <= 100000) {
			o.queries = (unsigned)x;
		} else if (strcmp(argv[i], "--batch") == 0 && x >= 1 && x <= EID_SEARCH_BATCH_MAX) {
			o.batch = (unsigned)x;
		} else if (strcmp(argv[i], "--threads") == 0 && x >= 1 &&
			   x <= EID_SEARCH_THREADS_MAX) {
			o.threads = (unsigned)x;
		} else if (strcmp(argv[i], "--rescore") == 0 && x >= K && x <= EID_SEARCH_K_MAX) {
			o.rescore = (unsigned)x;
		} else if (strcmp(argv[i], "--sigma") == 0 && atof(v) > 0 && atof(v) < 10) {
			o.sigma = atof(v);
		} else if (strcmp(argv[i], "--isa") == 0) {
			o.isa = strcmp(v, "ref") == 0	   ? EID_SEARCH_ISA_REF
				: strcmp(v, "avx2") == 0   ? EID_SEARCH_ISA_AVX2
				: strcmp(v, "avx512") == 0 ? EID_SEARCH_ISA_AVX512
							   : EID_SEARCH_ISA_AUTO;
		} else if (strcmp(argv[i], "--quant") == 0) {
			o.quant = strcmp(v, "global") == 0 ? EID_SEARCH_QUANT_GLOBAL
							   : EID_SEARCH_QUANT_VECTOR;
		} else {
			return usage();
		}
		i++;
	}
	printf("# %u queries (half planted near duplicates, sigma %.3f), k %d, batch %u;"
	       " times in ms per query\n",
	       o.queries, o.sigma, K, o.batch);
	printf("# %7s  %-10s %7s  %9s  %9s  %9s  %7s\n", "n", "kernel", "threads", "scan",
	       "query", "batched", "GB/s");
	rnd r = {0x9e3779b97f4a7c15ULL};
	for (int i = 0; i < nsizes; i++)
		if (run_size(&o, sizes[i], &r))
			return 1;
	return 0;
}
