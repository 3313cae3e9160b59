/* tests/api/call.h — calls to the services of the API tests: a JSON call with
 * an optional bearer token (a relying party's credential, the admin token), a
 * request signed by a device key or a terminal's key, an error reply's code,
 * and the ID numbers the tests register. Include after test.h. */
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

/* POST path with body (consumed) signed by a terminal's key, as terminals
 * sign: "term_id" and "ts" (unix ms) added, then eid_sign_json. */
static inline json_t *terminal_post(const eid_http_server *srv, const eid_key *term,
				    const char *term_id, const char *path, json_t *body,
				    int64_t ts, long *status)
{
	eid_err err;
	json_object_set_new(body, "term_id", json_string(term_id));
	json_object_set_new(body, "ts", json_integer(ts));
	REQUIRE(eid_sign_json(term, body, &err) == EID_OK);
	return api_call(srv, "POST", path, NULL, body, status);
}

/* An error reply's code ("" when there is none). */
static inline const char *error_code(const json_t *reply)
{
	const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
	return c ? c : "";
}

/* A valid ID number: Guangzhou's area code, birth date YYYYMMDD, sequence
 * number, check character. */
static inline void test_id_number(const char *date, const char *seq, char out[19])
{
	snprintf(out, 19, "440106%s%s", date, seq);
	out[17] = eid_id_check_char(out);
	out[18] = 0;
}

#endif
