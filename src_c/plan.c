/* Selection plans: which chunks a regular per-dimension selection touches and,
 * per dimension, which part of each chunk lands where in the output.  Stored
 * as per-dimension projection arrays (struct-of-arrays); chunk i of a request
 * is the row-major combination of one projection per dimension. */
#include <stdlib.h>
#include <string.h>

#include "zc_engine.h"

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

int zc_plan_regular(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                    const int64_t *start, const int64_t *step, const int64_t *count, zc_err *err) {
    memset(plan, 0, sizeof(*plan));
    if (ndim < 0 || ndim > ZC_MAXDIM)
        return zc_err_set(err, ZC_EINVAL, "", "ndim %d out of range", ndim);
    plan->ndim = ndim;
    plan->nchunks = 1;
    for (int d = 0; d < ndim; d++) {
        int64_t cs = chunk_shape[d], n = count[d], st = step[d], s0 = start[d];
        plan->shape[d] = shape[d];
        plan->chunk_shape[d] = cs;
        plan->sel_count[d] = n;
        if (cs <= 0 || shape[d] < 0 || n < 0 || st == 0) {
            zc_plan_free(plan);
            return zc_err_set(err, ZC_EINVAL, "", "invalid selection in dimension %d", d);
        }
        if (n > 0) {
            int64_t last = s0 + (n - 1) * st;
            if (s0 < 0 || s0 >= shape[d] || last < 0 || last >= shape[d]) {
                zc_plan_free(plan);
                return zc_err_set(err, ZC_EINVAL, "", "selection out of bounds in dimension %d", d);
            }
        }
        /* at most one projection per chunk touched, and at most n */
        int64_t nchunk_dim = (shape[d] + cs - 1) / cs;
        int64_t cap = n < nchunk_dim ? n : nchunk_dim;
        plan->proj[d] = malloc(sizeof(zc_proj) * (size_t)(cap > 0 ? cap : 1));
        if (!plan->proj[d]) {
            zc_plan_free(plan);
            return zc_err_set(err, ZC_ENOMEM, "", "out of memory building the chunk plan");
        }
        int64_t np = 0, k = 0;
        while (k < n) {
            int64_t idx = s0 + k * st;
            int64_t c = floordiv(idx, cs);
            int64_t in = idx - c * cs, m;
            if (st > 0) {
                int64_t hi = (c + 1) * cs - 1;  /* last index of this chunk */
                if (hi > shape[d] - 1) hi = shape[d] - 1;
                m = (hi - idx) / st + 1;
            } else {
                m = (idx - c * cs) / (-st) + 1;
            }
            if (m > n - k) m = n - k;
            zc_proj *p = &plan->proj[d][np++];
            p->chunk = c;
            p->in_start = in;
            p->in_step = st;
            p->out_start = k;
            p->count = m;
            k += m;
        }
        plan->nproj[d] = np;
        plan->nchunks *= np;
    }
    return ZC_OK;
}

void zc_plan_free(zc_plan *plan) {
    for (int d = 0; d < ZC_MAXDIM; d++) {
        free(plan->proj[d]);
        plan->proj[d] = NULL;
    }
}

void zc_plan_chunk(const zc_plan *plan, int64_t i, int64_t *proj_index) {
    for (int d = plan->ndim - 1; d >= 0; d--) {
        proj_index[d] = i % plan->nproj[d];
        i /= plan->nproj[d];
    }
}

int zc_plan_chunk_full(const zc_plan *plan, int64_t i) {
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(plan, i, pi);
    for (int d = 0; d < plan->ndim; d++) {
        const zc_proj *p = &plan->proj[d][pi[d]];
        int64_t cs = plan->chunk_shape[d];
        int64_t valid = plan->shape[d] - p->chunk * cs;
        if (valid > cs) valid = cs;
        if (p->count != valid) return 0;
        if (valid > 1 && p->in_step != 1 && p->in_step != -1) return 0;
        if (p->in_step == 1 && p->in_start != 0) return 0;
        if (p->in_step == -1 && p->in_start != valid - 1) return 0;
    }
    return 1;
}
