/*
 * Tests of gateway/policy.c and gateway/authz.c: glob matching, the first
 * matching policy decides (host globs, group:NAME, namespaces), no match
 * refuses, changes through put/delete; access levels; and the router's
 * refusal of an operation without x-wmgw-access.
 */
#include "gateway/authz.h"
#include "gateway/policy.h"
#include "util/glob.h"
#include "gateway/request.h"
#include "tests/unit/test.h"
#include "util/err.h"

static void test_glob(void)
{
    CHECK(wmgw_glob_match("*", ""));
    CHECK(wmgw_glob_match("web*", "WEB01"));
    CHECK(wmgw_glob_match("dc0?", "dc01"));
    CHECK(!wmgw_glob_match("dc0?", "dc011"));
    CHECK(wmgw_glob_match("root/*", "root/cimv2/sub"));
    CHECK(!wmgw_glob_match("root/*", "rootx/cimv2"));
    CHECK(wmgw_glob_match("*a*b*c", "xxaxxbxxc"));
    CHECK(!wmgw_glob_match("*a*b*c", "xxaxxbxx"));
    CHECK(!wmgw_glob_match("", "a"));
    /* Many stars against a long miss stays fast (one backtrack point). */
    char s[4001];
    memset(s, 'a', 4000);
    s[4000] = '\0';
    CHECK(!wmgw_glob_match("*a*a*a*a*a*a*a*a*a*a*b", s));
}

static char *list1(const char *s)
{
    return strdup(s);
}

static struct wmgw_policy_config pol(const char *name, const char *host, const char *ns, const char *sddl)
{
    struct wmgw_policy_config p = {0};
    p.name = strdup(name);
    if (host != NULL) {
        p.hosts = calloc(1, sizeof(char *));
        p.hosts[0] = list1(host);
        p.nhosts = 1;
    }
    if (ns != NULL) {
        p.namespaces = calloc(1, sizeof(char *));
        p.namespaces[0] = list1(ns);
        p.nnamespaces = 1;
    }
    p.sddl = strdup(sddl);
    return p;
}

#define READER "S-1-5-21-1-2-3-1001"

static int check(struct wmgw_policies *ps, const char *host, char *const *groups, size_t ng, const char *ns,
                 const char *user, enum wmgw_wmi_op op, struct wmgw_err *err)
{
    struct wmgw_token tok = {0};
    struct wmgw_sid g[3];
    CHECK_INT(wmgw_sid_parse(&tok.user, user, strlen(user), NULL), 0);
    wmgw_sid_parse(&g[0], "S-1-1-0", 7, NULL);
    wmgw_sid_parse(&g[1], "S-1-5-11", 8, NULL);
    tok.groups = g;
    tok.group_count = 2;
    uint32_t granted;
    wmgw_err_clear(err);
    return wmgw_policies_check(ps, host, groups, ng, ns, &tok, op, &granted, err);
}

static void test_first_match(void)
{
    struct wmgw_policy_config v[3];
    v[0] = pol("deny-web", "web*", "root/cimv2", "D:(D;;GA;;;" READER ")(A;;GA;;;WD)");
    v[1] = pol("prod", "group:prod", "root/*", "D:(A;;GR;;;" READER ")");
    v[2] = pol("all", NULL, NULL, "D:(A;;GA;;;AU)");
    struct wmgw_policies *ps;
    struct wmgw_err err;
    CHECK_INT(wmgw_policies_new(v, 3, &ps, &err), 0);
    char *prod[] = {"lab", "prod"};
    /* web01 matches deny-web first: the deny wins, though "all" would allow. */
    CHECK_INT(check(ps, "web01", prod, 2, "root/cimv2", READER, WMGW_WMI_OP_READ, &err), WMGW_EACCES);
    CHECK(strstr(err.message, "deny-web") != NULL);
    /* Another namespace on web01: deny-web does not match; prod does (GR: read, not write). */
    CHECK_INT(check(ps, "web01", prod, 2, "root/test", READER, WMGW_WMI_OP_READ, &err), 0);
    CHECK_INT(check(ps, "web01", prod, 2, "ROOT/Test", READER, WMGW_WMI_OP_WRITE, &err), WMGW_EACCES);
    CHECK(strstr(err.message, "prod") != NULL);
    /* Not in group prod: "all" grants AU everything. */
    CHECK_INT(check(ps, "dc01", NULL, 0, "root/test", READER, WMGW_WMI_OP_WRITE, &err), 0);
    /* Delete "all": dc01 matches nothing. */
    CHECK_INT(wmgw_policies_delete(ps, "all"), 0);
    CHECK_INT(wmgw_policies_delete(ps, "all"), WMGW_ENOTFOUND);
    CHECK_INT(check(ps, "dc01", NULL, 0, "root/test", READER, WMGW_WMI_OP_READ, &err), WMGW_EACCES);
    CHECK(strstr(err.message, "no policy") != NULL);
    /* Put: a new one goes last; a replaced one keeps its place. */
    bool created;
    struct wmgw_policy_config late = pol("late", "dc*", NULL, "D:NO_ACCESS_CONTROL");
    CHECK_INT(wmgw_policies_put(ps, &late, &created, &err), 0);
    CHECK(created);
    CHECK_INT(check(ps, "dc01", NULL, 0, "root/test", READER, WMGW_WMI_OP_SECURITY_WRITE, &err), 0);
    struct wmgw_policy_config again = pol("deny-web", "web*", "root/cimv2", "D:");
    CHECK_INT(wmgw_policies_put(ps, &again, &created, &err), 0);
    CHECK(!created);
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_policies_json(ps, NULL, &b), 0);
    CHECK(b.data != NULL && strstr(b.data, "\"name\":\"deny-web\"") < strstr(b.data, "\"name\":\"late\""));
    CHECK(strstr(b.data, "\"sddl\":\"D:\"") != NULL);
    wmgw_buf_dispose(&b);
    /* Bad SDDL is refused with a position; nothing changes. */
    struct wmgw_policy_config bad = pol("bad", NULL, NULL, "D:(A;;GR;;;XX)");
    CHECK_INT(wmgw_policy_check_config(&bad, &err), WMGW_EINVAL);
    CHECK(err.position >= 0);
    wmgw_policy_config_dispose(&bad);
    wmgw_policy_config_dispose(&late);
    wmgw_policy_config_dispose(&again);
    for (int i = 0; i < 3; i++)
        wmgw_policy_config_dispose(&v[i]);
    wmgw_policies_free(ps);
}

static void test_access_levels(void)
{
    CHECK_INT(wmgw_access_parse("public"), WMGW_ACCESS_PUBLIC);
    CHECK_INT(wmgw_access_parse("security-write"), WMGW_ACCESS_SECURITY_WRITE);
    CHECK_INT(wmgw_access_parse("admin"), WMGW_ACCESS_ADMIN);
    CHECK_INT(wmgw_access_parse("Admin"), -1);
    CHECK_INT(wmgw_access_parse(NULL), -1);
    enum wmgw_wmi_op op;
    CHECK(wmgw_access_wmi_op(WMGW_ACCESS_EXECUTE, &op) && op == WMGW_WMI_OP_METHOD);
    CHECK(!wmgw_access_wmi_op(WMGW_ACCESS_ADMIN, &op));
    CHECK_STR(wmgw_access_name(WMGW_ACCESS_SUBSCRIBE), "subscribe");
}

static void test_router_needs_access(void)
{
    struct wmgw_err err;
    const char *doc = "{\"paths\":{\"/healthz\":{\"get\":{\"operationId\":\"getHealth\"}}}}";
    wmgw_err_clear(&err);
    CHECK(wmgw_router_new(doc, strlen(doc), &err) == NULL);
    CHECK(strstr(err.message, "x-wmgw-access is missing") != NULL);
    doc = "{\"paths\":{\"/healthz\":{\"get\":{\"operationId\":\"getHealth\",\"x-wmgw-access\":\"root\"}}}}";
    wmgw_err_clear(&err);
    CHECK(wmgw_router_new(doc, strlen(doc), &err) == NULL);
    CHECK(strstr(err.message, "not a known level") != NULL);
    /* The embedded document: every operation has a level. */
    struct wmgw_router *rt = wmgw_router_new(wmgw_openapi_json, wmgw_openapi_json_len, &err);
    CHECK(rt != NULL);
    for (size_t i = 0; rt != NULL && i < rt->nroutes; i++)
        if (strcmp(rt->routes[i].operation_id, "getWhoami") == 0)
            CHECK_INT(rt->routes[i].access, WMGW_ACCESS_AUTHENTICATED);
        else if (strcmp(rt->routes[i].operation_id, "putPolicy") == 0)
            CHECK_INT(rt->routes[i].access, WMGW_ACCESS_ADMIN);
        else if (strcmp(rt->routes[i].operation_id, "invokeStaticMethod") == 0)
            CHECK_INT(rt->routes[i].access, WMGW_ACCESS_EXECUTE);
    wmgw_router_free(rt);
}

int main(void)
{
    WMGW_TEST_RUN(test_glob);
    WMGW_TEST_RUN(test_first_match);
    WMGW_TEST_RUN(test_access_levels);
    WMGW_TEST_RUN(test_router_needs_access);
    return WMGW_TEST_DONE();
}
