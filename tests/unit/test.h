/* test.h: the project's tiny C test runner. Each tests/unit/test_*.c is one program:
 * TEST(name) { ... CHECK(cond); ... } functions listed in main through RUN(name),
 * ending with `return test_summary();`, which prints "N passed, N failed".
 * A test passes when none of its CHECKs failed. */
#ifndef CONTINUO_TEST_H
#define CONTINUO_TEST_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_passed_, test_failed_, test_cur_failed_;

#define TEST(name) static void name(void)
#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    test_cur_failed_ = 1; } } while (0)
#define CHECKF(cond, ...) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); test_cur_failed_ = 1; } } while (0)
#define CHECK_NEAR(a, b, tol) CHECKF(fabs((double)(a) - (double)(b)) <= (tol), \
    "%g vs %g (tol %g)", (double)(a), (double)(b), (double)(tol))
#define RUN(name) do { test_cur_failed_ = 0; name(); \
    if (test_cur_failed_) { test_failed_++; printf("FAIL %s\n", #name); } \
    else { test_passed_++; printf("ok   %s\n", #name); } fflush(stdout); } while (0)

/* fontconfig, under cairo's text in the pictures, keeps its font cache for the life of the
 * process by design: LeakSanitizer is told so (each test program is one translation unit). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }

static inline int test_summary(void) {
    printf("%d passed, %d failed\n", test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}
#endif
