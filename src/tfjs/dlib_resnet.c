/* face-api's port of dlib's ResNet-34 face descriptor (150x150 RGB -> 128-d),
 * built from its weights-only manifest. The topology is fixed here, op by op
 * as in REFERENCE-PIPELINE.md section 4:
 *
 *   x = (chip - mean) / 255   (folded into the first conv)
 *   conv32_down 7x7/2 valid + ReLU -> maxpool 3x3/2 valid
 *   residual x3 (conv32_1..3) -> residualDown conv64_down -> residual x3
 *   -> residualDown conv128_down -> residual x2 -> residualDown conv256_down
 *   -> residual x2 -> residualDown conv256_down_out -> mean(H,W) -> x * fc
 *
 * Each conv is conv2d + bias followed by a per-channel affine "scale" layer;
 * both fold into the filter and bias here (w*s, b*s + t), which changes only
 * float rounding. */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "weights.h"

typedef struct builder {
	nn_graph *g;
	tfjs_weights ws;
	int64_t h, w, c; /* current spatial size and channels */
	eid_err *err;
} builder;

static int add_int_const(builder *B, const char *name, const int64_t *vals, int rows, int cols)
{
	int i = nn_graph_add(B->g, NN_CONST, name);
	if (i < 0)
		return -1;
	nn_node *n = &B->g->nodes[i];
	n->is_int = 1;
	n->count = (size_t)(rows * cols);
	n->shape.rank = cols > 1 ? 2 : 1;
	n->shape.d[0] = rows;
	n->shape.d[1] = cols;
	n->ivals = malloc(n->count * sizeof(int64_t));
	if (!n->ivals)
		return -1;
	memcpy(n->ivals, vals, n->count * sizeof(int64_t));
	return i;
}

static int add_unary(builder *B, nn_op op, const char *name, int x)
{
	int i = nn_graph_add(B->g, op, name);
	if (i < 0)
		return -1;
	B->g->nodes[i].nin = 1;
	B->g->nodes[i].in[0] = x;
	return i;
}

static int add_binary(builder *B, nn_op op, const char *name, int a, int b)
{
	int i = add_unary(B, op, name, a);
	if (i < 0)
		return -1;
	B->g->nodes[i].nin = 2;
	B->g->nodes[i].in[1] = b;
	return i;
}

static tfjs_weight *need(builder *B, const char *prefix, const char *suffix, int rank,
			 const int64_t *dims)
{
	char name[128];
	snprintf(name, sizeof(name), "%s/%s", prefix, suffix);
	tfjs_weight *w = tfjs_weights_find(&B->ws, name);
	if (!w || !w->f) {
		eid_fail(B->err, EID_E_FORMAT, "weight '%s' is missing", name);
		return NULL;
	}
	int ok = w->shape.rank == rank;
	for (int i = 0; ok && i < rank; i++)
		ok = dims[i] < 0 || w->shape.d[i] == dims[i];
	if (!ok) {
		eid_fail(B->err, EID_E_FORMAT, "weight '%s' has an unexpected shape", name);
		return NULL;
	}
	return w;
}

/* conv(x) + bias, then the scale layer; k x k, stride s, SAME or VALID */
static int conv(builder *B, int x, const char *prefix, int k, int stride, nn_padding pad,
		int relu, int64_t out_c)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/conv", prefix);
	int64_t fd[4] = {k, k, B->c, out_c}, vd[1] = {out_c};
	tfjs_weight *f = need(B, p, "filters", 4, fd), *b = need(B, p, "bias", 1, vd);
	snprintf(p, sizeof(p), "%s/scale", prefix);
	tfjs_weight *sw = f && b ? need(B, p, "weights", 1, vd) : NULL;
	tfjs_weight *sb = sw ? need(B, p, "biases", 1, vd) : NULL;
	if (!sb)
		return -1;
	int i = add_unary(B, NN_CONV2D, prefix, x);
	if (i < 0)
		return -1;
	nn_node *n = &B->g->nodes[i];
	n->ksize[0] = n->ksize[1] = k;
	n->stride[0] = n->stride[1] = stride;
	n->padding = pad;
	n->in_c = (int)B->c;
	n->out_c = (int)out_c;
	n->count = f->count;
	n->data = malloc(f->count * sizeof(float));
	n->bias = malloc((size_t)out_c * sizeof(float));
	if (!n->data || !n->bias)
		return -1;
	/* HWIO -> OHWI with the scale folded in */
	for (int y = 0; y < k; y++)
		for (int xx = 0; xx < k; xx++)
			for (int64_t ci = 0; ci < B->c; ci++)
				for (int64_t o = 0; o < out_c; o++)
					n->data[((o * k + y) * k + xx) * B->c + ci] =
						f->f[((y * k + xx) * B->c + ci) * out_c + o] * sw->f[o];
	for (int64_t o = 0; o < out_c; o++)
		n->bias[o] = b->f[o] * sw->f[o] + sb->f[o];
	if (relu)
		n->clamp_min = 0;
	if (pad == NN_PAD_VALID) {
		B->h = (B->h - k) / stride + 1;
		B->w = (B->w - k) / stride + 1;
	} else {
		B->h = (B->h + stride - 1) / stride;
		B->w = (B->w + stride - 1) / stride;
	}
	B->c = out_c;
	return i;
}

static int relu_add(builder *B, const char *name, int a, int b)
{
	int i = add_binary(B, NN_ADD, name, a, b);
	if (i >= 0)
		B->g->nodes[i].clamp_min = 0;
	return i;
}

static int residual(builder *B, int x, const char *prefix)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/conv1", prefix);
	int a = conv(B, x, p, 3, 1, NN_PAD_SAME, 1, B->c);
	snprintf(p, sizeof(p), "%s/conv2", prefix);
	int o = a < 0 ? -1 : conv(B, a, p, 3, 1, NN_PAD_SAME, 0, B->c);
	return o < 0 ? -1 : relu_add(B, prefix, o, x);
}

static int residual_down(builder *B, int x, const char *prefix, int64_t out_c)
{
	char p[128];
	const int64_t in_h = B->h, in_w = B->w, in_c = B->c;
	snprintf(p, sizeof(p), "%s/conv1", prefix);
	int a = conv(B, x, p, 3, 2, NN_PAD_VALID, 1, out_c);
	snprintf(p, sizeof(p), "%s/conv2", prefix);
	int o = a < 0 ? -1 : conv(B, a, p, 3, 1, NN_PAD_SAME, 0, out_c);
	if (o < 0)
		return -1;
	/* shortcut: 2x2/2 average pool, channels zero-padded at the end */
	snprintf(p, sizeof(p), "%s/shortcut", prefix);
	int sc = add_unary(B, NN_AVGPOOL, p, x);
	if (sc < 0)
		return -1;
	nn_node *pool = &B->g->nodes[sc];
	pool->ksize[0] = pool->ksize[1] = 2;
	pool->stride[0] = pool->stride[1] = 2;
	pool->padding = NN_PAD_VALID;
	const int64_t sh = (in_h - 2) / 2 + 1, sw = (in_w - 2) / 2 + 1;
	if (out_c > in_c) {
		int64_t pads[8] = {0, 0, 0, 0, 0, 0, 0, out_c - in_c};
		snprintf(p, sizeof(p), "%s/shortcut_pad_c", prefix);
		int pc = add_int_const(B, p, pads, 4, 2);
		sc = pc < 0 ? -1 : add_binary(B, NN_PAD, p, sc, pc);
	}
	/* the conv path is smaller when the input is odd: zero-pad bottom/right */
	if (sc >= 0 && (B->h < sh || B->w < sw)) {
		int64_t pads[8] = {0, 0, 0, sh - B->h, 0, sw - B->w, 0, 0};
		snprintf(p, sizeof(p), "%s/pad_hw", prefix);
		int pc = add_int_const(B, p, pads, 4, 2);
		o = pc < 0 ? -1 : add_binary(B, NN_PAD, p, o, pc);
		B->h = sh;
		B->w = sw;
	}
	return sc < 0 || o < 0 ? -1 : relu_add(B, prefix, o, sc);
}

eid_status tfjs_load_dlib_resnet(json_t *manifest, const char *dir, eid_model *m, eid_err *err)
{
	eid_err local;
	if (!err)
		err = &local;
	builder B = {.g = &m->g, .h = 150, .w = 150, .c = 3, .err = err};
	eid_status st = tfjs_weights_load(manifest, dir, &B.ws, err);
	if (st)
		return st;
	if (!tfjs_weights_find(&B.ws, "conv32_down/conv/filters")) {
		tfjs_weights_release(&B.ws);
		return eid_fail(err, EID_E_UNSUPPORTED,
				"weights manifest is not face-api's face_recognition_model");
	}
	nn_graph *g = B.g;
	err->msg[0] = 0;
	int x = nn_graph_add(g, NN_INPUT, "input");
	if (x >= 0) {
		g->input = x;
		g->nodes[x].shape = (nn_shape){4, {-1, 150, 150, 3}}; /* any batch */
	}
	x = x < 0 ? -1 : conv(&B, x, "conv32_down", 7, 2, NN_PAD_VALID, 1, 32);
	if (x >= 0) {
		/* (chip - mean) / 255 folds exactly into this VALID conv (no tap ever
		 * reads padding): w' = w/255, b' = b - sum(w' * mean) */
		static const float mean[3] = {122.782f, 117.001f, 104.298f};
		nn_node *n = &g->nodes[x];
		const size_t per_o = n->count / 32;
		for (int o = 0; o < 32; o++) {
			double shift = 0;
			for (size_t i = 0; i < per_o; i++) {
				float *w = &n->data[(size_t)o * per_o + i];
				*w /= 255.0f;
				shift += (double)*w * mean[i % 3];
			}
			n->bias[o] -= (float)shift;
		}
	}
	if (x >= 0) {
		x = add_unary(&B, NN_MAXPOOL, "max_pool", x);
		if (x >= 0) {
			nn_node *p = &g->nodes[x];
			p->ksize[0] = p->ksize[1] = 3;
			p->stride[0] = p->stride[1] = 2;
			p->padding = NN_PAD_VALID;
			B.h = (B.h - 3) / 2 + 1;
			B.w = (B.w - 3) / 2 + 1;
		}
	}
	static const struct {
		const char *name;
		int down;
		int64_t c;
	} blocks[] = {
		{"conv32_1", 0, 32},	  {"conv32_2", 0, 32},	   {"conv32_3", 0, 32},
		{"conv64_down", 1, 64},	  {"conv64_1", 0, 64},	   {"conv64_2", 0, 64},
		{"conv64_3", 0, 64},	  {"conv128_down", 1, 128}, {"conv128_1", 0, 128},
		{"conv128_2", 0, 128},	  {"conv256_down", 1, 256}, {"conv256_1", 0, 256},
		{"conv256_2", 0, 256},	  {"conv256_down_out", 1, 256},
	};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]) && x >= 0; i++)
		x = blocks[i].down ? residual_down(&B, x, blocks[i].name, blocks[i].c)
				   : residual(&B, x, blocks[i].name);
	if (x >= 0) {
		int64_t axes[2] = {1, 2};
		int ac = add_int_const(&B, "mean_axes", axes, 2, 1);
		x = ac < 0 ? -1 : add_binary(&B, NN_MEAN, "global_mean", x, ac);
	}
	if (x >= 0) {
		int64_t fd[2] = {256, 128};
		tfjs_weight *fc = tfjs_weights_find(&B.ws, "fc");
		if (!fc || !fc->f || fc->shape.rank != 2 || fc->shape.d[0] != fd[0] ||
		    fc->shape.d[1] != fd[1]) {
			eid_fail(err, EID_E_FORMAT, "weight 'fc' is missing or not [256,128]");
			x = -1;
		} else {
			x = add_unary(&B, NN_MATMUL, "fc", x);
			if (x >= 0) {
				nn_node *n = &g->nodes[x];
				n->in_c = 256;
				n->out_c = 128;
				n->count = fc->count;
				n->data = fc->f;
				fc->f = NULL;
			}
		}
	}
	if (x >= 0) {
		g->outputs[0] = x;
		g->output_names[0] = strdup("descriptor");
		g->noutputs = g->output_names[0] ? 1 : 0;
	}
	tfjs_weights_release(&B.ws);
	if (x < 0 || g->noutputs == 0)
		return err->msg[0] ? EID_E_FORMAT : eid_fail(err, EID_E_NOMEM, "out of memory");
	return nn_graph_finish(g, err);
}
