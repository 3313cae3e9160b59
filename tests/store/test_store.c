/* The storage interface on its SQLite backend: migrations, transactions, the
 * hash-chained audit log (edits, deletions and reorders detected), the
 * one-time-value guard, file permissions. Real database files in a temp dir. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eid/store.h"
#include "test.h"

static char dir[64];

static const char *db_path(const char *name)
{
	static char path[128];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/eid-store-XXXXXX");
		REQUIRE(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* runs one SQL statement on the file behind the store's back */
static void tamper(const char *path, const char *sql)
{
	sqlite3 *db;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc)
		fprintf(stderr, "  tamper: %s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	REQUIRE(rc == SQLITE_OK);
}

static void test_open_migrates_once_and_is_private(void)
{
	eid_store *st;
	eid_err err;
	const char *p = db_path("a.db");
	REQUIRE(eid_store_open(p, EID_SCHEMA_AUTHORITY, &st, &err) == EID_OK);
	CHECK(eid_store_schema_version(st) == 5);
	eid_store_close(st);
	char loc[160];
	snprintf(loc, sizeof(loc), "sqlite:%s", p);
	REQUIRE(eid_store_open(loc, EID_SCHEMA_AUTHORITY, &st, &err) == EID_OK); /* again: no-op */
	CHECK(eid_store_schema_version(st) == 5);
	eid_store_close(st);
	struct stat sb;
	REQUIRE(stat(p, &sb) == 0);
	CHECK((sb.st_mode & 0077) == 0);
	/* a database from a newer program is refused, not rewritten */
	tamper(p, "INSERT INTO schema_version VALUES (99)");
	CHECK(eid_store_open(p, EID_SCHEMA_AUTHORITY, &st, &err) == EID_E_UNSUPPORTED);
	CHECK(strstr(err.msg, "99") != NULL);
}

static void test_bad_locations(void)
{
	eid_store *st;
	eid_err err;
	CHECK(eid_store_open("", EID_SCHEMA_PLATFORM, &st, &err) == EID_E_INVALID_ARG);
	CHECK(eid_store_open("postgres://x/y", EID_SCHEMA_PLATFORM, &st, &err) == EID_E_UNSUPPORTED);
	CHECK(strstr(err.msg, "postgres") != NULL);
	CHECK(eid_store_open("/nonexistent/dir/x.db", EID_SCHEMA_PLATFORM, &st, &err) == EID_E_IO);
	CHECK(st == NULL);
}

static eid_store *fresh(const char *name)
{
	eid_store *st = NULL;
	eid_err err;
	const char *p = db_path(name);
	unlink(p);
	REQUIRE(eid_store_open(p, EID_SCHEMA_AUTHORITY, &st, &err) == EID_OK);
	return st;
}

static void append_n(eid_store *st, int n)
{
	eid_err err;
	for (int i = 0; i < n; i++) {
		char data[64];
		snprintf(data, sizeof(data), "{\"decision\":%d}", i);
		eid_audit_entry e;
		REQUIRE(eid_store_audit_append(st, "verification.decided", "subj-hash", data,
					       strlen(data), &e, &err) == EID_OK);
		CHECK(e.seq == (uint64_t)i + 1);
	}
}

static void test_audit_chain_verifies(void)
{
	eid_store *st = fresh("audit.db");
	eid_err err;
	uint64_t rows, bad;
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_OK && rows == 0);
	append_n(st, 10);
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_OK);
	CHECK(rows == 10 && bad == 0);
	eid_store_close(st);
}

static void expect_broken_at(const char *name, const char *sql, uint64_t at)
{
	eid_store *st = fresh(name);
	append_n(st, 6);
	eid_store_close(st);
	tamper(db_path(name), sql);
	eid_err err;
	REQUIRE(eid_store_open(db_path(name), EID_SCHEMA_AUTHORITY, &st, &err) == EID_OK);
	uint64_t rows, bad;
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_E_FORMAT);
	if (bad != at)
		fprintf(stderr, "  %s: broken at %llu, expected %llu (%s)\n", name,
			(unsigned long long)bad, (unsigned long long)at, err.msg);
	CHECK(bad == at);
	eid_store_close(st);
}

static void test_audit_detects_edits_and_deletions(void)
{
	expect_broken_at("edit-event.db", "UPDATE audit SET event='card.revoked' WHERE seq=3", 3);
	expect_broken_at("edit-time.db", "UPDATE audit SET time_ms=time_ms+1 WHERE seq=5", 5);
	expect_broken_at("edit-data.db", "UPDATE audit SET data_hash=zeroblob(32) WHERE seq=2", 2);
	expect_broken_at("delete-mid.db", "DELETE FROM audit WHERE seq=4", 4);
	expect_broken_at("delete-first.db", "DELETE FROM audit WHERE seq=1", 1);
	/* rehashing one row is not enough: the next row's link breaks */
	expect_broken_at("relink.db",
			 "UPDATE audit SET hash=(SELECT hash FROM audit WHERE seq=2) WHERE seq=3", 3);
}

static void test_audit_rejects_bad_fields(void)
{
	eid_store *st = fresh("fields.db");
	eid_err err;
	CHECK(eid_store_audit_append(st, "", "s", "x", 1, NULL, &err) == EID_E_INVALID_ARG);
	CHECK(eid_store_audit_append(st, "bad\nevent", "s", "x", 1, NULL, &err) == EID_E_INVALID_ARG);
	CHECK(eid_store_audit_append(st, "ok", "s", NULL, 5, NULL, &err) == EID_E_INVALID_ARG);
	/* SQL in a field is data, nothing else */
	CHECK(eid_store_audit_append(st, "x'); DROP TABLE audit; --", "s", "d", 1, NULL, &err) ==
	      EID_OK);
	uint64_t rows, bad;
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_OK && rows == 1);
	eid_store_close(st);
}

static void test_transactions(void)
{
	eid_store *st = fresh("tx.db");
	eid_err err;
	REQUIRE(eid_store_begin(st, &err) == EID_OK);
	CHECK(eid_store_begin(st, &err) == EID_E_INVALID_ARG);
	append_n(st, 3);
	eid_store_rollback(st);
	uint64_t rows, bad;
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_OK && rows == 0);
	REQUIRE(eid_store_begin(st, &err) == EID_OK);
	append_n(st, 2);
	CHECK(eid_store_commit(st, &err) == EID_OK);
	CHECK(eid_store_commit(st, &err) == EID_E_INVALID_ARG);
	CHECK(eid_store_audit_verify(st, &rows, &bad, &err) == EID_OK && rows == 2);
	eid_store_close(st);
}

static void test_one_time_values(void)
{
	eid_store *st = fresh("nonces.db");
	eid_err err;
	CHECK(eid_store_nonce_use(st, "n-1", 1000, &err) == EID_OK);
	CHECK(eid_store_nonce_use(st, "n-1", 5000, &err) == EID_E_CONFLICT); /* replay */
	CHECK(eid_store_nonce_use(st, "n-2", 3000, &err) == EID_OK);
	CHECK(eid_store_nonce_use(st, "", 3000, &err) == EID_E_INVALID_ARG);
	uint64_t purged;
	CHECK(eid_store_nonce_purge(st, 2000, &purged, &err) == EID_OK && purged == 1);
	CHECK(eid_store_nonce_use(st, "n-2", 9000, &err) == EID_E_CONFLICT); /* not yet expired */
	eid_store_close(st);
	/* survives a reopen: the guard is durable */
	REQUIRE(eid_store_open(db_path("nonces.db"), EID_SCHEMA_AUTHORITY, &st, &err) == EID_OK);
	CHECK(eid_store_nonce_use(st, "n-2", 9000, &err) == EID_E_CONFLICT);
	eid_store_close(st);
}

/* a resident with two cards and three decisions */
static void add_person(eid_store *st, const char *person, uint8_t id_byte)
{
	eid_err err;
	const uint8_t ct[4] = {1, 2, 3, 4};
	eid_resident_row r = {.record_ct = ct, .record_len = 4, .template_ct = ct,
			      .template_len = 4, .status = "active", .created_ms = 1};
	snprintf(r.person_id, sizeof(r.person_id), "%s", person);
	memset(r.id_hash, id_byte, sizeof(r.id_hash));
	REQUIRE(eid_store_resident_add(st, &r, &err) == EID_OK);
}

static void add_card(eid_store *st, const char *card_id, const char *person, const char *status)
{
	eid_err err;
	eid_card_row c = {.iat_ms = 1, .exp_ms = 2};
	snprintf(c.card_id, sizeof(c.card_id), "%s", card_id);
	snprintf(c.person_id, sizeof(c.person_id), "%s", person);
	snprintf(c.level, sizeof(c.level), "full");
	snprintf(c.status, sizeof(c.status), "%s", status);
	REQUIRE(eid_store_card_add(st, &c, &err) == EID_OK);
}

static void test_cards_superseded(void)
{
	eid_store *st = fresh("cards.db");
	eid_err err;
	add_person(st, "p1", 1);
	add_person(st, "p2", 2);
	add_card(st, "c1", "p1", "active");
	add_card(st, "c2", "p1", "suspended");
	add_card(st, "c3", "p1", "revoked");
	add_card(st, "c4", "p2", "active");
	unsigned n = 99;
	CHECK(eid_store_cards_supersede(st, "p1", &n, &err) == EID_OK && n == 2);
	eid_card_row c;
	const char *want[][2] = {{"c1", "revoked"}, {"c2", "revoked"}, {"c3", "revoked"},
				 {"c4", "active"}};
	for (int i = 0; i < 4; i++) {
		REQUIRE(eid_store_card_get(st, want[i][0], &c, &err) == EID_OK);
		CHECK(strcmp(c.status, want[i][1]) == 0);
	}
	CHECK(eid_store_cards_supersede(st, "nobody", &n, &err) == EID_OK && n == 0);
	eid_store_close(st);
}

static void test_history_newest_first_own_only(void)
{
	eid_store *st = fresh("history.db");
	eid_err err;
	const struct {
		const char *sid, *person, *rp;
		int64_t t;
	} rows[] = {{"s1", "p1", "hotel", 10}, {"s2", "p2", "bank", 20}, {"s3", "p1", "cafe", 30},
		    {"s4", "p1", "hotel", 5}};
	for (size_t i = 0; i < 4; i++) {
		eid_verification_row r = {.time_ms = rows[i].t};
		snprintf(r.sid, sizeof(r.sid), "%s", rows[i].sid);
		snprintf(r.person_id, sizeof(r.person_id), "%s", rows[i].person);
		snprintf(r.rp_id, sizeof(r.rp_id), "%s", rows[i].rp);
		snprintf(r.purpose, sizeof(r.purpose), "it's O'Brien; DROP TABLE cards;--");
		snprintf(r.result, sizeof(r.result), "yes");
		snprintf(r.level, sizeof(r.level), "full");
		REQUIRE(eid_store_verification_add(st, &r, &err) == EID_OK);
	}
	eid_verification_row out[2];
	size_t n = 0;
	CHECK(eid_store_verification_list(st, "p1", out, 2, &n, &err) == EID_OK && n == 2);
	CHECK(strcmp(out[0].sid, "s3") == 0 && strcmp(out[1].sid, "s1") == 0);
	CHECK(strcmp(out[0].purpose, "it's O'Brien; DROP TABLE cards;--") == 0);
	CHECK(eid_store_verification_list(st, "p2", out, 2, &n, &err) == EID_OK && n == 1 &&
	      strcmp(out[0].rp_id, "bank") == 0);
	CHECK(eid_store_verification_list(st, "p3", out, 2, &n, &err) == EID_OK && n == 0);
	eid_store_close(st);
}

/* Handler threads share one store: each thread's transactions stay its own.
 * Writers commit or roll back while others write outside any transaction;
 * afterwards the chain holds exactly the committed entries and every write
 * made outside a transaction survived the others' rollbacks. */
enum { THREADS = 4, ROUNDS = 40 };
static eid_store *shared_store;

static void *writer(void *arg)
{
	const int t = (int)(intptr_t)arg;
	eid_err err;
	char v[32];
	for (int i = 0; i < ROUNDS; i++) {
		if (t % 2) { /* outside any transaction */
			snprintf(v, sizeof(v), "free-%d-%d", t, i);
			CHECK(eid_store_nonce_use(shared_store, v, INT64_MAX, &err) == EID_OK);
			continue;
		}
		CHECK(eid_store_begin(shared_store, &err) == EID_OK);
		CHECK(eid_store_audit_append(shared_store, "test.event", "s", "d", 1, NULL, &err) ==
		      EID_OK);
		snprintf(v, sizeof(v), "tx-%d-%d", t, i);
		CHECK(eid_store_nonce_use(shared_store, v, INT64_MAX, &err) == EID_OK);
		if (i % 4 == 0)
			eid_store_rollback(shared_store);
		else
			CHECK(eid_store_commit(shared_store, &err) == EID_OK);
	}
	return NULL;
}

static void test_threads_keep_their_transactions(void)
{
	shared_store = fresh("threads.db");
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		REQUIRE(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t) == 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	eid_err err;
	uint64_t rows, bad;
	const uint64_t committed = (THREADS / 2) * (ROUNDS - ROUNDS / 4);
	CHECK(eid_store_audit_verify(shared_store, &rows, &bad, &err) == EID_OK);
	CHECK(rows == committed);
	char v[32];
	int kept = 0, gone = 0;
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < ROUNDS; i++) {
			snprintf(v, sizeof(v), t % 2 ? "free-%d-%d" : "tx-%d-%d", t, i);
			const eid_status st = eid_store_nonce_use(shared_store, v, INT64_MAX, &err);
			kept += st == EID_E_CONFLICT; /* already there */
			gone += st == EID_OK;
		}
	CHECK(kept == THREADS / 2 * ROUNDS + (int)committed);
	CHECK(gone == (THREADS / 2) * (ROUNDS / 4)); /* exactly the rolled-back ones */
	eid_store_close(shared_store);
}

static void test_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_open_migrates_once_and_is_private, test_bad_locations, test_audit_chain_verifies,
	  test_audit_detects_edits_and_deletions, test_audit_rejects_bad_fields, test_transactions,
	  test_one_time_values, test_cards_superseded, test_history_newest_first_own_only,
	  test_threads_keep_their_transactions, test_cleanup)
