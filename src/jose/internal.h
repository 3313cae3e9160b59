/* jose/internal.h — private to src/jose: the layout of eid_jose_key and the
 * helpers the files share.
 *
 * OpenSSL 3 APIs only: the deprecated low-level EC_KEY/RSA calls are hidden
 * so that using one fails to compile. */
#ifndef EID_JOSE_INTERNAL_H
#define EID_JOSE_INTERNAL_H

#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "eid/jose.h"

#define JOSE_P256_BYTES 32 /* a coordinate, the scalar, r and s */

struct eid_jose_key {
	EVP_PKEY *pkey; /* P-256 key pair; OpenSSL wipes the scalar on free */
	uint8_t x[JOSE_P256_BYTES], y[JOSE_P256_BYTES];
	char kid[EID_JOSE_KID_LEN + 1];
};

/* A key from its 32-byte big-endian private scalar, which must lie in
 * [1, n-1] (EID_E_FORMAT otherwise). what names the source in messages. */
eid_status jose_key_from_scalar(const uint8_t d[JOSE_P256_BYTES], const char *what,
				eid_jose_key **out, eid_err *err);

/* The private scalar, big-endian, 32 bytes; the caller wipes it. */
eid_status jose_key_scalar(const eid_jose_key *k, uint8_t d[JOSE_P256_BYTES], eid_err *err);

/* RFC 7638 thumbprint of a P-256 public key, base64url (43 + NUL). */
void jose_thumbprint_p256(const uint8_t x[JOSE_P256_BYTES], const uint8_t y[JOSE_P256_BYTES],
			  char kid[EID_JOSE_KID_LEN + 1]);

/* The order n of P-256, big-endian. */
extern const uint8_t jose_p256_order[JOSE_P256_BYTES];

/* 1 if a (32 bytes, big-endian) is in [1, n-1]; constant-time, as it also
 * checks private scalars. */
int jose_p256_in_range(const uint8_t a[JOSE_P256_BYTES]);

/* An EVP_PKEY for a P-256 public point; EID_E_FORMAT if it is not a valid
 * point of the curve (what names the JWK in messages). */
eid_status jose_p256_public(const uint8_t x[JOSE_P256_BYTES], const uint8_t y[JOSE_P256_BYTES],
			    const char *what, EVP_PKEY **out, eid_err *err);

/* ---- JWK (jwk.c) ---- */

/* The allow-list; 0 is "not allowed". */
typedef enum jose_alg { JOSE_ALG_NONE = 0, JOSE_ES256, JOSE_RS256, JOSE_EDDSA } jose_alg;

/* The alg named s (NUL-terminated), or JOSE_ALG_NONE if not allowed. */
jose_alg jose_alg_from_name(const char *s);

#define JOSE_RSA_MAX_BYTES (EID_JOSE_RSA_MAX_BITS / 8)
#define JOSE_RSA_E_MAX	   8

/* A checked public JWK. */
typedef struct jose_jwk {
	jose_alg alg;					/* the one alg its kty (and crv) fits */
	const char *kid;				/* NULL if absent; borrowed from the json */
	uint8_t x[JOSE_P256_BYTES], y[JOSE_P256_BYTES]; /* EC; OKP: x only */
	uint8_t n[JOSE_RSA_MAX_BYTES], e[JOSE_RSA_E_MAX];
	size_t n_len, e_len;
} jose_jwk;

/* Checks jwk (as eid_jose_jwk_check) into *out; for EC and RSA keys the
 * EVP_PKEY goes to *pkey_out when that is not NULL (else it is only built to
 * be checked). what names the key in messages. */
eid_status jose_jwk_parse(const json_t *jwk, const char *what, jose_jwk *out, EVP_PKEY **pkey_out,
			  eid_err *err);

#endif
