#define _POSIX_C_SOURCE 200809L
#include "eid/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

eid_status eid_file_read(const char *path, size_t max_bytes, uint8_t **data_out, size_t *len_out,
			 eid_err *err)
{
	*data_out = NULL;
	*len_out = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return eid_fail(err, EID_E_IO, "cannot open '%s': %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return eid_fail(err, EID_E_IO, "cannot read '%s': not a regular file", path);
	}
	if ((uint64_t)sb.st_size > max_bytes) {
		close(fd);
		return eid_fail(err, EID_E_LIMIT, "cannot read '%s': %lld bytes (max %zu)", path,
				(long long)sb.st_size, max_bytes);
	}
	size_t cap = (size_t)sb.st_size;
	uint8_t *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return eid_fail(err, EID_E_NOMEM, "cannot read '%s': out of memory", path);
	}
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return eid_fail(err, EID_E_IO, "cannot read '%s': %s", path, strerror(e));
		}
		if (r == 0)
			break; /* file shrank while reading: take what is there */
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*data_out = buf;
	*len_out = n;
	return EID_OK;
}

/* All of data to fd, through short writes and signals; 0, or errno. */
static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

eid_status eid_file_write(const char *path, const void *data, size_t len, unsigned mode,
			  eid_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return eid_fail(err, EID_E_IO, "cannot create '%s': %s", path, strerror(errno));
	const int e = write_all(fd, data, len);
	if (e) {
		close(fd);
		return eid_fail(err, EID_E_IO, "cannot write '%s': %s", path, strerror(e));
	}
	if (close(fd) != 0)
		return eid_fail(err, EID_E_IO, "cannot write '%s': %s", path, strerror(errno));
	return EID_OK;
}

double eid_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

eid_status eid_key_file_write(const char *path, const void *data, size_t len, eid_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return eid_fail(err, EID_E_IO,
					"cannot create key file '%s': it already exists (keys are "
					"never overwritten)",
					path);
		return eid_fail(err, EID_E_IO, "cannot create key file '%s': %s", path,
				strerror(errno));
	}
	eid_status st = EID_OK;
	/* the umask may have taken bits away: make it exactly 0600 */
	if (fchmod(fd, 0600) != 0)
		st = eid_fail(err, EID_E_IO, "cannot set mode 0600 on key file '%s': %s", path,
			      strerror(errno));
	const int e = st ? 0 : write_all(fd, data, len);
	if (e)
		st = eid_fail(err, EID_E_IO, "cannot write key file '%s': %s", path, strerror(e));
	if (!st && fsync(fd) != 0)
		st = eid_fail(err, EID_E_IO, "cannot write key file '%s': fsync: %s", path,
			      strerror(errno));
	if (close(fd) != 0 && !st)
		st = eid_fail(err, EID_E_IO, "cannot write key file '%s': %s", path,
			      strerror(errno));
	if (st)
		unlink(path); /* we created it (O_EXCL), so it is ours to remove */
	return st;
}

eid_status eid_key_file_read(const char *path, char *buf, size_t cap, size_t *len_out,
			     eid_err *err)
{
	*len_out = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return eid_fail(err, EID_E_IO,
					"cannot read key file '%s': it is a symbolic link", path);
		return eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path,
				strerror(errno));
	}
	struct stat sb;
	eid_status st = EID_OK;
	if (fstat(fd, &sb) != 0)
		st = eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path,
			      strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		st = eid_fail(err, EID_E_IO, "cannot read key file '%s': not a regular file", path);
	else if (sb.st_mode & 077)
		st = eid_fail(err, EID_E_INVALID_ARG,
			      "refusing key file '%s': mode %04o lets group or others in (want "
			      "0600, chmod 600)",
			      path, (unsigned)(sb.st_mode & 07777));
	size_t n = 0;
	while (!st) {
		char extra;
		ssize_t r = n < cap ? read(fd, buf + n, cap - n) : read(fd, &extra, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			st = eid_fail(err, EID_E_IO, "cannot read key file '%s': %s", path,
				      strerror(errno));
		else if (r == 0)
			break;
		else if (n == cap)
			st = eid_fail(err, EID_E_FORMAT,
				      "cannot read key file '%s': longer than %zu bytes", path, cap);
		else
			n += (size_t)r;
	}
	close(fd);
	if (!st)
		*len_out = n;
	return st;
}
