/* The fast backend's fusion across ops, decided at plan time: fused
 * depthwise + 1x1 + Add blocks and chains of them (kernels_block.h). */
#include <stdlib.h>

#include "kernels_fast.h"
#include "session.h"

/* Fast backend: an Add fed by conv1x1(dwconv(x)) runs as one fused block
 * (kernels_block.c) when neither conv's result is read by anything else. */
eid_status nn_fuse_block(eid_session *s, int ai, eid_err *err)
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
eid_status nn_fuse_chains(eid_session *s, eid_err *err)
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
