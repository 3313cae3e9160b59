/* Key files: one line "eid-key v1 <type> <kid> <base64url secret>\n", mode
 * 0600, never overwritten, refused on read when others could see it. */
#define _POSIX_C_SOURCE 200809L
#include "keys.h"
#include "eid/util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define KEYFILE_MAX 128 /* the longest valid file is 81 bytes */

/* The 32-byte secret a key file stores (the seed for Ed25519). */
static void stored_secret(const eid_key *k, uint8_t s[EID_KEY_BYTES])
{
	if (k->type == EID_KEY_ED25519)
		crypto_sign_ed25519_sk_to_seed(s, k->secret);
	else
		memcpy(s, k->secret, EID_KEY_BYTES);
}

eid_status eid_key_write(const eid_key *k, const char *path, eid_err *err)
{
	uint8_t s[EID_KEY_BYTES];
	char b64[EID_PUBKEY_B64_LEN + 1], line[KEYFILE_MAX];
	stored_secret(k, s);
	sodium_bin2base64(b64, sizeof b64, s, sizeof s, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf(line, sizeof line, "eid-key v1 %s %s %s\n", eid_key_type_name(k->type),
			 k->pub.kid, b64);
	sodium_memzero(s, sizeof s);
	sodium_memzero(b64, sizeof b64);

	eid_status st = eid_key_file_write(path, line, (size_t)n, err);
	sodium_memzero(line, sizeof line);
	return st;
}

static eid_status parse_key(const char *path, const char *buf, size_t len, eid_key_type want,
			    eid_key **out, eid_err *err)
{
	const char *f[5];
	size_t fl[5];
	if (eid_crypto_split_line(buf, len, f, fl, 5) != 0 || fl[0] != 7 ||
	    memcmp(f[0], "eid-key", 7) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot read key file '%s': not 'eid-key v1 <type> <kid> <secret>'",
				path);
	if (fl[1] != 2 || memcmp(f[1], "v1", 2) != 0)
		return eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': version is not v1",
				path);
	eid_key_type type = eid_crypto_type_from_name(f[2], fl[2]);
	if (!type)
		return eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': unknown key type",
				path);
	if (type != want)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot read key file '%s': it holds a %s key (want %s)", path,
				eid_key_type_name(type), eid_key_type_name(want));
	if (!eid_crypto_kid_valid(f[3], fl[3]))
		return eid_fail(err, EID_E_FORMAT,
				"cannot read key file '%s': key id is not %d base64url characters",
				path, EID_KID_LEN);
	uint8_t s[EID_KEY_BYTES];
	eid_err derr;
	if (eid_b64url_decode_exact(f[4], fl[4], s, sizeof s, &derr) != EID_OK) {
		sodium_memzero(s, sizeof s);
		return eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': secret: %s", path,
				derr.msg);
	}
	eid_status st = eid_key_from_secret(type, s, sizeof s, out, err);
	sodium_memzero(s, sizeof s);
	if (st)
		return st;
	if (memcmp(f[3], (*out)->pub.kid, EID_KID_LEN) != 0) {
		eid_key_free(*out);
		*out = NULL;
		return eid_fail(
		    err, EID_E_FORMAT,
		    "cannot read key file '%s': garbled: key id '%.16s' does not match the "
		    "secret",
		    path, f[3]);
	}
	return EID_OK;
}

eid_status eid_key_read(const char *path, eid_key_type type, eid_key **out, eid_err *err)
{
	*out = NULL;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	char buf[KEYFILE_MAX];
	size_t len;
	st = eid_key_file_read(path, buf, sizeof buf, &len, err);
	if (!st)
		st = parse_key(path, buf, len, type, out, err);
	sodium_memzero(buf, sizeof buf);
	return st;
}
