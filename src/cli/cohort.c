/* The normalisation cohort from a cohort folder into an authority: shared by
 * `eid authority cohort-import`, the demo and the verification benchmark. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eid/face_match.h"

const char *cli_cohort_option(const char *opt, char *buf, size_t cap)
{
	if (opt)
		return strcmp(opt, "none") == 0 ? NULL : opt;
	const char *shared = getenv("EID_SHARED");
	snprintf(buf, cap, "%s/faces/cohort", shared && *shared ? shared : "../shared");
	char probe[4200];
	snprintf(probe, sizeof(probe), "%s/manifest.csv", buf);
	return access(probe, R_OK) == 0 ? buf : NULL;
}

eid_status cli_cohort_import(eid_authority *a, const char *dir, const char *models, int threads,
			     size_t *n_out, eid_err *err)
{
	eid_face_engine *fe;
	eid_status st = eid_face_engine_load(models, &fe, err);
	if (st)
		return st;
	eid_face_template *t = NULL;
	size_t n = 0;
	char digest[65];
	st = eid_face_cohort_dir(fe, dir, threads, &t, &n, digest, err);
	eid_face_engine_free(fe);
	if (!st)
		st = eid_authority_cohort_set(a, t, n, digest, err);
	if (t)
		sodium_memzero(t, n * sizeof(*t));
	free(t);
	if (!st && n_out)
		*n_out = n;
	return st;
}
