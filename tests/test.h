/* test.h - a tiny test harness: CHECK records, the summary line is what CI reads. */
#ifndef CW_TEST_H
#define CW_TEST_H
#include <stdio.h>

static int t_pass, t_fail;
#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            t_pass++;                                                           \
        } else {                                                                \
            t_fail++;                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)
#define TEST_SUMMARY(name)                                                      \
    (printf("%s: %d passed, %d failed\n", name, t_pass, t_fail), t_fail ? 1 : 0)
#endif
