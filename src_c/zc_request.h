/* Internal to the engine: one request in flight, shared by the block,
 * coordinate and sharded request code.  Not part of the engine's API. */
#ifndef ZC_REQUEST_H
#define ZC_REQUEST_H

#include <pthread.h>
#include <stdatomic.h>

#include "zc_engine.h"

typedef struct request {
    const zc_plan *plan;
    const zc_chain *chain;
    const zc_io *io;
    uint8_t *out;           /* read destination, or NULL */
    const uint8_t *value;   /* write source, or NULL */
    const int64_t *strides; /* of out / value */
    int write_empty;
    zc_write_out *wout;
    void *extra; /* per-kind state (sharded reads) */
    atomic_int failed;
    pthread_mutex_t mu;
    zc_err err;
} request;

/* Decode one stored chunk: the result (encoded layout, stored byte order,
 * exactly ch->nbytes) is left in `direct` when given, else in a worker
 * buffer, or is src itself when no codec transforms the bytes. */
int zc_chunk_decode(const zc_chain *ch, zc_worker *w, const uint8_t *src, size_t n, uint8_t *direct,
                    const uint8_t **out, zc_err *err);
/* Encode the chunk in `chunk` (ch->nbytes, encoded layout). */
int zc_chunk_encode(const zc_chain *ch, zc_worker *w, const uint8_t *chunk, const uint8_t **out,
                    size_t *out_n, zc_err *err);

/* Name of a bytes-to-bytes codec kind ("zstd", ...). */
const char *zc_codec_name(int kind);
/* The codec that first reads a chunk's stored bytes: the outermost one. */
static inline const char *zc_outer_codec(const zc_chain *ch) {
    return ch->n_b2b ? zc_codec_name(ch->b2b[ch->n_b2b - 1].kind) : "bytes";
}

/* Record the first failure of a request (chunk: plan chunk index). */
void zc_req_fail(request *r, const zc_err *e, int64_t chunk);
/* File name of the chunk (or shard) at grid coordinates `coords`. */
int zc_req_chunk_path(const request *r, const int64_t *coords, char *buf, size_t cap, zc_err *err);
/* zc_chunk_decode, rejecting an uncompressed chunk of the wrong size first. */
int zc_req_decode_stored(const zc_chain *ch, zc_worker *w, const uint8_t *enc, size_t enc_n,
                         uint8_t *direct, const uint8_t **dec, zc_err *err);
/* Scatter the stored bytes of plan chunk i (or the fill value when missing)
 * into the request's output.  Block and coordinate plans alike. */
int zc_req_deliver(request *r, int64_t i, zc_worker *w, const uint8_t *enc, size_t enc_n,
                   int missing, zc_err *err);
/* Run ntasks tasks of fn over the request and collect its error. */
int zc_req_run(zc_pool *pool, request *r, zc_task_fn fn, int64_t ntasks, zc_err *err);

#endif
