/*
 * dialect2003.c: tests for the Windows Server 2003 R2 row of
 * translators/wsman/dialect.c as the codec reads it: the row's values
 * (MS-WSMAN §2.2.1, §3.1.4.1.x), requests that carry nothing the dialect
 * lacks (no filter, OptimizeEnumeration or EnumerationMode; discovery as a
 * Get of wsman:system/2005/06/this; uuid: MessageIDs), instances written as
 * a 2003 R2 server writes them (cim:Location last, datetimes as
 * CIM_DateTimeString DMTF strings) and read back without the Location, the
 * This reply as an identity, and its faults mapped.  The MS-WSMV row is
 * checked alongside, so a change to one never leaks into the other.
 */
#include "translators/wsman/soap.h"
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include <ctype.h>

#include "../test.h"

static const struct wmgw_wsman_dialect *old = &wmgw_wsman_dialect_2003, *new = &wmgw_wsman_dialect_wsmv;

static void test_row(void)
{
    CHECK(wmgw_wsman_dialect_find("wsman2003") == old);
    CHECK(wmgw_wsman_dialect_find("wsmv") == new);
    CHECK(wmgw_wsman_dialect_find("dcom") == NULL);
    CHECK_STR(old->ns_wsman, "http://schemas.xmlsoap.org/ws/2005/06/management");
    CHECK(wmgw_wsman_dialect_is_wsman_ns(old, "http://schemas.xmlsoap.org/ws/2005/06/management"));
    CHECK(wmgw_wsman_dialect_is_wsman_ns(old, "http://schemas.xmlsoap.org/wsman/2005/06/management"));
    CHECK(!wmgw_wsman_dialect_is_wsman_ns(old, new->ns_wsman));
    CHECK(!wmgw_wsman_dialect_is_wsman_ns(new, old->ns_wsman));
    CHECK_STR(old->ns_fault, "http://schemas.microsoft.com/ws/2005/06/wsmanfault");
    CHECK_STR(old->ns_cim, "http://schemas.dmtf.org/wsman/2005/06/base");
    CHECK_STR(old->wmi_uri_prefix, "http://schemas.microsoft.com/wsman/2005/06/wmi/");
    CHECK_STR(old->dmtf_uri_prefix, "http://schemas.dmtf.org/wsman/2005/06/cimv2.9/");
    CHECK_STR(old->fault_detail_prefix, "wsman:faultDetail/");
    CHECK_STR(old->dmtf_datetime_element, "CIM_DateTimeString");
    CHECK(old->datetime_element == NULL && old->interval_element == NULL);
    CHECK(!old->has_identify && strcmp(old->this_uri, "wsman:system/2005/06/this") == 0);
    CHECK(wmgw_wsman_dialect_is_this_ns(old, "http://schemas.xmlsoap.org/ws/2005/06/management/this"));
    CHECK(wmgw_wsman_dialect_is_this_ns(old, "http://schemas.xmlsoap.org/wsman/2005/06/management/this"));
    CHECK(!wmgw_wsman_dialect_is_this_ns(new, "http://schemas.xmlsoap.org/ws/2005/06/management/this"));
    CHECK(old->class_uri == NULL && !old->can_create_delete && !old->can_filter && !old->can_optimize);
    CHECK(!old->has_enum_modes && !old->processes_options && old->appends_location && old->casts_to_base);
    CHECK(old->uuid_message_ids && old->provider_id != NULL && !old->wmi_error_detail && old->ns_wsmv == NULL);
    /* The MS-WSMV row keeps every ability. */
    CHECK(new->has_identify && new->class_uri && new->can_create_delete && new->can_filter && new->can_optimize);
    CHECK(new->has_enum_modes && new->processes_options && !new->appends_location && !new->casts_to_base);
}

/* --- requests ----------------------------------------------------------------------------- */

static xmlDocPtr build(const struct wmgw_soap_request *q, int *rc)
{
    struct wmgw_buf out;
    wmgw_buf_init(&out, 1u << 20);
    *rc = wmgw_soap_build(&out, q);
    xmlDocPtr doc = *rc == 0 ? xmlReadMemory(out.data, (int)out.len, NULL, NULL, XML_PARSE_NONET) : NULL;
    wmgw_buf_dispose(&out);
    return doc;
}

static xmlNodePtr el(xmlNodePtr parent, const char *ns, const char *local)
{
    for (xmlNodePtr k = parent ? parent->children : NULL; k != NULL; k = k->next)
        if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, local) == 0 &&
            (ns == NULL || (k->ns && strcmp((const char *)k->ns->href, ns) == 0)))
            return k;
    return NULL;
}

static char *content(xmlNodePtr n)
{
    xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
    char *s = strdup(c ? (const char *)c : "");
    xmlFree(c);
    return s;
}

static size_t children(xmlNodePtr n)
{
    size_t count = 0;
    for (xmlNodePtr k = n ? n->children : NULL; k != NULL; k = k->next)
        count += k->type == XML_ELEMENT_NODE;
    return count;
}

static void test_this_request(void)
{
    char id[WMGW_SOAP_ID_LEN];
    wmgw_soap_message_id(id);
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_IDENTIFY, .d = old, .to = "http://h/wsman", .message_id = id};
    int rc;
    xmlDocPtr doc = build(&q, &rc);
    CHECK_INT(rc, 0);
    xmlNodePtr env = doc ? xmlDocGetRootElement(doc) : NULL, h = el(env, WMGW_NS_SOAP, "Header");
    char *uri = content(el(h, old->ns_wsman, "ResourceURI")), *action = content(el(h, WMGW_NS_WSA, "Action"));
    char *mid = content(el(h, WMGW_NS_WSA, "MessageID"));
    CHECK_STR(uri, "wsman:system/2005/06/this");
    CHECK_STR(action, WMGW_ACTION_GET);
    CHECK(strncmp(mid, "uuid:", 5) == 0 && strlen(mid) == 41);
    for (size_t i = 5; i < strlen(mid); i++)
        CHECK(mid[i] == '-' ? (i == 13 || i == 18 || i == 23 || i == 28) : isxdigit((unsigned char)mid[i]) != 0);
    CHECK(el(h, NULL, "SelectorSet") == NULL);
    CHECK_INT(children(el(env, WMGW_NS_SOAP, "Body")), 0);
    free(uri);
    free(action);
    free(mid);
    xmlFreeDoc(doc);
    /* MS-WSMV asks wsmid:Identify instead. */
    q.d = new;
    doc = build(&q, &rc);
    env = doc ? xmlDocGetRootElement(doc) : NULL;
    CHECK(el(el(env, WMGW_NS_SOAP, "Body"), WMGW_NS_WSMID, "Identify") != NULL);
    xmlFreeDoc(doc);
}

static void test_enumerate_request(void)
{
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_ENUMERATE, .d = old, .to = "http://h/wsman",
                                  .resource_uri = "http://schemas.microsoft.com/wsman/2005/06/wmi/root/cimv2/Win32_Service",
                                  .message_id = "uuid:00000000-0000-4000-8000-000000000000", .optimize = true,
                                  .epr_only = true, .max_elements = 50};
    int rc;
    xmlDocPtr doc = build(&q, &rc);
    CHECK_INT(rc, 0);
    xmlNodePtr env = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr e = el(el(env, WMGW_NS_SOAP, "Body"), WMGW_NS_WSEN, "Enumerate");
    CHECK(e != NULL);
    CHECK_INT(children(e), 0); /* no OptimizeEnumeration, MaxElements, EnumerationMode */
    xmlFreeDoc(doc);
    /* A filter is never written: the build refuses. */
    q.wql = "SELECT * FROM Win32_Service";
    CHECK(build(&q, &rc) == NULL);
    CHECK_INT(rc, WMGW_EUNSUPPORTED);
    /* MS-WSMV writes all three. */
    q.d = new;
    q.resource_uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service";
    doc = build(&q, &rc);
    CHECK_INT(rc, 0);
    env = doc ? xmlDocGetRootElement(doc) : NULL;
    e = el(el(env, WMGW_NS_SOAP, "Body"), WMGW_NS_WSEN, "Enumerate");
    CHECK(el(e, new->ns_wsman, "OptimizeEnumeration") && el(e, new->ns_wsman, "EnumerationMode") &&
          el(e, new->ns_wsman, "Filter"));
    xmlFreeDoc(doc);
}

/* --- instances ------------------------------------------------------------------------- */

static struct wmgw_cim_class *env_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Sim_Dated", "root/test");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_KEY;
    wmgw_cim_class_add_prop(c, "When", WMGW_CIM_DATETIME);
    wmgw_cim_class_add_prop(c, "Span", WMGW_CIM_DATETIME);
    wmgw_cim_class_add_prop(c, "Wild", WMGW_CIM_DATETIME);
    return c;
}

static void put_dt(struct wmgw_cim_instance *i, const char *name, const char *dmtf)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_DATETIME);
    wmgw_cim_value_set_string(&v, strdup(dmtf));
    v.type = WMGW_CIM_DATETIME;
    wmgw_cim_proplist_put(&i->props, name, &v);
}

static const struct wmgw_cim_class *the_class;

static const struct wmgw_cim_class *lookup(void *ctx, const char *ns, const char *name)
{
    return the_class && strcasecmp(name, the_class->name) == 0 ? the_class : NULL;
}

static void test_instances(void)
{
    struct wmgw_cim_class *cls = env_class();
    the_class = cls;
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Sim_Dated", "root/test");
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&v, strdup("one"));
    wmgw_cim_proplist_put(&inst->props, "Name", &v);
    put_dt(inst, "When", "20240131235959.123456-300");
    put_dt(inst, "Span", "00000001020304.500000:000");
    put_dt(inst, "Wild", "2024**********.******+000");
    for (int k = 0; k < 2; k++) {
        const struct wmgw_wsman_dialect *d = k ? new : old;
        for (unsigned flags = 0; flags <= WMGW_WSMAN_W_REQUEST; flags++) {
            struct wmgw_buf out;
            wmgw_buf_init(&out, 1 << 20);
            CHECK_INT(wmgw_wsman_write_instance(&out, d, inst, cls, flags), 0);
            const char *x = out.data ? out.data : "";
            bool located = strstr(x, "<cim:Location") != NULL;
            CHECK(located == (d == old && flags == 0)); /* answers of the 2003 dialect only */
            if (d == old) {
                CHECK(strstr(x, "<cim:CIM_DateTimeString>20240131235959.123456-300</cim:CIM_DateTimeString>"));
                CHECK(strstr(x, "<cim:CIM_DateTimeString>00000001020304.500000:000</cim:CIM_DateTimeString>"));
                CHECK(strstr(x, "<cim:CIM_DateTimeString>2024**********.******+000</cim:CIM_DateTimeString>"));
                CHECK(strstr(x, "Datetime>") == NULL && strstr(x, "Interval>") == NULL);
                CHECK(strstr(x, "xmlns:p=\"http://schemas.microsoft.com/wsman/2005/06/wmi/root/test/Sim_Dated\""));
                if (located)
                    CHECK(strstr(x, "<w:ResourceURI>http://schemas.microsoft.com/wsman/2005/06/wmi/root/test/"
                                    "Sim_Dated</w:ResourceURI><w:SelectorSet><w:Selector Name=\"Name\">one"));
            } else {
                CHECK(strstr(x, "<cim:Datetime>2024-02-01T04:59:59.123456Z</cim:Datetime>"));
                CHECK(strstr(x, "<cim:Interval>P1DT2H3M4.5S</cim:Interval>"));
                CHECK(strstr(x, "<cim:CIM_DateTime>2024**********.******+000</cim:CIM_DateTime>"));
            }
            /* Read back, typed and untyped: the same values, no Location. */
            for (int typed = 0; typed < 2; typed++) {
                xmlTextReaderPtr r = wmgw_soap_reader(out.data, out.len);
                while (r && xmlTextReaderRead(r) == 1 && xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
                    ;
                struct wmgw_cim_instance *back = NULL;
                struct wmgw_err err;
                CHECK_INT(wmgw_wsman_read_instance(r, d, NULL, typed ? lookup : NULL, NULL, &back, &err), 0);
                CHECK(back && back->props.n == 4 && wmgw_cim_instance_get(back, "Location") == NULL);
                CHECK(back && strcmp(back->namespace_, "root/test") == 0);
                const char *names[] = {"When", "Span", "Wild"};
                for (size_t i = 0; back && i < 3; i++) {
                    const struct wmgw_cim_value *a = wmgw_cim_instance_get(back, names[i]);
                    const struct wmgw_cim_value *b = wmgw_cim_instance_get(inst, names[i]);
                    CHECK(a && a->type == WMGW_CIM_DATETIME);
                    /* The 2003 dialect keeps the offset; MS-WSMV travels in UTC. */
                    if (a && (d == old || i > 0))
                        CHECK_STR(a->u.str, b->u.str);
                    else if (a)
                        CHECK_STR(a->u.str, "20240201045959.123456+000");
                }
                wmgw_cim_instance_unref(back);
                xmlFreeTextReader(r);
            }
            wmgw_buf_dispose(&out);
        }
    }
    wmgw_cim_instance_unref(inst);
    wmgw_cim_class_free(cls);
    the_class = NULL;
}

/* --- replies -------------------------------------------------------------------------- */

#define ENV_OPEN                                                                                                     \
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                                              \
    "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                                                  \
    "xmlns:w=\"http://schemas.xmlsoap.org/ws/2005/06/management\"><s:Header><a:Action>"
#define ENV_MID "</a:Action><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>"

static int read(const char *xml, enum wmgw_soap_kind kind, const struct wmgw_wsman_dialect *d,
                struct wmgw_soap_response *r)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->d = d;
    r->message_id = "uuid:1";
    r->expect_action = WMGW_ACTION_GET "Response";
    r->ns = "root/cimv2";
    return wmgw_soap_read(xml, strlen(xml), r, NULL);
}

static void test_this_reply(void)
{
    static const char *const spellings[] = {"http://schemas.xmlsoap.org/ws/2005/06/management/this",
                                            "http://schemas.xmlsoap.org/wsman/2005/06/management/this"};
    for (int i = 0; i < 2; i++) {
        char xml[1024];
        snprintf(xml, sizeof(xml),
                 ENV_OPEN WMGW_ACTION_GET "Response" ENV_MID "<t:This xmlns:t=\"%s\"><t:Vendor>Microsoft "
                                                             "Corporation</t:Vendor><t:Version>OS: 5.2.3790 SP: 1.0 "
                                                             "Stack: 1.0</t:Version></t:This>" ENV_CLOSE,
                 spellings[i]);
        struct wmgw_soap_response r;
        CHECK_INT(read(xml, WMGW_SOAP_IDENTIFY, old, &r), 0);
        CHECK_STR(r.identity.vendor, "Microsoft Corporation");
        CHECK_STR(r.identity.version, "OS: 5.2.3790 SP: 1.0 Stack: 1.0");
        CHECK_STR(r.identity.protocol_version, old->ns_wsman);
        CHECK_INT(r.identity.protocol, WMGW_PROTO_WSMAN2003);
        wmgw_soap_response_dispose(&r);
        /* Not an IdentifyResponse: MS-WSMV refuses it (auto-detection goes on). */
        CHECK_INT(read(xml, WMGW_SOAP_IDENTIFY, new, &r), WMGW_EPROTO);
    }
    const char *wsmid = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header/><s:Body>"
                        "<wsmid:IdentifyResponse xmlns:wsmid=\"" WMGW_NS_WSMID "\"><wsmid:ProductVendor>x"
                        "</wsmid:ProductVendor></wsmid:IdentifyResponse></s:Body></s:Envelope>";
    struct wmgw_soap_response r;
    CHECK_INT(read(wsmid, WMGW_SOAP_IDENTIFY, old, &r), WMGW_EPROTO);
    CHECK_INT(read(wsmid, WMGW_SOAP_IDENTIFY, new, &r), 0);
    CHECK_INT(r.identity.protocol, WMGW_PROTO_WSMV);
    wmgw_soap_response_dispose(&r);
}

static void test_faults(void)
{
    static const struct {
        const char *subcode, *detail;
        int code;
    } cases[] = {
        {"a:DestinationUnreachable", "wsman:faultDetail/ResourceNotFound", WMGW_ENOTFOUND},
        {"n:FilteringNotSupported", "", WMGW_EUNSUPPORTED},
        {"a:ActionNotSupported", "", WMGW_ENOTALLOWED},
        {"w:UnsupportedFeature", "wsman:faultDetail/AddressingMode", WMGW_EBACKEND},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char xml[2048];
        snprintf(xml, sizeof(xml),
                 ENV_OPEN WMGW_WSA_FAULT_ACTION ENV_MID
                 "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>%s</s:Value></s:Subcode></s:Code>"
                 "<s:Reason><s:Text xml:lang=\"en-US\">reason</s:Text></s:Reason><s:Detail>"
                 "<w:FaultDetail>%s</w:FaultDetail>"
                 "<f:WSManFault xmlns:f=\"http://schemas.microsoft.com/ws/2005/06/wsmanfault\" Code=\"87\" "
                 "Machine=\"m\"><f:Message><f:ProviderFault providerId=\"D9A2A039-A4B3-4A70-8CB9-8D7714EAD776\">"
                 "<f:WSManFault xmlns:f=\"http://schemas.microsoft.com/ws/2005/06/wsmanfault\" Code=\"32768\" "
                 "Machine=\"m\"><f:Message>the provider's words</f:Message></f:WSManFault></f:ProviderFault>"
                 "</f:Message></f:WSManFault></s:Detail></s:Fault>" ENV_CLOSE,
                 cases[i].subcode, cases[i].detail);
        struct wmgw_soap_response r;
        CHECK_INT(read(xml, WMGW_SOAP_GET, old, &r), 0);
        CHECK(r.fault);
        CHECK_INT(r.error.code, cases[i].code);
        CHECK_STR(r.error.fault_detail, cases[i].detail);
        CHECK(r.error.has_wsman_code && r.error.wsman_code == 87);
        CHECK_STR(r.error.message, "the provider's words");
        wmgw_soap_response_dispose(&r);
    }
}

int main(void)
{
    xmlInitParser();
    WMGW_TEST_RUN(test_row);
    WMGW_TEST_RUN(test_this_request);
    WMGW_TEST_RUN(test_enumerate_request);
    WMGW_TEST_RUN(test_instances);
    WMGW_TEST_RUN(test_this_reply);
    WMGW_TEST_RUN(test_faults);
    xmlCleanupParser();
    return WMGW_TEST_DONE();
}
