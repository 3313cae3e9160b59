/* Tests of src/nn/kernels_fast.c against the reference kernels of
 * src/nn/kernels_ref.c (house style 16): every op on random shapes drawn from
 * a fixed seed, plus nn_window_compute on hand-checked edge cases.
 *
 * The fast path is driven the way src/nn/session.c drives it: an operator is
 * created by nn_fast_prepare on fixed input/output buffers, then nn_fast_run
 * runs it; a second run after the input changed checks that the operator reads
 * its input at run time. Each case runs without a thread pool and with a
 * pthreadpool of 2 threads. Elementwise ops go through nn_fast_binary and
 * nn_fast_pad as in the session. Outputs must agree within
 * 1e-4 * (1 + max |ref|). */
#include <pthreadpool.h>
#include <stdint.h>

#include "../../src/nn/kernels_fast.h"
#include "test.h"

/* --- fixed-seed PRNG (splitmix64) ------------------------------------------ */

static uint64_t rng_state = 0x5eed2024u;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* uniform integer in [lo, hi] */
static int rnd_int(int lo, int hi)
{
	return lo + (int)(rnd64() % (uint64_t)(hi - lo + 1));
}

/* uniform float in [lo, hi) */
static float rnd_f(float lo, float hi)
{
	return lo + (hi - lo) * (float)((double)(rnd64() >> 11) / 9007199254740992.0);
}

/* a channel count in [1, 70], often at the ends of the range */
static int rnd_channels(void)
{
	int r = rnd_int(0, 7);
	return r == 0 ? 1 : r == 1 ? 70 : rnd_int(1, 70);
}

static int n_cases; /* random cases compared, over all tests */
static pthreadpool_t pool2;

static float *fill_new(size_t n, float lo, float hi)
{
	float *p = malloc((n ? n : 1) * sizeof(float));
	REQUIRE(p);
	for (size_t i = 0; i < n; i++)
		p[i] = rnd_f(lo, hi);
	return p;
}

static void fill(float *p, size_t n, float lo, float hi)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd_f(lo, hi);
}

static void tensor_new(nn_tensor *t, int rank, const int64_t *dims)
{
	t->shape.rank = rank;
	for (int i = 0; i < rank; i++)
		t->shape.d[i] = dims[i];
	size_t n = nn_shape_count(&t->shape);
	/* like the session: exactly count floats (at least one) */
	t->data = malloc((n ? n : 1) * sizeof(float));
	REQUIRE(t->data);
	for (size_t i = 0; i < n; i++)
		t->data[i] = NAN; /* an output the kernel does not write fails the compare */
}

/* Compares got against ref; prints the first mismatch. */
static int close_enough(const char *what, const float *ref, const float *got, size_t n)
{
	double mx = 0;
	for (size_t i = 0; i < n; i++)
		mx = fmax(mx, fabs((double)ref[i]));
	const double tol = 1e-4 * (1 + mx);
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++)
		if (!(fabs((double)got[i] - ref[i]) <= tol) && bad++ == 0)
			first = i;
	if (bad)
		fprintf(stderr, "  %s: %zu of %zu values differ; first [%zu]: ref %.7g, fast %.7g (tol %.3g)\n",
			what, bad, n, first, (double)ref[first], (double)got[first], tol);
	return bad == 0;
}

/* One node in its own graph, so the graph owns the node's arrays. */
static nn_node *node_new(nn_graph *g, nn_op op)
{
	nn_graph_init(g);
	int i = nn_graph_add(g, op, "case");
	REQUIRE(i == 0);
	return &g->nodes[0];
}

static void ref_run(const nn_node *n, const nn_tensor *x, nn_tensor *y)
{
	switch (n->op) {
	case NN_CONV2D:
		nn_ref_conv2d(n, x, y);
		break;
	case NN_DWCONV2D:
		nn_ref_dwconv2d(n, x, y);
		break;
	case NN_MATMUL:
		nn_ref_matmul(n, x, y);
		break;
	default:
		nn_ref_pool(n, x, y);
	}
}

/* Runs node n on x (twice, refilling x in between) with the reference and
 * with the fast operator, without a pool and with 2 threads. */
static void compare_op(const char *desc, const nn_node *n, nn_tensor *x, const nn_shape *yshape)
{
	nn_tensor yr, yf[2];
	tensor_new(&yr, yshape->rank, yshape->d);
	tensor_new(&yf[0], yshape->rank, yshape->d);
	tensor_new(&yf[1], yshape->rank, yshape->d);
	void *ops[2] = {NULL, NULL};
	pthreadpool_t pools[2] = {NULL, pool2};
	const size_t ny = nn_shape_count(yshape), nx = nn_shape_count(&x->shape);
	int ok = 1;
	for (int p = 0; p < 2; p++) {
		eid_err err = {{0}};
		eid_status st = nn_fast_prepare(n, x, &yf[p], pools[p], 0, &ops[p], &err);
		if (st)
			fprintf(stderr, "  %s: prepare failed: %s\n", desc, err.msg);
		CHECK(st == EID_OK);
		CHECK(ops[p] != NULL);
		ok &= st == EID_OK && ops[p] != NULL;
	}
	for (int round = 0; ok && round < 2; round++) {
		if (round)
			fill(x->data, nx, -1, 1);
		ref_run(n, x, &yr);
		for (int p = 0; p < 2; p++) {
			eid_err err = {{0}};
			eid_status st = nn_fast_run(n, ops[p], pools[p], &yf[p], &err);
			if (st)
				fprintf(stderr, "  %s: run failed: %s\n", desc, err.msg);
			CHECK(st == EID_OK);
			char what[300];
			snprintf(what, sizeof(what), "%s, %s, run %d", desc, p ? "2 threads" : "no pool",
				 round + 1);
			CHECK(close_enough(what, yr.data, yf[p].data, ny));
		}
	}
	for (int p = 0; p < 2; p++)
		nn_fast_release(ops[p]);
	free(yr.data);
	free(yf[0].data);
	free(yf[1].data);
	n_cases++;
}

/* --- convolutions --------------------------------------------------------- */

enum epi { EPI_NONE, EPI_BIAS, EPI_RELU, EPI_RELU6, EPI_PRELU, EPI_PRELU_RELU6, EPI_CLAMP, EPI_N };
static const char *const epi_names[EPI_N] = {"none",  "bias",	     "bias+relu",
					     "bias+relu6", "bias+prelu", "prelu+relu6",
					     "bias+clamp[-0.3,0.4]"};

static void set_epilogue(nn_node *n, enum epi e)
{
	if (e != EPI_NONE && e != EPI_PRELU_RELU6)
		n->bias = fill_new((size_t)n->out_c, -0.5f, 0.5f);
	if (e == EPI_PRELU || e == EPI_PRELU_RELU6)
		n->prelu = fill_new((size_t)n->out_c, -0.5f, 1.0f);
	if (e == EPI_RELU)
		n->clamp_min = 0;
	if (e == EPI_RELU6 || e == EPI_PRELU_RELU6) {
		n->clamp_min = 0;
		n->clamp_max = 6;
	}
	if (e == EPI_CLAMP) {
		n->clamp_min = -0.3f;
		n->clamp_max = 0.4f;
	}
}

static const char *pad_name(nn_padding p)
{
	return p == NN_PAD_SAME ? "SAME" : p == NN_PAD_VALID ? "VALID" : "EXPLICIT";
}

typedef struct conv_case {
	nn_op op;
	int batch, h, w, in_c, out_c; /* DWCONV2D: out_c = in_c * multiplier */
	int k[2], stride, dilation;
	nn_padding pad;
	int pads[4];
	enum epi epi;
} conv_case;

static int64_t conv_macs(const conv_case *c, const nn_window *w)
{
	int64_t per = c->op == NN_DWCONV2D ? 1 : c->in_c;
	return (int64_t)c->batch * w->out_h * w->out_w * c->out_c * c->k[0] * c->k[1] * per;
}

/* smallest input side the window fits */
static int min_side(const conv_case *c, int a)
{
	int ke = (c->k[a] - 1) * c->dilation + 1;
	int m = c->pad == NN_PAD_SAME ? 1 : ke - (c->pad == NN_PAD_EXPLICIT ? c->pads[2 * a] + c->pads[2 * a + 1] : 0);
	return m < 1 ? 1 : m;
}

static void conv_window(const conv_case *c, nn_node *n)
{
	n->ksize[0] = c->k[0];
	n->ksize[1] = c->k[1];
	n->stride[0] = n->stride[1] = c->stride;
	n->dilation[0] = n->dilation[1] = c->dilation;
	n->padding = c->pad;
	memcpy(n->pads, c->pads, sizeof(n->pads));
}

static void run_conv_case(conv_case *c)
{
	nn_graph g;
	nn_node *n = node_new(&g, c->op);
	conv_window(c, n);
	n->in_c = c->in_c;
	n->out_c = c->out_c;
	/* keep the reference cheap (also under ASan): shrink batch, then space,
	 * then channels until the case needs at most 1.5M multiply-adds */
	nn_window w;
	for (;;) {
		REQUIRE(nn_window_compute(n, c->h, c->w, &w) == 0);
		if (conv_macs(c, &w) <= 1500000)
			break;
		if (c->batch > 1)
			c->batch = 1;
		else if (c->h > min_side(c, 0) + 2 && c->h >= c->w)
			c->h -= 2;
		else if (c->w > min_side(c, 1) + 2)
			c->w -= 2;
		else if (c->h > min_side(c, 0) + 2)
			c->h -= 2;
		else if (c->op == NN_DWCONV2D) {
			const int mult = c->out_c / c->in_c;
			c->in_c = (c->in_c + 1) / 2;
			c->out_c = c->in_c * mult;
		} else if (c->in_c >= c->out_c)
			c->in_c = (c->in_c + 1) / 2;
		else
			c->out_c = (c->out_c + 1) / 2;
		n->in_c = c->in_c;
		n->out_c = c->out_c;
	}
	const int kh = c->k[0], kw = c->k[1];
	const size_t fan_in = (size_t)kh * kw * (c->op == NN_DWCONV2D ? 1 : (size_t)c->in_c);
	const float scale = 1.0f / sqrtf((float)fan_in); /* outputs of order 1 */
	n->count = c->op == NN_DWCONV2D ? (size_t)kh * kw * c->out_c
					 : (size_t)c->out_c * kh * kw * c->in_c;
	n->data = fill_new(n->count, -scale * 1.7f, scale * 1.7f);
	set_epilogue(n, c->epi);

	nn_tensor x;
	int64_t xd[4] = {c->batch, c->h, c->w, c->in_c};
	tensor_new(&x, 4, xd);
	fill(x.data, nn_shape_count(&x.shape), -1, 1);
	nn_shape ys = {4, {c->batch, w.out_h, w.out_w, c->out_c}};
	char desc[256];
	snprintf(desc, sizeof(desc),
		 "%s %dx%d/%d dil %d %s pads %d,%d,%d,%d in [%d,%d,%d,%d] out_c %d epilogue %s",
		 nn_op_name(c->op), kh, kw, c->stride, c->dilation, pad_name(c->pad), c->pads[0],
		 c->pads[1], c->pads[2], c->pads[3], c->batch, c->h, c->w, c->in_c, c->out_c,
		 epi_names[c->epi]);
	compare_op(desc, n, &x, &ys);
	free(x.data);
	nn_graph_release(&g);
}

static void random_pads(conv_case *c)
{
	memset(c->pads, 0, sizeof(c->pads));
	if (c->pad == NN_PAD_EXPLICIT)
		for (int i = 0; i < 4; i++)
			c->pads[i] = rnd_int(0, 3);
}

static void random_size(conv_case *c)
{
	c->batch = rnd_int(1, 2);
	c->h = rnd_int(min_side(c, 0), min_side(c, 0) + 11);
	c->w = rnd_int(min_side(c, 1), min_side(c, 1) + 11);
}

static void test_conv2d(void)
{
	static const int ks[] = {1, 3, 5, 7};
	static const nn_padding pads[] = {NN_PAD_SAME, NN_PAD_VALID, NN_PAD_EXPLICIT};
	int serial = 0;
	for (int ki = 0; ki < 4; ki++)
		for (int s = 1; s <= 2; s++)
			for (int pi = 0; pi < 3; pi++)
				for (int rep = 0; rep < 3; rep++) {
					conv_case c = {.op = NN_CONV2D, .stride = s, .pad = pads[pi]};
					c.k[0] = c.k[1] = ks[ki];
					/* now and then a non-square or dilated window */
					if (rep == 2 && ks[ki] > 1)
						c.k[1] = ks[(ki + 1) % 4];
					c.dilation = rep == 1 && ks[ki] > 1 && serial % 2 ? 2 : 1;
					c.in_c = rnd_channels();
					c.out_c = rnd_channels();
					c.epi = (enum epi)(serial++ % EPI_N);
					random_pads(&c);
					random_size(&c);
					run_conv_case(&c);
				}
	/* channel extremes with a 1x1 window (the GEMM path) */
	static const int ch[][2] = {{1, 1}, {1, 70}, {70, 1}, {70, 70}, {3, 16}, {17, 33}};
	for (size_t i = 0; i < sizeof(ch) / sizeof(ch[0]); i++) {
		conv_case c = {.op = NN_CONV2D, .k = {1, 1}, .stride = 1, .dilation = 1,
			       .pad = NN_PAD_VALID, .in_c = ch[i][0], .out_c = ch[i][1],
			       .epi = (enum epi)(i % EPI_N)};
		random_size(&c);
		run_conv_case(&c);
	}
}

static void test_dwconv2d(void)
{
	static const nn_padding pads[] = {NN_PAD_SAME, NN_PAD_VALID};
	int serial = 0;
	for (int k = 3; k <= 5; k += 2)
		for (int s = 1; s <= 2; s++)
			for (int pi = 0; pi < 2; pi++)
				for (int mult = 1; mult <= 2; mult++)
					for (int rep = 0; rep < 2; rep++) {
						conv_case c = {.op = NN_DWCONV2D, .k = {k, k}, .stride = s,
							       .dilation = 1, .pad = pads[pi]};
						c.in_c = rnd_channels();
						c.out_c = c.in_c * mult;
						c.epi = (enum epi)(serial++ % EPI_N);
						random_pads(&c);
						random_size(&c);
						run_conv_case(&c);
					}
	/* explicit padding, dilation and 1x1 / 7x7 windows */
	for (int i = 0; i < 6; i++) {
		conv_case c = {.op = NN_DWCONV2D, .stride = rnd_int(1, 2), .dilation = i < 2 ? 2 : 1,
			       .pad = i % 2 ? NN_PAD_EXPLICIT : NN_PAD_SAME};
		c.k[0] = c.k[1] = i < 2 ? 3 : i < 4 ? 1 : 7;
		c.in_c = rnd_channels();
		c.out_c = c.in_c * rnd_int(1, 2);
		c.epi = (enum epi)(serial++ % EPI_N);
		random_pads(&c);
		random_size(&c);
		run_conv_case(&c);
	}
}

/* --- matmul --------------------------------------------------------------- */

static void run_matmul(int rows, int K, int N, enum epi e)
{
	nn_graph g;
	nn_node *n = node_new(&g, NN_MATMUL);
	n->in_c = K;
	n->out_c = N;
	n->count = (size_t)K * N;
	const float sc = 1.7f / sqrtf((float)K);
	n->data = fill_new(n->count, -sc, sc);
	set_epilogue(n, e);
	nn_tensor x;
	int64_t xd[2] = {rows, K};
	tensor_new(&x, 2, xd);
	fill(x.data, (size_t)rows * K, -1, 1);
	nn_shape ys = {2, {rows, N}};
	char desc[160];
	snprintf(desc, sizeof(desc), "MatMul [%d,%d] x [%d,%d] epilogue %s", rows, K, K, N,
		 epi_names[e]);
	compare_op(desc, n, &x, &ys);
	free(x.data);
	nn_graph_release(&g);
}

static void test_matmul(void)
{
	/* bias + relu first (the dlib head and the common case), then the others */
	run_matmul(1, 256, 128, EPI_RELU);
	run_matmul(1, 1, 1, EPI_RELU);
	run_matmul(7, 1, 33, EPI_RELU);
	run_matmul(3, 300, 1, EPI_RELU);
	for (int i = 0; i < 20; i++)
		run_matmul(rnd_int(1, 9), rnd_int(1, 300), rnd_int(1, 200),
			   i < 8 ? EPI_RELU : (enum epi)(i % EPI_N));
	run_matmul(64, 37, 19, EPI_BIAS);
}

/* --- pools ---------------------------------------------------------------- */

static void run_pool(nn_op op, int k, int s, nn_padding pad, int batch, int h, int w, int c)
{
	nn_graph g;
	nn_node *n = node_new(&g, op);
	n->ksize[0] = n->ksize[1] = k;
	n->stride[0] = n->stride[1] = s;
	n->padding = pad;
	nn_window win;
	REQUIRE(nn_window_compute(n, h, w, &win) == 0);
	nn_tensor x;
	int64_t xd[4] = {batch, h, w, c};
	tensor_new(&x, 4, xd);
	fill(x.data, nn_shape_count(&x.shape), -1, 1);
	nn_shape ys = {4, {batch, win.out_h, win.out_w, c}};
	char desc[160];
	snprintf(desc, sizeof(desc), "%s %dx%d/%d %s in [%d,%d,%d,%d]", nn_op_name(op), k, k, s,
		 pad_name(pad), batch, h, w, c);
	compare_op(desc, n, &x, &ys);
	free(x.data);
	nn_graph_release(&g);
}

static void test_pool(void)
{
	static const int win[][2] = {{2, 2}, {3, 2}, {3, 1}};
	for (int op = 0; op < 2; op++)
		for (int wi = 0; wi < 3; wi++)
			for (int pad = 0; pad < 2; pad++)
				for (int rep = 0; rep < (wi == 2 ? 1 : 3); rep++) {
					const int k = win[wi][0], s = win[wi][1];
					const nn_padding p = pad ? NN_PAD_SAME : NN_PAD_VALID;
					/* odd sizes first: the SAME padding lands at the end */
					int h = rep == 0 ? 2 * rnd_int(1, 8) + 1 : rnd_int(k, 17);
					int w = rep == 0 ? 2 * rnd_int(1, 8) + 1 : rnd_int(k, 17);
					run_pool(op ? NN_AVGPOOL : NN_MAXPOOL, k, s, p, rnd_int(1, 2), h,
						 w, rnd_channels());
				}
	/* a 1x1 input with SAME padding: the window is mostly padding */
	run_pool(NN_MAXPOOL, 3, 2, NN_PAD_SAME, 1, 1, 1, 5);
	run_pool(NN_AVGPOOL, 3, 2, NN_PAD_SAME, 1, 1, 1, 5);
	run_pool(NN_AVGPOOL, 2, 2, NN_PAD_SAME, 1, 1, 2, 1);
}

/* --- elementwise binary ops ----------------------------------------------- */

typedef struct bshape {
	const char *what;
	int ra, rb;
	int64_t a[4], b[4];
} bshape;

static void broadcast_shape(const nn_shape *a, const nn_shape *b, nn_shape *y)
{
	y->rank = a->rank > b->rank ? a->rank : b->rank;
	for (int i = 0; i < y->rank; i++) {
		int ia = i - (y->rank - a->rank), ib = i - (y->rank - b->rank);
		int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
		y->d[i] = da == 1 ? db : da;
	}
}

static void shape_text(const nn_shape *s, char *buf, size_t cap)
{
	size_t o = (size_t)snprintf(buf, cap, "[");
	for (int i = 0; i < s->rank && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%lld", i ? "," : "", (long long)s->d[i]);
	if (o < cap)
		snprintf(buf + o, cap - o, "]");
}

static void run_binary(nn_op op, const char *what, int ra, const int64_t *da, int rb,
		       const int64_t *db, float lo, float hi)
{
	nn_tensor a, b, yr, yf;
	tensor_new(&a, ra, da);
	tensor_new(&b, rb, db);
	fill(a.data, nn_shape_count(&a.shape), -1, 1);
	fill(b.data, nn_shape_count(&b.shape), -1, 1);
	nn_shape ys;
	broadcast_shape(&a.shape, &b.shape, &ys);
	tensor_new(&yr, ys.rank, ys.d);
	tensor_new(&yf, ys.rank, ys.d);
	/* as the session: reference then clamp, or the fast loop with the clamp */
	nn_ref_binary(op, &a, &b, &yr);
	const size_t n = nn_shape_count(&ys);
	for (size_t i = 0; i < n; i++)
		yr.data[i] = nn_clampf(yr.data[i], lo, hi);
	nn_fast_binary(op, &a, &b, &yf, lo, hi);
	char sa[64], sb[64], desc[256];
	shape_text(&a.shape, sa, sizeof(sa));
	shape_text(&b.shape, sb, sizeof(sb));
	snprintf(desc, sizeof(desc), "%s %s %s vs %s clamp [%g,%g]", nn_op_name(op), what, sa, sb,
		 (double)lo, (double)hi);
	CHECK(close_enough(desc, yr.data, yf.data, n));
	/* the fast loops must also match the broadcast index by index: a value
	 * taken from the wrong element would still pass a loose tolerance on
	 * MINIMUM/MAXIMUM only by luck, so require exact equality there */
	if (op == NN_MINIMUM || op == NN_MAXIMUM)
		CHECK(memcmp(yr.data, yf.data, n * sizeof(float)) == 0);
	free(a.data);
	free(b.data);
	free(yr.data);
	free(yf.data);
	n_cases++;
}

static void test_binary(void)
{
	static const bshape shapes[] = {
		{"same", 4, 4, {2, 5, 7, 9}, {2, 5, 7, 9}},
		{"same rank 1", 1, 1, {37}, {37}},
		{"scalar b", 4, 0, {2, 5, 7, 9}, {0}},
		{"scalar b [1]", 4, 1, {1, 6, 5, 3}, {1}},
		{"scalar a", 0, 4, {0}, {2, 5, 7, 9}},
		{"scalar a [1,1,1,1]", 4, 4, {1, 1, 1, 1}, {2, 3, 4, 5}},
		{"both scalar", 1, 0, {1}, {0}},
		{"per-channel b", 4, 1, {1, 6, 5, 13}, {13}},
		{"per-channel b rank 4", 4, 4, {2, 6, 5, 13}, {1, 1, 1, 13}},
		{"per-channel a", 1, 4, {13}, {1, 6, 5, 13}},
		{"per-channel a rank 3", 3, 4, {1, 1, 13}, {2, 6, 5, 13}},
		{"channels 1", 3, 1, {4, 3, 1}, {1}},
		{"general", 4, 4, {2, 1, 3, 1}, {1, 4, 1, 5}},
		{"general ranks", 3, 2, {3, 1, 7}, {4, 1}},
		{"column b", 2, 2, {5, 5}, {5, 1}},
		{"column a", 2, 2, {5, 1}, {5, 5}},
		{"row a", 2, 2, {1, 8}, {6, 8}},
		{"middle", 3, 2, {4, 5, 6}, {5, 1}},
		{"outer", 4, 4, {3, 4, 5, 6}, {3, 1, 1, 1}},
		{"a smaller both ways", 4, 4, {1, 4, 1, 6}, {3, 4, 5, 6}},
	};
	static const float clamps[][2] = {
		{-INFINITY, INFINITY}, {0, INFINITY}, {-0.5f, 0.5f}, {-INFINITY, 0.25f}, {0, 6}};
	static const nn_op ops[] = {NN_ADD, NN_MUL, NN_MINIMUM, NN_MAXIMUM};
	int serial = 0;
	for (int oi = 0; oi < 4; oi++)
		for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++, serial++) {
			const float *c = clamps[serial % 5];
			run_binary(ops[oi], shapes[si].what, shapes[si].ra, shapes[si].a, shapes[si].rb,
				   shapes[si].b, c[0], c[1]);
		}
	/* random broadcasts: each operand keeps or drops (to 1) every dimension
	 * of a random output shape, and may drop leading dimensions */
	for (int i = 0; i < 48; i++) {
		const int r = rnd_int(1, 4);
		int64_t y[4], a[4], b[4];
		for (int d = 0; d < r; d++) {
			y[d] = rnd_int(1, 7);
			a[d] = rnd_int(0, 2) ? y[d] : 1;
			b[d] = rnd_int(0, 2) ? y[d] : 1;
			if (a[d] != y[d] && b[d] != y[d]) /* one operand spans y */
				a[d] = y[d];
		}
		/* a may lose some of its leading 1s (a lower rank) */
		int drop = 0;
		while (drop < r - 1 && a[drop] == 1 && rnd_int(0, 1))
			drop++;
		const float *c = clamps[i % 5];
		run_binary(ops[i % 4], "random", r - drop, a + drop, r, b, c[0], c[1]);
	}
}

/* --- pad ------------------------------------------------------------------ */

static void run_pad(int rank, const int64_t *dims, const int64_t *pads, const char *what)
{
	nn_tensor x, yr, yf;
	tensor_new(&x, rank, dims);
	fill(x.data, nn_shape_count(&x.shape), -1, 1);
	int64_t yd[NN_MAX_RANK];
	for (int i = 0; i < rank; i++)
		yd[i] = dims[i] + pads[2 * i] + pads[2 * i + 1];
	tensor_new(&yr, rank, yd);
	tensor_new(&yf, rank, yd);
	nn_ref_pad(pads, &x, &yr);
	nn_fast_pad(pads, &x, &yf);
	char sx[64], desc[200];
	shape_text(&x.shape, sx, sizeof(sx));
	snprintf(desc, sizeof(desc), "Pad %s %s", what, sx);
	const size_t n = nn_shape_count(&yr.shape);
	CHECK(close_enough(desc, yr.data, yf.data, n));
	CHECK(memcmp(yr.data, yf.data, n * sizeof(float)) == 0);
	free(x.data);
	free(yr.data);
	free(yf.data);
	n_cases++;
}

static void test_pad(void)
{
	/* spatial (the blazeface/dlib kind), channel, batch, everything, none */
	for (int i = 0; i < 28; i++) {
		int64_t d[4] = {rnd_int(1, 2), rnd_int(1, 9), rnd_int(1, 9), rnd_channels()};
		int64_t p[8] = {0};
		const int kind = i % 5;
		const char *what[] = {"spatial", "channel", "batch", "all", "none"};
		for (int k = 0; k < 8; k++) {
			int dim = k / 2;
			int on = kind == 3 || (kind == 0 && (dim == 1 || dim == 2)) ||
				 (kind == 1 && dim == 3) || (kind == 2 && dim == 0);
			p[k] = on ? rnd_int(0, 3) : 0;
		}
		run_pad(4, d, p, what[kind]);
	}
	/* the dlib shortcut: channels zero-padded at the end only */
	int64_t d[4] = {1, 9, 9, 64}, p[8] = {0, 0, 0, 0, 0, 0, 0, 64};
	run_pad(4, d, p, "channel end");
	/* lower ranks */
	int64_t d1[1] = {5}, p1[2] = {2, 3};
	run_pad(1, d1, p1, "rank 1");
	int64_t d2[2] = {3, 4}, p2[4] = {1, 0, 0, 2};
	run_pad(2, d2, p2, "rank 2");
	int64_t d3[3] = {2, 3, 4}, p3[6] = {0, 1, 2, 0, 1, 1};
	run_pad(3, d3, p3, "rank 3");
}

/* --- nn_window_compute ------------------------------------------------------ */

static int window(nn_padding pad, int k, int s, int d, int64_t in, const int *pads, nn_window *w)
{
	nn_node n;
	memset(&n, 0, sizeof(n));
	n.op = NN_CONV2D;
	n.padding = pad;
	n.ksize[0] = n.ksize[1] = k;
	n.stride[0] = n.stride[1] = s;
	n.dilation[0] = n.dilation[1] = d;
	if (pads)
		memcpy(n.pads, pads, sizeof(n.pads));
	return nn_window_compute(&n, in, in, w);
}

static void test_window(void)
{
	nn_window w;
	/* VALID: exact fit, one short, stride leaving a remainder */
	CHECK(window(NN_PAD_VALID, 3, 1, 1, 3, NULL, &w) == 0 && w.out_h == 1 && w.out_w == 1);
	CHECK(window(NN_PAD_VALID, 3, 1, 1, 2, NULL, &w) == -1);
	CHECK(window(NN_PAD_VALID, 3, 2, 1, 8, NULL, &w) == 0 && w.out_h == 3 && w.pad_top == 0 &&
	      w.pad_bottom == 0);
	CHECK(window(NN_PAD_VALID, 7, 2, 1, 150, NULL, &w) == 0 && w.out_h == 72);
	/* SAME: out = ceil(in / s); odd total padding puts the extra row after */
	CHECK(window(NN_PAD_SAME, 3, 2, 1, 4, NULL, &w) == 0 && w.out_h == 2 && w.pad_top == 0 &&
	      w.pad_bottom == 1);
	CHECK(window(NN_PAD_SAME, 3, 1, 1, 5, NULL, &w) == 0 && w.out_h == 5 && w.pad_top == 1 &&
	      w.pad_bottom == 1);
	CHECK(window(NN_PAD_SAME, 2, 2, 1, 5, NULL, &w) == 0 && w.out_h == 3 && w.pad_top == 0 &&
	      w.pad_bottom == 1);
	CHECK(window(NN_PAD_SAME, 2, 2, 1, 256, NULL, &w) == 0 && w.out_h == 128 &&
	      w.pad_top == 0 && w.pad_bottom == 0);
	/* SAME on a 1x1 input with a 7x7/2 window: 6 rows of padding */
	CHECK(window(NN_PAD_SAME, 7, 2, 1, 1, NULL, &w) == 0 && w.out_h == 1 && w.pad_top == 3 &&
	      w.pad_bottom == 3 && w.pad_left == 3 && w.pad_right == 3);
	/* SAME with the stride larger than the window: no negative padding */
	CHECK(window(NN_PAD_SAME, 1, 3, 1, 5, NULL, &w) == 0 && w.out_h == 2 && w.pad_top == 0 &&
	      w.pad_bottom == 0);
	/* dilation: a 3x3 window dilated by 2 spans 5 */
	CHECK(window(NN_PAD_VALID, 3, 1, 2, 5, NULL, &w) == 0 && w.out_h == 1);
	CHECK(window(NN_PAD_VALID, 3, 1, 2, 4, NULL, &w) == -1);
	CHECK(window(NN_PAD_SAME, 3, 1, 2, 6, NULL, &w) == 0 && w.out_h == 6 && w.pad_top == 2 &&
	      w.pad_bottom == 2);
	/* EXPLICIT: top,bottom,left,right */
	const int p1[4] = {1, 2, 3, 4};
	nn_node n;
	memset(&n, 0, sizeof(n));
	n.padding = NN_PAD_EXPLICIT;
	n.ksize[0] = n.ksize[1] = 3;
	n.stride[0] = n.stride[1] = 2;
	n.dilation[0] = n.dilation[1] = 1;
	memcpy(n.pads, p1, sizeof(p1));
	CHECK(nn_window_compute(&n, 5, 6, &w) == 0);
	CHECK(w.out_h == 3 && w.out_w == 6 && w.in_h == 5 && w.in_w == 6);
	CHECK(w.pad_top == 1 && w.pad_bottom == 2 && w.pad_left == 3 && w.pad_right == 4);
	const int p0[4] = {0, 0, 0, 0}, p2[4] = {1, 1, 1, 1};
	CHECK(window(NN_PAD_EXPLICIT, 3, 1, 1, 1, p0, &w) == -1);
	CHECK(window(NN_PAD_EXPLICIT, 3, 1, 1, 1, p2, &w) == 0 && w.out_h == 1);
	/* malformed windows */
	CHECK(window(NN_PAD_VALID, 0, 1, 1, 5, NULL, &w) == -1);
	CHECK(window(NN_PAD_SAME, 3, 0, 1, 5, NULL, &w) == -1);
	CHECK(window(NN_PAD_SAME, -3, 1, 1, 5, NULL, &w) == -1);
	/* an empty input has no output */
	CHECK(window(NN_PAD_SAME, 1, 1, 1, 0, NULL, &w) == -1);
	CHECK(window(NN_PAD_VALID, 1, 1, 1, 0, NULL, &w) == -1);
	/* a huge input does not overflow the arithmetic */
	CHECK(window(NN_PAD_SAME, 3, 2, 1, (int64_t)1 << 40, NULL, &w) == 0 &&
	      w.out_h == (int64_t)1 << 39);
}

static void test_setup(void)
{
	REQUIRE(nn_fast_available());
	pool2 = pthreadpool_create(2);
	REQUIRE(pool2);
	REQUIRE(pthreadpool_get_threads_count(pool2) == 2);
}

static void test_count(void)
{
	if (getenv("EID_TEST_VERBOSE"))
		fprintf(stderr, "  %d random cases\n", n_cases);
	CHECK(n_cases >= 200);
	pthreadpool_destroy(pool2);
	pool2 = NULL;
}

TEST_MAIN(test_setup, test_window, test_conv2d, test_dwconv2d, test_matmul, test_pool,
	  test_binary, test_pad, test_count)
