/* nn/graph.h — the engine's internal graph: what loaders build and sessions run.
 *
 * A graph is a list of nodes; each node produces exactly one tensor. Constants
 * are nodes holding float data (int32 constants such as shapes and paddings are
 * kept as int64 in `ivals`). Loaders (src/tfjs) fill the graph through the
 * nn_graph_add_* helpers, then call nn_graph_finish(), which checks references,
 * sorts topologically and fuses per-channel scale/bias/clamp chains into
 * convolutions. After that the graph is immutable and shared by sessions.
 *
 * Layouts: activations NHWC f32. Conv filters are stored OHWI
 * [out_c, kh, kw, in_c]; depthwise filters HWC [kh, kw, c*mult]; matmul
 * weights [K, N] (TF layout, row-major).
 */
#ifndef EID_NN_GRAPH_H
#define EID_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

#define NN_MAX_RANK 6
#define NN_MAX_INPUTS 3

typedef struct nn_shape {
	int rank;
	int64_t d[NN_MAX_RANK];
} nn_shape;

/* Op table: enum name, display name. */
#define NN_OPS(X)                            \
	X(CONST, "Const")                    \
	X(INPUT, "Input")                    \
	X(CONV2D, "Conv2D")                  \
	X(DWCONV2D, "DepthwiseConv2D")       \
	X(MATMUL, "MatMul")                  \
	X(ADD, "Add")                        \
	X(MUL, "Mul")                        \
	X(MINIMUM, "Minimum")                \
	X(MAXIMUM, "Maximum")                \
	X(RELU, "Relu")                      \
	X(PRELU, "Prelu")                    \
	X(SIGMOID, "Sigmoid")                \
	X(SOFTMAX, "Softmax")                \
	X(MAXPOOL, "MaxPool")                \
	X(AVGPOOL, "AvgPool")                \
	X(PAD, "Pad")                        \
	X(RESHAPE, "Reshape")                \
	X(IDENTITY, "Identity")              \
	X(MEAN, "Mean")

typedef enum nn_op {
#define NN_OP_ENUM(e, s) NN_##e,
	NN_OPS(NN_OP_ENUM)
#undef NN_OP_ENUM
	NN_OP_COUNT
} nn_op;

const char *nn_op_name(nn_op op);

typedef enum nn_padding { NN_PAD_VALID, NN_PAD_SAME, NN_PAD_EXPLICIT } nn_padding;

typedef struct nn_node {
	nn_op op;
	char *name;           /* owned */
	int in[NN_MAX_INPUTS]; /* producing node indices */
	int nin;

	/* conv / pool */
	int stride[2], ksize[2], dilation[2];
	int in_c, out_c; /* filter channels (MATMUL: K, N) */
	nn_padding padding;
	int pads[4]; /* explicit: top, bottom, left, right */

	/* fused epilogue of CONV2D, DWCONV2D, MATMUL: y = clamp(prelu(acc + bias)) */
	float *bias;       /* [out_c] or NULL; owned */
	float *prelu;      /* [out_c] or NULL; owned (negative-side slopes) */
	float clamp_min, clamp_max;

	/* MEAN: reduce axes mask; RESHAPE: target in ivals */
	unsigned axes_mask;
	int keep_dims;

	/* constants and weights */
	nn_shape shape;  /* CONST: its shape; INPUT: declared shape (-1 = any) */
	float *data;     /* CONST float data, or CONV/DW/MATMUL weights; owned */
	int64_t *ivals;  /* CONST int data (shape, paddings, axes); owned */
	size_t count;    /* element count of data or ivals */
	int is_int;      /* CONST holds ivals */

	int dead;        /* folded into another node; not executed */
} nn_node;

typedef struct nn_graph {
	nn_node *nodes;
	int n, cap;
	int *order;  /* topological execution order of live, non-const nodes */
	int norder;
	int input;   /* node index of the single input */
	int outputs[16];
	char *output_names[16]; /* owned; name reported for each output */
	int noutputs;
	/* statistics reported by `model info` */
	int64_t params;
	int src_ops_count;
	struct {
		char name[48];
		int count;
	} src_ops[64]; /* op histogram of the source file */
} nn_graph;

void nn_graph_init(nn_graph *g);
void nn_graph_release(nn_graph *g);

/* Adds a node (zeroed apart from op and name) and returns its index, or -1 on
 * out-of-memory. The name is copied. */
int nn_graph_add(nn_graph *g, nn_op op, const char *name);
/* Counts one source-file op in the histogram. */
void nn_graph_count_src_op(nn_graph *g, const char *tf_op);

/* Checks every reference and shape it can, orders the nodes, fuses epilogues.
 * Errors name the node. */
EID_MUST_CHECK eid_status nn_graph_finish(nn_graph *g, eid_err *err);

size_t nn_shape_count(const nn_shape *s);

#endif
