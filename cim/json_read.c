/*
 * json_read.c: request bodies (jansson values) into CIM values, checked
 * against the class (json.h).
 *
 * Every error names the property path where it happened, e.g.
 * "PObject.Tags[2]: expected a string".  Instances and parameters come
 * out in declaration order with the declared spelling of each name,
 * whatever order and case the JSON used.
 */
#include "cim/json.h"
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Decisions where json.h left room:
 * - Integers: a JSON integer, an integral JSON real (1e3, 5.0) or a decimal
 *   string, range-checked per width.  For sint64/uint64 a JSON number must
 *   be within +-2^53 (beyond that it may already have been rounded), so
 *   larger values must come as strings.
 * - Reals: a number, or "NaN", "Infinity", "-Infinity".  real32 values are
 *   rounded to float; beyond the float range is an error.
 * - A reference is {"@class", "@namespace"?, "@keys": {...}} or
 *   {"@id": "/v1/hosts/..."}; when "@keys" is present "@id" is ignored.
 *   The host in "@id" is not kept (a reference names an instance on the
 *   same host; ref->host is a WMI machine name, not a gateway host).
 * - Embedded objects and reference keys have no schema here, so their
 *   types come from the JSON: string, boolean, integer (sint32 when it
 *   fits, else sint64), real64, reference ({"@id"}/{"@keys"}), embedded
 *   object ({"@class"}), arrays of one kind (integers and reals mix as
 *   real64).  A null member of an embedded object is a null string.
 * - Parameters with neither the In nor the Out flag count as inputs;
 *   missing Required in-parameters are an error.
 */

#define TWO53 9007199254740992LL

struct rctx {
    struct wmgw_err *err;
    char path[200];
    size_t plen;
    int depth;
};

static int fail(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct rctx *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->plen == 0)
        return wmgw_err_set(c->err, WMGW_EINVAL, "%s", msg);
    return wmgw_err_set(c->err, WMGW_EINVAL, "%s: %s", c->path, msg);
}

/* Appends text to the path; unprintable bytes show as '?'. */
static void path_add(struct rctx *c, const char *s)
{
    for (; *s != '\0' && c->plen + 4 < sizeof(c->path); s++)
        c->path[c->plen++] = (*s >= 0x20 && *s < 0x7F) ? *s : '?';
    if (*s != '\0' && c->plen + 4 >= sizeof(c->path))
        while (c->plen + 1 < sizeof(c->path))
            c->path[c->plen++] = '.';
    c->path[c->plen] = '\0';
}

static size_t push_name(struct rctx *c, const char *name)
{
    size_t old = c->plen;
    if (c->plen > 0)
        path_add(c, ".");
    path_add(c, name);
    return old;
}

static size_t push_index(struct rctx *c, size_t i)
{
    size_t old = c->plen;
    char b[32];
    snprintf(b, sizeof(b), "[%zu]", i);
    path_add(c, b);
    return old;
}

static void pop(struct rctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* A short printable copy of user text for messages. */
static const char *shown(const char *s, char buf[48])
{
    size_t i = 0;
    for (; s[i] != '\0' && i < 40; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    if (s[i] != '\0')
        buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
    buf[i] = '\0';
    return buf;
}

/* ref_class may be spelled "ref:X" / "object:X" or just "X". */
static const char *target_class(const char *ref_class)
{
    if (ref_class == NULL)
        return NULL;
    if (strncasecmp(ref_class, "ref:", 4) == 0)
        return ref_class + 4;
    if (strncasecmp(ref_class, "object:", 7) == 0)
        return ref_class + 7;
    return ref_class;
}

/* A JSON string without NUL, as a C string; NULL if j is no such string. */
static const char *plain_string(const json_t *j)
{
    if (!json_is_string(j))
        return NULL;
    const char *s = json_string_value(j);
    return strlen(s) == json_string_length(j) ? s : NULL;
}

/* --- integers --------------------------------------------------------------- */

static int range_fail(struct rctx *c, const char *text, uint16_t type)
{
    int64_t min;
    uint64_t max;
    wmgw_cim_type_range(type, &min, &max);
    return fail(c, "%s is out of range for %s (%lld..%llu)", text, wmgw_cim_type_name(type), (long long)min,
                (unsigned long long)max);
}

/* Stores sign and magnitude into v if they fit type. */
static int store_integer(struct rctx *c, bool neg, uint64_t mag, const char *text, uint16_t type,
                         struct wmgw_cim_value *v)
{
    int64_t min;
    uint64_t max;
    wmgw_cim_type_range(type, &min, &max);
    if (wmgw_cim_type_is_signed(type)) {
        uint64_t lim = neg ? (uint64_t)(-(min + 1)) + 1 : max;
        if (mag > lim)
            return range_fail(c, text, type);
        v->u.s = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    } else {
        if ((neg && mag > 0) || mag > max)
            return range_fail(c, text, type);
        v->u.u = mag;
    }
    return 0;
}

/* Strict decimal: -?[0-9]+, no spaces or '+'. */
static int integer_from_string(struct rctx *c, const char *s, uint16_t type, struct wmgw_cim_value *v)
{
    char b[48];
    bool neg = s[0] == '-';
    const char *p = s + neg;
    uint64_t mag = 0;
    bool overflow = false;
    if (*p == '\0')
        return fail(c, "\"%s\" is not a decimal integer", shown(s, b));
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return fail(c, "\"%s\" is not a decimal integer", shown(s, b));
        unsigned d = (unsigned)(*p - '0');
        if (mag > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            mag = mag * 10 + d;
    }
    if (overflow)
        return range_fail(c, shown(s, b), type);
    return store_integer(c, neg, mag, shown(s, b), type, v);
}

static int read_integer(struct rctx *c, const json_t *j, uint16_t type, struct wmgw_cim_value *v)
{
    bool wide = type == WMGW_CIM_SINT64 || type == WMGW_CIM_UINT64;
    char text[48];
    if (json_is_string(j)) {
        const char *s = plain_string(j);
        return s != NULL ? integer_from_string(c, s, type, v) : fail(c, "string contains NUL");
    }
    if (json_is_integer(j)) {
        long long x = json_integer_value(j);
        snprintf(text, sizeof(text), "%lld", x);
        if (wide && (x > TWO53 || x < -TWO53))
            return fail(c, "%s is beyond 2^53 and may have lost precision as a JSON number; send 64-bit integers "
                           "as decimal strings", text);
        return store_integer(c, x < 0, x < 0 ? 0 - (uint64_t)x : (uint64_t)x, text, type, v);
    }
    if (json_is_real(j)) {
        double r = json_real_value(j);
        snprintf(text, sizeof(text), "%.17g", r); /* for the message only */
        if (r != floor(r))
            return fail(c, "%s is not an integer", text);
        if (fabs(r) > (double)TWO53)
            return wide ? fail(c, "%s is beyond 2^53 and may have lost precision as a JSON number; send 64-bit "
                                  "integers as decimal strings", text)
                        : range_fail(c, text, type);
        long long x = (long long)r;
        snprintf(text, sizeof(text), "%lld", x);
        return store_integer(c, x < 0, x < 0 ? 0 - (uint64_t)x : (uint64_t)x, text, type, v);
    }
    return fail(c, "expected an integer (%s)", wmgw_cim_type_name(type));
}

/* --- other scalars ------------------------------------------------------------ */

static int read_real(struct rctx *c, const json_t *j, uint16_t type, struct wmgw_cim_value *v)
{
    double r;
    const char *s = plain_string(j);
    if (json_is_number(j))
        r = json_number_value(j);
    else if (s != NULL && strcmp(s, "NaN") == 0)
        r = NAN;
    else if (s != NULL && strcmp(s, "Infinity") == 0)
        r = INFINITY;
    else if (s != NULL && strcmp(s, "-Infinity") == 0)
        r = -INFINITY;
    else
        return fail(c, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
    if (type == WMGW_CIM_REAL32 && isfinite(r)) {
        /* Doubles from here up round to infinity as floats. */
        if (fabs(r) >= 3.4028235677973366e38)
            return fail(c, "%g is out of range for real32", r);
        r = (double)(float)r;
    }
    v->u.r = r;
    return 0;
}

static int read_char16(struct rctx *c, const json_t *j, struct wmgw_cim_value *v)
{
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t n = json_is_string(j) ? json_string_length(j) : 0;
    /* jansson hands out valid UTF-8: the lead byte gives the length. */
    size_t clen = n == 0 ? 0 : s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (!json_is_string(j) || n == 0 || clen != n)
        return fail(c, "expected a string of exactly one character (char16)");
    if (clen == 4)
        return fail(c, "char16 holds one UTF-16 code unit: characters beyond U+FFFF do not fit");
    uint32_t cp = clen == 1 ? s[0] : clen == 2 ? (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F)
                                               : (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 |
                                                     (s[2] & 0x3F);
    v->u.c16 = (uint16_t)cp;
    return 0;
}

static int read_string(struct rctx *c, const json_t *j, struct wmgw_cim_value *v)
{
    const char *s = plain_string(j);
    if (s == NULL)
        return fail(c, json_is_string(j) ? "string contains NUL" : "expected a string");
    return (v->u.str = strdup(s)) != NULL ? 0 : WMGW_ENOMEM;
}

static int read_datetime(struct rctx *c, const json_t *j, struct wmgw_cim_value *v)
{
    const char *s = plain_string(j);
    char dmtf[WMGW_CIM_DMTF_LEN + 1];
    struct wmgw_err inner;
    if (s == NULL)
        return fail(c, "expected a datetime string (RFC 3339 or an ISO 8601 duration)");
    if (wmgw_cim_datetime_parse(s, strlen(s), dmtf, &inner) != 0)
        return fail(c, "%s", inner.message);
    return (v->u.str = strdup(dmtf)) != NULL ? 0 : WMGW_ENOMEM;
}

/* --- references and embedded objects -------------------------------------------- */

static int read_ref(struct rctx *c, const json_t *j, const char *ref_class, struct wmgw_cim_ref **out);
static int read_object(struct rctx *c, const json_t *j, const char *ref_class, struct wmgw_cim_instance **out);
static int infer_value(struct rctx *c, const json_t *j, bool key, struct wmgw_cim_value *v);

static bool is_ref_object(const json_t *j)
{
    return json_object_get(j, "@keys") != NULL || json_object_get(j, "@id") != NULL;
}

/* A JSON integer with no type: sint32 when it fits, else sint64. */
static int infer_integer(struct rctx *c, const json_t *j, struct wmgw_cim_value *v)
{
    long long x = json_integer_value(j);
    if (x > TWO53 || x < -TWO53)
        return fail(c, "%lld is beyond 2^53 and may have lost precision as a JSON number; send it as a string", x);
    wmgw_cim_value_init_null(v, x >= INT32_MIN && x <= INT32_MAX ? WMGW_CIM_SINT32 : WMGW_CIM_SINT64);
    v->u.s = x;
    v->null = false;
    return 0;
}

static int infer_scalar(struct rctx *c, const json_t *j, bool key, struct wmgw_cim_value *v)
{
    int rc = 0;
    uint16_t type = WMGW_CIM_STRING;
    if (json_is_integer(j))
        return infer_integer(c, j, v);
    if (json_is_boolean(j))
        type = WMGW_CIM_BOOLEAN;
    else if (json_is_real(j))
        type = WMGW_CIM_REAL64;
    else if (json_is_object(j))
        type = key || is_ref_object(j) ? WMGW_CIM_REFERENCE : WMGW_CIM_OBJECT;
    else if (!json_is_string(j))
        return fail(c, key ? "a key value cannot be null or an array" : "arrays cannot contain null or arrays");
    wmgw_cim_value_init_null(v, type);
    switch (type) {
    case WMGW_CIM_BOOLEAN: v->u.b = json_is_true(j); break;
    case WMGW_CIM_REAL64: v->u.r = json_real_value(j); break;
    case WMGW_CIM_REFERENCE: rc = read_ref(c, j, NULL, &v->u.ref); break;
    case WMGW_CIM_OBJECT: rc = read_object(c, j, NULL, &v->u.obj); break;
    default: rc = read_string(c, j, v); break;
    }
    v->null = rc != 0;
    return rc;
}

static bool is_numeric(uint16_t t)
{
    return t == WMGW_CIM_SINT32 || t == WMGW_CIM_SINT64 || t == WMGW_CIM_REAL64;
}

/* The one type all elements can take, or NONE. */
static uint16_t unify(const struct wmgw_cim_value *e, size_t n)
{
    uint16_t t = e[0].type;
    for (size_t i = 1; i < n; i++) {
        uint16_t u = e[i].type;
        if (u == t)
            continue;
        if (!is_numeric(t) || !is_numeric(u))
            return WMGW_CIM_NONE;
        t = t == WMGW_CIM_REAL64 || u == WMGW_CIM_REAL64 ? WMGW_CIM_REAL64 : WMGW_CIM_SINT64;
    }
    return t;
}

static void free_elems(struct wmgw_cim_value *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wmgw_cim_value_dispose(&e[i]);
    free(e);
}

static int infer_array(struct rctx *c, const json_t *j, struct wmgw_cim_value *v)
{
    size_t n = json_array_size(j);
    wmgw_cim_value_init_null(v, WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    struct wmgw_cim_value *e = calloc(n ? n : 1, sizeof(*e));
    if (e == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t old = push_index(c, i);
        int rc = infer_scalar(c, json_array_get(j, i), false, &e[i]);
        pop(c, old);
        if (rc != 0) {
            free_elems(e, i);
            return rc;
        }
    }
    uint16_t t = n > 0 ? unify(e, n) : WMGW_CIM_STRING;
    if (t == WMGW_CIM_NONE) {
        free_elems(e, n);
        return fail(c, "array elements must all have the same type");
    }
    for (size_t i = 0; i < n; i++) {
        if (t == WMGW_CIM_REAL64 && e[i].type != WMGW_CIM_REAL64)
            e[i].u.r = (double)e[i].u.s; /* exact: at most 2^53 */
        e[i].type = t;
    }
    v->type = t | WMGW_CIM_ARRAY;
    v->null = false;
    v->u.arr.n = n;
    v->u.arr.v = e;
    return 0;
}

static int infer_value(struct rctx *c, const json_t *j, bool key, struct wmgw_cim_value *v)
{
    if (json_is_null(j) && !key) {
        wmgw_cim_value_init_null(v, WMGW_CIM_STRING);
        return 0;
    }
    if (json_is_array(j) && !key)
        return infer_array(c, j, v);
    return infer_scalar(c, j, key, v);
}

/* Reads the untyped members of j (not starting with '@') into l. */
static int read_members(struct rctx *c, const json_t *j, bool keys, struct wmgw_cim_proplist *l)
{
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)j, name, m) {
        if (!keys && name[0] == '@')
            continue;
        size_t old = push_name(c, name);
        struct wmgw_cim_value v;
        int rc = 0;
        if (!wmgw_cim_path_name_valid(name, strlen(name)))
            rc = fail(c, "not a valid property name");
        else if (wmgw_cim_proplist_find(l, name) != NULL)
            rc = fail(c, "given twice (names are case-insensitive)");
        else if (keys && l->n >= WMGW_CIM_PATH_MAX_KEYS)
            rc = fail(c, "more than %d keys", WMGW_CIM_PATH_MAX_KEYS);
        else if ((rc = infer_value(c, m, keys, &v)) == 0 && (rc = wmgw_cim_proplist_put(l, name, &v)) != 0)
            wmgw_cim_value_dispose(&v);
        pop(c, old);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* "@class" of j, else the declared target; NULL after reporting. */
static const char *class_of(struct rctx *c, const json_t *j, const char *ref_class, const char *what)
{
    const json_t *jc = json_object_get(j, "@class");
    const char *name = jc != NULL ? plain_string(jc) : target_class(ref_class);
    if (jc != NULL && (name == NULL || !wmgw_cim_path_name_valid(name, strlen(name)))) {
        fail(c, "\"@class\" must be a class name");
        return NULL;
    }
    if (name == NULL)
        fail(c, "%s needs \"@class\"", what);
    return name;
}

static int ref_from_keys(struct rctx *c, const json_t *j, const char *ref_class, struct wmgw_cim_ref **out)
{
    const char *cls = class_of(c, j, ref_class, "a reference with \"@keys\"");
    if (cls == NULL)
        return WMGW_EINVAL;
    const json_t *jns = json_object_get(j, "@namespace"), *keys = json_object_get(j, "@keys");
    char *ns = NULL;
    if (!json_is_object(keys))
        return fail(c, "\"@keys\" must be an object");
    if (jns != NULL && !json_is_null(jns)) {
        const char *s = plain_string(jns);
        struct wmgw_err inner;
        if (s == NULL || wmgw_cim_path_parse_namespace(s, strlen(s), &ns, &inner) != 0)
            return fail(c, "\"@namespace\" is not a valid namespace");
    }
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(ns, cls);
    free(ns);
    if (ref == NULL)
        return WMGW_ENOMEM;
    int rc = read_members(c, keys, true, &ref->keys);
    if (rc != 0) {
        wmgw_cim_ref_free(ref);
        return rc;
    }
    *out = ref;
    return 0;
}

static int read_ref(struct rctx *c, const json_t *j, const char *ref_class, struct wmgw_cim_ref **out)
{
    *out = NULL;
    if (!json_is_object(j))
        return fail(c, "expected a reference: {\"@id\": url} or {\"@class\", \"@keys\"}");
    if (c->depth >= WMGW_CIM_JSON_MAX_DEPTH)
        return fail(c, "nested more than %d levels", WMGW_CIM_JSON_MAX_DEPTH);
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)j, name, m) {
        char b[48];
        if (name[0] != '@')
            return fail(c, "unexpected member \"%s\" in a reference (keys go in \"@keys\")", shown(name, b));
    }
    int rc;
    c->depth++;
    if (json_object_get(j, "@keys") != NULL) {
        rc = ref_from_keys(c, j, ref_class, out);
    } else if (json_object_get(j, "@id") != NULL) {
        const char *url = plain_string(json_object_get(j, "@id"));
        struct wmgw_err inner;
        if (url == NULL)
            rc = fail(c, "\"@id\" must be a string");
        else if ((rc = wmgw_cim_path_parse_url(url, strlen(url), out, &inner)) != 0)
            rc = rc == WMGW_ENOMEM ? rc : fail(c, "\"@id\": %s", inner.message);
        if (rc == 0) {
            free((*out)->host);
            (*out)->host = NULL;
        }
    } else {
        rc = fail(c, "a reference needs \"@id\" or \"@keys\"");
    }
    c->depth--;
    return rc;
}

static int read_object(struct rctx *c, const json_t *j, const char *ref_class, struct wmgw_cim_instance **out)
{
    *out = NULL;
    if (!json_is_object(j))
        return fail(c, "expected an embedded object with \"@class\"");
    if (c->depth >= WMGW_CIM_JSON_MAX_DEPTH)
        return fail(c, "nested more than %d levels", WMGW_CIM_JSON_MAX_DEPTH);
    const char *cls = class_of(c, j, ref_class, "an embedded object");
    if (cls == NULL)
        return WMGW_EINVAL;
    struct wmgw_cim_instance *obj = wmgw_cim_instance_new(cls, NULL);
    if (obj == NULL)
        return WMGW_ENOMEM;
    c->depth++;
    int rc = read_members(c, j, false, &obj->props);
    c->depth--;
    if (rc != 0) {
        wmgw_cim_instance_unref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

/* --- typed values --------------------------------------------------------------- */

static int read_scalar(struct rctx *c, const json_t *j, uint16_t base, const char *ref_class,
                       struct wmgw_cim_value *v)
{
    int rc;
    wmgw_cim_value_init_null(v, base);
    switch (base) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        rc = read_integer(c, j, base, v);
        break;
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        rc = read_real(c, j, base, v);
        break;
    case WMGW_CIM_BOOLEAN:
        rc = json_is_boolean(j) ? 0 : fail(c, "expected true or false");
        v->u.b = json_is_true(j);
        break;
    case WMGW_CIM_CHAR16: rc = read_char16(c, j, v); break;
    case WMGW_CIM_STRING: rc = read_string(c, j, v); break;
    case WMGW_CIM_DATETIME: rc = read_datetime(c, j, v); break;
    case WMGW_CIM_REFERENCE: rc = read_ref(c, j, ref_class, &v->u.ref); break;
    case WMGW_CIM_OBJECT: rc = read_object(c, j, ref_class, &v->u.obj); break;
    default: rc = fail(c, "type %u is not supported", (unsigned)base); break;
    }
    v->null = rc != 0;
    return rc;
}

static int read_typed(struct rctx *c, const json_t *j, uint16_t type, const char *ref_class,
                      struct wmgw_cim_value *v)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    wmgw_cim_value_init_null(v, type);
    if (json_is_null(j))
        return 0;
    if (!WMGW_CIM_IS_ARRAY(type))
        return read_scalar(c, j, base, ref_class, v);
    if (!json_is_array(j))
        return fail(c, "expected an array of %s", wmgw_cim_type_name(base));
    size_t n = json_array_size(j);
    struct wmgw_cim_value *e = calloc(n ? n : 1, sizeof(*e));
    if (e == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t old = push_index(c, i);
        const json_t *ji = json_array_get(j, i);
        int rc = json_is_null(ji) ? fail(c, "arrays cannot contain null") : read_scalar(c, ji, base, ref_class, &e[i]);
        pop(c, old);
        if (rc != 0) {
            free_elems(e, i);
            return rc;
        }
    }
    v->null = false;
    v->u.arr.n = n;
    v->u.arr.v = e;
    return 0;
}

int wmgw_cim_json_read_value(const json_t *j, uint16_t type, const char *ref_class, struct wmgw_cim_value *out,
                             struct wmgw_err *err)
{
    struct rctx c = {err, "", 0, 0};
    return read_typed(&c, j, type, ref_class, out);
}

/* --- instances and parameters ----------------------------------------------------- */

/* Reads members of obj declared in decls[0..n) into vals (found[i] set);
 * `usable` says which declarations may be given. */
static int read_declared(struct rctx *c, const json_t *obj, const struct wmgw_cim_propdecl *decls, size_t n,
                         bool (*usable)(const struct wmgw_cim_propdecl *), const char *owner,
                         struct wmgw_cim_value *vals, bool *found)
{
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)obj, name, m) {
        if (name[0] == '@')
            continue;
        size_t i = 0;
        while (i < n && strcasecmp(decls[i].name, name) != 0)
            i++;
        size_t old = push_name(c, i < n ? decls[i].name : name);
        int rc = 0;
        if (i == n)
            rc = fail(c, "%s has no property or parameter of this name", owner);
        else if (usable != NULL && !usable(&decls[i]))
            rc = fail(c, "is an output parameter of %s, not an input", owner);
        else if (found[i])
            rc = fail(c, "given twice (names are case-insensitive)");
        else if ((rc = read_typed(c, m, decls[i].type, decls[i].ref_class, &vals[i])) == 0)
            found[i] = true;
        pop(c, old);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Moves the found values into l in declaration order. */
static int collect(const struct wmgw_cim_propdecl *decls, size_t n, struct wmgw_cim_value *vals, const bool *found,
                   struct wmgw_cim_proplist *l)
{
    for (size_t i = 0; i < n; i++)
        if (found[i] && wmgw_cim_proplist_put(l, decls[i].name, &vals[i]) != 0)
            return WMGW_ENOMEM;
    return 0;
}

static void free_vals(struct wmgw_cim_value *vals, bool *found, size_t n)
{
    for (size_t i = 0; vals != NULL && i < n; i++)
        wmgw_cim_value_dispose(&vals[i]);
    free(vals);
    free(found);
}

int wmgw_cim_json_read_instance(const json_t *obj, const struct wmgw_cim_class *cls, struct wmgw_cim_instance **out,
                                struct wmgw_err *err)
{
    struct rctx c = {err, "", 0, 0};
    *out = NULL;
    if (!json_is_object(obj))
        return fail(&c, "expected a JSON object (an instance of %s)", cls->name);
    size_t n = cls->nprops;
    struct wmgw_cim_value *vals = calloc(n ? n : 1, sizeof(*vals));
    bool *found = calloc(n ? n : 1, sizeof(*found));
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(cls->name, cls->namespace_);
    int rc = vals == NULL || found == NULL || inst == NULL ? WMGW_ENOMEM : 0;
    char owner[320];
    snprintf(owner, sizeof(owner), "class %s", cls->name);
    if (rc == 0)
        rc = read_declared(&c, obj, cls->props, n, NULL, owner, vals, found);
    if (rc == 0)
        rc = collect(cls->props, n, vals, found, &inst->props);
    free_vals(vals, found, n);
    if (rc != 0) {
        wmgw_cim_instance_unref(inst);
        return rc;
    }
    *out = inst;
    return 0;
}

static bool is_input(const struct wmgw_cim_propdecl *d)
{
    return (d->flags & WMGW_CIM_Q_IN) || !(d->flags & WMGW_CIM_Q_OUT);
}

static int check_required(struct rctx *c, const struct wmgw_cim_method *m, const bool *found)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (!found[i] && is_input(&m->params[i]) && (m->params[i].flags & WMGW_CIM_Q_REQUIRED))
            return fail(c, "missing required parameter %s of method %s", m->params[i].name, m->name);
    return 0;
}

int wmgw_cim_json_read_params(const json_t *obj, const struct wmgw_cim_method *m, struct wmgw_cim_proplist *out,
                              struct wmgw_err *err)
{
    struct rctx c = {err, "", 0, 0};
    struct wmgw_cim_proplist l = {0};
    if (obj != NULL && !json_is_null(obj) && !json_is_object(obj))
        return fail(&c, "expected a JSON object of parameters for method %s", m->name);
    size_t n = m->nparams;
    struct wmgw_cim_value *vals = calloc(n ? n : 1, sizeof(*vals));
    bool *found = calloc(n ? n : 1, sizeof(*found));
    int rc = vals == NULL || found == NULL ? WMGW_ENOMEM : 0;
    char owner[320];
    snprintf(owner, sizeof(owner), "method %s", m->name);
    if (rc == 0 && json_is_object(obj))
        rc = read_declared(&c, obj, m->params, n, is_input, owner, vals, found);
    if (rc == 0)
        rc = check_required(&c, m, found);
    if (rc == 0)
        rc = collect(m->params, n, vals, found, &l);
    free_vals(vals, found, n);
    if (rc != 0) {
        wmgw_cim_proplist_dispose(&l);
        return rc;
    }
    *out = l;
    return 0;
}
