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

eid_status eid_file_write(const char *path, const void *data, size_t len, unsigned mode,
			  eid_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return eid_fail(err, EID_E_IO, "cannot create '%s': %s", path, strerror(errno));
	const uint8_t *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			return eid_fail(err, EID_E_IO, "cannot write '%s': %s", path, strerror(e));
		}
		p += w;
		len -= (size_t)w;
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
