/* Local-file I/O beneath a store root (see zc_localio.h): name resolution that
 * never leaves the root, whole-file and ranged reads with a size cap, atomic
 * writes (temp file + rename), deletes and lock files that leave nothing
 * behind.  Used by the engine workers and by LocalStore, without the GIL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zc_engine.h"

#if defined(__linux__) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#else
#define HAVE_OPENAT2 0
#endif

#define MAX_LINKS 40  /* symbolic links followed in one resolution, as the kernel does */
#define MAX_DEPTH 256 /* directories deep below the root during a walk */
#define EAGAIN_TRIES 16

/* ---- errors ------------------------------------------------------------------ */

static int os_error(zc_err *err, const char *what, const char *key, int e) {
    int code = zc_err_set(err, ZC_EIO, "", "%s %s: %s", what, key, strerror(e));
    if (err && err->code == ZC_EIO && err->sys_errno == 0)
        err->sys_errno = e;
    return code;
}

static int escape_error(zc_err *err, const char *key) {
    return zc_err_set(err, ZC_EESCAPE, "",
                      "%s resolves outside the store root through a symbolic link", key);
}

static int status_error(zc_err *err, int rc, const char *key) {
    if (rc == ZC_EESCAPE)
        return escape_error(err, key);
    return zc_err_set(err, rc, "", "out of memory resolving %s", key);
}

/* ---- resolution ---------------------------------------------------------------- */

#if HAVE_OPENAT2
static long sys_openat2(int dirfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
#endif

void zc_root_init(zc_root *root, int dirfd, int fsync, int allow_openat2) {
    root->dirfd = dirfd;
    root->fsync = fsync != 0;
    root->openat2 = 0;
#if HAVE_OPENAT2
    if (allow_openat2) {
        long fd = sys_openat2(dirfd, ".", O_PATH | O_DIRECTORY);
        if (fd >= 0) {
            close((int)fd);
            root->openat2 = 1;
        }
        /* ENOSYS (old kernel), EPERM (seccomp), E2BIG/EINVAL: walk instead */
    }
#else
    (void)allow_openat2;
#endif
}

/* Open `rel` beneath the root with `flags` applying to the last component.
 * Returns ZC_OK with *fd >= 0, or ZC_OK with *fd = -1 and the reason in *eno,
 * or ZC_EESCAPE, or ZC_ENOMEM. */
static int resolve_walk(const zc_root *root, const char *rel, int flags, int *fd_out, int *eno);

static int resolve(const zc_root *root, const char *rel, int flags, int *fd_out, int *eno) {
    *fd_out = -1;
    *eno = 0;
#if HAVE_OPENAT2
    if (root->openat2) {
        for (int tries = 0;; tries++) {
            long fd = sys_openat2(root->dirfd, rel, flags);
            if (fd >= 0) {
                *fd_out = (int)fd;
                return ZC_OK;
            }
            if (errno == EINTR || (errno == EAGAIN && tries < EAGAIN_TRIES))
                continue;
            if (errno == EXDEV)
                return ZC_EESCAPE;
            *eno = errno;
            return ZC_OK;
        }
    }
#endif
    return resolve_walk(root, rel, flags, fd_out, eno);
}

static int resolve_walk(const zc_root *root, const char *rel, int flags, int *fd_out, int *eno) {
    size_t n = strlen(rel);
    char *path = malloc(n + 1);
    if (!path)
        return ZC_ENOMEM;
    memcpy(path, rel, n + 1);
    int stack[MAX_DEPTH];
    int depth = 0, links = 0, rc = ZC_OK;
    size_t pos = 0;
    char name[NAME_MAX + 1];
    char target[PATH_MAX];
    stack[0] = root->dirfd;
    for (;;) {
        while (path[pos] == '/')
            pos++;
        if (path[pos] == '\0') {
            /* the path names the directory reached so far */
            int fd = openat(stack[depth], ".", flags | O_CLOEXEC);
            if (fd < 0)
                *eno = errno;
            else
                *fd_out = fd;
            break;
        }
        size_t end = pos;
        while (path[end] != '\0' && path[end] != '/')
            end++;
        size_t clen = end - pos;
        if (clen > NAME_MAX) {
            *eno = ENAMETOOLONG;
            break;
        }
        memcpy(name, path + pos, clen);
        name[clen] = '\0';
        pos = end;
        int last = 1;
        for (size_t k = end; path[k] != '\0'; k++)
            if (path[k] != '/') {
                last = 0;
                break;
            }
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            if (depth == 0) {
                rc = ZC_EESCAPE;
                break;
            }
            close(stack[depth--]);
            continue;
        }
        int cflags = last ? (flags | O_NOFOLLOW) : (O_PATH | O_DIRECTORY | O_NOFOLLOW);
        int fd = openat(stack[depth], name, cflags | O_CLOEXEC);
        int open_errno = errno;
        if (fd >= 0 && (cflags & O_PATH)) {
            /* O_PATH | O_NOFOLLOW opens a link itself */
            struct stat st;
            if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                close(fd);
                fd = -1;
                open_errno = ELOOP;
            }
        }
        if (fd >= 0) {
            if (last) {
                *fd_out = fd;
                break;
            }
            if (depth + 1 >= MAX_DEPTH) {
                close(fd);
                *eno = ENAMETOOLONG;
                break;
            }
            stack[++depth] = fd;
            continue;
        }
        if (open_errno != ELOOP && open_errno != ENOTDIR) {
            *eno = open_errno;
            break;
        }
        /* a symbolic link here (or not a directory: readlinkat tells) */
        ssize_t tl = readlinkat(stack[depth], name, target, sizeof(target));
        if (tl < 0) {
            *eno = errno == EINVAL ? open_errno : errno;
            break;
        }
        if ((size_t)tl >= sizeof(target)) {
            *eno = ENAMETOOLONG;
            break;
        }
        if (++links > MAX_LINKS) {
            *eno = ELOOP;
            break;
        }
        if (tl == 0) {
            *eno = ENOENT;
            break;
        }
        if (target[0] == '/') {
            rc = ZC_EESCAPE;
            break;
        }
        /* continue with the link's target followed by the rest of the path,
         * from the directory holding the link */
        size_t rest = strlen(path + pos), need;
        if (zc_add_ovf((size_t)tl, rest + 1, &need)) {
            *eno = ENAMETOOLONG;
            break;
        }
        char *spliced = malloc(need);
        if (!spliced) {
            rc = ZC_ENOMEM;
            break;
        }
        memcpy(spliced, target, (size_t)tl);
        memcpy(spliced + tl, path + pos, rest + 1);
        free(path);
        path = spliced;
        pos = 0;
    }
    while (depth > 0)
        close(stack[depth--]);
    free(path);
    return rc;
}

/* The directory `dir` (root-relative, mutable scratch) opened for *at calls,
 * creating missing directories when `create`.  *dfd = -1 with *eno on failure. */
static int open_dir(const zc_root *root, char *dir, int create, int *dfd, int *eno) {
    int rc = resolve(root, dir, O_RDONLY | O_DIRECTORY, dfd, eno);
    if (rc != ZC_OK || *dfd >= 0 || !create || *eno != ENOENT)
        return rc;
    char *slash = strrchr(dir, '/');
    int parent = root->dirfd;
    if (slash) {
        *slash = '\0';
        rc = open_dir(root, dir, 1, &parent, eno);
        *slash = '/';
        if (rc != ZC_OK || parent < 0)
            return rc;
    }
    const char *leaf = slash ? slash + 1 : dir;
    int made = mkdirat(parent, leaf, 0777) == 0;
    int e = errno;
    if (made && root->fsync)
        fsync(parent);
    if (slash)
        close(parent);
    if (!made && e != EEXIST) {
        *eno = e;
        return ZC_OK;
    }
    return resolve(root, dir, O_RDONLY | O_DIRECTORY, dfd, eno);
}

/* The directory holding key's last component: *dfd (owned when *owned) and
 * *name, pointing into `scratch` (a copy of key the caller frees). */
typedef struct parent_dir {
    char *scratch;
    const char *name;
    int dfd;
    int owned;
} parent_dir;

static void parent_close(parent_dir *p) {
    if (p->owned && p->dfd >= 0)
        close(p->dfd);
    free(p->scratch);
    p->scratch = NULL;
    p->dfd = -1;
}

/* ZC_OK with p->dfd >= 0, or ZC_OK with p->dfd = -1 and *eno, or an error. */
static int parent_open(const zc_root *root, const char *key, int create, parent_dir *p, int *eno,
                       zc_err *err) {
    memset(p, 0, sizeof(*p));
    p->dfd = -1;
    *eno = 0;
    size_t n = strlen(key);
    p->scratch = malloc(n + 1);
    if (!p->scratch)
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    memcpy(p->scratch, key, n + 1);
    char *slash = strrchr(p->scratch, '/');
    p->name = slash ? slash + 1 : p->scratch;
    if (strlen(p->name) > NAME_MAX)
        return os_error(err, "cannot use", key, ENAMETOOLONG);
    if (!slash) {
        p->dfd = root->dirfd;
        return ZC_OK;
    }
    *slash = '\0';
    int rc = open_dir(root, p->scratch, create, &p->dfd, eno);
    p->owned = p->dfd >= 0;
    if (rc != ZC_OK)
        return status_error(err, rc, key);
    return ZC_OK;
}

/* Refuse to replace or remove a link at key that leads out of the root. */
static int check_final_link(const zc_root *root, const parent_dir *p, const char *key,
                            zc_err *err) {
    struct stat st;
    if (fstatat(p->dfd, p->name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
        return ZC_OK;
    return zc_file_check(root, key, err);
}

int zc_file_check(const zc_root *root, const char *key, zc_err *err) {
    int fd, eno;
    int rc = resolve(root, key, O_PATH, &fd, &eno);
    if (fd >= 0)
        close(fd);
    if (rc != ZC_OK)
        return status_error(err, rc, key);
    return ZC_OK;
}

/* ---- reads ---------------------------------------------------------------------- */

int zc_file_open(const zc_root *root, const char *key, int *fd_out, uint64_t *size, int *missing,
                 zc_err *err) {
    *fd_out = -1;
    *missing = 0;
    *size = 0;
    int fd, eno;
    /* O_NONBLOCK: a FIFO must not block the open */
    int rc = resolve(root, key, O_RDONLY | O_NONBLOCK, &fd, &eno);
    if (rc != ZC_OK)
        return status_error(err, rc, key);
    if (fd < 0) {
        if (eno == ENOENT || eno == ENOTDIR || eno == ENXIO) {
            *missing = 1;
            return ZC_OK;
        }
        return os_error(err, "cannot open", key, eno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return os_error(err, "cannot stat", key, e);
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0) {
        close(fd);
        *missing = 1;
        return ZC_OK;
    }
    *fd_out = fd;
    *size = (uint64_t)st.st_size;
    return ZC_OK;
}

int zc_file_pread(int fd, uint8_t *buf, size_t n, uint64_t off, size_t *got_out, const char *key,
                  zc_err *err) {
    size_t got = 0;
    *got_out = 0;
    while (got < n) {
        uint64_t at;
        if (__builtin_add_overflow(off, (uint64_t)got, &at) || at > (uint64_t)INT64_MAX)
            break;
        ssize_t r = pread(fd, buf + got, n - got, (off_t)at);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return os_error(err, "cannot read", key, errno);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *got_out = got;
    return ZC_OK;
}

int zc_local_read(const zc_root *root, const char *key, zc_worker *w, size_t maxlen,
                  uint8_t *direct, size_t direct_len, const uint8_t **data, size_t *len,
                  int *missing, zc_err *err) {
    *data = NULL;
    *len = 0;
    int fd;
    uint64_t fsize = 0;
    int rc = zc_file_open(root, key, &fd, &fsize, missing, err);
    if (rc != ZC_OK || *missing)
        return rc;
    if (fsize > (uint64_t)maxlen) {
        close(fd);
        return zc_err_set(err, ZC_ECORRUPT, "",
                          "stored chunk %s has %llu bytes, more than any encoding of the chunk "
                          "(at most %zu)",
                          key, (unsigned long long)fsize, maxlen);
    }
    size_t size = (size_t)fsize;
    uint8_t *buf = (direct && size == direct_len) ? direct : zc_worker_buf(w, 0, size);
    if (!buf) {
        close(fd);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory reading %s", key);
    }
    /* a file that shrank under us: decode what we have, size checks catch it */
    size_t got = 0;
    rc = zc_file_pread(fd, buf, size, 0, &got, key, err);
    close(fd);
    if (rc != ZC_OK)
        return rc;
    *data = buf;
    *len = got;
    return ZC_OK;
}

int zc_local_read_range(const zc_root *root, const char *key, zc_worker *w, size_t expect,
                        size_t off, size_t len, const uint8_t **data, int *missing, zc_err *err) {
    *data = NULL;
    if (off > expect || len > expect - off)
        return zc_err_set(err, ZC_EINVAL, "", "range outside the chunk");
    int fd;
    uint64_t fsize = 0;
    int rc = zc_file_open(root, key, &fd, &fsize, missing, err);
    if (rc != ZC_OK || *missing)
        return rc;
    if (fsize != (uint64_t)expect) {
        close(fd);
        return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk has %llu bytes, expected %zu",
                          (unsigned long long)fsize, expect);
    }
    uint8_t *buf = zc_worker_buf(w, 0, len);
    if (!buf) {
        close(fd);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory reading %s", key);
    }
    size_t got = 0;
    rc = zc_file_pread(fd, buf, len, off, &got, key, err);
    close(fd);
    if (rc != ZC_OK)
        return rc;
    if (got != len)
        return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk %s shrank while read", key);
    *data = buf;
    return ZC_OK;
}

/* ---- writes ----------------------------------------------------------------------- */

static void temp_name(char *buf, size_t cap) {
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd ^= (uint64_t)(uintptr_t)buf ^ (uint64_t)getpid() << 32;
    snprintf(buf, cap, ZC_TEMP_PREFIX "%016llx", (unsigned long long)rnd);
}

static int link_unsupported(int e) {
    return e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK || e == ENOSYS ||
           e == EXDEV;
}

int zc_file_write(const zc_root *root, const char *key, const uint8_t *data, size_t n,
                  int exclusive, int *written, zc_err *err) {
    *written = 0;
    parent_dir p;
    int eno;
    int rc = parent_open(root, key, 1, &p, &eno, err);
    if (rc != ZC_OK)
        goto done;
    if (p.dfd < 0) {
        rc = os_error(err, "cannot create the directory of", key, eno);
        goto done;
    }
    rc = check_final_link(root, &p, key, err);
    if (rc != ZC_OK)
        goto done;
    char tmp[64];
    temp_name(tmp, sizeof(tmp));
    int fd = openat(p.dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = os_error(err, "cannot create a temp file for", key, errno);
        goto done;
    }
    size_t done_n = 0;
    while (done_n < n) {
        ssize_t r = write(fd, data + done_n, n - done_n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = os_error(err, "cannot write", key, errno);
            break;
        }
        done_n += (size_t)r;
    }
    if (rc == ZC_OK && root->fsync && fsync(fd) != 0)
        rc = os_error(err, "cannot fsync", key, errno);
    if (close(fd) != 0 && rc == ZC_OK)
        rc = os_error(err, "cannot close", key, errno);
    int moved = 0;
    if (rc == ZC_OK && exclusive) {
        if (linkat(p.dfd, tmp, p.dfd, p.name, 0) == 0) {
            *written = 1;
        } else if (errno == EEXIST) {
            *written = 0;
        } else if (link_unsupported(errno)) {
            struct stat st;
            if (fstatat(p.dfd, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                *written = 0;
            } else if (renameat(p.dfd, tmp, p.dfd, p.name) == 0) {
                *written = moved = 1;
            } else {
                rc = os_error(err, "cannot write", key, errno);
            }
        } else {
            rc = os_error(err, "cannot write", key, errno);
        }
    } else if (rc == ZC_OK) {
        if (renameat(p.dfd, tmp, p.dfd, p.name) == 0)
            *written = moved = 1;
        else
            rc = os_error(err, "cannot write", key, errno);
    }
    if (!moved)
        unlinkat(p.dfd, tmp, 0);
    if (rc == ZC_OK && *written && root->fsync && fsync(p.dfd) != 0)
        rc = os_error(err, "cannot fsync the directory of", key, errno);
done:
    parent_close(&p);
    return rc;
}

int zc_file_delete(const zc_root *root, const char *key, zc_err *err) {
    parent_dir p;
    int eno;
    int rc = parent_open(root, key, 0, &p, &eno, err);
    if (rc != ZC_OK)
        goto done;
    if (p.dfd < 0) {
        if (eno != ENOENT && eno != ENOTDIR)
            rc = os_error(err, "cannot delete", key, eno);
        goto done;
    }
    struct stat st;
    if (fstatat(p.dfd, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = os_error(err, "cannot delete", key, errno);
        goto done;
    }
    if (S_ISDIR(st.st_mode))
        goto done; /* not a key: left alone */
    if (S_ISLNK(st.st_mode) && (rc = zc_file_check(root, key, err)) != ZC_OK)
        goto done;
    if (unlinkat(p.dfd, p.name, 0) != 0 && errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
        rc = os_error(err, "cannot delete", key, errno);
done:
    parent_close(&p);
    return rc;
}

/* ---- locks --------------------------------------------------------------------------- */

/* Lock, then check the locked file is still the one at the path: a holder
 * unlinks the file before unlocking, so a waiter that wakes on an unlinked
 * file starts over.  At most one file is at the path and only its holder
 * removes it, so holders exclude each other and no file stays behind. */
int zc_file_lock(const zc_root *root, const char *key, zc_lock *lock, zc_err *err) {
    lock->dirfd = -1;
    lock->fd = -1;
    lock->name[0] = '\0';
    parent_dir p;
    int eno;
    int rc = parent_open(root, key, 1, &p, &eno, err);
    if (rc != ZC_OK)
        goto done;
    if (p.dfd < 0) {
        rc = os_error(err, "cannot create the directory of", key, eno);
        goto done;
    }
    size_t nlen = strlen(p.name);
    if (nlen + sizeof(ZC_LOCK_PREFIX) - 1 > NAME_MAX) {
        rc = os_error(err, "cannot lock", key, ENAMETOOLONG);
        goto done;
    }
    snprintf(lock->name, sizeof(lock->name), ZC_LOCK_PREFIX "%s", p.name);
    int dfd = p.owned ? p.dfd : fcntl(p.dfd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0) {
        rc = os_error(err, "cannot lock", key, errno);
        goto done;
    }
    p.owned = 0;
    lock->dirfd = dfd;
    for (;;) {
        int fd = openat(dfd, lock->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            rc = os_error(err, "cannot create the lock file of", key, errno);
            break;
        }
        int locked;
        while ((locked = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
        }
        if (locked != 0) {
            rc = os_error(err, "cannot lock", key, errno);
            close(fd);
            break;
        }
        struct stat held, now;
        if (fstat(fd, &held) != 0) {
            rc = os_error(err, "cannot lock", key, errno);
            close(fd);
            break;
        }
        if (fstatat(dfd, lock->name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == held.st_ino &&
            now.st_dev == held.st_dev) {
            lock->fd = fd;
            break;
        }
        close(fd); /* removed by the previous holder: try again */
    }
    if (rc != ZC_OK) {
        close(dfd);
        lock->dirfd = -1;
    }
done:
    parent_close(&p);
    return rc;
}

void zc_file_unlock(zc_lock *lock) {
    if (lock->fd >= 0) {
        unlinkat(lock->dirfd, lock->name, 0);
        flock(lock->fd, LOCK_UN);
        close(lock->fd);
    }
    if (lock->dirfd >= 0)
        close(lock->dirfd);
    lock->fd = -1;
    lock->dirfd = -1;
}
