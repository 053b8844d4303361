/*
 * passhash.c: tests for auth/passhash.c and auth/passhash_cache.c.
 *
 * The KDF path (wmgw_passhash_scrypt, the one verify and hash use) against
 * all four test vectors of RFC 7914 section 12; stored strings written by
 * someone else (RFC 7914's third vector in PHC form, and one made with
 * Python's hashlib) verify; our own round trip; every malformed or too
 * expensive stored string is refused before the KDF runs; the cache runs
 * the KDF once per user, password, stored hash and TTL, and is
 * thread-safe.
 */
#include "auth/passhash.h"

#include "../hex_text.h"
#include "../test.h"

#include <pthread.h>
#include <time.h>

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 7914 section 12: P, S, N, r, p, dkLen = 64, DK. */
static void test_rfc7914_vectors(void)
{
    static const struct {
        const char *p, *s;
        unsigned ln, r, par;
        const char *dk;
    } v[] = {
        {"", "", 4, 1, 1,
         "77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42 "
         "fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06"},
        {"password", "NaCl", 10, 8, 16,
         "fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62 "
         "2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40"},
        {"pleaseletmein", "SodiumChloride", 14, 8, 1,
         "70 23 bd cb 3a fd 73 48 46 1c 06 cd 81 fd 38 eb fd a8 fb ba 90 4f 8e 3e a9 b5 43 f6 54 5d a1 f2 "
         "d5 43 29 55 61 3f 0f cf 62 d4 97 05 24 2a 9a f9 e6 1e 85 dc 0d 65 1e 40 df cf 01 7b 45 57 58 87"},
        {"pleaseletmein", "SodiumChloride", 20, 8, 1,
         "21 01 cb 9b 6a 51 1a ae ad db be 09 cf 70 f8 81 ec 56 8d 57 4a 2f fd 4d ab e5 ee 98 20 ad aa 47 "
         "8e 56 fd 8f 4b a5 d0 9f fa 1c 6d 92 7c 40 f4 c3 37 30 40 49 e8 a9 52 fb cb f4 5c 6f a7 7a 41 a4"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t want[64], got[64];
        CHECK_INT(test_unhex(v[i].dk, want, sizeof(want)), 64);
        struct wmgw_passhash_params params = {v[i].ln, v[i].r, v[i].par};
        CHECK_INT(wmgw_passhash_scrypt(v[i].p, strlen(v[i].p), v[i].s, strlen(v[i].s), &params, got, 64, NULL), 0);
        if (memcmp(got, want, 64) != 0) {
            fprintf(stderr, "RFC 7914 vector %zu differs\n", i + 1);
            CHECK(0);
        }
    }
}

static void test_foreign_strings_verify(void)
{
    /* RFC 7914's third vector written as a PHC string (64-byte hash). */
    static const char rfc[] = "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdof"
                              "LVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw";
    CHECK_INT(wmgw_passhash_verify(rfc, "pleaseletmein", 13, NULL), 0);
    CHECK_INT(wmgw_passhash_verify(rfc, "pleaseletmeim", 13, NULL), WMGW_EAUTH);
    /* Python: hashlib.scrypt(b"correct horse", salt=bytes(range(16)), n=2**14, r=8, p=2, dklen=32). */
    static const char py[] = "$scrypt$ln=14,r=8,p=2$AAECAwQFBgcICQoLDA0ODw$agusp50Hav4Ihtioon5Cw+jMddl/LeG9yylYrk+AOBo";
    struct wmgw_passhash ph;
    CHECK_INT(wmgw_passhash_parse(py, strlen(py), &ph, NULL), 0);
    CHECK(ph.params.ln == 14 && ph.params.r == 8 && ph.params.p == 2 && ph.salt_len == 16 && ph.hash_len == 32);
    CHECK(ph.salt[0] == 0 && ph.salt[15] == 15);
    CHECK_INT(wmgw_passhash_verify(py, "correct horse", 13, NULL), 0);
    CHECK_INT(wmgw_passhash_verify(py, "correct horse ", 14, NULL), WMGW_EAUTH);
    CHECK_INT(wmgw_passhash_verify(py, "", 0, NULL), WMGW_EAUTH);
}

static void test_hash_round_trip(void)
{
    char a[WMGW_PASSHASH_MAX_STRING], b[WMGW_PASSHASH_MAX_STRING];
    CHECK_INT(wmgw_passhash_hash("s3cret pass", 11, NULL, a, sizeof(a), NULL), 0);
    CHECK(strncmp(a, "$scrypt$ln=15,r=8,p=1$", 22) == 0);
    /* 16-byte salt and 32-byte hash: 22 and 43 characters, no padding. */
    const char *salt = a + 22, *dollar = strchr(salt, '$');
    CHECK(dollar != NULL && dollar - salt == 22 && strlen(dollar + 1) == 43);
    CHECK(strchr(a, '=') == NULL || strchr(a, '=') < salt);
    CHECK_INT(wmgw_passhash_verify(a, "s3cret pass", 11, NULL), 0);
    struct wmgw_err err;
    CHECK_INT(wmgw_passhash_verify(a, "s3cret pasS", 11, &err), WMGW_EAUTH);
    CHECK(strstr(err.message, "s3cret") == NULL);
    /* A fresh salt each time. */
    CHECK_INT(wmgw_passhash_hash("s3cret pass", 11, NULL, b, sizeof(b), NULL), 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(wmgw_passhash_verify(b, "s3cret pass", 11, NULL), 0);
    /* Passwords are bytes: NUL inside is fine and counts. */
    CHECK_INT(wmgw_passhash_hash("a\0b", 3, NULL, a, sizeof(a), NULL), 0);
    CHECK_INT(wmgw_passhash_verify(a, "a\0b", 3, NULL), 0);
    CHECK_INT(wmgw_passhash_verify(a, "a", 1, NULL), WMGW_EAUTH);
    /* Other parameters, within the limits; and outside them. */
    struct wmgw_passhash_params heavy = {16, 8, 2}, weak = {12, 8, 1}, costly = {17, 8, 3};
    CHECK_INT(wmgw_passhash_hash("pw", 2, &heavy, a, sizeof(a), NULL), 0);
    CHECK(strncmp(a, "$scrypt$ln=16,r=8,p=2$", 22) == 0);
    CHECK_INT(wmgw_passhash_verify(a, "pw", 2, NULL), 0);
    CHECK_INT(wmgw_passhash_hash("pw", 2, &weak, a, sizeof(a), NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_passhash_hash("pw", 2, &costly, a, sizeof(a), NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_passhash_hash("pw", 2, NULL, a, 40, NULL), WMGW_ETOOBIG);
}

static void test_malformed_refused(void)
{
    static const char good_salt[] = "AAECAwQFBgcICQoLDA0ODw",
                      good_hash[] = "agusp50Hav4Ihtioon5Cw+jMddl/LeG9yylYrk+AOBo";
    static const struct {
        const char *params, *salt, *hash;
        long pos;
    } bad[] = {
        {"ln=015,r=8,p=1", NULL, NULL, 11},   /* leading zero */
        {"ln=1a,r=8,p=1", NULL, NULL, 12},    /* not a number */
        {"ln=,r=8,p=1", NULL, NULL, 11},      /* empty */
        {"ln=1000,r=8,p=1", NULL, NULL, 11},  /* four digits */
        {"r=8,ln=15,p=1", NULL, NULL, 8},     /* order */
        {"ln=15,r=8", NULL, NULL, 17},        /* p missing */
        {"ln=15,r=8,p=1,x=2", NULL, NULL, 21},
        {"ln=13,r=8,p=1", NULL, NULL, 8},     /* too weak */
        {"ln=21,r=8,p=1", NULL, NULL, 8},     /* N too big */
        {"ln=15,r=0,p=1", NULL, NULL, 8},
        {"ln=15,r=33,p=1", NULL, NULL, 8},
        {"ln=15,r=8,p=0", NULL, NULL, 8},
        {"ln=15,r=8,p=17", NULL, NULL, 8},
        {"ln=17,r=16,p=1", NULL, NULL, 8},    /* 256 MiB */
        {"ln=16,r=8,p=5", NULL, NULL, 8},     /* N r p = 2^21 * 1.25 */
        {"ln=20,r=32,p=16", NULL, NULL, 8},   /* what a hostile file would ask */
        {NULL, "AAECAwQFBgcICQoLDA0ODw==", NULL, 22}, /* padded */
        {NULL, "AAECAwQFBgc", NULL, 22},      /* 8 bytes: fine; see below */
        {NULL, "AAECAwQFBg", NULL, 22},       /* 7 bytes: too short */
        {NULL, "AAECAwQFBgcICQoLDA0ODx", NULL, 22}, /* non-zero unused bits */
        {NULL, "AAECAwQFBgcI-QoLDA0ODw", NULL, 22}, /* URL alphabet */
        {NULL, "AAECAwQFBgcICQoLDA0OD", NULL, 22},  /* length 1 mod 4 */
        {NULL, NULL, "agusp50Hav4Ihtioon5Cw+jMddl/LeG9yylYrk+AOBo$", 88},
        {NULL, NULL, "agusp50Hav4Ihtioon5Cw+jMddl/LeG9yylYrk+AOBo\n", 45},
        {NULL, NULL, "AAAAAAAAAAAAAAAAAAAA", 45}, /* 15 bytes */
        {NULL, NULL, "", 45},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char s[512];
        snprintf(s, sizeof(s), "$scrypt$%s$%s$%s", bad[i].params ? bad[i].params : "ln=14,r=8,p=2",
                 bad[i].salt ? bad[i].salt : good_salt, bad[i].hash ? bad[i].hash : good_hash);
        struct wmgw_passhash ph;
        struct wmgw_err err = {0};
        int rc = wmgw_passhash_parse(s, strlen(s), &ph, &err);
        if (i == 17) { /* the 8-byte salt is the shortest accepted */
            CHECK_INT(rc, 0);
            continue;
        }
        if (rc != WMGW_EINVAL || err.position != bad[i].pos)
            fprintf(stderr, "case %zu (%s): rc %d at %ld (%s), expected EINVAL at %ld\n", i, s, rc, err.position,
                    err.message, bad[i].pos);
        CHECK_INT(rc, WMGW_EINVAL);
        CHECK_INT(err.position, bad[i].pos);
    }
    static const char *const other[] = {"", "$scrypt$", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                                        "scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$AAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        struct wmgw_passhash ph;
        CHECK_INT(wmgw_passhash_parse(other[i], strlen(other[i]), &ph, NULL), WMGW_EINVAL);
    }
    char huge[600];
    memset(huge, 'A', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    memcpy(huge, "$scrypt$ln=14,r=8,p=1$", 22);
    struct wmgw_err err;
    CHECK_INT(wmgw_passhash_verify(huge, "x", 1, &err), WMGW_EINVAL);
    CHECK_INT(err.position, WMGW_PASSHASH_MAX_STRING);
    /* A refused string costs no KDF: it answers at once. */
    double t0 = seconds();
    for (int i = 0; i < 100; i++)
        CHECK_INT(wmgw_passhash_verify("$scrypt$ln=20,r=32,p=16$AAECAwQFBgcICQoLDA0ODw$AAAAAAAAAAAAAAAAAAAAAA", "x",
                                       1, NULL),
                  WMGW_EINVAL);
    CHECK(seconds() - t0 < 0.5);
}

/* ---- the cache ---- */

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

static void stats(struct wmgw_passhash_cache *c, uint64_t kdf, uint64_t hits)
{
    uint64_t k, h;
    wmgw_passhash_cache_stats(c, &k, &h);
    CHECK_INT(k, kdf);
    CHECK_INT(h, hits);
}

static const struct wmgw_passhash_params fast = {14, 8, 1};

static void test_cache_runs_kdf_once_per_ttl(void)
{
    struct wmgw_passhash_cache_config cfg = {.ttl_seconds = 60, .now = fake_clock};
    struct wmgw_passhash_cache *c;
    char alice[WMGW_PASSHASH_MAX_STRING], alice2[WMGW_PASSHASH_MAX_STRING], bob[WMGW_PASSHASH_MAX_STRING];
    CHECK_INT(wmgw_passhash_cache_new(&cfg, &c, NULL), 0);
    CHECK_INT(wmgw_passhash_hash("alice-pw", 8, &fast, alice, sizeof(alice), NULL), 0);
    CHECK_INT(wmgw_passhash_hash("bob-pw", 6, &fast, bob, sizeof(bob), NULL), 0);
    fake_now = 1000;
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-pw", 8, NULL), 0);
    stats(c, 1, 0);
    double t0 = seconds();
    for (int i = 0; i < 50; i++)
        CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-pw", 8, NULL), 0);
    CHECK(seconds() - t0 < 0.5); /* 50 KDF runs would take seconds */
    stats(c, 1, 50);
    /* Failures are not cached, and do not disturb the success. */
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-PW", 8, NULL), WMGW_EAUTH);
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-PW", 8, NULL), WMGW_EAUTH);
    stats(c, 3, 50);
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-pw", 8, NULL), 0);
    stats(c, 3, 51);
    /* The user is part of the key: same password and hash, other user. */
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice2", alice, "alice-pw", 8, NULL), 0);
    stats(c, 4, 51);
    /* "ali" + "ce-pw" must not collide with "alice" + "-pw". */
    CHECK_INT(wmgw_passhash_cache_verify(c, "ali", alice, "ce-pw", 5, NULL), WMGW_EAUTH);
    stats(c, 5, 51);
    /* The TTL. */
    fake_now += 59;
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-pw", 8, NULL), 0);
    stats(c, 5, 52);
    fake_now += 1;
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice, "alice-pw", 8, NULL), 0);
    stats(c, 6, 52);
    /* A new stored hash (password changed, or rehashed) invalidates at once:
     * the old password must not pass against the new hash from the cache. */
    CHECK_INT(wmgw_passhash_hash("alice-new", 9, &fast, alice2, sizeof(alice2), NULL), 0);
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice2, "alice-pw", 8, NULL), WMGW_EAUTH);
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice2, "alice-new", 9, NULL), 0);
    CHECK_INT(wmgw_passhash_cache_verify(c, "alice", alice2, "alice-new", 9, NULL), 0);
    stats(c, 8, 53);
    /* Malformed stored strings are refused, not cached. */
    CHECK_INT(wmgw_passhash_cache_verify(c, "bob", "$scrypt$ln=99", "bob-pw", 6, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_passhash_cache_verify(c, "bob", bob, "bob-pw", 6, NULL), 0);
    wmgw_passhash_cache_clear(c);
    CHECK_INT(wmgw_passhash_cache_verify(c, "bob", bob, "bob-pw", 6, NULL), 0);
    stats(c, 11, 53);
    wmgw_passhash_cache_free(c);
}

/* A full set (capacity 8 = one set of 8) evicts the entry that expires first. */
static void test_cache_bounded(void)
{
    struct wmgw_passhash_cache_config cfg = {.capacity = 8, .ttl_seconds = 100, .now = fake_clock};
    struct wmgw_passhash_cache *c;
    char stored[WMGW_PASSHASH_MAX_STRING], user[16];
    CHECK_INT(wmgw_passhash_cache_new(&cfg, &c, NULL), 0);
    CHECK_INT(wmgw_passhash_hash("pw", 2, &fast, stored, sizeof(stored), NULL), 0);
    fake_now = 5000;
    for (int i = 0; i < 9; i++, fake_now++) {
        snprintf(user, sizeof(user), "user%d", i);
        CHECK_INT(wmgw_passhash_cache_verify(c, user, stored, "pw", 2, NULL), 0);
    }
    stats(c, 9, 0);
    for (int i = 8; i >= 1; i--) { /* users 1..8 are still there */
        snprintf(user, sizeof(user), "user%d", i);
        CHECK_INT(wmgw_passhash_cache_verify(c, user, stored, "pw", 2, NULL), 0);
    }
    stats(c, 9, 8);
    CHECK_INT(wmgw_passhash_cache_verify(c, "user0", stored, "pw", 2, NULL), 0); /* evicted */
    stats(c, 10, 8);
    wmgw_passhash_cache_free(c);
    struct wmgw_passhash_cache_config huge = {.capacity = 1 << 20};
    CHECK_INT(wmgw_passhash_cache_new(&huge, &c, NULL), WMGW_EINVAL);
    CHECK(c == NULL);
}

struct worker {
    struct wmgw_passhash_cache *c;
    const char *stored;
    int failures;
};

static void *verify_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 200; i++) {
        if (wmgw_passhash_cache_verify(w->c, "carol", w->stored, "carol-pw", 8, NULL) != 0)
            w->failures++;
        if (i % 50 == 0 && wmgw_passhash_cache_verify(w->c, "carol", w->stored, "wrong", 5, NULL) != WMGW_EAUTH)
            w->failures++;
    }
    return NULL;
}

static void test_cache_threads(void)
{
    struct wmgw_passhash_cache *c;
    char stored[WMGW_PASSHASH_MAX_STRING];
    CHECK_INT(wmgw_passhash_cache_new(NULL, &c, NULL), 0);
    CHECK_INT(wmgw_passhash_hash("carol-pw", 8, &fast, stored, sizeof(stored), NULL), 0);
    pthread_t t[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){c, stored, 0};
        CHECK_INT(pthread_create(&t[i], NULL, verify_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(w[i].failures, 0);
    }
    uint64_t kdf, hits;
    wmgw_passhash_cache_stats(c, &kdf, &hits);
    CHECK_INT(kdf + hits, 4 * 204);
    CHECK(kdf >= 17 && kdf <= 4 + 16); /* 16 wrong passwords, at most one miss per thread */
    wmgw_passhash_cache_free(c);
}

int main(void)
{
    WMGW_TEST_RUN(test_rfc7914_vectors);
    WMGW_TEST_RUN(test_foreign_strings_verify);
    WMGW_TEST_RUN(test_hash_round_trip);
    WMGW_TEST_RUN(test_malformed_refused);
    WMGW_TEST_RUN(test_cache_runs_kdf_once_per_ttl);
    WMGW_TEST_RUN(test_cache_bounded);
    WMGW_TEST_RUN(test_cache_threads);
    return WMGW_TEST_DONE();
}
