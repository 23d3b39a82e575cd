/* Strided n-d copy, fill and compare kernels used by the scatter / gather of
 * every request.  Dimensions that are contiguous in both operands are merged
 * first so the inner loop is a memcpy whenever the layouts allow it. */
#include <string.h>

#include "zc_engine.h"

static inline void swap_unit(uint8_t *p, int unit) {
    for (int a = 0, b = unit - 1; a < b; a++, b--) {
        uint8_t t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
}

void zc_byteswap(uint8_t *buf, size_t n, int unit) {
    if (unit <= 1)
        return;
    size_t u = (size_t)unit;
    if (unit == 2) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint16_t v;
            memcpy(&v, buf + i, 2);
            v = __builtin_bswap16(v);
            memcpy(buf + i, &v, 2);
        }
    } else if (unit == 4) {
        for (size_t i = 0; i + 3 < n; i += 4) {
            uint32_t v;
            memcpy(&v, buf + i, 4);
            v = __builtin_bswap32(v);
            memcpy(buf + i, &v, 4);
        }
    } else if (unit == 8) {
        for (size_t i = 0; i + 7 < n; i += 8) {
            uint64_t v;
            memcpy(&v, buf + i, 8);
            v = __builtin_bswap64(v);
            memcpy(buf + i, &v, 8);
        }
    } else {
        for (size_t i = 0; i + u <= n; i += u)
            swap_unit(buf + i, unit);
    }
}

/* Merge adjacent dimensions that are contiguous in both operands and drop
 * unit dimensions.  Returns the new rank (>= 1). */
static int coalesce(int nd, const int64_t *count, const int64_t *s1, const int64_t *s2,
                    int64_t *c_out, int64_t *s1_out, int64_t *s2_out) {
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (count[d] == 1)
            continue;
        if (m > 0 && s1_out[m - 1] == count[d] * s1[d] && s2_out[m - 1] == count[d] * s2[d]) {
            c_out[m - 1] *= count[d];
            s1_out[m - 1] = s1[d];
            s2_out[m - 1] = s2[d];
            continue;
        }
        c_out[m] = count[d];
        s1_out[m] = s1[d];
        s2_out[m] = s2[d];
        m++;
    }
    if (m == 0) {
        c_out[0] = 1;
        s1_out[0] = 0;
        s2_out[0] = 0;
        m = 1;
    }
    return m;
}

static void copy_row(uint8_t *dst, int64_t ds, const uint8_t *src, int64_t ss, int64_t n,
                     size_t itemsize, int swap) {
    if (!swap && ds == (int64_t)itemsize && ss == (int64_t)itemsize) {
        memcpy(dst, src, (size_t)n * itemsize);
        return;
    }
    if (swap) {
        for (int64_t i = 0; i < n; i++) {
            memcpy(dst, src, itemsize);
            zc_byteswap(dst, itemsize, swap);
            dst += ds;
            src += ss;
        }
        return;
    }
    if (ds == (int64_t)itemsize && ss == -(int64_t)itemsize &&
        ((uintptr_t)dst | (uintptr_t)src) % itemsize == 0) {
        /* a reversed row (negative step): indexed loops the compiler vectorises */
        switch (itemsize) {
#define ZC_REV(T)                                                         \
    {                                                                     \
        T *d = (T *)__builtin_assume_aligned(dst, sizeof(T));             \
        const T *s = (const T *)__builtin_assume_aligned(src, sizeof(T)); \
        for (int64_t i = 0; i < n; i++)                                   \
            d[i] = s[-i];                                                 \
        return;                                                           \
    }
        case 1: ZC_REV(uint8_t)
        case 2: ZC_REV(uint16_t)
        case 4: ZC_REV(uint32_t)
        case 8: ZC_REV(uint64_t)
#undef ZC_REV
        default: break;
        }
    }
    switch (itemsize) {
#define ZC_ROW(T)                     \
    for (int64_t i = 0; i < n; i++) { \
        T v;                          \
        memcpy(&v, src, sizeof(T));   \
        memcpy(dst, &v, sizeof(T));   \
        dst += ds;                    \
        src += ss;                    \
    }                                 \
    return;
    case 1: ZC_ROW(uint8_t)
    case 2: ZC_ROW(uint16_t)
    case 4: ZC_ROW(uint32_t)
    case 8: ZC_ROW(uint64_t)
#undef ZC_ROW
    default:
        for (int64_t i = 0; i < n; i++) {
            memcpy(dst, src, itemsize);
            dst += ds;
            src += ss;
        }
    }
}

void zc_copy_nd(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                const uint8_t *src, const int64_t *src_strides, size_t itemsize, int swap) {
    int64_t c[ZC_MAXDIM], ds[ZC_MAXDIM], ss[ZC_MAXDIM], idx[ZC_MAXDIM];
    for (int d = 0; d < nd; d++)
        if (count[d] <= 0)
            return;
    int m = coalesce(nd, count, dst_strides, src_strides, c, ds, ss);
    if (swap && (size_t)swap >= itemsize && itemsize <= 1)
        swap = 0;
    int last = m - 1;
    memset(idx, 0, sizeof(int64_t) * (size_t)m);
    for (;;) {
        copy_row(dst, ds[last], src, ss[last], c[last], itemsize, swap);
        int d = last - 1;
        for (; d >= 0; d--) {
            dst += ds[d];
            src += ss[d];
            if (++idx[d] < c[d])
                break;
            dst -= ds[d] * c[d];
            src -= ss[d] * c[d];
            idx[d] = 0;
        }
        if (d < 0)
            return;
    }
}

static void fill_row(uint8_t *dst, int64_t ds, int64_t n, const uint8_t *value, size_t itemsize) {
    if (ds == (int64_t)itemsize) {
        int zero = 1;
        for (size_t k = 0; k < itemsize; k++)
            zero &= value[k] == 0;
        if (zero) {
            memset(dst, 0, (size_t)n * itemsize);
            return;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(dst, value, itemsize);
        dst += ds;
    }
}

void zc_fill_nd(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                const uint8_t *value, size_t itemsize) {
    int64_t c[ZC_MAXDIM], ds[ZC_MAXDIM], dummy[ZC_MAXDIM], idx[ZC_MAXDIM];
    int64_t zeros[ZC_MAXDIM] = {0};
    for (int d = 0; d < nd; d++)
        if (count[d] <= 0)
            return;
    int m = coalesce(nd, count, dst_strides, zeros, c, ds, dummy);
    int last = m - 1;
    memset(idx, 0, sizeof(int64_t) * (size_t)m);
    for (;;) {
        fill_row(dst, ds[last], c[last], value, itemsize);
        int d = last - 1;
        for (; d >= 0; d--) {
            dst += ds[d];
            if (++idx[d] < c[d])
                break;
            dst -= ds[d] * c[d];
            idx[d] = 0;
        }
        if (d < 0)
            return;
    }
}

int zc_all_equal(const uint8_t *buf, size_t n, const uint8_t *value, size_t itemsize) {
    if (n == 0)
        return 1;
    if (itemsize == 0 || n % itemsize)
        return 0;
    /* Compare the first element, then the buffer against itself shifted by
     * one element: equal iff every element equals the first. */
    if (memcmp(buf, value, itemsize) != 0)
        return 0;
    if (n == itemsize)
        return 1;
    return memcmp(buf, buf + itemsize, n - itemsize) == 0;
}

/* Index-list variants: a generic odometer over the dimensions, where the
 * offset of element k along dimension d comes from an index list when one is
 * given.  The innermost dimension keeps the fast row copy when it has no
 * index lists. */
static inline int64_t ix_off(const int64_t *const *ix, const int64_t *strides, int d, int64_t k) {
    return (ix && ix[d] ? ix[d][k] : k) * strides[d];
}

void zc_copy_nd_ix(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                   const int64_t *const *dst_ix, const uint8_t *src, const int64_t *src_strides,
                   const int64_t *const *src_ix, size_t itemsize, int swap) {
    int any = 0;
    for (int d = 0; d < nd; d++) {
        if (count[d] <= 0)
            return;
        any |= (dst_ix && dst_ix[d]) || (src_ix && src_ix[d]);
    }
    if (!any) {
        zc_copy_nd(nd, count, dst, dst_strides, src, src_strides, itemsize, swap);
        return;
    }
    if (swap && itemsize <= 1)
        swap = 0;
    int last = nd - 1;
    int inner_plain = !(dst_ix && dst_ix[last]) && !(src_ix && src_ix[last]);
    int64_t idx[ZC_MAXDIM] = {0};
    for (;;) {
        int64_t doff = 0, soff = 0;
        for (int d = 0; d < last; d++) {
            doff += ix_off(dst_ix, dst_strides, d, idx[d]);
            soff += ix_off(src_ix, src_strides, d, idx[d]);
        }
        if (inner_plain) {
            copy_row(dst + doff, dst_strides[last], src + soff, src_strides[last], count[last],
                     itemsize, swap);
        } else {
            for (int64_t k = 0; k < count[last]; k++) {
                uint8_t *dp = dst + doff + ix_off(dst_ix, dst_strides, last, k);
                memcpy(dp, src + soff + ix_off(src_ix, src_strides, last, k), itemsize);
                if (swap)
                    zc_byteswap(dp, itemsize, swap);
            }
        }
        int d = last - 1;
        for (; d >= 0; d--) {
            if (++idx[d] < count[d])
                break;
            idx[d] = 0;
        }
        if (d < 0)
            return;
    }
}

void zc_fill_nd_ix(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                   const int64_t *const *dst_ix, const uint8_t *value, size_t itemsize) {
    int any = 0;
    for (int d = 0; d < nd; d++) {
        if (count[d] <= 0)
            return;
        any |= dst_ix && dst_ix[d];
    }
    if (!any) {
        zc_fill_nd(nd, count, dst, dst_strides, value, itemsize);
        return;
    }
    int last = nd - 1;
    int64_t idx[ZC_MAXDIM] = {0};
    for (;;) {
        int64_t doff = 0;
        for (int d = 0; d < last; d++)
            doff += ix_off(dst_ix, dst_strides, d, idx[d]);
        if (!dst_ix[last]) {
            fill_row(dst + doff, dst_strides[last], count[last], value, itemsize);
        } else {
            for (int64_t k = 0; k < count[last]; k++)
                memcpy(dst + doff + ix_off(dst_ix, dst_strides, last, k), value, itemsize);
        }
        int d = last - 1;
        for (; d >= 0; d--) {
            if (++idx[d] < count[d])
                break;
            idx[d] = 0;
        }
        if (d < 0)
            return;
    }
}
