/*
 * dcom_tool.c: the DCOM layer's stubs (translators/wmi/dcom_*.c,
 * wmi_calls*.c) on stdin/stdout, for tests/python/test_dcom_impacket.py,
 * which compares them with impacket.
 *
 * One JSON request per line in, one JSON answer per line out:
 *   {"op":"<stub>_encode","v":{...}}  -> {"hex":"..."}
 *   {"op":"<stub>_decode","hex":"..."} -> {"v":{...}}
 * for the stubs act_in, act_out (BLOBs), activate_req, activate_resp,
 * remqi_req, remqi_resp, remref_req, remaddref_resp, void_req, status_resp,
 * ptr_resp, establish_req, establish_resp, login_req, getobject_req,
 * getobject_resp, putinstance_req, deleteinstance_req, callresult_resp,
 * query_req, execmethod_req, execmethod_resp, enum_req, next_resp; and
 * {"op":"objref_std","v":{iid,std,resolver}} -> {"hex"}.  Failures answer
 * {"error":"<message>","code":"EPROTO"}.  Bytes are hex, NULL pointers null,
 * UUIDs text; the field names are those of the C structures.
 */
#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/dcom_remunknown.h"
#include "translators/wmi/wmi_calls.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON <-> C helpers; parsed bytes live until the next request ---- */

static uint8_t *arena[256];
static size_t n_arena;

static const uint8_t *unhex(json_t *j, size_t *n)
{
    const char *s = json_string_value(j);
    size_t len = s ? strlen(s) / 2 : 0;
    uint8_t *b = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        sscanf(s + 2 * i, "%2hhx", &b[i]);
    *n = len;
    if (n_arena < sizeof(arena) / sizeof(arena[0]))
        arena[n_arena++] = b;
    return s ? b : NULL;
}

static json_t *hex(const uint8_t *p, size_t n)
{
    if (p == NULL)
        return json_null();
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * n] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static struct wmgw_uuid uuid_of(json_t *j)
{
    struct wmgw_uuid u = {{0}};
    if (json_is_string(j))
        wmgw_uuid_parse(&u, json_string_value(j), NULL);
    return u;
}

static json_t *juuid(const struct wmgw_uuid *u)
{
    char s[WMGW_UUID_STRLEN + 1];
    wmgw_uuid_format(u, s);
    return json_string(s);
}

static uint64_t num(json_t *o, const char *k)
{
    json_t *j = json_object_get(o, k);
    return json_is_integer(j) ? (uint64_t)json_integer_value(j) : 0;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool flag(json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

static struct wmgw_dcom_ptr ptr_of(json_t *o, const char *k)
{
    struct wmgw_dcom_ptr p;
    p.objref = unhex(json_object_get(o, k), &p.len);
    return p;
}

static struct wmgw_wmi_unit unit_of(json_t *o, const char *k)
{
    struct wmgw_wmi_unit u;
    u.data = unhex(json_object_get(o, k), &u.len);
    return u;
}

static void orpcthis_of(json_t *o, struct wmgw_ndr_orpcthis *t)
{
    json_t *j = json_object_get(o, "orpc"), *v = json_object_get(j, "version");
    struct wmgw_uuid cid = uuid_of(json_object_get(j, "cid"));
    wmgw_dcom_orpcthis_init(t, &cid);
    t->flags = (uint32_t)num(j, "flags");
    if (json_array_size(v) == 2) {
        t->major = (uint16_t)json_integer_value(json_array_get(v, 0));
        t->minor = (uint16_t)json_integer_value(json_array_get(v, 1));
    }
}

static void orpcthat_of(json_t *o, struct wmgw_ndr_orpcthat *t)
{
    wmgw_dcom_orpcthat_init(t);
    t->flags = (uint32_t)num(json_object_get(o, "orpc"), "flags");
}

static json_t *jorpcthis(const struct wmgw_ndr_orpcthis *t)
{
    return json_pack("{s:o,s:I,s:[i,i]}", "cid", juuid(&t->cid), "flags", (json_int_t)t->flags, "version", t->major,
                     t->minor);
}

static json_t *jorpcthat(const struct wmgw_ndr_orpcthat *t)
{
    return json_pack("{s:I}", "flags", (json_int_t)t->flags);
}

static void dsa_of(json_t *j, struct wmgw_ndr_dsa *d)
{
    size_t i;
    json_t *e;
    memset(d, 0, sizeof(*d));
    json_array_foreach(json_object_get(j, "strings"), i, e) {
        d->strings[d->n_strings].tower_id = (uint16_t)json_integer_value(json_array_get(e, 0));
        snprintf(d->strings[d->n_strings++].addr, WMGW_NDR_MAX_ADDR, "%s", json_string_value(json_array_get(e, 1)));
    }
    json_array_foreach(json_object_get(j, "security"), i, e) {
        d->security[d->n_security].authn_svc = (uint16_t)json_integer_value(json_array_get(e, 0));
        snprintf(d->security[d->n_security++].princ, WMGW_NDR_MAX_ADDR, "%s", json_string_value(json_array_get(e, 1)));
    }
}

static json_t *jdsa(const struct wmgw_ndr_dsa *d)
{
    json_t *s = json_array(), *sec = json_array();
    for (size_t i = 0; i < d->n_strings; i++)
        json_array_append_new(s, json_pack("[i,s]", d->strings[i].tower_id, d->strings[i].addr));
    for (size_t i = 0; i < d->n_security; i++)
        json_array_append_new(sec, json_pack("[i,s]", d->security[i].authn_svc, d->security[i].princ));
    return json_pack("{s:o,s:o}", "strings", s, "security", sec);
}

static void std_of(json_t *j, struct wmgw_ndr_stdobjref *s)
{
    s->flags = (uint32_t)num(j, "flags");
    s->public_refs = (uint32_t)num(j, "public_refs");
    s->oxid = num(j, "oxid");
    s->oid = num(j, "oid");
    s->ipid = uuid_of(json_object_get(j, "ipid"));
}

static json_t *jstd(const struct wmgw_ndr_stdobjref *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:o}", "flags", (json_int_t)s->flags, "public_refs",
                     (json_int_t)s->public_refs, "oxid", (json_int_t)s->oxid, "oid", (json_int_t)s->oid, "ipid",
                     juuid(&s->ipid));
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ---- activation ---- */

static void act_in_of(json_t *v, struct wmgw_dcom_act_in *a)
{
    size_t i;
    json_t *e, *ver = json_object_get(v, "version");
    memset(a, 0, sizeof(*a));
    a->clsid = uuid_of(json_object_get(v, "clsid"));
    json_array_foreach(json_object_get(v, "iids"), i, e) {
        if (a->n_iids < WMGW_DCOM_ACT_MAX_IIDS)
            a->iids[a->n_iids++] = uuid_of(e);
    }
    a->class_ctx = (uint32_t)num(v, "class_ctx");
    a->actvflags = (uint32_t)num(v, "actvflags");
    a->com_major = (uint16_t)json_integer_value(json_array_get(ver, 0));
    a->com_minor = (uint16_t)json_integer_value(json_array_get(ver, 1));
    a->dest_ctx = (uint32_t)num(v, "dest_ctx");
    a->imp_level = (uint32_t)num(v, "imp_level");
    json_array_foreach(json_object_get(v, "protseqs"), i, e) {
        if (a->n_protseqs < WMGW_DCOM_ACT_MAX_PROTSEQS)
            a->protseqs[a->n_protseqs++] = (uint16_t)json_integer_value(e);
    }
}

static json_t *jact_in(const struct wmgw_dcom_act_in *a)
{
    json_t *iids = json_array(), *seqs = json_array();
    for (unsigned i = 0; i < a->n_iids; i++)
        json_array_append_new(iids, juuid(&a->iids[i]));
    for (unsigned i = 0; i < a->n_protseqs; i++)
        json_array_append_new(seqs, json_integer(a->protseqs[i]));
    return json_pack("{s:o,s:o,s:I,s:I,s:[i,i],s:I,s:I,s:o,s:I}", "clsid", juuid(&a->clsid), "iids", iids,
                     "class_ctx", (json_int_t)a->class_ctx, "actvflags", (json_int_t)a->actvflags, "version",
                     a->com_major, a->com_minor, "dest_ctx", (json_int_t)a->dest_ctx, "imp_level",
                     (json_int_t)a->imp_level, "protseqs", seqs, "props", (json_int_t)a->props);
}

static void act_out_of(json_t *v, struct wmgw_dcom_act_out *a)
{
    size_t i;
    json_t *e, *ver = json_object_get(v, "version");
    memset(a, 0, sizeof(*a));
    json_array_foreach(json_object_get(v, "ifaces"), i, e) {
        if (a->n_ifaces == WMGW_DCOM_ACT_MAX_IIDS)
            break;
        struct wmgw_dcom_act_iface *f = &a->ifaces[a->n_ifaces++];
        f->iid = uuid_of(json_object_get(e, "iid"));
        f->hr = (uint32_t)num(e, "hr");
        f->ptr = ptr_of(e, "objref");
    }
    a->oxid = num(v, "oxid");
    dsa_of(json_object_get(v, "bindings"), &a->bindings);
    a->ipid_rem_unknown = uuid_of(json_object_get(v, "ipid_rem_unknown"));
    a->authn_hint = (uint32_t)num(v, "authn_hint");
    a->com_major = (uint16_t)json_integer_value(json_array_get(ver, 0));
    a->com_minor = (uint16_t)json_integer_value(json_array_get(ver, 1));
    a->dest_ctx = (uint32_t)num(v, "dest_ctx");
}

static json_t *jact_out(const struct wmgw_dcom_act_out *a)
{
    json_t *ifs = json_array();
    for (unsigned i = 0; i < a->n_ifaces; i++)
        json_array_append_new(ifs, json_pack("{s:o,s:I,s:o}", "iid", juuid(&a->ifaces[i].iid), "hr",
                                             (json_int_t)a->ifaces[i].hr, "objref",
                                             hex(a->ifaces[i].ptr.objref, a->ifaces[i].ptr.len)));
    return json_pack("{s:o,s:I,s:o,s:o,s:I,s:[i,i],s:I,s:I}", "ifaces", ifs, "oxid", (json_int_t)a->oxid, "bindings",
                     jdsa(&a->bindings), "ipid_rem_unknown", juuid(&a->ipid_rem_unknown), "authn_hint",
                     (json_int_t)a->authn_hint, "version", a->com_major, a->com_minor, "dest_ctx",
                     (json_int_t)a->dest_ctx, "props", (json_int_t)a->props);
}

/* ---- one function per stub and direction ---- */

struct ctx {
    json_t *v;       /* encode: the input; decode: the output */
    const uint8_t *in;
    size_t in_len;
    struct wmgw_buf *out, *text;
    struct wmgw_err *err;
};

#define ORPCTHIS(q) orpcthis_of(c->v, &(q)->orpc)
#define ORPCTHAT(q) orpcthat_of(c->v, &(q)->orpc)

static int e_act_in(struct ctx *c)
{
    struct wmgw_dcom_act_in a;
    act_in_of(c->v, &a);
    return wmgw_dcom_act_in_encode(c->out, &a, c->err);
}
static int d_act_in(struct ctx *c)
{
    struct wmgw_dcom_act_in a;
    int rc = wmgw_dcom_act_in_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL : jact_in(&a);
    return rc;
}
static int e_act_out(struct ctx *c)
{
    static struct wmgw_dcom_act_out a;
    act_out_of(c->v, &a);
    return wmgw_dcom_act_out_encode(c->out, &a, c->err);
}
static int d_act_out(struct ctx *c)
{
    static struct wmgw_dcom_act_out a;
    int rc = wmgw_dcom_act_out_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL : jact_out(&a);
    return rc;
}
static int e_activate_req(struct ctx *c)
{
    struct wmgw_dcom_activate_req q;
    ORPCTHIS(&q);
    act_in_of(json_object_get(c->v, "act"), &q.act);
    return wmgw_dcom_activate_req_encode(c->out, &q, c->err);
}
static int d_activate_req(struct ctx *c)
{
    struct wmgw_dcom_activate_req q;
    int rc = wmgw_dcom_activate_req_decode(c->in, c->in_len, &q, c->err);
    c->v = rc ? NULL : json_pack("{s:o,s:o}", "orpc", jorpcthis(&q.orpc), "act", jact_in(&q.act));
    return rc;
}
static int e_activate_resp(struct ctx *c)
{
    static struct wmgw_dcom_activate_resp a;
    memset(&a, 0, sizeof(a));
    ORPCTHAT(&a);
    json_t *act = json_object_get(c->v, "act");
    a.has_act = json_is_object(act);
    if (a.has_act)
        act_out_of(act, &a.act);
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_dcom_activate_resp_encode(c->out, &a, c->err);
}
static int d_activate_resp(struct ctx *c)
{
    static struct wmgw_dcom_activate_resp a;
    int rc = wmgw_dcom_activate_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "act", a.has_act ? jact_out(&a.act) : json_null(),
                          "hr", (json_int_t)a.hr);
    return rc;
}

static int e_remqi_req(struct ctx *c)
{
    struct wmgw_dcom_remqi_req q;
    size_t i;
    json_t *e;
    memset(&q, 0, sizeof(q));
    ORPCTHIS(&q);
    q.ipid = uuid_of(json_object_get(c->v, "ipid"));
    q.refs = (uint32_t)num(c->v, "refs");
    json_array_foreach(json_object_get(c->v, "iids"), i, e) {
        if (q.n_iids < WMGW_DCOM_MAX_QI)
            q.iids[q.n_iids++] = uuid_of(e);
    }
    return wmgw_dcom_remqi_req_encode(c->out, &q, c->err);
}
static int d_remqi_req(struct ctx *c)
{
    struct wmgw_dcom_remqi_req q;
    int rc = wmgw_dcom_remqi_req_decode(c->in, c->in_len, &q, c->err);
    if (rc)
        return rc;
    json_t *iids = json_array();
    for (unsigned i = 0; i < q.n_iids; i++)
        json_array_append_new(iids, juuid(&q.iids[i]));
    c->v = json_pack("{s:o,s:o,s:I,s:o}", "orpc", jorpcthis(&q.orpc), "ipid", juuid(&q.ipid), "refs",
                     (json_int_t)q.refs, "iids", iids);
    return 0;
}
static int e_remqi_resp(struct ctx *c)
{
    struct wmgw_dcom_remqi_resp a;
    size_t i;
    json_t *e;
    memset(&a, 0, sizeof(a));
    ORPCTHAT(&a);
    json_array_foreach(json_object_get(c->v, "results"), i, e) {
        if (a.n_results == WMGW_DCOM_MAX_QI)
            break;
        a.results[a.n_results].hr = (uint32_t)num(e, "hr");
        std_of(json_object_get(e, "std"), &a.results[a.n_results++].std);
    }
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_dcom_remqi_resp_encode(c->out, &a, c->err);
}
static int d_remqi_resp(struct ctx *c)
{
    struct wmgw_dcom_remqi_resp a;
    int rc = wmgw_dcom_remqi_resp_decode(c->in, c->in_len, &a, c->err);
    if (rc)
        return rc;
    json_t *res = a.n_results ? json_array() : json_null();
    for (unsigned i = 0; i < a.n_results; i++)
        json_array_append_new(res, json_pack("{s:I,s:o}", "hr", (json_int_t)a.results[i].hr, "std",
                                             jstd(&a.results[i].std)));
    c->v = json_pack("{s:o,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "results", res, "hr", (json_int_t)a.hr);
    return 0;
}
static int e_remref_req(struct ctx *c)
{
    struct wmgw_dcom_remref_req q;
    size_t i;
    json_t *e;
    memset(&q, 0, sizeof(q));
    ORPCTHIS(&q);
    json_array_foreach(json_object_get(c->v, "refs"), i, e) {
        if (q.n_refs == WMGW_DCOM_MAX_REFS)
            break;
        q.refs[q.n_refs++] = (struct wmgw_dcom_remref){uuid_of(json_object_get(e, "ipid")),
                                                       (uint32_t)num(e, "public_refs"), (uint32_t)num(e, "private_refs")};
    }
    return wmgw_dcom_remref_req_encode(c->out, &q, c->err);
}
static int d_remref_req(struct ctx *c)
{
    struct wmgw_dcom_remref_req q;
    int rc = wmgw_dcom_remref_req_decode(c->in, c->in_len, &q, c->err);
    if (rc)
        return rc;
    json_t *refs = json_array();
    for (unsigned i = 0; i < q.n_refs; i++)
        json_array_append_new(refs, json_pack("{s:o,s:I,s:I}", "ipid", juuid(&q.refs[i].ipid), "public_refs",
                                              (json_int_t)q.refs[i].public_refs, "private_refs",
                                              (json_int_t)q.refs[i].private_refs));
    c->v = json_pack("{s:o,s:o}", "orpc", jorpcthis(&q.orpc), "refs", refs);
    return 0;
}
static int e_remaddref_resp(struct ctx *c)
{
    struct wmgw_dcom_remaddref_resp a;
    size_t i;
    json_t *e;
    memset(&a, 0, sizeof(a));
    ORPCTHAT(&a);
    json_array_foreach(json_object_get(c->v, "results"), i, e) {
        if (a.n_results < WMGW_DCOM_MAX_REFS)
            a.results[a.n_results++] = (uint32_t)json_integer_value(e);
    }
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_dcom_remaddref_resp_encode(c->out, &a, c->err);
}
static int d_remaddref_resp(struct ctx *c)
{
    struct wmgw_dcom_remaddref_resp a;
    int rc = wmgw_dcom_remaddref_resp_decode(c->in, c->in_len, &a, c->err);
    if (rc)
        return rc;
    json_t *res = json_array();
    for (unsigned i = 0; i < a.n_results; i++)
        json_array_append_new(res, json_integer(a.results[i]));
    c->v = json_pack("{s:o,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "results", res, "hr", (json_int_t)a.hr);
    return 0;
}

static int e_void_req(struct ctx *c)
{
    struct wmgw_ndr_orpcthis t;
    orpcthis_of(c->v, &t);
    return wmgw_dcom_void_req_encode(c->out, &t, c->err);
}
static int d_void_req(struct ctx *c)
{
    struct wmgw_ndr_orpcthis t;
    int rc = wmgw_dcom_void_req_decode(c->in, c->in_len, &t, c->err);
    c->v = rc ? NULL : json_pack("{s:o}", "orpc", jorpcthis(&t));
    return rc;
}
static int e_status_resp(struct ctx *c)
{
    struct wmgw_dcom_status_resp a;
    ORPCTHAT(&a);
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_dcom_status_resp_encode(c->out, &a, c->err);
}
static int d_status_resp(struct ctx *c)
{
    struct wmgw_dcom_status_resp a;
    int rc = wmgw_dcom_status_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL : json_pack("{s:o,s:I}", "orpc", jorpcthat(&a.orpc), "hr", (json_int_t)a.hr);
    return rc;
}
static int e_ptr_resp(struct ctx *c)
{
    struct wmgw_dcom_ptr_resp a;
    ORPCTHAT(&a);
    a.ptr = ptr_of(c->v, "ptr");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_dcom_ptr_resp_encode(c->out, &a, c->err);
}
static int d_ptr_resp(struct ctx *c)
{
    struct wmgw_dcom_ptr_resp a;
    int rc = wmgw_dcom_ptr_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "ptr", hex(a.ptr.objref, a.ptr.len), "hr",
                          (json_int_t)a.hr);
    return rc;
}

/* ---- WMI ---- */

static int e_establish_req(struct ctx *c)
{
    struct wmgw_wmi_establish_req q;
    ORPCTHIS(&q);
    q.reserved2 = (uint32_t)num(c->v, "reserved2");
    return wmgw_wmi_establish_req_encode(c->out, &q, c->err);
}
static int d_establish_req(struct ctx *c)
{
    struct wmgw_wmi_establish_req q;
    int rc = wmgw_wmi_establish_req_decode(c->in, c->in_len, &q, c->err);
    c->v = rc ? NULL : json_pack("{s:o,s:I}", "orpc", jorpcthis(&q.orpc), "reserved2", (json_int_t)q.reserved2);
    return rc;
}
static int e_establish_resp(struct ctx *c)
{
    struct wmgw_wmi_establish_resp a;
    ORPCTHAT(&a);
    a.locale_version = (uint32_t)num(c->v, "locale_version");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_wmi_establish_resp_encode(c->out, &a, c->err);
}
static int d_establish_resp(struct ctx *c)
{
    struct wmgw_wmi_establish_resp a;
    int rc = wmgw_wmi_establish_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:I,s:I}", "orpc", jorpcthat(&a.orpc), "locale_version", (json_int_t)a.locale_version,
                          "hr", (json_int_t)a.hr);
    return rc;
}
static int e_login_req(struct ctx *c)
{
    struct wmgw_wmi_login_req q;
    ORPCTHIS(&q);
    q.network_resource = str(c->v, "network_resource");
    q.preferred_locale = str(c->v, "preferred_locale");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    return wmgw_wmi_login_req_encode(c->out, &q, c->err);
}
static int d_login_req(struct ctx *c)
{
    struct wmgw_wmi_login_req q;
    int rc = wmgw_wmi_login_req_decode(c->in, c->in_len, &q, c->text, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:o,s:I,s:o}", "orpc", jorpcthis(&q.orpc), "network_resource",
                          jstr(q.network_resource), "preferred_locale", jstr(q.preferred_locale), "flags",
                          (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len));
    return rc;
}
static int e_getobject_req(struct ctx *c)
{
    struct wmgw_wmi_getobject_req q;
    ORPCTHIS(&q);
    q.path = str(c->v, "path");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    q.pp_object = flag(c->v, "pp_object");
    q.pp_call_result = flag(c->v, "pp_call_result");
    return wmgw_wmi_getobject_req_encode(c->out, &q, c->err);
}
static int d_getobject_req(struct ctx *c)
{
    struct wmgw_wmi_getobject_req q;
    int rc = wmgw_wmi_getobject_req_decode(c->in, c->in_len, &q, c->text, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:I,s:o,s:b,s:b}", "orpc", jorpcthis(&q.orpc), "path", jstr(q.path), "flags",
                          (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len), "pp_object", q.pp_object,
                          "pp_call_result", q.pp_call_result);
    return rc;
}
static int e_getobject_resp(struct ctx *c)
{
    struct wmgw_wmi_getobject_resp a;
    ORPCTHAT(&a);
    a.pp_object = flag(c->v, "pp_object");
    a.object = unit_of(c->v, "object");
    a.pp_call_result = flag(c->v, "pp_call_result");
    a.call_result = ptr_of(c->v, "call_result");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_wmi_getobject_resp_encode(c->out, &a, c->err);
}
static int d_getobject_resp(struct ctx *c)
{
    struct wmgw_wmi_getobject_resp a;
    int rc = wmgw_wmi_getobject_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:b,s:o,s:b,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "pp_object", a.pp_object, "object",
                          hex(a.object.data, a.object.len), "pp_call_result", a.pp_call_result, "call_result",
                          hex(a.call_result.objref, a.call_result.len), "hr", (json_int_t)a.hr);
    return rc;
}
static int e_putinstance_req(struct ctx *c)
{
    struct wmgw_wmi_putinstance_req q;
    ORPCTHIS(&q);
    q.inst = unit_of(c->v, "inst");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    q.pp_call_result = flag(c->v, "pp_call_result");
    return wmgw_wmi_putinstance_req_encode(c->out, &q, c->err);
}
static int d_putinstance_req(struct ctx *c)
{
    struct wmgw_wmi_putinstance_req q;
    int rc = wmgw_wmi_putinstance_req_decode(c->in, c->in_len, &q, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:I,s:o,s:b}", "orpc", jorpcthis(&q.orpc), "inst", hex(q.inst.data, q.inst.len),
                          "flags", (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len), "pp_call_result",
                          q.pp_call_result);
    return rc;
}
static int e_deleteinstance_req(struct ctx *c)
{
    struct wmgw_wmi_deleteinstance_req q;
    ORPCTHIS(&q);
    q.path = str(c->v, "path");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    q.pp_call_result = flag(c->v, "pp_call_result");
    return wmgw_wmi_deleteinstance_req_encode(c->out, &q, c->err);
}
static int d_deleteinstance_req(struct ctx *c)
{
    struct wmgw_wmi_deleteinstance_req q;
    int rc = wmgw_wmi_deleteinstance_req_decode(c->in, c->in_len, &q, c->text, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:I,s:o,s:b}", "orpc", jorpcthis(&q.orpc), "path", jstr(q.path), "flags",
                          (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len), "pp_call_result",
                          q.pp_call_result);
    return rc;
}
static int e_callresult_resp(struct ctx *c)
{
    struct wmgw_wmi_callresult_resp a;
    ORPCTHAT(&a);
    a.pp_call_result = flag(c->v, "pp_call_result");
    a.call_result = ptr_of(c->v, "call_result");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_wmi_callresult_resp_encode(c->out, &a, c->err);
}
static int d_callresult_resp(struct ctx *c)
{
    struct wmgw_wmi_callresult_resp a;
    int rc = wmgw_wmi_callresult_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:b,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "pp_call_result", a.pp_call_result,
                          "call_result", hex(a.call_result.objref, a.call_result.len), "hr", (json_int_t)a.hr);
    return rc;
}
static int e_query_req(struct ctx *c)
{
    struct wmgw_wmi_query_req q;
    ORPCTHIS(&q);
    q.language = str(c->v, "language");
    q.query = str(c->v, "query");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    return wmgw_wmi_query_req_encode(c->out, &q, c->err);
}
static int d_query_req(struct ctx *c)
{
    struct wmgw_wmi_query_req q;
    int rc = wmgw_wmi_query_req_decode(c->in, c->in_len, &q, c->text, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:o,s:I,s:o}", "orpc", jorpcthis(&q.orpc), "language", jstr(q.language), "query",
                          jstr(q.query), "flags", (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len));
    return rc;
}
static int e_execmethod_req(struct ctx *c)
{
    struct wmgw_wmi_execmethod_req q;
    ORPCTHIS(&q);
    q.path = str(c->v, "path");
    q.method = str(c->v, "method");
    q.flags = (uint32_t)num(c->v, "flags");
    q.ctx = ptr_of(c->v, "ctx");
    q.in_params = unit_of(c->v, "in_params");
    q.pp_out_params = flag(c->v, "pp_out_params");
    q.pp_call_result = flag(c->v, "pp_call_result");
    return wmgw_wmi_execmethod_req_encode(c->out, &q, c->err);
}
static int d_execmethod_req(struct ctx *c)
{
    struct wmgw_wmi_execmethod_req q;
    int rc = wmgw_wmi_execmethod_req_decode(c->in, c->in_len, &q, c->text, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:o,s:o,s:I,s:o,s:o,s:b,s:b}", "orpc", jorpcthis(&q.orpc), "path", jstr(q.path),
                          "method", jstr(q.method), "flags", (json_int_t)q.flags, "ctx", hex(q.ctx.objref, q.ctx.len),
                          "in_params", hex(q.in_params.data, q.in_params.len), "pp_out_params", q.pp_out_params,
                          "pp_call_result", q.pp_call_result);
    return rc;
}
static int e_execmethod_resp(struct ctx *c)
{
    struct wmgw_wmi_execmethod_resp a;
    ORPCTHAT(&a);
    a.pp_out_params = flag(c->v, "pp_out_params");
    a.out_params = unit_of(c->v, "out_params");
    a.pp_call_result = flag(c->v, "pp_call_result");
    a.call_result = ptr_of(c->v, "call_result");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_wmi_execmethod_resp_encode(c->out, &a, c->err);
}
static int d_execmethod_resp(struct ctx *c)
{
    struct wmgw_wmi_execmethod_resp a;
    int rc = wmgw_wmi_execmethod_resp_decode(c->in, c->in_len, &a, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:b,s:o,s:b,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "pp_out_params", a.pp_out_params,
                          "out_params", hex(a.out_params.data, a.out_params.len), "pp_call_result", a.pp_call_result,
                          "call_result", hex(a.call_result.objref, a.call_result.len), "hr", (json_int_t)a.hr);
    return rc;
}
static int e_enum_req(struct ctx *c)
{
    struct wmgw_wmi_enum_req q;
    ORPCTHIS(&q);
    q.timeout = (uint32_t)num(c->v, "timeout");
    q.count = (uint32_t)num(c->v, "count");
    return wmgw_wmi_enum_req_encode(c->out, &q, c->err);
}
static int d_enum_req(struct ctx *c)
{
    struct wmgw_wmi_enum_req q;
    int rc = wmgw_wmi_enum_req_decode(c->in, c->in_len, &q, c->err);
    c->v = rc ? NULL
              : json_pack("{s:o,s:I,s:I}", "orpc", jorpcthis(&q.orpc), "timeout", (json_int_t)q.timeout, "count",
                          (json_int_t)q.count);
    return rc;
}
static int e_next_resp(struct ctx *c)
{
    static struct wmgw_wmi_unit objs[64];
    struct wmgw_wmi_next_resp a;
    size_t i;
    json_t *e;
    memset(&a, 0, sizeof(a));
    ORPCTHAT(&a);
    json_array_foreach(json_object_get(c->v, "objects"), i, e) {
        if (a.n_objects < 64) {
            objs[a.n_objects].data = unhex(e, &objs[a.n_objects].len);
            a.n_objects++;
        }
    }
    a.objects = objs;
    a.count = (uint32_t)num(c->v, "count");
    a.hr = (uint32_t)num(c->v, "hr");
    return wmgw_wmi_next_resp_encode(c->out, &a, c->err);
}
static int d_next_resp(struct ctx *c)
{
    static struct wmgw_wmi_unit objs[64];
    struct wmgw_wmi_next_resp a;
    memset(&a, 0, sizeof(a));
    a.objects = objs;
    a.cap = 64;
    int rc = wmgw_wmi_next_resp_decode(c->in, c->in_len, &a, c->err);
    if (rc)
        return rc;
    json_t *o = json_array();
    for (unsigned i = 0; i < a.n_objects; i++)
        json_array_append_new(o, hex(objs[i].data, objs[i].len));
    c->v = json_pack("{s:o,s:I,s:o,s:I}", "orpc", jorpcthat(&a.orpc), "count", (json_int_t)a.count, "objects", o,
                     "hr", (json_int_t)a.hr);
    return 0;
}
static int e_objref_std(struct ctx *c)
{
    struct wmgw_dcom_iref ir;
    struct wmgw_ndr_dsa d;
    ir.iid = uuid_of(json_object_get(c->v, "iid"));
    std_of(json_object_get(c->v, "std"), &ir.std);
    dsa_of(json_object_get(c->v, "resolver"), &d);
    return wmgw_dcom_iref_format(&ir, &d, c->out, c->err);
}

static const struct {
    const char *name;
    int (*encode)(struct ctx *);
    int (*decode)(struct ctx *);
} stubs[] = {
    {"act_in", e_act_in, d_act_in},
    {"act_out", e_act_out, d_act_out},
    {"activate_req", e_activate_req, d_activate_req},
    {"activate_resp", e_activate_resp, d_activate_resp},
    {"remqi_req", e_remqi_req, d_remqi_req},
    {"remqi_resp", e_remqi_resp, d_remqi_resp},
    {"remref_req", e_remref_req, d_remref_req},
    {"remaddref_resp", e_remaddref_resp, d_remaddref_resp},
    {"void_req", e_void_req, d_void_req},
    {"status_resp", e_status_resp, d_status_resp},
    {"ptr_resp", e_ptr_resp, d_ptr_resp},
    {"establish_req", e_establish_req, d_establish_req},
    {"establish_resp", e_establish_resp, d_establish_resp},
    {"login_req", e_login_req, d_login_req},
    {"getobject_req", e_getobject_req, d_getobject_req},
    {"getobject_resp", e_getobject_resp, d_getobject_resp},
    {"putinstance_req", e_putinstance_req, d_putinstance_req},
    {"deleteinstance_req", e_deleteinstance_req, d_deleteinstance_req},
    {"callresult_resp", e_callresult_resp, d_callresult_resp},
    {"query_req", e_query_req, d_query_req},
    {"execmethod_req", e_execmethod_req, d_execmethod_req},
    {"execmethod_resp", e_execmethod_resp, d_execmethod_resp},
    {"enum_req", e_enum_req, d_enum_req},
    {"next_resp", e_next_resp, d_next_resp},
    {"objref_std", e_objref_std, NULL},
};

static json_t *run(json_t *req)
{
    const char *op = str(req, "op");
    struct wmgw_buf out, text;
    struct wmgw_err err;
    struct ctx c = {json_object_get(req, "v"), NULL, 0, &out, &text, &err};
    wmgw_err_clear(&err);
    wmgw_buf_init(&out, 1 << 24);
    wmgw_buf_init(&text, 1 << 20);
    json_t *ans = NULL;
    for (size_t i = 0; op && i < sizeof(stubs) / sizeof(stubs[0]) && !ans; i++) {
        size_t n = strlen(stubs[i].name);
        if (strncmp(op, stubs[i].name, n) != 0)
            continue;
        int rc;
        if (strcmp(op + n, "_encode") == 0 || (stubs[i].decode == NULL && op[n] == '\0')) {
            rc = stubs[i].encode(&c);
            ans = rc ? NULL : json_pack("{s:o}", "hex", hex((const uint8_t *)out.data, out.len));
        } else if (strcmp(op + n, "_decode") == 0 && stubs[i].decode) {
            c.in = unhex(json_object_get(req, "hex"), &c.in_len);
            if (c.in == NULL)
                c.in = (const uint8_t *)"";
            rc = stubs[i].decode(&c);
            ans = rc ? NULL : json_pack("{s:o}", "v", c.v);
        } else {
            continue;
        }
        if (rc != 0)
            ans = json_pack("{s:s,s:s}", "error", err.message, "code", wmgw_err_name(rc));
    }
    if (ans == NULL)
        ans = json_pack("{s:s}", "error", "unknown op");
    wmgw_buf_dispose(&out);
    wmgw_buf_dispose(&text);
    return ans;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_error_t jerr;
        json_t *req = json_loads(line, 0, &jerr), *ans;
        ans = req ? run(req) : json_pack("{s:s}", "error", jerr.text);
        char *s = json_dumps(ans, JSON_COMPACT);
        printf("%s\n", s);
        fflush(stdout);
        free(s);
        json_decref(ans);
        json_decref(req);
        for (size_t i = 0; i < n_arena; i++)
            free(arena[i]);
        n_arena = 0;
    }
    free(line);
    return 0;
}
