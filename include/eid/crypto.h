/* eid/crypto.h — the platform's cryptography: policy over libsodium.
 *
 * Nothing here is home-made: every primitive is libsodium's; this module only
 * fixes which primitives are used, how they are composed, the byte and text
 * formats, and the checks at the boundary (docs/crypto.md explains each).
 *
 *   keys       Ed25519 (signing), X25519 (sealing), KEK (templates at rest) and
 *              pairwise (pseudonym) keys; key ids; 0600 key files
 *   sealing    a capture sealed by the app to the authority's X25519 key, bound
 *              to caller-chosen associated data (request id, nonce, expiry)
 *   signing    detached Ed25519 over bytes, and over canonical JSON objects
 *              carrying {"sig": {"alg", "kid", "sig"}}
 *   passcodes  eight digits, Argon2id (libsodium's INTERACTIVE cost)
 *   KEK        XChaCha20-Poly1305 with a random nonce, for data at rest
 *   pseudonym  BLAKE2b keyed with a secret over (person id, relying party id)
 *   encoding   base64url without padding, random identifiers
 *
 * Usage (error handling shortened; every eid_status must be checked):
 *
 *   eid_err err;
 *   if (eid_crypto_init(&err)) ...                       // once, any thread
 *   eid_key *auth;                                       // the authority's
 *   st = eid_key_new(EID_KEY_X25519, &auth, &err);
 *   st = eid_key_write(auth, "authority.seal.key", &err);  // 0600, no overwrite
 *   const eid_pubkey *pub = eid_key_pub(auth);           // publish pub->key, pub->kid
 *
 *   // app: seal the capture to the authority, bound to the request
 *   uint8_t *blob = malloc(cap_len + EID_SEAL_OVERHEAD);  size_t blob_len;
 *   st = eid_seal(pub, ad, ad_len, capture, cap_len, blob, cap_len + EID_SEAL_OVERHEAD,
 *                 &blob_len, &err);
 *   // authority: open it with the same ad (else EID_E_FORMAT)
 *   st = eid_unseal(auth, ad, ad_len, blob, blob_len, plain, plain_cap, &plain_len, &err);
 *
 *   st = eid_sign_json(signer, result_obj, &err);        // adds "sig"
 *   eid_keyring ring = {published_keys, n_published};
 *   st = eid_verify_json(result_obj, eid_keyring_lookup, &ring, NULL, &err);
 *   eid_key_free(auth);                                  // wipes the secret
 *
 * Ownership: an eid_key is an opaque heap object from eid_key_new,
 * eid_key_from_secret or eid_key_read, released with eid_key_free (accepts
 * NULL). Its secret lives in sodium_malloc'ed memory (guard pages, read-only
 * after creation, wiped on free) and never leaves this module except in a key
 * file. A key is immutable, so one key may be used by many threads at once.
 * eid_pubkey and eid_keyring are plain caller-owned values with no secrets.
 * Every other output goes to buffers the caller provides, with an explicit
 * capacity; nothing returned needs freeing. Plaintexts handed back (unsealed
 * captures, decrypted templates) are the caller's to wipe (sodium_memzero).
 *
 * Errors: bad outside input and failed authentication (wrong key, changed
 * associated data, tampered bytes, bad signature) return EID_E_FORMAT with a
 * message saying which check failed; wrong arguments from the program
 * (wrong key type, buffer too small, passcode not eight digits, key file
 * readable by others) return EID_E_INVALID_ARG; files EID_E_IO; allocation
 * EID_E_NOMEM. Messages never contain secret bytes, passcodes or plaintexts.
 */
#ifndef EID_CRYPTO_H
#define EID_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

struct json_t; /* jansson's json_t */

/* ---- sizes (checked against libsodium's constants in src/crypto) -------- */

#define EID_KEY_BYTES         32  /* public keys; the secret stored in a key file */
#define EID_SIG_BYTES         64  /* Ed25519 detached signature */
#define EID_SIG_B64_LEN       86  /* its base64url length */
#define EID_KID_BYTES         12  /* key id: first 12 bytes of a BLAKE2b-256 */
#define EID_KID_LEN           16  /* key id as base64url text */
#define EID_PUBKEY_B64_LEN    43  /* a 32-byte key as base64url text */
#define EID_PUBKEY_TEXT_MAX   96  /* buffer for eid_pubkey_format, NUL included */
#define EID_RANDOM_ID_BYTES   16  /* random bytes in an identifier */
#define EID_RANDOM_ID_LEN     22  /* 16 random bytes as base64url text */
#define EID_SEAL_VERSION      1   /* first byte of a sealed blob */
#define EID_SEAL_OVERHEAD     73  /* version 1 + ephemeral key 32 + nonce 24 + tag 16 */
#define EID_KEK_OVERHEAD      40  /* nonce 24 + tag 16 */
#define EID_PASSCODE_LEN      8   /* digits, exactly */
#define EID_PASSCODE_HASH_MAX 128 /* Argon2id string, NUL included */
#define EID_PSEUDONYM_LEN     43  /* 32 bytes as base64url text */

/* Base64url text length (no padding, no NUL) of n bytes. */
#define EID_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* ---- init, randomness, comparison ---------------------------------------- */

/* Initialises libsodium. Idempotent and thread-safe; every other function that
 * returns a status also calls it, so an explicit call only moves the one-time
 * cost (and a failure) to start-up. Fails with EID_E_INTERNAL if libsodium
 * cannot initialise (no randomness source). */
EID_MUST_CHECK eid_status eid_crypto_init(eid_err *err);

/* Fills buf with len bytes from the operating system's CSPRNG (cannot fail). */
void eid_crypto_random(void *buf, size_t len);

/* Writes a fresh identifier, 16 random bytes as base64url (22 characters),
 * NUL-terminated, to out (at least EID_RANDOM_ID_LEN + 1 bytes). Use for
 * request ids, session ids, nonces that travel as text. */
void eid_crypto_random_id(char *out);

/* Constant-time equality of two len-byte buffers (sodium_memcmp): time does not
 * depend on where they differ. Use for tags, tokens, hashes of secrets. */
bool eid_crypto_equal(const void *a, const void *b, size_t len);

/* ---- base64url (RFC 4648 §5, no padding) -------------------------------- */

/* Encodes bin[0..bin_len) into out as base64url text, NUL-terminated.
 * out_cap must be at least EID_B64URL_LEN(bin_len) + 1, else
 * EID_E_INVALID_ARG. */
EID_MUST_CHECK eid_status eid_b64url_encode(const uint8_t *bin, size_t bin_len, char *out,
					    size_t out_cap, eid_err *err);

/* Decodes txt[0..txt_len) (no NUL needed; no padding, no whitespace) into out;
 * the byte count goes to *out_len. Strict: any character outside [A-Za-z0-9-_],
 * an impossible length (4k+1) or non-zero unused trailing bits fail with
 * EID_E_FORMAT (the message gives the offset, never the text). A too small
 * out_cap fails with EID_E_INVALID_ARG. */
EID_MUST_CHECK eid_status eid_b64url_decode(const char *txt, size_t txt_len, uint8_t *out,
					    size_t out_cap, size_t *out_len, eid_err *err);

/* Like eid_b64url_decode but the text must decode to exactly n bytes
 * (EID_E_FORMAT otherwise, with both lengths in the message). */
EID_MUST_CHECK eid_status eid_b64url_decode_exact(const char *txt, size_t txt_len, uint8_t *out,
						  size_t n, eid_err *err);

/* ---- keys ---------------------------------------------------------------- */

/* Each type has one purpose; a key file names its type and reading it as
 * another type fails, so one secret is never used for two purposes. */
typedef enum eid_key_type {
	EID_KEY_ED25519 = 1, /* signatures: authority results and cards, devices */
	EID_KEY_X25519 = 2,  /* sealing: the authority's capture key */
	EID_KEY_KEK = 3,     /* symmetric: encrypts templates at rest */
	EID_KEY_PAIRWISE = 4 /* symmetric: derives pairwise pseudonyms */
} eid_key_type;

/* The public half of an Ed25519 or X25519 key, with its key id.
 * Key id = base64url(first 12 bytes of BLAKE2b-256(key)), 16 characters: the
 * hash of the 32 raw public key bytes, unkeyed, nothing else hashed. */
typedef struct eid_pubkey {
	eid_key_type type;          /* EID_KEY_ED25519 or EID_KEY_X25519 */
	uint8_t key[EID_KEY_BYTES]; /* raw public key (JWK "x" of OKP keys) */
	char kid[EID_KID_LEN + 1];  /* NUL-terminated */
} eid_pubkey;

typedef struct eid_key eid_key;

/* "ed25519", "x25519", "kek", "pairwise" ("?" for anything else). */
const char *eid_key_type_name(eid_key_type type);

/* Generates a fresh key of the given type. */
EID_MUST_CHECK eid_status eid_key_new(eid_key_type type, eid_key **out, eid_err *err);

/* Builds a key from its 32-byte secret (the Ed25519 seed; the X25519 scalar;
 * the symmetric key). For tests with fixed vectors and for key files. */
EID_MUST_CHECK eid_status eid_key_from_secret(eid_key_type type, const uint8_t *secret, size_t len,
					      eid_key **out, eid_err *err);

/* Wipes and frees the key. Accepts NULL. */
void eid_key_free(eid_key *k);

eid_key_type eid_key_get_type(const eid_key *k);

/* The key's id (16 characters, NUL-terminated, valid while k lives). For
 * symmetric keys, which have no public half, the id is the first 12 bytes of
 * BLAKE2b-256 keyed with the secret over "eid-kid-v1": it names the key
 * without revealing anything about it. */
const char *eid_key_id(const eid_key *k);

/* The public half of an Ed25519 or X25519 key (valid while k lives); NULL for
 * symmetric keys. */
const eid_pubkey *eid_key_pub(const eid_key *k);

/* Writes the key's secret to a new file at path, created with mode 0600
 * (O_CREAT|O_EXCL|O_NOFOLLOW: an existing file or symlink is never
 * overwritten, EID_E_IO naming the path). One line:
 *     eid-key v1 <type> <kid> <base64url of the 32-byte secret>\n
 * The file is fsync'ed; on failure a partial file is removed. */
EID_MUST_CHECK eid_status eid_key_write(const eid_key *k, const char *path, eid_err *err);

/* Reads a key file written by eid_key_write. Refuses (no key is built):
 *   a file that group or others may read or write  EID_E_INVALID_ARG, path and mode
 *   a symlink, a non-regular file, a missing file   EID_E_IO
 *   another type than `type`                        EID_E_INVALID_ARG, both types
 *   a bad header, length, encoding or a kid that does not match the secret
 *   (a garbled file)                                EID_E_FORMAT */
EID_MUST_CHECK eid_status eid_key_read(const char *path, eid_key_type type, eid_key **out,
				       eid_err *err);

/* Public key as base64url (43 characters + NUL into out, cap >= 44). */
EID_MUST_CHECK eid_status eid_pubkey_to_b64(const eid_pubkey *pk, char *out, size_t out_cap,
					    eid_err *err);

/* Public key of the given type (Ed25519 or X25519) from base64url text; the
 * key id is computed. If kid is not NULL it must equal the computed id
 * (EID_E_FORMAT otherwise): a published (kid, key) pair is checked on import. */
EID_MUST_CHECK eid_status eid_pubkey_from_b64(eid_key_type type, const char *b64, size_t b64_len,
					      const char *kid, eid_pubkey *out, eid_err *err);

/* One-line text form of a public key, for published key files and the CLI:
 *     eid-pub v1 <type> <kid> <base64url key>
 * out_cap >= EID_PUBKEY_TEXT_MAX. */
EID_MUST_CHECK eid_status eid_pubkey_format(const eid_pubkey *pk, char *out, size_t out_cap,
					    eid_err *err);

/* Parses that line (one trailing "\n" allowed); the kid must match the key. */
EID_MUST_CHECK eid_status eid_pubkey_parse(const char *txt, size_t len, eid_pubkey *out,
					   eid_err *err);

/* ---- sealing (app -> authority) ----------------------------------------- */

/* Seals pt to the recipient's X25519 public key, bound to ad (may be NULL iff
 * ad_len is 0). Output, EID_SEAL_OVERHEAD + pt_len bytes:
 *     version (1) || ephemeral X25519 public key (32) || nonce (24) || ciphertext+tag
 * Key: BLAKE2b-256("eid-seal-v1" || version || X25519(eph, recipient) ||
 * eph_pk || recipient_pk); AEAD XChaCha20-Poly1305-IETF with ad. The ephemeral
 * secret is wiped before return, so only the recipient's secret can open it.
 * Fails with EID_E_INVALID_ARG if the recipient is not X25519 or out_cap is
 * too small, EID_E_FORMAT if the recipient key is a low-order point. */
EID_MUST_CHECK eid_status eid_seal(const eid_pubkey *recipient, const uint8_t *ad, size_t ad_len,
				   const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
				   size_t *out_len, eid_err *err);

/* Opens a sealed blob with the recipient's X25519 key and the same ad. Any
 * mismatch (blob too short, unknown version, another key, other ad, a changed
 * byte anywhere) fails with EID_E_FORMAT and writes no plaintext.
 * out_cap >= blob_len - EID_SEAL_OVERHEAD. */
EID_MUST_CHECK eid_status eid_unseal(const eid_key *recipient, const uint8_t *ad, size_t ad_len,
				     const uint8_t *blob, size_t blob_len, uint8_t *out,
				     size_t out_cap, size_t *out_len, eid_err *err);

/* ---- signatures ---------------------------------------------------------- */

/* Detached Ed25519 signature of msg with an Ed25519 key. */
EID_MUST_CHECK eid_status eid_sign(const eid_key *k, const uint8_t *msg, size_t len,
				   uint8_t sig[EID_SIG_BYTES], eid_err *err);

/* EID_OK if sig (sig_len must be 64) is pk's signature of msg; EID_E_FORMAT
 * otherwise; EID_E_INVALID_ARG if pk is not Ed25519. */
EID_MUST_CHECK eid_status eid_verify(const eid_pubkey *pk, const uint8_t *msg, size_t len,
				     const uint8_t *sig, size_t sig_len, eid_err *err);

/* Finds the public key with id kid: returns true and fills *out, or false. */
typedef bool (*eid_key_lookup_fn)(void *ctx, const char *kid, eid_pubkey *out);

/* A ready-made lookup: ctx is an eid_keyring (a view of the caller's array). */
typedef struct eid_keyring {
	const eid_pubkey *keys;
	size_t n;
} eid_keyring;
bool eid_keyring_lookup(void *keyring, const char *kid, eid_pubkey *out);

/* Signs a JSON object in place. The signed bytes are the object without its
 * top-level "sig" member, serialised by jansson with
 * JSON_COMPACT|JSON_SORT_KEYS (so key order does not matter); then "sig" is
 * set to {"alg":"Ed25519","kid":<kid>,"sig":<base64url signature>}, replacing
 * any previous one. Sign only integers, strings, booleans, null, arrays and
 * objects: reals have no canonical text. */
EID_MUST_CHECK eid_status eid_sign_json(const eid_key *k, struct json_t *obj, eid_err *err);

/* Verifies obj's "sig" member: it must hold exactly alg "Ed25519", a well-formed
 * kid and a 64-byte base64url signature; lookup(ctx, kid) must know the kid
 * and give an Ed25519 key with that id; the signature must verify over the
 * canonical bytes. Any failure is EID_E_FORMAT saying which. On success the
 * signer's kid is copied to kid_out (EID_KID_LEN + 1 bytes) if not NULL. */
EID_MUST_CHECK eid_status eid_verify_json(const struct json_t *obj, eid_key_lookup_fn lookup,
					  void *ctx, char *kid_out, eid_err *err);

/* ---- passcodes ----------------------------------------------------------- */

/* EID_OK if pc[0..len) is exactly eight ASCII digits; EID_E_INVALID_ARG
 * otherwise, saying what is wrong (length, or the offset of the first
 * non-digit) without echoing the passcode. */
EID_MUST_CHECK eid_status eid_passcode_check(const char *pc, size_t len, eid_err *err);

/* Hashes a valid passcode with Argon2id (OPSLIMIT_INTERACTIVE = 2 passes,
 * MEMLIMIT_INTERACTIVE = 64 MiB, random salt) into out, a NUL-terminated
 * "$argon2id$..." string (out_cap >= EID_PASSCODE_HASH_MAX). EID_E_NOMEM if
 * the 64 MiB cannot be had. */
EID_MUST_CHECK eid_status eid_passcode_hash(const char *pc, size_t len, char *out, size_t out_cap,
					    eid_err *err);

/* Checks pc against a stored hash (hash[0..hash_len), no NUL needed). A wrong
 * passcode is not an error: EID_OK with *match_out = false. Fails with
 * EID_E_INVALID_ARG if pc is not eight digits, EID_E_FORMAT if hash is not an
 * Argon2id string. */
EID_MUST_CHECK eid_status eid_passcode_verify(const char *hash, size_t hash_len, const char *pc,
					      size_t len, bool *match_out, eid_err *err);

/* *needs_out = true if the stored hash was made with other parameters than the
 * current ones (rehash after the next successful verify). */
EID_MUST_CHECK eid_status eid_passcode_needs_rehash(const char *hash, size_t hash_len,
						    bool *needs_out, eid_err *err);

/* ---- key-encryption key (data at rest) ----------------------------------- */

/* Encrypts pt under a KEK key, bound to ad (say "template:" + record id, so a
 * ciphertext moved to another row fails). Output, EID_KEK_OVERHEAD + pt_len:
 *     nonce (24, random) || ciphertext+tag     (XChaCha20-Poly1305-IETF) */
EID_MUST_CHECK eid_status eid_kek_encrypt(const eid_key *kek, const uint8_t *ad, size_t ad_len,
					  const uint8_t *pt, size_t pt_len, uint8_t *out,
					  size_t out_cap, size_t *out_len, eid_err *err);

/* Decrypts; another key, other ad, a changed or missing byte: EID_E_FORMAT,
 * no plaintext written. out_cap >= blob_len - EID_KEK_OVERHEAD. */
EID_MUST_CHECK eid_status eid_kek_decrypt(const eid_key *kek, const uint8_t *ad, size_t ad_len,
					  const uint8_t *blob, size_t blob_len, uint8_t *out,
					  size_t out_cap, size_t *out_len, eid_err *err);

/* ---- pairwise pseudonym --------------------------------------------------- */

/* The pseudonym of a person for a relying party, 43 base64url characters +
 * NUL into out (EID_PSEUDONYM_LEN + 1 bytes):
 *     BLAKE2b-256 keyed with the PAIRWISE key over
 *     "eid-pairwise-v1" || u64le(person_len) || person || u64le(rp_len) || rp
 * Stable for one (person, rp), unlinkable across relying parties without the
 * key. Both ids must be non-empty (EID_E_INVALID_ARG). */
EID_MUST_CHECK eid_status eid_pseudonym(const eid_key *k, const char *person, size_t person_len,
					const char *rp, size_t rp_len, char *out, eid_err *err);

#endif
