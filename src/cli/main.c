/* eid — command-line front end. Subcommands come from a table (house style 4). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd commands[] = {
	{"model", "info", cmd_model_info, "MODEL: inputs, outputs, op counts, parameters"},
	{"model", "run", cmd_model_run,
	 "MODEL --input IN.f32 --shape 1,H,W,C --output PREFIX [--repeat N] [--threads T] [--reference]"},
	{"face", "detect", cmd_face_detect, "IMAGE: faces, landmarks and quality as JSON"},
	{"face", "embed", cmd_face_embed, "IMAGE...: one JSON line per image with its embedding"},
	{"face", "compare", cmd_face_compare, "A B: similarity score of two photos"},
	{"face", "eval", cmd_face_eval, "PAIRS.csv [--root DIR]: FTA, EER, TAR at FAR 1e-2/1e-3"},
	{"face", "bench", cmd_face_bench, "IMAGE [--repeat N] [--threads T]: time per stage"},
	{"face", "liveness", cmd_face_liveness,
	 "--challenge left,right FRAME...: the active liveness check on a burst of frames"},
	{"authority", "import", cmd_authority_import,
	 "FILE.csv [--data DIR]: load register rows (id_number,name,birth_date,sex,address,photo)"},
	{"authority", "revoke", cmd_authority_revoke, "CARD_ID: revoke a card for good (lost phone)"},
	{"authority", "suspend", cmd_authority_suspend, "CARD_ID: suspend a card"},
	{"authority", "resume", cmd_authority_resume, "CARD_ID: make a suspended card active again"},
	{"authority", "audit-verify", cmd_authority_audit_verify,
	 "check the hash chain of the audit log (edits and deletions)"},
	{"authority", "held", cmd_authority_held,
	 "list | accept ID --reason R | reject ID --reason R: the held rows and their decisions"},
	{"authority", "admin-token", cmd_authority_admin_token,
	 "[--data DIR]: a new token for the admin console (printed once; replaces the old one)"},
	{"authority", "cohort-import", cmd_authority_cohort_import,
	 "COHORT_DIR [--data DIR]: the score-normalisation cohort the calibration was set with"},
	{"platform", "add-rp", cmd_platform_add_rp,
	 "--name N --level lightweight|full: register a relying party (credential printed once)"},
	{"platform", "add-terminal", cmd_platform_add_terminal,
	 "--name N --key PUB: register a trusted terminal's Ed25519 key"},
	{"platform", "add-oidc-client", cmd_platform_add_oidc_client,
	 "--name N --redirect-uri URI --level L [--auth M] [--jwks F]: an OpenID Connect client"},
	{"platform", "oidc-rotate-key", cmd_platform_oidc_rotate_key,
	 "[--data DIR]: a new ID token signing key (used from the next start)"},
	{"terminal", "keygen", cmd_terminal_keygen, "--key FILE: a terminal's key (0600); prints the public half"},
	{"terminal", "enrol", cmd_terminal_enrol,
	 "--terminal-id ID --key FILE --id-number N: opens a full enrolment, prints its QR"},
	{"app", "enrol", cmd_app_enrol,
	 "--state DIR --photo F (--id-number N | --qr QR --mobile M): get a card"},
	{"app", "challenge", cmd_app_challenge,
	 "--state DIR --qr PAYLOAD: the liveness challenge (head movements, in order)"},
	{"app", "answer", cmd_app_answer,
	 "--state DIR --qr QR --photo F [--yes]: consent and answer a relying party"},
	{"app", "history", cmd_app_history,
	 "--state DIR: who verified you, when and why (one JSON line each)"},
	{"app", "passcode", cmd_app_passcode,
	 "--state DIR --photo F: change the passcode (old and new on stdin)"},
	{"rp", "request", cmd_rp_request, "--purpose TEXT --level L: ask a resident (prints the QR)"},
	{"rp", "result", cmd_rp_result, "SID: the signed answer, its signature checked"},
	{"bench", "verify", cmd_bench_verify,
	 "[--requests N] [--clients C] [--level L]: verifications/s and latency over HTTP"},
	{"bench", "search", cmd_bench_search,
	 "[--n 10000,100000,1000000] [--queries Q] [--batch B]: 1:N search speed and recall"},
	{"demo", NULL, cmd_demo,
	 "[--data DIR]: enrolment, verification, replay, revocation end to end on loopback"},
	{"serve", NULL, cmd_serve, "[--data DIR] [--role both|authority|platform]: run the services"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: eid <group> <command> [args]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  eid %s %-8s %s\n", commands[i].group,
			commands[i].name ? commands[i].name : "", commands[i].summary);
	fprintf(out, "\nEnvironment: EID_MODELS (model directory, default ./models)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].group) != 0)
			continue;
		if (!commands[i].name) /* a command without a subcommand */
			return commands[i].fn(argc - 2, argv + 2);
		if (argc >= 3 && strcmp(argv[2], commands[i].name) == 0)
			return commands[i].fn(argc - 3, argv + 3);
	}
	fprintf(stderr, "eid: unknown command '%s%s%s'\n", argv[1], argc >= 3 ? " " : "",
		argc >= 3 ? argv[2] : "");
	usage(stderr);
	return 2;
}
