/* eid platform add-rp | add-terminal: registration by an administrator, on
 * the platform's data directory. Credentials are printed once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eid/svc.h"

typedef struct opts {
	const char *data, *name, *level, *key;
} opts;

static int parse(int argc, char **argv, opts *o, const char *usage)
{
	o->data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **dst = strcmp(a, "--data") == 0	 ? &o->data
				   : strcmp(a, "--name") == 0	 ? &o->name
				   : strcmp(a, "--level") == 0 ? &o->level
				   : strcmp(a, "--key") == 0	 ? &o->key
								 : NULL;
		if (!dst || !v) {
			fprintf(stderr, "bad or incomplete option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
		*dst = argv[++i];
	}
	return 0;
}

static int run(const opts *o, int terminal)
{
	eid_err err;
	eid_platform *p;
	/* registration needs no authority: the url is only checked for form */
	eid_status st = eid_platform_open(o->data, "http://127.0.0.1:8441", &p, &err);
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	if (!st)
		st = terminal ? eid_platform_add_terminal(p, o->name, o->key, id, &err)
			      : eid_platform_add_rp(p, o->name, o->level, id, secret, &err);
	eid_platform_close(p);
	if (st) {
		fprintf(stderr, "eid platform: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	if (terminal)
		printf("{\"terminal_id\":\"%s\"}\n", id);
	else
		printf("{\"rp_id\":\"%s\",\"secret\":\"%s\",\"credential\":\"%s.%s\"}\n", id, secret,
		       id, secret);
	return 0;
}

int cmd_platform_add_rp(int argc, char **argv)
{
	const char *usage = "eid platform add-rp --name NAME --level lightweight|full [--data DIR]";
	opts o = {0};
	int rc = parse(argc, argv, &o, usage);
	if (rc || !o.name || !o.level) {
		if (!rc)
			fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	return run(&o, 0);
}

int cmd_platform_add_terminal(int argc, char **argv)
{
	const char *usage = "eid platform add-terminal --name NAME --key PUBLIC_KEY [--data DIR]";
	opts o = {0};
	int rc = parse(argc, argv, &o, usage);
	if (rc || !o.name || !o.key) {
		if (!rc)
			fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	return run(&o, 1);
}
