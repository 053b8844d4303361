/*
 * access.c: tests for auth/access.c, access_cond.c and wmi_rights.c.
 *
 * A matrix of principals x descriptors x desired rights (allow, deny, ACE
 * order, group membership, NULL and empty DACLs, owner rights with and
 * without OWNER RIGHTS, inherit-only, generic mapping, MAXIMUM_ALLOWED,
 * conditional ACEs over SIDs and resource attributes, object ACEs,
 * PRINCIPAL_SELF, privileges, mandatory labels, audit ACEs); the WMI
 * operation table over root\cimv2 and WinRM's RootSDDL; and a property
 * over random descriptors: a mask is granted exactly when it lies within
 * the MAXIMUM_ALLOWED answer.
 */
#include "auth/access.h"
#include "auth/wmi_rights.h"

#include "../test.h"
#include "sddl_check.h"

enum who { ALICE, BOB, ADMIN, ANON, SYSTEM, NWHO };

static struct wmgw_sid sids[NWHO][5];
static struct wmgw_token tokens[NWHO];

static struct wmgw_sid sid(const char *text)
{
    struct wmgw_sid s;
    size_t used;
    if (wmgw_sid_parse_sddl(&s, text, strlen(text), &used, &check_opts.domains, NULL) != 0 || used != strlen(text)) {
        fprintf(stderr, "  bad SID %s\n", text);
        wmgw_test__failed_checks++;
    }
    return s;
}

static void make_token(enum who w, const char *user, const char *g1, const char *g2, const char *g3, const char *g4)
{
    const char *groups[] = {g1, g2, g3, g4};
    tokens[w].user = sid(user);
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        if (groups[i] != NULL)
            sids[w][n++] = sid(groups[i]);
    tokens[w].groups = sids[w];
    tokens[w].group_count = n;
}

static void init_tokens(void)
{
    make_token(ALICE, "S-1-5-21-1-2-3-1001", "WD", "AU", "BU", "NU");
    make_token(BOB, "S-1-5-21-1-2-3-1002", "WD", "AU", "BU", "S-1-5-21-1-2-3-2000");
    make_token(ADMIN, "LA", "WD", "AU", "BA", "DA");
    make_token(ANON, "AN", "WD", NULL, NULL, NULL);
    make_token(SYSTEM, "SY", "WD", "BA", NULL, NULL);
}

static const char *names[NWHO] = {"alice", "bob", "admin", "anon", "system"};

/* Options for one check. */
struct opts {
    bool wmi;                        /* WMI's generic mapping */
    const char *object;              /* object type GUID */
    const char *self;                /* PRINCIPAL_SELF */
    unsigned privileges;
    const char *integrity;           /* token integrity level */
};

static int check(const char *sddl, enum who w, uint32_t desired, const struct opts *o, uint32_t *granted)
{
    struct wmgw_sd sd;
    if (!check_parse(&sd, sddl))
        return -100;
    struct wmgw_token tok = tokens[w];
    struct wmgw_sid integrity, self;
    struct wmgw_guid object;
    struct wmgw_access_request req = {desired, NULL, NULL, NULL};
    if (o != NULL) {
        req.mapping = o->wmi ? &wmgw_wmi_generic_mapping : NULL;
        if (o->object != NULL) {
            CHECK_INT(wmgw_guid_parse(&object, o->object, strlen(o->object), NULL), 0);
            req.object_type = &object;
        }
        if (o->self != NULL) {
            self = sid(o->self);
            req.self = &self;
        }
        tok.privileges = o->privileges;
        if (o->integrity != NULL) {
            integrity = sid(o->integrity);
            tok.integrity = &integrity;
        }
    }
    struct wmgw_access_result res;
    struct wmgw_err e = {0};
    int rc = wmgw_access_check(&sd, &tok, &req, &res, &e);
    CHECK(rc == 0 || rc == WMGW_EACCES);
    CHECK(rc == 0 || (res.granted == 0 && strstr(e.message, "access denied") != NULL));
    if (granted != NULL)
        *granted = res.granted;
    wmgw_sd_dispose(&sd);
    return rc;
}

#define GRANTED(sddl, w, desired, o) expect(__LINE__, sddl, w, desired, o, true)
#define DENIED(sddl, w, desired, o) expect(__LINE__, sddl, w, desired, o, false)

static void expect(int line, const char *sddl, enum who w, uint32_t desired, const struct opts *o, bool want)
{
    int rc = check(sddl, w, desired, o, NULL);
    if ((rc == 0) != want) {
        fprintf(stderr, "%s:%d: %s asking 0x%x of %s: %s, expected %s\n", __FILE__, line, names[w],
                (unsigned)desired, sddl, rc == 0 ? "granted" : "denied", want ? "granted" : "denied");
        wmgw_test__failed_checks++;
    }
}

#define MAX_IS(sddl, w, o, want) expect_max(__LINE__, sddl, w, o, want)

static void expect_max(int line, const char *sddl, enum who w, const struct opts *o, uint32_t want)
{
    uint32_t got = 0;
    int rc = check(sddl, w, WMGW_MAXIMUM_ALLOWED, o, &got);
    if (got != want || (rc == 0) != (want != 0)) {
        fprintf(stderr, "%s:%d: %s maximum on %s: rc %d, 0x%x, expected 0x%x\n", __FILE__, line, names[w], sddl, rc,
                (unsigned)got, (unsigned)want);
        wmgw_test__failed_checks++;
    }
}

#define CC 0x1u
#define DC 0x2u
#define LC 0x4u
#define GUID_X "bf967aba-0de6-11d0-a285-00aa003049e2"
#define GUID_Y "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"

static void test_null_and_empty_dacl(void)
{
    GRANTED("D:NO_ACCESS_CONTROL", ALICE, CC, NULL);
    GRANTED("D:NO_ACCESS_CONTROL", ANON, WMGW_GENERIC_ALL | WMGW_DELETE, NULL);
    GRANTED("O:BA", ANON, 0x10, NULL); /* no DACL at all */
    GRANTED("D:", ALICE, 0, NULL);     /* nothing asked, nothing refused */
    DENIED("O:BAD:", ALICE, CC, NULL);
    DENIED("O:BAD:", ADMIN, CC, NULL);
    GRANTED("O:BAD:", ADMIN, WMGW_READ_CONTROL, NULL); /* the owner's implicit rights */
    GRANTED("O:BAD:", ADMIN, WMGW_READ_CONTROL | WMGW_WRITE_DAC, NULL);
    DENIED("O:BAD:", ADMIN, WMGW_DELETE, NULL);
    DENIED("O:BAD:", ADMIN, WMGW_WRITE_OWNER, NULL);
    DENIED("D:", ADMIN, WMGW_READ_CONTROL, NULL); /* no owner */
}

static void test_allow_deny_order(void)
{
    GRANTED("D:(A;;CCDC;;;BU)", ALICE, CC, NULL);
    GRANTED("D:(A;;CCDC;;;BU)", ALICE, CC | DC, NULL);
    DENIED("D:(A;;CCDC;;;BU)", ALICE, CC | LC, NULL);
    DENIED("D:(A;;CCDC;;;BU)", ANON, CC, NULL);
    /* grants add up across ACEs */
    GRANTED("D:(A;;CC;;;BU)(A;;DC;;;AU)(A;;LC;;;S-1-5-21-1-2-3-1001)", ALICE, CC | DC | LC, NULL);
    DENIED("D:(A;;CC;;;BU)(A;;DC;;;AU)(A;;LC;;;S-1-5-21-1-2-3-1001)", BOB, CC | DC | LC, NULL);
    /* group membership */
    GRANTED("D:(A;;CC;;;S-1-5-21-1-2-3-2000)", BOB, CC, NULL);
    DENIED("D:(A;;CC;;;S-1-5-21-1-2-3-2000)", ALICE, CC, NULL);
    GRANTED("D:(A;;CC;;;DA)", ADMIN, CC, NULL);
    /* a deny before the allow wins */
    DENIED("D:(D;;CC;;;BU)(A;;CCDC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(D;;CC;;;BU)(A;;CCDC;;;WD)", ALICE, DC, NULL);
    GRANTED("D:(D;;CC;;;BU)(A;;CCDC;;;WD)", ANON, CC, NULL);
    /* a deny after the allow comes too late */
    GRANTED("D:(A;;CCDC;;;WD)(D;;CC;;;BU)", ALICE, CC, NULL);
    DENIED("D:(A;;CCDC;;;WD)(D;;CC;;;BU)", ALICE, CC | LC, NULL);
    /* ... but still denies what is not granted yet */
    DENIED("D:(A;;CC;;;WD)(D;;CCDC;;;BU)(A;;DC;;;WD)", ALICE, CC | DC, NULL);
    GRANTED("D:(A;;CC;;;WD)(D;;CCDC;;;BU)(A;;DC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(A;;CC;;;WD)(D;;CCDC;;;BU)(A;;DC;;;WD)", ANON, CC | DC, NULL);
    /* a deny with no rights denies nothing */
    GRANTED("D:(D;;;;;WD)(A;;CC;;;WD)", ALICE, CC, NULL);
    /* inherit-only ACEs do not apply here */
    DENIED("D:(A;IO;CC;;;WD)", ALICE, CC, NULL);
    DENIED("D:(A;OICIIO;CC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(A;OICI;CC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(D;IO;CC;;;WD)(A;;CC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(A;ID;CC;;;WD)", ALICE, CC, NULL);
    /* audit ACEs play no part */
    GRANTED("D:(A;;CC;;;WD)S:(AU;SAFA;CC;;;WD)", ALICE, CC, NULL);
    DENIED("D:S:(AU;SAFA;CC;;;WD)", ALICE, CC, NULL);
}

static void test_owner(void)
{
    const char *plain = "O:S-1-5-21-1-2-3-1001D:(A;;CC;;;WD)";
    GRANTED(plain, ALICE, WMGW_READ_CONTROL, NULL);
    GRANTED(plain, ALICE, WMGW_WRITE_DAC | CC, NULL);
    DENIED(plain, ALICE, WMGW_WRITE_OWNER, NULL);
    DENIED(plain, BOB, WMGW_READ_CONTROL, NULL);
    /* With an OWNER RIGHTS ACE the owner gets what it says, no more. */
    const char *ow = "O:S-1-5-21-1-2-3-1001D:(A;;RC;;;OW)";
    GRANTED(ow, ALICE, WMGW_READ_CONTROL, NULL);
    DENIED(ow, ALICE, WMGW_WRITE_DAC, NULL);
    DENIED(ow, BOB, WMGW_READ_CONTROL, NULL);
    DENIED("O:S-1-5-21-1-2-3-1001D:(D;;WD;;;OW)(A;;WD;;;WD)", ALICE, WMGW_WRITE_DAC, NULL);
    GRANTED("O:S-1-5-21-1-2-3-1001D:(D;;WD;;;OW)(A;;WD;;;WD)", BOB, WMGW_WRITE_DAC, NULL);
    /* An inherit-only OWNER RIGHTS ACE does not count. */
    GRANTED("O:S-1-5-21-1-2-3-1001D:(A;IO;RC;;;OW)", ALICE, WMGW_WRITE_DAC, NULL);
    /* Ownership through a group. */
    GRANTED("O:BUD:", ALICE, WMGW_WRITE_DAC, NULL);
    MAX_IS("O:BUD:", ALICE, NULL, WMGW_READ_CONTROL | WMGW_WRITE_DAC);
    MAX_IS("O:BUD:(A;;RC;;;OW)", ALICE, NULL, WMGW_READ_CONTROL);
}

static void test_generic_mapping(void)
{
    struct opts wmi = {.wmi = true};
    /* Without a mapping GA in an ACE does not answer a GR request; with
     * WMI's it does (protocol-notes 5.2). */
    DENIED("D:(A;;GA;;;BA)", ADMIN, WMGW_GENERIC_READ, NULL);
    DENIED("D:(A;;GA;;;BA)", ADMIN, WMGW_WBEM_ENABLE, NULL);
    GRANTED("D:(A;;GA;;;BA)", ADMIN, WMGW_GENERIC_READ, &wmi);
    GRANTED("D:(A;;GA;;;BA)", ADMIN, WMGW_WBEM_ENABLE | WMGW_WRITE_DAC, &wmi);
    GRANTED("D:(A;;GA;;;BA)", ADMIN, WMGW_GENERIC_ALL, &wmi);
    /* GR is reading, not writing or executing. */
    GRANTED("D:(A;;GR;;;BU)", ALICE, WMGW_WBEM_ENABLE | WMGW_WBEM_REMOTE_ENABLE, &wmi);
    GRANTED("D:(A;;GR;;;BU)", ALICE, WMGW_READ_CONTROL | WMGW_WBEM_RIGHT_SUBSCRIBE, &wmi);
    DENIED("D:(A;;GR;;;BU)", ALICE, WMGW_GENERIC_WRITE, &wmi);
    DENIED("D:(A;;GR;;;BU)", ALICE, WMGW_WBEM_METHOD_EXECUTE, &wmi);
    DENIED("D:(A;;GR;;;BU)", ALICE, WMGW_WRITE_DAC, &wmi);
    /* A request is mapped too: GR asks for every bit GR maps to. */
    DENIED("D:(A;;CCWP;;;BU)", ALICE, WMGW_GENERIC_READ, &wmi); /* no subscribe, no RC */
    GRANTED("D:(A;;CCWPDTRC;;;BU)", ALICE, WMGW_GENERIC_READ, &wmi);
    /* Denying a generic right denies all it maps to (also enable). */
    DENIED("D:(D;;GW;;;BU)(A;;GA;;;WD)", ALICE, WMGW_WBEM_FULL_WRITE_REP, &wmi);
    DENIED("D:(D;;GW;;;BU)(A;;GA;;;WD)", ALICE, WMGW_WBEM_ENABLE, &wmi);
    GRANTED("D:(D;;LCSW;;;BU)(A;;GA;;;WD)", ALICE, WMGW_GENERIC_READ, &wmi);
    DENIED("D:(D;;LCSW;;;BU)(A;;GA;;;WD)", ALICE, WMGW_WBEM_PARTIAL_WRITE_REP, &wmi);
    MAX_IS("D:(A;;GR;;;WD)", ANON, &wmi, 0x61u | WMGW_READ_CONTROL);
    MAX_IS("D:(A;;GA;;;WD)", ANON, &wmi, 0xFFu | 0xF0000u);
    MAX_IS("D:(A;;GA;;;WD)", ANON, NULL, WMGW_GENERIC_ALL);
    CHECK_INT(wmgw_access_map(WMGW_GENERIC_EXECUTE | 0x100, &wmgw_wmi_generic_mapping), 0x123);
    CHECK_INT(wmgw_access_map(WMGW_GENERIC_EXECUTE, NULL), WMGW_GENERIC_EXECUTE);
}

static void test_maximum_allowed(void)
{
    const char *sd = "O:BAD:(A;;CCDC;;;BU)(D;;DC;;;NU)(A;;LC;;;WD)";
    MAX_IS(sd, ALICE, NULL, CC | DC | LC); /* the deny came after DC was granted */
    MAX_IS(sd, BOB, NULL, CC | DC | LC);
    MAX_IS(sd, ANON, NULL, LC);
    MAX_IS(sd, ADMIN, NULL, LC | WMGW_READ_CONTROL | WMGW_WRITE_DAC);
    MAX_IS("D:(D;;DC;;;NU)(A;;CCDC;;;BU)", ALICE, NULL, CC);
    MAX_IS("D:(D;;DC;;;NU)(A;;CCDC;;;BU)", BOB, NULL, CC | DC);
    MAX_IS("D:", ALICE, NULL, 0);
    MAX_IS("D:(D;;GA;;;WD)", ALICE, NULL, 0);
    MAX_IS("D:NO_ACCESS_CONTROL", ALICE, NULL, ~(WMGW_MAXIMUM_ALLOWED | WMGW_ACCESS_SYSTEM_SECURITY));
    struct opts wmi = {.wmi = true};
    MAX_IS("D:NO_ACCESS_CONTROL", ALICE, &wmi, 0x0CFFFFFFu);
    /* MAXIMUM_ALLOWED with more bits: those must be in the answer. */
    DENIED("D:(A;;CC;;;WD)", ALICE, WMGW_MAXIMUM_ALLOWED | LC, NULL);
    GRANTED("D:(A;;CCLC;;;WD)", ALICE, WMGW_MAXIMUM_ALLOWED | LC, NULL);
    /* Privileges in that mode: WRITE_OWNER, and ACCESS_SYSTEM_SECURITY
     * only when asked for. */
    struct opts take = {.privileges = WMGW_PRIV_TAKE_OWNERSHIP | WMGW_PRIV_SECURITY};
    MAX_IS("D:(A;;CC;;;WD)", ALICE, &take, CC | WMGW_WRITE_OWNER);
    uint32_t got = 0;
    CHECK_INT(check("D:(A;;CC;;;WD)", ALICE, WMGW_MAXIMUM_ALLOWED | WMGW_ACCESS_SYSTEM_SECURITY, &take, &got), 0);
    CHECK_INT(got, CC | WMGW_WRITE_OWNER | WMGW_ACCESS_SYSTEM_SECURITY);
}

static void test_privileges_and_self(void)
{
    struct opts none = {0}, sec = {.privileges = WMGW_PRIV_SECURITY}, take = {.privileges = WMGW_PRIV_TAKE_OWNERSHIP};
    DENIED("D:NO_ACCESS_CONTROL", ALICE, WMGW_ACCESS_SYSTEM_SECURITY, &none);
    GRANTED("D:NO_ACCESS_CONTROL", ALICE, WMGW_ACCESS_SYSTEM_SECURITY, &sec);
    GRANTED("D:", ALICE, WMGW_ACCESS_SYSTEM_SECURITY, &sec); /* the DACL plays no part */
    DENIED("D:(A;;GA;;;WD)", ALICE, WMGW_ACCESS_SYSTEM_SECURITY, &none);
    DENIED("D:", ALICE, WMGW_WRITE_OWNER, &none);
    GRANTED("D:", ALICE, WMGW_WRITE_OWNER, &take);
    GRANTED("D:(D;;WO;;;WD)", ALICE, WMGW_WRITE_OWNER, &take); /* granted before the DACL */
    DENIED("D:(A;;CC;;;WD)", ALICE, WMGW_WRITE_OWNER | DC, &take);
    /* PRINCIPAL_SELF stands for the SID the request names. */
    struct opts self_alice = {.self = "S-1-5-21-1-2-3-1001"}, self_group = {.self = "BU"};
    GRANTED("D:(A;;CC;;;PS)", ALICE, CC, &self_alice);
    DENIED("D:(A;;CC;;;PS)", BOB, CC, &self_alice);
    DENIED("D:(A;;CC;;;PS)", ALICE, CC, NULL);
    GRANTED("D:(A;;CC;;;PS)", BOB, CC, &self_group);
    DENIED("D:(D;;CC;;;PS)(A;;CC;;;WD)", ALICE, CC, &self_alice);
    GRANTED("D:(D;;CC;;;PS)(A;;CC;;;WD)", BOB, CC, &self_alice);
}

static void test_conditions(void)
{
    GRANTED("D:(XA;;CC;;;WD;(Member_of {SID(BA)}))", ADMIN, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Member_of {SID(BA)}))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Member_of SID(BU)))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Member_of_Any {SID(BA), SID(BU)}))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Member_of {SID(BA), SID(BU)}))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Member_of {SID(AU), SID(BU)}))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Not_Member_of {SID(BA)}))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Not_Member_of {SID(BA)}))", ADMIN, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Not_Member_of_Any {SID(BA), SID(BU)}))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Not_Member_of_Any {SID(BA), SID(BU)}))", ANON, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(Member_of {SID(DA)}))", ADMIN, CC, NULL);
    /* the condition only matters when the SID does */
    DENIED("D:(XA;;CC;;;BA;(Member_of {SID(BU)}))", ALICE, CC, NULL);
    /* claims the token does not carry are UNKNOWN: no grant ... */
    DENIED("D:(XA;;CC;;;WD;(@User.clearance >= 5))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Exists @User.clearance))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Device_Member_of {SID(BU)}))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(title))", ALICE, CC, NULL);
    /* ... and a deny */
    DENIED("D:(XD;;CC;;;WD;(@User.dept == \"x\"))(A;;CCDC;;;WD)", ALICE, CC, NULL);
    GRANTED("D:(XD;;CC;;;WD;(@User.dept == \"x\"))(A;;CCDC;;;WD)", ALICE, DC, NULL);
    GRANTED("D:(XD;;CC;;;WD;(Member_of {SID(BA)}))(A;;CC;;;WD)", ALICE, CC, NULL);
    DENIED("D:(XD;;CC;;;WD;(Member_of {SID(BA)}))(A;;CC;;;WD)", ADMIN, CC, NULL);
    GRANTED("D:(XD;;CC;;;BA;(@User.x == 1))(A;;CC;;;WD)", ALICE, CC, NULL);
    /* three-valued logic */
    GRANTED("D:(XA;;CC;;;WD;(Member_of {SID(BU)} || @User.x == 1))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(Member_of {SID(BU)} && @User.x == 1))", ALICE, CC, NULL);
    GRANTED("D:(XD;;CC;;;WD;(Member_of {SID(BA)} && @User.x == 1))(A;;CC;;;WD)", ALICE, CC, NULL);
    DENIED("D:(XD;;CC;;;WD;(Member_of {SID(BA)} || @User.x == 1))(A;;CC;;;WD)", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(!(@User.x == 1)))", ALICE, CC, NULL);
    GRANTED("D:(XA;;CC;;;WD;(!(Member_of {SID(BA)})))", ALICE, CC, NULL);
    /* MAXIMUM_ALLOWED sees the same conditions */
    MAX_IS("D:(XA;;CC;;;WD;(Member_of {SID(BU)}))(XA;;DC;;;WD;(@User.x == 1))(XD;;LC;;;WD;(@User.y))(A;;LC;;;WD)",
           ALICE, NULL, CC);
}

static void test_resource_attributes(void)
{
    const char *ra = "S:(RA;;;;;WD;(\"dept\",TS,0x0,\"sales\"))(RA;;;;;WD;(\"cs\",TS,0x2,\"sales\"))"
                     "(RA;;;;;WD;(\"level\",TI,0x0,5))(RA;;;;;WD;(\"big\",TU,0x0,18446744073709551615))"
                     "(RA;;;;;WD;(\"proj\",TS,0x0,\"a\",\"b\"))(RA;;;;;WD;(\"flag\",TB,0x0,1))"
                     "(RA;;;;;WD;(\"owner\",TD,0x0,BA))(RA;;;;;WD;(\"blob\",TX,0x0,#0102))";
    static const struct {
        const char *cond;
        bool grants;
    } cases[] = {
        {"(@Resource.dept == \"Sales\")", true}, /* case-insensitive */
        {"(@Resource.DEPT == \"sales\")", true}, /* names too */
        {"(@Resource.cs == \"Sales\")", false},  /* unless marked case-sensitive */
        {"(@Resource.cs == \"sales\")", true},
        {"(@Resource.dept != \"hr\")", true},
        {"(@Resource.dept < \"tax\")", true},
        {"(@Resource.level >= 3)", true},
        {"(@Resource.level < 3)", false},
        {"(@Resource.level > -1)", true},
        {"(@Resource.level == 0x5)", true},
        {"(@Resource.level == 05)", true},
        {"(@Resource.big > -1)", true},
        {"(@Resource.big > 9223372036854775807)", true},
        {"(@Resource.big == 0xffffffffffffffff)", true},
        {"(@Resource.level > @Resource.big)", false},
        {"(@Resource.proj Any_of {\"b\", \"c\"})", true},
        {"(@Resource.proj Any_of {\"c\", \"d\"})", false},
        {"(@Resource.proj Not_Any_of {\"c\", \"d\"})", true},
        {"(@Resource.proj Contains {\"a\", \"b\"})", true},
        {"(@Resource.proj Contains \"a\")", true},
        {"(@Resource.proj Contains {\"a\", \"c\"})", false},
        {"(@Resource.proj Not_Contains {\"a\", \"c\"})", true},
        {"(@Resource.proj == {\"b\", \"a\"})", true}, /* as sets */
        {"(@Resource.proj == {\"a\"})", false},
        {"(@Resource.proj < \"z\")", false},          /* many values: UNKNOWN */
        {"(Exists @Resource.proj)", true},
        {"(Exists @Resource.none)", false},
        {"(Not_Exists @Resource.none)", true},
        {"(@Resource.none == 1)", false},
        {"(Not_Exists @Resource.none && @Resource.none == 1)", false},
        {"(Not_Exists @Resource.none || @Resource.none == 1)", true},
        {"(@Resource.flag)", true},
        {"(@Resource.flag == 1)", true},
        {"(@Resource.flag > 0)", false}, /* booleans only compare with == and != */
        {"(@Resource.level)", true},
        {"(@Resource.dept)", true},
        {"(@Resource.owner == SID(BA))", true},
        {"(@Resource.owner == SID(BU))", false},
        {"(@Resource.blob == #0102)", true},
        {"(@Resource.level == \"5\")", false}, /* type mismatch: the whole thing is UNKNOWN */
        {"(@Resource.level == \"5\" || Member_of {SID(WD)})", false},
        {"(@Resource.dept == @User.dept)", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char allow[1024], deny[1024];
        snprintf(allow, sizeof(allow), "D:(XA;;CC;;;WD;%s)%s", cases[i].cond, ra);
        snprintf(deny, sizeof(deny), "D:(XD;;CC;;;WD;(!%s))(A;;CC;;;WD)%s", cases[i].cond, ra);
        expect(__LINE__, allow, ALICE, CC, NULL, cases[i].grants);
        if (cases[i].grants) /* TRUE: the negated deny does not fire */
            expect(__LINE__, deny, ALICE, CC, NULL, true);
    }
    /* Resource attributes are found anywhere in the SACL. */
    GRANTED("D:(XA;;CC;;;WD;(@Resource.a == 1))S:(AU;SA;GA;;;WD)(RA;;;;;WD;(\"a\",TI,0x0,1))", ALICE, CC, NULL);
    DENIED("D:(XA;;CC;;;WD;(@Resource.a == 1))", ALICE, CC, NULL);
}

static void test_object_aces(void)
{
    struct opts x = {.object = GUID_X}, y = {.object = GUID_Y};
    const char *oa = "D:(OA;;CC;" GUID_X ";;WD)";
    GRANTED(oa, ALICE, CC, &x);
    DENIED(oa, ALICE, CC, &y);
    DENIED(oa, ALICE, CC, NULL);
    GRANTED("D:(OA;;CC;;;WD)", ALICE, CC, NULL); /* no object type: an ordinary ACE */
    GRANTED("D:(OA;;CC;;" GUID_X ";WD)", ALICE, CC, &y); /* only an inherited object type */
    const char *od = "D:(OD;;CC;" GUID_X ";;WD)(A;;CC;;;WD)";
    DENIED(od, ALICE, CC, &x);
    GRANTED(od, ALICE, CC, &y);
    GRANTED(od, ALICE, CC, NULL);
    const char *za = "D:(ZA;;CC;" GUID_X ";;WD;(Member_of {SID(BU)}))";
    GRANTED(za, ALICE, CC, &x);
    DENIED(za, ADMIN, CC, &x);
    DENIED(za, ALICE, CC, &y);
    MAX_IS("D:(OA;;CC;" GUID_X ";;WD)(OA;;DC;" GUID_Y ";;WD)(A;;LC;;;WD)", ALICE, &x, CC | LC);
}

static void test_mandatory_label(void)
{
    const char *hi = "D:(A;;GA;;;WD)S:(ML;;NW;;;HI)";
    struct opts me = {.wmi = true, .integrity = "ME"}, high = {.wmi = true, .integrity = "HI"},
                sys = {.wmi = true, .integrity = "SI"}, none = {.wmi = true},
                low = {.wmi = true, .integrity = "LW"},
                relabel = {.wmi = true, .integrity = "ME", .privileges = WMGW_PRIV_RELABEL};
    GRANTED(hi, ALICE, WMGW_GENERIC_READ, &me);
    DENIED(hi, ALICE, WMGW_GENERIC_WRITE, &me);
    DENIED(hi, ALICE, WMGW_WRITE_DAC, &me);
    GRANTED(hi, ALICE, WMGW_GENERIC_WRITE, &high);
    GRANTED(hi, ALICE, WMGW_GENERIC_ALL, &sys);
    GRANTED(hi, ALICE, WMGW_GENERIC_WRITE, &none); /* no level in the token: no check */
    GRANTED(hi, ALICE, WMGW_GENERIC_EXECUTE, &me);
    DENIED(hi, ALICE, WMGW_WRITE_OWNER, &me);
    GRANTED(hi, ALICE, WMGW_WRITE_OWNER, &relabel);
    DENIED("D:(A;;GA;;;WD)S:(ML;;NWNR;;;HI)", ALICE, WMGW_GENERIC_READ, &me);
    DENIED("D:(A;;GA;;;WD)S:(ML;;NWNX;;;HI)", ALICE, WMGW_WBEM_METHOD_EXECUTE, &me);
    GRANTED("D:(A;;GA;;;WD)S:(ML;;NWNX;;;HI)", ALICE, WMGW_GENERIC_READ, &me);
    /* No label: Medium with no-write-up. */
    DENIED("D:(A;;GA;;;WD)", ALICE, WMGW_GENERIC_WRITE, &low);
    GRANTED("D:(A;;GA;;;WD)", ALICE, WMGW_GENERIC_READ, &low);
    GRANTED("D:(A;;GA;;;WD)", ALICE, WMGW_GENERIC_WRITE, &me);
    /* An inherit-only label does not apply: the default does. */
    GRANTED("D:(A;;GA;;;WD)S:(ML;IO;NWNRNX;;;SI)", ALICE, WMGW_GENERIC_READ, &me);
    DENIED("D:(A;;GA;;;WD)S:(ML;IO;NWNRNX;;;SI)", ALICE, WMGW_GENERIC_WRITE, &low);
    /* The label limits MAXIMUM_ALLOWED too. */
    MAX_IS(hi, ALICE, &me, 0x61u | WMGW_READ_CONTROL | WMGW_WBEM_METHOD_EXECUTE);
    /* and a NULL DACL */
    DENIED("D:NO_ACCESS_CONTROLS:(ML;;NW;;;HI)", ALICE, WMGW_GENERIC_WRITE, &me);
}

static void test_wmi_operations(void)
{
    const char *cimv2 =
        "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)";
    const char *winrm = "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)";
    const struct {
        const char *sd;
        enum who w;
        bool allowed[WMGW_WMI_OP_COUNT]; /* read write method sec-read sec-write subscribe */
    } cases[] = {
        /* Authenticated Users lack remote enable on root\cimv2. */
        {cimv2, ALICE, {false, false, false, false, false, false}},
        {cimv2, ADMIN, {true, true, true, true, true, false}},
        {cimv2, ANON, {false, false, false, false, false, false}},
        {winrm, ADMIN, {true, true, true, true, true, true}},
        {winrm, ALICE, {false, false, false, false, false, false}}, /* a network logon, not IU */
        {"D:(A;;GR;;;IU)", ALICE, {false, false, false, false, false, false}},
        {"D:(A;;GR;;;NU)", ALICE, {true, false, false, true, false, true}},
        {"D:(A;;GRGX;;;NU)", ALICE, {true, false, true, true, false, true}},
        {"D:(A;;GW;;;NU)", ALICE, {true, true, false, false, false, false}},
        {"D:(A;;CCWPSW;;;NU)", ALICE, {true, true, false, false, false, false}}, /* partial write */
        {"D:(A;;CCWPLC;;;NU)", ALICE, {true, true, false, false, false, false}}, /* full write */
        {"D:(A;;CCWPRP;;;NU)", ALICE, {true, false, false, false, false, false}}, /* provider write alone */
        {"D:(A;;CCWPDC;;;NU)", ALICE, {true, false, true, false, false, false}},
        {"D:(A;;CCWPDT;;;NU)", ALICE, {true, false, false, false, false, true}},
        {"D:(A;;RCWD;;;NU)", ALICE, {false, false, false, true, true, false}},
        {"D:(A;;CCDC;;;NU)", ALICE, {false, false, false, false, false, false}}, /* local only */
        {"D:(A;;GA;;;WD)(D;;GW;;;NU)", ALICE, {true, true, true, true, true, true}}, /* deny too late */
        {"D:(D;;GW;;;NU)(A;;GA;;;WD)", ALICE, {false, false, false, true, true, false}},
        {"D:(D;;LCSW;;;NU)(A;;GA;;;WD)", ALICE, {true, false, true, true, true, true}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wmgw_sd sd;
        if (!check_parse(&sd, cases[i].sd))
            continue;
        struct wmgw_token tok = tokens[cases[i].w];
        uint32_t granted = 0;
        enum wmgw_wmi_op ops[WMGW_WMI_OP_COUNT];
        size_t nops = 0;
        for (int op = 0; op < WMGW_WMI_OP_COUNT; op++) {
            struct wmgw_err e = {0};
            int rc = wmgw_wmi_check(&sd, &tok, (enum wmgw_wmi_op)op, &granted, &e);
            if ((rc == 0) != cases[i].allowed[op])
                fprintf(stderr, "  %s: %s %s: %s\n", cases[i].sd, names[cases[i].w],
                        wmgw_wmi_op_rights((enum wmgw_wmi_op)op)->name, rc == 0 ? "allowed" : e.message);
            CHECK((rc == 0) == cases[i].allowed[op]);
            CHECK(rc == 0 || (rc == WMGW_EACCES && strstr(e.message, "access denied") != NULL));
            if (cases[i].allowed[op])
                ops[nops++] = (enum wmgw_wmi_op)op;
        }
        /* The effective-rights list says the same. */
        enum wmgw_wmi_op listed[WMGW_WMI_OP_COUNT];
        size_t n = wmgw_wmi_ops_permitted(granted, listed);
        CHECK_INT(n, nops);
        CHECK(n == nops && memcmp(listed, ops, n * sizeof(ops[0])) == 0);
        wmgw_sd_dispose(&sd);
    }
    /* The table itself. */
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_READ, 0x21));
    CHECK(!wmgw_wmi_permits(WMGW_WMI_OP_READ, 0x20));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_WRITE, 0x29));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_WRITE, 0x25));
    CHECK(!wmgw_wmi_permits(WMGW_WMI_OP_WRITE, 0x21));
    CHECK(!wmgw_wmi_permits(WMGW_WMI_OP_WRITE, 0x31));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_METHOD, 0x23));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_SECURITY_READ, WMGW_READ_CONTROL));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_SECURITY_WRITE, WMGW_WRITE_DAC));
    CHECK(!wmgw_wmi_permits(WMGW_WMI_OP_SECURITY_WRITE, WMGW_READ_CONTROL));
    CHECK(wmgw_wmi_permits(WMGW_WMI_OP_SUBSCRIBE, 0x61));
    CHECK(!wmgw_wmi_permits(WMGW_WMI_OP_COUNT, 0xFFFFFFFF));
    CHECK(wmgw_wmi_op_rights(WMGW_WMI_OP_COUNT) == NULL);
    CHECK_STR(wmgw_wmi_op_rights(WMGW_WMI_OP_SECURITY_WRITE)->name, "security-write");
}

/* ---- the property: check(D) granted <=> D within MAXIMUM_ALLOWED ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void random_sddl(char *out, size_t cap)
{
    static const char *who[] = {"WD", "AU", "BU", "BA", "NU", "AN", "S-1-5-21-1-2-3-1001", "OW", "PS", "DA"};
    static const char *types[] = {"A", "A", "A", "D", "D", "OA", "OD", "XA", "XD"};
    static const char *conds[] = {"(Member_of {SID(BU)})", "(Member_of {SID(BA)})", "(@User.x == 1)",
                                  "(Member_of_Any {SID(AN), SID(NU)})", "(Exists @Resource.a)"};
    static const char *letters[] = {"CC", "DC", "LC", "SW", "RP", "WP", "DT", "RC", "WD", "WO", "SD",
                                    "GR", "GW", "GX", "GA"};
    size_t n = (size_t)snprintf(out, cap, "O:%s", who[rnd(10)]);
    if (rnd(8) == 0) {
        snprintf(out + n, cap - n, "D:NO_ACCESS_CONTROL");
        return;
    }
    n += (size_t)snprintf(out + n, cap - n, "D:");
    for (uint32_t k = rnd(7); k > 0; k--) {
        const char *t = types[rnd(9)];
        char rights[64] = "";
        for (uint32_t r = rnd(4) + 1; r > 0; r--)
            strcat(rights, letters[rnd(15)]);
        bool object = t[0] == 'O', cond = t[0] == 'X';
        n += (size_t)snprintf(out + n, cap - n, "(%s;%s;%s;%s;;%s%s%s)", t, rnd(6) ? "" : "IO", rights,
                              object && rnd(2) ? GUID_X : "", who[rnd(10)], cond ? ";" : "",
                              cond ? conds[rnd(5)] : "");
    }
    if (rnd(3) == 0)
        snprintf(out + n, cap - n, "S:(ML;;%s;;;%s)(RA;;;;;WD;(\"a\",TI,0x0,1))", rnd(2) ? "NW" : "NWNR",
                 rnd(2) ? "HI" : "LW");
}

static void test_max_allowed_property(void)
{
    char sddl[1024];
    int checked = 0;
    for (int round = 0; round < 3000; round++) {
        random_sddl(sddl, sizeof(sddl));
        struct opts o = {.wmi = rnd(2) == 0,
                         .object = rnd(2) ? GUID_X : NULL,
                         .self = rnd(2) ? "S-1-5-21-1-2-3-1002" : NULL,
                         .privileges = rnd(4) == 0 ? WMGW_PRIV_TAKE_OWNERSHIP : 0,
                         .integrity = rnd(3) == 0 ? "ME" : NULL};
        enum who w = (enum who)rnd(NWHO);
        uint32_t max = 0;
        if (check(sddl, w, WMGW_MAXIMUM_ALLOWED, &o, &max) == -100)
            break;
        for (int k = 0; k < 8; k++) {
            uint32_t desired = (rnd(2) ? 0xFFu : 0x7Fu) & (uint32_t)rnd(0x100);
            desired |= (uint32_t)rnd(16) << 16 | (rnd(4) == 0 ? WMGW_GENERIC_READ : 0);
            uint32_t mapped = wmgw_access_map(desired, o.wmi ? &wmgw_wmi_generic_mapping : NULL);
            bool within = (mapped & ~max) == 0;
            int rc = check(sddl, w, desired, &o, NULL);
            if ((rc == 0) != within) {
                fprintf(stderr, "  %s: %s 0x%x (mapped 0x%x) %s, maximum 0x%x\n", sddl, names[w], (unsigned)desired,
                        (unsigned)mapped, rc == 0 ? "granted" : "denied", (unsigned)max);
                wmgw_test__failed_checks++;
                return;
            }
            checked++;
        }
    }
    CHECK_INT(checked, 3000 * 8);
}

int main(void)
{
    check_init_domain();
    init_tokens();
    WMGW_TEST_RUN(test_null_and_empty_dacl);
    WMGW_TEST_RUN(test_allow_deny_order);
    WMGW_TEST_RUN(test_owner);
    WMGW_TEST_RUN(test_generic_mapping);
    WMGW_TEST_RUN(test_maximum_allowed);
    WMGW_TEST_RUN(test_privileges_and_self);
    WMGW_TEST_RUN(test_conditions);
    WMGW_TEST_RUN(test_resource_attributes);
    WMGW_TEST_RUN(test_object_aces);
    WMGW_TEST_RUN(test_mandatory_label);
    WMGW_TEST_RUN(test_wmi_operations);
    WMGW_TEST_RUN(test_max_allowed_property);
    return WMGW_TEST_DONE();
}
