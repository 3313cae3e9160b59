/* Keys: creation from a secret, key ids, public-key text forms. */
#include "keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(EID_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "ed25519 public key size");
_Static_assert(EID_KEY_BYTES == crypto_sign_SEEDBYTES, "ed25519 seed size");
_Static_assert(EID_KEY_BYTES == crypto_scalarmult_BYTES, "x25519 public key size");
_Static_assert(EID_KEY_BYTES == crypto_scalarmult_SCALARBYTES, "x25519 secret size");
_Static_assert(EID_SIG_BYTES == crypto_sign_BYTES, "signature size");
_Static_assert(EID_KID_LEN == EID_B64URL_LEN(EID_KID_BYTES), "kid length");
_Static_assert(EID_PUBKEY_B64_LEN == EID_B64URL_LEN(EID_KEY_BYTES), "public key text length");

static const char kid_label[] = "eid-kid-v1";

const char *eid_key_type_name(eid_key_type type)
{
	switch (type) {
	case EID_KEY_ED25519: return "ed25519";
	case EID_KEY_X25519: return "x25519";
	case EID_KEY_KEK: return "kek";
	case EID_KEY_PAIRWISE: return "pairwise";
	}
	return "?";
}

static void kid_encode(const uint8_t h[EID_KID_BYTES], char kid[EID_KID_LEN + 1])
{
	sodium_bin2base64(kid, EID_KID_LEN + 1, h, EID_KID_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void eid_crypto_kid_of_public(const uint8_t pk[EID_KEY_BYTES], char kid[EID_KID_LEN + 1])
{
	uint8_t h[crypto_generichash_BYTES]; /* 32: BLAKE2b-256 */
	crypto_generichash(h, sizeof h, pk, EID_KEY_BYTES, NULL, 0);
	kid_encode(h, kid);
}

/* A symmetric key has no public half; its id is a MAC of a fixed label, which
 * names the key without telling anything about it. */
static void kid_of_symmetric(const uint8_t *secret, char kid[EID_KID_LEN + 1])
{
	uint8_t h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof h, (const uint8_t *)kid_label, sizeof kid_label - 1, secret,
			   EID_KEY_BYTES);
	kid_encode(h, kid);
}

eid_status eid_key_from_secret(eid_key_type type, const uint8_t *secret, size_t len, eid_key **out,
			       eid_err *err)
{
	*out = NULL;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (type < EID_KEY_ED25519 || type > EID_KEY_PAIRWISE)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot make a key of type %d: unknown type", (int)type);
	if (len != EID_KEY_BYTES)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot make a %s key: secret is %zu bytes (want %d)",
				eid_key_type_name(type), len, EID_KEY_BYTES);
	eid_key *k = calloc(1, sizeof *k);
	if (!k)
		return eid_fail(err, EID_E_NOMEM, "cannot make a %s key: out of memory",
				eid_key_type_name(type));
	k->type = type;
	k->secret_len = type == EID_KEY_ED25519 ? crypto_sign_SECRETKEYBYTES : EID_KEY_BYTES;
	k->secret = sodium_malloc(k->secret_len);
	if (!k->secret) {
		free(k);
		return eid_fail(err, EID_E_NOMEM,
				"cannot make a %s key: guarded memory unavailable",
				eid_key_type_name(type));
	}
	switch (type) {
	case EID_KEY_ED25519:
		k->pub.type = type;
		crypto_sign_seed_keypair(k->pub.key, k->secret, secret);
		eid_crypto_kid_of_public(k->pub.key, k->pub.kid);
		break;
	case EID_KEY_X25519:
		k->pub.type = type;
		memcpy(k->secret, secret, EID_KEY_BYTES);
		if (crypto_scalarmult_base(k->pub.key, k->secret) != 0) {
			eid_key_free(k);
			return eid_fail(err, EID_E_INVALID_ARG,
					"cannot make an x25519 key: secret gives no public key");
		}
		eid_crypto_kid_of_public(k->pub.key, k->pub.kid);
		break;
	case EID_KEY_KEK:
	case EID_KEY_PAIRWISE:
		memcpy(k->secret, secret, EID_KEY_BYTES);
		kid_of_symmetric(k->secret, k->pub.kid);
		break;
	}
	/* Immutable from here on, which is also what makes sharing it between
	 * threads safe. */
	sodium_mprotect_readonly(k->secret);
	*out = k;
	return EID_OK;
}

eid_status eid_key_new(eid_key_type type, eid_key **out, eid_err *err)
{
	*out = NULL;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	uint8_t seed[EID_KEY_BYTES];
	randombytes_buf(seed, sizeof seed);
	st = eid_key_from_secret(type, seed, sizeof seed, out, err);
	sodium_memzero(seed, sizeof seed);
	return st;
}

void eid_key_free(eid_key *k)
{
	if (!k)
		return;
	sodium_free(k->secret); /* makes it writable, wipes it, unmaps it */
	sodium_memzero(k, sizeof *k);
	free(k);
}

eid_key_type eid_key_get_type(const eid_key *k)
{
	return k->type;
}

const char *eid_key_id(const eid_key *k)
{
	return k->pub.kid;
}

const eid_pubkey *eid_key_pub(const eid_key *k)
{
	return k->type == EID_KEY_ED25519 || k->type == EID_KEY_X25519 ? &k->pub : NULL;
}

int eid_crypto_kid_valid(const char *kid, size_t len)
{
	if (len != EID_KID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = kid[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int is_public_type(eid_key_type t)
{
	return t == EID_KEY_ED25519 || t == EID_KEY_X25519;
}

eid_status eid_pubkey_to_b64(const eid_pubkey *pk, char *out, size_t out_cap, eid_err *err)
{
	return eid_b64url_encode(pk->key, EID_KEY_BYTES, out, out_cap, err);
}

eid_status eid_pubkey_from_b64(eid_key_type type, const char *b64, size_t b64_len, const char *kid,
			       eid_pubkey *out, eid_err *err)
{
	memset(out, 0, sizeof *out);
	if (!is_public_type(type))
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot import a public key of type '%s': not a public-key type",
				eid_key_type_name(type));
	eid_pubkey pk = {.type = type};
	eid_status st = eid_b64url_decode_exact(b64, b64_len, pk.key, EID_KEY_BYTES, err);
	if (st) {
		eid_err_prefix(err, "cannot import %s public key", eid_key_type_name(type));
		return st;
	}
	eid_crypto_kid_of_public(pk.key, pk.kid);
	if (kid && !eid_crypto_kid_valid(kid, strlen(kid)))
		return eid_fail(
		    err, EID_E_FORMAT,
		    "cannot import %s public key: claimed id is not %d base64url characters",
		    eid_key_type_name(type), EID_KID_LEN);
	if (kid && strcmp(kid, pk.kid) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot import %s public key: its id is '%s', not the claimed '%s'",
				eid_key_type_name(type), pk.kid, kid);
	*out = pk;
	return EID_OK;
}

eid_status eid_pubkey_format(const eid_pubkey *pk, char *out, size_t out_cap, eid_err *err)
{
	if (!is_public_type(pk->type))
		return eid_fail(err, EID_E_INVALID_ARG, "cannot format public key: type %d",
				(int)pk->type);
	char b64[EID_PUBKEY_B64_LEN + 1];
	eid_status st = eid_pubkey_to_b64(pk, b64, sizeof b64, err);
	if (st)
		return st;
	int n = snprintf(out, out_cap, "eid-pub v1 %s %s %s", eid_key_type_name(pk->type), pk->kid,
			 b64);
	if (n < 0 || (size_t)n >= out_cap)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot format public key '%s': buffer holds %zu (need %d)",
				pk->kid, out_cap, n + 1);
	return EID_OK;
}

/* Splits txt[0..len) at single spaces into exactly nf non-empty fields. */
static int split_fields(const char *txt, size_t len, const char **f, size_t *fl, int nf)
{
	int i = 0;
	size_t start = 0;
	for (size_t p = 0; p <= len; p++) {
		if (p < len && txt[p] != ' ')
			continue;
		if (i == nf || p == start)
			return -1;
		f[i] = txt + start;
		fl[i] = p - start;
		i++;
		start = p + 1;
	}
	return i == nf ? 0 : -1;
}

static int field_is(const char *f, size_t fl, const char *s)
{
	return fl == strlen(s) && memcmp(f, s, fl) == 0;
}

eid_key_type eid_crypto_type_from_name(const char *name, size_t len)
{
	for (int t = EID_KEY_ED25519; t <= EID_KEY_PAIRWISE; t++)
		if (field_is(name, len, eid_key_type_name((eid_key_type)t)))
			return (eid_key_type)t;
	return (eid_key_type)0;
}

int eid_crypto_split_line(const char *txt, size_t len, const char **f, size_t *fl, int nf)
{
	if (len && txt[len - 1] == '\n')
		len--;
	return split_fields(txt, len, f, fl, nf);
}

eid_status eid_pubkey_parse(const char *txt, size_t len, eid_pubkey *out, eid_err *err)
{
	memset(out, 0, sizeof *out);
	const char *f[5];
	size_t fl[5];
	if (eid_crypto_split_line(txt, len, f, fl, 5) != 0 || !field_is(f[0], fl[0], "eid-pub"))
		return eid_fail(err, EID_E_FORMAT,
				"cannot parse public key: want 'eid-pub v1 <type> <kid> <key>'");
	if (!field_is(f[1], fl[1], "v1"))
		return eid_fail(err, EID_E_FORMAT, "cannot parse public key: version is not v1");
	eid_key_type type = eid_crypto_type_from_name(f[2], fl[2]);
	if (!is_public_type(type))
		return eid_fail(err, EID_E_FORMAT,
				"cannot parse public key: type is not ed25519 or x25519");
	if (fl[3] != EID_KID_LEN)
		return eid_fail(err, EID_E_FORMAT,
				"cannot parse public key: kid is %zu characters (want %d)", fl[3],
				EID_KID_LEN);
	char kid[EID_KID_LEN + 1];
	memcpy(kid, f[3], EID_KID_LEN);
	kid[EID_KID_LEN] = 0;
	return eid_pubkey_from_b64(type, f[4], fl[4], kid, out, err);
}
