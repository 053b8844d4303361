/*
 * sddl_cond.c: tests for conditional expressions (auth/sddl_cond.c,
 * sddl_cond_text.c, sddl_lit.c) and resource attributes (sddl_attr.c):
 * the MS-DTYP 2.4.4.17.9 examples (Example 1 byte for byte, Examples 2 and
 * 3 token by token) and the -1 literal of 2.4.4.17.5, precedence, every
 * operator and literal form, attribute names with escapes, canonical text
 * that compiles back to the same bytes, binary shapes that have no SDDL
 * form, resource attributes of every type, and errors with positions.
 */
#include "auth/sddl_int.h"

#include "../test.h"
#include "sddl_check.h"

/* Compiles a condition field; returns the bytes (static) and their count. */
static const uint8_t *compile(const char *cond, size_t *n)
{
    static uint8_t bytes[4096];
    struct wmgw_buf b;
    struct wmgw_err e = {0};
    size_t used = 0;
    wmgw_buf_init(&b, sizeof(bytes));
    int rc = wmgw__cond_compile(cond, strlen(cond), 0, &used, &check_opts.domains, &b, &e);
    if (rc != 0 || used != strlen(cond)) {
        fprintf(stderr, "  compile \"%s\": rc %d used %zu: %s at %ld\n", cond, rc, used, e.message, e.position);
        wmgw_test__failed_checks++;
        *n = 0;
    } else {
        memcpy(bytes, b.data, b.len);
        *n = b.len;
    }
    wmgw_buf_dispose(&b);
    return bytes;
}

/* The condition prints as want inside an XA ACE, and want compiles to the
 * same bytes. */
static void cond_canon(const char *cond, const char *want)
{
    char in[1024], out[1024];
    snprintf(in, sizeof(in), "D:(XA;;FA;;;WD;%s)", cond);
    snprintf(out, sizeof(out), "D:(XA;;FA;;;WD;%s)", want ? want : cond);
    check_canon(in, out);
}

/* The postfix byte codes of a compiled condition. */
static void expect_tokens(const char *cond, const uint8_t *codes, size_t count)
{
    size_t n, pos = 0, k = 0;
    const uint8_t *d = compile(cond, &n);
    CHECK(n >= 4 && memcmp(d, "artx", 4) == 0 && n % 4 == 0);
    struct wmgw__tok t;
    while (n >= 4 && wmgw__tok_next(d + 4, n - 4, &pos, &t, NULL) == 0) {
        if (k >= count || t.code != codes[k])
            fprintf(stderr, "  %s: token %zu is 0x%02x\n", cond, k, t.code);
        CHECK(k < count && t.code == codes[k]);
        k++;
    }
    CHECK_INT(k, count);
}

static void test_dtyp_examples(void)
{
    /* Example 1: (Title=="VP"), its ApplicationData with 3 bytes of padding. */
    static const char *hex = "61 72 74 78 f8 0a 00 00 00 54 00 69 00 74 00 6c 00 65 00 10 04 00 00 00"
                             "56 00 50 00 80 00 00 00";
    uint8_t want[64];
    size_t wn = test_unhex(hex, want, sizeof(want)), n;
    const uint8_t *got = compile("(Title==\"VP\")", &n);
    CHECK_INT(n, wn);
    if (n != wn || memcmp(got, want, n) != 0)
        check_dump("compiled", got, n);
    CHECK(n == wn && memcmp(got, want, n) == 0);
    cond_canon("(Title==\"VP\")", "(Title == \"VP\")");

    /* Example 2, in the postfix order the spec gives. */
    static const uint8_t ex2[] = {WMGW__TOK_USER_ATTR, WMGW__TOK_INT64,     WMGW__TOK_EQ,       WMGW__TOK_DEVICE_ATTR,
                                  WMGW__TOK_INT64,     WMGW__TOK_EQ,        WMGW__TOK_OR,       WMGW__TOK_RESOURCE_ATTR,
                                  WMGW__TOK_COMPOSITE, WMGW__TOK_ANY_OF,    WMGW__TOK_AND};
    const char *c2 = "((@User.smartcard==1 || @Device.managed==1) && (@Resource.dept Any_of{\"Sales\",\"HR\"}))";
    expect_tokens(c2, ex2, sizeof(ex2));
    cond_canon(c2, "(((@USER.smartcard == 1) || (@DEVICE.managed == 1)) && "
                   "(@RESOURCE.dept Any_of {\"Sales\", \"HR\"}))");

    /* Example 3. */
    static const uint8_t ex3[] = {WMGW__TOK_USER_ATTR, WMGW__TOK_RESOURCE_ATTR, WMGW__TOK_GE,
                                  WMGW__TOK_COMPOSITE, WMGW__TOK_MEMBER_OF,     WMGW__TOK_OR};
    const char *c3 = "((@User.clearanceLevel>=@Resource.requiredClearance) || (Member_of{SID(BA)}))";
    expect_tokens(c3, ex3, sizeof(ex3));
    cond_canon(c3, "((@USER.clearanceLevel >= @RESOURCE.requiredClearance) || (Member_of {SID(BA)}))");

    /* 2.4.4.17.5: -1 as a signed int64 is 04, eight FF, sign 02, base 02. */
    got = compile("(@User.x == -1)", &n);
    static const uint8_t minus1[] = {0x04, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x02};
    CHECK(n >= 4 + 7 + 11 && memcmp(got + 4 + 7, minus1, sizeof(minus1)) == 0); /* after artx and @User.x */
}

static void test_precedence(void)
{
    const uint8_t A = WMGW__TOK_LOCAL_ATTR, AND = WMGW__TOK_AND, OR = WMGW__TOK_OR, NOT = WMGW__TOK_NOT;
    expect_tokens("(a || b && c)", (const uint8_t[]){A, A, A, AND, OR}, 5);
    expect_tokens("(a && b || c)", (const uint8_t[]){A, A, AND, A, OR}, 5);
    expect_tokens("((a || b) && c)", (const uint8_t[]){A, A, OR, A, AND}, 5);
    expect_tokens("(!a && b)", (const uint8_t[]){A, NOT, A, AND}, 4);
    expect_tokens("(!(a && b))", (const uint8_t[]){A, A, AND, NOT}, 4);
    /* relational binds tighter than ! */
    expect_tokens("(!a == 1)", (const uint8_t[]){A, WMGW__TOK_INT64, WMGW__TOK_EQ, NOT}, 4);
    expect_tokens("(a || b || c)", (const uint8_t[]){A, A, OR, A, OR}, 5);
    cond_canon("(a || b && c)", "(a || (b && c))");
    cond_canon("(a && b || c)", "((a && b) || c)");
    cond_canon("(!a)", NULL);
    cond_canon("(!(!(a)))", "(!(!a))");
    cond_canon("(a)", NULL);
    cond_canon("((((a))))", "(a)");
    cond_canon("(  a   &&\tb\n)", "(a && b)");
}

static void test_operators(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"(@User.x==1)", "(@USER.x == 1)"},
        {"(@User.x!=1)", "(@USER.x != 1)"},
        {"(@User.x<1)", "(@USER.x < 1)"},
        {"(@User.x<=1)", "(@USER.x <= 1)"},
        {"(@User.x>1)", "(@USER.x > 1)"},
        {"(@User.x>=1)", "(@USER.x >= 1)"},
        {"(@User.x Contains {1,2})", "(@USER.x Contains {1, 2})"},
        {"(@USER.x Contains {1, 2})", NULL},
        {"(@User.x Not_Contains 1)", "(@USER.x Not_Contains 1)"},
        {"(@User.x any_of {\"a\",\"b\"})", "(@USER.x Any_of {\"a\", \"b\"})"},
        {"(@User.x Not_Any_of @Resource.y)", "(@USER.x Not_Any_of @RESOURCE.y)"},
        {"(Exists @User.x)", "(Exists @USER.x)"},
        {"(Not_Exists x)", NULL},
        {"(member_OF {SID(BA)})", "(Member_of {SID(BA)})"},
        {"(Member_of{SID(BA),SID(S-1-5-21-1-2-3-512)})", "(Member_of {SID(BA), SID(DA)})"},
        {"(Member_of SID(BA))", NULL},
        {"(Not_Member_of {SID(WD)})", NULL},
        {"(Member_of_Any {SID(WD)})", NULL},
        {"(Not_Member_of_Any {SID(WD)})", NULL},
        {"(Device_Member_of {SID(WD)})", NULL},
        {"(Device_Member_of_Any {SID(WD)})", NULL},
        {"(Not_Device_Member_of {SID(WD)})", NULL},
        {"(Not_Device_Member_of_Any {SID(WD)})", NULL},
        {"(@Device.Bitlocker && @Device.Bitlocker)", "(@DEVICE.Bitlocker && @DEVICE.Bitlocker)"},
        {"(a == @User.a)", "(a == @USER.a)"},
        {"(@User.a == @Local.b)", "(@USER.a == @Local.b)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cond_canon(cases[i].in, cases[i].out);
}

static void test_literals(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"(@User.x == 0x1F)", "(@USER.x == 0x1f)"},
        {"(@User.x == 017)", "(@USER.x == 017)"},
        {"(@User.x == 00)", "(@USER.x == 00)"},
        {"(@User.x == 0)", "(@USER.x == 0)"},
        {"(@User.x == +5)", "(@USER.x == +5)"},
        {"(@User.x == -0x10)", "(@USER.x == -0x10)"},
        {"(@User.x == -0)", "(@USER.x == -0)"},
        {"(@User.x == 9223372036854775807)", "(@USER.x == 9223372036854775807)"},
        {"(@User.x == -9223372036854775808)", "(@USER.x == -9223372036854775808)"},
        {"(@User.x == 0xffffffffffffffff)", "(@USER.x == 0xffffffffffffffff)"},
        {"(@User.x == #0aFF)", "(@USER.x == #0aff)"},
        {"(@User.x == #)", "(@USER.x == #)"},
        {"(@User.x == \"\")", "(@USER.x == \"\")"},
        {"(@User.x == \"h\xc3\xa9llo \xf0\x9f\x98\x80\")", "(@USER.x == \"h\xc3\xa9llo \xf0\x9f\x98\x80\")"},
        {"(@User.x == SID(S-1-5-21-1-2-3-512))", "(@USER.x == SID(DA))"},
        {"(@User.x == {1, \"a\", #00, SID(WD)})", "(@USER.x == {1, \"a\", #00, SID(WD)})"},
        {"(@User.x == {1})", "(@USER.x == {1})"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cond_canon(cases[i].in, cases[i].out);
}

static void test_names(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"(@User.a%0020b == 1)", "(@USER.a%0020b == 1)"},
        {"(@User.a%0021%0028%0029%0022%002C == 1)", "(@USER.a%0021%0028%0029%0022%002C == 1)"},
        {"(@User.na\xc3\xafve == 1)", "(@USER.na\xc3\xafve == 1)"},
        {"(@User.%00e9 == 1)", "(@USER.\xc3\xa9 == 1)"},
        {"(@User.%D800 == 1)", "(@USER.%D800 == 1)"}, /* a lone surrogate stays escaped */
        {"(@User.#$'*+-./:;?@[\\]^_`{}~ == 1)", "(@USER.#$'*+-./:;?@[\\]^_`{}~ == 1)"},
        {"(a:b/c.d_e@f == 1)", NULL},
        {"(1abc)", NULL},
        {"(@Local.a%0020b)", NULL},
        {"(@Token.x)", "(x)"},
        {"(@local.Exists == 1)", "(@Local.Exists == 1)"},
        {"(Exists.x)", NULL},
        {"(Member_of@x)", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cond_canon(cases[i].in, cases[i].out);
}

static void test_errors(void)
{
    static const struct {
        const char *cond;
        long pos; /* within the condition */
        const char *what;
    } cases[] = {
        {"", 0, "expected '('"},
        {"a", 0, "expected '('"},
        {"(@User.x == )", 12, "expected a value"},
        {"(@Foo.x == 1)", 1, "expected @User."},
        {"(@User == 1)", 1, "expected @User."},
        {"(@User.x < {1,2})", 11, "single value"},
        {"(@User.x == \"abc)", 12, "no closing"},
        {"(@User.x == \"a\tb\")", 14, "control character"},
        {"(@User.x == \"\xff\")", 13, "invalid UTF-8"},
        {"(Member_of {SID(BA), 1})", 21, "expected SID("},
        {"(Member_of {SID(XX)})", 16, "expected a SID"},
        {"(Member_of {SID(BA)", 19, "expected ',' or '}'"},
        {"(@User.x == 99999999999999999999)", 12, "does not fit"},
        {"(@User.x == 9223372036854775808)", 12, "does not fit"},
        {"(@User.x == -9223372036854775809)", 12, "does not fit"},
        {"(@User.x == 0x10000000000000000)", 12, "does not fit"},
        {"(a &&)", 5, "attribute name"},
        {"(a ||)", 5, "attribute name"},
        {"(@User.x == 1", 14, "expected ')' to close the ACE"},
        {"(@User.x == 1 1)", 14, "expected ')'"},
        {"(@User.a%00 == 1)", 8, "4 hex digits"},
        {"(@User.a%0000)", 8, "%0000"},
        {"(@User.x Contains)", 17, "expected a value"},
        {"(@User.xContains 1)", 17, "expected ')'"},
        {"(@User.x == #abc)", 16, "second hex digit"},
        {"()", 1, "attribute name"},
        {"(!)", 2, "attribute name"},
        {"(Exists \"x\")", 8, "attribute name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* Positions count from the start of the SDDL text. */
        char text[256];
        int prefix = snprintf(text, sizeof(text), "D:(XA;;;;;WD;");
        snprintf(text + prefix, sizeof(text) - (size_t)prefix, "%s)", cases[i].cond);
        check_bad_sddl(text, prefix + cases[i].pos, cases[i].what);
    }
}

static void test_limits(void)
{
    char text[1024];
    int k = snprintf(text, sizeof(text), "D:(XA;;;;;WD;");
    for (int d = 0; d < WMGW_SDDL_MAX_COND_DEPTH; d++)
        text[k++] = '(';
    text[k++] = 'a';
    for (int d = 0; d < WMGW_SDDL_MAX_COND_DEPTH; d++)
        text[k++] = ')';
    text[k++] = ')';
    text[k] = '\0';
    struct wmgw_sd sd;
    if (check_parse(&sd, text)) /* 32 levels are fine */
        wmgw_sd_dispose(&sd);
    k = snprintf(text, sizeof(text), "D:(XA;;;;;WD;");
    for (int d = 0; d <= WMGW_SDDL_MAX_COND_DEPTH; d++)
        text[k++] = '(';
    text[k++] = 'a';
    for (int d = 0; d <= WMGW_SDDL_MAX_COND_DEPTH; d++)
        text[k++] = ')';
    strcpy(text + k, ")");
    check_bad_sddl(text, 13 + WMGW_SDDL_MAX_COND_DEPTH + 1, "nested deeper");
    /* ! counts as a level too. */
    k = snprintf(text, sizeof(text), "D:(XA;;;;;WD;(");
    for (int d = 0; d < WMGW_SDDL_MAX_COND_DEPTH; d++)
        text[k++] = '!';
    strcpy(text + k, "a))");
    check_bad_sddl(text, 14 + WMGW_SDDL_MAX_COND_DEPTH, "nested deeper");
    /* Within the limit, but printed as Windows prints it, (!(!(...a))),
     * twice as deep as the limit: refused, since a descriptor must print
     * back as SDDL that parses. */
    text[14 + WMGW_SDDL_MAX_COND_DEPTH - 1] = ' ';
    check_bad_sddl(text, 13, "cannot be written back");
    /* Half of that prints within the limit. */
    k = snprintf(text, sizeof(text), "D:(XA;;;;;WD;(");
    for (int d = 0; d < (WMGW_SDDL_MAX_COND_DEPTH - 1) / 2; d++)
        text[k++] = '!';
    strcpy(text + k, "a))");
    if (check_parse(&sd, text))
        wmgw_sd_dispose(&sd);
    /* A long flat chain prints flat: (a || b || ... ) with 100 operands. */
    k = snprintf(text, sizeof(text), "D:(XA;;;;;WD;(a");
    for (int d = 0; d < 100; d++)
        k += snprintf(text + k, sizeof(text) - (size_t)k, " || a");
    strcpy(text + k, "))");
    if (check_parse(&sd, text)) {
        struct wmgw_buf out;
        wmgw_buf_init(&out, 1 << 16);
        CHECK_INT(wmgw_sddl_format(&sd, NULL, &out, NULL), 0);
        CHECK(out.data != NULL && strstr(out.data, "(a || a || a") != NULL);
        wmgw_buf_dispose(&out);
        wmgw_sd_dispose(&sd);
    }
    /* Token count: a set of 2100 numbers. */
    size_t cap = 16 + 2100 * 3 + 16;
    char *big = malloc(cap);
    size_t n = (size_t)snprintf(big, cap, "D:(XA;;;;;WD;(a == {");
    for (int i = 0; i < 2100; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s1", i ? "," : "");
    snprintf(big + n, cap - n, "}))");
    struct wmgw_err e;
    CHECK_INT(wmgw_sddl_parse(&sd, big, strlen(big), &check_opts, &e), WMGW_EINVAL);
    CHECK(strstr(e.message, "more tokens") != NULL);
    free(big);
}

/* Binary expressions the parser cannot produce do not print. */
static void test_no_sddl_form(void)
{
    static const char *bad[] = {
        "61727478 04 0100000000000000 03 02",                       /* a lone literal */
        "61727478 f8 02000000 6100 04 0100000000000000 03 02",      /* two operands left */
        "61727478 80",                                              /* operator without operands */
        "61727478 04 0100000000000000 03 02 04 0200000000000000 03 02 80", /* literal == literal */
        "61727478 f8 02000000 6100 f8 02000000 6200 a0 a0",         /* && short of an operand */
        "61727478 50 00000000 89",                                  /* Member_of of an empty set */
        "61727478 04 0100000000000000 03 02 89",                    /* Member_of of a number */
        "61727478 f8 02000000 6100 50 06000000 50 01000000 04 80", /* nested composite */
        "61727478 87 00",                                           /* Exists of nothing */
        "61727478 f8 02000000 6100 00 00 00 00",                    /* 4 bytes of padding */
        "61727478 f8 02000000 6100 00 01",                          /* padding not zero */
        "61727478 10 05000000 6100",                                /* odd string length */
        "61727478 f8 00000000",                                     /* empty name */
        "61727478 01 ff00000000000000 03 02",                       /* int8 out of range */
        "61727478 04 0100000000000000 04 02",                       /* bad sign code */
        "61727478 51 04000000 01010000",                            /* short SID */
        "61727478 ff",                                              /* unknown token */
        "61727478 f8 ffffff7f 61",                                  /* length beyond the data */
        "41424344 f8 02000000 6100",                                /* not a conditional expression */
        "61727478 f8 02000000 0000",                                /* name holding U+0000 */
        "61727478 f8 02000000 6100 10 02000000 2200 80",            /* string holding '"' */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t d[128];
        size_t n = test_unhex(bad[i], d, sizeof(d));
        struct wmgw_buf b;
        struct wmgw_err e = {0};
        wmgw_buf_init(&b, 4096);
        int rc = wmgw__cond_format(d, n, NULL, &b, &e);
        if (rc != WMGW_EUNSUPPORTED && rc != WMGW_EINVAL)
            fprintf(stderr, "  case %zu: rc %d, text %s\n", i, rc, b.data ? b.data : "");
        CHECK(rc == WMGW_EUNSUPPORTED || rc == WMGW_EINVAL);
        wmgw_buf_dispose(&b);
    }
    /* And one that does: int8 and int32 print like int64. */
    uint8_t d[64];
    size_t n = test_unhex("61727478 f8 02000000 6100 01 ffffffffffffffff 02 02 80", d, sizeof(d));
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    CHECK_INT(wmgw__cond_format(d, n, NULL, &b, NULL), 0);
    CHECK_STR(b.data, "(a == -1)");
    wmgw_buf_dispose(&b);
}

static void test_resource_attributes(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"(\"Project\",TS,0x0,\"Alpha\",\"Beta\")", NULL},
        {"(\"colour\",TS,0,\"blue\", \"red\")", "(\"colour\",TS,0x0,\"blue\",\"red\")"},
        {"( \"n\" , TI , 0x10002 , -5 , 0x10 , 9223372036854775807 )", "(\"n\",TI,0x10002,-5,16,9223372036854775807)"},
        {"(\"n\",TU,0x0,18446744073709551615,0)", NULL},
        {"(\"n\",TD,0x0,BA,S-1-5-21-1-2-3-512,S-1-5-21-9-9-9-1000)", "(\"n\",TD,0x0,BA,DA,S-1-5-21-9-9-9-1000)"},
        {"(\"n\",TX,0x0,#00ff,#)", NULL},
        {"(\"n\",TB,0x0,0,1)", NULL},
        {"(\"n\",TS,0x0)", NULL},
        {"(\"a%0020b\",TS,0x0,\"x\")", NULL},
        {"(\"a%0022b\",TS,0xffffffff,\"x\")", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[512], out[512];
        snprintf(in, sizeof(in), "S:(RA;CI;;;;WD;%s)", cases[i].in);
        snprintf(out, sizeof(out), "S:(RA;CI;;;;WD;%s)", cases[i].out ? cases[i].out : cases[i].in);
        check_canon(in, out);
    }
    /* The layout: header, offsets, name, values, padding. */
    struct wmgw_sd sd;
    if (check_parse(&sd, "S:(RA;;;;;WD;(\"ab\",TI,0x2,7))")) {
        static const char *want = "14000000 0100 0000 02000000 01000000 1a000000"
                                  "6100 6200 0000 0700000000000000 0000";
        uint8_t w[64];
        size_t wn = test_unhex(want, w, sizeof(w));
        const struct wmgw_ace *a = &sd.sacl->aces[0];
        CHECK_INT(a->data_len, wn);
        CHECK(a->data_len == wn && memcmp(a->data, w, wn) == 0);
        if (a->data_len != wn || memcmp(a->data, w, wn) != 0)
            check_dump("RA data", a->data, a->data_len);
        struct wmgw__claim c;
        CHECK_INT(wmgw__claim_read(a->data, a->data_len, &c, NULL), 0);
        CHECK_INT(c.count, 1);
        CHECK_INT(c.type, WMGW__CLAIM_INT64);
        CHECK_INT(c.flags, 2);
        wmgw_sd_dispose(&sd);
    }
}

int main(void)
{
    check_init_domain();
    WMGW_TEST_RUN(test_dtyp_examples);
    WMGW_TEST_RUN(test_precedence);
    WMGW_TEST_RUN(test_operators);
    WMGW_TEST_RUN(test_literals);
    WMGW_TEST_RUN(test_names);
    WMGW_TEST_RUN(test_errors);
    WMGW_TEST_RUN(test_limits);
    WMGW_TEST_RUN(test_no_sddl_form);
    WMGW_TEST_RUN(test_resource_attributes);
    return WMGW_TEST_DONE();
}
