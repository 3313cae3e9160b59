/* Shape inference: the output shape of every op, checked against its inputs. */
#include <stdlib.h>

#include "session.h"

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

eid_status nn_infer_shape(eid_session *s, int idx, nn_shape *out, eid_err *err)
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
