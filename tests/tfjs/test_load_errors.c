/* Tests of src/tfjs (load.c, weights.c, dlib_resnet.c) on malformed models:
 * every one must fail with a clear status and a message that names what is
 * wrong, never crash and never leak (the suite also runs under ASan/LSan).
 *
 * Each case writes a tiny model.json (and its shards) into a temporary
 * directory. JSON is written with ' for " to keep the C strings readable.
 * A valid tiny model (Placeholder -> _FusedConv2D -> Relu) checks the numbers
 * by hand; truncated copies of the real blazeface model and edited copies of
 * the face-api manifest check the loaders on real files. */
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <unistd.h>

#include "eid/limits.h"
#include "eid/nn.h"
#include "eid/util.h"
#include "test.h"

static char tmpdir[64];

static void path_in(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *name, const void *data, size_t len)
{
	char path[256];
	eid_err err;
	path_in(path, sizeof(path), name);
	REQUIRE(eid_file_write(path, data, len, 0644, &err) == EID_OK);
}

/* Writes text with every ' turned into " */
static void write_json(const char *name, const char *text)
{
	size_t n = strlen(text);
	char *s = malloc(n + 1);
	REQUIRE(s);
	for (size_t i = 0; i <= n; i++)
		s[i] = text[i] == '\'' ? '"' : text[i];
	write_bytes(name, s, n);
	free(s);
}

static void write_floats(const char *name, const float *v, size_t n)
{
	write_bytes(name, v, n * sizeof(float)); /* little-endian host */
}

static uint8_t *read_all(const char *path, size_t *len)
{
	uint8_t *data;
	eid_err err;
	eid_status st = eid_file_read(path, 64u << 20, &data, len, &err);
	if (st)
		fprintf(stderr, "  %s\n", err.msg);
	REQUIRE(st == EID_OK);
	return data;
}

static void link_to(const char *name, const char *target)
{
	char path[256], *real = realpath(target, NULL);
	REQUIRE(real);
	path_in(path, sizeof(path), name);
	unlink(path);
	int rc = symlink(real, path);
	free(real);
	REQUIRE(rc == 0);
}

/* House style 14: lowercase start, no trailing period or newline. */
static int message_style_ok(const char *msg)
{
	size_t n = strlen(msg);
	return n > 0 && !(msg[0] >= 'A' && msg[0] <= 'Z') && msg[n - 1] != '.' && msg[n - 1] != '\n';
}

/* Loads tmpdir/name (or a path containing '/'); expects status want and,
 * on failure, a message containing n1 and n2. Returns the model on success. */
static eid_model *expect_load_(int line, const char *name, eid_status want, const char *n1,
			       const char *n2)
{
	char path[256];
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		path_in(path, sizeof(path), name);
	eid_model *m = (eid_model *)&m; /* must be reset to NULL on failure */
	eid_err err;
	memset(&err, 0, sizeof(err));
	eid_status st = eid_model_load(path, &m, &err);
	int ok = st == want;
	if (st != EID_OK)
		ok = ok && m == NULL && message_style_ok(err.msg) &&
		     strncmp(err.msg, "cannot load model", 17) == 0 && (!n1 || strstr(err.msg, n1)) &&
		     (!n2 || strstr(err.msg, n2));
	if (!ok) {
		fprintf(stderr, "  %s:%d: load: got %s \"%s\", want %s with '%s' and '%s'\n", __FILE__,
			line, eid_status_code(st), err.msg, eid_status_code(want), n1 ? n1 : "",
			n2 ? n2 : "");
		test_failures_++;
	}
	if (st == EID_OK && want != EID_OK) {
		eid_model_free(m);
		return NULL;
	}
	return st == EID_OK ? m : NULL;
}
#define EXPECT_LOAD(name, want, n1, n2) expect_load_(__LINE__, name, want, n1, n2)

/* Writes the JSON as m.json and expects the load to fail. */
#define EXPECT_BAD(json, want, n1, n2)                                                 \
	do {                                                                           \
		write_json("m.json", json);                                            \
		eid_model *m_ = expect_load_(__LINE__, "m.json", want, n1, n2);        \
		eid_model_free(m_);                                                    \
	} while (0)

/* Runs a loaded model once; expects status want (message with n1, n2). */
static eid_status run_(int line, const eid_model *m, eid_backend be, int threads, const float *x,
		       const int64_t *shape, int rank, eid_status want, const char *n1,
		       const char *n2, eid_session **s_out)
{
	eid_session *s;
	eid_err err;
	memset(&err, 0, sizeof(err));
	eid_session_opts o = {.backend = be, .threads = threads};
	eid_status st = eid_session_new(m, &o, &s, &err);
	if (st) {
		fprintf(stderr, "  %s:%d: session: %s\n", __FILE__, line, err.msg);
		test_failures_++;
		return st;
	}
	st = eid_session_run(s, x, shape, rank, &err);
	int ok = st == want && (st == EID_OK || (message_style_ok(err.msg) &&
						 (!n1 || strstr(err.msg, n1)) &&
						 (!n2 || strstr(err.msg, n2))));
	if (!ok) {
		fprintf(stderr, "  %s:%d: run: got %s \"%s\", want %s with '%s' and '%s'\n", __FILE__,
			line, eid_status_code(st), st ? err.msg : "", eid_status_code(want),
			n1 ? n1 : "", n2 ? n2 : "");
		test_failures_++;
	}
	if (s_out && st == EID_OK)
		*s_out = s;
	else
		eid_session_free(s);
	return st;
}

/* --- the tiny model ------------------------------------------------------- */

/* x [1,2,2,2] -> 1x1 conv (w HWIO [1,1,2,2], bias b [2]) -> relu */
#define IN_DIMS(c) "{'size':'1'},{'size':'2'},{'size':'2'},{'size':'" c "'}"
#define IN_C(c) "{'name':'x','op':'Placeholder','attr':{'shape':{'shape':{'dim':[" IN_DIMS(c) "]}}}}"
#define IN IN_C("2")
#define W_SHAPED(dims) "{'name':'w','op':'Const','attr':{'value':{'tensor':{'tensorShape':{'dim':[" dims "]}}}}}"
#define W W_SHAPED("{'size':'1'},{'size':'1'},{'size':'2'},{'size':'2'}")
#define B "{'name':'b','op':'Const'}"
#define PAD_VALID "'padding':{'s':'VkFMSUQ='}"
#define STRIDES1 "'strides':{'list':{'i':['1','1','1','1']}}"
#define FUSED_BIAS "'fused_ops':{'list':{'s':['Qmlhc0FkZA==']}}"
#define CONV_ATTR(attrs) "{'name':'conv','op':'_FusedConv2D','input':['x','w','b'],'attr':{" attrs "}}"
#define CONV CONV_ATTR(PAD_VALID "," STRIDES1 "," FUSED_BIAS)
#define RELU "{'name':'relu','op':'Relu','input':['conv']}"
#define WSPEC(name, shape) "{'name':'" name "','shape':" shape ",'dtype':'float32'}"
#define GROUP(paths, weights) "{'paths':[" paths "],'weights':[" weights "]}"
#define MANIFEST_W(wshape, bshape) \
	"[" GROUP("'w.bin'", WSPEC("w", wshape) "," WSPEC("b", bshape)) "]"
#define MANIFEST MANIFEST_W("[1,1,2,2]", "[2]")
#define MODEL_M(nodes, manifest) \
	"{'format':'graph-model','modelTopology':{'node':[" nodes "]},'weightsManifest':" manifest "}"
#define MODEL(nodes) MODEL_M(nodes, MANIFEST)
#define TINY MODEL(IN "," W "," B "," CONV "," RELU)

/* w[i][o]: o0 = x0 + 2 x1 + 0.5, o1 = -x0 + 0.5 x1 - 1 */
static const float tiny_w[6] = {1, -1, 2, 0.5f, 0.5f, -1};
static const float tiny_x[8] = {1, 2, -3, 1, 0, 0, 2, -4};
static const float tiny_y[8] = {5.5f, 0, 0, 2.5f, 0.5f, 0, 0, 0};
static const int64_t tiny_shape[4] = {1, 2, 2, 2};

static void test_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/eid-load-XXXXXX");
	REQUIRE(mkdtemp(tmpdir));
	write_floats("w.bin", tiny_w, 6);
}

static void check_tiny_outputs(const char *file)
{
	eid_model *m = EXPECT_LOAD(file, EID_OK, NULL, NULL);
	REQUIRE(m);
	CHECK(eid_model_num_outputs(m) == 1);
	CHECK(eid_model_output_name(m, 0) && strcmp(eid_model_output_name(m, 0), "relu") == 0);
	int64_t dims[6];
	CHECK(eid_model_input_shape(m, dims) == 4 && dims[0] == 1 && dims[1] == 2 && dims[3] == 2);
	const struct {
		eid_backend be;
		int threads;
	} cfg[] = {{EID_BACKEND_FAST, 1}, {EID_BACKEND_FAST, 2}, {EID_BACKEND_REFERENCE, 1}};
	for (int c = 0; c < 3; c++) {
		eid_session *s = NULL;
		if (run_(__LINE__, m, cfg[c].be, cfg[c].threads, tiny_x, tiny_shape, 4, EID_OK, NULL,
			 NULL, &s) != EID_OK)
			continue;
		eid_tensor_view v = eid_session_output(s, 0);
		CHECK(v.rank == 4 && v.count == 8 && v.dims[1] == 2 && v.dims[3] == 2);
		for (size_t i = 0; i < 8 && v.count == 8; i++)
			CHECK_NEAR(v.data[i], tiny_y[i], 1e-6);
		eid_session_free(s);
	}
	eid_model_free(m);
}

static void test_valid_tiny(void)
{
	write_json("tiny.json", TINY);
	check_tiny_outputs("tiny.json");
	/* the same weights split over two shards, concatenated in order */
	write_floats("w1.bin", tiny_w, 3);
	write_floats("w2.bin", tiny_w + 3, 3);
	write_json("tiny2.json",
		   MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'w1.bin','w2.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"));
	check_tiny_outputs("tiny2.json");
	/* nodes in any order, inputs with ':0' and a control input */
	write_json("tiny3.json",
		   MODEL("{'name':'relu','op':'Relu','input':['conv:0','^x']}," CONV "," B "," W "," IN));
	check_tiny_outputs("tiny3.json");
}

/* --- JSON and topology ---------------------------------------------------- */

static void test_bad_json(void)
{
	EXPECT_BAD("", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("{'modelTopology':", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("{'modelTopology':{'node':[]}}}", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("{'a':1,'a':2}", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("{'modelTopology':{'node':[{'name':'x','op':'Relu','input':[1e999999]}]}}",
		   EID_E_FORMAT, NULL, NULL);
	/* not an object: a number, a string, null (the parser wants [ or {) */
	EXPECT_BAD("42", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("'model'", EID_E_FORMAT, "invalid JSON", NULL);
	EXPECT_BAD("null", EID_E_FORMAT, "invalid JSON", NULL);
	/* an object that is not a graph model */
	EXPECT_BAD("{'format':'layers-model'}", EID_E_FORMAT, "neither a graph model", NULL);
	/* an array is a face-api manifest: not one of the known ones */
	EXPECT_BAD("[1,2]", EID_E_FORMAT, "weight group 0", NULL);
	EXPECT_BAD("[]", EID_E_UNSUPPORTED, "face_recognition_model", NULL);
	/* the file itself */
	char missing[256];
	path_in(missing, sizeof(missing), "no-such-model.json");
	eid_model *m = EXPECT_LOAD(missing, EID_E_IO, "no-such-model.json", NULL);
	eid_model_free(m);
	m = EXPECT_LOAD(tmpdir, EID_E_IO, "not a regular file", NULL);
	eid_model_free(m);
}

static void test_bad_topology(void)
{
	EXPECT_BAD("{'format':'graph-model','weightsManifest':[]}", EID_E_FORMAT, "modelTopology", NULL);
	EXPECT_BAD("{'modelTopology':{}}", EID_E_FORMAT, "'node' array", NULL);
	EXPECT_BAD("{'modelTopology':{'node':{}}}", EID_E_FORMAT, "'node' array", NULL);
	EXPECT_BAD("{'modelTopology':null}", EID_E_FORMAT, "'node' array", NULL);
	EXPECT_BAD("{'modelTopology':{'node':[]}}", EID_E_FORMAT, "weightsManifest", NULL);
	EXPECT_BAD(MODEL_M("", "{}"), EID_E_FORMAT, "weightsManifest", NULL);
	EXPECT_BAD(MODEL_M("", "[]"), EID_E_FORMAT, "no input", NULL);
	/* nodes without name or op */
	EXPECT_BAD(MODEL(IN ",{'op':'Relu','input':['x']}"), EID_E_FORMAT, "node 1 has no name", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'','op':'Relu','input':['x']}"), EID_E_FORMAT, "node 1 has no name",
		   NULL);
	EXPECT_BAD(MODEL(IN ",{'name':7,'op':'Relu','input':['x']}"), EID_E_FORMAT, "node 1 has no name",
		   NULL);
	EXPECT_BAD(MODEL(IN ",7"), EID_E_FORMAT, "node 1 has no name", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'r','input':['x']}"), EID_E_FORMAT, "'r' has no op", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':3,'input':['x']}"), EID_E_FORMAT, "'r' has no op", NULL);
	/* an unknown op names the node and the op, reachable or not */
	EXPECT_BAD(MODEL(IN ",{'name':'weird','op':'Conv3D','input':['x']}"), EID_E_UNSUPPORTED,
		   "'weird'", "'Conv3D'");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV "," RELU ",{'name':'lone','op':'Erf'}"),
		   EID_E_UNSUPPORTED, "'lone'", "'Erf'");
	/* names and references */
	EXPECT_BAD(MODEL(IN ",{'name':'x','op':'Relu','input':['x']}"), EID_E_FORMAT,
		   "two nodes are named 'x'", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Relu','input':['nope']}"), EID_E_FORMAT, "'r'",
		   "'nope' does not exist");
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Relu','input':['x:1']}"), EID_E_UNSUPPORTED, "'r'",
		   "second output");
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Relu','input':[5]}"), EID_E_FORMAT, "'r'", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Relu'}"), EID_E_FORMAT, "'r'", "no inputs");
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Relu','input':['^x']}"), EID_E_FORMAT, "'r'",
		   "no inputs");
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'Add','input':['x']}"), EID_E_FORMAT, "'r'",
		   "needs 2");
	EXPECT_BAD(MODEL(IN ",{'name':'r','op':'AddV2','input':['x','x','x','x']}"), EID_E_FORMAT,
		   "'r'", "4 inputs");
	/* cycles: two nodes, and a node reading itself */
	EXPECT_BAD(MODEL(IN ",{'name':'a','op':'AddV2','input':['x','b2']},"
			    "{'name':'b2','op':'Relu','input':['a']}"),
		   EID_E_FORMAT, "cycle", NULL);
	EXPECT_BAD(MODEL(IN ",{'name':'a','op':'Relu','input':['a']}"), EID_E_FORMAT, "cycle", NULL);
	/* inputs */
	EXPECT_BAD(MODEL(IN "," "{'name':'x2','op':'Placeholder','attr':{'shape':{'shape':{'dim':[]}}}},"
			    "{'name':'s','op':'AddV2','input':['x','x2']}"),
		   EID_E_UNSUPPORTED, "several inputs", NULL);
	EXPECT_BAD(MODEL("{'name':'x','op':'Placeholder'}"), EID_E_FORMAT, "'x'", "no usable shape");
	EXPECT_BAD(MODEL("{'name':'x','op':'Placeholder','attr':{'shape':{'shape':{'dim':["
			 "{'size':'1'},{'size':'1'},{'size':'1'},{'size':'1'},{'size':'1'},"
			 "{'size':'1'},{'size':'1'}]}}}}"),
		   EID_E_FORMAT, "'x'", NULL);
	EXPECT_BAD(MODEL("{'name':'x','op':'Placeholder','attr':{'shape':{'shape':{'dim':["
			 "{'size':'one'}]}}}}"),
		   EID_E_FORMAT, "'x'", "bad dimension");
	/* outputs */
	EXPECT_BAD("{'modelTopology':{'node':[" IN "," W "," B "," CONV "," RELU "]},'weightsManifest':"
		   MANIFEST ",'signature':{'outputs':{'o':{'name':'nope:0'}}}}",
		   EID_E_FORMAT, "'nope:0' does not exist", NULL);
	EXPECT_BAD("{'modelTopology':{'node':[" IN "," W "," B "," CONV "," RELU "]},'weightsManifest':"
		   MANIFEST ",'signature':{'outputs':{'o':{}}}}",
		   EID_E_FORMAT, "'o' has no name", NULL);
	EXPECT_BAD("{'modelTopology':{'node':[" IN "," W "," B "," CONV ","
		   "{'name':'rb','op':'Relu','input':['b']}]},'weightsManifest':" MANIFEST
		   ",'signature':{'outputs':{'o':{'name':'rb'}}}}",
		   EID_E_FORMAT, "no output depends on the input", NULL);
}

/* --- weights and shards ----------------------------------------------------- */

static void test_bad_shards(void)
{
	/* the shard must hold exactly the bytes the manifest describes */
	write_floats("short.bin", tiny_w, 5);
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'short.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"),
		   EID_E_FORMAT, "shards hold 20 bytes", "describes 24");
	float longer[7] = {0};
	write_floats("long.bin", longer, 7);
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'long.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"),
		   EID_E_FORMAT, "shards hold 28 bytes", "describes 24");
	write_bytes("empty.bin", "", 0);
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'empty.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"),
		   EID_E_FORMAT, "shards hold 0 bytes", NULL);
	/* a shard that is not there */
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'missing.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"),
		   EID_E_IO, "missing.bin", NULL);
	/* shard names must be plain file names in the model's directory */
	static const char *const bad_paths[] = {
		"'sub/w.bin'", "'../w.bin'", "'..'", "'.'", "''", "'/etc/passwd'", "'a\\\\b.bin'", "7",
		"null"};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		char json[2048];
		snprintf(json, sizeof(json),
			 MODEL_M(IN "," W "," B "," CONV "," RELU,
				 "[" GROUP("%s", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[2]")) "]"),
			 bad_paths[i]);
		EXPECT_BAD(json, EID_E_FORMAT, "not a plain file name", NULL);
	}
	/* groups */
	EXPECT_BAD(MODEL_M(IN, "[{'weights':[]}]"), EID_E_FORMAT, "weight group 0", NULL);
	EXPECT_BAD(MODEL_M(IN, "[{'paths':[],'weights':[]}]"), EID_E_FORMAT, "weight group 0", NULL);
	EXPECT_BAD(MODEL_M(IN, "[{'paths':['w.bin']}]"), EID_E_FORMAT, "weight group 0", NULL);
	EXPECT_BAD(MODEL_M(IN, "[7]"), EID_E_FORMAT, "weight group 0", NULL);
}

static void test_bad_weights(void)
{
	/* shapes: negative, fractional, not an array, rank 7, overflowing */
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[1,1,-2,2]", "[2]")), EID_E_FORMAT, "'w'",
		   "dimension 2 is not a size");
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[1,1,2.0,2]", "[2]")), EID_E_FORMAT, "'w'", "dimension 2");
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("'4'", "[2]")), EID_E_FORMAT, "'w'", "not an array");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','dtype':'float32'}") "]"), EID_E_FORMAT,
		   "'w'", "not an array");
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[1,1,1,1,1,2,2]", "[2]")), EID_E_FORMAT, "'w'", "rank 7");
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[2147483647,2147483647,8]", "[2]")), EID_E_LIMIT, "'w'",
		   NULL);
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[4294967296,4294967296,4294967296]", "[2]")), EID_E_LIMIT,
		   "'w'", NULL);
	EXPECT_BAD(MODEL_M(IN, MANIFEST_W("[65536,65536]", "[2]")), EID_E_LIMIT, "'w'", NULL);
	/* dtypes and quantization */
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[6],'dtype':'float64'}") "]"),
		   EID_E_UNSUPPORTED, "'w'", "'float64'");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[6],'dtype':'string'}") "]"),
		   EID_E_UNSUPPORTED, "'w'", "'string'");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[6]}") "]"), EID_E_FORMAT,
		   "no name or dtype", NULL);
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'shape':[6],'dtype':'float32'}") "]"),
		   EID_E_FORMAT, "no name or dtype", NULL);
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[24],'dtype':'float32',"
						     "'quantization':{'dtype':'int4','scale':1,'min':0}}") "]"),
		   EID_E_UNSUPPORTED, "'w'", "'int4'");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[24],'dtype':'float32',"
						     "'quantization':{'dtype':'uint8','min':0}}") "]"),
		   EID_E_FORMAT, "'w'", "scale and min");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[24],'dtype':'float32',"
						     "'quantization':{'scale':1,'min':0}}") "]"),
		   EID_E_FORMAT, "'w'", "without dtype");
	EXPECT_BAD(MODEL_M(IN, "[" GROUP("'w.bin'", "{'name':'w','shape':[24],'dtype':'int32',"
						     "'quantization':{'dtype':'uint8','scale':1,'min':0}}") "]"),
		   EID_E_UNSUPPORTED, "'w'", "'int32'");
	/* constants */
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV "," RELU ",{'name':'c','op':'Const'}"), EID_E_FORMAT,
		   "constant 'c' has no weights", NULL);
	EXPECT_BAD(MODEL(IN "," W_SHAPED("{'size':'1'},{'size':'1'},{'size':'2'},{'size':'3'}") "," B
			    "," CONV "," RELU),
		   EID_E_FORMAT, "'w'", "node shape has 6 values, manifest 4");
	EXPECT_BAD(MODEL(IN "," W_SHAPED("{'size':'1'},{'size':'one'}") "," B "," CONV "," RELU),
		   EID_E_FORMAT, "'w'", NULL);
}

/* valid models with quantised and half-precision filters */
static void test_quantised(void)
{
	/* uint8: w = q * 0.5 - 1 with q = 4, 0, 6, 3; then b as float32 */
	uint8_t buf[12] = {4, 0, 6, 3};
	memcpy(buf + 4, tiny_w + 4, 8);
	write_bytes("q8.bin", buf, 12);
	write_json("q8.json",
		   MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'q8.bin'", "{'name':'w','shape':[1,1,2,2],'dtype':'float32',"
						 "'quantization':{'dtype':'uint8','scale':0.5,'min':-1}},"
						 WSPEC("b", "[2]")) "]"));
	check_tiny_outputs("q8.json");
	/* float16: 1, -1, 2, 0.5 */
	uint8_t h[16] = {0x00, 0x3c, 0x00, 0xbc, 0x00, 0x40, 0x00, 0x38};
	memcpy(h + 8, tiny_w + 4, 8);
	write_bytes("f16.bin", h, 16);
	write_json("f16.json",
		   MODEL_M(IN "," W "," B "," CONV "," RELU,
			   "[" GROUP("'f16.bin'", "{'name':'w','shape':[1,1,2,2],'dtype':'float32',"
						  "'quantization':{'dtype':'float16'}},"
						  WSPEC("b", "[2]")) "]"));
	check_tiny_outputs("f16.json");
}

#define CONV_IN(inputs, attrs) \
	"{'name':'conv','op':'_FusedConv2D','input':[" inputs "],'attr':{" attrs "}}"

static void test_bad_conv(void)
{
	/* the filter */
	EXPECT_BAD(MODEL_M(IN ",{'name':'w','op':'Const'}," B "," CONV, MANIFEST_W("[2,2]", "[2]")),
		   EID_E_FORMAT, "'conv'", "rank 2, needs 4");
	EXPECT_BAD(MODEL_M(IN ",{'name':'w','op':'Const'}," B "," CONV, MANIFEST_W("[2,1,1,1,2]", "[2]")),
		   EID_E_FORMAT, "'conv'", "rank 5, needs 4");
	write_floats("b.bin", tiny_w + 4, 2);
	EXPECT_BAD(MODEL_M(IN ",{'name':'w','op':'Const'}," B "," CONV,
			   "[" GROUP("'b.bin'", WSPEC("w", "[1,1,0,2]") "," WSPEC("b", "[2]")) "]"),
		   EID_E_FORMAT, "'conv'", "bad shape");
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV,
			   "[" GROUP("'w.bin'", "{'name':'w','shape':[1,1,2,2],'dtype':'int32'},"
						WSPEC("b", "[2]")) "]"),
		   EID_E_UNSUPPORTED, "'conv'", "filter is not a constant");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_IN("'x'", PAD_VALID)), EID_E_FORMAT, "'conv'",
		   "needs a filter");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_IN("'x','x'", PAD_VALID)), EID_E_UNSUPPORTED, "'conv'",
		   "filter is not a constant");
	/* attributes */
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(STRIDES1)), EID_E_FORMAT, "'conv'",
		   "missing padding");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR("'padding':{'s':'!!'}")), EID_E_FORMAT, "'conv'",
		   "missing padding");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR("'padding':{'s':'Rk9P'}")), EID_E_UNSUPPORTED,
		   "'conv'", "'FOO'");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'data_format':{'s':'TkNIVw=='}")),
		   EID_E_UNSUPPORTED, "'conv'", "'NCHW'");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR("'padding':{'s':'RVhQTElDSVQ='},"
						    "'explicit_paddings':{'list':{'i':['0','0','1','1']}}")),
		   EID_E_FORMAT, "'conv'", "explicit_paddings needs 8 values");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR("'padding':{'s':'RVhQTElDSVQ='},"
						    "'explicit_paddings':{'list':{'i':['0','0','-1','1','0','0','0','0']}}")),
		   EID_E_FORMAT, "'conv'", "out of range");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'strides':{'list':{'i':['1','1','1']}}")),
		   EID_E_FORMAT, "'conv'", "strides need 4 values");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'strides':{'list':{'i':['1','0','1','1']}}")),
		   EID_E_FORMAT, "'conv'", "bad strides");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'dilations':{'list':{'i':['1','1','0','1']}}")),
		   EID_E_FORMAT, "'conv'", "bad dilations");
	/* fused ops */
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'fused_ops':{'list':{'s':['RWx1']}}")),
		   EID_E_UNSUPPORTED, "'conv'", "fused op 'Elu'");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_ATTR(PAD_VALID ",'fused_ops':{'list':{'s':['!']}}")),
		   EID_E_FORMAT, "'conv'", "bad fused_ops");
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_IN("'x','w'", PAD_VALID "," FUSED_BIAS)), EID_E_FORMAT,
		   "'conv'", "BiasAdd has no argument");
	float seven[7] = {1, -1, 2, 0.5f, 0.5f, -1, 3};
	write_floats("w7.bin", seven, 7);
	EXPECT_BAD(MODEL_M(IN "," W "," B "," CONV,
			   "[" GROUP("'w7.bin'", WSPEC("w", "[1,1,2,2]") "," WSPEC("b", "[3]")) "]"),
		   EID_E_FORMAT, "'conv'", "BiasAdd must be a constant of 2 values");
	/* matmul and pools */
	EXPECT_BAD(MODEL(IN "," W "," B ",{'name':'mm','op':'MatMul','input':['x','w']}"),
		   EID_E_UNSUPPORTED, "'mm'", "only x*W");
	EXPECT_BAD(MODEL(IN "," W "," B ",{'name':'mm','op':'MatMul','input':['x']}"), EID_E_FORMAT,
		   "'mm'", "needs weights");
	EXPECT_BAD(MODEL(IN ",{'name':'mp','op':'MaxPool','input':['x'],'attr':{" PAD_VALID "}}"),
		   EID_E_FORMAT, "'mp'", "bad ksize");
	EXPECT_BAD(MODEL(IN ",{'name':'mp','op':'AvgPool','input':['x'],'attr':{" PAD_VALID
			    ",'ksize':{'list':{'i':['1','65','1','1']}}}}"),
		   EID_E_FORMAT, "'mp'", "bad ksize");
}

/* Models that load but whose shapes only fail when run. */
static void test_run_errors(void)
{
	/* conv: 3 input channels, the filter wants 2 */
	write_json("m3.json", MODEL(IN_C("3") "," W "," B "," CONV "," RELU));
	eid_model *m = EXPECT_LOAD("m3.json", EID_OK, NULL, NULL);
	if (m) {
		float x[12] = {0};
		const int64_t shape[4] = {1, 2, 2, 3};
		run_(__LINE__, m, EID_BACKEND_FAST, 1, x, shape, 4, EID_E_SHAPE, "'conv'", "3 channels", NULL);
		run_(__LINE__, m, EID_BACKEND_REFERENCE, 1, x, shape, 4, EID_E_SHAPE, "'conv'",
		     "3 channels", NULL);
		eid_model_free(m);
	}
	/* the input itself: rank, dimensions */
	write_json("tiny.json", TINY);
	m = EXPECT_LOAD("tiny.json", EID_OK, NULL, NULL);
	if (m) {
		const int64_t r3[3] = {1, 2, 2}, d1[4] = {1, 3, 2, 2}, d0[4] = {1, 0, 2, 2};
		float x[12] = {0};
		run_(__LINE__, m, EID_BACKEND_FAST, 1, x, r3, 3, EID_E_SHAPE, "'x'", "rank", NULL);
		run_(__LINE__, m, EID_BACKEND_FAST, 1, x, d1, 4, EID_E_SHAPE, "'x'", "dimension 1", NULL);
		run_(__LINE__, m, EID_BACKEND_FAST, 1, x, d0, 4, EID_E_SHAPE, "'x'", "dimension 1", NULL);
		/* a tensor limit lowered after loading */
		const uint64_t saved = eid_limit(EID_LIMIT_MODEL_TENSOR_ELEMS);
		REQUIRE(eid_limit_set(EID_LIMIT_MODEL_TENSOR_ELEMS, 7) == 0);
		run_(__LINE__, m, EID_BACKEND_FAST, 1, tiny_x, tiny_shape, 4, EID_E_LIMIT, "'x'",
		     "exceeds 7 elements", NULL);
		REQUIRE(eid_limit_set(EID_LIMIT_MODEL_TENSOR_ELEMS, saved) == 0);
		eid_model_free(m);
	}
	/* reshape: 8 values into [2,3] or [3,3] fails, into [2,4] and [-1,4] works */
	const struct {
		int32_t v[2];
		eid_status want;
		const char *msg;
	} rs[] = {{{2, 3}, EID_E_SHAPE, "8 values into 6"},
		  {{3, 3}, EID_E_SHAPE, "(Reshape)"},
		  {{-1, 3}, EID_E_SHAPE, "do not fit"},
		  {{-2, 4}, EID_E_SHAPE, "bad target dimension"},
		  {{2, 4}, EID_OK, NULL},
		  {{-1, 4}, EID_OK, NULL}};
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		write_bytes("s.bin", rs[i].v, sizeof(rs[i].v));
		write_json("rs.json",
			   MODEL_M(IN ",{'name':'s','op':'Const'},{'name':'rs','op':'Reshape','input':['x','s']}",
				   "[" GROUP("'s.bin'", "{'name':'s','shape':[2],'dtype':'int32'}") "]"));
		m = EXPECT_LOAD("rs.json", EID_OK, NULL, NULL);
		if (!m)
			continue;
		eid_session *s = NULL;
		run_(__LINE__, m, EID_BACKEND_FAST, 1, tiny_x, tiny_shape, 4, rs[i].want, "'rs'",
		     rs[i].msg, rs[i].want == EID_OK ? &s : NULL);
		if (s) {
			eid_tensor_view v = eid_session_output(s, 0);
			CHECK(v.rank == 2 && v.dims[0] == 2 && v.dims[1] == 4 && v.count == 8);
			CHECK(v.data && memcmp(v.data, tiny_x, sizeof(tiny_x)) == 0);
			eid_session_free(s);
		}
		eid_model_free(m);
	}
	/* reshape by a float constant is refused at load */
	EXPECT_BAD(MODEL(IN "," B ",{'name':'rs','op':'Reshape','input':['x','b']}"),
		   EID_E_UNSUPPORTED, "'rs'", "int constant");
	/* pad: negative paddings, wrong count */
	const struct {
		int32_t v[8];
		const char *shape;
		const char *msg;
	} pd[] = {{{0, 0, -1, 0, 0, 0, 0, 0}, "[4,2]", "out of range"},
		  {{0, 0, 5000, 0, 0, 0, 0, 0}, "[4,2]", "out of range"},
		  {{0, 0, 1, 1, 1, 1}, "[3,2]", "6 paddings for rank 4"}};
	for (size_t i = 0; i < sizeof(pd) / sizeof(pd[0]); i++) {
		char json[1024];
		size_t nv = strcmp(pd[i].shape, "[3,2]") == 0 ? 6 : 8;
		write_bytes("p.bin", pd[i].v, nv * sizeof(int32_t));
		snprintf(json, sizeof(json), "%s",
			 MODEL_M(IN ",{'name':'p','op':'Const'},{'name':'pd','op':'Pad','input':['x','p']}",
				 "[" GROUP("'p.bin'", "{'name':'p','shape':SHAPE,'dtype':'int32'}") "]"));
		char *at = strstr(json, "SHAPE");
		REQUIRE(at);
		char rest[1024];
		snprintf(rest, sizeof(rest), "%s", at + 5);
		snprintf(at, sizeof(json) - (size_t)(at - json), "%s%s", pd[i].shape, rest);
		write_json("pd.json", json);
		m = EXPECT_LOAD("pd.json", EID_OK, NULL, NULL);
		if (!m)
			continue;
		run_(__LINE__, m, EID_BACKEND_FAST, 1, tiny_x, tiny_shape, 4, EID_E_SHAPE, "'pd'",
		     pd[i].msg, NULL);
		run_(__LINE__, m, EID_BACKEND_REFERENCE, 1, tiny_x, tiny_shape, 4, EID_E_SHAPE, "'pd'",
		     pd[i].msg, NULL);
		eid_model_free(m);
	}
}

/* Crashes and leaks found by tests/fuzz/fuzz_model.c, now clear errors. */
static void test_fuzz_regressions(void)
{
	/* BiasAdd twice in fused_ops leaked the first bias */
	EXPECT_BAD(MODEL(IN "," W "," B "," CONV_IN("'x','w','b','b'", PAD_VALID
						      ",'fused_ops':{'list':{'s':['Qmlhc0FkZA==','Qmlhc0FkZA==']}}")),
		   EID_E_FORMAT, "'conv'", "BiasAdd appears twice");
	/* an int32 constant (no float data) as an operand, an input or an output */
	const int32_t s_vals[2] = {2, 4};
	write_bytes("s.bin", s_vals, sizeof(s_vals));
	EXPECT_BAD(MODEL_M(IN ",{'name':'s','op':'Const'},{'name':'a','op':'AddV2','input':['x','s']}",
			   "[" GROUP("'s.bin'", "{'name':'s','shape':[2],'dtype':'int32'}") "]"),
		   EID_E_UNSUPPORTED, "'a'", "'s' is an int32 constant");
	EXPECT_BAD(MODEL_M(IN ",{'name':'s','op':'Const'},{'name':'r','op':'Relu','input':['s']},"
			      "{'name':'a','op':'AddV2','input':['x','r']}",
			   "[" GROUP("'s.bin'", "{'name':'s','shape':[2],'dtype':'int32'}") "]"),
		   EID_E_UNSUPPORTED, "'r'", "'s' is an int32 constant");
	EXPECT_BAD("{'modelTopology':{'node':[" IN ",{'name':'s','op':'Const'},"
		   "{'name':'r','op':'Relu','input':['x']}]},'weightsManifest':["
		   GROUP("'s.bin'", "{'name':'s','shape':[2],'dtype':'int32'}")
		   "],'signature':{'outputs':{'o1':{'name':'r'},'o2':{'name':'s'}}}}",
		   EID_E_UNSUPPORTED, "output 's' is an int32 constant", NULL);
	/* an empty tensor reaching Softmax divided by zero */
	write_json("e.json", MODEL_M("{'name':'x','op':'Placeholder','attr':{'shape':{'shape':{'dim':["
				     "{'size':'1'}]}}}},{'name':'e','op':'Const'},"
				     "{'name':'a','op':'AddV2','input':['x','e']},"
				     "{'name':'sm','op':'Softmax','input':['a']}",
				     "[" GROUP("'w.bin'", WSPEC("e", "[0]") "," WSPEC("f", "[6]")) "]"));
	eid_model *m = EXPECT_LOAD("e.json", EID_OK, NULL, NULL);
	if (m) {
		const float x[1] = {1};
		const int64_t shape[1] = {1};
		run_(__LINE__, m, EID_BACKEND_FAST, 1, x, shape, 1, EID_E_SHAPE, "'a'", "no elements",
		     NULL);
		run_(__LINE__, m, EID_BACKEND_REFERENCE, 1, x, shape, 1, EID_E_SHAPE, "'a'",
		     "no elements", NULL);
		eid_model_free(m);
	}
	/* Pad of a scalar read before its paddings in the fast kernel */
	write_bytes("p0.bin", "", 0);
	write_json("ps.json", MODEL_M("{'name':'x','op':'Placeholder','attr':{'shape':{'shape':{'dim':[]}}}},"
				      "{'name':'p','op':'Const'},{'name':'pd','op':'Pad','input':['x','p']}",
				      "[" GROUP("'p0.bin'", "{'name':'p','shape':[0,2],'dtype':'int32'}") "]"));
	m = EXPECT_LOAD("ps.json", EID_OK, NULL, NULL);
	if (m) {
		const float x[1] = {2.5f};
		for (int be = 0; be < 2; be++) {
			eid_session *s = NULL;
			run_(__LINE__, m, be ? EID_BACKEND_REFERENCE : EID_BACKEND_FAST, 1, x, NULL, 0,
			     EID_OK, NULL, NULL, &s);
			if (!s)
				continue;
			eid_tensor_view v = eid_session_output(s, 0);
			CHECK(v.rank == 0 && v.count == 1 && v.data && v.data[0] == 2.5f);
			eid_session_free(s);
		}
		eid_model_free(m);
	}
}

/* --- limits ----------------------------------------------------------------- */

static void test_limits(void)
{
	write_json("tiny.json", TINY);
	/* model.json size */
	uint64_t saved = eid_limit(EID_LIMIT_MODEL_JSON_BYTES);
	char big[2048];
	memset(big, ' ', sizeof(big));
	memcpy(big, TINY, strlen(TINY));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = big[i] == '\'' ? '"' : big[i];
	write_bytes("big.json", big, sizeof(big));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_JSON_BYTES, 1024) == 0);
	eid_model_free(EXPECT_LOAD("big.json", EID_E_LIMIT, "2048 bytes", NULL));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_JSON_BYTES, saved) == 0);
	eid_model_free(EXPECT_LOAD("big.json", EID_OK, NULL, NULL));
	/* nodes */
	saved = eid_limit(EID_LIMIT_MODEL_NODES);
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_NODES, 3) == 0);
	eid_model_free(EXPECT_LOAD("tiny.json", EID_E_LIMIT, "5 nodes (max 3)", NULL));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_NODES, saved) == 0);
	/* elements of one tensor */
	saved = eid_limit(EID_LIMIT_MODEL_TENSOR_ELEMS);
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_TENSOR_ELEMS, 3) == 0);
	eid_model_free(EXPECT_LOAD("tiny.json", EID_E_LIMIT, "'w'", "more than 3 elements"));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_TENSOR_ELEMS, saved) == 0);
	/* bytes of all shards */
	saved = eid_limit(EID_LIMIT_MODEL_WEIGHT_BYTES);
	float zeros[512] = {0};
	write_floats("z.bin", zeros, 512);
	write_json("z.json", MODEL_M(IN, "[" GROUP("'z.bin'", WSPEC("z", "[512]")) "]"));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_WEIGHT_BYTES, 1024) == 0);
	eid_model_free(EXPECT_LOAD("z.json", EID_E_LIMIT, "z.bin", NULL));
	REQUIRE(eid_limit_set(EID_LIMIT_MODEL_WEIGHT_BYTES, saved) == 0);
	eid_model_free(EXPECT_LOAD("z.json", EID_OK, NULL, NULL));
}

/* --- the real blazeface, cut short ----------------------------------------- */

#define BLAZEFACE "models/human-models/blazeface"

static void test_blazeface_truncated(void)
{
	size_t len;
	uint8_t *json = read_all(BLAZEFACE ".json", &len);
	link_to("blazeface.bin", BLAZEFACE ".bin");
	/* the whole copy loads */
	write_bytes("blazeface.json", json, len);
	eid_model_free(EXPECT_LOAD("blazeface.json", EID_OK, NULL, NULL));
	/* any proper prefix is invalid JSON (the file ends with its closing brace) */
	REQUIRE(len > 1000 && json[len - 1] == '}');
	const size_t cuts[] = {0, 1, 2, 17, 200, 1000, len / 3, len / 2, 2 * len / 3, len - 100,
			       len - 2, len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		write_bytes("blazeface.json", json, cuts[i]);
		eid_model *m = EXPECT_LOAD("blazeface.json", EID_E_FORMAT, "invalid JSON", NULL);
		eid_model_free(m);
	}
	/* the weights cut short, or one float too long */
	write_bytes("blazeface.json", json, len);
	size_t blen;
	uint8_t *bin = read_all(BLAZEFACE ".bin", &blen);
	const size_t bcuts[] = {0, 4, blen / 2, blen - 4, blen - 1, blen + 4};
	uint8_t *longer = calloc(blen + 4, 1);
	REQUIRE(longer);
	memcpy(longer, bin, blen);
	char msg[64];
	for (size_t i = 0; i < sizeof(bcuts) / sizeof(bcuts[0]); i++) {
		char path[256];
		path_in(path, sizeof(path), "blazeface.bin");
		unlink(path);
		write_bytes("blazeface.bin", longer, bcuts[i]);
		snprintf(msg, sizeof(msg), "shards hold %zu bytes", bcuts[i]);
		eid_model_free(EXPECT_LOAD("blazeface.json", EID_E_FORMAT, msg, "describes"));
	}
	free(longer);
	free(bin);
	free(json);
}

static void test_describe_blazeface(void)
{
	eid_model *m = EXPECT_LOAD(BLAZEFACE ".json", EID_OK, NULL, NULL);
	REQUIRE(m);
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	REQUIRE(f);
	eid_model_describe_json(m, f);
	fclose(f);
	CHECK(strstr(text, "\"shape\":[1,256,256,3]"));
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	CHECK(root);
	json_t *outs = json_object_get(root, "outputs");
	CHECK(json_array_size(outs) == 4);
	CHECK(eid_model_num_outputs(m) == 4);
	static const char *const names[] = {"Identity", "Identity_1", "Identity_2", "Identity_3"};
	for (size_t i = 0; i < 4; i++) {
		const char *got = json_string_value(json_object_get(json_array_get(outs, i), "name"));
		CHECK(got && strcmp(got, names[i]) == 0);
		CHECK(eid_model_output_name(m, i) && strcmp(eid_model_output_name(m, i), names[i]) == 0);
	}
	json_t *in = json_array_get(json_object_get(root, "inputs"), 0);
	CHECK(json_array_size(json_object_get(in, "shape")) == 4);
	CHECK(json_integer_value(json_object_get(root, "parameters")) > 0);
	json_decref(root);
	free(text);
	eid_model_free(m);
}

/* --- the face-api manifest ---------------------------------------------------- */

#define FACEAPI "models/face-api/face_recognition_model"

/* bytes one manifest entry takes in the shard */
static size_t entry_bytes(json_t *w)
{
	size_t n = 1;
	json_t *shape = json_object_get(w, "shape");
	for (size_t i = 0; i < json_array_size(shape); i++)
		n *= (size_t)json_integer_value(json_array_get(shape, i));
	const char *q = json_string_value(json_object_get(json_object_get(w, "quantization"), "dtype"));
	return n * (!q ? 4 : strcmp(q, "uint8") == 0 ? 1 : 2);
}

static void write_manifest(json_t *root)
{
	char path[256];
	path_in(path, sizeof(path), "fr-weights_manifest.json");
	REQUIRE(json_dump_file(root, path, JSON_COMPACT) == 0);
}

/* Writes the manifest without entry `name` and, if cut, a shard without its bytes. */
static void drop_weight(const char *name, int cut, const uint8_t *bin, size_t blen)
{
	json_error_t jerr;
	json_t *root = json_load_file(FACEAPI "-weights_manifest.json", 0, &jerr);
	REQUIRE(root);
	json_t *ws = json_object_get(json_array_get(root, 0), "weights");
	size_t off = 0, drop = 0;
	int found = 0;
	for (size_t i = 0; i < json_array_size(ws); i++) {
		json_t *w = json_array_get(ws, i);
		if (strcmp(json_string_value(json_object_get(w, "name")), name) == 0) {
			drop = entry_bytes(w);
			json_array_remove(ws, i);
			found = 1;
			break;
		}
		off += entry_bytes(w);
	}
	REQUIRE(found);
	write_manifest(root);
	json_decref(root);
	char path[256];
	path_in(path, sizeof(path), "face_recognition_model.bin");
	unlink(path);
	if (!cut) {
		link_to("face_recognition_model.bin", FACEAPI ".bin");
		return;
	}
	REQUIRE(off + drop <= blen);
	uint8_t *copy = malloc(blen);
	REQUIRE(copy);
	memcpy(copy, bin, off);
	memcpy(copy + off, bin + off + drop, blen - off - drop);
	write_bytes("face_recognition_model.bin", copy, blen - drop);
	free(copy);
}

/* Writes the manifest with entry `name` given a new shape (same element count). */
static void reshape_weight(const char *name, const json_int_t *dims, size_t rank)
{
	json_error_t jerr;
	json_t *root = json_load_file(FACEAPI "-weights_manifest.json", 0, &jerr);
	REQUIRE(root);
	json_t *ws = json_object_get(json_array_get(root, 0), "weights");
	for (size_t i = 0; i < json_array_size(ws); i++) {
		json_t *w = json_array_get(ws, i);
		if (strcmp(json_string_value(json_object_get(w, "name")), name) == 0) {
			json_t *shape = json_array();
			for (size_t k = 0; k < rank; k++)
				json_array_append_new(shape, json_integer(dims[k]));
			json_object_set_new(w, "shape", shape);
		}
	}
	write_manifest(root);
	json_decref(root);
	char path[256];
	path_in(path, sizeof(path), "face_recognition_model.bin");
	unlink(path);
	link_to("face_recognition_model.bin", FACEAPI ".bin");
}

static void test_faceapi_manifest(void)
{
	size_t blen;
	uint8_t *bin = read_all(FACEAPI ".bin", &blen);
	const char *mf = "fr-weights_manifest.json";
	/* an unchanged copy loads */
	reshape_weight("none", NULL, 0);
	eid_model_free(EXPECT_LOAD(mf, EID_OK, NULL, NULL));
	/* 'fc' removed: the shard no longer matches the manifest */
	drop_weight("fc", 0, bin, blen);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "shards hold", NULL));
	/* 'fc' removed with its bytes: refused (today as "not face-api's
	 * face_recognition_model"; a "weight 'fc' is missing" would be clearer) */
	drop_weight("fc", 1, bin, blen);
	char path[256];
	path_in(path, sizeof(path), mf);
	eid_model *m = NULL;
	eid_err err = {{0}};
	eid_status st = eid_model_load(path, &m, &err);
	CHECK((st == EID_E_UNSUPPORTED && strstr(err.msg, "face_recognition_model")) ||
	      (st == EID_E_FORMAT && strstr(err.msg, "'fc'")));
	CHECK(m == NULL);
	eid_model_free(m);
	/* a weight in the middle removed with its bytes */
	drop_weight("conv64_1/conv2/scale/biases", 1, bin, blen);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'conv64_1/conv2/scale/biases' is missing", NULL));
	drop_weight("conv32_down/conv/bias", 1, bin, blen);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'conv32_down/conv/bias' is missing", NULL));
	/* wrong shapes with the same element count */
	const json_int_t f1[4] = {7, 7, 32, 3}, f2[2] = {128, 256}, f3[2] = {1, 64},
			 f4[4] = {3, 3, 64, 32};
	reshape_weight("conv32_down/conv/filters", f1, 4);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'conv32_down/conv/filters'", "unexpected shape"));
	reshape_weight("fc", f2, 2);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'fc'", "[256,128]"));
	reshape_weight("conv64_2/conv1/scale/weights", f3, 2);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'conv64_2/conv1/scale/weights'",
				   "unexpected shape"));
	reshape_weight("conv64_down/conv1/conv/filters", f4, 4);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "'conv64_down/conv1/conv/filters'",
				   "unexpected shape"));
	/* the shard cut short */
	path_in(path, sizeof(path), "face_recognition_model.bin");
	reshape_weight("none", NULL, 0);
	unlink(path);
	write_bytes("face_recognition_model.bin", bin, blen - 1);
	eid_model_free(EXPECT_LOAD(mf, EID_E_FORMAT, "shards hold", NULL));
	free(bin);
}

static void test_cleanup(void)
{
	DIR *d = opendir(tmpdir);
	REQUIRE(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		CHECK(unlink(path) == 0);
	}
	closedir(d);
	CHECK(rmdir(tmpdir) == 0);
}

TEST_MAIN(test_setup, test_valid_tiny, test_bad_json, test_bad_topology, test_bad_shards,
	  test_bad_weights, test_quantised, test_bad_conv, test_run_errors, test_fuzz_regressions, test_limits,
	  test_blazeface_truncated, test_describe_blazeface, test_faceapi_manifest, test_cleanup)
