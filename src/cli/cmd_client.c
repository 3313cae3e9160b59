/* eid app | terminal | rp: the parties that are not services, from the
 * command line (eid/client.h does the work). Secrets never go on the command
 * line, where other users could read them in the process list: passcodes come
 * from stdin, relying-party credentials from EID_RP_CREDENTIAL. */
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eid/client.h"
#include "eid/util.h"

typedef struct opt {
	const char *name;
	const char **value; /* NULL: a flag, counted in *flag */
	int *flag;
} opt;

/* --name value and --flag; positional arguments are refused */
static int parse(int argc, char **argv, const opt *opts, const char *usage)
{
	for (int i = 0; i < argc; i++) {
		const opt *o = opts;
		while (o->name && strcmp(o->name, argv[i]) != 0)
			o++;
		if (o->name && !o->value) {
			*o->flag = 1;
			continue;
		}
		if (!o->name || i + 1 >= argc) {
			fprintf(stderr, "bad or incomplete option '%s'\nusage: %s\n", argv[i], usage);
			return -1;
		}
		*o->value = argv[++i];
	}
	return 0;
}

static const char *platform_default(void)
{
	const char *p = getenv("EID_PLATFORM");
	return p && *p ? p : "http://127.0.0.1:8442";
}

static int fail(const char *who, eid_status st, const eid_err *err)
{
	fprintf(stderr, "%s: %s (%s)\n", who, err->msg, eid_status_code(st));
	return 1;
}

/* Draws a QR code of text with half-block characters (two modules a line),
 * with the quiet zone, for a screen a phone can scan. */
static void qr_draw(FILE *out, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q) {
		fprintf(out, "(the payload is too long for a QR code)\n");
		return;
	}
	const int w = q->width, quiet = 2;
	/* dark modules print as spaces on a light ground: scanners want dark-on-light */
	for (int y = -quiet; y < w + quiet; y += 2) {
		for (int x = -quiet; x < w + quiet; x++) {
			int top = y >= 0 && y < w && x >= 0 && x < w && (q->data[y * w + x] & 1);
			int bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
				  (q->data[(y + 1) * w + x] & 1);
			fputs(top && bot ? " " : top ? "\u2584" : bot ? "\u2580" : "\u2588", out);
		}
		fputc('\n', out);
	}
	QRcode_free(q);
}

static void show_qr(const char *qr, int draw)
{
	if (draw || isatty(STDERR_FILENO))
		qr_draw(stderr, qr);
}

/* one line of stdin without its newline; prompted on a terminal */
static int read_secret(const char *prompt, char *buf, size_t cap)
{
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: ", prompt);
	if (!fgets(buf, (int)cap, stdin))
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

static uint8_t *read_photo(const char *path, size_t *len, const char *who)
{
	uint8_t *bytes = NULL;
	eid_err err;
	eid_status st = eid_file_read(path, 1u << 24, &bytes, len, &err);
	if (st) {
		fail(who, st, &err);
		return NULL;
	}
	return bytes;
}

/* --- the resident's app ------------------------------------------------------- */

int cmd_app_enrol(int argc, char **argv)
{
	const char *usage =
		"eid app enrol --state DIR --photo FILE (--id-number N | --qr PAYLOAD --mobile M)\n"
		"              [--frames F1,F2,...] [--platform URL]\n"
		"              (full enrolment reads the new passcode from stdin and needs --frames:\n"
		"              the liveness challenge of `eid app challenge`, performed)";
	const char *state = NULL, *photo = NULL, *id = NULL, *qr = NULL, *mobile = NULL,
		   *platform = platform_default(), *frames = NULL;
	const opt opts[] = {
		{"--frames", &frames, NULL},
		{"--state", &state, NULL},
		{"--photo", &photo, NULL},
		{"--id-number", &id, NULL},
		{"--qr", &qr, NULL},
		{"--mobile", &mobile, NULL},
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage))
		return 2;
	if (!state || !photo || !!id == !!qr || (qr && !mobile)) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	char passcode[64] = "";
	if (qr && read_secret("new passcode (8 digits)", passcode, sizeof(passcode))) {
		fprintf(stderr, "eid app enrol: no passcode on stdin\n");
		return 2;
	}
	size_t n;
	uint8_t *pic = read_photo(photo, &n, "eid app enrol");
	if (!pic)
		return 1;
	eid_app *app;
	eid_err err;
	cli_burst b = {0};
	eid_status st = eid_app_open(state, platform, &app, &err);
	if (!st && frames)
		st = cli_burst_files(&b, frames, &err);
	if (!st)
		st = qr ? eid_app_enrol_full(app, qr, mobile, passcode, pic, n, &b.view, &err)
			: eid_app_enrol_light(app, id, pic, n, &err);
	cli_burst_free(&b);
	free(pic);
	sodium_memzero(passcode, sizeof(passcode));
	if (!st) {
		char *text = json_dumps(eid_app_card(app), JSON_COMPACT);
		printf("%s\n", text ? text : "{}");
		free(text);
	}
	eid_app_free(app);
	return st ? fail("eid app enrol", st, &err) : 0;
}

int cmd_app_answer(int argc, char **argv)
{
	const char *usage = "eid app answer --state DIR --qr PAYLOAD --photo FILE [--yes] "
			    "[--frames F1,F2,...] [--platform URL]\n"
			    "              (full level: the passcode is read from stdin, and --frames\n"
			    "              performs the liveness challenge of `eid app challenge`)";
	const char *state = NULL, *photo = NULL, *qr = NULL, *platform = platform_default(),
		   *frames = NULL;
	int yes = 0;
	const opt opts[] = {
		{"--frames", &frames, NULL},
		{"--state", &state, NULL},
		{"--photo", &photo, NULL},
		{"--qr", &qr, NULL},
		{"--yes", NULL, &yes},
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage))
		return 2;
	if (!state || !photo || !qr) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_app *app;
	eid_err err;
	json_t *info = NULL, *answer = NULL;
	eid_status st = eid_app_open(state, platform, &app, &err);
	if (!st)
		st = eid_app_request_info(app, qr, &info, &err);
	if (st) {
		eid_app_free(app);
		return fail("eid app answer", st, &err);
	}
	/* the consent screen: who asks, why, and what they will learn */
	const char *rp = json_string_value(json_object_get(json_object_get(info, "rp"), "name"));
	const char *level = json_string_value(json_object_get(info, "level"));
	fprintf(stderr,
		"%s asks to confirm who you are, for: %s\n"
		"They will learn: yes or no, the card level (%s needed), and a number that "
		"identifies you to them alone.\n",
		rp ? rp : "?", json_string_value(json_object_get(info, "purpose")),
		level ? level : "?");
	char line[64] = "", passcode[64] = "";
	int full = level && strcmp(level, "full") == 0;
	if (!yes && isatty(STDIN_FILENO) && !read_secret("consent? [y/N]", line, sizeof(line)))
		yes = line[0] == 'y' || line[0] == 'Y';
	int rc = 0;
	if (!yes) {
		fprintf(stderr, "eid app answer: no consent, nothing sent\n");
		rc = 1;
	} else if (full && read_secret("passcode", passcode, sizeof(passcode))) {
		fprintf(stderr, "eid app answer: the request needs the passcode on stdin\n");
		rc = 2;
	}
	size_t n = 0;
	uint8_t *pic = rc ? NULL : read_photo(photo, &n, "eid app answer");
	if (!rc && !pic)
		rc = 1;
	cli_burst b = {0};
	if (!rc && frames && (st = cli_burst_files(&b, frames, &err)))
		rc = fail("eid app answer", st, &err);
	if (!rc) {
		st = eid_app_answer(app, qr, pic, n, full ? passcode : NULL, &b.view, &answer, NULL,
				    &err);
		if (st)
			rc = fail("eid app answer", st, &err);
	}
	cli_burst_free(&b);
	sodium_memzero(passcode, sizeof(passcode));
	if (answer) {
		char *text = json_dumps(answer, JSON_COMPACT);
		printf("%s\n", text ? text : "{}");
		free(text);
	}
	free(pic);
	json_decref(answer);
	json_decref(info);
	eid_app_free(app);
	return rc;
}

/* eid app challenge: the movements the resident must perform, in order */
int cmd_app_challenge(int argc, char **argv)
{
	const char *usage = "eid app challenge --state DIR --qr PAYLOAD [--platform URL]";
	const char *state = NULL, *qr = NULL, *platform = platform_default();
	const opt opts[] = {
		{"--state", &state, NULL},
		{"--qr", &qr, NULL},
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage))
		return 2;
	if (!state || !qr) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_app *app;
	eid_err err;
	json_t *moves = NULL;
	eid_status st = eid_app_open(state, platform, &app, &err);
	if (!st)
		st = eid_app_challenge(app, qr, &moves, &err);
	if (!st) {
		char *text = json_dumps(moves, JSON_COMPACT);
		printf("{\"challenge\":%s}\n", text ? text : "[]");
		free(text);
	}
	json_decref(moves);
	eid_app_free(app);
	return st ? fail("eid app challenge", st, &err) : 0;
}

int cmd_app_history(int argc, char **argv)
{
	const char *usage = "eid app history --state DIR [--platform URL]";
	const char *state = NULL, *platform = platform_default();
	const opt opts[] = {
		{"--state", &state, NULL},
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage))
		return 2;
	if (!state) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_app *app;
	eid_err err;
	json_t *h = NULL;
	eid_status st = eid_app_open(state, platform, &app, &err);
	if (!st)
		st = eid_app_history(app, &h, &err);
	eid_app_free(app);
	if (st)
		return fail("eid app history", st, &err);
	/* one line per decision: when, who, why, what came of it */
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(h, "verifications"), i, v)
	{
		char *line = json_dumps(v, JSON_COMPACT);
		printf("%s\n", line ? line : "{}");
		free(line);
	}
	json_decref(h);
	return 0;
}

int cmd_app_passcode(int argc, char **argv)
{
	const char *usage = "eid app passcode --state DIR --photo FILE [--platform URL]\n"
			    "              (stdin: the old passcode, then the new one, a line each)";
	const char *state = NULL, *photo = NULL, *platform = platform_default();
	const opt opts[] = {
		{"--state", &state, NULL},
		{"--photo", &photo, NULL},
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage))
		return 2;
	if (!state || !photo) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	char old_pc[64], new_pc[64];
	if (read_secret("current passcode", old_pc, sizeof(old_pc)) ||
	    read_secret("new passcode (8 digits)", new_pc, sizeof(new_pc))) {
		fprintf(stderr, "eid app passcode: two passcodes expected on stdin\n");
		return 2;
	}
	size_t n = 0;
	uint8_t *pic = read_photo(photo, &n, "eid app passcode");
	eid_app *app = NULL;
	eid_err err;
	eid_status st = EID_E_IO; /* read_photo said why */
	if (pic && !(st = eid_app_open(state, platform, &app, &err)))
		st = eid_app_change_passcode(app, old_pc, new_pc, pic, n, &err);
	sodium_memzero(old_pc, sizeof(old_pc));
	sodium_memzero(new_pc, sizeof(new_pc));
	eid_app_free(app);
	if (!pic)
		return 1;
	free(pic);
	if (st)
		return fail("eid app passcode", st, &err);
	printf("{\"changed\":true}\n");
	return 0;
}

/* --- a trusted terminal --------------------------------------------------------- */

int cmd_terminal_keygen(int argc, char **argv)
{
	const char *usage = "eid terminal keygen --key FILE";
	const char *path = NULL;
	const opt opts[] = {
		{"--key", &path, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage) || !path) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_key *k = NULL;
	eid_err err;
	char pub[EID_PUBKEY_B64_LEN + 1];
	eid_status st = eid_key_new(EID_KEY_ED25519, &k, &err);
	if (!st)
		st = eid_key_write(k, path, &err);
	if (!st)
		st = eid_pubkey_to_b64(eid_key_pub(k), pub, sizeof(pub), &err);
	if (!st)
		printf("{\"public_key\":\"%s\"}\n", pub);
	eid_key_free(k);
	return st ? fail("eid terminal keygen", st, &err) : 0;
}

int cmd_terminal_enrol(int argc, char **argv)
{
	const char *usage = "eid terminal enrol --terminal-id ID --key FILE --id-number N "
			    "[--platform URL] [--draw]";
	const char *term_id = NULL, *path = NULL, *id = NULL, *platform = platform_default();
	int draw = 0;
	const opt opts[] = {
		{"--terminal-id", &term_id, NULL},
		{"--key", &path, NULL},
		{"--id-number", &id, NULL},
		{"--platform", &platform, NULL},
		{"--draw", NULL, &draw},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage) || !term_id || !path || !id) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	eid_key *k;
	eid_terminal *t = NULL;
	eid_err err;
	char *qr = NULL;
	eid_status st = eid_key_read(path, EID_KEY_ED25519, &k, &err);
	if (!st)
		st = eid_terminal_new(platform, term_id, k, &t, &err);
	if (!st)
		st = eid_terminal_enrol(t, id, &qr, &err);
	eid_terminal_free(t);
	if (st)
		return fail("eid terminal enrol", st, &err);
	show_qr(qr, draw);
	printf("{\"qr\":\"%s\"}\n", qr);
	free(qr);
	return 0;
}

/* --- relying parties ------------------------------------------------------------- */

static const char *rp_credential(void)
{
	const char *c = getenv("EID_RP_CREDENTIAL");
	if (!c || !*c)
		fprintf(stderr, "set EID_RP_CREDENTIAL to the credential `eid platform add-rp` "
				"printed\n");
	return c && *c ? c : NULL;
}

int cmd_rp_request(int argc, char **argv)
{
	const char *usage = "eid rp request --purpose TEXT --level lightweight|full "
			    "[--platform URL] [--draw]   (credential in EID_RP_CREDENTIAL)";
	const char *purpose = NULL, *level = NULL, *platform = platform_default();
	int draw = 0;
	const opt opts[] = {
		{"--purpose", &purpose, NULL},
		{"--level", &level, NULL},
		{"--platform", &platform, NULL},
		{"--draw", NULL, &draw},
		{NULL, NULL, NULL},
	};
	if (parse(argc, argv, opts, usage) || !purpose || !level) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	const char *cred = rp_credential();
	if (!cred)
		return 2;
	char sid[64];
	char *qr;
	eid_err err;
	eid_status st = eid_rp_request(platform, cred, purpose, level, sid, &qr, &err);
	if (st)
		return fail("eid rp request", st, &err);
	show_qr(qr, draw);
	printf("{\"sid\":\"%s\",\"qr\":\"%s\"}\n", sid, qr);
	free(qr);
	return 0;
}

int cmd_rp_result(int argc, char **argv)
{
	const char *usage = "eid rp result SID [--platform URL]   (credential in EID_RP_CREDENTIAL)";
	const char *platform = platform_default();
	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	const opt opts[] = {
		{"--platform", &platform, NULL},
		{NULL, NULL, NULL},
	};
	if (parse(argc - 1, argv + 1, opts, usage))
		return 2;
	const char *cred = rp_credential();
	if (!cred)
		return 2;
	json_t *result;
	eid_err err;
	eid_status st = eid_rp_result(platform, cred, argv[0], &result, &err);
	if (st)
		return fail("eid rp result", st, &err);
	char *text = json_dumps(result, JSON_COMPACT);
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(result);
	return 0;
}
