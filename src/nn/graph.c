#include "graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
#define NN_OP_NAME(e, s) s,
	NN_OPS(NN_OP_NAME)
#undef NN_OP_NAME
};

const char *nn_op_name(nn_op op)
{
	return (unsigned)op < NN_OP_COUNT ? op_names[op] : "?";
}

size_t nn_shape_count(const nn_shape *s)
{
	size_t n = 1;
	for (int i = 0; i < s->rank; i++)
		n *= (size_t)s->d[i];
	return n;
}

void nn_graph_init(nn_graph *g)
{
	memset(g, 0, sizeof(*g));
	g->input = -1;
}

void nn_graph_release(nn_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n; i++) {
		nn_node *n = &g->nodes[i];
		free(n->name);
		free(n->bias);
		free(n->prelu);
		free(n->data);
		free(n->ivals);
	}
	for (int i = 0; i < g->noutputs; i++)
		free(g->output_names[i]);
	free(g->nodes);
	free(g->order);
	memset(g, 0, sizeof(*g));
}

int nn_graph_add(nn_graph *g, nn_op op, const char *name)
{
	if (g->n == g->cap) {
		int cap = g->cap ? g->cap * 2 : 64;
		nn_node *nodes = realloc(g->nodes, (size_t)cap * sizeof(*nodes));
		if (!nodes)
			return -1;
		g->nodes = nodes;
		g->cap = cap;
	}
	nn_node *n = &g->nodes[g->n];
	memset(n, 0, sizeof(*n));
	n->op = op;
	n->name = strdup(name ? name : "");
	if (!n->name)
		return -1;
	n->clamp_min = -INFINITY;
	n->clamp_max = INFINITY;
	n->stride[0] = n->stride[1] = 1;
	n->dilation[0] = n->dilation[1] = 1;
	return g->n++;
}

void nn_graph_count_src_op(nn_graph *g, const char *tf_op)
{
	for (int i = 0; i < g->src_ops_count; i++) {
		if (strcmp(g->src_ops[i].name, tf_op) == 0) {
			g->src_ops[i].count++;
			return;
		}
	}
	if (g->src_ops_count < (int)(sizeof(g->src_ops) / sizeof(g->src_ops[0]))) {
		snprintf(g->src_ops[g->src_ops_count].name, sizeof(g->src_ops[0].name), "%s", tf_op);
		g->src_ops[g->src_ops_count++].count = 1;
	}
}

/* --- epilogue fusion ------------------------------------------------------ */

static int is_output(const nn_graph *g, int idx)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == idx)
			return 1;
	return 0;
}

/* The only consumer of node idx, or -1 if it has none or several. */
static int sole_consumer(const nn_graph *g, int idx)
{
	int found = -1;
	for (int i = 0; i < g->n; i++) {
		const nn_node *n = &g->nodes[i];
		if (n->dead)
			continue;
		for (int k = 0; k < n->nin; k++) {
			if (n->in[k] == idx) {
				if (found >= 0 && found != i)
					return -1;
				if (found == i) /* x + x: not a per-channel epilogue */
					return -1;
				found = i;
			}
		}
	}
	return found;
}

/* If node y is a binary op of x and a constant, returns that constant. */
static const nn_node *const_operand(const nn_graph *g, const nn_node *y, int x)
{
	if (y->nin != 2)
		return NULL;
	int other = y->in[0] == x ? y->in[1] : y->in[0];
	const nn_node *c = &g->nodes[other];
	return c->op == NN_CONST && !c->is_int ? c : NULL;
}

/* A constant that broadcasts per output channel: scalar or [.., out_c] with
 * every other dimension 1. */
static int per_channel(const nn_node *c, int out_c)
{
	if (c->count == 1)
		return 1;
	if (c->count != (size_t)out_c || c->shape.rank < 1 ||
	    c->shape.d[c->shape.rank - 1] != out_c)
		return 0;
	return 1;
}

static int fuse_one(nn_graph *g, int xi)
{
	nn_node *x = &g->nodes[xi];
	if (is_output(g, xi))
		return 0;
	int yi = sole_consumer(g, xi);
	if (yi < 0)
		return 0;
	nn_node *y = &g->nodes[yi];
	const int oc = x->out_c;
	const int has_act = x->prelu || x->clamp_min != -INFINITY || x->clamp_max != INFINITY;
	const nn_node *c = const_operand(g, y, xi);
	const int is_conv = x->op == NN_CONV2D || x->op == NN_DWCONV2D || x->op == NN_MATMUL;
	if (!is_conv && (y->op == NN_MUL || y->op == NN_ADD))
		return 0; /* elementwise ops take only a clamp */

	switch (y->op) {
	case NN_MUL: {
		if (!c || has_act || !per_channel(c, oc))
			return 0;
		/* weights' output channel is the innermost index for DW/MATMUL and
		 * the outermost for CONV2D (OHWI) */
		size_t per_o = x->count / (size_t)oc;
		for (size_t i = 0; i < x->count; i++) {
			size_t o = x->op == NN_CONV2D ? i / per_o : i % (size_t)oc;
			x->data[i] *= c->data[c->count == 1 ? 0 : o];
		}
		if (x->bias)
			for (int o = 0; o < oc; o++)
				x->bias[o] *= c->data[c->count == 1 ? 0 : o];
		break;
	}
	case NN_ADD:
		if (!c || has_act || !per_channel(c, oc))
			return 0;
		if (!x->bias) {
			x->bias = calloc((size_t)oc, sizeof(float));
			if (!x->bias)
				return 0;
		}
		for (int o = 0; o < oc; o++)
			x->bias[o] += c->data[c->count == 1 ? 0 : o];
		break;
	case NN_RELU:
		x->clamp_min = fmaxf(x->clamp_min, 0.0f);
		x->clamp_max = fmaxf(x->clamp_max, 0.0f);
		break;
	case NN_MINIMUM:
		if (!c || c->count != 1)
			return 0;
		x->clamp_min = fminf(x->clamp_min, c->data[0]);
		x->clamp_max = fminf(x->clamp_max, c->data[0]);
		break;
	case NN_MAXIMUM:
		if (!c || c->count != 1)
			return 0;
		x->clamp_min = fmaxf(x->clamp_min, c->data[0]);
		x->clamp_max = fmaxf(x->clamp_max, c->data[0]);
		break;
	case NN_PRELU: {
		/* per-channel slopes only; an Add learns its channel count here and
		 * the session checks it against the planned shape */
		if (y->in[0] != xi || has_act || c->count < 2 || c->shape.rank < 1 ||
		    c->shape.d[c->shape.rank - 1] != (int64_t)c->count ||
		    (is_conv && c->count != (size_t)oc) || c->count > 65536)
			return 0;
		x->prelu = malloc(c->count * sizeof(float));
		if (!x->prelu)
			return 0;
		memcpy(x->prelu, c->data, c->count * sizeof(float));
		if (!is_conv)
			x->out_c = (int)c->count;
		break;
	}
	default:
		return 0;
	}
	/* y's consumers now read x; an output named after y keeps its name */
	y->dead = 1;
	for (int i = 0; i < g->n; i++)
		for (int k = 0; k < g->nodes[i].nin; k++)
			if (g->nodes[i].in[k] == yi)
				g->nodes[i].in[k] = xi;
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == yi)
			g->outputs[i] = xi;
	return 1;
}

static void fuse_epilogues(nn_graph *g)
{
	for (int i = 0; i < g->n; i++) {
		nn_node *x = &g->nodes[i];
		if (x->dead || (x->op != NN_CONV2D && x->op != NN_DWCONV2D && x->op != NN_MATMUL &&
				 x->op != NN_ADD && x->op != NN_MUL && x->op != NN_MINIMUM &&
				 x->op != NN_MAXIMUM))
			continue;
		while (fuse_one(g, i))
			;
	}
}

/* --- checks and ordering -------------------------------------------------- */

static int min_inputs(nn_op op)
{
	switch (op) {
	case NN_CONST:
	case NN_INPUT:
		return 0;
	case NN_ADD:
	case NN_MUL:
	case NN_MINIMUM:
	case NN_MAXIMUM:
	case NN_PRELU:
	case NN_PAD:
	case NN_RESHAPE:
	case NN_MEAN:
		return 2;
	default:
		return 1;
	}
}

eid_status nn_graph_finish(nn_graph *g, eid_err *err)
{
	if (g->input < 0)
		return eid_fail(err, EID_E_FORMAT, "graph has no input node");
	if (g->noutputs == 0)
		return eid_fail(err, EID_E_FORMAT, "graph has no output");
	for (int i = 0; i < g->noutputs; i++)
		if (g->nodes[g->outputs[i]].op == NN_CONST && g->nodes[g->outputs[i]].is_int)
			return eid_fail(err, EID_E_UNSUPPORTED, "output '%s' is an int32 constant",
					g->nodes[g->outputs[i]].name);
	for (int i = 0; i < g->n; i++) {
		nn_node *n = &g->nodes[i];
		if (n->nin < min_inputs(n->op))
			return eid_fail(err, EID_E_FORMAT, "node '%s' (%s) has %d inputs, needs %d",
					n->name, nn_op_name(n->op), n->nin, min_inputs(n->op));
		for (int k = 0; k < n->nin; k++) {
			if (n->in[k] < 0 || n->in[k] >= g->n || n->in[k] == i)
				return eid_fail(err, EID_E_FORMAT, "node '%s' has a bad input reference",
						n->name);
			/* int constants have no float data: only shape/axes operands take them */
			const nn_node *c = &g->nodes[n->in[k]];
			if (c->op == NN_CONST && c->is_int &&
			    !(k == 1 && (n->op == NN_PAD || n->op == NN_RESHAPE || n->op == NN_MEAN)))
				return eid_fail(err, EID_E_UNSUPPORTED,
						"node '%s' (%s): input '%s' is an int32 constant", n->name,
						nn_op_name(n->op), c->name);
		}
		/* the second operand of these must be a constant known at load time */
		if ((n->op == NN_PAD || n->op == NN_RESHAPE || n->op == NN_MEAN) &&
		    !(g->nodes[n->in[1]].op == NN_CONST && g->nodes[n->in[1]].is_int))
			return eid_fail(err, EID_E_UNSUPPORTED,
					"node '%s' (%s): its shape/axes operand must be an int constant",
					n->name, nn_op_name(n->op));
		if (n->op == NN_PRELU && g->nodes[n->in[1]].op != NN_CONST)
			return eid_fail(err, EID_E_UNSUPPORTED,
					"node '%s' (Prelu): alpha must be a constant", n->name);
		if (n->op == NN_CONST && n->count != nn_shape_count(&n->shape))
			return eid_fail(err, EID_E_FORMAT, "constant '%s' holds %zu values, shape needs %zu",
					n->name, n->count, nn_shape_count(&n->shape));
	}
	fuse_epilogues(g);

	/* Kahn's algorithm over live nodes reachable from the outputs */
	int *indeg = calloc((size_t)g->n, sizeof(int));
	int *need = calloc((size_t)g->n, sizeof(int));
	int *stack = malloc((size_t)g->n * sizeof(int));
	free(g->order);
	g->order = malloc((size_t)g->n * sizeof(int));
	eid_status st = EID_OK;
	if (!indeg || !need || !stack || !g->order) {
		st = eid_fail(err, EID_E_NOMEM, "out of memory ordering the graph");
		goto out;
	}
	/* mark what the outputs need (DFS with explicit stack) */
	int sp = 0;
	for (int i = 0; i < g->noutputs; i++)
		if (!need[g->outputs[i]]) {
			need[g->outputs[i]] = 1;
			stack[sp++] = g->outputs[i];
		}
	while (sp) {
		const nn_node *n = &g->nodes[stack[--sp]];
		for (int k = 0; k < n->nin; k++)
			if (!need[n->in[k]]) {
				need[n->in[k]] = 1;
				stack[sp++] = n->in[k];
			}
	}
	for (int i = 0; i < g->n; i++)
		if (need[i])
			for (int k = 0; k < g->nodes[i].nin; k++)
				indeg[i]++;
	sp = 0;
	for (int i = 0; i < g->n; i++)
		if (need[i] && indeg[i] == 0)
			stack[sp++] = i;
	int done = 0, total = 0;
	g->norder = 0;
	for (int i = 0; i < g->n; i++)
		total += need[i];
	while (sp) {
		int i = stack[--sp];
		done++;
		if (g->nodes[i].op != NN_CONST)
			g->order[g->norder++] = i;
		for (int j = 0; j < g->n; j++) {
			if (!need[j])
				continue;
			for (int k = 0; k < g->nodes[j].nin; k++)
				if (g->nodes[j].in[k] == i && --indeg[j] == 0)
					stack[sp++] = j;
		}
	}
	if (done != total) {
		st = eid_fail(err, EID_E_FORMAT, "graph has a cycle");
		goto out;
	}
	if (!need[g->input]) {
		st = eid_fail(err, EID_E_FORMAT, "no output depends on the input '%s'",
			      g->nodes[g->input].name);
		goto out;
	}
	g->params = 0;
	for (int i = 0; i < g->n; i++) {
		const nn_node *n = &g->nodes[i];
		if (n->dead)
			continue;
		if (n->op == NN_CONST && !n->is_int)
			g->params += (int64_t)n->count;
		if (n->op == NN_CONV2D || n->op == NN_DWCONV2D || n->op == NN_MATMUL)
			g->params += (int64_t)n->count + (n->bias ? n->out_c : 0) +
				     (n->prelu ? n->out_c : 0);
	}
out:
	free(indeg);
	free(need);
	free(stack);
	return st;
}
