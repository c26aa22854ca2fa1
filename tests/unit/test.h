/* A tiny unit-test harness: CHECK counts failures and reports the line; each
 * TEST is a function registered in test_main.c's table. */
#ifndef QB_TEST_H
#define QB_TEST_H

#include <stdio.h>
#include <string.h>

extern int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, a_ ? a_ : "(null)",     \
                    b_ ? b_ : "(null)");                                                           \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps))) {                                             \
            fprintf(stderr, "  %s:%d: %.9g != %.9g\n", __FILE__, __LINE__, a_, b_);                \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#endif
