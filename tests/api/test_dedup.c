/* One person, one identity (src/svc/dedup.c, its hook in register.c, the
 * decisions in admin_api.c) over real HTTP with real photos: a register row
 * whose face is already registered is held as a duplicate with its data;
 * reject deletes it, accept imports it and adds it to the gallery, both
 * audited with the chain intact; bad decisions are refused; an enrolment
 * with another resident's face is refused. Nothing personal in answers. */
#include <jansson.h>
#include <sodium.h>

#include "../../src/svc/svc_internal.h"
#include "eid/admin.h"
#include "eid/dedup.h"
#include "eid/util.h"
#include "test.h"
#include "call.h"
#include "orl.h"

static char data[64], id_a[19], id_b[19], id_c[19], id_a2[19], id_a3[19], id_a4[19];
static char token[EID_ADMIN_TOKEN_LEN + 1];
static eid_authority *auth;
static eid_http_server *srv;

static json_t *call(const char *method, const char *path, json_t *body, long *status)
{
	return api_call(srv, method, path, token, body, status);
}

/* POST /admin/v1/import of rows "ID,NAME,PHOTO" (photos: ORL paths) */
static json_t *import(const char *const *ids, const char *const *photos, int n, long *status)
{
	char csv[4096] = "id_number,name,birth_date,sex,address,photo\n";
	json_t *files = json_object();
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(photos[i], '/') + 1;
		snprintf(csv + strlen(csv), sizeof(csv) - strlen(csv), "%s,Zhang %d,%.4s-%.2s-%.2s,M,x,%s\n",
			 ids[i], i, ids[i] + 6, ids[i] + 10, ids[i] + 12, base);
		char *b = test_orl_b64(photos[i]);
		json_object_set_new(files, base, json_string(b));
		free(b);
	}
	return call("POST", "/admin/v1/import", json_pack("{s:s, s:o}", "csv", csv, "photos", files),
		    status);
}

static int clean(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	const char *ids[] = {id_a, id_b, id_c, id_a2, id_a3, id_a4};
	int ok = t && !strstr(t, "Zhang");
	for (int i = 0; ok && i < 6; i++)
		ok = !strstr(t, ids[i]);
	free(t);
	return ok;
}

/* The register row of id number id: its person id, and its status */
static void person_of(const char *id, char person[48], char status[16])
{
	char idh[EID_PSEUDONYM_LEN + 1];
	uint8_t h[32], ct[SVC_TEMPLATE_CT_BYTES];
	size_t n;
	eid_err err;
	REQUIRE(eid_pseudonym(auth->idhash, id, strlen(id), "id-number", 9, idh, &err) == EID_OK);
	REQUIRE(eid_b64url_decode_exact(idh, strlen(idh), h, 32, &err) == EID_OK);
	REQUIRE(eid_store_resident_find(auth->store, h, person, status, ct, sizeof(ct), &n, &err) ==
		EID_OK);
}

static uint64_t audit_count(const char *event)
{
	uint64_t n = 0;
	eid_err err;
	CHECK(eid_store_audit_count(auth->store, event, 0, &n, &err) == EID_OK);
	return n;
}

/* the held queue's duplicate entries */
static json_t *duplicates(void)
{
	long status;
	json_t *r = call("GET", "/admin/v1/held", NULL, &status);
	CHECK(status == 200 && clean(r));
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(r, "held"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "kind")), "duplicate") == 0)
			json_array_append(out, v);
	json_decref(r);
	return out;
}

static void test_setup(void)
{
	snprintf(data, sizeof(data), "/tmp/eid-dedup-XXXXXX");
	REQUIRE(mkdtemp(data));
	test_id_number("19900101", "123", id_a);
	test_id_number("19851231", "243", id_b);
	test_id_number("19700505", "311", id_c);
	test_id_number("19920202", "413", id_a2);
	test_id_number("19930303", "515", id_a3);
	test_id_number("19940404", "617", id_a4);
	eid_err err;
	REQUIRE(eid_authority_open(data, &auth, &err) == EID_OK);
	REQUIRE(eid_admin_token_new(auth, token, &err) == EID_OK);
	eid_http_config cfg = {.name = "admin", .quiet = 1};
	REQUIRE(eid_api_admin_start(auth, &cfg, &srv, &err) == EID_OK);
}

static char held_reject[64];

/* person A's second photo under another ID number is held, with its line,
 * the candidate (A's person id) and the score; the other rows import */
static void test_import_holds_duplicate(void)
{
	long status;
	const char *ids[] = {id_a, id_b, id_a2, id_c};
	const char *photos[] = {"s1/s1_01.png", "s2/s2_01.png", "s1/s1_03.png", "s4/s4_01.png"};
	json_t *r = import(ids, photos, 4, &status);
	REQUIRE(status == 200);
	if (json_integer_value(json_object_get(r, "imported")) != 3) {
		char *t = json_dumps(r, 0);
		fprintf(stderr, "  %s\n", t);
		free(t);
	}
	CHECK(json_integer_value(json_object_get(r, "imported")) == 3);
	CHECK(json_integer_value(json_object_get(r, "rejected")) == 1);
	json_t *e = json_array_get(json_object_get(r, "errors"), 0);
	CHECK(json_integer_value(json_object_get(e, "line")) == 4);
	CHECK(strstr(json_string_value(json_object_get(e, "reason")), "duplicate threshold") != NULL);
	CHECK(clean(r));
	json_decref(r);

	char pa[48], row_status[16];
	person_of(id_a, pa, row_status);
	CHECK(strcmp(row_status, "active") == 0);
	json_t *d = duplicates();
	REQUIRE(json_array_size(d) == 1);
	json_t *h = json_array_get(d, 0);
	CHECK(json_integer_value(json_object_get(h, "line")) == 4);
	CHECK(strcmp(json_string_value(json_object_get(h, "code")), "duplicate") == 0);
	json_t *c = json_object_get(h, "candidates");
	REQUIRE(json_array_size(c) == 1);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(c, 0), "person")), pa) == 0);
	CHECK(json_real_value(json_object_get(json_array_get(c, 0), "score")) >= EID_DEDUP_THRESHOLD);
	snprintf(held_reject, sizeof(held_reject), "%s", json_string_value(json_object_get(h, "id")));
	json_decref(d);

	/* the row is kept, held: not a resident one can enrol as */
	char pa2[48];
	person_of(id_a2, pa2, row_status);
	CHECK(strcmp(row_status, "held") == 0);
	size_t n;
	eid_err err;
	CHECK(eid_dedup_size(auth, &n, &err) == EID_OK && n == 3);
	CHECK(audit_count("register.held") == 1);
	CHECK(audit_count("register.imported") == 3);
}

static void test_bad_decisions(void)
{
	long status;
	char path[160];
	snprintf(path, sizeof(path), "/admin/v1/held/%s/accept", held_reject);
	json_t *r = call("POST", path, json_object(), &status); /* no reason */
	CHECK(status == 400 && strcmp(error_code(r), "invalid_argument") == 0);
	json_decref(r);
	r = call("POST", path, json_pack("{s:s}", "reason", ""), &status);
	CHECK(status == 400);
	json_decref(r);
	char longer[202];
	memset(longer, 'x', 201);
	longer[201] = 0;
	r = call("POST", path, json_pack("{s:s}", "reason", longer), &status);
	CHECK(status == 400);
	json_decref(r);
	r = call("POST", path, json_pack("{s:s}", "reason", "line\nbreak"), &status);
	CHECK(status == 400);
	json_decref(r);
	r = call("POST", "/admin/v1/held/no-such-hold/reject", json_pack("{s:s}", "reason", "x"),
		 &status);
	CHECK(status == 404);
	json_decref(r);
	/* a duplicate is decided, not dismissed */
	snprintf(path, sizeof(path), "/admin/v1/held/%s/dismiss", held_reject);
	r = call("POST", path, NULL, &status);
	CHECK(status == 409);
	json_decref(r);
	CHECK(audit_count("held.accepted") == 0 && audit_count("held.rejected") == 0);
}

static void test_reject(void)
{
	long status;
	char path[160];
	snprintf(path, sizeof(path), "/admin/v1/held/%s/reject", held_reject);
	json_t *r = call("POST", path, json_pack("{s:s}", "reason", "same person as the first row"),
			 &status);
	CHECK(status == 200);
	CHECK(strcmp(json_string_value(json_object_get(r, "decision")), "rejected") == 0);
	json_decref(r);
	r = call("POST", path, json_pack("{s:s}", "reason", "again"), &status); /* gone */
	CHECK(status == 404);
	json_decref(r);
	json_t *d = duplicates();
	CHECK(json_array_size(d) == 0);
	json_decref(d);
	/* the held row and its record are gone: the ID number is free again */
	uint8_t h[32], ct[1024];
	char idh[EID_PSEUDONYM_LEN + 1], person[48], st[16];
	size_t n;
	eid_err err;
	REQUIRE(eid_pseudonym(auth->idhash, id_a2, 18, "id-number", 9, idh, &err) == EID_OK);
	REQUIRE(eid_b64url_decode_exact(idh, strlen(idh), h, 32, &err) == EID_OK);
	CHECK(eid_store_resident_find(auth->store, h, person, st, ct, sizeof(ct), &n, &err) ==
	      EID_E_NOT_FOUND);
	CHECK(audit_count("held.rejected") == 1);
	uint64_t rows, bad;
	CHECK(eid_authority_audit_verify(auth, &rows, &bad, &err) == EID_OK);
}

/* accept: the held row becomes a resident and its face joins the gallery,
 * so the next photo of the same face names two candidates */
static void test_accept(void)
{
	long status;
	const char *ids[] = {id_a3};
	const char *photos[] = {"s1/s1_06.png"};
	json_t *r = import(ids, photos, 1, &status);
	CHECK(status == 200 && json_integer_value(json_object_get(r, "imported")) == 0);
	json_decref(r);
	json_t *d = duplicates();
	REQUIRE(json_array_size(d) == 1);
	char path[160];
	snprintf(path, sizeof(path), "/admin/v1/held/%s/accept",
		 json_string_value(json_object_get(json_array_get(d, 0), "id")));
	json_decref(d);
	r = call("POST", path, json_pack("{s:s}", "reason", "twins: birth records checked"), &status);
	CHECK(status == 200);
	CHECK(strcmp(json_string_value(json_object_get(r, "decision")), "accepted") == 0);
	json_decref(r);
	char pa3[48], row_status[16];
	person_of(id_a3, pa3, row_status); /* a resident now, active */
	CHECK(strcmp(row_status, "active") == 0);
	size_t n;
	eid_err err;
	CHECK(eid_dedup_size(auth, &n, &err) == EID_OK && n == 4);
	CHECK(audit_count("held.accepted") == 1);
	CHECK(audit_count("register.imported") == 4);

	const char *ids4[] = {id_a4};
	const char *photos4[] = {"s1/s1_01.png"};
	r = import(ids4, photos4, 1, &status);
	json_decref(r);
	d = duplicates();
	REQUIRE(json_array_size(d) == 1);
	CHECK(json_array_size(json_object_get(json_array_get(d, 0), "candidates")) == 2);
	json_decref(d);
	uint64_t rows, bad;
	CHECK(eid_authority_audit_verify(auth, &rows, &bad, &err) == EID_OK);
}

/* The enrolment's search: B's ID number with A's face finds A (the
 * enrolment then holds its card: tests/api/test_web.c); C's own face finds
 * nobody else. (The search runs inside eid_authority_enrol for lightweight
 * enrolments; here with the engine's template of the capture.) */
static void test_enrol_check(void)
{
	char pb[48], pc[48], row_status[16];
	person_of(id_b, pb, row_status);
	person_of(id_c, pc, row_status);
	char *photo = test_orl_b64("s1/s1_03.png");
	static eid_face_template tpl;
	eid_err err;
	REQUIRE(svc_capture_template(auth, photo, &tpl, NULL, &err) == EID_OK);
	free(photo);
	eid_dedup_match m;
	CHECK(eid_dedup_search(auth, tpl.dlib, pb, &m, &err) == EID_OK && m.n >= 1);
	photo = test_orl_b64("s4/s4_03.png");
	REQUIRE(svc_capture_template(auth, photo, &tpl, NULL, &err) == EID_OK);
	free(photo);
	CHECK(eid_dedup_search(auth, tpl.dlib, pc, &m, &err) == EID_OK && m.n == 0);
}

/* a fresh authority on the same data builds its gallery from the register */
static void test_rebuild(void)
{
	eid_http_server_free(srv);
	srv = NULL;
	eid_authority_close(auth);
	eid_err err;
	REQUIRE(eid_authority_open(data, &auth, &err) == EID_OK);
	size_t n;
	CHECK(eid_dedup_size(auth, &n, &err) == EID_OK && n == 4);
}

static void test_teardown(void)
{
	eid_http_server_free(srv);
	eid_authority_close(auth);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", data);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_setup, test_import_holds_duplicate, test_bad_decisions, test_reject, test_accept,
	  test_enrol_check, test_rebuild, test_teardown)
