/* eid authority import */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eid/svc.h"

int cmd_authority_import(int argc, char **argv)
{
	const char *usage = "eid authority import FILE.csv [--data DIR] [--models DIR]";
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data", *models = NULL,
		   *csv = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data") == 0 && v)
			data = argv[++i];
		else if (strcmp(a, "--models") == 0 && v)
			models = argv[++i];
		else if (a[0] != '-' && !csv)
			csv = a;
		else {
			fprintf(stderr, "eid authority import: bad option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
	}
	if (!csv) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
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
