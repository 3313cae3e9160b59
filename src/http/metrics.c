/* Request metrics in Prometheus text format 0.0.4.
 *
 * Labels are bounded: route is a pattern from the table (or "unmatched"),
 * method one of a fixed list (or "OTHER"), code an HTTP status. One mutex
 * guards the counters; the in-flight gauge is an atomic. */
#include "http_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"GET",	"HEAD",	 "POST",    "PUT",
				      "DELETE", "PATCH", "OPTIONS", "OTHER"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct counter {
	size_t label;
	unsigned method;
	int code;
	uint64_t n;
} counter;

typedef struct hist {
	uint64_t bucket[NBUCKETS]; /* non-cumulative here, summed when rendered */
	uint64_t count;
	double sum;
} hist;

struct http_metrics {
	pthread_mutex_t lock;
	char *service;
	char **labels;
	size_t nlabels;
	hist *hist;
	counter *counters;
	size_t ncounters, cap;
	atomic_long in_flight;
};

/* Escapes a label value (\, " and newline) into a new string. */
static char *label_escape(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(2 * n + 1), *w = d;
	if (!d)
		return NULL;
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			*w++ = '\\';
			*w++ = *s;
		} else if (*s == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
	return d;
}

eid_status http_metrics_new(const char *service, const char *const *labels, size_t nlabels,
			    http_metrics **out, eid_err *err)
{
	*out = NULL;
	http_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return eid_fail(err, EID_E_NOMEM, "cannot create metrics: out of memory");
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->in_flight, 0);
	m->service = label_escape(service);
	m->labels = calloc(nlabels, sizeof(*m->labels));
	m->hist = calloc(nlabels, sizeof(*m->hist));
	int ok = m->service && m->labels && m->hist;
	m->nlabels = m->labels ? nlabels : 0;
	for (size_t i = 0; ok && i < nlabels; i++)
		ok = (m->labels[i] = label_escape(labels[i])) != NULL;
	if (!ok) {
		http_metrics_free(m);
		return eid_fail(err, EID_E_NOMEM, "cannot create metrics: out of memory");
	}
	*out = m;
	return EID_OK;
}

void http_metrics_free(http_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->hist);
	free(m->counters);
	free(m->service);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void http_metrics_enter(http_metrics *m)
{
	atomic_fetch_add(&m->in_flight, 1);
}

void http_metrics_leave(http_metrics *m)
{
	atomic_fetch_sub(&m->in_flight, 1);
}

void http_metrics_record(http_metrics *m, size_t label, const char *method, int code,
			 double seconds)
{
	unsigned mi = 0;
	while (mi + 1 < NMETHODS && strcmp(methods[mi], method) != 0)
		mi++;
	if (label >= m->nlabels)
		label = m->nlabels - 1;
	if (seconds < 0)
		seconds = 0;
	pthread_mutex_lock(&m->lock);
	hist *h = &m->hist[label];
	size_t b = 0;
	while (b < NBUCKETS && seconds > buckets[b])
		b++;
	if (b < NBUCKETS)
		h->bucket[b]++;
	h->count++;
	h->sum += seconds;
	size_t i = 0;
	while (i < m->ncounters && !(m->counters[i].label == label && m->counters[i].method == mi &&
				     m->counters[i].code == code))
		i++;
	if (i == m->ncounters) {
		if (m->ncounters == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 32;
			counter *c = realloc(m->counters, cap * sizeof(*c));
			if (!c) {
				pthread_mutex_unlock(&m->lock);
				return; /* the request still ran; only its count is lost */
			}
			m->counters = c;
			m->cap = cap;
		}
		m->counters[i] = (counter){label, mi, code, 0};
		m->ncounters++;
	}
	m->counters[i].n++;
	pthread_mutex_unlock(&m->lock);
}

typedef struct strbuf {
	char *p;
	size_t len, cap;
	int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) EID_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = 2 * b->cap + (size_t)n + 1;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static int counter_cmp(const void *a, const void *b)
{
	const counter *x = a, *y = b;
	if (x->label != y->label)
		return x->label < y->label ? -1 : 1;
	if (x->method != y->method)
		return x->method < y->method ? -1 : 1;
	return (x->code > y->code) - (x->code < y->code);
}

eid_status http_metrics_render(http_metrics *m, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	strbuf b = {malloc(4096), 0, 4096, 0};
	if (!b.p)
		return EID_E_NOMEM;

	pthread_mutex_lock(&m->lock);
	size_t nc = m->ncounters;
	counter *cs = nc ? malloc(nc * sizeof(*cs)) : NULL;
	hist *hs = malloc(m->nlabels * sizeof(*hs));
	if ((nc && !cs) || !hs) {
		pthread_mutex_unlock(&m->lock);
		free(cs);
		free(hs);
		free(b.p);
		return EID_E_NOMEM;
	}
	if (nc)
		memcpy(cs, m->counters, nc * sizeof(*cs));
	memcpy(hs, m->hist, m->nlabels * sizeof(*hs));
	pthread_mutex_unlock(&m->lock);
	qsort(cs, nc, sizeof(*cs), counter_cmp);

	const char *svc = m->service;
	sb_printf(&b, "# HELP eid_http_requests_total HTTP requests answered, by route "
		      "pattern, method and status code.\n"
		      "# TYPE eid_http_requests_total counter\n");
	for (size_t i = 0; i < nc; i++)
		sb_printf(&b,
			  "eid_http_requests_total{service=\"%s\",route=\"%s\",method=\"%s\","
			  "code=\"%d\"} %llu\n",
			  svc, m->labels[cs[i].label], methods[cs[i].method], cs[i].code,
			  (unsigned long long)cs[i].n);

	sb_printf(&b, "# HELP eid_http_request_duration_seconds Time from the request "
		      "headers to the queued response, by route pattern.\n"
		      "# TYPE eid_http_request_duration_seconds histogram\n");
	for (size_t l = 0; l < m->nlabels; l++) {
		const hist *h = &hs[l];
		if (!h->count)
			continue;
		uint64_t cum = 0;
		for (size_t k = 0; k < NBUCKETS; k++) {
			cum += h->bucket[k];
			sb_printf(&b,
				  "eid_http_request_duration_seconds_bucket{service=\"%s\","
				  "route=\"%s\",le=\"%g\"} %llu\n",
				  svc, m->labels[l], buckets[k], (unsigned long long)cum);
		}
		sb_printf(&b,
			  "eid_http_request_duration_seconds_bucket{service=\"%s\",route=\"%s\","
			  "le=\"+Inf\"} %llu\n"
			  "eid_http_request_duration_seconds_sum{service=\"%s\",route=\"%s\"} "
			  "%.9g\n"
			  "eid_http_request_duration_seconds_count{service=\"%s\",route=\"%s\"} "
			  "%llu\n",
			  svc, m->labels[l], (unsigned long long)h->count, svc, m->labels[l],
			  h->sum, svc, m->labels[l], (unsigned long long)h->count);
	}

	sb_printf(&b,
		  "# HELP eid_http_in_flight Requests being processed.\n"
		  "# TYPE eid_http_in_flight gauge\n"
		  "eid_http_in_flight{service=\"%s\"} %ld\n",
		  svc, atomic_load(&m->in_flight));
	free(cs);
	free(hs);
	if (b.failed) {
		free(b.p);
		return EID_E_NOMEM;
	}
	*text = b.p;
	*len = b.len;
	return EID_OK;
}
