/* tests/api/burst.h — the liveness evidence of ORL subject s1 (the resident
 * whose register photo is s1/s1_01.png in the API tests): the session's
 * challenge asked of the platform, then s1's photos posed that way, in order
 * (front, first movement, front, second). Include after test.h. */
#ifndef EID_TESTS_API_BURST_H
#define EID_TESTS_API_BURST_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/crypto.h"
#include "eid/http.h"
#include "eid/util.h"
#include "orl.h"

/* s1's photo for a movement, measured with eid face detect (yaw, pitch) */
static const char *burst_s1_photo(const char *move)
{
	static const char *const table[][2] = {
		{"front", "s1_08"}, /* 3.0, -3.2 */
		{"left", "s1_02"},  /* 23.6, -2.8 */
		{"right", "s1_04"}, /* -19.9, -3.1 */
		{"up", "s1_09"},    /* 7.8, 20.4 */
		{"down", "s1_03"},  /* 0.5, -18.7 */
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (move && strcmp(move, table[i][0]) == 0)
			return table[i][1];
	return NULL;
}

static void burst_add(json_t *frames, const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "s1/%s.png", name);
	char *b64 = test_orl_b64(rel);
	json_array_append_new(frames, json_string(b64));
	free(b64);
}

/* The "frames" member for session sid (a new reference). */
static json_t *burst_s1(const char *platform_url, const char *sid)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/challenge/%s", platform_url, sid);
	long status;
	json_t *reply = NULL;
	eid_err err;
	REQUIRE(eid_http_call("GET", url, NULL, 30.0, &status, &reply, &err) == EID_OK);
	REQUIRE(status == 200);
	json_t *frames = json_array(), *m;
	size_t i;
	json_array_foreach(json_object_get(reply, "challenge"), i, m)
	{
		const char *photo = burst_s1_photo(json_string_value(m));
		REQUIRE(photo);
		burst_add(frames, "s1_08");
		burst_add(frames, photo);
	}
	json_decref(reply);
	return frames;
}

#endif
