/* Tests of src/crypto/random.c: initialisation, random identifiers,
 * constant-time equality. */
#include "eid/crypto.h"
#include "test.h"

#include <stdint.h>

static void test_random_id(void)
{
	char a[EID_RANDOM_ID_LEN + 1], b[EID_RANDOM_ID_LEN + 1];
	REQUIRE(eid_crypto_init(NULL) == EID_OK);
	REQUIRE(eid_crypto_init(NULL) == EID_OK); /* idempotent */
	eid_crypto_random_id(a);
	eid_crypto_random_id(b);
	CHECK(strlen(a) == EID_RANDOM_ID_LEN && strlen(b) == EID_RANDOM_ID_LEN);
	CHECK(strcmp(a, b) != 0);
	uint8_t raw[EID_RANDOM_ID_BYTES];
	CHECK(eid_b64url_decode_exact(a, strlen(a), raw, sizeof raw, NULL) == EID_OK);
	/* random bytes are not all zero and differ between calls */
	uint8_t r1[32] = {0}, r2[32] = {0}, zero[32] = {0};
	eid_crypto_random(r1, sizeof r1);
	eid_crypto_random(r2, sizeof r2);
	CHECK(memcmp(r1, zero, 32) != 0 && memcmp(r1, r2, 32) != 0);
}

static void test_equal(void)
{
	uint8_t a[32], b[32];
	eid_crypto_random(a, sizeof a);
	memcpy(b, a, sizeof a);
	CHECK(eid_crypto_equal(a, b, sizeof a));
	for (size_t i = 0; i < sizeof a; i++) {
		b[i] ^= 1;
		CHECK(!eid_crypto_equal(a, b, sizeof a));
		b[i] ^= 1;
	}
	CHECK(eid_crypto_equal(a, b, 0));
}

TEST_MAIN(test_random_id, test_equal)
