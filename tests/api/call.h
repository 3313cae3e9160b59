/* tests/api/call.h — a JSON call to a service of the API tests: method and
 * path on a server started on loopback, an optional bearer token (a relying
 * party's credential, the admin token). Include after test.h. */
#ifndef EID_TESTS_API_CALL_H
#define EID_TESTS_API_CALL_H

#include <stdio.h>

#include "eid/http.h"

/* Sends body (consumed; NULL for none); the reply (NULL if it had no JSON)
 * and the HTTP status in *status. A call that cannot be made at all fails
 * the test. */
static json_t *api_call(const eid_http_server *srv, const char *method, const char *path,
			const char *bearer, json_t *body, long *status)
{
	char url[512], hdr[256];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(srv), path);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", bearer ? bearer : "");
	const char *headers[] = {hdr, NULL};
	json_t *reply = NULL;
	eid_err err;
	eid_status st = eid_http_call_headers(method, url, bearer ? headers : NULL, body, 120.0,
					      status, &reply, &err);
	if (st)
		fprintf(stderr, "  %s %s: %s\n", method, path, err.msg);
	REQUIRE(st == EID_OK);
	json_decref(body);
	return reply;
}

#endif
