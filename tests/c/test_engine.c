/* Tests of the engine outside the codec kernels: selection plans (plan.c),
 * the n-d copy / fill / compare kernels (copy.c), shard index validation in
 * sharded reads (shard.c, through zc_read_sharded on files in a temporary
 * directory) and the thread pool (pool.c).
 *
 *   test_engine              run every test; exit status 0 when all passed
 *
 * Expected values are written out by hand for small cases and computed by
 * straightforward reference loops for random ones. */
#define _GNU_SOURCE
#include "zc_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void err_reset(zc_err *e) {
    memset(e, 0, sizeof *e);
    e->chunk = -1;
}

static zc_dimsel reg(int64_t start, int64_t step, int64_t count) {
    zc_dimsel s = {start, step, count, NULL};
    return s;
}

static zc_dimsel ixs(const int64_t *idx, int64_t count) {
    zc_dimsel s = {0, 1, count, idx};
    return s;
}

static int proj_is(const zc_proj *p, int64_t chunk, int64_t in_start, int64_t in_step,
                   int64_t out_start, int64_t count, int64_t in_min, int64_t in_max) {
    return p->chunk == chunk && p->in_start == in_start && p->in_step == in_step &&
           p->out_start == out_start && p->count == count && p->in_min == in_min &&
           p->in_max == in_max && p->in_idx == NULL && p->out_idx == NULL;
}

/* ------------------------------------------------------------------ */
/* plans: hand-computed cases */

static void test_plan_regular_small(void) {
    zc_plan plan;
    zc_err err;
    int64_t shape[1] = {10}, cs[1] = {4};

    /* 1..8: chunk 0 [1..3], chunk 1 [0..3], chunk 2 [0] */
    zc_dimsel s = reg(1, 1, 8);
    err_reset(&err);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.points == 0 && plan.nchunks == 3 && plan.nproj[0] == 3 && plan.sel_count[0] == 8);
    CHECK(proj_is(&plan.proj[0][0], 0, 1, 1, 0, 3, 1, 3));
    CHECK(proj_is(&plan.proj[0][1], 1, 0, 1, 3, 4, 0, 3));
    CHECK(proj_is(&plan.proj[0][2], 2, 0, 1, 7, 1, 0, 0));
    CHECK(!zc_plan_chunk_full(&plan, 0));
    CHECK(zc_plan_chunk_full(&plan, 1));
    CHECK(!zc_plan_chunk_full(&plan, 2)); /* edge chunk holds 2 elements, 1 selected */
    zc_plan_free(&plan);

    /* 9, 7, 5, 3, 1: chunk 2 [1], chunk 1 [3, 1], chunk 0 [3, 1] */
    s = reg(9, -2, 5);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 3);
    CHECK(proj_is(&plan.proj[0][0], 2, 1, -2, 0, 1, 1, 1));
    CHECK(proj_is(&plan.proj[0][1], 1, 3, -2, 1, 2, 1, 3));
    CHECK(proj_is(&plan.proj[0][2], 0, 3, -2, 3, 2, 1, 3));
    for (int64_t i = 0; i < 3; i++)
        CHECK(!zc_plan_chunk_full(&plan, i));
    zc_plan_free(&plan);

    /* the whole dimension backwards covers every chunk, the edge one too */
    s = reg(9, -1, 10);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 3);
    CHECK(proj_is(&plan.proj[0][0], 2, 1, -1, 0, 2, 0, 1));
    CHECK(proj_is(&plan.proj[0][1], 1, 3, -1, 2, 4, 0, 3));
    CHECK(proj_is(&plan.proj[0][2], 0, 3, -1, 6, 4, 0, 3));
    for (int64_t i = 0; i < 3; i++)
        CHECK(zc_plan_chunk_full(&plan, i), "chunk %lld", (long long)i);
    zc_plan_free(&plan);

    /* an empty selection touches no chunk */
    s = reg(0, 1, 0);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 0 && plan.nproj[0] == 0);
    zc_plan_free(&plan);

    /* step 4 over a 9-long dimension: 0, 4, 8; the edge chunk holds one
     * element, which one selected element covers */
    int64_t shape9[1] = {9};
    s = reg(0, 4, 3);
    CHECK(zc_plan_build(&plan, 1, shape9, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 3);
    CHECK(proj_is(&plan.proj[0][2], 2, 0, 4, 2, 1, 0, 0));
    CHECK(!zc_plan_chunk_full(&plan, 0) && !zc_plan_chunk_full(&plan, 1));
    CHECK(zc_plan_chunk_full(&plan, 2));
    zc_plan_free(&plan);

    /* 2-d: rows 2..5 of 6 (chunks of 3), columns 4..0 backwards of 5 (chunks of 2) */
    int64_t shape2[2] = {6, 5}, cs2[2] = {3, 2};
    zc_dimsel s2[2] = {reg(2, 1, 4), reg(4, -1, 5)};
    CHECK(zc_plan_build(&plan, 2, shape2, cs2, s2, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nproj[0] == 2 && plan.nproj[1] == 3 && plan.nchunks == 6);
    int64_t pi[2], cc[2];
    zc_plan_chunk(&plan, 4, pi);
    CHECK(pi[0] == 1 && pi[1] == 1);
    zc_plan_chunk_coords(&plan, 4, cc);
    CHECK(cc[0] == 1 && cc[1] == 1); /* column chunks in order 2, 1, 0 */
    zc_plan_chunk_coords(&plan, 2, cc);
    CHECK(cc[0] == 0 && cc[1] == 0);
    /* row chunk 1 (rows 3..5) is fully selected, row chunk 0 is not */
    for (int64_t i = 0; i < 6; i++)
        CHECK(zc_plan_chunk_full(&plan, i) == (i >= 3), "chunk %lld", (long long)i);
    zc_plan_free(&plan);

    /* 0-d: one chunk, always full */
    CHECK(zc_plan_build(&plan, 0, NULL, NULL, NULL, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 1 && zc_plan_chunk_full(&plan, 0));
    zc_plan_free(&plan);
}

static void test_plan_index_small(void) {
    zc_plan plan;
    zc_err err;
    err_reset(&err);
    int64_t shape[1] = {10}, cs[1] = {4};
    const int64_t idx[6] = {5, 1, 5, 9, 0, 1};
    zc_dimsel s = ixs(idx, 6);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 3 && plan.nproj[0] == 3 && plan.sel_count[0] == 6);
    /* grouped by chunk, order kept within a chunk, repeats kept */
    const zc_proj *p = plan.proj[0];
    CHECK(p[0].chunk == 0 && p[0].count == 3 && p[0].in_min == 0 && p[0].in_max == 1);
    CHECK(p[0].in_idx[0] == 1 && p[0].in_idx[1] == 0 && p[0].in_idx[2] == 1);
    CHECK(p[0].out_idx[0] == 1 && p[0].out_idx[1] == 4 && p[0].out_idx[2] == 5);
    CHECK(p[1].chunk == 1 && p[1].count == 2 && p[1].in_min == 1 && p[1].in_max == 1);
    CHECK(p[1].in_idx[0] == 1 && p[1].in_idx[1] == 1);
    CHECK(p[1].out_idx[0] == 0 && p[1].out_idx[1] == 2);
    CHECK(p[2].chunk == 2 && p[2].count == 1 && p[2].in_idx[0] == 1 && p[2].out_idx[0] == 3);
    for (int64_t i = 0; i < 3; i++)
        CHECK(!zc_plan_chunk_full(&plan, i)); /* index lists never count as full */
    zc_plan_free(&plan);

    /* a full index list (0..3) is still not taken as covering chunk 0 */
    const int64_t all[4] = {0, 1, 2, 3};
    s = ixs(all, 4);
    CHECK(zc_plan_build(&plan, 1, shape, cs, &s, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 1 && !zc_plan_chunk_full(&plan, 0));
    zc_plan_free(&plan);
}

static void test_plan_points_small(void) {
    zc_plan plan;
    zc_err err;
    err_reset(&err);
    int64_t shape[2] = {6, 5}, cs[2] = {4, 2};
    /* grid 2 x 3 */
    const int64_t r[6] = {5, 0, 1, 5, 0, 3};
    const int64_t c[6] = {4, 0, 3, 4, 1, 2};
    const int64_t *coords[2] = {r, c};
    CHECK(zc_plan_points(&plan, 2, shape, cs, 6, coords, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.points == 1 && plan.npoints == 6 && plan.nchunks == 3);
    /* chunks in row-major grid order: (0,0): points 1, 4; (0,1): points 2, 5;
     * (1,2): points 0, 3 */
    const int64_t want_chunk[3][2] = {{0, 0}, {0, 1}, {1, 2}};
    const int64_t want_off[4] = {0, 2, 4, 6};
    const int64_t want_out[6] = {1, 4, 2, 5, 0, 3};
    const int64_t want_in[6][2] = {{0, 0}, {0, 1}, {1, 1}, {3, 0}, {1, 0}, {1, 0}};
    for (int i = 0; i < 3; i++) {
        int64_t cc[2];
        zc_plan_chunk_coords(&plan, i, cc);
        CHECK(cc[0] == want_chunk[i][0] && cc[1] == want_chunk[i][1], "chunk %d", i);
        CHECK(!zc_plan_chunk_full(&plan, i));
    }
    for (int i = 0; i < 4; i++)
        CHECK(plan.pt_offsets[i] == want_off[i], "offset %d", i);
    for (int k = 0; k < 6; k++) {
        CHECK(plan.pt_out[k] == want_out[k], "point %d", k);
        CHECK(plan.pt_in[2 * k] == want_in[k][0] && plan.pt_in[2 * k + 1] == want_in[k][1],
              "point %d", k);
    }
    zc_plan_free(&plan);

    /* no points */
    CHECK(zc_plan_points(&plan, 2, shape, cs, 0, coords, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 0 && plan.pt_offsets[0] == 0);
    zc_plan_free(&plan);
}

static void expect_einval(int rc, const zc_err *err, const char *needle) {
    CHECK(rc == ZC_EINVAL, "rc %d", rc);
    CHECK(err->code == ZC_EINVAL, "code %d", err->code);
    CHECK(strstr(err->msg, needle) != NULL, "message '%s' lacks '%s'", err->msg, needle);
}

static void test_plan_errors(void) {
    zc_plan plan;
    zc_err err;
    int64_t shape[2] = {10, 7}, cs[2] = {4, 3};
    const struct {
        zc_dimsel s;
        const char *msg;
    } bad[] = {
        {{0, 1, 8, NULL}, "out of bounds in dimension 1"},  /* 0..7 of 7 */
        {{7, 1, 1, NULL}, "out of bounds in dimension 1"},  /* start == size */
        {{-1, 1, 1, NULL}, "out of bounds in dimension 1"}, /* negative start */
        {{3, -1, 5, NULL}, "out of bounds in dimension 1"}, /* 3, 2, 1, 0, -1 */
        {{0, 0, 2, NULL}, "zero step in dimension 1"},
        {{0, 1, -1, NULL}, "negative count in dimension 1"},
        {{1, INT64_MAX, 3, NULL}, "out of bounds in dimension 1"}, /* overflows */
        {{6, INT64_MIN, 2, NULL}, "out of bounds in dimension 1"}, /* overflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zc_dimsel s[2] = {reg(0, 1, 10), bad[i].s};
        err_reset(&err);
        int rc = zc_plan_build(&plan, 2, shape, cs, s, &err);
        expect_einval(rc, &err, bad[i].msg);
        zc_plan_free(&plan);
    }
    const int64_t idx_hi[3] = {0, 7, 1}, idx_lo[2] = {2, -1};
    zc_dimsel s[2] = {reg(0, 1, 10), ixs(idx_hi, 3)};
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, 2, shape, cs, s, &err), &err,
                  "index 7 out of bounds in dimension 1 with size 7");
    zc_plan_free(&plan);
    s[1] = ixs(idx_lo, 2);
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, 2, shape, cs, s, &err), &err, "index -1 out of bounds");
    zc_plan_free(&plan);

    /* an error in a later dimension after an earlier index dimension: freed */
    const int64_t ok_idx[2] = {3, 1};
    zc_dimsel s3[2] = {ixs(ok_idx, 2), reg(0, 0, 1)};
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, 2, shape, cs, s3, &err), &err, "zero step");
    zc_plan_free(&plan);

    int64_t zero_cs[2] = {4, 0}, neg_shape[2] = {10, -1};
    zc_dimsel s2[2] = {reg(0, 1, 1), reg(0, 1, 1)};
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, 2, shape, zero_cs, s2, &err), &err, "dimension 1");
    zc_plan_free(&plan);
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, 2, neg_shape, cs, s2, &err), &err, "dimension 1");
    zc_plan_free(&plan);
    int64_t big[ZC_MAXDIM + 1];
    zc_dimsel sels[ZC_MAXDIM + 1];
    for (int d = 0; d <= ZC_MAXDIM; d++) {
        big[d] = 1;
        sels[d] = reg(0, 1, 1);
    }
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, ZC_MAXDIM + 1, big, big, sels, &err), &err, "ndim 33");
    zc_plan_free(&plan);
    err_reset(&err);
    expect_einval(zc_plan_build(&plan, -1, big, big, sels, &err), &err, "ndim -1");
    zc_plan_free(&plan);
    /* ZC_MAXDIM itself is fine */
    err_reset(&err);
    CHECK(zc_plan_build(&plan, ZC_MAXDIM, big, big, sels, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 1 && zc_plan_chunk_full(&plan, 0));
    zc_plan_free(&plan);

    /* points */
    const int64_t r[3] = {0, 9, 3}, c_ok[3] = {0, 6, 2}, c_bad[3] = {0, 7, 2};
    const int64_t *good[2] = {r, c_ok}, *badc[2] = {r, c_bad};
    err_reset(&err);
    expect_einval(zc_plan_points(&plan, 2, shape, cs, 3, badc, &err), &err,
                  "index 7 out of bounds in dimension 1 with size 7");
    zc_plan_free(&plan);
    err_reset(&err);
    expect_einval(zc_plan_points(&plan, 2, shape, cs, -1, good, &err), &err,
                  "negative point count");
    zc_plan_free(&plan);
    err_reset(&err);
    expect_einval(zc_plan_points(&plan, 2, shape, zero_cs, 3, good, &err), &err, "dimension 1");
    zc_plan_free(&plan);
    err_reset(&err);
    CHECK(zc_plan_points(&plan, 2, shape, cs, 3, good, &err) == ZC_OK, "%s", err.msg);
    CHECK(plan.nchunks == 2); /* (0, 0) and (3, 0) share chunk (0, 0); (9, 6) is (2, 2) */
    zc_plan_free(&plan);
}

/* ------------------------------------------------------------------ */
/* plans: random cases against reference loops */

/* Every selected element of a dimension is visited exactly once, lands where
 * the selection says, and lies in the chunk the projection names. */
static void check_dim_against_selection(const zc_plan *plan, int d, const zc_dimsel *s) {
    int64_t n = s->count, cs = plan->chunk_shape[d];
    uint8_t *seen = calloc((size_t)(n > 0 ? n : 1), 1);
    int64_t prev_chunk = INT64_MIN;
    for (int64_t j = 0; j < plan->nproj[d]; j++) {
        const zc_proj *p = &plan->proj[d][j];
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        if (s->idx) {
            CHECK(p->chunk > prev_chunk, "index projections sorted by chunk");
        } else {
            CHECK(p->chunk != prev_chunk, "regular projections one per chunk");
        }
        prev_chunk = p->chunk;
        CHECK(p->count > 0);
        for (int64_t k = 0; k < p->count; k++) {
            int64_t in = p->in_idx ? p->in_idx[k] : p->in_start + k * p->in_step;
            int64_t out = p->out_idx ? p->out_idx[k] : p->out_start + k;
            int64_t want =
                s->idx ? (out >= 0 && out < n ? s->idx[out] : -1) : s->start + out * s->step;
            CHECK(out >= 0 && out < n, "out %lld of %lld", (long long)out, (long long)n);
            if (out < 0 || out >= n)
                continue;
            CHECK(!seen[out], "output %lld visited twice", (long long)out);
            seen[out] = 1;
            CHECK(in >= 0 && in < cs);
            CHECK(p->chunk * cs + in == want, "dim %d: element %lld, want %lld", d,
                  (long long)(p->chunk * cs + in), (long long)want);
            if (in < lo)
                lo = in;
            if (in > hi)
                hi = in;
        }
        CHECK(p->in_min == lo && p->in_max == hi, "in_min/in_max");
    }
    for (int64_t k = 0; k < n; k++)
        CHECK(seen[k], "output %lld never written", (long long)k);
    free(seen);
}

/* Brute force: does the selection write every element of chunk i (regular
 * dimensions only)? */
static int brute_full(const zc_plan *plan, int64_t i) {
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(plan, i, pi);
    for (int d = 0; d < plan->ndim; d++) {
        const zc_proj *p = &plan->proj[d][pi[d]];
        int64_t cs = plan->chunk_shape[d];
        int64_t valid = plan->shape[d] - p->chunk * cs;
        if (valid > cs)
            valid = cs;
        int64_t hit = 0;
        uint8_t *mark = calloc((size_t)valid, 1);
        for (int64_t k = 0; k < p->count; k++) {
            int64_t in = p->in_start + k * p->in_step;
            if (!mark[in]++)
                hit++;
        }
        free(mark);
        if (hit != valid)
            return 0;
    }
    return 1;
}

static void test_plan_random(void) {
    for (int iter = 0; iter < 400; iter++) {
        int nd = (int)rnd_range(1, 3);
        int64_t shape[3], cs[3];
        zc_dimsel s[3];
        int64_t *idx[3] = {NULL, NULL, NULL};
        int any_index = 0;
        for (int d = 0; d < nd; d++) {
            shape[d] = rnd_range(1, 40);
            cs[d] = rnd_range(1, 12);
            int64_t kind = rnd_range(0, 3);
            if (kind == 3) {
                int64_t n = rnd_range(0, 30);
                idx[d] = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
                for (int64_t k = 0; k < n; k++)
                    idx[d][k] = rnd_range(0, shape[d] - 1);
                if (n > 2 && rnd() % 2) /* sometimes sorted */
                    for (int64_t a = 0; a < n; a++)
                        for (int64_t b = a + 1; b < n; b++)
                            if (idx[d][b] < idx[d][a]) {
                                int64_t t = idx[d][a];
                                idx[d][a] = idx[d][b];
                                idx[d][b] = t;
                            }
                s[d] = ixs(idx[d], n);
                any_index = 1;
            } else {
                int64_t start = rnd_range(0, shape[d] - 1);
                int64_t step = rnd_range(1, 5) * (kind == 1 ? -1 : 1);
                int64_t room = step > 0 ? (shape[d] - 1 - start) / step : start / -step;
                int64_t count = rnd() % 8 == 0 ? 0 : rnd_range(1, room + 1);
                if (kind == 2) { /* whole dimension, either direction */
                    step = rnd() % 2 ? 1 : -1;
                    start = step > 0 ? 0 : shape[d] - 1;
                    count = shape[d];
                }
                s[d] = reg(start, step, count);
            }
        }
        zc_plan plan;
        zc_err err;
        err_reset(&err);
        int rc = zc_plan_build(&plan, nd, shape, cs, s, &err);
        CHECK(rc == ZC_OK, "%s", err.msg);
        if (rc == ZC_OK) {
            int64_t total = 1;
            for (int d = 0; d < nd; d++) {
                CHECK(plan.sel_count[d] == s[d].count);
                check_dim_against_selection(&plan, d, &s[d]);
                total *= plan.nproj[d];
            }
            CHECK(plan.nchunks == total);
            for (int64_t i = 0; i < plan.nchunks; i++) {
                int64_t pi[ZC_MAXDIM], cc[ZC_MAXDIM];
                zc_plan_chunk(&plan, i, pi);
                zc_plan_chunk_coords(&plan, i, cc);
                int64_t lin = 0;
                for (int d = 0; d < nd; d++) {
                    CHECK(cc[d] == plan.proj[d][pi[d]].chunk);
                    lin = lin * plan.nproj[d] + pi[d];
                }
                CHECK(lin == i, "zc_plan_chunk is row-major");
                int full = zc_plan_chunk_full(&plan, i);
                if (any_index)
                    CHECK(!full);
                else
                    CHECK(full == brute_full(&plan, i), "chunk %lld full %d", (long long)i, full);
            }
        }
        zc_plan_free(&plan);
        for (int d = 0; d < nd; d++)
            free(idx[d]);
    }
}

static void test_points_random(void) {
    for (int iter = 0; iter < 200; iter++) {
        int nd = (int)rnd_range(1, 3);
        int64_t shape[3], cs[3], grid[3];
        for (int d = 0; d < nd; d++) {
            shape[d] = rnd_range(1, 30);
            cs[d] = rnd_range(1, 8);
            grid[d] = (shape[d] + cs[d] - 1) / cs[d];
        }
        int64_t n = rnd_range(0, 60);
        int64_t *co[3];
        for (int d = 0; d < nd; d++) {
            co[d] = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
            for (int64_t k = 0; k < n; k++)
                co[d][k] = rnd_range(0, shape[d] - 1);
        }
        zc_plan plan;
        zc_err err;
        err_reset(&err);
        int rc = zc_plan_points(&plan, nd, shape, cs, n, (const int64_t *const *)co, &err);
        CHECK(rc == ZC_OK, "%s", err.msg);
        if (rc == ZC_OK) {
            uint8_t *seen = calloc((size_t)(n ? n : 1), 1);
            CHECK(plan.pt_offsets[0] == 0 && plan.pt_offsets[plan.nchunks] == n);
            int64_t prev_id = -1;
            for (int64_t i = 0; i < plan.nchunks; i++) {
                int64_t cc[3], id = 0;
                zc_plan_chunk_coords(&plan, i, cc);
                for (int d = 0; d < nd; d++)
                    id = id * grid[d] + cc[d];
                CHECK(id > prev_id, "chunks in increasing grid order");
                prev_id = id;
                CHECK(plan.pt_offsets[i + 1] > plan.pt_offsets[i]);
                int64_t prev_out = -1;
                for (int64_t k = plan.pt_offsets[i]; k < plan.pt_offsets[i + 1]; k++) {
                    int64_t out = plan.pt_out[k];
                    CHECK(out > prev_out, "points keep their order within a chunk");
                    prev_out = out;
                    if (out < 0 || out >= n)
                        continue;
                    CHECK(!seen[out]);
                    seen[out] = 1;
                    for (int d = 0; d < nd; d++)
                        CHECK(cc[d] * cs[d] + plan.pt_in[k * nd + d] == co[d][out]);
                }
            }
            for (int64_t k = 0; k < n; k++)
                CHECK(seen[k]);
            free(seen);
        }
        zc_plan_free(&plan);
        for (int d = 0; d < nd; d++)
            free(co[d]);
    }
}

/* ------------------------------------------------------------------ */
/* copy.c */

/* A random strided layout of an nd block of `count` elements: byte strides
 * (any dimension order, padding, negative strides) and the buffer size and
 * the offset of element (0, ..., 0) in it. */
typedef struct layout {
    int64_t strides[ZC_MAXDIM];
    size_t size;
    size_t base;
} layout;

static void random_layout(int nd, const int64_t *count, size_t itemsize, layout *L) {
    int perm[ZC_MAXDIM];
    for (int d = 0; d < nd; d++)
        perm[d] = d;
    for (int d = nd - 1; d > 0; d--) {
        int j = (int)rnd_range(0, d);
        int t = perm[d];
        perm[d] = perm[j];
        perm[j] = t;
    }
    int64_t s = (int64_t)itemsize * (rnd() % 4 == 0 ? 2 : 1); /* sometimes a gap between items */
    for (int k = nd - 1; k >= 0; k--) {
        int d = perm[k];
        L->strides[d] = s;
        s *= count[d] + (rnd() % 3 == 0 ? rnd_range(1, 2) : 0);
    }
    int64_t lo = 0, hi = 0;
    for (int d = 0; d < nd; d++) {
        if (rnd() % 4 == 0)
            L->strides[d] = -L->strides[d];
        int64_t ext = (count[d] - 1) * L->strides[d];
        if (ext < 0)
            lo += ext;
        else
            hi += ext;
    }
    L->base = (size_t)(-lo);
    L->size = (size_t)(hi - lo) + itemsize;
}

static int64_t elem_offset(int nd, const int64_t *idx, const int64_t *strides,
                           const int64_t *const *ix) {
    int64_t off = 0;
    for (int d = 0; d < nd; d++)
        off += (ix && ix[d] ? ix[d][idx[d]] : idx[d]) * strides[d];
    return off;
}

static int next_index(int nd, const int64_t *count, int64_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        if (++idx[d] < count[d])
            return 1;
        idx[d] = 0;
    }
    return 0;
}

static void ref_swap(uint8_t *p, size_t itemsize, int swap) {
    if (swap <= 1)
        return;
    for (size_t u = 0; u + (size_t)swap <= itemsize; u += (size_t)swap)
        for (int a = 0, b = swap - 1; a < b; a++, b--) {
            uint8_t t = p[u + a];
            p[u + a] = p[u + b];
            p[u + b] = t;
        }
}

static void ref_copy(int nd, const int64_t *count, uint8_t *dst, const int64_t *ds,
                     const int64_t *const *dix, const uint8_t *src, const int64_t *ss,
                     const int64_t *const *six, size_t itemsize, int swap) {
    int64_t idx[ZC_MAXDIM] = {0};
    for (int d = 0; d < nd; d++)
        if (count[d] <= 0)
            return;
    do {
        uint8_t *dp = dst + elem_offset(nd, idx, ds, dix);
        memcpy(dp, src + elem_offset(nd, idx, ss, six), itemsize);
        ref_swap(dp, itemsize, swap);
    } while (next_index(nd, count, idx));
}

static void random_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd() >> 56);
}

static int random_swap(size_t itemsize) {
    switch (rnd() % 3) {
    case 0: return 0;
    case 1: return (int)itemsize;
    default: return itemsize % 2 == 0 ? (int)itemsize / 2 : 0;
    }
}

static const size_t itemsizes[] = {1, 2, 3, 4, 8, 16};

static void test_copy_nd_random(void) {
    for (int iter = 0; iter < 1500; iter++) {
        int nd = (int)rnd_range(1, 4);
        int64_t count[ZC_MAXDIM];
        for (int d = 0; d < nd; d++)
            count[d] = rnd() % 25 == 0 ? 0 : rnd_range(1, 6);
        size_t itemsize = itemsizes[rnd() % 6];
        int swap = random_swap(itemsize);
        layout Ls, Ld;
        int empty = 0;
        for (int d = 0; d < nd; d++)
            empty |= count[d] == 0;
        int64_t cnt1[ZC_MAXDIM];
        for (int d = 0; d < nd; d++)
            cnt1[d] = count[d] ? count[d] : 1; /* layout of a non-empty block */
        random_layout(nd, cnt1, itemsize, &Ls);
        random_layout(nd, cnt1, itemsize, &Ld);
        uint8_t *src = xmalloc(Ls.size), *dst = xmalloc(Ld.size), *want = xmalloc(Ld.size);
        random_bytes(src, Ls.size);
        random_bytes(dst, Ld.size);
        memcpy(want, dst, Ld.size);
        if (!empty)
            ref_copy(nd, count, want + Ld.base, Ld.strides, NULL, src + Ls.base, Ls.strides, NULL,
                     itemsize, swap);
        zc_copy_nd(nd, count, dst + Ld.base, Ld.strides, src + Ls.base, Ls.strides, itemsize, swap);
        CHECK(memcmp(dst, want, Ld.size) == 0, "zc_copy_nd nd %d itemsize %zu swap %d", nd,
              itemsize, swap);
        /* the index-list entry point without lists is the same copy */
        random_bytes(dst, Ld.size);
        memcpy(want, dst, Ld.size);
        if (!empty)
            ref_copy(nd, count, want + Ld.base, Ld.strides, NULL, src + Ls.base, Ls.strides, NULL,
                     itemsize, swap);
        zc_copy_nd_ix(nd, count, dst + Ld.base, Ld.strides, NULL, src + Ls.base, Ls.strides, NULL,
                      itemsize, swap);
        CHECK(memcmp(dst, want, Ld.size) == 0, "zc_copy_nd_ix (no lists)");
        free(src);
        free(dst);
        free(want);
    }
}

/* Random index lists: dst lists are distinct (a permutation prefix of a
 * larger extent), src lists may repeat. */
static void test_copy_nd_ix_random(void) {
    for (int iter = 0; iter < 1000; iter++) {
        int nd = (int)rnd_range(1, 3);
        int64_t count[ZC_MAXDIM], dext[ZC_MAXDIM], sext[ZC_MAXDIM];
        int64_t *dix[ZC_MAXDIM] = {NULL}, *six[ZC_MAXDIM] = {NULL};
        for (int d = 0; d < nd; d++) {
            count[d] = rnd_range(1, 6);
            dext[d] = count[d];
            sext[d] = count[d];
            if (rnd() % 2) {
                dext[d] = count[d] + rnd_range(0, 3);
                int64_t *perm = xmalloc(sizeof(int64_t) * (size_t)dext[d]);
                for (int64_t k = 0; k < dext[d]; k++)
                    perm[k] = k;
                for (int64_t k = dext[d] - 1; k > 0; k--) {
                    int64_t j = rnd_range(0, k), t = perm[k];
                    perm[k] = perm[j];
                    perm[j] = t;
                }
                dix[d] = perm;
            }
            if (rnd() % 2) {
                sext[d] = rnd_range(1, 7);
                six[d] = xmalloc(sizeof(int64_t) * (size_t)count[d]);
                for (int64_t k = 0; k < count[d]; k++)
                    six[d][k] = rnd_range(0, sext[d] - 1);
            }
        }
        size_t itemsize = itemsizes[rnd() % 6];
        int swap = random_swap(itemsize);
        /* sometimes source lists only: the destination block is then count-sized */
        const int64_t *const *dl = rnd() % 4 ? (const int64_t *const *)dix : NULL;
        const int64_t *const *sl = (const int64_t *const *)six;
        layout Ls, Ld;
        random_layout(nd, sext, itemsize, &Ls);
        random_layout(nd, dl ? dext : count, itemsize, &Ld);
        uint8_t *src = xmalloc(Ls.size), *dst = xmalloc(Ld.size), *want = xmalloc(Ld.size);
        random_bytes(src, Ls.size);
        random_bytes(dst, Ld.size);
        memcpy(want, dst, Ld.size);
        ref_copy(nd, count, want + Ld.base, Ld.strides, dl, src + Ls.base, Ls.strides, sl, itemsize,
                 swap);
        zc_copy_nd_ix(nd, count, dst + Ld.base, Ld.strides, dl, src + Ls.base, Ls.strides, sl,
                      itemsize, swap);
        CHECK(memcmp(dst, want, Ld.size) == 0, "zc_copy_nd_ix nd %d itemsize %zu swap %d", nd,
              itemsize, swap);

        /* fill through the same destination lists */
        uint8_t value[16];
        random_bytes(value, sizeof value);
        if (rnd() % 3 == 0)
            memset(value, 0, sizeof value);
        memcpy(want, dst, Ld.size);
        int64_t idx[ZC_MAXDIM] = {0};
        do
            memcpy(want + Ld.base + elem_offset(nd, idx, Ld.strides, dl), value, itemsize);
        while (next_index(nd, count, idx));
        zc_fill_nd_ix(nd, count, dst + Ld.base, Ld.strides, dl, value, itemsize);
        CHECK(memcmp(dst, want, Ld.size) == 0, "zc_fill_nd_ix nd %d itemsize %zu", nd, itemsize);

        free(src);
        free(dst);
        free(want);
        for (int d = 0; d < nd; d++) {
            free(dix[d]);
            free(six[d]);
        }
    }
}

static void test_fill_nd_random(void) {
    for (int iter = 0; iter < 800; iter++) {
        int nd = (int)rnd_range(1, 4);
        int64_t count[ZC_MAXDIM];
        for (int d = 0; d < nd; d++)
            count[d] = rnd_range(1, 6);
        size_t itemsize = itemsizes[rnd() % 6];
        layout L;
        random_layout(nd, count, itemsize, &L);
        uint8_t value[16];
        random_bytes(value, sizeof value);
        if (rnd() % 3 == 0)
            memset(value, 0, sizeof value); /* the memset path */
        uint8_t *dst = xmalloc(L.size), *want = xmalloc(L.size);
        random_bytes(dst, L.size);
        memcpy(want, dst, L.size);
        int64_t idx[ZC_MAXDIM] = {0};
        do
            memcpy(want + L.base + elem_offset(nd, idx, L.strides, NULL), value, itemsize);
        while (next_index(nd, count, idx));
        zc_fill_nd(nd, count, dst + L.base, L.strides, value, itemsize);
        CHECK(memcmp(dst, want, L.size) == 0, "zc_fill_nd nd %d itemsize %zu", nd, itemsize);
        free(dst);
        free(want);
    }
    /* a zero count writes nothing */
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, v = 0;
    int64_t c2[2] = {3, 0}, s2[2] = {2, 1};
    zc_fill_nd(2, c2, buf, s2, &v, 1);
    zc_copy_nd(2, c2, buf, s2, buf + 4, s2, 1, 0);
    for (int i = 0; i < 8; i++)
        CHECK(buf[i] == i + 1);
}

static void test_copy_small(void) {
    /* 2 x 3 int16, transposed into 3 x 2 and byte-swapped */
    const uint8_t src[12] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                             0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
    uint8_t dst[12] = {0};
    int64_t count[2] = {2, 3}, ss[2] = {6, 2}, ds[2] = {2, 4};
    zc_copy_nd(2, count, dst, ds, src, ss, 2, 2);
    const uint8_t want[12] = {0x02, 0x01, 0x08, 0x07, 0x04, 0x03,
                              0x0a, 0x09, 0x06, 0x05, 0x0c, 0x0b};
    CHECK(memcmp(dst, want, 12) == 0);
    /* a reversed row (negative source stride), 4-byte items */
    uint32_t a[5] = {10, 20, 30, 40, 50}, b[5] = {0};
    int64_t n1[1] = {5}, sneg[1] = {-4}, spos[1] = {4};
    zc_copy_nd(1, n1, (uint8_t *)b, spos, (const uint8_t *)(a + 4), sneg, 4, 0);
    CHECK(b[0] == 50 && b[1] == 40 && b[2] == 30 && b[3] == 20 && b[4] == 10);
    /* complex64: swap each 4-byte half */
    uint8_t c[8] = {1, 2, 3, 4, 5, 6, 7, 8}, d[8];
    int64_t one[1] = {1}, s8[1] = {8};
    zc_copy_nd(1, one, d, s8, c, s8, 8, 4);
    const uint8_t wc[8] = {4, 3, 2, 1, 8, 7, 6, 5};
    CHECK(memcmp(d, wc, 8) == 0);
}

static void test_all_equal(void) {
    const uint8_t v2[2] = {0x34, 0x12};
    uint8_t buf[64];
    for (int i = 0; i < 32; i++)
        memcpy(buf + 2 * i, v2, 2);
    CHECK(zc_all_equal(buf, 64, v2, 2) == 1);
    CHECK(zc_all_equal(buf, 2, v2, 2) == 1);
    CHECK(zc_all_equal(buf, 0, v2, 2) == 1);
    CHECK(zc_all_equal(NULL, 0, v2, 2) == 1);
    CHECK(zc_all_equal(buf, 63, v2, 2) == 0); /* not a whole number of items */
    CHECK(zc_all_equal(buf, 64, v2, 0) == 0);
    const uint8_t other[2] = {0x12, 0x34};
    CHECK(zc_all_equal(buf, 64, other, 2) == 0);
    for (int pos = 0; pos < 64; pos++) {
        uint8_t *q = dup_exact(buf, 64);
        q[pos] ^= 0x80;
        CHECK(zc_all_equal(q, 64, v2, 2) == 0, "byte %d differs", pos);
        free(q);
    }
    for (int iter = 0; iter < 300; iter++) {
        size_t itemsize = itemsizes[rnd() % 6], n = itemsize * (size_t)rnd_range(1, 40);
        uint8_t value[16];
        random_bytes(value, sizeof value);
        uint8_t *p = xmalloc(n);
        for (size_t k = 0; k < n; k += itemsize)
            memcpy(p + k, value, itemsize);
        CHECK(zc_all_equal(p, n, value, itemsize) == 1);
        size_t at = (size_t)rnd_range(0, (int64_t)n - 1);
        p[at] = (uint8_t)(p[at] + 1 + rnd() % 255);
        CHECK(zc_all_equal(p, n, value, itemsize) == 0);
        free(p);
    }
}

static void test_byteswap(void) {
    const int units[] = {0, 1, 2, 3, 4, 8, 16};
    for (int iter = 0; iter < 400; iter++) {
        int unit = units[rnd() % 7];
        size_t n = (size_t)rnd_range(0, 100);
        uint8_t *p = xmalloc(n), *want = xmalloc(n);
        random_bytes(p, n);
        memcpy(want, p, n);
        if (unit > 1) /* whole units reversed; a trailing partial unit kept */
            for (size_t u = 0; u + (size_t)unit <= n; u += (size_t)unit)
                ref_swap(want + u, (size_t)unit, unit);
        zc_byteswap(p, n, unit);
        CHECK(memcmp(p, want, n) == 0, "unit %d n %zu", unit, n);
        free(p);
        free(want);
    }
    uint8_t x[6] = {1, 2, 3, 4, 5, 6};
    zc_byteswap(x, 6, 4);
    const uint8_t wx[6] = {4, 3, 2, 1, 5, 6};
    CHECK(memcmp(x, wx, 6) == 0);
}

/* ------------------------------------------------------------------ */
/* shard.c: index validation through zc_read_sharded */

/* A 1-d uint8 array of 16 elements in inner chunks of 2, shards of 4 inner
 * chunks: shards c/0 and c/1.  Inner chunk j of shard s holds the bytes
 * {8 * s + 2 * j + 1, 8 * s + 2 * j + 2}: element k reads k + 1. */
#define SH_N 16
#define SH_INNER 2
#define SH_CPS 4
#define SH_FILL 0xAB

typedef struct shard_env {
    char dir[64];
    char prefix[96];
    zc_pool *pool;
} shard_env;

typedef struct shard_file {
    uint64_t off[SH_CPS], len[SH_CPS];
    uint8_t data[64];
    size_t data_n;
} shard_file;

/* Entries of a well-formed shard (data first, index last, or index first). */
static void shard_default(shard_file *f, int s, int index_at_start, size_t index_nbytes) {
    size_t base = index_at_start ? index_nbytes : 0;
    f->data_n = SH_CPS * SH_INNER;
    for (int j = 0; j < SH_CPS; j++) {
        f->data[2 * j] = (uint8_t)(SH_CPS * SH_INNER * s + 2 * j + 1);
        f->data[2 * j + 1] = (uint8_t)(SH_CPS * SH_INNER * s + 2 * j + 2);
        f->off[j] = base + (uint64_t)(2 * j);
        f->len[j] = SH_INNER;
    }
}

static void store_u64(uint8_t *p, uint64_t v, int big) {
    for (int k = 0; k < 8; k++)
        p[big ? 7 - k : k] = (uint8_t)(v >> (8 * k));
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    if (fd < 0)
        return;
    CHECK(write(fd, p, n) == (ssize_t)n);
    close(fd);
}

/* Write shard s; crc_flip corrupts the stored checksum; truncate_to > 0 cuts
 * the file. */
static void shard_write(const shard_env *env, int s, const shard_file *f, const zc_shard_layout *L,
                        int crc_flip, size_t truncate_to) {
    uint8_t file[256], ix[128];
    size_t body = SH_CPS * 16;
    for (int j = 0; j < SH_CPS; j++) {
        store_u64(ix + 16 * j, f->off[j], L->index_big_endian);
        store_u64(ix + 16 * j + 8, f->len[j], L->index_big_endian);
    }
    if (L->index_crc) {
        uint32_t crc = zc_crc32c(0, ix, body) ^ (crc_flip ? 0x100u : 0u);
        for (int k = 0; k < 4; k++)
            ix[body + k] = (uint8_t)(crc >> (8 * k));
    }
    size_t n = 0;
    if (L->index_at_start) {
        memcpy(file, ix, L->index_nbytes);
        memcpy(file + L->index_nbytes, f->data, f->data_n);
    } else {
        memcpy(file, f->data, f->data_n);
        memcpy(file + f->data_n, ix, L->index_nbytes);
    }
    n = L->index_nbytes + f->data_n;
    if (truncate_to)
        n = truncate_to;
    char path[160];
    snprintf(path, sizeof path, "%s%d", env->prefix, s);
    write_file(path, file, n);
}

static void shard_remove(const shard_env *env, int s) {
    char path[160];
    snprintf(path, sizeof path, "%s%d", env->prefix, s);
    unlink(path);
}

static zc_shard_layout mk_layout(int at_start, int crc, int big) {
    zc_shard_layout L;
    memset(&L, 0, sizeof L);
    L.cps[0] = SH_CPS;
    L.index_nbytes = SH_CPS * 16 + (crc ? 4 : 0);
    L.index_at_start = at_start;
    L.index_crc = crc;
    L.index_big_endian = big;
    return L;
}

/* Read the whole array (or elements [start, start + count)) through the
 * shards; out receives the result. */
static int shard_read(const shard_env *env, const zc_shard_layout *L, int64_t start, int64_t count,
                      uint8_t *out, zc_err *err) {
    int64_t shape[1] = {SH_N}, cs[1] = {SH_INNER};
    zc_dimsel s = reg(start, 1, count);
    zc_plan plan;
    err_reset(err);
    int rc = zc_plan_build(&plan, 1, shape, cs, &s, err);
    CHECK(rc == ZC_OK, "%s", err->msg);
    if (rc != ZC_OK)
        return rc;
    zc_chain chain;
    uint8_t fill = SH_FILL;
    rc = zc_chain_init(&chain, 1, cs, 1, 0, NULL, 0, NULL, &fill, err);
    CHECK(rc == ZC_OK, "%s", err->msg);
    if (rc == ZC_OK) {
        /* local mode: the shard files sit beneath a root directory descriptor */
        int dirfd = open(env->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dirfd >= 0, "open %s: %s", env->dir, strerror(errno));
        zc_root root;
        zc_root_init(&root, dirfd, 0, 1);
        zc_io io;
        memset(&io, 0, sizeof io);
        io.root = &root;
        io.key_prefix = "c/";
        io.separator = '/';
        int64_t strides[1] = {1};
        rc = zc_read_sharded(env->pool, &plan, &chain, L, &io, out, strides, err);
        close(dirfd);
        zc_chain_free(&chain);
    }
    zc_plan_free(&plan);
    return rc;
}

static void expect_bad_shard(const shard_env *env, const zc_shard_layout *L, int64_t chunk,
                             const char *codec, const char *needle) {
    uint8_t out[SH_N];
    zc_err err;
    int rc = shard_read(env, L, 0, SH_N, out, &err);
    CHECK(rc == ZC_ESHARD && err.code == ZC_ESHARD, "rc %d: %s (want '%s')", rc, err.msg, needle);
    CHECK(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
    CHECK(strcmp(err.codec, codec) == 0, "codec '%s'", err.codec);
    if (chunk >= 0)
        CHECK(err.chunk == chunk, "err.chunk %lld, want %lld", (long long)err.chunk,
              (long long)chunk);
}

static void test_shard_index(void) {
    shard_env env;
    snprintf(env.dir, sizeof env.dir, "/tmp/zc_test_engine_XXXXXX");
    CHECK(mkdtemp(env.dir) != NULL, "mkdtemp: %s", strerror(errno));
    char cdir[96];
    snprintf(cdir, sizeof cdir, "%s/c", env.dir);
    CHECK(mkdir(cdir, 0755) == 0);
    snprintf(env.prefix, sizeof env.prefix, "%s/c/", env.dir);
    env.pool = zc_pool_new(2);
    CHECK(env.pool != NULL);

    uint8_t out[SH_N], want[SH_N];
    zc_err err;
    shard_file f;

    /* well-formed, in every index placement and byte order; shard 1 missing */
    for (int v = 0; v < 6; v++) {
        zc_shard_layout L = mk_layout(v & 1, v < 4 ? 1 : 0, (v >> 1) & 1);
        shard_default(&f, 0, L.index_at_start, L.index_nbytes);
        f.off[2] = f.len[2] = UINT64_MAX; /* an empty entry */
        shard_write(&env, 0, &f, &L, 0, 0);
        shard_remove(&env, 1);
        for (int k = 0; k < SH_N; k++)
            want[k] = k < 8 ? (uint8_t)(k + 1) : SH_FILL;
        want[4] = want[5] = SH_FILL;
        memset(out, 0, sizeof out);
        int rc = shard_read(&env, &L, 0, SH_N, out, &err);
        CHECK(rc == ZC_OK, "variant %d: %s", v, err.msg);
        CHECK(memcmp(out, want, SH_N) == 0, "variant %d", v);
    }

    zc_shard_layout L = mk_layout(0, 1, 0);
    /* both shards present; inner chunks 1 and 3 of shard 1 share their bytes
     * (overlapping entries are allowed: implementations may deduplicate) */
    shard_default(&f, 0, 0, L.index_nbytes);
    shard_write(&env, 0, &f, &L, 0, 0);
    shard_default(&f, 1, 0, L.index_nbytes);
    f.off[3] = f.off[1];
    shard_write(&env, 1, &f, &L, 0, 0);
    for (int k = 0; k < SH_N; k++)
        want[k] = (uint8_t)(k + 1);
    want[14] = want[10];
    want[15] = want[11];
    int rc = shard_read(&env, &L, 0, SH_N, out, &err);
    CHECK(rc == ZC_OK, "%s", err.msg);
    CHECK(memcmp(out, want, SH_N) == 0);
    /* a partial read touches only shard 1 */
    memset(out, 0, sizeof out);
    rc = shard_read(&env, &L, 9, 4, out, &err);
    CHECK(rc == ZC_OK, "%s", err.msg);
    CHECK(out[0] == 10 && out[1] == 11 && out[2] == 12 && out[3] == 13);
    shard_remove(&env, 1);

    /* malformed entries of inner chunk 1 (plan chunk 1) of shard 0 */
    size_t data_end = SH_CPS * SH_INNER; /* index at the end: data in [0, 8) */
    const struct {
        uint64_t off, len;
        const char *why;
    } bad[] = {
        {data_end + L.index_nbytes, 2, "outside the shard"}, /* past the end */
        {1000, 2, "outside the shard"},
        {data_end - 1, 2, "overlaps the index"},
        {data_end, 2, "points into the index"},
        {data_end + L.index_nbytes - 2, 2, "points into the index"},
        {data_end + L.index_nbytes - 1, 2, "outside the shard"},
        {UINT64_MAX - 1, 2, "offset + length overflows"},
        {2, UINT64_MAX - 1, "offset + length overflows"},
        {0, 3, "longer than any encoding"},
        {UINT64_MAX, 2, "only one of offset and length marks it empty"},
        {2, UINT64_MAX, "only one of offset and length marks it empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        shard_default(&f, 0, 0, L.index_nbytes);
        f.off[1] = bad[i].off;
        f.len[1] = bad[i].len;
        shard_write(&env, 0, &f, &L, 0, 0);
        expect_bad_shard(&env, &L, 1, "sharding_indexed", bad[i].why);
    }
    /* index at the start: an entry pointing into it */
    zc_shard_layout Ls = mk_layout(1, 1, 0);
    shard_default(&f, 0, 1, Ls.index_nbytes);
    f.off[3] = Ls.index_nbytes - 1;
    shard_write(&env, 0, &f, &Ls, 0, 0);
    expect_bad_shard(&env, &Ls, 3, "sharding_indexed", "overlaps the index");
    f.off[3] = 0;
    shard_write(&env, 0, &f, &Ls, 0, 0);
    expect_bad_shard(&env, &Ls, 3, "sharding_indexed", "points into the index");
    f.off[3] = Ls.index_nbytes + 7;
    shard_write(&env, 0, &f, &Ls, 0, 0);
    expect_bad_shard(&env, &Ls, 3, "sharding_indexed", "outside the shard");
    /* big-endian index read as such: a little-endian reading would be wrong */
    zc_shard_layout Lb = mk_layout(0, 1, 1);
    shard_default(&f, 0, 0, Lb.index_nbytes);
    f.off[0] = data_end + 8;
    shard_write(&env, 0, &f, &Lb, 0, 0);
    expect_bad_shard(&env, &Lb, 0, "sharding_indexed", "points into the index");

    /* checksum mismatch */
    shard_default(&f, 0, 0, L.index_nbytes);
    shard_write(&env, 0, &f, &L, 1, 0);
    expect_bad_shard(&env, &L, -1, "crc32c", "shard index checksum mismatch");
    /* without a checksum in the layout the same bytes are fine */
    zc_shard_layout Ln = mk_layout(0, 0, 0);
    shard_write(&env, 0, &f, &Ln, 1, 0);
    rc = shard_read(&env, &Ln, 0, 8, out, &err);
    CHECK(rc == ZC_OK, "%s", err.msg);
    CHECK(out[0] == 1 && out[7] == 8);
    /* truncated shards: shorter than the index, and an empty file */
    shard_default(&f, 0, 0, L.index_nbytes);
    shard_write(&env, 0, &f, &L, 0, L.index_nbytes - 1);
    expect_bad_shard(&env, &L, -1, "sharding_indexed", "truncated shard");
    char path[160];
    snprintf(path, sizeof path, "%s0", env.prefix);
    write_file(path, NULL, 0);
    expect_bad_shard(&env, &L, -1, "sharding_indexed", "truncated shard");
    /* a file cut inside the data: the index now sits elsewhere and its
     * checksum no longer matches */
    shard_default(&f, 0, 0, L.index_nbytes);
    shard_write(&env, 0, &f, &L, 0, L.index_nbytes + 4);
    expect_bad_shard(&env, &L, -1, "crc32c", "checksum mismatch");
    /* an entry of the wrong length for an uncompressed inner chunk */
    shard_default(&f, 0, 0, L.index_nbytes);
    f.len[2] = 1;
    shard_write(&env, 0, &f, &L, 0, 0);
    rc = shard_read(&env, &L, 0, SH_N, out, &err);
    CHECK(rc != ZC_OK && err.chunk == 2, "rc %d chunk %lld: %s", rc, (long long)err.chunk, err.msg);
    /* a directory where the shard would be reads as missing (as LocalStore.get) */
    shard_remove(&env, 0);
    CHECK(mkdir(path, 0755) == 0);
    memset(out, 0, SH_N);
    rc = shard_read(&env, &L, 0, SH_N, out, &err);
    CHECK(rc == ZC_OK, "rc %d: %s", rc, err.msg);
    for (int i = 0; i < SH_N; i++)
        CHECK(out[i] == SH_FILL, "element %d is %d, not the fill value", i, out[i]);
    rmdir(path);
    /* an invalid layout */
    zc_shard_layout Lz = mk_layout(0, 1, 0);
    Lz.cps[0] = 0;
    rc = shard_read(&env, &Lz, 0, SH_N, out, &err);
    CHECK(rc == ZC_EINVAL, "rc %d", rc);

    zc_pool_free(env.pool);
    CHECK(rmdir(cdir) == 0, "rmdir %s: %s", cdir, strerror(errno));
    CHECK(rmdir(env.dir) == 0, "rmdir %s: %s", env.dir, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* pool.c */

typedef struct count_job {
    _Atomic int *runs;
    _Atomic int bad_worker;
} count_job;

static void count_task(void *arg, int64_t t, zc_worker *w) {
    count_job *j = arg;
    atomic_fetch_add(&j->runs[t], 1);
    if (w == NULL || w->codec == NULL)
        atomic_store(&j->bad_worker, 1);
    /* use the worker's scratch buffer: each thread has its own */
    uint8_t *b = zc_worker_buf(w, (int)(t % 4), (size_t)(t % 512) + 1);
    if (b == NULL)
        atomic_store(&j->bad_worker, 1);
    else
        memset(b, (int)t, (size_t)(t % 512) + 1);
}

static void run_counted(zc_pool *p, int64_t ntasks) {
    count_job j;
    j.runs = calloc((size_t)(ntasks > 0 ? ntasks : 1), sizeof(_Atomic int));
    atomic_store(&j.bad_worker, 0);
    CHECK(zc_pool_run(p, ntasks, count_task, &j) == ZC_OK);
    int wrong = 0;
    for (int64_t t = 0; t < ntasks; t++)
        wrong += atomic_load(&j.runs[t]) != 1;
    CHECK(wrong == 0, "%d of %lld tasks not run exactly once", wrong, (long long)ntasks);
    CHECK(atomic_load(&j.bad_worker) == 0);
    free(j.runs);
}

/* Two requests at once: A's tasks hold the workers until B has finished; B
 * must therefore run every one of its tasks on its own calling thread. */
typedef struct race {
    zc_pool *pool;
    _Atomic int a_started, b_done, timed_out;
    _Atomic int a_runs[64], b_runs[64];
    _Atomic int b_foreign; /* B tasks run on a thread other than B's caller */
    pthread_t b_thread;
} race;

static void sleep_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void a_task(void *arg, int64_t t, zc_worker *w) {
    (void)w;
    race *r = arg;
    atomic_fetch_add(&r->a_runs[t], 1);
    atomic_store(&r->a_started, 1);
    for (int i = 0; i < 10000 && !atomic_load(&r->b_done); i++)
        sleep_ms(1);
    if (!atomic_load(&r->b_done))
        atomic_store(&r->timed_out, 1);
}

static void b_task(void *arg, int64_t t, zc_worker *w) {
    race *r = arg;
    atomic_fetch_add(&r->b_runs[t], 1);
    if (!pthread_equal(pthread_self(), r->b_thread) || w == NULL || w->codec == NULL)
        atomic_store(&r->b_foreign, 1);
}

static void *b_main(void *arg) {
    race *r = arg;
    for (int i = 0; i < 10000 && !atomic_load(&r->a_started); i++)
        sleep_ms(1);
    int rc = zc_pool_run(r->pool, 64, b_task, r);
    atomic_store(&r->b_done, rc == ZC_OK ? 1 : 2);
    return NULL;
}

static void test_pool(void) {
    /* sizes, clamping */
    zc_pool *p = zc_pool_new(0);
    CHECK(p != NULL && zc_pool_threads(p) == 1 && zc_pool_valid(p));
    run_counted(p, 100);
    zc_pool_free(p);
    zc_pool_free(NULL);
    CHECK(!zc_pool_valid(NULL));

    p = zc_pool_new(4);
    CHECK(p != NULL && zc_pool_threads(p) == 4);
    run_counted(p, 0);
    run_counted(p, 1);
    run_counted(p, 3);
    run_counted(p, 20000);
    for (int i = 0; i < 50; i++) /* many small requests back to back */
        run_counted(p, (int64_t)rnd_range(1, 40));

    /* concurrent requests */
    race *r = calloc(1, sizeof *r);
    r->pool = p;
    CHECK(pthread_create(&r->b_thread, NULL, b_main, r) == 0);
    CHECK(zc_pool_run(p, 64, a_task, r) == ZC_OK);
    pthread_join(r->b_thread, NULL);
    CHECK(atomic_load(&r->b_done) == 1);
    CHECK(atomic_load(&r->timed_out) == 0, "request B waited for A");
    CHECK(atomic_load(&r->b_foreign) == 0, "B's tasks ran off its calling thread");
    int a_wrong = 0, b_wrong = 0;
    for (int t = 0; t < 64; t++) {
        a_wrong += atomic_load(&r->a_runs[t]) != 1;
        b_wrong += atomic_load(&r->b_runs[t]) != 1;
    }
    CHECK(a_wrong == 0 && b_wrong == 0, "A %d, B %d tasks not run exactly once", a_wrong, b_wrong);
    free(r);
    /* the pool is usable again afterwards */
    run_counted(p, 500);

    /* in a forked child the pool is invalid and can be freed without joining */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = !zc_pool_valid(p);
        zc_pool_free(p);
        zc_pool *q = zc_pool_new(2);
        ok = ok && q != NULL && zc_pool_valid(q);
        count_job j;
        _Atomic int runs[8] = {0};
        j.runs = runs;
        atomic_store(&j.bad_worker, 0);
        ok = ok && zc_pool_run(q, 8, count_task, &j) == ZC_OK;
        for (int t = 0; t < 8; t++)
            ok = ok && atomic_load(&runs[t]) == 1;
        zc_pool_free(q);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK(zc_pool_valid(p));
    zc_pool_free(p);

    /* free and recreate */
    for (int i = 1; i <= 6; i++) {
        p = zc_pool_new(i);
        CHECK(p != NULL && zc_pool_threads(p) == i);
        run_counted(p, 64 * i);
        zc_pool_free(p);
    }

    /* worker buffers grow and keep their capacity */
    zc_worker w;
    memset(&w, 0, sizeof w);
    uint8_t *b0 = zc_worker_buf(&w, 0, 0);
    CHECK(b0 != NULL && w.cap[0] == 1);
    uint8_t *b1 = zc_worker_buf(&w, 0, 100);
    CHECK(b1 != NULL && w.cap[0] == 100);
    memset(b1, 7, 100);
    CHECK(zc_worker_buf(&w, 0, 50) == b1 && w.cap[0] == 100);
    CHECK(zc_worker_buf(&w, 3, 10) != NULL && w.cap[3] == 10);
    zc_worker_release(&w);
    CHECK(w.buf[0] == NULL && w.cap[0] == 0 && w.buf[3] == NULL && w.codec == NULL);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_engine\n");
        return 2;
    }
    test_plan_regular_small();
    test_plan_index_small();
    test_plan_points_small();
    test_plan_errors();
    test_plan_random();
    test_points_random();
    test_copy_small();
    test_copy_nd_random();
    test_copy_nd_ix_random();
    test_fill_nd_random();
    test_all_equal();
    test_byteswap();
    test_shard_index();
    test_pool();
    return harness_report("test_engine");
}
