/*
 * wql_check.c: a parsed WQL condition held against a class schema (wql.h).
 *
 * The parser knows the language, not the classes; this file refuses what
 * WMI would refuse (or silently never match) before a query goes out:
 * unknown properties (a near name is suggested), literals that do not fit
 * the property's type or range, operators that do not apply (`Started <
 * TRUE`), wildcard LIKE on a non-string, comparisons on arrays and objects.
 * Messages name property and class: "no property 'Nmae' in class
 * Win32_Service; did you mean 'Name'?".  An explicit stack walks the tree,
 * whatever its shape.  Of TargetInstance.Name only the first name is
 * checked (an embedded object): the class inside is not known here.
 */
#include "cim/datetime.h"
#include "cim/path.h"
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/err.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The property a leaf names, as far as it is known. */
struct target {
    const char *name;
    uint16_t type;     /* WMGW_CIM_NONE: not known (inside an embedded object) */
    bool is_this;      /* __this: the object itself */
};

static const struct {
    const char *name;
    uint16_t type;
} system_props[] = {
    {"__CLASS", WMGW_CIM_STRING},     {"__PATH", WMGW_CIM_STRING},
    {"__RELPATH", WMGW_CIM_STRING},   {"__NAMESPACE", WMGW_CIM_STRING},
    {"__SERVER", WMGW_CIM_STRING},    {"__GENUS", WMGW_CIM_SINT32},
    {"__SUPERCLASS", WMGW_CIM_STRING}, {"__DYNASTY", WMGW_CIM_STRING},
    {"__DERIVATION", WMGW_CIM_STRING | WMGW_CIM_ARRAY}, {"__PROPERTY_COUNT", WMGW_CIM_SINT32},
};

/* --- names ---------------------------------------------------------------- */

/* Case-insensitive edit distance, for "did you mean"; names are short. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), row[65], prev;
    if (n > 64 || m > 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t keep = row[j];
            size_t sub = prev + (wmgw__wql_fold((unsigned char)a[i - 1]) != wmgw__wql_fold((unsigned char)b[j - 1]));
            size_t best = sub < row[j] + 1 ? sub : row[j] + 1;
            row[j] = best < row[j - 1] + 1 ? best : row[j - 1] + 1;
            prev = keep;
        }
    }
    return row[m];
}

static int unknown_property(const struct wmgw_cim_class *cls, const char *name, struct wmgw_err *err)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only names at most 2 edits away */
    for (size_t i = 0; i < cls->nprops; i++) {
        size_t d = distance(name, cls->props[i].name);
        if (d < best_d && d < strlen(name)) {
            best_d = d;
            best = cls->props[i].name;
        }
    }
    if (best != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "no property '%.64s' in class %.64s; did you mean '%s'?", name,
                            cls->name, best);
    return wmgw_err_set(err, WMGW_EINVAL, "no property '%.64s' in class %.64s", name, cls->name);
}

static int find_target(const struct wmgw_cim_class *cls, const char *name, struct target *t, struct wmgw_err *err)
{
    char first[256];
    const char *dot = strchr(name, '.');
    memset(t, 0, sizeof(*t));
    t->name = name;
    if (dot != NULL) {
        size_t n = (size_t)(dot - name);
        if (n >= sizeof(first))
            return unknown_property(cls, name, err);
        memcpy(first, name, n);
        first[n] = '\0';
        const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, first);
        if (d == NULL)
            return unknown_property(cls, first, err);
        if (d->type != WMGW_CIM_OBJECT)
            return wmgw_err_set(err, WMGW_EINVAL, "property %s of class %s is not an embedded object (in '%.64s')",
                                d->name, cls->name, name);
        return 0; /* the rest is inside an object of unknown class */
    }
    if (wmgw__wql_strcasecmp(name, "__this") == 0) {
        t->is_this = true;
        t->type = WMGW_CIM_OBJECT;
        return 0;
    }
    for (size_t i = 0; i < sizeof(system_props) / sizeof(system_props[0]); i++) {
        if (wmgw__wql_strcasecmp(name, system_props[i].name) == 0) {
            t->type = system_props[i].type;
            return 0;
        }
    }
    const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, name);
    if (d == NULL)
        return unknown_property(cls, name, err);
    t->type = d->type;
    return 0;
}

/* --- literals against types ----------------------------------------------- */

static const char *op_text(enum wmgw_wql_op op)
{
    static const char *const text[] = {"AND", "OR", "NOT", "=", "<>", "<", ">", "<=", ">=", "LIKE", "NOT LIKE",
                                       "IS NULL", "IS NOT NULL", "ISA"};
    return (size_t)op < sizeof(text) / sizeof(text[0]) ? text[op] : "?";
}

/* The literal for a message: strings quoted and cut short. */
static void show(const struct wmgw_wql_literal *lit, char *buf, size_t size)
{
    char tmp[64];
    wmgw__wql_literal_text(lit, tmp, sizeof(tmp));
    if (lit->kind != WMGW_WQL_LIT_STRING) {
        snprintf(buf, size, "%s", tmp);
        return;
    }
    size_t n = strlen(tmp);
    if (n > 40) { /* cut on a character boundary: messages stay UTF-8 */
        n = 40;
        while (n > 0 && ((unsigned char)tmp[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(buf, size, "'%.*s%s'", (int)n, tmp, strlen(lit->u.str) > n ? "..." : "");
}

/* A literal as a number, strings read as WQL numbers; false if it is none. */
static bool as_number(const struct wmgw_wql_literal *lit, struct wmgw_wql_literal *num)
{
    size_t used;
    if (lit->kind == WMGW_WQL_LIT_INT || lit->kind == WMGW_WQL_LIT_UINT || lit->kind == WMGW_WQL_LIT_REAL) {
        *num = *lit;
        return true;
    }
    if (lit->kind != WMGW_WQL_LIT_STRING)
        return false;
    size_t n = strlen(lit->u.str);
    return wmgw__wql_scan_number(lit->u.str, n, &used, num) == WMGW__WQL_NUM_OK && used == n;
}

static int check_integer(const struct target *t, const struct wmgw_wql_literal *lit, struct wmgw_err *err)
{
    struct wmgw_wql_literal num;
    char text[64];
    int64_t min;
    uint64_t max;
    show(lit, text, sizeof(text));
    const char *type = wmgw_cim_type_name(t->type);
    if (!as_number(lit, &num))
        return wmgw_err_set(err, WMGW_EINVAL, "value %s is not a number for %s property %s", text, type, t->name);
    if (num.kind == WMGW_WQL_LIT_REAL)
        return wmgw_err_set(err, WMGW_EINVAL, "value %s is not an integer for %s property %s", text, type, t->name);
    wmgw_cim_type_range(t->type, &min, &max);
    bool fits = num.kind == WMGW_WQL_LIT_UINT ? num.u.u <= max
                                              : num.u.i >= min && (num.u.i < 0 || (uint64_t)num.u.i <= max);
    if (!fits)
        return wmgw_err_set(err, WMGW_EINVAL, "value %s out of range for %s property %s", text, type, t->name);
    return 0;
}

static int check_real(const struct target *t, const struct wmgw_wql_literal *lit, struct wmgw_err *err)
{
    struct wmgw_wql_literal num;
    char text[64];
    show(lit, text, sizeof(text));
    const char *type = wmgw_cim_type_name(t->type);
    if (!as_number(lit, &num))
        return wmgw_err_set(err, WMGW_EINVAL, "value %s is not a number for %s property %s", text, type, t->name);
    if (t->type == WMGW_CIM_REAL32 && num.kind == WMGW_WQL_LIT_REAL && (num.u.r > FLT_MAX || num.u.r < -FLT_MAX))
        return wmgw_err_set(err, WMGW_EINVAL, "value %s out of range for %s property %s", text, type, t->name);
    return 0;
}

static int check_boolean(const struct target *t, enum wmgw_wql_op op, const struct wmgw_wql_literal *lit,
                         struct wmgw_err *err)
{
    struct wmgw_wql_literal num;
    char text[64];
    if (op != WMGW_WQL_EQ && op != WMGW_WQL_NE)
        return wmgw_err_set(err, WMGW_EINVAL, "operator %s does not apply to boolean property %s", op_text(op),
                            t->name);
    if (lit->kind == WMGW_WQL_LIT_BOOL)
        return 0;
    if (lit->kind == WMGW_WQL_LIT_STRING &&
        (wmgw__wql_strcasecmp(lit->u.str, "true") == 0 || wmgw__wql_strcasecmp(lit->u.str, "false") == 0))
        return 0;
    if (as_number(lit, &num) && num.kind == WMGW_WQL_LIT_INT && (num.u.i == 0 || num.u.i == 1))
        return 0;
    show(lit, text, sizeof(text));
    return wmgw_err_set(err, WMGW_EINVAL, "value %s is not a boolean for property %s (use TRUE or FALSE)", text,
                        t->name);
}

static int check_char16(const struct target *t, const struct wmgw_wql_literal *lit, struct wmgw_err *err)
{
    struct wmgw_wql_literal num;
    char text[64];
    uint32_t c;
    if (lit->kind == WMGW_WQL_LIT_STRING) {
        size_t n = strlen(lit->u.str);
        if (n > 0 && wmgw__wql_utf8_next(lit->u.str, n, &c) == n && c <= 0xFFFF)
            return 0;
    } else if (as_number(lit, &num) && num.kind == WMGW_WQL_LIT_INT && num.u.i >= 0 && num.u.i <= 0xFFFF) {
        return 0;
    }
    show(lit, text, sizeof(text));
    return wmgw_err_set(err, WMGW_EINVAL, "value %s is not one character for char16 property %s", text, t->name);
}

static int check_datetime(const struct target *t, const struct wmgw_wql_literal *lit, struct wmgw_err *err)
{
    char dmtf[WMGW_CIM_DMTF_LEN + 1], text[64];
    struct wmgw_err derr;
    show(lit, text, sizeof(text));
    if (lit->kind != WMGW_WQL_LIT_STRING)
        return wmgw_err_set(err, WMGW_EINVAL, "datetime property %s needs a quoted datetime, not %s", t->name, text);
    wmgw_err_clear(&derr);
    if (wmgw_cim_datetime_parse(lit->u.str, strlen(lit->u.str), dmtf, &derr) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "value %s is not a datetime for property %s%s%.160s", text, t->name,
                            derr.message[0] ? ": " : "", derr.message);
    return 0;
}

static int check_reference(const struct target *t, enum wmgw_wql_op op, const struct wmgw_wql_literal *lit,
                           struct wmgw_err *err)
{
    struct wmgw_cim_ref *ref = NULL;
    char text[64];
    if (op != WMGW_WQL_EQ && op != WMGW_WQL_NE)
        return wmgw_err_set(err, WMGW_EINVAL, "operator %s does not apply to reference property %s", op_text(op),
                            t->name);
    if (lit->kind == WMGW_WQL_LIT_STRING &&
        wmgw_cim_path_parse_wmi(lit->u.str, strlen(lit->u.str), &ref, NULL) == 0) {
        wmgw_cim_ref_free(ref);
        return 0;
    }
    show(lit, text, sizeof(text));
    return wmgw_err_set(err, WMGW_EINVAL, "value %s is not an object path for reference property %s", text, t->name);
}

/* Does lit fit the property's type for op?  (LIKE without wildcards
 * arrives here as '=') */
static int check_value(const struct target *t, enum wmgw_wql_op op, const struct wmgw_wql_literal *lit,
                       struct wmgw_err *err)
{
    char text[64];
    if (wmgw_cim_type_is_integer(t->type))
        return check_integer(t, lit, err);
    switch (t->type) {
    case WMGW_CIM_REAL32:
    case WMGW_CIM_REAL64:
        return check_real(t, lit, err);
    case WMGW_CIM_BOOLEAN:
        return check_boolean(t, op, lit, err);
    case WMGW_CIM_CHAR16:
        return check_char16(t, lit, err);
    case WMGW_CIM_DATETIME:
        return check_datetime(t, lit, err);
    case WMGW_CIM_REFERENCE:
        return check_reference(t, op, lit, err);
    case WMGW_CIM_OBJECT:
        return wmgw_err_set(err, WMGW_EINVAL, "embedded object property %s can only be tested with IS NULL or ISA",
                            t->name);
    case WMGW_CIM_STRING:
        if (lit->kind == WMGW_WQL_LIT_STRING)
            return 0;
        show(lit, text, sizeof(text));
        return wmgw_err_set(err, WMGW_EINVAL, "string property %s needs a quoted value, not %s", t->name, text);
    default:
        return 0;
    }
}

/* --- leaves --------------------------------------------------------------- */

static bool text_type(uint16_t type)
{
    return type == WMGW_CIM_STRING || type == WMGW_CIM_DATETIME || type == WMGW_CIM_CHAR16;
}

static int check_leaf(const struct wmgw_wql_expr *e, const struct wmgw_cim_class *cls, struct wmgw_err *err)
{
    struct target t;
    if (e->property == NULL || (e->literal.kind == WMGW_WQL_LIT_STRING && e->literal.u.str == NULL))
        return wmgw_err_set(err, WMGW_EINVAL, "malformed condition");
    int rc = find_target(cls, e->property, &t, err);
    if (rc != 0 || e->op == WMGW_WQL_IS_NULL || e->op == WMGW_WQL_IS_NOT_NULL)
        return rc;
    if (e->op == WMGW_WQL_ISA) {
        if (t.type == WMGW_CIM_NONE || t.is_this || t.type == WMGW_CIM_OBJECT || t.type == WMGW_CIM_REFERENCE)
            return 0;
        return wmgw_err_set(err, WMGW_EINVAL, "ISA needs an embedded object, a reference or __this; %s is %s%s",
                            e->property, wmgw_cim_type_name(t.type), WMGW_CIM_IS_ARRAY(t.type) ? "[]" : "");
    }
    if (t.is_this)
        return wmgw_err_set(err, WMGW_EINVAL, "__this can only be used with ISA");
    if (t.type == WMGW_CIM_NONE)
        return 0;
    if (WMGW_CIM_IS_ARRAY(t.type))
        return wmgw_err_set(err, WMGW_EINVAL, "array property %s can only be tested with IS NULL or IS NOT NULL",
                            e->property);
    if (e->literal.kind == WMGW_WQL_LIT_NULL)
        return e->op == WMGW_WQL_EQ || e->op == WMGW_WQL_NE ? 0 : wmgw_err_set(err, WMGW_EINVAL, "malformed condition");
    if (e->op == WMGW_WQL_LIKE || e->op == WMGW_WQL_NOT_LIKE) {
        if (text_type(t.type))
            return 0;
        if (strpbrk(e->literal.u.str, "%_[") != NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "LIKE with wildcards needs a string property; %s is %s",
                                e->property, wmgw_cim_type_name(t.type));
        return check_value(&t, WMGW_WQL_EQ, &e->literal, err);
    }
    return check_value(&t, e->op, &e->literal, err);
}

/* --- walks ---------------------------------------------------------------- */

int wmgw_wql_check(const struct wmgw_wql_expr *e, const struct wmgw_cim_class *cls, struct wmgw_err *err)
{
    const struct wmgw_wql_expr *small[64], **stack = small;
    size_t n = 0, cap = 64;
    int rc = 0;
    if (e == NULL)
        return 0;
    if (cls == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "no class to check the condition against");
    stack[n++] = e;
    while (rc == 0 && n > 0) {
        e = stack[--n];
        if (e == NULL) {
            rc = wmgw_err_set(err, WMGW_EINVAL, "malformed condition");
        } else if (e->op != WMGW_WQL_AND && e->op != WMGW_WQL_OR && e->op != WMGW_WQL_NOT) {
            rc = check_leaf(e, cls, err);
        } else if (n + 2 > cap) { /* grow, then retry this node */
            const struct wmgw_wql_expr **bigger = malloc(2 * cap * sizeof(*bigger));
            if (bigger == NULL) {
                rc = wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
                break;
            }
            memcpy(bigger, stack, n * sizeof(*stack));
            if (stack != small)
                free(stack);
            stack = bigger;
            cap *= 2;
            stack[n++] = e;
        } else {
            /* Right first, so the left operand is checked first: errors
             * come in the order of the text. */
            if (e->op != WMGW_WQL_NOT)
                stack[n++] = e->right;
            stack[n++] = e->left;
        }
    }
    if (stack != small)
        free(stack);
    return rc;
}

int wmgw_wql_check_query(const struct wmgw_wql_query *q, const struct wmgw_cim_class *cls, struct wmgw_err *err)
{
    struct target t;
    if (q == NULL || cls == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "nothing to check");
    if (q->kind != WMGW_WQL_SELECT)
        return 0; /* ASSOCIATORS/REFERENCES name other classes than cls */
    for (size_t i = 0; i < q->nselect && !q->select_all; i++) {
        int rc = find_target(cls, q->select[i], &t, err);
        if (rc != 0)
            return rc;
    }
    return wmgw_wql_check(q->where, cls, err);
}
