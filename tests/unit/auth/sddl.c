/*
 * sddl.c: tests for the SDDL parser and formatter (auth/sddl_parse.c,
 * sddl_format.c, sddl_tables.c, sddl_sd.c): the MS-DTYP 2.5.1.4 example,
 * the descriptors of protocol-notes (root\cimv2, both WinRM RootSDDLs),
 * every ACE type, ACL flag, ACE flag and way of writing rights, canonical
 * output (compared with what Windows prints), SDDL -> struct -> SDDL round
 * trips, and malformed input with the position of the error.
 * Conditions and resource attributes: sddl_cond.c.
 */
#include "auth/sddl_int.h"

#include "../test.h"
#include "sddl_check.h"

/* Index of the first occurrence of mark in text (for error positions). */
static long at(const char *text, const char *mark)
{
    const char *p = strstr(text, mark);
    if (p == NULL) {
        fprintf(stderr, "  test bug: \"%s\" not in \"%s\"\n", mark, text);
        wmgw_test__failed_checks++;
        return -2;
    }
    return (long)(p - text);
}

static void test_dtyp_example(void)
{
    /* MS-DTYP 2.5.1.4; the binary side is in sd_binary.c. */
    const char *text = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)"
                       "S:P(AU;FA;GR;;;WD)";
    struct wmgw_sd sd;
    if (!check_parse(&sd, text))
        return;
    CHECK_INT(sd.control, WMGW_SD_DACL_PRESENT | WMGW_SD_SACL_PRESENT | WMGW_SD_DACL_PROTECTED |
                              WMGW_SD_SACL_PROTECTED);
    CHECK(sd.has_owner && sd.has_group);
    CHECK_STR(wmgw_sid_alias(&sd.owner, NULL), "BA");
    CHECK_INT(sd.dacl->count, 4);
    CHECK_INT(sd.dacl->revision, WMGW_ACL_REVISION);
    CHECK_INT(sd.dacl->aces[0].type, WMGW_ACE_ALLOWED);
    CHECK_INT(sd.dacl->aces[0].flags, WMGW_ACE_CONTAINER_INHERIT | WMGW_ACE_OBJECT_INHERIT);
    CHECK(sd.dacl->aces[0].mask == (WMGW_GENERIC_READ | WMGW_GENERIC_EXECUTE));
    CHECK_STR(wmgw_sid_alias(&sd.dacl->aces[0].sid, NULL), "BU");
    CHECK_STR(wmgw_sid_alias(&sd.dacl->aces[3].sid, NULL), "CO");
    CHECK_INT(sd.sacl->count, 1);
    CHECK_INT(sd.sacl->aces[0].type, WMGW_ACE_AUDIT);
    CHECK_INT(sd.sacl->aces[0].flags, WMGW_ACE_AUDIT_FAILURE);
    wmgw_sd_dispose(&sd);
    /* Windows writes the flags OI first and the rights low bit first. */
    check_canon(text, "O:BAG:BAD:P(A;OICI;GXGR;;;BU)(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;GA;;;CO)"
                      "S:P(AU;FA;GR;;;WD)");
}

static void test_protocol_notes_descriptors(void)
{
    /* root\cimv2 (protocol-notes 5.2) is already canonical. */
    check_canon("O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)", NULL);
    /* WinRM RootSDDL: the spec's default and the current Windows one. */
    check_canon("O:NSG:BAD:P(A;;GA;;;BA)S:P(AU;FA;GA;;;WD)(AU;SA;GWGX;;;WD)",
                "O:NSG:BAD:P(A;;GA;;;BA)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)");
    check_canon("O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)", NULL);
}

static void test_components(void)
{
    check_canon("", NULL);
    check_canon("O:SY", NULL);
    check_canon("G:BU", NULL);
    check_canon("S:P(AU;FA;GR;;;WD)D:(A;;GA;;;BA)G:SYO:BA", "O:BAG:SYD:(A;;GA;;;BA)S:P(AU;FA;GR;;;WD)");
    check_canon("S:D:P", "D:PS:");
    check_canon("S:D:", "D:S:");
    /* Absent, NULL and empty DACLs are three different things. */
    struct wmgw_sd sd;
    if (check_parse(&sd, "O:BA")) {
        CHECK(!(sd.control & WMGW_SD_DACL_PRESENT) && sd.dacl == NULL);
        wmgw_sd_dispose(&sd);
    }
    if (check_parse(&sd, "D:NO_ACCESS_CONTROL")) {
        CHECK((sd.control & WMGW_SD_DACL_PRESENT) && sd.dacl == NULL);
        CHECK_STR(check_format(&sd), "D:NO_ACCESS_CONTROL");
        wmgw_sd_dispose(&sd);
    }
    if (check_parse(&sd, "D:")) {
        CHECK((sd.control & WMGW_SD_DACL_PRESENT) && sd.dacl != NULL && sd.dacl->count == 0);
        wmgw_sd_dispose(&sd);
    }
    check_canon("D:PNO_ACCESS_CONTROLS:NO_ACCESS_CONTROL", NULL);
    check_canon("D:NO_ACCESS_CONTROLP", "D:PNO_ACCESS_CONTROL");
    /* ACL flags print as P, AR, AI, once each. */
    check_canon("D:ARPAI(A;;GA;;;SY)", "D:PARAI(A;;GA;;;SY)");
    check_canon("D:AIPAR(A;;GA;;;SY)", "D:PARAI(A;;GA;;;SY)");
    check_canon("D:PPPP(A;;GA;;;SY)", "D:P(A;;GA;;;SY)");
    check_canon("S:PAI(AU;SA;GA;;;WD)", NULL);
    if (check_parse(&sd, "D:PARAIS:PARAI")) {
        CHECK_INT(sd.control, 0x3F14);
        wmgw_sd_dispose(&sd);
    }
}

static void test_rights(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* numbers in three bases, printed as Windows prints them */
        {"123456789", "0x75bcd15"},
        {"01234567", "0x53977"},
        {"16", "RP"},
        {"17", "CCRP"},
        {"0", ""},
        {"0xff", "CCDCLCSWRPWPDTLO"},
        {"0xf01ff", "CCDCLCSWRPWPDTLOCRSDRCWDWO"},
        {"0xe00f0000", "SDRCWDWOGXGWGR"},
        {"0x1f01ff", "FA"},
        {"0x1200a9", "0x1200a9"},
        {"0xFFFFFFFF", "0xffffffff"},
        /* letters in any order come out in bit order */
        {"RPWPCRCCDCLCLORCWOWDSDDTSW", "CCDCLCSWRPWPDTLOCRSDRCWDWO"},
        {"GRGWGXGA", "GAGXGWGR"},
        /* whole names only on an exact match */
        {"FA", "FA"},
        {"FR", "FR"},
        {"FW", "FW"},
        {"FX", "FX"},
        {"KA", "KA"},
        {"KR", "KR"},
        {"KW", "KW"},
        {"KX", "KR"},
        {"FAGX", "0x201f01ff"},
        {"FRFW", "0x12019f"},
        /* NW NR NX outside a label are bits 0-2 */
        {"NWNRNX", "CCDCLC"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char in[128], out[128];
        snprintf(in, sizeof(in), "D:(A;;%s;;;WD)", cases[i].in);
        snprintf(out, sizeof(out), "D:(A;;%s;;;WD)", cases[i].out);
        check_canon(in, out);
    }
    /* Mandatory labels print NW NR NX. */
    check_canon("S:(ML;;NWNR;;;LW)", NULL);
    check_canon("S:(ML;;0x1;;;HI)", "S:(ML;;NW;;;HI)");
    check_canon("S:(ML;;NXNRNW;;;ME)", "S:(ML;;NWNRNX;;;ME)");
    check_canon("S:(ML;;;;;SI)", NULL);
}

static void test_ace_flags(void)
{
    check_canon("D:(A;CIOIIONPID;GA;;;WD)", "D:(A;OICINPIOID;GA;;;WD)");
    check_canon("S:(AU;FASA;GA;;;WD)", "S:(AU;SAFA;GA;;;WD)");
    check_canon("S:(OU;CIIDSA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)",
                NULL);
    /* FA is a flag in the flags field and a right in the rights field. */
    struct wmgw_sd sd;
    if (check_parse(&sd, "S:(AU;FA;FA;;;WD)")) {
        CHECK_INT(sd.sacl->aces[0].flags, WMGW_ACE_AUDIT_FAILURE);
        CHECK_INT(sd.sacl->aces[0].mask, 0x1F01FF);
        wmgw_sd_dispose(&sd);
    }
}

static void test_every_ace_type(void)
{
    const char *text =
        "D:(A;;GA;;;WD)(D;;GA;;;AN)(OA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;ED)"
        "(OD;CI;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)(OA;;CR;;;WD)"
        "(XA;;GR;;;WD;(Member_of {SID(BA)}))(XD;;GW;;;WD;(@USER.Title == \"PM\"))"
        "(ZA;;CR;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2;;AU;(Exists @RESOURCE.x))"
        "S:(AU;SA;GA;;;WD)(AL;FA;GA;;;WD)"
        "(OU;SA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)"
        "(OL;;WP;;;WD)(ML;;NW;;;LW)(SP;;;;;S-1-17-1-2)(XU;SA;GR;;;WD;(@USER.dept == \"x\"))"
        "(RA;;;;;WD;(\"dept\",TS,0x0,\"Sales\",\"HR\"))";
    check_canon(text, NULL);
    struct wmgw_sd sd;
    if (!check_parse(&sd, text))
        return;
    static const uint8_t dacl_types[] = {0x00, 0x01, 0x05, 0x06, 0x05, 0x09, 0x0A, 0x0B};
    static const uint8_t sacl_types[] = {0x02, 0x03, 0x07, 0x08, 0x11, 0x13, 0x0D, 0x12};
    CHECK_INT(sd.dacl->count, sizeof(dacl_types));
    CHECK_INT(sd.sacl->count, sizeof(sacl_types));
    for (size_t i = 0; i < sd.dacl->count && i < sizeof(dacl_types); i++)
        CHECK_INT(sd.dacl->aces[i].type, dacl_types[i]);
    for (size_t i = 0; i < sd.sacl->count && i < sizeof(sacl_types); i++)
        CHECK_INT(sd.sacl->aces[i].type, sacl_types[i]);
    CHECK_INT(sd.dacl->revision, WMGW_ACL_REVISION_DS); /* object ACEs */
    CHECK_INT(sd.sacl->revision, WMGW_ACL_REVISION_DS);
    const struct wmgw_ace *oa = &sd.dacl->aces[2], *od = &sd.dacl->aces[3], *plain = &sd.dacl->aces[4];
    CHECK(oa->has_object_type && !oa->has_inherited_object_type);
    CHECK(!od->has_object_type && od->has_inherited_object_type);
    CHECK(!plain->has_object_type && !plain->has_inherited_object_type);
    /* 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2 in wire order */
    static const uint8_t guid[16] = {0xaa, 0xf6, 0x31, 0x11, 0x07, 0x9c, 0xd1, 0x11,
                                     0xf7, 0x9f, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2};
    CHECK(memcmp(oa->object_type.b, guid, 16) == 0);
    CHECK(sd.dacl->aces[5].data_len > 4 && memcmp(sd.dacl->aces[5].data, "artx", 4) == 0);
    CHECK(sd.dacl->aces[5].data_len % 4 == 0);
    CHECK(sd.sacl->aces[7].data_len % 4 == 0);
    /* A copy is equal and independent. */
    struct wmgw_sd copy;
    CHECK_INT(wmgw_sd_copy(&copy, &sd), 0);
    CHECK(wmgw_sd_equal(&copy, &sd));
    copy.dacl->aces[5].data[4] ^= 1;
    CHECK(!wmgw_sd_equal(&copy, &sd));
    wmgw_sd_dispose(&copy);
    wmgw_sd_dispose(&sd);
    /* No object ACE: revision 2 even with callback ACEs (as Windows). */
    if (check_parse(&sd, "D:(XA;;GR;;;WD;(Member_of {SID(BA)}))")) {
        CHECK_INT(sd.dacl->revision, WMGW_ACL_REVISION);
        wmgw_sd_dispose(&sd);
    }
}

static void test_sids_and_guids(void)
{
    /* Numeric SIDs stay numeric unless an alias names them. */
    check_canon("O:S-1-5-32-544G:S-1-5-21-9-9-9-1000D:(A;;GA;;;S-1-5-18)", "O:BAG:S-1-5-21-9-9-9-1000D:(A;;GA;;;SY)");
    /* Domain-relative aliases with the test domain S-1-5-21-1-2-3. */
    check_canon("O:S-1-5-21-1-2-3-512G:DUD:(A;;GA;;;EA)", "O:DAG:DUD:(A;;GA;;;EA)");
    check_canon("O:S-1-0x12A05F200-30-40", NULL);
    check_canon("O:S-1-0x12A05F200G:S-1-0xFF2005FB02FFD:PS:(AU;SA;GA;;;S-1-0x80000000D)", NULL);
    /* GUIDs print in lower case. */
    check_canon("D:(OA;CIIO;RP;037088f8-0ae1-11d2-b422-00a0c968f939;4828CC14-1437-45bc-9B07-AD6F015E5F28;RU)",
                "D:(OA;CIIO;RP;037088f8-0ae1-11d2-b422-00a0c968f939;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)");
    /* Without a domain SID, domain-relative aliases are refused. */
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    const char *text = "D:(A;;GA;;;DA)";
    CHECK_INT(wmgw_sddl_parse(&sd, text, strlen(text), NULL, &e), WMGW_EINVAL);
    CHECK_INT(e.position, 11);
    CHECK(strstr(e.message, "no domain SID") != NULL);
    /* ... and such SIDs print numerically. */
    CHECK_INT(wmgw_sddl_parse(&sd, "O:DA", 4, &check_opts, NULL), 0);
    struct wmgw_buf b;
    wmgw_buf_init(&b, 256);
    CHECK_INT(wmgw_sddl_format(&sd, NULL, &b, NULL), 0);
    CHECK_STR(b.data, "O:S-1-5-21-1-2-3-512");
    wmgw_buf_dispose(&b);
    wmgw_sd_dispose(&sd);
}

static void test_malformed(void)
{
    static const struct {
        const char *text, *mark; /* error at the first occurrence of mark ("" = end) */
        const char *what;
    } cases[] = {
        {"X:BA", "X", "expected O:, G:, D: or S:"},
        {"O", "O", "expected O:, G:, D: or S:"},
        {"O:", "", "expected a SID"},
        {"O:XX", "XX", "expected a SID"},
        {"O:ba", "ba", "expected a SID"},
        {"O:BAO:SY", "O:SY", "second O:"},
        {"D:(A;;;;;WD)D:", "D:", "second D:"}, /* the mark finds the first D:, fixed below */
        {"D: (A;;GA;;;WD)", " ", "expected O:, G:, D: or S:"},
        {"D:(A;;GA;;;WD) ", " ", "expected O:, G:, D: or S:"},
        {"D:(A;;GA;;;WD", "", "expected ')'"},
        {"D:(Q;;GA;;;WD)", "Q", "expected an ACE type"},
        {"D:(ABC;;GA;;;WD)", "ABC", "expected an ACE type"},
        {"D:(A;XX;GA;;;WD)", "XX", "expected an ACE flag"},
        {"D:(A;CI", "", "expected ';' after the ACE flags"},
        {"D:(A;;GQ;;;WD)", "GQ", "expected a right"},
        {"D:(A;;G;;;WD)", "G;", "expected a right"},
        {"D:(A;;0x1FFFFFFFF;;;WD)", "0x", "larger than 32 bits"},
        {"D:(A;;09;;;WD)", "9", "octal digit"},
        {"D:(A;;0x;;;WD)", ";;;WD", "expected a number"},
        {"D:(A;;1GA;;;WD)", "G", "decimal digit"},
        {"D:(A;;GA1;;;WD)", "1", "expected a right"},
        {"D:(OA;;GA;1234;;WD)", ";;WD", "GUID"},
        {"D:(OA;;GA;1131f6aa-9c07-11d1-f79f-00c04fc2dcd2x;;WD)", "x;", "GUID"},
        {"D:(OA;;GA;1131f6aa+9c07-11d1-f79f-00c04fc2dcd2;;WD)", "+", "GUID"},
        {"D:(A;;GA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", "bf96", "only allowed in object ACEs"},
        {"D:(A;;GA;;;WD;(x))", ";(x", "expected ')' after the SID"},
        {"D:(XA;;GA;;;WD)", ")", "expected ';' and a condition"},
        {"D:(RA;;;;;WD;(\"x\",TI,0))", "(RA", "in a DACL"},
        {"D:(AU;;GA;;;WD)", "(AU", "in a DACL"},
        {"S:(A;;GA;;;WD)", "(A", "access ACE type in a SACL"},
        {"D:NO_ACCESS_CONTROL(A;;GA;;;WD)", "(", "cannot have ACEs"},
        {"D:(A;;GA;;;S-1-5-)", ")", "sub-authority"},
        {"D:(A;;GA;;;S-1-5-32-5440000000000)", "5440000000000", "larger than"},
        {"D:(A;;GA;;;WD)(A;;GA;;X)", "X", "GUID"},
        {"S:(ML;;GA;;;LW)", "(ML", "other than NW NR NX"},
        {"S:(ML;;NW;;;WD)", "(ML", "integrity level"},
        {"S:(ML;;NW;;;S-1-16-1-2)", "(ML", "integrity level"},
        {"S:(RA;;GA;;;WD;(\"x\",TI,0))", "(RA", "mask must be 0"},
        {"S:(RA;;;;;BA;(\"x\",TI,0))", "(RA", "other than Everyone"},
        {"S:(RA;;;;;WD)", ")", "attribute data"},
        {"S:(SP;;;;;WD)", "(SP", "S-1-17"},
        {"S:(SP;;GA;;;S-1-17-1)", "(SP", "mask must be 0"},
        {"S:(RA;;;;;WD;(\"x\",TQ,0))", "TQ", "value type"},
        {"S:(RA;;;;;WD;(\"x\",TI,0,abc))", "abc", "decimal digit"},
        {"S:(RA;;;;;WD;(\"x\",TU,0,-1))", "-1", "unsigned"},
        {"S:(RA;;;;;WD;(\"x\",TB,0,2))", "2))", "0 or 1"},
        {"S:(RA;;;;;WD;(\"x\",TI,0x100000000))", "0x1", "flags larger"},
        {"S:(RA;;;;;WD;(\"\",TI,0))", "\",TI", "attribute name"},
        {"S:(RA;;;;;WD;(x,TI,0))", "x,", "'\"' before"},
        {"S:(RA;;;;;WD;(\"x\",TD,0,QQ))", "QQ", "expected a SID"},
        {"S:(RA;;;;;WD;(\"x\",TX,0,#abc))", "))", "second hex digit"},
        {"S:(RA;;;;;WD;(\"x\",TS,0,\"a\"", "", "expected ',' or ')'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long pos = cases[i].mark[0] ? at(cases[i].text, cases[i].mark) : (long)strlen(cases[i].text);
        if (strcmp(cases[i].text, "D:(A;;;;;WD)D:") == 0)
            pos = 12;
        check_bad_sddl(cases[i].text, pos, cases[i].what);
    }
}

static void test_limits(void)
{
    /* Input length. */
    size_t n = WMGW_SDDL_MAX_TEXT + 1;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    check_bad_sddl(big, WMGW_SDDL_MAX_TEXT, "longer than");
    /* ACE count: 4096 fit the count but not the 64 KiB of a binary ACL;
     * the 4097th is refused where it starts. */
    strcpy(big, "D:");
    for (size_t i = 0; i < 4097; i++)
        memcpy(big + 2 + 10 * i, "(A;;;;;WD)", 11);
    check_bad_sddl(big, 2 + 10 * 4096, "more ACEs than the limit");
    big[2 + 10 * 3300] = '\0';
    check_bad_sddl(big, 0, "ACL larger than the 65535 bytes");
    big[2 + 10 * 3276] = '\0'; /* 8 + 3276 * 20 = 65528 bytes */
    struct wmgw_sd sd;
    if (check_parse(&sd, big)) {
        CHECK_INT(sd.dacl->count, 3276);
        CHECK_INT(wmgw__acl_size(sd.dacl), 65528);
        wmgw_sd_dispose(&sd);
    }
    free(big);
}

int main(void)
{
    check_init_domain();
    WMGW_TEST_RUN(test_dtyp_example);
    WMGW_TEST_RUN(test_protocol_notes_descriptors);
    WMGW_TEST_RUN(test_components);
    WMGW_TEST_RUN(test_rights);
    WMGW_TEST_RUN(test_ace_flags);
    WMGW_TEST_RUN(test_every_ace_type);
    WMGW_TEST_RUN(test_sids_and_guids);
    WMGW_TEST_RUN(test_malformed);
    WMGW_TEST_RUN(test_limits);
    return WMGW_TEST_DONE();
}
