/* The authority's HTTP routes. */
#include "eid/api.h"

static void get_keys(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	json_t *keys = eid_authority_key_set(ctx);
	if (!keys) {
		eid_http_error(resp, 500, "internal", "cannot list keys");
		return;
	}
	eid_http_reply_json(resp, 200, keys);
}

static const eid_http_route routes[] = {
	{"GET", "/v1/keys", get_keys, 0, 0, 0},
};

eid_status eid_api_authority_start(eid_authority *a, const eid_http_config *cfg,
				   eid_http_server **out, eid_err *err)
{
	return eid_http_server_new(cfg, routes, sizeof(routes) / sizeof(routes[0]), a, out, err);
}
