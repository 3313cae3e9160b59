/* Register import (src/svc/register.c) with real photos, the face engine and
 * the SQLite store: good rows kept, bad rows reported by line with a stable
 * code, nothing personal in clear in the database files, an audit entry per
 * imported row. Plus the ID-number checks (src/svc/idnumber.c). */
#include <stdint.h>

#include "../../src/svc/svc_internal.h"
#include "eid/util.h"
#include "test.h"

static char dir[64];

/* a valid 18-character ID number for region, birth date and sequence */
static void make_id(const char *region, const char *date, const char *seq, char out[19])
{
	snprintf(out, 19, "%.6s%.8s%.3s", region, date, seq);
	out[17] = eid_id_check_char(out);
	out[18] = 0;
}

static void test_id_number_checks(void)
{
	char id[19];
	eid_err err;
	make_id("440106", "19900101", "123", id); /* odd sequence digit: a man */
	CHECK(svc_id_check(id, "1990-01-01", "M", &err) == EID_OK);
	CHECK(svc_id_check(id, "1990-01-01", "F", &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "sex") && !strstr(err.msg, id)); /* names the field, not the value */
	CHECK(svc_id_check(id, "1990-01-02", "M", &err) == EID_E_FORMAT);
	CHECK(svc_id_check(id, "1990/01/01", "M", &err) == EID_E_FORMAT);
	id[17] = id[17] == '0' ? '1' : '0';
	CHECK(svc_id_check(id, "1990-01-01", "M", &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "check character") != NULL);
	make_id("440106", "19900230", "123", id); /* no such day */
	CHECK(svc_id_check(id, "1990-02-30", "M", &err) == EID_E_FORMAT);
	make_id("440106", "20000229", "246", id); /* a leap day, a woman */
	CHECK(svc_id_check(id, "2000-02-29", "F", &err) == EID_OK);
	CHECK(svc_id_check("44010619900101123", "1990-01-01", "M", &err) == EID_E_FORMAT);
	CHECK(svc_id_check("4401061990010112AX", "1990-01-01", "M", &err) == EID_E_FORMAT);
	/* a check character X may be written lower case */
	for (int s = 100; s < 200; s++) {
		char seq[12]; /* room for any int: the compiler cannot see s < 200 */
		snprintf(seq, sizeof(seq), "%03d", s);
		make_id("110101", "19800515", seq, id);
		if (id[17] == 'X') {
			id[17] = 'x';
			CHECK(svc_id_check(id, "1980-05-15", s % 2 ? "M" : "F", &err) == EID_OK);
			break;
		}
	}
}

static int file_contains(const char *path, const char *needle)
{
	uint8_t *buf;
	size_t len;
	eid_err err;
	if (eid_file_read(path, 256u << 20, &buf, &len, &err) != EID_OK)
		return 0;
	const size_t n = strlen(needle);
	int found = 0;
	for (size_t i = 0; !found && n <= len && i <= len - n; i++)
		found = memcmp(buf + i, needle, n) == 0;
	free(buf);
	return found;
}

static void test_import_keeps_good_rows_and_reports_bad_ones(void)
{
	snprintf(dir, sizeof(dir), "/tmp/eid-reg-XXXXXX");
	REQUIRE(mkdtemp(dir));
	char csv[128], id1[19], id2[19], id3[19], bad[19];
	make_id("440106", "19900101", "123", id1);
	make_id("440106", "19851231", "244", id2);
	make_id("440106", "19900101", "125", id3);
	memcpy(bad, id1, sizeof(bad));
	bad[17] = bad[17] == '0' ? '1' : '0';
	snprintf(csv, sizeof(csv), "%s/register.csv", dir);
	FILE *f = fopen(csv, "w");
	REQUIRE(f);
	const char *img = "faces/dev/images/orl";
	fprintf(f, "id_number,name,birth_date,sex,address,photo\n");
	fprintf(f, "%s,Zhang Sanfeng,1990-01-01,M,\"Tianhe, Guangzhou\",%s/%s/s3/s3_03.png\n", id1,
		test_shared(), img);                                                   /* 2 ok */
	fprintf(f, "%s,Li Si,1985-12-31,F,Yuexiu,%s/%s/s1/s1_01.png\n", id2, test_shared(), img); /* 3 ok */
	fprintf(f, "%s,Wang Wu,1990-01-01,M,x,%s/%s/s2/s2_01.png\n", bad, test_shared(), img); /* 4 */
	fprintf(f, "%s,Zhao Liu,1990-01-02,M,x,%s/%s/s2/s2_01.png\n", id3, test_shared(), img); /* 5 */
	fprintf(f, "%s,Qian Qi,1990-01-01,M,x,missing.jpg\n", id3);                        /* 6 */
	fprintf(f, "%s,Zhang Sanfeng,1990-01-01,M,again,%s/%s/s3/s3_01.png\n", id1, test_shared(),
		img);                                                                      /* 7 */
	fprintf(f, "only,three,fields\n");                                                 /* 8 */
	fprintf(f, "%s,\"Robert'); DROP TABLE residents;--\",1990-01-01,M,x,%s/%s/s4/s4_01.png\n",
		id3, test_shared(), img); /* 9: SQL in a field is just text: imported */
	fclose(f);

	eid_err err;
	eid_authority *a;
	REQUIRE(eid_authority_open(dir, &a, &err) == EID_OK);
	char rpath[128];
	snprintf(rpath, sizeof(rpath), "%s/report.jsonl", dir);
	FILE *report = fopen(rpath, "w+");
	REQUIRE(report);
	eid_import_counts c;
	eid_status st = eid_authority_import(a, csv, "models", report, &c, &err);
	if (st)
		fprintf(stderr, "  %s\n", err.msg);
	REQUIRE(st == EID_OK);
	CHECK(c.rows == 8 && c.imported == 3 && c.rejected == 5);

	/* the report: one line per row, codes as expected */
	static const struct {
		int line;
		const char *status, *code;
	} want[] = {{2, "imported", NULL},	   {3, "imported", NULL},     {4, "rejected", "bad_format"},
		    {5, "rejected", "bad_format"}, {6, "rejected", "io_error"}, {7, "rejected", "conflict"},
		    {8, "rejected", "bad_format"}, {9, "imported", NULL}};
	rewind(report);
	char line[1024];
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		REQUIRE(fgets(line, sizeof(line), report));
		json_t *j = json_loads(line, 0, NULL);
		REQUIRE(j);
		CHECK(json_integer_value(json_object_get(j, "line")) == want[i].line);
		CHECK(strcmp(json_string_value(json_object_get(j, "status")), want[i].status) == 0);
		if (want[i].code)
			CHECK(strcmp(json_string_value(json_object_get(j, "code")), want[i].code) == 0);
		/* a report names fields, never values */
		CHECK(!strstr(line, id1) && !strstr(line, "Zhang"));
		json_decref(j);
	}
	fclose(report);

	uint64_t n, rows, first_bad;
	CHECK(eid_store_resident_count(a->store, &n, &err) == EID_OK && n == 3);
	CHECK(eid_store_audit_verify(a->store, &rows, &first_bad, &err) == EID_OK && rows == 3);
	eid_authority_close(a);

	/* nothing personal in clear in the database files */
	static const char *const files[] = {"authority.db", "authority.db-wal"};
	for (size_t i = 0; i < 2; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/authority/%s", dir, files[i]);
		CHECK(!file_contains(p, id1));
		CHECK(!file_contains(p, id2));
		CHECK(!file_contains(p, "Zhang Sanfeng"));
		CHECK(!file_contains(p, "Tianhe"));
		CHECK(!file_contains(p, "1985-12-31"));
	}
}

static void test_import_refuses_bad_files(void)
{
	eid_err err;
	eid_authority *a;
	REQUIRE(eid_authority_open(dir, &a, &err) == EID_OK);
	eid_import_counts c;
	char p[160];
	CHECK(eid_authority_import(a, "/nonexistent.csv", "models", NULL, &c, &err) == EID_E_IO);
	snprintf(p, sizeof(p), "%s/wrong-header.csv", dir);
	FILE *f = fopen(p, "w");
	REQUIRE(f);
	fprintf(f, "name,id_number\n");
	fclose(f);
	CHECK(eid_authority_import(a, p, "models", NULL, &c, &err) == EID_E_FORMAT);
	CHECK(strstr(err.msg, "first line") != NULL);
	snprintf(p, sizeof(p), "%s/empty.csv", dir);
	f = fopen(p, "w");
	REQUIRE(f);
	fclose(f);
	CHECK(eid_authority_import(a, p, "models", NULL, &c, &err) == EID_E_FORMAT);
	eid_authority_close(a);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

TEST_MAIN(test_id_number_checks, test_import_keeps_good_rows_and_reports_bad_ones,
	  test_import_refuses_bad_files)
