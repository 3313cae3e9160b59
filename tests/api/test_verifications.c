/* Relying parties and terminals registered by an administrator, then a
 * relying party's verification request over real HTTP on loopback: bearer
 * credentials, levels, who may read what, the signed QR payload the app
 * scans, and bad input of every kind refused with nothing stored. */
#include <jansson.h>

#include "eid/api.h"
#include "eid/crypto.h"
#include "test.h"
#include "call.h"

static char data[64];
static eid_platform *plat;
static eid_http_server *srv;
static char hotel[128], cafe[128]; /* "rp_id.secret" */

static json_t *call(const char *method, const char *path, const char *credential, json_t *body,
		    long *status)
{
	return api_call(srv, method, path, credential, body, status);
}

static void test_setup_and_register(void)
{
	snprintf(data, sizeof(data), "/tmp/eid-ver-XXXXXX");
	REQUIRE(mkdtemp(data));
	eid_err err;
	REQUIRE(eid_platform_open(data, "http://127.0.0.1:9", &plat, &err) == EID_OK);
	char id[EID_CREDENTIAL_ID_LEN + 1], secret[EID_CREDENTIAL_SECRET_LEN + 1];
	REQUIRE(eid_platform_add_rp(plat, "Hotel Canton", "full", id, secret, &err) == EID_OK);
	snprintf(hotel, sizeof(hotel), "%s.%s", id, secret);
	REQUIRE(eid_platform_add_rp(plat, "Net Cafe", "lightweight", id, secret, &err) == EID_OK);
	snprintf(cafe, sizeof(cafe), "%s.%s", id, secret);
	CHECK(eid_platform_add_rp(plat, "", "full", id, secret, &err) == EID_E_INVALID_ARG);
	CHECK(eid_platform_add_rp(plat, "X", "gold", id, secret, &err) == EID_E_INVALID_ARG);
	CHECK(eid_platform_add_rp(plat, "bad\nname", "full", id, secret, &err) == EID_E_INVALID_ARG);

	eid_key *term;
	REQUIRE(eid_key_new(EID_KEY_ED25519, &term, &err) == EID_OK);
	char pub[EID_PUBKEY_B64_LEN + 1];
	REQUIRE(eid_pubkey_to_b64(eid_key_pub(term), pub, sizeof(pub), &err) == EID_OK);
	CHECK(eid_platform_add_terminal(plat, "Station 3", pub, id, &err) == EID_OK);
	CHECK(strlen(id) == EID_CREDENTIAL_ID_LEN);
	CHECK(eid_platform_add_terminal(plat, "Station 4", "not-a-key", id, &err) ==
	      EID_E_INVALID_ARG);
	eid_key_free(term);

	eid_http_config cfg = {.name = "platform", .quiet = 1};
	REQUIRE(eid_api_platform_start(plat, &cfg, &srv, &err) == EID_OK);
}

static void test_credentials(void)
{
	long status;
	json_t *r = call("POST", "/v1/verifications", NULL,
			 json_pack("{s:s, s:s}", "purpose", "check-in", "level", "full"), &status);
	CHECK(status == 401);
	json_decref(r);
	char wrong[128];
	snprintf(wrong, sizeof(wrong), "%s", hotel);
	wrong[strlen(wrong) - 1] ^= 1; /* one character of the secret */
	r = call("POST", "/v1/verifications", wrong,
		 json_pack("{s:s, s:s}", "purpose", "check-in", "level", "full"), &status);
	CHECK(status == 401);
	json_decref(r);
	r = call("POST", "/v1/verifications", "' OR 1=1 --",
		 json_pack("{s:s, s:s}", "purpose", "check-in", "level", "full"), &status);
	CHECK(status == 401);
	json_decref(r);
}

static void test_request_lifecycle(void)
{
	long status;
	json_t *r = call("POST", "/v1/verifications", hotel,
			 json_pack("{s:s, s:s}", "purpose", "hotel check-in", "level", "full"),
			 &status);
	CHECK(status == 201);
	const char *sid = json_string_value(json_object_get(r, "sid"));
	const char *qr = json_string_value(json_object_get(r, "qr"));
	REQUIRE(sid && qr);
	char path[128], sid_copy[64];
	snprintf(sid_copy, sizeof(sid_copy), "%s", sid);

	/* the QR payload: platform-signed, names the session and the platform */
	uint8_t raw[2048];
	size_t n;
	eid_err err;
	REQUIRE(eid_b64url_decode(qr, strlen(qr), raw, sizeof(raw) - 1, &n, &err) == EID_OK);
	raw[n] = 0;
	json_t *payload = json_loads((const char *)raw, 0, NULL);
	REQUIRE(payload);
	CHECK(strcmp(json_string_value(json_object_get(payload, "sid")), sid_copy) == 0);
	CHECK(strcmp(json_string_value(json_object_get(payload, "platform")),
		     eid_http_server_url(srv)) == 0);
	json_t *keys = eid_platform_key_set(plat);
	eid_pubkey pk;
	json_t *k0 = json_array_get(json_object_get(keys, "keys"), 0);
	const char *x = json_string_value(json_object_get(k0, "x"));
	REQUIRE(eid_pubkey_from_b64(EID_KEY_ED25519, x, strlen(x), NULL, &pk, &err) == EID_OK);
	eid_keyring ring = {&pk, 1};
	CHECK(eid_verify_json(payload, eid_keyring_lookup, &ring, NULL, &err) == EID_OK);
	json_object_set_new(payload, "sid", json_string("another"));
	CHECK(eid_verify_json(payload, eid_keyring_lookup, &ring, NULL, &err) != EID_OK);
	json_decref(payload);
	json_decref(keys);
	json_decref(r);

	/* the relying party reads its own request; another one cannot see it */
	snprintf(path, sizeof(path), "/v1/verifications/%s", sid_copy);
	r = call("GET", path, hotel, NULL, &status);
	CHECK(status == 200);
	CHECK(strcmp(json_string_value(json_object_get(r, "state")), "pending") == 0);
	json_decref(r);
	r = call("GET", path, cafe, NULL, &status);
	CHECK(status == 404);
	json_decref(r);

	/* the app: who asks, why, at which level, and the nonce to bind to */
	snprintf(path, sizeof(path), "/v1/requests/%s", sid_copy);
	r = call("GET", path, NULL, NULL, &status);
	CHECK(status == 200);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(r, "rp"), "name")),
		     "Hotel Canton") == 0);
	CHECK(strcmp(json_string_value(json_object_get(r, "purpose")), "hotel check-in") == 0);
	CHECK(strlen(json_string_value(json_object_get(r, "nonce"))) == 22);
	json_decref(r);
	r = call("GET", "/v1/requests/nope", NULL, NULL, &status);
	CHECK(status == 404);
	json_decref(r);
}

static void test_levels_and_bad_input(void)
{
	long status;
	/* a lightweight-only relying party cannot ask for full */
	json_t *r = call("POST", "/v1/verifications", cafe,
			 json_pack("{s:s, s:s}", "purpose", "log-in", "level", "full"), &status);
	CHECK(status == 403);
	CHECK(strcmp(error_code(r), "denied") == 0);
	json_decref(r);
	r = call("POST", "/v1/verifications", cafe,
		 json_pack("{s:s, s:s}", "purpose", "log-in", "level", "lightweight"), &status);
	CHECK(status == 201);
	json_decref(r);

	struct {
		json_t *body;
		int status;
	} bad[] = {
		{json_pack("{s:s}", "purpose", "x"), 400},                        /* no level */
		{json_pack("{s:i, s:s}", "purpose", 5, "level", "full"), 400},    /* wrong type */
		{json_pack("{s:s, s:s}", "purpose", "", "level", "full"), 400},   /* empty */
		{json_pack("{s:s, s:s}", "purpose", "x", "level", "gold"), 400},  /* no such level */
		{json_pack("{s:s, s:s}", "purpose", "a\x01b", "level", "full"), 400}, /* control */
		{json_pack("[s]", "x"), 400},                                      /* not an object */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call("POST", "/v1/verifications", hotel, bad[i].body, &status);
		CHECK(status == bad[i].status);
		json_decref(r);
	}
	char big[5000];
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	r = call("POST", "/v1/verifications", hotel,
		 json_pack("{s:s, s:s}", "purpose", big, "level", "full"), &status);
	CHECK(status == 413); /* over the route's body limit */
	json_decref(r);
	char purpose[300];
	memset(purpose, 'p', 250);
	purpose[250] = 0;
	r = call("POST", "/v1/verifications", hotel,
		 json_pack("{s:s, s:s}", "purpose", purpose, "level", "full"), &status);
	CHECK(status == 400); /* over 200 characters */
	json_decref(r);
	r = call("POST", "/v1/verifications", hotel,
		 json_pack("{s:s, s:s}", "purpose", "x'); DROP TABLE sessions; --", "level", "full"),
		 &status);
	CHECK(status == 201); /* SQL in a field is text */
	json_decref(r);
}

static void test_teardown(void)
{
	eid_http_server_free(srv);
	eid_platform_close(plat);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_setup_and_register, test_credentials, test_request_lifecycle,
	  test_levels_and_bad_input, test_teardown)
