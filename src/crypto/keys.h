/* crypto/keys.h — private to src/crypto: the layout of eid_key.
 *
 * The struct lives on the ordinary heap; the secret it points to lives in
 * sodium_malloc'ed memory (guard pages, locked when the system allows),
 * made read-only once filled and wiped by sodium_free. */
#ifndef EID_CRYPTO_KEYS_H
#define EID_CRYPTO_KEYS_H

#include "eid/crypto.h"

struct eid_key {
	eid_key_type type;
	eid_pubkey pub;    /* Ed25519/X25519: public half and kid; else kid only */
	uint8_t *secret;   /* sodium_malloc'ed, secret_len bytes */
	size_t secret_len; /* Ed25519: 64 (libsodium seed || pk); others: 32 */
};

/* kid of a public key: base64url(BLAKE2b-256(pk)[0..12]). */
void eid_crypto_kid_of_public(const uint8_t pk[EID_KEY_BYTES], char kid[EID_KID_LEN + 1]);

/* 1 if kid[0..len) has the shape of a key id: 16 base64url characters. Safe
 * to print once true. */
int eid_crypto_kid_valid(const char *kid, size_t len);

/* The key type named name[0..len) ("ed25519", ...), or 0 if none. */
eid_key_type eid_crypto_type_from_name(const char *name, size_t len);

/* Splits one line (an optional trailing "\n" dropped) at single spaces into
 * exactly nf non-empty fields f[i] of length fl[i]; -1 if it does not. */
int eid_crypto_split_line(const char *txt, size_t len, const char **f, size_t *fl, int nf);

#endif
