/* Tests of src/util/log.c (here beside the HTTP tests, its main user): line
 * format, escaping, truncation, levels, and the opaque identifier hash. */
#include "eid/log.h"
#include "test.h"

#include <jansson.h>
#include <pthread.h>

/* Runs fn with the log going to a temporary file and returns its text. */
static char *capture(void (*fn)(void))
{
	FILE *f = tmpfile();
	if (!f)
		return NULL;
	eid_log_set_output(f);
	fn();
	eid_log_set_output(NULL);
	long n = ftell(f);
	char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (text && n > 0 && fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = 0;
	fclose(f);
	return text;
}

static void write_basic(void)
{
	eid_log(EID_LOG_INFO, "platform", "session.created", "route", "/v1/sessions", "card_level",
		"full", "missing", NULL, "event", "spoofed", NULL);
	eid_log(EID_LOG_DEBUG, "platform", "hidden", NULL);
}

static void test_line_format(void)
{
	char *text = capture(write_basic);
	REQUIRE(text);
	CHECK(strchr(text, '\n') == text + strlen(text) - 1); /* one line: debug dropped */
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	REQUIRE(j);
	const char *t = json_string_value(json_object_get(j, "time"));
	REQUIRE(t);
	int y, mo, d, h, mi, s, ms;
	char z = 0;
	CHECK(strlen(t) == 24);
	CHECK(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z) == 8);
	CHECK(z == 'Z' && y >= 2024 && mo >= 1 && mo <= 12);
	CHECK(strcmp(json_string_value(json_object_get(j, "level")), "info") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "service")), "platform") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "event")), "session.created") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "card_level")), "full") == 0);
	/* a caller's key cannot overwrite a fixed field */
	CHECK(strcmp(json_string_value(json_object_get(j, "_event")), "spoofed") == 0);
	CHECK(json_is_null(json_object_get(j, "missing")));
	/* fields in the order given, after the fixed ones */
	CHECK(strstr(text, "\"event\":\"session.created\",\"route\":\"/v1/sessions\"") != NULL);
	json_decref(j);
	free(text);
}

static void write_builder(void)
{
	eid_log_line l;
	eid_log_begin(&l, EID_LOG_WARN, NULL, "x");
	eid_log_str(&l, "quote", "a\"b\\c\n\t\x01");
	eid_log_strn(&l, "bytes", "ok\xff\xc3(", 5); /* invalid UTF-8 */
	eid_log_str(&l, "han", "\xe5\xbc\xa0");
	eid_log_int(&l, "n", -42);
	eid_log_num(&l, "ms", 1.5);
	eid_log_num(&l, "nan", 0.0 / 0.0);
	eid_log_bool(&l, "yes", 1);
	eid_log_end(&l);
}

static void test_builder_escaping(void)
{
	char *text = capture(write_builder);
	REQUIRE(text);
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	REQUIRE(j);
	CHECK(strcmp(json_string_value(json_object_get(j, "service")), "eid") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "level")), "warn") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "quote")), "a\"b\\c\n\t\x01") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "bytes")),
		     "ok\xef\xbf\xbd\xef\xbf\xbd(") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "han")), "\xe5\xbc\xa0") == 0);
	CHECK(json_integer_value(json_object_get(j, "n")) == -42);
	CHECK(json_real_value(json_object_get(j, "ms")) == 1.5);
	CHECK(json_is_null(json_object_get(j, "nan")));
	CHECK(json_is_true(json_object_get(j, "yes")));
	CHECK(json_object_get(j, "truncated") == NULL);
	json_decref(j);
	free(text);
}

static void write_long(void)
{
	char big[700];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	eid_log_line l;
	eid_log_begin(&l, EID_LOG_ERROR, "authority", "long");
	for (int i = 0; i < 5; i++)
		eid_log_str(&l, "field", big);
	eid_log_int(&l, "after", 7);
	eid_log_end(&l);
}

static void test_truncation(void)
{
	char *text = capture(write_long);
	REQUIRE(text);
	CHECK(strlen(text) <= EID_LOG_LINE_MAX);
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	REQUIRE(j); /* still valid JSON */
	CHECK(json_is_true(json_object_get(j, "truncated")));
	CHECK(json_integer_value(json_object_get(j, "after")) == 7); /* small fields still fit */
	json_decref(j);
	free(text);
}

static void write_levels(void)
{
	eid_log_set_level(EID_LOG_ERROR);
	eid_log(EID_LOG_WARN, "s", "dropped", NULL);
	eid_log(EID_LOG_ERROR, "s", "kept", NULL);
	eid_log_set_level(EID_LOG_INFO);
	eid_log(EID_LOG_INFO, "s", "kept2", NULL);
}

static void test_levels(void)
{
	char *text = capture(write_levels);
	REQUIRE(text);
	CHECK(strstr(text, "dropped") == NULL);
	CHECK(strstr(text, "\"event\":\"kept\"") != NULL);
	CHECK(strstr(text, "\"event\":\"kept2\"") != NULL);
	CHECK(strcmp(eid_log_level_name(EID_LOG_DEBUG), "debug") == 0);
	CHECK(eid_log_enabled(EID_LOG_INFO) && !eid_log_enabled(EID_LOG_DEBUG));
	free(text);
}

static void test_hash_id(void)
{
	char a[EID_LOG_HASH_SIZE], b[EID_LOG_HASH_SIZE], c[EID_LOG_HASH_SIZE];
	const char *id = "11010119900307803X";
	eid_log_hash_id(id, strlen(id), a);
	eid_log_hash_id(id, strlen(id), b);
	CHECK(strlen(a) == 16 && strcmp(a, b) == 0); /* stable within a process */
	for (size_t i = 0; i < 16; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
	eid_log_hash_id("11010119900307804X", 18, c);
	CHECK(strcmp(a, c) != 0);

	/* a stable key gives stable hashes across processes; changing it
	 * changes every hash */
	uint8_t key[32] = {1, 2, 3};
	eid_err err = {{0}};
	CHECK_OK(eid_log_set_hash_key(key, sizeof(key), &err));
	eid_log_hash_id(id, strlen(id), b);
	CHECK(strcmp(a, b) != 0);
	eid_log_hash_id(id, strlen(id), c);
	CHECK(strcmp(b, c) == 0);
	key[0] = 9;
	CHECK_OK(eid_log_set_hash_key(key, sizeof(key), &err));
	eid_log_hash_id(id, strlen(id), c);
	CHECK(strcmp(b, c) != 0);
	CHECK(eid_log_set_hash_key(key, 8, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "8 bytes") != NULL);
}

static void write_id(void)
{
	eid_log_line l;
	eid_log_begin(&l, EID_LOG_INFO, "authority", "card.issued");
	eid_log_id(&l, "subject", "11010119900307803X", 18);
	eid_log_end(&l);
}

static void test_id_field(void)
{
	char *text = capture(write_id);
	REQUIRE(text);
	CHECK(strstr(text, "11010119900307803X") == NULL);
	char h[EID_LOG_HASH_SIZE], want[64];
	snprintf(want, sizeof(want), "\"subject\":\"%s\"",
		 eid_log_hash_id("11010119900307803X", 18, h));
	CHECK(strstr(text, want) != NULL);
	free(text);
}

static void *logger(void *arg)
{
	for (int i = 0; i < 200; i++)
		eid_log(EID_LOG_INFO, "t", "spam", "thread", (const char *)arg, "payload",
			"0123456789012345678901234567890123456789", NULL);
	return NULL;
}

static void write_threads(void)
{
	pthread_t th[4];
	static const char *const names[] = {"a", "b", "c", "d"};
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, logger, (void *)names[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
}

static void test_threads_do_not_interleave(void)
{
	char *text = capture(write_threads);
	REQUIRE(text);
	int lines = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		CHECK(j != NULL);
		json_decref(j);
		lines++;
	}
	CHECK(lines == 800);
	free(text);
}

TEST_MAIN(test_line_format, test_builder_escaping, test_truncation, test_levels, test_hash_id,
	  test_id_field, test_threads_do_not_interleave)
