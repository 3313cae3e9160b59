/* Sealing a capture to the authority: ephemeral-static X25519, BLAKE2b key
 * derivation over the shared point and both public keys, XChaCha20-Poly1305
 * with the caller's associated data.
 *
 *   blob = version (1) || eph_pk (32) || nonce (24) || ciphertext || tag (16)
 *   key  = BLAKE2b-256("eid-seal-v1" || version || X25519(eph_sk, rcpt_pk)
 *                      || eph_pk || rcpt_pk)
 *
 * The version byte and both public keys go into the key, and the nonce is an
 * AEAD input, so a change to any header byte makes the tag fail. */
#include "keys.h"

#include <sodium.h>
#include <string.h>

#define AEAD_KEY   crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define AEAD_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAG   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HDR        (1 + EID_KEY_BYTES + AEAD_NONCE)

_Static_assert(EID_SEAL_OVERHEAD == HDR + AEAD_TAG, "seal overhead");
_Static_assert(AEAD_KEY == crypto_generichash_BYTES, "derived key size");

static const char seal_label[] = "eid-seal-v1";

/* key = BLAKE2b-256(label || version || shared || eph_pk || rcpt_pk). Returns -1
 * if the shared point is zero (a low-order public key). */
static int derive(uint8_t key[AEAD_KEY], const uint8_t sk[EID_KEY_BYTES],
		  const uint8_t pk[EID_KEY_BYTES], const uint8_t eph_pk[EID_KEY_BYTES],
		  const uint8_t rcpt_pk[EID_KEY_BYTES])
{
	uint8_t shared[crypto_scalarmult_BYTES];
	const uint8_t version = EID_SEAL_VERSION;
	if (crypto_scalarmult(shared, sk, pk) != 0) {
		sodium_memzero(shared, sizeof shared);
		return -1;
	}
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, AEAD_KEY);
	crypto_generichash_update(&h, (const uint8_t *)seal_label, sizeof seal_label - 1);
	crypto_generichash_update(&h, &version, 1);
	crypto_generichash_update(&h, shared, sizeof shared);
	crypto_generichash_update(&h, eph_pk, EID_KEY_BYTES);
	crypto_generichash_update(&h, rcpt_pk, EID_KEY_BYTES);
	crypto_generichash_final(&h, key, AEAD_KEY);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(&h, sizeof h);
	return 0;
}

eid_status eid_seal(const eid_pubkey *recipient, const uint8_t *ad, size_t ad_len,
		    const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len,
		    eid_err *err)
{
	*out_len = 0;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (recipient->type != EID_KEY_X25519)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot seal to key '%s': it is %s, not x25519", recipient->kid,
				eid_key_type_name(recipient->type));
	if (pt_len > SIZE_MAX - EID_SEAL_OVERHEAD ||
	    pt_len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return eid_fail(err, EID_E_LIMIT, "cannot seal %zu bytes: too long", pt_len);
	size_t need = pt_len + EID_SEAL_OVERHEAD;
	if (out_cap < need)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot seal %zu bytes: output holds %zu (need %zu)", pt_len,
				out_cap, need);

	uint8_t eph_sk[EID_KEY_BYTES], key[AEAD_KEY];
	uint8_t *eph_pk = out + 1, *nonce = out + 1 + EID_KEY_BYTES;
	out[0] = EID_SEAL_VERSION;
	randombytes_buf(eph_sk, sizeof eph_sk);
	crypto_scalarmult_base(eph_pk, eph_sk);
	randombytes_buf(nonce, AEAD_NONCE);
	int bad = derive(key, eph_sk, recipient->key, eph_pk, recipient->key);
	sodium_memzero(eph_sk, sizeof eph_sk);
	if (bad) {
		sodium_memzero(out, HDR);
		return eid_fail(err, EID_E_FORMAT,
				"cannot seal to key '%s': it is a low-order point", recipient->kid);
	}
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + HDR, &clen, pt, pt_len, ad, ad_len, NULL,
						   nonce, key);
	sodium_memzero(key, sizeof key);
	*out_len = HDR + (size_t)clen;
	return EID_OK;
}

eid_status eid_unseal(const eid_key *recipient, const uint8_t *ad, size_t ad_len,
		      const uint8_t *blob, size_t blob_len, uint8_t *out, size_t out_cap,
		      size_t *out_len, eid_err *err)
{
	*out_len = 0;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (recipient->type != EID_KEY_X25519)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot open sealed blob with key '%s': it is %s, not x25519",
				recipient->pub.kid, eid_key_type_name(recipient->type));
	if (blob_len < EID_SEAL_OVERHEAD)
		return eid_fail(err, EID_E_FORMAT, "cannot open sealed blob: %zu bytes (min %d)",
				blob_len, EID_SEAL_OVERHEAD);
	if (blob[0] != EID_SEAL_VERSION)
		return eid_fail(err, EID_E_FORMAT, "cannot open sealed blob: version %u (want %d)",
				blob[0], EID_SEAL_VERSION);
	size_t pt_len = blob_len - EID_SEAL_OVERHEAD;
	if (out_cap < pt_len)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot open sealed blob: output holds %zu (need %zu)", out_cap,
				pt_len);
	const uint8_t *eph_pk = blob + 1, *nonce = blob + 1 + EID_KEY_BYTES;
	uint8_t key[AEAD_KEY];
	if (derive(key, recipient->secret, eph_pk, eph_pk, recipient->pub.key) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot open sealed blob: ephemeral key is a low-order point");
	unsigned long long mlen = 0;
	int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, blob + HDR,
							    blob_len - HDR, ad, ad_len, nonce, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0)
		return eid_fail(
		    err, EID_E_FORMAT,
		    "cannot open sealed blob for key '%s': authentication failed (another "
		    "key, other associated data or changed bytes)",
		    recipient->pub.kid);
	*out_len = (size_t)mlen;
	return EID_OK;
}
