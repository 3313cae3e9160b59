/* eid/jose.h — JOSE for OpenID Connect: the provider's ES256 signing keys,
 * compact JWS (ID tokens out, client assertions in), JWK sets, PKCE.
 *
 * Policy over OpenSSL 3 (ECDSA P-256, RSA) and libsodium (Ed25519); nothing
 * here is a home-made primitive (docs/jose.md explains each choice).
 *
 *   keys    the provider signs with ES256 only; a key's id is its RFC 7638
 *           thumbprint; keys live in 0600 files, one line each
 *   sign    compact JWS, header {"alg":"ES256","typ":"JWT","kid":...}
 *   verify  compact JWS against one public JWK; alg allow-list ES256, RS256,
 *           EdDSA; the alg must fit the key; "none", HS*, "crit" refused
 *   JWKS    a client's key set: checked once at registration, a key picked
 *           per token by kid (or by alg when there is a single candidate)
 *   PKCE    S256 only; random tokens for codes and access tokens
 *
 * Usage (error handling shortened; every eid_status must be checked):
 *
 *   eid_err err;
 *   eid_jose_key *k;
 *   st = eid_jose_key_new_es256(&k, &err);
 *   st = eid_jose_key_write(k, "op.es256.key", &err);     // 0600, no overwrite
 *   json_t *jwk = eid_jose_key_public_jwk(k);             // publish in the JWKS
 *   char *jwt;
 *   st = eid_jose_sign(k, claims, &jwt, &err);            // ID token; free(jwt)
 *
 *   // a client's private_key_jwt assertion
 *   st = eid_jose_jwks_check(client_jwks, &err);          // at registration
 *   const json_t *ck;
 *   st = eid_jose_jwk_select(client_jwks, header_kid, "ES256", &ck, &err);
 *   json_t *hdr, *claims;
 *   st = eid_jose_verify(assertion, ck, &hdr, &claims, &err);
 *   ...check iss, sub, aud, exp, jti yourself...
 *   json_decref(hdr); json_decref(claims);
 *   eid_jose_key_free(k);
 *
 * Ownership: an eid_jose_key is an opaque heap object from
 * eid_jose_key_new_es256 or eid_jose_key_read, released with
 * eid_jose_key_free (accepts NULL). It never changes once built, so many
 * threads may sign with one key at once. Its private scalar never leaves the
 * module except in a key file; copies are wiped (OPENSSL_cleanse). Returned
 * json_t are new references (json_decref); *jwt_out is malloc'ed (free).
 * eid_jose_jwk_select hands back a pointer into the caller's JWKS (borrowed).
 *
 * Errors: outside input that is not a well-formed JWS, JWK or key file:
 * EID_E_FORMAT. A well-formed token refused by policy or by its signature
 * (alg outside the allow-list, alg that does not fit the key, a "crit"
 * header, a kid that names another key, a bad signature): EID_E_DENIED. No
 * key for a kid/alg: EID_E_NOT_FOUND. Program errors: EID_E_INVALID_ARG.
 * Files: EID_E_IO. A token longer than EID_JOSE_JWT_MAX: EID_E_LIMIT.
 * Messages name the field that failed, never its value, never key bytes.
 * Outputs are written only on success (left untouched on failure).
 *
 * Not covered here: the claims (iss, aud, exp, nonce, jti reuse): the caller
 * checks them after a successful verify.
 */
#ifndef EID_JOSE_H
#define EID_JOSE_H

#include <jansson.h>

#include "eid/status.h"

#define EID_JOSE_KID_LEN      43         /* RFC 7638 thumbprint as base64url */
#define EID_JOSE_JWT_MAX      (16 << 10) /* a whole compact JWS, in bytes */
#define EID_JOSE_JWKS_MAX     10         /* keys in a client JWKS */
#define EID_JOSE_TOKEN_LEN    43         /* eid_jose_random_token, without NUL */
#define EID_JOSE_RSA_MIN_BITS 2048       /* RS256 keys: at least */
#define EID_JOSE_RSA_MAX_BITS 8192       /* and at most: bounds the cost of one check */

/* ---- the provider's signing keys (ES256) --------------------------------- */

typedef struct eid_jose_key eid_jose_key;

/* A fresh ECDSA P-256 key (OpenSSL's generator). */
EID_MUST_CHECK eid_status eid_jose_key_new_es256(eid_jose_key **out, eid_err *err);

/* Writes the key to a new file, mode 0600 whatever the umask
 * (O_CREAT|O_EXCL|O_NOFOLLOW, then fchmod; an existing file or symlink is
 * never replaced: EID_E_IO naming the path), fsync'ed, removed on failure:
 *     eid-jose v1 es256 <kid> <base64url of the 32-byte private scalar>\n */
EID_MUST_CHECK eid_status eid_jose_key_write(const eid_jose_key *k, const char *path, eid_err *err);

/* Reads a key file written by eid_jose_key_write. Refuses:
 *   a symlink, a non-regular or missing file              EID_E_IO
 *   a mode that lets group or others in                    EID_E_INVALID_ARG
 *   more than 4 KiB, a bad header, field or encoding, a
 *   scalar outside [1, n-1], a kid that does not match
 *   the key (a garbled file)                               EID_E_FORMAT */
EID_MUST_CHECK eid_status eid_jose_key_read(const char *path, eid_jose_key **out, eid_err *err);

/* The key id: RFC 7638 thumbprint, base64url(SHA-256 of
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."}), 43 characters,
 * NUL-terminated, valid while k lives. */
const char *eid_jose_key_kid(const eid_jose_key *k);

/* The public JWK {"kty":"EC","crv":"P-256","x","y","kid","use":"sig",
 * "alg":"ES256"}: a new reference, NULL only when memory runs out. */
json_t *eid_jose_key_public_jwk(const eid_jose_key *k);

/* Frees the key; OpenSSL wipes the scalar. Accepts NULL. */
void eid_jose_key_free(eid_jose_key *k);

/* ---- compact JWS ---------------------------------------------------------- */

/* Signs claims (a JSON object, serialised with JSON_COMPACT) as a compact JWS:
 *   base64url({"alg":"ES256","typ":"JWT","kid":<kid>}) . base64url(claims) .
 *   base64url(r || s)     (64 bytes, each half left-padded to 32)
 * *jwt_out is NUL-terminated and malloc'ed. EID_E_INVALID_ARG if claims is
 * not an object; EID_E_LIMIT if the token would exceed EID_JOSE_JWT_MAX
 * (eid_jose_verify would refuse it). */
EID_MUST_CHECK eid_status eid_jose_sign(const eid_jose_key *k, const json_t *claims, char **jwt_out,
					eid_err *err);

/* Verifies a compact JWS against one public JWK (checked as
 * eid_jose_jwk_check does). Accepted: ES256 with an EC P-256 key (signature
 * exactly 64 bytes r || s, 0 < r, s < n), RS256 with an RSA key of 2048 to
 * 8192 bits (signature exactly the modulus size, PKCS #1 v1.5), EdDSA with an
 * OKP Ed25519 key (libsodium's strict verification). In order:
 *   EID_E_LIMIT    the token is longer than EID_JOSE_JWT_MAX
 *   EID_E_FORMAT   not three parts; a part not strict base64url (no padding,
 *                  no other character); a header that is not a JSON object
 *                  (duplicate members refused) with a string "alg"; an
 *                  invalid JWK; a signature of the wrong length
 *   EID_E_DENIED   "alg" outside the allow-list ("none", HS256, ...), an
 *                  "alg" that does not fit the key's kty/crv or its "alg",
 *                  a "crit" header, a header "kid" unlike the key's "kid",
 *                  a signature that does not verify
 *   EID_E_FORMAT   a payload (checked only once the signature holds) that is
 *                  not a JSON object, duplicate members refused
 * On success *header_out and *claims_out (either may be NULL to skip) get new
 * references; on failure they are not touched. */
EID_MUST_CHECK eid_status eid_jose_verify(const char *jwt, const json_t *jwk, json_t **header_out,
					  json_t **claims_out, eid_err *err);

/* The header and claims of a compact JWS WITHOUT verifying it: only to find
 * the key that should (a client assertion's "iss", the header's "kid"),
 * after which eid_jose_verify decides. The same limits as verification
 * (EID_E_LIMIT, EID_E_FORMAT for the parts, the depth of the JSON); on
 * success two new references, on failure both NULL. */
EID_MUST_CHECK eid_status eid_jose_peek(const char *jwt, json_t **header_out, json_t **claims_out,
					eid_err *err);

/* ---- JWK and JWK sets ------------------------------------------------------ */

/* Checks one public JWK: an object with kty "EC" (crv "P-256", x and y 32
 * bytes each, a point on the curve), "RSA" (n 256..1024 bytes without a
 * leading zero and of at least 2048 bits, e 1..8 bytes, odd, > 1) or "OKP"
 * (crv "Ed25519", x 32 bytes); every member strict base64url. Optional
 * members, when present: "kid" a string of 1..128 printable ASCII
 * characters, "use" "sig", "alg" the one alg that fits the kty, "key_ops" an
 * array of strings holding "verify". Private members (d, p, q, dp, dq, qi,
 * oth, k) are refused: a client that publishes its private key must hear so.
 * EID_E_FORMAT naming the member otherwise. */
EID_MUST_CHECK eid_status eid_jose_jwk_check(const json_t *jwk, eid_err *err);

/* Checks a client's JWKS at registration: {"keys":[...]} with 1 to
 * EID_JOSE_JWKS_MAX keys, each passing eid_jose_jwk_check, kids unique
 * where present. EID_E_FORMAT naming the key's index and member otherwise. */
EID_MUST_CHECK eid_status eid_jose_jwks_check(const json_t *jwks, eid_err *err);

/* Picks the key for a token from a JWKS: with kid, the key with that "kid"
 * (and, if alg is not NULL, whose kty fits alg); with kid NULL, the only key
 * whose kty fits alg (alg then required). None, or several:
 * EID_E_NOT_FOUND. alg outside the allow-list: EID_E_DENIED. The picked key
 * is checked (eid_jose_jwk_check; EID_E_FORMAT). *jwk_out points into jwks. */
EID_MUST_CHECK eid_status eid_jose_jwk_select(const json_t *jwks, const char *kid, const char *alg,
					      const json_t **jwk_out, eid_err *err);

/* ---- PKCE and tokens -------------------------------------------------------- */

/* 1 if verifier is 43..128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)
 * and challenge equals base64url(SHA-256(verifier)) (compared in constant
 * time); 0 otherwise, NULLs included. Only S256: "plain" is never offered. */
EID_MUST_CHECK int eid_jose_pkce_s256_ok(const char *verifier, const char *challenge);

/* 32 random bytes (OS CSPRNG) as base64url: 43 characters + NUL, for
 * authorisation codes and access tokens. */
void eid_jose_random_token(char out[EID_JOSE_TOKEN_LEN + 1]);

#endif
