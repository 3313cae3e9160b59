/* libFuzzer target for src/jose: the input is tried as a compact JWS against
 * fixed public keys of each supported kind (the RFC 7515 A.3 EC key, the
 * RFC 8037 A.1 Ed25519 key, a 2048-bit RSA key), and as a JWK set and a JWK
 * (checked, a key picked, a fixed token verified with it). Replayed over
 * tests/fuzz/corpus/jws by tests/fuzz/replay.c in the normal test run.
 *
 * Invariants checked: on failure no output is written and a message is set;
 * on success both outputs are JSON objects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid/jose.h"

const char *const fuzz_target_name = "jws";
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "jose/rfc_vectors.h"

static const char *const keys_json[] = {
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" A4_X "\"}",
    "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"e\":\"AQAB\",\"n\":\"q0ER7dmhwo4g83fGeg_"
    "rqfQ6ldrlUxTSlhn51A9AYxeY6VkLLhSWMwYxDCv4WXxHbk5U7DSr_"
    "0XabgIYA2L3nCCc1Ni39VBA6EzNCt34xJrvjckZ5-"
    "DWmjJbVGFz4WBLj0famAOEqu6J8aTeGGuMxGqweWgPbLliWF4bs2RzKTZGnpnD8U9Rf3sBDPSwox3t6umqG2PHRDdUge33"
    "OqllvsFaRGLstQWpSDMBRHiHihDczZMfIuXHZ-ES3Me-vIOmrVP6aPiUUDHMWMY_"
    "aheg8xPrpXGUz2DRvMQdgmqu4h1OfgWxlEN2Qg3-dHylQhP8na7YZKoGA72chSfCy9Y62w\"}",
};
#define N_KEYS (sizeof keys_json / sizeof keys_json[0])

static void check_verify(const char *jwt, const json_t *jwk)
{
	json_t *h = (json_t *)&h, *c = (json_t *)&c;
	json_t *const hs = h, *const cs = c;
	eid_err err;
	err.msg[0] = 0;
	eid_status st = eid_jose_verify(jwt, jwk, &h, &c, &err);
	if (st != EID_OK) {
		if (h != hs || c != cs || !err.msg[0])
			abort();
		return;
	}
	if (!json_is_object(h) || !json_is_object(c))
		abort();
	json_decref(h);
	json_decref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *keys[N_KEYS];
	if (!keys[0])
		for (size_t i = 0; i < N_KEYS; i++)
			if (!(keys[i] = json_loads(keys_json[i], 0, NULL)) ||
			    eid_jose_jwk_check(keys[i], NULL) != EID_OK)
				abort();
	char *txt = malloc(size + 1);
	if (!txt)
		return 0;
	memcpy(txt, data, size);
	txt[size] = 0;

	/* as a token (up to the first NUL, as a C caller would pass it) */
	for (size_t i = 0; i < N_KEYS; i++)
		check_verify(txt, keys[i]);

	/* as a JWK set, and as a single JWK */
	json_t *j = json_loadb(txt, size, JSON_REJECT_DUPLICATES, NULL);
	if (j) {
		eid_err err;
		(void)!eid_jose_jwks_check(j, &err);
		(void)!eid_jose_jwk_check(j, &err);
		static const char *const algs[] = {"ES256", "RS256", "EdDSA", "none", NULL};
		for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
			const json_t *k = NULL;
			if (eid_jose_jwk_select(j, algs[i] ? NULL : "rsa-1", algs[i], &k, &err) ==
			    EID_OK) {
				if (eid_jose_jwk_check(k, &err) != EID_OK)
					abort(); /* select checks what it picks */
				check_verify(A3_JWS, k);
			}
		}
		if (eid_jose_jwk_check(j, &err) == EID_OK)
			check_verify(A3_JWS, j);
		json_decref(j);
	}
	free(txt);
	return 0;
}
