/* Passcodes: exactly eight ASCII digits, hashed with Argon2id.
 *
 * Cost: libsodium's INTERACTIVE limits (2 passes over 64 MiB). Eight digits
 * are only 10^8 guesses, so no hash makes a stolen database safe against an
 * offline search on its own; the hash raises the cost of that search
 * (about 10^8 x the per-hash time), and the online lockout in the services
 * is what protects a live account. docs/crypto.md has the measured time. */
#include "eid/crypto.h"

#include <sodium.h>
#include <string.h>

#define OPS    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define MEM    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
#define PREFIX crypto_pwhash_argon2id_STRPREFIX

_Static_assert(EID_PASSCODE_HASH_MAX == crypto_pwhash_argon2id_STRBYTES, "hash string size");

eid_status eid_passcode_check(const char *pc, size_t len, eid_err *err)
{
	if (len != EID_PASSCODE_LEN)
		return eid_fail(err, EID_E_INVALID_ARG,
				"invalid passcode: %zu characters (want exactly %d digits)", len,
				EID_PASSCODE_LEN);
	for (size_t i = 0; i < len; i++)
		if (pc[i] < '0' || pc[i] > '9')
			return eid_fail(
			    err, EID_E_INVALID_ARG,
			    "invalid passcode: character %zu is not a digit (want exactly "
			    "%d digits)",
			    i + 1, EID_PASSCODE_LEN);
	return EID_OK;
}

eid_status eid_passcode_hash(const char *pc, size_t len, char *out, size_t out_cap, eid_err *err)
{
	if (out_cap)
		out[0] = 0;
	eid_status st = eid_crypto_init(err);
	if (st || (st = eid_passcode_check(pc, len, err)))
		return st;
	if (out_cap < EID_PASSCODE_HASH_MAX)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot hash passcode: output holds %zu (need %d)", out_cap,
				EID_PASSCODE_HASH_MAX);
	if (crypto_pwhash_str_alg(out, pc, len, OPS, MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return eid_fail(err, EID_E_NOMEM,
				"cannot hash passcode: argon2id needs %zu MiB it could not get",
				(size_t)(MEM >> 20));
	return EID_OK;
}

/* Copies a stored hash into a NUL-terminated buffer of the size libsodium
 * expects, after checking it is an Argon2id string at all. */
static eid_status load_hash(const char *hash, size_t hash_len, char buf[EID_PASSCODE_HASH_MAX],
			    eid_err *err)
{
	size_t plen = strlen(PREFIX);
	if (hash_len >= EID_PASSCODE_HASH_MAX)
		return eid_fail(err, EID_E_FORMAT, "invalid passcode hash: %zu characters (max %d)",
				hash_len, EID_PASSCODE_HASH_MAX - 1);
	if (hash_len < plen || memcmp(hash, PREFIX, plen) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"invalid passcode hash: does not start with '%s'", PREFIX);
	if (memchr(hash, 0, hash_len))
		return eid_fail(err, EID_E_FORMAT, "invalid passcode hash: contains a NUL byte");
	memset(buf, 0, EID_PASSCODE_HASH_MAX);
	memcpy(buf, hash, hash_len);
	return EID_OK;
}

eid_status eid_passcode_verify(const char *hash, size_t hash_len, const char *pc, size_t len,
			       bool *match_out, eid_err *err)
{
	*match_out = false;
	char buf[EID_PASSCODE_HASH_MAX];
	eid_status st = eid_crypto_init(err);
	if (st || (st = eid_passcode_check(pc, len, err)) ||
	    (st = load_hash(hash, hash_len, buf, err)))
		return st;
	/* -1 is a mismatch (or a hash whose parameters libsodium cannot
	 * parse or afford, which needs_rehash tells apart). */
	*match_out = crypto_pwhash_argon2id_str_verify(buf, pc, len) == 0;
	return EID_OK;
}

eid_status eid_passcode_needs_rehash(const char *hash, size_t hash_len, bool *needs_out,
				     eid_err *err)
{
	*needs_out = false;
	char buf[EID_PASSCODE_HASH_MAX];
	eid_status st = eid_crypto_init(err);
	if (st || (st = load_hash(hash, hash_len, buf, err)))
		return st;
	int rc = crypto_pwhash_argon2id_str_needs_rehash(buf, OPS, MEM);
	if (rc < 0)
		return eid_fail(err, EID_E_FORMAT,
				"invalid passcode hash: cannot parse parameters");
	*needs_out = rc == 1;
	return EID_OK;
}
