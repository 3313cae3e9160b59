/* Tests of src/crypto/seal.c: a capture sealed to the authority opens only
 * with the authority's key and the same associated data; every changed,
 * missing or extra byte is refused cleanly. */
#include "eid/crypto.h"
#include "test.h"

#include <stdint.h>

static eid_key *auth, *other;
static uint8_t ad[48];
static uint8_t pt[300];

static void test_setup(void)
{
	REQUIRE(eid_key_new(EID_KEY_X25519, &auth, NULL) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_X25519, &other, NULL) == EID_OK);
	/* what the services bind: request id, nonce, expiry */
	snprintf((char *)ad, sizeof ad, "rid=AbCdEf;nonce=0123456789;exp=1700000000");
	for (size_t i = 0; i < sizeof pt; i++)
		pt[i] = (uint8_t)(i * 7 + 1);
}

/* Seals pt[0..n) into a fresh heap blob of exactly the sealed size. */
static uint8_t *seal(size_t n, size_t *len)
{
	uint8_t *b = malloc(n + EID_SEAL_OVERHEAD);
	REQUIRE(b);
	eid_err err;
	REQUIRE(eid_seal(eid_key_pub(auth), ad, sizeof ad, pt, n, b, n + EID_SEAL_OVERHEAD, len,
			 &err) == EID_OK);
	REQUIRE(*len == n + EID_SEAL_OVERHEAD);
	return b;
}

/* Opens blob[0..len) with key k and a[0..alen); the status, and the
 * plaintext length through *n. */
static eid_status open_blob(const eid_key *k, const uint8_t *a, size_t alen, const uint8_t *blob,
			    size_t len, size_t *n, eid_err *err)
{
	uint8_t out[sizeof pt];
	return eid_unseal(k, a, alen, blob, len, out, sizeof out, n, err);
}

static void test_round_trip(void)
{
	static const size_t lens[] = {0, 1, 31, 32, 33, 300};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t len, n = 99;
		uint8_t *b = seal(lens[i], &len);
		CHECK(b[0] == EID_SEAL_VERSION);
		uint8_t out[sizeof pt];
		eid_err err;
		REQUIRE(eid_unseal(auth, ad, sizeof ad, b, len, out, sizeof out, &n, &err) ==
			EID_OK);
		CHECK(n == lens[i] && memcmp(out, pt, n) == 0);
		free(b);
	}
	/* no associated data at all also works, and must then be absent on open */
	uint8_t b[64 + EID_SEAL_OVERHEAD], out[64];
	size_t len, n;
	REQUIRE(eid_seal(eid_key_pub(auth), NULL, 0, pt, 64, b, sizeof b, &len, NULL) == EID_OK);
	CHECK(eid_unseal(auth, NULL, 0, b, len, out, sizeof out, &n, NULL) == EID_OK);
	CHECK(n == 64 && memcmp(out, pt, 64) == 0);
	CHECK(eid_unseal(auth, ad, 1, b, len, out, sizeof out, &n, NULL) == EID_E_FORMAT);
}

/* Fresh ephemeral key and nonce every time; the plaintext does not show. */
static void test_randomised(void)
{
	size_t l1, l2;
	uint8_t *a = seal(300, &l1), *b = seal(300, &l2);
	CHECK(memcmp(a + 1, b + 1, 32) != 0);    /* ephemeral public keys */
	CHECK(memcmp(a + 33, b + 33, 24) != 0);  /* nonces */
	CHECK(memcmp(a + 57, b + 57, 300) != 0); /* ciphertexts */
	for (size_t i = 0; i + 16 <= l1; i++)
		CHECK(memcmp(a + i, pt + 16, 16) != 0);
	free(a);
	free(b);
}

static void test_other_key_fails(void)
{
	size_t len, n = 99;
	uint8_t *b = seal(100, &len);
	eid_err err;
	CHECK(open_blob(other, ad, sizeof ad, b, len, &n, &err) == EID_E_FORMAT);
	CHECK(n == 0);
	CHECK(strstr(err.msg, "authentication failed") != NULL);
	CHECK(strstr(err.msg, eid_key_id(other)) != NULL);
	/* a signing key is the wrong type, not a failed open */
	eid_key *ed = NULL;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &ed, NULL) == EID_OK);
	CHECK(open_blob(ed, ad, sizeof ad, b, len, &n, &err) == EID_E_INVALID_ARG);
	uint8_t out[200];
	CHECK(eid_seal(eid_key_pub(ed), ad, sizeof ad, pt, 10, out, sizeof out, &n, &err) ==
	      EID_E_INVALID_ARG);
	eid_key_free(ed);
	free(b);
}

static void test_changed_ad_fails(void)
{
	size_t len, n;
	uint8_t *b = seal(100, &len);
	uint8_t a[sizeof ad + 1];
	eid_err err;
	for (size_t i = 0; i < sizeof ad; i++) {
		memcpy(a, ad, sizeof ad);
		a[i] ^= 0x01;
		CHECK(open_blob(auth, a, sizeof ad, b, len, &n, &err) == EID_E_FORMAT);
	}
	memcpy(a, ad, sizeof ad);
	a[sizeof ad] = 0;
	CHECK(open_blob(auth, a, sizeof ad + 1, b, len, &n, &err) == EID_E_FORMAT); /* longer */
	CHECK(open_blob(auth, a, sizeof ad - 1, b, len, &n, &err) == EID_E_FORMAT); /* shorter */
	CHECK(open_blob(auth, NULL, 0, b, len, &n, &err) == EID_E_FORMAT);          /* none */
	CHECK(open_blob(auth, ad, sizeof ad, b, len, &n, &err) == EID_OK);
	free(b);
}

/* Two bits of every byte: version, ephemeral key (incl. the top bit X25519
 * ignores), nonce, ciphertext, tag. */
static void test_tampered_bytes_fail(void)
{
	size_t len, n;
	uint8_t *b = seal(40, &len);
	eid_err err;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			b[i] ^= (uint8_t)(1u << bit);
			n = 99;
			eid_status st = open_blob(auth, ad, sizeof ad, b, len, &n, &err);
			CHECK(st == EID_E_FORMAT);
			CHECK(n == 0);
			if (st != EID_E_FORMAT)
				fprintf(stderr, "  byte %zu bit %d accepted\n", i, bit);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECK(open_blob(auth, ad, sizeof ad, b, len, &n, &err) == EID_OK);
	/* swapping in another blob's ephemeral key or nonce */
	size_t len2;
	uint8_t *c = seal(40, &len2);
	memcpy(c + 1, b + 1, 32);
	CHECK(open_blob(auth, ad, sizeof ad, c, len2, &n, &err) == EID_E_FORMAT);
	free(c);
	c = seal(40, &len2);
	memcpy(c + 33, b + 33, 24);
	CHECK(open_blob(auth, ad, sizeof ad, c, len2, &n, &err) == EID_E_FORMAT);
	free(c);
	free(b);
}

static void test_version(void)
{
	size_t len, n;
	uint8_t *b = seal(10, &len);
	eid_err err;
	b[0] = 2;
	CHECK(open_blob(auth, ad, sizeof ad, b, len, &n, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "version 2") != NULL);
	b[0] = 0;
	CHECK(open_blob(auth, ad, sizeof ad, b, len, &n, &err) == EID_E_FORMAT);
	free(b);
}

/* Every truncation, each in an exactly sized heap buffer so that any read
 * past the end is caught by the sanitizer; plus one extra byte. */
static void test_truncated_and_extended(void)
{
	size_t len, n;
	uint8_t *b = seal(20, &len);
	eid_err err;
	for (size_t t = 0; t < len; t++) {
		uint8_t *c = malloc(t ? t : 1);
		REQUIRE(c);
		memcpy(c, b, t);
		n = 99;
		CHECK(open_blob(auth, ad, sizeof ad, c, t, &n, &err) == EID_E_FORMAT);
		CHECK(n == 0);
		if (t < EID_SEAL_OVERHEAD)
			CHECK(strstr(err.msg, "min 73") != NULL);
		free(c);
	}
	uint8_t *c = malloc(len + 1);
	REQUIRE(c);
	memcpy(c, b, len);
	c[len] = 0;
	CHECK(open_blob(auth, ad, sizeof ad, c, len + 1, &n, &err) == EID_E_FORMAT);
	free(c);
	free(b);
}

static void test_low_order_and_sizes(void)
{
	uint8_t out[200];
	size_t n;
	eid_err err;
	/* the all-zero point: no shared secret, refused on both sides */
	eid_pubkey zero = {.type = EID_KEY_X25519};
	CHECK(eid_seal(&zero, ad, sizeof ad, pt, 10, out, sizeof out, &n, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "low-order") != NULL);
	size_t len;
	uint8_t *b = seal(10, &len);
	memset(b + 1, 0, 32);
	CHECK(open_blob(auth, ad, sizeof ad, b, len, &n, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "low-order") != NULL);
	free(b);
	/* buffers too small are the caller's error */
	CHECK(eid_seal(eid_key_pub(auth), ad, sizeof ad, pt, 10, out, 10 + EID_SEAL_OVERHEAD - 1,
		       &n, &err) == EID_E_INVALID_ARG);
	b = seal(10, &len);
	CHECK(eid_unseal(auth, ad, sizeof ad, b, len, out, 9, &n, &err) == EID_E_INVALID_ARG);
	CHECK(eid_unseal(auth, ad, sizeof ad, b, len, out, 10, &n, &err) == EID_OK);
	free(b);
}

static void test_cleanup(void)
{
	eid_key_free(auth);
	eid_key_free(other);
}

TEST_MAIN(test_setup, test_round_trip, test_randomised, test_other_key_fails, test_changed_ad_fails,
	  test_tampered_bytes_fail, test_version, test_truncated_and_extended,
	  test_low_order_and_sizes, test_cleanup)
