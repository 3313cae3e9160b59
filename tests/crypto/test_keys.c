/* Tests of src/crypto/keys.c: key generation against RFC 8032 and RFC 7748
 * vectors, the documented key id, public-key text forms. */
#include "eid/crypto.h"
#include "test.h"

#include <sodium.h>

static void hex(const char *h, uint8_t *out, size_t n)
{
	size_t got = 0;
	REQUIRE(sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL) == 0 && got == n);
}

/* The documented key id, computed here independently of the module. */
static void kid_of(const uint8_t pk[32], char kid[EID_KID_LEN + 1])
{
	uint8_t h[32];
	crypto_generichash(h, 32, pk, 32, NULL, 0);
	sodium_bin2base64(kid, EID_KID_LEN + 1, h, 12, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_ed25519_rfc8032(void)
{
	uint8_t seed[32], pk[32];
	hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
	hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk, 32);
	eid_key *k = NULL;
	REQUIRE(eid_key_from_secret(EID_KEY_ED25519, seed, 32, &k, NULL) == EID_OK);
	const eid_pubkey *p = eid_key_pub(k);
	REQUIRE(p != NULL);
	CHECK(p->type == EID_KEY_ED25519);
	CHECK(memcmp(p->key, pk, 32) == 0);
	char kid[EID_KID_LEN + 1];
	kid_of(pk, kid);
	CHECK(strcmp(p->kid, kid) == 0);
	CHECK(strcmp(eid_key_id(k), kid) == 0);
	CHECK(strlen(kid) == EID_KID_LEN);
	CHECK(eid_key_get_type(k) == EID_KEY_ED25519);
	eid_key_free(k);
}

static void test_x25519_rfc7748(void)
{
	uint8_t sk[32], pk[32];
	hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", sk, 32);
	hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", pk, 32);
	eid_key *k = NULL;
	REQUIRE(eid_key_from_secret(EID_KEY_X25519, sk, 32, &k, NULL) == EID_OK);
	CHECK(memcmp(eid_key_pub(k)->key, pk, 32) == 0);
	char kid[EID_KID_LEN + 1];
	kid_of(pk, kid);
	CHECK(strcmp(eid_key_id(k), kid) == 0);
	eid_key_free(k);
}

static void test_new_keys_differ(void)
{
	for (int t = EID_KEY_ED25519; t <= EID_KEY_PAIRWISE; t++) {
		eid_key *a = NULL, *b = NULL;
		REQUIRE(eid_key_new((eid_key_type)t, &a, NULL) == EID_OK);
		REQUIRE(eid_key_new((eid_key_type)t, &b, NULL) == EID_OK);
		CHECK(strcmp(eid_key_id(a), eid_key_id(b)) != 0);
		CHECK(strlen(eid_key_id(a)) == EID_KID_LEN);
		if (t == EID_KEY_ED25519 || t == EID_KEY_X25519)
			CHECK(eid_key_pub(a) &&
			      memcmp(eid_key_pub(a)->key, eid_key_pub(b)->key, 32));
		else
			CHECK(eid_key_pub(a) == NULL); /* symmetric: no public half */
		eid_key_free(a);
		eid_key_free(b);
	}
	eid_key_free(NULL);
}

/* A symmetric key's id is a keyed hash: not the unkeyed hash of the secret,
 * and stable for one secret. */
static void test_symmetric_kid(void)
{
	uint8_t s[32];
	eid_crypto_random(s, 32);
	eid_key *a = NULL, *b = NULL, *c = NULL;
	REQUIRE(eid_key_from_secret(EID_KEY_KEK, s, 32, &a, NULL) == EID_OK);
	REQUIRE(eid_key_from_secret(EID_KEY_KEK, s, 32, &b, NULL) == EID_OK);
	REQUIRE(eid_key_from_secret(EID_KEY_PAIRWISE, s, 32, &c, NULL) == EID_OK);
	CHECK(strcmp(eid_key_id(a), eid_key_id(b)) == 0);
	char unkeyed[EID_KID_LEN + 1];
	kid_of(s, unkeyed);
	CHECK(strcmp(eid_key_id(a), unkeyed) != 0);
	uint8_t h[32];
	const char label[] = "eid-kid-v1";
	crypto_generichash(h, 32, (const uint8_t *)label, strlen(label), s, 32);
	char want[EID_KID_LEN + 1];
	sodium_bin2base64(want, sizeof want, h, 12, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	CHECK(strcmp(eid_key_id(a), want) == 0);
	eid_key_free(a);
	eid_key_free(b);
	eid_key_free(c);
}

static void test_bad_secret(void)
{
	uint8_t s[33] = {1};
	eid_key *k = (eid_key *)1;
	eid_err err;
	CHECK(eid_key_from_secret(EID_KEY_ED25519, s, 31, &k, &err) == EID_E_INVALID_ARG);
	CHECK(k == NULL);
	CHECK(strstr(err.msg, "31 bytes") != NULL);
	CHECK(eid_key_from_secret(EID_KEY_KEK, s, 33, &k, &err) == EID_E_INVALID_ARG);
	CHECK(eid_key_from_secret((eid_key_type)9, s, 32, &k, &err) == EID_E_INVALID_ARG);
	CHECK(eid_key_new((eid_key_type)0, &k, &err) == EID_E_INVALID_ARG);
}

static void test_pubkey_b64(void)
{
	eid_key *k = NULL;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &k, NULL) == EID_OK);
	const eid_pubkey *p = eid_key_pub(k);
	char b64[EID_PUBKEY_B64_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(p, b64, sizeof b64, NULL) == EID_OK);
	CHECK(strlen(b64) == EID_PUBKEY_B64_LEN);
	eid_pubkey q;
	eid_err err;
	REQUIRE(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), p->kid, &q, &err) == EID_OK);
	CHECK(q.type == EID_KEY_ED25519 && memcmp(q.key, p->key, 32) == 0);
	CHECK(strcmp(q.kid, p->kid) == 0);
	REQUIRE(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), NULL, &q, NULL) == EID_OK);
	CHECK(strcmp(q.kid, p->kid) == 0);
	/* a claimed kid that is not this key's */
	char other[EID_KID_LEN + 1];
	memcpy(other, p->kid, sizeof other);
	other[0] = other[0] == 'A' ? 'B' : 'A';
	CHECK(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), other, &q, &err) ==
	      EID_E_FORMAT);
	CHECK(strstr(err.msg, other) != NULL);
	CHECK(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), "short\n", &q, &err) ==
	      EID_E_FORMAT);
	CHECK(strchr(err.msg, '\n') == NULL);
	/* bad text, wrong length, wrong type */
	CHECK(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64) - 1, NULL, &q, &err) ==
	      EID_E_FORMAT);
	b64[5] = '+';
	CHECK(eid_pubkey_from_b64(EID_KEY_ED25519, b64, strlen(b64), NULL, &q, &err) ==
	      EID_E_FORMAT);
	CHECK(eid_pubkey_from_b64(EID_KEY_KEK, b64, strlen(b64), NULL, &q, &err) ==
	      EID_E_INVALID_ARG);
	eid_key_free(k);
}

static void test_pubkey_text(void)
{
	eid_key *k = NULL;
	REQUIRE(eid_key_new(EID_KEY_X25519, &k, NULL) == EID_OK);
	char line[EID_PUBKEY_TEXT_MAX];
	REQUIRE(eid_pubkey_format(eid_key_pub(k), line, sizeof line, NULL) == EID_OK);
	CHECK(strncmp(line, "eid-pub v1 x25519 ", 18) == 0);
	CHECK(strstr(line, eid_key_id(k)) == line + 18);
	eid_pubkey q;
	eid_err err;
	REQUIRE(eid_pubkey_parse(line, strlen(line), &q, &err) == EID_OK);
	CHECK(q.type == EID_KEY_X25519 && memcmp(q.key, eid_key_pub(k)->key, 32) == 0);
	char nl[EID_PUBKEY_TEXT_MAX + 1];
	snprintf(nl, sizeof nl, "%s\n", line);
	CHECK(eid_pubkey_parse(nl, strlen(nl), &q, &err) == EID_OK);
	/* every single-character change is refused */
	size_t n = strlen(line);
	for (size_t i = 0; i < n; i++) {
		char t[EID_PUBKEY_TEXT_MAX];
		memcpy(t, line, n + 1);
		t[i] = t[i] == 'x' ? 'y' : 'x';
		CHECK(eid_pubkey_parse(t, n, &q, &err) == EID_E_FORMAT);
	}
	/* truncations */
	for (size_t i = 0; i < n; i++)
		CHECK(eid_pubkey_parse(line, i, &q, &err) == EID_E_FORMAT);
	CHECK(eid_pubkey_parse("eid-pub v1 kek AAAAAAAAAAAAAAAA AAAA", 36, &q, &err) ==
	      EID_E_FORMAT);
	char small[40];
	CHECK(eid_pubkey_format(eid_key_pub(k), small, sizeof small, &err) == EID_E_INVALID_ARG);
	eid_key_free(k);
}

TEST_MAIN(test_ed25519_rfc8032, test_x25519_rfc7748, test_new_keys_differ, test_symmetric_kid,
	  test_bad_secret, test_pubkey_b64, test_pubkey_text)
