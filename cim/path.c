/*
 * path.c: instance names as REST URLs and {keys} segments (path.h); the
 * WMI object path syntax is in path_wmi.c.
 *
 * Every writer puts keys in one canonical order, case-insensitive by name,
 * so a reference decoded from WS-Man selectors and the same reference
 * decoded from a DCOM object path give the same bytes.  Parsers are
 * bounded (WMGW_CIM_PATH_MAX_LEN, _MAX_KEYS) and never read past len.
 */
#include "cim/path.h"
#include "cim/datetime.h"
#include "cim/path_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/numtext.h"
#include "util/url.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decisions where path.h left room:
 * - "@" is written for any reference without keys; with a class, parsing
 *   "@" succeeds only for a class that has no keys (a singleton), and a
 *   keyless class accepts nothing but "@".  Without a class a bare value
 *   is refused (its key name is unknown).
 * - A reference-valued key is written as WMI path text with its namespace
 *   but never a server ("root\cimv2:Win32_Group.Domain=\"D\",Name=\"N\""):
 *   the server is informational and differs between protocols.
 * - format_url needs a namespace; callers that hold a relative reference
 *   supply the namespace it is relative to (cim/json_write.c does).
 * - Names (classes, keys, namespace parts) are ASCII identifiers; values
 *   must be UTF-8 without NUL; a raw '=' inside a value is refused.
 */

/* --- names ---------------------------------------------------------------- */

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool wmgw__cim_path_is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

bool wmgw_cim_path_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > WMGW__PATH_MAX_NAME || !is_alpha(s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!wmgw__cim_path_is_alnum(s[i]))
            return false;
    return true;
}

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* Checks a namespace spelled with '/' or '\' and appends it with `sep`
 * between parts.  Strict (input) refuses empty parts; lenient (output)
 * skips them, as wmgw_cim_namespace_normalize() trims separators. */
int wmgw__cim_path_add_namespace(struct wmgw_buf *out, const char *ns, size_t len, char sep, bool strict,
                                 struct wmgw_err *err)
{
    size_t i = 0, nparts = 0;
    if (len == 0 || len > WMGW__PATH_MAX_NS_LEN)
        return wmgw_err_set(err, WMGW_EINVAL, "namespace must be 1 to %d characters", WMGW__PATH_MAX_NS_LEN);
    if (strict && is_sep(ns[len - 1]))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)len - 1, "namespace ends with a separator");
    while (i < len) {
        size_t start = i;
        while (i < len && !is_sep(ns[i]))
            i++;
        if (i == start && strict)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "namespace has an empty part");
        for (size_t j = start; j < i; j++)
            if (!wmgw__cim_path_is_alnum(ns[j]))
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)j,
                                       "namespace may contain only letters, digits and '_' between separators");
        if (i > start) {
            if (++nparts > WMGW__PATH_MAX_NS_PARTS)
                return wmgw_err_set(err, WMGW_EINVAL, "namespace has more than %d parts", WMGW__PATH_MAX_NS_PARTS);
            int rc = nparts > 1 ? wmgw_buf_addc(out, sep) : 0;
            if (rc == 0)
                rc = wmgw_buf_add(out, ns + start, i - start);
            if (rc != 0)
                return rc;
        }
        i++; /* the separator */
    }
    return nparts > 0 ? 0 : wmgw_err_set(err, WMGW_EINVAL, "empty namespace");
}

int wmgw__cim_path_truncate(struct wmgw_buf *out, size_t start, int rc)
{
    if (out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* --- canonical key order ---------------------------------------------------- */

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

static int cmp_keys(const void *a, const void *b)
{
    const struct wmgw_cim_prop *x = *(const struct wmgw_cim_prop *const *)a;
    const struct wmgw_cim_prop *y = *(const struct wmgw_cim_prop *const *)b;
    int c = ascii_casecmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->name, y->name);
}

/* The keys of l sorted by name, or NULL (ENOMEM or a duplicate name). */
const struct wmgw_cim_prop **wmgw__cim_path_sorted_keys(const struct wmgw_cim_proplist *l, int *rc)
{
    const struct wmgw_cim_prop **v = malloc((l->n ? l->n : 1) * sizeof(*v));
    *rc = WMGW_ENOMEM;
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        v[i] = &l->items[i];
    qsort(v, l->n, sizeof(*v), cmp_keys);
    for (size_t i = 0; i < l->n; i++) {
        if (!wmgw_cim_path_name_valid(v[i]->name, strlen(v[i]->name)) ||
            (i > 0 && ascii_casecmp(v[i - 1]->name, v[i]->name) == 0)) {
            free(v);
            *rc = WMGW_EINVAL;
            return NULL;
        }
    }
    *rc = 0;
    return v;
}

size_t wmgw__cim_path_char16_utf8(uint16_t c, char b[4])
{
    return wmgw_utf8_put(b, c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c);
}

/* --- {keys} segment ------------------------------------------------------------ */

/* The text of a key value inside {keys} (before percent-encoding). */
static int key_text(struct wmgw_buf *out, const struct wmgw_cim_value *v)
{
    if (v->null || WMGW_CIM_IS_ARRAY(v->type))
        return WMGW_EINVAL;
    char tmp[WMGW_REAL_TEXT_MAX];
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_BOOLEAN:
        return wmgw_buf_addstr(out, v->u.b ? "true" : "false");
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64: {
        if (isnan(v->u.r))
            return wmgw_buf_addstr(out, "NaN");
        if (isinf(v->u.r))
            return wmgw_buf_addstr(out, v->u.r > 0 ? "Infinity" : "-Infinity");
        size_t n = wmgw_real_format(tmp, v->u.r, WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_REAL32);
        return n > 0 ? wmgw_buf_add(out, tmp, n) : WMGW_EINVAL;
    }
    case WMGW_CIM_CHAR16:
        return wmgw_buf_add(out, tmp, wmgw__cim_path_char16_utf8(v->u.c16, tmp));
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME:
        return wmgw_buf_addstr(out, v->u.str);
    case WMGW_CIM_REFERENCE:
        return wmgw__cim_path_wmi(out, v->u.ref, true, false);
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        return wmgw_buf_printf(out, "%lld", (long long)v->u.s);
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        return wmgw_buf_printf(out, "%llu", (unsigned long long)v->u.u);
    default:
        return WMGW_EINVAL;
    }
}

int wmgw_cim_path_format_keys(struct wmgw_buf *out, const struct wmgw_cim_ref *ref)
{
    size_t start = out->len;
    if (ref->keys.n == 0)
        return wmgw_buf_addc(out, '@');
    int rc;
    const struct wmgw_cim_prop **keys = wmgw__cim_path_sorted_keys(&ref->keys, &rc);
    struct wmgw_buf text;
    wmgw_buf_init(&text, WMGW_CIM_PATH_MAX_LEN);
    for (size_t i = 0; rc == 0 && i < ref->keys.n; i++) {
        wmgw_buf_reset(&text);
        rc = i > 0 ? wmgw_buf_addc(out, ',') : 0;
        if (rc == 0)
            rc = wmgw_url_encode(out, keys[i]->name, strlen(keys[i]->name));
        if (rc == 0)
            rc = wmgw_buf_addc(out, '=');
        if (rc == 0)
            rc = key_text(&text, &keys[i]->value);
        if (rc == 0)
            rc = wmgw_url_encode(out, text.data, text.len);
    }
    wmgw_buf_dispose(&text);
    free(keys);
    return rc != 0 ? wmgw__cim_path_truncate(out, start, rc) : 0;
}

/* Decodes s[0..len) as a value: UTF-8, no NUL.  Returns a malloc'd string. */
static int decode_value(const char *s, size_t len, long at, char **out, struct wmgw_err *err)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_CIM_PATH_MAX_LEN);
    int rc = wmgw_url_decode(s, len, &b);
    if (rc == WMGW_EINVAL)
        rc = wmgw_err_set_at(err, rc, at, "bad percent-escape (or %%00) in the keys");
    else if (rc == 0 && !wmgw_utf8_valid(b.data, b.len))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, at, "value is not valid UTF-8 once decoded");
    if (rc != 0) {
        wmgw_buf_dispose(&b);
        return rc == WMGW_ETOOBIG ? wmgw_err_set(err, rc, "value too long") : rc;
    }
    *out = wmgw_buf_steal(&b, NULL);
    return 0;
}

static int add_string_key(struct wmgw_cim_proplist *l, const char *name, char *value)
{
    struct wmgw_cim_prop *p = wmgw_cim_proplist_add(l, name, WMGW_CIM_STRING);
    if (p == NULL) {
        free(value);
        return WMGW_ENOMEM;
    }
    wmgw_cim_value_set_string(&p->value, value);
    return 0;
}

/* Splits "N=V,N=V" into string keys, names checked, no duplicates. */
static int split_pairs(const char *seg, size_t len, struct wmgw_cim_proplist *l, struct wmgw_err *err)
{
    size_t i = 0;
    while (i <= len) {
        size_t start = i;
        const char *comma = memchr(seg + i, ',', len - i);
        size_t end = comma != NULL ? (size_t)(comma - seg) : len;
        const char *eq = memchr(seg + start, '=', end - start);
        if (eq == NULL)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "expected Name=Value in the keys");
        size_t eqat = (size_t)(eq - seg);
        if (memchr(seg + eqat + 1, '=', end - eqat - 1) != NULL)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)eqat, "'=' in a key value must be encoded as %%3D");
        char *name = NULL, *value = NULL;
        int rc = decode_value(seg + start, eqat - start, (long)start, &name, err);
        if (rc != 0)
            return rc;
        if (!wmgw_cim_path_name_valid(name, strlen(name)))
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "bad key name \"%.64s\"", name);
        else if (wmgw_cim_proplist_find(l, name) != NULL)
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "key %s is given twice", name);
        else if (l->n >= WMGW_CIM_PATH_MAX_KEYS)
            rc = wmgw_err_set_at(err, WMGW_ETOOBIG, (long)start, "more than %d keys", WMGW_CIM_PATH_MAX_KEYS);
        if (rc == 0)
            rc = decode_value(eq + 1, end - eqat - 1, (long)eqat + 1, &value, err);
        if (rc == 0)
            rc = add_string_key(l, name, value);
        free(name);
        if (rc != 0)
            return rc;
        i = end + 1;
    }
    return 0;
}

static void describe_type(const struct wmgw_cim_propdecl *d, char *buf, size_t size)
{
    int64_t min;
    uint64_t max;
    if (!wmgw_cim_type_is_integer(d->type)) {
        snprintf(buf, size, "%s", wmgw_cim_type_name(d->type));
        return;
    }
    wmgw_cim_type_range(d->type, &min, &max);
    snprintf(buf, size, "%s (%lld..%llu)", wmgw_cim_type_name(d->type), (long long)min, (unsigned long long)max);
}

/* Converts the text of key d into its declared type. */
static int convert_key(const struct wmgw_cim_propdecl *d, const char *text, struct wmgw_cim_value *v,
                       struct wmgw_err *err)
{
    uint16_t base = WMGW_CIM_BASETYPE(d->type);
    size_t len = strlen(text);
    struct wmgw_err inner;
    if (WMGW_CIM_IS_ARRAY(d->type) || base == WMGW_CIM_OBJECT)
        return wmgw_err_set(err, WMGW_EINVAL, "key %s has a type that cannot be a key", d->name);
    if (base == WMGW_CIM_REFERENCE) {
        struct wmgw_cim_ref *r = NULL;
        int rc = wmgw_cim_path_parse_wmi(text, len, &r, &inner);
        if (rc != 0)
            return wmgw_err_set(err, rc, "key %s: %s", d->name, inner.message);
        wmgw_cim_value_init_null(v, WMGW_CIM_REFERENCE);
        v->null = false;
        v->u.ref = r;
        return 0;
    }
    if (base == WMGW_CIM_DATETIME) {
        char dmtf[WMGW_CIM_DMTF_LEN + 1];
        int rc = wmgw_cim_datetime_parse(text, len, dmtf, &inner);
        if (rc != 0)
            return wmgw_err_set(err, rc, "key %s: %s", d->name, inner.message);
        wmgw_cim_value_init_null(v, WMGW_CIM_DATETIME);
        if ((v->u.str = strdup(dmtf)) == NULL)
            return WMGW_ENOMEM;
        v->null = false;
        return 0;
    }
    int rc = wmgw_cim_value_from_text(v, base, text, len);
    if (rc == WMGW_EINVAL) {
        char t[64];
        describe_type(d, t, sizeof(t));
        return wmgw_err_set(err, rc, "key %s: \"%.64s\" is not a valid %s", d->name, text, t);
    }
    return rc;
}

/* Replaces the string keys in raw by typed keys in cls's order. */
static int type_keys(struct wmgw_cim_proplist *raw, const struct wmgw_cim_class *cls, struct wmgw_cim_proplist *typed,
                     struct wmgw_err *err)
{
    for (size_t i = 0; i < raw->n; i++) {
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, raw->items[i].name);
        if (d == NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "class %s has no property %s", cls->name, raw->items[i].name);
        if (!(d->flags & WMGW_CIM_Q_KEY))
            return wmgw_err_set(err, WMGW_EINVAL, "%s is not a key of class %s", d->name, cls->name);
    }
    for (size_t i = 0; i < cls->nprops; i++) {
        const struct wmgw_cim_propdecl *d = &cls->props[i];
        if (!(d->flags & WMGW_CIM_Q_KEY))
            continue;
        const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(raw, d->name);
        if (p == NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "missing key %s of class %s", d->name, cls->name);
        struct wmgw_cim_value v;
        int rc = convert_key(d, p->value.u.str, &v, err);
        if (rc == 0 && (rc = wmgw_cim_proplist_put(typed, d->name, &v)) != 0)
            wmgw_cim_value_dispose(&v);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_keys_raw(const char *seg, size_t len, const struct wmgw_cim_class *cls, struct wmgw_cim_proplist *raw,
                          struct wmgw_err *err)
{
    size_t nkeys = cls != NULL ? wmgw_cim_class_key_count(cls) : 0;
    if (len == 1 && seg[0] == '@') {
        if (nkeys > 0)
            return wmgw_err_set(err, WMGW_EINVAL, "class %s has keys: \"@\" names only singletons", cls->name);
        return 0;
    }
    if (cls != NULL && nkeys == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "class %s is a singleton: its instance is named \"@\"", cls->name);
    if (memchr(seg, '=', len) != NULL)
        return split_pairs(seg, len, raw, err);
    /* A bare value: only for a class with exactly one key. */
    if (cls == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "expected Name=Value pairs in the keys");
    if (nkeys != 1)
        return wmgw_err_set(err, WMGW_EINVAL, "class %s has %zu keys: use Name=Value pairs", cls->name, nkeys);
    const struct wmgw_cim_propdecl *key = NULL;
    for (size_t i = 0; key == NULL; i++)
        if (cls->props[i].flags & WMGW_CIM_Q_KEY)
            key = &cls->props[i];
    char *value;
    int rc = decode_value(seg, len, 0, &value, err);
    return rc != 0 ? rc : add_string_key(raw, key->name, value);
}

int wmgw_cim_path_parse_keys(const char *seg, size_t len, const struct wmgw_cim_class *cls, struct wmgw_cim_ref *ref,
                             struct wmgw_err *err)
{
    if (len == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "empty keys segment");
    if (len > WMGW_CIM_PATH_MAX_LEN)
        return wmgw_err_set(err, WMGW_ETOOBIG, "keys segment longer than %d bytes", WMGW_CIM_PATH_MAX_LEN);
    struct wmgw_cim_proplist raw = {0}, typed = {0};
    int rc = parse_keys_raw(seg, len, cls, &raw, err);
    if (rc == 0 && cls != NULL) {
        rc = type_keys(&raw, cls, &typed, err);
        wmgw_cim_proplist_dispose(&raw);
        raw = typed;
    }
    if (rc != 0) {
        wmgw_cim_proplist_dispose(&raw);
        return rc;
    }
    wmgw_cim_proplist_dispose(&ref->keys);
    ref->keys = raw;
    return 0;
}

/* --- namespace segment --------------------------------------------------------- */

int wmgw_cim_path_format_namespace(struct wmgw_buf *out, const char *ns)
{
    struct wmgw_buf canon;
    wmgw_buf_init(&canon, WMGW__PATH_MAX_NS_LEN);
    int rc = ns != NULL ? wmgw__cim_path_add_namespace(&canon, ns, strlen(ns), '/', false, NULL) : WMGW_EINVAL;
    if (rc == 0)
        rc = wmgw_url_encode(out, canon.data, canon.len);
    wmgw_buf_dispose(&canon);
    return rc;
}

int wmgw_cim_path_parse_namespace(const char *seg, size_t len, char **out, struct wmgw_err *err)
{
    struct wmgw_buf raw, canon;
    if (len > 3 * WMGW__PATH_MAX_NS_LEN)
        return wmgw_err_set(err, WMGW_ETOOBIG, "namespace too long");
    wmgw_buf_init(&raw, WMGW__PATH_MAX_NS_LEN);
    wmgw_buf_init(&canon, WMGW__PATH_MAX_NS_LEN);
    int rc = wmgw_url_decode(seg, len, &raw);
    if (rc != 0)
        rc = wmgw_err_set(err, rc == WMGW_ETOOBIG ? rc : WMGW_EINVAL, "bad percent-encoding in the namespace");
    else
        rc = wmgw__cim_path_add_namespace(&canon, raw.data, raw.len, '/', true, err);
    wmgw_buf_dispose(&raw);
    if (rc == 0)
        *out = wmgw_buf_steal(&canon, NULL);
    wmgw_buf_dispose(&canon);
    return rc;
}

/* --- REST URL -------------------------------------------------------------------- */

int wmgw_cim_path_format_url(struct wmgw_buf *out, const char *host, const struct wmgw_cim_ref *ref)
{
    if (host == NULL || host[0] == '\0' || ref->namespace_ == NULL || ref->class_name == NULL)
        return WMGW_EINVAL;
    size_t start = out->len;
    int rc = wmgw_buf_addstr(out, "/v1/hosts/");
    if (rc == 0)
        rc = wmgw_url_encode(out, host, strlen(host));
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "/namespaces/");
    if (rc == 0)
        rc = wmgw_cim_path_format_namespace(out, ref->namespace_);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "/classes/");
    if (rc == 0 && !wmgw_cim_path_name_valid(ref->class_name, strlen(ref->class_name)))
        rc = WMGW_EINVAL;
    if (rc == 0)
        rc = wmgw_buf_addstr(out, ref->class_name);
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "/instances/");
    if (rc == 0)
        rc = wmgw_cim_path_format_keys(out, ref);
    return rc != 0 ? wmgw__cim_path_truncate(out, start, rc) : 0;
}

/* Splits the URL path into its segments (at most max of them). */
static size_t split_segments(const char *url, size_t len, const char *seg[], size_t seglen[], size_t max)
{
    size_t n = 0, i = 1;
    while (i <= len && n < max + 1) {
        const char *slash = memchr(url + i, '/', len - i);
        size_t end = slash != NULL ? (size_t)(slash - url) : len;
        if (n < max) {
            seg[n] = url + i;
            seglen[n] = end - i;
        }
        n++;
        i = end + 1;
    }
    return n;
}

static int decode_host(const char *s, size_t len, char **out, struct wmgw_err *err)
{
    int rc = decode_value(s, len, 0, out, err);
    if (rc != 0)
        return rc;
    size_t n = strlen(*out);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)(*out)[i] < 0x20 || (*out)[i] == 0x7f)
            n = 0;
    if (n == 0 || n > WMGW__PATH_MAX_HOST) {
        free(*out);
        *out = NULL;
        return wmgw_err_set(err, WMGW_EINVAL, "bad host name in the URL");
    }
    return 0;
}

int wmgw_cim_path_parse_url(const char *url, size_t len, struct wmgw_cim_ref **out, struct wmgw_err *err)
{
    static const char *const fixed[9] = {"v1", "hosts", NULL, "namespaces", NULL, "classes", NULL, "instances", NULL};
    const char *seg[9];
    size_t seglen[9];
    *out = NULL;
    if (len > WMGW_CIM_PATH_MAX_LEN)
        return wmgw_err_set(err, WMGW_ETOOBIG, "URL longer than %d bytes", WMGW_CIM_PATH_MAX_LEN);
    if (memchr(url, '?', len) != NULL || memchr(url, '#', len) != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "an instance URL has no query or fragment");
    if (len == 0 || url[0] != '/' || split_segments(url, len, seg, seglen, 9) != 9)
        return wmgw_err_set(err, WMGW_EINVAL,
                            "expected /v1/hosts/{host}/namespaces/{ns}/classes/{class}/instances/{keys}");
    for (size_t i = 0; i < 9; i++) {
        bool ok = fixed[i] != NULL ? seglen[i] == strlen(fixed[i]) && memcmp(seg[i], fixed[i], seglen[i]) == 0
                                   : seglen[i] > 0;
        if (!ok)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(seg[i] - url),
                                   "expected /v1/hosts/{host}/namespaces/{ns}/classes/{class}/instances/{keys}");
    }
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(NULL, NULL);
    if (ref == NULL)
        return WMGW_ENOMEM;
    int rc = decode_host(seg[2], seglen[2], &ref->host, err);
    if (rc == 0)
        rc = wmgw_cim_path_parse_namespace(seg[4], seglen[4], &ref->namespace_, err);
    if (rc == 0)
        rc = decode_value(seg[6], seglen[6], (long)(seg[6] - url), &ref->class_name, err);
    if (rc == 0 && !wmgw_cim_path_name_valid(ref->class_name, strlen(ref->class_name)))
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)(seg[6] - url), "bad class name in the URL");
    if (rc == 0)
        rc = wmgw_cim_path_parse_keys(seg[8], seglen[8], NULL, ref, err);
    if (rc != 0) {
        wmgw_cim_ref_free(ref);
        return rc;
    }
    *out = ref;
    return 0;
}
