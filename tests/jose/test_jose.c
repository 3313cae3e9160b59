/* Tests of src/jose: ES256 keys and key files, compact JWS sign/verify,
 * RS256 and EdDSA verification against keys made here by OpenSSL and
 * libsodium, the RFC 7515 A.3 and RFC 8037 A.4 vectors, JWK and JWKS checks,
 * PKCE (RFC 7636 appendix B) and random tokens. */
#define _POSIX_C_SOURCE	   200809L
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include "eid/jose.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eid/crypto.h"
#include "test.h"
#include "tmpdir.h"
#include "rfc_vectors.h"

/* The order n of P-256, big-endian. */
static const uint8_t P256_N[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
				   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};


/* ---- helpers ---------------------------------------------------------------- */

static void b64(const void *bin, size_t n, char *out, size_t cap)
{
	REQUIRE(eid_b64url_encode(bin, n, out, cap, NULL) == EID_OK);
}

static size_t unb64(const char *txt, uint8_t *out, size_t cap)
{
	size_t n;
	REQUIRE(eid_b64url_decode(txt, strlen(txt), out, cap, &n, NULL) == EID_OK);
	return n;
}

static json_t *parse(const char *txt)
{
	json_t *j = json_loads(txt, JSON_REJECT_DUPLICATES, NULL);
	REQUIRE(j);
	return j;
}

typedef void (*signer_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);

/* b64(header) . b64(payload) . b64(signature by fn) into a malloc'ed string. */
static char *make_jws(const char *header, const char *payload, signer_fn fn, void *ctx)
{
	size_t hl = strlen(header), pl = strlen(payload);
	size_t cap = EID_B64URL_LEN(hl) + EID_B64URL_LEN(pl) + EID_B64URL_LEN(1024) + 3;
	char *t = malloc(cap);
	REQUIRE(t);
	b64(header, hl, t, cap);
	size_t at = strlen(t);
	t[at++] = '.';
	b64(payload, pl, t + at, cap - at);
	at += strlen(t + at);
	uint8_t sig[1024];
	size_t sl = 0;
	fn(ctx, (const uint8_t *)t, at, sig, &sl);
	t[at++] = '.';
	b64(sig, sl, t + at, cap - at);
	return t;
}

/* Ed25519 (libsodium) */
typedef struct ed_key {
	uint8_t pk[32], sk[64];
} ed_key;

static void ed_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	ed_key *k = ctx;
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
	*sig_len = 64;
}

static json_t *ed_jwk(const ed_key *k, const char *kid)
{
	char x[64];
	b64(k->pk, 32, x, sizeof x);
	json_t *j = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", x);
	if (kid)
		json_object_set_new(j, "kid", json_string(kid));
	return j;
}

/* RS256 (OpenSSL) */
static void rsa_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	*sig_len = 1024;
	REQUIRE(m && EVP_DigestSignInit_ex(m, NULL, "SHA256", NULL, NULL, ctx, NULL) == 1 &&
		EVP_DigestSign(m, sig, sig_len, msg, len) == 1);
	EVP_MD_CTX_free(m);
}

static json_t *rsa_jwk(EVP_PKEY *pkey)
{
	BIGNUM *n = NULL, *e = NULL;
	REQUIRE(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1);
	uint8_t nb[1024], eb[16];
	int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
	char ns[1400], es[32];
	b64(nb, (size_t)nl, ns, sizeof ns);
	b64(eb, (size_t)el, es, sizeof es);
	BN_free(n);
	BN_free(e);
	return json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", ns, "e", es);
}

/* ES256 with a raw 64-byte signature given by the test */
static void fixed_sig(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	memcpy(sig, ctx, 64);
	*sig_len = 64;
}

static json_t *a3_jwk(void)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", A3_X, "y", A3_Y);
}

/* RFC 7638 thumbprint of a P-256 key, computed here independently. */
static void thumbprint(const char *x, const char *y, char out[44])
{
	char in[256];
	int n = snprintf(in, sizeof in,
			 "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)in, (unsigned long long)n);
	b64(h, 32, out, 44);
}

static eid_status verify(const char *jwt, const json_t *jwk, eid_err *err)
{
	json_t *h = (json_t *)&h, *c = (json_t *)&c; /* sentinels: untouched on failure */
	json_t *const hs = h, *const cs = c;
	eid_status st = eid_jose_verify(jwt, jwk, &h, &c, err);
	if (st) {
		CHECK(h == hs && c == cs);
		return st;
	}
	CHECK(json_is_object(h) && json_is_object(c));
	json_decref(h);
	json_decref(c);
	return st;
}

/* ---- ES256 keys, sign and verify ---------------------------------------------- */

static void test_sign_verify_round_trip(void)
{
	eid_jose_key *k;
	eid_err err;
	REQUIRE(eid_jose_key_new_es256(&k, &err) == EID_OK);
	json_t *jwk = eid_jose_key_public_jwk(k);
	json_t *claims = parse("{\"iss\":\"https://op.example\",\"sub\":\"p1\",\"aud\":\"rp\","
			       "\"exp\":1700000000,\"nonce\":\"n-0S6\",\"name\":\"J\\u00f6rg\"}");
	char *jwt = NULL, *jwt2 = NULL;
	REQUIRE(eid_jose_sign(k, claims, &jwt, &err) == EID_OK);
	REQUIRE(eid_jose_sign(k, claims, &jwt2, &err) == EID_OK);
	CHECK(strcmp(jwt, jwt2) != 0); /* ECDSA is randomised */

	/* header exactly as specified; signature 64 bytes */
	char want_h[160], hdr[128];
	snprintf(want_h, sizeof want_h, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 eid_jose_key_kid(k));
	const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
	size_t n;
	REQUIRE(eid_b64url_decode(jwt, (size_t)(d1 - jwt), (uint8_t *)hdr, sizeof hdr - 1, &n,
				  NULL) == EID_OK);
	hdr[n] = 0;
	CHECK(strcmp(hdr, want_h) == 0);
	CHECK(strlen(d2 + 1) == 86);
	/* the payload is the compact serialisation */
	char *compact = json_dumps(claims, JSON_COMPACT);
	char pay[512];
	REQUIRE(eid_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), (uint8_t *)pay, sizeof pay - 1, &n,
				  NULL) == EID_OK);
	pay[n] = 0;
	CHECK(strcmp(pay, compact) == 0);
	free(compact);

	json_t *h = NULL, *c = NULL;
	REQUIRE(eid_jose_verify(jwt, jwk, &h, &c, &err) == EID_OK);
	CHECK(json_equal(c, claims));
	CHECK(strcmp(json_string_value(json_object_get(h, "kid")), eid_jose_key_kid(k)) == 0);
	CHECK(strcmp(json_string_value(json_object_get(h, "typ")), "JWT") == 0);
	json_decref(h);
	json_decref(c);
	CHECK(eid_jose_verify(jwt2, jwk, NULL, NULL, &err) == EID_OK);

	/* another key of the same type: refused */
	eid_jose_key *k2;
	REQUIRE(eid_jose_key_new_es256(&k2, &err) == EID_OK);
	json_t *jwk2 = eid_jose_key_public_jwk(k2);
	json_object_del(jwk2, "kid"); /* so that only the signature can tell */
	CHECK(verify(jwt, jwk2, &err) == EID_E_DENIED);
	/* with its kid, the header's kid already names another key */
	json_decref(jwk2);
	jwk2 = eid_jose_key_public_jwk(k2);
	CHECK(verify(jwt, jwk2, &err) == EID_E_DENIED);
	CHECK(strstr(err.msg, "'kid'") && !strstr(err.msg, eid_jose_key_kid(k)));

	/* claims must be an object; the token must stay under the limit */
	json_t *arr = json_array();
	char *none = NULL;
	CHECK(eid_jose_sign(k, arr, &none, &err) == EID_E_INVALID_ARG && !none);
	json_decref(arr);
	char *big = malloc(13000);
	REQUIRE(big);
	memset(big, 'a', 12999);
	big[12999] = 0;
	json_t *bigc = json_pack("{s:s}", "x", big);
	CHECK(eid_jose_sign(k, bigc, &none, &err) == EID_E_LIMIT && !none);
	json_decref(bigc);
	free(big);

	json_decref(jwk2);
	eid_jose_key_free(k2);
	free(jwt);
	free(jwt2);
	json_decref(claims);
	json_decref(jwk);
	eid_jose_key_free(k);
	eid_jose_key_free(NULL);
}

static void test_public_jwk_shape(void)
{
	eid_jose_key *k;
	REQUIRE(eid_jose_key_new_es256(&k, NULL) == EID_OK);
	json_t *j = eid_jose_key_public_jwk(k);
	REQUIRE(json_is_object(j));
	CHECK(json_object_size(j) == 7);
	const char *want[][2] = {{"kty", "EC"}, {"crv", "P-256"}, {"use", "sig"}, {"alg", "ES256"}};
	for (size_t i = 0; i < 4; i++)
		CHECK(strcmp(json_string_value(json_object_get(j, want[i][0])), want[i][1]) == 0);
	const char *x = json_string_value(json_object_get(j, "x"));
	const char *y = json_string_value(json_object_get(j, "y"));
	const char *kid = json_string_value(json_object_get(j, "kid"));
	REQUIRE(x && y && kid);
	CHECK(strlen(x) == 43 && strlen(y) == 43 && strlen(kid) == 43);
	CHECK(strcmp(kid, eid_jose_key_kid(k)) == 0);
	char tp[44];
	thumbprint(x, y, tp);
	CHECK(strcmp(tp, kid) == 0);
	CHECK(eid_jose_jwk_check(j, NULL) == EID_OK);
	/* no private member leaks into it */
	CHECK(!json_object_get(j, "d"));
	json_decref(j);
	eid_jose_key_free(k);
}

/* ---- key files ------------------------------------------------------------------ */

static void test_key_file_round_trip(void)
{
	mode_t old = umask(0277); /* would give 0400 without the explicit chmod */
	eid_jose_key *k, *r = NULL;
	eid_err err;
	char p[128], buf[256];
	path_in(p, sizeof p, "op.key");
	REQUIRE(eid_jose_key_new_es256(&k, &err) == EID_OK);
	REQUIRE(eid_jose_key_write(k, p, &err) == EID_OK);
	umask(old);
	struct stat sb;
	REQUIRE(stat(p, &sb) == 0);
	CHECK((sb.st_mode & 07777) == 0600);
	size_t n = get_file(p, buf, sizeof buf);
	char head[128];
	snprintf(head, sizeof head, "eid-jose v1 es256 %s ", eid_jose_key_kid(k));
	CHECK(strncmp(buf, head, strlen(head)) == 0);
	CHECK(n == strlen(head) + 43 + 1 && buf[n - 1] == '\n');

	REQUIRE(eid_jose_key_read(p, &r, &err) == EID_OK);
	CHECK(strcmp(eid_jose_key_kid(r), eid_jose_key_kid(k)) == 0);
	/* the key read back signs for the original public key */
	json_t *jwk = eid_jose_key_public_jwk(k), *claims = parse("{\"a\":1}");
	char *jwt;
	REQUIRE(eid_jose_sign(r, claims, &jwt, &err) == EID_OK);
	CHECK(eid_jose_verify(jwt, jwk, NULL, NULL, &err) == EID_OK);
	free(jwt);

	/* never replaced */
	CHECK(eid_jose_key_write(k, p, &err) == EID_E_IO);
	CHECK(strstr(err.msg, "already exists") != NULL);
	eid_jose_key *again = NULL;
	CHECK(eid_jose_key_read(p, &again, &err) == EID_OK);
	CHECK(again && strcmp(eid_jose_key_kid(again), eid_jose_key_kid(k)) == 0);
	eid_jose_key_free(again);

	json_decref(claims);
	json_decref(jwk);
	eid_jose_key_free(r);
	eid_jose_key_free(k);
}

static void test_key_file_refusals(void)
{
	eid_jose_key *k, *r = (eid_jose_key *)&r;
	eid_jose_key *const sentinel = r;
	eid_err err;
	char p[128], link[128], dangling[128], buf[256];
	REQUIRE(eid_jose_key_new_es256(&k, &err) == EID_OK);
	path_in(p, sizeof p, "refuse.key");
	path_in(link, sizeof link, "link.key");
	path_in(dangling, sizeof dangling, "dangling.key");
	unlink(p);
	REQUIRE(eid_jose_key_write(k, p, &err) == EID_OK);
	size_t n = get_file(p, buf, sizeof buf);
	char scalar[44];
	memcpy(scalar, buf + n - 44, 43);
	scalar[43] = 0;

	/* symlinks: not read through, not written through */
	unlink(link);
	REQUIRE(symlink(p, link) == 0);
	CHECK(eid_jose_key_read(link, &r, &err) == EID_E_IO && r == sentinel);
	CHECK(strstr(err.msg, "symbolic link") != NULL);
	char target[128];
	path_in(target, sizeof target, "target-never-created");
	unlink(dangling);
	REQUIRE(symlink(target, dangling) == 0);
	CHECK(eid_jose_key_write(k, dangling, &err) == EID_E_IO);
	CHECK(access(target, F_OK) != 0);

	/* group or others may read or write: refused */
	mode_t modes[] = {0640, 0604, 0620, 0602, 0644};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		REQUIRE(chmod(p, modes[i]) == 0);
		CHECK(eid_jose_key_read(p, &r, &err) == EID_E_INVALID_ARG && r == sentinel);
	}
	REQUIRE(chmod(p, 0600) == 0);

	/* a directory, a missing file */
	CHECK(eid_jose_key_read(dir, &r, &err) == EID_E_IO);
	char missing[128];
	path_in(missing, sizeof missing, "missing.key");
	CHECK(eid_jose_key_read(missing, &r, &err) == EID_E_IO);

	/* garbled: each changed kid character, a changed scalar */
	char g[128], garbled[256];
	path_in(g, sizeof g, "garbled.key");
	size_t kid_at = strlen("eid-jose v1 es256 ");
	for (size_t i = 0; i < 43; i += 7) {
		memcpy(garbled, buf, n + 1);
		garbled[kid_at + i] = garbled[kid_at + i] == 'A' ? 'B' : 'A';
		put_file(g, garbled, n, 0600);
		CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT && r == sentinel);
	}
	memcpy(garbled, buf, n + 1);
	garbled[n - 10] = garbled[n - 10] == 'A' ? 'B' : 'A';
	put_file(g, garbled, n, 0600);
	CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT && r == sentinel);
	CHECK(strstr(err.msg, "garbled") != NULL);

	/* other shapes */
	const char *bad[] = {
	    "",
	    "eid-key v1 ed25519 abc def\n",
	    "eid-jose v2 es256 ",
	    "eid-jose v1 rs256 ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_file(g, bad[i], strlen(bad[i]), 0600);
		CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT);
	}
	/* two spaces, a trailing space, CRLF, no kid */
	const char *edits[] = {"  ", " \n", "\r\n"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(garbled, sizeof garbled, "%.*s%s", (int)(n - 1), buf, edits[i]);
		put_file(g, garbled, strlen(garbled), 0600);
		CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT);
	}
	/* a scalar of 0 and one of n (kid computed would not matter: refused first) */
	char zero[44], nn[44];
	uint8_t z[32] = {0};
	b64(z, 32, zero, sizeof zero);
	b64(P256_N, 32, nn, sizeof nn);
	const char *scalars[] = {zero, nn};
	for (size_t i = 0; i < 2; i++) {
		snprintf(garbled, sizeof garbled, "eid-jose v1 es256 %s %s\n", eid_jose_key_kid(k),
			 scalars[i]);
		put_file(g, garbled, strlen(garbled), 0600);
		CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT && r == sentinel);
		CHECK(strstr(err.msg, "scalar") != NULL);
	}
	/* longer than 4 KiB */
	char *huge = malloc(5000);
	REQUIRE(huge);
	memcpy(huge, buf, n);
	memset(huge + n, '\n', 5000 - n);
	put_file(g, huge, 5000, 0600);
	CHECK(eid_jose_key_read(g, &r, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "longer") != NULL);
	free(huge);

	/* no message quotes the scalar */
	CHECK(!strstr(err.msg, scalar));

	unlink(link);
	unlink(dangling);
	unlink(g);
	unlink(p);
	eid_jose_key_free(k);
}

/* A key file holding the RFC 7515 A.3 scalar gives the RFC's public key. */
static void test_key_file_known_scalar(void)
{
	char kid[44], line[160], p[128];
	thumbprint(A3_X, A3_Y, kid);
	snprintf(line, sizeof line, "eid-jose v1 es256 %s %s\n", kid, A3_D);
	path_in(p, sizeof p, "a3.key");
	put_file(p, line, strlen(line), 0600);
	eid_jose_key *k;
	eid_err err;
	REQUIRE(eid_jose_key_read(p, &k, &err) == EID_OK);
	CHECK(strcmp(eid_jose_key_kid(k), kid) == 0);
	json_t *j = eid_jose_key_public_jwk(k);
	CHECK(strcmp(json_string_value(json_object_get(j, "x")), A3_X) == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "y")), A3_Y) == 0);
	/* it signs tokens that the RFC's public key verifies */
	json_t *c = parse("{\"iss\":\"joe\"}"), *pub = a3_jwk();
	char *jwt;
	REQUIRE(eid_jose_sign(k, c, &jwt, &err) == EID_OK);
	CHECK(eid_jose_verify(jwt, pub, NULL, NULL, &err) == EID_OK);
	free(jwt);
	json_decref(c);
	json_decref(pub);
	json_decref(j);
	eid_jose_key_free(k);
	unlink(p);
}

/* ---- known answers -------------------------------------------------------------- */

static void test_rfc7515_a3(void)
{
	json_t *jwk = a3_jwk(), *h = NULL, *c = NULL;
	eid_err err;
	REQUIRE(eid_jose_verify(A3_JWS, jwk, &h, &c, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(h, "alg")), "ES256") == 0);
	CHECK(strcmp(json_string_value(json_object_get(c, "iss")), "joe") == 0);
	CHECK(json_integer_value(json_object_get(c, "exp")) == 1300819380);
	CHECK(json_is_true(json_object_get(c, "http://example.com/is_root")));
	json_decref(h);
	json_decref(c);

	/* each signature character changed: refused */
	char t[sizeof A3_JWS];
	size_t sig_at = strrchr(A3_JWS, '.') - A3_JWS + 1;
	for (size_t i = sig_at; i < sizeof A3_JWS - 2; i += 5) {
		memcpy(t, A3_JWS, sizeof t);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	}
	/* a public JWK carrying the private "d": refused as a key */
	json_object_set_new(jwk, "d", json_string(A3_D));
	CHECK(verify(A3_JWS, jwk, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "'d'") && !strstr(err.msg, A3_D));
	json_decref(jwk);
}

static void test_rfc8037_a4(void)
{
	/* the RFC's seed gives the RFC's public key */
	ed_key k;
	uint8_t seed[32], x[32];
	REQUIRE(unb64(A4_D, seed, 32) == 32 && unb64(A4_X, x, 32) == 32);
	crypto_sign_seed_keypair(k.pk, k.sk, seed);
	CHECK(memcmp(k.pk, x, 32) == 0);
	json_t *jwk = ed_jwk(&k, NULL);
	eid_err err;
	/* The A.4 payload is text, not a JSON object: the signature holds (the
	 * payload is looked at only after it), then the payload is refused. A
	 * changed signature is refused as a signature. */
	CHECK(verify(A4_JWS, jwk, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "payload") != NULL);
	char t[sizeof A4_JWS];
	memcpy(t, A4_JWS, sizeof t);
	t[sizeof t - 5] ^= 1;
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	/* Ed25519 is deterministic: the RFC's key over the same input gives the
	 * RFC's signature */
	char *mine = make_jws("{\"alg\":\"EdDSA\"}", "Example of Ed25519 signing", ed_sign, &k);
	CHECK(strcmp(mine, A4_JWS) == 0);
	free(mine);
	/* and a JSON payload under that key verifies */
	mine = make_jws("{\"alg\":\"EdDSA\",\"kid\":\"k1\"}", "{\"sub\":\"x\"}", ed_sign, &k);
	CHECK(verify(mine, jwk, &err) == EID_OK);
	free(mine);
	json_decref(jwk);
}

/* ---- other algorithms ------------------------------------------------------------ */

static void test_eddsa(void)
{
	ed_key k, other;
	crypto_sign_keypair(k.pk, k.sk);
	crypto_sign_keypair(other.pk, other.sk);
	json_t *jwk = ed_jwk(&k, "ed-1"), *jwk_other = ed_jwk(&other, "ed-1");
	eid_err err;
	char *t = make_jws("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}", "{\"iss\":\"rp\"}", ed_sign, &k);
	CHECK(verify(t, jwk, &err) == EID_OK);
	CHECK(verify(t, jwk_other, &err) == EID_E_DENIED);
	/* JWK alg member, when present, must be EdDSA */
	json_object_set_new(jwk, "alg", json_string("EdDSA"));
	CHECK(verify(t, jwk, &err) == EID_OK);
	json_object_set_new(jwk, "alg", json_string("ES256"));
	CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
	free(t);
	/* header alg ES256 over an OKP key */
	t = make_jws("{\"alg\":\"ES256\"}", "{}", ed_sign, &k);
	json_object_del(jwk, "alg");
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	free(t);
	json_decref(jwk);
	json_decref(jwk_other);
}

static void test_rs256(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	REQUIRE(rsa && small);
	json_t *jwk = rsa_jwk(rsa), *jwk_small = rsa_jwk(small);
	eid_err err;
	CHECK(eid_jose_jwk_check(jwk, &err) == EID_OK);
	char *t = make_jws("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "{\"iss\":\"rp\",\"aud\":\"op\"}",
			   rsa_sign, rsa);
	CHECK(verify(t, jwk, &err) == EID_OK);
	/* tampered payload */
	char *dot = strchr(t, '.');
	dot[3] ^= 1;
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	dot[3] ^= 1;
	/* truncated signature: wrong length */
	char *cut = strdup(t);
	cut[strlen(cut) - 4] = 0;
	CHECK(verify(cut, jwk, &err) == EID_E_FORMAT);
	free(cut);
	free(t);
	/* a 1024-bit key is refused as a key, whatever it signed */
	t = make_jws("{\"alg\":\"RS256\"}", "{}", rsa_sign, small);
	CHECK(verify(t, jwk_small, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "'n'") != NULL);
	free(t);
	/* ES256 and EdDSA headers over an RSA key */
	uint8_t sig[64] = {1};
	t = make_jws("{\"alg\":\"ES256\"}", "{}", fixed_sig, sig);
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	free(t);
	/* RS256 header over an EC key */
	t = make_jws("{\"alg\":\"RS256\"}", "{}", rsa_sign, rsa);
	json_t *ec = a3_jwk();
	CHECK(verify(t, ec, &err) == EID_E_DENIED);
	json_decref(ec);
	free(t);

	/* e = 1, e even, e with a leading zero, n with a leading zero, n even */
	const char *es[] = {"AQ", "AAE", "Ag", "AAEAAQ"};
	for (size_t i = 0; i < 4; i++) {
		json_t *j = json_deep_copy(jwk);
		json_object_set_new(j, "e", json_string(es[i]));
		CHECK(eid_jose_jwk_check(j, &err) == EID_E_FORMAT);
		json_decref(j);
	}
	uint8_t nb[300];
	size_t nl = unb64(json_string_value(json_object_get(jwk, "n")), nb + 1, sizeof nb - 1);
	nb[0] = 0;
	char ns[420];
	b64(nb, nl + 1, ns, sizeof ns);
	json_t *j = json_deep_copy(jwk);
	json_object_set_new(j, "n", json_string(ns));
	CHECK(eid_jose_jwk_check(j, &err) == EID_E_FORMAT);
	nb[nl] &= 0xfe;
	b64(nb + 1, nl, ns, sizeof ns);
	json_object_set_new(j, "n", json_string(ns));
	CHECK(eid_jose_jwk_check(j, &err) == EID_E_FORMAT);
	json_decref(j);

	json_decref(jwk);
	json_decref(jwk_small);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(small);
}

/* ---- refusals ---------------------------------------------------------------------- */

static void test_tampered_es256(void)
{
	eid_jose_key *k;
	eid_err err;
	REQUIRE(eid_jose_key_new_es256(&k, &err) == EID_OK);
	json_t *jwk = eid_jose_key_public_jwk(k), *claims = parse("{\"sub\":\"a\",\"exp\":1}");
	char *jwt;
	REQUIRE(eid_jose_sign(k, claims, &jwt, &err) == EID_OK);
	const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');

	/* another header, same payload and signature */
	char hb[128], t[1024];
	const char *h2 = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}";
	b64(h2, strlen(h2), hb, sizeof hb);
	snprintf(t, sizeof t, "%s%s", hb, d1);
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	/* another payload */
	char pb[128];
	const char *p2 = "{\"sub\":\"b\",\"exp\":1}";
	b64(p2, strlen(p2), pb, sizeof pb);
	snprintf(t, sizeof t, "%.*s.%s%s", (int)(d1 - jwt), jwt, pb, d2);
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	/* one bit of the signature */
	uint8_t sig[64];
	REQUIRE(unb64(d2 + 1, sig, sizeof sig) == 64);
	for (int i = 0; i < 64; i += 9) {
		uint8_t s2[64];
		memcpy(s2, sig, 64);
		s2[i] ^= 0x10;
		char sb[100];
		b64(s2, 64, sb, sizeof sb);
		snprintf(t, sizeof t, "%.*s.%s", (int)(d2 - jwt), jwt, sb);
		CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	}
	/* r or s zero, equal to n, all ones */
	uint8_t cases[6][64];
	memcpy(cases[0], sig, 64), memset(cases[0], 0, 32);
	memcpy(cases[1], sig, 64), memset(cases[1] + 32, 0, 32);
	memcpy(cases[2], sig, 64), memcpy(cases[2], P256_N, 32);
	memcpy(cases[3], sig, 64), memcpy(cases[3] + 32, P256_N, 32);
	memcpy(cases[4], sig, 64), memset(cases[4], 0xff, 32);
	memset(cases[5], 0, 64);
	for (int i = 0; i < 6; i++) {
		char sb[100];
		b64(cases[i], 64, sb, sizeof sb);
		snprintf(t, sizeof t, "%.*s.%s", (int)(d2 - jwt), jwt, sb);
		CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	}
	/* (r, n - s) is the same signature's twin, valid too: not a forgery */
	BIGNUM *bn = BN_bin2bn(P256_N, 32, NULL), *bs = BN_bin2bn(sig + 32, 32, NULL);
	REQUIRE(bn && bs && BN_sub(bs, bn, bs) == 1);
	uint8_t twin[64];
	memcpy(twin, sig, 32);
	REQUIRE(BN_bn2binpad(bs, twin + 32, 32) == 32);
	BN_free(bn);
	BN_free(bs);
	char tb[100];
	b64(twin, 64, tb, sizeof tb);
	snprintf(t, sizeof t, "%.*s.%s", (int)(d2 - jwt), jwt, tb);
	CHECK(verify(t, jwk, &err) == EID_OK);
	/* the signature as DER (what OpenSSL emits) or of the wrong size */
	size_t sizes[] = {63, 65, 70, 72, 0};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t s2[72] = {0x30, 0x44};
		memcpy(s2 + 2, sig, sizes[i] > 2 ? (sizes[i] - 2 < 64 ? sizes[i] - 2 : 64) : 0);
		char sb[120];
		b64(s2, sizes[i], sb, sizeof sb);
		snprintf(t, sizeof t, "%.*s.%s", (int)(d2 - jwt), jwt, sb);
		CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
	}
	free(jwt);
	json_decref(claims);
	json_decref(jwk);
	eid_jose_key_free(k);
}

static void test_refused_algs_and_headers(void)
{
	ed_key k;
	crypto_sign_keypair(k.pk, k.sk);
	json_t *jwk = ed_jwk(&k, "kid-1");
	eid_err err;
	struct {
		const char *header, *payload;
		eid_status want;
	} cases[] = {
	    {"{\"alg\":\"none\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"HS256\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"RS512\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"eddsa\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"Ed25519\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"ES256\"}", "{}", EID_E_DENIED}, /* does not fit an OKP key */
	    {"{\"alg\":\"EdDSA\",\"crit\":[\"b64\"],\"b64\":false}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"EdDSA\",\"crit\":[]}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"EdDSA\",\"kid\":\"kid-2\"}", "{}", EID_E_DENIED},
	    {"{\"alg\":\"EdDSA\",\"kid\":7}", "{}", EID_E_FORMAT},
	    {"{\"typ\":\"JWT\"}", "{}", EID_E_FORMAT},
	    {"{\"alg\":[\"EdDSA\"]}", "{}", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", "{}", EID_E_FORMAT},
	    {"[\"EdDSA\"]", "{}", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"} x", "{}", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"}", "{\"a\":1,\"a\":2}", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"}", "[1]", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"}", "", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"}", "{\"a\":\"\xff\"}", EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\"}",
	     "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]"
	     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	     EID_E_FORMAT},
	    {"{\"alg\":\"EdDSA\",\"kid\":\"kid-1\",\"typ\":\"JWT\"}", "{\"ok\":true}", EID_OK},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = make_jws(cases[i].header, cases[i].payload, ed_sign, &k);
		eid_status st = verify(t, jwk, &err);
		if (st != cases[i].want)
			fprintf(stderr, "  case %zu: got %d, want %d (%s)\n", i, st, cases[i].want,
				err.msg);
		CHECK(st == cases[i].want);
		free(t);
	}
	/* "alg":"none" with an empty signature */
	char hb[64], t[256];
	b64("{\"alg\":\"none\"}", 14, hb, sizeof hb);
	snprintf(t, sizeof t, "%s.e30.", hb);
	CHECK(verify(t, jwk, &err) == EID_E_DENIED);
	json_decref(jwk);
}

static void test_malformed_structure(void)
{
	ed_key k;
	crypto_sign_keypair(k.pk, k.sk);
	json_t *jwk = ed_jwk(&k, NULL);
	eid_err err;
	char *good = make_jws("{\"alg\":\"EdDSA\"}", "{\"a\":1}", ed_sign, &k);
	REQUIRE(verify(good, jwk, &err) == EID_OK);
	size_t n = strlen(good);
	char *t = malloc(n + 8);
	REQUIRE(t);
	const char *d1 = strchr(good, '.');
	size_t h = (size_t)(d1 - good);

	CHECK(verify("", jwk, &err) == EID_E_FORMAT);
	CHECK(verify("..", jwk, &err) == EID_E_FORMAT);
	CHECK(verify("a.b", jwk, &err) == EID_E_FORMAT);
	snprintf(t, n + 8, "%s.", good); /* four parts */
	CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
	snprintf(t, n + 8, "%s.AA", good);
	CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
	/* padding, the other alphabet, white space, a stray character */
	const char *inserts[] = {"=", "==", "+", "/", " ", "\n", "*"};
	for (size_t i = 0; i < sizeof inserts / sizeof inserts[0]; i++) {
		/* at the end of the header, of the payload, of the signature */
		snprintf(t, n + 8, "%.*s%s%s", (int)h, good, inserts[i], good + h);
		CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
		snprintf(t, n + 8, "%s%s", good, inserts[i]);
		CHECK(verify(t, jwk, &err) == EID_E_FORMAT);
	}
	/* non-zero unused bits in the last character of the signature (86
	 * characters carry 64 bytes and 4 spare bits) */
	strcpy(t, good);
	char *last = t + n - 1;
	REQUIRE(strchr("AQgw", *last)); /* spare bits zero: values 0, 16, 32, 48 */
	*last = (char)(*last + 1);      /* B, R, h or x: the lowest spare bit set */
	CHECK(verify(t, jwk, &err) == EID_E_FORMAT);

	/* over 16 KiB: refused before anything is decoded */
	char *big = malloc(EID_JOSE_JWT_MAX + 2);
	REQUIRE(big);
	memset(big, 'A', EID_JOSE_JWT_MAX + 1);
	big[10] = '.';
	big[20] = '.';
	big[EID_JOSE_JWT_MAX + 1] = 0;
	CHECK(verify(big, jwk, &err) == EID_E_LIMIT);
	free(big);

	/* arguments */
	CHECK(eid_jose_verify(NULL, jwk, NULL, NULL, &err) == EID_E_INVALID_ARG);
	CHECK(eid_jose_verify(good, NULL, NULL, NULL, &err) == EID_E_INVALID_ARG);
	free(t);
	free(good);
	json_decref(jwk);
}

/* ---- JWK and JWKS -------------------------------------------------------------------- */

static void test_jwk_check(void)
{
	eid_err err;
	json_t *ok = a3_jwk();
	CHECK(eid_jose_jwk_check(ok, &err) == EID_OK);
	/* y of another point: not on the curve */
	json_t *j = json_deep_copy(ok);
	json_object_set_new(j, "y", json_string(A3_X));
	CHECK(eid_jose_jwk_check(j, &err) == EID_E_FORMAT);
	json_decref(j);

	struct {
		const char *member;
		json_t *value; /* NULL: delete the member */
	} edits[] = {
	    {"kty", json_string("oct")},
	    {"kty", NULL},
	    {"kty", json_integer(1)},
	    {"crv", json_string("P-384")},
	    {"crv", NULL},
	    {"x", json_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE")},
	    {"x", json_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=")},
	    {"x", json_string("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEV")},
	    {"x", json_integer(5)},
	    {"y", NULL},
	    {"use", json_string("enc")},
	    {"use", json_true()},
	    {"alg", json_string("RS256")},
	    {"alg", json_string("none")},
	    {"key_ops", json_string("verify")},
	    {"key_ops", json_pack("[s]", "sign")},
	    {"key_ops", json_pack("[s,i]", "verify", 1)},
	    {"kid", json_string("")},
	    {"kid", json_string("has space")},
	    {"kid", json_string("tab\there")},
	    {"kid", json_integer(3)},
	    {"d", json_string(A3_D)},
	    {"p", json_string("AQAB")},
	    {"k", json_string("AQAB")},
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		j = json_deep_copy(ok);
		if (edits[i].value)
			json_object_set_new(j, edits[i].member, edits[i].value);
		else
			json_object_del(j, edits[i].member);
		eid_status st = eid_jose_jwk_check(j, &err);
		if (st != EID_E_FORMAT)
			fprintf(stderr, "  edit %zu (%s) accepted\n", i, edits[i].member);
		CHECK(st == EID_E_FORMAT);
		json_decref(j);
	}
	/* optional members that are fine */
	j = json_deep_copy(ok);
	json_object_set_new(j, "use", json_string("sig"));
	json_object_set_new(j, "alg", json_string("ES256"));
	json_object_set_new(j, "key_ops", json_pack("[s]", "verify"));
	json_object_set_new(j, "kid", json_string("2024-01"));
	json_object_set_new(j, "x5t#S256", json_string("whatever"));
	CHECK(eid_jose_jwk_check(j, &err) == EID_OK);
	json_decref(j);
	/* OKP: Ed25519 only, 32 bytes */
	json_t *okp = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", A4_X);
	CHECK(eid_jose_jwk_check(okp, &err) == EID_OK);
	json_object_set_new(okp, "crv", json_string("X25519"));
	CHECK(eid_jose_jwk_check(okp, &err) == EID_E_FORMAT);
	json_object_set_new(okp, "crv", json_string("Ed25519"));
	json_object_set_new(okp, "x", json_string("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"));
	CHECK(eid_jose_jwk_check(okp, &err) == EID_E_FORMAT);
	/* small-order points (the identity, order 2): not public keys */
	uint8_t small[2][32] = {{1}, {0}};
	small[1][0] = 0xec, memset(small[1] + 1, 0xff, 30), small[1][31] = 0x7f;
	for (int i = 0; i < 2; i++) {
		char xs[44];
		b64(small[i], 32, xs, sizeof xs);
		json_object_set_new(okp, "x", json_string(xs));
		CHECK(eid_jose_jwk_check(okp, &err) == EID_E_FORMAT);
	}
	json_decref(okp);
	json_t *arr = json_array();
	CHECK(eid_jose_jwk_check(arr, &err) == EID_E_FORMAT);
	CHECK(eid_jose_jwk_check(NULL, &err) == EID_E_FORMAT);
	json_decref(arr);
	json_decref(ok);
}

static void test_jwks_check_and_select(void)
{
	eid_err err;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	REQUIRE(rsa);
	json_t *ec = a3_jwk();
	json_object_set_new(ec, "kid", json_string("ec-1"));
	json_t *okp = json_pack("{s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", A4_X,
				"kid", "ed-1");
	json_t *rs = rsa_jwk(rsa); /* no kid */
	json_t *jwks = json_pack("{s:[O,O,O]}", "keys", ec, okp, rs);
	CHECK(eid_jose_jwks_check(jwks, &err) == EID_OK);

	const json_t *got = NULL;
	CHECK(eid_jose_jwk_select(jwks, "ec-1", NULL, &got, &err) == EID_OK && got == ec);
	CHECK(eid_jose_jwk_select(jwks, "ec-1", "ES256", &got, &err) == EID_OK && got == ec);
	CHECK(eid_jose_jwk_select(jwks, "ed-1", "EdDSA", &got, &err) == EID_OK && got == okp);
	CHECK(eid_jose_jwk_select(jwks, NULL, "RS256", &got, &err) == EID_OK && got == rs);
	CHECK(eid_jose_jwk_select(jwks, NULL, "ES256", &got, &err) == EID_OK && got == ec);
	got = NULL;
	CHECK(eid_jose_jwk_select(jwks, "ed-1", "ES256", &got, &err) == EID_E_NOT_FOUND && !got);
	CHECK(eid_jose_jwk_select(jwks, "nope", NULL, &got, &err) == EID_E_NOT_FOUND);
	CHECK(eid_jose_jwk_select(jwks, NULL, "HS256", &got, &err) == EID_E_DENIED);
	CHECK(eid_jose_jwk_select(jwks, "ec-1", "none", &got, &err) == EID_E_DENIED);
	CHECK(eid_jose_jwk_select(jwks, NULL, NULL, &got, &err) == EID_E_INVALID_ARG);
	CHECK(!got);

	/* a second EC key: without a kid the choice is ambiguous */
	eid_jose_key *k2;
	REQUIRE(eid_jose_key_new_es256(&k2, &err) == EID_OK);
	json_t *ec2 = eid_jose_key_public_jwk(k2);
	json_array_append(json_object_get(jwks, "keys"), ec2);
	CHECK(eid_jose_jwks_check(jwks, &err) == EID_OK);
	CHECK(eid_jose_jwk_select(jwks, NULL, "ES256", &got, &err) == EID_E_NOT_FOUND);
	CHECK(eid_jose_jwk_select(jwks, eid_jose_key_kid(k2), "ES256", &got, &err) == EID_OK &&
	      got == ec2);

	/* kids must be unique */
	json_object_set_new(ec2, "kid", json_string("ec-1"));
	CHECK(eid_jose_jwks_check(jwks, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "'kid'") && strstr(err.msg, "[3]"));
	/* an invalid key: the check names it; select refuses it when picked */
	json_object_set_new(ec2, "kid", json_string("ec-2"));
	json_object_set_new(ec2, "use", json_string("enc"));
	CHECK(eid_jose_jwks_check(jwks, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "[3]") && strstr(err.msg, "'use'"));
	CHECK(eid_jose_jwk_select(jwks, "ec-2", NULL, &got, &err) == EID_E_FORMAT);
	CHECK(eid_jose_jwk_select(jwks, "ec-1", NULL, &got, &err) == EID_OK && got == ec);

	/* sizes and shapes */
	json_t *keys = json_array();
	json_t *empty = json_pack("{s:O}", "keys", keys);
	CHECK(eid_jose_jwks_check(empty, &err) == EID_E_FORMAT);
	for (int i = 0; i < 11; i++)
		json_array_append(keys, okp);
	CHECK(eid_jose_jwks_check(empty, &err) == EID_E_FORMAT); /* 11 keys */
	json_array_remove(keys, 0);
	CHECK(eid_jose_jwks_check(empty, &err) == EID_E_FORMAT); /* 10, same kid */
	json_t *one = json_pack("{s:[O]}", "keys", okp);
	CHECK(eid_jose_jwks_check(one, &err) == EID_OK);
	json_t *notobj = json_pack("[O]", okp), *nokeys = json_pack("{s:O}", "key", okp);
	CHECK(eid_jose_jwks_check(notobj, &err) == EID_E_FORMAT);
	CHECK(eid_jose_jwks_check(nokeys, &err) == EID_E_FORMAT);
	CHECK(eid_jose_jwk_select(nokeys, "ed-1", NULL, &got, &err) == EID_E_FORMAT);

	json_decref(one);
	json_decref(notobj);
	json_decref(nokeys);
	json_decref(empty);
	json_decref(keys);
	json_decref(ec2);
	eid_jose_key_free(k2);
	json_decref(jwks);
	json_decref(ec);
	json_decref(okp);
	json_decref(rs);
	EVP_PKEY_free(rsa);
}

/* A client assertion end to end: JWKS at registration, key picked by the
 * token's kid, verified. */
static void test_select_then_verify(void)
{
	ed_key k;
	crypto_sign_keypair(k.pk, k.sk);
	json_t *okp = ed_jwk(&k, "client-key");
	json_t *jwks = json_pack("{s:[O]}", "keys", okp);
	eid_err err;
	REQUIRE(eid_jose_jwks_check(jwks, &err) == EID_OK);
	char *t =
	    make_jws("{\"alg\":\"EdDSA\",\"kid\":\"client-key\"}",
		     "{\"iss\":\"rp\",\"sub\":\"rp\",\"aud\":\"https://op/token\"}", ed_sign, &k);
	const json_t *key;
	REQUIRE(eid_jose_jwk_select(jwks, "client-key", "EdDSA", &key, &err) == EID_OK);
	json_t *claims = NULL;
	CHECK(eid_jose_verify(t, key, NULL, &claims, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(claims, "aud")), "https://op/token") == 0);
	json_decref(claims);
	free(t);
	json_decref(jwks);
	json_decref(okp);
}

/* Peeking reads header and claims without a key (a forged signature too:
 * the caller still verifies), with the verifier's limits on the parts. */
static void test_peek(void)
{
	ed_key k;
	crypto_sign_keypair(k.pk, k.sk);
	char *t = make_jws("{\"alg\":\"EdDSA\",\"kid\":\"client-key\"}", "{\"iss\":\"rp\"}",
			   ed_sign, &k);
	json_t *h, *c;
	eid_err err;
	REQUIRE(eid_jose_peek(t, &h, &c, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(h, "kid")), "client-key") == 0);
	CHECK(strcmp(json_string_value(json_object_get(c, "iss")), "rp") == 0);
	json_decref(h);
	json_decref(c);
	char *last = t + strlen(t) - 2; /* another signature: still read */
	*last = *last == 'A' ? 'B' : 'A';
	REQUIRE(eid_jose_peek(t, &h, &c, &err) == EID_OK);
	json_decref(h);
	json_decref(c);
	free(t);
	/* two parts; a payload that is not base64url; one nesting too deep */
	CHECK(eid_jose_peek("e30.e30", &h, &c, &err) == EID_E_FORMAT && !h && !c);
	CHECK(eid_jose_peek("e30.e3*.e30", &h, &c, &err) == EID_E_FORMAT && !h && !c);
	char deep[512] = "{\"a\":"; /* valid JSON, 101 levels deep */
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	for (int i = 0; i < 100; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	t = make_jws("{\"alg\":\"EdDSA\"}", deep, ed_sign, &k);
	CHECK(eid_jose_peek(t, &h, &c, &err) == EID_E_FORMAT && !h && !c);
	free(t);
	/* over the size limit */
	char *big = malloc(EID_JOSE_JWT_MAX + 2);
	REQUIRE(big);
	memset(big, 'A', EID_JOSE_JWT_MAX + 1);
	big[10] = big[20] = '.';
	big[EID_JOSE_JWT_MAX + 1] = 0;
	CHECK(eid_jose_peek(big, &h, &c, &err) == EID_E_LIMIT && !h && !c);
	free(big);
}

/* ---- PKCE, tokens --------------------------------------------------------------------- */

static void test_pkce(void)
{
	const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	const char *c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
	CHECK(eid_jose_pkce_s256_ok(v, c) == 1);
	CHECK(eid_jose_pkce_s256_ok(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN") == 0);
	CHECK(eid_jose_pkce_s256_ok(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=") == 0);
	CHECK(eid_jose_pkce_s256_ok(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c") == 0);
	CHECK(eid_jose_pkce_s256_ok(v, v) == 0); /* "plain" is not accepted */
	CHECK(eid_jose_pkce_s256_ok(NULL, c) == 0);
	CHECK(eid_jose_pkce_s256_ok(v, NULL) == 0);
	CHECK(eid_jose_pkce_s256_ok(v, "") == 0);

	/* lengths 42 and 129 refused, 43 and 128 accepted; the alphabet */
	char ver[140], ch[44];
	for (size_t len = 42; len <= 129; len++) {
		for (size_t i = 0; i < len; i++)
			ver[i] = "aZ09-._~"[i % 8];
		ver[len] = 0;
		uint8_t h[32];
		crypto_hash_sha256(h, (const uint8_t *)ver, len);
		b64(h, 32, ch, sizeof ch);
		CHECK(eid_jose_pkce_s256_ok(ver, ch) == (len >= 43 && len <= 128));
	}
	const char bad[] = {'+', '/', '=', ' ', '%', '!', '\x80'};
	for (size_t i = 0; i < sizeof bad; i++) {
		memset(ver, 'a', 50);
		ver[50] = 0;
		ver[20] = bad[i];
		uint8_t h[32];
		crypto_hash_sha256(h, (const uint8_t *)ver, 50);
		b64(h, 32, ch, sizeof ch);
		CHECK(eid_jose_pkce_s256_ok(ver, ch) == 0);
	}
}

static void test_random_token(void)
{
	char a[EID_JOSE_TOKEN_LEN + 1], b[EID_JOSE_TOKEN_LEN + 1];
	eid_jose_random_token(a);
	eid_jose_random_token(b);
	CHECK(strlen(a) == 43 && strlen(b) == 43);
	CHECK(strcmp(a, b) != 0);
	uint8_t bin[32];
	CHECK(eid_b64url_decode_exact(a, 43, bin, 32, NULL) == EID_OK);
}

static void test_setup(void)
{
	tmpdir_make("eid-jose");
}

static void test_cleanup(void)
{
	static const char *const names[] = {"op.key",	    "refuse.key",  "link.key",
					    "dangling.key", "garbled.key", "a3.key"};
	tmpdir_remove(names, sizeof names / sizeof names[0]);
}

TEST_MAIN(test_setup, test_sign_verify_round_trip, test_public_jwk_shape, test_key_file_round_trip,
	  test_key_file_refusals, test_key_file_known_scalar, test_rfc7515_a3, test_rfc8037_a4,
	  test_eddsa, test_rs256, test_tampered_es256, test_refused_algs_and_headers,
	  test_malformed_structure, test_jwk_check, test_jwks_check_and_select,
	  test_select_then_verify, test_peek, test_pkce, test_random_token, test_cleanup)
