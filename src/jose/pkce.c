/* PKCE S256 (RFC 7636) and random tokens for codes and access tokens. */
#include "internal.h"

#include <sodium.h>
#include <string.h>

#include "eid/crypto.h"

_Static_assert(EID_JOSE_TOKEN_LEN == EID_B64URL_LEN(32), "token length");

int eid_jose_pkce_s256_ok(const char *verifier, const char *challenge)
{
	if (!verifier || !challenge || eid_crypto_init(NULL) != EID_OK)
		return 0;
	/* RFC 7636 §4.1: code_verifier = 43*128unreserved */
	size_t n = strnlen(verifier, 129);
	if (n < 43 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = verifier[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~'))
			return 0;
	}
	if (strnlen(challenge, EID_JOSE_TOKEN_LEN + 1) != EID_JOSE_TOKEN_LEN)
		return 0;
	uint8_t h[crypto_hash_sha256_BYTES];
	char want[EID_JOSE_TOKEN_LEN + 1];
	crypto_hash_sha256(h, (const uint8_t *)verifier, n);
	sodium_bin2base64(want, sizeof want, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return sodium_memcmp(want, challenge, EID_JOSE_TOKEN_LEN) == 0;
}

void eid_jose_random_token(char out[EID_JOSE_TOKEN_LEN + 1])
{
	uint8_t b[32];
	eid_crypto_random(b, sizeof b); /* aborts when the system has no randomness */
	sodium_bin2base64(out, EID_JOSE_TOKEN_LEN + 1, b, sizeof b,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof b);
}
