/* Sessions: thread pools, buffer planning and execution of a model. */
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
#include "kernels_fast.h"
#include "session.h"

eid_session_opts eid_session_defaults(void)
{
	eid_session_opts o = {EID_BACKEND_FAST, 1, NULL, 0};
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
			eid_status st = nn_infer_shape(s, i, &out, err);
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
							s->opts.bf16, &s->fast_op[i], err);
			if (!st && fuse)
				st = nn_fuse_block(s, i, err);
			if (st)
				return st;
		}
	}
	if (fuse && !getenv("EID_NO_CHAINS")) {
		eid_status st = nn_fuse_chains(s, err);
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
			const nn_block *blk = s->block[i];
			const int ri = &g->nodes[n->in[0]] == blk->pw ? n->in[1] : n->in[0];
			nn_block_run(blk, &s->t[blk->dw->in[0]], &s->t[ri], y, s->pool);
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
