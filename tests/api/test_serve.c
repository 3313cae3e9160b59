/* The authority and the platform on real HTTP listeners on loopback: key
 * directories (private, created once, reused), the published key set, its
 * relay through the platform, and the platform's answer when the authority
 * is down. */
#include <dirent.h>
#include <sys/stat.h>

#include "eid/api.h"
#include "test.h"

static char data[64];

static void mkdata(void)
{
	snprintf(data, sizeof(data), "/tmp/eid-api-XXXXXX");
	REQUIRE(mkdtemp(data));
}

static json_t *get(const char *base, const char *path, long *status)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", base, path);
	json_t *reply = NULL;
	eid_err err;
	REQUIRE(eid_http_call("GET", url, NULL, 5.0, status, &reply, &err) == EID_OK);
	return reply;
}

static int mode_of(const char *rel)
{
	char path[512];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", data, rel);
	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

static void test_keys_published_and_relayed(void)
{
	mkdata();
	eid_err err;
	eid_authority *a;
	eid_platform *p;
	eid_http_server *as, *ps;
	REQUIRE(eid_authority_open(data, &a, &err) == EID_OK);
	eid_http_config acfg = {.name = "authority", .quiet = 1};
	REQUIRE(eid_api_authority_start(a, NULL, &acfg, &as, &err) == EID_OK);
	REQUIRE(eid_platform_open(data, eid_http_server_url(as), &p, &err) == EID_OK);
	eid_http_config pcfg = {.name = "platform", .quiet = 1};
	REQUIRE(eid_api_platform_start(p, &pcfg, &ps, &err) == EID_OK);

	long status;
	json_t *akeys = get(eid_http_server_url(as), "/v1/keys", &status);
	CHECK(status == 200);
	json_t *list = json_object_get(akeys, "keys");
	CHECK(json_array_size(list) == 2);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *k = json_array_get(list, i);
		CHECK(strlen(json_string_value(json_object_get(k, "x"))) == 43); /* public keys only */
		CHECK(strlen(json_string_value(json_object_get(k, "kid"))) == 16);
	}
	json_t *pkeys = get(eid_http_server_url(ps), "/v1/keys", &status);
	CHECK(status == 200);
	CHECK(json_equal(json_object_get(pkeys, "authority"), akeys)); /* relayed unchanged */
	CHECK(json_array_size(json_object_get(json_object_get(pkeys, "platform"), "keys")) == 1);
	json_t *health = get(eid_http_server_url(ps), "/healthz", &status);
	CHECK(status == 200);
	json_decref(health);

	/* the authority stops: the platform says so, it does not make keys up */
	eid_http_server_free(as);
	json_t *down = get(eid_http_server_url(ps), "/v1/keys", &status);
	CHECK(status == 502);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(down, "error"), "code")),
		     "authority_unreachable") == 0);
	json_decref(down);
	eid_http_server_free(ps);
	eid_platform_close(p);
	eid_authority_close(a);

	/* reopening reuses the keys: same key ids */
	REQUIRE(eid_authority_open(data, &a, &err) == EID_OK);
	json_t *again = eid_authority_key_set(a);
	CHECK(json_equal(again, akeys));
	json_decref(again);
	eid_authority_close(a);
	json_decref(akeys);
	json_decref(pkeys);
}

static void test_key_directories_are_private_and_separate(void)
{
	static const char *const authority_keys[] = {"signing", "sealing", "pseudonym", "kek",
						     "idhash"};
	for (size_t i = 0; i < 5; i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "authority/keys/%s.key", authority_keys[i]);
		CHECK(mode_of(rel) == 0600);
	}
	CHECK(mode_of("authority/keys") == 0700);
	CHECK(mode_of("platform/keys") == 0700);
	CHECK(mode_of("platform/keys/signing.key") == 0600);
	CHECK(mode_of("authority/authority.db") == 0600);
	/* the platform's directory holds its own key and nothing of the authority's */
	char path[512];
	snprintf(path, sizeof(path), "%s/platform/keys", data);
	DIR *d = opendir(path);
	REQUIRE(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.') {
			files++;
			CHECK(strcmp(e->d_name, "signing.key") == 0);
		}
	closedir(d);
	CHECK(files == 1);
}

static void test_refuses_open_key_directory(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/authority/keys", data);
	REQUIRE(chmod(path, 0755) == 0);
	eid_authority *a;
	eid_err err;
	CHECK(eid_authority_open(data, &a, &err) == EID_E_INVALID_ARG);
	CHECK(strstr(err.msg, "accessible to others") != NULL);
	REQUIRE(chmod(path, 0700) == 0);
	eid_platform *p;
	CHECK(eid_platform_open(data, "ftp://x", &p, &err) == EID_E_INVALID_ARG);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_keys_published_and_relayed, test_key_directories_are_private_and_separate,
	  test_refuses_open_key_directory)
