/*
 * secret.c: secrets in pages of their own, kept out of core dumps and swap
 * and wiped on free.  See secret.h for the contract and its limits.
 *
 * Layout of one mapping: the struct wmgw_secret header, then the bytes and
 * their NUL, rounded up to whole pages.
 *
 * Freed one-page mappings are wiped and kept (up to SPARE_MAX) for the
 * next secret instead of unmapped: munmap in a process with many threads
 * makes the kernel flush the TLB of every CPU running one of them, which
 * cost a vault-backed call ~40% of its rate (bench/run-auth) when each
 * call revealed its credential into a fresh mapping.
 *
 * SECURITY
 *      MADV_DONTDUMP is required (Linux >= 3.4): without it a secret could
 *      land in a core file, so we refuse to hand one out.  mlock is best
 *      effort.  The whole mapping is wiped before it is unmapped or kept,
 *      so no byte of a secret survives in the process after free.
 */
#include "auth/secret.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static size_t page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096;
}

#define SPARE_MAX 64 /* wiped one-page mappings kept for reuse */

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct spare {
    void *page;
    bool locked;
} spares[SPARE_MAX];
static size_t nspares;
static pid_t spare_pid; /* a forked child has the pages but not their locks */

/* A kept page (already wiped, so all zero), or NULL. */
static void *take_spare(bool *locked)
{
    void *p = NULL;
    pthread_mutex_lock(&spare_lock);
    if (nspares > 0 && spare_pid == getpid()) {
        nspares--;
        p = spares[nspares].page;
        *locked = spares[nspares].locked;
    }
    pthread_mutex_unlock(&spare_lock);
    return p;
}

static bool keep_spare(void *p, bool locked)
{
    bool kept = false;
    pthread_mutex_lock(&spare_lock);
    if (spare_pid != getpid()) {
        nspares = 0; /* the parent's, after a fork: left alone */
        spare_pid = getpid();
    }
    if (nspares < SPARE_MAX) {
        spares[nspares].page = p;
        spares[nspares].locked = locked;
        nspares++;
        kept = true;
    }
    pthread_mutex_unlock(&spare_lock);
    return kept;
}

int wmgw_secret_new(size_t len, struct wmgw_secret **out, struct wmgw_err *err)
{
    *out = NULL;
    if (len > WMGW_SECRET_MAX)
        return wmgw_err_set(err, WMGW_ETOOBIG, "secret of %zu bytes exceeds the limit of %u", len,
                            WMGW_SECRET_MAX);
    size_t page = page_size();
    size_t need = sizeof(struct wmgw_secret) + len + 1;
    size_t map_len = (need + page - 1) / page * page;
    bool was_locked;
    void *kept = map_len == page ? take_spare(&was_locked) : NULL;
    if (kept != NULL) {
        struct wmgw_secret *s = kept;
        s->map_len = map_len;
        s->locked = was_locked;
        s->data = (unsigned char *)(s + 1);
        s->len = len;
        *out = s;
        return 0;
    }
    void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for a secret of %zu bytes", len);
    if (madvise(p, map_len, MADV_DONTDUMP) != 0) {
        munmap(p, map_len);
        return wmgw_err_set(err, WMGW_EINTERNAL, "cannot exclude secret memory from core dumps");
    }
    struct wmgw_secret *s = p; /* fresh anonymous pages are zero */
    s->map_len = map_len;
    /* The system call itself: sanitizer runtimes replace mlock() with a
     * no-op that reports success, which would make is_locked() lie. */
    s->locked = syscall(SYS_mlock, p, map_len) == 0;
    s->data = (unsigned char *)(s + 1);
    s->len = len;
    *out = s;
    return 0;
}

int wmgw_secret_from_bytes(const void *p, size_t n, struct wmgw_secret **out, struct wmgw_err *err)
{
    int rc = wmgw_secret_new(n, out, err);
    if (rc == 0 && n > 0)
        memcpy((*out)->data, p, n);
    return rc;
}

int wmgw_secret_from_string(const char *s, struct wmgw_secret **out, struct wmgw_err *err)
{
    return wmgw_secret_from_bytes(s, strlen(s), out, err);
}

int wmgw_secret_from_base64(const char *s, size_t n, enum wmgw_base64_alphabet a, struct wmgw_secret **out,
                            struct wmgw_err *err)
{
    *out = NULL;
    if (n / 4 * 3 + 3 > WMGW_SECRET_MAX)
        return wmgw_err_set(err, WMGW_ETOOBIG, "base64 secret too long");
    /* Reserve the whole output first so the decoder never reallocates:
     * a realloc would leave a copy of decoded bytes in freed heap memory. */
    struct wmgw_buf scratch;
    size_t most = n / 4 * 3 + 3;
    wmgw_buf_init(&scratch, most);
    int rc = wmgw_buf_add(&scratch, "", 0);
    if (rc == 0) {
        char zero[256] = {0};
        for (size_t left = most; left > 0 && rc == 0;) {
            size_t k = left < sizeof(zero) ? left : sizeof(zero);
            rc = wmgw_buf_add(&scratch, zero, k);
            left -= k;
        }
        wmgw_buf_reset(&scratch);
    }
    if (rc != 0) {
        wmgw_buf_dispose(&scratch);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory to decode a secret");
    }
    rc = wmgw_base64_decode(&scratch, s, n, a);
    if (rc == 0)
        rc = wmgw_secret_from_bytes(scratch.data, scratch.len, out, err);
    else
        wmgw_err_set(err, WMGW_EINVAL, "secret is not valid base64");
    OPENSSL_cleanse(scratch.data, scratch.cap);
    wmgw_buf_dispose(&scratch);
    return rc;
}

void wmgw_secret_free(struct wmgw_secret *s)
{
    if (s == NULL)
        return;
    size_t map_len = s->map_len;
    bool locked = s->locked;
    OPENSSL_cleanse(s, map_len);
    if (map_len == page_size() && keep_spare(s, locked))
        return;
    if (locked)
        syscall(SYS_munlock, s, map_len);
    munmap(s, map_len);
}

bool wmgw_secret_equal(const struct wmgw_secret *s, const void *p, size_t n)
{
    return s->len == n && (n == 0 || CRYPTO_memcmp(s->data, p, n) == 0);
}

bool wmgw_secret_is_locked(const struct wmgw_secret *s)
{
    return s->locked;
}
