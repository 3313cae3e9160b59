/* tests/search/test_search.c — the search index: every SIMD kernel against
 * the plain C one on random data from a fixed seed, recall of the int8 scan
 * against exact float search, remove, the fetch callback, concurrency. */
#include <pthread.h>

#include "eid/search.h"
#include "test.h"
#include "testrand.h"

#define D EID_SEARCH_DIM

static double gauss(void)
{
	/* Box-Muller on the harness' fixed-seed generator (frand: [-1, 1)) */
	double u = (frand() + 1.0000001) / 2.0000001;
	double v = (frand() + 1.0) / 2.0;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void unit(float *x)
{
	double n = 0;
	for (int i = 0; i < D; i++) {
		x[i] = (float)gauss();
		n += (double)x[i] * x[i];
	}
	for (int i = 0; i < D; i++)
		x[i] = (float)(x[i] / sqrt(n));
}

/* y = unit(x + sigma * noise): a near duplicate of x */
static void near(const float *x, float sigma, float *y)
{
	double n = 0;
	for (int i = 0; i < D; i++) {
		y[i] = x[i] + sigma * (float)gauss();
		n += (double)y[i] * y[i];
	}
	for (int i = 0; i < D; i++)
		y[i] = (float)(y[i] / sqrt(n));
}

static float *gallery(size_t n)
{
	float *g = malloc(n * D * sizeof(float));
	REQUIRE(g);
	for (size_t i = 0; i < n; i++)
		unit(g + i * D);
	return g;
}

static eid_search *index_of(const float *g, size_t n, eid_search_isa isa, unsigned threads)
{
	eid_search *s = NULL;
	eid_err err;
	eid_search_config cfg = {.keep_float = 1, .isa = isa, .threads = threads};
	eid_status st = eid_search_new(&cfg, &s, &err);
	if (st == EID_E_UNSUPPORTED)
		return NULL;
	REQUIRE(st == EID_OK);
	for (size_t i = 0; i < n; i++)
		REQUIRE(eid_search_add(s, (uint32_t)i, g + i * D, &err) == EID_OK);
	return s;
}

/* exact float top-k by brute force: ids into out */
static void exact_topk(const float *g, size_t n, const float *p, unsigned k, uint32_t *out,
		       float *score)
{
	for (unsigned j = 0; j < k; j++)
		score[j] = -2, out[j] = 0;
	for (size_t i = 0; i < n; i++) {
		float s = 0;
		for (int d = 0; d < D; d++)
			s += g[i * D + d] * p[d];
		if (s <= score[k - 1])
			continue;
		unsigned j = k - 1;
		while (j > 0 && score[j - 1] < s) {
			score[j] = score[j - 1];
			out[j] = out[j - 1];
			j--;
		}
		score[j] = s;
		out[j] = (uint32_t)i;
	}
}

/* Every SIMD kernel returns what the plain one returns, hit for hit, on
 * sizes that exercise full blocks, the 8-row tails and a threaded scan. */
static void test_kernels_match_reference(void)
{
	const size_t sizes[] = {1, 7, 8, 9, 255, 256, 257, 1000, 40000};
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		const size_t n = sizes[si];
		float *g = gallery(n);
		float probes[5 * D];
		for (int p = 0; p < 5; p++)
			unit(probes + p * D);
		eid_search *ref = index_of(g, n, EID_SEARCH_ISA_REF, 1);
		const eid_search_isa isas[] = {EID_SEARCH_ISA_AVX2, EID_SEARCH_ISA_AVX512};
		for (int v = 0; v < 2; v++)
			for (unsigned threads = 1; threads <= 2; threads++) {
				eid_search *s = index_of(g, n, isas[v], threads);
				if (!s) {
					fprintf(stderr, "  (no %s on this CPU: skipped)\n",
						v ? "avx512vnni" : "avx2");
					continue;
				}
				eid_search_hit a[5 * 20], b[5 * 20];
				unsigned na[5], nb[5];
				eid_err err;
				REQUIRE(eid_search_scan_batch(ref, probes, 5, 20, a, na, &err) == EID_OK);
				REQUIRE(eid_search_scan_batch(s, probes, 5, 20, b, nb, &err) == EID_OK);
				for (int p = 0; p < 5; p++) {
					CHECK(na[p] == (n < 20 ? n : 20));
					CHECK(na[p] == nb[p]);
					for (unsigned i = 0; i < na[p] && i < nb[p]; i++) {
						CHECK(a[p * 20 + i].id == b[p * 20 + i].id);
						CHECK(a[p * 20 + i].score == b[p * 20 + i].score);
					}
				}
				eid_search_free(s);
			}
		eid_search_free(ref);
		free(g);
	}
}

/* The scan finds the exact best among random vectors nearly always, planted
 * near duplicates always; the re-scored query reports exact scores. */
static void test_recall(void)
{
	const size_t n = 20000;
	const int Q = 40;
	float *g = gallery(n);
	eid_search *s = index_of(g, n, EID_SEARCH_ISA_AUTO, 1);
	REQUIRE(s);
	int r1 = 0, r10 = 0, mated = 0;
	for (int q = 0; q < Q; q++) {
		float p[D];
		unit(p);
		uint32_t want[10];
		float ws[10];
		exact_topk(g, n, p, 10, want, ws);
		eid_search_hit h[10];
		unsigned nh;
		eid_err err;
		REQUIRE(eid_search_query(s, p, 10, h, &nh, &err) == EID_OK);
		REQUIRE(nh == 10);
		r1 += h[0].id == want[0];
		for (int i = 0; i < 10; i++)
			for (int j = 0; j < 10; j++)
				r10 += h[i].id == want[j];
		CHECK_NEAR(h[0].score, ws[0], 1e-5); /* exact, not the int8 estimate */
		/* a planted near duplicate of gallery row q*37 */
		float dup[D];
		near(g + (size_t)q * 37 * D, 0.03f, dup);
		REQUIRE(eid_search_query(s, dup, 1, h, &nh, &err) == EID_OK);
		mated += h[0].id == (uint32_t)q * 37;
	}
	CHECK(mated == Q);
	CHECK(r1 >= Q - 1);
	CHECK(r10 >= Q * 10 * 99 / 100);
	eid_search_free(s);
	free(g);
}

static void test_remove_and_errors(void)
{
	float *g = gallery(300);
	eid_search *s = index_of(g, 300, EID_SEARCH_ISA_AUTO, 1);
	REQUIRE(s);
	eid_err err;
	CHECK(eid_search_add(s, 5, g, &err) == EID_E_CONFLICT);
	CHECK(eid_search_remove(s, 5, &err) == EID_OK);
	CHECK(eid_search_remove(s, 5, &err) == EID_E_NOT_FOUND);
	CHECK(eid_search_remove(s, 100000, &err) == EID_E_NOT_FOUND);
	CHECK(eid_search_size(s) == 299);
	eid_search_hit h[3];
	unsigned nh;
	/* row 5 is gone; row 299 moved into its slot and is still found as 299 */
	REQUIRE(eid_search_query(s, g + 5 * D, 3, h, &nh, &err) == EID_OK);
	CHECK(nh == 3 && h[0].id != 5 && h[0].score < 0.9f);
	REQUIRE(eid_search_query(s, g + 299 * D, 1, h, &nh, &err) == EID_OK);
	CHECK(h[0].id == 299 && h[0].score > 0.999f);
	CHECK(eid_search_add(s, 5, g + 5 * D, &err) == EID_OK);
	REQUIRE(eid_search_query(s, g + 5 * D, 1, h, &nh, &err) == EID_OK);
	CHECK(h[0].id == 5);
	float bad[D] = {0};
	CHECK(eid_search_add(s, 7000, bad, &err) == EID_E_INVALID_ARG);
	bad[3] = NAN;
	CHECK(eid_search_query(s, bad, 1, h, &nh, &err) == EID_E_INVALID_ARG);
	CHECK(eid_search_query(s, g, 0, h, &nh, &err) == EID_E_INVALID_ARG);
	CHECK(eid_search_add(s, EID_SEARCH_ID_MAX + 1u, g, &err) == EID_E_INVALID_ARG);
	/* an empty index answers nothing */
	for (uint32_t i = 0; i < 300; i++)
		CHECK(eid_search_remove(s, i, &err) == EID_OK);
	REQUIRE(eid_search_query(s, g, 3, h, &nh, &err) == EID_OK);
	CHECK(nh == 0);
	eid_search_free(s);
	eid_search_free(NULL);
	free(g);
}

/* No float copy: the re-score asks the caller, which may have lost one. */
typedef struct fetch_ctx {
	const float *g;
	uint32_t gone;
	int calls;
} fetch_ctx;

static eid_status fetch(void *ctx, uint32_t id, float out[D], eid_err *err)
{
	fetch_ctx *c = ctx;
	c->calls++;
	if (id == c->gone)
		return eid_fail(err, EID_E_NOT_FOUND, "gone");
	memcpy(out, c->g + (size_t)id * D, D * sizeof(float));
	return EID_OK;
}

static void test_fetch(void)
{
	float *g = gallery(500);
	fetch_ctx c = {g, 42, 0};
	eid_search_config cfg = {.fetch = fetch, .fetch_ctx = &c, .rescore = 8};
	eid_search *s;
	eid_err err;
	REQUIRE(eid_search_new(&cfg, &s, &err) == EID_OK);
	for (uint32_t i = 0; i < 500; i++)
		REQUIRE(eid_search_add(s, i, g + (size_t)i * D, &err) == EID_OK);
	eid_search_hit h[4];
	unsigned nh;
	REQUIRE(eid_search_query(s, g + 7 * D, 4, h, &nh, &err) == EID_OK);
	CHECK(nh == 4 && h[0].id == 7 && c.calls == 8);
	REQUIRE(eid_search_query(s, g + 42 * D, 4, h, &nh, &err) == EID_OK);
	CHECK(nh == 4 && h[0].id != 42);
	eid_search_free(s);
	eid_search_config none = {0};
	CHECK(eid_search_new(&none, &s, &err) == EID_E_INVALID_ARG);
	free(g);
}

/* Queries on two threads while a third adds and removes: no crash, no torn
 * answer (run under the sanitizers by make test-san). */
typedef struct conc {
	eid_search *s;
	const float *g;
	int bad;
} conc;

static void *querier(void *arg)
{
	conc *c = arg;
	for (int i = 0; i < 200; i++) {
		eid_search_hit h[5];
		unsigned nh;
		eid_err err;
		const uint32_t want = (uint32_t)(i * 7 % 1000);
		if (eid_search_query(c->s, c->g + (size_t)want * D, 5, h, &nh, &err) ||
		    h[0].id != want)
			c->bad++;
	}
	return NULL;
}

static void test_concurrency(void)
{
	float *g = gallery(2000);
	eid_search *s = index_of(g, 1000, EID_SEARCH_ISA_AUTO, 2);
	REQUIRE(s);
	conc c1 = {s, g, 0}, c2 = {s, g, 0};
	pthread_t t1, t2;
	REQUIRE(pthread_create(&t1, NULL, querier, &c1) == 0);
	REQUIRE(pthread_create(&t2, NULL, querier, &c2) == 0);
	eid_err err;
	for (uint32_t i = 1000; i < 2000; i++) {
		CHECK(eid_search_add(s, i, g + (size_t)i * D, &err) == EID_OK);
		if (i % 3 == 0)
			CHECK(eid_search_remove(s, i, &err) == EID_OK);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK(c1.bad == 0 && c2.bad == 0);
	CHECK(eid_search_size(s) == 1000 + 1000 - 333);
	eid_search_free(s);
	free(g);
}

TEST_MAIN(test_kernels_match_reference, test_recall, test_remove_and_errors, test_fetch,
	  test_concurrency)
