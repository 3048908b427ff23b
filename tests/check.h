/* tests/check.h — the tiny TAP-like framework every C test program uses.
 *
 * A test program runs named cases. Inside a case, EXPECT() records failures
 * (the first few are printed with file:line); CASE_END() prints one line,
 * "ok NAME" or "FAIL NAME (n failures)", which tests/run counts. A program
 * returns check_exit() so a failed case also shows in its exit status. */
#ifndef CHECK_H
#define CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_case_failures;
static int check_cases_failed;
static int check_cases_passed;

#define CASE_BEGIN() (check_case_failures = 0)

#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            if (check_case_failures++ < 8) {                                \
                printf("  # %s:%d: ", __FILE__, __LINE__);                  \
                printf(__VA_ARGS__);                                        \
                putchar('\n');                                              \
            }                                                               \
        }                                                                   \
    } while (0)

static inline void CASE_END(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (check_case_failures == 0) {
        check_cases_passed++;
        fputs("ok ", stdout);
        vprintf(fmt, ap);
        putchar('\n');
    } else {
        check_cases_failed++;
        fputs("FAIL ", stdout);
        vprintf(fmt, ap);
        printf(" (%d failures)\n", check_case_failures);
    }
    va_end(ap);
    fflush(stdout);
}

static inline int check_exit(void)
{
    return check_cases_failed ? 1 : 0;
}

#endif
