/* Key files: one line "eid-key v1 <type> <kid> <base64url secret>\n", mode
 * 0600, never overwritten, refused on read when others could see it. */
#define _POSIX_C_SOURCE 200809L
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

	eid_status st = EID_OK;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			st = eid_fail(
			    err, EID_E_IO,
			    "cannot create key file '%s': it already exists (keys are never "
			    "overwritten)",
			    path);
		else
			st = eid_fail(err, EID_E_IO, "cannot create key file '%s': %s", path,
				      strerror(errno));
		sodium_memzero(line, sizeof line);
		return st;
	}
	/* The umask may have taken bits away; make it exactly 0600. */
	if (fchmod(fd, 0600) != 0)
		st = eid_fail(err, EID_E_IO, "cannot set mode 0600 on key file '%s': %s", path,
			      strerror(errno));
	const char *p = line;
	size_t left = (size_t)n;
	while (!st && left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			st = eid_fail(err, EID_E_IO, "cannot write key file '%s': %s", path,
				      strerror(errno));
		else {
			p += w;
			left -= (size_t)w;
		}
	}
	if (!st && fsync(fd) != 0)
		st = eid_fail(err, EID_E_IO, "cannot write key file '%s': fsync: %s", path,
			      strerror(errno));
	if (close(fd) != 0 && !st)
		st = eid_fail(err, EID_E_IO, "cannot write key file '%s': %s", path,
			      strerror(errno));
	if (st)
		unlink(path); /* we created it (O_EXCL), so it is ours to remove */
	sodium_memzero(line, sizeof line);
	return st;
}

/* Reads at most cap bytes of fd into buf; *len_out is the count, and a file
 * longer than cap is reported by *too_long. */
static int read_all(int fd, char *buf, size_t cap, size_t *len_out, int *too_long)
{
	size_t n = 0;
	*too_long = 0;
	for (;;) {
		char extra;
		ssize_t r = n < cap ? read(fd, buf + n, cap - n) : read(fd, &extra, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (n == cap) {
			*too_long = 1;
			break;
		}
		n += (size_t)r;
	}
	*len_out = n;
	return 0;
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
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return eid_fail(err, EID_E_IO,
					"cannot read key file '%s': it is a symbolic link", path);
		return eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path,
				strerror(errno));
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		st =
		    eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path, strerror(errno));
		close(fd);
		return st;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return eid_fail(err, EID_E_IO, "cannot read key file '%s': not a regular file",
				path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return eid_fail(
		    err, EID_E_INVALID_ARG,
		    "refusing key file '%s': mode %04o lets group or others in (want 0600, "
		    "chmod 600)",
		    path, (unsigned)(sb.st_mode & 07777));
	}
	char buf[KEYFILE_MAX];
	size_t len;
	int too_long;
	if (read_all(fd, buf, sizeof buf, &len, &too_long) != 0) {
		st =
		    eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path, strerror(errno));
		close(fd);
		sodium_memzero(buf, sizeof buf);
		return st;
	}
	close(fd);
	if (too_long)
		st = eid_fail(err, EID_E_FORMAT, "cannot read key file '%s': longer than %d bytes",
			      path, KEYFILE_MAX);
	else
		st = parse_key(path, buf, len, type, out, err);
	sodium_memzero(buf, sizeof buf);
	return st;
}
