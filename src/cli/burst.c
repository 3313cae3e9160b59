/* Bursts of frames for the liveness challenge (eid/svc.h): from files the
 * caller names, or by following a session's challenge with photos of one
 * person posed each way (the demo and the benchmark). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eid/util.h"

void cli_burst_free(cli_burst *b)
{
	for (size_t i = 0; i < b->view.n; i++)
		free(b->data[i]);
	memset(b, 0, sizeof(*b));
}

static eid_status add(cli_burst *b, const char *path, eid_err *err)
{
	const size_t n = b->view.n;
	if (n == EID_CHALLENGE_FRAMES)
		return eid_fail(err, EID_E_LIMIT, "at most %d frames", EID_CHALLENGE_FRAMES);
	eid_status st = eid_file_read(path, 1u << 24, &b->data[n], &b->len[n], err);
	if (!st) {
		b->view.frames = (const uint8_t *const *)b->data;
		b->view.lens = b->len;
		b->view.n = n + 1;
	}
	return st;
}

eid_status cli_burst_files(cli_burst *b, const char *list, eid_err *err)
{
	memset(b, 0, sizeof(*b));
	char copy[4096];
	if (!list || strlen(list) >= sizeof(copy))
		return eid_fail(err, EID_E_INVALID_ARG, "--frames: a comma-separated list of files");
	snprintf(copy, sizeof(copy), "%s", list);
	eid_status st = EID_OK;
	for (char *save, *f = strtok_r(copy, ",", &save); !st && f; f = strtok_r(NULL, ",", &save))
		st = add(b, f, err);
	if (st)
		cli_burst_free(b);
	return st;
}

eid_status cli_burst_follow(eid_app *app, const char *qr, const char *dir, const char *prefix,
			    cli_burst *b, eid_err *err)
{
	memset(b, 0, sizeof(*b));
	json_t *moves;
	eid_status st = eid_app_challenge(app, qr, &moves, err);
	if (st)
		return st;
	/* look at the camera, do the first movement, back to the front, the next */
	char path[4200];
	size_t i;
	json_t *m;
	json_array_foreach(moves, i, m)
	{
		snprintf(path, sizeof(path), "%s/%s-front.png", dir, prefix);
		if (!st)
			st = add(b, path, err);
		const char *name = json_string_value(m);
		/* a movement name, nothing that could walk out of dir */
		if (!st && (!name || !*name || strspn(name, "abcdefghijklmnopqrstuvwxyz") != strlen(name)))
			st = eid_fail(err, EID_E_FORMAT, "the challenge names no movement");
		snprintf(path, sizeof(path), "%s/%s-%s.png", dir, prefix, name ? name : "");
		if (!st)
			st = add(b, path, err);
	}
	json_decref(moves);
	if (st)
		cli_burst_free(b);
	return st;
}
