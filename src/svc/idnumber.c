/* Resident ID numbers (GB 11643-1999, 18 characters): 6-digit region code,
 * birth date YYYYMMDD, 3-digit sequence whose last digit is odd for men, and
 * an ISO 7064 MOD 11-2 check character (0-9 or X). */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

static int valid_date(int y, int m, int d)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	const int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

char eid_id_check_char(const char *first17)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char code[] = "10X98765432";
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (first17[i] - '0') * w[i];
	return code[sum % 11];
}

eid_status svc_id_check(const char *id, const char *birth_date, const char *sex, eid_err *err)
{
	if (strlen(id) != 18)
		return eid_fail(err, EID_E_FORMAT, "id_number must have 18 characters");
	for (int i = 0; i < 17; i++)
		if (id[i] < '0' || id[i] > '9')
			return eid_fail(err, EID_E_FORMAT, "id_number must start with 17 digits");
	if (id[17] != eid_id_check_char(id) && !(id[17] == 'x' && eid_id_check_char(id) == 'X'))
		return eid_fail(err, EID_E_FORMAT, "id_number check character is wrong");
	int y, m, d;
	if (sscanf(id + 6, "%4d%2d%2d", &y, &m, &d) != 3 || !valid_date(y, m, d))
		return eid_fail(err, EID_E_FORMAT, "id_number holds no valid birth date");
	int by, bm, bd;
	char tail;
	if (strlen(birth_date) != 10 || sscanf(birth_date, "%4d-%2d-%2d%c", &by, &bm, &bd, &tail) != 3 ||
	    birth_date[4] != '-' || birth_date[7] != '-' || !valid_date(by, bm, bd))
		return eid_fail(err, EID_E_FORMAT, "birth_date must be a date YYYY-MM-DD");
	if (by != y || bm != m || bd != d)
		return eid_fail(err, EID_E_FORMAT, "birth_date does not match the id_number");
	if (strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0)
		return eid_fail(err, EID_E_FORMAT, "sex must be M or F");
	if (((id[16] - '0') % 2 == 1) != (sex[0] == 'M'))
		return eid_fail(err, EID_E_FORMAT, "sex does not match the id_number");
	return EID_OK;
}
