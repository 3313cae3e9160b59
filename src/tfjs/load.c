/* Model loading: TF.js graph models (model.json) and face-api weights-only
 * manifests (topology in dlib_resnet.c). Both end as a validated nn graph. */
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eid/limits.h"
#include "eid/util.h"
#include "load.h"
#include "weights.h"

/* --- attribute helpers ------------------------------------------------------ */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes a short base64 string attribute into buf (NUL-terminated). */
static int b64_decode(const char *in, char *buf, size_t cap)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (; *in && *in != '='; in++) {
		int v = b64val((unsigned char)*in);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= cap)
				return -1;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = 0;
	return 0;
}

static json_t *attr(json_t *node, const char *name)
{
	return json_object_get(json_object_get(node, "attr"), name);
}

/* string attribute (base64 in GraphDef JSON) */
static int attr_str(json_t *node, const char *name, char *buf, size_t cap)
{
	const char *s = json_string_value(json_object_get(attr(node, name), "s"));
	buf[0] = 0;
	return s ? b64_decode(s, buf, cap) : -1;
}

static int json_int(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return -1;
	char *end;
	long long x = strtoll(s, &end, 10);
	if (*end)
		return -1;
	*out = x;
	return 0;
}

/* list(int) attribute into out[max]: the count, -1 if absent, -2 if malformed */
static int attr_ints(json_t *node, const char *name, int64_t *out, int max)
{
	json_t *a = attr(node, name);
	if (!a)
		return -1;
	json_t *l = json_object_get(json_object_get(a, "list"), "i");
	if (!json_is_array(l))
		return json_object_get(a, "list") ? 0 : -2;
	int n = (int)json_array_size(l);
	if (n > max)
		return -2;
	for (int i = 0; i < n; i++)
		if (json_int(json_array_get(l, i), &out[i]) != 0)
			return -2;
	return n;
}

static int attr_bool(json_t *node, const char *name)
{
	return json_is_true(json_object_get(attr(node, name), "b"));
}

/* --- node conversion -------------------------------------------------------- */

typedef struct loader {
	json_t *nodes;
	int nnodes;
	const char **names; /* sorted node names for lookup */
	int *name_idx;
	nn_graph *g;
	tfjs_weights ws;
	int *gid; /* json node index -> graph node */
} loader;

/* qsort_r comparator: node indices by name (no global state: loads may run
 * on several threads at once) */
static int cmp_idx(const void *a, const void *b, void *names)
{
	const char *const *n = names;
	return strcmp(n[*(const int *)a], n[*(const int *)b]);
}

static int find_node(const loader *L, const char *name)
{
	int lo = 0, hi = L->nnodes - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(L->names[L->name_idx[mid]], name);
		if (c == 0)
			return L->name_idx[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Resolves an input reference "name", "name:0"; control inputs "^x" return -2. */
static eid_status resolve_input(const loader *L, const char *node_name, const char *ref, int *out,
				eid_err *err)
{
	if (ref[0] == '^') {
		*out = -2;
		return EID_OK;
	}
	char name[1024];
	snprintf(name, sizeof(name), "%s", ref);
	char *colon = strrchr(name, ':');
	if (colon) {
		if (strcmp(colon, ":0") != 0)
			return eid_fail(err, EID_E_UNSUPPORTED,
					"node '%s': input '%s' uses a second output (only :0 is supported)",
					node_name, ref);
		*colon = 0;
	}
	int j = find_node(L, name);
	if (j < 0)
		return eid_fail(err, EID_E_FORMAT, "node '%s': input '%s' does not exist", node_name, ref);
	*out = j;
	return EID_OK;
}

static eid_status get_padding(json_t *jn, const char *name, nn_node *n, eid_err *err)
{
	char pad[32], fmt[16];
	if (attr_str(jn, "data_format", fmt, sizeof(fmt)) == 0 && strcmp(fmt, "NHWC") != 0)
		return eid_fail(err, EID_E_UNSUPPORTED, "node '%s': data_format '%s' (only NHWC)", name,
				fmt);
	if (attr_str(jn, "padding", pad, sizeof(pad)) != 0)
		return eid_fail(err, EID_E_FORMAT, "node '%s': missing padding", name);
	if (strcmp(pad, "SAME") == 0) {
		n->padding = NN_PAD_SAME;
	} else if (strcmp(pad, "VALID") == 0) {
		n->padding = NN_PAD_VALID;
	} else if (strcmp(pad, "EXPLICIT") == 0) {
		int64_t p[8];
		if (attr_ints(jn, "explicit_paddings", p, 8) != 8)
			return eid_fail(err, EID_E_FORMAT, "node '%s': explicit_paddings needs 8 values",
					name);
		for (int i = 0; i < 4; i++) {
			if (p[2 + i] < 0 || p[2 + i] > 4096)
				return eid_fail(err, EID_E_FORMAT, "node '%s': padding %lld out of range",
						name, (long long)p[2 + i]);
			n->pads[i] = (int)p[2 + i];
		}
		n->padding = NN_PAD_EXPLICIT;
	} else {
		return eid_fail(err, EID_E_UNSUPPORTED, "node '%s': padding '%s'", name, pad);
	}
	int64_t v[4];
	int k = attr_ints(jn, "strides", v, 4);
	if (k == 4) {
		if (v[1] < 1 || v[2] < 1 || v[1] > 64 || v[2] > 64)
			return eid_fail(err, EID_E_FORMAT, "node '%s': bad strides", name);
		n->stride[0] = (int)v[1];
		n->stride[1] = (int)v[2];
	} else if (k != -1 && k != 0) {
		return eid_fail(err, EID_E_FORMAT, "node '%s': strides need 4 values", name);
	}
	k = attr_ints(jn, "dilations", v, 4);
	if (k != -1 && k != 0 && k != 4)
		return eid_fail(err, EID_E_FORMAT, "node '%s': dilations need 4 values", name);
	if (k == 4) {
		if (v[1] < 1 || v[2] < 1 || v[1] > 64 || v[2] > 64)
			return eid_fail(err, EID_E_FORMAT, "node '%s': bad dilations", name);
		n->dilation[0] = (int)v[1];
		n->dilation[1] = (int)v[2];
	}
	return EID_OK;
}

/* The constant float weight behind json node j (for filters, biases). */
static const nn_node *const_input(const loader *L, int j)
{
	const nn_node *c = &L->g->nodes[L->gid[j]];
	return c->op == NN_CONST && !c->is_int ? c : NULL;
}

/* Filter [kh,kw,ci,co] (HWIO) into the node as OHWI (conv) or HWC (depthwise). */
static eid_status set_filter(nn_node *n, const nn_node *f, int depthwise, eid_err *err)
{
	if (f->shape.rank != 4)
		return eid_fail(err, EID_E_FORMAT, "node '%s': filter '%s' has rank %d, needs 4",
				n->name, f->name, f->shape.rank);
	const int64_t kh = f->shape.d[0], kw = f->shape.d[1], ci = f->shape.d[2], co = f->shape.d[3];
	if (kh < 1 || kw < 1 || ci < 1 || co < 1 || kh > 64 || kw > 64 || ci > 65536 || co > 65536)
		return eid_fail(err, EID_E_FORMAT, "node '%s': filter '%s' has a bad shape", n->name,
				f->name);
	n->ksize[0] = (int)kh;
	n->ksize[1] = (int)kw;
	n->in_c = (int)ci;
	n->out_c = (int)(depthwise ? ci * co : co);
	n->count = f->count;
	n->data = malloc(f->count * sizeof(float));
	if (!n->data)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	if (depthwise) {
		memcpy(n->data, f->data, f->count * sizeof(float));
		return EID_OK;
	}
	for (int64_t y = 0; y < kh; y++)
		for (int64_t x = 0; x < kw; x++)
			for (int64_t i = 0; i < ci; i++)
				for (int64_t o = 0; o < co; o++)
					n->data[((o * kh + y) * kw + x) * ci + i] =
						f->data[((y * kw + x) * ci + i) * co + o];
	return EID_OK;
}

static eid_status set_vector(nn_node *n, const nn_node *c, float **dst, const char *what,
			     eid_err *err)
{
	if (!c || (c->count != (size_t)n->out_c && c->count != 1))
		return eid_fail(err, EID_E_FORMAT, "node '%s': %s must be a constant of %d values",
				n->name, what, n->out_c);
	if (*dst)
		return eid_fail(err, EID_E_FORMAT, "node '%s': %s appears twice in fused_ops", n->name,
				what);
	*dst = malloc((size_t)n->out_c * sizeof(float));
	if (!*dst)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	for (int i = 0; i < n->out_c; i++)
		(*dst)[i] = c->data[c->count == 1 ? 0 : i];
	return EID_OK;
}

/* fused_ops of _FusedConv2D / _FusedMatMul: BiasAdd, then Relu, Relu6 or Prelu */
static eid_status set_fused(const loader *L, json_t *jn, nn_node *n, const int *in, int nin,
			    eid_err *err)
{
	json_t *l = json_object_get(json_object_get(attr(jn, "fused_ops"), "list"), "s");
	size_t nops = json_array_size(l);
	int argi = 2;
	for (size_t k = 0; k < nops; k++) {
		char op[32];
		const char *s = json_string_value(json_array_get(l, k));
		if (!s || b64_decode(s, op, sizeof(op)) != 0)
			return eid_fail(err, EID_E_FORMAT, "node '%s': bad fused_ops", n->name);
		if (strcmp(op, "BiasAdd") == 0 || strcmp(op, "Prelu") == 0) {
			if (argi >= nin)
				return eid_fail(err, EID_E_FORMAT, "node '%s': %s has no argument",
						n->name, op);
			eid_status st = set_vector(n, const_input(L, in[argi]),
						   op[0] == 'B' ? &n->bias : &n->prelu, op, err);
			if (st)
				return st;
			argi++;
		} else if (strcmp(op, "Relu") == 0) {
			n->clamp_min = 0;
		} else if (strcmp(op, "Relu6") == 0) {
			n->clamp_min = 0;
			n->clamp_max = 6;
		} else {
			return eid_fail(err, EID_E_UNSUPPORTED, "node '%s': fused op '%s'", n->name, op);
		}
	}
	return EID_OK;
}

/* TF op name -> our op, for ops that map one to one */
static const struct {
	const char *tf;
	nn_op op;
} simple_ops[] = {
	{"Add", NN_ADD},         {"AddV2", NN_ADD},           {"Mul", NN_MUL},
	{"Minimum", NN_MINIMUM}, {"Maximum", NN_MAXIMUM},     {"Relu", NN_RELU},
	{"Sigmoid", NN_SIGMOID}, {"Softmax", NN_SOFTMAX},     {"Prelu", NN_PRELU},
	{"Pad", NN_PAD},         {"Reshape", NN_RESHAPE},     {"Identity", NN_IDENTITY},
	{"Mean", NN_MEAN},       {"MaxPool", NN_MAXPOOL},     {"AvgPool", NN_AVGPOOL},
	{"Conv2D", NN_CONV2D},   {"_FusedConv2D", NN_CONV2D}, {"DepthwiseConv2dNative", NN_DWCONV2D},
	{"MatMul", NN_MATMUL},   {"_FusedMatMul", NN_MATMUL}, {"Placeholder", NN_INPUT},
	{"Const", NN_CONST},
};

static eid_status convert_node(loader *L, int j, eid_err *err)
{
	json_t *jn = json_array_get(L->nodes, (size_t)j);
	const char *name = L->names[j];
	const char *tf = json_string_value(json_object_get(jn, "op"));
	if (!tf)
		return eid_fail(err, EID_E_FORMAT, "node '%s' has no op", name);
	nn_op op = NN_OP_COUNT;
	for (size_t k = 0; k < sizeof(simple_ops) / sizeof(simple_ops[0]); k++)
		if (strcmp(simple_ops[k].tf, tf) == 0)
			op = simple_ops[k].op;
	if (op == NN_OP_COUNT)
		return eid_fail(err, EID_E_UNSUPPORTED, "node '%s': unknown op '%s'", name, tf);
	nn_graph_count_src_op(L->g, tf);

	int gi = nn_graph_add(L->g, op, name);
	if (gi < 0)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	L->gid[j] = gi;
	nn_node *n = &L->g->nodes[gi];

	json_t *inputs = json_object_get(jn, "input");
	int in[8], nin = 0;
	for (size_t k = 0; k < json_array_size(inputs); k++) {
		const char *ref = json_string_value(json_array_get(inputs, k));
		if (!ref)
			return eid_fail(err, EID_E_FORMAT, "node '%s': input %zu is not a string", name, k);
		int r;
		eid_status st = resolve_input(L, name, ref, &r, err);
		if (st)
			return st;
		if (r == -2)
			continue;
		if (nin == 8)
			return eid_fail(err, EID_E_FORMAT, "node '%s': too many inputs", name);
		if (L->gid[r] < 0)
			return eid_fail(err, EID_E_FORMAT, "node '%s': input '%s' is not defined before it",
					name, ref);
		in[nin++] = r;
	}

	switch (op) {
	case NN_CONST: {
		tfjs_weight *w = tfjs_weights_find(&L->ws, name);
		if (!w)
			return eid_fail(err, EID_E_FORMAT, "constant '%s' has no weights in the manifest",
					name);
		nn_shape decl;
		size_t dcount;
		json_t *dimarr = json_object_get(json_object_get(json_object_get(attr(jn, "value"),
										 "tensor"),
							 "tensorShape"),
						 "dim");
		if (json_is_array(dimarr)) {
			json_t *sizes = json_array();
			for (size_t k = 0; k < json_array_size(dimarr); k++) {
				int64_t v;
				if (json_int(json_object_get(json_array_get(dimarr, k), "size"), &v) != 0)
					v = -1;
				json_array_append_new(sizes, json_integer(v));
			}
			eid_status st = tfjs_shape_from_json(sizes, &decl, &dcount, name, err);
			json_decref(sizes);
			if (st)
				return st;
			if (dcount != w->count)
				return eid_fail(err, EID_E_FORMAT,
						"constant '%s': node shape has %zu values, manifest %zu",
						name, dcount, w->count);
		}
		n->shape = w->shape;
		n->count = w->count;
		n->is_int = w->i != NULL;
		n->data = w->f; /* ownership moves to the graph */
		n->ivals = w->i;
		w->f = NULL;
		w->i = NULL;
		break;
	}
	case NN_INPUT: {
		if (L->g->input >= 0)
			return eid_fail(err, EID_E_UNSUPPORTED, "model has several inputs ('%s')", name);
		L->g->input = gi;
		json_t *dims = json_object_get(json_object_get(attr(jn, "shape"), "shape"), "dim");
		if (!json_is_array(dims) || json_array_size(dims) > NN_MAX_RANK)
			return eid_fail(err, EID_E_FORMAT, "input '%s' has no usable shape", name);
		n->shape.rank = (int)json_array_size(dims);
		for (int k = 0; k < n->shape.rank; k++) {
			int64_t v;
			if (json_int(json_object_get(json_array_get(dims, (size_t)k), "size"), &v) != 0 ||
			    v == 0)
				return eid_fail(err, EID_E_FORMAT, "input '%s': bad dimension %d", name, k);
			n->shape.d[k] = v < 0 ? -1 : v;
		}
		break;
	}
	case NN_CONV2D:
	case NN_DWCONV2D: {
		if (nin < 2)
			return eid_fail(err, EID_E_FORMAT, "node '%s' (%s) needs a filter", name, tf);
		const nn_node *f = const_input(L, in[1]);
		if (!f)
			return eid_fail(err, EID_E_UNSUPPORTED, "node '%s': filter is not a constant", name);
		eid_status st = get_padding(jn, name, n, err);
		if (!st)
			st = set_filter(n, f, op == NN_DWCONV2D, err);
		if (!st && strcmp(tf, "_FusedConv2D") == 0)
			st = set_fused(L, jn, n, in, nin, err);
		if (st)
			return st;
		nin = 1;
		break;
	}
	case NN_MATMUL: {
		if (nin < 2)
			return eid_fail(err, EID_E_FORMAT, "node '%s' (%s) needs weights", name, tf);
		const nn_node *w = const_input(L, in[1]);
		if (!w || w->shape.rank != 2 || attr_bool(jn, "transpose_a"))
			return eid_fail(err, EID_E_UNSUPPORTED,
					"node '%s': only x*W with a constant 2-d W is supported", name);
		int tb = attr_bool(jn, "transpose_b");
		int64_t K = w->shape.d[tb ? 1 : 0], N = w->shape.d[tb ? 0 : 1];
		n->in_c = (int)K;
		n->out_c = (int)N;
		n->count = w->count;
		n->data = malloc((w->count ? w->count : 1) * sizeof(float));
		if (!n->data)
			return eid_fail(err, EID_E_NOMEM, "out of memory");
		for (int64_t k = 0; k < K; k++)
			for (int64_t o = 0; o < N; o++)
				n->data[k * N + o] = w->data[tb ? o * K + k : k * N + o];
		if (strcmp(tf, "_FusedMatMul") == 0) {
			eid_status st = set_fused(L, jn, n, in, nin, err);
			if (st)
				return st;
		}
		nin = 1;
		break;
	}
	case NN_MAXPOOL:
	case NN_AVGPOOL: {
		eid_status st = get_padding(jn, name, n, err);
		if (st)
			return st;
		int64_t k[4];
		if (attr_ints(jn, "ksize", k, 4) != 4 || k[1] < 1 || k[2] < 1 || k[1] > 64 || k[2] > 64)
			return eid_fail(err, EID_E_FORMAT, "node '%s': bad ksize", name);
		n->ksize[0] = (int)k[1];
		n->ksize[1] = (int)k[2];
		break;
	}
	case NN_MEAN:
		n->keep_dims = attr_bool(jn, "keep_dims");
		break;
	default:
		break;
	}
	if (op != NN_CONST && op != NN_INPUT && nin == 0)
		return eid_fail(err, EID_E_FORMAT, "node '%s' (%s) has no inputs", name, tf);
	if (nin > NN_MAX_INPUTS)
		return eid_fail(err, EID_E_FORMAT, "node '%s' (%s) has %d inputs", name, tf, nin);
	n->nin = nin;
	for (int k = 0; k < nin; k++)
		n->in[k] = L->gid[in[k]];
	return EID_OK;
}

/* Converts nodes in dependency order (GraphDef JSON need not be sorted). */
static eid_status convert_all(loader *L, eid_err *err)
{
	int *state = calloc((size_t)L->nnodes, sizeof(int)); /* 0 new, 1 on stack, 2 done */
	int *stack = malloc((size_t)L->nnodes * 2 * sizeof(int));
	eid_status st = EID_OK;
	if (!state || !stack) {
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
		goto out;
	}
	for (int root = 0; root < L->nnodes && !st; root++) {
		if (state[root])
			continue;
		int sp = 0;
		stack[sp++] = root;
		while (sp && !st) {
			int j = stack[sp - 1];
			if (state[j] == 2) {
				sp--;
				continue;
			}
			state[j] = 1;
			json_t *inputs = json_object_get(json_array_get(L->nodes, (size_t)j), "input");
			int pushed = 0;
			for (size_t k = 0; k < json_array_size(inputs); k++) {
				const char *ref = json_string_value(json_array_get(inputs, k));
				int r;
				if (!ref) {
					st = eid_fail(err, EID_E_FORMAT, "node '%s': bad input", L->names[j]);
					break;
				}
				st = resolve_input(L, L->names[j], ref, &r, err);
				if (st)
					break;
				if (r < 0 || state[r] == 2)
					continue;
				if (state[r] == 1) {
					st = eid_fail(err, EID_E_FORMAT, "graph has a cycle at node '%s'",
						      L->names[r]);
					break;
				}
				if (sp >= L->nnodes * 2) {
					st = eid_fail(err, EID_E_FORMAT, "graph too deep");
					break;
				}
				stack[sp++] = r;
				pushed = 1;
			}
			if (st || pushed)
				continue;
			st = convert_node(L, j, err);
			state[j] = 2;
			sp--;
		}
	}
out:
	free(state);
	free(stack);
	return st;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static eid_status add_output(loader *L, const char *ref, const char *label, eid_err *err)
{
	if (L->g->noutputs >= 16)
		return eid_fail(err, EID_E_LIMIT, "more than 16 outputs");
	int j;
	eid_status st = resolve_input(L, "(outputs)", ref, &j, err);
	if (st)
		return st;
	if (j < 0)
		return eid_fail(err, EID_E_FORMAT, "bad output '%s'", ref);
	L->g->outputs[L->g->noutputs] = L->gid[j];
	L->g->output_names[L->g->noutputs] = strdup(label);
	if (!L->g->output_names[L->g->noutputs])
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	L->g->noutputs++;
	return EID_OK;
}

static eid_status load_graph_model(json_t *root, const char *dir, eid_model *m, eid_err *err)
{
	loader L;
	memset(&L, 0, sizeof(L));
	L.g = &m->g;
	L.nodes = json_object_get(json_object_get(root, "modelTopology"), "node");
	if (!json_is_array(L.nodes))
		return eid_fail(err, EID_E_FORMAT, "modelTopology has no 'node' array");
	if (json_array_size(L.nodes) > eid_limit(EID_LIMIT_MODEL_NODES))
		return eid_fail(err, EID_E_LIMIT, "%zu nodes (max %llu)", json_array_size(L.nodes),
				(unsigned long long)eid_limit(EID_LIMIT_MODEL_NODES));
	L.nnodes = (int)json_array_size(L.nodes);
	eid_status st = tfjs_weights_load(json_object_get(root, "weightsManifest"), dir, &L.ws, err);
	if (st)
		return st;
	L.names = calloc((size_t)L.nnodes + 1, sizeof(char *));
	L.name_idx = calloc((size_t)L.nnodes + 1, sizeof(int));
	L.gid = malloc(((size_t)L.nnodes + 1) * sizeof(int));
	const char **sinks = calloc((size_t)L.nnodes + 1, sizeof(char *));
	char *consumed = calloc((size_t)L.nnodes + 1, 1);
	if (!L.names || !L.name_idx || !L.gid || !sinks || !consumed) {
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
		goto out;
	}
	for (int j = 0; j < L.nnodes; j++) {
		json_t *jn = json_array_get(L.nodes, (size_t)j);
		L.names[j] = json_string_value(json_object_get(jn, "name"));
		if (!L.names[j] || !*L.names[j]) {
			st = eid_fail(err, EID_E_FORMAT, "node %d has no name", j);
			goto out;
		}
		L.name_idx[j] = j;
		L.gid[j] = -1;
	}
	qsort_r(L.name_idx, (size_t)L.nnodes, sizeof(int), cmp_idx, (void *)L.names);
	for (int k = 1; k < L.nnodes; k++)
		if (strcmp(L.names[L.name_idx[k]], L.names[L.name_idx[k - 1]]) == 0) {
			st = eid_fail(err, EID_E_FORMAT, "two nodes are named '%s'",
				      L.names[L.name_idx[k]]);
			goto out;
		}
	st = convert_all(&L, err);
	if (st)
		goto out;

	/* outputs: the signature's, else every node nobody consumes, by name */
	json_t *sig = json_object_get(json_object_get(root, "signature"), "outputs");
	if (json_is_object(sig) && json_object_size(sig) > 0) {
		const char *key;
		json_t *val;
		json_object_foreach(sig, key, val)
		{
			const char *ref = json_string_value(json_object_get(val, "name"));
			if (!ref) {
				st = eid_fail(err, EID_E_FORMAT, "signature output '%s' has no name", key);
				goto out;
			}
			if ((st = add_output(&L, ref, ref, err)))
				goto out;
		}
	} else {
		for (int j = 0; j < L.nnodes; j++) {
			json_t *inputs = json_object_get(json_array_get(L.nodes, (size_t)j), "input");
			for (size_t k = 0; k < json_array_size(inputs); k++) {
				int r;
				if (resolve_input(&L, "", json_string_value(json_array_get(inputs, k)), &r,
						  NULL) == EID_OK &&
				    r >= 0)
					consumed[r] = 1;
			}
		}
		int ns = 0;
		for (int j = 0; j < L.nnodes; j++)
			if (!consumed[j] && L.g->nodes[L.gid[j]].op != NN_CONST)
				sinks[ns++] = L.names[j];
		qsort(sinks, (size_t)ns, sizeof(char *), cmp_str);
		for (int k = 0; k < ns; k++)
			if ((st = add_output(&L, sinks[k], sinks[k], err)))
				goto out;
	}
	st = nn_graph_finish(L.g, err);
out:
	tfjs_weights_release(&L.ws);
	free(L.names);
	free(L.name_idx);
	free(L.gid);
	free(sinks);
	free(consumed);
	return st;
}

eid_status eid_model_load(const char *path, eid_model **model_out, eid_err *err)
{
	*model_out = NULL;
	uint8_t *text;
	size_t len;
	eid_status st = eid_file_read(path, eid_limit(EID_LIMIT_MODEL_JSON_BYTES), &text, &len, err);
	if (st) {
		eid_err_prefix(err, "cannot load model");
		return st;
	}
	json_error_t jerr;
	json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!root)
		return eid_fail(err, EID_E_FORMAT, "cannot load model '%s': invalid JSON at line %d: %s",
				path, jerr.line, jerr.text);
	char *dcopy = strdup(path);
	if (!dcopy) {
		json_decref(root);
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	}
	const char *dir = dirname(dcopy);
	const int graph = json_is_object(root) && json_object_get(root, "modelTopology");
	eid_model *m = nn_model_new(path, graph ? "tfjs-graph" : "faceapi-dlib");
	if (!m) {
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	} else if (graph) {
		st = load_graph_model(root, dir, m, err);
	} else if (json_is_array(root)) {
		st = tfjs_load_dlib_resnet(root, dir, m, err);
	} else {
		st = eid_fail(err, EID_E_FORMAT,
			      "neither a graph model (no 'modelTopology') nor a weights manifest");
	}
	json_decref(root);
	free(dcopy);
	if (st) {
		eid_err_prefix(err, "cannot load model '%s'", path);
		eid_model_free(m);
		return st;
	}
	*model_out = m;
	return EID_OK;
}
