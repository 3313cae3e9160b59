/* Tests of src/crypto/keyfile.c: mode 0600 on write whatever the umask, no
 * overwrite, refusal of readable, mistyped, truncated and garbled files. */
#define _POSIX_C_SOURCE 200809L
#include "eid/crypto.h"
#include "test.h"
#include "tmpdir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


/* 1 if msg contains any 8 consecutive characters of secret. */
static int leaks(const char *msg, const char *secret)
{
	for (size_t i = 0; i + 8 <= strlen(secret); i++) {
		char w[9];
		memcpy(w, secret + i, 8);
		w[8] = 0;
		if (strstr(msg, w))
			return 1;
	}
	return 0;
}

static void test_write_mode_and_round_trip(void)
{
	mode_t old = umask(0277); /* would give 0400 without the explicit chmod */
	for (int t = EID_KEY_ED25519; t <= EID_KEY_PAIRWISE; t++) {
		eid_key *k = NULL, *r = NULL;
		char p[128];
		path_in(p, sizeof p, eid_key_type_name((eid_key_type)t));
		REQUIRE(eid_key_new((eid_key_type)t, &k, NULL) == EID_OK);
		eid_err err;
		REQUIRE(eid_key_write(k, p, &err) == EID_OK);
		struct stat sb;
		REQUIRE(stat(p, &sb) == 0);
		CHECK((sb.st_mode & 07777) == 0600);
		char buf[256];
		size_t n = get_file(p, buf, sizeof buf);
		char head[64];
		snprintf(head, sizeof head, "eid-key v1 %s %s ", eid_key_type_name((eid_key_type)t),
			 eid_key_id(k));
		CHECK(strncmp(buf, head, strlen(head)) == 0);
		CHECK(n == strlen(head) + EID_B64URL_LEN(32) + 1 && buf[n - 1] == '\n');
		REQUIRE(eid_key_read(p, (eid_key_type)t, &r, &err) == EID_OK);
		CHECK(strcmp(eid_key_id(r), eid_key_id(k)) == 0);
		if (t == EID_KEY_ED25519) {
			/* the key read back signs for the original public key */
			uint8_t sig[EID_SIG_BYTES];
			REQUIRE(eid_sign(r, (const uint8_t *)"m", 1, sig, NULL) == EID_OK);
			CHECK(eid_verify(eid_key_pub(k), (const uint8_t *)"m", 1, sig, 64, NULL) ==
			      EID_OK);
		}
		eid_key_free(k);
		eid_key_free(r);
	}
	umask(old);
}

static void test_refuse_overwrite(void)
{
	eid_key *a = NULL, *b = NULL;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &a, NULL) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &b, NULL) == EID_OK);
	char p[128], before[256], after[256];
	path_in(p, sizeof p, "keep.key");
	unlink(p);
	REQUIRE(eid_key_write(a, p, NULL) == EID_OK);
	get_file(p, before, sizeof before);
	eid_err err;
	CHECK(eid_key_write(b, p, &err) == EID_E_IO);
	CHECK(strstr(err.msg, p) != NULL && strstr(err.msg, "already exists") != NULL);
	get_file(p, after, sizeof after);
	CHECK(strcmp(before, after) == 0); /* the first key is intact */
	/* a dangling symlink is not followed to create its target */
	char link[128], target[128];
	path_in(link, sizeof link, "link.key");
	path_in(target, sizeof target, "target.key");
	REQUIRE(symlink(target, link) == 0);
	CHECK(eid_key_write(b, link, &err) == EID_E_IO);
	CHECK(access(target, F_OK) != 0);
	/* and a symlink to a good key file is not read */
	unlink(link);
	REQUIRE(symlink(p, link) == 0);
	eid_key *r = NULL;
	CHECK(eid_key_read(link, EID_KEY_ED25519, &r, &err) == EID_E_IO);
	CHECK(r == NULL && strstr(err.msg, "symbolic link") != NULL);
	unlink(link);
	/* no such directory */
	CHECK(eid_key_write(b, "/nonexistent-eid-dir/x.key", &err) == EID_E_IO);
	CHECK(eid_key_read("/nonexistent-eid-dir/x.key", EID_KEY_ED25519, &r, &err) == EID_E_IO);
	eid_key_free(a);
	eid_key_free(b);
}

static void test_refuse_readable(void)
{
	eid_key *k = NULL, *r = NULL;
	REQUIRE(eid_key_new(EID_KEY_X25519, &k, NULL) == EID_OK);
	char p[128];
	path_in(p, sizeof p, "open.key");
	unlink(p);
	REQUIRE(eid_key_write(k, p, NULL) == EID_OK);
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0602, 0620};
	eid_err err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		REQUIRE(chmod(p, bad[i]) == 0);
		CHECK(eid_key_read(p, EID_KEY_X25519, &r, &err) == EID_E_INVALID_ARG);
		CHECK(r == NULL);
		char mode[8];
		snprintf(mode, sizeof mode, "%04o", (unsigned)bad[i]);
		CHECK(strstr(err.msg, p) != NULL && strstr(err.msg, mode) != NULL);
	}
	REQUIRE(chmod(p, 0400) == 0); /* read-only for the owner is fine */
	CHECK(eid_key_read(p, EID_KEY_X25519, &r, &err) == EID_OK);
	eid_key_free(r);
	eid_key_free(k);
}

static void test_refuse_wrong_type(void)
{
	eid_key *k = NULL, *r = NULL;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &k, NULL) == EID_OK);
	char p[128];
	path_in(p, sizeof p, "typed.key");
	unlink(p);
	REQUIRE(eid_key_write(k, p, NULL) == EID_OK);
	eid_err err;
	CHECK(eid_key_read(p, EID_KEY_X25519, &r, &err) == EID_E_INVALID_ARG);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "ed25519") != NULL && strstr(err.msg, "x25519") != NULL);
	CHECK(eid_key_read(p, EID_KEY_KEK, &r, &err) == EID_E_INVALID_ARG);
	eid_key_free(k);
}

static void test_refuse_truncated_and_garbled(void)
{
	eid_key *k = NULL, *r = NULL;
	REQUIRE(eid_key_new(EID_KEY_KEK, &k, NULL) == EID_OK);
	char p[128], good[256], q[128];
	path_in(p, sizeof p, "good.key");
	path_in(q, sizeof q, "bad.key");
	unlink(p);
	REQUIRE(eid_key_write(k, p, NULL) == EID_OK);
	size_t n = get_file(p, good, sizeof good);
	eid_err err;
	/* every truncation fails, except dropping only the final newline */
	for (size_t len = 0; len + 1 < n; len++) {
		put_file(q, good, len, 0600);
		CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
		CHECK(r == NULL);
	}
	put_file(q, good, n - 1, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_OK);
	eid_key_free(r);
	r = NULL;
	char secret[64];
	memcpy(secret, good + n - 1 - EID_B64URL_LEN(32), EID_B64URL_LEN(32));
	secret[EID_B64URL_LEN(32)] = 0;
	/* every changed character fails (type changes may also fail as a type) */
	for (size_t i = 0; i < n; i++) {
		char t[256];
		memcpy(t, good, n);
		t[i] = t[i] == 'Q' ? 'R' : 'Q';
		put_file(q, t, n, 0600);
		eid_status st = eid_key_read(q, EID_KEY_KEK, &r, &err);
		CHECK(st == EID_E_FORMAT || st == EID_E_INVALID_ARG);
		CHECK(r == NULL);
		/* the message never repeats the secret */
		CHECK(!leaks(err.msg, secret));
	}
	/* a garbled secret that is still valid base64url is caught by the kid */
	char t[256];
	memcpy(t, good, n);
	size_t s0 = n - 1 - EID_B64URL_LEN(32);
	t[s0] = t[s0] == 'A' ? 'B' : 'A';
	put_file(q, t, n, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "garbled") != NULL);
	/* extra content: CRLF, a second line, trailing space, an oversized file */
	char crlf[256];
	memcpy(crlf, good, n - 1);
	memcpy(crlf + n - 1, "\r\n", 2);
	put_file(q, crlf, n + 1, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	memcpy(t, good, n);
	memcpy(t + n, good, n);
	put_file(q, t, 2 * n, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	memcpy(t, good, n - 1);
	memcpy(t + n - 1, " \n", 2);
	put_file(q, t, n + 1, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	char big[4096];
	memset(big, 'A', sizeof big);
	put_file(q, big, sizeof big, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	CHECK(r == NULL);
	/* an empty file and a directory */
	put_file(q, "", 0, 0600);
	CHECK(eid_key_read(q, EID_KEY_KEK, &r, &err) == EID_E_FORMAT);
	CHECK(eid_key_read(dir, EID_KEY_KEK, &r, &err) == EID_E_IO);
	eid_key_free(k);
}

static void test_setup(void)
{
	tmpdir_make("eid-keyfile");
}

static void test_cleanup(void)
{
	static const char *const names[] = {"ed25519",   "x25519",   "kek",        "pairwise",
					    "keep.key",  "link.key", "target.key", "open.key",
					    "typed.key", "good.key", "bad.key"};
	tmpdir_remove(names, sizeof names / sizeof names[0]);
}

TEST_MAIN(test_setup, test_write_mode_and_round_trip, test_refuse_overwrite, test_refuse_readable,
	  test_refuse_wrong_type, test_refuse_truncated_and_garbled, test_cleanup)
