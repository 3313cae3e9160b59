/* eid platform add-oidc-client | oidc-rotate-key: OpenID Connect clients and
 * the provider's signing keys, by an administrator on the platform's data
 * directory. A client secret is printed once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eid/oidc.h"
#include "eid/util.h"

int cmd_platform_add_oidc_client(int argc, char **argv)
{
	const char *usage = "eid platform add-oidc-client --name NAME --redirect-uri URI "
			    "[--redirect-uri URI ...]\n"
			    "       --level lightweight|full "
			    "[--auth client_secret_basic|private_key_jwt|none] [--jwks FILE] "
			    "[--data DIR]";
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	const char *name = NULL, *level = NULL, *auth = "client_secret_basic", *jwks_path = NULL;
	json_t *uris = json_array();
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "bad or incomplete option '%s'\nusage: %s\n", a, usage);
			json_decref(uris);
			return 2;
		}
		if (strcmp(a, "--redirect-uri") == 0)
			json_array_append_new(uris, json_string(v));
		else if (strcmp(a, "--data") == 0)
			data = v;
		else if (strcmp(a, "--name") == 0)
			name = v;
		else if (strcmp(a, "--level") == 0)
			level = v;
		else if (strcmp(a, "--auth") == 0)
			auth = v;
		else if (strcmp(a, "--jwks") == 0)
			jwks_path = v;
		else {
			fprintf(stderr, "bad option '%s'\nusage: %s\n", a, usage);
			json_decref(uris);
			return 2;
		}
		i++;
	}
	if (!name || !level || !json_array_size(uris)) {
		fprintf(stderr, "usage: %s\n", usage);
		json_decref(uris);
		return 2;
	}
	eid_err err;
	eid_status st = EID_OK;
	json_t *jwks = NULL;
	if (jwks_path) {
		json_error_t je;
		jwks = json_load_file(jwks_path, JSON_REJECT_DUPLICATES, &je);
		if (!jwks)
			st = eid_fail(&err, EID_E_FORMAT, "cannot read the JWKS '%s': line %d: %s",
				      jwks_path, je.line, je.text);
	}
	eid_platform *p = NULL;
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	if (!st)
		st = eid_platform_open(data, "http://127.0.0.1:8441", &p, &err);
	if (!st)
		st = eid_oidc_client_add(p, name, uris, auth, jwks, level, id, secret, &err);
	eid_platform_close(p);
	json_decref(uris);
	json_decref(jwks);
	if (st) {
		fprintf(stderr, "eid platform: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	if (secret[0])
		printf("{\"client_id\":\"%s\",\"client_secret\":\"%s\"}\n", id, secret);
	else
		printf("{\"client_id\":\"%s\"}\n", id);
	return 0;
}

int cmd_platform_oidc_rotate_key(int argc, char **argv)
{
	const char *usage = "eid platform oidc-rotate-key [--data DIR]";
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	if (argc == 2 && strcmp(argv[0], "--data") == 0) {
		data = argv[1];
	} else if (argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	char kid[64];
	eid_err err;
	eid_status st = eid_oidc_rotate_key(data, kid, &err);
	if (st) {
		fprintf(stderr, "eid platform: %s (%s)\n", err.msg, eid_status_code(st));
		return 1;
	}
	/* the running platform signs with it from its next start */
	printf("{\"kid\":\"%s\"}\n", kid);
	return 0;
}
