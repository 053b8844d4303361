/*
 * passhash_cache.c: remembers successful password verifications for a short
 * time, so HTTP Basic (which sends the password with every request) runs
 * scrypt once per user and TTL rather than once per request (passhash.h).
 *
 * The table is set-associative: the first bytes of an entry's key (an HMAC
 * output, so uniformly spread) pick a set of WAYS slots; a new entry takes
 * an empty or expired slot of its set, else the one that expires first.
 * Lookups and inserts cost WAYS comparisons under one mutex; the KDF runs
 * outside the mutex, so a slow verification never blocks other users.
 * Two concurrent misses for the same user both run the KDF: bounded and
 * rare, so not worth a single-flight mechanism.
 *
 * SECURITY
 *      The HMAC key and the table are in one secret (auth/secret.h): out of
 *      core dumps, wiped on free.  Keys are compared with CRYPTO_memcmp.
 *      A failure is never cached; a hit requires the same stored hash (by
 *      its SHA-256) as when the entry was made, so changing a password
 *      takes effect at once.
 */
#include "auth/passhash.h"
#include "auth/secret.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAYS 8
#define DEFAULT_CAPACITY 1024
#define MAX_CAPACITY 65536
#define DEFAULT_TTL 60
#define MAX_USER 1024

struct entry {
    uint8_t key[32];        /* HMAC-SHA256(K, user || 0 || password) */
    uint8_t stored_tag[32]; /* SHA-256 of the stored hash it was checked against */
    int64_t expires;        /* 0: empty */
};

struct wmgw_passhash_cache {
    pthread_mutex_t mutex; /* guards the table and the counters */
    size_t sets;           /* a power of two */
    unsigned ttl;
    int64_t (*now)(void);
    EVP_MAC *hmac;
    struct wmgw_secret *mem; /* the HMAC key, then the table */
    struct entry *table;
    uint64_t kdf_runs, hits;
};

static int64_t monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

int wmgw_passhash_cache_new(const struct wmgw_passhash_cache_config *cfg, struct wmgw_passhash_cache **out,
                            struct wmgw_err *err)
{
    *out = NULL;
    size_t capacity = cfg && cfg->capacity ? cfg->capacity : DEFAULT_CAPACITY;
    if (capacity > MAX_CAPACITY)
        return wmgw_err_set(err, WMGW_EINVAL, "password cache capacity %zu above %d", capacity, MAX_CAPACITY);
    size_t sets = 1;
    while (sets * WAYS < capacity)
        sets *= 2;
    struct wmgw_passhash_cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for the password cache");
    pthread_mutex_init(&c->mutex, NULL);
    c->sets = sets;
    c->ttl = cfg && cfg->ttl_seconds ? cfg->ttl_seconds : DEFAULT_TTL;
    c->now = cfg && cfg->now ? cfg->now : monotonic_seconds;
    int rc = wmgw_secret_new(32 + sets * WAYS * sizeof(struct entry), &c->mem, err);
    if (rc != 0) {
        wmgw_passhash_cache_free(c);
        return rc;
    }
    c->table = (struct entry *)(c->mem->data + 32);
    c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (c->hmac == NULL || RAND_bytes(c->mem->data, 32) != 1) {
        wmgw_passhash_cache_free(c);
        return wmgw_err_set(err, WMGW_EINTERNAL, "no HMAC or no random bytes for the password cache");
    }
    *out = c;
    return 0;
}

void wmgw_passhash_cache_free(struct wmgw_passhash_cache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->mutex);
    EVP_MAC_free(c->hmac);
    wmgw_secret_free(c->mem);
    free(c);
}

/* HMAC-SHA256(K, user || 0 || password), without copying the password. */
static int entry_key(struct wmgw_passhash_cache *c, const char *user, size_t user_len, const char *password,
                     size_t len, uint8_t out[32])
{
    char digest[] = "SHA256";
    OSSL_PARAM ps[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                       OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(c->hmac);
    size_t out_len = 0;
    int ok = ctx != NULL && EVP_MAC_init(ctx, c->mem->data, 32, ps) == 1 &&
             EVP_MAC_update(ctx, (const unsigned char *)user, user_len + 1) == 1 &&
             (len == 0 || EVP_MAC_update(ctx, (const unsigned char *)password, len) == 1) &&
             EVP_MAC_final(ctx, out, &out_len, 32) == 1 && out_len == 32;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : WMGW_EINTERNAL;
}

static struct entry *set_of(struct wmgw_passhash_cache *c, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return c->table + (h & (c->sets - 1)) * WAYS;
}

/* Under the mutex: whether key is verified against stored_tag now; drops
 * the entry when it is stale. */
static bool lookup(struct wmgw_passhash_cache *c, const uint8_t key[32], const uint8_t tag[32], int64_t now)
{
    struct entry *set = set_of(c, key);
    for (int i = 0; i < WAYS; i++) {
        struct entry *e = &set[i];
        if (e->expires == 0 || CRYPTO_memcmp(e->key, key, 32) != 0)
            continue;
        if (e->expires > now && CRYPTO_memcmp(e->stored_tag, tag, 32) == 0)
            return true;
        OPENSSL_cleanse(e, sizeof(*e));
    }
    return false;
}

static void insert(struct wmgw_passhash_cache *c, const uint8_t key[32], const uint8_t tag[32], int64_t now)
{
    struct entry *set = set_of(c, key), *slot = NULL;
    for (int i = 0; i < WAYS && slot == NULL; i++) /* our own entry, refreshed */
        if (set[i].expires != 0 && CRYPTO_memcmp(set[i].key, key, 32) == 0)
            slot = &set[i];
    for (int i = 0; i < WAYS && slot == NULL; i++) /* an empty or expired slot */
        if (set[i].expires <= now)
            slot = &set[i];
    if (slot == NULL) { /* the entry that would expire first */
        slot = &set[0];
        for (int i = 1; i < WAYS; i++)
            if (set[i].expires < slot->expires)
                slot = &set[i];
    }
    memcpy(slot->key, key, 32);
    memcpy(slot->stored_tag, tag, 32);
    slot->expires = now + c->ttl;
}

int wmgw_passhash_cache_verify(struct wmgw_passhash_cache *c, const char *user, const char *stored,
                               const char *password, size_t len, struct wmgw_err *err)
{
    size_t user_len = strnlen(user, MAX_USER + 1);
    if (user_len > MAX_USER)
        return wmgw_err_set(err, WMGW_EAUTH, "user name longer than %d bytes", MAX_USER);
    uint8_t key[32], tag[32];
    size_t stored_len = strnlen(stored, WMGW_PASSHASH_MAX_STRING + 1);
    if (entry_key(c, user, user_len, password, len, key) != 0 ||
        EVP_Q_digest(NULL, "SHA256", NULL, stored, stored_len, tag, NULL) != 1)
        return wmgw_err_set(err, WMGW_EINTERNAL, "HMAC or SHA-256 failed");
    pthread_mutex_lock(&c->mutex);
    int64_t now = c->now();
    bool hit = lookup(c, key, tag, now);
    if (hit)
        c->hits++;
    else
        c->kdf_runs++;
    pthread_mutex_unlock(&c->mutex);
    int rc = 0;
    if (!hit) {
        rc = wmgw_passhash_verify(stored, password, len, err);
        if (rc == 0) {
            pthread_mutex_lock(&c->mutex);
            insert(c, key, tag, c->now());
            pthread_mutex_unlock(&c->mutex);
        }
    }
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

void wmgw_passhash_cache_clear(struct wmgw_passhash_cache *c)
{
    pthread_mutex_lock(&c->mutex);
    OPENSSL_cleanse(c->table, c->sets * WAYS * sizeof(struct entry));
    pthread_mutex_unlock(&c->mutex);
}

void wmgw_passhash_cache_stats(struct wmgw_passhash_cache *c, uint64_t *kdf_runs, uint64_t *hits)
{
    pthread_mutex_lock(&c->mutex);
    if (kdf_runs != NULL)
        *kdf_runs = c->kdf_runs;
    if (hits != NULL)
        *hits = c->hits;
    pthread_mutex_unlock(&c->mutex);
}
