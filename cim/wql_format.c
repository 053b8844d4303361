/*
 * wql_format.c: WQL tree to canonical text (wql.h).
 *
 * This is the only way WQL reaches a backend, so it trusts nothing in the
 * tree: every name is checked to be an identifier (and not a reserved
 * word), every string literal is written in single quotes with '\' and '\''
 * escaped and checked to be text the parser accepts, and a tree the parser
 * could not have produced is refused with WMGW_EINVAL rather than written.
 * Hence a value such as  x' OR 1=1 --  stays one literal.
 *
 * Canonical form: upper-case keywords, single spaces, `<>`, `x IS NULL`
 * for `x = NULL`, NOT's operand in parentheses, and an AND/OR operand in
 * parentheses unless it continues a same-operator chain on the left (so
 * no reader's precedence rules matter).  On failure the buffer is as it was.
 */
#include "cim/path.h"
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/buf.h"
#include "util/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int add_name(struct wmgw_buf *out, const char *name, bool dotted)
{
    if (!wmgw__wql_name_ok(name, dotted))
        return WMGW_EINVAL;
    return wmgw_buf_addstr(out, name);
}

static int add_string(struct wmgw_buf *out, const char *s)
{
    size_t n = strlen(s), run = 0;
    if (wmgw__wql_string_bad(s, n) < n)
        return WMGW_EINVAL;
    int rc = wmgw_buf_addc(out, '\'');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (s[i] != '\\' && s[i] != '\'')
            continue;
        if ((rc = wmgw_buf_add(out, s + run, i - run)) == 0)
            rc = wmgw_buf_addc(out, '\\');
        run = i; /* the quote or backslash itself goes with the next run */
    }
    if (rc == 0)
        rc = wmgw_buf_add(out, s + run, n - run);
    return rc == 0 ? wmgw_buf_addc(out, '\'') : rc;
}

static int add_literal(struct wmgw_buf *out, const struct wmgw_wql_literal *lit)
{
    char tmp[64];
    switch (lit->kind) {
    case WMGW_WQL_LIT_STRING:
        return lit->u.str == NULL ? WMGW_EINVAL : add_string(out, lit->u.str);
    case WMGW_WQL_LIT_INT:
    case WMGW_WQL_LIT_UINT:
    case WMGW_WQL_LIT_BOOL:
        wmgw__wql_literal_text(lit, tmp, sizeof(tmp));
        return wmgw_buf_addstr(out, tmp);
    case WMGW_WQL_LIT_REAL:
        if (!isfinite(lit->u.r)) /* WQL has no spelling for them */
            return WMGW_EINVAL;
        wmgw__wql_real_text(lit->u.r, tmp, sizeof(tmp));
        return wmgw_buf_addstr(out, tmp);
    default:
        return WMGW_EINVAL;
    }
}

static const char *comparison_text(enum wmgw_wql_op op)
{
    switch (op) {
    case WMGW_WQL_EQ: return " = ";
    case WMGW_WQL_NE: return " <> ";
    case WMGW_WQL_LT: return " < ";
    case WMGW_WQL_GT: return " > ";
    case WMGW_WQL_LE: return " <= ";
    case WMGW_WQL_GE: return " >= ";
    default: return NULL;
    }
}

/* The operator and operand of a leaf, after its property name. */
static int add_leaf_rest(struct wmgw_buf *out, const struct wmgw_wql_expr *e)
{
    const struct wmgw_wql_literal *lit = &e->literal;
    bool null = lit->kind == WMGW_WQL_LIT_NULL;
    const char *cmp = comparison_text(e->op);
    int rc;
    if (cmp != NULL && null && (e->op == WMGW_WQL_EQ || e->op == WMGW_WQL_NE))
        return wmgw_buf_addstr(out, e->op == WMGW_WQL_EQ ? " IS NULL" : " IS NOT NULL");
    if (cmp != NULL) {
        if (null) /* x < NULL means nothing */
            return WMGW_EINVAL;
        rc = wmgw_buf_addstr(out, cmp);
        return rc != 0 ? rc : add_literal(out, lit);
    }
    switch (e->op) {
    case WMGW_WQL_IS_NULL:
        return wmgw_buf_addstr(out, " IS NULL");
    case WMGW_WQL_IS_NOT_NULL:
        return wmgw_buf_addstr(out, " IS NOT NULL");
    case WMGW_WQL_LIKE:
    case WMGW_WQL_NOT_LIKE:
        if (lit->kind != WMGW_WQL_LIT_STRING)
            return WMGW_EINVAL;
        rc = wmgw_buf_addstr(out, e->op == WMGW_WQL_LIKE ? " LIKE " : " NOT LIKE ");
        return rc != 0 ? rc : add_literal(out, lit);
    case WMGW_WQL_ISA:
        /* The parser accepts only a class name here. */
        if (lit->kind != WMGW_WQL_LIT_STRING || !wmgw__wql_name_ok(lit->u.str, false))
            return WMGW_EINVAL;
        rc = wmgw_buf_addstr(out, " ISA ");
        return rc != 0 ? rc : add_literal(out, lit);
    default:
        return WMGW_EINVAL;
    }
}

static int add_expr(struct wmgw_buf *out, const struct wmgw_wql_expr *e, int depth);

static bool is_chain(const struct wmgw_wql_expr *e)
{
    return e->op == WMGW_WQL_AND || e->op == WMGW_WQL_OR;
}

static int add_operand(struct wmgw_buf *out, const struct wmgw_wql_expr *e, bool parens, int depth)
{
    int rc = parens ? wmgw_buf_addc(out, '(') : 0;
    if (rc == 0)
        rc = add_expr(out, e, depth);
    if (rc == 0 && parens)
        rc = wmgw_buf_addc(out, ')');
    return rc;
}

/* a OP b OP c ... : the left spine of one operator is written flat, from
 * its bottom up, so a long chain costs no recursion. */
static int add_chain(struct wmgw_buf *out, const struct wmgw_wql_expr *e, int depth)
{
    size_t n = 0;
    const struct wmgw_wql_expr *x;
    for (x = e; x != NULL && x->op == e->op; x = x->left)
        if (x->right == NULL)
            return WMGW_EINVAL;
        else
            n++;
    if (x == NULL || n == 0)
        return WMGW_EINVAL;
    const struct wmgw_wql_expr **spine = malloc(n * sizeof(*spine));
    if (spine == NULL)
        return WMGW_ENOMEM;
    size_t i = n;
    for (x = e; i > 0; x = x->left)
        spine[--i] = x;
    const char *word = e->op == WMGW_WQL_AND ? " AND " : " OR ";
    int rc = add_operand(out, spine[0]->left, is_chain(spine[0]->left), depth + 1);
    for (i = 0; rc == 0 && i < n; i++) {
        if ((rc = wmgw_buf_addstr(out, word)) == 0)
            rc = add_operand(out, spine[i]->right, is_chain(spine[i]->right), depth + 1);
    }
    free(spine);
    return rc;
}

static int add_expr(struct wmgw_buf *out, const struct wmgw_wql_expr *e, int depth)
{
    int rc;
    if (e == NULL || depth > WMGW__WQL_WALK_DEPTH)
        return WMGW_EINVAL;
    if (is_chain(e))
        return add_chain(out, e, depth);
    if (e->op == WMGW_WQL_NOT) {
        if (e->left == NULL)
            return WMGW_EINVAL;
        rc = wmgw_buf_addstr(out, "NOT ");
        return rc != 0 ? rc : add_operand(out, e->left, true, depth + 1);
    }
    if ((rc = add_name(out, e->property, true)) != 0)
        return rc;
    return add_leaf_rest(out, e);
}

/* After a failure, takes back what was appended since mark.  Text longer
 * than the parser reads is a failure too: what format writes, parse reads. */
static int undo_on_error(struct wmgw_buf *out, size_t mark, int rc)
{
    if (rc == 0 && out->len - mark > WMGW__WQL_MAX_LEN)
        rc = WMGW_ETOOBIG;
    if (rc != 0 && out->data != NULL) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

int wmgw_wql_format_condition(struct wmgw_buf *out, const struct wmgw_wql_expr *e)
{
    size_t mark = out->len;
    return undo_on_error(out, mark, add_expr(out, e, 0));
}

static int add_select(struct wmgw_buf *out, const struct wmgw_wql_query *q)
{
    int rc = wmgw_buf_addstr(out, "SELECT ");
    if (rc == 0 && q->select_all)
        rc = wmgw_buf_addc(out, '*');
    else if (rc == 0 && q->nselect == 0)
        rc = WMGW_EINVAL;
    for (size_t i = 0; rc == 0 && !q->select_all && i < q->nselect; i++) {
        if (i > 0)
            rc = wmgw_buf_addstr(out, ", ");
        if (rc == 0)
            rc = add_name(out, q->select[i], false);
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, " FROM ");
    if (rc == 0)
        rc = add_name(out, q->class_name, false);
    if (rc == 0 && q->within != 0) {
        char tmp[64];
        if (!(q->within > 0 && q->within <= 1e9))
            return WMGW_EINVAL;
        struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_REAL, .u.r = q->within};
        if (q->within == floor(q->within)) {
            lit.kind = WMGW_WQL_LIT_INT;
            lit.u.i = (int64_t)q->within;
        }
        wmgw__wql_literal_text(&lit, tmp, sizeof(tmp));
        rc = wmgw_buf_printf(out, " WITHIN %s", tmp);
    }
    if (rc == 0 && q->where != NULL) {
        if ((rc = wmgw_buf_addstr(out, " WHERE ")) == 0)
            rc = add_expr(out, q->where, 0);
    }
    return rc;
}

/* The parser takes the path up to the first '}' outside quotes; make sure
 * the path formatter's text ends there, whatever the key values hold. */
static bool path_closed(const char *s, size_t n)
{
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        if (quote != 0 && s[i] == '\\')
            i++;
        else if (quote != 0 && s[i] == quote)
            quote = 0;
        else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
            quote = s[i];
        else if (quote == 0 && s[i] == '}')
            return false;
    }
    return quote == 0;
}

static int add_path(struct wmgw_buf *out, const struct wmgw_cim_ref *ref)
{
    size_t start = out->len;
    if (ref == NULL || ref->class_name == NULL)
        return WMGW_EINVAL;
    int rc = wmgw_cim_path_format_wmi(out, ref, ref->namespace_ != NULL);
    if (rc == 0 && !path_closed(out->data + start, out->len - start))
        rc = WMGW_EINVAL;
    return rc;
}

static int add_assoc(struct wmgw_buf *out, const struct wmgw_wql_query *q)
{
    bool assoc = q->kind == WMGW_WQL_ASSOCIATORS;
    int rc = wmgw_buf_addstr(out, assoc ? "ASSOCIATORS OF {" : "REFERENCES OF {");
    if (rc == 0)
        rc = add_path(out, q->object);
    if (rc == 0)
        rc = wmgw_buf_addc(out, '}');
    const struct {
        const char *word, *value; /* value names a class, property or qualifier */
        bool flag, assoc_only;
    } parts[] = {
        {"AssocClass", q->assoc_class, false, true},
        {"RequiredAssocQualifier", q->required_assoc_qualifier, false, true},
        {"RequiredQualifier", q->required_qualifier, false, false},
        {"ResultClass", q->result_class, false, false},
        {"ResultRole", q->result_role, false, true},
        {"Role", q->role, false, false},
        {"KeysOnly", NULL, q->keys_only, false},
        {"ClassDefsOnly", NULL, q->class_defs_only, false},
        {"SchemaOnly", NULL, q->schema_only, false},
    };
    if (q->class_defs_only && q->schema_only)
        return WMGW_EINVAL;
    bool where = false;
    for (size_t i = 0; rc == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (parts[i].value == NULL && !parts[i].flag)
            continue;
        if (parts[i].assoc_only && !assoc)
            return WMGW_EINVAL;
        rc = wmgw_buf_addstr(out, where ? " " : " WHERE ");
        where = true;
        if (rc == 0)
            rc = wmgw_buf_addstr(out, parts[i].word);
        if (rc == 0 && parts[i].value != NULL && (rc = wmgw_buf_addstr(out, " = ")) == 0)
            rc = add_name(out, parts[i].value, false);
    }
    return rc;
}

int wmgw_wql_format(struct wmgw_buf *out, const struct wmgw_wql_query *q)
{
    size_t mark = out->len;
    int rc;
    if (q == NULL)
        return WMGW_EINVAL;
    switch (q->kind) {
    case WMGW_WQL_SELECT:
        rc = add_select(out, q);
        break;
    case WMGW_WQL_ASSOCIATORS:
    case WMGW_WQL_REFERENCES:
        rc = add_assoc(out, q);
        break;
    default:
        rc = WMGW_EINVAL;
    }
    return undo_on_error(out, mark, rc);
}
