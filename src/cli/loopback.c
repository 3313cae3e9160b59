/* The authority and the platform of one data directory, in this process, on
 * loopback ephemeral ports: the set-up `eid demo` and `eid bench` share. */
#include <stdio.h>

#include "cli.h"

eid_status cli_loopback_start(const char *data, const char *csv, const char *models,
			      FILE *report, unsigned want_rows, cli_loopback *s, eid_err *err)
{
	*s = (cli_loopback){0};
	eid_import_counts c = {0};
	/* the platform first: the authority trusts its signing key */
	eid_status st = eid_platform_open(data, "http://127.0.0.1:1", &s->p, err);
	if (!st)
		st = eid_authority_open(data, &s->a, err);
	if (!st)
		st = eid_authority_import(s->a, csv, models, report, &c, err);
	remove(csv); /* ID numbers in clear: gone once imported */
	if (!st && c.imported != want_rows)
		st = eid_fail(err, EID_E_FORMAT, "imported %u of %u register rows", c.imported,
			      want_rows);
	eid_http_config acfg = {.name = "authority", .bind = "127.0.0.1", .port = 0};
	eid_http_config pcfg = {.name = "platform", .bind = "127.0.0.1", .port = 0};
	if (!st)
		st = eid_api_authority_start(s->a, eid_platform_signing_key(s->p), &acfg, &s->as,
					     err);
	if (!st)
		st = eid_platform_set_authority_url(s->p, eid_http_server_url(s->as), err);
	if (!st)
		st = eid_api_platform_start(s->p, &pcfg, &s->ps, err);
	if (st)
		cli_loopback_stop(s);
	return st;
}

void cli_loopback_stop(cli_loopback *s)
{
	eid_http_server_free(s->ps);
	eid_http_server_free(s->as);
	eid_platform_close(s->p);
	eid_authority_close(s->a);
	*s = (cli_loopback){0};
}
