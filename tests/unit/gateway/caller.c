/*
 * Tests of gateway/caller_header.c and gateway/caller_config.c: the
 * Authorization header's parsers (bounds, malformed input, no credential
 * in messages) and [principal] resolution (SIDs, aliases, implicit groups,
 * bad hashes).
 */
#include "gateway/caller.h"
#include "gateway/config.h"
#include "tests/unit/test.h"
#include "util/buf.h"
#include "util/err.h"

static void test_split(void)
{
    const char *s, *c;
    size_t sl, cl;
    struct wmgw_err err;
    const char *v = "Bearer   wmgw_abc  ";
    CHECK_INT(wmgw_auth_header_split(v, strlen(v), &s, &sl, &c, &cl, &err), 0);
    CHECK_INT(sl, 6);
    CHECK(memcmp(s, "Bearer", 6) == 0);
    CHECK_INT(cl, 8);
    CHECK(memcmp(c, "wmgw_abc", 8) == 0);
    v = "Negotiate";
    CHECK_INT(wmgw_auth_header_split(v, strlen(v), &s, &sl, &c, &cl, &err), 0);
    CHECK_INT(cl, 0);
    CHECK_INT(wmgw_auth_header_split("", 0, &s, &sl, &c, &cl, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_auth_header_split(" Bearer x", 9, &s, &sl, &c, &cl, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_auth_header_split("Bearer:x", 8, &s, &sl, &c, &cl, &err), WMGW_EINVAL);
    CHECK_INT(err.position, 6);
    CHECK_INT(wmgw_auth_header_split("Bearer a\x01" "b", 10, &s, &sl, &c, &cl, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_auth_header_split("Bearer \xc3\xa9", 9, &s, &sl, &c, &cl, &err), WMGW_EINVAL);
    char big[WMGW_AUTH_HEADER_MAX + 2];
    memset(big, 'a', sizeof(big));
    CHECK_INT(wmgw_auth_header_split(big, sizeof(big), &s, &sl, &c, &cl, &err), WMGW_EINVAL);
}

static int basic(const char *b64, char *user, char *pw)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    const char *u, *p;
    size_t ul, pl;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_auth_basic_decode(b64, strlen(b64), &b, &u, &ul, &p, &pl, &err);
    if (rc == 0) {
        snprintf(user, 64, "%.*s", (int)ul, u);
        snprintf(pw, 64, "%.*s", (int)pl, p);
    } else {
        CHECK(strstr(err.message, "Basic") != NULL);
    }
    wmgw_buf_dispose(&b);
    return rc;
}

static void test_basic(void)
{
    char u[64], p[64];
    CHECK_INT(basic("YWxpY2U6c2VjcmV0", u, p), 0); /* alice:secret */
    CHECK_STR(u, "alice");
    CHECK_STR(p, "secret");
    CHECK_INT(basic("YWxpY2U6YTpi", u, p), 0); /* alice:a:b: the password keeps its ':' */
    CHECK_STR(p, "a:b");
    CHECK_INT(basic("YWxpY2U6", u, p), 0); /* alice: (empty password) */
    CHECK_STR(p, "");
    CHECK_INT(basic("OnNlY3JldA==", u, p), WMGW_EINVAL);  /* :secret: no user */
    CHECK_INT(basic("YWxpY2U=", u, p), WMGW_EINVAL);      /* alice: no colon */
    CHECK_INT(basic("YWxpY2U6c2VjcmV0!", u, p), WMGW_EINVAL);
    CHECK_INT(basic("", u, p), WMGW_EINVAL);
    CHECK_INT(basic("YQk6Yg==", u, p), WMGW_EINVAL);      /* "a\t:b": control character */
}

static void test_negotiate(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4);
    struct wmgw_err err;
    CHECK_INT(wmgw_auth_negotiate_decode("AAAA", 4, &b, &err), 0);
    CHECK_INT(b.len, 3);
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_auth_negotiate_decode("AAAAAAAA", 8, &b, &err), WMGW_EINVAL); /* 6 bytes > limit 4 */
    CHECK_INT(wmgw_auth_negotiate_decode("", 0, &b, &err), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
}

static int configure(const char *text, struct wmgw_err *err)
{
    struct wmgw_config *c = wmgw_config_new();
    wmgw_err_clear(err);
    int rc = wmgw_config_parse(c, "t", text, strlen(text), err);
    if (rc == 0)
        rc = wmgw_config_validate(c, err);
    if (rc == 0) {
        const struct wmgw_principal_config *p = wmgw_security_principal(c->security, "alice", 5);
        CHECK(p != NULL);
        if (p != NULL) {
            CHECK_STR(p->principal.sid, "S-1-5-21-1-2-3-1001");
            CHECK_INT(p->principal.ngroups, 5);
            CHECK_STR(p->principal.groups[0], "S-1-5-32-544");
            CHECK_STR(p->principal.groups[1], "S-1-5-21-1-2-3-513");
            CHECK_STR(p->principal.groups[2], "S-1-1-0");  /* Everyone */
            CHECK_STR(p->principal.groups[3], "S-1-5-11"); /* Authenticated Users */
            CHECK_STR(p->principal.groups[4], "S-1-5-2");  /* Network */
        }
    }
    wmgw_config_free(c);
    return rc;
}

#define HASH "593bf6dce42cdecdf48a7173b4cb27d53de8a9ec171763fb20d4115ac744fcf4"
#define GOOD "[principal alice]\nsid = S-1-5-21-1-2-3-1001\ngroups = BA, S-1-5-21-1-2-3-513, WD\n"

static void test_principals(void)
{
    struct wmgw_err err;
    CHECK_INT(configure(GOOD "token-hash = " HASH "\n[policy p]\nsddl = D:(A;;GR;;;AU)\n", &err), 0);
    CHECK_INT(configure("[principal alice]\ngroups = BA\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "sid is required") != NULL);
    CHECK_INT(configure("[principal alice]\nsid = S-1-x\n", &err), WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "groups = QQ\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "QQ") != NULL);
    CHECK_INT(configure(GOOD "token-hash = 1234\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "--new-token") != NULL);
    CHECK_INT(configure(GOOD "password-hash = $scrypt$ln=2,r=8,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA\n", &err),
              WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "kerberos = alice\n", &err), WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "colour = blue\n", &err), WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "token-hash = " HASH "\n[principal bob]\nsid = S-1-5-21-1-2-3-1002\ntoken-hash = " HASH
                        "\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "also belongs to") != NULL);
    CHECK_INT(configure("[principal a b]\nsid = S-1-1-0\n", &err), WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "[security]\nadmin-sddl = D:(A;;GA;;;ZZ)\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "admin-sddl") != NULL);
    CHECK_INT(configure(GOOD "[policy p]\nsddl = D:(X;;GA;;;WD)\n", &err), WMGW_ECONFIG);
    CHECK_INT(configure(GOOD "[policy p]\nhosts = web*\n", &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "sddl is required") != NULL);
}

int main(void)
{
    WMGW_TEST_RUN(test_split);
    WMGW_TEST_RUN(test_basic);
    WMGW_TEST_RUN(test_negotiate);
    WMGW_TEST_RUN(test_principals);
    return WMGW_TEST_DONE();
}
