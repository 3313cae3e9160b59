/* Pairwise pseudonyms: BLAKE2b-256 keyed with a PAIRWISE key over
 * "eid-pairwise-v1" || u64le(len) || person || u64le(len) || rp.
 * The length prefixes make the encoding injective: ("ab", "c") and
 * ("a", "bc") hash different byte strings. */
#include "keys.h"

#include <sodium.h>

_Static_assert(EID_PSEUDONYM_LEN == EID_B64URL_LEN(crypto_generichash_BYTES), "pseudonym length");

static const char label[] = "eid-pairwise-v1";

static void put_u64le(uint8_t b[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

eid_status eid_pseudonym(const eid_key *k, const char *person, size_t person_len, const char *rp,
			 size_t rp_len, char *out, eid_err *err)
{
	out[0] = 0;
	eid_status st = eid_crypto_init(err);
	if (st)
		return st;
	if (k->type != EID_KEY_PAIRWISE)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot derive a pseudonym with key '%s': it is %s, not pairwise",
				k->pub.kid, eid_key_type_name(k->type));
	if (!person_len || !rp_len)
		return eid_fail(err, EID_E_INVALID_ARG, "cannot derive a pseudonym: %s id is empty",
				person_len ? "relying party" : "person");
	uint8_t n[8], h[crypto_generichash_BYTES];
	crypto_generichash_state s;
	crypto_generichash_init(&s, k->secret, EID_KEY_BYTES, sizeof h);
	crypto_generichash_update(&s, (const uint8_t *)label, sizeof label - 1);
	put_u64le(n, person_len);
	crypto_generichash_update(&s, n, sizeof n);
	crypto_generichash_update(&s, (const uint8_t *)person, person_len);
	put_u64le(n, rp_len);
	crypto_generichash_update(&s, n, sizeof n);
	crypto_generichash_update(&s, (const uint8_t *)rp, rp_len);
	crypto_generichash_final(&s, h, sizeof h);
	sodium_memzero(&s, sizeof s); /* holds the keyed state */
	sodium_bin2base64(out, EID_PSEUDONYM_LEN + 1, h, sizeof h,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return EID_OK;
}
