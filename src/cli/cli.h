/* cli/cli.h — the subcommand table's entries, one file per command group. */
#ifndef EID_CLI_H
#define EID_CLI_H

#include <stdio.h>

#include "eid/api.h"
#include "eid/client.h"

struct cli_cmd {
	const char *group, *name; /* name NULL: the group is the whole command */
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Exit codes: 0 success, 1 the operation failed, 2 usage error. */
int cmd_model_info(int argc, char **argv);
int cmd_model_run(int argc, char **argv);
int cmd_face_detect(int argc, char **argv);
int cmd_face_embed(int argc, char **argv);
int cmd_face_compare(int argc, char **argv);
int cmd_face_eval(int argc, char **argv);
int cmd_face_bench(int argc, char **argv);
int cmd_face_liveness(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_bench_verify(int argc, char **argv);
int cmd_bench_search(int argc, char **argv);

/* The authority and the platform of data (a new directory), in this
 * process on loopback ephemeral ports, after importing the register csv
 * (report as for eid_authority_import; csv removed afterwards; EID_E_FORMAT
 * unless exactly want_rows rows were imported). */
typedef struct cli_loopback {
	eid_authority *a;
	eid_platform *p;
	eid_http_server *as, *ps;
} cli_loopback;
EID_MUST_CHECK eid_status cli_loopback_start(const char *data, const char *csv,
					     const char *models, FILE *report, unsigned want_rows,
					     cli_loopback *s, eid_err *err);
void cli_loopback_stop(cli_loopback *s);

/* The normalisation cohort of the cohort folder dir (eid_face_cohort_dir)
 * made with the face engine of models on threads threads, set into a
 * (eid_authority_cohort_set). */
EID_MUST_CHECK eid_status cli_cohort_import(eid_authority *a, const char *dir, const char *models,
					    int threads, size_t *n_out, eid_err *err);
/* The cohort folder of a --cohort option: opt itself, NULL for "none", and
 * without the option the shared one ($EID_SHARED or ../shared, faces/cohort,
 * in buf) when it is there, else NULL. */
const char *cli_cohort_option(const char *opt, char *buf, size_t cap);

/* A valid 18-character resident ID number (GB 11643 check character) for a
 * birth date (YYYYMMDD) and a 3-digit sequence; invented, for demos. */
void cli_id_number(const char *date, const char *seq, char out[19]);
int cmd_authority_import(int argc, char **argv);
int cmd_authority_revoke(int argc, char **argv);
int cmd_authority_suspend(int argc, char **argv);
int cmd_authority_resume(int argc, char **argv);
int cmd_authority_audit_verify(int argc, char **argv);
int cmd_authority_admin_token(int argc, char **argv);
int cmd_authority_cohort_import(int argc, char **argv);
int cmd_authority_held(int argc, char **argv);
int cmd_platform_add_rp(int argc, char **argv);
int cmd_platform_add_terminal(int argc, char **argv);
int cmd_platform_add_oidc_client(int argc, char **argv);
int cmd_platform_oidc_rotate_key(int argc, char **argv);
int cmd_app_enrol(int argc, char **argv);
int cmd_app_answer(int argc, char **argv);
int cmd_app_challenge(int argc, char **argv);
int cmd_app_history(int argc, char **argv);
int cmd_app_passcode(int argc, char **argv);
int cmd_terminal_keygen(int argc, char **argv);
int cmd_terminal_enrol(int argc, char **argv);
int cmd_rp_request(int argc, char **argv);
int cmd_rp_result(int argc, char **argv);

/* A burst of frames for the liveness challenge (burst.c). */
typedef struct cli_burst {
	uint8_t *data[EID_CHALLENGE_FRAMES];
	size_t len[EID_CHALLENGE_FRAMES];
	eid_burst view; /* what eid_app_enrol_full / eid_app_answer take */
} cli_burst;
/* The files of a comma-separated list, in order. */
EID_MUST_CHECK eid_status cli_burst_files(cli_burst *b, const char *list, eid_err *err);
/* Follows qr's challenge with <dir>/<prefix>-front.png and
 * <prefix>-{left,right,up,down}.png (one person posed each way). */
EID_MUST_CHECK eid_status cli_burst_follow(eid_app *app, const char *qr, const char *dir,
					   const char *prefix, cli_burst *b, eid_err *err);
void cli_burst_free(cli_burst *b);

#endif
