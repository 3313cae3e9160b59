/* Sessions: shape inference, buffer planning and execution of a model. */
#include <math.h>
#include <pthreadpool.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eid/limits.h"
#include "eid/util.h"
#include "kernels_block.h"
#include "kernels_fast.h"
#include "model.h"

struct eid_session {
	const eid_model *model;
	eid_session_opts opts;
	pthreadpool_t pool; /* NULL: run on the caller */
	int owns_pool;
	nn_tensor *t;    /* per node: inferred shape and buffer */
	float **owned;   /* per node: buffer this node owns (NULL if aliased/const) */
	void **fast_op;  /* per node: xnnpack operator or NULL */
	int64_t **pads;  /* per node: PAD's (before, after) pairs */
	unsigned *axes;  /* per node: MEAN's reduced-axes mask */
	nn_block **block; /* per ADD node: the fused residual block it runs, or NULL */
	nn_chain **chain; /* per ADD node: the chain of blocks it starts, or NULL */
	int *chain_out;   /* per chain start: the ADD node whose tensor the chain writes */
	char *in_block;  /* per node: computed inside a fused block */
	int *consumers;  /* per node: readers (graph outputs count twice) */
	nn_shape planned;
	int is_planned;
	int profile;               /* $EID_PROFILE at creation: 0 off, 1 per op, 2 per node */
	double prof[NN_OP_COUNT];  /* ms per op type in the current run */
};

eid_session_opts eid_session_defaults(void)
{
	eid_session_opts o = {EID_BACKEND_FAST, 1, NULL};
	return o;
}

/* An eid_threadpool is a pthreadpool; NULL inside stands for one thread. */
struct eid_threadpool {
	pthreadpool_t pool;
};

static long resolve_threads(int threads)
{
	return threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
}

eid_status eid_threadpool_new(int threads, eid_threadpool **out, eid_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	long n = resolve_threads(threads);
	if (n > 1 && !((*out)->pool = pthreadpool_create((size_t)n))) {
		free(*out);
		*out = NULL;
		return eid_fail(err, EID_E_NOMEM, "cannot create a pool of %ld threads", n);
	}
	return EID_OK;
}

void eid_threadpool_free(eid_threadpool *p)
{
	if (!p)
		return;
	if (p->pool)
		pthreadpool_destroy(p->pool);
	free(p);
}

eid_model *nn_model_new(const char *path, const char *format)
{
	eid_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	nn_graph_init(&m->g);
	m->path = strdup(path ? path : "");
	snprintf(m->format, sizeof(m->format), "%s", format);
	if (!m->path) {
		free(m);
		return NULL;
	}
	return m;
}

void eid_model_free(eid_model *m)
{
	if (!m)
		return;
	nn_graph_release(&m->g);
	free(m->path);
	free(m);
}

size_t eid_model_num_outputs(const eid_model *m)
{
	return (size_t)m->g.noutputs;
}

const char *eid_model_output_name(const eid_model *m, size_t i)
{
	return i < (size_t)m->g.noutputs ? m->g.output_names[i] : NULL;
}

int eid_model_input_shape(const eid_model *m, int64_t dims_out[6])
{
	const nn_shape *s = &m->g.nodes[m->g.input].shape;
	for (int i = 0; i < s->rank; i++)
		dims_out[i] = s->d[i];
	return s->rank;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void eid_model_describe_json(const eid_model *m, FILE *out)
{
	const nn_graph *g = &m->g;
	const nn_node *in = &g->nodes[g->input];
	fprintf(out, "{\"model\":");
	json_str(out, m->path);
	fprintf(out, ",\"format\":\"%s\",\"inputs\":[{\"name\":", m->format);
	json_str(out, in->name);
	fprintf(out, ",\"shape\":[");
	for (int i = 0; i < in->shape.rank; i++)
		fprintf(out, "%s%lld", i ? "," : "", (long long)in->shape.d[i]);
	fprintf(out, "]}],\"outputs\":[");
	for (int i = 0; i < g->noutputs; i++) {
		fprintf(out, "%s{\"name\":", i ? "," : "");
		json_str(out, g->output_names[i]);
		fprintf(out, "}");
	}
	fprintf(out, "],\"nodes\":%d,\"source_ops\":{", g->n);
	for (int i = 0; i < g->src_ops_count; i++) {
		fprintf(out, "%s", i ? "," : "");
		json_str(out, g->src_ops[i].name);
		fprintf(out, ":%d", g->src_ops[i].count);
	}
	fprintf(out, "},\"executed_ops\":{");
	int counts[NN_OP_COUNT] = {0};
	for (int i = 0; i < g->norder; i++)
		counts[g->nodes[g->order[i]].op]++;
	int first = 1;
	for (int op = 0; op < NN_OP_COUNT; op++) {
		if (!counts[op])
			continue;
		fprintf(out, "%s\"%s\":%d", first ? "" : ",", nn_op_name((nn_op)op), counts[op]);
		first = 0;
	}
	fprintf(out, "},\"parameters\":%lld}\n", (long long)g->params);
}

eid_status eid_session_new(const eid_model *model, const eid_session_opts *opts,
			   eid_session **session_out, eid_err *err)
{
	*session_out = NULL;
	eid_session *s = calloc(1, sizeof(*s));
	if (!s)
		return eid_fail(err, EID_E_NOMEM, "out of memory creating a session");
	s->model = model;
	s->opts = opts ? *opts : eid_session_defaults();
	s->profile = getenv("EID_PROFILE") ? atoi(getenv("EID_PROFILE")) : 0;
	const int n = model->g.n;
	s->t = calloc((size_t)n, sizeof(*s->t));
	s->owned = calloc((size_t)n, sizeof(*s->owned));
	s->fast_op = calloc((size_t)n, sizeof(*s->fast_op));
	s->pads = calloc((size_t)n, sizeof(*s->pads));
	s->axes = calloc((size_t)n, sizeof(*s->axes));
	s->block = calloc((size_t)n, sizeof(*s->block));
	s->chain = calloc((size_t)n, sizeof(*s->chain));
	s->chain_out = calloc((size_t)n, sizeof(int));
	s->in_block = calloc((size_t)n, 1);
	s->consumers = calloc((size_t)n, sizeof(int));
	if (!s->t || !s->owned || !s->fast_op || !s->pads || !s->axes || !s->block ||
	    !s->chain || !s->chain_out || !s->in_block || !s->consumers) {
		eid_session_free(s);
		return eid_fail(err, EID_E_NOMEM, "out of memory creating a session");
	}
	if (s->opts.backend == EID_BACKEND_FAST) {
		if (!nn_fast_available()) {
			eid_session_free(s);
			return eid_fail(err, EID_E_BACKEND, "xnnpack cannot initialise on this cpu");
		}
		long threads = resolve_threads(s->opts.threads);
		if (s->opts.pool) {
			s->pool = s->opts.pool->pool;
		} else if (threads > 1) {
			s->pool = pthreadpool_create((size_t)threads);
			s->owns_pool = 1;
			if (!s->pool) {
				eid_session_free(s);
				return eid_fail(err, EID_E_NOMEM, "cannot create a thread pool");
			}
		}
	}
	*session_out = s;
	return EID_OK;
}

static void unplan(eid_session *s)
{
	for (int i = 0; i < s->model->g.n; i++) {
		nn_fast_release(s->fast_op[i]);
		s->fast_op[i] = NULL;
		free(s->owned[i]);
		s->owned[i] = NULL;
		free(s->pads[i]);
		s->pads[i] = NULL;
		nn_chain_release(s->chain[i]);
		free(s->chain[i]);
		s->chain[i] = NULL;
		nn_block_release(s->block[i]);
		free(s->block[i]);
		s->block[i] = NULL;
		s->in_block[i] = 0;
	}
	s->is_planned = 0;
}

void eid_session_free(eid_session *s)
{
	if (!s)
		return;
	if (s->t)
		unplan(s);
	if (s->pool && s->owns_pool)
		pthreadpool_destroy(s->pool);
	free(s->t);
	free(s->owned);
	free(s->fast_op);
	free(s->pads);
	free(s->axes);
	free(s->block);
	free(s->chain);
	free(s->chain_out);
	free(s->in_block);
	free(s->consumers);
	free(s);
}

/* --- shape inference ------------------------------------------------------ */

#define SHAPE_FAIL(...) eid_fail(err, EID_E_SHAPE, __VA_ARGS__)

static void shape_str(const nn_shape *sh, char *buf, size_t cap)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, cap - o, "[");
	for (int i = 0; i < sh->rank && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? "," : "", (long long)sh->d[i]);
	if (o < cap)
		snprintf(buf + o, cap - o, "]");
}

static eid_status infer(eid_session *s, int idx, nn_shape *out, eid_err *err)
{
	const nn_graph *g = &s->model->g;
	const nn_node *n = &g->nodes[idx];
	const nn_shape *x = n->nin > 0 ? &s->t[n->in[0]].shape : NULL;
	char sb[96];
	*out = x ? *x : n->shape;
	switch (n->op) {
	case NN_CONV2D:
	case NN_DWCONV2D:
	case NN_MAXPOOL:
	case NN_AVGPOOL: {
		if (x->rank != 4) {
			shape_str(x, sb, sizeof(sb));
			return SHAPE_FAIL("node '%s' (%s): input %s is not NHWC", n->name,
					  nn_op_name(n->op), sb);
		}
		if ((n->op == NN_CONV2D || n->op == NN_DWCONV2D) && x->d[3] != n->in_c)
			return SHAPE_FAIL("node '%s' (%s): input has %lld channels, filter wants %d",
					  n->name, nn_op_name(n->op), (long long)x->d[3], n->in_c);
		nn_window w;
		if (nn_window_compute(n, x->d[1], x->d[2], &w) != 0)
			return SHAPE_FAIL("node '%s' (%s): window does not fit a %lldx%lld input",
					  n->name, nn_op_name(n->op), (long long)x->d[1],
					  (long long)x->d[2]);
		out->d[1] = w.out_h;
		out->d[2] = w.out_w;
		if (n->op == NN_CONV2D || n->op == NN_DWCONV2D)
			out->d[3] = n->out_c;
		return EID_OK;
	}
	case NN_MATMUL:
		if (x->rank != 2 || x->d[1] != n->in_c) {
			shape_str(x, sb, sizeof(sb));
			return SHAPE_FAIL("node '%s' (MatMul): input %s, weights want [*,%d]", n->name,
					  sb, n->in_c);
		}
		out->d[1] = n->out_c;
		return EID_OK;
	case NN_ADD:
	case NN_MUL:
	case NN_MINIMUM:
	case NN_MAXIMUM: {
		const nn_shape *b = &s->t[n->in[1]].shape;
		if (n->prelu) { /* fused prelu: its slopes run over the last dimension */
			const int64_t last = x->rank ? x->d[x->rank - 1] : 1,
				      lastb = b->rank ? b->d[b->rank - 1] : 1;
			if ((last > lastb ? last : lastb) != n->out_c)
				return SHAPE_FAIL("node '%s' (%s): %d prelu slopes for %lld channels",
						  n->name, nn_op_name(n->op), n->out_c,
						  (long long)(last > lastb ? last : lastb));
		}
		out->rank = x->rank > b->rank ? x->rank : b->rank;
		for (int i = 0; i < out->rank; i++) {
			int ia = i - (out->rank - x->rank), ib = i - (out->rank - b->rank);
			int64_t da = ia >= 0 ? x->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
			if (da != db && da != 1 && db != 1) {
				char sb2[96];
				shape_str(x, sb, sizeof(sb));
				shape_str(b, sb2, sizeof(sb2));
				return SHAPE_FAIL("node '%s' (%s): shapes %s and %s do not broadcast",
						  n->name, nn_op_name(n->op), sb, sb2);
			}
			out->d[i] = da == 1 ? db : da;
		}
		return EID_OK;
	}
	case NN_PRELU: {
		const nn_shape *a = &s->t[n->in[1]].shape;
		size_t na = nn_shape_count(a);
		if (x->rank < 1 || (na != 1 && (int64_t)na != x->d[x->rank - 1]))
			return SHAPE_FAIL("node '%s' (Prelu): alpha of %zu values for %lld channels",
					  n->name, na, (long long)(x->rank ? x->d[x->rank - 1] : 0));
		return EID_OK;
	}
	case NN_SOFTMAX:
		if (x->rank < 1)
			return SHAPE_FAIL("node '%s' (Softmax): scalar input", n->name);
		return EID_OK;
	case NN_PAD: {
		const nn_node *p = &g->nodes[n->in[1]];
		if (p->count != (size_t)(2 * x->rank))
			return SHAPE_FAIL("node '%s' (Pad): %zu paddings for rank %d", n->name, p->count,
					  x->rank);
		int64_t *pads = malloc(p->count * sizeof(int64_t));
		if (!pads)
			return eid_fail(err, EID_E_NOMEM, "out of memory");
		for (int i = 0; i < x->rank; i++) {
			int64_t b = p->ivals[2 * i], a = p->ivals[2 * i + 1];
			if (b < 0 || a < 0 || b > 4096 || a > 4096) {
				free(pads);
				return SHAPE_FAIL("node '%s' (Pad): padding %lld,%lld out of range [0,4096]",
						  n->name, (long long)b, (long long)a);
			}
			pads[2 * i] = b;
			pads[2 * i + 1] = a;
			out->d[i] = x->d[i] + a + b;
		}
		free(s->pads[idx]);
		s->pads[idx] = pads;
		return EID_OK;
	}
	case NN_RESHAPE: {
		const nn_node *p = &g->nodes[n->in[1]];
		if (p->count < 1 || p->count > NN_MAX_RANK)
			return SHAPE_FAIL("node '%s' (Reshape): target rank %zu", n->name, p->count);
		size_t total = nn_shape_count(x), known = 1;
		int free_dim = -1;
		out->rank = (int)p->count;
		for (int i = 0; i < out->rank; i++) {
			int64_t v = p->ivals[i];
			if (v == -1 && free_dim < 0) {
				free_dim = i;
				continue;
			}
			if (v < 0)
				return SHAPE_FAIL("node '%s' (Reshape): bad target dimension %lld",
						  n->name, (long long)v);
			if (v > 0 && known > total / (size_t)v)
				return SHAPE_FAIL("node '%s' (Reshape): %zu values do not fit the target",
						  n->name, total);
			known *= (size_t)v;
			out->d[i] = v;
		}
		if (free_dim >= 0) {
			if (known == 0 || total % known)
				return SHAPE_FAIL("node '%s' (Reshape): %zu values do not fit", n->name,
						  total);
			out->d[free_dim] = (int64_t)(total / known);
		} else if (known != total) {
			return SHAPE_FAIL("node '%s' (Reshape): %zu values into %zu", n->name, total,
					  known);
		}
		return EID_OK;
	}
	case NN_MEAN: {
		const nn_node *p = &g->nodes[n->in[1]];
		unsigned mask = 0;
		for (size_t i = 0; i < p->count; i++) {
			int64_t a = p->ivals[i];
			if (a < 0)
				a += x->rank;
			if (a < 0 || a >= x->rank)
				return SHAPE_FAIL("node '%s' (Mean): axis %lld for rank %d", n->name,
						  (long long)p->ivals[i], x->rank);
			mask |= 1u << a;
		}
		s->axes[idx] = mask;
		out->rank = 0;
		for (int i = 0; i < x->rank; i++) {
			if (mask & (1u << i)) {
				if (n->keep_dims)
					out->d[out->rank++] = 1;
			} else {
				out->d[out->rank++] = x->d[i];
			}
		}
		return EID_OK;
	}
	default: /* RELU, SIGMOID, IDENTITY: same shape */
		return EID_OK;
	}
}

/* Fast backend: an Add fed by conv1x1(dwconv(x)) runs as one fused block
 * (kernels_block.c) when neither conv's result is read by anything else. */
static eid_status try_block(eid_session *s, int ai, eid_err *err)
{
	const nn_graph *g = &s->model->g;
	const nn_node *a = &g->nodes[ai];
	if (a->op != NN_ADD || a->nin != 2)
		return EID_OK;
	for (int side = 0; side < 2; side++) {
		const int pi = a->in[side], ri = a->in[1 - side];
		const nn_node *pw = &g->nodes[pi];
		if (pw->op != NN_CONV2D || s->consumers[pi] != 1)
			continue;
		const int di = pw->in[0];
		const nn_node *dw = &g->nodes[di];
		if (dw->op != NN_DWCONV2D || s->consumers[di] != 1 ||
		    !nn_block_fits(dw, pw, s->t[dw->in[0]].shape.d[2], s->t[di].shape.d[2]) ||
		    nn_shape_count(&s->t[ri].shape) != nn_shape_count(&s->t[ai].shape) ||
		    nn_shape_count(&s->t[pi].shape) != nn_shape_count(&s->t[ai].shape))
			continue;
		nn_block *b = calloc(1, sizeof(*b));
		if (!b)
			return eid_fail(err, EID_E_NOMEM, "out of memory for a fused block");
		eid_status st = nn_block_init(b, dw, pw, a, err);
		if (st) {
			free(b);
			return st;
		}
		s->block[ai] = b;
		/* both convs run inside the block: drop their own operators */
		s->in_block[di] = s->in_block[pi] = 1;
		nn_fast_release(s->fast_op[di]);
		nn_fast_release(s->fast_op[pi]);
		s->fast_op[di] = s->fast_op[pi] = NULL;
		return EID_OK;
	}
	return EID_OK;
}

/* The residual input of fused block node ai (the Add's operand that is not
 * the 1x1 conv). */
static int block_residual(const eid_session *s, int ai)
{
	const nn_node *a = &s->model->g.nodes[ai];
	return &s->model->g.nodes[a->in[0]] == s->block[ai]->pw ? a->in[1] : a->in[0];
}

/* Links fused blocks into chains (kernels_block.h): block j follows block i
 * when j reads only i's output, as input and residual, and nothing else reads
 * it. Runs after every node is planned. */
static eid_status build_chains(eid_session *s, eid_err *err)
{
	const nn_graph *g = &s->model->g;
	const int bands = s->pool ? (int)pthreadpool_get_threads_count(s->pool) : 1;
	const nn_block *links[32];
	for (int k = 0; k < g->norder; k++) {
		const int first = g->order[k];
		if (!s->block[first] || s->in_block[first] || !nn_chain_link_fits(s->block[first]) ||
		    block_residual(s, first) != s->block[first]->dw->in[0])
			continue;
		int n = 0, cur = first;
		links[n++] = s->block[first];
		while (n < 32 && s->consumers[cur] == 2) {
			int next = -1;
			for (int j = 0; j < g->n && next < 0; j++)
				if (s->block[j] && s->block[j]->dw->in[0] == cur &&
				    block_residual(s, j) == cur && nn_chain_link_fits(s->block[j]) &&
				    nn_shape_count(&s->t[j].shape) == nn_shape_count(&s->t[cur].shape))
					next = j;
			if (next < 0)
				break;
			links[n++] = s->block[next];
			cur = next;
		}
		if (n < 2)
			continue;
		nn_chain *ch = calloc(1, sizeof(*ch));
		if (!ch)
			return eid_fail(err, EID_E_NOMEM, "out of memory for a block chain");
		eid_status st = nn_chain_init(ch, links, n, &s->t[links[0]->dw->in[0]].shape, bands, err);
		if (st) {
			free(ch);
			return st;
		}
		s->chain[first] = ch;
		s->chain_out[first] = cur;
		for (int j = 1; j < n; j++) /* the later Adds run inside the chain */
			s->in_block[links[j]->add - g->nodes] = 1;
	}
	return EID_OK;
}

static eid_status plan(eid_session *s, const int64_t *shape, int rank, eid_err *err)
{
	const nn_graph *g = &s->model->g;
	unplan(s);
	/* constants: shapes only, data stays in the model */
	for (int i = 0; i < g->n; i++) {
		const nn_node *n = &g->nodes[i];
		if (n->op == NN_CONST) {
			s->t[i].shape = n->shape;
			s->t[i].data = n->data;
		}
	}
	const nn_node *in = &g->nodes[g->input];
	if (rank != in->shape.rank)
		return eid_fail(err, EID_E_SHAPE, "input '%s' has rank %d, got %d", in->name,
				in->shape.rank, rank);
	nn_shape ish = {rank, {0}};
	for (int i = 0; i < rank; i++) {
		if (shape[i] < 1 || (in->shape.d[i] >= 0 && shape[i] != in->shape.d[i]))
			return eid_fail(err, EID_E_SHAPE,
					"input '%s' dimension %d is %lld, model wants %lld", in->name, i,
					(long long)shape[i], (long long)in->shape.d[i]);
		ish.d[i] = shape[i];
	}
	const uint64_t max_elems = eid_limit(EID_LIMIT_MODEL_TENSOR_ELEMS);
	memset(s->consumers, 0, (size_t)g->n * sizeof(int));
	for (int k = 0; k < g->norder; k++)
		for (int j = 0; j < g->nodes[g->order[k]].nin; j++)
			s->consumers[g->nodes[g->order[k]].in[j]]++;
	for (int k = 0; k < g->noutputs; k++)
		s->consumers[g->outputs[k]] += 2;
	const int fuse = s->opts.backend == EID_BACKEND_FAST && !getenv("EID_NO_FUSION");
	for (int k = 0; k < g->norder; k++) {
		const int i = g->order[k];
		const nn_node *n = &g->nodes[i];
		nn_shape out;
		if (n->op == NN_INPUT) {
			out = ish;
		} else {
			eid_status st = infer(s, i, &out, err);
			if (st)
				return st;
		}
		size_t count = 1;
		for (int d = 0; d < out.rank; d++)
			if (eid_mul_size(count, (size_t)out.d[d], &count) != 0 || count > max_elems)
				return eid_fail(err, EID_E_LIMIT,
						"node '%s' (%s): output exceeds %llu elements", n->name,
						nn_op_name(n->op), (unsigned long long)max_elems);
		if (count == 0) /* kernels divide by the last dimension */
			return eid_fail(err, EID_E_SHAPE, "node '%s' (%s): output has no elements",
					n->name, nn_op_name(n->op));
		s->t[i].shape = out;
		if (n->op == NN_RESHAPE || n->op == NN_IDENTITY) {
			s->t[i].data = s->t[n->in[0]].data; /* alias: same bytes, new shape */
			continue;
		}
		s->owned[i] = malloc((count ? count : 1) * sizeof(float) + NN_FAST_EXTRA_BYTES);
		if (!s->owned[i])
			return eid_fail(err, EID_E_NOMEM, "out of memory for node '%s'", n->name);
		s->t[i].data = s->owned[i];
		if (s->opts.backend == EID_BACKEND_FAST && n->op != NN_INPUT) {
			eid_status st = nn_fast_prepare(n, &s->t[n->in[0]], &s->t[i], s->pool,
							&s->fast_op[i], err);
			if (!st && fuse)
				st = try_block(s, i, err);
			if (st)
				return st;
		}
	}
	if (fuse && !getenv("EID_NO_CHAINS")) {
		eid_status st = build_chains(s, err);
		if (st)
			return st;
	}
	s->planned = ish;
	s->is_planned = 1;
	return EID_OK;
}

/* fused prelu and clamp of an elementwise op, channels last */
static void epilogue_inplace(const nn_node *n, nn_tensor *y)
{
	if (!n->prelu && n->clamp_min == -INFINITY && n->clamp_max == INFINITY)
		return;
	const int c = n->prelu ? n->out_c : 1;
	nn_epilogue(n, y->data, nn_shape_count(&y->shape) / (size_t)c, c, 0);
}

static eid_status run(eid_session *s, const float *input, const int64_t *shape, int rank,
		      eid_err *err)
{
	const nn_graph *g = &s->model->g;
	int same = s->is_planned && rank == s->planned.rank;
	for (int i = 0; same && i < rank; i++)
		same = shape[i] == s->planned.d[i];
	if (!same) {
		eid_status st = plan(s, shape, rank, err);
		if (st) {
			unplan(s);
			return st;
		}
	}
	const int fast = s->opts.backend == EID_BACKEND_FAST;
	/* EID_PROFILE=1: time per op type on stderr after each run; =2: per node */
	const int profile = s->profile;
	double t_prev = profile ? eid_now_ms() : 0;
	for (int k = 0; k < g->norder; k++) {
		const int i = g->order[k];
		if (profile && k > 0) {
			const double t = eid_now_ms();
			const nn_node *pn = &g->nodes[g->order[k - 1]];
			s->prof[pn->op] += t - t_prev;
			if (profile > 1) {
				const nn_shape *ps = &s->t[g->order[k - 1]].shape;
				fprintf(stderr, "%8.3f %-16s k%d s%d %lldx%lldx%lld\n", t - t_prev,
					nn_op_name(pn->op), pn->ksize[0], pn->stride[0],
					(long long)ps->d[1], (long long)(ps->rank > 2 ? ps->d[2] : 0),
					(long long)ps->d[ps->rank - 1]);
			}
			t_prev = t;
		}
		const nn_node *n = &g->nodes[i];
		nn_tensor *y = &s->t[i];
		const nn_tensor *a = n->nin > 0 ? &s->t[n->in[0]] : NULL;
		const nn_tensor *b = n->nin > 1 ? &s->t[n->in[1]] : NULL;
		if (s->in_block[i])
			continue;
		if (s->chain[i]) {
			const nn_block *b0 = s->chain[i]->blocks[0];
			nn_chain_run(s->chain[i], &s->t[b0->dw->in[0]], &s->t[s->chain_out[i]], s->pool);
			continue;
		}
		if (s->block[i]) {
			const nn_block *b = s->block[i];
			const int ri = &g->nodes[n->in[0]] == b->pw ? n->in[1] : n->in[0];
			nn_block_run(b, &s->t[b->dw->in[0]], &s->t[ri], y, s->pool);
			continue;
		}
		if (s->fast_op[i]) {
			eid_status st = nn_fast_run(n, s->fast_op[i], s->pool, y, err);
			if (st)
				return st;
			continue;
		}
		switch (n->op) {
		case NN_INPUT:
			memcpy(y->data, input, nn_shape_count(&y->shape) * sizeof(float));
			break;
		case NN_CONV2D:
			nn_ref_conv2d(n, a, y);
			break;
		case NN_DWCONV2D:
			nn_ref_dwconv2d(n, a, y);
			break;
		case NN_MATMUL:
			nn_ref_matmul(n, a, y);
			break;
		case NN_ADD:
		case NN_MUL:
		case NN_MINIMUM:
		case NN_MAXIMUM:
			if (fast) {
				if (n->prelu) { /* prelu before the clamp */
					nn_fast_binary(n->op, a, b, y, -INFINITY, INFINITY);
					epilogue_inplace(n, y);
				} else {
					nn_fast_binary(n->op, a, b, y, n->clamp_min, n->clamp_max);
				}
			} else {
				nn_ref_binary(n->op, a, b, y);
				epilogue_inplace(n, y);
			}
			break;
		case NN_RELU:
		case NN_SIGMOID:
			nn_ref_unary(n->op, a, y);
			break;
		case NN_PRELU:
			if (fast)
				nn_fast_prelu(a, b, y);
			else
				nn_ref_prelu(a, b, y);
			break;
		case NN_SOFTMAX:
			nn_ref_softmax(a, y);
			break;
		case NN_MAXPOOL:
		case NN_AVGPOOL:
			nn_ref_pool(n, a, y);
			break;
		case NN_PAD:
			if (fast)
				nn_fast_pad(s->pads[i], a, y);
			else
				nn_ref_pad(s->pads[i], a, y);
			break;
		case NN_MEAN:
			nn_ref_mean(s->axes[i], a, y);
			break;
		case NN_RESHAPE:
		case NN_IDENTITY:
		case NN_CONST:
		case NN_OP_COUNT:
			break;
		}
	}
	if (profile) {
		s->prof[g->nodes[g->order[g->norder - 1]].op] += eid_now_ms() - t_prev;
		for (int op = 1; op < NN_OP_COUNT; op++)
			if (s->prof[op] > 0)
				fprintf(stderr, "%s %.2f  ", nn_op_name((nn_op)op), s->prof[op]);
		fprintf(stderr, "\n");
		memset(s->prof, 0, sizeof(s->prof));
	}
	return EID_OK;
}

/* Denormal floats cost a microcode assist per operation; deep nets make
 * them (a prelu of tiny negatives), and they carry no information at this
 * precision. Flush them to zero for the run, as XNNPACK does inside its ops. */
eid_status eid_session_run(eid_session *s, const float *input, const int64_t *shape, int rank,
			   eid_err *err)
{
#if defined(__SSE2__)
	const unsigned csr = _mm_getcsr();
	_mm_setcsr(csr | 0x8040); /* FTZ | DAZ */
	eid_status st = run(s, input, shape, rank, err);
	_mm_setcsr(csr);
	return st;
#else
	return run(s, input, shape, rank, err);
#endif
}

eid_tensor_view eid_session_output(const eid_session *s, size_t i)
{
	eid_tensor_view v;
	memset(&v, 0, sizeof(v));
	const nn_graph *g = &s->model->g;
	if (i >= (size_t)g->noutputs || !s->is_planned)
		return v;
	const nn_tensor *t = &s->t[g->outputs[i]];
	v.name = g->output_names[i];
	v.rank = t->shape.rank;
	for (int d = 0; d < t->shape.rank; d++)
		v.dims[d] = t->shape.d[d];
	v.data = t->data;
	v.count = nn_shape_count(&t->shape);
	return v;
}
