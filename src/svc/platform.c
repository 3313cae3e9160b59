/* The platform: the internet-facing broker. So far: its key and storage. It
 * holds none of the authority's secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/crypto.h"
#include "eid/store.h"
#include "eid/svc.h"
#include "keydir.h"

struct eid_platform {
	eid_key *signing;
	eid_store *store;
	char *authority_url;
};

eid_status eid_platform_open(const char *data_dir, const char *authority_url, eid_platform **out,
			     eid_err *err)
{
	*out = NULL;
	if (!authority_url || (strncmp(authority_url, "http://", 7) != 0 &&
			       strncmp(authority_url, "https://", 8) != 0))
		return eid_fail(err, EID_E_INVALID_ARG, "authority url '%s' is not http(s)",
				authority_url ? authority_url : "");
	char dir[4096], keys[4200], db[4200];
	snprintf(dir, sizeof(dir), "%s/platform", data_dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(db, sizeof(db), "sqlite:%s/platform.db", dir);
	eid_status st = eid_crypto_init(err);
	if (!st)
		st = svc_private_dir(keys, err);
	if (st)
		return st;
	eid_platform *p = calloc(1, sizeof(*p));
	if (!p)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	p->authority_url = strdup(authority_url);
	if (!p->authority_url)
		st = eid_fail(err, EID_E_NOMEM, "out of memory");
	if (st || (st = svc_key_load_or_create(keys, "signing", EID_KEY_ED25519, &p->signing, err)) ||
	    (st = eid_store_open(db, EID_SCHEMA_PLATFORM, &p->store, err))) {
		eid_err_prefix(err, "cannot open the platform in '%s'", data_dir);
		eid_platform_close(p);
		return st;
	}
	*out = p;
	return EID_OK;
}

void eid_platform_close(eid_platform *p)
{
	if (!p)
		return;
	eid_store_close(p->store);
	eid_key_free(p->signing);
	free(p->authority_url);
	free(p);
}

json_t *eid_platform_key_set(const eid_platform *p)
{
	json_t *keys = json_array();
	json_array_append_new(keys, svc_key_json(eid_key_pub(p->signing), "sig"));
	return json_pack("{s:s, s:o}", "service", "platform", "keys", keys);
}

const char *eid_platform_authority_url(const eid_platform *p)
{
	return p->authority_url;
}
