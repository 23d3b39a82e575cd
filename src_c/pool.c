/* A persistent pthread pool.  One request runs at a time on the workers;
 * a concurrent request from another thread runs on its own caller instead
 * of waiting, so many Python threads (dask) still make progress.  The pool
 * remembers the pid that made it: after fork() the child sees it as invalid
 * and makes a new one, so a forked child never waits on parent threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "zc_engine.h"

struct zc_pool {
    pid_t pid;
    int nthreads; /* workers including the caller */
    pthread_t *threads;
    zc_worker *workers;     /* nthreads states; [0] is the caller's */
    pthread_mutex_t run_mu; /* held by the request using the workers */
    pthread_mutex_t mu;
    pthread_cond_t cv_work;
    pthread_cond_t cv_done;
    uint64_t generation;
    int shutdown;
    int busy; /* workers still in the current job */
    zc_task_fn fn;
    void *arg;
    int64_t ntasks;
    _Atomic int64_t next;
};

uint8_t *zc_worker_buf(zc_worker *w, int k, size_t n) {
    if (n == 0)
        n = 1;
    if (w->cap[k] < n) {
        free(w->buf[k]);
        w->buf[k] = malloc(n);
        w->cap[k] = w->buf[k] ? n : 0;
    }
    return w->buf[k];
}

void zc_worker_release(zc_worker *w) {
    for (int k = 0; k < 4; k++) {
        free(w->buf[k]);
        w->buf[k] = NULL;
        w->cap[k] = 0;
    }
    if (w->codec)
        zc_codec_ctx_free(w->codec);
    w->codec = NULL;
}

static void drain(zc_pool *p, zc_worker *w) {
    for (;;) {
        int64_t t = atomic_fetch_add(&p->next, 1);
        if (t >= p->ntasks)
            return;
        p->fn(p->arg, t, w);
    }
}

typedef struct {
    zc_pool *pool;
    int index;
} worker_arg;

static void *worker_main(void *varg) {
    worker_arg a = *(worker_arg *)varg;
    free(varg);
    zc_pool *p = a.pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->shutdown && p->generation == seen)
            pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->shutdown)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        drain(p, &p->workers[a.index]);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->cv_done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

zc_pool *zc_pool_new(int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > 1024)
        nthreads = 1024;
    zc_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->pid = getpid();
    p->workers = calloc((size_t)nthreads, sizeof(zc_worker));
    p->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    if (!p->workers || !p->threads)
        goto fail;
    pthread_mutex_init(&p->run_mu, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->nthreads = 1;
    for (int i = 1; i < nthreads; i++) {
        worker_arg *a = malloc(sizeof(*a));
        if (!a)
            break;
        a->pool = p;
        a->index = i;
        if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0) {
            free(a);
            break;
        }
        p->nthreads++;
    }
    return p;
fail:
    free(p->workers);
    free(p->threads);
    free(p);
    return NULL;
}

int zc_pool_valid(const zc_pool *pool) { return pool && pool->pid == getpid(); }

int zc_pool_threads(const zc_pool *pool) { return pool->nthreads; }

void zc_pool_free(zc_pool *p) {
    if (!p)
        return;
    if (zc_pool_valid(p)) {
        pthread_mutex_lock(&p->mu);
        p->shutdown = 1;
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i < p->nthreads; i++)
            pthread_join(p->threads[i], NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_mutex_destroy(&p->run_mu);
        pthread_cond_destroy(&p->cv_work);
        pthread_cond_destroy(&p->cv_done);
    }
    for (int i = 0; i < p->nthreads; i++)
        zc_worker_release(&p->workers[i]);
    free(p->workers);
    free(p->threads);
    free(p);
}

static int ensure_codec(zc_worker *w) {
    if (!w->codec)
        w->codec = zc_codec_ctx_new();
    return w->codec != NULL;
}

int zc_pool_run(zc_pool *p, int64_t ntasks, zc_task_fn fn, void *arg) {
    if (ntasks <= 0)
        return ZC_OK;
    if (pthread_mutex_trylock(&p->run_mu) != 0) {
        /* another request owns the workers: run ours on this thread */
        zc_worker w = {0};
        if (!ensure_codec(&w))
            return ZC_ENOMEM;
        for (int64_t t = 0; t < ntasks; t++)
            fn(arg, t, &w);
        zc_worker_release(&w);
        return ZC_OK;
    }
    for (int i = 0; i < p->nthreads; i++) {
        if (!ensure_codec(&p->workers[i])) {
            pthread_mutex_unlock(&p->run_mu);
            return ZC_ENOMEM;
        }
    }
    if (ntasks == 1 || p->nthreads == 1) {
        for (int64_t t = 0; t < ntasks; t++)
            fn(arg, t, &p->workers[0]);
        pthread_mutex_unlock(&p->run_mu);
        return ZC_OK;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->ntasks = ntasks;
    atomic_store(&p->next, 0);
    p->busy = p->nthreads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    drain(p, &p->workers[0]);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run_mu);
    return ZC_OK;
}
