/* tests/test.h — the project's tiny test harness.
 *
 * A test file defines functions `static void test_x(void)` and lists them in
 * TEST_MAIN(test_x, test_y). CHECK records a failure and goes on; REQUIRE
 * stops the current test. The runner prints "N passed, N failed".
 * EID_SHARED is the path of ../shared (the data beside the checkout). */
#ifndef EID_TEST_H
#define EID_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures_;
static jmp_buf test_jmp_;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			test_failures_++;                                            \
		}                                                                    \
	} while (0)

#define REQUIRE(cond)                                                                \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  %s:%d: requirement failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                    \
			test_failures_++;                                            \
			longjmp(test_jmp_, 1);                                       \
		}                                                                    \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
	do {                                                                         \
		double a_ = (a), b_ = (b);                                           \
		if (!(fabs(a_ - b_) <= (tol))) {                                     \
			fprintf(stderr, "  %s:%d: %s = %.6g, expected %.6g (tol %g)\n",  \
				__FILE__, __LINE__, #a, a_, b_, (double)(tol));      \
			test_failures_++;                                            \
		}                                                                    \
	} while (0)

#define CHECK_OK(expr)                                                               \
	do {                                                                         \
		eid_err e_ = {{0}};                                                  \
		(void)e_;                                                            \
		int st_ = (int)(expr);                                               \
		if (st_ != 0) {                                                      \
			fprintf(stderr, "  %s:%d: %s returned %d\n", __FILE__, __LINE__, \
				#expr, st_);                                         \
			test_failures_++;                                            \
		}                                                                    \
	} while (0)

static inline const char *test_shared(void)
{
	const char *s = getenv("EID_SHARED");
	return s && *s ? s : "../shared";
}

typedef void (*test_fn_)(void);

static inline int test_run_(const char *file, const char *const *names, const test_fn_ *fns,
			    int n)
{
	volatile int passed = 0, failed = 0;
	for (volatile int i = 0; i < n; i++) {
		int before = test_failures_;
		if (setjmp(test_jmp_) == 0)
			fns[i]();
		if (test_failures_ == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s: %s\n", file, names[i]);
		}
	}
	printf("%s: %d passed, %d failed\n", file, passed, failed);
	return failed ? 1 : 0;
}

#define TEST_STR_(...) #__VA_ARGS__
#define TEST_MAIN(...)                                                               \
	int main(void)                                                               \
	{                                                                            \
		static const test_fn_ fns[] = {__VA_ARGS__};                         \
		static char names_buf[] = TEST_STR_(__VA_ARGS__);                    \
		const char *names[sizeof(fns) / sizeof(fns[0])];                     \
		char *p = names_buf;                                                 \
		for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {         \
			while (*p == ' ' || *p == ',')                                \
				p++;                                                 \
			names[i] = p;                                                \
			while (*p && *p != ',')                                      \
				p++;                                                 \
			if (*p)                                                      \
				*p++ = 0;                                            \
		}                                                                    \
		return test_run_(__FILE__, names, fns, (int)(sizeof(fns) / sizeof(fns[0]))); \
	}

#endif
