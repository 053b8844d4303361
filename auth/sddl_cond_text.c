/*
 * sddl_cond_text.c: the binary form of conditional expressions (MS-DTYP
 * 2.4.4.17.4-8): the token reader that the formatter and the access check
 * share, and the decompiler from postfix tokens back to SDDL text.
 *
 * The decompiler rebuilds the expression tree from the postfix stream and
 * prints every operation in parentheses, as Windows does, except a chain
 * of one logical operator (a || b || c), which prints as it is written
 * rather than one level deeper per operand; the parser refuses what would
 * print deeper than it can read back (sddl_cond.c, printable()):
 *   ((@USER.Title == "PM") && (Member_of {SID(BA)}))
 * It only prints trees the parser can produce (an operator's operands of
 * the kinds the grammar allows, no nested composites), so that printed
 * text always parses back to the same bytes; anything else is
 * WMGW_EUNSUPPORTED rather than text that would mean something else.
 *
 * SECURITY
 *      Token lengths are checked against the data before use; the tree is
 *      at most WMGW_SDDL_MAX_COND_TOKENS nodes and COND_STACK deep, so the
 *      recursive printer is bounded too.
 */
#include "auth/sddl_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COND_STACK 128

enum wmgw__tok_class wmgw__tok_class(uint8_t code)
{
    switch (code) {
    case WMGW__TOK_INT8:
    case WMGW__TOK_INT16:
    case WMGW__TOK_INT32:
    case WMGW__TOK_INT64:
    case WMGW__TOK_STRING:
    case WMGW__TOK_OCTETS:
    case WMGW__TOK_COMPOSITE:
    case WMGW__TOK_SID:
        return WMGW__TC_LITERAL;
    case WMGW__TOK_LOCAL_ATTR:
    case WMGW__TOK_USER_ATTR:
    case WMGW__TOK_RESOURCE_ATTR:
    case WMGW__TOK_DEVICE_ATTR:
        return WMGW__TC_ATTRIBUTE;
    case WMGW__TOK_EXISTS:
    case WMGW__TOK_NOT_EXISTS:
    case WMGW__TOK_NOT:
        return WMGW__TC_UNARY;
    case WMGW__TOK_AND:
    case WMGW__TOK_OR:
        return WMGW__TC_BINARY;
    default:
        if (code >= WMGW__TOK_MEMBER_OF && code <= WMGW__TOK_DEVICE_MEMBER_OF_ANY)
            return WMGW__TC_UNARY;
        if (code >= WMGW__TOK_NOT_MEMBER_OF && code <= WMGW__TOK_NOT_DEVICE_MEMBER_OF_ANY)
            return WMGW__TC_UNARY;
        if ((code >= WMGW__TOK_EQ && code <= WMGW__TOK_CONTAINS) || code == WMGW__TOK_ANY_OF ||
            code == WMGW__TOK_NOT_CONTAINS || code == WMGW__TOK_NOT_ANY_OF)
            return WMGW__TC_BINARY;
        return WMGW__TC_INVALID;
    }
}

static const struct {
    uint8_t code;
    const char *name;
} op_names[] = {
    {WMGW__TOK_EQ, "=="},
    {WMGW__TOK_NE, "!="},
    {WMGW__TOK_LT, "<"},
    {WMGW__TOK_LE, "<="},
    {WMGW__TOK_GT, ">"},
    {WMGW__TOK_GE, ">="},
    {WMGW__TOK_CONTAINS, "Contains"},
    {WMGW__TOK_NOT_CONTAINS, "Not_Contains"},
    {WMGW__TOK_ANY_OF, "Any_of"},
    {WMGW__TOK_NOT_ANY_OF, "Not_Any_of"},
    {WMGW__TOK_EXISTS, "Exists"},
    {WMGW__TOK_NOT_EXISTS, "Not_Exists"},
    {WMGW__TOK_MEMBER_OF, "Member_of"},
    {WMGW__TOK_NOT_MEMBER_OF, "Not_Member_of"},
    {WMGW__TOK_MEMBER_OF_ANY, "Member_of_Any"},
    {WMGW__TOK_NOT_MEMBER_OF_ANY, "Not_Member_of_Any"},
    {WMGW__TOK_DEVICE_MEMBER_OF, "Device_Member_of"},
    {WMGW__TOK_NOT_DEVICE_MEMBER_OF, "Not_Device_Member_of"},
    {WMGW__TOK_DEVICE_MEMBER_OF_ANY, "Device_Member_of_Any"},
    {WMGW__TOK_NOT_DEVICE_MEMBER_OF_ANY, "Not_Device_Member_of_Any"},
    {WMGW__TOK_AND, "&&"},
    {WMGW__TOK_OR, "||"},
    {WMGW__TOK_NOT, "!"},
};

const char *wmgw__tok_op_name(uint8_t code)
{
    for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (op_names[i].code == code)
            return op_names[i].name;
    return NULL;
}

/* ---- the token reader ---- */

static int bad(struct wmgw_err *err, size_t at, const char *what)
{
    return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "conditional expression: %s", what);
}

int wmgw__tok_next(const uint8_t *d, size_t len, size_t *pos, struct wmgw__tok *t, struct wmgw_err *err)
{
    size_t at = *pos;
    if (at >= len)
        return 1;
    memset(t, 0, sizeof(*t));
    t->code = d[at];
    t->offset = at;
    if (t->code == WMGW__TOK_PAD) {
        if (len - at > 3)
            return bad(err, at, "more than 3 bytes of padding");
        for (size_t k = at; k < len; k++)
            if (d[k] != 0)
                return bad(err, k, "non-zero byte in the padding");
        return 1;
    }
    switch (wmgw__tok_class(t->code)) {
    case WMGW__TC_INVALID:
        return bad(err, at, "unknown token");
    case WMGW__TC_UNARY:
    case WMGW__TC_BINARY:
        t->size = 1;
        break;
    default:
        if (t->code >= WMGW__TOK_INT8 && t->code <= WMGW__TOK_INT64) {
            if (len - at < 11)
                return bad(err, at, "truncated integer");
            t->i.value = (int64_t)wmgw__le64(d + at + 1);
            t->i.sign = d[at + 9];
            t->i.base = d[at + 10];
            if (t->i.sign < WMGW__SIGN_PLUS || t->i.sign > WMGW__SIGN_NONE)
                return bad(err, at + 9, "integer with an unknown sign code");
            if (t->i.base < WMGW__BASE_8 || t->i.base > WMGW__BASE_16)
                return bad(err, at + 10, "integer with an unknown base code");
            int bits = t->code == WMGW__TOK_INT8 ? 8 : t->code == WMGW__TOK_INT16 ? 16 : 32;
            if (t->code != WMGW__TOK_INT64 &&
                (t->i.value < -(INT64_C(1) << (bits - 1)) || t->i.value >= (INT64_C(1) << (bits - 1))))
                return bad(err, at + 1, "integer out of range for its type");
            t->size = 11;
            break;
        }
        if (len - at < 5)
            return bad(err, at, "truncated length");
        uint32_t n = wmgw__le32(d + at + 1);
        if (n > len - at - 5)
            return bad(err, at + 1, "length beyond the end of the data");
        t->p = d + at + 5;
        t->n = n;
        t->size = 5 + (size_t)n;
        if ((t->code == WMGW__TOK_STRING || wmgw__tok_class(t->code) == WMGW__TC_ATTRIBUTE) && n % 2 != 0)
            return bad(err, at + 1, "odd length for a UTF-16 string");
        if (wmgw__tok_class(t->code) == WMGW__TC_ATTRIBUTE && n == 0)
            return bad(err, at + 1, "empty attribute name");
        if (t->code == WMGW__TOK_SID) {
            struct wmgw_sid sid;
            size_t used;
            if (wmgw_sid_read(&sid, t->p, n, &used, NULL) != 0 || used != n)
                return bad(err, at + 5, "malformed SID literal");
        }
    }
    *pos = at + t->size;
    return 0;
}

/* ---- the decompiler ---- */

struct node {
    struct wmgw__tok tok;
    int kid[2]; /* operand nodes, -1 when absent */
    int height; /* of the subtree, which bounds the printer's recursion */
};

struct printer {
    const struct node *nodes;
    const struct wmgw_sid_domains *dom;
    struct wmgw_buf *out;
    struct wmgw_err *err;
};

static int unsupported(struct printer *pr, const char *why)
{
    return wmgw_err_set(pr->err, WMGW_EUNSUPPORTED, "conditional expression has no SDDL form: %s", why);
}

/* The operators that may begin a term, which a simple name must not spell. */
static bool is_term_keyword(const uint8_t *p, size_t n)
{
    char word[32];
    if (n / 2 >= sizeof(word))
        return false;
    for (size_t k = 0; k < n / 2; k++)
        word[k] = (char)wmgw__le16(p + 2 * k);
    word[n / 2] = '\0';
    for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (wmgw__tok_class(op_names[i].code) == WMGW__TC_UNARY && strcasecmp(op_names[i].name, word) == 0)
            return true;
    return false;
}

static int print_attribute(struct printer *pr, const struct wmgw__tok *t, bool lhs)
{
    const char *prefix = "@Local.";
    switch (t->code) {
    case WMGW__TOK_USER_ATTR: prefix = "@USER."; break;
    case WMGW__TOK_DEVICE_ATTR: prefix = "@DEVICE."; break;
    case WMGW__TOK_RESOURCE_ATTR: prefix = "@RESOURCE."; break;
    default:
        /* Local attributes keep the simple form where the grammar has it. */
        if (lhs && wmgw__lit_name_is_simple(t->p, t->n) && !is_term_keyword(t->p, t->n)) {
            for (size_t k = 0; k < t->n; k += 2) {
                int rc = wmgw_buf_addc(pr->out, (char)wmgw__le16(t->p + k));
                if (rc != 0)
                    return rc;
            }
            return 0;
        }
    }
    int rc = wmgw_buf_addstr(pr->out, prefix);
    return rc ? rc : wmgw__lit_name_format(t->p, t->n, pr->out, pr->err);
}

static int print_scalar(struct printer *pr, const struct wmgw__tok *t)
{
    char sid_text[WMGW_SID_TEXT_MAX];
    struct wmgw_sid sid;
    size_t used;
    switch (t->code) {
    case WMGW__TOK_STRING:
        return wmgw__lit_string_format(t->p, t->n, pr->out, pr->err);
    case WMGW__TOK_OCTETS:
        return wmgw__lit_octets_format(t->p, t->n, pr->out);
    case WMGW__TOK_SID:
        wmgw_sid_read(&sid, t->p, t->n, &used, NULL); /* checked by the reader */
        wmgw_sid_format_sddl(&sid, pr->dom, sid_text);
        return wmgw_buf_printf(pr->out, "SID(%s)", sid_text);
    case WMGW__TOK_COMPOSITE:
        return unsupported(pr, "a composite inside a composite");
    default:
        return wmgw__lit_int_format(&t->i, pr->out);
    }
}

/* A literal operand: a scalar, or {a, b, ...} (non-empty, of scalars);
 * sids_only for the Member_of family. */
static int print_literal(struct printer *pr, const struct wmgw__tok *t, bool allow_set, bool sids_only)
{
    if (t->code != WMGW__TOK_COMPOSITE) {
        if (sids_only && t->code != WMGW__TOK_SID)
            return unsupported(pr, "a Member_of operand that is not a SID");
        return print_scalar(pr, t);
    }
    if (!allow_set)
        return unsupported(pr, "a set where one value is required");
    int rc = wmgw_buf_addc(pr->out, '{');
    size_t pos = 0, count = 0;
    struct wmgw__tok e;
    while (rc == 0) {
        int more = wmgw__tok_next(t->p, t->n, &pos, &e, pr->err);
        if (more < 0)
            return more;
        if (more == 1) {
            if (pos != t->n)
                return unsupported(pr, "padding inside a composite");
            break;
        }
        if (wmgw__tok_class(e.code) != WMGW__TC_LITERAL)
            return unsupported(pr, "a composite holding something other than values");
        if (sids_only && e.code != WMGW__TOK_SID)
            return unsupported(pr, "a Member_of operand that is not a SID");
        if (count++ > 0)
            rc = wmgw_buf_addstr(pr->out, ", ");
        if (rc == 0)
            rc = print_scalar(pr, &e);
    }
    if (rc == 0 && count == 0)
        return unsupported(pr, "an empty composite");
    return rc ? rc : wmgw_buf_addc(pr->out, '}');
}

static int print_bool(struct printer *pr, int i);

/* The operands of a chain of one logical operator, left to right, without
 * parentheses: "a || b || c" parses back to the same left-deep tree, and
 * printing a long chain does not nest it deeper than it was written. */
static int print_chain(struct printer *pr, int i, uint8_t code)
{
    const struct node *n = &pr->nodes[i];
    if (n->tok.code != code)
        return print_bool(pr, i);
    int rc = print_chain(pr, n->kid[0], code);
    rc = rc ? rc : wmgw_buf_printf(pr->out, " %s ", wmgw__tok_op_name(code));
    return rc ? rc : print_bool(pr, n->kid[1]);
}

static int print_operator(struct printer *pr, const struct node *n)
{
    const char *op = wmgw__tok_op_name(n->tok.code);
    const struct node *a = &pr->nodes[n->kid[0]];
    const struct node *b = n->kid[1] >= 0 ? &pr->nodes[n->kid[1]] : NULL;
    uint8_t c = n->tok.code;
    enum wmgw__tok_class ac = wmgw__tok_class(a->tok.code);
    int rc = wmgw_buf_addc(pr->out, '(');
    if (rc != 0)
        return rc;
    if (c == WMGW__TOK_NOT) {
        rc = wmgw_buf_addc(pr->out, '!');
        rc = rc ? rc : print_bool(pr, n->kid[0]);
    } else if (c == WMGW__TOK_AND || c == WMGW__TOK_OR) {
        rc = print_chain(pr, n->kid[0], c);
        rc = rc ? rc : wmgw_buf_printf(pr->out, " %s ", op);
        rc = rc ? rc : print_bool(pr, n->kid[1]);
    } else if (c == WMGW__TOK_EXISTS || c == WMGW__TOK_NOT_EXISTS) {
        if (ac != WMGW__TC_ATTRIBUTE)
            return unsupported(pr, "Exists of something other than an attribute");
        rc = wmgw_buf_printf(pr->out, "%s ", op);
        rc = rc ? rc : print_attribute(pr, &a->tok, true);
    } else if (b == NULL) { /* the Member_of family */
        if (ac != WMGW__TC_LITERAL)
            return unsupported(pr, "Member_of of something other than SIDs");
        rc = wmgw_buf_printf(pr->out, "%s ", op);
        rc = rc ? rc : print_literal(pr, &a->tok, true, true);
    } else { /* relational */
        enum wmgw__tok_class bc = wmgw__tok_class(b->tok.code);
        bool scalar_only = c >= WMGW__TOK_LT && c <= WMGW__TOK_GE;
        if (ac != WMGW__TC_ATTRIBUTE)
            return unsupported(pr, "a comparison whose left side is not an attribute");
        if (bc != WMGW__TC_ATTRIBUTE && bc != WMGW__TC_LITERAL)
            return unsupported(pr, "a comparison whose right side is not a value or an attribute");
        rc = print_attribute(pr, &a->tok, true);
        rc = rc ? rc : wmgw_buf_printf(pr->out, " %s ", op);
        if (rc == 0)
            rc = bc == WMGW__TC_ATTRIBUTE ? print_attribute(pr, &b->tok, false)
                                          : print_literal(pr, &b->tok, !scalar_only, false);
    }
    return rc ? rc : wmgw_buf_addc(pr->out, ')');
}

/* Something with a logical value: an operation or an attribute. */
static int print_bool(struct printer *pr, int i)
{
    const struct node *n = &pr->nodes[i];
    switch (wmgw__tok_class(n->tok.code)) {
    case WMGW__TC_ATTRIBUTE:
        return print_attribute(pr, &n->tok, true);
    case WMGW__TC_LITERAL:
        return unsupported(pr, "a value where a condition is required");
    default:
        return print_operator(pr, n);
    }
}

int wmgw__cond_format(const uint8_t *data, size_t len, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
                      struct wmgw_err *err)
{
    if (len < 4 || memcmp(data, WMGW__COND_SIGNATURE, 4) != 0)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "callback ACE data that is not a conditional expression");
    const uint8_t *d = data + 4;
    size_t n = len - 4, pos = 0, count = 0;
    struct wmgw__tok t;
    int rc;
    while ((rc = wmgw__tok_next(d, n, &pos, &t, err)) == 0)
        if (++count > WMGW_SDDL_MAX_COND_TOKENS)
            return wmgw_err_set(err, WMGW_EUNSUPPORTED, "conditional expression of more than %d tokens",
                                WMGW_SDDL_MAX_COND_TOKENS);
    if (rc < 0)
        return rc;
    if (count == 0)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "empty conditional expression");
    struct node *nodes = malloc(count * sizeof(*nodes));
    if (nodes == NULL)
        return WMGW_ENOMEM;
    int stack[COND_STACK], depth = 0;
    pos = 0;
    rc = 0;
    for (size_t k = 0; k < count && rc == 0; k++) {
        struct node *nd = &nodes[k];
        wmgw__tok_next(d, n, &pos, &nd->tok, NULL);
        nd->kid[0] = nd->kid[1] = -1;
        enum wmgw__tok_class tc = wmgw__tok_class(nd->tok.code);
        int arity = tc == WMGW__TC_UNARY ? 1 : tc == WMGW__TC_BINARY ? 2 : 0;
        if (depth < arity) {
            rc = wmgw_err_set(err, WMGW_EUNSUPPORTED, "operator without operands at offset %zu",
                              nd->tok.offset + 4);
            break;
        }
        nd->height = 1;
        for (int a = arity - 1; a >= 0; a--) {
            nd->kid[a] = stack[--depth];
            if (nodes[nd->kid[a]].height >= nd->height)
                nd->height = nodes[nd->kid[a]].height + 1;
        }
        if (depth == COND_STACK || nd->height > COND_STACK) {
            rc = wmgw_err_set(err, WMGW_EUNSUPPORTED, "conditional expression nested too deep");
            break;
        }
        stack[depth++] = (int)k;
    }
    if (rc == 0 && depth != 1)
        rc = wmgw_err_set(err, WMGW_EUNSUPPORTED, "conditional expression leaves %d values, not one", depth);
    if (rc == 0) {
        struct printer pr = {nodes, dom, out, err};
        bool wrap = wmgw__tok_class(nodes[stack[0]].tok.code) == WMGW__TC_ATTRIBUTE;
        rc = wrap ? wmgw_buf_addc(out, '(') : 0;
        rc = rc ? rc : print_bool(&pr, stack[0]);
        rc = rc ? rc : (wrap ? wmgw_buf_addc(out, ')') : 0);
    }
    free(nodes);
    return rc;
}
