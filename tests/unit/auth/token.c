/*
 * token.c: tests for auth/token.c.
 *
 * Stored hashes are checked against values computed outside wmgw (Python:
 * hashlib.sha256(token.encode()).hexdigest()), the parser refuses every
 * near miss with the position of the fault, and lookups find the right
 * entry among several.
 */
#include "auth/token.h"

#include "../test.h"

static void test_known_hashes(void)
{
    static const struct {
        const char *token, *hash;
    } v[] = {
        {"wmgw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         "ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd337029"},
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
         "be5bfea55a6214f2c0e697ecffa7b05de19be1d122a046aa64b4744c23bc6d56"},
    };
    for (size_t i = 0; i < 2; i++) {
        char hash[WMGW_TOKEN_HASH_LEN + 1];
        CHECK_INT(wmgw_token_hash(v[i].token, strlen(v[i].token), hash, NULL), 0);
        CHECK_STR(hash, v[i].hash);
        CHECK_INT(wmgw_token_parse_hash(hash, NULL), 0);
    }
}

static void test_new_tokens(void)
{
    char seen[64][WMGW_TOKEN_LEN + 1];
    for (int i = 0; i < 64; i++) {
        char token[WMGW_TOKEN_LEN + 1], hash[WMGW_TOKEN_HASH_LEN + 1], again[WMGW_TOKEN_HASH_LEN + 1];
        CHECK_INT(wmgw_token_new(token, hash, NULL), 0);
        CHECK_INT(strlen(token), WMGW_TOKEN_LEN);
        CHECK(strncmp(token, "wmgw_", 5) == 0);
        CHECK_INT(wmgw_token_parse(token, strlen(token), NULL), 0);
        CHECK_INT(wmgw_token_hash(token, strlen(token), again, NULL), 0);
        CHECK_STR(hash, again);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(seen[j], token) != 0);
        memcpy(seen[i], token, sizeof(token));
    }
}

static void test_parse_refuses_near_misses(void)
{
    static const char good[] = "wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    static const struct {
        const char *s;
        long pos;
    } bad[] = {
        {"", 0},
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", 47},   /* 47 characters */
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", 48}, /* 49 */
        {"WMGW_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0},
        {"wmgw-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0},
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", 47}, /* standard alphabet */
        {"wmgw_AAECAwQFBgcICQoLDA0O/xAREhMUFRYXGBkaGxwdHh8", 25},
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=", 47}, /* padding */
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", 47}, /* unused bits set */
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX GBkaGxwdHh", 37},
        {"wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH\n8", 46},
    };
    CHECK_INT(wmgw_token_parse(good, strlen(good), NULL), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_err err = {0};
        char hash[WMGW_TOKEN_HASH_LEN + 1] = "x";
        int rc = wmgw_token_parse(bad[i].s, strlen(bad[i].s), &err);
        if (rc != WMGW_EINVAL || err.position != bad[i].pos)
            fprintf(stderr, "case %zu: rc %d at %ld (%s)\n", i, rc, err.position, err.message);
        CHECK_INT(rc, WMGW_EINVAL);
        CHECK_INT(err.position, bad[i].pos);
        CHECK(strlen(bad[i].s) < 10 || strstr(err.message, bad[i].s + 5) == NULL);
        CHECK_INT(wmgw_token_hash(bad[i].s, strlen(bad[i].s), hash, NULL), WMGW_EINVAL);
        CHECK_STR(hash, "");
    }
    /* Only n bytes are read: the same text with a longer n is refused. */
    char longer[100];
    snprintf(longer, sizeof(longer), "%sXYZ", good);
    CHECK_INT(wmgw_token_parse(longer, WMGW_TOKEN_LEN, NULL), 0);
    CHECK_INT(wmgw_token_parse(longer, strlen(longer), NULL), WMGW_EINVAL);
}

static void test_parse_hash(void)
{
    CHECK_INT(wmgw_token_parse_hash("ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd337029", NULL), 0);
    struct wmgw_err err;
    CHECK_INT(wmgw_token_parse_hash("EC1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd337029", &err),
              WMGW_EINVAL);
    CHECK_INT(err.position, 0);
    CHECK_INT(wmgw_token_parse_hash("ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd33702", &err),
              WMGW_EINVAL);
    CHECK_INT(err.position, 63);
    CHECK_INT(wmgw_token_parse_hash("ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd3370290", &err),
              WMGW_EINVAL);
    CHECK_INT(err.position, 64);
    CHECK_INT(wmgw_token_parse_hash("", &err), WMGW_EINVAL);
}

static void test_find(void)
{
    static const char t0[] = "wmgw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                      t1[] = "wmgw_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    char fresh[WMGW_TOKEN_LEN + 1], fresh_hash[WMGW_TOKEN_HASH_LEN + 1];
    CHECK_INT(wmgw_token_new(fresh, fresh_hash, NULL), 0);
    const char *stored[] = {
        "not a hash",
        "ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd337029", /* t0 */
        fresh_hash,
        "be5bfea55a6214f2c0e697ecffa7b05de19be1d122a046aa64b4744c23bc6d56", /* t1 */
        "ec1e1885f1165f60fcd27b8cd0c1208daff867563dc40ffe0c6bc910fd337029", /* t0 again */
    };
    size_t index = 99;
    CHECK_INT(wmgw_token_find(t0, strlen(t0), stored, 5, &index, NULL), 0);
    CHECK_INT(index, 1); /* the first of two */
    CHECK_INT(wmgw_token_find(t1, strlen(t1), stored, 5, &index, NULL), 0);
    CHECK_INT(index, 3);
    CHECK_INT(wmgw_token_find(fresh, strlen(fresh), stored, 5, &index, NULL), 0);
    CHECK_INT(index, 2);
    struct wmgw_err err;
    index = 99;
    CHECK_INT(wmgw_token_find(t1, strlen(t1), stored, 3, &index, &err), WMGW_EAUTH);
    CHECK_INT(index, 99);
    CHECK(strstr(err.message, "AAEC") == NULL);
    CHECK_INT(wmgw_token_find("Bearer x", 8, stored, 5, &index, &err), WMGW_EAUTH);
    CHECK_INT(wmgw_token_find(t1, strlen(t1), stored, 0, &index, &err), WMGW_EAUTH);
    /* A stored hash given as the token is not the token. */
    CHECK_INT(wmgw_token_find(stored[1], strlen(stored[1]), stored, 5, &index, &err), WMGW_EAUTH);
    memset(fresh, 0, sizeof(fresh));
}

int main(void)
{
    WMGW_TEST_RUN(test_known_hashes);
    WMGW_TEST_RUN(test_new_tokens);
    WMGW_TEST_RUN(test_parse_refuses_near_misses);
    WMGW_TEST_RUN(test_parse_hash);
    WMGW_TEST_RUN(test_find);
    return WMGW_TEST_DONE();
}
