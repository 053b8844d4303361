/*
 * secret.h: memory for secrets (backend passwords, keytabs, private keys,
 * the vault's master key and the keys derived from it).
 *
 * A `struct wmgw_secret` is a byte string that lives, header and bytes
 * together, in pages of its own obtained with mmap:
 *
 *   - marked MADV_DONTDUMP, so a core dump of the process leaves them out
 *     (a secret whose pages cannot be marked is refused, not handed out);
 *   - mlock'ed where the process may (RLIMIT_MEMLOCK), so they are not
 *     written to swap; when mlock is refused the secret still works and
 *     wmgw_secret_is_locked() says so;
 *   - wiped with OPENSSL_cleanse by wmgw_secret_free(), then unmapped, or
 *     kept for the next secret (one-page secrets, a few dozen of them).
 *
 * One mapping per secret costs a page (4 KiB) and four system calls when it
 * is new; a vault-backed call reveals its credential every time, so freed
 * pages are reused rather than unmapped (secret.c says why).
 *
 * SECURITY
 *      This protects the copies that wmgw makes on purpose.  It cannot
 *      protect copies made by others: the HTTP body or header a password
 *      arrived in, a JSON document parsed by jansson, OpenSSL's transient
 *      key schedules (OpenSSL clears those when it frees them), CPU
 *      registers and the stack frames of the functions a secret passes
 *      through.  Callers that hold a secret in ordinary memory wipe it
 *      themselves (OPENSSL_cleanse) as soon as it has been copied here.
 *      The bytes are followed by one NUL that is not counted in len, so a
 *      password can be used as a C string without another copy.
 */
#ifndef WMGW_AUTH_SECRET_H
#define WMGW_AUTH_SECRET_H

#include "util/base64.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define WMGW_SECRET_MAX (16u << 20) /* bytes in one secret */

struct wmgw_secret {
    unsigned char *data; /* len bytes, then a NUL; inside the secret's pages */
    size_t len;
    size_t map_len; /* private: the size of the mapping */
    bool locked;    /* private: mlock succeeded */
};

/* A secret of len zero bytes.  WMGW_ETOOBIG past WMGW_SECRET_MAX,
 * WMGW_ENOMEM when no pages, WMGW_EINTERNAL when they cannot be kept out
 * of core dumps. */
int wmgw_secret_new(size_t len, struct wmgw_secret **out, struct wmgw_err *err);

/* Copies p[0..n) (or the string s) into a new secret.  The source is the
 * caller's to wipe. */
int wmgw_secret_from_bytes(const void *p, size_t n, struct wmgw_secret **out, struct wmgw_err *err);
int wmgw_secret_from_string(const char *s, struct wmgw_secret **out, struct wmgw_err *err);

/* Decodes base64 (util/base64.h rules) into a new secret; the decoder's
 * scratch buffer is wiped before it is freed.  WMGW_EINVAL on bad text
 * (the message does not quote it). */
int wmgw_secret_from_base64(const char *s, size_t n, enum wmgw_base64_alphabet a, struct wmgw_secret **out,
                            struct wmgw_err *err);

/* Wipes, unlocks and unmaps.  NULL is fine. */
void wmgw_secret_free(struct wmgw_secret *s);

/* Whether s holds exactly p[0..n).  The time taken depends on the lengths,
 * never on the content. */
bool wmgw_secret_equal(const struct wmgw_secret *s, const void *p, size_t n);

/* Whether the pages are locked in RAM (false when RLIMIT_MEMLOCK said no). */
bool wmgw_secret_is_locked(const struct wmgw_secret *s);

#endif
