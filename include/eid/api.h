/* eid/api.h — the services on HTTP: each role's route table over the HTTP
 * layer (eid/http.h). Handlers parse and check the request, call the
 * service (eid/svc.h) and shape the answer; they hold no SQL and no keys.
 *
 *   eid_http_config cfg = {.name = "authority", .port = 8441};
 *   eid_http_server *srv;
 *   if (eid_api_authority_start(authority, &cfg, &srv, &err)) ...
 *   printf("authority listening on %s\n", eid_http_server_url(srv));
 *   ...
 *   eid_http_server_free(srv);          // before closing the service
 *
 * Routes (docs/design.md; the API reference grows with the flows):
 *   authority  GET /v1/keys   the published key set (eid_authority_key_set)
 *   platform   GET /v1/keys   {"platform": its key set, "authority": the
 *                             authority's, fetched from it and relayed as is}
 *              POST /v1/verifications        relying party (Bearer rp_id.secret):
 *                             {purpose, level} -> 201 {sid, exp, qr}
 *              GET /v1/verifications/{sid}  relying party: its request's state
 *              GET /v1/requests/{sid}       public: who asks, why, level, nonce
 *              POST /v1/requests/{sid}      the app: {sealed, device_sig} -> 201
 *                             the authority's signed answer (also kept for
 *                             the relying party's GET, as "result")
 *              POST /v1/terminal/enrolments            a terminal (signed body):
 *                             a full enrolment session
 *              POST /v1/terminal/enrolments/{sid}/claim  the terminal's sealed
 *                             claim -> {qr} for the app
 *              POST /v1/enrolments          the app: {level:"lightweight"} -> 201
 *                             {sid, nonce, exp, level, authority_seal}
 *              POST /v1/enrolments/{sid}    the app: {sealed, device_sig} -> 201
 *                             the authority's signed card (relayed)
 *   authority  POST /internal/enrolments    the platform only (its signature on
 *              POST /internal/verifications  the body): the capture's decision
 * Errors: 400 bad input, 401 no or bad credential, 403 not allowed (or the
 * face does not match), 404 absent (or another party's), 409 already used,
 * 410 expired, 502 a peer service did not answer.
 * plus /healthz and /metrics on both.
 */
#ifndef EID_API_H
#define EID_API_H

#include "eid/crypto.h"
#include "eid/http.h"
#include "eid/svc.h"

/* platform: the one platform key whose signature the internal routes accept
 * (NULL: they refuse everything). */
EID_MUST_CHECK eid_status eid_api_authority_start(eid_authority *a, const eid_pubkey *platform,
						  const eid_http_config *cfg,
						  eid_http_server **out, eid_err *err);
EID_MUST_CHECK eid_status eid_api_platform_start(eid_platform *p, const eid_http_config *cfg,
						 eid_http_server **out, eid_err *err);

#endif
