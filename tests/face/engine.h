/* tests/face/engine.h — the face engine of a test file, loaded from models/
 * on first use with one one-thread context, and freed by engine_stop.
 * Include after test.h. */
#ifndef EID_TESTS_FACE_ENGINE_H
#define EID_TESTS_FACE_ENGINE_H

#include "eid/face.h"

static eid_face_engine *fe;
static eid_face_ctx *fc;

static void start(void)
{
	if (fc)
		return;
	eid_err err;
	REQUIRE(eid_face_engine_load("models", &fe, &err) == EID_OK);
	REQUIRE(eid_face_ctx_new(fe, 1, &fc, &err) == EID_OK);
}

static void engine_stop(void)
{
	eid_face_ctx_free(fc);
	eid_face_engine_free(fe);
	fc = NULL;
	fe = NULL;
}

#endif
