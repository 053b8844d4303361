/*
 * path_wmi.c: WMI object paths (MS-WMI 2.2.2), written and parsed
 * (wmgw_cim_path_format_wmi / _parse_wmi in path.h).
 *
 *   [\\server\namespace:]Class.Key="v",Num=5   or   Class=@
 *
 * Keys are written in the canonical order of path.c, typed by value:
 * integers and reals bare, booleans TRUE/FALSE, everything else quoted
 * with \" and \\ escaped; a reference-valued key is the quoted path of
 * the referenced instance.  On input, "." as the server means the local
 * machine and gives host NULL; '/' may stand for '\'; strings may be in
 * "..." or '...' with \\, \" and \' escapes; unquoted values parse as
 * sint64 (uint64 above INT64_MAX), real64 or boolean; a bare class name
 * (a class path) is not an instance and is refused.
 */
#include "cim/path.h"
#include "cim/path_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/numtext.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool machine_valid(const char *s, size_t len)
{
    if (len == 0 || len > WMGW__PATH_MAX_HOST)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!wmgw__cim_path_is_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* --- WMI object path text ------------------------------------------------------ */

static int add_quoted(struct wmgw_buf *out, const char *s, size_t len)
{
    int rc = wmgw_buf_addc(out, '"');
    size_t run = 0;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        if (s[i] != '"' && s[i] != '\\')
            continue;
        rc = wmgw_buf_add(out, s + run, i - run);
        if (rc == 0)
            rc = wmgw_buf_addc(out, '\\');
        run = i;
    }
    if (rc == 0)
        rc = wmgw_buf_add(out, s + run, len - run);
    return rc == 0 ? wmgw_buf_addc(out, '"') : rc;
}

/* A key value as a WMI literal: numbers bare, booleans TRUE/FALSE, the
 * rest quoted. */
static int wmi_literal(struct wmgw_buf *out, const struct wmgw_cim_value *v)
{
    if (v->null || WMGW_CIM_IS_ARRAY(v->type))
        return WMGW_EINVAL;
    char tmp[WMGW_REAL_TEXT_MAX];
    switch (WMGW_CIM_BASETYPE(v->type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        return wmgw_buf_printf(out, "%lld", (long long)v->u.s);
    case WMGW_CIM_UINT8: case WMGW_CIM_UINT16: case WMGW_CIM_UINT32: case WMGW_CIM_UINT64:
        return wmgw_buf_printf(out, "%llu", (unsigned long long)v->u.u);
    case WMGW_CIM_REAL32: case WMGW_CIM_REAL64: {
        size_t n = wmgw_real_format(tmp, v->u.r, WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_REAL32);
        return n > 0 ? wmgw_buf_add(out, tmp, n) : WMGW_EINVAL;
    }
    case WMGW_CIM_BOOLEAN:
        return wmgw_buf_addstr(out, v->u.b ? "TRUE" : "FALSE");
    case WMGW_CIM_CHAR16:
        return add_quoted(out, tmp, wmgw__cim_path_char16_utf8(v->u.c16, tmp));
    case WMGW_CIM_STRING: case WMGW_CIM_DATETIME:
        return add_quoted(out, v->u.str, strlen(v->u.str));
    case WMGW_CIM_REFERENCE: {
        struct wmgw_buf inner;
        wmgw_buf_init(&inner, WMGW_CIM_PATH_MAX_LEN);
        int rc = wmgw__cim_path_wmi(&inner, v->u.ref, true, false);
        if (rc == 0)
            rc = add_quoted(out, inner.data, inner.len);
        wmgw_buf_dispose(&inner);
        return rc;
    }
    default:
        return WMGW_EINVAL;
    }
}

int wmgw__cim_path_wmi(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, bool with_ns, bool with_host)
{
    if (ref->class_name == NULL || !wmgw_cim_path_name_valid(ref->class_name, strlen(ref->class_name)))
        return WMGW_EINVAL;
    int rc = 0;
    if (with_ns && ref->namespace_ != NULL) {
        if (with_host) {
            const char *h = ref->host != NULL ? ref->host : ".";
            if (!machine_valid(h, strlen(h)))
                return WMGW_EINVAL;
            rc = wmgw_buf_printf(out, "\\\\%s\\", h);
        }
        if (rc == 0)
            rc = wmgw__cim_path_add_namespace(out, ref->namespace_, strlen(ref->namespace_), '\\', false, NULL);
        if (rc == 0)
            rc = wmgw_buf_addc(out, ':');
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, ref->class_name);
    if (rc != 0 || ref->keys.n == 0)
        return rc != 0 ? rc : wmgw_buf_addstr(out, "=@");
    const struct wmgw_cim_prop **keys = wmgw__cim_path_sorted_keys(&ref->keys, &rc);
    for (size_t i = 0; rc == 0 && i < ref->keys.n; i++) {
        rc = wmgw_buf_printf(out, "%c%s=", i == 0 ? '.' : ',', keys[i]->name);
        if (rc == 0)
            rc = wmi_literal(out, &keys[i]->value);
    }
    free(keys);
    return rc;
}

int wmgw_cim_path_format_wmi(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, bool with_namespace)
{
    size_t start = out->len;
    int rc = wmgw__cim_path_wmi(out, ref, with_namespace, true);
    return rc != 0 ? wmgw__cim_path_truncate(out, start, rc) : 0;
}

/* --- WMI object path parsing ------------------------------------------------------ */

struct wmi_in {
    const char *s;
    size_t len, i;
    struct wmgw_err *err;
};

static size_t span_name(const struct wmi_in *in)
{
    size_t n = 0;
    while (in->i + n < in->len && wmgw__cim_path_is_alnum(in->s[in->i + n]))
        n++;
    return n;
}

static int wmi_error(struct wmi_in *in, const char *what)
{
    return wmgw_err_set_at(in->err, WMGW_EINVAL, (long)in->i, "WMI object path: %s at position %zu", what, in->i);
}

/* "\\server\ns:" or "ns:" prefix, if any. */
static int wmi_namespace_path(struct wmi_in *in, struct wmgw_cim_ref *ref)
{
    const char *s = in->s;
    bool sep0 = in->len >= 2 && (s[0] == '\\' || s[0] == '/') && (s[1] == '\\' || s[1] == '/');
    if (sep0) {
        size_t h = 2;
        while (h < in->len && s[h] != '\\' && s[h] != '/')
            h++;
        in->i = 2;
        if (h == in->len || !machine_valid(s + 2, h - 2))
            return wmi_error(in, "bad server name");
        if (h - 2 != 1 || s[2] != '.')
            if ((ref->host = strndup(s + 2, h - 2)) == NULL)
                return WMGW_ENOMEM;
        in->i = h + 1;
    }
    size_t j = in->i;
    while (j < in->len && (wmgw__cim_path_is_alnum(s[j]) || s[j] == '\\' || s[j] == '/'))
        j++;
    if (j == in->len || s[j] != ':') {
        if (sep0)
            return wmi_error(in, "expected namespace and ':' after the server");
        return 0;
    }
    struct wmgw_buf ns;
    wmgw_buf_init(&ns, WMGW__PATH_MAX_NS_LEN);
    int rc = wmgw__cim_path_add_namespace(&ns, s + in->i, j - in->i, '/', true, in->err);
    if (rc == 0)
        ref->namespace_ = wmgw_buf_steal(&ns, NULL);
    wmgw_buf_dispose(&ns);
    in->i = j + 1;
    return rc;
}

static int wmi_quoted(struct wmi_in *in, struct wmgw_cim_value *v)
{
    char q = in->s[in->i++];
    struct wmgw_buf b;
    wmgw_buf_init(&b, WMGW_CIM_PATH_MAX_LEN);
    int rc = 0;
    while (rc == 0) {
        if (in->i >= in->len) {
            rc = wmi_error(in, "unterminated string");
            break;
        }
        char c = in->s[in->i++];
        if (c == q)
            break;
        if (c == '\0') {
            rc = wmi_error(in, "NUL in a string");
        } else if (c == '\\') {
            if (in->i >= in->len || (in->s[in->i] != '\\' && in->s[in->i] != '"' && in->s[in->i] != '\'')) {
                rc = wmi_error(in, "bad escape: only \\\\, \\\" and \\' are allowed");
                break;
            }
            rc = wmgw_buf_addc(&b, in->s[in->i++]);
        } else {
            rc = wmgw_buf_addc(&b, c);
        }
    }
    if (rc == 0 && !wmgw_utf8_valid(b.data ? b.data : "", b.len))
        rc = wmi_error(in, "string is not valid UTF-8");
    if (rc == 0) {
        char *str = wmgw_buf_steal(&b, NULL);
        if (str == NULL)
            rc = WMGW_ENOMEM;
        else
            wmgw_cim_value_set_string(v, str);
    }
    wmgw_buf_dispose(&b);
    return rc;
}

/* An unquoted integer: sint64 when it fits, else uint64. */
static bool wmi_integer(const char *t, size_t n, struct wmgw_cim_value *v)
{
    char tmp[32];
    if (n >= sizeof(tmp))
        return false;
    memcpy(tmp, t, n);
    tmp[n] = '\0';
    if (wmgw_cim_value_from_text(v, WMGW_CIM_SINT64, tmp, n) == 0)
        return true;
    size_t d = t[0] == '+' ? 1 : 0;
    return t[0] != '-' && wmgw_cim_value_from_text(v, WMGW_CIM_UINT64, tmp + d, n - d) == 0;
}

/* Unquoted literal: TRUE/FALSE, an integer or a real. */
static int wmi_bare(struct wmi_in *in, struct wmgw_cim_value *v)
{
    size_t start = in->i, n = 0;
    while (start + n < in->len && in->s[start + n] != ',')
        n++;
    const char *t = in->s + start;
    if ((n == 4 && strncasecmp(t, "TRUE", 4) == 0) || (n == 5 && strncasecmp(t, "FALSE", 5) == 0)) {
        wmgw_cim_value_init_null(v, WMGW_CIM_BOOLEAN);
        v->null = false;
        v->u.b = n == 4;
        in->i += n;
        return 0;
    }
    size_t d = n > 0 && (t[0] == '-' || t[0] == '+') ? 1 : 0, nd = 0;
    while (d + nd < n && t[d + nd] >= '0' && t[d + nd] <= '9')
        nd++;
    if (nd > 0 && d + nd == n) {
        if (!wmi_integer(t, n, v))
            return wmi_error(in, "integer out of range");
        in->i += n;
        return 0;
    }
    double r;
    if (n == 0 || wmgw_real_parse(t, n, &r) != 0)
        return wmi_error(in, "expected a quoted string, a number, TRUE or FALSE");
    wmgw_cim_value_init_null(v, WMGW_CIM_REAL64);
    v->null = false;
    v->u.r = r;
    in->i += n;
    return 0;
}

static int wmi_keys(struct wmi_in *in, struct wmgw_cim_ref *ref)
{
    for (;;) {
        size_t n = span_name(in);
        if (!wmgw_cim_path_name_valid(in->s + in->i, n))
            return wmi_error(in, "expected a key name");
        char name[WMGW__PATH_MAX_NAME + 1];
        memcpy(name, in->s + in->i, n);
        name[n] = '\0';
        if (wmgw_cim_proplist_find(&ref->keys, name) != NULL)
            return wmi_error(in, "key given twice");
        if (ref->keys.n >= WMGW_CIM_PATH_MAX_KEYS)
            return wmgw_err_set_at(in->err, WMGW_ETOOBIG, (long)in->i, "more than %d keys", WMGW_CIM_PATH_MAX_KEYS);
        in->i += n;
        if (in->i >= in->len || in->s[in->i] != '=')
            return wmi_error(in, "expected '=' after the key name");
        in->i++;
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
        bool quoted = in->i < in->len && (in->s[in->i] == '"' || in->s[in->i] == '\'');
        int rc = quoted ? wmi_quoted(in, &v) : wmi_bare(in, &v);
        if (rc == 0 && (rc = wmgw_cim_proplist_put(&ref->keys, name, &v)) != 0)
            wmgw_cim_value_dispose(&v);
        if (rc != 0)
            return rc;
        if (in->i == in->len)
            return 0;
        if (in->s[in->i] != ',')
            return wmi_error(in, "expected ',' or the end after a key value");
        in->i++;
    }
}

/* After the class name: "=@" or ".keys". */
static int wmi_instance_key(struct wmi_in *in, struct wmgw_cim_ref *ref)
{
    if (in->i == in->len)
        return wmi_error(in, "names a class, not an instance (expected '.' and keys, or \"=@\")");
    if (in->len - in->i == 2 && in->s[in->i] == '=' && in->s[in->i + 1] == '@')
        return 0;
    if (in->s[in->i] != '.')
        return wmi_error(in, "expected '.' and keys, or \"=@\", after the class name");
    in->i++;
    return wmi_keys(in, ref);
}

int wmgw_cim_path_parse_wmi(const char *text, size_t len, struct wmgw_cim_ref **out, struct wmgw_err *err)
{
    struct wmi_in in = {text, len, 0, err};
    *out = NULL;
    if (len > WMGW_CIM_PATH_MAX_LEN)
        return wmgw_err_set(err, WMGW_ETOOBIG, "WMI object path longer than %d bytes", WMGW_CIM_PATH_MAX_LEN);
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(NULL, NULL);
    if (ref == NULL)
        return WMGW_ENOMEM;
    int rc = wmi_namespace_path(&in, ref);
    size_t n = rc == 0 ? span_name(&in) : 0;
    if (rc == 0 && !wmgw_cim_path_name_valid(text + in.i, n))
        rc = wmi_error(&in, "expected a class name");
    if (rc == 0 && (ref->class_name = strndup(text + in.i, n)) == NULL)
        rc = WMGW_ENOMEM;
    in.i += n;
    if (rc == 0)
        rc = wmi_instance_key(&in, ref);
    if (rc != 0) {
        wmgw_cim_ref_free(ref);
        return rc;
    }
    *out = ref;
    return 0;
}
