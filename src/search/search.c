/* The search index (eid/search.h): an int8 gallery, a blocked scan that
 * serves several probes per pass, a top-R heap per probe, the exact float
 * re-score. */
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "eid/search.h"
#include "eid/util.h"
#include "kernels.h"

#define DIM EID_SEARCH_DIM
#define BLOCK 256 /* gallery rows per block: 32 KiB, reused by every probe of a batch */
#define PAR_MIN 32768 /* below this many rows one thread scans faster than two start */

struct eid_search {
	eid_search_config cfg;
	pthread_rwlock_t lock;
	size_t n, cap;
	int8_t *q;      /* n x DIM, 64-byte aligned */
	float *scale;   /* n: x ~ q * scale */
	int32_t *qsum;  /* n: sum of the row's q (VNNI offset) */
	float *f;       /* n x DIM when keep_float */
	uint32_t *id_of; /* slot -> id */
	uint32_t *slot_of; /* id -> slot + 1 (0: absent) */
	size_t slot_cap;
	search_dot_fn dot;
	const char *isa;
};

/* a candidate: better = higher score, then the lower id (a total order, so
 * every kernel and thread split keeps the same set) */
typedef struct cand {
	float score;
	float approx; /* the int8 estimate */
	uint32_t id;
	uint32_t slot;
} cand;

static int better(const cand *a, const cand *b)
{
	return a->score > b->score || (a->score == b->score && a->id < b->id);
}

/* min-heap on "better": the root is the worst kept candidate */
typedef struct heap {
	cand *c;
	unsigned n, cap;
} heap;

static void heap_push(heap *h, cand x)
{
	if (h->n == h->cap) {
		if (!better(&x, &h->c[0]))
			return;
		/* replace the root and sift down */
		unsigned i = 0;
		for (;;) {
			unsigned l = 2 * i + 1, r = l + 1, w = i;
			const cand *wc = &x;
			if (l < h->n && better(wc, &h->c[l]))
				w = l, wc = &h->c[l];
			if (r < h->n && better(wc, &h->c[r]))
				w = r;
			if (w == i)
				break;
			h->c[i] = h->c[w];
			i = w;
		}
		h->c[i] = x;
		return;
	}
	unsigned i = h->n++;
	while (i && better(&h->c[(i - 1) / 2], &x)) {
		h->c[i] = h->c[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->c[i] = x;
}

static int cand_cmp(const void *a, const void *b)
{
	return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static void quantise(const float *x, eid_search_quant quant, int8_t *q, float *scale,
		     int32_t *sum)
{
	float m = 0;
	for (int i = 0; i < DIM; i++)
		m = fmaxf(m, fabsf(x[i]));
	const float s = quant == EID_SEARCH_QUANT_GLOBAL ? EID_SEARCH_GLOBAL_MAX / 127.0f
							 : m / 127.0f;
	int32_t t = 0;
	for (int i = 0; i < DIM; i++) {
		float v = nearbyintf(x[i] / s);
		v = v > 127 ? 127 : v < -127 ? -127 : v;
		q[i] = (int8_t)v;
		t += q[i];
	}
	*scale = s;
	if (sum)
		*sum = t;
}

static eid_status check_tpl(const float *x, const char *what, eid_err *err)
{
	int nonzero = 0;
	for (int i = 0; i < DIM; i++) {
		if (!isfinite(x[i]))
			return eid_fail(err, EID_E_INVALID_ARG, "%s holds a value that is not finite",
					what);
		nonzero |= x[i] != 0;
	}
	return nonzero ? EID_OK : eid_fail(err, EID_E_INVALID_ARG, "%s is all zeros", what);
}

eid_status eid_search_new(const eid_search_config *cfg, eid_search **out, eid_err *err)
{
	*out = NULL;
	eid_search_config c = cfg ? *cfg : (eid_search_config){.keep_float = 1};
	if (!c.keep_float && !c.fetch)
		return eid_fail(err, EID_E_INVALID_ARG,
				"search config needs keep_float or a fetch callback");
	if (c.threads > EID_SEARCH_THREADS_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "threads is %u (max %d)", c.threads,
				EID_SEARCH_THREADS_MAX);
	if (!c.rescore)
		c.rescore = EID_SEARCH_RESCORE_DEFAULT;
	if (c.rescore > EID_SEARCH_K_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "rescore is %u (max %d)", c.rescore,
				EID_SEARCH_K_MAX);
	search_dot_fn dot = search_dot_ref;
	const char *isa = "ref";
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	const int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
			   __builtin_cpu_supports("avx512vnni");
	const int has2 = __builtin_cpu_supports("avx2");
	if ((c.isa == EID_SEARCH_ISA_AUTO || c.isa == EID_SEARCH_ISA_AVX512) && has512)
		dot = search_dot_avx512, isa = "avx512vnni";
	else if ((c.isa == EID_SEARCH_ISA_AUTO || c.isa == EID_SEARCH_ISA_AVX2) && has2)
		dot = search_dot_avx2, isa = "avx2";
	else if (c.isa == EID_SEARCH_ISA_AVX2 || c.isa == EID_SEARCH_ISA_AVX512)
		return eid_fail(err, EID_E_UNSUPPORTED, "this CPU lacks the %s kernel's instructions",
				c.isa == EID_SEARCH_ISA_AVX2 ? "avx2" : "avx512vnni");
#else
	if (c.isa == EID_SEARCH_ISA_AVX2 || c.isa == EID_SEARCH_ISA_AVX512)
		return eid_fail(err, EID_E_UNSUPPORTED, "x86 kernels on another CPU");
#endif
	eid_search *s = calloc(1, sizeof(*s));
	if (!s)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	s->cfg = c;
	s->dot = dot;
	s->isa = isa;
	if (pthread_rwlock_init(&s->lock, NULL)) {
		free(s);
		return eid_fail(err, EID_E_NOMEM, "cannot make the index's lock");
	}
	*out = s;
	return EID_OK;
}

void eid_search_free(eid_search *s)
{
	if (!s)
		return;
	/* templates are biometric data: wipe them before the memory goes back */
	if (s->q)
		sodium_memzero(s->q, s->cap * DIM);
	if (s->f)
		sodium_memzero(s->f, s->cap * DIM * sizeof(float));
	free(s->q);
	free(s->scale);
	free(s->qsum);
	free(s->f);
	free(s->id_of);
	free(s->slot_of);
	pthread_rwlock_destroy(&s->lock);
	free(s);
}

/* aligned (re)allocation that wipes the old block */
static void *grow(void *old, size_t old_bytes, size_t new_bytes)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, new_bytes ? new_bytes : 64))
		return NULL;
	if (old) {
		memcpy(p, old, old_bytes);
		sodium_memzero(old, old_bytes);
		free(old);
	}
	return p;
}

static eid_status reserve(eid_search *s, uint32_t id, eid_err *err)
{
	if (id >= s->slot_cap) {
		size_t nc = s->slot_cap ? s->slot_cap : 1024;
		while (nc <= id)
			nc *= 2;
		uint32_t *m = realloc(s->slot_of, nc * sizeof(*m));
		if (!m)
			return eid_fail(err, EID_E_NOMEM, "out of memory");
		memset(m + s->slot_cap, 0, (nc - s->slot_cap) * sizeof(*m));
		s->slot_of = m;
		s->slot_cap = nc;
	}
	if (s->n < s->cap)
		return EID_OK;
	const size_t nc = s->cap ? s->cap * 2 : 1024;
	int8_t *q = grow(s->q, s->cap * DIM, nc * DIM);
	if (!q)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	s->q = q;
	float *f = NULL;
	if (s->cfg.keep_float) {
		f = grow(s->f, s->cap * DIM * sizeof(float), nc * DIM * sizeof(float));
		if (!f)
			return eid_fail(err, EID_E_NOMEM, "out of memory");
		s->f = f;
	}
	float *sc = realloc(s->scale, nc * sizeof(float));
	if (sc)
		s->scale = sc;
	int32_t *qs = sc ? realloc(s->qsum, nc * sizeof(int32_t)) : NULL;
	if (qs)
		s->qsum = qs;
	uint32_t *ids = qs ? realloc(s->id_of, nc * sizeof(uint32_t)) : NULL;
	if (!ids)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	s->id_of = ids;
	s->cap = nc;
	return EID_OK;
}

eid_status eid_search_add(eid_search *s, uint32_t id, const float tpl[DIM], eid_err *err)
{
	if (id > EID_SEARCH_ID_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "id is above %u", EID_SEARCH_ID_MAX);
	eid_status st = check_tpl(tpl, "template", err);
	if (st)
		return st;
	pthread_rwlock_wrlock(&s->lock);
	if (id < s->slot_cap && s->slot_of[id])
		st = eid_fail(err, EID_E_CONFLICT, "id is in the index already");
	if (!st)
		st = reserve(s, id, err);
	if (!st) {
		const size_t k = s->n++;
		quantise(tpl, s->cfg.quant, s->q + k * DIM, &s->scale[k], &s->qsum[k]);
		if (s->f)
			memcpy(s->f + k * DIM, tpl, DIM * sizeof(float));
		s->id_of[k] = id;
		s->slot_of[id] = (uint32_t)k + 1;
	}
	pthread_rwlock_unlock(&s->lock);
	return st;
}

eid_status eid_search_remove(eid_search *s, uint32_t id, eid_err *err)
{
	eid_status st = EID_OK;
	pthread_rwlock_wrlock(&s->lock);
	if (id >= s->slot_cap || !s->slot_of[id]) {
		st = eid_fail(err, EID_E_NOT_FOUND, "id is not in the index");
	} else {
		/* the last row moves into the hole: the gallery stays dense */
		const size_t k = s->slot_of[id] - 1, last = --s->n;
		if (k != last) {
			memcpy(s->q + k * DIM, s->q + last * DIM, DIM);
			if (s->f)
				memcpy(s->f + k * DIM, s->f + last * DIM, DIM * sizeof(float));
			s->scale[k] = s->scale[last];
			s->qsum[k] = s->qsum[last];
			s->id_of[k] = s->id_of[last];
			s->slot_of[s->id_of[k]] = (uint32_t)k + 1;
		}
		sodium_memzero(s->q + last * DIM, DIM);
		if (s->f)
			sodium_memzero(s->f + last * DIM, DIM * sizeof(float));
		s->slot_of[id] = 0;
	}
	pthread_rwlock_unlock(&s->lock);
	return st;
}

size_t eid_search_size(eid_search *s)
{
	pthread_rwlock_rdlock(&s->lock);
	const size_t n = s->n;
	pthread_rwlock_unlock(&s->lock);
	return n;
}

const char *eid_search_isa_name(const eid_search *s)
{
	return s->isa;
}

/* --- the scan ------------------------------------------------------------- */

typedef struct scan_job {
	const eid_search *s;
	const search_probe *probes;
	size_t nprobes;
	size_t lo, hi; /* gallery rows */
	heap *heaps;   /* nprobes heaps, cap R each */
} scan_job;

static void scan_range(const scan_job *j)
{
	const eid_search *s = j->s;
	int32_t dots[BLOCK];
	for (size_t b0 = j->lo; b0 < j->hi; b0 += BLOCK) {
		const size_t rows = j->hi - b0 < BLOCK ? j->hi - b0 : BLOCK;
		const int8_t *g = s->q + b0 * DIM;
		/* the block stays in cache while every probe goes over it */
		for (size_t p = 0; p < j->nprobes; p++) {
			s->dot(g, s->qsum + b0, rows, &j->probes[p], dots);
			heap *h = &j->heaps[p];
			const float ps = j->probes[p].scale;
			for (size_t r = 0; r < rows; r++) {
				const float sc = (float)dots[r] * s->scale[b0 + r] * ps;
				if (h->n == h->cap && sc < h->c[0].score)
					continue; /* the common case: not among the best */
				heap_push(h, (cand){sc, sc, s->id_of[b0 + r], (uint32_t)(b0 + r)});
			}
		}
	}
}

static void *scan_thread(void *arg)
{
	scan_range(arg);
	return NULL;
}

/* The int8 scan of probes over the whole gallery into heaps (cap R each);
 * the caller holds the read lock. */
static eid_status scan(eid_search *s, const search_probe *probes, size_t nprobes, unsigned R,
		       heap *heaps, cand *store, eid_err *err)
{
	for (size_t p = 0; p < nprobes; p++)
		heaps[p] = (heap){store + p * R, 0, R};
	unsigned T = s->cfg.threads ? s->cfg.threads : 1;
	if (s->n < PAR_MIN)
		T = 1;
	if (T == 1) {
		scan_job j = {s, probes, nprobes, 0, s->n, heaps};
		scan_range(&j);
		return EID_OK;
	}
	/* T ranges of whole blocks; each thread fills heaps of its own, merged after */
	scan_job jobs[EID_SEARCH_THREADS_MAX];
	pthread_t tid[EID_SEARCH_THREADS_MAX];
	int started[EID_SEARCH_THREADS_MAX] = {0};
	size_t cells;
	if (eid_mul_size((size_t)T * nprobes, R, &cells))
		return eid_fail(err, EID_E_LIMIT, "scan too large");
	cand *extra = malloc(cells * sizeof(cand));
	heap *eh = malloc((size_t)T * nprobes * sizeof(heap));
	if (!extra || !eh) {
		free(extra);
		free(eh);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	const size_t blocks = (s->n + BLOCK - 1) / BLOCK;
	for (unsigned t = 0; t < T; t++) {
		heap *h = eh + (size_t)t * nprobes;
		for (size_t p = 0; p < nprobes; p++)
			h[p] = (heap){extra + ((size_t)t * nprobes + p) * R, 0, R};
		const size_t lo = blocks * t / T * BLOCK, hi = blocks * (t + 1) / T * BLOCK;
		jobs[t] = (scan_job){s, probes, nprobes, lo, hi < s->n ? hi : s->n, h};
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, scan_thread, &jobs[t]) == 0;
	}
	scan_range(&jobs[0]);
	for (unsigned t = 1; t < T; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			scan_range(&jobs[t]); /* no thread: do its share here */
	}
	for (unsigned t = 0; t < T; t++)
		for (size_t p = 0; p < nprobes; p++) {
			const heap *h = &eh[(size_t)t * nprobes + p];
			for (unsigned i = 0; i < h->n; i++)
				heap_push(&heaps[p], h->c[i]);
		}
	free(extra);
	free(eh);
	return EID_OK;
}

static float dot_f(const float *a, const float *b)
{
	float s = 0;
	for (int i = 0; i < DIM; i++)
		s += a[i] * b[i];
	return s;
}

/* query_batch (exact) and scan_batch (the int8 scan alone) */
static eid_status run(eid_search *s, const float *probes, size_t nprobes, unsigned k, int exact,
		      eid_search_hit *hits, unsigned *n_out, eid_err *err)
{
	if (!nprobes || nprobes > EID_SEARCH_BATCH_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "probes is %zu (1 to %d)", nprobes,
				EID_SEARCH_BATCH_MAX);
	if (k < 1 || k > EID_SEARCH_K_MAX)
		return eid_fail(err, EID_E_INVALID_ARG, "k is %u (1 to %d)", k, EID_SEARCH_K_MAX);
	eid_status st = EID_OK;
	for (size_t p = 0; !st && p < nprobes; p++)
		st = check_tpl(probes + p * DIM, "probe", err);
	if (st)
		return st;
	const unsigned R = exact && s->cfg.rescore > k ? s->cfg.rescore : k;
	search_probe *qp = NULL;
	cand *store = malloc(nprobes * R * sizeof(cand));
	heap *heaps = malloc(nprobes * sizeof(heap));
	if (posix_memalign((void **)&qp, 64, nprobes * sizeof(*qp)))
		qp = NULL;
	if (!store || !heaps || !qp) {
		free(store);
		free(heaps);
		free(qp);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	for (size_t p = 0; p < nprobes; p++) {
		search_probe *q = &qp[p];
		quantise(probes + p * DIM, s->cfg.quant, q->s8, &q->scale, NULL);
		for (int i = 0; i < DIM; i++) {
			q->abs[i] = (uint8_t)(q->s8[i] < 0 ? -q->s8[i] : q->s8[i]);
			q->u8[i] = (uint8_t)(q->s8[i] + 128);
		}
	}
	float tpl[DIM];
	pthread_rwlock_rdlock(&s->lock);
	st = scan(s, qp, nprobes, R, heaps, store, err);
	for (size_t p = 0; !st && p < nprobes; p++) {
		heap *h = &heaps[p];
		unsigned m = 0;
		for (unsigned i = 0; i < h->n; i++) {
			cand c = h->c[i];
			if (exact) {
				const float *f = s->f ? s->f + (size_t)c.slot * DIM : tpl;
				if (!s->f) {
					eid_status fs = s->cfg.fetch(s->cfg.fetch_ctx, c.id, tpl, err);
					if (fs == EID_E_NOT_FOUND)
						continue; /* gone since: not a candidate */
					if (fs) {
						st = fs;
						break;
					}
				}
				c.score = dot_f(probes + p * DIM, f);
			}
			h->c[m++] = c;
		}
		qsort(h->c, m, sizeof(cand), cand_cmp);
		n_out[p] = m < k ? m : k;
		for (unsigned i = 0; i < n_out[p]; i++)
			hits[p * k + i] = (eid_search_hit){h->c[i].id, h->c[i].score, h->c[i].approx};
	}
	pthread_rwlock_unlock(&s->lock);
	sodium_memzero(tpl, sizeof(tpl));
	sodium_memzero(qp, nprobes * sizeof(*qp));
	free(qp);
	free(store);
	free(heaps);
	return st;
}

eid_status eid_search_query(eid_search *s, const float probe[DIM], unsigned k, eid_search_hit *hits,
			    unsigned *n_out, eid_err *err)
{
	return run(s, probe, 1, k, 1, hits, n_out, err);
}

eid_status eid_search_query_batch(eid_search *s, const float *probes, size_t nprobes, unsigned k,
				  eid_search_hit *hits, unsigned *n_out, eid_err *err)
{
	return run(s, probes, nprobes, k, 1, hits, n_out, err);
}

eid_status eid_search_scan_batch(eid_search *s, const float *probes, size_t nprobes, unsigned k,
				 eid_search_hit *hits, unsigned *n_out, eid_err *err)
{
	return run(s, probes, nprobes, k, 0, hits, n_out, err);
}
