/*
 * wql_eval.c: a WQL condition applied to an instance (wql.h).
 *
 * Used where the backend cannot filter (the 2003 dialect, the simulator),
 * so it does what WMI does: strings and LIKE compare case-insensitively
 * (ASCII folding); a literal is converted to the property's type (a string
 * compared with a number is read as a number); integers compare exactly
 * across signed, unsigned and real; datetimes compare by instant; every
 * comparison with a NULL or missing property, or with a value that cannot
 * be compared (an array, an object, 'abc' for a number), is false.
 * Bounds: left children and NOTs are walked in a loop, right children by
 * recursion to WMGW__WQL_WALK_DEPTH (a deeper hand-built tree gives 0);
 * LIKE is O(text x pattern) without recursion; ISA climbs 64 classes.
 */
#include "cim/datetime.h"
#include "cim/path.h"
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLASS_DEPTH 64

/* --- LIKE ----------------------------------------------------------------- */

/* Does c (one character) match the set at p ("[...]")?  *len gets the
 * set's length; 0 when the '[' is not closed (then it is a literal). */
static bool match_set(const char *p, size_t n, uint32_t c, size_t *len)
{
    size_t i = 1;
    bool neg = false, hit = false;
    uint32_t fc = wmgw__wql_fold(c);
    if (i + 1 < n && p[i] == '^' && p[i + 1] == ']') { /* "[^]" is a caret */
        *len = 3;
        return c == '^';
    }
    if (i < n && p[i] == '^')
        neg = true, i++;
    while (i < n && p[i] != ']') {
        uint32_t lo, hi;
        i += wmgw__wql_utf8_next(p + i, n - i, &lo);
        hi = lo;
        /* "a-z" or "a=z" is a range unless the '-' is last: "[a-]". */
        if (i + 1 < n && (p[i] == '-' || p[i] == '=') && p[i + 1] != ']')
            i += 1 + wmgw__wql_utf8_next(p + i + 1, n - i - 1, &hi);
        if ((c >= lo && c <= hi) || (fc >= wmgw__wql_fold(lo) && fc <= wmgw__wql_fold(hi)))
            hit = true;
    }
    if (i >= n) {
        *len = 0;
        return false;
    }
    *len = i + 1;
    return hit != neg;
}

/* Matches the single-character element at pattern[*pi] against the
 * character at text[*ti]; advances both on success. */
static bool match_one(const char *pat, size_t pn, size_t *pi, const char *text, size_t tn, size_t *ti)
{
    uint32_t c, pc;
    size_t tl = wmgw__wql_utf8_next(text + *ti, tn - *ti, &c), pl;
    if (pat[*pi] == '_') {
        pl = 1;
    } else if (pat[*pi] == '[') {
        bool hit = match_set(pat + *pi, pn - *pi, c, &pl);
        if (pl == 0) /* unclosed: a literal '[' */
            pl = 1, hit = c == '[';
        if (!hit)
            return false;
    } else {
        pl = wmgw__wql_utf8_next(pat + *pi, pn - *pi, &pc);
        if (wmgw__wql_fold(pc) != wmgw__wql_fold(c))
            return false;
    }
    *pi += pl;
    *ti += tl;
    return true;
}

/* Greedy matching with one backtrack point: the last '%'.  Every other
 * element matches exactly one character, so retrying from the last '%'
 * with one more character swallowed is enough, and the work is bounded
 * by text length x pattern length. */
bool wmgw_wql_like(const char *text, const char *pattern)
{
    if (text == NULL || pattern == NULL)
        return false;
    size_t tn = strlen(text), pn = strlen(pattern);
    size_t ti = 0, pi = 0, star_p = SIZE_MAX, star_t = 0;
    while (ti < tn) {
        if (pi < pn && pattern[pi] == '%') {
            while (pi < pn && pattern[pi] == '%')
                pi++;
            star_p = pi;
            star_t = ti;
        } else if (pi < pn && match_one(pattern, pn, &pi, text, tn, &ti)) {
            continue;
        } else if (star_p != SIZE_MAX) {
            uint32_t c;
            star_t += wmgw__wql_utf8_next(text + star_t, tn - star_t, &c);
            ti = star_t;
            pi = star_p;
        } else {
            return false;
        }
    }
    while (pi < pn && pattern[pi] == '%')
        pi++;
    return pi == pn;
}

/* --- ISA ------------------------------------------------------------------ */

bool wmgw_wql_isa(const char *class_name, const char *base, wmgw_wql_class_fn lookup, void *ctx)
{
    const char *cur = class_name;
    if (class_name == NULL || base == NULL)
        return false;
    for (int i = 0; i < MAX_CLASS_DEPTH && cur != NULL; i++) {
        if (wmgw__wql_strcasecmp(cur, base) == 0)
            return true;
        const struct wmgw_cim_class *cls = lookup ? lookup(ctx, cur) : NULL;
        cur = cls ? cls->superclass : NULL;
    }
    return false;
}

/* --- operands ------------------------------------------------------------- */

/* A property value, possibly made up on the spot (__CLASS) and then not
 * owned: never disposed. */
struct operand {
    const struct wmgw_cim_value *v; /* NULL: missing, same as NULL */
    struct wmgw_cim_value tmp;
    const struct wmgw_cim_instance *self; /* __this */
};

static const struct wmgw_cim_value *string_operand(struct operand *o, const char *s)
{
    wmgw_cim_value_init_null(&o->tmp, WMGW_CIM_STRING);
    o->tmp.null = s == NULL;
    o->tmp.u.str = (char *)s;
    return &o->tmp;
}

/* One name (no dots) on one instance; system properties first. */
static const struct wmgw_cim_value *lookup_name(struct operand *o, const struct wmgw_cim_instance *inst,
                                                const char *name)
{
    if (wmgw__wql_strcasecmp(name, "__this") == 0) {
        o->self = inst;
        return NULL;
    }
    if (wmgw__wql_strcasecmp(name, "__CLASS") == 0)
        return string_operand(o, inst->class_name);
    const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, name);
    if (v == NULL && wmgw__wql_strcasecmp(name, "__NAMESPACE") == 0 && inst->namespace_ != NULL)
        return string_operand(o, inst->namespace_);
    return v;
}

/* Resolves "A.B.C" through embedded objects. */
static void resolve(struct operand *o, const struct wmgw_cim_instance *inst, const char *name)
{
    char part[256];
    memset(o, 0, sizeof(*o));
    for (;;) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (n >= sizeof(part))
            return;
        memcpy(part, name, n);
        part[n] = '\0';
        o->self = NULL;
        o->v = lookup_name(o, inst, part);
        if (dot == NULL)
            return;
        const struct wmgw_cim_value *v = o->v;
        o->v = NULL;
        if (v == NULL || v->null || v->type != WMGW_CIM_OBJECT || v->u.obj == NULL)
            return;
        inst = v->u.obj;
        name = dot + 1;
    }
}

/* --- comparison ----------------------------------------------------------- */

enum cmp {
    CMP_LT = -1,
    CMP_EQ = 0,
    CMP_GT = 1,
    CMP_NE = 2,   /* different, not ordered (references) */
    CMP_NONE = 3, /* not comparable: every comparison is false */
};

/* A number whatever its kind: exactly one of the three is used. */
struct num {
    enum { N_INT, N_UINT, N_REAL } kind;
    int64_t i;
    uint64_t u;
    double r;
};

static enum cmp cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? CMP_LT : a > b ? CMP_GT : CMP_EQ;
}

/* An integer against a double, exactly: no 64-bit value goes through a
 * double.  neg/mag is the integer as sign and magnitude. */
static enum cmp cmp_int_real(bool neg, uint64_t mag, double d)
{
    if (isnan(d))
        return CMP_NONE;
    if (d >= 18446744073709551616.0)
        return CMP_LT;
    if (d <= -18446744073709551616.0)
        return CMP_GT;
    bool dneg = d < 0; /* -0.0 is not negative */
    double t = trunc(fabs(d)), frac = fabs(d) - t;
    uint64_t dmag = (uint64_t)t; /* exact: t < 2^64 */
    enum cmp c;
    if (neg != dneg) /* one side is strictly negative, the other not */
        return neg ? CMP_LT : CMP_GT;
    /* Same sign: compare magnitudes, then flip for negatives. */
    c = cmp_u64(mag, dmag);
    if (c == CMP_EQ && frac != 0)
        c = CMP_LT;
    return neg ? (enum cmp)-c : c;
}

static void int_parts(const struct num *n, bool *neg, uint64_t *mag)
{
    if (n->kind == N_UINT) {
        *neg = false;
        *mag = n->u;
    } else {
        *neg = n->i < 0;
        *mag = n->i < 0 ? (uint64_t)0 - (uint64_t)n->i : (uint64_t)n->i;
    }
}

static enum cmp cmp_num(const struct num *a, const struct num *b)
{
    bool an, bn;
    uint64_t am, bm;
    if (a->kind == N_REAL && b->kind == N_REAL) {
        if (isnan(a->r) || isnan(b->r))
            return CMP_NONE;
        return a->r < b->r ? CMP_LT : a->r > b->r ? CMP_GT : CMP_EQ;
    }
    if (b->kind == N_REAL) {
        int_parts(a, &an, &am);
        return cmp_int_real(an, am, b->r);
    }
    if (a->kind == N_REAL) {
        int_parts(b, &bn, &bm);
        enum cmp c = cmp_int_real(bn, bm, a->r);
        return c == CMP_NONE ? c : (enum cmp)-c;
    }
    int_parts(a, &an, &am);
    int_parts(b, &bn, &bm);
    if (an != bn)
        return an ? CMP_LT : CMP_GT;
    enum cmp c = cmp_u64(am, bm);
    return an ? (enum cmp)-c : c;
}

/* A literal as a number; a string is read as WQL reads a number. */
static bool literal_num(const struct wmgw_wql_literal *lit, struct num *n)
{
    struct wmgw_wql_literal tmp;
    switch (lit->kind) {
    case WMGW_WQL_LIT_INT: n->kind = N_INT; n->i = lit->u.i; return true;
    case WMGW_WQL_LIT_UINT: n->kind = N_UINT; n->u = lit->u.u; return true;
    case WMGW_WQL_LIT_REAL: n->kind = N_REAL; n->r = lit->u.r; return true;
    case WMGW_WQL_LIT_BOOL: n->kind = N_INT; n->i = lit->u.b; return true;
    case WMGW_WQL_LIT_STRING: {
        const char *s = lit->u.str;
        size_t len = strlen(s), used = 0;
        while (len > 0 && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (wmgw__wql_scan_number(s, len, &used, &tmp) != WMGW__WQL_NUM_OK || used != len)
            return false;
        return literal_num(&tmp, n);
    }
    default:
        return false;
    }
}

static enum cmp cmp_string(const char *s, const struct wmgw_wql_literal *lit)
{
    char tmp[64];
    const char *t = lit->u.str;
    if (lit->kind != WMGW_WQL_LIT_STRING) { /* Name = 5: compare texts */
        wmgw__wql_literal_text(lit, tmp, sizeof(tmp));
        t = tmp;
    }
    int c = wmgw__wql_strcasecmp(s, t);
    return c < 0 ? CMP_LT : c > 0 ? CMP_GT : CMP_EQ;
}

static enum cmp cmp_boolean(bool b, const struct wmgw_wql_literal *lit)
{
    struct num n;
    bool l;
    if (lit->kind == WMGW_WQL_LIT_BOOL)
        l = lit->u.b;
    else if (lit->kind == WMGW_WQL_LIT_STRING && wmgw__wql_strcasecmp(lit->u.str, "true") == 0)
        l = true;
    else if (lit->kind == WMGW_WQL_LIT_STRING && wmgw__wql_strcasecmp(lit->u.str, "false") == 0)
        l = false;
    else if (literal_num(lit, &n) && n.kind == N_INT && (n.i == 0 || n.i == 1))
        l = n.i == 1;
    else
        return CMP_NONE;
    return b == l ? CMP_EQ : b ? CMP_GT : CMP_LT;
}

static enum cmp cmp_char16(uint16_t c, const struct wmgw_wql_literal *lit)
{
    uint32_t lc;
    if (lit->kind == WMGW_WQL_LIT_STRING) {
        size_t n = strlen(lit->u.str);
        if (n == 0 || wmgw__wql_utf8_next(lit->u.str, n, &lc) != n)
            return CMP_NONE;
        return cmp_u64(wmgw__wql_fold(c), wmgw__wql_fold(lc));
    }
    struct num a = {.kind = N_INT, .i = c}, b;
    return literal_num(lit, &b) ? cmp_num(&a, &b) : CMP_NONE;
}

/* --- datetimes ------------------------------------------------------------ */

static int64_t digits(const char *s, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t yy = y + 399; /* whole 400-year cycles keep the leap rule and the sign */
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12)
        return 0;
    return yy * 365 + yy / 4 - yy / 100 + yy / 400 + before[m - 1] + (m > 2 && leap) + d - 1;
}

/* Microseconds since an arbitrary origin, in UTC; intervals as their
 * length.  False for wildcards and malformed values. */
static bool dmtf_instant(const char *d, int64_t *us, bool *interval)
{
    if (d == NULL || strlen(d) != WMGW_CIM_DMTF_LEN || !wmgw_cim_dmtf_valid(d, WMGW_CIM_DMTF_LEN) ||
        wmgw_cim_dmtf_has_wildcards(d))
        return false;
    int64_t hms = digits(d + 8, 2) * 3600 + digits(d + 10, 2) * 60 + digits(d + 12, 2);
    int64_t micro = digits(d + 15, 6);
    *interval = wmgw_cim_dmtf_is_interval(d);
    if (*interval) {
        *us = (digits(d, 8) * 86400 + hms) * 1000000 + micro;
        return true;
    }
    int64_t offset = digits(d + 22, 3) * 60 * (d[21] == '-' ? -1 : 1);
    int64_t days = days_from_civil(digits(d, 4), digits(d + 4, 2), digits(d + 6, 2));
    *us = (days * 86400 + hms - offset) * 1000000 + micro;
    return true;
}

static enum cmp cmp_datetime(const char *v, const struct wmgw_wql_literal *lit)
{
    char dmtf[WMGW_CIM_DMTF_LEN + 1];
    int64_t a, b;
    bool ai, bi;
    if (lit->kind != WMGW_WQL_LIT_STRING ||
        wmgw_cim_datetime_parse(lit->u.str, strlen(lit->u.str), dmtf, NULL) != 0)
        return CMP_NONE;
    if (!dmtf_instant(v, &a, &ai) || !dmtf_instant(dmtf, &b, &bi) || ai != bi)
        return CMP_NONE;
    return a < b ? CMP_LT : a > b ? CMP_GT : CMP_EQ;
}

static enum cmp cmp_reference(const struct wmgw_cim_ref *r, const struct wmgw_wql_literal *lit)
{
    struct wmgw_cim_ref *l = NULL;
    if (lit->kind != WMGW_WQL_LIT_STRING || r == NULL ||
        wmgw_cim_path_parse_wmi(lit->u.str, strlen(lit->u.str), &l, NULL) != 0)
        return CMP_NONE;
    bool eq = wmgw_cim_ref_equal(r, l);
    wmgw_cim_ref_free(l);
    return eq ? CMP_EQ : CMP_NE;
}

static enum cmp compare(const struct wmgw_cim_value *v, const struct wmgw_wql_literal *lit)
{
    struct num a, b;
    uint16_t t = v->type;
    if (v->null || WMGW_CIM_IS_ARRAY(t))
        return CMP_NONE;
    if (wmgw_cim_type_is_integer(t) || t == WMGW_CIM_REAL32 || t == WMGW_CIM_REAL64) {
        if (t == WMGW_CIM_REAL32 || t == WMGW_CIM_REAL64)
            a.kind = N_REAL, a.r = v->u.r;
        else if (wmgw_cim_type_is_signed(t))
            a.kind = N_INT, a.i = v->u.s;
        else
            a.kind = N_UINT, a.u = v->u.u;
        return literal_num(lit, &b) ? cmp_num(&a, &b) : CMP_NONE;
    }
    switch (t) {
    case WMGW_CIM_STRING: return v->u.str ? cmp_string(v->u.str, lit) : CMP_NONE;
    case WMGW_CIM_BOOLEAN: return cmp_boolean(v->u.b, lit);
    case WMGW_CIM_CHAR16: return cmp_char16(v->u.c16, lit);
    case WMGW_CIM_DATETIME: return cmp_datetime(v->u.str, lit);
    case WMGW_CIM_REFERENCE: return cmp_reference(v->u.ref, lit);
    default: return CMP_NONE;
    }
}

static bool apply(enum wmgw_wql_op op, enum cmp c)
{
    switch (op) {
    case WMGW_WQL_EQ: return c == CMP_EQ;
    case WMGW_WQL_NE: return c == CMP_LT || c == CMP_GT || c == CMP_NE;
    case WMGW_WQL_LT: return c == CMP_LT;
    case WMGW_WQL_GT: return c == CMP_GT;
    case WMGW_WQL_LE: return c == CMP_LT || c == CMP_EQ;
    case WMGW_WQL_GE: return c == CMP_GT || c == CMP_EQ;
    default: return false;
    }
}

/* --- leaves --------------------------------------------------------------- */

/* LIKE on text; on other types it is '=' (MS-WMI 2.2.1.1). */
static bool eval_like(const struct wmgw_cim_value *v, const struct wmgw_wql_expr *e)
{
    bool neg = e->op == WMGW_WQL_NOT_LIKE;
    char ch[8];
    const char *text = NULL;
    if (v == NULL || v->null || WMGW_CIM_IS_ARRAY(v->type) || e->literal.kind != WMGW_WQL_LIT_STRING)
        return false;
    if (v->type == WMGW_CIM_STRING || v->type == WMGW_CIM_DATETIME) {
        text = v->u.str;
    } else if (v->type == WMGW_CIM_CHAR16) {
        uint32_t c = v->u.c16;
        size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        if (c >= 0xD800 && c <= 0xDFFF)
            return false;
        ch[0] = (char)(n == 1 ? c : n == 2 ? 0xC0 | (c >> 6) : 0xE0 | (c >> 12));
        if (n == 3)
            ch[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        if (n > 1)
            ch[n - 1] = (char)(0x80 | (c & 0x3F));
        ch[n] = '\0';
        text = ch;
    }
    if (text != NULL)
        return wmgw_wql_like(text, e->literal.u.str) != neg;
    return apply(neg ? WMGW_WQL_NE : WMGW_WQL_EQ, compare(v, &e->literal));
}

static bool eval_isa(const struct operand *o, const struct wmgw_wql_expr *e, wmgw_wql_class_fn lookup, void *ctx)
{
    const char *cls = NULL;
    const struct wmgw_cim_value *v = o->v;
    if (e->literal.kind != WMGW_WQL_LIT_STRING)
        return false;
    if (o->self != NULL)
        cls = o->self->class_name;
    else if (v != NULL && !v->null && v->type == WMGW_CIM_OBJECT && v->u.obj != NULL)
        cls = v->u.obj->class_name;
    else if (v != NULL && !v->null && v->type == WMGW_CIM_REFERENCE && v->u.ref != NULL)
        cls = v->u.ref->class_name;
    return wmgw_wql_isa(cls, e->literal.u.str, lookup, ctx);
}

static bool eval_leaf(const struct wmgw_wql_expr *e, const struct wmgw_cim_instance *inst, wmgw_wql_class_fn lookup,
                      void *ctx)
{
    struct operand o;
    enum wmgw_wql_op op = e->op;
    bool no_value = e->literal.kind == WMGW_WQL_LIT_NULL;
    if (e->property == NULL || (e->literal.kind == WMGW_WQL_LIT_STRING && e->literal.u.str == NULL))
        return false; /* not a tree the parser builds */
    if (no_value && (op == WMGW_WQL_EQ || op == WMGW_WQL_NE))
        op = op == WMGW_WQL_EQ ? WMGW_WQL_IS_NULL : WMGW_WQL_IS_NOT_NULL;
    else if (no_value && op != WMGW_WQL_IS_NULL && op != WMGW_WQL_IS_NOT_NULL)
        return false;
    resolve(&o, inst, e->property);
    bool null = o.self == NULL && (o.v == NULL || o.v->null);
    switch (op) {
    case WMGW_WQL_IS_NULL: return null;
    case WMGW_WQL_IS_NOT_NULL: return !null;
    case WMGW_WQL_ISA: return eval_isa(&o, e, lookup, ctx);
    case WMGW_WQL_LIKE:
    case WMGW_WQL_NOT_LIKE: return eval_like(o.v, e);
    default: return o.v != NULL && apply(op, compare(o.v, &e->literal));
    }
}

/* AND/OR: the right operand by recursion, then on down the left one in
 * this loop (`a AND b` is b's value when a is true, etc.); NOTs flip. */
static bool eval_walk(const struct wmgw_wql_expr *e, const struct wmgw_cim_instance *inst, wmgw_wql_class_fn lookup,
                      void *ctx, int depth, bool *ok)
{
    bool neg = false;
    if (depth > WMGW__WQL_WALK_DEPTH) {
        *ok = false;
        return false;
    }
    for (;;) {
        if (e == NULL) {
            *ok = false;
            return false;
        }
        if (e->op == WMGW_WQL_NOT) {
            neg = !neg;
            e = e->left;
            continue;
        }
        if (e->op != WMGW_WQL_AND && e->op != WMGW_WQL_OR)
            return eval_leaf(e, inst, lookup, ctx) != neg;
        bool r = eval_walk(e->right, inst, lookup, ctx, depth + 1, ok);
        if (!*ok)
            return false;
        if (e->op == WMGW_WQL_AND && !r)
            return neg;
        if (e->op == WMGW_WQL_OR && r)
            return !neg;
        e = e->left;
    }
}

int wmgw_wql_eval(const struct wmgw_wql_expr *e, const struct wmgw_cim_instance *inst, wmgw_wql_class_fn lookup,
                  void *ctx)
{
    bool ok = true;
    if (e == NULL) /* no condition: everything matches */
        return 1;
    if (inst == NULL)
        return 0;
    bool r = eval_walk(e, inst, lookup, ctx, 0, &ok);
    return ok && r ? 1 : 0;
}
