/* Base64url without padding (RFC 4648 §5), over libsodium's constant-time
 * codec so that secrets in key files are decoded without secret-dependent
 * branches or table lookups. */
#include "eid/crypto.h"

#include <sodium.h>
#include <stdint.h>

#define VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

eid_status eid_b64url_encode(const uint8_t *bin, size_t bin_len, char *out, size_t out_cap,
			     eid_err *err)
{
	if (bin_len > (SIZE_MAX - 8) / 4 * 3)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot encode %zu bytes as base64url: too long", bin_len);
	size_t need = EID_B64URL_LEN(bin_len) + 1;
	if (out_cap < need)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot encode %zu bytes as base64url: buffer holds %zu (need %zu)",
				bin_len, out_cap, need);
	sodium_bin2base64(out, out_cap, bin, bin_len, VARIANT);
	return EID_OK;
}

/* Bytes that txt_len characters decode to, or SIZE_MAX for an impossible
 * length (a lone trailing character carries fewer than 8 bits). */
static size_t decoded_len(size_t txt_len)
{
	if (txt_len % 4 == 1)
		return SIZE_MAX;
	return txt_len / 4 * 3 + (txt_len % 4 ? txt_len % 4 - 1 : 0);
}

eid_status eid_b64url_decode(const char *txt, size_t txt_len, uint8_t *out, size_t out_cap,
			     size_t *out_len, eid_err *err)
{
	*out_len = 0;
	size_t n = decoded_len(txt_len);
	if (n == SIZE_MAX)
		return eid_fail(err, EID_E_FORMAT,
				"invalid base64url: length %zu is impossible (4k+1)", txt_len);
	/* Reject a bad character before a size complaint: that is the real fault. */
	for (size_t i = 0; i < txt_len; i++) {
		char c = txt[i];
		/* bitwise, not short-circuit: no branch on which class c is in */
		int ok = ((c >= 'A') & (c <= 'Z')) | ((c >= 'a') & (c <= 'z')) |
			 ((c >= '0') & (c <= '9')) | (c == '-') | (c == '_');
		if (!ok)
			return eid_fail(err, EID_E_FORMAT,
					"invalid base64url: unexpected character at offset %zu", i);
	}
	if (out_cap < n)
		return eid_fail(err, EID_E_INVALID_ARG,
				"cannot decode base64url: %zu bytes do not fit in %zu", n, out_cap);
	if (n == 0)
		return EID_OK;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, out_cap, txt, txt_len, NULL, &got, &end, VARIANT) != 0 ||
	    end != txt + txt_len || got != n) {
		sodium_memzero(out, out_cap < n ? out_cap : n);
		return eid_fail(err, EID_E_FORMAT,
				"invalid base64url: unused trailing bits are not zero");
	}
	*out_len = got;
	return EID_OK;
}

eid_status eid_b64url_decode_exact(const char *txt, size_t txt_len, uint8_t *out, size_t n,
				   eid_err *err)
{
	size_t want = EID_B64URL_LEN(n);
	if (txt_len != want)
		return eid_fail(err, EID_E_FORMAT,
				"invalid base64url: %zu characters (want %zu for %zu bytes)",
				txt_len, want, n);
	size_t got;
	return eid_b64url_decode(txt, txt_len, out, n, &got, err);
}
