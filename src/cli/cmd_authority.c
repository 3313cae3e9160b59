/* eid authority import, revoke, suspend, resume, audit-verify, admin-token */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "eid/admin.h"
#include "eid/svc.h"

/* FILE-or-DIR [--data DIR] [--models DIR] [--threads T] (threads NULL: no
 * --threads option): 0, or 2 after printing the usage */
static int parse_input_args(int argc, char **argv, const char *usage, const char **data,
			    const char **models, int *threads, const char **input)
{
	*data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	*models = NULL;
	*input = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data") == 0 && v)
			*data = argv[++i];
		else if (strcmp(a, "--models") == 0 && v)
			*models = argv[++i];
		else if (threads && strcmp(a, "--threads") == 0 && v && atoi(v) >= 1 && atoi(v) <= 64)
			*threads = atoi(argv[++i]);
		else if (a[0] != '-' && !*input)
			*input = a;
		else {
			fprintf(stderr, "bad option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
	}
	if (!*input) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	return 0;
}

int cmd_authority_import(int argc, char **argv)
{
	const char *usage = "eid authority import FILE.csv [--data DIR] [--models DIR]";
	const char *data, *models, *csv;
	if (parse_input_args(argc, argv, usage, &data, &models, NULL, &csv))
		return 2;
	eid_err err;
	eid_authority *auth;
	eid_status st = eid_authority_open(data, &auth, &err);
	eid_import_counts c = {0};
	if (!st)
		st = eid_authority_import(auth, csv, models, stdout, &c, &err);
	eid_authority_close(auth);
	if (st) {
		fprintf(stderr, "eid authority import: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	printf("{\"rows\":%u,\"imported\":%u,\"rejected\":%u}\n", c.rows, c.imported, c.rejected);
	return c.rejected ? 1 : 0;
}

/* the authority of --data (or $EID_DATA, ./data) with one positional argument */
static int open_with_arg(int argc, char **argv, const char *usage, eid_authority **a,
			 const char **arg)
{
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	*arg = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (argv[i][0] != '-' && !*arg)
			*arg = argv[i];
		else {
			fprintf(stderr, "bad option '%s'\nusage: %s\n", argv[i], usage);
			return 2;
		}
	}
	eid_err err;
	eid_status st = eid_authority_open(data, a, &err);
	if (st) {
		fprintf(stderr, "eid authority: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	return 0;
}

static int set_status(int argc, char **argv, const char *status, const char *usage)
{
	eid_authority *a;
	const char *card;
	int rc = open_with_arg(argc, argv, usage, &a, &card);
	if (rc)
		return rc;
	if (!card) {
		eid_authority_close(a);
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_err err;
	eid_status st = eid_authority_card_status(a, card, status, &err);
	eid_authority_close(a);
	if (st) {
		fprintf(stderr, "eid authority: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	printf("{\"card_id\":\"%s\",\"status\":\"%s\"}\n", card, status);
	return 0;
}

int cmd_authority_revoke(int argc, char **argv)
{
	return set_status(argc, argv, "revoked", "eid authority revoke CARD_ID [--data DIR]");
}

int cmd_authority_suspend(int argc, char **argv)
{
	return set_status(argc, argv, "suspended", "eid authority suspend CARD_ID [--data DIR]");
}

int cmd_authority_resume(int argc, char **argv)
{
	return set_status(argc, argv, "active", "eid authority resume CARD_ID [--data DIR]");
}

int cmd_authority_audit_verify(int argc, char **argv)
{
	eid_authority *a;
	const char *extra;
	int rc = open_with_arg(argc, argv, "eid authority audit-verify [--data DIR]", &a, &extra);
	if (rc)
		return rc;
	uint64_t rows, bad;
	eid_err err;
	eid_status st = eid_authority_audit_verify(a, &rows, &bad, &err);
	eid_authority_close(a);
	if (st == EID_E_FORMAT) {
		printf("{\"ok\":false,\"checked\":%llu,\"first_bad\":%llu}\n",
		       (unsigned long long)rows, (unsigned long long)bad);
		fprintf(stderr, "eid authority audit-verify: %s\n", err.msg);
		return 1;
	}
	if (st) {
		fprintf(stderr, "eid authority audit-verify: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	printf("{\"ok\":true,\"checked\":%llu}\n", (unsigned long long)rows);
	return 0;
}

int cmd_authority_admin_token(int argc, char **argv)
{
	eid_authority *a;
	const char *extra;
	const char *usage = "eid authority admin-token [--data DIR]";
	int rc = open_with_arg(argc, argv, usage, &a, &extra);
	if (rc)
		return rc;
	if (extra) {
		eid_authority_close(a);
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	char token[EID_ADMIN_TOKEN_LEN + 1];
	eid_err err;
	eid_status st = eid_admin_token_new(a, token, &err);
	eid_authority_close(a);
	if (st) {
		fprintf(stderr, "eid authority admin-token: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	/* shown once: only its hash is kept */
	printf("{\"admin_token\":\"%s\"}\n", token);
	fflush(stdout);
	sodium_memzero(token, sizeof(token));
	return 0;
}

/* eid authority held list | accept ID --reason R | reject ID --reason R */
int cmd_authority_held(int argc, char **argv)
{
	const char *usage = "eid authority held list | accept ID --reason R | reject ID --reason R"
			    " [--data DIR]";
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data", *what = NULL,
		   *id = NULL, *reason = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data") == 0 && v)
			data = argv[++i];
		else if (strcmp(a, "--reason") == 0 && v)
			reason = argv[++i];
		else if (a[0] != '-' && !what)
			what = a;
		else if (a[0] != '-' && !id)
			id = a;
		else {
			fprintf(stderr, "eid authority held: bad option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
	}
	const int list = what && strcmp(what, "list") == 0;
	const int accept = what && strcmp(what, "accept") == 0;
	if (!what || (!list && !accept && strcmp(what, "reject") != 0) || (list && (id || reason)) ||
	    (!list && (!id || !reason))) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_err err;
	eid_authority *a;
	eid_status st = eid_authority_open(data, &a, &err);
	json_t *out = NULL;
	if (!st && list)
		st = eid_admin_held(a, &out, &err);
	else if (!st)
		st = accept ? eid_admin_held_accept(a, id, reason, &err)
			    : eid_admin_held_reject(a, id, reason, &err);
	eid_authority_close(a);
	if (st) {
		fprintf(stderr, "eid authority held: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	if (list) {
		char *text = json_dumps(out, JSON_COMPACT);
		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(out);
	} else {
		printf("{\"id\":\"%s\",\"decision\":\"%s\"}\n", id, accept ? "accepted" : "rejected");
	}
	return 0;
}

/* eid authority cohort-import COHORT_DIR: the normalisation cohort of the
 * calibration, from a folder of photos and its manifest.csv */
int cmd_authority_cohort_import(int argc, char **argv)
{
	const char *usage = "eid authority cohort-import COHORT_DIR [--data DIR] [--models DIR] "
			    "[--threads T]";
	const char *data, *models, *dir;
	int threads = 2;
	if (parse_input_args(argc, argv, usage, &data, &models, &threads, &dir))
		return 2;
	eid_err err;
	eid_authority *auth;
	size_t n = 0;
	eid_status st = eid_authority_open(data, &auth, &err);
	if (!st)
		st = cli_cohort_import(auth, dir, models, threads, &n, &err);
	eid_authority_close(auth);
	if (st) {
		fprintf(stderr, "eid authority cohort-import: %s (%s)\n", err.msg,
			eid_status_code(st));
		return 1;
	}
	printf("{\"faces\":%zu,\"calibration\":\"%s\"}\n", n, eid_face_calibration_current()->id);
	return 0;
}
