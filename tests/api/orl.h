/* tests/api/orl.h — the faces of the API tests: a photo of the shared ORL set
 * (../shared/faces/dev/images/orl) and bytes as base64url, as the services
 * take them. Include after test.h. */
#ifndef EID_TESTS_API_ORL_H
#define EID_TESTS_API_ORL_H

#include <stdio.h>
#include <stdlib.h>

#include "eid/crypto.h"
#include "eid/util.h"

static inline char *test_b64(const uint8_t *b, size_t n)
{
	char *s = malloc(EID_B64URL_LEN(n) + 1);
	eid_err err;
	REQUIRE(s && eid_b64url_encode(b, n, s, EID_B64URL_LEN(n) + 1, &err) == EID_OK);
	return s;
}

/* rel: "s1/s1_02.png"; the caller frees */
static inline char *test_orl_b64(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/faces/dev/images/orl/%s", test_shared(), rel);
	uint8_t *bytes;
	size_t n;
	eid_err err;
	REQUIRE(eid_file_read(path, 1u << 24, &bytes, &n, &err) == EID_OK);
	char *s = test_b64(bytes, n);
	free(bytes);
	return s;
}

#endif
