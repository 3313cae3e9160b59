/* api/api_internal.h — shared by the route files of src/api. */
#ifndef EID_API_INTERNAL_H
#define EID_API_INTERNAL_H

#include "eid/http.h"

/* The HTTP status of a service's failure. */
int api_http_status(eid_status st);
/* Answers body with ok_status, or the error of st (eid_http_error_status). */
void api_reply(eid_http_response *resp, int ok_status, eid_status st, json_t *body,
	       const eid_err *err);

/* The OpenID Provider's routes (oidc_api.c), served by the platform listener. */
extern const eid_http_route api_oidc_routes[];
extern const size_t api_oidc_nroutes;

#endif
