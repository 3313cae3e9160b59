/* One loaded engine shared by threads: each thread owns a context, and every
 * template equals the one computed alone (the models are read-only; all
 * per-run state lives in the contexts). */
#include <pthread.h>

#include "eid/face.h"
#include "test.h"

#define IMAGES 4
#define THREADS 3

static const char *const photos[IMAGES] = {"orl/s3/s3_03.png", "orl/s3/s3_01.png",
					  "orl/s1/s1_01.png", "orl/s2/s2_01.png"};
static eid_face_engine *fe;
static float alone[IMAGES][EID_FACE_EMBEDDING_DIM];

typedef struct worker {
	int id, rounds, mismatches, failures;
} worker;

static int embed(eid_face_ctx *fc, int i, float *out)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/faces/dev/images/%s", test_shared(), photos[i]);
	eid_image img = {0};
	eid_err err;
	eid_face_result *r = malloc(sizeof(*r));
	int ok = r && eid_image_load(path, &img, &err) == EID_OK &&
		 eid_face_analyze(fc, &img, r, &err) == EID_OK;
	if (ok)
		memcpy(out, r->embedding, sizeof(float) * EID_FACE_EMBEDDING_DIM);
	eid_image_release(&img);
	free(r);
	return ok;
}

static void *run(void *arg)
{
	worker *w = arg;
	eid_face_ctx *fc;
	eid_err err;
	if (eid_face_ctx_new(fe, 1, &fc, &err) != EID_OK) {
		w->failures++;
		return NULL;
	}
	for (int r = 0; r < w->rounds; r++)
		for (int k = 0; k < IMAGES; k++) {
			const int i = (k + w->id) % IMAGES; /* threads work on different images */
			float e[EID_FACE_EMBEDDING_DIM];
			if (!embed(fc, i, e))
				w->failures++;
			else if (memcmp(e, alone[i], sizeof(e)) != 0)
				w->mismatches++;
		}
	eid_face_ctx_free(fc);
	return NULL;
}

static void test_contexts_on_threads_match_one_thread(void)
{
	eid_err err;
	REQUIRE(eid_face_engine_load("models", &fe, &err) == EID_OK);
	eid_face_ctx *fc;
	REQUIRE(eid_face_ctx_new(fe, 1, &fc, &err) == EID_OK);
	for (int i = 0; i < IMAGES; i++)
		REQUIRE(embed(fc, i, alone[i]));
	eid_face_ctx_free(fc);

	pthread_t th[THREADS];
	worker w[THREADS];
	for (int t = 0; t < THREADS; t++) {
		w[t] = (worker){t, 2, 0, 0};
		REQUIRE(pthread_create(&th[t], NULL, run, &w[t]) == 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		CHECK(w[t].failures == 0);
		CHECK(w[t].mismatches == 0); /* bit for bit */
	}
	eid_face_engine_free(fe);
}

TEST_MAIN(test_contexts_on_threads_match_one_thread)
