/* eid/store.h — the services' storage, behind one interface.
 *
 * A store is opened from a location: "sqlite:PATH" or a plain path (SQLite,
 * the embedded default: one database file per role in the data directory).
 * PostgreSQL will be a second backend implementing the same operation table
 * (src/store/backend.h), chosen by a "postgres://" location; services see
 * domain operations only, never SQL.
 *
 * Opening applies the schema's numbered migrations in order, each in its own
 * transaction, and refuses a database newer than this program. Commits are
 * durable (SQLite: WAL journal, synchronous=FULL).
 *
 *   eid_store *st;  eid_err err;
 *   if (eid_store_open("sqlite:/var/lib/eid/authority.db", EID_SCHEMA_AUTHORITY, &st, &err))
 *           ...;
 *   if (eid_store_audit_append(st, "card.issued", subject_hash, data_json, NULL, &err)) ...;
 *   eid_store_close(st);
 *
 * Ownership: the caller owns the store and closes it; strings passed in are
 * copied; outputs go to caller memory. A store may be used by one thread at a
 * time; open one per thread (SQLite serialises writers itself).
 */
#ifndef EID_STORE_H
#define EID_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "eid/status.h"

typedef struct eid_store eid_store;

typedef enum eid_schema {
	EID_SCHEMA_AUTHORITY, /* register, cards, passcodes, nonces, verifications, audit */
	EID_SCHEMA_PLATFORM,  /* relying parties, terminals, sessions, audit */
} eid_schema;

EID_MUST_CHECK eid_status eid_store_open(const char *location, eid_schema schema,
					 eid_store **store_out, eid_err *err);
void eid_store_close(eid_store *st);
/* Schema version after the migrations (the number of migrations applied). */
int eid_store_schema_version(const eid_store *st);

/* Transactions group several operations; without them each operation commits
 * on its own. Nested begin is an error. */
EID_MUST_CHECK eid_status eid_store_begin(eid_store *st, eid_err *err);
EID_MUST_CHECK eid_status eid_store_commit(eid_store *st, eid_err *err);
void eid_store_rollback(eid_store *st);
/* Ends the open transaction by the outcome of its operations: commits when
 * result is EID_OK (and returns the commit's status), else rolls back and
 * returns result. */
EID_MUST_CHECK eid_status eid_store_end(eid_store *st, eid_status result, eid_err *err);

/* --- audit log: append-only, hash-chained ---------------------------------
 * Each entry: seq (1, 2, ...), time (unix ms), event (short name such as
 * "verification.decided"), subject (an opaque keyed hash of the person or
 * object, never an identifier), data_hash = BLAKE2b-256(data), prev (the
 * previous entry's hash, zeros for the first), and
 *   hash = BLAKE2b-256(prev || seq || time || len||event || len||subject || data_hash)
 * (integers little-endian 64-bit, lengths 32-bit). An edited row breaks its
 * hash, a deleted one the chain. The data itself is not stored here: the
 * caller keeps it where it belongs; only its hash is chained. */
typedef struct eid_audit_entry {
	uint64_t seq;
	int64_t time_ms;
	char event[64];
	char subject[96];
	uint8_t data_hash[32], prev[32], hash[32];
} eid_audit_entry;

EID_MUST_CHECK eid_status eid_store_audit_append(eid_store *st, const char *event,
						 const char *subject, const void *data,
						 size_t data_len, eid_audit_entry *entry_out,
						 eid_err *err);

/* Walks the whole chain. Returns EID_OK with *rows_out entries checked, or
 * EID_E_FORMAT with *first_bad_out = the first sequence number whose row was
 * edited, deleted or reordered (and a message saying which). */
EID_MUST_CHECK eid_status eid_store_audit_verify(eid_store *st, uint64_t *rows_out,
						 uint64_t *first_bad_out, eid_err *err);

/* --- one-time values (replay guard) ----------------------------------------
 * Records that `value` (a nonce or request id) was used, valid until
 * expires_ms; EID_E_CONFLICT if it was already recorded. Entries past their
 * expiry are purged by eid_store_nonce_purge. Authority schema only. */
EID_MUST_CHECK eid_status eid_store_nonce_use(eid_store *st, const char *value,
					      int64_t expires_ms, eid_err *err);
EID_MUST_CHECK eid_status eid_store_nonce_purge(eid_store *st, int64_t now_ms,
						uint64_t *purged_out, eid_err *err);

/* --- register (authority schema) ------------------------------------------
 * A resident's row holds nothing in clear but opaque ids: the ID number only
 * as its keyed hash, the identity record and the face template encrypted by
 * the caller (under the KEK). */
typedef struct eid_resident_row {
	char person_id[48];          /* random, the register's own key */
	uint8_t id_hash[32];         /* keyed hash of the ID number (unique) */
	const uint8_t *record_ct;    /* encrypted identity record */
	size_t record_len;
	const uint8_t *template_ct;  /* encrypted face template */
	size_t template_len;
	const char *status;          /* "active", "held" */
	int64_t created_ms;
} eid_resident_row;

/* EID_E_CONFLICT when a resident with the same id_hash exists. */
EID_MUST_CHECK eid_status eid_store_resident_add(eid_store *st, const eid_resident_row *row,
						 eid_err *err);
EID_MUST_CHECK eid_status eid_store_resident_count(eid_store *st, uint64_t *count_out,
						   eid_err *err);
/* The resident with this id_hash: person_id, status and the template
 * ciphertext (copied into tpl_out, at most tpl_cap bytes). EID_E_NOT_FOUND. */
EID_MUST_CHECK eid_status eid_store_resident_find(eid_store *st, const uint8_t id_hash[32],
						  char person_id_out[48], char status_out[16],
						  uint8_t *tpl_out, size_t tpl_cap, size_t *tpl_len,
						  eid_err *err);

/* The template ciphertext of person_id (EID_E_NOT_FOUND). */
EID_MUST_CHECK eid_status eid_store_resident_template(eid_store *st, const char *person_id,
						      uint8_t *tpl_out, size_t tpl_cap,
						      size_t *tpl_len, eid_err *err);

typedef struct eid_card_row {
	char card_id[48];
	char person_id[48];
	char level[16];
	uint8_t device_pk[32];
	char status[16];
	int64_t iat_ms, exp_ms;
	/* eid_store_card_add only: the enrolment capture's encrypted template, or
	 * NULL; read back with eid_store_card_template */
	const uint8_t *template_ct;
	size_t template_len;
} eid_card_row;

EID_MUST_CHECK eid_status eid_store_card_add(eid_store *st, const eid_card_row *row,
					     eid_err *err);
/* The encrypted enrolment template of card_id (EID_E_NOT_FOUND when the card
 * has none, e.g. one issued before templates were kept with cards). */
EID_MUST_CHECK eid_status eid_store_card_template(eid_store *st, const char *card_id,
						  uint8_t *tpl_out, size_t tpl_cap,
						  size_t *tpl_len, eid_err *err);
EID_MUST_CHECK eid_status eid_store_card_get(eid_store *st, const char *card_id,
					     eid_card_row *out, eid_err *err);
/* EID_E_NOT_FOUND when there is no such card */
EID_MUST_CHECK eid_status eid_store_card_set_status(eid_store *st, const char *card_id,
						    const char *status, eid_err *err);

/* Passcodes (authority schema): the Argon2id string, failures in a row and
 * the time until which checks are refused. get: EID_E_NOT_FOUND if unset. */
EID_MUST_CHECK eid_status eid_store_passcode_set(eid_store *st, const char *person_id,
						 const char *hash, eid_err *err);
EID_MUST_CHECK eid_status eid_store_passcode_get(eid_store *st, const char *person_id,
						 char hash_out[128], int *failures_out,
						 int64_t *locked_until_out, eid_err *err);
EID_MUST_CHECK eid_status eid_store_passcode_record(eid_store *st, const char *person_id,
						    int failures, int64_t locked_until,
						    eid_err *err);

/* One decision for the resident's own history (authority schema). */
typedef struct eid_verification_row {
	char sid[48], person_id[48], rp_id[48];
	char purpose[256];
	char result[8]; /* "yes", "no" */
	char level[16];
	int64_t time_ms;
} eid_verification_row;

EID_MUST_CHECK eid_status eid_store_verification_add(eid_store *st,
						     const eid_verification_row *row,
						     eid_err *err);
/* The person's latest decisions, newest first: up to max rows in rows[]. */
EID_MUST_CHECK eid_status eid_store_verification_list(eid_store *st, const char *person_id,
						      eid_verification_row *rows, size_t max,
						      size_t *n_out, eid_err *err);
/* Revokes every card of the person that is not revoked yet (a new card
 * replaces them); *n_out the number revoked. */
EID_MUST_CHECK eid_status eid_store_cards_supersede(eid_store *st, const char *person_id,
						    unsigned *n_out, eid_err *err);

/* --- the administrator's view (authority schema) ---------------------------
 * Counting queries and the queue of held import rows: nothing here returns
 * an ID number, a name, a record or a template. since_ms 0 counts all. */

/* Entries of the audit log with this event at or after since_ms. */
EID_MUST_CHECK eid_status eid_store_audit_count(eid_store *st, const char *event,
						int64_t since_ms, uint64_t *count_out,
						eid_err *err);

/* Cards per (level, status), at most max groups in rows[]. */
typedef struct eid_card_count {
	char level[16], status[16];
	uint64_t count;
} eid_card_count;

EID_MUST_CHECK eid_status eid_store_card_counts(eid_store *st, eid_card_count *rows, size_t max,
						size_t *n_out, eid_err *err);
/* Verification decisions at or after since_ms, by result. */
EID_MUST_CHECK eid_status eid_store_verification_counts(eid_store *st, int64_t since_ms,
							uint64_t *yes_out, uint64_t *no_out,
							eid_err *err);

/* One run of the register import: where it came from ("cli", "admin") and
 * its counts; the sum over batches is what the console shows. */
typedef struct eid_import_batch_row {
	char batch_id[48];
	char source[16];
	unsigned rows, imported, rejected;
	int64_t created_ms;
} eid_import_batch_row;

typedef struct eid_import_totals {
	uint64_t batches, rows, imported, rejected;
} eid_import_totals;

EID_MUST_CHECK eid_status eid_store_import_batch_add(eid_store *st,
						     const eid_import_batch_row *row,
						     eid_err *err);
EID_MUST_CHECK eid_status eid_store_import_totals(eid_store *st, eid_import_totals *out,
						  eid_err *err);

/* A register row refused at import, kept until an administrator dismisses
 * it: its line in the batch and why (a status code and a message that names
 * fields, never values). created_ms is the batch's time. */
typedef struct eid_held_import_row {
	char held_id[48];
	char batch_id[48];
	unsigned line;
	char code[32];
	char reason[256];
	int64_t created_ms;
} eid_held_import_row;

EID_MUST_CHECK eid_status eid_store_held_import_add(eid_store *st,
						    const eid_held_import_row *row,
						    eid_err *err);
/* Newest batch first, lines in order within a batch; at most max rows. */
EID_MUST_CHECK eid_status eid_store_held_import_list(eid_store *st, eid_held_import_row *rows,
						     size_t max, size_t *n_out, eid_err *err);
EID_MUST_CHECK eid_status eid_store_held_import_count(eid_store *st, uint64_t *count_out,
						      eid_err *err);
/* EID_E_NOT_FOUND when there is no such held row. */
EID_MUST_CHECK eid_status eid_store_held_import_delete(eid_store *st, const char *held_id,
						       eid_err *err);

/* The administrator's bearer token, kept only as its 32-byte hash; set
 * replaces the previous one. get: EID_E_NOT_FOUND before the first set. */
EID_MUST_CHECK eid_status eid_store_admin_token_set(eid_store *st, const uint8_t hash[32],
						    int64_t created_ms, eid_err *err);
EID_MUST_CHECK eid_status eid_store_admin_token_get(eid_store *st, uint8_t hash_out[32],
						    eid_err *err);

/* Deduplication (issue 6). A register row whose face matches residents
 * above the duplicate threshold is stored as a resident with status "held"
 * (record and template under the KEK like any other) and queued in
 * held_imports (code "duplicate"); this row links the queue entry to it:
 * the held resident, the audit subject of its ID number (the keyed hash),
 * the candidates' person ids (space-separated) and the best exact score. */
typedef struct eid_dup_hold_row {
	char held_id[48];
	char person_id[48];
	char subject[64];
	char candidates[256];
	double score;
	int64_t created_ms;
	char card_id[48]; /* a lightweight enrolment's held card; "" for an import row */
} eid_dup_hold_row;

EID_MUST_CHECK eid_status eid_store_dup_hold_add(eid_store *st, const eid_dup_hold_row *row,
						 eid_err *err);
/* EID_E_NOT_FOUND when held_id is not a duplicate hold. */
EID_MUST_CHECK eid_status eid_store_dup_hold_get(eid_store *st, const char *held_id,
						 eid_dup_hold_row *out, eid_err *err);
EID_MUST_CHECK eid_status eid_store_dup_hold_delete(eid_store *st, const char *held_id,
						    eid_err *err);
/* Calls fn for every resident whose status is `status` with its person id
 * and template ciphertext, until fn returns nonzero. */
EID_MUST_CHECK eid_status eid_store_resident_scan(eid_store *st, const char *status,
						  int (*fn)(void *ctx, const char *person_id,
							    const uint8_t *tpl, size_t tpl_len),
						  void *ctx, eid_err *err);
/* Moves a resident from status `from` to `to`: EID_E_NOT_FOUND if there is
 * no such resident in `from`. */
EID_MUST_CHECK eid_status eid_store_resident_set_status(eid_store *st, const char *person_id,
							const char *from, const char *to,
							eid_err *err);
/* Deletes a resident that is still "held" (a rejected duplicate; nothing
 * refers to it): EID_E_NOT_FOUND otherwise. */
EID_MUST_CHECK eid_status eid_store_resident_delete_held(eid_store *st, const char *person_id,
							 eid_err *err);

/* --- relying parties, terminals, sessions (platform schema) ----------------
 * Text fields are bounded by the caller (the service checks them); secrets
 * are stored only as hashes. get: EID_E_NOT_FOUND when absent. */
typedef struct eid_rp_row {
	char rp_id[48];
	char name[128];
	uint8_t secret_hash[32];
	char max_level[16]; /* "lightweight" or "full" */
	int64_t created_ms;
} eid_rp_row;

typedef struct eid_terminal_row {
	char term_id[48];
	char name[128];
	uint8_t public_key[32];
	char status[16];
	int64_t created_ms;
} eid_terminal_row;

typedef struct eid_session_row {
	char sid[48];
	char type[16];     /* "verify", "enrol" */
	char owner[48];    /* rp_id or term_id */
	char nonce[48];
	int64_t exp_ms;
	char state[16];    /* "pending", "answered", ... */
	char purpose[256]; /* verify: what the relying party says it is for */
	char level[16];
} eid_session_row;

EID_MUST_CHECK eid_status eid_store_rp_add(eid_store *st, const eid_rp_row *row, eid_err *err);
EID_MUST_CHECK eid_status eid_store_rp_get(eid_store *st, const char *rp_id, eid_rp_row *out,
					   eid_err *err);
EID_MUST_CHECK eid_status eid_store_terminal_add(eid_store *st, const eid_terminal_row *row,
						 eid_err *err);
EID_MUST_CHECK eid_status eid_store_terminal_get(eid_store *st, const char *term_id,
						 eid_terminal_row *out, eid_err *err);
EID_MUST_CHECK eid_status eid_store_session_add(eid_store *st, const eid_session_row *row,
						eid_err *err);
EID_MUST_CHECK eid_status eid_store_session_get(eid_store *st, const char *sid,
						eid_session_row *out, eid_err *err);
/* Moves a session from state `from` to `to`; EID_E_CONFLICT if it is not in
 * `from` any more (someone else answered first). */
EID_MUST_CHECK eid_status eid_store_session_transition(eid_store *st, const char *sid,
						       const char *from, const char *to,
						       eid_err *err);
/* Keeps a sealed blob with a pending session (a terminal's claim), and
 * reads it back (EID_E_NOT_FOUND if none); at most cap bytes. */
EID_MUST_CHECK eid_status eid_store_session_set_sealed(eid_store *st, const char *sid,
						       const uint8_t *blob, size_t len,
						       eid_err *err);
EID_MUST_CHECK eid_status eid_store_session_sealed(eid_store *st, const char *sid, uint8_t *out,
						   size_t cap, size_t *len_out, eid_err *err);
/* pending -> answered with the signed result (JSON text); EID_E_CONFLICT if
 * the session was not pending. get_result copies it (EID_E_NOT_FOUND if none). */
EID_MUST_CHECK eid_status eid_store_session_answer(eid_store *st, const char *sid,
						   const char *result, eid_err *err);
EID_MUST_CHECK eid_status eid_store_session_result(eid_store *st, const char *sid,
						   char **result_out, eid_err *err);

/* --- OpenID Connect (platform schema; docs/oidc.md) ---------------------------
 * A client is a relying party (client_id = its rp_id) with redirect URIs, an
 * authentication method and the level it requires. A grant follows one
 * authorization request from the browser's arrival to the tokens. */
typedef struct eid_oidc_client_row {
	char client_id[48];
	char redirect_uris[2048]; /* JSON array of exact URIs */
	char auth_method[32];	  /* client_secret_basic | private_key_jwt | none */
	char jwks[8192];	  /* JSON {"keys": [...]}, private_key_jwt only, else "" */
	char scopes[256];	  /* allowed scopes, space-separated ("openid") */
	char level[16];		  /* required level: lightweight | full */
	int64_t created_ms;
} eid_oidc_client_row;

typedef struct eid_oidc_grant_row {
	char sid[48]; /* the verification session behind it */
	char client_id[48];
	char redirect_uri[512];
	char state[256];
	char nonce[256];
	char code_challenge[64]; /* S256; "" when the client sent none */
	char scope[256];
	uint8_t browser_hash[32]; /* BLAKE2b of the authorising browser's cookie */
	char status[16]; /* pending, code, redeemed, denied, revoked */
	uint8_t code_hash[32];
	int64_t code_exp_ms;
	uint8_t token_hash[32];
	int64_t token_exp_ms;
	char sub[64];  /* the authority's pairwise pseudonym */
	char acr[16];  /* lightweight | full */
	char amr[32];  /* "face" or "face pin" */
	int64_t auth_time_ms;
	int64_t created_ms;
} eid_oidc_grant_row;

EID_MUST_CHECK eid_status eid_store_oidc_client_add(eid_store *st, const eid_oidc_client_row *row,
						    eid_err *err);
EID_MUST_CHECK eid_status eid_store_oidc_client_get(eid_store *st, const char *client_id,
						    eid_oidc_client_row *out, eid_err *err);
EID_MUST_CHECK eid_status eid_store_oidc_grant_add(eid_store *st, const eid_oidc_grant_row *row,
						   eid_err *err);
EID_MUST_CHECK eid_status eid_store_oidc_grant_get(eid_store *st, const char *sid,
						   eid_oidc_grant_row *out, eid_err *err);
/* Replaces the grant's row if its status is still `expected` (compare and
 * set): EID_E_CONFLICT when another request moved it first. */
EID_MUST_CHECK eid_status eid_store_oidc_grant_update(eid_store *st, const eid_oidc_grant_row *row,
						      const char *expected, eid_err *err);

#endif
