/* Minimal test harness shared by the C test programs in tests/c/: checked
 * assertions that count and report failures without stopping, a
 * deterministic random generator and allocation helpers. */
#ifndef ZC_TEST_HARNESS_H
#define ZC_TEST_HARNESS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK's message arguments are optional. */
#pragma GCC diagnostic ignored "-Wformat-zero-length"

static int g_checks, g_failures;

static void fail_at(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_at(const char *file, int line, const char *expr, const char *fmt, ...) {
    __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&g_failures, __ATOMIC_RELAXED) > 60)
        return;
    fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
    if (fmt && fmt[0]) {
        va_list ap;
        va_start(ap, fmt);
        fputs(" -- ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
}

#define CHECK(cond, ...)                                        \
    do {                                                        \
        __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);     \
        if (!(cond))                                            \
            fail_at(__FILE__, __LINE__, #cond, "" __VA_ARGS__); \
    } while (0)

static inline void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

/* Exact-size copy, so that the sanitizer sees any read past the end. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n) {
    uint8_t *q = xmalloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static inline uint64_t rnd(void) {
    /* xorshift64* */
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1Dull;
}

/* Uniform-ish integer in [lo, hi]. */
static inline int64_t rnd_range(int64_t lo, int64_t hi) {
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Print the summary line the pytest wrapper looks for; the exit status. */
static int harness_report(const char *name) {
    printf("%s: %d checks, %d failures\n", name, g_checks, g_failures);
    if (g_failures == 0)
        printf("ALL OK\n");
    return g_failures ? 1 : 0;
}

#endif
