/*
 * fault.c: tests for translators/wsman/fault.c: SOAP faults read from the
 * real captures in ../shared/captures/wsmv/faults and the MS-WSMV §4.10
 * example (read at test time, skipped when the captures are absent), the
 * subcode and WMI status mapping, and HTTP / transport failures.
 */
#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include "../test.h"

/* Reads a whole file into a malloc'd buffer, or NULL. */
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

/* Parses a capture as the reply to a Get; returns 0 and fills r, or -1
 * when the capture is absent. */
static int read_capture(const char *rel, struct wmgw_soap_response *r)
{
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL)
        return -1;
    char path[1024];
    snprintf(path, sizeof(path), "%s/wsmv/%s", dir, rel);
    size_t len;
    char *data = slurp(path, &len);
    if (data == NULL) {
        printf("# skip: %s absent\n", rel);
        return -1;
    }
    memset(r, 0, sizeof(*r));
    r->kind = WMGW_SOAP_GET;
    r->d = &wmgw_wsman_dialect_wsmv;
    r->ns = "root/cimv2";
    struct wmgw_err err;
    int rc = wmgw_soap_read(data, len, r, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", rel, err.message);
    CHECK_INT(rc, 0);
    CHECK(r->fault);
    free(data);
    return 0;
}

struct expect {
    const char *file;
    int code;
    const char *subcode;
    uint32_t wsman_code;
    const char *message_start;
};

static const struct expect captures[] = {
    {"faults/masterzen-command-provider-fault.response.xml", WMGW_EBACKEND, "w:InternalError", 2147942606u,
     "The filename or extension is too long."},
    {"faults/omi-windows-pwrshplugin-internalerror.response.xml", WMGW_EBACKEND, "w:InternalError", 2152992672u,
     "Error with error code -2144108472 occurred while calling method WSManPluginReceiveResult."},
    {"faults/omi-windows-timedout.response.xml", WMGW_ETIMEDOUT, "w:TimedOut", 2150858793u,
     "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."},
    {"faults/pywinrm-server2022-timedout.response.xml", WMGW_ETIMEDOUT, "w:TimedOut", 2150858793u,
     "The WS-Management service cannot complete the operation"},
    {"faults/txwinrm-max-concurrent-operations.response.xml", WMGW_ERETRY, "w:InternalError", 2150859174u,
     "The WS-Management service cannot process the request. This user is allowed a maximum number of 15 "
     "concurrent operations, which has been exceeded."},
    {"faults/winrb-soap-fault-v1.response.xml", WMGW_EINVAL, "n:CannotProcessFilter", 2150858778u,
     "The specified class does not exist in the given namespace."},
    {"faults/winrb-soap-fault-v2.response.xml", WMGW_EINVAL, "n:CannotProcessFilter", 2150858778u,
     "The specified class does not exist in the given namespace."},
    {"faults/winrb-wmi-error-v2.response.xml", WMGW_ERETRY, "w:QuotaLimit", 0,
     "The WS-Management service cannot process the request. This user is allowed a maximum number of 30"},
    {"faults/pypsrp-get-invalid-message-information-header/03-Get.response.xml", WMGW_EBACKEND,
     "a:InvalidMessageInformationHeader", 2150858767u, NULL},
    {"faults/pypsrp-receive-invalid-commandid/02-Receive.response.xml", WMGW_EINVAL, "w:InvalidSelectors",
     2150858843u, NULL},
    {"faults/pypsrp-receive-invalid-parameter/01-Receive.response.xml", WMGW_EINVAL, "w:InvalidParameter", 87, NULL},
    {"faults/pypsrp-receive-invalid-selectors-psrp/03-Receive.response.xml", WMGW_EINVAL, "w:InvalidSelectors", 0,
     NULL},
    {"faults/pypsrp-receive-operation-timeout/03-Receive.response.xml", WMGW_ETIMEDOUT, "w:TimedOut", 2150858793u,
     NULL},
    {"spec-ms-wsmv/4.10-02-fault.xml", WMGW_ENOTFOUND, "a:DestinationUnreachable", 32768,
     "The WS-Management service cannot process the request. The service cannot find the resource identified by "
     "the resource URI and selectors."},
};

static void test_real_faults(void)
{
    for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
        const struct expect *x = &captures[i];
        struct wmgw_soap_response r;
        if (read_capture(x->file, &r) != 0)
            continue;
        if (r.error.code != x->code)
            fprintf(stderr, "%s: code %s\n", x->file, wmgw_err_name(r.error.code));
        CHECK_INT(r.error.code, x->code);
        CHECK_STR(r.error.fault_subcode, x->subcode);
        if (x->wsman_code != 0) {
            CHECK(r.error.has_wsman_code);
            CHECK_INT(r.error.wsman_code, x->wsman_code);
        }
        if (x->message_start != NULL && strncmp(r.error.message, x->message_start, strlen(x->message_start)) != 0) {
            fprintf(stderr, "%s: message \"%s\"\n", x->file, r.error.message);
            CHECK(0);
        }
        CHECK(r.error.message[0] != '\0');
        wmgw_soap_response_dispose(&r);
    }
}

static void test_wmi_error_capture(void)
{
    struct wmgw_soap_response r;
    if (read_capture("faults/winrb-wmi-error-v2.response.xml", &r) != 0)
        return;
    CHECK(r.error.has_wmi);
    CHECK_INT(r.error.cim_status, 27);
    CHECK_INT(r.error.hresult, 2150859173u);
    CHECK_STR(r.error.fault_code, "s:Sender");
    wmgw_soap_response_dispose(&r);
    if (read_capture("spec-ms-wsmv/4.10-02-fault.xml", &r) != 0)
        return;
    CHECK_STR(r.error.fault_detail, "wsman:faultDetail/ResourceNotFound");
    wmgw_soap_response_dispose(&r);
}

/* A fault in the simulator's shape, with a chosen subcode and CIM status. */
static int synthetic(const char *subcode, unsigned cim_status, unsigned hresult, struct wmgw_backend_error *e)
{
    char xml[4096];
    char wmi[1024] = "";
    if (cim_status || hresult)
        snprintf(wmi, sizeof(wmi),
                 "<p:MSFT_WmiError xmlns:p=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError\">"
                 "<p:CIMStatusCode>%u</p:CIMStatusCode><p:Message>wmi says</p:Message>"
                 "<p:error_Code>%u</p:error_Code></p:MSFT_WmiError>",
                 cim_status, hresult);
    snprintf(xml, sizeof(xml),
             "<s:Envelope xmlns:s=\"%s\" xmlns:w=\"%s\"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>"
             "<s:Subcode><s:Value>%s</s:Value></s:Subcode></s:Code><s:Reason><s:Text>reason &amp; more "
             "</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f=\"%s\" Code=\"5\"><f:Message>outer"
             "</f:Message></f:WSManFault>%s</s:Detail></s:Fault></s:Body></s:Envelope>",
             WMGW_NS_SOAP, wmgw_wsman_dialect_wsmv.ns_wsman, subcode, wmgw_wsman_dialect_wsmv.ns_fault, wmi);
    struct wmgw_soap_response r = {.kind = WMGW_SOAP_DELETE, .d = &wmgw_wsman_dialect_wsmv};
    int rc = wmgw_soap_read(xml, strlen(xml), &r, NULL);
    CHECK_INT(rc, 0);
    CHECK(r.fault);
    *e = r.error;
    wmgw_soap_response_dispose(&r);
    return e->code;
}

static void test_mapping(void)
{
    struct wmgw_backend_error e;
    CHECK_INT(synthetic("a:DestinationUnreachable", 0, 0, &e), WMGW_ENOTFOUND);
    CHECK_STR(e.message, "outer");
    CHECK_INT(synthetic("w:InvalidSelectors", 0, 0, &e), WMGW_EINVAL);
    CHECK_INT(synthetic("w:InvalidParameter", 6, 0, &e), WMGW_ENOTFOUND);
    CHECK_STR(e.message, "wmi says");
    CHECK(e.has_wmi);
    CHECK_INT(synthetic("w:InvalidParameter", 2, 0, &e), WMGW_EACCES);
    CHECK_INT(synthetic("w:SchemaValidationError", 3, 0, &e), WMGW_ENOTFOUND);
    CHECK_INT(synthetic("x:InvalidRepresentation", 5, 0, &e), WMGW_ENOTFOUND);
    CHECK_INT(synthetic("n:CannotProcessFilter", 11, 0, &e), WMGW_EEXIST);
    CHECK_INT(synthetic("w:InvalidParameter", 7, 0, &e), WMGW_ENOTALLOWED);
    CHECK_INT(synthetic("w:InvalidParameter", 4, 0, &e), WMGW_EINVAL);
    CHECK_INT(synthetic("w:InternalError", 2, 0, &e), WMGW_EACCES);
    CHECK_INT(synthetic("w:InternalError", 0, 0x80041010u, &e), WMGW_ENOTFOUND); /* no CIM status: HRESULT */
    CHECK_INT(synthetic("w:AccessDenied", 0, 0, &e), WMGW_EACCES);
    CHECK_INT(synthetic("w:AccessDenied", 6, 0, &e), WMGW_EACCES); /* specific subcodes are not refined */
    CHECK_INT(synthetic("w:AlreadyExists", 0, 0, &e), WMGW_EEXIST);
    CHECK_INT(synthetic("w:TimedOut", 0, 0, &e), WMGW_ETIMEDOUT);
    CHECK_INT(synthetic("n:InvalidEnumerationContext", 0, 0, &e), WMGW_EGONE);
    CHECK_INT(synthetic("a:ActionNotSupported", 0, 0, &e), WMGW_ENOTALLOWED);
    CHECK_INT(synthetic("w:EncodingLimit", 0, 0, &e), WMGW_EBACKEND);
    CHECK_INT(synthetic("w:InternalError", 0, 0, &e), WMGW_EBACKEND);
    CHECK_INT(synthetic("w:QuotaLimit", 27, 0, &e), WMGW_ERETRY);
    CHECK_INT(synthetic("w:SomethingNew", 0, 0, &e), WMGW_EBACKEND);
    CHECK_STR(e.fault_code, "s:Sender");
    CHECK_INT(e.wsman_code, 5);
}

static void test_http_errors(void)
{
    struct wmgw_backend_error e;
    memset(&e, 0, sizeof(e));
    CHECK_INT(wmgw_wsman_http_error(&e, 0, NULL, 401, NULL), WMGW_EBACKEND);
    CHECK(strstr(e.message, "credential") != NULL);
    CHECK_INT(e.http_status, 401);
    CHECK_INT(wmgw_wsman_http_error(&e, 0, NULL, 413, NULL), WMGW_ETOOBIG);
    CHECK_INT(wmgw_wsman_http_error(&e, 0, NULL, 503, "no"), WMGW_EBACKEND);
    CHECK_INT(wmgw_wsman_http_error(&e, 0, NULL, 200, "garbage"), WMGW_EPROTO);
    CHECK_INT(wmgw_wsman_http_error(&e, WMGW_ECONN, "refused", 0, NULL), WMGW_ECONN);
    CHECK_INT(wmgw_wsman_http_error(&e, WMGW_ETIMEDOUT, NULL, 0, NULL), WMGW_ETIMEDOUT);
    CHECK_INT(wmgw_wsman_http_error(&e, WMGW_ETOOBIG, NULL, 0, NULL), WMGW_EPROTO);
    CHECK_INT(wmgw_wsman_http_error(&e, WMGW_EPROTO, NULL, 0, NULL), WMGW_EPROTO);
    CHECK_INT(wmgw_err_http_status(WMGW_EGONE), 410);
}

int main(void)
{
    WMGW_TEST_RUN(test_real_faults);
    WMGW_TEST_RUN(test_wmi_error_capture);
    WMGW_TEST_RUN(test_mapping);
    WMGW_TEST_RUN(test_http_errors);
    return WMGW_TEST_DONE();
}
