/* Public JWKs (RFC 7517/7518/8037) and JWK sets: the members checked
 * completely before any key is built from them. */
#include "internal.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "eid/crypto.h"

#define KID_MAX 128

jose_alg jose_alg_from_name(const char *s)
{
	if (!s)
		return JOSE_ALG_NONE;
	if (strcmp(s, "ES256") == 0)
		return JOSE_ES256;
	if (strcmp(s, "RS256") == 0)
		return JOSE_RS256;
	if (strcmp(s, "EdDSA") == 0)
		return JOSE_EDDSA;
	return JOSE_ALG_NONE;
}

/* The alg a key's kty (and crv) fits, from those two strings alone, or
 * JOSE_ALG_NONE. */
static jose_alg alg_of_kty(const json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	if (!kty)
		return JOSE_ALG_NONE;
	if (strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0)
		return JOSE_ES256;
	if (strcmp(kty, "RSA") == 0)
		return JOSE_RS256;
	if (strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0)
		return JOSE_EDDSA;
	return JOSE_ALG_NONE;
}

/* Member name of jwk as strict base64url of min..max bytes into out. */
static eid_status get_b64(const json_t *jwk, const char *name, const char *what, uint8_t *out,
			  size_t min, size_t max, size_t *len_out, eid_err *err)
{
	const json_t *v = json_object_get(jwk, name);
	if (!json_is_string(v))
		return eid_fail(err, EID_E_FORMAT, "%s: '%s' is missing or not a string", what,
				name);
	size_t tl = json_string_length(v);
	if (tl < EID_B64URL_LEN(min) || tl > EID_B64URL_LEN(max))
		return eid_fail(err, EID_E_FORMAT, "%s: '%s' is not %zu to %zu bytes of base64url",
				what, name, min, max);
	eid_err derr;
	size_t n;
	if (eid_b64url_decode(json_string_value(v), tl, out, max, &n, &derr) != EID_OK || n < min)
		return eid_fail(err, EID_E_FORMAT, "%s: '%s' is not %zu to %zu bytes of base64url",
				what, name, min, max);
	*len_out = n;
	return EID_OK;
}

static eid_status rsa_pkey(const jose_jwk *k, const char *what, EVP_PKEY **out, eid_err *err)
{
	*out = NULL;
	BIGNUM *n = BN_bin2bn(k->n, (int)k->n_len, NULL);
	BIGNUM *e = BN_bin2bn(k->e, (int)k->e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	int ok =
	    n && e && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	    EVP_PKEY_get_bits(pkey) >= EID_JOSE_RSA_MIN_BITS;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	if (!ok) {
		EVP_PKEY_free(pkey);
		return eid_fail(err, EID_E_FORMAT, "%s: 'n' and 'e' are not an RSA public key",
				what);
	}
	*out = pkey;
	return EID_OK;
}

eid_status jose_jwk_parse(const json_t *jwk, const char *what, jose_jwk *out, EVP_PKEY **pkey_out,
			  eid_err *err)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
	if (!json_is_object(jwk))
		return eid_fail(err, EID_E_FORMAT, "%s: not a JSON object", what);
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
		if (json_object_get(jwk, private_members[i]))
			return eid_fail(err, EID_E_FORMAT,
					"%s: holds the private member '%s' (publish the public "
					"key only, and replace this one)",
					what, private_members[i]);
	const json_t *kty = json_object_get(jwk, "kty");
	if (!json_is_string(kty))
		return eid_fail(err, EID_E_FORMAT, "%s: 'kty' is missing or not a string", what);
	out->alg = alg_of_kty(jwk);
	if (out->alg == JOSE_ALG_NONE) { /* say which part does not fit */
		const char *ktys = json_string_value(kty);
		if (strcmp(ktys, "EC") == 0)
			return eid_fail(err, EID_E_FORMAT, "%s: 'crv' of an EC key is not P-256",
					what);
		if (strcmp(ktys, "OKP") == 0)
			return eid_fail(err, EID_E_FORMAT, "%s: 'crv' of an OKP key is not Ed25519",
					what);
		return eid_fail(err, EID_E_FORMAT, "%s: 'kty' is not EC, RSA or OKP", what);
	}

	const json_t *kid = json_object_get(jwk, "kid");
	if (kid) {
		size_t kl = json_string_length(kid);
		const char *ks = json_string_value(kid);
		int ok = json_is_string(kid) && kl >= 1 && kl <= KID_MAX;
		for (size_t i = 0; ok && i < kl; i++)
			ok = ks[i] > 0x20 && ks[i] < 0x7f;
		if (!ok)
			return eid_fail(err, EID_E_FORMAT,
					"%s: 'kid' is not 1 to %d printable ASCII characters", what,
					KID_MAX);
		out->kid = ks;
	}
	const json_t *use = json_object_get(jwk, "use");
	if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
		return eid_fail(err, EID_E_FORMAT, "%s: 'use' is not \"sig\"", what);
	const json_t *alg = json_object_get(jwk, "alg");
	if (alg && (!json_is_string(alg) || jose_alg_from_name(json_string_value(alg)) != out->alg))
		return eid_fail(err, EID_E_FORMAT, "%s: 'alg' does not fit its 'kty' and 'crv'",
				what);
	const json_t *ops = json_object_get(jwk, "key_ops");
	if (ops) {
		int verify = 0;
		size_t i;
		const json_t *op;
		if (!json_is_array(ops))
			return eid_fail(err, EID_E_FORMAT, "%s: 'key_ops' is not an array", what);
		json_array_foreach(ops, i, op)
		{
			if (!json_is_string(op))
				return eid_fail(err, EID_E_FORMAT,
						"%s: 'key_ops' holds a non-string", what);
			verify |= strcmp(json_string_value(op), "verify") == 0;
		}
		if (!verify)
			return eid_fail(err, EID_E_FORMAT, "%s: 'key_ops' lacks \"verify\"", what);
	}

	size_t n;
	eid_status st;
	EVP_PKEY *pkey = NULL;
	switch (out->alg) {
	case JOSE_ES256:
		if ((st = get_b64(jwk, "x", what, out->x, JOSE_P256_BYTES, JOSE_P256_BYTES, &n,
				  err)) ||
		    (st = get_b64(jwk, "y", what, out->y, JOSE_P256_BYTES, JOSE_P256_BYTES, &n,
				  err)))
			return st;
		if ((st = jose_p256_public(out->x, out->y, what, &pkey, err)))
			return st;
		break;
	case JOSE_EDDSA:
		if ((st = get_b64(jwk, "x", what, out->x, JOSE_P256_BYTES, JOSE_P256_BYTES, &n,
				  err)))
			return st;
		/* canonical, on the curve, in the main subgroup, not of small order:
		 * what libsodium's verification would insist on anyway */
		if (crypto_core_ed25519_is_valid_point(out->x) != 1)
			return eid_fail(err, EID_E_FORMAT, "%s: 'x' is not an Ed25519 public key",
					what);
		break;
	case JOSE_RS256:
		if ((st = get_b64(jwk, "n", what, out->n, EID_JOSE_RSA_MIN_BITS / 8,
				  JOSE_RSA_MAX_BYTES, &out->n_len, err)))
			return st;
		/* RFC 7518 §6.3.1.1: the minimum number of octets; an RSA modulus is
		 * odd; 256 octets carry 2048 bits only when the top bit is set */
		if (out->n[0] == 0 || !(out->n[out->n_len - 1] & 1) ||
		    (out->n_len == EID_JOSE_RSA_MIN_BITS / 8 && !(out->n[0] & 0x80)))
			return eid_fail(err, EID_E_FORMAT,
					"%s: 'n' is not an odd modulus of %d to %d bits without "
					"leading zeros",
					what, EID_JOSE_RSA_MIN_BITS, EID_JOSE_RSA_MAX_BITS);
		if ((st = get_b64(jwk, "e", what, out->e, 1, JOSE_RSA_E_MAX, &out->e_len, err)))
			return st;
		/* e = 1 would make every padded message its own signature */
		if (out->e[0] == 0 || !(out->e[out->e_len - 1] & 1) ||
		    (out->e_len == 1 && out->e[0] < 3))
			return eid_fail(err, EID_E_FORMAT,
					"%s: 'e' is not an odd exponent > 1 without leading zeros",
					what);
		if ((st = rsa_pkey(out, what, &pkey, err)))
			return st;
		break;
	default:
		return eid_fail(err, EID_E_INTERNAL, "%s: unknown kty", what);
	}
	if (pkey_out)
		*pkey_out = pkey;
	else
		EVP_PKEY_free(pkey);
	return EID_OK;
}

eid_status eid_jose_jwk_check(const json_t *jwk, eid_err *err)
{
	jose_jwk k;
	return jose_jwk_parse(jwk, "jwk", &k, NULL, err);
}

/* The "keys" array of a JWKS with 1..EID_JOSE_JWKS_MAX members, or NULL
 * after failing. */
static const json_t *jwks_keys(const json_t *jwks, eid_err *err)
{
	const json_t *keys = json_object_get(jwks, "keys");
	if (!json_is_object(jwks) || !json_is_array(keys)) {
		eid_fail(err, EID_E_FORMAT, "jwks: not an object with a 'keys' array");
		return NULL;
	}
	size_t n = json_array_size(keys);
	if (n < 1 || n > EID_JOSE_JWKS_MAX) {
		eid_fail(err, EID_E_FORMAT, "jwks: 'keys' holds %zu keys (want 1 to %d)", n,
			 EID_JOSE_JWKS_MAX);
		return NULL;
	}
	return keys;
}

eid_status eid_jose_jwks_check(const json_t *jwks, eid_err *err)
{
	const json_t *keys = jwks_keys(jwks, err);
	if (!keys)
		return EID_E_FORMAT;
	const char *kids[EID_JOSE_JWKS_MAX];
	size_t n = json_array_size(keys);
	for (size_t i = 0; i < n; i++) {
		char what[48];
		snprintf(what, sizeof what, "jwks 'keys'[%zu]", i);
		jose_jwk k;
		eid_status st = jose_jwk_parse(json_array_get(keys, i), what, &k, NULL, err);
		if (st)
			return st;
		kids[i] = k.kid;
		for (size_t j = 0; k.kid && j < i; j++)
			if (kids[j] && strcmp(kids[j], k.kid) == 0)
				return eid_fail(
				    err, EID_E_FORMAT,
				    "jwks 'keys'[%zu]: 'kid' repeats that of 'keys'[%zu]", i, j);
	}
	return EID_OK;
}

eid_status eid_jose_jwk_select(const json_t *jwks, const char *kid, const char *alg,
			       const json_t **jwk_out, eid_err *err)
{
	if (!kid && !alg)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot pick a key with neither kid nor alg");
	jose_alg want = JOSE_ALG_NONE;
	if (alg && !(want = jose_alg_from_name(alg)))
		return eid_fail(err, EID_E_DENIED, "'alg' is not one of ES256, RS256, EdDSA");
	const json_t *keys = jwks_keys(jwks, err);
	if (!keys)
		return EID_E_FORMAT;
	const json_t *found = NULL;
	size_t n_found = 0, at = 0, i;
	const json_t *key;
	json_array_foreach(keys, i, key)
	{
		if (kid) {
			const char *k = json_string_value(json_object_get(key, "kid"));
			if (!k || strcmp(k, kid) != 0)
				continue;
		}
		if (want && alg_of_kty(key) != want)
			continue;
		found = key;
		at = i;
		n_found++;
	}
	if (n_found != 1)
		return eid_fail(err, EID_E_NOT_FOUND, "jwks: %s key fits the %s%s%s",
				n_found ? "more than one" : "no", kid ? "'kid'" : "",
				kid && alg ? " and " : "", alg ? "'alg'" : "");
	char what[48];
	snprintf(what, sizeof what, "jwks 'keys'[%zu]", at);
	jose_jwk k;
	eid_status st = jose_jwk_parse(found, what, &k, NULL, err);
	if (st)
		return st;
	*jwk_out = found;
	return EID_OK;
}
