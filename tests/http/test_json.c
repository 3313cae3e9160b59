/* Tests of src/http/json.c: the depth scan (strings, escapes, unbalanced
 * input) and the parser's refusals with their messages. */
#include "eid/http.h"
#include "eid/limits.h"
#include "test.h"

static eid_status depth(const char *s, size_t max)
{
	eid_err err;
	return eid_http_json_check_depth((const uint8_t *)s, strlen(s), max, &err);
}

static void test_depth_scan(void)
{
	CHECK(depth("[]", 1) == EID_OK);
	CHECK(depth("[[]]", 1) == EID_E_LIMIT);
	CHECK(depth("{\"a\":{\"b\":[1]}}", 3) == EID_OK);
	CHECK(depth("{\"a\":{\"b\":[1]}}", 2) == EID_E_LIMIT);
	/* siblings do not add up */
	CHECK(depth("[[1],[2],[3],{\"x\":4}]", 2) == EID_OK);
	/* brackets in strings, escaped quotes and backslashes */
	CHECK(depth("[\"[[[[{{{{\"]", 1) == EID_OK);
	CHECK(depth("[\"\\\"[[[[\"]", 1) == EID_OK);
	CHECK(depth("[\"\\\\\",[[]]]", 2) == EID_E_LIMIT); /* the string ends at \\" */
	/* stray closers cannot push the depth below zero to allow more later */
	CHECK(depth("]]]]][[", 1) == EID_E_LIMIT);
	/* an unterminated string hides the rest (the parser refuses it anyway) */
	CHECK(depth("[\"[[[[", 1) == EID_OK);

	eid_err err;
	char deep[64];
	memset(deep, '[', sizeof(deep));
	CHECK(eid_http_json_check_depth((const uint8_t *)deep, sizeof(deep), 32, &err) ==
	      EID_E_LIMIT);
	CHECK(strcmp(err.msg, "json nests deeper than 32 levels (at byte 32)") == 0);
}

static void test_parse(void)
{
	json_t *j = NULL;
	eid_err err = {{0}};
	const char *ok = "{\"a\":[1,{\"b\":null}],\"c\":\"\xe4\xb8\xad\"}";
	CHECK_OK(eid_http_json_parse((const uint8_t *)ok, strlen(ok), &j, &err));
	CHECK(json_is_object(j));
	json_decref(j);

	const char *dup = "{\"a\":1,\n\"a\":2}";
	CHECK(eid_http_json_parse((const uint8_t *)dup, strlen(dup), &j, &err) == EID_E_FORMAT);
	CHECK(j == NULL);
	CHECK(strstr(err.msg, "invalid json at line 2") != NULL);
	CHECK(strstr(err.msg, "duplicate") != NULL);

	const char *trailing = "{} {}";
	CHECK(eid_http_json_parse((const uint8_t *)trailing, strlen(trailing), &j, &err) ==
	      EID_E_FORMAT);
	const char *scalar = "42";
	CHECK(eid_http_json_parse((const uint8_t *)scalar, strlen(scalar), &j, &err) ==
	      EID_E_FORMAT);
	CHECK(eid_http_json_parse((const uint8_t *)"", 0, &j, &err) == EID_E_FORMAT);
	const uint8_t nul[] = {'[', '"', 'a', 0, 'b', '"', ']'};
	CHECK(eid_http_json_parse(nul, sizeof(nul), &j, &err) == EID_E_FORMAT);
	const char *badutf = "[\"\xff\"]";
	CHECK(eid_http_json_parse((const uint8_t *)badutf, strlen(badutf), &j, &err) ==
	      EID_E_FORMAT);
	const char *escnul = "[\"a\\u0000b\"]";
	CHECK(eid_http_json_parse((const uint8_t *)escnul, strlen(escnul), &j, &err) ==
	      EID_E_FORMAT);

	/* the limits table sets the depth */
	char deep[80];
	size_t n = 0;
	for (int i = 0; i < 33; i++)
		deep[n++] = '[';
	for (int i = 0; i < 33; i++)
		deep[n++] = ']';
	CHECK(eid_http_json_parse((const uint8_t *)deep, n, &j, &err) == EID_E_LIMIT);
	CHECK(eid_limit_set(EID_LIMIT_JSON_DEPTH, 40) == 0);
	CHECK_OK(eid_http_json_parse((const uint8_t *)deep, n, &j, &err));
	json_decref(j);
	CHECK(eid_limit_set(EID_LIMIT_JSON_DEPTH, 32) == 0);
	CHECK(eid_limit_set(EID_LIMIT_JSON_DEPTH, 0) == -1);
}

TEST_MAIN(test_depth_scan, test_parse)
