/* Structured logs: one JSON object per line (see eid/log.h). */
#include "eid/log.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static _Atomic(FILE *) log_out;
static atomic_int log_min = EID_LOG_INFO;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t hash_key[crypto_generichash_KEYBYTES_MAX];
static size_t hash_key_len;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void eid_log_set_output(FILE *out)
{
	atomic_store(&log_out, out);
}

void eid_log_set_level(eid_log_level min)
{
	atomic_store(&log_min, (int)min);
}

int eid_log_enabled(eid_log_level level)
{
	return (int)level >= atomic_load(&log_min);
}

const char *eid_log_level_name(eid_log_level level)
{
	return (unsigned)level <= EID_LOG_ERROR ? level_names[level] : "error";
}

/* Appends raw bytes; returns -1 (and appends nothing) if they do not fit
 * with room left for the closing "}\n" and a truncation marker. */
#define LOG_RESERVE 24
static int put(eid_log_line *l, const char *s, size_t n)
{
	if (l->len + n + LOG_RESERVE > sizeof(l->buf))
		return -1;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	unsigned cp = c & (0x3fu >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Appends s as a JSON string (quotes included). */
static int put_json_str(eid_log_line *l, const char *s, size_t n)
{
	size_t start = l->len;
	const unsigned char *p = (const unsigned char *)s;
	if (put(l, "\"", 1))
		goto full;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			if (put(l, esc, 2))
				goto full;
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			if (put(l, esc, 6))
				goto full;
			i++;
		} else {
			size_t k = utf8_seq(p + i, n - i);
			if (k == 0) {
				if (put(l, "\\ufffd", 6))
					goto full;
				i++;
			} else {
				if (put(l, s + i, k))
					goto full;
				i += k;
			}
		}
	}
	if (put(l, "\"", 1))
		goto full;
	return 0;
full:
	l->len = start;
	return -1;
}

/* Starts a field: ,"key": — on failure the caller rewinds the line. A
 * caller's key that collides with a fixed field gets a leading '_'. */
static int put_key(eid_log_line *l, const char *key, int fixed)
{
	static const char *const reserved[] = {"time", "level", "service", "event", "truncated"};
	if (!key)
		key = "";
	if (put(l, ",", 1))
		return -1;
	for (size_t i = 0; !fixed && i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(key, reserved[i]) == 0) {
			char k[16];
			int n = snprintf(k, sizeof(k), "_%s", key);
			return put_json_str(l, k, (size_t)n) || put(l, ":", 1);
		}
	if (put_json_str(l, key, strlen(key)))
		return -1;
	return put(l, ":", 1);
}

/* Adds a field whose value is already JSON text. */
static void field_raw(eid_log_line *l, const char *key, const char *json, size_t n)
{
	if (!l->enabled)
		return;
	size_t start = l->len;
	if (put_key(l, key, 0) || put(l, json, n)) {
		l->len = start;
		l->truncated = 1;
	}
}

static void field_str(eid_log_line *l, const char *key, int fixed, const char *value, size_t len)
{
	if (!l->enabled)
		return;
	if (!value) {
		field_raw(l, key, "null", 4);
		return;
	}
	size_t start = l->len;
	if (put_key(l, key, fixed) || put_json_str(l, value, len)) {
		l->len = start;
		l->truncated = 1;
	}
}

void eid_log_begin(eid_log_line *l, eid_log_level level, const char *service, const char *event)
{
	l->len = 0;
	l->truncated = 0;
	l->enabled = eid_log_enabled(level);
	if (!l->enabled)
		return;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char head[96];
	int n = snprintf(head, sizeof(head),
			 "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000L, eid_log_level_name(level));
	if (n < 0 || (size_t)n >= sizeof(head))
		n = 0;
	(void)put(l, head, (size_t)n);
	service = service ? service : "eid";
	event = event ? event : "unknown";
	field_str(l, "service", 1, service, strlen(service));
	field_str(l, "event", 1, event, strlen(event));
}

void eid_log_strn(eid_log_line *l, const char *key, const char *value, size_t len)
{
	field_str(l, key, 0, value, len);
}

void eid_log_str(eid_log_line *l, const char *key, const char *value)
{
	eid_log_strn(l, key, value, value ? strlen(value) : 0);
}

void eid_log_int(eid_log_line *l, const char *key, long long value)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", value);
	field_raw(l, key, num, (size_t)n);
}

void eid_log_num(eid_log_line *l, const char *key, double value)
{
	char num[40];
	int n;
	if (!isfinite(value))
		n = snprintf(num, sizeof(num), "null");
	else
		n = snprintf(num, sizeof(num), "%.6g", value);
	field_raw(l, key, num, (size_t)n);
}

void eid_log_bool(eid_log_line *l, const char *key, int value)
{
	field_raw(l, key, value ? "true" : "false", value ? 4 : 5);
}

void eid_log_id(eid_log_line *l, const char *key, const void *id, size_t len)
{
	char h[EID_LOG_HASH_SIZE];
	if (!l->enabled)
		return;
	eid_log_str(l, key, eid_log_hash_id(id, len, h));
}

void eid_log_end(eid_log_line *l)
{
	if (!l->enabled)
		return;
	/* LOG_RESERVE guarantees room for the marker and the end of the line. */
	if (l->truncated) {
		static const char mark[] = ",\"truncated\":true";
		memcpy(l->buf + l->len, mark, sizeof(mark) - 1);
		l->len += sizeof(mark) - 1;
	}
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	FILE *f = atomic_load(&log_out);
	if (!f)
		f = stderr;
	flockfile(f);
	fwrite(l->buf, 1, l->len, f);
	fflush(f);
	funlockfile(f);
	l->enabled = 0;
}

void eid_log(eid_log_level level, const char *service, const char *event, ...)
{
	if (!eid_log_enabled(level))
		return;
	eid_log_line l;
	eid_log_begin(&l, level, service, event);
	va_list ap;
	va_start(ap, event);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key)
			break;
		const char *value = va_arg(ap, const char *);
		eid_log_str(&l, key, value);
	}
	va_end(ap);
	eid_log_end(&l);
}

static void key_init(void)
{
	/* sodium_init is idempotent and thread-safe; randombytes works either
	 * way, so a failure here only loses libsodium's CPU feature probing. */
	if (sodium_init() < 0)
		eid_log(EID_LOG_WARN, NULL, "log.sodium_init_failed", NULL);
	pthread_mutex_lock(&key_lock);
	if (hash_key_len == 0) {
		randombytes_buf(hash_key, 32);
		hash_key_len = 32;
	}
	pthread_mutex_unlock(&key_lock);
}

const char *eid_log_hash_id(const void *id, size_t len, char out[EID_LOG_HASH_SIZE])
{
	uint8_t key[crypto_generichash_KEYBYTES_MAX], h[crypto_generichash_BYTES_MIN];
	size_t klen;
	pthread_once(&key_once, key_init);
	pthread_mutex_lock(&key_lock);
	klen = hash_key_len;
	memcpy(key, hash_key, klen);
	pthread_mutex_unlock(&key_lock);
	crypto_generichash(h, sizeof(h), id, len, key, klen);
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(out, EID_LOG_HASH_SIZE, h, 8);
	return out;
}

eid_status eid_log_set_hash_key(const uint8_t *key, size_t len, eid_err *err)
{
	if (!key || len < crypto_generichash_KEYBYTES_MIN || len > crypto_generichash_KEYBYTES_MAX)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot set the log hash key: %zu bytes (want %u to %u)", len,
				(unsigned)crypto_generichash_KEYBYTES_MIN,
				(unsigned)crypto_generichash_KEYBYTES_MAX);
	pthread_once(&key_once, key_init);
	pthread_mutex_lock(&key_lock);
	memcpy(hash_key, key, len);
	hash_key_len = len;
	pthread_mutex_unlock(&key_lock);
	return EID_OK;
}
