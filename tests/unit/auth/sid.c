/*
 * sid.c: tests for auth/sid.c: the text form (canonical output, every
 * bound, error positions), the binary form, ordering, and every SDDL alias
 * of protocol-notes 5.3 in both directions, fixed and domain-relative.
 */
#include "auth/sid.h"

#include "../test.h"

static struct wmgw_sid sid_of(const char *text)
{
    struct wmgw_sid s;
    struct wmgw_err e;
    int rc = wmgw_sid_parse(&s, text, strlen(text), &e);
    if (rc != 0) {
        fprintf(stderr, "parse %s: %s\n", text, e.message);
        wmgw_test__failed_checks++;
    }
    return s;
}

static const char *text_of(const struct wmgw_sid *s)
{
    static char buf[WMGW_SID_TEXT_MAX];
    wmgw_sid_format(s, buf);
    return buf;
}

/* Parses text expecting an error at byte pos. */
static void check_bad(const char *text, long pos)
{
    struct wmgw_sid s;
    struct wmgw_err e = {0};
    int rc = wmgw_sid_parse(&s, text, strlen(text), &e);
    CHECK_INT(rc, WMGW_EINVAL);
    if (e.position != pos)
        fprintf(stderr, "  %s: position %ld (%s), expected %ld\n", text, e.position, e.message, pos);
    CHECK_INT(e.position, pos);
}

static void test_canonical_text(void)
{
    static const char *same[] = {
        "S-1-5-32-544", "S-1-1-0", "S-1-5", "S-1-0-0", "S-1-5-21-2447931902-1787058256-3961074038-1201",
        "S-1-16-12288", "S-1-4294967295-4294967295", "S-1-0x12A05F200-30-40", "S-1-0xFFFFFFFFFFFF-1",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        struct wmgw_sid s = sid_of(same[i]);
        CHECK_STR(text_of(&s), same[i]);
    }
    /* Other spellings come out canonical: hex authority below 2^32 as
     * decimal, hex digits in either case as upper case. */
    struct wmgw_sid s = sid_of("S-1-0x5-21-1");
    CHECK_STR(text_of(&s), "S-1-5-21-1");
    s = sid_of("S-1-0x000000000005-18");
    CHECK_STR(text_of(&s), "S-1-5-18");
    s = sid_of("S-1-0x500000000-32-579");
    CHECK_STR(text_of(&s), "S-1-0x500000000-32-579");
    s = sid_of("S-1-0xabcdef123456");
    CHECK_STR(text_of(&s), "S-1-0xABCDEF123456");
    CHECK(wmgw_sid_authority(&s) == UINT64_C(0xabcdef123456));
    CHECK_INT(s.sub_count, 0);
}

static void test_bounds_and_errors(void)
{
    check_bad("", 0);
    check_bad("s-1-5", 0);
    check_bad("S-2-5", 2);
    check_bad("S-1-", 4);
    check_bad("S-1-x", 4);
    check_bad("S-1-5-", 6);
    check_bad("S-1-5--1", 6);
    check_bad("S-1-05-1", 4);              /* leading zero in the authority */
    check_bad("S-1-5-021", 6);             /* leading zero in a sub-authority */
    check_bad("S-1-4294967296", 4);        /* decimal authority of 2^32 */
    check_bad("S-1-5-4294967296", 6);      /* sub-authority of 2^32 */
    check_bad("S-1-5-99999999999999", 6);  /* many digits, no wrap-around */
    check_bad("S-1-0x", 6);
    check_bad("S-1-0x1000000000000", 4);   /* 13 hex digits */
    check_bad("S-1-5-0x10", 7);            /* hex only for the authority: stops at 'x' */
    check_bad("S-1-5-32-544 ", 12);
    check_bad("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", 41);
    /* A prefix parse stops where the SID ends. */
    struct wmgw_sid s;
    size_t used = 0;
    CHECK_INT(wmgw_sid_parse_prefix(&s, "S-1-5-32-544G:BA", 16, &used, NULL), 0);
    CHECK_INT(used, 12);
    CHECK_INT(wmgw_sid_parse_prefix(&s, "S-1-5-18)", 9, &used, NULL), 0);
    CHECK_INT(used, 8);
    /* A hex authority ends where "D:" starts a DACL. */
    CHECK_INT(wmgw_sid_parse_prefix(&s, "S-1-0x50000000D:", 16, &used, NULL), 0);
    CHECK_INT(used, 14);
    CHECK(wmgw_sid_authority(&s) == 0x50000000u);
    CHECK_INT(wmgw_sid_parse_prefix(&s, "S-1-0x5000000DD:", 16, &used, NULL), 0);
    CHECK_INT(used, 14);
    CHECK(wmgw_sid_authority(&s) == 0x5000000Du);
    /* Init refuses what cannot be a SID. */
    uint32_t sub[16] = {0};
    CHECK_INT(wmgw_sid_init(&s, UINT64_C(1) << 48, sub, 1), WMGW_EINVAL);
    CHECK_INT(wmgw_sid_init(&s, 5, sub, 16), WMGW_EINVAL);
    CHECK_INT(wmgw_sid_init(&s, 5, sub, 15), 0);
}

static void test_binary(void)
{
    /* BA as in the MS-DTYP 2.5.1.4 example (owner at offset 0x90). */
    static const uint8_t ba[] = {0x01, 0x02, 0, 0, 0, 0, 0, 0x05, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0};
    struct wmgw_sid s = sid_of("S-1-5-32-544"), r;
    uint8_t out[WMGW_SID_MAX_BINARY];
    CHECK_INT(wmgw_sid_binary_size(&s), 16);
    CHECK_INT(wmgw_sid_write(&s, out), 16);
    CHECK(memcmp(out, ba, 16) == 0);
    size_t used = 0;
    CHECK_INT(wmgw_sid_read(&r, ba, sizeof(ba), &used, NULL), 0);
    CHECK_INT(used, 16);
    CHECK(wmgw_sid_equal(&r, &s));
    /* A 48-bit authority keeps its byte order. */
    s = sid_of("S-1-0x123456789ABC-7");
    wmgw_sid_write(&s, out);
    static const uint8_t big[] = {1, 1, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 7, 0, 0, 0};
    CHECK(memcmp(out, big, sizeof(big)) == 0);
    CHECK_INT(wmgw_sid_read(&r, out, 12, &used, NULL), 0);
    CHECK_STR(text_of(&r), "S-1-0x123456789ABC-7");
    /* Bad input. */
    struct wmgw_err e;
    uint8_t bad[72] = {2, 1, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0};
    CHECK_INT(wmgw_sid_read(&r, bad, 12, &used, &e), WMGW_EINVAL);
    CHECK_INT(e.position, 0);
    bad[0] = 1;
    bad[1] = 16;
    CHECK_INT(wmgw_sid_read(&r, bad, sizeof(bad), &used, &e), WMGW_EINVAL);
    CHECK_INT(e.position, 1);
    bad[1] = 2;
    CHECK_INT(wmgw_sid_read(&r, bad, 15, &used, &e), WMGW_EINVAL);
    CHECK_INT(e.position, 15);
    CHECK_INT(wmgw_sid_read(&r, bad, 7, &used, &e), WMGW_EINVAL);
}

static void test_order(void)
{
    struct wmgw_sid a = sid_of("S-1-5-32-544"), b = sid_of("S-1-5-32-545"), c = sid_of("S-1-5-32"),
                    d = sid_of("S-1-16-0");
    CHECK(wmgw_sid_cmp(&a, &b) < 0);
    CHECK(wmgw_sid_cmp(&b, &a) > 0);
    CHECK(wmgw_sid_cmp(&c, &a) < 0); /* a prefix sorts first */
    CHECK(wmgw_sid_cmp(&a, &d) < 0); /* authority first */
    CHECK(wmgw_sid_cmp(&a, &a) == 0);
    CHECK(!wmgw_sid_equal(&a, &c));
}

/* protocol-notes 5.3, copied here independently of auth/sid.c's table. */
static const struct {
    const char *alias, *sid;
} fixed[] = {
    {"WD", "S-1-1-0"},        {"CO", "S-1-3-0"},        {"CG", "S-1-3-1"},        {"OW", "S-1-3-4"},
    {"NU", "S-1-5-2"},        {"IU", "S-1-5-4"},        {"SU", "S-1-5-6"},        {"AN", "S-1-5-7"},
    {"ED", "S-1-5-9"},        {"PS", "S-1-5-10"},       {"AU", "S-1-5-11"},       {"RC", "S-1-5-12"},
    {"SY", "S-1-5-18"},       {"LS", "S-1-5-19"},       {"NS", "S-1-5-20"},       {"WR", "S-1-5-33"},
    {"BA", "S-1-5-32-544"},   {"BU", "S-1-5-32-545"},   {"BG", "S-1-5-32-546"},   {"PU", "S-1-5-32-547"},
    {"AO", "S-1-5-32-548"},   {"SO", "S-1-5-32-549"},   {"PO", "S-1-5-32-550"},   {"BO", "S-1-5-32-551"},
    {"RE", "S-1-5-32-552"},   {"RU", "S-1-5-32-554"},   {"RD", "S-1-5-32-555"},   {"NO", "S-1-5-32-556"},
    {"MU", "S-1-5-32-558"},   {"LU", "S-1-5-32-559"},   {"IS", "S-1-5-32-568"},   {"CY", "S-1-5-32-569"},
    {"ER", "S-1-5-32-573"},   {"CD", "S-1-5-32-574"},   {"RA", "S-1-5-32-575"},   {"ES", "S-1-5-32-576"},
    {"MS", "S-1-5-32-577"},   {"HA", "S-1-5-32-578"},   {"AA", "S-1-5-32-579"},   {"RM", "S-1-5-32-580"},
    {"AC", "S-1-15-2-1"},     {"UD", "S-1-5-84-0-0-0-0-0"},                       {"LW", "S-1-16-4096"},
    {"ME", "S-1-16-8192"},    {"MP", "S-1-16-8448"},    {"HI", "S-1-16-12288"},   {"SI", "S-1-16-16384"},
};

static const struct {
    const char *alias;
    unsigned rid;
    bool root;
} relative[] = {
    {"LA", 500, false}, {"LG", 501, false}, {"DA", 512, false}, {"DU", 513, false}, {"DG", 514, false},
    {"DC", 515, false}, {"DD", 516, false}, {"CA", 517, false}, {"SA", 518, true},  {"EA", 519, true},
    {"PA", 520, false}, {"RO", 498, true},  {"CN", 522, false}, {"RS", 553, false},
};

static void test_fixed_aliases(void)
{
    char out[WMGW_SID_TEXT_MAX];
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct wmgw_sid s, want = sid_of(fixed[i].sid);
        size_t used = 0;
        CHECK_INT(wmgw_sid_parse_sddl(&s, fixed[i].alias, 2, &used, NULL, NULL), 0);
        CHECK_INT(used, 2);
        if (!wmgw_sid_equal(&s, &want))
            fprintf(stderr, "  alias %s gave %s\n", fixed[i].alias, text_of(&s));
        CHECK(wmgw_sid_equal(&s, &want));
        CHECK_STR(wmgw_sid_alias(&want, NULL), fixed[i].alias);
        wmgw_sid_format_sddl(&want, NULL, out);
        CHECK_STR(out, fixed[i].alias);
    }
    /* Not aliases: numeric SIDs stay numeric, unknown letters fail. */
    struct wmgw_sid s = sid_of("S-1-5-32-557");
    CHECK(wmgw_sid_alias(&s, NULL) == NULL);
    wmgw_sid_format_sddl(&s, NULL, out);
    CHECK_STR(out, "S-1-5-32-557");
    struct wmgw_err e;
    size_t used;
    CHECK_INT(wmgw_sid_parse_sddl(&s, "XY", 2, &used, NULL, &e), WMGW_EINVAL);
    CHECK(strstr(e.message, "alias") != NULL);
    CHECK_INT(wmgw_sid_parse_sddl(&s, "B", 1, &used, NULL, &e), WMGW_EINVAL);
    CHECK_INT(wmgw_sid_parse_sddl(&s, "ba", 2, &used, NULL, &e), WMGW_EINVAL); /* case matters */
}

static void test_domain_aliases(void)
{
    struct wmgw_sid dom = sid_of("S-1-5-21-1-2-3"), root = sid_of("S-1-5-21-7-8-9"), s;
    struct wmgw_sid_domains only_dom = {&dom, NULL}, both = {&dom, &root};
    char out[WMGW_SID_TEXT_MAX], want[WMGW_SID_TEXT_MAX];
    size_t used;
    for (size_t i = 0; i < sizeof(relative) / sizeof(relative[0]); i++) {
        struct wmgw_err e = {0};
        /* Without a domain: refused, and the message says why. */
        CHECK_INT(wmgw_sid_parse_sddl(&s, relative[i].alias, 2, &used, NULL, &e), WMGW_EINVAL);
        CHECK(strstr(e.message, "no domain SID") != NULL);
        CHECK_INT(wmgw_sid_from_alias(&s, relative[i].alias, 2, &(struct wmgw_sid_domains){0}, &e), WMGW_EINVAL);
        /* With one: the RID under the (root) domain. */
        CHECK_INT(wmgw_sid_parse_sddl(&s, relative[i].alias, 2, &used, &both, NULL), 0);
        snprintf(want, sizeof(want), "S-1-5-21-%s-%u", relative[i].root ? "7-8-9" : "1-2-3", relative[i].rid);
        CHECK_STR(text_of(&s), want);
        wmgw_sid_format_sddl(&s, &both, out);
        CHECK_STR(out, relative[i].alias);
        wmgw_sid_format_sddl(&s, NULL, out);
        CHECK_STR(out, want);
        /* No root domain given: root aliases use the domain. */
        CHECK_INT(wmgw_sid_parse_sddl(&s, relative[i].alias, 2, &used, &only_dom, NULL), 0);
        snprintf(want, sizeof(want), "S-1-5-21-1-2-3-%u", relative[i].rid);
        CHECK_STR(text_of(&s), want);
    }
    /* A SID in another domain keeps its number. */
    s = sid_of("S-1-5-21-1-2-4-512");
    wmgw_sid_format_sddl(&s, &both, out);
    CHECK_STR(out, "S-1-5-21-1-2-4-512");
    /* A full domain SID leaves no room for a RID. */
    struct wmgw_sid full = sid_of("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15");
    struct wmgw_err e;
    CHECK_INT(wmgw_sid_from_alias(&s, "DA", 2, &(struct wmgw_sid_domains){&full, NULL}, &e), WMGW_EINVAL);
}

int main(void)
{
    WMGW_TEST_RUN(test_canonical_text);
    WMGW_TEST_RUN(test_bounds_and_errors);
    WMGW_TEST_RUN(test_binary);
    WMGW_TEST_RUN(test_order);
    WMGW_TEST_RUN(test_fixed_aliases);
    WMGW_TEST_RUN(test_domain_aliases);
    return WMGW_TEST_DONE();
}
