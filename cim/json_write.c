/*
 * json_write.c: CIM values, references and instances as REST JSON
 * (json.h), written by hand into a wmgw_buf so enumerations stream.
 *
 * Same instance, same bytes: member order is fixed (see json.h), reals
 * use util/numtext (shortest round trip, C locale), and whatever has no
 * order of its own is sorted by name, case-insensitively: the keys of a
 * reference and the properties of an embedded object, because backends
 * deliver those in different orders.  On failure the buffer is left as it
 * was before the call.
 */
#include "cim/json.h"
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/numtext.h"
#include "util/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decisions where json.h left room:
 * - A reference without a namespace is relative, as in WMI: its "@id" uses
 *   the namespace of the enclosing instance, else root/cimv2; "@namespace"
 *   is then omitted.  "@id" needs a host; without one it is omitted, and
 *   it is omitted too when the keys cannot form a URL (a null key, a key
 *   beyond the path limits).
 * - An instance has "@id" only when the class is given, all its keys have
 *   values, and it has keys or is flagged Singleton.  Properties the class
 *   does not declare follow the declared ones, in instance order.
 * - Strings: ", \ and control characters (C0, DEL, C1) are escaped, as are
 *   U+2028/U+2029; invalid UTF-8 becomes U+FFFD per maximal subpart.
 * - Reals are always marked as reals ("100.0", "-0.0") so they read back
 *   as reals and negative zero survives.
 */

struct wctx {
    struct wmgw_buf *out;
    const char *host;
    const char *ns; /* what relative references resolve against; may be NULL */
    int depth;
};

static int restore(struct wmgw_buf *out, size_t start, int rc)
{
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* --- strings -------------------------------------------------------------- */

static bool must_escape(uint32_t cp)
{
    return cp < 0x20 || cp == '"' || cp == '\\' || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

static int add_escape(struct wmgw_buf *out, uint32_t cp)
{
    switch (cp) {
    case '"': return wmgw_buf_add(out, "\\\"", 2);
    case '\\': return wmgw_buf_add(out, "\\\\", 2);
    case '\b': return wmgw_buf_add(out, "\\b", 2);
    case '\f': return wmgw_buf_add(out, "\\f", 2);
    case '\n': return wmgw_buf_add(out, "\\n", 2);
    case '\r': return wmgw_buf_add(out, "\\r", 2);
    case '\t': return wmgw_buf_add(out, "\\t", 2);
    default: return wmgw_buf_printf(out, "\\u%04x", (unsigned)cp);
    }
}

static int add_string(struct wmgw_buf *out, const char *s, size_t len)
{
    int rc = wmgw_buf_addc(out, '"');
    size_t run = 0, i = 0;
    while (rc == 0 && i < len) {
        uint32_t cp = (unsigned char)s[i];
        size_t n = 1;
        if (cp >= 0x80)
            n = wmgw_utf8_next(s + i, len - i, &cp);
        if (cp != WMGW_UTF8_BAD && !must_escape(cp)) {
            i += n;
            continue;
        }
        rc = wmgw_buf_add(out, s + run, i - run);
        if (rc == 0)
            rc = cp == WMGW_UTF8_BAD ? wmgw_buf_add(out, "\xEF\xBF\xBD", 3) : add_escape(out, cp);
        i += n;
        run = i;
    }
    if (rc == 0)
        rc = wmgw_buf_add(out, s + run, len - run);
    return rc == 0 ? wmgw_buf_addc(out, '"') : rc;
}

int wmgw_json_write_string(struct wmgw_buf *out, const char *s, size_t len)
{
    size_t start = out->len;
    return restore(out, start, add_string(out, s, len));
}

static int add_cstring(struct wmgw_buf *out, const char *s)
{
    return add_string(out, s, strlen(s));
}

/* ,"name": */
static int add_member(struct wmgw_buf *out, bool *first, const char *name)
{
    int rc = *first ? 0 : wmgw_buf_addc(out, ',');
    *first = false;
    if (rc == 0)
        rc = add_cstring(out, name);
    return rc == 0 ? wmgw_buf_addc(out, ':') : rc;
}

/* --- scalars -------------------------------------------------------------- */

static int write_value(struct wctx *c, const struct wmgw_cim_value *v);

static int add_real(struct wmgw_buf *out, double r, bool single)
{
    char tmp[WMGW_REAL_TEXT_MAX];
    if (isnan(r))
        return wmgw_buf_addstr(out, "\"NaN\"");
    if (isinf(r))
        return wmgw_buf_addstr(out, r > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    /* A real32 holding a double beyond float range prints as a double. */
    size_t n = wmgw_real_format(tmp, r, single && fabs(r) <= 3.4028234663852886e38);
    return wmgw_buf_add(out, tmp, n);
}

static int add_char16(struct wmgw_buf *out, uint16_t c16)
{
    char b[4];
    size_t n = wmgw_utf8_put(b, c16 >= 0xD800 && c16 <= 0xDFFF ? 0xFFFD : c16);
    return add_string(out, b, n);
}

static int add_datetime(struct wmgw_buf *out, const char *dmtf)
{
    size_t start = out->len;
    int rc = wmgw_buf_addc(out, '"');
    if (rc == 0)
        rc = wmgw_cim_datetime_format_iso(dmtf, out);
    if (rc == WMGW_EINVAL) {
        /* Not a valid DMTF string: keep what the backend said, escaped. */
        restore(out, start, rc);
        return add_cstring(out, dmtf);
    }
    return rc < 0 ? rc : wmgw_buf_addc(out, '"');
}

static int write_ref(struct wctx *c, const struct wmgw_cim_ref *ref);
static int write_object(struct wctx *c, const struct wmgw_cim_instance *obj);

static int write_scalar(struct wctx *c, const struct wmgw_cim_value *v)
{
    struct wmgw_buf *out = c->out;
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32:
        return wmgw_buf_printf(out, "%lld", (long long)v->u.s);
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32:
        return wmgw_buf_printf(out, "%llu", (unsigned long long)v->u.u);
    case WMGW_CIM_SINT64: /* always a string: JavaScript numbers stop at 2^53 */
        return wmgw_buf_printf(out, "\"%lld\"", (long long)v->u.s);
    case WMGW_CIM_UINT64:
        return wmgw_buf_printf(out, "\"%llu\"", (unsigned long long)v->u.u);
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        return add_real(out, v->u.r, WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_REAL32);
    case WMGW_CIM_BOOLEAN:
        return wmgw_buf_addstr(out, v->u.b ? "true" : "false");
    case WMGW_CIM_CHAR16:
        return add_char16(out, v->u.c16);
    case WMGW_CIM_STRING:
        return v->u.str != NULL ? add_cstring(out, v->u.str) : wmgw_buf_addstr(out, "null");
    case WMGW_CIM_DATETIME:
        return v->u.str != NULL ? add_datetime(out, v->u.str) : wmgw_buf_addstr(out, "null");
    case WMGW_CIM_REFERENCE:
        return v->u.ref != NULL ? write_ref(c, v->u.ref) : wmgw_buf_addstr(out, "null");
    case WMGW_CIM_OBJECT:
        return v->u.obj != NULL ? write_object(c, v->u.obj) : wmgw_buf_addstr(out, "null");
    default:
        return WMGW_EINVAL;
    }
}

static int write_value(struct wctx *c, const struct wmgw_cim_value *v)
{
    if (v->null)
        return wmgw_buf_addstr(c->out, "null");
    if (!WMGW_CIM_IS_ARRAY(v->type))
        return write_scalar(c, v);
    int rc = wmgw_buf_addc(c->out, '[');
    for (size_t i = 0; rc == 0 && i < v->u.arr.n; i++) {
        rc = i > 0 ? wmgw_buf_addc(c->out, ',') : 0;
        if (rc == 0)
            rc = v->u.arr.v[i].null ? wmgw_buf_addstr(c->out, "null") : write_scalar(c, &v->u.arr.v[i]);
    }
    return rc == 0 ? wmgw_buf_addc(c->out, ']') : rc;
}

/* --- name order ------------------------------------------------------------- */

struct named {
    const struct wmgw_cim_prop *p;
    size_t index;
};

/* Case-insensitive for ASCII only, so the order never depends on the locale. */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        x += x >= 'A' && x <= 'Z' ? 32 : 0;
        y += y >= 'A' && y <= 'Z' ? 32 : 0;
        if (x != y || x == 0)
            return x - y;
    }
}

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int r = ascii_casecmp(x->p->name, y->p->name);
    if (r == 0)
        r = strcmp(x->p->name, y->p->name);
    return r != 0 ? r : (x->index > y->index) - (x->index < y->index);
}

/* Writes l's members sorted by name: ,"name":value... */
static int write_sorted(struct wctx *c, const struct wmgw_cim_proplist *l, bool *first)
{
    struct named *v = malloc((l->n ? l->n : 1) * sizeof(*v));
    if (v == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        v[i] = (struct named){&l->items[i], i};
    qsort(v, l->n, sizeof(*v), cmp_named);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        rc = add_member(c->out, first, v[i].p->name);
        if (rc == 0)
            rc = write_value(c, &v[i].p->value);
    }
    free(v);
    return rc;
}

/* --- references and embedded objects ---------------------------------------- */

/* "@id":"/v1/hosts/...", unless there is no host or no URL for ref. */
static int add_link(struct wctx *c, const struct wmgw_cim_ref *ref, bool *first)
{
    if (c->host == NULL || c->host[0] == '\0')
        return 0;
    struct wmgw_cim_ref abs = *ref;
    if (abs.namespace_ == NULL)
        abs.namespace_ = (char *)(c->ns != NULL ? c->ns : WMGW_CIM_JSON_DEFAULT_NAMESPACE);
    size_t start = c->out->len;
    bool was_first = *first;
    int rc = add_member(c->out, first, "@id");
    if (rc == 0)
        rc = wmgw_buf_addc(c->out, '"');
    if (rc == 0)
        rc = wmgw_cim_path_format_url(c->out, c->host, &abs); /* URL-safe characters only */
    if (rc == 0)
        rc = wmgw_buf_addc(c->out, '"');
    /* No URL for these keys (a null key, a value past the path limits):
     * still the reference, without a link.  If out itself is full, the
     * next append fails anyway. */
    if (rc == WMGW_EINVAL || rc == WMGW_ETOOBIG) {
        *first = was_first;
        restore(c->out, start, rc);
        return 0;
    }
    return rc;
}

static int write_ref(struct wctx *c, const struct wmgw_cim_ref *ref)
{
    if (ref->class_name == NULL)
        return WMGW_EINVAL;
    if (c->depth >= WMGW_CIM_JSON_MAX_DEPTH)
        return WMGW_EINVAL;
    bool first = true;
    int rc = wmgw_buf_addc(c->out, '{');
    if (rc == 0)
        rc = add_link(c, ref, &first);
    if (rc == 0)
        rc = add_member(c->out, &first, "@class");
    if (rc == 0)
        rc = add_cstring(c->out, ref->class_name);
    if (rc == 0 && ref->namespace_ != NULL) {
        rc = add_member(c->out, &first, "@namespace");
        if (rc == 0)
            rc = add_cstring(c->out, ref->namespace_);
    }
    if (rc == 0)
        rc = add_member(c->out, &first, "@keys");
    if (rc == 0)
        rc = wmgw_buf_addc(c->out, '{');
    struct wctx inner = {c->out, c->host, ref->namespace_ != NULL ? ref->namespace_ : c->ns, c->depth + 1};
    bool kfirst = true;
    if (rc == 0)
        rc = write_sorted(&inner, &ref->keys, &kfirst);
    if (rc == 0)
        rc = wmgw_buf_add(c->out, "}}", 2);
    return rc;
}

static int write_object(struct wctx *c, const struct wmgw_cim_instance *obj)
{
    if (c->depth >= WMGW_CIM_JSON_MAX_DEPTH)
        return WMGW_EINVAL;
    bool first = true;
    int rc = wmgw_buf_addc(c->out, '{');
    if (rc == 0)
        rc = add_member(c->out, &first, "@class");
    if (rc == 0)
        rc = obj->class_name != NULL ? add_cstring(c->out, obj->class_name) : wmgw_buf_addstr(c->out, "null");
    struct wctx inner = {c->out, c->host, obj->namespace_ != NULL ? obj->namespace_ : c->ns, c->depth + 1};
    if (rc == 0)
        rc = write_sorted(&inner, &obj->props, &first);
    return rc == 0 ? wmgw_buf_addc(c->out, '}') : rc;
}

/* --- instances ---------------------------------------------------------------- */

static bool addressable(const struct wmgw_cim_class *cls, const struct wmgw_cim_ref *path)
{
    if (path->keys.n == 0)
        return (cls->flags & WMGW_CIM_Q_SINGLETON) != 0;
    for (size_t i = 0; i < path->keys.n; i++)
        if (path->keys.items[i].value.null)
            return false;
    return true;
}

static int add_instance_link(struct wctx *c, const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls,
                             bool *first)
{
    if (cls == NULL || c->host == NULL || inst->class_name == NULL)
        return 0;
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(inst, cls);
    if (path == NULL)
        return WMGW_ENOMEM;
    int rc = addressable(cls, path) ? add_link(c, path, first) : 0;
    wmgw_cim_ref_free(path);
    return rc;
}

static int add_prop(struct wctx *c, bool *first, const char *name, const struct wmgw_cim_value *v)
{
    int rc = add_member(c->out, first, name);
    return rc == 0 ? write_value(c, v) : rc;
}

/* Properties in class order, then any the class does not declare. */
static int write_props(struct wctx *c, const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls,
                       bool *first)
{
    int rc = 0;
    size_t hint = 0, written = 0;
    for (size_t i = 0; cls != NULL && rc == 0 && i < cls->nprops; i++) {
        const struct wmgw_cim_prop *p = wmgw_cim_proplist_find_hint(&inst->props, cls->props[i].name, &hint);
        if (p != NULL) {
            rc = add_prop(c, first, cls->props[i].name, &p->value);
            written++;
        }
    }
    /* Usually every property is the class's: nothing left to look for. */
    for (size_t i = 0; rc == 0 && written < inst->props.n && i < inst->props.n; i++) {
        const struct wmgw_cim_prop *p = &inst->props.items[i];
        if (cls == NULL || wmgw_cim_class_prop(cls, p->name) == NULL)
            rc = add_prop(c, first, p->name, &p->value);
    }
    return rc;
}

static int write_instance(struct wctx *c, const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls)
{
    const char *cname = inst->class_name != NULL ? inst->class_name : cls != NULL ? cls->name : NULL;
    if (cname == NULL)
        return WMGW_EINVAL;
    bool first = true;
    int rc = wmgw_buf_addc(c->out, '{');
    if (rc == 0)
        rc = add_instance_link(c, inst, cls, &first);
    if (rc == 0)
        rc = add_member(c->out, &first, "@class");
    if (rc == 0)
        rc = add_cstring(c->out, cname);
    if (rc == 0 && c->ns != NULL) {
        rc = add_member(c->out, &first, "@namespace");
        if (rc == 0)
            rc = add_cstring(c->out, c->ns);
    }
    if (rc == 0 && c->host != NULL) {
        rc = add_member(c->out, &first, "@host");
        if (rc == 0)
            rc = add_cstring(c->out, c->host);
    }
    if (rc == 0)
        rc = write_props(c, inst, cls, &first);
    return rc == 0 ? wmgw_buf_addc(c->out, '}') : rc;
}

/* --- public ------------------------------------------------------------------- */

int wmgw_cim_json_write_value(struct wmgw_buf *out, const struct wmgw_cim_value *v, const char *host)
{
    struct wctx c = {out, host, NULL, 0};
    size_t start = out->len;
    return restore(out, start, write_value(&c, v));
}

int wmgw_cim_json_write_ref(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, const char *host)
{
    struct wctx c = {out, host, NULL, 0};
    size_t start = out->len;
    return restore(out, start, write_ref(&c, ref));
}

int wmgw_cim_json_write_instance(struct wmgw_buf *out, const struct wmgw_cim_instance *inst,
                                 const struct wmgw_cim_class *cls, const char *host)
{
    const char *ns = inst->namespace_ != NULL ? inst->namespace_ : cls != NULL ? cls->namespace_ : NULL;
    struct wctx c = {out, host, ns, 0};
    size_t start = out->len;
    return restore(out, start, write_instance(&c, inst, cls));
}
