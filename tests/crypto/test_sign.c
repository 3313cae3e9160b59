/* Tests of src/crypto/sign.c: Ed25519 against RFC 8032, and signed JSON
 * objects: canonical form, every tampered field, wrong kid, wrong key. */
#include "eid/crypto.h"
#include "test.h"

#include <jansson.h>
#include <sodium.h>

static eid_key *signer, *stranger;
static eid_pubkey ring_keys[3];
static eid_keyring ring;

static void test_setup(void)
{
	REQUIRE(eid_key_new(EID_KEY_ED25519, &signer, NULL) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &stranger, NULL) == EID_OK);
	eid_key *x = NULL, *old = NULL;
	REQUIRE(eid_key_new(EID_KEY_X25519, &x, NULL) == EID_OK);
	REQUIRE(eid_key_new(EID_KEY_ED25519, &old, NULL) == EID_OK);
	ring_keys[0] = *eid_key_pub(old); /* another published key */
	ring_keys[1] = *eid_key_pub(signer);
	ring_keys[2] = *eid_key_pub(x); /* a sealing key, never a signer */
	ring.keys = ring_keys;
	ring.n = 3;
	eid_key_free(x);
	eid_key_free(old);
}

static void test_rfc8032_vector(void)
{
	uint8_t seed[32], sig[64], want[64];
	size_t n;
	REQUIRE(sodium_hex2bin(seed, 32,
			       "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
			       64, NULL, &n, NULL) == 0);
	REQUIRE(sodium_hex2bin(want, 64,
			       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
			       "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
			       128, NULL, &n, NULL) == 0);
	eid_key *k = NULL;
	REQUIRE(eid_key_from_secret(EID_KEY_ED25519, seed, 32, &k, NULL) == EID_OK);
	REQUIRE(eid_sign(k, (const uint8_t *)"", 0, sig, NULL) == EID_OK);
	CHECK(memcmp(sig, want, 64) == 0);
	CHECK(eid_verify(eid_key_pub(k), (const uint8_t *)"", 0, sig, 64, NULL) == EID_OK);
	eid_key_free(k);
}

static void test_bytes(void)
{
	const uint8_t msg[] = "result=yes;level=full;rid=AbC";
	uint8_t sig[64], m[sizeof msg];
	eid_err err;
	REQUIRE(eid_sign(signer, msg, sizeof msg, sig, &err) == EID_OK);
	const eid_pubkey *pk = eid_key_pub(signer);
	CHECK(eid_verify(pk, msg, sizeof msg, sig, 64, &err) == EID_OK);
	for (size_t i = 0; i < sizeof msg; i++) {
		memcpy(m, msg, sizeof msg);
		m[i] ^= 1;
		CHECK(eid_verify(pk, m, sizeof msg, sig, 64, &err) == EID_E_FORMAT);
	}
	for (size_t i = 0; i < 64; i++) {
		sig[i] ^= 0x80;
		CHECK(eid_verify(pk, msg, sizeof msg, sig, 64, &err) == EID_E_FORMAT);
		sig[i] ^= 0x80;
	}
	CHECK(eid_verify(pk, msg, sizeof msg - 1, sig, 64, &err) == EID_E_FORMAT);
	CHECK(eid_verify(eid_key_pub(stranger), msg, sizeof msg, sig, 64, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, eid_key_id(stranger)) != NULL);
	CHECK(eid_verify(pk, msg, sizeof msg, sig, 63, &err) == EID_E_FORMAT);
	CHECK(eid_verify(&ring_keys[2], msg, sizeof msg, sig, 64, &err) == EID_E_INVALID_ARG);
	eid_key *kek = NULL;
	REQUIRE(eid_key_new(EID_KEY_KEK, &kek, NULL) == EID_OK);
	CHECK(eid_sign(kek, msg, sizeof msg, sig, &err) == EID_E_INVALID_ARG);
	eid_key_free(kek);
}

/* A result as the authority would sign it, with nesting and an array. */
static json_t *sample(void)
{
	json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:I, s:{s:s, s:[i,i,s]}}", "rid",
			      "q3VZm1d0QhKk7f1lFQ2X2w", "ok", 1, "level", "full", "sub",
			      "Zp0x8Q9d0m1uS3cUo3l2i0vN1b7yW8aXcDeFgHiJkLm", "iat",
			      (json_int_t)1700000000, "ctx", "rp", "hotel-1", "acr", 1, 2, "x");
	REQUIRE(o);
	return o;
}

static eid_status verify(const json_t *o, eid_err *err)
{
	return eid_verify_json(o, eid_keyring_lookup, &ring, NULL, err);
}

/* Parses text back into an object (what a relying party does). */
static json_t *reparse(const json_t *o, size_t flags)
{
	char *s = json_dumps(o, flags);
	REQUIRE(s);
	json_t *p = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	free(s);
	REQUIRE(p);
	return p;
}

static void test_json_round_trip(void)
{
	json_t *o = sample();
	eid_err err;
	REQUIRE(eid_sign_json(signer, o, &err) == EID_OK);
	json_t *s = json_object_get(o, "sig");
	REQUIRE(json_is_object(s));
	CHECK(strcmp(json_string_value(json_object_get(s, "alg")), "Ed25519") == 0);
	CHECK(strcmp(json_string_value(json_object_get(s, "kid")), eid_key_id(signer)) == 0);
	CHECK(strlen(json_string_value(json_object_get(s, "sig"))) == EID_SIG_B64_LEN);
	char kid[EID_KID_LEN + 1] = "";
	CHECK(eid_verify_json(o, eid_keyring_lookup, &ring, kid, &err) == EID_OK);
	CHECK(strcmp(kid, eid_key_id(signer)) == 0);
	/* through text, compact or indented */
	json_t *p = reparse(o, JSON_COMPACT);
	CHECK(verify(p, &err) == EID_OK);
	json_decref(p);
	p = reparse(o, JSON_INDENT(2));
	CHECK(verify(p, &err) == EID_OK);
	json_decref(p);
	/* the signed bytes are the documented canonical form */
	json_t *c = json_copy(o);
	json_object_del(c, "sig");
	char *canon = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	uint8_t sig[64];
	const char *b64 = json_string_value(json_object_get(s, "sig"));
	REQUIRE(eid_b64url_decode_exact(b64, strlen(b64), sig, 64, NULL) == EID_OK);
	CHECK(eid_verify(eid_key_pub(signer), (const uint8_t *)canon, strlen(canon), sig, 64,
			 NULL) == EID_OK);
	free(canon);
	json_decref(c);
	/* re-signing replaces the old signature */
	REQUIRE(eid_sign_json(stranger, o, &err) == EID_OK);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "sig"), "kid")),
		     eid_key_id(stranger)) == 0);
	CHECK(verify(o, &err) == EID_E_FORMAT); /* the stranger is not in the ring */
	json_decref(o);
}

/* Members inserted in the reverse order, nested ones too. */
static json_t *reversed(const json_t *o)
{
	json_t *r = json_object();
	const char *keys[16];
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) keys[n++] = k;
	while (n--) {
		json_t *m = json_object_get(o, keys[n]);
		json_object_set_new(r, keys[n], json_is_object(m) ? reversed(m) : json_incref(m));
	}
	return r;
}

static void test_json_key_order(void)
{
	json_t *o = sample();
	REQUIRE(eid_sign_json(signer, o, NULL) == EID_OK);
	json_t *r = reversed(o);
	char *a = json_dumps(o, JSON_COMPACT), *b = json_dumps(r, JSON_COMPACT);
	CHECK(strcmp(a, b) != 0); /* really a different text */
	free(a);
	free(b);
	json_t *p = reparse(r, JSON_COMPACT);
	eid_err err;
	CHECK(verify(p, &err) == EID_OK);
	json_decref(p);
	json_decref(r);
	json_decref(o);
}

/* Changing, adding or removing any member, at any depth, is refused. */
static void test_json_tampered_fields(void)
{
	json_t *o = sample();
	REQUIRE(eid_sign_json(signer, o, NULL) == EID_OK);
	eid_err err;
	const char *k;
	json_t *v;
	int tried = 0;
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "sig") == 0)
			continue;
		json_t *t = json_deep_copy(o);
		json_t *m = json_object_get(t, k);
		if (json_is_string(m)) {
			char buf[128];
			snprintf(buf, sizeof buf, "%sX", json_string_value(m));
			json_object_set_new(t, k, json_string(buf));
		} else if (json_is_integer(m)) {
			json_object_set_new(t, k, json_integer(json_integer_value(m) + 1));
		} else if (json_is_boolean(m)) {
			json_object_set_new(t, k, json_boolean(!json_is_true(m)));
		} else {
			json_array_append_new(json_object_get(m, "acr"), json_integer(3));
		}
		CHECK(verify(t, &err) == EID_E_FORMAT);
		CHECK(strstr(err.msg, "does not verify") != NULL);
		json_decref(t);
		t = json_deep_copy(o);
		json_object_del(t, k);
		CHECK(verify(t, &err) == EID_E_FORMAT);
		json_decref(t);
		tried++;
	}
	CHECK(tried == 6);
	json_t *t = json_deep_copy(o);
	json_object_set_new(json_object_get(t, "ctx"), "rp", json_string("hotel-2"));
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	t = json_deep_copy(o);
	json_object_set_new(t, "extra", json_null());
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	CHECK(verify(o, &err) == EID_OK);
	json_decref(o);
}

static void set_sig_member(json_t *o, const char *name, json_t *v)
{
	json_object_set_new(json_object_get(o, "sig"), name, v);
}

static void test_json_tampered_signature(void)
{
	json_t *o = sample();
	REQUIRE(eid_sign_json(signer, o, NULL) == EID_OK);
	eid_err err;
	json_t *t;
	/* wrong algorithm */
	t = json_deep_copy(o);
	set_sig_member(t, "alg", json_string("none"));
	CHECK(verify(t, &err) == EID_E_FORMAT && strstr(err.msg, "algorithm") != NULL);
	json_decref(t);
	/* another published key's kid: does not verify under it */
	t = json_deep_copy(o);
	set_sig_member(t, "kid", json_string(ring_keys[0].kid));
	CHECK(verify(t, &err) == EID_E_FORMAT && strstr(err.msg, "does not verify") != NULL);
	json_decref(t);
	/* an unknown kid */
	t = json_deep_copy(o);
	set_sig_member(t, "kid", json_string(eid_key_id(stranger)));
	CHECK(verify(t, &err) == EID_E_FORMAT && strstr(err.msg, "unknown key id") != NULL);
	json_decref(t);
	/* the kid of a sealing key */
	t = json_deep_copy(o);
	set_sig_member(t, "kid", json_string(ring_keys[2].kid));
	CHECK(verify(t, &err) == EID_E_FORMAT && strstr(err.msg, "x25519") != NULL);
	json_decref(t);
	/* malformed kid, signature text, extra or missing members, wrong types */
	t = json_deep_copy(o);
	set_sig_member(t, "kid", json_string("../../etc\n"));
	CHECK(verify(t, &err) == EID_E_FORMAT && strchr(err.msg, '\n') == NULL);
	json_decref(t);
	const char *b64 = json_string_value(json_object_get(json_object_get(o, "sig"), "sig"));
	for (size_t i = 0; i < EID_SIG_B64_LEN; i++) {
		char s[EID_SIG_B64_LEN + 1];
		memcpy(s, b64, sizeof s);
		s[i] = s[i] == 'A' ? 'B' : 'A';
		t = json_deep_copy(o);
		set_sig_member(t, "sig", json_string(s));
		CHECK(verify(t, &err) == EID_E_FORMAT);
		json_decref(t);
	}
	t = json_deep_copy(o);
	set_sig_member(t, "x", json_true());
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	t = json_deep_copy(o);
	json_object_del(json_object_get(t, "sig"), "alg");
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	t = json_deep_copy(o);
	set_sig_member(t, "sig", json_integer(1));
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	t = json_deep_copy(o);
	json_object_set_new(t, "sig", json_string("abc"));
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	t = json_deep_copy(o);
	json_object_del(t, "sig");
	CHECK(verify(t, &err) == EID_E_FORMAT);
	json_decref(t);
	json_t *arr = json_array();
	CHECK(verify(arr, &err) == EID_E_FORMAT);
	CHECK(eid_sign_json(signer, arr, &err) == EID_E_INVALID_ARG);
	json_decref(arr);
	json_decref(o);
}

/* A key published under the signer's kid but with other key bytes. */
static bool forged_lookup(void *ctx, const char *kid, eid_pubkey *out)
{
	(void)ctx;
	*out = *eid_key_pub(stranger);
	memcpy(out->kid, kid, EID_KID_LEN + 1);
	return true;
}

/* A careless lookup that always answers with the signer's key. */
static bool sloppy_lookup(void *ctx, const char *kid, eid_pubkey *out)
{
	(void)ctx;
	(void)kid;
	*out = *eid_key_pub(signer);
	return true;
}

static void test_json_wrong_key(void)
{
	json_t *o = sample();
	REQUIRE(eid_sign_json(signer, o, NULL) == EID_OK);
	eid_err err;
	CHECK(eid_verify_json(o, forged_lookup, NULL, NULL, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "does not verify") != NULL);
	/* the claimed kid must be the kid of the key that verifies */
	json_t *t = json_deep_copy(o);
	set_sig_member(t, "kid", json_string(ring_keys[0].kid));
	CHECK(eid_verify_json(t, sloppy_lookup, NULL, NULL, &err) == EID_E_FORMAT);
	CHECK(eid_verify_json(o, sloppy_lookup, NULL, NULL, &err) == EID_OK);
	json_decref(t);
	eid_keyring empty = {NULL, 0};
	CHECK(eid_verify_json(o, eid_keyring_lookup, &empty, NULL, &err) == EID_E_FORMAT);
	eid_key *x = NULL;
	REQUIRE(eid_key_new(EID_KEY_X25519, &x, NULL) == EID_OK);
	CHECK(eid_sign_json(x, o, &err) == EID_E_INVALID_ARG);
	eid_key_free(x);
	CHECK(verify(o, &err) == EID_OK); /* the failed re-sign left it intact */
	json_decref(o);
}

static void test_cleanup(void)
{
	eid_key_free(signer);
	eid_key_free(stranger);
}

TEST_MAIN(test_setup, test_rfc8032_vector, test_bytes, test_json_round_trip, test_json_key_order,
	  test_json_tampered_fields, test_json_tampered_signature, test_json_wrong_key,
	  test_cleanup)
