/* Local-file chunk I/O done by the engine workers, without the GIL: whole-file
 * reads with a size cap, atomic writes (temp file + rename), deletes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zc_engine.h"

static int io_error(zc_err *err, const char *what, const char *path) {
    int e = errno;
    int code = zc_err_set(err, ZC_EIO, "", "%s %s: %s", what, path, strerror(e));
    if (err)
        err->sys_errno = e;
    return code;
}

/* Open a chunk file for reading: *missing when it does not exist; anything
 * but a regular file (a directory, a FIFO, a device) is an error.  O_NONBLOCK
 * keeps a FIFO from blocking the open. */
static int open_regular(const char *path, int *fd_out, uint64_t *size, int *missing, zc_err *err) {
    *fd_out = -1;
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *missing = 1;
            return ZC_OK;
        }
        return io_error(err, "cannot open", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = io_error(err, "cannot stat", path);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0) {
        close(fd);
        return zc_err_set(err, ZC_EIO, "", "%s is not a regular file", path);
    }
    *fd_out = fd;
    *size = (uint64_t)st.st_size;
    return ZC_OK;
}

int zc_file_read(const char *path, zc_worker *w, size_t maxlen, uint8_t *direct, size_t direct_len,
                 const uint8_t **data, size_t *len, int *missing, zc_err *err) {
    *data = NULL;
    *len = 0;
    int fd;
    uint64_t fsize = 0;
    int rc0 = open_regular(path, &fd, &fsize, missing, err);
    if (rc0 != ZC_OK || *missing)
        return rc0;
    size_t size = (size_t)fsize;
    if (fsize > (uint64_t)maxlen) {
        close(fd);
        return zc_err_set(err, ZC_ECORRUPT, "",
                          "stored chunk %s has %llu bytes, more than any encoding of the chunk "
                          "(at most %zu)",
                          path, (unsigned long long)fsize, maxlen);
    }
    uint8_t *buf = (direct && size == direct_len) ? direct : zc_worker_buf(w, 0, size);
    if (!buf) {
        close(fd);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int rc = io_error(err, "cannot read", path);
            close(fd);
            return rc;
        }
        if (r == 0)
            break; /* file shrank under us: decode what we have, size checks catch it */
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return ZC_OK;
}

int zc_file_read_range(const char *path, zc_worker *w, size_t expect, size_t off, size_t len,
                       const uint8_t **data, int *missing, zc_err *err) {
    *data = NULL;
    if (off > expect || len > expect - off)
        return zc_err_set(err, ZC_EINVAL, "", "range outside the chunk");
    int fd;
    uint64_t fsize = 0;
    int rc0 = open_regular(path, &fd, &fsize, missing, err);
    if (rc0 != ZC_OK || *missing)
        return rc0;
    if (fsize != (uint64_t)expect) {
        close(fd);
        return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk has %llu bytes, expected %zu",
                          (unsigned long long)fsize, expect);
    }
    uint8_t *buf = zc_worker_buf(w, 0, len);
    if (!buf) {
        close(fd);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int rc = io_error(err, "cannot read", path);
            close(fd);
            return rc;
        }
        if (r == 0) {
            close(fd);
            return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk %s shrank while read", path);
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    return ZC_OK;
}

static int make_parents(char *path, zc_err *err) {
    /* path is writable scratch; create every missing directory above the file */
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return ZC_OK;
    *slash = '\0';
    struct stat st;
    int rc = ZC_OK;
    if (stat(path, &st) != 0) {
        rc = make_parents(path, err);
        if (rc == ZC_OK && mkdir(path, 0777) != 0 && errno != EEXIST)
            rc = io_error(err, "cannot create directory", path);
    }
    *slash = '/';
    return rc;
}

static int fsync_dir(const char *path) {
    char dir[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(dir))
        return -1;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int zc_file_write(const char *path, const uint8_t *data, size_t n, int do_fsync, zc_err *err) {
    char tmp[PATH_MAX];
    char parent[PATH_MAX];
    size_t plen = strlen(path);
    const char *slash = strrchr(path, '/');
    if (!slash || plen + 40 >= sizeof(tmp))
        return zc_err_set(err, ZC_EINVAL, "", "chunk path too long: %s", path);
    size_t dlen = (size_t)(slash - path);
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd ^= (uint64_t)(uintptr_t)&rnd;
    snprintf(tmp, sizeof(tmp), "%.*s/" ZC_TEMP_PREFIX "%016llx", (int)dlen, path,
             (unsigned long long)rnd);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT) {
        memcpy(parent, path, plen + 1);
        int rc = make_parents(parent, err);
        if (rc != ZC_OK)
            return rc;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    if (fd < 0)
        return io_error(err, "cannot create", tmp);
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, data + done, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int rc = io_error(err, "cannot write", tmp);
            close(fd);
            unlink(tmp);
            return rc;
        }
        done += (size_t)r;
    }
    if (do_fsync && fsync(fd) != 0) {
        int rc = io_error(err, "cannot fsync", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    if (close(fd) != 0) {
        int rc = io_error(err, "cannot close", tmp);
        unlink(tmp);
        return rc;
    }
    if (rename(tmp, path) != 0) {
        int rc = io_error(err, "cannot rename onto", path);
        unlink(tmp);
        return rc;
    }
    if (do_fsync && fsync_dir(path) != 0)
        return io_error(err, "cannot fsync directory of", path);
    return ZC_OK;
}

int zc_file_delete(const char *path, zc_err *err) {
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        return io_error(err, "cannot delete", path);
    return ZC_OK;
}
