/* The provider's ES256 keys: generation, the key from a scalar (key files),
 * the RFC 7638 key id and the public JWK. */
#include "internal.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/crypto.h"

_Static_assert(EID_JOSE_KID_LEN == EID_B64URL_LEN(32), "kid length");

const uint8_t jose_p256_order[JOSE_P256_BYTES] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static void b64(const uint8_t *bin, size_t n, char *out, size_t cap)
{
	/* sizes are fixed by the callers, so this cannot fail */
	sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void jose_thumbprint_p256(const uint8_t x[JOSE_P256_BYTES], const uint8_t y[JOSE_P256_BYTES],
			  char kid[EID_JOSE_KID_LEN + 1])
{
	/* RFC 7638 §3.2: the required members only, in lexicographic order, no
	 * whitespace */
	char xs[EID_JOSE_KID_LEN + 1], ys[EID_JOSE_KID_LEN + 1], in[128];
	b64(x, JOSE_P256_BYTES, xs, sizeof xs);
	b64(y, JOSE_P256_BYTES, ys, sizeof ys);
	int n = snprintf(in, sizeof in,
			 "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", xs, ys);
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const uint8_t *)in, (unsigned long long)n);
	b64(h, sizeof h, kid, EID_JOSE_KID_LEN + 1);
}

/* Fills x, y and kid from k->pkey. */
static eid_status finish_key(eid_jose_key *k, eid_err *err)
{
	BIGNUM *bx = NULL, *by = NULL;
	int ok = EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
		 EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
		 BN_bn2binpad(bx, k->x, JOSE_P256_BYTES) == JOSE_P256_BYTES &&
		 BN_bn2binpad(by, k->y, JOSE_P256_BYTES) == JOSE_P256_BYTES;
	BN_free(bx);
	BN_free(by);
	if (!ok) {
		ERR_clear_error();
		return eid_fail(err, EID_E_INTERNAL, "cannot read the public point of a P-256 key");
	}
	jose_thumbprint_p256(k->x, k->y, k->kid);
	return EID_OK;
}

eid_status eid_jose_key_new_es256(eid_jose_key **out, eid_err *err)
{
	eid_jose_key *k = calloc(1, sizeof *k);
	if (!k)
		return eid_fail(err, EID_E_NOMEM, "cannot allocate a signing key");
	k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k->pkey) {
		ERR_clear_error();
		free(k);
		return eid_fail(err, EID_E_INTERNAL, "cannot generate a P-256 key");
	}
	eid_status st = finish_key(k, err);
	if (st) {
		eid_jose_key_free(k);
		return st;
	}
	*out = k;
	return EID_OK;
}

int jose_p256_in_range(const uint8_t a[JOSE_P256_BYTES])
{
	/* a - n from the least significant byte: a < n iff it borrows at the end */
	unsigned any = 0, borrow = 0;
	for (size_t i = JOSE_P256_BYTES; i-- > 0;) {
		unsigned diff = (unsigned)a[i] - (unsigned)jose_p256_order[i] - borrow;
		borrow = (diff >> 8) & 1;
		any |= a[i];
	}
	return (any != 0) & (int)borrow;
}

eid_status jose_key_from_scalar(const uint8_t d[JOSE_P256_BYTES], const char *what,
				eid_jose_key **out, eid_err *err)
{
	*out = NULL;
	if (!jose_p256_in_range(d))
		return eid_fail(err, EID_E_FORMAT, "%s: private scalar is not in [1, n-1]", what);
	eid_status st = EID_E_INTERNAL;
	eid_jose_key *k = NULL;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *bd = BN_secure_new();
	EC_POINT *p = g ? EC_POINT_new(g) : NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	uint8_t pub[1 + 2 * JOSE_P256_BYTES];
	if (!g || !bd || !p || !bld || !ctx)
		goto done;
	BN_set_flags(bd, BN_FLG_CONSTTIME);
	/* OpenSSL 3.0's fromdata does not derive the public point: do it here */
	if (!BN_bin2bn(d, JOSE_P256_BYTES, bd) || EC_POINT_mul(g, p, bd, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL) !=
		sizeof pub)
		goto done;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bd) != 1)
		goto done;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto done;
	k = calloc(1, sizeof *k);
	if (!k) {
		st = EID_E_NOMEM;
		goto done;
	}
	k->pkey = pkey;
	pkey = NULL;
	st = finish_key(k, err);
done:
	if (st == EID_E_INTERNAL && (!k || !k->pkey))
		eid_fail(err, st, "%s: cannot build a P-256 key from the scalar", what);
	else if (st == EID_E_NOMEM)
		eid_fail(err, st, "%s: cannot allocate a signing key", what);
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* bd is BN_secure: its copy was wiped-on-free memory */
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(p);
	BN_clear_free(bd);
	EC_GROUP_free(g);
	if (st) {
		eid_jose_key_free(k);
		return st;
	}
	*out = k;
	return EID_OK;
}

eid_status jose_key_scalar(const eid_jose_key *k, uint8_t d[JOSE_P256_BYTES], eid_err *err)
{
	BIGNUM *bd = NULL;
	int ok = EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bd) == 1 &&
		 BN_bn2binpad(bd, d, JOSE_P256_BYTES) == JOSE_P256_BYTES;
	BN_clear_free(bd);
	if (!ok) {
		ERR_clear_error();
		OPENSSL_cleanse(d, JOSE_P256_BYTES);
		return eid_fail(err, EID_E_INTERNAL, "cannot read the private scalar of a key");
	}
	return EID_OK;
}

const char *eid_jose_key_kid(const eid_jose_key *k)
{
	return k->kid;
}

json_t *eid_jose_key_public_jwk(const eid_jose_key *k)
{
	char xs[EID_JOSE_KID_LEN + 1], ys[EID_JOSE_KID_LEN + 1];
	b64(k->x, JOSE_P256_BYTES, xs, sizeof xs);
	b64(k->y, JOSE_P256_BYTES, ys, sizeof ys);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
			 xs, "y", ys, "kid", k->kid, "use", "sig", "alg", "ES256");
}

void eid_jose_key_free(eid_jose_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

eid_status jose_p256_public(const uint8_t x[JOSE_P256_BYTES], const uint8_t y[JOSE_P256_BYTES],
			    const char *what, EVP_PKEY **out, eid_err *err)
{
	*out = NULL;
	uint8_t pub[1 + 2 * JOSE_P256_BYTES];
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, x, JOSE_P256_BYTES);
	memcpy(pub + 1 + JOSE_P256_BYTES, y, JOSE_P256_BYTES);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub),
	    OSSL_PARAM_construct_end()};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int built = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
		    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	/* fromdata already refuses points off the curve; the full public check
	 * also refuses the point at infinity and points outside the group */
	EVP_PKEY_CTX *chk = built ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	int valid = chk && EVP_PKEY_public_check(chk) == 1;
	EVP_PKEY_CTX_free(chk);
	ERR_clear_error();
	if (!valid) {
		EVP_PKEY_free(pkey);
		return eid_fail(err, EID_E_FORMAT, "%s: 'x' and 'y' are not a point of P-256",
				what);
	}
	*out = pkey;
	return EID_OK;
}
