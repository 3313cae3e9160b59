/* eid/oidc.h — the platform as an OpenID Provider (docs/oidc.md).
 *
 * A relying party signs people in with the authorization code flow; the
 * authentication step is the face verification of eid/svc.h: the
 * authorization request opens a verification session for the client, the
 * resident answers it in the app (same browser, or a phone scanning the
 * sign-in page's QR code), and the code carries the authority's answer.
 *
 *   GET  /.well-known/openid-configuration   eid_oidc_discovery
 *   GET  /oidc/jwks                           eid_oidc_jwks (ES256 keys, kid = RFC 7638)
 *   GET  /oidc/authorize                      eid_oidc_authorize -> a redirect
 *   GET  /oidc/sessions/{sid}                 eid_oidc_session_state (the sign-in page polls)
 *   GET  /oidc/finish/{sid}                   eid_oidc_finish -> redirect_uri?code|error
 *   POST /oidc/token                          eid_oidc_token
 *   GET  /oidc/userinfo                       eid_oidc_userinfo
 *
 * ID tokens: ES256; sub = the authority's pairwise pseudonym for the client
 * (one relying party: always the same; two: unlinkable); acr "full" or
 * "lightweight"; amr ["face"] or ["face", "pin"] (the passcode); auth_time;
 * nonce when sent. No personal data: the only scope is "openid".
 *
 * Codes and access tokens are "<sid>.<32 random bytes>": only hashes are
 * kept; a code lives 60 s and works once (a second use revokes what the
 * first gave); an access token lives 5 minutes. The browser that asked is
 * bound by a cookie, so only it can collect the code. */
#ifndef EID_OIDC_H
#define EID_OIDC_H

#include <jansson.h>

#include "eid/status.h"
#include "eid/svc.h"

#define EID_OIDC_CODE_MS (60 * 1000)
#define EID_OIDC_TOKEN_S 300

/* Registers a client (a relying party, client_id = its rp_id) with exact
 * redirect URIs (a JSON array of 1-10 https URIs, or http on 127.0.0.1 /
 * localhost), its token endpoint authentication ("client_secret_basic",
 * "private_key_jwt" with jwks {"keys": [...]}, or "none": a public client,
 * PKCE required) and the level every sign-in must reach. secret_out is the
 * client secret for client_secret_basic, "" otherwise; it is shown once. */
EID_MUST_CHECK eid_status eid_oidc_client_add(eid_platform *p, const char *name,
					      const json_t *redirect_uris, const char *auth_method,
					      const json_t *jwks, const char *level,
					      char client_id_out[EID_CREDENTIAL_ID_LEN + 1],
					      char secret_out[EID_CREDENTIAL_SECRET_LEN + 1],
					      eid_err *err);

/* A new signing key, used for new ID tokens from the next start; older keys
 * stay in the JWKS until their files are removed from platform/oidc-keys. */
EID_MUST_CHECK eid_status eid_oidc_rotate_key(const char *data_dir, char kid_out[64],
					      eid_err *err);

json_t *eid_oidc_discovery(eid_platform *p);
/* 1 when the issuer (the platform's public URL) is https: cookies get Secure. */
int eid_oidc_https(const eid_platform *p);
json_t *eid_oidc_jwks(eid_platform *p);

/* The authorization request's parameters (NULL when absent). */
typedef struct eid_oidc_authz_req {
	const char *response_type, *client_id, *redirect_uri, *scope, *state, *nonce;
	const char *code_challenge, *code_challenge_method, *acr_values;
} eid_oidc_authz_req;

/* Where to send the browser: the sign-in page "/signin#<qr>" (and the
 * cookie "name=value" binding this browser, to set), the client's
 * redirect_uri with an error (unsupported_response_type, invalid_scope,
 * invalid_request, ...), or "/signin#error=..." when the client or its
 * redirect URI cannot be trusted with one. */
EID_MUST_CHECK eid_status eid_oidc_authorize(eid_platform *p, const eid_oidc_authz_req *q,
					     char *location, size_t cap, char cookie[160],
					     eid_err *err);

/* {"state": "pending" | "answered" | "expired"} for the browser holding the
 * grant's cookie (cookies: the Cookie header); EID_E_NOT_FOUND otherwise. */
EID_MUST_CHECK eid_status eid_oidc_session_state(eid_platform *p, const char *sid,
						 const char *cookies, json_t **out, eid_err *err);

/* The end of the sign-in in the browser that started it: the client's
 * redirect_uri with ?code=&state= on a yes, ?error=access_denied on a no,
 * a decline (declined != 0) or an expired request; "/signin#<qr>" while the
 * answer is pending. EID_E_NOT_FOUND for another browser. */
EID_MUST_CHECK eid_status eid_oidc_finish(eid_platform *p, const char *sid, const char *cookies,
					  int declined, char *location, size_t cap, eid_err *err);

/* The token endpoint: form (application/x-www-form-urlencoded body) and the
 * Authorization header. Always answers a JSON body and its HTTP status: the
 * tokens (200) or {"error", "error_description"} (400; 401 invalid_client
 * with www_authenticate set). */
void eid_oidc_token(eid_platform *p, const char *authorization, const char *form, size_t form_len,
		    json_t **out, int *status, char www_authenticate[96]);

/* The userinfo endpoint: {"sub", "acr"} for a valid access token (200), else
 * {"error": "invalid_token"} with 401 and www_authenticate set. */
void eid_oidc_userinfo(eid_platform *p, const char *authorization, json_t **out, int *status,
		       char www_authenticate[96]);

#endif
