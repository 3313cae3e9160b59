/* Initialisation, randomness and constant-time comparison. */
#include "eid/crypto.h"

#include <sodium.h>
#include <stdatomic.h>

_Static_assert(EID_RANDOM_ID_LEN == EID_B64URL_LEN(EID_RANDOM_ID_BYTES), "random id length");

static atomic_bool ready;

eid_status eid_crypto_init(eid_err *err)
{
	if (atomic_load_explicit(&ready, memory_order_acquire))
		return EID_OK;
	/* sodium_init takes its own lock and returns 1 when already done, so
	 * two threads racing here are harmless. */
	if (sodium_init() < 0)
		return eid_fail(err, EID_E_INTERNAL,
				"cannot initialise libsodium: no randomness source");
	atomic_store_explicit(&ready, true, memory_order_release);
	return EID_OK;
}

void eid_crypto_random(void *buf, size_t len)
{
	if (len)
		randombytes_buf(buf, len);
}

void eid_crypto_random_id(char *out)
{
	unsigned char b[EID_RANDOM_ID_BYTES];
	randombytes_buf(b, sizeof b);
	sodium_bin2base64(out, EID_RANDOM_ID_LEN + 1, b, sizeof b,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool eid_crypto_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}
