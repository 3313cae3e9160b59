/* The platform's HTTP routes. */
#include <stdio.h>

#include "eid/api.h"

/* The authority's keys are fetched from it and relayed unchanged: relying
 * parties verify the authority's signatures, and the platform has nothing to
 * add to them. */
static void get_keys(void *ctx, const eid_http_request *req, eid_http_response *resp)
{
	(void)req;
	eid_platform *p = ctx;
	char url[2048];
	snprintf(url, sizeof(url), "%s/v1/keys", eid_platform_authority_url(p));
	long status = 0;
	json_t *authority = NULL;
	eid_err err;
	if (eid_http_call("GET", url, NULL, 5.0, &status, &authority, &err) != EID_OK ||
	    status != 200 || !json_is_object(authority)) {
		json_decref(authority);
		eid_http_error(resp, 502, "authority_unreachable",
			       "the authority did not answer with its keys");
		return;
	}
	json_t *mine = eid_platform_key_set(p);
	eid_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "platform", mine, "authority",
						 authority));
}

static const eid_http_route routes[] = {
	{"GET", "/v1/keys", get_keys, 0, 0, 0},
};

eid_status eid_api_platform_start(eid_platform *p, const eid_http_config *cfg,
				  eid_http_server **out, eid_err *err)
{
	return eid_http_server_new(cfg, routes, sizeof(routes) / sizeof(routes[0]), p, out, err);
}
