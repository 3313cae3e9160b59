/* eid bench verify: verifications per second and their latency through the
 * real HTTP path. A fresh data directory, one resident, the authority and the
 * platform on loopback in this process; C client threads each loop: a
 * relying party's request, the app's sealed answer (face and, at full level,
 * passcode), the relying party's signed result. Prints one JSON line. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "eid/api.h"
#include "eid/client.h"
#include "eid/log.h"
#include "eid/util.h"

typedef struct bench {
	const char *purl, *cred, *level, *passcode;
	const char *poses; /* full: follow each challenge with demo/photos/<poses>-*.png */
	eid_app *app; /* one card; answering is read-only on the app */
	const uint8_t *photo;
	size_t photo_len;
	int total;
	int next, yes, errors; /* under lock */
	double *lat_ms;
	pthread_mutex_t lock;
} bench;

/* one verification, start to signed result; 1 if the answer was yes */
static int verify_once(bench *b, eid_err *err)
{
	char sid[64];
	char *qr = NULL;
	json_t *answer = NULL, *result = NULL;
	cli_burst burst = {0};
	eid_status st = eid_rp_request(b->purl, b->cred, "benchmark", b->level, sid, &qr, err);
	if (!st && b->poses)
		st = cli_burst_follow(b->app, qr, "demo/photos", b->poses, &burst, err);
	if (!st)
		st = eid_app_answer(b->app, qr, b->photo, b->photo_len, b->passcode, &burst.view,
				    &answer, NULL, err);
	cli_burst_free(&burst);
	if (!st)
		st = eid_rp_result(b->purl, b->cred, sid, &result, err);
	const char *r = json_string_value(json_object_get(result, "result"));
	const int yes = !st && r && strcmp(r, "yes") == 0;
	free(qr);
	json_decref(answer);
	json_decref(result);
	return st ? -1 : yes;
}

static void *client(void *arg)
{
	bench *b = arg;
	for (;;) {
		pthread_mutex_lock(&b->lock);
		const int i = b->next < b->total ? b->next++ : -1;
		pthread_mutex_unlock(&b->lock);
		if (i < 0)
			return NULL;
		eid_err err;
		const double t0 = eid_now_ms();
		const int r = verify_once(b, &err);
		b->lat_ms[i] = eid_now_ms() - t0;
		pthread_mutex_lock(&b->lock);
		b->yes += r == 1;
		if (r < 0 && b->errors++ == 0)
			fprintf(stderr, "eid bench: %s\n", err.msg);
		pthread_mutex_unlock(&b->lock);
	}
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* enrols the resident at the level the benchmark verifies */
static eid_status enrol(eid_platform *p, const char *purl, eid_app *app, const char *id,
			const char *level, const char *poses, const uint8_t *pic, size_t n,
			eid_err *err)
{
	if (strcmp(level, "full") != 0)
		return eid_app_enrol_light(app, id, pic, n, err);
	eid_key *k = NULL;
	char pub[EID_PUBKEY_B64_LEN + 1], term_id[EID_CREDENTIAL_ID_LEN + 1];
	eid_terminal *t = NULL;
	char *qr = NULL;
	eid_status st = eid_key_new(EID_KEY_ED25519, &k, err);
	if (!st)
		st = eid_pubkey_to_b64(eid_key_pub(k), pub, sizeof(pub), err);
	if (!st)
		st = eid_platform_add_terminal(p, "bench terminal", pub, term_id, err);
	if (!st) {
		st = eid_terminal_new(purl, term_id, k, &t, err);
		k = NULL; /* the terminal's now */
	}
	if (!st)
		st = eid_terminal_enrol(t, id, &qr, err);
	cli_burst burst = {0};
	if (!st)
		st = cli_burst_follow(app, qr, "demo/photos", poses, &burst, err);
	if (!st)
		st = eid_app_enrol_full(app, qr, "13800138000", "58203174", pic, n, &burst.view,
					err);
	cli_burst_free(&burst);
	eid_key_free(k);
	eid_terminal_free(t);
	free(qr);
	return st;
}

int cmd_bench_verify(int argc, char **argv)
{
	const char *usage = "eid bench verify [--requests N] [--clients C] [--level lightweight|full]\n"
			    "                 [--register-photo F] [--photo F] [--cohort DIR|none] [--models DIR]";
	int total = 200, clients = 2;
	const char *level = "lightweight", *reg_photo = NULL, *photo = NULL, *models = NULL,
		   *cohort = NULL;
	char cohort_buf[4096];
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v && strcmp(a, "--requests") == 0)
			total = atoi(argv[++i]);
		else if (v && strcmp(a, "--clients") == 0)
			clients = atoi(argv[++i]);
		else if (v && strcmp(a, "--level") == 0)
			level = argv[++i];
		else if (v && strcmp(a, "--register-photo") == 0)
			reg_photo = argv[++i];
		else if (v && strcmp(a, "--photo") == 0)
			photo = argv[++i];
		else if (v && strcmp(a, "--models") == 0)
			models = argv[++i];
		else if (v && strcmp(a, "--cohort") == 0)
			cohort = argv[++i];
		else
			total = -1;
		if (total < 1 || total > 1000000 || clients < 1 || clients > 256) {
			fprintf(stderr, "eid bench verify: bad option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
	}
	/* full: resident 1 of the demo, whose posed photos follow the challenges */
	const int full = strcmp(level, "full") == 0;
	if (!reg_photo)
		reg_photo = full ? "demo/photos/resident1-register.png"
				 : "demo/photos/resident2-register.png";
	if (!photo)
		photo = full ? "demo/photos/resident1-hotel.png" : "demo/photos/resident2-cafe.png";
	if (strcmp(level, "lightweight") != 0 && strcmp(level, "full") != 0) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_log_set_level(EID_LOG_WARN);
	char data[] = "/tmp/eid-bench-XXXXXX", csv[64], abs_photo[PATH_MAX], id[19];
	if (!mkdtemp(data) || !realpath(reg_photo, abs_photo)) {
		fprintf(stderr, "eid bench verify: no temp directory or no photo %s\n", reg_photo);
		return 1;
	}
	cli_id_number("19851231", "244", id);
	snprintf(csv, sizeof(csv), "%s/register.csv", data);
	FILE *f = fopen(csv, "w");
	if (f) {
		fprintf(f, "id_number,name,birth_date,sex,address,photo\n"
			   "%s,Bench,1985-12-31,F,x,%s\n",
			id, abs_photo);
		fclose(f);
	}
	eid_err err;
	cli_loopback s = {0};
	uint8_t *pic = NULL;
	size_t pic_len = 0;
	bench b = {.level = level, .total = total,
		   .passcode = full ? "58203174" : NULL,
		   .poses = full ? "resident1" : NULL};
	char rp_id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	char cred[EID_CREDENTIAL_ID_LEN + EID_CREDENTIAL_SECRET_LEN + 2];
	eid_status st = f ? EID_OK : eid_fail(&err, EID_E_IO, "cannot write %s", csv);
	if (!st)
		st = eid_file_read(photo, 1u << 24, &pic, &pic_len, &err);
	if (!st)
		st = cli_loopback_start(data, csv, models, NULL, 1, &s, &err);
	/* the services as deployed: with the normalisation cohort when it is there */
	cohort = cli_cohort_option(cohort, cohort_buf, sizeof(cohort_buf));
	if (!st && cohort)
		st = cli_cohort_import(s.a, cohort, models, 2, NULL, &err);
	if (!st)
		st = eid_platform_add_rp(s.p, "bench", level, rp_id, secret, &err);
	if (!st) {
		b.purl = eid_http_server_url(s.ps);
		snprintf(cred, sizeof(cred), "%s.%s", rp_id, secret);
		b.cred = cred;
		b.photo = pic;
		b.photo_len = pic_len;
		st = eid_app_new(b.purl, &b.app, &err);
	}
	if (!st)
		st = enrol(s.p, b.purl, b.app, id, level, b.poses, pic, pic_len, &err);
	/* one untimed round: models loaded, connections warm */
	const int warm = st ? -1 : verify_once(&b, &err);
	if (!st && warm < 0)
		st = EID_E_INTERNAL; /* err says why */
	else if (!st && warm == 0)
		st = eid_fail(&err, EID_E_DENIED, "the warm-up verification answered no");
	double secs = 0;
	if (!st) {
		b.lat_ms = calloc((size_t)total, sizeof(double));
		pthread_mutex_init(&b.lock, NULL);
		pthread_t th[256];
		const double t0 = eid_now_ms();
		int started = 0;
		for (; started < clients; started++)
			if (pthread_create(&th[started], NULL, client, &b) != 0)
				break;
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		secs = (eid_now_ms() - t0) / 1000.0;
		pthread_mutex_destroy(&b.lock);
		qsort(b.lat_ms, (size_t)total, sizeof(double), cmp_double);
		const double p50 = b.lat_ms[total / 2], p99 = b.lat_ms[(int)(total * 0.99)],
			     max = b.lat_ms[total - 1];
		printf("{\"level\":\"%s\",\"requests\":%d,\"clients\":%d,\"seconds\":%.2f,"
		       "\"per_second\":%.1f,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,"
		       "\"yes\":%d,\"errors\":%d}\n",
		       level, total, clients, secs, total / secs, p50, p99, max, b.yes, b.errors);
		free(b.lat_ms);
	}
	eid_app_free(b.app);
	cli_loopback_stop(&s);
	free(pic);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	if (system(cmd) != 0)
		fprintf(stderr, "eid bench verify: could not remove %s\n", data);
	if (st) {
		fprintf(stderr, "eid bench verify: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	return b.errors || b.yes != total ? 1 : 0;
}
