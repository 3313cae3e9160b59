/* Detached Ed25519 signatures over bytes and over canonical JSON objects. */
#include "keys.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(EID_SIG_B64_LEN == EID_B64URL_LEN(EID_SIG_BYTES), "signature text length");

#define SIG_MEMBER "sig"
#define ALG        "Ed25519"

eid_status eid_sign(const eid_key *k, const uint8_t *msg, size_t len, uint8_t sig[EID_SIG_BYTES],
		    eid_err *err)
{
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (k->type != EID_KEY_ED25519)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot sign with key '%s': it is %s, not ed25519", k->pub.kid,
				eid_key_type_name(k->type));
	crypto_sign_detached(sig, NULL, msg, len, k->secret);
	return EID_OK;
}

eid_status eid_verify(const eid_pubkey *pk, const uint8_t *msg, size_t len, const uint8_t *sig,
		      size_t sig_len, eid_err *err)
{
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (pk->type != EID_KEY_ED25519)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot verify with key '%s': it is %s, not ed25519", pk->kid,
				eid_key_type_name(pk->type));
	if (sig_len != EID_SIG_BYTES)
		return eid_fail(err, EID_E_FORMAT, "bad signature: %zu bytes (want %d)", sig_len,
				EID_SIG_BYTES);
	if (crypto_sign_verify_detached(sig, msg, len, pk->key) != 0)
		return eid_fail(err, EID_E_FORMAT, "bad signature: does not verify under key '%s'",
				pk->kid);
	return EID_OK;
}

bool eid_keyring_lookup(void *keyring, const char *kid, eid_pubkey *out)
{
	const eid_keyring *r = keyring;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->keys[i].kid, kid) == 0) {
			*out = r->keys[i];
			return true;
		}
	}
	return false;
}

/* The signed bytes: obj without its top-level "sig", compact, keys sorted.
 * Returns a malloc'ed NUL-terminated string (free()) or NULL. */
static char *canonical(const json_t *obj)
{
	/* json_copy is shallow: the copy shares member values, so deleting
	 * "sig" from it leaves obj untouched. json_copy takes a non-const
	 * pointer but does not modify its argument. */
	json_t *c = json_copy((json_t *)obj);
	if (!c)
		return NULL;
	json_object_del(c, SIG_MEMBER);
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

eid_status eid_sign_json(const eid_key *k, json_t *obj, eid_err *err)
{
	if (!json_is_object(obj))
		return eid_fail(err, EID_E_INVALID_ARG, "cannot sign JSON: not an object");
	if (k->type != EID_KEY_ED25519)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot sign with key '%s': it is %s, not ed25519", k->pub.kid,
				eid_key_type_name(k->type));
	char *msg = canonical(obj);
	if (!msg)
		return eid_fail(err, EID_E_NOMEM,
				"cannot sign JSON: cannot serialise it (out of memory)");
	uint8_t sig[EID_SIG_BYTES];
	eid_status st = eid_sign(k, (const uint8_t *)msg, strlen(msg), sig, err);
	free(msg);
	if (st)
		return st;
	char b64[EID_SIG_B64_LEN + 1];
	st = eid_b64url_encode(sig, sizeof sig, b64, sizeof b64, err);
	if (st)
		return st;
	json_t *s = json_pack("{s:s, s:s, s:s}", "alg", ALG, "kid", k->pub.kid, "sig", b64);
	if (!s || json_object_set_new(obj, SIG_MEMBER, s) != 0)
		return eid_fail(err, EID_E_NOMEM, "cannot sign JSON: out of memory");
	return EID_OK;
}

/* The string member name of o, with its length, or NULL if absent or not a
 * string. */
static const char *str_member(const json_t *o, const char *name, size_t *len)
{
	const json_t *v = json_object_get(o, name);
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

eid_status eid_verify_json(const json_t *obj, eid_key_lookup_fn lookup, void *ctx, char *kid_out,
			   eid_err *err)
{
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (!json_is_object(obj))
		return eid_fail(err, EID_E_FORMAT, "cannot verify JSON: not an object");
	const json_t *s = json_object_get(obj, SIG_MEMBER);
	if (!json_is_object(s))
		return eid_fail(err, EID_E_FORMAT, "cannot verify JSON: no '%s' object",
				SIG_MEMBER);
	if (json_object_size(s) != 3)
		return eid_fail(err, EID_E_FORMAT,
				"cannot verify JSON: '%s' has %zu members (want alg, kid, sig)",
				SIG_MEMBER, json_object_size(s));
	size_t alg_len = 0, kid_len = 0, b64_len = 0;
	const char *alg = str_member(s, "alg", &alg_len);
	const char *kid = str_member(s, "kid", &kid_len);
	const char *b64 = str_member(s, "sig", &b64_len);
	if (!alg || !kid || !b64)
		return eid_fail(err, EID_E_FORMAT,
				"cannot verify JSON: '%s' needs string members alg, kid and sig",
				SIG_MEMBER);
	if (alg_len != strlen(ALG) || memcmp(alg, ALG, alg_len) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot verify JSON: unsupported algorithm (want '%s')", ALG);
	if (!eid_crypto_kid_valid(kid, kid_len))
		return eid_fail(err, EID_E_FORMAT,
				"cannot verify JSON: kid is not %d base64url characters",
				EID_KID_LEN);
	uint8_t sig[EID_SIG_BYTES];
	st = eid_b64url_decode_exact(b64, b64_len, sig, sizeof sig, err);
	if (st) {
		eid_err_prefix(err, "cannot verify JSON: signature");
		return EID_E_FORMAT;
	}
	eid_pubkey pk;
	memset(&pk, 0, sizeof pk);
	if (!lookup(ctx, kid, &pk))
		return eid_fail(err, EID_E_FORMAT, "cannot verify JSON: unknown key id '%s'", kid);
	pk.kid[EID_KID_LEN] = 0;
	if (pk.type != EID_KEY_ED25519 || strcmp(pk.kid, kid) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot verify JSON: key found for '%s' is %s key '%.16s'", kid,
				eid_key_type_name(pk.type), pk.kid);
	char *msg = canonical(obj);
	if (!msg)
		return eid_fail(err, EID_E_NOMEM, "cannot verify JSON: out of memory");
	st = eid_verify(&pk, (const uint8_t *)msg, strlen(msg), sig, sizeof sig, err);
	free(msg);
	if (st) {
		eid_err_prefix(err, "cannot verify JSON");
		return st;
	}
	if (kid_out)
		memcpy(kid_out, kid, EID_KID_LEN + 1);
	return EID_OK;
}
