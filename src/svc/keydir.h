/* svc/keydir.h — a role's key directory: each key loaded from its file, or
 * created (0600, never overwritten) on first use. Internal to src/svc. */
#ifndef EID_SVC_KEYDIR_H
#define EID_SVC_KEYDIR_H

#include <jansson.h>

#include "eid/crypto.h"

/* mkdir -p with mode 0700 for every level this call creates; an existing
 * directory must not be group- or world-accessible. */
EID_MUST_CHECK eid_status svc_private_dir(const char *path, eid_err *err);
/* DIR/NAME.key of the given type: read it, or create it if it is absent. */
EID_MUST_CHECK eid_status svc_key_load_or_create(const char *dir, const char *name,
						 eid_key_type type, eid_key **out, eid_err *err);
/* {"kid","use","alg","x"} for a public key */
json_t *svc_key_json(const eid_pubkey *pub, const char *use);

#endif
