/* store/backend.h — the operation table a storage backend implements.
 * src/store/store.c picks the backend from the location's scheme and
 * forwards every eid_store_* call to it; sqlite.c is the first backend. */
#ifndef EID_STORE_BACKEND_H
#define EID_STORE_BACKEND_H

#include "eid/store.h"

typedef struct eid_store_backend {
	const char *scheme; /* "sqlite" */
	eid_status (*open)(const char *location, eid_schema schema, void **impl_out,
			   int *version_out, eid_err *err);
	void (*close)(void *impl);
	eid_status (*begin)(void *impl, eid_err *err);
	eid_status (*commit)(void *impl, eid_err *err);
	void (*rollback)(void *impl);
	/* last entry (seq 0 and zero hash when empty), then insert */
	eid_status (*audit_last)(void *impl, uint64_t *seq_out, uint8_t hash_out[32], eid_err *err);
	eid_status (*audit_insert)(void *impl, const eid_audit_entry *e, eid_err *err);
	/* calls fn for every entry in seq order until fn returns nonzero */
	eid_status (*audit_scan)(void *impl, int (*fn)(void *ctx, const eid_audit_entry *e),
				 void *ctx, eid_err *err);
	eid_status (*nonce_use)(void *impl, const char *value, int64_t expires_ms, eid_err *err);
	eid_status (*nonce_purge)(void *impl, int64_t now_ms, uint64_t *purged_out, eid_err *err);
	eid_status (*resident_add)(void *impl, const eid_resident_row *row, eid_err *err);
	eid_status (*resident_count)(void *impl, uint64_t *count_out, eid_err *err);
	eid_status (*rp_add)(void *impl, const eid_rp_row *row, eid_err *err);
	eid_status (*rp_get)(void *impl, const char *rp_id, eid_rp_row *out, eid_err *err);
	eid_status (*terminal_add)(void *impl, const eid_terminal_row *row, eid_err *err);
	eid_status (*terminal_get)(void *impl, const char *term_id, eid_terminal_row *out,
				   eid_err *err);
	eid_status (*session_add)(void *impl, const eid_session_row *row, eid_err *err);
	eid_status (*session_get)(void *impl, const char *sid, eid_session_row *out, eid_err *err);
	eid_status (*session_transition)(void *impl, const char *sid, const char *from,
					 const char *to, eid_err *err);
	eid_status (*resident_find)(void *impl, const uint8_t id_hash[32], char person_id_out[48],
				    char status_out[16], uint8_t *tpl_out, size_t tpl_cap,
				    size_t *tpl_len, eid_err *err);
	eid_status (*card_add)(void *impl, const eid_card_row *row, eid_err *err);
	eid_status (*resident_template)(void *impl, const char *person_id, uint8_t *tpl_out,
					size_t tpl_cap, size_t *tpl_len, eid_err *err);
	eid_status (*card_template)(void *impl, const char *card_id, uint8_t *tpl_out,
				    size_t tpl_cap, size_t *tpl_len, eid_err *err);
	eid_status (*card_get)(void *impl, const char *card_id, eid_card_row *out, eid_err *err);
	eid_status (*card_set_status)(void *impl, const char *card_id, const char *status,
				      eid_err *err);
	eid_status (*cards_supersede)(void *impl, const char *person_id, unsigned *n_out,
				      eid_err *err);
	eid_status (*verification_list)(void *impl, const char *person_id,
					eid_verification_row *rows, size_t max, size_t *n_out,
					eid_err *err);
	eid_status (*passcode_set)(void *impl, const char *person_id, const char *hash,
				   eid_err *err);
	eid_status (*passcode_get)(void *impl, const char *person_id, char hash_out[128],
				   int *failures_out, int64_t *locked_until_out, eid_err *err);
	eid_status (*passcode_record)(void *impl, const char *person_id, int failures,
				      int64_t locked_until, eid_err *err);
	eid_status (*session_set_sealed)(void *impl, const char *sid, const uint8_t *blob, size_t len,
					 eid_err *err);
	eid_status (*session_sealed)(void *impl, const char *sid, uint8_t *out, size_t cap,
				     size_t *len_out, eid_err *err);
	eid_status (*verification_add)(void *impl, const eid_verification_row *row, eid_err *err);
	eid_status (*session_answer)(void *impl, const char *sid, const char *result, eid_err *err);
	eid_status (*oidc_client_add)(void *impl, const eid_oidc_client_row *row, eid_err *err);
	eid_status (*oidc_client_get)(void *impl, const char *client_id, eid_oidc_client_row *out,
				      eid_err *err);
	eid_status (*oidc_grant_add)(void *impl, const eid_oidc_grant_row *row, eid_err *err);
	eid_status (*oidc_grant_get)(void *impl, const char *sid, eid_oidc_grant_row *out,
				     eid_err *err);
	eid_status (*oidc_grant_update)(void *impl, const eid_oidc_grant_row *row,
					const char *expected, eid_err *err);
	eid_status (*session_result)(void *impl, const char *sid, char **result_out, eid_err *err);
	/* the administrator's view (counting queries, held import rows, token) */
	eid_status (*audit_count)(void *impl, const char *event, int64_t since_ms,
				  uint64_t *count_out, eid_err *err);
	eid_status (*card_counts)(void *impl, eid_card_count *rows, size_t max, size_t *n_out,
				  eid_err *err);
	eid_status (*verification_counts)(void *impl, int64_t since_ms, uint64_t *yes_out,
					  uint64_t *no_out, eid_err *err);
	eid_status (*import_batch_add)(void *impl, const eid_import_batch_row *row, eid_err *err);
	eid_status (*import_totals)(void *impl, eid_import_totals *out, eid_err *err);
	eid_status (*held_import_add)(void *impl, const eid_held_import_row *row, eid_err *err);
	eid_status (*held_import_list)(void *impl, eid_held_import_row *rows, size_t max,
				       size_t *n_out, eid_err *err);
	eid_status (*held_import_count)(void *impl, uint64_t *count_out, eid_err *err);
	eid_status (*held_import_delete)(void *impl, const char *held_id, eid_err *err);
	eid_status (*admin_token_set)(void *impl, const uint8_t hash[32], int64_t created_ms,
				      eid_err *err);
	eid_status (*admin_token_get)(void *impl, uint8_t hash_out[32], eid_err *err);
	/* deduplication (issue 6): held duplicates, the gallery's templates */
	eid_status (*dup_hold_add)(void *impl, const eid_dup_hold_row *row, eid_err *err);
	eid_status (*dup_hold_get)(void *impl, const char *held_id, eid_dup_hold_row *out,
				   eid_err *err);
	eid_status (*dup_hold_delete)(void *impl, const char *held_id, eid_err *err);
	eid_status (*resident_scan)(void *impl, const char *status,
				    int (*fn)(void *ctx, const char *person_id, const uint8_t *tpl,
					      size_t tpl_len),
				    void *ctx, eid_err *err);
	eid_status (*resident_set_status)(void *impl, const char *person_id, const char *from,
					  const char *to, eid_err *err);
	eid_status (*resident_delete_held)(void *impl, const char *person_id, eid_err *err);
} eid_store_backend;

extern const eid_store_backend eid_store_sqlite;

#endif
