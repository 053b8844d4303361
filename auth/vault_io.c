/*
 * vault_io.c: the vault's files on disk (vault_int.h): reading the vault
 * file whole, telling whether it changed, replacing it atomically, and the
 * lock file that serializes writers across processes.
 *
 *   <path>        the vault; replaced, never rewritten in place
 *   <path>.tmp    the next version while it is written (mode 0600); a
 *                 crash leaves it behind, the next write starts it afresh
 *   <path>.lock   flock(LOCK_EX) by every writer, so replicas sharing a
 *                 volume (flock works over NFSv4 on Linux) do not lose
 *                 each other's changes; never holds data
 *
 * Replacement: write the temp file, fsync it, rename it over the vault,
 * fsync the directory.  A reader sees the old file or the new one, never
 * a mix; after a crash at any point the vault is the old or the new one.
 * Whether a file changed is told by its identity: device, inode (a new
 * one per replacement), size, mtime and ctime in nanoseconds.
 */
#include "auth/vault_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void ident_of(const struct stat *st, struct wmgw__vault_ident *id)
{
    id->present = true;
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime = st->st_mtim;
    id->ctime = st->st_ctim;
}

bool wmgw__vault_ident_same(const struct wmgw__vault_ident *a, const struct wmgw__vault_ident *b)
{
    if (!a->present || !b->present)
        return a->present == b->present;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
           a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int wmgw__vault_stat(const char *path, struct wmgw__vault_ident *out, struct wmgw_err *err)
{
    struct stat st;
    memset(out, 0, sizeof(*out));
    if (stat(path, &st) == 0) {
        ident_of(&st, out);
        return 0;
    }
    if (errno == ENOENT)
        return 0;
    return wmgw_err_set(err, WMGW_ECONFIG, "cannot stat vault file %s: %s", path, strerror(errno));
}

int wmgw__vault_read(const char *path, struct wmgw_buf *out, struct wmgw__vault_ident *ident, struct wmgw_err *err)
{
    memset(ident, 0, sizeof(*ident));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no vault file %s", path);
    if (fd < 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot open vault file %s: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = wmgw_err_set(err, WMGW_ECONFIG, "vault file %s is not a regular file", path);
    else if (st.st_size > (off_t)WMGW_VAULT_MAX_FILE)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "vault file %s is larger than %u bytes", path, WMGW_VAULT_MAX_FILE);
    else
        ident_of(&st, ident);
    char chunk[65536];
    while (rc == 0) {
        ssize_t k = read(fd, chunk, sizeof(chunk));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot read vault file %s: %s", path, strerror(errno));
        if (k <= 0)
            break;
        if (wmgw_buf_add(out, chunk, (size_t)k) != 0)
            rc = wmgw_err_set(err, WMGW_ETOOBIG, "vault file %s grew past %u bytes", path, WMGW_VAULT_MAX_FILE);
    }
    close(fd);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* fsync of the directory that holds path, so the rename is durable. */
static int sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int wmgw__vault_replace(const char *path, const char *data, size_t n, void (*before_rename)(void *), void *arg,
                        struct wmgw_err *err)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return wmgw_err_set(err, WMGW_ECONFIG, "vault path too long");
    /* A temp file left by a crash may have any mode: start afresh. */
    if (unlink(tmp) != 0 && errno != ENOENT)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot remove %s: %s", tmp, strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot create %s: %s", tmp, strerror(errno));
    int rc = 0;
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, n) != 0 || fsync(fd) != 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && before_rename != NULL)
        before_rename(arg);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "cannot replace vault file %s: %s", path, strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    if (sync_dir(path) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot sync the directory of %s: %s", path, strerror(errno));
    return 0;
}

int wmgw__vault_lock(const char *path, int *fd, struct wmgw_err *err)
{
    char lock[4096];
    *fd = -1;
    if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock))
        return wmgw_err_set(err, WMGW_ECONFIG, "vault path too long");
    int f = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot open vault lock file %s: %s", lock, strerror(errno));
    while (flock(f, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(f);
            return wmgw_err_set(err, WMGW_ECONFIG, "cannot lock %s: %s", lock, strerror(e));
        }
    }
    *fd = f;
    return 0;
}

void wmgw__vault_unlock_file(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the only descriptor releases the flock */
}
