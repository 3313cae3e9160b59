/* nn/session.h — a session's state, shared by the files that plan and run it:
 * session.c (lifecycle, planning, execution), infer.c (shape inference) and
 * fuse.c (the fast backend's fused blocks and chains). Internal to src/nn. */
#ifndef EID_NN_SESSION_H
#define EID_NN_SESSION_H

#include <pthreadpool.h>

#include "kernels_block.h"
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

/* Output shape of node idx from its inputs' planned shapes; records PAD
 * paddings and MEAN axes in the session. Errors name the node. */
EID_MUST_CHECK eid_status nn_infer_shape(eid_session *s, int idx, nn_shape *out, eid_err *err);

/* Fast backend, once node ai (an Add) is planned: takes over a depthwise ->
 * 1x1 -> Add run as one fused block when nothing else reads the convs. */
EID_MUST_CHECK eid_status nn_fuse_block(eid_session *s, int ai, eid_err *err);
/* After planning: links fused blocks into line-buffer chains. */
EID_MUST_CHECK eid_status nn_fuse_chains(eid_session *s, eid_err *err);

#endif
