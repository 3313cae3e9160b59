/* eid serve: the authority and the platform as HTTP services. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "eid/admin.h"
#include "eid/api.h"

static int port_arg(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	const char *usage = "eid serve [--data DIR] [--role both|authority|platform] [--bind ADDR]\n"
			    "          [--authority-port N] [--platform-port N] [--admin-port N]\n"
			    "          [--authority-url URL]\n"
			    "          [--platform-key KEY (role authority: the platform's signing key)]\n"
			    "          [--web DIR (the web pages; default $EID_WEB or ./web)]\n"
			    "          [--public-url URL (the platform as the world reaches it, e.g. the\n"
			    "           https address of its TLS proxy: the OpenID issuer, QR payloads)]";
	const char *data = getenv("EID_DATA") ? getenv("EID_DATA") : "data";
	const char *role = "both", *bind = "127.0.0.1", *authority_url = NULL, *platform_key = NULL;
	const char *web = getenv("EID_WEB") ? getenv("EID_WEB") : "web";
	const char *public_url = NULL;
	uint16_t aport = 8441, pport = 8442;
	uint16_t admin_port = 8443; /* the authority's admin console */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;
		if (!v)
			bad = 1;
		else if (strcmp(a, "--data") == 0)
			data = argv[++i];
		else if (strcmp(a, "--role") == 0)
			role = argv[++i];
		else if (strcmp(a, "--bind") == 0)
			bind = argv[++i];
		else if (strcmp(a, "--authority-url") == 0)
			authority_url = argv[++i];
		else if (strcmp(a, "--web") == 0)
			web = argv[++i];
		else if (strcmp(a, "--public-url") == 0)
			public_url = argv[++i];
		else if (strcmp(a, "--platform-key") == 0)
			platform_key = argv[++i];
		else if (strcmp(a, "--authority-port") == 0)
			bad = port_arg(argv[++i], &aport);
		else if (strcmp(a, "--platform-port") == 0)
			bad = port_arg(argv[++i], &pport);
		else if (strcmp(a, "--admin-port") == 0)
			bad = port_arg(argv[++i], &admin_port);
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "eid serve: bad or incomplete option '%s'\nusage: %s\n", a, usage);
			return 2;
		}
	}
	const int run_a = strcmp(role, "both") == 0 || strcmp(role, "authority") == 0;
	const int run_p = strcmp(role, "both") == 0 || strcmp(role, "platform") == 0;
	if (!run_a && !run_p) {
		fprintf(stderr, "eid serve: unknown role '%s'\nusage: %s\n", role, usage);
		return 2;
	}
	/* handler threads inherit this mask: only the main thread takes signals */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	eid_err err;
	eid_status st = EID_OK;
	eid_authority *a = NULL;
	eid_platform *p = NULL;
	eid_http_server *as = NULL, *ps = NULL;
	eid_http_server *admin = NULL;
	char aurl[256];
	/* the platform is opened first: the authority trusts its signing key */
	eid_pubkey trusted;
	const eid_pubkey *platform_pub = NULL;
	if (run_p)
		st = eid_platform_open(data, authority_url ? authority_url : "http://127.0.0.1:8441", &p,
				       &err);
	if (!st && run_p)
		platform_pub = eid_platform_signing_key(p);
	else if (!st && platform_key) {
		st = eid_pubkey_from_b64(EID_KEY_ED25519, platform_key, strlen(platform_key), NULL,
					 &trusted, &err);
		platform_pub = st ? NULL : &trusted;
	}
	if (!st && run_a) {
		eid_http_config cfg = {.name = "authority", .bind = bind, .port = aport};
		if (!(st = eid_authority_open(data, &a, &err)) &&
		    !(st = eid_api_authority_start(a, platform_pub, &cfg, &as, &err))) {
			printf("authority listening on %s\n", eid_http_server_url(as));
			snprintf(aurl, sizeof(aurl), "%s", eid_http_server_url(as));
			if (!authority_url)
				authority_url = aurl;
		}
	}
	struct stat wb;
	const int have_web = stat(web, &wb) == 0 && S_ISDIR(wb.st_mode);
	if (!have_web)
		fprintf(stderr, "eid serve: no web pages at '%s' (--web DIR)\n", web);
	if (!st && run_a) {
		/* the administrator's console: a listener of its own (a firewall can
		 * keep it off the network the platform faces), pages from --web */
		eid_http_config cfg = {.name = "admin", .bind = bind, .port = admin_port,
				       .web_dir = have_web ? web : NULL};
		if (!(st = eid_api_admin_start(a, &cfg, &admin, &err))) {
			printf("admin listening on %s\n", eid_http_server_url(admin));
			if (have_web)
				printf("admin page: %s/admin (token: eid authority admin-token)\n",
				       eid_http_server_url(admin));
		}
	}
	if (!st && run_p) {
		/* the pages are the platform's: apps, terminals and desks talk to it */
		eid_http_config cfg = {.name = "platform", .bind = bind, .port = pport,
				       .web_dir = have_web ? web : NULL};
		if (!authority_url)
			authority_url = "http://127.0.0.1:8441";
		/* set before the listener starts: handlers read it */
		if (public_url)
			st = eid_platform_set_public_url(p, public_url, &err);
		if (!st && !(st = eid_platform_set_authority_url(p, authority_url, &err)))
			st = eid_api_platform_start(p, &cfg, &ps, &err);
		if (!st)
			printf("platform listening on %s (authority at %s)\n", eid_http_server_url(ps),
			       authority_url);
		if (!st && have_web)
			printf("pages: %s/app (resident) %s/terminal %s/desk (relying party)\n",
			       eid_http_server_url(ps), eid_http_server_url(ps),
			       eid_http_server_url(ps));
	}
	fflush(stdout);
	if (!st) {
		int sig;
		sigwait(&sigs, &sig);
		fprintf(stderr, "eid serve: signal %d, stopping\n", sig);
	} else {
		fprintf(stderr, "eid serve: %s (%s)\n", err.msg, eid_status_code(st));
	}
	eid_http_server_free(ps);
	eid_http_server_free(admin);
	eid_http_server_free(as);
	eid_platform_close(p);
	eid_authority_close(a);
	return st ? 1 : 0;
}
