#include "eid/limits.h"

#include <stdatomic.h>

struct row {
	const char *name;
	uint64_t def, lo, hi;
};

static const struct row rows[] = {
#define EID_LIMIT_ROW(name, def, lo, hi) {#name, def, lo, hi},
	EID_LIMITS(EID_LIMIT_ROW)
#undef EID_LIMIT_ROW
};

/* 0 means "default"; set values are stored as-is. Atomic so that a service
 * may tune limits while other threads read them. */
static _Atomic uint64_t current[EID_LIMIT_COUNT];

uint64_t eid_limit(eid_limit_id id)
{
	uint64_t v = atomic_load(&current[id]);
	return v ? v : rows[id].def;
}

int eid_limit_set(eid_limit_id id, uint64_t value)
{
	if ((unsigned)id >= EID_LIMIT_COUNT || value < rows[id].lo || value > rows[id].hi)
		return -1;
	atomic_store(&current[id], value);
	return 0;
}

const char *eid_limit_name(eid_limit_id id)
{
	return (unsigned)id < EID_LIMIT_COUNT ? rows[id].name : "?";
}
