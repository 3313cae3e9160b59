/* eid demo: the whole system in one process, start to finish, on a fresh
 * data directory. The authority and the platform serve on loopback; the app,
 * a trusted terminal, a hotel and a net cafe are real HTTP clients
 * (eid/client.h). Each step prints what happened and what should have; the
 * exit status is 0 only if every step came out as it must. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "eid/api.h"
#include "eid/client.h"
#include "eid/log.h"
#include "eid/util.h"

typedef struct demo {
	const char *photos;
	char purl[256];
	int failures;
} demo;

/* one line of the transcript; counts a step that came out wrong */
static void step(demo *d, int ok, const char *what, const char *outcome)
{
	printf("  %-6s %-58s %s\n", ok ? "[ok]" : "[FAIL]", what, outcome);
	fflush(stdout);
	d->failures += !ok;
}

static uint8_t *photo(demo *d, const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", d->photos, name);
	uint8_t *bytes = NULL;
	eid_err err;
	if (eid_file_read(path, 1u << 24, &bytes, len, &err) != EID_OK) {
		fprintf(stderr, "eid demo: %s\n", err.msg);
		return NULL;
	}
	return bytes;
}

void cli_id_number(const char *date, const char *seq, char out[19])
{
	snprintf(out, 19, "440106%.8s%.3s", date, seq);
	out[17] = eid_id_check_char(out);
	out[18] = 0;
}

/* How the app films the liveness burst of an answer. */
enum burst { NO_BURST, FOLLOW, STILL };

/* A relying party asks, the app answers with the photo (and passcode) and,
 * as told, a burst that follows the challenge with resident 1's posed photos
 * or one that repeats the photo (a still-photo attack); returns the
 * authority's "yes"/"no" as the relying party received it (signature
 * checked), or "error: ..." in buf. */
static const char *ask(demo *d, const char *credential, const char *level, eid_app *app,
		       const char *photo_name, const char *passcode, enum burst how,
		       json_t **body_out, char **qr_out, char *buf, size_t cap)
{
	char sid[64];
	char *qr = NULL;
	json_t *answer = NULL, *result = NULL;
	size_t n = 0;
	uint8_t *pic = photo(d, photo_name, &n);
	eid_err err;
	eid_status st = pic ? eid_rp_request(d->purl, credential, "check-in", level, sid, &qr, &err)
			    : eid_fail(&err, EID_E_IO, "no photo %s", photo_name);
	cli_burst b = {0};
	const uint8_t *still[4] = {pic, pic, pic, pic};
	const size_t still_len[4] = {n, n, n, n};
	const eid_burst repeated = {still, still_len, 4};
	if (!st && how == FOLLOW)
		st = cli_burst_follow(app, qr, d->photos, "resident1", &b, &err);
	if (!st)
		st = eid_app_answer(app, qr, pic, n, passcode, how == STILL ? &repeated : &b.view,
				    &answer, body_out, &err);
	cli_burst_free(&b);
	if (!st)
		st = eid_rp_result(d->purl, credential, sid, &result, &err);
	free(pic);
	if (st)
		snprintf(buf, cap, "error: %.200s", err.msg);
	else
		snprintf(buf, cap, "%s", json_string_value(json_object_get(result, "result")));
	if (qr_out && !st)
		*qr_out = qr;
	else
		free(qr);
	json_decref(answer);
	json_decref(result);
	return buf;
}

static char *new_rp(eid_platform *p, const char *name, const char *level)
{
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	eid_err err;
	if (eid_platform_add_rp(p, name, level, id, secret, &err) != EID_OK) {
		fprintf(stderr, "eid demo: %s\n", err.msg);
		return NULL;
	}
	char *cred = malloc(EID_CREDENTIAL_ID_LEN + EID_CREDENTIAL_SECRET_LEN + 2);
	if (cred)
		sprintf(cred, "%s.%s", id, secret);
	return cred;
}

/* the register the authority starts from: three invented residents */
static int write_register(demo *d, const char *dir, char ids[3][19])
{
	cli_id_number("19900101", "123", ids[0]);
	cli_id_number("19851231", "244", ids[1]);
	cli_id_number("20000229", "328", ids[2]);
	char csv[512];
	snprintf(csv, sizeof(csv), "%s/register.csv", dir);
	/* ID numbers in clear: readable by us alone, and gone after the import */
	const int fd = open(csv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "id_number,name,birth_date,sex,address,photo\n");
	fprintf(f, "%s,Li Wei,1990-01-01,M,1 Zhongshan Road Guangzhou,%s/resident1-register.png\n",
		ids[0], d->photos);
	fprintf(f, "%s,Chen Jing,1985-12-31,F,8 Huanshi Road Guangzhou,%s/resident2-register.png\n",
		ids[1], d->photos);
	fprintf(f, "%s,Wang Fang,2000-02-29,F,3 Tianhe Road Guangzhou,%s/resident3-register.png\n",
		ids[2], d->photos);
	return fclose(f) == 0 ? 0 : -1;
}

/* the story; the services are up */
static void run(demo *d, eid_authority *a, eid_platform *p, char ids[3][19])
{
	eid_err err;
	char out[512];
	char *hotel = new_rp(p, "Hotel Canton", "full"), *cafe = new_rp(p, "Net Cafe", "lightweight");
	eid_key *term_key = NULL;
	char term_pub[EID_PUBKEY_B64_LEN + 1], term_id[EID_CREDENTIAL_ID_LEN + 1];
	eid_terminal *term = NULL;
	eid_app *phone1 = NULL, *phone2 = NULL, *thief = NULL;
	int ok = hotel && cafe && !eid_key_new(EID_KEY_ED25519, &term_key, &err) &&
		 !eid_pubkey_to_b64(eid_key_pub(term_key), term_pub, sizeof(term_pub), &err) &&
		 !eid_platform_add_terminal(p, "Tianhe police station, desk 3", term_pub, term_id,
					    &err) &&
		 !eid_terminal_new(d->purl, term_id, term_key, &term, &err) &&
		 !eid_app_new(d->purl, &phone1, &err) && !eid_app_new(d->purl, &phone2, &err) &&
		 !eid_app_new(d->purl, &thief, &err);
	if (!ok) {
		if (!term)
			eid_key_free(term_key);
		step(d, 0, "set-up: relying parties, terminal, phones", err.msg);
		goto done;
	}
	printf("\nRegistered: Hotel Canton (full), Net Cafe (lightweight), one police terminal.\n");

	/* flow 2: full enrolment at the terminal, passcode set in the app */
	printf("\nResident 1 enrols in full at the police station:\n");
	char *qr = NULL;
	size_t n = 0;
	uint8_t *pic = photo(d, "resident1-enrol.png", &n);
	eid_status st = pic ? eid_terminal_enrol(term, ids[0], &qr, &err) : EID_E_IO;
	cli_burst b = {0};
	if (!st) /* the resident follows the liveness challenge on the phone */
		st = cli_burst_follow(phone1, qr, d->photos, "resident1", &b, &err);
	if (!st)
		st = eid_app_enrol_full(phone1, qr, "13800138000", "58203174", pic, n, &b.view,
					&err);
	cli_burst_free(&b);
	free(qr);
	free(pic);
	const json_t *card1 = eid_app_card(phone1);
	snprintf(out, sizeof(out), "%s",
		 st ? err.msg : json_string_value(json_object_get(card1, "level")));
	step(d, !st && strcmp(out, "full") == 0, "terminal claim + app capture -> card level", out);

	/* flow 3: lightweight enrolment in the app alone */
	printf("\nResident 2 enrols lightweight in the app:\n");
	pic = photo(d, "resident2-enrol.png", &n);
	st = pic ? eid_app_enrol_light(phone2, ids[1], pic, n, &err) : EID_E_IO;
	free(pic);
	snprintf(out, sizeof(out), "%s",
		 st ? err.msg : json_string_value(json_object_get(eid_app_card(phone2), "level")));
	step(d, !st && strcmp(out, "lightweight") == 0, "ID number + face -> card level", out);

	/* someone else claims resident 3's ID number with their own face */
	pic = photo(d, "impostor.png", &n);
	st = pic ? eid_app_enrol_light(thief, ids[2], pic, n, &err) : EID_E_IO;
	free(pic);
	step(d, st == EID_E_DENIED, "an impostor enrols with resident 3's ID number -> refused",
	     st ? eid_status_code(st) : "issued a card!");

	/* flow 4 and 5: the hotel (full) and the cafe (lightweight) */
	printf("\nVerifications:\n");
	json_t *body = NULL;
	char *hotel_qr = NULL;
	ask(d, hotel, "full", phone1, "resident1-hotel.png", "58203174", FOLLOW, &body, &hotel_qr,
	    out, sizeof(out));
	step(d, strcmp(out, "yes") == 0, "hotel (full): resident 1, face + passcode + challenge",
	     out);
	long status = 0;
	st = body && hotel_qr ? eid_app_resend(phone1, hotel_qr, body, &status, &err) : EID_E_INTERNAL;
	snprintf(out, sizeof(out), "HTTP %ld", status);
	step(d, !st && status == 409, "the same answer sent again (replay) -> 409", out);
	json_decref(body);
	free(hotel_qr);
	ask(d, hotel, "full", phone1, "resident1-hotel.png", "58203175", FOLLOW, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "no") == 0, "hotel (full): resident 1, wrong passcode", out);
	ask(d, hotel, "full", phone1, "resident1-hotel.png", "58203174", STILL, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "no") == 0, "hotel (full): a still photo, not the challenge", out);
	ask(d, hotel, "full", phone2, "resident2-cafe.png", NULL, NO_BURST, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "no") == 0, "hotel (full): resident 2's lightweight card", out);
	ask(d, cafe, "lightweight", phone2, "resident2-cafe.png", NULL, NO_BURST, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "yes") == 0, "net cafe (lightweight): resident 2", out);
	ask(d, cafe, "lightweight", phone1, "impostor.png", NULL, NO_BURST, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "no") == 0, "net cafe: a stranger holding resident 1's phone", out);

	/* the resident sees who checked them */
	json_t *h = NULL;
	st = eid_app_history(phone1, &h, &err);
	json_t *hist = json_object_get(h, "verifications"), *newest = json_array_get(hist, 0);
	const char *who = json_string_value(json_object_get(json_object_get(newest, "rp"), "name"));
	const char *what = json_string_value(json_object_get(newest, "result"));
	snprintf(out, sizeof(out), "%zu decisions, newest: %s %s", json_array_size(hist),
		 who ? who : "?", what ? what : "?");
	step(d, !st && json_array_size(hist) == 4, "resident 1 reads their own history",
	     st ? err.msg : out);
	json_decref(h);

	/* flow 6: the phone is lost; the card is revoked */
	printf("\nResident 1 reports the phone lost:\n");
	const char *card_id = json_string_value(json_object_get(card1, "card_id"));
	st = card_id ? eid_authority_card_status(a, card_id, "revoked", &err)
		     : eid_fail(&err, EID_E_INTERNAL, "resident 1 holds no card");
	step(d, !st, "authority revokes the card", st ? err.msg : "revoked");
	ask(d, cafe, "lightweight", phone1, "resident1-hotel.png", NULL, NO_BURST, NULL, NULL, out,
	    sizeof(out));
	step(d, strcmp(out, "no") == 0, "net cafe: the revoked card, the right face", out);

	uint64_t rows = 0, bad = 0;
	st = eid_authority_audit_verify(a, &rows, &bad, &err);
	snprintf(out, sizeof(out), "%llu rows, chain %s", (unsigned long long)rows,
		 st ? "BROKEN" : "intact");
	step(d, !st, "audit log hash chain", out);
done:
	eid_app_free(phone1);
	eid_app_free(phone2);
	eid_app_free(thief);
	eid_terminal_free(term);
	free(hotel);
	free(cafe);
}

int cmd_demo(int argc, char **argv)
{
	const char *usage =
		"eid demo [--data DIR (must not exist)] [--photos DIR] [--cohort DIR|none] [--models DIR] "
		"[--verbose]\n  --cohort: the score-normalisation cohort (default: ../shared/faces/cohort "
		"or $EID_SHARED/faces/cohort when there)";
	int verbose = 0;
	demo d = {.photos = "demo/photos"};
	const char *data = NULL, *models = NULL, *cohort = NULL;
	char cohort_buf[4096];
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 < argc && strcmp(a, "--data") == 0)
			data = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--photos") == 0)
			d.photos = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--models") == 0)
			models = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--cohort") == 0)
			cohort = argv[++i];
		else if (strcmp(a, "--verbose") == 0)
			verbose = 1;
		else {
			fprintf(stderr, "eid demo: bad or incomplete option '%s'\nusage: %s\n", a,
				usage);
			return 2;
		}
	}
	/* the services' request log would drown the story; --verbose shows it */
	eid_log_set_level(verbose ? EID_LOG_INFO : EID_LOG_WARN);
	/* the register names photos by absolute path */
	char photos[PATH_MAX];
	if (!realpath(d.photos, photos)) {
		fprintf(stderr, "eid demo: no photo directory %s (run from the repository, or "
				"give --photos)\n",
			d.photos);
		return 2;
	}
	d.photos = photos;
	/* a fresh directory: the demo never touches a real deployment's data */
	char tmp[] = "/tmp/eid-demo-XXXXXX";
	if (!data && !(data = mkdtemp(tmp))) {
		perror("eid demo: mkdtemp");
		return 1;
	}
	if (data != tmp && mkdir(data, 0700) != 0) {
		fprintf(stderr, "eid demo: %s must not exist yet (the demo starts from nothing)\n",
			data);
		return 2;
	}
	printf("eid demo: data in %s\n", data);
	char ids[3][19];
	eid_err err;
	eid_status st = EID_OK;
	cli_loopback s;
	if (write_register(&d, data, ids) != 0)
		st = eid_fail(&err, EID_E_IO, "cannot write %s/register.csv", data);
	char csv[512];
	snprintf(csv, sizeof(csv), "%s/register.csv", data);
	if (!st) {
		printf("\nThe authority imports its register (3 residents, photos from %s):\n",
		       d.photos);
		st = cli_loopback_start(data, csv, models, stdout, 3, &s, &err);
	}
	cohort = cli_cohort_option(cohort, cohort_buf, sizeof(cohort_buf));
	if (!st && cohort) {
		size_t n = 0;
		printf("\nThe authority takes its score-normalisation cohort from %s:\n", cohort);
		fflush(stdout);
		st = cli_cohort_import(s.a, cohort, models, 2, &n, &err);
		if (!st)
			printf("  %zu East-Asian faces: scores are normalised against them "
			       "(calibration %s)\n",
			       n, eid_face_calibration_current()->id);
		else
			cli_loopback_stop(&s);
	} else if (!st) {
		printf("\nNo score-normalisation cohort (give --cohort DIR): fused scores "
		       "without it, with their own thresholds\n");
	}
	if (!st) {
		snprintf(d.purl, sizeof(d.purl), "%s", eid_http_server_url(s.ps));
		printf("\nauthority on %s, platform on %s\n", eid_http_server_url(s.as), d.purl);
		run(&d, s.a, s.p, ids);
		cli_loopback_stop(&s);
	}
	if (st) {
		fprintf(stderr, "eid demo: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	if (d.failures)
		printf("\nFAILED: %d step%s came out wrong. Data left in %s\n", d.failures,
		       d.failures == 1 ? "" : "s", data);
	else
		printf("\nEvery step came out as it must. Data left in %s\n", data);
	return d.failures ? 1 : 0;
}
