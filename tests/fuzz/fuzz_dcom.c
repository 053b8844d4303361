/*
 * fuzz_dcom.c: libFuzzer target for the DCOM layer's stubs
 * (translators/wmi/dcom_orpc.c, dcom_activation.c, dcom_remunknown.c,
 * wmi_calls*.c): every server-side request decoder and every client-side
 * reply decoder, on arbitrary stub data.
 *
 * The first byte picks the decoder; the rest (an exact-size copy, so ASan
 * sees any over-read) is its stub.  What decodes is encoded again, and
 * that encoding must decode and re-encode to the same bytes (our output is
 * a fixed point of decode + encode).  Selector 0 also runs the object
 * reference and string-binding helpers on an OBJREF.
 * Seeds: tests/fuzz/corpus/fuzz_dcom (every stub of
 * tests/python/test_dcom_impacket.py, ours and impacket's).
 */
#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/dcom_remunknown.h"
#include "translators/wmi/wmi_calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(x)                                                                     \
    do {                                                                              \
        if (!(x)) {                                                                   \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define TEXT_MAX (64u << 10)
#define NEXT_CAP 64

/* Each: decode p, and when that works, encode what came out into out. */
typedef int (*round_fn)(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err);

static int rt_activate_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    static struct wmgw_dcom_activate_req q;
    int rc = wmgw_dcom_activate_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_dcom_activate_req_encode(out, &q, err);
}

static int rt_activate_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    static struct wmgw_dcom_activate_resp a;
    int rc = wmgw_dcom_activate_resp_decode(p, n, &a, err);
    if (rc == 0 && a.has_act) { /* helpers a client runs on a reply */
        struct wmgw_dcom_iref ir;
        char host[64];
        uint16_t port;
        for (unsigned i = 0; i < a.act.n_ifaces; i++)
            wmgw_dcom_act_iref(&a.act, &a.act.ifaces[i].iid, &ir, NULL);
        wmgw_dcom_dsa_tcp_endpoint(&a.act.bindings, "127.0.0.1", host, sizeof(host), &port, NULL);
    }
    return rc ? rc : wmgw_dcom_activate_resp_encode(out, &a, err);
}

static int rt_act_in(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_act_in a;
    int rc = wmgw_dcom_act_in_decode(p, n, &a, err);
    return rc ? rc : wmgw_dcom_act_in_encode(out, &a, err);
}

static int rt_act_out(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    static struct wmgw_dcom_act_out a;
    int rc = wmgw_dcom_act_out_decode(p, n, &a, err);
    return rc ? rc : wmgw_dcom_act_out_encode(out, &a, err);
}

static int rt_remqi_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_remqi_req q;
    int rc = wmgw_dcom_remqi_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_dcom_remqi_req_encode(out, &q, err);
}

static int rt_remqi_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_remqi_resp a;
    int rc = wmgw_dcom_remqi_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_dcom_remqi_resp_encode(out, &a, err);
}

static int rt_remref_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_remref_req q;
    int rc = wmgw_dcom_remref_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_dcom_remref_req_encode(out, &q, err);
}

static int rt_remaddref_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_remaddref_resp a;
    int rc = wmgw_dcom_remaddref_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_dcom_remaddref_resp_encode(out, &a, err);
}

static int rt_status_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_status_resp a;
    int rc = wmgw_dcom_status_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_dcom_status_resp_encode(out, &a, err);
}

static int rt_ptr_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_dcom_ptr_resp a;
    int rc = wmgw_dcom_ptr_resp_decode(p, n, &a, err);
    if (rc == 0 && a.ptr.objref) {
        struct wmgw_dcom_iref ir;
        wmgw_dcom_iref_parse(a.ptr.objref, a.ptr.len, NULL, &ir, NULL, NULL);
    }
    return rc ? rc : wmgw_dcom_ptr_resp_encode(out, &a, err);
}

static int rt_void_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_ndr_orpcthis t;
    int rc = wmgw_dcom_void_req_decode(p, n, &t, err);
    return rc ? rc : wmgw_dcom_void_req_encode(out, &t, err);
}

static int rt_establish_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_establish_req q;
    int rc = wmgw_wmi_establish_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_wmi_establish_req_encode(out, &q, err);
}

static int rt_establish_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_establish_resp a;
    int rc = wmgw_wmi_establish_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_wmi_establish_resp_encode(out, &a, err);
}

/* Decoders with strings get a bounded text buffer of their own. */
#define WITH_TEXT(decode, encode, type)                  \
    type q;                                              \
    struct wmgw_buf text;                                \
    wmgw_buf_init(&text, TEXT_MAX);                      \
    int rc = decode(p, n, &q, &text, err);               \
    if (rc == 0)                                         \
        rc = encode(out, &q, err);                       \
    wmgw_buf_dispose(&text);                             \
    return rc

static int rt_login_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    WITH_TEXT(wmgw_wmi_login_req_decode, wmgw_wmi_login_req_encode, struct wmgw_wmi_login_req);
}

static int rt_getobject_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    WITH_TEXT(wmgw_wmi_getobject_req_decode, wmgw_wmi_getobject_req_encode, struct wmgw_wmi_getobject_req);
}

static int rt_deleteinstance_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    WITH_TEXT(wmgw_wmi_deleteinstance_req_decode, wmgw_wmi_deleteinstance_req_encode,
              struct wmgw_wmi_deleteinstance_req);
}

static int rt_query_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    WITH_TEXT(wmgw_wmi_query_req_decode, wmgw_wmi_query_req_encode, struct wmgw_wmi_query_req);
}

static int rt_execmethod_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    WITH_TEXT(wmgw_wmi_execmethod_req_decode, wmgw_wmi_execmethod_req_encode, struct wmgw_wmi_execmethod_req);
}

static int rt_getobject_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_getobject_resp a;
    int rc = wmgw_wmi_getobject_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_wmi_getobject_resp_encode(out, &a, err);
}

static int rt_putinstance_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_putinstance_req q;
    int rc = wmgw_wmi_putinstance_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_wmi_putinstance_req_encode(out, &q, err);
}

static int rt_callresult_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_callresult_resp a;
    int rc = wmgw_wmi_callresult_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_wmi_callresult_resp_encode(out, &a, err);
}

static int rt_execmethod_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_execmethod_resp a;
    int rc = wmgw_wmi_execmethod_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_wmi_execmethod_resp_encode(out, &a, err);
}

static int rt_enum_req(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_enum_req q;
    int rc = wmgw_wmi_enum_req_decode(p, n, &q, err);
    return rc ? rc : wmgw_wmi_enum_req_encode(out, &q, err);
}

static int rt_next_resp(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct wmgw_wmi_unit objs[NEXT_CAP];
    struct wmgw_wmi_next_resp a;
    memset(&a, 0, sizeof(a));
    a.objects = objs;
    a.cap = NEXT_CAP;
    int rc = wmgw_wmi_next_resp_decode(p, n, &a, err);
    return rc ? rc : wmgw_wmi_next_resp_encode(out, &a, err);
}

static const round_fn stubs[] = {
    rt_activate_req, rt_activate_resp, rt_act_in,        rt_act_out,        rt_remqi_req,     rt_remqi_resp,
    rt_remref_req,   rt_remaddref_resp, rt_status_resp,  rt_ptr_resp,       rt_void_req,      rt_establish_req,
    rt_establish_resp, rt_login_req,  rt_getobject_req,  rt_getobject_resp, rt_putinstance_req,
    rt_deleteinstance_req, rt_callresult_resp, rt_query_req, rt_execmethod_req, rt_execmethod_resp,
    rt_enum_req,     rt_next_resp,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    round_fn rt = stubs[data[0] % (sizeof(stubs) / sizeof(stubs[0]))];
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, data + 1, n);
    struct wmgw_buf y, z;
    struct wmgw_err err;
    wmgw_buf_init(&y, 1u << 22);
    wmgw_buf_init(&z, 1u << 22);
    wmgw_err_clear(&err);
    int rc = rt(p, n, &y, &err);
    ASSERT(rc <= 0);
    if (rc < 0)
        ASSERT(err.message[0] != '\0'); /* every refusal says why */
    if (rc == 0) {
        /* a request may carry trailing bytes it ignores; our encoding is exact */
        uint8_t *c = malloc(y.len ? y.len : 1);
        memcpy(c, y.data, y.len);
        rc = rt(c, y.len, &z, &err);
        if (rc != 0)
            fprintf(stderr, "re-decode failed: %s\n", err.message);
        ASSERT(rc == 0);
        ASSERT(z.len == y.len && memcmp(z.data, y.data, y.len) == 0);
        free(c);
    }
    if (data[0] % (sizeof(stubs) / sizeof(stubs[0])) == 0) {
        struct wmgw_dcom_iref ir;
        struct wmgw_ndr_dsa dsa;
        wmgw_dcom_iref_parse(p, n, &wmgw_dcom_iid_iwbem_services, &ir, &dsa, NULL);
    }
    wmgw_buf_dispose(&y);
    wmgw_buf_dispose(&z);
    free(p);
    return 0;
}
