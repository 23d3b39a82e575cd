/* Local-directory file I/O: the implementation of LocalStore and of the
 * engine's local mode alike.
 *
 * Every file is opened relative to the root's directory descriptor and never
 * through a symbolic link that leads out of the root: openat2() with
 * RESOLVE_BENEATH where the kernel has it, else a walk one component at a time
 * (O_NOFOLLOW) that resolves each link itself under the same rule.  A link
 * whose target is absolute, or that climbs above the root, is ZC_EESCAPE.
 * Keys are root-relative ("arr/c/0/1"); callers validate them first.
 *
 * Anything at a key that is not a regular file (a directory, a FIFO, a socket,
 * a device) reads as missing. */
#ifndef ZC_LOCALIO_H
#define ZC_LOCALIO_H

#include <stddef.h>
#include <stdint.h>

#include "zc_common.h"

/* A store root.  Immutable once made, shared by every worker of a request. */
typedef struct zc_root {
    int dirfd;   /* O_DIRECTORY descriptor of the root; owned by the caller */
    int fsync;   /* flush written files and their directories */
    int openat2; /* 1: resolve with openat2(RESOLVE_BENEATH); 0: component walk */
} zc_root;

/* Fill `root`; probes openat2 once on dirfd when allow_openat2 (falls back to
 * the walk when the kernel or a seccomp filter refuses it). */
void zc_root_init(zc_root *root, int dirfd, int fsync, int allow_openat2);

/* Open `key` for reading.  *fd >= 0 and *size on success; *missing = 1 (and
 * *fd = -1) when nothing readable is there. */
int zc_file_open(const zc_root *root, const char *key, int *fd, uint64_t *size, int *missing,
                 zc_err *err);
/* Read up to n bytes at off; *got < n only at end of file. */
int zc_file_pread(int fd, uint8_t *buf, size_t n, uint64_t off, size_t *got, const char *key,
                  zc_err *err);
/* Store data at key through a hidden temp file in the key's directory (made as
 * needed) renamed onto the key.  exclusive: only if nothing is at key;
 * *written says whether it was stored. */
int zc_file_write(const zc_root *root, const char *key, const uint8_t *data, size_t n,
                  int exclusive, int *written, zc_err *err);
/* Remove the file at key; a missing key or a directory is left alone. */
int zc_file_delete(const zc_root *root, const char *key, zc_err *err);
/* ZC_EESCAPE when resolving key would leave the root, else ZC_OK. */
int zc_file_check(const zc_root *root, const char *key, zc_err *err);

/* An exclusive lock on a key held through a hidden lock file beside it.  The
 * lock file exists only while locked: zc_file_unlock removes it. */
typedef struct zc_lock {
    int dirfd;
    int fd;
    char name[256];
} zc_lock;

int zc_file_lock(const zc_root *root, const char *key, zc_lock *lock, zc_err *err);
void zc_file_unlock(zc_lock *lock);

/* Hidden temp-file prefix; stores hide these names when listing. */
#define ZC_TEMP_PREFIX ".zarrc-tmp-"
#define ZC_LOCK_PREFIX ".zarrc-tmp-lock-"

#endif
