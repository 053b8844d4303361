/*
 * passhash.h: the passwords of gateway users (HTTP Basic), stored only as
 * scrypt hashes, and a cache that spares scrypt on every request.
 *
 * Stored form (PHC string format, base64 in the standard alphabet without
 * padding, as the PHC format specifies):
 *
 *     $scrypt$ln=15,r=8,p=1$<salt: 16 bytes>$<hash: 32 bytes>
 *
 * ln is log2(N).  The defaults, N = 2^15, r = 8, p = 1, take 32 MiB and
 * about 0.1 s of one core per verification: RFC 7914's interactive-login
 * class, sized for a server whose worker threads may each run one at a
 * time.  Heavier settings (OWASP suggests N = 2^17) can be chosen with
 * wmgw_passhash_params; the verification cache below is what keeps any of
 * them off the per-request path.
 *
 * Stored strings are parsed strictly (one spelling per hash: decimal
 * without leading zeros, parameters in the order ln, r, p, canonical
 * base64) and their cost is bounded: at most WMGW_PASSHASH_MAX_MEMORY
 * bytes (128 * r * N) and WMGW_PASSHASH_MAX_WORK for N * r * p, so a
 * hostile configuration cannot make one verification take seconds or
 * gigabytes; weaker than N = 2^14 is refused as too weak to keep.
 *
 * SECURITY
 *      Hash and verify run scrypt through OpenSSL 3's EVP_KDF "SCRYPT".
 *      Salts come from RAND_bytes.  Comparison is constant-time
 *      (CRYPTO_memcmp).  Passwords are never copied by this module and
 *      never appear in error messages (OpenSSL copies one into its KDF
 *      context for the duration of a call and clears it on free).
 *
 *      The cache maps HMAC-SHA256(K, user || 0 || password) to "verified
 *      until T", where K is 32 random bytes made per cache; it never holds
 *      a password.  K and the table live in secret memory (auth/secret.h):
 *      with K, an entry would allow a cheap offline guess of the password,
 *      so neither may reach a core dump.  Each entry also remembers a
 *      digest of the stored hash it was verified against, so a changed
 *      password hash invalidates it at once.  Only successes are cached.
 *      Rate limiting failed attempts is the gateway's job.
 */
#ifndef WMGW_AUTH_PASSHASH_H
#define WMGW_AUTH_PASSHASH_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

#define WMGW_PASSHASH_MAX_STRING 256         /* a stored string, in bytes */
#define WMGW_PASSHASH_MAX_PASSWORD 4096      /* bytes of a password */
#define WMGW_PASSHASH_MIN_LN 14              /* N = 2^14 at least */
#define WMGW_PASSHASH_MAX_LN 20
#define WMGW_PASSHASH_MAX_R 32
#define WMGW_PASSHASH_MAX_P 16
#define WMGW_PASSHASH_MAX_MEMORY (128u << 20) /* 128 * r * N bytes */
#define WMGW_PASSHASH_MAX_WORK (1u << 21)     /* N * r * p: 2^21 = 8 x the default */
#define WMGW_PASSHASH_SALT_LEN 16             /* what we write; 8..64 accepted */
#define WMGW_PASSHASH_HASH_LEN 32             /* what we write; 16..64 accepted */
#define WMGW_PASSHASH_MAX_BYTES 64

struct wmgw_passhash_params {
    unsigned ln; /* log2(N) */
    unsigned r;
    unsigned p;
};

/* N = 2^15, r = 8, p = 1. */
extern const struct wmgw_passhash_params wmgw_passhash_defaults;

/* A parsed stored string. */
struct wmgw_passhash {
    struct wmgw_passhash_params params;
    uint8_t salt[WMGW_PASSHASH_MAX_BYTES];
    size_t salt_len;
    uint8_t hash[WMGW_PASSHASH_MAX_BYTES];
    size_t hash_len;
};

/* Hashes password[0..len) with a fresh salt and writes the stored string
 * (NUL-terminated) into out[0..cap); cap >= WMGW_PASSHASH_MAX_STRING always
 * suffices.  params NULL means the defaults; params outside the limits
 * above are WMGW_EINVAL. */
int wmgw_passhash_hash(const char *password, size_t len, const struct wmgw_passhash_params *params, char *out,
                       size_t cap, struct wmgw_err *err);

/* 0 when password[0..len) matches the stored string, WMGW_EAUTH when it
 * does not, WMGW_EINVAL when stored is malformed or outside the limits. */
int wmgw_passhash_verify(const char *stored, const char *password, size_t len, struct wmgw_err *err);

/* Parses a stored string of n bytes; WMGW_EINVAL with a position when it
 * is not one, or asks for more than the limits. */
int wmgw_passhash_parse(const char *s, size_t n, struct wmgw_passhash *out, struct wmgw_err *err);

/* scrypt(password, salt, N = 2^ln, r, p) into out[0..out_len): the one
 * path to the KDF, exposed for the RFC 7914 test vectors.  It checks only
 * ln 1..32 and r, p 1..65536, not the limits of stored strings. */
int wmgw_passhash_scrypt(const void *password, size_t len, const void *salt, size_t salt_len,
                         const struct wmgw_passhash_params *params, uint8_t *out, size_t out_len,
                         struct wmgw_err *err);

/* ---- verification cache ---- */

struct wmgw_passhash_cache;

struct wmgw_passhash_cache_config {
    size_t capacity;           /* entries; 0 means 1024; at most 65536 */
    unsigned ttl_seconds;      /* 0 means 60 */
    int64_t (*now)(void);      /* seconds on a monotonic clock; NULL: CLOCK_MONOTONIC */
};

int wmgw_passhash_cache_new(const struct wmgw_passhash_cache_config *cfg, struct wmgw_passhash_cache **out,
                            struct wmgw_err *err);
void wmgw_passhash_cache_free(struct wmgw_passhash_cache *c);

/* wmgw_passhash_verify() for user, remembered for the TTL: within it, the
 * same user, password and stored string are accepted without running the
 * KDF.  Same results as wmgw_passhash_verify().  Thread-safe. */
int wmgw_passhash_cache_verify(struct wmgw_passhash_cache *c, const char *user, const char *stored,
                               const char *password, size_t len, struct wmgw_err *err);

/* Forgets every entry (e.g. when the user table is reloaded). */
void wmgw_passhash_cache_clear(struct wmgw_passhash_cache *c);

/* How many verifications ran the KDF and how many the cache answered. */
void wmgw_passhash_cache_stats(struct wmgw_passhash_cache *c, uint64_t *kdf_runs, uint64_t *hits);

#endif
