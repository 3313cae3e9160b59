/* Service failures as HTTP answers, the same for every role. */
#include "api_internal.h"

int api_http_status(eid_status st)
{
	switch (st) {
	case EID_E_INVALID_ARG:
	case EID_E_FORMAT:
	case EID_E_NO_FACE:
	case EID_E_UNSUPPORTED:
		return 400;
	case EID_E_DENIED:
		return 403;
	case EID_E_NOT_FOUND:
		return 404;
	case EID_E_CONFLICT:
		return 409;
	case EID_E_EXPIRED:
		return 410;
	case EID_E_LIMIT:
		return 413;
	case EID_E_QUALITY:
		return 422; /* take another capture */
	case EID_E_IO:
		return 502; /* a peer service did not answer */
	default:
		return 500;
	}
}

void api_reply(eid_http_response *resp, int ok_status, eid_status st, json_t *body,
	       const eid_err *err)
{
	if (st)
		eid_http_error_status(resp, api_http_status(st), st, err);
	else
		eid_http_reply_json(resp, ok_status, body);
}
