/*
 * value.c: CIM values, their text form, and named-value lists (cim.h).
 *
 * The text form is what WS-Management carries in element content and what
 * selectors and WQL literals are compared against; the JSON form lives in
 * cim/json.c.
 */
#include "cim/cim.h"
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/numtext.h"
#include "util/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *wmgw_cim_strdup(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

void wmgw_cim_value_init_null(struct wmgw_cim_value *v, uint16_t type)
{
    memset(v, 0, sizeof(*v));
    v->type = type;
    v->null = true;
}

int wmgw_cim_value_set_bytes(struct wmgw_cim_value *v, const uint8_t *p, size_t len)
{
    wmgw_cim_value_init_null(v, WMGW_CIM_UINT8 | WMGW_CIM_ARRAY);
    v->u.arr.v = calloc(len ? len : 1, sizeof(*v->u.arr.v));
    if (v->u.arr.v == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        v->u.arr.v[i].type = WMGW_CIM_UINT8;
        v->u.arr.v[i].u.u = p[i];
    }
    v->u.arr.n = len;
    v->null = false;
    return 0;
}

int wmgw_cim_value_get_bytes(const struct wmgw_cim_value *v, size_t max, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (v->null || !(v->type & WMGW_CIM_ARRAY) || v->u.arr.n > max)
        return WMGW_EINVAL;
    size_t n = v->u.arr.n;
    uint8_t *b = malloc(n ? n : 1);
    if (b == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)v->u.arr.v[i].u.u;
    *out = b;
    *len = n;
    return 0;
}

static void dispose_scalar(struct wmgw_cim_value *v)
{
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_STRING:
    case WMGW_CIM_DATETIME:
        free(v->u.str);
        break;
    case WMGW_CIM_REFERENCE:
        wmgw_cim_ref_free(v->u.ref);
        break;
    case WMGW_CIM_OBJECT:
        wmgw_cim_instance_unref(v->u.obj);
        break;
    default:
        break;
    }
}

void wmgw_cim_value_dispose(struct wmgw_cim_value *v)
{
    if (!v->null) {
        if (WMGW_CIM_IS_ARRAY(v->type)) {
            for (size_t i = 0; i < v->u.arr.n; i++)
                dispose_scalar(&v->u.arr.v[i]);
            free(v->u.arr.v);
        } else {
            dispose_scalar(v);
        }
    }
    wmgw_cim_value_init_null(v, v->type);
}

static int copy_scalar(struct wmgw_cim_value *dst, const struct wmgw_cim_value *src)
{
    *dst = *src;
    switch (WMGW_CIM_BASETYPE(src->type)) {
    case WMGW_CIM_STRING:
    case WMGW_CIM_DATETIME:
        if ((dst->u.str = strdup(src->u.str)) == NULL)
            return WMGW_ENOMEM;
        break;
    case WMGW_CIM_REFERENCE:
        if ((dst->u.ref = wmgw_cim_ref_copy(src->u.ref)) == NULL)
            return WMGW_ENOMEM;
        break;
    case WMGW_CIM_OBJECT:
        if ((dst->u.obj = wmgw_cim_instance_copy(src->u.obj)) == NULL)
            return WMGW_ENOMEM;
        break;
    default:
        break;
    }
    return 0;
}

int wmgw_cim_value_copy(struct wmgw_cim_value *dst, const struct wmgw_cim_value *src)
{
    wmgw_cim_value_init_null(dst, src->type);
    if (src->null)
        return 0;
    if (!WMGW_CIM_IS_ARRAY(src->type)) {
        int rc = copy_scalar(dst, src);
        if (rc != 0)
            wmgw_cim_value_init_null(dst, src->type);
        return rc;
    }
    struct wmgw_cim_value *elems = calloc(src->u.arr.n ? src->u.arr.n : 1, sizeof(*elems));
    if (elems == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < src->u.arr.n; i++) {
        if (copy_scalar(&elems[i], &src->u.arr.v[i]) != 0) {
            for (size_t j = 0; j < i; j++)
                dispose_scalar(&elems[j]);
            free(elems);
            return WMGW_ENOMEM;
        }
    }
    dst->null = false;
    dst->u.arr.n = src->u.arr.n;
    dst->u.arr.v = elems;
    return 0;
}

void wmgw_cim_value_set_string(struct wmgw_cim_value *v, char *s)
{
    wmgw_cim_value_dispose(v);
    v->type = WMGW_CIM_STRING;
    v->null = s == NULL;
    v->u.str = s;
}

static bool scalar_equal(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b)
{
    switch (WMGW_CIM_BASETYPE(a->type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        return a->u.s == b->u.s;
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        return a->u.u == b->u.u;
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        return a->u.r == b->u.r || (isnan(a->u.r) && isnan(b->u.r));
    case WMGW_CIM_BOOLEAN:
        return a->u.b == b->u.b;
    case WMGW_CIM_CHAR16:
        return a->u.c16 == b->u.c16;
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME:
        return strcmp(a->u.str, b->u.str) == 0;
    case WMGW_CIM_REFERENCE:
        return wmgw_cim_ref_equal(a->u.ref, b->u.ref);
    case WMGW_CIM_OBJECT: {
        const struct wmgw_cim_instance *x = a->u.obj, *y = b->u.obj;
        if (strcasecmp(x->class_name, y->class_name) != 0 || x->props.n != y->props.n)
            return false;
        for (size_t i = 0; i < x->props.n; i++) {
            const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(&y->props, x->props.items[i].name);
            if (p == NULL || !wmgw_cim_value_equal(&x->props.items[i].value, &p->value))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

bool wmgw_cim_value_equal(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b)
{
    if (a->type != b->type || a->null != b->null)
        return false;
    if (a->null)
        return true;
    if (!WMGW_CIM_IS_ARRAY(a->type))
        return scalar_equal(a, b);
    if (a->u.arr.n != b->u.arr.n)
        return false;
    for (size_t i = 0; i < a->u.arr.n; i++)
        if (!scalar_equal(&a->u.arr.v[i], &b->u.arr.v[i]))
            return false;
    return true;
}

/* --- text form ------------------------------------------------------------ */

/* Appends one UTF-16 code unit as UTF-8 (a lone surrogate becomes U+FFFD). */
static int add_utf8(struct wmgw_buf *out, uint32_t cp)
{
    char b[4];
    size_t n = wmgw_utf8_put(b, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
    return wmgw_buf_add(out, b, n);
}

static int real_to_text(const struct wmgw_cim_value *v, struct wmgw_buf *out)
{
    double r = v->u.r;
    if (isnan(r))
        return wmgw_buf_addstr(out, "NaN");
    if (isinf(r))
        return wmgw_buf_addstr(out, r > 0 ? "INF" : "-INF");
    /* Shortest text that reads back to the same value, locale-independent. */
    char tmp[WMGW_REAL_TEXT_MAX];
    size_t n = wmgw_real_format(tmp, r, WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_REAL32);
    return n ? wmgw_buf_add(out, tmp, n) : WMGW_EINVAL;
}

int wmgw_cim_value_to_text(const struct wmgw_cim_value *v, struct wmgw_buf *out)
{
    if (v->null || WMGW_CIM_IS_ARRAY(v->type))
        return WMGW_EINVAL;
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        return wmgw_buf_printf(out, "%lld", (long long)v->u.s);
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        return wmgw_buf_printf(out, "%llu", (unsigned long long)v->u.u);
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        return real_to_text(v, out);
    case WMGW_CIM_BOOLEAN:
        return wmgw_buf_addstr(out, v->u.b ? "true" : "false");
    case WMGW_CIM_CHAR16:
        return add_utf8(out, v->u.c16);
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME:
        return wmgw_buf_addstr(out, v->u.str);
    default:
        return WMGW_EINVAL;
    }
}

static int parse_integer(struct wmgw_cim_value *v, uint16_t type, const char *text, size_t len)
{
    char tmp[32];
    /* Allow surrounding whitespace, as XML content often carries it. */
    while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r'))
        text++, len--;
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len == 0 || len >= sizeof(tmp))
        return WMGW_EINVAL;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    int64_t min;
    uint64_t max;
    wmgw_cim_type_range(type, &min, &max);
    char *end;
    errno = 0;
    if (wmgw_cim_type_is_signed(type)) {
        long long x = strtoll(tmp, &end, 10);
        if (errno != 0 || *end != '\0' || end == tmp || x < min || (x > 0 && (uint64_t)x > max))
            return WMGW_EINVAL;
        v->u.s = x;
    } else {
        if (tmp[0] == '-')
            return WMGW_EINVAL;
        unsigned long long x = strtoull(tmp, &end, 10);
        if (errno != 0 || *end != '\0' || end == tmp || x > max)
            return WMGW_EINVAL;
        v->u.u = x;
    }
    return 0;
}

static int parse_real(struct wmgw_cim_value *v, uint16_t type, const char *text, size_t len)
{
    /* XML Schema spells the specials INF, -INF and NaN; JSON-ish clients
     * say Infinity. */
    if ((len == 3 && memcmp(text, "INF", 3) == 0) || (len == 8 && strncasecmp(text, "Infinity", 8) == 0)) {
        v->u.r = INFINITY;
        return 0;
    }
    if ((len == 4 && memcmp(text, "-INF", 4) == 0) || (len == 9 && strncasecmp(text, "-Infinity", 9) == 0)) {
        v->u.r = -INFINITY;
        return 0;
    }
    if (len == 3 && strncasecmp(text, "NaN", 3) == 0) {
        v->u.r = NAN;
        return 0;
    }
    double r;
    if (wmgw_real_parse(text, len, &r) != 0 || !isfinite(r))
        return WMGW_EINVAL;
    if (WMGW_CIM_BASETYPE(type) == WMGW_CIM_REAL32) {
        /* Round to the nearest float; what rounds to infinity is out of range. */
        float f = (float)r;
        if (isinf(f))
            return WMGW_EINVAL;
        r = (double)f;
    }
    v->u.r = r;
    return 0;
}

int wmgw_cim_value_from_text(struct wmgw_cim_value *v, uint16_t type, const char *text, size_t len)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    int rc = 0;
    wmgw_cim_value_init_null(v, base);
    switch (base) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        rc = parse_integer(v, base, text, len);
        break;
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64:
        rc = parse_real(v, base, text, len);
        break;
    case WMGW_CIM_BOOLEAN:
        if ((len == 4 && strncasecmp(text, "true", 4) == 0) || (len == 1 && text[0] == '1'))
            v->u.b = true;
        else if ((len == 5 && strncasecmp(text, "false", 5) == 0) || (len == 1 && text[0] == '0'))
            v->u.b = false;
        else
            rc = WMGW_EINVAL;
        break;
    case WMGW_CIM_CHAR16: {
        uint32_t cp = 0;
        size_t n = wmgw_utf8_next(text, len, &cp);
        if (n == 0 || n != len || cp == WMGW_UTF8_BAD || cp > 0xFFFF)
            rc = WMGW_EINVAL;
        else
            v->u.c16 = (uint16_t)cp;
        break;
    }
    case WMGW_CIM_STRING:
        if ((v->u.str = strndup(text, len)) == NULL)
            rc = WMGW_ENOMEM;
        break;
    case WMGW_CIM_DATETIME: {
        char dmtf[WMGW_CIM_DMTF_LEN + 1];
        rc = wmgw_cim_datetime_parse(text, len, dmtf, NULL);
        if (rc == 0 && (v->u.str = strdup(dmtf)) == NULL)
            rc = WMGW_ENOMEM;
        break;
    }
    default:
        rc = WMGW_EINVAL;
    }
    if (rc == 0)
        v->null = false;
    return rc;
}

/* One scalar through its text form; references and objects only as they are. */
static int convert_scalar(struct wmgw_cim_value *dst, uint16_t base, const struct wmgw_cim_value *src)
{
    uint16_t have = WMGW_CIM_BASETYPE(src->type);
    if (have == base)
        return copy_scalar(dst, src);
    if (have == WMGW_CIM_REFERENCE || have == WMGW_CIM_OBJECT || base == WMGW_CIM_REFERENCE ||
        base == WMGW_CIM_OBJECT)
        return WMGW_EINVAL;
    struct wmgw_buf text;
    wmgw_buf_init(&text, 4096);
    int rc = wmgw_cim_value_to_text(src, &text);
    if (rc == 0)
        rc = wmgw_cim_value_from_text(dst, base, text.data ? text.data : "", text.len);
    wmgw_buf_dispose(&text);
    return rc;
}

int wmgw_cim_value_convert(struct wmgw_cim_value *dst, uint16_t type, const struct wmgw_cim_value *src)
{
    wmgw_cim_value_init_null(dst, type);
    if (src->null)
        return 0;
    if (src->type == type)
        return wmgw_cim_value_copy(dst, src);
    if (WMGW_CIM_IS_ARRAY(src->type) != WMGW_CIM_IS_ARRAY(type))
        return WMGW_EINVAL;
    uint16_t base = WMGW_CIM_BASETYPE(type);
    if (!WMGW_CIM_IS_ARRAY(type)) {
        int rc = convert_scalar(dst, base, src);
        if (rc != 0)
            wmgw_cim_value_init_null(dst, type);
        return rc;
    }
    struct wmgw_cim_value *elems = calloc(src->u.arr.n ? src->u.arr.n : 1, sizeof(*elems));
    if (elems == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < src->u.arr.n; i++) {
        int rc = src->u.arr.v[i].null ? WMGW_EINVAL : convert_scalar(&elems[i], base, &src->u.arr.v[i]);
        if (rc != 0) {
            for (size_t j = 0; j < i; j++)
                dispose_scalar(&elems[j]);
            free(elems);
            return rc;
        }
        elems[i].type = base;
    }
    dst->null = false;
    dst->u.arr.n = src->u.arr.n;
    dst->u.arr.v = elems;
    return 0;
}

/* --- property lists ----------------------------------------------------- */

void wmgw_cim_proplist_dispose(struct wmgw_cim_proplist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        wmgw_cim_value_dispose(&l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

int wmgw_cim_proplist_copy(struct wmgw_cim_proplist *dst, const struct wmgw_cim_proplist *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src->n == 0)
        return 0;
    dst->items = calloc(src->n, sizeof(*dst->items));
    if (dst->items == NULL)
        return WMGW_ENOMEM;
    dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) {
        struct wmgw_cim_prop *d = &dst->items[i];
        d->name = strdup(src->items[i].name);
        if (d->name == NULL || wmgw_cim_value_copy(&d->value, &src->items[i].value) != 0) {
            free(d->name);
            wmgw_cim_proplist_dispose(dst);
            return WMGW_ENOMEM;
        }
        dst->n++;
    }
    return 0;
}

struct wmgw_cim_prop *wmgw_cim_proplist_find(const struct wmgw_cim_proplist *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

struct wmgw_cim_prop *wmgw_cim_proplist_find_hint(const struct wmgw_cim_proplist *l, const char *name, size_t *hint)
{
    if (*hint < l->n && strcasecmp(l->items[*hint].name, name) == 0)
        return &l->items[(*hint)++];
    struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, name);
    if (p != NULL)
        *hint = (size_t)(p - l->items) + 1;
    return p;
}

struct wmgw_cim_prop *wmgw_cim_proplist_add(struct wmgw_cim_proplist *l, const char *name, uint16_t type)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct wmgw_cim_prop *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        l->items = p;
        l->cap = cap;
    }
    struct wmgw_cim_prop *p = &l->items[l->n];
    if ((p->name = strdup(name)) == NULL)
        return NULL;
    wmgw_cim_value_init_null(&p->value, type);
    l->n++;
    return p;
}

int wmgw_cim_proplist_put(struct wmgw_cim_proplist *l, const char *name, struct wmgw_cim_value *value)
{
    struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, name);
    if (p == NULL && (p = wmgw_cim_proplist_add(l, name, value->type)) == NULL)
        return WMGW_ENOMEM;
    wmgw_cim_value_dispose(&p->value);
    p->value = *value;
    wmgw_cim_value_init_null(value, value->type);
    return 0;
}

bool wmgw_cim_proplist_remove(struct wmgw_cim_proplist *l, const char *name)
{
    struct wmgw_cim_prop *p = wmgw_cim_proplist_find(l, name);
    if (p == NULL)
        return false;
    free(p->name);
    wmgw_cim_value_dispose(&p->value);
    size_t i = (size_t)(p - l->items);
    memmove(p, p + 1, (l->n - i - 1) * sizeof(*p));
    l->n--;
    return true;
}
