/* Tests of src/crypto/passcode.c: the eight-digit rule at the boundary,
 * Argon2id hashes (salted, verifiable), the needs-rehash check. Only four
 * Argon2id computations: each costs tens of milliseconds and 64 MiB. */
#include "eid/crypto.h"
#include "test.h"

static void test_format(void)
{
	eid_err err;
	CHECK(eid_passcode_check("12345678", 8, &err) == EID_OK);
	CHECK(eid_passcode_check("00000000", 8, &err) == EID_OK);
	struct {
		const char *pc;
		size_t len;
		const char *why;
	} bad[] = {
	    {"1234567", 7, "7 characters"},
	    {"123456789", 9, "9 characters"},
	    {"", 0, "0 characters"},
	    {"1234567a", 8, "character 8"},
	    {"a2345678", 8, "character 1"},
	    {"1234 678", 8, "character 5"},
	    {"1234\0"
	     "678",
	     8, "character 5"}, /* embedded NUL, explicit length */
	    {"-1234567", 8, "character 1"},
	    {"\xef\xbc\x91"
	     "23456",
	     8, "character 1"}, /* fullwidth digit one */
	    {"12345678\n", 9, "9 characters"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = 0;
		CHECK(eid_passcode_check(bad[i].pc, bad[i].len, &err) == EID_E_INVALID_ARG);
		CHECK(strstr(err.msg, bad[i].why) != NULL);
		CHECK(strstr(err.msg, "1234") == NULL); /* the passcode is never echoed */
		char out[EID_PASSCODE_HASH_MAX];
		CHECK(eid_passcode_hash(bad[i].pc, bad[i].len, out, sizeof out, &err) ==
		      EID_E_INVALID_ARG);
	}
}

static void test_hash_verify(void)
{
	char h1[EID_PASSCODE_HASH_MAX], h2[EID_PASSCODE_HASH_MAX];
	eid_err err;
	REQUIRE(eid_passcode_hash("20240521", 8, h1, sizeof h1, &err) == EID_OK);
	REQUIRE(eid_passcode_hash("20240521", 8, h2, sizeof h2, &err) == EID_OK);
	/* Argon2id, the documented cost, and a fresh salt each time */
	CHECK(strncmp(h1, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK(strstr(h1, "20240521") == NULL);
	bool ok = false;
	REQUIRE(eid_passcode_verify(h1, strlen(h1), "20240521", 8, &ok, &err) == EID_OK);
	CHECK(ok);
	ok = true;
	REQUIRE(eid_passcode_verify(h2, strlen(h2), "20240522", 8, &ok, &err) == EID_OK);
	CHECK(!ok);
	/* bad input is refused before any hashing */
	CHECK(eid_passcode_verify(h1, strlen(h1), "2024052", 7, &ok, &err) == EID_E_INVALID_ARG);
	CHECK(!ok);
	CHECK(eid_passcode_verify("", 0, "20240521", 8, &ok, &err) == EID_E_FORMAT);
	CHECK(eid_passcode_verify("plain", 5, "20240521", 8, &ok, &err) == EID_E_FORMAT);
	const char *argon2i = "$argon2i$v=19$m=32768,t=4,p=1$c29tZXNhbHQ$Y2FmZWJhYmU";
	CHECK(eid_passcode_verify(argon2i, strlen(argon2i), "20240521", 8, &ok, &err) ==
	      EID_E_FORMAT);
	CHECK(eid_passcode_verify(h1, 300, "20240521", 8, &ok, &err) == EID_E_FORMAT);
	char nul[EID_PASSCODE_HASH_MAX];
	memcpy(nul, h1, sizeof nul);
	nul[20] = 0;
	CHECK(eid_passcode_verify(nul, strlen(h1), "20240521", 8, &ok, &err) == EID_E_FORMAT);
	char small[64];
	CHECK(eid_passcode_hash("20240521", 8, small, sizeof small, &err) == EID_E_INVALID_ARG);

	/* needs-rehash: current parameters no, other parameters yes */
	bool needs = true;
	REQUIRE(eid_passcode_needs_rehash(h1, strlen(h1), &needs, &err) == EID_OK);
	CHECK(!needs);
	char old[EID_PASSCODE_HASH_MAX];
	snprintf(old, sizeof old, "$argon2id$v=19$m=65536,t=1,p=1$%s", h1 + 31);
	REQUIRE(eid_passcode_needs_rehash(old, strlen(old), &needs, &err) == EID_OK);
	CHECK(needs);
	snprintf(old, sizeof old, "$argon2id$v=19$m=32768,t=2,p=1$%s", h1 + 31);
	REQUIRE(eid_passcode_needs_rehash(old, strlen(old), &needs, &err) == EID_OK);
	CHECK(needs);
	CHECK(eid_passcode_needs_rehash("$argon2id$garbage", 17, &needs, &err) == EID_E_FORMAT);
	CHECK(eid_passcode_needs_rehash(argon2i, strlen(argon2i), &needs, &err) == EID_E_FORMAT);
}

TEST_MAIN(test_format, test_hash_verify)
