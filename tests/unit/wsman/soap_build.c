/*
 * soap_build.c: tests for translators/wsman/soap_build.c: the envelope of
 * every request kind parses back (with libxml2 and the cimxml readers) to
 * exactly what went in, including hostile values (quotes, <, &, ]]>,
 * non-ASCII, backslashes) in keys, property values, WQL text and contexts;
 * names that would become markup are refused.
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include "../test.h"

#define NASTY(tail) "a\"b'c<d>&e ]]> <![CDATA[x]]> \xc3\xbc\xe6\x97\xa5 \xf0\x9f\x98\x80 C:\\dir\\ \t" tail

static const struct wmgw_wsman_dialect *d = &wmgw_wsman_dialect_wsmv;

/* What the header of a parsed request said. */
struct parsed {
    char *to, *uri, *action, *message_id, *max_env, *timeout, *reply_to;
    struct wmgw_cim_proplist selectors;
    xmlTextReaderPtr r; /* on the first body element (or the body's end) */
    int body_depth;
    bool body_empty;
};

static char *text_of(xmlTextReaderPtr r)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_xmlr_text(r, &b, WMGW_XMLR_TRIM), 0);
    return wmgw_buf_steal(&b, NULL);
}

static void parsed_free(struct parsed *p)
{
    free(p->to);
    free(p->uri);
    free(p->action);
    free(p->message_id);
    free(p->max_env);
    free(p->timeout);
    free(p->reply_to);
    wmgw_cim_proplist_dispose(&p->selectors);
    if (p->r)
        xmlFreeTextReader(p->r);
    memset(p, 0, sizeof(*p));
}

static int parse_request(const struct wmgw_buf *b, struct parsed *p)
{
    memset(p, 0, sizeof(*p));
    p->r = xmlReaderForMemory(b->data, (int)b->len, NULL, NULL, XML_PARSE_NONET);
    xmlTextReaderPtr r = p->r;
    int rc;
    while ((rc = xmlTextReaderRead(r)) == 1 && xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
        ;
    if (rc != 1 || !wmgw_xmlr_is(r, WMGW_NS_SOAP, "Envelope"))
        return -1;
    int env = xmlTextReaderDepth(r);
    while ((rc = wmgw_xmlr_next_child(r, env)) == 1) {
        if (wmgw_xmlr_is(r, WMGW_NS_SOAP, "Header")) {
            if (xmlTextReaderIsEmptyElement(r))
                continue;
            int h = xmlTextReaderDepth(r);
            while ((rc = wmgw_xmlr_next_child(r, h)) == 1) {
                const char *l = (const char *)xmlTextReaderConstLocalName(r);
                const char *ns = (const char *)xmlTextReaderConstNamespaceUri(r);
                bool wsa = strcmp(ns, WMGW_NS_WSA) == 0, w = strcmp(ns, d->ns_wsman) == 0;
                if (wsa && strcmp(l, "To") == 0)
                    p->to = text_of(r);
                else if (wsa && strcmp(l, "Action") == 0)
                    p->action = text_of(r);
                else if (wsa && strcmp(l, "MessageID") == 0)
                    p->message_id = text_of(r);
                else if (wsa && strcmp(l, "ReplyTo") == 0) {
                    int rd = xmlTextReaderDepth(r);
                    while (wmgw_xmlr_next_child(r, rd) == 1) {
                        CHECK(wmgw_xmlr_is(r, WMGW_NS_WSA, "Address"));
                        free(p->reply_to);
                        p->reply_to = text_of(r);
                    }
                }
                else if (w && strcmp(l, "ResourceURI") == 0)
                    p->uri = text_of(r);
                else if (w && strcmp(l, "MaxEnvelopeSize") == 0)
                    p->max_env = text_of(r);
                else if (w && strcmp(l, "OperationTimeout") == 0)
                    p->timeout = text_of(r);
                else if (w && strcmp(l, "SelectorSet") == 0)
                    CHECK_INT(wmgw_wsman_read_selectors(r, d, &p->selectors, NULL), 0);
                else
                    wmgw_xmlr_skip(r);
            }
        } else if (wmgw_xmlr_is(r, WMGW_NS_SOAP, "Body")) {
            p->body_depth = xmlTextReaderDepth(r);
            if (xmlTextReaderIsEmptyElement(r) || wmgw_xmlr_next_child(r, p->body_depth) != 1)
                p->body_empty = true;
            return 0;
        }
    }
    return -1;
}

static struct wmgw_cim_value str(const char *s)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&v, strdup(s));
    return v;
}

static void put_str(struct wmgw_cim_proplist *l, const char *name, const char *s)
{
    struct wmgw_cim_value v = str(s);
    CHECK_INT(wmgw_cim_proplist_put(l, name, &v), 0);
}

static const char *get_str(const struct wmgw_cim_proplist *l, const char *name)
{
    const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, name);
    return p && !p->value.null && p->value.type == WMGW_CIM_STRING ? p->value.u.str : NULL;
}

static struct wmgw_soap_request base(enum wmgw_soap_kind kind)
{
    struct wmgw_soap_request q = {
        .kind = kind,
        .d = d,
        .to = "http://127.0.0.1:5985/wsman?x=<&>",
        .resource_uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Environment",
        .message_id = "uuid:00000000-0000-4000-8000-000000000001",
        .max_envelope = 153600,
        .timeout_ms = 12345,
    };
    return q;
}

static void check_header(const struct parsed *p, const char *action)
{
    CHECK_STR(p->to, "http://127.0.0.1:5985/wsman?x=<&>");
    CHECK_STR(p->uri, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Environment");
    CHECK_STR(p->action, action);
    CHECK_STR(p->message_id, "uuid:00000000-0000-4000-8000-000000000001");
    CHECK_STR(p->max_env, "153600");
    CHECK_STR(p->timeout, "PT12.345S");
    CHECK_STR(p->reply_to, WMGW_WSA_ANONYMOUS);
}

static void test_get_and_delete(void)
{
    struct wmgw_cim_proplist keys = {0};
    char key[256];
    snprintf(key, sizeof(key), "%s", NASTY("k"));
    put_str(&keys, "Name", key);
    put_str(&keys, "UserName", "NT AUTHORITY\\SYSTEM");
    static const enum wmgw_soap_kind kinds[] = {WMGW_SOAP_GET, WMGW_SOAP_DELETE};
    static const char *const actions[] = {WMGW_ACTION_GET, WMGW_ACTION_DELETE};
    for (int i = 0; i < 2; i++) {
        struct wmgw_soap_request q = base(kinds[i]);
        q.selectors = &keys;
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 20);
        CHECK_INT(wmgw_soap_build(&b, &q), 0);
        struct parsed p;
        CHECK_INT(parse_request(&b, &p), 0);
        check_header(&p, actions[i]);
        CHECK_STR(get_str(&p.selectors, "Name"), key);
        CHECK_STR(get_str(&p.selectors, "UserName"), "NT AUTHORITY\\SYSTEM");
        CHECK(p.body_empty);
        parsed_free(&p);
        wmgw_buf_dispose(&b);
    }
    wmgw_cim_proplist_dispose(&keys);
}

static void test_identify(void)
{
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_IDENTIFY, .d = d};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_soap_build(&b, &q), 0);
    struct parsed p;
    CHECK_INT(parse_request(&b, &p), 0);
    CHECK(p.action == NULL);
    CHECK(!p.body_empty && wmgw_xmlr_is(p.r, WMGW_NS_WSMID, "Identify"));
    parsed_free(&p);
    wmgw_buf_dispose(&b);
}

static void test_put_create(void)
{
    char val[256];
    snprintf(val, sizeof(val), "%s", NASTY("v"));
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Win32_Environment", "root/cimv2");
    put_str(&inst->props, "Name", "]]>&<");
    put_str(&inst->props, "UserName", "<SYSTEM>");
    put_str(&inst->props, "VariableValue", val);
    struct wmgw_cim_prop *n = wmgw_cim_proplist_add(&inst->props, "Count", WMGW_CIM_UINT32);
    n->value.null = false;
    n->value.u.u = 4294967295u;
    static const enum wmgw_soap_kind kinds[] = {WMGW_SOAP_PUT, WMGW_SOAP_CREATE};
    static const char *const actions[] = {WMGW_ACTION_PUT, WMGW_ACTION_CREATE};
    for (int i = 0; i < 2; i++) {
        struct wmgw_soap_request q = base(kinds[i]);
        q.instance = inst;
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 20);
        CHECK_INT(wmgw_soap_build(&b, &q), 0);
        struct parsed p;
        CHECK_INT(parse_request(&b, &p), 0);
        check_header(&p, actions[i]);
        CHECK(!p.body_empty);
        struct wmgw_cim_instance *back = NULL;
        CHECK_INT(wmgw_wsman_read_instance(p.r, d, NULL, NULL, NULL, &back, NULL), 0);
        if (back != NULL) {
            CHECK_STR(back->class_name, "Win32_Environment");
            CHECK_STR(back->namespace_, "root/cimv2");
            CHECK_STR(get_str(&back->props, "Name"), "]]>&<");
            CHECK_STR(get_str(&back->props, "UserName"), "<SYSTEM>");
            CHECK_STR(get_str(&back->props, "VariableValue"), val);
            CHECK_STR(get_str(&back->props, "Count"), "4294967295");
        }
        wmgw_cim_instance_unref(back);
        parsed_free(&p);
        wmgw_buf_dispose(&b);
    }
    /* Names that would become markup are refused, not escaped. */
    struct wmgw_soap_request q = base(WMGW_SOAP_PUT);
    q.instance = inst;
    put_str(&inst->props, "Bad\"Name", "x");
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_soap_build(&b, &q), WMGW_EINVAL);
    wmgw_cim_proplist_remove(&inst->props, "Bad\"Name");
    free(inst->class_name);
    inst->class_name = strdup("Win32<x>");
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_soap_build(&b, &q), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
    wmgw_cim_instance_unref(inst);
}

static void test_enumerate_pull_release(void)
{
    char wql[256];
    snprintf(wql, sizeof(wql), "SELECT * FROM Win32_Service WHERE Name = '%s'", "x\\'y ]]> <&> \xc3\xbc");
    struct wmgw_soap_request q = base(WMGW_SOAP_ENUMERATE);
    q.wql = wql;
    q.optimize = true;
    q.epr_only = true;
    q.max_elements = 77;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_soap_build(&b, &q), 0);
    struct parsed p;
    CHECK_INT(parse_request(&b, &p), 0);
    check_header(&p, WMGW_ACTION_ENUMERATE);
    CHECK(wmgw_xmlr_is(p.r, WMGW_NS_WSEN, "Enumerate"));
    int depth = xmlTextReaderDepth(p.r);
    bool optimize = false, filter = false, mode = false, max = false;
    while (wmgw_xmlr_next_child(p.r, depth) == 1) {
        const char *l = (const char *)xmlTextReaderConstLocalName(p.r);
        if (strcmp(l, "OptimizeEnumeration") == 0) {
            optimize = true;
            wmgw_xmlr_skip(p.r);
        } else if (strcmp(l, "MaxElements") == 0) {
            char *t = text_of(p.r);
            max = strcmp(t, "77") == 0;
            free(t);
        } else if (strcmp(l, "EnumerationMode") == 0) {
            char *t = text_of(p.r);
            mode = strcmp(t, "EnumerateEPR") == 0;
            free(t);
        } else if (strcmp(l, "Filter") == 0) {
            char *dialect = wmgw_xmlr_attr(p.r, "Dialect", NULL);
            CHECK_STR(dialect, WMGW_FILTER_WQL);
            free(dialect);
            char *t = text_of(p.r);
            filter = strcmp(t, wql) == 0;
            free(t);
        } else {
            wmgw_xmlr_skip(p.r);
        }
    }
    CHECK(optimize && filter && mode && max);
    parsed_free(&p);

    char ctx[256];
    snprintf(ctx, sizeof(ctx), "%s", NASTY("ctx"));
    static const enum wmgw_soap_kind kinds[] = {WMGW_SOAP_PULL, WMGW_SOAP_RELEASE};
    static const char *const actions[] = {WMGW_ACTION_PULL, WMGW_ACTION_RELEASE};
    for (int i = 0; i < 2; i++) {
        q = base(kinds[i]);
        q.context = ctx;
        q.max_elements = 5;
        wmgw_buf_reset(&b);
        CHECK_INT(wmgw_soap_build(&b, &q), 0);
        CHECK_INT(parse_request(&b, &p), 0);
        check_header(&p, actions[i]);
        CHECK(wmgw_xmlr_is(p.r, WMGW_NS_WSEN, i == 0 ? "Pull" : "Release"));
        depth = xmlTextReaderDepth(p.r);
        bool got_ctx = false, got_max = false;
        while (wmgw_xmlr_next_child(p.r, depth) == 1) {
            char *t = text_of(p.r);
            if (wmgw_xmlr_is(p.r, WMGW_NS_WSEN, "EnumerationContext"))
                got_ctx = true;
            /* text_of left the reader on the end tag: compare by content */
            if (strcmp(t, "5") == 0)
                got_max = true;
            else
                CHECK_STR(t, ctx);
            free(t);
        }
        CHECK(got_ctx);
        CHECK(got_max == (i == 0));
        parsed_free(&p);
    }
    wmgw_buf_dispose(&b);
}

static void test_invoke(void)
{
    struct wmgw_cim_proplist params = {0};
    char val[256];
    snprintf(val, sizeof(val), "%s", NASTY("cmd"));
    put_str(&params, "CommandLine", val);
    struct wmgw_cim_prop *n = wmgw_cim_proplist_add(&params, "Flags", WMGW_CIM_SINT64);
    n->value.null = false;
    n->value.u.s = INT64_MIN;
    struct wmgw_soap_request q = base(WMGW_SOAP_INVOKE);
    q.method = "Create";
    q.params = &params;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    CHECK_INT(wmgw_soap_build(&b, &q), 0);
    struct parsed p;
    CHECK_INT(parse_request(&b, &p), 0);
    check_header(&p, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Environment/Create");
    CHECK(p.selectors.n == 0);
    CHECK(wmgw_xmlr_is(p.r, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Environment",
                       "Create_INPUT"));
    struct wmgw_cim_proplist back = {0};
    CHECK_INT(wmgw_wsman_read_proplist(p.r, d, NULL, 0, NULL, NULL, "root/cimv2", &back, NULL), 0);
    CHECK_STR(get_str(&back, "CommandLine"), val);
    CHECK_STR(get_str(&back, "Flags"), "-9223372036854775808");
    wmgw_cim_proplist_dispose(&back);
    parsed_free(&p);
    q.method = "Cre<ate";
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_soap_build(&b, &q), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
    wmgw_cim_proplist_dispose(&params);
}

static void test_message_ids(void)
{
    char a[WMGW_SOAP_ID_LEN], b[WMGW_SOAP_ID_LEN];
    wmgw_soap_message_id(a);
    wmgw_soap_message_id(b);
    CHECK(strncmp(a, "uuid:", 5) == 0 && strlen(a) == 41);
    CHECK(strcmp(a, b) != 0);
    CHECK(wmgw_soap_name_ok("Win32_Service") && wmgw_soap_name_ok("_x1"));
    CHECK(!wmgw_soap_name_ok("1x") && !wmgw_soap_name_ok("") && !wmgw_soap_name_ok("a-b") &&
          !wmgw_soap_name_ok(NULL) && !wmgw_soap_name_ok("\xc3\xbc"));
}

int main(void)
{
    WMGW_TEST_RUN(test_identify);
    WMGW_TEST_RUN(test_get_and_delete);
    WMGW_TEST_RUN(test_put_create);
    WMGW_TEST_RUN(test_enumerate_pull_release);
    WMGW_TEST_RUN(test_invoke);
    WMGW_TEST_RUN(test_message_ids);
    return WMGW_TEST_DONE();
}
