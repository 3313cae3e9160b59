/* tests/api/fixture.h — what the API tests share: a new data directory, a
 * register of one resident (an ORL face of ../shared), the authority and the
 * platform on loopback with ephemeral ports. Include after test.h. */
#ifndef EID_TESTS_API_FIXTURE_H
#define EID_TESTS_API_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "eid/api.h"
#include "eid/svc.h"
#include "call.h"

typedef struct fixture {
	char data[64];
	char id[19]; /* the resident's ID number (check character right) */
	eid_authority *auth;
	eid_platform *plat;
	eid_http_server *as, *ps;
} fixture;

/* name: a word for the temporary directory; photo: the resident's register
 * photo under faces/dev/images/orl; web_dir: the platform's pages or NULL */
static void fixture_start(fixture *f, const char *name, const char *photo, const char *web_dir)
{
	snprintf(f->data, sizeof(f->data), "/tmp/eid-%s-XXXXXX", name);
	REQUIRE(mkdtemp(f->data));
	test_id_number("19900101", "123", f->id);
	char csv[128];
	snprintf(csv, sizeof(csv), "%s/register.csv", f->data);
	FILE *out = fopen(csv, "w");
	REQUIRE(out);
	fprintf(out, "id_number,name,birth_date,sex,address,photo\n");
	fprintf(out, "%s,A,1990-01-01,M,x,%s/faces/dev/images/orl/%s\n", f->id, test_shared(), photo);
	fclose(out);
	eid_err err;
	eid_import_counts n;
	REQUIRE(eid_authority_open(f->data, &f->auth, &err) == EID_OK);
	REQUIRE(eid_authority_import(f->auth, csv, "models", NULL, &n, &err) == EID_OK);
	REQUIRE(n.imported == 1);
	REQUIRE(eid_platform_open(f->data, "http://127.0.0.1:9", &f->plat, &err) == EID_OK);
	eid_http_config acfg = {.name = "authority", .quiet = 1};
	REQUIRE(eid_api_authority_start(f->auth, eid_platform_signing_key(f->plat), &acfg, &f->as,
					&err) == EID_OK);
	REQUIRE(eid_platform_set_authority_url(f->plat, eid_http_server_url(f->as), &err) == EID_OK);
	eid_http_config pcfg = {.name = "platform", .quiet = 1, .web_dir = web_dir};
	REQUIRE(eid_api_platform_start(f->plat, &pcfg, &f->ps, &err) == EID_OK);
}

static void fixture_stop(fixture *f)
{
	eid_http_server_free(f->ps);
	eid_http_server_free(f->as);
	eid_platform_close(f->plat);
	eid_authority_close(f->auth);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->data);
	CHECK(system(cmd) == 0);
}

#endif
