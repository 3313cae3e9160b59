/* eid face detect|embed|compare|eval|bench */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eid/face.h"
#include "eid/face_match.h"
#include "eid/liveness.h"
#include "eid/util.h"

/* a JSON string literal, escaped by jansson */
static void json_str(FILE *out, const char *s)
{
	json_t *j = json_string(s);
	if (!j || json_dumpf(j, out, JSON_ENCODE_ANY) != 0)
		fputs("\"\"", out); /* not UTF-8: an empty string rather than bad JSON */
	json_decref(j);
}

static void json_error(FILE *out, const char *image, eid_status st, const eid_err *err)
{
	fprintf(out, "{\"image\":");
	json_str(out, image);
	fprintf(out, ",\"error\":{\"code\":\"%s\",\"message\":", eid_status_code(st));
	json_str(out, err->msg);
	fprintf(out, "}}\n");
}

/* Shared set-up: engine + one context; --models DIR and --threads T options. */
typedef struct face_cli {
	eid_face_engine *fe;
	eid_face_ctx *fc;
	const char *models;
	int threads, repeat;
	int with_template; /* --template: faceres too */
	const char *args[4096];
	int nargs;
	const char *root;
	const char *cohort; /* --cohort DIR */
} face_cli;

/* Options and between min_args and max_args positional arguments; 2 (after
 * printing the usage) when they are not that. */
static int parse(face_cli *c, int argc, char **argv, const char *usage, int min_args,
		 int max_args)
{
	memset(c, 0, sizeof(*c));
	c->threads = 1;
	c->repeat = 10;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--models") == 0 && v)
			c->models = argv[++i];
		else if (strcmp(a, "--threads") == 0 && v)
			c->threads = atoi(argv[++i]);
		else if (strcmp(a, "--repeat") == 0 && v)
			c->repeat = atoi(argv[++i]);
		else if (strcmp(a, "--root") == 0 && v)
			c->root = argv[++i];
		else if (strcmp(a, "--template") == 0)
			c->with_template = 1;
		else if (strcmp(a, "--cohort") == 0 && v)
			c->cohort = argv[++i];
		else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "unknown or incomplete option '%s'\nusage: %s\n", a, usage);
			return 2;
		} else if (c->nargs < 4096)
			c->args[c->nargs++] = a;
	}
	if (c->threads < 1 || c->threads > 64 || c->repeat < 1 || c->repeat > 100000 ||
	    c->nargs < min_args || c->nargs > max_args) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	return 0;
}

static int start(face_cli *c)
{
	eid_err err;
	eid_status st = eid_face_engine_load(c->models, &c->fe, &err);
	if (!st)
		st = eid_face_ctx_new(c->fe, c->threads, &c->fc, &err);
	if (st) {
		fprintf(stderr, "eid: cannot start the face engine: %s (%s)\n", err.msg,
			eid_status_code(st));
		return 1;
	}
	return 0;
}

static int load_cohort(const eid_face_engine *fe, const char *dir, int threads,
		       eid_face_cohort **out);

static void stop(face_cli *c)
{
	eid_face_ctx_free(c->fc);
	eid_face_engine_free(c->fe);
}

/* Decodes and analyses one image file into r, and into a verification
 * template when tpl is not NULL. */
static eid_status analyze_file_tpl(eid_face_ctx *fc, const char *path, eid_face_result *r,
				   eid_face_template *tpl, eid_err *err)
{
	eid_image img = {0};
	double t0 = eid_now_ms();
	eid_status st = eid_image_load(path, &img, err);
	double t1 = eid_now_ms();
	if (!st)
		st = eid_face_analyze(fc, &img, r, err);
	if (!st && tpl)
		st = eid_face_template_make(fc, &img, r, tpl, err);
	r->ms_decode = t1 - t0;
	eid_image_release(&img);
	return st;
}

static eid_status analyze_file(eid_face_ctx *fc, const char *path, eid_face_result *r,
			       eid_err *err)
{
	return analyze_file_tpl(fc, path, r, NULL, err);
}

static void print_quality(FILE *out, const eid_face_quality *q)
{
	const char *codes[16];
	size_t n = eid_face_quality_reasons(q, codes, 16);
	fprintf(out,
		"\"quality\":{\"ok\":%s,\"iod_px\":%.1f,\"box_px\":%.1f,\"blur\":%.1f,"
		"\"mean_luma\":%.1f,\"dark_frac\":%.4f,\"bright_frac\":%.4f,\"yaw_deg\":%.1f,"
		"\"pitch_deg\":%.1f,\"roll_deg\":%.1f,\"reasons\":[",
		n ? "false" : "true", q->iod_px, q->box_px, q->blur_var, q->mean_luma, q->dark_frac,
		q->bright_frac, q->yaw_deg, q->pitch_deg, q->roll_deg);
	for (size_t i = 0; i < n && i < 16; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", codes[i]);
	fprintf(out, "]}");
}

int cmd_face_detect(int argc, char **argv)
{
	face_cli c;
	const char *usage = "eid face detect IMAGE [--models DIR]";
	if (parse(&c, argc, argv, usage, 1, 1))
		return 2;
	int rc = 0;
	if (start(&c))
		return 1;
	eid_face_result *r = malloc(sizeof(*r));
	eid_err err;
	eid_status st = r ? analyze_file(c.fc, c.args[0], r, &err) : EID_E_NOMEM;
	if (!r)
		snprintf(err.msg, sizeof(err.msg), "out of memory");
	if (st) {
		json_error(stdout, c.args[0], st, &err);
		rc = 1;
	} else {
		const eid_face_det *d = &r->det;
		printf("{\"image\":");
		json_str(stdout, c.args[0]);
		printf(",\"faces_found\":%d,\"detect_try\":%d,\"face\":{\"score\":%.4f,"
		       "\"box\":[%.2f,%.2f,%.2f,%.2f],\"keypoints\":[",
		       r->faces_found, r->detect_try, d->score, d->x1, d->y1, d->x2, d->y2);
		for (int k = 0; k < EID_FACE_DET_KEYPOINTS; k++)
			printf("%s[%.2f,%.2f]", k ? "," : "", d->kp[k][0], d->kp[k][1]);
		printf("]},\"landmarks\":[");
		for (int k = 0; k < EID_FACE_MESH_POINTS; k++)
			printf("%s[%.2f,%.2f,%.2f]", k ? "," : "", r->landmarks[3 * k],
			       r->landmarks[3 * k + 1], r->landmarks[3 * k + 2]);
		printf("],");
		print_quality(stdout, &r->quality);
		printf("}\n");
	}
	free(r);
	stop(&c);
	return rc;
}

int cmd_face_embed(int argc, char **argv)
{
	face_cli c;
	const char *usage = "eid face embed IMAGE... [--template] [--models DIR] [--threads T]\n"
			    "  --template: also faceres's descriptor, the second half of a template";
	if (parse(&c, argc, argv, usage, 1, 4096))
		return 2;
	int rc = 0;
	if (start(&c))
		return 1;
	eid_face_result *r = malloc(sizeof(*r));
	eid_face_template *tpl = malloc(sizeof(*tpl));
	if (!r || !tpl) {
		free(r);
		free(tpl);
		stop(&c);
		return 1;
	}
	for (int i = 0; i < c.nargs; i++) {
		eid_err err;
		eid_status st = analyze_file_tpl(c.fc, c.args[i], r, c.with_template ? tpl : NULL, &err);
		if (st) {
			json_error(stdout, c.args[i], st, &err);
			rc = 1;
			continue;
		}
		printf("{\"image\":");
		json_str(stdout, c.args[i]);
		printf(",\"faces_found\":%d,\"embedding\":[", r->faces_found);
		for (int k = 0; k < EID_FACE_EMBEDDING_DIM; k++)
			printf("%s%.8g", k ? "," : "", r->embedding[k]);
		printf("],");
		if (c.with_template) {
			printf("\"faceres\":[");
			for (int k = 0; k < EID_FACE_RES_DIM; k++)
				printf("%s%.8g", k ? "," : "", tpl->faceres[k]);
			printf("],");
		}
		print_quality(stdout, &r->quality);
		printf("}\n");
	}
	free(r);
	free(tpl);
	stop(&c);
	return rc;
}

int cmd_face_compare(int argc, char **argv)
{
	face_cli c;
	const char *usage = "eid face compare A B [--cohort DIR] [--models DIR]\n"
			    "  --cohort: the normalisation cohort the calibration was set with";
	if (parse(&c, argc, argv, usage, 2, 2))
		return 2;
	int rc = 0;
	if (start(&c))
		return 1;
	eid_face_result *r = malloc(2 * sizeof(*r));
	eid_face_template *t = malloc(2 * sizeof(*t));
	eid_err err;
	eid_status st = EID_E_NOMEM;
	int bad = 0;
	eid_face_cohort *cohort = NULL;
	if (load_cohort(c.fe, c.cohort, c.threads, &cohort)) {
		free(r);
		free(t);
		stop(&c);
		return 1;
	}
	if (r && t) {
		st = analyze_file_tpl(c.fc, c.args[0], &r[0], &t[0], &err);
		if (!st) {
			bad = 1;
			st = analyze_file_tpl(c.fc, c.args[1], &r[1], &t[1], &err);
		}
	} else {
		snprintf(err.msg, sizeof(err.msg), "out of memory");
	}
	if (st) {
		json_error(stdout, c.args[bad], st, &err);
		rc = 1;
	} else {
		/* score: the reference pipeline's cosine; match: the calibrated
		 * score the services decide with, and what it decides per level */
		eid_face_scorer used;
		const double m = eid_face_match(&t[0], &t[1], cohort, &used);
		printf("{\"a\":");
		json_str(stdout, c.args[0]);
		printf(",\"b\":");
		json_str(stdout, c.args[1]);
		printf(",\"score\":%.4f,\"match\":%.4f,\"scorer\":\"%s\",\"calibration\":\"%s\","
		       "\"accept\":{",
		       eid_face_score(r[0].embedding, r[1].embedding), m, eid_face_scorer_name(used),
		       eid_face_calibration_current()->id);
		for (int l = 0; l < EID_FACE_LEVELS; l++)
			printf("%s\"%s\":%s", l ? "," : "", eid_face_level_name((eid_face_level)l),
			       m >= eid_face_threshold((eid_face_level)l, used) ? "true" : "false");
		printf("}}\n");
	}
	free(r);
	free(t);
	eid_face_cohort_free(cohort);
	stop(&c);
	return rc;
}


/* --- eval ----------------------------------------------------------------- */

static int find_name(char **names, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], path) == 0)
			return i;
	return -1;
}

/* The normalisation cohort of dir (NULL: none), or an error message. */
static int load_cohort(const eid_face_engine *fe, const char *dir, int threads,
		       eid_face_cohort **out)
{
	*out = NULL;
	if (!dir)
		return 0;
	eid_face_template *t;
	size_t n;
	char digest[65];
	eid_err err;
	eid_status st = eid_face_cohort_dir(fe, dir, threads, &t, &n, digest, &err);
	eid_err why;
	if (!st && (st = eid_face_cohort_check(n, digest, &why)))
		st = eid_fail(&err, st, "cohort '%s': %s", dir, why.msg);
	if (!st)
		st = eid_face_cohort_new(t, n, out, &err);
	if (!st)
		sodium_memzero(t, n * sizeof(*t));
	free(t);
	if (st) {
		fprintf(stderr, "eid: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	return 0;
}

/* --cohort DIR, or the cohort folder beside the pairs' root when it has one */
static const char *cohort_dir(const face_cli *c, char *buf, size_t cap)
{
	if (c->cohort)
		return cli_cohort_option(c->cohort, buf, cap);
	snprintf(buf, cap, "%s/../cohort/manifest.csv", c->root);
	if (access(buf, R_OK) != 0)
		return cli_cohort_option(NULL, buf, cap); /* ../shared/faces/cohort */
	buf[strlen(buf) - strlen("/manifest.csv")] = 0;
	return buf;
}

int cmd_face_eval(int argc, char **argv)
{
	face_cli c;
	const char *usage = "eid face eval PAIRS.csv [--root DIR] [--cohort DIR|none] [--threads T] "
			    "[--models DIR]\n  --cohort: the normalisation cohort (default: the "
			    "cohort folder beside the root, else ../shared/faces/cohort, if there)";
	if (parse(&c, argc, argv, usage, 1, 1))
		return 2;
	int rc = 0;
	char rootbuf[4096];
	if (!c.root) {
		/* default: the pairs file's directory */
		snprintf(rootbuf, sizeof(rootbuf), "%s", c.args[0]);
		char *slash = strrchr(rootbuf, '/');
		if (slash)
			*slash = 0;
		else
			snprintf(rootbuf, sizeof(rootbuf), ".");
		c.root = rootbuf;
	}
	FILE *f = fopen(c.args[0], "r");
	if (!f) {
		fprintf(stderr, "eid: cannot open '%s'\n", c.args[0]);
		return 1;
	}
	int cap = 1024, n_items = 0, n_pairs = 0, pcap = 1024;
	char **names = calloc((size_t)cap, sizeof(*names));
	int(*pairs)[3] = malloc((size_t)pcap * sizeof(*pairs));
	eid_face_batch_item *items = NULL;
	eid_face_cohort *cohort = NULL;
	eid_face_engine *fe = NULL;
	char line[8192];
	int lineno = 0;
	while (names && pairs && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || (lineno == 1 && strncmp(line, "a,b,", 4) == 0))
			continue;
		char *a = line, *b = strchr(a, ','), *s = b ? strchr(b + 1, ',') : NULL;
		if (!s) {
			fprintf(stderr, "eid: '%s' line %d: expected a,b,same\n", c.args[0], lineno);
			rc = 2;
			break;
		}
		*b++ = 0;
		*s++ = 0;
		if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
			fprintf(stderr, "eid: '%s' line %d: same must be 0 or 1\n", c.args[0], lineno);
			rc = 2;
			break;
		}
		if (n_pairs == pcap) {
			pcap *= 2;
			void *np = realloc(pairs, (size_t)pcap * sizeof(*pairs));
			if (!np)
				break;
			pairs = np;
		}
		const char *ab[2] = {a, b};
		for (int k = 0; k < 2; k++) {
			int idx = find_name(names, n_items, ab[k]);
			if (idx < 0) {
				if (n_items == cap) {
					cap *= 2;
					void *nn = realloc(names, (size_t)cap * sizeof(*names));
					if (!nn)
						break;
					names = nn;
				}
				names[n_items] = strdup(ab[k]);
				idx = n_items++;
			}
			pairs[n_pairs][k] = idx;
		}
		pairs[n_pairs++][2] = s[0] == '1';
	}
	fclose(f);
	if (rc || !names || !pairs || n_pairs == 0) {
		if (!rc)
			fprintf(stderr, "eid: '%s' holds no pairs\n", c.args[0]);
		rc = rc ? rc : 1;
		goto out;
	}
	eid_err err;
	eid_status st = eid_face_engine_load(c.models, &fe, &err);
	if (st) {
		fprintf(stderr, "eid: cannot start the face engine: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	char cbuf[4200];
	if (load_cohort(fe, cohort_dir(&c, cbuf, sizeof(cbuf)), c.threads, &cohort)) {
		rc = 1;
		goto out;
	}
	items = calloc((size_t)n_items, sizeof(*items));
	for (int i = 0; items && i < n_items; i++) {
		char *p = malloc(strlen(c.root) + strlen(names[i]) + 2);
		if (p)
			sprintf(p, "%s/%s", c.root, names[i]);
		items[i].path = p;
	}
	if (!items) {
		rc = 1;
		goto out;
	}
	double t0 = eid_now_ms();
	eid_face_batch(fe, items, (size_t)n_items, c.threads);
	double elapsed = eid_now_ms() - t0;

	int fta = 0, quality_refused = 0;
	for (int i = 0; i < n_items; i++) {
		if (items[i].st) {
			fta++;
			fprintf(stderr, "eid: %s: %s (%s)\n", names[i], items[i].msg,
				eid_status_code(items[i].st));
		}
		quality_refused += !items[i].st && !items[i].quality_ok;
	}
	double *gen = malloc((size_t)n_pairs * sizeof(double)),
	       *imp = malloc((size_t)n_pairs * sizeof(double));
	const eid_face_calibration *cal = eid_face_calibration_current();
	printf("{\"pairs\":%d,\"images\":%d,\"failure_to_acquire\":%d,\"quality_refused\":%d,"
	       "\"calibration\":\"%s\",\"cohort\":%zu",
	       n_pairs, n_items, fta, quality_refused, cal->id, eid_face_cohort_size(cohort));
	/* the services' scorer first (normalised when there is a cohort), then
	 * the others; dlib alone ranks pairs as the reference pipeline's cosine */
	eid_face_scorer scorers[3];
	int ns = 0;
	if (cohort)
		scorers[ns++] = EID_FACE_SCORER_FUSED_NORM;
	scorers[ns++] = EID_FACE_SCORER_FUSED;
	scorers[ns++] = EID_FACE_SCORER_DLIB;
	for (int k = 0; !rc && k < ns; k++) {
		size_t ng = 0, ni = 0;
		int skipped = 0, fallback = 0;
		for (int p = 0; gen && imp && p < n_pairs; p++) {
			eid_face_batch_item *x = &items[pairs[p][0]], *y = &items[pairs[p][1]];
			if (x->st || y->st) {
				skipped++;
				continue;
			}
			double sc;
			if (scorers[k] == EID_FACE_SCORER_FUSED_NORM) {
				/* as the services decide: fused where a face is outside
				 * the cohort's domain, put on the normalised scale */
				eid_face_scorer used;
				sc = eid_face_match(&x->tpl, &y->tpl, cohort, &used);
				if (used != EID_FACE_SCORER_FUSED_NORM) {
					sc = eid_face_score_rescale(sc, used, EID_FACE_SCORER_FUSED_NORM);
					fallback++;
				}
			} else {
				sc = eid_face_match_with(cal, scorers[k], NULL, &x->tpl, &y->tpl);
			}
			if (pairs[p][2])
				gen[ng++] = sc;
			else
				imp[ni++] = sc;
		}
		eid_face_metrics m;
		st = gen && imp ? eid_face_metrics_compute(gen, ng, imp, ni, &m, &err) : EID_E_NOMEM;
		if (st) {
			printf("}\n");
			fprintf(stderr, "eid: cannot compute metrics: %s\n", err.msg);
			rc = 1;
			break;
		}
		if (k == 0) /* the headline: the services' scorer, at the top level */
			printf(",\"scorer\":\"%s\",\"genuine\":%zu,\"impostor\":%zu,\"pairs_skipped\":%d,"
			       "\"eer\":%.4f,\"eer_threshold\":%.4f,\"tar_at_far_1e-2\":%.4f,"
			       "\"threshold_far_1e-2\":%.4f,\"tar_at_far_1e-3\":%.4f,"
			       "\"threshold_far_1e-3\":%.4f",
			       eid_face_scorer_name(scorers[k]), ng, ni, skipped, m.eer, m.eer_threshold,
			       m.at_far_1e2.tar, m.at_far_1e2.threshold, m.at_far_1e3.tar,
			       m.at_far_1e3.threshold);
		if (scorers[k] == EID_FACE_SCORER_FUSED_NORM)
			printf(",\"pairs_outside_cohort_domain\":%d", fallback);
		printf(",\"%s\":{\"eer\":%.4f,\"eer_threshold\":%.4f,\"tar_at_far_1e-2\":%.4f,"
		       "\"threshold_far_1e-2\":%.4f,\"tar_at_far_1e-3\":%.4f,"
		       "\"threshold_far_1e-3\":%.4f,\"levels\":{",
		       eid_face_scorer_name(scorers[k]), m.eer, m.eer_threshold, m.at_far_1e2.tar,
		       m.at_far_1e2.threshold, m.at_far_1e3.tar, m.at_far_1e3.threshold);
		/* what the configured thresholds do on these pairs */
		for (int l = 0; l < EID_FACE_LEVELS; l++) {
			const double t = cal->threshold[scorers[k]][l];
			size_t fa = 0, fr = 0;
			for (size_t i = 0; i < ni; i++)
				fa += imp[i] >= t;
			for (size_t i = 0; i < ng; i++)
				fr += gen[i] < t;
			printf("%s\"%s\":{\"threshold\":%.4f,\"far_target\":%g,\"far\":%.4f,"
			       "\"frr\":%.4f}",
			       l ? "," : "", eid_face_level_name((eid_face_level)l), t,
			       cal->far_target[l], ni ? (double)fa / (double)ni : 0.0,
			       ng ? (double)fr / (double)ng : 0.0);
		}
		printf("}}");
	}
	if (!rc)
		printf(",\"seconds\":%.1f,\"threads\":%d}\n", elapsed / 1000, c.threads);
	free(gen);
	free(imp);
out:
	for (int i = 0; items && i < n_items; i++)
		free((char *)items[i].path);
	if (items)
		sodium_memzero(items, (size_t)n_items * sizeof(*items));
	free(items);
	for (int i = 0; names && i < n_items; i++)
		free(names[i]);
	free(names);
	free(pairs);
	eid_face_cohort_free(cohort);
	eid_face_engine_free(fe);
	return rc;
}

/* --- bench: stage times of the whole pipeline on one photo ------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int cmd_face_bench(int argc, char **argv)
{
	face_cli c;
	const char *usage = "eid face bench IMAGE [--repeat N] [--threads T] [--models DIR]";
	if (parse(&c, argc, argv, usage, 1, 1))
		return 2;
	int rc = 0;
	if (start(&c))
		return 1;
	const int n = c.repeat;
	double *t = calloc((size_t)n * 6, sizeof(double));
	eid_face_result *r = malloc(sizeof(*r));
	eid_err err;
	eid_status st = t && r ? EID_OK : EID_E_NOMEM;
	for (int i = 0; !st && i < n + 1; i++) {
		double t0 = eid_now_ms();
		st = analyze_file(c.fc, c.args[0], r, &err);
		double total = eid_now_ms() - t0;
		if (i == 0)
			continue; /* warm-up: plans buffers and packs weights */
		double *row = t + (size_t)(i - 1) * 6;
		row[0] = r->ms_decode, row[1] = r->ms_detect, row[2] = r->ms_landmarks;
		row[3] = r->ms_align, row[4] = r->ms_embed, row[5] = total;
	}
	if (st) {
		json_error(stdout, c.args[0], st, &err);
		rc = 1;
	} else {
		static const char *const names[6] = {"decode", "detect", "landmarks", "align",
						      "embed",	"total"};
		double col[100000];
		printf("{\"image\":");
		json_str(stdout, c.args[0]);
		printf(",\"threads\":%d,\"repeat\":%d,\"median_ms\":{", c.threads, n);
		for (int s = 0; s < 6; s++) {
			for (int i = 0; i < n; i++)
				col[i] = t[(size_t)i * 6 + s];
			printf("%s\"%s\":%.2f", s ? "," : "", names[s], median(col, n));
		}
		printf("}}\n");
	}
	free(t);
	free(r);
	stop(&c);
	return rc;
}

/* eid face liveness --challenge left,right FRAME...: the active liveness
 * check on a burst of frames in time order (the reference face is the first
 * frame's, or --reference IMAGE); one JSON line per frame, then the verdict. */
int cmd_face_liveness(int argc, char **argv)
{
	const char *usage = "eid face liveness --challenge MOVE[,MOVE...] [--reference IMAGE] "
			    "FRAME... [--models DIR]\n  MOVE: left, right, up, down";
	const char *challenge = NULL, *reference = NULL;
	char *rest[4096];
	int nrest = 0;
	for (int i = 0; i < argc && nrest < 4096; i++) {
		if (strcmp(argv[i], "--challenge") == 0 && i + 1 < argc)
			challenge = argv[++i];
		else if (strcmp(argv[i], "--reference") == 0 && i + 1 < argc)
			reference = argv[++i];
		else
			rest[nrest++] = argv[i];
	}
	eid_move moves[EID_LIVENESS_MAX_MOVES];
	size_t nmoves = 0;
	char list[128];
	snprintf(list, sizeof(list), "%s", challenge ? challenge : "");
	for (char *save, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		const int v = eid_move_parse(m);
		if (v < 0 || nmoves == EID_LIVENESS_MAX_MOVES) {
			fprintf(stderr, "usage: %s\n", usage);
			return 2;
		}
		moves[nmoves++] = (eid_move)v;
	}
	face_cli c;
	if (!nmoves || parse(&c, nrest, rest, usage, 1, EID_LIVENESS_MAX_FRAMES))
		return 2;
	if (start(&c))
		return 1;
	eid_face_result *r = malloc(sizeof(*r));
	eid_liveness_frame *frames = calloc((size_t)c.nargs, sizeof(*frames));
	float ref[EID_FACE_EMBEDDING_DIM];
	int have_ref = 0, rc = 0;
	eid_err err;
	if (!r || !frames) {
		fprintf(stderr, "eid: out of memory\n");
		rc = 1;
	}
	if (!rc && reference) {
		eid_status st = analyze_file(c.fc, reference, r, &err);
		if (st) {
			json_error(stdout, reference, st, &err);
			rc = 1;
		} else {
			memcpy(ref, r->embedding, sizeof(ref));
			have_ref = 1;
		}
	}
	for (int i = 0; !rc && i < c.nargs; i++) {
		eid_status st = analyze_file(c.fc, c.args[i], r, &err);
		if (st && st != EID_E_NO_FACE) {
			json_error(stdout, c.args[i], st, &err);
			rc = 1;
			break;
		}
		eid_liveness_frame_from(st ? NULL : r, &frames[i]);
		if (!st && !have_ref) {
			memcpy(ref, r->embedding, sizeof(ref));
			have_ref = 1;
		}
		float real = 0, live = 0;
		eid_status ps = st ? EID_OK : eid_face_passive(c.fc, &real, &live, &err);
		if (ps) {
			fprintf(stderr, "eid: %s (%s)\n", err.msg, eid_status_code(ps));
			rc = 1;
			break;
		}
		printf("{\"frame\":");
		json_str(stdout, c.args[i]);
		if (st)
			printf(",\"face\":false}\n");
		else
			printf(",\"face\":true,\"yaw\":%.1f,\"pitch\":%.1f,\"identity\":%.4f,"
			       "\"antispoof\":%.3f,\"liveness\":%.3f}\n",
			       frames[i].yaw_deg, frames[i].pitch_deg,
			       have_ref ? eid_face_score(r->embedding, ref) : 1.0, real, live);
	}
	if (!rc) {
		eid_liveness_verdict v;
		eid_status st = eid_liveness_check(frames, (size_t)c.nargs, moves, nmoves,
						   have_ref ? ref : frames[0].embedding, NULL, &v,
						   &err);
		if (st) {
			fprintf(stderr, "eid: %s (%s)\n", err.msg, eid_status_code(st));
			rc = 1;
		} else {
			printf("{\"challenge\":\"%s\",\"pass\":%s,\"reason\":\"%s\",\"moves_done\":%zu,"
			       "\"faces\":%zu,\"frames\":%d,\"min_identity\":%.4f,\"yaw\":[%.1f,%.1f],"
			       "\"pitch\":[%.1f,%.1f],\"shape_change\":%.4f}\n",
			       challenge, v.pass ? "true" : "false", v.reason ? v.reason : "",
			       v.moves_done, v.faces, c.nargs, v.faces ? v.min_identity : 0.0,
			       v.faces ? v.yaw_min : 0.0, v.faces ? v.yaw_max : 0.0,
			       v.faces ? v.pitch_min : 0.0, v.faces ? v.pitch_max : 0.0,
			       v.shape_change);
			rc = v.pass ? 0 : 3;
		}
	}
	free(r);
	free(frames);
	stop(&c);
	return rc;
}
