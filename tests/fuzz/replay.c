/* Replays a fuzz target's corpus without libFuzzer: every file under
 * tests/fuzz/corpus/<target>/ is fed to LLVMFuzzerTestOneInput once. Built
 * with the normal (and the sanitizer) build so `make test` exercises it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eid/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *const fuzz_target_name;

int main(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", fuzz_target_name);
	DIR *d = opendir(dir);
	if (!d) {
		printf("fuzz %s: 0 passed, 1 failed (no corpus at %s)\n", fuzz_target_name, dir);
		return 1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		uint8_t *buf;
		size_t len;
		eid_err err;
		if (eid_file_read(path, 64u << 20, &buf, &len, &err) != EID_OK)
			continue;
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	/* Reaching here means no input crashed (sanitizers abort on errors). */
	printf("fuzz %s: %d passed, 0 failed\n", fuzz_target_name, n);
	return 0;
}
