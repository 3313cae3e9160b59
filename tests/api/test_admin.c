/* The authority's admin console over real HTTP on loopback
 * (src/api/admin_api.c, src/svc/admin.c, the upload path of
 * src/svc/register.c): the bearer token (kept as a hash, replaced by a new
 * one, refused when wrong or missing), an import by JSON with real photos,
 * bad rows reported by line and held, dismissal (audited), the counts of
 * the overview, and the bodies that must be refused. Nothing personal in
 * answers or logs. */
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "../../src/svc/svc_internal.h"
#include "eid/admin.h"
#include "eid/log.h"
#include "eid/util.h"
#include "test.h"
#include "call.h"

static char data[64], id_a[19], id_b[19], id_c[19], id_bad[19];
static char token[EID_ADMIN_TOKEN_LEN + 1];
static eid_authority *auth;
static eid_http_server *srv;
static FILE *log_file;

/* a JSON call with tok as the bearer token (NULL: no header) */
static json_t *call(const char *method, const char *path, const char *tok, json_t *body,
		    long *status)
{
	return api_call(srv, method, path, tok, body, status);
}

/* raw bytes of one content type; answers the status */
static long exchange(const char *path, const char *content_type, const void *body, size_t len)
{
	char url[512], hdr[128];
	snprintf(url, sizeof(url), "%s%s", eid_http_server_url(srv), path);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
	const char *headers[] = {hdr, NULL};
	eid_http_exchange x = {.method = "POST",
			       .url = url,
			       .headers = headers,
			       .content_type = content_type,
			       .body = body,
			       .body_len = len,
			       .timeout_s = 120.0};
	eid_err err;
	eid_status st = eid_http_exchange_run(&x, &err);
	if (st)
		fprintf(stderr, "  POST %s: %s\n", path, err.msg);
	long status = st ? -1 : x.status;
	eid_http_exchange_release(&x);
	return status;
}

/* a photo of the shared ORL set as base64 (url alphabet without padding when
 * url, else the standard alphabet with padding, as FileReader gives it) */
static json_t *photo(const char *rel, int url)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/faces/dev/images/orl/%s", test_shared(), rel);
	uint8_t *bytes;
	size_t n;
	eid_err err;
	REQUIRE(eid_file_read(path, 1u << 24, &bytes, &n, &err) == EID_OK);
	const int v = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
	const size_t cap = sodium_base64_ENCODED_LEN(n, v);
	char *s = malloc(cap);
	REQUIRE(s);
	sodium_bin2base64(s, cap, bytes, n, v);
	free(bytes);
	json_t *j = json_string(s);
	free(s);
	return j;
}

static int text_has(const char *text, const char *needle)
{
	return text && strstr(text, needle) != NULL;
}

/* nothing personal: no ID number, no name, no token */
static int clean(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	int ok = t && !text_has(t, id_a) && !text_has(t, id_b) && !text_has(t, id_c) &&
		 !text_has(t, id_bad) && !text_has(t, "Zhang") && !text_has(t, "Qian");
	free(t);
	return ok;
}

static void test_setup(void)
{
	snprintf(data, sizeof(data), "/tmp/eid-admin-XXXXXX");
	REQUIRE(mkdtemp(data));
	test_id_number("19900101", "123", id_a);
	test_id_number("19851231", "244", id_b);
	test_id_number("19900101", "125", id_c);
	memcpy(id_bad, id_a, sizeof(id_bad));
	id_bad[17] = id_bad[17] == '0' ? '1' : '0';
	char lp[128];
	snprintf(lp, sizeof(lp), "%s/log.jsonl", data);
	log_file = fopen(lp, "w+");
	REQUIRE(log_file);
	eid_log_set_output(log_file);
	eid_err err;
	REQUIRE(eid_authority_open(data, &auth, &err) == EID_OK);
	eid_http_config cfg = {.name = "admin"};
	REQUIRE(eid_api_admin_start(auth, &cfg, &srv, &err) == EID_OK);
}

static void test_token(void)
{
	long status;
	eid_err err;
	/* before any token exists, nothing gets in */
	json_t *r = call("GET", "/admin/v1/overview", "x", NULL, &status);
	CHECK(status == 401);
	json_decref(r);
	char old[EID_ADMIN_TOKEN_LEN + 1];
	REQUIRE(eid_admin_token_new(auth, old, &err) == EID_OK);
	CHECK(strlen(old) == EID_ADMIN_TOKEN_LEN);
	REQUIRE(eid_admin_token_new(auth, token, &err) == EID_OK);
	CHECK(strcmp(old, token) != 0);

	r = call("GET", "/admin/v1/overview", NULL, NULL, &status);
	CHECK(status == 401 && strcmp(error_code(r), "unauthorized") == 0);
	json_decref(r);
	r = call("GET", "/admin/v1/overview", old, NULL, &status); /* replaced */
	CHECK(status == 401);
	json_decref(r);
	char wrong[EID_ADMIN_TOKEN_LEN + 1];
	memcpy(wrong, token, sizeof(wrong));
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	r = call("GET", "/admin/v1/held", wrong, NULL, &status);
	CHECK(status == 401);
	json_decref(r);
	r = call("GET", "/admin/v1/held", "", NULL, &status);
	CHECK(status == 401);
	json_decref(r);
	/* the token is checked before the body is read: a large upload without
	 * it is refused without being received */
	r = call("POST", "/admin/v1/import", wrong, json_pack("{s:s}", "csv", "x"), &status);
	CHECK(status == 401);
	json_decref(r);
	r = call("GET", "/admin/v1/overview", token, NULL, &status);
	CHECK(status == 200);
	json_decref(r);

	/* (that only the hash is kept is checked in teardown: reading the
	 * database file here would drop this process's SQLite locks) */
	uint64_t n;
	CHECK(eid_store_audit_count(auth->store, "admin.token_created", 0, &n, &err) == EID_OK &&
	      n == 2);

	/* the command line makes one too (when the CLI is built), printed once as
	 * JSON; it replaces the token of the running server at once */
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[512], line[256] = "";
	snprintf(cmd, sizeof(cmd), "%s/eid", build);
	FILE *probe = fopen(cmd, "r");
	if (!probe)
		return;
	fclose(probe);
	snprintf(cmd, sizeof(cmd), "%s/eid authority admin-token --data '%s'", build, data);
	FILE *p = popen(cmd, "r");
	REQUIRE(p);
	CHECK(fgets(line, sizeof(line), p) != NULL);
	CHECK(pclose(p) == 0);
	json_t *j = json_loads(line, 0, NULL);
	const char *cli = json_string_value(json_object_get(j, "admin_token"));
	CHECK(cli && strlen(cli) == EID_ADMIN_TOKEN_LEN);
	if (cli) {
		r = call("GET", "/admin/v1/overview", cli, NULL, &status);
		CHECK(status == 200);
		json_decref(r);
		r = call("GET", "/admin/v1/overview", token, NULL, &status);
		CHECK(status == 401);
		json_decref(r);
		snprintf(token, sizeof(token), "%s", cli);
	}
	json_decref(j);
}

static char held_first[64];

static void test_import(void)
{
	long status;
	char csv[2048];
	snprintf(csv, sizeof(csv),
		 "id_number,name,birth_date,sex,address,photo\n"
		 "%s,Zhang Sanfeng,1990-01-01,M,\"Tianhe, Guangzhou\",s3_03.png\n" /* 2 ok */
		 "%s,Li Si,1985-12-31,F,Yuexiu,C:\\photos\\s1_01.png\n"            /* 3 ok */
		 "%s,Wang Wu,1990-01-01,M,x,s2_01.png\n"                           /* 4 bad id */
		 "%s,Qian Qi,1990-01-01,M,x,absent.png\n"                          /* 5 no photo */
		 "%s,Zhao Liu,1990-01-01,M,x,some/dir/s4_01.png\n",                /* 6 ok */
		 id_a, id_b, id_bad, id_c, id_c);
	json_t *photos = json_pack("{s:o, s:o, s:o, s:o}", "s3_03.png", photo("s3/s3_03.png", 0),
				   "s1_01.png", photo("s1/s1_01.png", 1), "s2_01.png",
				   photo("s2/s2_01.png", 0), "dir/s4_01.png",
				   photo("s4/s4_01.png", 1));
	json_t *r = call("POST", "/admin/v1/import", token,
			 json_pack("{s:s, s:o}", "csv", csv, "photos", photos), &status);
	if (status != 200)
		fprintf(stderr, "  %s\n", error_code(r));
	REQUIRE(status == 200);
	CHECK(json_integer_value(json_object_get(r, "rows")) == 5);
	CHECK(json_integer_value(json_object_get(r, "imported")) == 3);
	CHECK(json_integer_value(json_object_get(r, "rejected")) == 2);
	json_t *errors = json_object_get(r, "errors");
	REQUIRE(json_array_size(errors) == 2);
	json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
	CHECK(json_integer_value(json_object_get(e0, "line")) == 4);
	CHECK(strcmp(json_string_value(json_object_get(e0, "code")), "bad_format") == 0);
	CHECK(text_has(json_string_value(json_object_get(e0, "reason")), "check character"));
	CHECK(json_integer_value(json_object_get(e1, "line")) == 5);
	CHECK(strcmp(json_string_value(json_object_get(e1, "code")), "not_found") == 0);
	CHECK(text_has(json_string_value(json_object_get(e1, "reason")), "photo"));
	CHECK(!text_has(json_string_value(json_object_get(e1, "reason")), "absent"));
	CHECK(clean(r));
	char batch[64];
	snprintf(batch, sizeof(batch), "%s", json_string_value(json_object_get(r, "batch")));
	json_decref(r);

	/* the refused rows wait in the held queue, with no personal data */
	r = call("GET", "/admin/v1/held", token, NULL, &status);
	REQUIRE(status == 200);
	CHECK(json_integer_value(json_object_get(r, "total")) == 2);
	json_t *held = json_object_get(r, "held");
	REQUIRE(json_array_size(held) == 2);
	json_t *h0 = json_array_get(held, 0);
	CHECK(json_integer_value(json_object_get(h0, "line")) == 4);
	CHECK(strcmp(json_string_value(json_object_get(h0, "kind")), "import_rejected") == 0);
	CHECK(strcmp(json_string_value(json_object_get(h0, "batch")), batch) == 0);
	CHECK(json_integer_value(json_object_get(h0, "time")) > 0);
	CHECK(clean(r));
	snprintf(held_first, sizeof(held_first), "%s", json_string_value(json_object_get(h0, "id")));
	json_decref(r);

	/* the CLI's import shares the routine: its refused rows are held too,
	 * newest batch first */
	char path[160];
	snprintf(path, sizeof(path), "%s/reg.csv", data);
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fprintf(f, "id_number,name,birth_date,sex,address,photo\n%s,A,1990-01-01,M,x,missing.png\n",
		id_a);
	fclose(f);
	eid_import_counts c;
	eid_err err;
	REQUIRE(eid_authority_import(auth, path, NULL, NULL, &c, &err) == EID_OK);
	CHECK(c.rows == 1 && c.rejected == 1);
	r = call("GET", "/admin/v1/held", token, NULL, &status);
	CHECK(json_integer_value(json_object_get(r, "total")) == 3);
	json_t *newest = json_array_get(json_object_get(r, "held"), 0);
	CHECK(json_integer_value(json_object_get(newest, "line")) == 2);
	CHECK(strcmp(json_string_value(json_object_get(newest, "code")), "io_error") == 0);
	CHECK(strcmp(json_string_value(json_object_get(newest, "batch")), batch) != 0);
	json_decref(r);
}

static void test_dismiss(void)
{
	long status;
	eid_err err;
	uint64_t before, after, rows, bad;
	REQUIRE(eid_store_audit_count(auth->store, "held.dismissed", 0, &before, &err) == EID_OK);
	char path[128];
	snprintf(path, sizeof(path), "/admin/v1/held/%s/dismiss", held_first);
	json_t *r = call("POST", path, token, NULL, &status);
	CHECK(status == 200 && json_is_true(json_object_get(r, "dismissed")));
	json_decref(r);
	r = call("POST", path, token, NULL, &status); /* gone */
	CHECK(status == 404);
	json_decref(r);
	r = call("POST", "/admin/v1/held/no-such-row/dismiss", token, NULL, &status);
	CHECK(status == 404);
	json_decref(r);
	r = call("POST", path, NULL, NULL, &status);
	CHECK(status == 401);
	json_decref(r);
	r = call("GET", "/admin/v1/held", token, NULL, &status);
	CHECK(json_integer_value(json_object_get(r, "total")) == 2);
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(r, "held"), i, v)
		CHECK(strcmp(json_string_value(json_object_get(v, "id")), held_first) != 0);
	json_decref(r);
	/* audited, and the chain holds */
	CHECK(eid_store_audit_count(auth->store, "held.dismissed", 0, &after, &err) == EID_OK &&
	      after == before + 1);
	CHECK(eid_authority_audit_verify(auth, &rows, &bad, &err) == EID_OK);
}

/* adds n decisions of result at time t, straight into the store */
static void add_verifications(const char *person, const char *result, int n, int64_t t)
{
	static int seq;
	eid_err err;
	for (int i = 0; i < n; i++) {
		eid_verification_row v;
		memset(&v, 0, sizeof(v));
		snprintf(v.sid, sizeof(v.sid), "sid-%d", seq++);
		snprintf(v.person_id, sizeof(v.person_id), "%s", person);
		snprintf(v.rp_id, sizeof(v.rp_id), "rp");
		snprintf(v.purpose, sizeof(v.purpose), "test");
		snprintf(v.result, sizeof(v.result), "%s", result);
		snprintf(v.level, sizeof(v.level), "lightweight");
		v.time_ms = t;
		REQUIRE(eid_store_verification_add(auth->store, &v, &err) == EID_OK);
	}
}

static void add_card(const char *person, const char *id, const char *level, const char *status)
{
	eid_card_row c;
	memset(&c, 0, sizeof(c));
	snprintf(c.card_id, sizeof(c.card_id), "%s", id);
	snprintf(c.person_id, sizeof(c.person_id), "%s", person);
	snprintf(c.level, sizeof(c.level), "%s", level);
	snprintf(c.status, sizeof(c.status), "%s", status);
	eid_err err;
	REQUIRE(eid_store_card_add(auth->store, &c, &err) == EID_OK);
	REQUIRE(eid_store_audit_append(auth->store, "card.issued", "x", NULL, 0, NULL, &err) ==
		EID_OK);
}

static double num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(o, a), b);
	return json_is_number(v) ? json_number_value(v) : -1;
}

static void test_overview(void)
{
	/* a resident of the register to hang cards and decisions on */
	char path[160], person[48] = "";
	snprintf(path, sizeof(path), "%s/authority/authority.db", data);
	sqlite3 *db;
	sqlite3_stmt *q;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_prepare_v2(db, "SELECT person_id FROM residents LIMIT 1", -1, &q, NULL) ==
		SQLITE_OK);
	REQUIRE(sqlite3_step(q) == SQLITE_ROW);
	snprintf(person, sizeof(person), "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);

	const int64_t now = svc_now_ms();
	add_card(person, "card-1", "full", "active");
	add_card(person, "card-2", "lightweight", "revoked");
	add_card(person, "card-3", "lightweight", "active");
	eid_err err;
	REQUIRE(eid_store_audit_append(auth->store, "enrol.refused", "x", "no_match", 8, NULL,
				       &err) == EID_OK);
	add_verifications(person, "yes", 2, now - 1000);
	add_verifications(person, "yes", 1, now - 3 * 24 * 3600 * 1000LL); /* days ago */
	add_verifications(person, "no", 1, now - 1000);

	long status;
	json_t *r = call("GET", "/admin/v1/overview", token, NULL, &status);
	REQUIRE(status == 200);
	CHECK(num(r, "register", "persons") == 3);
	CHECK(num(r, "cards", "total") == 3);
	json_t *by = json_object_get(json_object_get(r, "cards"), "by_level");
	CHECK(num(by, "full", "active") == 1);
	CHECK(num(by, "lightweight", "active") == 1);
	CHECK(num(by, "lightweight", "revoked") == 1);
	CHECK(num(r, "enrolments", "issued") == 3);
	CHECK(num(r, "enrolments", "refused") == 1);
	CHECK_NEAR(num(r, "enrolments", "refusal_rate"), 0.25, 1e-9);
	json_t *ver = json_object_get(r, "verifications");
	CHECK(num(ver, "total", "yes") == 3 && num(ver, "total", "no") == 1);
	CHECK_NEAR(num(ver, "total", "no_rate"), 0.25, 1e-9);
	CHECK(num(ver, "last_24h", "yes") == 2 && num(ver, "last_24h", "no") == 1);
	CHECK_NEAR(num(ver, "last_24h", "no_rate"), 1.0 / 3, 1e-9);
	/* two batches: the upload (5 rows, 2 refused) and the CLI's (1, refused) */
	CHECK(num(r, "imports", "batches") == 2);
	CHECK(num(r, "imports", "rows") == 6);
	CHECK(num(r, "imports", "imported") == 3);
	CHECK(num(r, "imports", "rejected") == 3);
	CHECK_NEAR(num(r, "imports", "rejection_rate"), 0.5, 1e-9);
	CHECK(num(r, "imports", "held") == 2);
	CHECK(clean(r));
	char *t = json_dumps(r, JSON_COMPACT);
	CHECK(!text_has(t, person) && !text_has(t, "card-1")); /* counts, not rows */
	free(t);
	json_decref(r);
}

static void test_bad_bodies(void)
{
	long status;
	json_t *r;
	/* not JSON, not an object, the wrong members */
	CHECK(exchange("/admin/v1/import", "application/json", "{\"csv\":", 7) == 400);
	CHECK(exchange("/admin/v1/import", "text/csv", "a,b\n", 4) == 415);
	r = call("POST", "/admin/v1/import", token, json_pack("[s]", "x"), &status);
	CHECK(status == 400);
	json_decref(r);
	r = call("POST", "/admin/v1/import", token, json_pack("{s:i}", "csv", 1), &status);
	CHECK(status == 400 && strcmp(error_code(r), "invalid_argument") == 0);
	json_decref(r);
	r = call("POST", "/admin/v1/import", token, json_pack("{s:s, s:[]}", "csv", "x", "photos"),
		 &status);
	CHECK(status == 400);
	json_decref(r);
	r = call("POST", "/admin/v1/import", token,
		 json_pack("{s:s, s:{s:i}}", "csv", "x", "photos", "a.png", 3), &status);
	CHECK(status == 400);
	json_decref(r);
	/* a wrong header, an empty file, a NUL inside */
	r = call("POST", "/admin/v1/import", token, json_pack("{s:s}", "csv", "name,id_number\n"),
		 &status);
	CHECK(status == 400 && strcmp(error_code(r), "bad_format") == 0);
	json_decref(r);
	r = call("POST", "/admin/v1/import", token, json_pack("{s:s}", "csv", ""), &status);
	CHECK(status == 400);
	json_decref(r);
	r = call("POST", "/admin/v1/import", token,
		 json_pack("{s:s#}", "csv", "id_number\0x", (size_t)11), &status);
	CHECK(status == 400);
	json_decref(r);
	/* two photos that match the same base name */
	r = call("POST", "/admin/v1/import", token,
		 json_pack("{s:s, s:{s:s, s:s}}", "csv", "x", "photos", "a/p.png", "AAAA", "b/p.png",
			   "AAAA"),
		 &status);
	CHECK(status == 400 && strcmp(error_code(r), "invalid_argument") == 0);
	json_decref(r);
	/* a photo that is not base64, or not an image: the row is refused */
	char csv[256];
	snprintf(csv, sizeof(csv),
		 "id_number,name,birth_date,sex,address,photo\n%s,A,1990-01-01,M,x,p.png\n"
		 "%s,A,1990-01-01,M,x,q.png\n",
		 id_c, id_c);
	r = call("POST", "/admin/v1/import", token,
		 json_pack("{s:s, s:{s:s, s:s}}", "csv", csv, "photos", "p.png", "!!!!", "q.png",
			   "AAAAAAAA"),
		 &status);
	CHECK(status == 200 && json_integer_value(json_object_get(r, "rejected")) == 2);
	json_decref(r);
	/* larger than the route's 64 MiB: refused from Content-Length, unread */
	const size_t big = EID_ADMIN_IMPORT_BYTES + 1;
	char *body = malloc(big);
	REQUIRE(body);
	memset(body, ' ', big);
	body[0] = '{';
	body[big - 1] = '}';
	CHECK(exchange("/admin/v1/import", "application/json", body, big) == 413);
	free(body);
	/* the other routes take no big bodies either */
	char small[2048];
	memset(small, ' ', sizeof(small));
	small[0] = '{';
	small[sizeof(small) - 1] = '}';
	char dpath[128];
	snprintf(dpath, sizeof(dpath), "/admin/v1/held/%s/dismiss", held_first);
	CHECK(exchange(dpath, "application/json", small, sizeof(small)) == 413);
	/* unknown routes and methods */
	r = call("GET", "/admin/v1/import", token, NULL, &status);
	CHECK(status == 405);
	json_decref(r);
	r = call("GET", "/admin/v1/nothing", token, NULL, &status);
	CHECK(status == 404);
	json_decref(r);
}

static void test_teardown(void)
{
	eid_http_server_free(srv);
	eid_authority_close(auth);
	/* the logs name no ID number, name or token */
	eid_log_set_output(NULL);
	fflush(log_file);
	rewind(log_file);
	char line[4096];
	int lines = 0;
	while (fgets(line, sizeof(line), log_file)) {
		lines++;
		CHECK(!text_has(line, id_a) && !text_has(line, id_b) && !text_has(line, id_c));
		CHECK(!text_has(line, "Zhang") && !text_has(line, token));
	}
	CHECK(lines > 0);
	fclose(log_file);
	/* nor the database files anything in clear, the token included */
	static const char *const files[] = {"authority.db", "authority.db-wal"};
	for (size_t i = 0; i < 2; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/authority/%s", data, files[i]);
		uint8_t *buf;
		size_t len;
		eid_err err;
		if (eid_file_read(p, 1u << 28, &buf, &len, &err) != EID_OK)
			continue;
		int found = 0;
		for (size_t k = 0; !found && len >= 64 && k <= len - 64; k++)
			found = memcmp(buf + k, id_a, 18) == 0 || memcmp(buf + k, "Zhang", 5) == 0 ||
				memcmp(buf + k, token, EID_ADMIN_TOKEN_LEN) == 0;
		CHECK(!found);
		free(buf);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_setup, test_token, test_import, test_dismiss, test_overview, test_bad_bodies,
	  test_teardown)
