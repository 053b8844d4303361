/*
 * wql_parse.c: WQL text to tree (wql.h), MS-WMI 2.2.1.
 *
 * Caller text enters the gateway here, as a REST `filter`, `select` or a
 * whole query, and leaves only as a tree: nothing of the text survives
 * except parsed names and decoded literals.  The lexer (wql_lex.c) hands
 * over one token at a time; this recursive-descent parser builds the tree
 * with the precedence OR < AND < NOT < comparison.
 *
 * Bounds: at most WMGW__WQL_MAX_LEN bytes; recursion only on '(', and '('
 * and NOT nest at most WMGW__WQL_MAX_DEPTH deep; AND/OR chains and NOT runs
 * are loops; each token is read once: time and memory are linear.  Errors
 * are WMGW_EINVAL (WMGW_ETOOBIG when too long) with position and what was
 * expected.
 */
#include "cim/path.h"
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/err.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int expected(struct wmgw__wql_parser *p, const char *what)
{
    return wmgw__wql_fail_at(p, p->tok.pos, "expected %s", what);
}

/* --- token helpers -------------------------------------------------------- */

static int expect_kw(struct wmgw__wql_parser *p, const char *kw)
{
    if (!wmgw__wql_tok_is(p, kw))
        return expected(p, kw);
    return wmgw__wql_advance(p);
}

/* An identifier usable as a name: not a reserved word, dotted only when
 * allowed.  Copies it to *out and moves on. */
static int take_name(struct wmgw__wql_parser *p, bool dotted, const char *what, char **out)
{
    const struct wmgw__wql_token *t = &p->tok;
    if (t->kind != WMGW__WQL_IDENT || (t->dotted && !dotted) || wmgw__wql_is_reserved(p->s + t->pos, t->len))
        return expected(p, what);
    if ((*out = strndup(p->s + t->pos, t->len)) == NULL)
        return wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
    int rc = wmgw__wql_advance(p);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static bool tok_is_literal(const struct wmgw__wql_parser *p)
{
    return p->tok.kind == WMGW__WQL_STRING || p->tok.kind == WMGW__WQL_NUMBER || wmgw__wql_tok_is(p, "TRUE") ||
           wmgw__wql_tok_is(p, "FALSE") || wmgw__wql_tok_is(p, "NULL");
}

/* Moves a literal token into *lit (the caller owns it from then on). */
static int take_literal(struct wmgw__wql_parser *p, struct wmgw_wql_literal *lit)
{
    if (p->tok.kind == WMGW__WQL_STRING || p->tok.kind == WMGW__WQL_NUMBER) {
        *lit = p->tok.lit;
        p->tok.kind = WMGW__WQL_END; /* taken: advance must not free it */
    } else if (wmgw__wql_tok_is(p, "TRUE") || wmgw__wql_tok_is(p, "FALSE")) {
        lit->kind = WMGW_WQL_LIT_BOOL;
        lit->u.b = wmgw__wql_tok_is(p, "TRUE");
    } else if (wmgw__wql_tok_is(p, "NULL")) {
        lit->kind = WMGW_WQL_LIT_NULL;
    } else {
        return expected(p, "a value");
    }
    int rc = wmgw__wql_advance(p);
    if (rc != 0 && lit->kind == WMGW_WQL_LIT_STRING) {
        free(lit->u.str);
        lit->kind = WMGW_WQL_LIT_NULL;
    }
    return rc;
}

static void literal_dispose(struct wmgw_wql_literal *lit)
{
    if (lit->kind == WMGW_WQL_LIT_STRING)
        free(lit->u.str);
    lit->kind = WMGW_WQL_LIT_NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* --- conditions ----------------------------------------------------------- */

static int parse_or(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out);

static struct wmgw_wql_expr *new_node(enum wmgw_wql_op op)
{
    struct wmgw_wql_expr *e = calloc(1, sizeof(*e));
    if (e != NULL) {
        e->op = op;
        e->literal.kind = WMGW_WQL_LIT_NULL;
    }
    return e;
}

/* A leaf: takes prop and *lit whatever happens. */
static int make_leaf(struct wmgw__wql_parser *p, enum wmgw_wql_op op, char *prop, struct wmgw_wql_literal *lit,
                     struct wmgw_wql_expr **out)
{
    struct wmgw_wql_expr *e = new_node(op);
    if (e == NULL) {
        free(prop);
        literal_dispose(lit);
        return wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
    }
    e->property = prop;
    e->literal = *lit;
    lit->kind = WMGW_WQL_LIT_NULL;
    *out = e;
    return 0;
}

static int comparison_op(enum wmgw__wql_tok k, enum wmgw_wql_op *op)
{
    switch (k) {
    case WMGW__WQL_EQ: *op = WMGW_WQL_EQ; return 1;
    case WMGW__WQL_NE: *op = WMGW_WQL_NE; return 1;
    case WMGW__WQL_LT: *op = WMGW_WQL_LT; return 1;
    case WMGW__WQL_GT: *op = WMGW_WQL_GT; return 1;
    case WMGW__WQL_LE: *op = WMGW_WQL_LE; return 1;
    case WMGW__WQL_GE: *op = WMGW_WQL_GE; return 1;
    default: return 0;
    }
}

/* `x = NULL` means x IS NULL, as WMI reads it; other operators with NULL
 * mean nothing. */
static int null_comparison(struct wmgw__wql_parser *p, enum wmgw_wql_op *op, size_t pos)
{
    if (*op == WMGW_WQL_EQ)
        *op = WMGW_WQL_IS_NULL;
    else if (*op == WMGW_WQL_NE)
        *op = WMGW_WQL_IS_NOT_NULL;
    else
        return wmgw__wql_fail_at(p, pos, "NULL can only be compared with =, <>, != or IS");
    return 0;
}

/* [abc] sets in a LIKE pattern must be closed; see wmgw_wql_like(). */
static int check_pattern(struct wmgw__wql_parser *p, const char *pat, size_t pos)
{
    for (size_t i = 0; pat[i] != '\0'; i++) {
        if (pat[i] != '[')
            continue;
        size_t j = i + 1;
        if (pat[j] == '^' && pat[j + 1] == ']') {
            i = j + 1;
            continue;
        }
        if (pat[j] == '^')
            j++;
        const char *close = strchr(pat + j, ']');
        if (close == NULL)
            return wmgw__wql_fail_at(p, pos, "unterminated '[' in the LIKE pattern starting");
        i = (size_t)(close - pat);
    }
    return 0;
}

static int parse_like(struct wmgw__wql_parser *p, enum wmgw_wql_op op, char *prop, struct wmgw_wql_expr **out)
{
    struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_NULL};
    size_t pos = p->tok.pos;
    int rc = p->tok.kind == WMGW__WQL_STRING ? take_literal(p, &lit) : expected(p, "a string pattern");
    if (rc == 0)
        rc = check_pattern(p, lit.u.str, pos);
    if (rc != 0) {
        free(prop);
        literal_dispose(&lit);
        return rc;
    }
    return make_leaf(p, op, prop, &lit, out);
}

/* ISA 'Class' or ISA Class (the ABNF form); kept as a string literal. */
static int parse_isa(struct wmgw__wql_parser *p, char *prop, struct wmgw_wql_expr **out)
{
    struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_STRING};
    int rc;
    size_t pos = p->tok.pos;
    if (p->tok.kind == WMGW__WQL_STRING) {
        rc = take_literal(p, &lit);
        if (rc == 0 && !wmgw__wql_name_ok(lit.u.str, false))
            rc = wmgw__wql_fail_at(p, pos, "expected a class name");
    } else {
        rc = take_name(p, false, "a class name", &lit.u.str);
    }
    if (rc != 0) {
        free(prop);
        literal_dispose(&lit);
        return rc;
    }
    return make_leaf(p, WMGW_WQL_ISA, prop, &lit, out);
}

static int parse_is(struct wmgw__wql_parser *p, char *prop, struct wmgw_wql_expr **out)
{
    enum wmgw_wql_op op = WMGW_WQL_IS_NULL;
    int rc = 0;
    if (wmgw__wql_tok_is(p, "NOT")) {
        op = WMGW_WQL_IS_NOT_NULL;
        rc = wmgw__wql_advance(p);
    }
    if (rc == 0)
        rc = expect_kw(p, "NULL");
    if (rc != 0) {
        free(prop);
        return rc;
    }
    struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_NULL};
    return make_leaf(p, op, prop, &lit, out);
}

/* `__CLASS = Win32_Service`: the ABNF lets the class name go unquoted. */
static int parse_value(struct wmgw__wql_parser *p, const char *prop, struct wmgw_wql_literal *lit)
{
    if (p->tok.kind == WMGW__WQL_IDENT && !tok_is_literal(p) && wmgw__wql_strcasecmp(prop, "__CLASS") == 0) {
        lit->kind = WMGW_WQL_LIT_STRING;
        return take_name(p, false, "a class name", &lit->u.str);
    }
    if (!tok_is_literal(p))
        return expected(p, "a value");
    return take_literal(p, lit);
}

/* What follows a property name. */
static int parse_tail(struct wmgw__wql_parser *p, char *prop, struct wmgw_wql_expr **out)
{
    enum wmgw_wql_op op;
    int rc;
    if (comparison_op(p->tok.kind, &op)) {
        struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_NULL};
        if ((rc = wmgw__wql_advance(p)) == 0) {
            size_t pos = p->tok.pos;
            rc = parse_value(p, prop, &lit);
            if (rc == 0 && lit.kind == WMGW_WQL_LIT_NULL)
                rc = null_comparison(p, &op, pos);
        }
        if (rc != 0) {
            free(prop);
            return rc;
        }
        return make_leaf(p, op, prop, &lit, out);
    }
    if (wmgw__wql_tok_is(p, "LIKE") || wmgw__wql_tok_is(p, "NOT")) {
        op = wmgw__wql_tok_is(p, "LIKE") ? WMGW_WQL_LIKE : WMGW_WQL_NOT_LIKE;
        rc = wmgw__wql_advance(p);
        if (rc == 0 && op == WMGW_WQL_NOT_LIKE)
            rc = expect_kw(p, "LIKE");
        if (rc != 0) {
            free(prop);
            return rc;
        }
        return parse_like(p, op, prop, out);
    }
    if (wmgw__wql_tok_is(p, "IS") || wmgw__wql_tok_is(p, "ISA")) {
        bool isa = wmgw__wql_tok_is(p, "ISA");
        if ((rc = wmgw__wql_advance(p)) != 0) {
            free(prop);
            return rc;
        }
        return isa ? parse_isa(p, prop, out) : parse_is(p, prop, out);
    }
    free(prop);
    return expected(p, "a comparison operator (=, <>, <, >, <=, >=, LIKE, IS or ISA)");
}

static enum wmgw_wql_op flip(enum wmgw_wql_op op)
{
    switch (op) {
    case WMGW_WQL_LT: return WMGW_WQL_GT;
    case WMGW_WQL_GT: return WMGW_WQL_LT;
    case WMGW_WQL_LE: return WMGW_WQL_GE;
    case WMGW_WQL_GE: return WMGW_WQL_LE;
    default: return op;
    }
}

/* `5 < Count` is stored as `Count > 5`. */
static int parse_reversed(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out)
{
    struct wmgw_wql_literal lit = {.kind = WMGW_WQL_LIT_NULL};
    enum wmgw_wql_op op = WMGW_WQL_EQ;
    char *prop = NULL;
    size_t lit_pos = p->tok.pos;
    int rc = take_literal(p, &lit);
    if (rc == 0 && !comparison_op(p->tok.kind, &op))
        rc = expected(p, "a comparison operator (=, <>, <, >, <=, >=)");
    if (rc == 0)
        rc = wmgw__wql_advance(p);
    if (rc == 0)
        rc = take_name(p, true, "a property name", &prop);
    if (rc == 0 && lit.kind == WMGW_WQL_LIT_NULL)
        rc = null_comparison(p, &op, lit_pos);
    if (rc != 0) {
        free(prop);
        literal_dispose(&lit);
        return rc;
    }
    return make_leaf(p, flip(op), prop, &lit, out);
}

static int enter(struct wmgw__wql_parser *p)
{
    if (++p->depth > WMGW__WQL_MAX_DEPTH)
        return wmgw__wql_fail_at(p, p->tok.pos, "condition nested too deeply (limit %d)", WMGW__WQL_MAX_DEPTH);
    return 0;
}

static int parse_primary(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out)
{
    int rc;
    if (p->tok.kind == WMGW__WQL_LPAREN) {
        if ((rc = enter(p)) != 0 || (rc = wmgw__wql_advance(p)) != 0 || (rc = parse_or(p, out)) != 0)
            return rc;
        p->depth--;
        rc = p->tok.kind == WMGW__WQL_RPAREN ? wmgw__wql_advance(p) : expected(p, "AND, OR or ')'");
        if (rc != 0) {
            wmgw_wql_expr_free(*out);
            *out = NULL;
        }
        return rc;
    }
    if (tok_is_literal(p))
        return parse_reversed(p, out);
    char *prop;
    if ((rc = take_name(p, true, "a property name", &prop)) != 0)
        return rc;
    return parse_tail(p, prop, out);
}

/* NOT NOT x: a loop, each NOT counting as one level of nesting. */
static int parse_not(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out)
{
    int nots = 0, rc = 0;
    while (rc == 0 && wmgw__wql_tok_is(p, "NOT")) {
        nots++;
        if ((rc = enter(p)) == 0)
            rc = wmgw__wql_advance(p);
    }
    struct wmgw_wql_expr *e = NULL;
    if (rc == 0)
        rc = parse_primary(p, &e);
    p->depth -= nots;
    for (; rc == 0 && nots > 0; nots--) {
        struct wmgw_wql_expr *n = new_node(WMGW_WQL_NOT);
        if (n == NULL) {
            rc = wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
            break;
        }
        n->left = e;
        e = n;
    }
    if (rc != 0) {
        wmgw_wql_expr_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

typedef int (*parse_fn)(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out);

/* operand (KW operand)*, left-deep. */
static int parse_chain(struct wmgw__wql_parser *p, const char *kw, enum wmgw_wql_op op, parse_fn operand,
                       struct wmgw_wql_expr **out)
{
    struct wmgw_wql_expr *left = NULL, *right = NULL;
    int rc = operand(p, &left);
    while (rc == 0 && wmgw__wql_tok_is(p, kw)) {
        if ((rc = wmgw__wql_advance(p)) != 0 || (rc = operand(p, &right)) != 0)
            break;
        struct wmgw_wql_expr *n = new_node(op);
        if (n == NULL) {
            wmgw_wql_expr_free(right);
            rc = wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
            break;
        }
        n->left = left;
        n->right = right;
        left = n;
    }
    if (rc != 0) {
        wmgw_wql_expr_free(left);
        return rc;
    }
    *out = left;
    return 0;
}

static int parse_and(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out)
{
    return parse_chain(p, "AND", WMGW_WQL_AND, parse_not, out);
}

static int parse_or(struct wmgw__wql_parser *p, struct wmgw_wql_expr **out)
{
    return parse_chain(p, "OR", WMGW_WQL_OR, parse_and, out);
}

/* --- statements ----------------------------------------------------------- */

static int push_select(struct wmgw__wql_parser *p, struct wmgw_wql_query *q, char *name)
{
    if ((q->nselect & (q->nselect - 1)) == 0) { /* 0, 1, 2, 4...: grow */
        size_t cap = q->nselect ? q->nselect * 2 : 1;
        char **v = realloc(q->select, cap * sizeof(*v));
        if (v == NULL) {
            free(name);
            return wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
        }
        q->select = v;
    }
    q->select[q->nselect++] = name;
    return 0;
}

static int parse_prop_list(struct wmgw__wql_parser *p, struct wmgw_wql_query *q)
{
    if (p->tok.kind == WMGW__WQL_STAR) {
        q->select_all = true;
        return wmgw__wql_advance(p);
    }
    const char *what = "a property name or '*'";
    for (;;) {
        char *name;
        int rc = take_name(p, false, what, &name);
        if (rc == 0)
            rc = push_select(p, q, name);
        if (rc != 0 || p->tok.kind != WMGW__WQL_COMMA)
            return rc;
        if ((rc = wmgw__wql_advance(p)) != 0)
            return rc;
        what = "a property name";
    }
}

static int parse_within(struct wmgw__wql_parser *p, struct wmgw_wql_query *q)
{
    const struct wmgw_wql_literal *l = &p->tok.lit;
    double v = 0;
    if (p->tok.kind == WMGW__WQL_NUMBER)
        v = l->kind == WMGW_WQL_LIT_INT ? (double)l->u.i : l->kind == WMGW_WQL_LIT_REAL ? l->u.r : (double)l->u.u;
    if (!(v > 0 && v <= 1e9))
        return expected(p, "a number of seconds (above 0, at most 1e9)");
    q->within = v;
    return wmgw__wql_advance(p);
}

static int parse_select_stmt(struct wmgw__wql_parser *p, struct wmgw_wql_query *q)
{
    int rc;
    q->kind = WMGW_WQL_SELECT;
    if ((rc = wmgw__wql_advance(p)) != 0 || (rc = parse_prop_list(p, q)) != 0 || (rc = expect_kw(p, "FROM")) != 0 ||
        (rc = take_name(p, false, "a class name", &q->class_name)) != 0)
        return rc;
    if (wmgw__wql_tok_is(p, "WITHIN") && ((rc = wmgw__wql_advance(p)) != 0 || (rc = parse_within(p, q)) != 0))
        return rc;
    if (wmgw__wql_tok_is(p, "WHERE")) {
        if ((rc = wmgw__wql_advance(p)) != 0 || (rc = parse_or(p, &q->where)) != 0)
            return rc;
        if (wmgw__wql_tok_is(p, "GROUP"))
            return wmgw__wql_fail_at(p, p->tok.pos, "GROUP WITHIN is not supported");
        if (p->tok.kind != WMGW__WQL_END)
            return expected(p, "AND, OR or the end of the query");
        return 0;
    }
    if (p->tok.kind != WMGW__WQL_END)
        return expected(p, q->within > 0 ? "WHERE or the end of the query" : "WITHIN, WHERE or the end of the query");
    return 0;
}

/* The path parser's message, its position made one in the whole query. */
static int path_error(struct wmgw__wql_parser *p, size_t start, struct wmgw_err *perr)
{
    static const char prefix[] = "WMI object path: ";
    char *msg = perr->message, *at = strstr(msg, " at position ");
    if (strncmp(msg, prefix, sizeof(prefix) - 1) == 0)
        msg += sizeof(prefix) - 1;
    if (at != NULL)
        *at = '\0';
    size_t pos = start + (perr->position >= 0 ? (size_t)perr->position : 0);
    return wmgw__wql_fail_at(p, pos, "invalid object path: %s", msg[0] ? msg : "bad syntax");
}

/* The {path} of ASSOCIATORS OF / REFERENCES OF: up to the first '}' outside
 * quotes, handed to the object-path parser. */
static int parse_object_path(struct wmgw__wql_parser *p, struct wmgw_wql_query *q)
{
    size_t brace = p->tok.pos, i = p->next;
    char quote = 0;
    if (p->tok.kind != WMGW__WQL_LBRACE)
        return expected(p, "'{'");
    for (; i < p->len; i++) {
        char c = p->s[i];
        if (quote != 0 && c == '\\')
            i++;
        else if (quote != 0 && c == quote)
            quote = 0;
        else if (quote == 0 && (c == '"' || c == '\''))
            quote = c;
        else if (quote == 0 && c == '}')
            break;
    }
    if (i >= p->len)
        return wmgw__wql_fail_at(p, brace, "unterminated object path starting");
    size_t start = brace + 1, end = i;
    while (start < end && is_space(p->s[start]))
        start++;
    while (end > start && is_space(p->s[end - 1]))
        end--;
    if (start == end)
        return wmgw__wql_fail_at(p, start, "expected an object path");
    struct wmgw_err perr;
    wmgw_err_clear(&perr);
    int rc = wmgw_cim_path_parse_wmi(p->s + start, end - start, &q->object, &perr);
    if (rc == WMGW_ENOMEM)
        return wmgw_err_set(p->err, rc, "out of memory");
    if (rc != 0)
        return path_error(p, start, &perr);
    p->next = i + 1;
    return wmgw__wql_advance(p);
}

/* The WHERE keywords of ASSOCIATORS OF / REFERENCES OF. */
static const struct assoc_word {
    const char *name;
    size_t field;  /* offset of a char * or bool in the query */
    bool flag;     /* a bool (no value) */
    bool assoc;    /* ASSOCIATORS OF only */
    const char *value; /* what the value names */
} assoc_words[] = {
    {"AssocClass", offsetof(struct wmgw_wql_query, assoc_class), false, true, "a class name"},
    {"RequiredAssocQualifier", offsetof(struct wmgw_wql_query, required_assoc_qualifier), false, true,
     "a qualifier name"},
    {"RequiredQualifier", offsetof(struct wmgw_wql_query, required_qualifier), false, false, "a qualifier name"},
    {"ResultClass", offsetof(struct wmgw_wql_query, result_class), false, false, "a class name"},
    {"ResultRole", offsetof(struct wmgw_wql_query, result_role), false, true, "a property name"},
    {"Role", offsetof(struct wmgw_wql_query, role), false, false, "a property name"},
    {"KeysOnly", offsetof(struct wmgw_wql_query, keys_only), true, false, NULL},
    {"ClassDefsOnly", offsetof(struct wmgw_wql_query, class_defs_only), true, false, NULL},
    {"SchemaOnly", offsetof(struct wmgw_wql_query, schema_only), true, false, NULL},
};

static int parse_assoc_word(struct wmgw__wql_parser *p, struct wmgw_wql_query *q, const struct assoc_word *w)
{
    size_t pos = p->tok.pos;
    bool assoc = q->kind == WMGW_WQL_ASSOCIATORS;
    if (w->assoc && !assoc)
        return wmgw__wql_fail_at(p, pos, "%s is not allowed in REFERENCES OF", w->name);
    char *base = (char *)q + w->field;
    bool *flag = (bool *)(void *)base;
    char **str = (char **)(void *)base;
    if (w->flag ? *flag : *str != NULL)
        return wmgw__wql_fail_at(p, pos, "%s given twice", w->name);
    int rc = wmgw__wql_advance(p);
    if (rc != 0)
        return rc;
    if (w->flag) {
        *flag = true;
        if (q->class_defs_only && q->schema_only)
            return wmgw__wql_fail_at(p, pos, "ClassDefsOnly and SchemaOnly cannot be combined");
        return 0;
    }
    if (p->tok.kind != WMGW__WQL_EQ)
        return expected(p, "'='");
    if ((rc = wmgw__wql_advance(p)) != 0)
        return rc;
    return take_name(p, false, w->value, str);
}

static int parse_assoc_where(struct wmgw__wql_parser *p, struct wmgw_wql_query *q)
{
    bool assoc = q->kind == WMGW_WQL_ASSOCIATORS;
    const char *what = assoc ? "AssocClass, ClassDefsOnly, KeysOnly, RequiredAssocQualifier, RequiredQualifier, "
                               "ResultClass, ResultRole, Role or SchemaOnly"
                             : "ClassDefsOnly, KeysOnly, RequiredQualifier, ResultClass, Role or SchemaOnly";
    bool any = false;
    for (;;) {
        const struct assoc_word *w = NULL;
        for (size_t i = 0; i < sizeof(assoc_words) / sizeof(assoc_words[0]) && w == NULL; i++)
            if (wmgw__wql_tok_is(p, assoc_words[i].name))
                w = &assoc_words[i];
        if (w == NULL) {
            if (any && p->tok.kind == WMGW__WQL_END)
                return 0;
            return expected(p, any ? "a keyword or the end of the query" : what);
        }
        int rc = parse_assoc_word(p, q, w);
        if (rc != 0)
            return rc;
        any = true;
    }
}

static int parse_assoc_stmt(struct wmgw__wql_parser *p, struct wmgw_wql_query *q, enum wmgw_wql_kind kind)
{
    int rc;
    q->kind = kind;
    if ((rc = wmgw__wql_advance(p)) != 0 || (rc = expect_kw(p, "OF")) != 0 || (rc = parse_object_path(p, q)) != 0)
        return rc;
    if (wmgw__wql_tok_is(p, "WHERE"))
        return (rc = wmgw__wql_advance(p)) != 0 ? rc : parse_assoc_where(p, q);
    if (p->tok.kind != WMGW__WQL_END)
        return expected(p, "WHERE or the end of the query");
    return 0;
}

/* --- entry points --------------------------------------------------------- */

int wmgw_wql_parse(const char *text, size_t len, struct wmgw_wql_query **out, struct wmgw_err *err)
{
    struct wmgw__wql_parser p;
    struct wmgw_wql_query *q = calloc(1, sizeof(*q));
    *out = NULL;
    if (q == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    int rc = wmgw__wql_start(&p, text, len, err);
    if (rc == 0) {
        if (wmgw__wql_tok_is(&p, "SELECT"))
            rc = parse_select_stmt(&p, q);
        else if (wmgw__wql_tok_is(&p, "ASSOCIATORS"))
            rc = parse_assoc_stmt(&p, q, WMGW_WQL_ASSOCIATORS);
        else if (wmgw__wql_tok_is(&p, "REFERENCES"))
            rc = parse_assoc_stmt(&p, q, WMGW_WQL_REFERENCES);
        else
            rc = expected(&p, "SELECT, ASSOCIATORS OF or REFERENCES OF");
    }
    wmgw__wql_drop_token(&p.tok);
    if (rc != 0) {
        wmgw_wql_query_free(q);
        return rc;
    }
    *out = q;
    return 0;
}

int wmgw_wql_parse_condition(const char *text, size_t len, struct wmgw_wql_expr **out, struct wmgw_err *err)
{
    struct wmgw__wql_parser p;
    struct wmgw_wql_expr *e = NULL;
    *out = NULL;
    int rc = wmgw__wql_start(&p, text, len, err);
    if (rc == 0)
        rc = parse_or(&p, &e);
    if (rc == 0 && p.tok.kind != WMGW__WQL_END)
        rc = expected(&p, "AND, OR or the end of the condition");
    wmgw__wql_drop_token(&p.tok);
    if (rc != 0) {
        wmgw_wql_expr_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int wmgw_wql_parse_select(const char *text, size_t len, struct wmgw_wql_query *q, struct wmgw_err *err)
{
    struct wmgw__wql_parser p;
    struct wmgw_wql_query tmp = {0};
    int rc = wmgw__wql_start(&p, text, len, err);
    if (rc == 0)
        rc = parse_prop_list(&p, &tmp);
    if (rc == 0 && p.tok.kind != WMGW__WQL_END)
        rc = expected(&p, tmp.select_all ? "the end of the list" : "',' or the end of the list");
    wmgw__wql_drop_token(&p.tok);
    if (rc != 0) {
        for (size_t i = 0; i < tmp.nselect; i++)
            free(tmp.select[i]);
        free(tmp.select);
        return rc;
    }
    for (size_t i = 0; i < q->nselect; i++)
        free(q->select[i]);
    free(q->select);
    q->select_all = tmp.select_all;
    q->nselect = tmp.nselect;
    q->select = tmp.select;
    return 0;
}
