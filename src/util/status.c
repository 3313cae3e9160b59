#include "eid/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const codes[] = {
#define EID_STATUS(name, code, summary) code,
#include "eid/status.def"
#undef EID_STATUS
};

static const char *const summaries[] = {
#define EID_STATUS(name, code, summary) summary,
#include "eid/status.def"
#undef EID_STATUS
};

const char *eid_status_code(eid_status st)
{
	if ((unsigned)st >= EID_STATUS_COUNT)
		return "unknown";
	return codes[st];
}

const char *eid_status_summary(eid_status st)
{
	if ((unsigned)st >= EID_STATUS_COUNT)
		return "unknown status";
	return summaries[st];
}

eid_status eid_fail(eid_err *err, eid_status st, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return st;
}

void eid_err_prefix(eid_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char prefix[256], old[sizeof(err->msg) - 8];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old) - 1);
	old[sizeof(old) - 1] = 0;
	int n = snprintf(err->msg, sizeof(err->msg), "%.200s: ", prefix);
	snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, "%.300s", old);
}
