/*
 * soap_read.c: tests for translators/wsman/soap_read.c: the real
 * enumeration captures (server2008 / server2012 Enumerate + Pull replies,
 * read at test time from ../shared/captures, skipped when absent) give the
 * right number of instances with the right values, untyped and typed by a
 * class built here; projections (w:XmlFragment); Identify, Invoke output
 * and Create replies; and every malformed or mismatched envelope is
 * WMGW_EPROTO with nothing kept.
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <dirent.h>

#include "../test.h"

static const struct wmgw_wsman_dialect *d = &wmgw_wsman_dialect_wsmv;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        wmgw_buf_add(&b, chunk, n);
    fclose(f);
    return wmgw_buf_steal(&b, len);
}

static char *capture(const char *rel, size_t *len)
{
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL)
        return NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s/wsmv/%s", dir, rel);
    char *data = slurp(path, len);
    if (data == NULL)
        printf("# skip: %s absent\n", rel);
    return data;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static const struct wmgw_cim_value *prop(const struct wmgw_cim_instance *i, const char *name)
{
    return i ? wmgw_cim_instance_get(i, name) : NULL;
}

static const char *pstr(const struct wmgw_cim_instance *i, const char *name)
{
    const struct wmgw_cim_value *v = prop(i, name);
    return v && !v->null && v->type == WMGW_CIM_STRING ? v->u.str : NULL;
}

/* Every *_star_NNN.xml: untyped, the instance count matches the file. */
static void test_star_captures(void)
{
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL) {
        printf("# skip: no captures\n");
        return;
    }
    static const char *const hosts[] = {"server2008", "server2012"};
    size_t files = 0, total = 0;
    for (int h = 0; h < 2; h++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/wsmv/enumerate/%s", dir, hosts[h]);
        DIR *dd = opendir(path);
        if (dd == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(dd)) != NULL) {
            char *star = strstr(e->d_name, "_star_");
            if (star == NULL || strstr(e->d_name, ".xml") == NULL)
                continue;
            char cls[128];
            snprintf(cls, sizeof(cls), "%.*s", (int)(star - e->d_name), e->d_name);
            char rel[512];
            snprintf(rel, sizeof(rel), "enumerate/%s/%s", hosts[h], e->d_name);
            size_t len;
            char *data = capture(rel, &len);
            if (data == NULL)
                continue;
            bool first = strstr(star, "_000.xml") != NULL;
            struct wmgw_soap_response r = {
                .kind = first ? WMGW_SOAP_ENUMERATE : WMGW_SOAP_PULL,
                .d = d,
                .expect_action = first ? WMGW_ACTION_ENUMERATE "Response" : WMGW_ACTION_PULL "Response",
                .ns = "root/cimv2",
            };
            struct wmgw_err err;
            int rc = wmgw_soap_read(data, len, &r, &err);
            if (rc != 0)
                fprintf(stderr, "%s: %s\n", rel, err.message);
            CHECK_INT(rc, 0);
            /* Every item declares its class with xsi:type; derived classes
             * (Win32_TerminalService among the services) come as themselves. */
            CHECK_INT(r.nitems, count(data, "xsi:type=\"p:"));
            bool eos = strstr(data, "EndOfSequence") != NULL;
            CHECK(r.end_of_sequence == eos);
            CHECK((r.context != NULL) == !eos);
            for (size_t i = 0; i < r.nitems; i++) {
                CHECK(r.items[i].inst != NULL);
                if (r.items[i].inst != NULL) {
                    if (strcmp(r.items[i].inst->class_name, cls) != 0)
                        CHECK_STR(r.items[i].inst->class_name, "Win32_TerminalService");
                    CHECK_STR(r.items[i].inst->namespace_, "root/cimv2");
                }
            }
            files++;
            total += r.nitems;
            wmgw_soap_response_dispose(&r);
            free(data);
        }
        closedir(dd);
    }
    printf("# %zu capture files, %zu instances\n", files, total);
}

static struct wmgw_cim_class *service_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Win32_Service", "root/cimv2");
    static const struct {
        const char *name;
        uint16_t type;
    } props[] = {
        {"AcceptPause", WMGW_CIM_BOOLEAN}, {"AcceptStop", WMGW_CIM_BOOLEAN}, {"Caption", WMGW_CIM_STRING},
        {"CheckPoint", WMGW_CIM_UINT32}, {"CreationClassName", WMGW_CIM_STRING}, {"Description", WMGW_CIM_STRING},
        {"DesktopInteract", WMGW_CIM_BOOLEAN}, {"DisplayName", WMGW_CIM_STRING}, {"ErrorControl", WMGW_CIM_STRING},
        {"ExitCode", WMGW_CIM_UINT32}, {"InstallDate", WMGW_CIM_DATETIME}, {"Name", WMGW_CIM_STRING},
        {"PathName", WMGW_CIM_STRING}, {"ProcessId", WMGW_CIM_UINT32}, {"ServiceSpecificExitCode", WMGW_CIM_UINT32},
        {"ServiceType", WMGW_CIM_STRING}, {"Started", WMGW_CIM_BOOLEAN}, {"StartMode", WMGW_CIM_STRING},
        {"StartName", WMGW_CIM_STRING}, {"State", WMGW_CIM_STRING}, {"Status", WMGW_CIM_STRING},
        {"SystemCreationClassName", WMGW_CIM_STRING}, {"SystemName", WMGW_CIM_STRING}, {"TagId", WMGW_CIM_UINT32},
        {"WaitHint", WMGW_CIM_UINT32},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        wmgw_cim_class_add_prop(c, props[i].name, props[i].type);
    return c;
}

static void test_typed_services(void)
{
    struct wmgw_cim_class *cls = service_class();
    static const char *const files[] = {"Win32_Service_star_000.xml", "Win32_Service_star_001.xml",
                                        "Win32_Service_star_002.xml", "Win32_Service_star_003.xml"};
    size_t total = 0;
    for (int i = 0; i < 4; i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "enumerate/server2008/%s", files[i]);
        size_t len;
        char *data = capture(rel, &len);
        if (data == NULL)
            continue;
        struct wmgw_soap_response r = {
            .kind = i == 0 ? WMGW_SOAP_ENUMERATE : WMGW_SOAP_PULL, .d = d, .ns = "root/cimv2", .cls = cls};
        struct wmgw_err err;
        int rc = wmgw_soap_read(data, len, &r, &err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", rel, err.message);
        CHECK_INT(rc, 0);
        if (i == 0 && r.nitems == 1) {
            const struct wmgw_cim_instance *s = r.items[0].inst;
            CHECK_STR(pstr(s, "Name"), "AeLookupSvc");
            CHECK_STR(pstr(s, "PathName"), "C:\\Windows\\system32\\svchost.exe -k netsvcs");
            const struct wmgw_cim_value *v = prop(s, "ExitCode");
            CHECK(v && v->type == WMGW_CIM_UINT32 && !v->null && v->u.u == 1077);
            v = prop(s, "AcceptPause");
            CHECK(v && v->type == WMGW_CIM_BOOLEAN && !v->null && !v->u.b);
            v = prop(s, "InstallDate");
            CHECK(v && v->null);
        }
        for (size_t k = 0; k < r.nitems; k++) {
            const struct wmgw_cim_instance *s = r.items[k].inst;
            const struct wmgw_cim_value *v = prop(s, "ProcessId");
            /* The derived class is unknown here: read untyped, as strings. */
            bool derived = strcmp(s->class_name, "Win32_TerminalService") == 0;
            CHECK(v != NULL && v->type == (derived ? WMGW_CIM_STRING : WMGW_CIM_UINT32));
        }
        total += r.nitems;
        wmgw_soap_response_dispose(&r);
        free(data);
    }
    if (total > 0)
        CHECK_INT(total, 122);
    wmgw_cim_class_free(cls);
}

/* A projection of every property (w:XmlFragment), typed by a class whose
 * property list comes from the capture's .properties file. */
static void test_fragment(void)
{
    size_t plen, len;
    char *props = capture("enumerate/server2008/Win32_LogicalDisk.properties", &plen);
    char *data = capture("enumerate/server2008/Win32_LogicalDisk_all_000.xml", &len);
    if (props == NULL || data == NULL) {
        free(props);
        free(data);
        return;
    }
    struct wmgw_cim_class *cls = wmgw_cim_class_new("Win32_LogicalDisk", "root/cimv2");
    char *names[128];
    size_t n = 0;
    for (char *line = strtok(props, "\r\n"); line != NULL && n < 128; line = strtok(NULL, "\r\n")) {
        uint16_t t = WMGW_CIM_STRING;
        if (strcmp(line, "FreeSpace") == 0 || strcmp(line, "Size") == 0)
            t = WMGW_CIM_UINT64;
        else if (strcmp(line, "DriveType") == 0 || strcmp(line, "MediaType") == 0)
            t = WMGW_CIM_UINT32;
        else if (strcmp(line, "Compressed") == 0)
            t = WMGW_CIM_BOOLEAN;
        else if (strcmp(line, "InstallDate") == 0)
            t = WMGW_CIM_DATETIME;
        wmgw_cim_class_add_prop(cls, line, t);
        names[n++] = line;
    }
    struct wmgw_soap_response r = {.kind = WMGW_SOAP_ENUMERATE, .d = d, .ns = "root/cimv2", .cls = cls,
                                   .select = names, .nselect = n, .fragment_class = "Win32_LogicalDisk"};
    struct wmgw_err err;
    int rc = wmgw_soap_read(data, len, &r, &err);
    if (rc != 0)
        fprintf(stderr, "fragment: %s\n", err.message);
    CHECK_INT(rc, 0);
    CHECK_INT(r.nitems, 1);
    if (r.nitems == 1) {
        const struct wmgw_cim_instance *i = r.items[0].inst;
        CHECK_STR(i->class_name, "Win32_LogicalDisk");
        const struct wmgw_cim_value *v = prop(i, "FreeSpace");
        CHECK(v && v->type == WMGW_CIM_UINT64 && v->u.u == 9769496576ull);
        v = prop(i, "Compressed");
        CHECK(v && v->type == WMGW_CIM_BOOLEAN && !v->null && !v->u.b);
        CHECK(prop(i, "Availability") && prop(i, "Availability")->null);
        CHECK_STR(pstr(i, "VolumeName"), "");
        CHECK_STR(pstr(i, "DeviceID"), "C:");
    }
    wmgw_soap_response_dispose(&r);
    /* Untyped, the same reply still reads. */
    struct wmgw_soap_response u = {.kind = WMGW_SOAP_ENUMERATE, .d = d, .ns = "root/cimv2",
                                   .fragment_class = "Win32_LogicalDisk"};
    CHECK_INT(wmgw_soap_read(data, len, &u, NULL), 0);
    CHECK_INT(u.nitems, 1);
    if (u.nitems == 1)
        CHECK_STR(pstr(u.items[0].inst, "FreeSpace"), "9769496576");
    wmgw_soap_response_dispose(&u);
    wmgw_cim_class_free(cls);
    free(props);
    free(data);
}

static void test_identify_and_invoke(void)
{
    size_t len;
    char *data = capture("identify/knife-windows-2008r2-anonymous.response.xml", &len);
    if (data != NULL) {
        struct wmgw_soap_response r = {.kind = WMGW_SOAP_IDENTIFY, .d = d};
        CHECK_INT(wmgw_soap_read(data, len, &r, NULL), 0);
        CHECK_STR(r.identity.vendor, "Microsoft Corporation");
        CHECK_STR(r.identity.version, "OS: 0.0.0 SP: 0.0 Stack: 2.0");
        CHECK_STR(r.identity.protocol_version, d->ns_wsman);
        CHECK_INT(r.identity.protocol, WMGW_PROTO_WSMV);
        wmgw_soap_response_dispose(&r);
        free(data);
    }
    data = capture("spec-ms-wsmv/4.1.4-02-CreateResponse.xml", &len);
    if (data != NULL) {
        struct wmgw_cim_class *cls = wmgw_cim_class_new("Win32_Process", "root/cimv2");
        struct wmgw_cim_method *m = wmgw_cim_class_add_method(cls, "Create");
        m->return_type = WMGW_CIM_UINT32;
        m->flags = WMGW_CIM_Q_STATIC;
        wmgw_cim_method_add_param(m, "CommandLine", WMGW_CIM_STRING)->flags = WMGW_CIM_Q_IN;
        wmgw_cim_method_add_param(m, "ProcessId", WMGW_CIM_UINT32)->flags = WMGW_CIM_Q_OUT;
        struct wmgw_soap_response r = {
            .kind = WMGW_SOAP_INVOKE,
            .d = d,
            .ns = "root/cimv2",
            .method = m,
            .expect_action = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process/CreateResponse",
            .message_id = "uuid:9A989269-283B-4624-BAC5-BC291F72E854",
        };
        struct wmgw_err err;
        int rc = wmgw_soap_read(data, len, &r, &err);
        if (rc != 0)
            fprintf(stderr, "invoke: %s\n", err.message);
        CHECK_INT(rc, 0);
        const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&r.output, "ProcessId");
        CHECK(p && p->value.type == WMGW_CIM_UINT32 && p->value.u.u == 4000);
        p = wmgw_cim_proplist_find(&r.output, "ReturnValue");
        CHECK(p && p->value.type == WMGW_CIM_UINT32 && p->value.u.u == 0);
        wmgw_soap_response_dispose(&r);
        /* Another request's reply, or another action, is refused. */
        r.message_id = "uuid:00000000-0000-0000-0000-000000000000";
        CHECK_INT(wmgw_soap_read(data, len, &r, NULL), WMGW_EPROTO);
        r.message_id = NULL;
        r.expect_action = WMGW_ACTION_GET "Response";
        CHECK_INT(wmgw_soap_read(data, len, &r, NULL), WMGW_EPROTO);
        CHECK(r.output.n == 0);
        wmgw_cim_class_free(cls);
        free(data);
    }
}

#define ENV_OPEN "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" " \
                 "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "      \
                 "xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "     \
                 "xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "        \
                 "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"

static int read_text(const char *xml, enum wmgw_soap_kind kind, struct wmgw_soap_response *r)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->d = d;
    r->ns = "root/test";
    r->message_id = "uuid:1";
    return wmgw_soap_read(xml, strlen(xml), r, NULL);
}

static void test_created_and_empty(void)
{
    struct wmgw_soap_response r;
    const char *created =
        ENV_OPEN "<s:Header><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body><x:ResourceCreated>"
                 "<a:Address>" WMGW_WSA_ANONYMOUS "</a:Address><a:ReferenceParameters><w:ResourceURI>"
                 "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Environment</w:ResourceURI>"
                 "<w:SelectorSet><w:Selector Name=\"Name\">A&amp;&lt;B</w:Selector><w:Selector Name=\"UserName\">"
                 "NT AUTHORITY\\SYSTEM</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>"
                 "</s:Body></s:Envelope>";
    CHECK_INT(read_text(created, WMGW_SOAP_CREATE, &r), 0);
    CHECK(r.ref != NULL);
    if (r.ref) {
        CHECK_STR(r.ref->class_name, "Win32_Environment");
        CHECK_STR(r.ref->namespace_, "root/cimv2");
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&r.ref->keys, "Name");
        CHECK(k && strcmp(k->value.u.str, "A&<B") == 0);
    }
    wmgw_soap_response_dispose(&r);
    const char *empty = ENV_OPEN "<s:Header/><s:Body/></s:Envelope>";
    CHECK_INT(read_text(empty, WMGW_SOAP_DELETE, &r), 0);
    CHECK_INT(read_text(empty, WMGW_SOAP_GET, &r), WMGW_EPROTO);
    /* An enumeration that ends at once: empty context, w:EndOfSequence. */
    const char *done = ENV_OPEN "<s:Body><n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext>"
                                "<w:Items/><w:EndOfSequence/></n:EnumerateResponse></s:Body></s:Envelope>";
    CHECK_INT(read_text(done, WMGW_SOAP_ENUMERATE, &r), 0);
    CHECK(r.end_of_sequence && r.context == NULL && r.nitems == 0);
    wmgw_soap_response_dispose(&r);
    /* EnumerateEPR items. */
    const char *eprs =
        ENV_OPEN "<s:Body><n:PullResponse><n:EnumerationContext>ctx-2</n:EnumerationContext><n:Items>"
                 "<a:EndpointReference><a:Address>" WMGW_WSA_ANONYMOUS "</a:Address><a:ReferenceParameters>"
                 "<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/Sim_Item</w:ResourceURI>"
                 "<w:SelectorSet><w:Selector Name=\"Id\">1</w:Selector></w:SelectorSet></a:ReferenceParameters>"
                 "</a:EndpointReference></n:Items></n:PullResponse></s:Body></s:Envelope>";
    CHECK_INT(read_text(eprs, WMGW_SOAP_PULL, &r), 0);
    CHECK_STR(r.context, "ctx-2");
    CHECK(r.nitems == 1 && r.items[0].ref != NULL && r.items[0].inst == NULL);
    wmgw_soap_response_dispose(&r);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><broken></s:Body",
        "<Envelope><Body/></Envelope>",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]>" ENV_OPEN "<s:Body/></s:Envelope>",
        ENV_OPEN "<s:Header><a:RelatesTo>uuid:other</a:RelatesTo></s:Header><s:Body/></s:Envelope>",
        ENV_OPEN "<s:Body><n:PullResponse/><n:PullResponse/></s:Body></s:Envelope>",
        ENV_OPEN "<s:Body><n:EnumerateResponse/></s:Body></s:Envelope>",
        ENV_OPEN "<s:Body><n:PullResponse><n:Items><p:X xmlns:p=\"u\"><p:Y>1</p:Y></n:Items></n:PullResponse>"
                 "</s:Body></s:Envelope>",
        ENV_OPEN "<s:Body><n:PullResponse><n:Items><p:X xmlns:p=\"u\"/></n:Items></n:PullResponse></s:Body>"
                 "</s:Envelope><trailing/>",
        ENV_OPEN "<s:Body><n:PullResponse><n:Items><p:X xmlns:p=\"u\"/></n:Items></n:PullResponse></s:Body>",
        ENV_OPEN "<s:Body><s:Fault><s:Reason><s:Text>no code</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_soap_response r;
        int rc = read_text(bad[i], WMGW_SOAP_PULL, &r);
        if (rc != WMGW_EPROTO)
            fprintf(stderr, "case %zu: %d\n", i, rc);
        CHECK_INT(rc, WMGW_EPROTO);
        CHECK(r.nitems == 0 && r.items == NULL && r.context == NULL);
    }
    /* A value that does not fit the class's type is a protocol error. */
    struct wmgw_cim_class *cls = wmgw_cim_class_new("Sim_Item", "root/test");
    wmgw_cim_class_add_prop(cls, "Id", WMGW_CIM_UINT32);
    struct wmgw_soap_response r;
    memset(&r, 0, sizeof(r));
    r.kind = WMGW_SOAP_GET;
    r.d = d;
    r.ns = "root/test";
    r.cls = cls;
    const char *big = ENV_OPEN "<s:Body><p:Sim_Item xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/"
                               "test/Sim_Item\"><p:Id>4294967296</p:Id></p:Sim_Item></s:Body></s:Envelope>";
    CHECK_INT(wmgw_soap_read(big, strlen(big), &r, NULL), WMGW_EPROTO);
    wmgw_cim_class_free(cls);
}

int main(void)
{
    WMGW_TEST_RUN(test_star_captures);
    WMGW_TEST_RUN(test_typed_services);
    WMGW_TEST_RUN(test_fragment);
    WMGW_TEST_RUN(test_identify_and_invoke);
    WMGW_TEST_RUN(test_created_and_empty);
    WMGW_TEST_RUN(test_malformed);
    return WMGW_TEST_DONE();
}
