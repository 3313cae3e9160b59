/* Key files of the provider's ES256 keys: one line
 *     eid-jose v1 es256 <kid> <base64url of the 32-byte private scalar>\n
 * mode 0600, never replaced, refused on read when others could see it; the
 * same rules as src/crypto/keyfile.c. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eid/crypto.h"
#include "eid/util.h"

#define KEYFILE_MAX 4096 /* a valid file is 106 bytes */
#define HEADER	    "eid-jose v1 es256"

eid_status eid_jose_key_write(const eid_jose_key *k, const char *path, eid_err *err)
{
	uint8_t d[JOSE_P256_BYTES];
	char b64[EID_B64URL_LEN(JOSE_P256_BYTES) + 1], line[160];
	eid_status st = jose_key_scalar(k, d, err);
	if (st)
		return st;
	st = eid_b64url_encode(d, sizeof d, b64, sizeof b64, err);
	OPENSSL_cleanse(d, sizeof d);
	if (st) {
		OPENSSL_cleanse(b64, sizeof b64);
		return st;
	}
	int n = snprintf(line, sizeof line, HEADER " %s %s\n", k->kid, b64);
	OPENSSL_cleanse(b64, sizeof b64);

	st = eid_key_file_write(path, line, (size_t)n, err);
	OPENSSL_cleanse(line, sizeof line);
	return st;
}

static eid_status parse_key(const char *path, const char *buf, size_t len, eid_jose_key **out,
			    eid_err *err)
{
	/* HEADER " " kid(43) " " scalar(43) with one optional "\n" */
	const size_t hl = sizeof HEADER - 1, kl = EID_JOSE_KID_LEN,
		     sl = EID_B64URL_LEN(JOSE_P256_BYTES);
	if (len && buf[len - 1] == '\n')
		len--;
	if (len < hl + 1 || memcmp(buf, HEADER " ", hl + 1) != 0)
		return eid_fail(err, EID_E_FORMAT,
				"cannot read key file '%s': not '" HEADER " <kid> <scalar>'", path);
	buf += hl + 1;
	len -= hl + 1;
	if (len != kl + 1 + sl || buf[kl] != ' ')
		return eid_fail(err, EID_E_FORMAT,
				"cannot read key file '%s': want a %zu-character kid and a "
				"%zu-character scalar",
				path, kl, sl);
	uint8_t kid_bin[32];
	eid_err derr;
	if (eid_b64url_decode_exact(buf, kl, kid_bin, sizeof kid_bin, &derr) != EID_OK)
		return eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': kid: %s", path,
				derr.msg);
	uint8_t d[JOSE_P256_BYTES];
	if (eid_b64url_decode_exact(buf + kl + 1, sl, d, sizeof d, &derr) != EID_OK) {
		OPENSSL_cleanse(d, sizeof d);
		return eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': scalar: %s", path,
				derr.msg);
	}
	char what[600];
	snprintf(what, sizeof what, "cannot read key file '%s'", path);
	eid_status st = jose_key_from_scalar(d, what, out, err);
	OPENSSL_cleanse(d, sizeof d);
	if (st)
		return st;
	if (memcmp(buf, (*out)->kid, kl) != 0) {
		eid_jose_key_free(*out);
		*out = NULL;
		return eid_fail(
		    err, EID_E_FORMAT,
		    "cannot read key file '%s': garbled: the kid does not match the key", path);
	}
	return EID_OK;
}

eid_status eid_jose_key_read(const char *path, eid_jose_key **out, eid_err *err)
{
	eid_status st;
	char buf[KEYFILE_MAX];
	size_t len;
	eid_jose_key *k = NULL;
	st = eid_key_file_read(path, buf, sizeof buf, &len, err);
	if (!st)
		st = parse_key(path, buf, len, &k, err);
	OPENSSL_cleanse(buf, sizeof buf);
	if (st)
		return st;
	*out = k;
	return EID_OK;
}
