/* Tests of src/crypto/kek.c: templates at rest open only under the same KEK
 * and the same associated data (the record they belong to). */
#include "eid/crypto.h"
#include "test.h"

static eid_key *kek, *kek2;
static float tmpl[128]; /* a face template, as the store would keep it */
static const uint8_t ad[] = "template:person-17";

static void test_setup(void)
{
	REQUIRE(eid_key_new(EID_KEY_KEK, &kek, NULL) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_KEK, &kek2, NULL) == EID_OK);
	for (int i = 0; i < 128; i++)
		tmpl[i] = (float)i / 128.0f - 0.5f;
}

static void test_round_trip(void)
{
	uint8_t blob[sizeof tmpl + EID_KEK_OVERHEAD], back[sizeof tmpl];
	size_t len = 0, n = 0;
	eid_err err;
	REQUIRE(eid_kek_encrypt(kek, ad, sizeof ad, (const uint8_t *)tmpl, sizeof tmpl, blob,
				sizeof blob, &len, &err) == EID_OK);
	CHECK(len == sizeof tmpl + EID_KEK_OVERHEAD);
	REQUIRE(eid_kek_decrypt(kek, ad, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
		EID_OK);
	CHECK(n == sizeof tmpl && memcmp(back, tmpl, n) == 0);
	/* same plaintext twice: different nonce and ciphertext */
	uint8_t blob2[sizeof blob];
	size_t len2;
	REQUIRE(eid_kek_encrypt(kek, ad, sizeof ad, (const uint8_t *)tmpl, sizeof tmpl, blob2,
				sizeof blob2, &len2, &err) == EID_OK);
	CHECK(memcmp(blob, blob2, 24) != 0 && memcmp(blob + 24, blob2 + 24, len - 24) != 0);
	/* empty plaintext */
	uint8_t e[EID_KEK_OVERHEAD];
	REQUIRE(eid_kek_encrypt(kek, NULL, 0, NULL, 0, e, sizeof e, &len, &err) == EID_OK);
	CHECK(len == EID_KEK_OVERHEAD);
	CHECK(eid_kek_decrypt(kek, NULL, 0, e, len, back, sizeof back, &n, &err) == EID_OK);
	CHECK(n == 0);
}

static void test_refusals(void)
{
	uint8_t blob[sizeof tmpl + EID_KEK_OVERHEAD], back[sizeof tmpl];
	size_t len = 0, n;
	eid_err err;
	REQUIRE(eid_kek_encrypt(kek, ad, sizeof ad, (const uint8_t *)tmpl, sizeof tmpl, blob,
				sizeof blob, &len, &err) == EID_OK);
	/* another record's ad: every single byte changed */
	uint8_t a[sizeof ad];
	for (size_t i = 0; i < sizeof ad; i++) {
		memcpy(a, ad, sizeof ad);
		a[i] ^= 1;
		n = 99;
		CHECK(eid_kek_decrypt(kek, a, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
		      EID_E_FORMAT);
		CHECK(n == 0);
	}
	CHECK(eid_kek_decrypt(kek, ad, sizeof ad - 1, blob, len, back, sizeof back, &n, &err) ==
	      EID_E_FORMAT);
	CHECK(eid_kek_decrypt(kek, NULL, 0, blob, len, back, sizeof back, &n, &err) ==
	      EID_E_FORMAT);
	/* another KEK */
	CHECK(eid_kek_decrypt(kek2, ad, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
	      EID_E_FORMAT);
	CHECK(strstr(err.msg, "authentication failed") != NULL);
	/* every byte changed */
	for (size_t i = 0; i < len; i++) {
		blob[i] ^= 0x80;
		CHECK(eid_kek_decrypt(kek, ad, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
		      EID_E_FORMAT);
		blob[i] ^= 0x80;
	}
	/* every truncation, in exactly sized heap copies */
	for (size_t t = 0; t < len; t++) {
		uint8_t *c = malloc(t ? t : 1);
		REQUIRE(c);
		memcpy(c, blob, t);
		CHECK(eid_kek_decrypt(kek, ad, sizeof ad, c, t, back, sizeof back, &n, &err) ==
		      EID_E_FORMAT);
		free(c);
	}
	CHECK(eid_kek_decrypt(kek, ad, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
	      EID_OK);
	/* wrong key type, small buffers */
	eid_key *pw = NULL;
	REQUIRE(eid_key_new(EID_KEY_PAIRWISE, &pw, NULL) == EID_OK);
	CHECK(eid_kek_encrypt(pw, ad, sizeof ad, back, 8, blob, sizeof blob, &n, &err) ==
	      EID_E_INVALID_ARG);
	CHECK(eid_kek_decrypt(pw, ad, sizeof ad, blob, len, back, sizeof back, &n, &err) ==
	      EID_E_INVALID_ARG);
	eid_key_free(pw);
	CHECK(eid_kek_encrypt(kek, ad, sizeof ad, back, 8, blob, 8 + EID_KEK_OVERHEAD - 1, &n,
			      &err) == EID_E_INVALID_ARG);
	CHECK(eid_kek_decrypt(kek, ad, sizeof ad, blob, len, back, sizeof back - 1, &n, &err) ==
	      EID_E_INVALID_ARG);
}

static void test_cleanup(void)
{
	eid_key_free(kek);
	eid_key_free(kek2);
}

TEST_MAIN(test_setup, test_round_trip, test_refusals, test_cleanup)
