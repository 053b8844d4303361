/*
 * sd_binary.c: tests for auth/sd_binary.c, the self-relative security
 * descriptor: the MS-DTYP 2.5.1.4 example byte for byte both ways, the
 * layout of object, callback and resource-attribute ACEs and of NULL and
 * empty ACLs, SDDL -> binary -> SDDL round trips, what decoding tolerates
 * (ACL slack, ACE padding, any order of parts, RM control bits) and what
 * it refuses, each at the byte offset of the fault.
 */
#include "auth/sddl_int.h"

#include "../test.h"
#include "sddl_check.h"

static uint8_t enc[1 << 17];

/* The binary form of an SDDL string (in enc); 0 on failure. */
static size_t encode(const char *text)
{
    struct wmgw_sd sd;
    if (!check_parse(&sd, text))
        return 0;
    struct wmgw_buf b;
    struct wmgw_err e = {0};
    wmgw_buf_init(&b, sizeof(enc));
    int rc = wmgw_sd_encode(&sd, &b, &e);
    size_t n = rc == 0 ? b.len : 0;
    if (rc != 0) {
        fprintf(stderr, "  encode %s: %s\n", text, e.message);
        wmgw_test__failed_checks++;
    } else {
        memcpy(enc, b.data, n);
    }
    wmgw_buf_dispose(&b);
    wmgw_sd_dispose(&sd);
    return n;
}

static void expect_bytes(const char *text, const char *hex)
{
    uint8_t want[1024];
    size_t wn = test_unhex(hex, want, sizeof(want)), n = encode(text);
    if (n != wn || memcmp(enc, want, n) != 0) {
        fprintf(stderr, "  %s\n", text);
        check_dump("got", enc, n);
        check_dump("expected", want, wn);
    }
    CHECK(n == wn && memcmp(enc, want, n) == 0);
}

/* Decoding p[0..n) gives the canonical SDDL want. */
static void expect_sddl(const uint8_t *p, size_t n, const char *want)
{
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    int rc = wmgw_sd_decode(&sd, p, n, &e);
    if (rc != 0)
        fprintf(stderr, "  decode: %s at %ld\n", e.message, e.position);
    CHECK_INT(rc, 0);
    if (rc == 0) {
        CHECK_STR(check_format(&sd), want);
        wmgw_sd_dispose(&sd);
    }
}

static void expect_bad(const uint8_t *p, size_t n, long pos, const char *what)
{
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    int rc = wmgw_sd_decode(&sd, p, n, &e);
    if (rc != WMGW_EINVAL || e.position != pos || strstr(e.message, what) == NULL)
        fprintf(stderr, "  rc %d at %ld: %s (expected at %ld: %s)\n", rc, e.position, e.message, pos, what);
    CHECK_INT(rc, WMGW_EINVAL);
    CHECK_INT(e.position, pos);
    CHECK(strstr(e.message, what) != NULL);
    CHECK(sd.dacl == NULL && sd.sacl == NULL);
}

static void test_dtyp_example(void)
{
    const char *text = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)"
                       "S:P(AU;FA;GR;;;WD)";
    static const char *hex = /* MS-DTYP 2.5.1.4 */
        "01 00 14 b0 90 00 00 00 a0 00 00 00 14 00 00 00"
        "30 00 00 00 02 00 1c 00 01 00 00 00 02 80 14 00"
        "00 00 00 80 01 01 00 00 00 00 00 01 00 00 00 00"
        "02 00 60 00 04 00 00 00 00 03 18 00 00 00 00 a0"
        "01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00"
        "00 03 18 00 00 00 00 10 01 02 00 00 00 00 00 05"
        "20 00 00 00 20 02 00 00 00 03 14 00 00 00 00 10"
        "01 01 00 00 00 00 00 05 12 00 00 00 00 03 14 00"
        "00 00 00 10 01 01 00 00 00 00 00 03 00 00 00 00"
        "01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00"
        "01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00";
    expect_bytes(text, hex);
    uint8_t spec[256];
    size_t n = test_unhex(hex, spec, sizeof(spec));
    CHECK_INT(n, 0xb0);
    struct wmgw_sd from_text, from_bytes;
    if (check_parse(&from_text, text)) {
        CHECK_INT(wmgw_sd_decode(&from_bytes, spec, n, NULL), 0);
        CHECK(wmgw_sd_equal(&from_text, &from_bytes));
        wmgw_sd_dispose(&from_bytes);
        wmgw_sd_dispose(&from_text);
    }
    expect_sddl(spec, n, "O:BAG:BAD:P(A;OICI;GXGR;;;BU)(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;GA;;;CO)"
                         "S:P(AU;FA;GR;;;WD)");
}

static void test_layouts(void)
{
    /* NULL DACL: present bit, offset 0.  Empty DACL: an 8-byte ACL. */
    expect_bytes("D:NO_ACCESS_CONTROL", "01 00 04 80 00000000 00000000 00000000 00000000");
    expect_bytes("D:", "01 00 04 80 00000000 00000000 00000000 14000000 02 00 08 00 00 00 00 00");
    expect_bytes("", "01 00 00 80 00000000 00000000 00000000 00000000");
    expect_bytes("S:NO_ACCESS_CONTROLD:P", "01 00 14 90 00000000 00000000 00000000 14000000 02 00 08 00 00 00 00 00");
    /* An object ACE: revision 4, flags, GUID in wire order. */
    expect_bytes("D:(OA;CI;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;WD)",
                 "01 00 04 80 00000000 00000000 00000000 14000000"
                 "04 00 30 00 01 00 00 00"
                 "05 02 28 00 00010000 01000000 aaf63111079cd111f79f00c04fc2dcd2 010100000000000100000000");
    expect_bytes("D:(OD;;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)",
                 "01 00 04 80 00000000 00000000 00000000 14000000"
                 "04 00 30 00 01 00 00 00"
                 "06 00 28 00 10000000 02000000 ba7a96bfe60dd011a28500aa003049e2 01010000000000050b000000");
    /* A callback ACE carries the expression and its padding (Example 1). */
    expect_bytes("D:(XA;;FX;;;WD;(Title==\"VP\"))",
                 "01 00 04 80 00000000 00000000 00000000 14000000"
                 "02 00 3c 00 01 00 00 00"
                 "09 00 34 00 a0001200 010100000000000100000000"
                 "61727478 f8 0a000000 5400690074006c006500 10 04000000 56005000 80 000000");
    /* A label in the SACL. */
    expect_bytes("S:(ML;;NW;;;HI)", "01 00 10 80 00000000 00000000 14000000 00000000"
                                    "02 00 1c 00 01 00 00 00 11 00 14 00 01000000 0101000000000010 00300000");
}

static void test_round_trips(void)
{
    static const char *texts[] = {
        "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)",
        "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)",
        "O:DAG:DUD:PAI(D;OICI;GA;;;AN)(A;OICIIOID;GA;;;CO)(A;;0x1200a9;;;S-1-5-21-9-9-9-1000)",
        "D:(A;;GA;;;WD)(D;;GA;;;AN)(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
        "(OD;CI;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)(OA;;CR;;;WD)"
        "(XA;;GR;;;WD;(Member_of {SID(BA)}))(XD;;GW;;;WD;(@USER.Title == \"PM\"))"
        "(ZA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;AU;(Exists @RESOURCE.x))"
        "S:(AU;SA;GA;;;WD)(AL;FA;GA;;;WD)"
        "(OU;SA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)"
        "(OL;;WP;;;WD)(ML;;NW;;;LW)(SP;;;;;S-1-17-1-2)(XU;SA;GR;;;WD;(@USER.dept == \"x\"))"
        "(RA;;;;;WD;(\"dept\",TS,0x0,\"Sales\",\"HR\"))",
        "S:(RA;;;;;WD;(\"n\",TD,0x0,BA,DA))(RA;;;;;WD;(\"o\",TX,0x0,#00ff))(RA;;;;;WD;(\"b\",TB,0x0,1,0))"
        "(RA;;;;;WD;(\"i\",TI,0x0,-1,5))(RA;;;;;WD;(\"u\",TU,0x2,18446744073709551615))",
        "O:S-1-0x12A05F200-30-40D:NO_ACCESS_CONTROLS:",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct wmgw_sd sd, back;
        if (!check_parse(&sd, texts[i]))
            continue;
        size_t n = encode(texts[i]);
        CHECK(n > 0);
        CHECK_INT(wmgw_sd_decode(&back, enc, n, NULL), 0);
        CHECK(wmgw_sd_equal(&sd, &back));
        CHECK_STR(check_format(&back), check_format(&sd));
        /* The binary form of the decoded descriptor is the same bytes. */
        struct wmgw_buf b;
        wmgw_buf_init(&b, sizeof(enc));
        CHECK_INT(wmgw_sd_encode(&back, &b, NULL), 0);
        CHECK(b.len == n && memcmp(b.data, enc, n) == 0);
        wmgw_buf_dispose(&b);
        wmgw_sd_dispose(&back);
        wmgw_sd_dispose(&sd);
    }
}

static void test_tolerated(void)
{
    uint8_t d[256];
    size_t n;
    /* ACL with unused space after its ACE (Windows leaves it). */
    n = test_unhex("01 00 04 80 00000000 00000000 00000000 14000000"
                    "02 00 24 00 01 00 00 00 00 00 14 00 00000010 010100000000000100000000 0000000000000000",
                    d, sizeof(d));
    expect_sddl(d, n, "D:(A;;GA;;;WD)");
    /* Bytes after the SID of a plain ACE are ignored (2.4.4.1). */
    n = test_unhex("01 00 04 80 00000000 00000000 00000000 14000000"
                    "02 00 20 00 01 00 00 00 00 00 18 00 00000010 010100000000000100000000 deadbeef",
                    d, sizeof(d));
    expect_sddl(d, n, "D:(A;;GA;;;WD)");
    /* Parts in any order: owner first, then the DACL; trailing bytes. */
    n = test_unhex("01 00 04 80 14000000 00000000 00000000 24000000"
                    "0102000000000005 2000000020020000"
                    "02 00 1c 00 01 00 00 00 00 00 14 00 00000010 010100000000000100000000 ffff",
                    d, sizeof(d));
    expect_sddl(d, n, "O:BAD:(A;;GA;;;WD)");
    /* A NULL SACL and resource manager bits, kept exactly. */
    n = test_unhex("01 42 10 c0 00000000 00000000 00000000 00000000", d, sizeof(d));
    struct wmgw_sd sd;
    CHECK_INT(wmgw_sd_decode(&sd, d, n, NULL), 0);
    CHECK_INT(sd.rm_control, 0x42);
    CHECK_INT(sd.control, WMGW_SD_SACL_PRESENT | WMGW_SD_RM_CONTROL_VALID);
    CHECK(sd.sacl == NULL);
    struct wmgw_buf b;
    wmgw_buf_init(&b, 256);
    CHECK_INT(wmgw_sd_encode(&sd, &b, NULL), 0);
    CHECK(b.len == n && memcmp(b.data, d, n) == 0);
    wmgw_buf_dispose(&b);
    CHECK_STR(check_format(&sd), "S:NO_ACCESS_CONTROL");
    wmgw_sd_dispose(&sd);
}

static void put32(uint8_t *p, uint32_t v)
{
    wmgw__put32(p, v);
}

static void test_refused(void)
{
    /* O:BAG:SYD:(A;;GA;;;WD): DACL at 20 (ACE at 28, SID at 36), owner at
     * 48, group at 64, 76 bytes. */
    uint8_t base[76], d[128];
    CHECK_INT(encode("O:BAG:SYD:(A;;GA;;;WD)"), 76);
    memcpy(base, enc, 76);
    CHECK_INT(wmgw__le32(base + 16), 20);
    CHECK_INT(wmgw__le32(base + 4), 48);
#define MUTATE(stmt, pos, what)                                                                                       \
    do {                                                                                                              \
        memcpy(d, base, 76);                                                                                          \
        stmt;                                                                                                         \
        expect_bad(d, 76, pos, what);                                                                                 \
    } while (0)
    expect_bad(base, 19, 19, "shorter than");
    MUTATE(d[0] = 2, 0, "revision not 1");
    MUTATE(d[3] = 0x00, 2, "self-relative");
    MUTATE(put32(d + 16, 76), 16, "ACL offset outside");
    MUTATE(put32(d + 16, 8), 16, "ACL offset outside");
    MUTATE(put32(d + 16, 70), 16, "ACL offset outside"); /* not 8 bytes left */
    MUTATE(d[2] = 0x00, 16, "without the DACL-present bit");
    MUTATE(put32(d + 12, 20), 12, "without the SACL-present bit");
    MUTATE(put32(d + 4, 200), 4, "SID offset outside");
    MUTATE(put32(d + 8, 3), 8, "SID offset outside");
    MUTATE(put32(d + 4, 74), 76, "truncated");
    MUTATE(d[48] = 3, 48, "revision 3");
    MUTATE(d[20] = 3, 20, "ACL revision");
    MUTATE(d[21] = 1, 21, "reserved");
    MUTATE(d[26] = 1, 21, "reserved");
    MUTATE(d[22] = 200, 22, "AclSize");
    MUTATE(d[22] = 4, 22, "AclSize");
    MUTATE(d[24] = 2, 48, "ACE header beyond the ACL");
    MUTATE(d[30] = 0x13, 30, "multiple of 4");
    MUTATE(d[30] = 0x0c, 30, "too small");
    MUTATE(d[30] = 0x18, 30, "beyond the end of its ACL");
    MUTATE(d[28] = 0x04, 28, "unsupported ACE type");
    MUTATE(d[28] = 0x14, 28, "unsupported ACE type");
    MUTATE(d[28] = 0x02, 28, "in a DACL");
    MUTATE(d[28] = 0x11, 28, "in a DACL");
    MUTATE(d[36] = 2, 36, "ACE SID");
    MUTATE(d[37] = 5, 48, "ACE SID");
    MUTATE(d[37] = 16, 37, "ACE SID");
    /* Object ACEs. */
    size_t n = encode("D:(OA;;CR;;;WD)"); /* ACL at 20, ACE at 28, object flags at 36 */
    CHECK_INT(n, 52);
    memcpy(d, enc, n);
    d[20] = 2;
    expect_bad(d, n, 28, "object ACE in a revision 2 ACL");
    memcpy(d, enc, n);
    put32(d + 36, 4);
    expect_bad(d, n, 36, "unknown object ACE flags");
    memcpy(d, enc, n);
    put32(d + 36, 1);
    expect_bad(d, n, 40, "object GUID beyond the ACE");
    /* A resource attribute whose value offset points nowhere (data at 48,
     * the first value offset at 64). */
    n = encode("S:(RA;;;;;WD;(\"ab\",TI,0x2,7))");
    memcpy(d, enc, n);
    put32(d + 64, 0xFF);
    expect_bad(d, n, 64, "value offset beyond");
    memcpy(d, enc, n);
    put32(d + 48, 0xFF);
    expect_bad(d, n, 48, "name missing");
    memcpy(d, enc, n);
    d[52] = 9;
    expect_bad(d, n, 52, "unknown value type");
    /* A label with rights other than NW NR NX. */
    n = encode("S:(ML;;NW;;;HI)");
    memcpy(d, enc, n);
    d[32] = 0x10;
    expect_bad(d, n, 28, "other than NW NR NX");
#undef MUTATE
}

static void test_encode_errors(void)
{
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    /* A hand-built ACE that breaks the rules. */
    CHECK(check_parse(&sd, "D:(A;;GA;;;WD)"));
    sd.dacl->aces[0].type = WMGW_ACE_AUDIT;
    CHECK_INT(wmgw_sd_encode(&sd, &b, &e), WMGW_EINVAL);
    CHECK(strstr(e.message, "DACL ACE 0") != NULL);
    CHECK_INT(b.len, 0); /* nothing half-written */
    wmgw_sd_dispose(&sd);
    /* An ACL past 64 KiB (3277 ACEs of 20 bytes). */
    wmgw_sd_init(&sd);
    sd.control = WMGW_SD_DACL_PRESENT;
    sd.dacl = wmgw__acl_new();
    struct wmgw_ace a = {0};
    wmgw_sid_init(&a.sid, 1, (const uint32_t[]){0}, 1);
    for (int i = 0; i < 3277; i++) {
        struct wmgw_ace copy = a;
        CHECK_INT(wmgw__acl_append(sd.dacl, &copy), 0);
    }
    CHECK_INT(wmgw_sd_encode(&sd, &b, &e), WMGW_EINVAL);
    CHECK(strstr(e.message, "65535") != NULL);
    sd.dacl->count = 3276;
    CHECK_INT(wmgw_sd_encode(&sd, &b, &e), 0);
    CHECK_INT(b.len, 20 + 8 + 3276 * 20);
    /* An output buffer too small. */
    struct wmgw_buf small;
    wmgw_buf_init(&small, 100);
    CHECK_INT(wmgw_sd_encode(&sd, &small, &e), WMGW_ETOOBIG);
    CHECK_INT(small.len, 0);
    wmgw_buf_dispose(&small);
    wmgw_buf_dispose(&b);
    wmgw_sd_dispose(&sd);
}

int main(void)
{
    check_init_domain();
    WMGW_TEST_RUN(test_dtyp_example);
    WMGW_TEST_RUN(test_layouts);
    WMGW_TEST_RUN(test_round_trips);
    WMGW_TEST_RUN(test_tolerated);
    WMGW_TEST_RUN(test_refused);
    WMGW_TEST_RUN(test_encode_errors);
    return WMGW_TEST_DONE();
}
