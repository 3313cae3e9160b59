/* Compact JWS (RFC 7515): ES256 signing with the provider's key, and
 * verification of ES256, RS256 and EdDSA against one public JWK. */
#include "internal.h"
#include "eid/http.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/crypto.h"
#include "eid/limits.h"

#define SIG_B64_LEN EID_B64URL_LEN(2 * JOSE_P256_BYTES) /* 86 */

/* ---- signing ---------------------------------------------------------------- */

/* Raw r || s (64 bytes) of an ES256 signature of msg. */
static eid_status es256_sign(const eid_jose_key *k, const uint8_t *msg, size_t len,
			     uint8_t raw[2 * JOSE_P256_BYTES], eid_err *err)
{
	uint8_t der[80]; /* a P-256 DER signature takes at most 72 bytes */
	size_t der_len = sizeof der;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok = mctx &&
		 EVP_DigestSignInit_ex(mctx, NULL, "SHA256", NULL, NULL, k->pkey, NULL) == 1 &&
		 EVP_DigestSign(mctx, der, &der_len, msg, len) == 1;
	EVP_MD_CTX_free(mctx);
	ECDSA_SIG *sig = NULL;
	if (ok) {
		const uint8_t *p = der;
		sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		const BIGNUM *r, *s;
		if (sig)
			ECDSA_SIG_get0(sig, &r, &s);
		/* JWA §3.4: each half as 32 bytes, left-padded with zeros */
		ok = sig && BN_bn2binpad(r, raw, JOSE_P256_BYTES) == JOSE_P256_BYTES &&
		     BN_bn2binpad(s, raw + JOSE_P256_BYTES, JOSE_P256_BYTES) == JOSE_P256_BYTES;
	}
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	if (!ok)
		return eid_fail(err, EID_E_INTERNAL, "cannot sign with ES256");
	return EID_OK;
}

eid_status eid_jose_sign(const eid_jose_key *k, const json_t *claims, char **jwt_out, eid_err *err)
{
	if (!k || !json_is_object(claims) || !jwt_out)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot sign: claims are not a JSON object");
	char header[128];
	int hl = snprintf(header, sizeof header,
			  "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);
	char *payload = json_dumps(claims, JSON_COMPACT);
	if (!payload)
		return eid_fail(err, EID_E_NOMEM, "cannot sign: cannot serialise the claims");
	size_t pl = strlen(payload);
	size_t hb = EID_B64URL_LEN((size_t)hl);
	if (pl > EID_JOSE_JWT_MAX ||
	    hb + 1 + EID_B64URL_LEN(pl) + 1 + SIG_B64_LEN > EID_JOSE_JWT_MAX) {
		free(payload);
		return eid_fail(err, EID_E_LIMIT,
				"cannot sign: the token would be longer than %d bytes",
				EID_JOSE_JWT_MAX);
	}
	size_t total = hb + 1 + EID_B64URL_LEN(pl) + 1 + SIG_B64_LEN;
	char *jwt = malloc(total + 1);
	if (!jwt) {
		free(payload);
		return eid_fail(err, EID_E_NOMEM, "cannot sign: out of memory");
	}
	eid_status st = eid_b64url_encode((const uint8_t *)header, (size_t)hl, jwt, total + 1, err);
	size_t at = hb;
	if (!st) {
		jwt[at++] = '.';
		st = eid_b64url_encode((const uint8_t *)payload, pl, jwt + at, total + 1 - at, err);
		at += EID_B64URL_LEN(pl);
	}
	free(payload);
	uint8_t raw[2 * JOSE_P256_BYTES];
	if (!st)
		st = es256_sign(k, (const uint8_t *)jwt, at, raw, err);
	if (!st) {
		jwt[at++] = '.';
		st = eid_b64url_encode(raw, sizeof raw, jwt + at, total + 1 - at, err);
	}
	if (st) {
		free(jwt);
		return st;
	}
	*jwt_out = jwt;
	return EID_OK;
}

/* ---- verification --------------------------------------------------------- */

/* A JSON object from text (duplicate members refused), or EID_E_FORMAT. */
static eid_status parse_object(const uint8_t *text, size_t len, const char *what, json_t **out,
			       eid_err *err)
{
	/* jansson recurses: the depth is bounded before it parses */
	if (eid_http_json_check_depth(text, len, (size_t)eid_limit(EID_LIMIT_JSON_DEPTH), err))
		return eid_fail(err, EID_E_FORMAT, "%s: nests deeper than %d levels", what,
				(int)eid_limit(EID_LIMIT_JSON_DEPTH));
	json_error_t je;
	json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return eid_fail(err, EID_E_FORMAT,
				"%s: not a JSON object without duplicate members", what);
	}
	*out = j;
	return EID_OK;
}

static eid_status decode_part(const char *txt, size_t len, const char *what, uint8_t *out,
			      size_t cap, size_t *out_len, eid_err *err)
{
	eid_err derr;
	if (eid_b64url_decode(txt, len, out, cap, out_len, &derr) != EID_OK)
		return eid_fail(err, EID_E_FORMAT, "jws: %s is not base64url: %s", what, derr.msg);
	return EID_OK;
}

/* A compact JWS within EID_JOSE_JWT_MAX split at its two dots: *d1 and *d2
 * point at them, *len is its length. */
static eid_status split_jws(const char *jwt, const char **d1, const char **d2, size_t *len,
			    eid_err *err)
{
	*len = strnlen(jwt, EID_JOSE_JWT_MAX + 1);
	if (*len > EID_JOSE_JWT_MAX)
		return eid_fail(err, EID_E_LIMIT, "jws: longer than %d bytes", EID_JOSE_JWT_MAX);
	*d1 = memchr(jwt, '.', *len);
	*d2 = *d1 ? memchr(*d1 + 1, '.', *len - (size_t)(*d1 + 1 - jwt)) : NULL;
	if (!*d2 || memchr(*d2 + 1, '.', *len - (size_t)(*d2 + 1 - jwt)))
		return eid_fail(err, EID_E_FORMAT,
				"jws: not three base64url parts separated by '.'");
	return EID_OK;
}

eid_status eid_jose_peek(const char *jwt, json_t **header_out, json_t **claims_out, eid_err *err)
{
	*header_out = *claims_out = NULL;
	if (!jwt)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot read: no token");
	const char *d1, *d2;
	size_t len, n;
	eid_status st = split_jws(jwt, &d1, &d2, &len, err);
	uint8_t *buf = st ? NULL : malloc(EID_JOSE_JWT_MAX);
	if (!st && !buf)
		st = eid_fail(err, EID_E_NOMEM, "jws: out of memory");
	json_t *header = NULL, *claims = NULL;
	if (!st &&
	    !(st = decode_part(jwt, (size_t)(d1 - jwt), "header", buf, EID_JOSE_JWT_MAX, &n, err)) &&
	    !(st = parse_object(buf, n, "jws header", &header, err)) &&
	    !(st = decode_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", buf, EID_JOSE_JWT_MAX, &n,
			       err)))
		st = parse_object(buf, n, "jws payload", &claims, err);
	free(buf);
	if (st) {
		json_decref(header);
		return st;
	}
	*header_out = header;
	*claims_out = claims;
	return EID_OK;
}

static int es256_verify(EVP_PKEY *pkey, const uint8_t *sig, const uint8_t *msg, size_t len)
{
	/* 0 < r, s < n; OpenSSL checks it too, this keeps it independent of that */
	if (!jose_p256_in_range(sig) || !jose_p256_in_range(sig + JOSE_P256_BYTES))
		return 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, JOSE_P256_BYTES, NULL);
	BIGNUM *s = BN_bin2bn(sig + JOSE_P256_BYTES, JOSE_P256_BYTES, NULL);
	uint8_t *der = NULL;
	int der_len = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL; /* es owns them now */
		der_len = i2d_ECDSA_SIG(es, &der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX *mctx = der_len > 0 ? EVP_MD_CTX_new() : NULL;
	int ok = mctx &&
		 EVP_DigestVerifyInit_ex(mctx, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
		 EVP_DigestVerify(mctx, der, (size_t)der_len, msg, len) == 1;
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return ok;
}

static int rs256_verify(EVP_PKEY *pkey, const uint8_t *sig, size_t sig_len, const uint8_t *msg,
			size_t len)
{
	/* RSASSA-PKCS1-v1_5 is OpenSSL's default padding for an RSA key */
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int ok = mctx &&
		 EVP_DigestVerifyInit_ex(mctx, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
		 EVP_DigestVerify(mctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(mctx);
	return ok;
}

eid_status eid_jose_verify(const char *jwt, const json_t *jwk, json_t **header_out,
			   json_t **claims_out, eid_err *err)
{
	if (!jwt || !jwk)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot verify: no token or no key");
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	const char *d1, *d2;
	size_t len;
	if ((st = split_jws(jwt, &d1, &d2, &len, err)))
		return st;
	size_t hl = (size_t)(d1 - jwt), pl = (size_t)(d2 - d1 - 1),
	       sl = len - (size_t)(d2 + 1 - jwt);

	uint8_t *hbuf = malloc(EID_JOSE_JWT_MAX), *pbuf = malloc(EID_JOSE_JWT_MAX);
	uint8_t sig[JOSE_RSA_MAX_BYTES];
	json_t *header = NULL, *claims = NULL;
	EVP_PKEY *pkey = NULL;
	size_t hn, pn, sn;
	jose_jwk k;
	if (!hbuf || !pbuf) {
		st = eid_fail(err, EID_E_NOMEM, "jws: out of memory");
		goto done;
	}
	/* every part strict base64url before anything else */
	if ((st = decode_part(jwt, hl, "header", hbuf, EID_JOSE_JWT_MAX, &hn, err)) ||
	    (st = decode_part(d1 + 1, pl, "payload", pbuf, EID_JOSE_JWT_MAX, &pn, err)))
		goto done;
	if (sl > EID_B64URL_LEN(sizeof sig)) {
		st = eid_fail(err, EID_E_FORMAT, "jws: signature longer than any key's");
		goto done;
	}
	if ((st = decode_part(d2 + 1, sl, "signature", sig, sizeof sig, &sn, err)))
		goto done;

	if ((st = parse_object(hbuf, hn, "jws header", &header, err)))
		goto done;
	const json_t *alg = json_object_get(header, "alg");
	if (!json_is_string(alg)) {
		st = eid_fail(err, EID_E_FORMAT, "jws header: 'alg' is missing or not a string");
		goto done;
	}
	jose_alg a = jose_alg_from_name(json_string_value(alg));
	if (!a) {
		st = eid_fail(err, EID_E_DENIED,
			      "jws header: 'alg' is not one of ES256, RS256, EdDSA");
		goto done;
	}
	if (json_object_get(header, "crit")) {
		st = eid_fail(err, EID_E_DENIED,
			      "jws header: 'crit' names extensions this verifier does not know");
		goto done;
	}
	const json_t *hkid = json_object_get(header, "kid");
	if (hkid && !json_is_string(hkid)) {
		st = eid_fail(err, EID_E_FORMAT, "jws header: 'kid' is not a string");
		goto done;
	}
	if ((st = jose_jwk_parse(jwk, "jwk", &k, &pkey, err)))
		goto done;
	if (a != k.alg) {
		st = eid_fail(err, EID_E_DENIED, "jws header: 'alg' does not fit the key");
		goto done;
	}
	if (hkid && k.kid && strcmp(json_string_value(hkid), k.kid) != 0) {
		st = eid_fail(err, EID_E_DENIED, "jws header: 'kid' names another key");
		goto done;
	}
	size_t want = a == JOSE_RS256 ? (size_t)EVP_PKEY_get_size(pkey) : 2 * JOSE_P256_BYTES;
	if (sn != want) {
		st =
		    eid_fail(err, EID_E_FORMAT, "jws: signature is %zu bytes (want %zu)", sn, want);
		goto done;
	}
	const uint8_t *tbs = (const uint8_t *)jwt;
	size_t tbs_len = (size_t)(d2 - jwt);
	int good = 0;
	switch (a) {
	case JOSE_ES256:
		good = es256_verify(pkey, sig, tbs, tbs_len);
		break;
	case JOSE_RS256:
		good = rs256_verify(pkey, sig, sn, tbs, tbs_len);
		break;
	case JOSE_EDDSA:
		good = crypto_sign_verify_detached(sig, tbs, tbs_len, k.x) == 0;
		break;
	default:
		break;
	}
	ERR_clear_error();
	if (!good) {
		st = eid_fail(err, EID_E_DENIED, "jws: the signature does not verify with the key");
		goto done;
	}
	if ((st = parse_object(pbuf, pn, "jws payload", &claims, err)))
		goto done;
	if (header_out) {
		*header_out = header;
		header = NULL;
	}
	if (claims_out) {
		*claims_out = claims;
		claims = NULL;
	}
done:
	json_decref(header);
	json_decref(claims);
	EVP_PKEY_free(pkey);
	free(hbuf);
	free(pbuf);
	return st;
}
