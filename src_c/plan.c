/* Selection plans.
 *
 * Block plans (basic and orthogonal selections): per dimension, the chunks a
 * selection touches and, for each, which of its elements land where in the
 * output (struct-of-arrays projections); chunk i of a request is the
 * row-major combination of one projection per dimension.
 *
 * Coordinate plans (vindex, masks): points grouped by chunk, keeping their
 * order within a chunk. */
#include <stdlib.h>
#include <string.h>

#include "zc_engine.h"

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int oom(zc_plan *plan, zc_err *err) {
    zc_plan_free(plan);
    return zc_err_set(err, ZC_ENOMEM, "", "out of memory building the chunk plan");
}

static int plan_regular_dim(zc_plan *plan, int d, const zc_dimsel *s, zc_err *err) {
    int64_t cs = plan->chunk_shape[d], n = s->count, st = s->step, s0 = s->start;
    int64_t size = plan->shape[d];
    if (st == 0)
        return zc_err_set(err, ZC_EINVAL, "", "zero step in dimension %d", d);
    if (n > 0) {
        int64_t last;
        if (__builtin_mul_overflow(n - 1, st, &last) || __builtin_add_overflow(s0, last, &last) ||
            s0 < 0 || s0 >= size || last < 0 || last >= size)
            return zc_err_set(err, ZC_EINVAL, "", "selection out of bounds in dimension %d", d);
    }
    int64_t nchunk_dim = (size + cs - 1) / cs;
    int64_t cap = n < nchunk_dim ? n : nchunk_dim;
    plan->proj[d] = calloc((size_t)(cap > 0 ? cap : 1), sizeof(zc_proj));
    if (!plan->proj[d])
        return ZC_ENOMEM;
    int64_t np = 0, k = 0;
    while (k < n) {
        int64_t idx = s0 + k * st;
        int64_t c = floordiv(idx, cs);
        int64_t in = idx - c * cs, m;
        if (st > 0) {
            int64_t hi = (c + 1) * cs - 1; /* last index of this chunk */
            if (hi > size - 1)
                hi = size - 1;
            m = (hi - idx) / st + 1;
        } else {
            m = in / (-st) + 1;
        }
        if (m > n - k)
            m = n - k;
        zc_proj *p = &plan->proj[d][np++];
        p->chunk = c;
        p->in_start = in;
        p->in_step = st;
        p->out_start = k;
        p->count = m;
        int64_t end = in + (m - 1) * st;
        p->in_min = st > 0 ? in : end;
        p->in_max = st > 0 ? end : in;
        k += m;
    }
    plan->nproj[d] = np;
    return ZC_OK;
}

typedef struct {
    int64_t key;
    int64_t pos;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Index-mode dimension: group the indices by chunk, keeping their order. */
static int plan_index_dim(zc_plan *plan, int d, const zc_dimsel *s, zc_err *err) {
    int64_t cs = plan->chunk_shape[d], n = s->count, size = plan->shape[d];
    for (int64_t k = 0; k < n; k++)
        if (s->idx[k] < 0 || s->idx[k] >= size)
            return zc_err_set(err, ZC_EINVAL, "",
                              "index %lld out of bounds in dimension %d with size %lld",
                              (long long)s->idx[k], d, (long long)size);
    keyed *order = malloc(sizeof(keyed) * (size_t)(n > 0 ? n : 1));
    int64_t *store = malloc(sizeof(int64_t) * (size_t)(2 * n > 0 ? 2 * n : 1));
    if (!order || !store) {
        free(order);
        free(store);
        return ZC_ENOMEM;
    }
    int sorted = 1;
    for (int64_t k = 0; k < n; k++) {
        order[k].key = s->idx[k] / cs;
        order[k].pos = k;
        if (k && order[k].key < order[k - 1].key)
            sorted = 0;
    }
    if (!sorted)
        qsort(order, (size_t)n, sizeof(keyed), cmp_keyed);
    int64_t *in_idx = store, *out_idx = store + n;
    int64_t nchunk = 0;
    for (int64_t k = 0; k < n; k++)
        if (k == 0 || order[k].key != order[k - 1].key)
            nchunk++;
    plan->proj[d] = calloc((size_t)(nchunk > 0 ? nchunk : 1), sizeof(zc_proj));
    if (!plan->proj[d]) {
        free(order);
        free(store);
        return ZC_ENOMEM;
    }
    plan->idx_store[d] = store;
    int64_t np = -1;
    for (int64_t k = 0; k < n; k++) {
        int64_t c = order[k].key, pos = order[k].pos, in = s->idx[pos] - c * cs;
        if (k == 0 || c != order[k - 1].key) {
            zc_proj *p = &plan->proj[d][++np];
            p->chunk = c;
            p->in_step = 1;
            p->in_idx = in_idx + k;
            p->out_idx = out_idx + k;
            p->in_min = p->in_max = in;
        }
        zc_proj *p = &plan->proj[d][np];
        in_idx[k] = in;
        out_idx[k] = pos;
        p->count++;
        if (in < p->in_min)
            p->in_min = in;
        if (in > p->in_max)
            p->in_max = in;
    }
    plan->nproj[d] = np + 1;
    free(order);
    return ZC_OK;
}

static int plan_init(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                     zc_err *err) {
    memset(plan, 0, sizeof(*plan));
    if (ndim < 0 || ndim > ZC_MAXDIM)
        return zc_err_set(err, ZC_EINVAL, "", "ndim %d out of range", ndim);
    plan->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        if (chunk_shape[d] <= 0 || shape[d] < 0)
            return zc_err_set(err, ZC_EINVAL, "", "invalid shape or chunk shape in dimension %d",
                              d);
        plan->shape[d] = shape[d];
        plan->chunk_shape[d] = chunk_shape[d];
    }
    return ZC_OK;
}

int zc_plan_build(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                  const zc_dimsel *sel, zc_err *err) {
    int rc = plan_init(plan, ndim, shape, chunk_shape, err);
    if (rc != ZC_OK)
        return rc;
    plan->nchunks = 1;
    for (int d = 0; d < ndim; d++) {
        if (sel[d].count < 0) {
            zc_plan_free(plan);
            return zc_err_set(err, ZC_EINVAL, "", "negative count in dimension %d", d);
        }
        plan->sel_count[d] = sel[d].count;
        rc = sel[d].idx ? plan_index_dim(plan, d, &sel[d], err)
                        : plan_regular_dim(plan, d, &sel[d], err);
        if (rc == ZC_ENOMEM)
            return oom(plan, err);
        if (rc != ZC_OK) {
            zc_plan_free(plan);
            return rc;
        }
        if (__builtin_mul_overflow(plan->nchunks, plan->nproj[d], &plan->nchunks)) {
            zc_plan_free(plan);
            return zc_err_set(err, ZC_EOVERFLOW, "", "too many chunks in one request");
        }
    }
    return ZC_OK;
}

int zc_plan_points(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                   int64_t npoints, const int64_t *const *coords, zc_err *err) {
    int rc = plan_init(plan, ndim, shape, chunk_shape, err);
    if (rc != ZC_OK)
        return rc;
    plan->points = 1;
    plan->npoints = npoints;
    if (npoints < 0)
        return zc_err_set(err, ZC_EINVAL, "", "negative point count");
    for (int d = 0; d < ndim; d++)
        for (int64_t k = 0; k < npoints; k++)
            if (coords[d][k] < 0 || coords[d][k] >= shape[d])
                return zc_err_set(err, ZC_EINVAL, "",
                                  "index %lld out of bounds in dimension %d with size %lld",
                                  (long long)coords[d][k], d, (long long)shape[d]);
    /* linear chunk id (row-major over the grid); the grid fits in int64 since
     * every dimension's chunk count does and we check the product */
    int64_t grid[ZC_MAXDIM];
    int64_t total = 1;
    for (int d = 0; d < ndim; d++) {
        grid[d] = (shape[d] + chunk_shape[d] - 1) / chunk_shape[d];
        if (__builtin_mul_overflow(total, grid[d] > 0 ? grid[d] : 1, &total))
            return zc_err_set(err, ZC_EOVERFLOW, "", "chunk grid too large");
    }
    size_t n = (size_t)(npoints > 0 ? npoints : 1);
    keyed *order = malloc(sizeof(keyed) * n);
    plan->pt_in = malloc(sizeof(int64_t) * n * (size_t)(ndim > 0 ? ndim : 1));
    plan->pt_out = malloc(sizeof(int64_t) * n);
    if (!order || !plan->pt_in || !plan->pt_out) {
        free(order);
        return oom(plan, err);
    }
    int sorted = 1;
    for (int64_t k = 0; k < npoints; k++) {
        int64_t id = 0;
        for (int d = 0; d < ndim; d++)
            id = id * grid[d] + coords[d][k] / chunk_shape[d];
        order[k].key = id;
        order[k].pos = k;
        if (k && id < order[k - 1].key)
            sorted = 0;
    }
    if (!sorted)
        qsort(order, (size_t)npoints, sizeof(keyed), cmp_keyed);
    int64_t nch = 0;
    for (int64_t k = 0; k < npoints; k++)
        if (k == 0 || order[k].key != order[k - 1].key)
            nch++;
    plan->nchunks = nch;
    plan->pt_chunk =
        malloc(sizeof(int64_t) * (size_t)(nch > 0 ? nch : 1) * (size_t)(ndim > 0 ? ndim : 1));
    plan->pt_offsets = malloc(sizeof(int64_t) * (size_t)(nch + 1));
    if (!plan->pt_chunk || !plan->pt_offsets) {
        free(order);
        return oom(plan, err);
    }
    int64_t c = -1;
    for (int64_t k = 0; k < npoints; k++) {
        int64_t pos = order[k].pos;
        if (k == 0 || order[k].key != order[k - 1].key) {
            c++;
            plan->pt_offsets[c] = k;
            for (int d = 0; d < ndim; d++)
                plan->pt_chunk[c * ndim + d] = coords[d][pos] / chunk_shape[d];
        }
        for (int d = 0; d < ndim; d++)
            plan->pt_in[k * ndim + d] =
                coords[d][pos] - plan->pt_chunk[c * ndim + d] * chunk_shape[d];
        plan->pt_out[k] = pos;
    }
    plan->pt_offsets[nch] = npoints;
    free(order);
    return ZC_OK;
}

void zc_plan_free(zc_plan *plan) {
    for (int d = 0; d < ZC_MAXDIM; d++) {
        free(plan->proj[d]);
        free(plan->idx_store[d]);
        plan->proj[d] = NULL;
        plan->idx_store[d] = NULL;
    }
    free(plan->pt_chunk);
    free(plan->pt_offsets);
    free(plan->pt_in);
    free(plan->pt_out);
    plan->pt_chunk = plan->pt_offsets = plan->pt_in = plan->pt_out = NULL;
}

void zc_plan_chunk(const zc_plan *plan, int64_t i, int64_t *proj_index) {
    for (int d = plan->ndim - 1; d >= 0; d--) {
        proj_index[d] = i % plan->nproj[d];
        i /= plan->nproj[d];
    }
}

void zc_plan_chunk_coords(const zc_plan *plan, int64_t i, int64_t *coords) {
    if (plan->points) {
        for (int d = 0; d < plan->ndim; d++)
            coords[d] = plan->pt_chunk[i * plan->ndim + d];
        return;
    }
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(plan, i, pi);
    for (int d = 0; d < plan->ndim; d++)
        coords[d] = plan->proj[d][pi[d]].chunk;
}

int zc_plan_chunk_full(const zc_plan *plan, int64_t i) {
    if (plan->points)
        return 0;
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(plan, i, pi);
    for (int d = 0; d < plan->ndim; d++) {
        const zc_proj *p = &plan->proj[d][pi[d]];
        if (p->in_idx)
            return 0; /* index lists may repeat: never assume coverage */
        int64_t cs = plan->chunk_shape[d];
        int64_t valid = plan->shape[d] - p->chunk * cs;
        if (valid > cs)
            valid = cs;
        if (p->count != valid)
            return 0;
        if (valid > 1 && p->in_step != 1 && p->in_step != -1)
            return 0;
        if (p->in_step == 1 && p->in_start != 0)
            return 0;
        if (p->in_step == -1 && p->in_start != valid - 1)
            return 0;
    }
    return 1;
}
