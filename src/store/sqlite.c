/* SQLite backend of the storage interface (the embedded default). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

typedef struct sq {
	sqlite3 *db;
	eid_schema schema;
} sq;

/* Numbered migrations per schema: entry i takes version i to i+1. Append
 * only; never edit one that has shipped. */
static const char *const authority_migrations[] = {
	"CREATE TABLE residents ("
	"  person_id TEXT PRIMARY KEY, id_hash BLOB NOT NULL UNIQUE,"
	"  record_ct BLOB NOT NULL, template_ct BLOB NOT NULL,"
	"  status TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE held ("
	"  person_id TEXT NOT NULL, candidate TEXT NOT NULL, score REAL NOT NULL,"
	"  reason TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE cards ("
	"  card_id TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES residents(person_id),"
	"  level TEXT NOT NULL, device_pk BLOB NOT NULL, status TEXT NOT NULL,"
	"  iat_ms INTEGER NOT NULL, exp_ms INTEGER NOT NULL);"
	"CREATE TABLE passcodes ("
	"  person_id TEXT PRIMARY KEY REFERENCES residents(person_id), hash TEXT NOT NULL,"
	"  failures INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE nonces (value TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);"
	"CREATE INDEX nonces_expiry ON nonces(expires_ms);"
	"CREATE TABLE verifications ("
	"  sid TEXT PRIMARY KEY, person_id TEXT, rp_id TEXT NOT NULL, purpose TEXT NOT NULL,"
	"  result TEXT NOT NULL, level TEXT NOT NULL, time_ms INTEGER NOT NULL);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, event TEXT NOT NULL,"
	"  subject TEXT NOT NULL, data_hash BLOB NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);",
	/* 2: the administrator's console: import batches and their held rows
	 * (no personal data), the admin token's hash, indexes for its counts */
	"CREATE TABLE import_batches ("
	"  batch_id TEXT PRIMARY KEY, source TEXT NOT NULL, row_count INTEGER NOT NULL,"
	"  imported INTEGER NOT NULL, rejected INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE held_imports ("
	"  held_id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, line INTEGER NOT NULL,"
	"  code TEXT NOT NULL, reason TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE INDEX held_imports_time ON held_imports(created_ms);"
	"CREATE TABLE admin_token ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1), hash BLOB NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE INDEX audit_event ON audit(event, time_ms);"
	"CREATE INDEX verifications_time ON verifications(time_ms);",
	/* 3: deduplication (issue 6): the held table of migration 1 links a
	 * queue entry to its held resident; the status index for the gallery */
	"ALTER TABLE held ADD COLUMN held_id TEXT;"
	"ALTER TABLE held ADD COLUMN subject TEXT NOT NULL DEFAULT '';"
	"CREATE UNIQUE INDEX held_by_id ON held(held_id);"
	"CREATE INDEX residents_status ON residents(status);",
	/* 4: a lightweight enrolment's duplicate holds its card, not a resident */
	"ALTER TABLE held ADD COLUMN card_id TEXT NOT NULL DEFAULT '';",
	/* 5: the enrolment capture's template, encrypted, kept with its card: the
	 * second photo verification compares with (docs/calibration.md) */
	"ALTER TABLE cards ADD COLUMN template_ct BLOB;",
};

static const char *const platform_migrations[] = {
	"CREATE TABLE relying_parties ("
	"  rp_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT NOT NULL,"
	"  max_level TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE terminals ("
	"  term_id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB NOT NULL,"
	"  status TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	"  sid TEXT PRIMARY KEY, type TEXT NOT NULL, owner TEXT NOT NULL, nonce TEXT NOT NULL,"
	"  exp_ms INTEGER NOT NULL, state TEXT NOT NULL, sealed BLOB, result TEXT);"
	"CREATE TABLE nonces (value TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, event TEXT NOT NULL,"
	"  subject TEXT NOT NULL, data_hash BLOB NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL);",
	/* 2: what a verification request is for, and at which level */
	"ALTER TABLE sessions ADD COLUMN purpose TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sessions ADD COLUMN level TEXT NOT NULL DEFAULT '';",
	/* 3: OpenID Connect clients and grants */
	"CREATE TABLE oidc_clients ("
	"  client_id TEXT PRIMARY KEY REFERENCES relying_parties(rp_id), redirect_uris TEXT NOT NULL,"
	"  auth_method TEXT NOT NULL, jwks TEXT NOT NULL, scopes TEXT NOT NULL,"
	"  level TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE oidc_grants ("
	"  sid TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,"
	"  state TEXT NOT NULL, nonce TEXT NOT NULL, code_challenge TEXT NOT NULL,"
	"  scope TEXT NOT NULL, browser_hash BLOB NOT NULL, status TEXT NOT NULL,"
	"  code_hash BLOB NOT NULL, code_exp_ms INTEGER NOT NULL, token_hash BLOB NOT NULL,"
	"  token_exp_ms INTEGER NOT NULL, sub TEXT NOT NULL, acr TEXT NOT NULL, amr TEXT NOT NULL,"
	"  auth_time_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);",
};

static eid_status db_fail(sq *q, eid_err *err, const char *what)
{
	return eid_fail(err, EID_E_STORAGE, "cannot %s: %s", what, sqlite3_errmsg(q->db));
}

static eid_status exec(sq *q, const char *sql, const char *what, eid_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		eid_status s = eid_fail(err, EID_E_STORAGE, "cannot %s: %s", what,
					msg ? msg : "unknown error");
		sqlite3_free(msg);
		return s;
	}
	return EID_OK;
}

static eid_status migrate(sq *q, int *version_out, eid_err *err)
{
	const char *const *list = q->schema == EID_SCHEMA_AUTHORITY ? authority_migrations
								    : platform_migrations;
	const int n = q->schema == EID_SCHEMA_AUTHORITY
			      ? (int)(sizeof(authority_migrations) / sizeof(authority_migrations[0]))
			      : (int)(sizeof(platform_migrations) / sizeof(platform_migrations[0]));
	eid_status s = exec(q, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
			    "create the schema version table", err);
	if (s)
		return s;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT max(version) FROM schema_version", -1, &st, NULL))
		return db_fail(q, err, "read the schema version");
	int version = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > n)
		return eid_fail(err, EID_E_UNSUPPORTED,
				"database schema version %d is newer than this program's %d", version, n);
	for (; version < n; version++) {
		char bump[96];
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version VALUES (%d);", version + 1);
		if ((s = exec(q, "BEGIN IMMEDIATE;", "start a migration", err)))
			return s;
		if ((s = exec(q, list[version], "apply a migration", err)) ||
		    (s = exec(q, bump, "record a migration", err))) {
			exec(q, "ROLLBACK;", "roll back", NULL);
			return s;
		}
		if ((s = exec(q, "COMMIT;", "commit a migration", err)))
			return s;
	}
	*version_out = n;
	return EID_OK;
}

static void sq_close(void *impl)
{
	sq *q = impl;
	if (!q)
		return;
	sqlite3_close_v2(q->db);
	free(q);
}

static eid_status sq_open(const char *path, eid_schema schema, void **impl_out, int *version_out,
			  eid_err *err)
{
	*impl_out = NULL;
	if (!*path)
		return eid_fail(err, EID_E_INVALID_ARG, "empty database path");
	/* create the file ourselves so it is private from the first byte
	 * (SQLite gives its -wal and -shm files the database file's mode) */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return eid_fail(err, EID_E_IO, "cannot open database '%s': %s", path, strerror(errno));
	close(fd);
	sq *q = calloc(1, sizeof(*q));
	if (!q)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	q->schema = schema;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		eid_status s = eid_fail(err, EID_E_STORAGE, "cannot open database '%s': %s", path,
					q->db ? sqlite3_errmsg(q->db) : "out of memory");
		sq_close(q);
		return s;
	}
	sqlite3_busy_timeout(q->db, 5000);
	eid_status s = exec(q,
			    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			    "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
			    "configure the database", err);
	if (!s)
		s = migrate(q, version_out, err);
	if (s) {
		eid_err_prefix(err, "database '%s'", path);
		sq_close(q);
		return s;
	}
	*impl_out = q;
	return EID_OK;
}

static eid_status sq_begin(void *impl, eid_err *err)
{
	return exec(impl, "BEGIN IMMEDIATE;", "start a transaction", err);
}

static eid_status sq_commit(void *impl, eid_err *err)
{
	return exec(impl, "COMMIT;", "commit", err);
}

static void sq_rollback(void *impl)
{
	exec(impl, "ROLLBACK;", "roll back", NULL);
}

static eid_status sq_audit_last(void *impl, uint64_t *seq_out, uint8_t hash_out[32], eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*seq_out = 0;
	memset(hash_out, 0, 32);
	if (sqlite3_prepare_v2(q->db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1,
			       &st, NULL))
		return db_fail(q, err, "read the audit log");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq_out = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(hash_out, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "read the audit log");
}

static eid_status sq_audit_insert(void *impl, const eid_audit_entry *e, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO audit (seq, time_ms, event, subject, data_hash, prev, hash)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "append to the audit log");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
	sqlite3_bind_int64(st, 2, e->time_ms);
	sqlite3_bind_text(st, 3, e->event, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, e->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 5, e->data_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, e->prev, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 7, e->hash, 32, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "append to the audit log");
}

static void copy_blob(sqlite3_stmt *st, int col, uint8_t out[32])
{
	memset(out, 0, 32);
	int n = sqlite3_column_bytes(st, col);
	const void *b = sqlite3_column_blob(st, col);
	if (b)
		memcpy(out, b, n < 32 ? (size_t)n : 32);
}

static eid_status sq_audit_scan(void *impl, int (*fn)(void *ctx, const eid_audit_entry *e),
				void *ctx, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT seq, time_ms, event, subject, data_hash, prev, hash FROM audit"
			       " ORDER BY seq",
			       -1, &st, NULL))
		return db_fail(q, err, "read the audit log");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		eid_audit_entry e;
		memset(&e, 0, sizeof(e));
		e.seq = (uint64_t)sqlite3_column_int64(st, 0);
		e.time_ms = sqlite3_column_int64(st, 1);
		const unsigned char *ev = sqlite3_column_text(st, 2), *sub = sqlite3_column_text(st, 3);
		snprintf(e.event, sizeof(e.event), "%s", ev ? (const char *)ev : "");
		snprintf(e.subject, sizeof(e.subject), "%s", sub ? (const char *)sub : "");
		copy_blob(st, 4, e.data_hash);
		copy_blob(st, 5, e.prev);
		copy_blob(st, 6, e.hash);
		if (fn(ctx, &e)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "read the audit log");
}

static eid_status sq_nonce_use(void *impl, const char *value, int64_t expires_ms, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "INSERT INTO nonces (value, expires_ms) VALUES (?, ?)", -1, &st,
			       NULL))
		return db_fail(q, err, "record a one-time value");
	sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, expires_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return eid_fail(err, EID_E_CONFLICT, "one-time value already used");
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "record a one-time value");
}

static eid_status sq_nonce_purge(void *impl, int64_t now_ms, uint64_t *purged_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "DELETE FROM nonces WHERE expires_ms < ?", -1, &st, NULL))
		return db_fail(q, err, "purge one-time values");
	sqlite3_bind_int64(st, 1, now_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (purged_out)
		*purged_out = (uint64_t)sqlite3_changes(q->db);
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "purge one-time values");
}

static eid_status sq_resident_add(void *impl, const eid_resident_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO residents (person_id, id_hash, record_ct, template_ct, status,"
			       " created_ms) VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add a resident");
	sqlite3_bind_text(st, 1, r->person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, r->id_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, r->record_ct, (int)r->record_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, r->template_ct, (int)r->template_len, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, r->created_ms);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return eid_fail(err, EID_E_CONFLICT, "the register already holds this ID number");
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "add a resident");
}

static eid_status sq_resident_count(void *impl, uint64_t *count_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*count_out = 0;
	if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM residents", -1, &st, NULL))
		return db_fail(q, err, "count residents");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count_out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "count residents");
}

/* binds text parameters 1..n, runs an INSERT; EID_E_CONFLICT on a duplicate */
static eid_status insert(sq *q, sqlite3_stmt *st, const char *what, eid_err *err)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return eid_fail(err, EID_E_CONFLICT, "cannot %s: it exists already", what);
	return rc == SQLITE_DONE ? EID_OK : db_fail(q, err, what);
}

/* Runs the prepared update or delete st (finalized here): EID_OK when it
 * changed exactly one row, else `missing` with why (the row is not there,
 * or no longer in the state the statement expects). */
static eid_status change_one(sq *q, sqlite3_stmt *st, const char *what, eid_status missing,
			     const char *why, eid_err *err)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, err, what);
	return sqlite3_changes(q->db) == 1 ? EID_OK : eid_fail(err, missing, "%s", why);
}

static void col_text(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static eid_status sq_rp_add(void *impl, const eid_rp_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO relying_parties (rp_id, name, secret_hash, max_level,"
			       " created_ms) VALUES (?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add a relying party");
	sqlite3_bind_text(st, 1, r->rp_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, r->secret_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->max_level, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->created_ms);
	return insert(q, st, "add a relying party", err);
}

static eid_status sq_rp_get(void *impl, const char *rp_id, eid_rp_row *out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT rp_id, name, secret_hash, max_level, created_ms FROM"
			       " relying_parties WHERE rp_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a relying party");
	sqlite3_bind_text(st, 1, rp_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->rp_id, sizeof(out->rp_id));
		col_text(st, 1, out->name, sizeof(out->name));
		copy_blob(st, 2, out->secret_hash);
		col_text(st, 3, out->max_level, sizeof(out->max_level));
		out->created_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such relying party");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a relying party");
}

static eid_status sq_terminal_add(void *impl, const eid_terminal_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO terminals (term_id, name, public_key, status, created_ms)"
			       " VALUES (?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add a terminal");
	sqlite3_bind_text(st, 1, r->term_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, r->public_key, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->created_ms);
	return insert(q, st, "add a terminal", err);
}

static eid_status sq_terminal_get(void *impl, const char *term_id, eid_terminal_row *out,
				  eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT term_id, name, public_key, status, created_ms FROM terminals"
			       " WHERE term_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a terminal");
	sqlite3_bind_text(st, 1, term_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->term_id, sizeof(out->term_id));
		col_text(st, 1, out->name, sizeof(out->name));
		copy_blob(st, 2, out->public_key);
		col_text(st, 3, out->status, sizeof(out->status));
		out->created_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such terminal");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a terminal");
}

static eid_status sq_session_add(void *impl, const eid_session_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO sessions (sid, type, owner, nonce, exp_ms, state, purpose,"
			       " level) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add a session");
	sqlite3_bind_text(st, 1, r->sid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->nonce, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->exp_ms);
	sqlite3_bind_text(st, 6, r->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, r->purpose, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, r->level, -1, SQLITE_TRANSIENT);
	return insert(q, st, "add a session", err);
}

static eid_status sq_session_get(void *impl, const char *sid, eid_session_row *out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT sid, type, owner, nonce, exp_ms, state, purpose, level FROM"
			       " sessions WHERE sid = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a session");
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->sid, sizeof(out->sid));
		col_text(st, 1, out->type, sizeof(out->type));
		col_text(st, 2, out->owner, sizeof(out->owner));
		col_text(st, 3, out->nonce, sizeof(out->nonce));
		out->exp_ms = sqlite3_column_int64(st, 4);
		col_text(st, 5, out->state, sizeof(out->state));
		col_text(st, 6, out->purpose, sizeof(out->purpose));
		col_text(st, 7, out->level, sizeof(out->level));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such session");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a session");
}

static eid_status sq_session_transition(void *impl, const char *sid, const char *from,
				       const char *to, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "UPDATE sessions SET state = ? WHERE sid = ? AND state = ?", -1,
			       &st, NULL))
		return db_fail(q, err, "update a session");
	sqlite3_bind_text(st, 1, to, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_TRANSIENT);
	char why[160];
	snprintf(why, sizeof(why), "the session is no longer %s", from);
	return change_one(q, st, "update a session", EID_E_CONFLICT, why, err);
}

static eid_status sq_resident_find(void *impl, const uint8_t id_hash[32], char person_id_out[48],
				   char status_out[16], uint8_t *tpl_out, size_t tpl_cap,
				   size_t *tpl_len, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*tpl_len = 0;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT person_id, status, template_ct FROM residents WHERE id_hash = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "find a resident");
	sqlite3_bind_blob(st, 1, id_hash, 32, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	eid_status s = EID_OK;
	if (rc == SQLITE_ROW) {
		col_text(st, 0, person_id_out, 48);
		col_text(st, 1, status_out, 16);
		const int n = sqlite3_column_bytes(st, 2);
		if (n < 0 || (size_t)n > tpl_cap)
			s = eid_fail(err, EID_E_FORMAT, "stored template has %d bytes", n);
		else {
			memcpy(tpl_out, sqlite3_column_blob(st, 2), (size_t)n);
			*tpl_len = (size_t)n;
		}
	} else if (rc == SQLITE_DONE) {
		s = eid_fail(err, EID_E_NOT_FOUND, "the register holds no such ID number");
	} else {
		s = db_fail(q, err, "find a resident");
	}
	sqlite3_finalize(st);
	return s;
}

static eid_status sq_card_add(void *impl, const eid_card_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO cards (card_id, person_id, level, device_pk, status, iat_ms,"
			       " exp_ms, template_ct) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add a card");
	sqlite3_bind_text(st, 1, r->card_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->level, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, r->device_pk, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, r->iat_ms);
	sqlite3_bind_int64(st, 7, r->exp_ms);
	if (r->template_ct)
		sqlite3_bind_blob(st, 8, r->template_ct, (int)r->template_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 8);
	return insert(q, st, "add a card", err);
}

/* One BLOB column of the row whose key is key: EID_E_NOT_FOUND when there is
 * no such row or the value is NULL. */
static eid_status read_blob(sq *q, const char *sql, const char *key, uint8_t *out, size_t cap,
			    size_t *len, const char *what, const char *missing, eid_err *err)
{
	sqlite3_stmt *st;
	*len = 0;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL))
		return db_fail(q, err, what);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	eid_status s = EID_OK;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		const int n = sqlite3_column_bytes(st, 0);
		if (n < 0 || (size_t)n > cap)
			s = eid_fail(err, EID_E_FORMAT, "stored template has %d bytes", n);
		else {
			memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
			*len = (size_t)n;
		}
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		s = eid_fail(err, EID_E_NOT_FOUND, "%s", missing);
	} else {
		s = db_fail(q, err, what);
	}
	sqlite3_finalize(st);
	return s;
}

static eid_status sq_resident_template(void *impl, const char *person_id, uint8_t *tpl_out,
				       size_t tpl_cap, size_t *tpl_len, eid_err *err)
{
	return read_blob(impl, "SELECT template_ct FROM residents WHERE person_id = ?", person_id,
			 tpl_out, tpl_cap, tpl_len, "read a template", "no such resident", err);
}

static eid_status sq_card_template(void *impl, const char *card_id, uint8_t *tpl_out,
				   size_t tpl_cap, size_t *tpl_len, eid_err *err)
{
	return read_blob(impl, "SELECT template_ct FROM cards WHERE card_id = ?", card_id, tpl_out,
			 tpl_cap, tpl_len, "read a card's template",
			 "no enrolment template for this card", err);
}

static eid_status sq_card_get(void *impl, const char *card_id, eid_card_row *out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT card_id, person_id, level, device_pk, status, iat_ms, exp_ms"
			       " FROM cards WHERE card_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a card");
	sqlite3_bind_text(st, 1, card_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->card_id, sizeof(out->card_id));
		col_text(st, 1, out->person_id, sizeof(out->person_id));
		col_text(st, 2, out->level, sizeof(out->level));
		copy_blob(st, 3, out->device_pk);
		col_text(st, 4, out->status, sizeof(out->status));
		out->iat_ms = sqlite3_column_int64(st, 5);
		out->exp_ms = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such card");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a card");
}

static eid_status sq_card_set_status(void *impl, const char *card_id, const char *status,
				     eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "UPDATE cards SET status = ? WHERE card_id = ?", -1, &st, NULL))
		return db_fail(q, err, "update a card");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, card_id, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "update a card", EID_E_NOT_FOUND, "no such card", err);
}

static eid_status sq_cards_supersede(void *impl, const char *person_id, unsigned *n_out,
				     eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*n_out = 0;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE cards SET status = 'revoked' WHERE person_id = ? AND"
			       " status <> 'revoked'",
			       -1, &st, NULL))
		return db_fail(q, err, "revoke old cards");
	sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, err, "revoke old cards");
	*n_out = (unsigned)sqlite3_changes(q->db);
	return EID_OK;
}

static eid_status sq_verification_list(void *impl, const char *person_id,
				       eid_verification_row *rows, size_t max, size_t *n_out,
				       eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*n_out = 0;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT sid, rp_id, purpose, result, level, time_ms FROM verifications"
			       " WHERE person_id = ? ORDER BY time_ms DESC, rowid DESC LIMIT ?",
			       -1, &st, NULL))
		return db_fail(q, err, "list verifications");
	sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	int rc;
	size_t n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		eid_verification_row *r = &rows[n++];
		memset(r, 0, sizeof(*r));
		col_text(st, 0, r->sid, sizeof(r->sid));
		snprintf(r->person_id, sizeof(r->person_id), "%s", person_id);
		col_text(st, 1, r->rp_id, sizeof(r->rp_id));
		col_text(st, 2, r->purpose, sizeof(r->purpose));
		col_text(st, 3, r->result, sizeof(r->result));
		col_text(st, 4, r->level, sizeof(r->level));
		r->time_ms = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(q, err, "list verifications");
	*n_out = n;
	return EID_OK;
}

static eid_status sq_passcode_set(void *impl, const char *person_id, const char *hash,
				  eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO passcodes (person_id, hash, failures, locked_until_ms)"
			       " VALUES (?, ?, 0, 0) ON CONFLICT(person_id) DO UPDATE SET"
			       " hash = excluded.hash, failures = 0, locked_until_ms = 0",
			       -1, &st, NULL))
		return db_fail(q, err, "set a passcode");
	sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	return insert(q, st, "set a passcode", err);
}

static eid_status sq_passcode_get(void *impl, const char *person_id, char hash_out[128],
				  int *failures_out, int64_t *locked_until_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT hash, failures, locked_until_ms FROM passcodes WHERE person_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a passcode");
	sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, hash_out, 128);
		*failures_out = sqlite3_column_int(st, 1);
		*locked_until_out = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no passcode set");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a passcode");
}

static eid_status sq_passcode_record(void *impl, const char *person_id, int failures,
				     int64_t locked_until, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE passcodes SET failures = ?, locked_until_ms = ? WHERE person_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "record a passcode check");
	sqlite3_bind_int(st, 1, failures);
	sqlite3_bind_int64(st, 2, locked_until);
	sqlite3_bind_text(st, 3, person_id, -1, SQLITE_TRANSIENT);
	return insert(q, st, "record a passcode check", err);
}

static eid_status sq_session_set_sealed(void *impl, const char *sid, const uint8_t *blob,
					size_t len, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE sessions SET sealed = ? WHERE sid = ? AND state = 'pending'"
			       " AND sealed IS NULL",
			       -1, &st, NULL))
		return db_fail(q, err, "keep a sealed blob");
	sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sid, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "keep a sealed blob", EID_E_CONFLICT,
			  "the session has its claim already", err);
}

static eid_status sq_session_sealed(void *impl, const char *sid, uint8_t *out, size_t cap,
				    size_t *len_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*len_out = 0;
	if (sqlite3_prepare_v2(q->db, "SELECT sealed FROM sessions WHERE sid = ?", -1, &st, NULL))
		return db_fail(q, err, "read a sealed blob");
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	eid_status s = EID_OK;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		const int n = sqlite3_column_bytes(st, 0);
		if ((size_t)n > cap)
			s = eid_fail(err, EID_E_LIMIT, "sealed blob of %d bytes", n);
		else {
			memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
			*len_out = (size_t)n;
		}
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		s = eid_fail(err, EID_E_NOT_FOUND, "no sealed blob");
	} else {
		s = db_fail(q, err, "read a sealed blob");
	}
	sqlite3_finalize(st);
	return s;
}

static eid_status sq_verification_add(void *impl, const eid_verification_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO verifications (sid, person_id, rp_id, purpose, result, level,"
			       " time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "record a verification");
	sqlite3_bind_text(st, 1, r->sid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->rp_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->purpose, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->result, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, r->level, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, r->time_ms);
	return insert(q, st, "record a verification", err);
}

static eid_status sq_session_answer(void *impl, const char *sid, const char *result, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE sessions SET state = 'answered', result = ? WHERE sid = ? AND"
			       " state = 'pending'",
			       -1, &st, NULL))
		return db_fail(q, err, "answer a session");
	sqlite3_bind_text(st, 1, result, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sid, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "answer a session", EID_E_CONFLICT,
			  "the session is no longer pending", err);
}

static eid_status sq_session_result(void *impl, const char *sid, char **result_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*result_out = NULL;
	if (sqlite3_prepare_v2(q->db, "SELECT result FROM sessions WHERE sid = ?", -1, &st, NULL))
		return db_fail(q, err, "read a result");
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (t)
		*result_out = strdup((const char *)t);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(q, err, "read a result");
	if (!t)
		return eid_fail(err, EID_E_NOT_FOUND, "no result yet");
	return *result_out ? EID_OK : eid_fail(err, EID_E_NOMEM, "out of memory");
}

/* --- the administrator's view: counts only --------------------------------- */

/* runs a statement whose one row is one count */
static eid_status count_one(sq *q, sqlite3_stmt *st, uint64_t *out, const char *what,
			    eid_err *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, what);
}

static eid_status sq_audit_count(void *impl, const char *event, int64_t since_ms,
				 uint64_t *count_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM audit WHERE event = ? AND time_ms >= ?",
			       -1, &st, NULL))
		return db_fail(q, err, "count audit entries");
	sqlite3_bind_text(st, 1, event, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, since_ms);
	return count_one(q, st, count_out, "count audit entries", err);
}

static eid_status sq_card_counts(void *impl, eid_card_count *rows, size_t max, size_t *n_out,
				 eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*n_out = 0;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT level, status, count(*) FROM cards GROUP BY level, status"
			       " ORDER BY level, status",
			       -1, &st, NULL))
		return db_fail(q, err, "count cards");
	int rc;
	size_t n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		eid_card_count *r = &rows[n++];
		memset(r, 0, sizeof(*r));
		col_text(st, 0, r->level, sizeof(r->level));
		col_text(st, 1, r->status, sizeof(r->status));
		r->count = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(q, err, "count cards");
	*n_out = n;
	return EID_OK;
}

static eid_status sq_verification_counts(void *impl, int64_t since_ms, uint64_t *yes_out,
					 uint64_t *no_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*yes_out = *no_out = 0;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT coalesce(sum(result = 'yes'), 0), coalesce(sum(result = 'no'), 0)"
			       " FROM verifications WHERE time_ms >= ?",
			       -1, &st, NULL))
		return db_fail(q, err, "count verifications");
	sqlite3_bind_int64(st, 1, since_ms);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*yes_out = (uint64_t)sqlite3_column_int64(st, 0);
		*no_out = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "count verifications");
}

static eid_status sq_import_batch_add(void *impl, const eid_import_batch_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO import_batches (batch_id, source, row_count, imported,"
			       " rejected, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "record an import batch");
	sqlite3_bind_text(st, 1, r->batch_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, r->rows);
	sqlite3_bind_int64(st, 4, r->imported);
	sqlite3_bind_int64(st, 5, r->rejected);
	sqlite3_bind_int64(st, 6, r->created_ms);
	return insert(q, st, "record an import batch", err);
}

static eid_status sq_import_totals(void *impl, eid_import_totals *out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT count(*), coalesce(sum(row_count), 0), coalesce(sum(imported), 0),"
			       " coalesce(sum(rejected), 0) FROM import_batches",
			       -1, &st, NULL))
		return db_fail(q, err, "count import batches");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->batches = (uint64_t)sqlite3_column_int64(st, 0);
		out->rows = (uint64_t)sqlite3_column_int64(st, 1);
		out->imported = (uint64_t)sqlite3_column_int64(st, 2);
		out->rejected = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "count import batches");
}

static eid_status sq_held_import_add(void *impl, const eid_held_import_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO held_imports (held_id, batch_id, line, code, reason,"
			       " created_ms) VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "hold an import row");
	sqlite3_bind_text(st, 1, r->held_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->batch_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, r->line);
	sqlite3_bind_text(st, 4, r->code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, r->created_ms);
	return insert(q, st, "hold an import row", err);
}

static eid_status sq_held_import_list(void *impl, eid_held_import_row *rows, size_t max,
				      size_t *n_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	*n_out = 0;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT held_id, batch_id, line, code, reason, created_ms FROM held_imports"
			       " ORDER BY created_ms DESC, batch_id, line LIMIT ?",
			       -1, &st, NULL))
		return db_fail(q, err, "list held import rows");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	int rc;
	size_t n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		eid_held_import_row *r = &rows[n++];
		memset(r, 0, sizeof(*r));
		col_text(st, 0, r->held_id, sizeof(r->held_id));
		col_text(st, 1, r->batch_id, sizeof(r->batch_id));
		r->line = (unsigned)sqlite3_column_int64(st, 2);
		col_text(st, 3, r->code, sizeof(r->code));
		col_text(st, 4, r->reason, sizeof(r->reason));
		r->created_ms = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(q, err, "list held import rows");
	*n_out = n;
	return EID_OK;
}

static eid_status sq_held_import_count(void *impl, uint64_t *count_out, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM held_imports", -1, &st, NULL))
		return db_fail(q, err, "count held import rows");
	return count_one(q, st, count_out, "count held import rows", err);
}

static eid_status sq_held_import_delete(void *impl, const char *held_id, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "DELETE FROM held_imports WHERE held_id = ?", -1, &st, NULL))
		return db_fail(q, err, "dismiss a held import row");
	sqlite3_bind_text(st, 1, held_id, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "dismiss a held import row", EID_E_NOT_FOUND,
			  "no such held row", err);
}

static eid_status sq_admin_token_set(void *impl, const uint8_t hash[32], int64_t created_ms,
				     eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO admin_token (id, hash, created_ms) VALUES (1, ?, ?)"
			       " ON CONFLICT(id) DO UPDATE SET hash = excluded.hash,"
			       " created_ms = excluded.created_ms",
			       -1, &st, NULL))
		return db_fail(q, err, "set the admin token");
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, created_ms);
	return insert(q, st, "set the admin token", err);
}

static eid_status sq_admin_token_get(void *impl, uint8_t hash_out[32], eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(hash_out, 0, 32);
	if (sqlite3_prepare_v2(q->db, "SELECT hash FROM admin_token WHERE id = 1", -1, &st, NULL))
		return db_fail(q, err, "read the admin token");
	int rc = sqlite3_step(st);
	const int ok = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32;
	if (ok)
		memcpy(hash_out, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(q, err, "read the admin token");
	return ok ? EID_OK : eid_fail(err, EID_E_NOT_FOUND, "no admin token is set");
}

/* ---- deduplication (issue 6) ---- */

static eid_status sq_dup_hold_add(void *impl, const eid_dup_hold_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO held (held_id, person_id, subject, candidate, score, reason,"
			       " created_ms, card_id) VALUES (?, ?, ?, ?, ?, 'duplicate', ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "hold a duplicate");
	sqlite3_bind_text(st, 1, r->held_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->candidates, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, r->score);
	sqlite3_bind_int64(st, 6, r->created_ms);
	sqlite3_bind_text(st, 7, r->card_id, -1, SQLITE_TRANSIENT);
	return insert(q, st, "hold a duplicate", err);
}

static eid_status sq_dup_hold_get(void *impl, const char *held_id, eid_dup_hold_row *out,
				  eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT held_id, person_id, subject, candidate, score, created_ms,"
			       " card_id FROM held WHERE held_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read a duplicate hold");
	sqlite3_bind_text(st, 1, held_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->held_id, sizeof(out->held_id));
		col_text(st, 1, out->person_id, sizeof(out->person_id));
		col_text(st, 2, out->subject, sizeof(out->subject));
		col_text(st, 3, out->candidates, sizeof(out->candidates));
		out->score = sqlite3_column_double(st, 4);
		out->created_ms = sqlite3_column_int64(st, 5);
		col_text(st, 6, out->card_id, sizeof(out->card_id));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such duplicate hold");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read a duplicate hold");
}

static eid_status sq_dup_hold_delete(void *impl, const char *held_id, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "DELETE FROM held WHERE held_id = ?", -1, &st, NULL))
		return db_fail(q, err, "delete a duplicate hold");
	sqlite3_bind_text(st, 1, held_id, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "delete a duplicate hold", EID_E_NOT_FOUND,
			  "no such duplicate hold", err);
}

static eid_status sq_resident_scan(void *impl, const char *status,
				   int (*fn)(void *ctx, const char *person_id, const uint8_t *tpl,
					     size_t tpl_len),
				   void *ctx, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT person_id, template_ct FROM residents WHERE status = ?"
			       " ORDER BY created_ms, person_id",
			       -1, &st, NULL))
		return db_fail(q, err, "scan residents");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char person[48];
		col_text(st, 0, person, sizeof(person));
		const int n = sqlite3_column_bytes(st, 1);
		if (fn(ctx, person, sqlite3_column_blob(st, 1), n > 0 ? (size_t)n : 0))
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? EID_OK : db_fail(q, err, "scan residents");
}

static eid_status sq_resident_set_status(void *impl, const char *person_id, const char *from,
					 const char *to, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE residents SET status = ? WHERE person_id = ? AND status = ?", -1,
			       &st, NULL))
		return db_fail(q, err, "change a resident's status");
	sqlite3_bind_text(st, 1, to, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, person_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_TRANSIENT);
	char why[160];
	snprintf(why, sizeof(why), "no such resident with status '%s'", from);
	return change_one(q, st, "change a resident's status", EID_E_NOT_FOUND, why, err);
}

static eid_status sq_resident_delete_held(void *impl, const char *person_id, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "DELETE FROM residents WHERE person_id = ? AND status = 'held'",
			       -1, &st, NULL))
		return db_fail(q, err, "delete a held resident");
	sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
	return change_one(q, st, "delete a held resident", EID_E_NOT_FOUND,
			  "no such held resident", err);
}

/* ---- OpenID Connect ---- */

static eid_status sq_oidc_client_add(void *impl, const eid_oidc_client_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO oidc_clients (client_id, redirect_uris, auth_method, jwks,"
			       " scopes, level, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL))
		return db_fail(q, err, "add an OpenID client");
	sqlite3_bind_text(st, 1, r->client_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->redirect_uris, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->auth_method, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->jwks, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->scopes, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, r->level, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, r->created_ms);
	return insert(q, st, "add an OpenID client", err);
}

static eid_status sq_oidc_client_get(void *impl, const char *client_id, eid_oidc_client_row *out,
				     eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT client_id, redirect_uris, auth_method, jwks, scopes, level,"
			       " created_ms FROM oidc_clients WHERE client_id = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read an OpenID client");
	sqlite3_bind_text(st, 1, client_id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->client_id, sizeof(out->client_id));
		col_text(st, 1, out->redirect_uris, sizeof(out->redirect_uris));
		col_text(st, 2, out->auth_method, sizeof(out->auth_method));
		col_text(st, 3, out->jwks, sizeof(out->jwks));
		col_text(st, 4, out->scopes, sizeof(out->scopes));
		col_text(st, 5, out->level, sizeof(out->level));
		out->created_ms = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such client");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read an OpenID client");
}

/* the grant's columns after sid, in table order: bind from ?2, read from column 1 */
static void grant_bind(sqlite3_stmt *st, const eid_oidc_grant_row *r)
{
	sqlite3_bind_text(st, 2, r->client_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->redirect_uri, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->nonce, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, r->code_challenge, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, r->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 8, r->browser_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, r->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 10, r->code_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, r->code_exp_ms);
	sqlite3_bind_blob(st, 12, r->token_hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 13, r->token_exp_ms);
	sqlite3_bind_text(st, 14, r->sub, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 15, r->acr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 16, r->amr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 17, r->auth_time_ms);
	sqlite3_bind_int64(st, 18, r->created_ms);
}

static eid_status sq_oidc_grant_add(void *impl, const eid_oidc_grant_row *r, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT INTO oidc_grants (sid, client_id, redirect_uri, state, nonce,"
			       " code_challenge, scope, browser_hash, status, code_hash, code_exp_ms,"
			       " token_hash, token_exp_ms, sub, acr, amr, auth_time_ms, created_ms)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			       " ?15, ?16, ?17, ?18)",
			       -1, &st, NULL))
		return db_fail(q, err, "add an OpenID grant");
	sqlite3_bind_text(st, 1, r->sid, -1, SQLITE_TRANSIENT);
	grant_bind(st, r);
	return insert(q, st, "add an OpenID grant", err);
}

static eid_status sq_oidc_grant_get(void *impl, const char *sid, eid_oidc_grant_row *out,
				    eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(q->db,
			       "SELECT sid, client_id, redirect_uri, state, nonce, code_challenge,"
			       " scope, browser_hash, status, code_hash, code_exp_ms, token_hash,"
			       " token_exp_ms, sub, acr, amr, auth_time_ms, created_ms"
			       " FROM oidc_grants WHERE sid = ?",
			       -1, &st, NULL))
		return db_fail(q, err, "read an OpenID grant");
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out->sid, sizeof(out->sid));
		col_text(st, 1, out->client_id, sizeof(out->client_id));
		col_text(st, 2, out->redirect_uri, sizeof(out->redirect_uri));
		col_text(st, 3, out->state, sizeof(out->state));
		col_text(st, 4, out->nonce, sizeof(out->nonce));
		col_text(st, 5, out->code_challenge, sizeof(out->code_challenge));
		col_text(st, 6, out->scope, sizeof(out->scope));
		copy_blob(st, 7, out->browser_hash);
		col_text(st, 8, out->status, sizeof(out->status));
		copy_blob(st, 9, out->code_hash);
		out->code_exp_ms = sqlite3_column_int64(st, 10);
		copy_blob(st, 11, out->token_hash);
		out->token_exp_ms = sqlite3_column_int64(st, 12);
		col_text(st, 13, out->sub, sizeof(out->sub));
		col_text(st, 14, out->acr, sizeof(out->acr));
		col_text(st, 15, out->amr, sizeof(out->amr));
		out->auth_time_ms = sqlite3_column_int64(st, 16);
		out->created_ms = sqlite3_column_int64(st, 17);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return eid_fail(err, EID_E_NOT_FOUND, "no such grant");
	return rc == SQLITE_ROW ? EID_OK : db_fail(q, err, "read an OpenID grant");
}

static eid_status sq_oidc_grant_update(void *impl, const eid_oidc_grant_row *r,
				       const char *expected, eid_err *err)
{
	sq *q = impl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "UPDATE oidc_grants SET client_id = ?2, redirect_uri = ?3, state = ?4,"
			       " nonce = ?5, code_challenge = ?6, scope = ?7, browser_hash = ?8,"
			       " status = ?9, code_hash = ?10, code_exp_ms = ?11, token_hash = ?12,"
			       " token_exp_ms = ?13, sub = ?14, acr = ?15, amr = ?16,"
			       " auth_time_ms = ?17, created_ms = ?18 WHERE sid = ?1 AND status = ?19",
			       -1, &st, NULL))
		return db_fail(q, err, "update an OpenID grant");
	sqlite3_bind_text(st, 1, r->sid, -1, SQLITE_TRANSIENT);
	grant_bind(st, r);
	sqlite3_bind_text(st, 19, expected, -1, SQLITE_TRANSIENT);
	char why[160];
	snprintf(why, sizeof(why), "the grant is no longer %s", expected);
	return change_one(q, st, "update an OpenID grant", EID_E_CONFLICT, why, err);
}

const eid_store_backend eid_store_sqlite = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.audit_last = sq_audit_last,
	.audit_insert = sq_audit_insert,
	.audit_scan = sq_audit_scan,
	.nonce_use = sq_nonce_use,
	.nonce_purge = sq_nonce_purge,
	.resident_add = sq_resident_add,
	.resident_count = sq_resident_count,
	.rp_add = sq_rp_add,
	.rp_get = sq_rp_get,
	.oidc_client_add = sq_oidc_client_add,
	.oidc_client_get = sq_oidc_client_get,
	.oidc_grant_add = sq_oidc_grant_add,
	.oidc_grant_get = sq_oidc_grant_get,
	.oidc_grant_update = sq_oidc_grant_update,
	.terminal_add = sq_terminal_add,
	.terminal_get = sq_terminal_get,
	.session_add = sq_session_add,
	.session_get = sq_session_get,
	.session_transition = sq_session_transition,
	.resident_find = sq_resident_find,
	.card_add = sq_card_add,
	.resident_template = sq_resident_template,
	.card_template = sq_card_template,
	.card_get = sq_card_get,
	.card_set_status = sq_card_set_status,
	.cards_supersede = sq_cards_supersede,
	.verification_list = sq_verification_list,
	.passcode_set = sq_passcode_set,
	.passcode_get = sq_passcode_get,
	.passcode_record = sq_passcode_record,
	.session_set_sealed = sq_session_set_sealed,
	.session_sealed = sq_session_sealed,
	.verification_add = sq_verification_add,
	.session_answer = sq_session_answer,
	.session_result = sq_session_result,
	.audit_count = sq_audit_count,
	.card_counts = sq_card_counts,
	.verification_counts = sq_verification_counts,
	.import_batch_add = sq_import_batch_add,
	.import_totals = sq_import_totals,
	.held_import_add = sq_held_import_add,
	.held_import_list = sq_held_import_list,
	.held_import_count = sq_held_import_count,
	.held_import_delete = sq_held_import_delete,
	.admin_token_set = sq_admin_token_set,
	.admin_token_get = sq_admin_token_get,
	.dup_hold_add = sq_dup_hold_add,
	.dup_hold_get = sq_dup_hold_get,
	.dup_hold_delete = sq_dup_hold_delete,
	.resident_scan = sq_resident_scan,
	.resident_set_status = sq_resident_set_status,
	.resident_delete_held = sq_resident_delete_held,
};
