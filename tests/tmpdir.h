/* tests/tmpdir.h — a private temporary directory for the tests of key files:
 * made, paths in it, files written with a given mode and read back, and
 * removed with the files a test names. Include after test.h. */
#ifndef EID_TESTS_TMPDIR_H
#define EID_TESTS_TMPDIR_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* $TMPDIR (or /tmp)/<prefix>-XXXXXX */
static inline void tmpdir_make(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	REQUIRE(mkdtemp(dir) != NULL);
}

static inline void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* the directory, once the files of names[] are gone: it must then be empty */
static inline void tmpdir_remove(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p[128];
		path_in(p, sizeof p, names[i]);
		unlink(p);
	}
	CHECK(rmdir(dir) == 0);
}

static inline void put_file(const char *path, const char *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

static inline size_t get_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	REQUIRE(f);
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return n;
}

#endif
