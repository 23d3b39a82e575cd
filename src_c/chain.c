/* Prepared codec chains: the sizes every decode is capped by (derived from
 * the array metadata, never from stored data), and whole-chunk decode and
 * encode through the bytes-to-bytes kernels. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "codecs_internal.h"
#include "zc_request.h"

/* ---- chains --------------------------------------------------------------- */

int zc_chain_init(zc_chain *ch, int ndim, const int64_t *chunk_shape, size_t itemsize, int swap,
                  const int *order, int n_b2b, const zc_b2b_codec *b2b, const uint8_t *fill_native,
                  zc_err *err) {
    memset(ch, 0, sizeof(*ch));
    if (ndim < 0 || ndim > ZC_MAXDIM || n_b2b < 0 || n_b2b > ZC_MAX_B2B || itemsize == 0)
        return zc_err_set(err, ZC_EINVAL, "", "unsupported chain (ndim %d, %d codecs)", ndim,
                          n_b2b);
    ch->ndim = ndim;
    ch->itemsize = itemsize;
    ch->swap = (swap > 1 && (size_t)swap <= itemsize) ? swap : 0;
    size_t n = itemsize;
    for (int d = 0; d < ndim; d++) {
        if (chunk_shape[d] <= 0)
            return zc_err_set(err, ZC_EINVAL, "", "chunk dimension %d is not positive", d);
        ch->chunk_shape[d] = chunk_shape[d];
        if (zc_mul_ovf(n, (size_t)chunk_shape[d], &n) || n > (size_t)INT64_MAX)
            return zc_err_set(err, ZC_EOVERFLOW, "", "chunk size overflows");
    }
    ch->nbytes = n;
    /* encoded layout: C order over the transposed shape */
    int ord[ZC_MAXDIM];
    int seen[ZC_MAXDIM] = {0};
    for (int i = 0; i < ndim; i++) {
        ord[i] = order ? order[i] : i;
        if (ord[i] < 0 || ord[i] >= ndim || seen[ord[i]]++)
            return zc_err_set(err, ZC_EINVAL, "transpose", "order is not a permutation");
        if (ord[i] != i)
            ch->transposed = 1;
        ch->order[i] = ord[i];
    }
    int64_t s = (int64_t)itemsize;
    for (int i = ndim - 1; i >= 0; i--) {
        ch->strides[ord[i]] = s;
        s *= chunk_shape[ord[i]];
    }
    ch->n_b2b = n_b2b;
    ch->bound[0] = n;
    for (int i = 0; i < n_b2b; i++) {
        ch->b2b[i] = b2b[i];
        ch->bound[i + 1] = zc_b2b_encoded_bound(&b2b[i], ch->bound[i]);
        if (ch->bound[i + 1] == 0)
            return zc_err_set(err, ZC_EOVERFLOW, "", "encoded chunk size bound overflows");
    }
    size_t top = ch->bound[n_b2b];
    if (n_b2b == 0) {
        ch->max_encoded = top;
    } else if (zc_add_ovf(top, top / 8 + 4096, &ch->max_encoded)) {
        ch->max_encoded = SIZE_MAX;
    }
    ch->fill = malloc(itemsize);
    ch->fill_native = malloc(itemsize);
    if (!ch->fill || !ch->fill_native) {
        zc_chain_free(ch);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    }
    memcpy(ch->fill_native, fill_native, itemsize);
    memcpy(ch->fill, fill_native, itemsize);
    if (ch->swap)
        zc_byteswap(ch->fill, itemsize, ch->swap);
    return ZC_OK;
}

void zc_chain_free(zc_chain *ch) {
    free(ch->fill);
    free(ch->fill_native);
    ch->fill = ch->fill_native = NULL;
}

const char *zc_codec_name(int kind) {
    const char *name = zc_b2b_name(kind);
    return name ? name : "?";
}

/* Decode one stored chunk.  The result (encoded layout, stored byte order,
 * exactly ch->nbytes) is left at *out: in `direct` when given, else in a
 * worker buffer, or src itself when no codec transforms the bytes. */
int zc_chunk_decode(const zc_chain *ch, zc_worker *w, const uint8_t *src, size_t n, uint8_t *direct,
                    const uint8_t **out, zc_err *err) {
    const uint8_t *cur = src;
    for (int i = ch->n_b2b - 1; i >= 0; i--) {
        const zc_b2b_codec *c = &ch->b2b[i];
        const zc_b2b_entry *e = zc_b2b_lookup(c->kind);
        if (e && e->check) {
            /* verify in place: no copy for a trailing checksum */
            int rc = e->check(cur, n, &n, err);
            if (rc != ZC_OK)
                return rc;
            continue;
        }
        uint8_t *dst;
        if (i == 0 && direct) {
            dst = direct;
        } else {
            int k = (cur == w->buf[1]) ? 2 : 1;
            dst = zc_worker_buf(w, k, ch->bound[i]);
            if (!dst)
                return zc_err_set(err, ZC_ENOMEM, zc_codec_name(c->kind), "out of memory");
        }
        size_t got = 0;
        int rc = zc_b2b_decode(w->codec, c, cur, n, dst, ch->bound[i], &got, err);
        if (rc != ZC_OK)
            return rc;
        cur = dst;
        n = got;
    }
    if (n != ch->nbytes)
        return zc_err_set(err, ZC_ESIZE, ch->n_b2b ? zc_codec_name(ch->b2b[0].kind) : "bytes",
                          "decoded chunk has %zu bytes, expected %zu", n, ch->nbytes);
    if (direct && cur != direct)
        memcpy(direct, cur, n);
    *out = direct ? direct : cur;
    return ZC_OK;
}

/* Encode the chunk in `chunk` (ch->nbytes, encoded layout).  The result is
 * chunk itself or a worker buffer. */
int zc_chunk_encode(const zc_chain *ch, zc_worker *w, const uint8_t *chunk, const uint8_t **out,
                    size_t *out_n, zc_err *err) {
    const uint8_t *cur = chunk;
    size_t n = ch->nbytes;
    for (int i = 0; i < ch->n_b2b; i++) {
        const zc_b2b_codec *c = &ch->b2b[i];
        int k = (cur == w->buf[1]) ? 2 : 1;
        uint8_t *dst = zc_worker_buf(w, k, ch->bound[i + 1]);
        if (!dst)
            return zc_err_set(err, ZC_ENOMEM, zc_codec_name(c->kind), "out of memory");
        size_t got = 0;
        int rc = zc_b2b_encode(w->codec, c, cur, n, dst, ch->bound[i + 1], &got, err);
        if (rc != ZC_OK)
            return rc;
        cur = dst;
        n = got;
    }
    *out = cur;
    *out_n = n;
    return ZC_OK;
}
