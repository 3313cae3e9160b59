/* Tests of src/crypto/encode.c: base64url against RFC 4648 vectors, round
 * trips of every length, strict rejection of bad text. */
#include "eid/crypto.h"
#include "test.h"

#include <stdint.h>

static void test_rfc4648_vectors(void)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const want[] = {"",       "Zg",      "Zm8",     "Zm9v",
					   "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char out[16];
		eid_err err;
		size_t n = strlen(in[i]);
		REQUIRE(eid_b64url_encode((const uint8_t *)in[i], n, out, sizeof out, &err) ==
			EID_OK);
		CHECK(strcmp(out, want[i]) == 0);
		CHECK(strlen(out) == EID_B64URL_LEN(n));
		uint8_t back[16];
		size_t blen = 99;
		REQUIRE(eid_b64url_decode(out, strlen(out), back, sizeof back, &blen, &err) ==
			EID_OK);
		CHECK(blen == n && memcmp(back, in[i], n) == 0);
	}
	/* the URL-safe alphabet: 0xfb 0xff -> "-_8", never '+' or '/' */
	const uint8_t b[2] = {0xfb, 0xff};
	char out[8];
	REQUIRE(eid_b64url_encode(b, 2, out, sizeof out, NULL) == EID_OK);
	CHECK(strcmp(out, "-_8") == 0);
}

static void test_round_trip_all_lengths(void)
{
	uint8_t in[100], back[100];
	char txt[200];
	eid_crypto_random(in, sizeof in);
	for (size_t n = 0; n <= sizeof in; n++) {
		REQUIRE(eid_b64url_encode(in, n, txt, sizeof txt, NULL) == EID_OK);
		REQUIRE(strlen(txt) == EID_B64URL_LEN(n));
		size_t got = 0;
		REQUIRE(eid_b64url_decode(txt, strlen(txt), back, n, &got, NULL) == EID_OK);
		CHECK(got == n && memcmp(in, back, n) == 0);
		REQUIRE(eid_b64url_decode_exact(txt, strlen(txt), back, n, NULL) == EID_OK);
		CHECK(memcmp(in, back, n) == 0);
	}
}

static void test_bad_text(void)
{
	uint8_t out[32];
	size_t n;
	eid_err err;
	/* characters of other alphabets, padding, whitespace */
	static const char *const bad[] = {"Zm9+", "Zm9/", "Zg==", "Zm 9", "Zm9v\n", "Zm9*", "Zé9v"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = 0;
		CHECK(eid_b64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &n, &err) ==
		      EID_E_FORMAT);
		CHECK(strstr(err.msg, "base64url") != NULL);
		CHECK(n == 0);
	}
	/* an embedded NUL is a bad character, not an end */
	CHECK(eid_b64url_decode("Zm\0v", 4, out, sizeof out, &n, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "offset 2") != NULL);
	/* impossible lengths 4k+1 */
	CHECK(eid_b64url_decode("A", 1, out, sizeof out, &n, &err) == EID_E_FORMAT);
	CHECK(eid_b64url_decode("Zm9vY", 5, out, sizeof out, &n, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "length 5") != NULL);
	/* non-canonical: unused trailing bits set ("Zh" is not "f") */
	CHECK(eid_b64url_decode("Zh", 2, out, sizeof out, &n, &err) == EID_E_FORMAT);
	CHECK(eid_b64url_decode("Zm9", 3, out, sizeof out, &n, &err) == EID_E_FORMAT);
	/* output too small is the caller's error */
	CHECK(eid_b64url_decode("Zm9vYmFy", 8, out, 5, &n, &err) == EID_E_INVALID_ARG);
	/* exact length */
	CHECK(eid_b64url_decode_exact("Zm9vYmE", 7, out, 6, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "want 8") != NULL);
	CHECK(eid_b64url_decode_exact("Zm9vYmFy", 8, out, 6, &err) == EID_OK);
	/* encoder capacity */
	char small[4];
	CHECK(eid_b64url_encode((const uint8_t *)"foo", 3, small, sizeof small, &err) ==
	      EID_E_INVALID_ARG);
}

TEST_MAIN(test_rfc4648_vectors, test_round_trip_all_lengths, test_bad_text)
