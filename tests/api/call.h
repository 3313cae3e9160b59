/* tests/api/call.h — calls to the services of the API tests: a JSON call with
 * an optional bearer token (a relying party's credential, the admin token), and
 * a request signed by a device key. Include after test.h. */
#ifndef EID_TESTS_API_CALL_H
#define EID_TESTS_API_CALL_H

#include <stdio.h>

#include "eid/http.h"
#include "eid/svc.h"
#include "orl.h"

/* Sends body (consumed; NULL for none); the reply (NULL if it had no JSON)
 * and the HTTP status in *status. A call that cannot be made at all fails
 * the test. */
static inline json_t *api_call(const eid_http_server *srv, const char *method, const char *path,
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

/* POST path with the device-signed {"card_id", "nonce", "ts", "device_sig"}
 * (eid_device_msg with verb); the HTTP status, the reply in *reply_out when
 * it is not NULL. */
static inline long device_post(const eid_http_server *srv, const char *path, const char *verb,
			       const eid_key *key, const char *card, const char *nonce,
			       int64_t ts, json_t **reply_out)
{
	char msg[256];
	const size_t len = eid_device_msg(verb, card, nonce, ts, msg, sizeof(msg));
	REQUIRE(len);
	uint8_t sig[EID_SIG_BYTES];
	eid_err err;
	REQUIRE(eid_sign(key, (const uint8_t *)msg, len, sig, &err) == EID_OK);
	char *s = test_b64(sig, sizeof(sig));
	long status;
	json_t *r = api_call(srv, "POST", path, NULL,
			     json_pack("{s:s, s:s, s:I, s:s}", "card_id", card, "nonce", nonce,
				       "ts", (json_int_t)ts, "device_sig", s),
			     &status);
	free(s);
	if (reply_out)
		*reply_out = r;
	else
		json_decref(r);
	return status;
}

#endif
