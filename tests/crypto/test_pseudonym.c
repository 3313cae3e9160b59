/* Tests of src/crypto/pseudonym.c: stable per (person, relying party),
 * different across relying parties, persons and keys, unambiguous, and equal
 * to the documented construction computed here independently. */
#include "eid/crypto.h"
#include "test.h"

#include <sodium.h>

static eid_key *key;

static void test_setup(void)
{
	REQUIRE(eid_key_new(EID_KEY_PAIRWISE, &key, NULL) == EID_OK);
}

static void ps(const eid_key *k, const char *person, const char *rp, char *out)
{
	eid_err err;
	REQUIRE(eid_pseudonym(k, person, strlen(person), rp, strlen(rp), out, &err) == EID_OK);
	REQUIRE(strlen(out) == EID_PSEUDONYM_LEN);
}

static void test_stable_and_distinct(void)
{
	char a1[44], a2[44], b[44], c[44];
	ps(key, "110101199003077777", "hotel-1", a1);
	ps(key, "110101199003077777", "hotel-1", a2);
	ps(key, "110101199003077777", "cafe-9", b);
	ps(key, "110101199003078888", "hotel-1", c);
	CHECK(strcmp(a1, a2) == 0);
	CHECK(strcmp(a1, b) != 0);
	CHECK(strcmp(a1, c) != 0);
	CHECK(strstr(a1, "1101") == NULL);
	eid_key *k2 = NULL;
	REQUIRE(eid_key_new(EID_KEY_PAIRWISE, &k2, NULL) == EID_OK);
	ps(k2, "110101199003077777", "hotel-1", a2);
	CHECK(strcmp(a1, a2) != 0);
	eid_key_free(k2);
}

static void test_unambiguous(void)
{
	char x[44], y[44];
	ps(key, "ab", "c", x);
	ps(key, "a", "bc", y);
	CHECK(strcmp(x, y) != 0);
	ps(key, "a\x01", "b", x);
	ps(key, "a",
	   "\x01"
	   "b",
	   y);
	CHECK(strcmp(x, y) != 0);
}

static void test_documented_construction(void)
{
	uint8_t s[32];
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)i;
	eid_key *k = NULL;
	REQUIRE(eid_key_from_secret(EID_KEY_PAIRWISE, s, 32, &k, NULL) == EID_OK);
	/* "eid-pairwise-v1" || u64le(3) || "p-1" || u64le(4) || "rp-2" */
	uint8_t msg[15 + 8 + 3 + 8 + 4] = "eid-pairwise-v1";
	uint8_t *p = msg + 15;
	memcpy(p, "\x03\0\0\0\0\0\0\0p-1\x04\0\0\0\0\0\0\0rp-2", 23);
	uint8_t h[32];
	crypto_generichash(h, 32, msg, sizeof msg, s, 32);
	char want[44], got[44];
	sodium_bin2base64(want, sizeof want, h, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	ps(k, "p-1", "rp-2", got);
	CHECK(strcmp(want, got) == 0);
	eid_key_free(k);
}

static void test_bad_input(void)
{
	char out[44];
	eid_err err;
	CHECK(eid_pseudonym(key, "", 0, "rp", 2, out, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "person") != NULL);
	CHECK(eid_pseudonym(key, "p", 1, "", 0, out, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "relying party") != NULL);
	eid_key *kek = NULL;
	REQUIRE(eid_key_new(EID_KEY_KEK, &kek, NULL) == EID_OK);
	CHECK(eid_pseudonym(kek, "p", 1, "rp", 2, out, &err) == EID_E_INVALID_ARG);
	eid_key_free(kek);
}

static void test_cleanup(void)
{
	eid_key_free(key);
}

TEST_MAIN(test_setup, test_stable_and_distinct, test_unambiguous, test_documented_construction,
	  test_bad_input, test_cleanup)
