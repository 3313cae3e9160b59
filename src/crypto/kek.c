/* Key-encryption key: XChaCha20-Poly1305-IETF with a random 24-byte nonce
 * (random nonces of that size never collide in practice, so no counter
 * state has to survive restarts).  blob = nonce (24) || ciphertext || tag (16) */
#include "keys.h"

#include <sodium.h>

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG   crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(EID_KEK_OVERHEAD == NONCE + TAG, "kek overhead");
_Static_assert(EID_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "kek size");

static eid_status check_kek(const eid_key *k, const char *what, eid_err *err)
{
	if (k->type != EID_KEY_KEK)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot %s with key '%s': it is %s, not kek", what, k->pub.kid,
				eid_key_type_name(k->type));
	return EID_OK;
}

eid_status eid_kek_encrypt(const eid_key *kek, const uint8_t *ad, size_t ad_len, const uint8_t *pt,
			   size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len,
			   eid_err *err)
{
	*out_len = 0;
	eid_status st = eid_crypto_init(err);
	if (st || (st = check_kek(kek, "encrypt", err)))
		return st;
	if (pt_len > SIZE_MAX - EID_KEK_OVERHEAD ||
	    pt_len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return eid_fail(err, EID_E_LIMIT, "cannot encrypt %zu bytes: too long", pt_len);
	if (out_cap < pt_len + EID_KEK_OVERHEAD)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot encrypt %zu bytes: output holds %zu (need %zu)", pt_len,
				out_cap, pt_len + EID_KEK_OVERHEAD);
	randombytes_buf(out, NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE, &clen, pt, pt_len, ad, ad_len, NULL,
						   out, kek->secret);
	*out_len = NONCE + (size_t)clen;
	return EID_OK;
}

eid_status eid_kek_decrypt(const eid_key *kek, const uint8_t *ad, size_t ad_len,
			   const uint8_t *blob, size_t blob_len, uint8_t *out, size_t out_cap,
			   size_t *out_len, eid_err *err)
{
	*out_len = 0;
	eid_status st = eid_crypto_init(err);
	if (st || (st = check_kek(kek, "decrypt", err)))
		return st;
	if (blob_len < EID_KEK_OVERHEAD)
		return eid_fail(err, EID_E_FORMAT, "cannot decrypt: %zu bytes (min %d)", blob_len,
				EID_KEK_OVERHEAD);
	if (out_cap < blob_len - EID_KEK_OVERHEAD)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot decrypt: output holds %zu (need %zu)", out_cap,
				blob_len - EID_KEK_OVERHEAD);
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, blob + NONCE,
						       blob_len - NONCE, ad, ad_len, blob,
						       kek->secret) != 0)
		return eid_fail(
		    err, EID_E_FORMAT,
		    "cannot decrypt under key '%s': authentication failed (another key, "
		    "other associated data or changed bytes)",
		    kek->pub.kid);
	*out_len = (size_t)mlen;
	return EID_OK;
}
