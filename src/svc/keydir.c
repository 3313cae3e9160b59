#include "keydir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

eid_status svc_private_dir(const char *path, eid_err *err)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) || !*path)
		return eid_fail(err, EID_E_INVALID_ARG, "bad directory path");
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			const char save = *p;
			*p = 0;
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return eid_fail(err, EID_E_IO, "cannot create directory '%s': %s", buf,
						strerror(errno));
			*p = save;
			if (!save)
				break;
		}
	}
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return eid_fail(err, EID_E_IO, "'%s' is not a directory", path);
	if (sb.st_mode & 0077)
		return eid_fail(err, EID_E_INVALID_ARG,
				"directory '%s' is accessible to others (mode %03o); want 0700", path,
				(unsigned)(sb.st_mode & 0777));
	return EID_OK;
}

eid_status svc_key_load_or_create(const char *dir, const char *name, eid_key_type type,
				  eid_key **out, eid_err *err)
{
	*out = NULL;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if (access(path, F_OK) == 0)
		return eid_key_read(path, type, out, err);
	eid_status st = eid_key_new(type, out, err);
	if (!st)
		st = eid_key_write(*out, path, err);
	if (st) {
		eid_key_free(*out);
		*out = NULL;
	}
	return st;
}

json_t *svc_key_json(const eid_pubkey *pub, const char *use)
{
	char x[EID_PUBKEY_B64_LEN + 1];
	eid_err err;
	if (eid_pubkey_to_b64(pub, x, sizeof(x), &err) != EID_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s}", "kid", pub->kid, "use", use, "alg",
			 pub->type == EID_KEY_ED25519 ? "Ed25519" : "X25519", "x", x);
}
