/*
 * access_cond.c: evaluates conditional ACE expressions (MS-DTYP 2.5.3.1.5
 * EvaluateAceCondition, operators of 2.4.4.17.6-7) for access.c.
 *
 * A stack machine over the postfix tokens.  Stack entries are results
 * (TRUE/FALSE/UNKNOWN), literals (a token, possibly a composite) or
 * attributes (a resource attribute found in the SACL, or an attribute the
 * token cannot supply).  Values are compared as the spec says: integers by
 * their signed value (the literal's sign byte wins over its bits), strings
 * without regard to ASCII case unless the attribute is marked case-
 * sensitive, SIDs and octet strings byte by byte; booleans equal the
 * integers 0 and 1.  Sets compare as sets for == and !=.
 *
 * Two kinds of "don't know": UNKNOWN, which logic operators combine
 * (FALSE && UNKNOWN is FALSE), and an error (wrong operand types, a
 * malformed token, a stack problem), which makes the whole expression
 * UNKNOWN.
 *
 * SECURITY
 *      The data is untrusted: tokens come through wmgw__tok_next's bounds
 *      checks, the stack is EVAL_STACK deep at most, and value arrays are
 *      bounded by the token and attribute limits.  Every failure ends as
 *      UNKNOWN, which never lets an allow ACE grant.
 */
#include "auth/access.h"
#include "auth/sddl_int.h"

#include <stdlib.h>
#include <string.h>

#define EVAL_STACK 128
#define ERR (-2) /* poisons the whole expression */

enum kind { K_RESULT, K_LITERAL, K_ATTR };

struct operand {
    enum kind kind;
    int tri;              /* K_RESULT */
    struct wmgw__tok tok; /* K_LITERAL, and the name of K_ATTR */
    bool known;           /* K_ATTR: found (resource attributes only) */
    struct wmgw__claim claim;
};

enum vkind { V_INT, V_BOOL, V_STR, V_SID, V_OCT };

struct val {
    enum vkind kind;
    bool neg;
    uint64_t mag;
    const uint8_t *p;
    size_t n;
};

struct ctx {
    const struct wmgw_token *tok;
    const struct wmgw_acl *sacl;
};

/* ---- values ---- */

static int literal_value(const struct wmgw__tok *t, struct val *v)
{
    memset(v, 0, sizeof(*v));
    switch (t->code) {
    case WMGW__TOK_STRING: v->kind = V_STR; break;
    case WMGW__TOK_OCTETS: v->kind = V_OCT; break;
    case WMGW__TOK_SID: v->kind = V_SID; break;
    case WMGW__TOK_INT8:
    case WMGW__TOK_INT16:
    case WMGW__TOK_INT32:
    case WMGW__TOK_INT64: {
        int64_t x = t->i.value;
        v->kind = V_INT;
        if (t->i.sign == WMGW__SIGN_MINUS || (t->i.base == WMGW__BASE_10 && t->i.sign != WMGW__SIGN_PLUS)) {
            v->neg = x < 0;
            v->mag = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
        } else {
            v->mag = (uint64_t)x; /* unsigned reading of hex and octal, or "+" */
        }
        return 0;
    }
    default:
        return ERR; /* a composite in a composite, or not a literal at all */
    }
    v->p = t->p;
    v->n = t->n;
    return 0;
}

/* The values of a literal or a found attribute, in a new array. */
static int values_of(const struct operand *o, struct val **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (o->kind == K_ATTR) {
        if (o->claim.count == 0)
            return 0;
        struct val *v = calloc(o->claim.count, sizeof(*v));
        if (v == NULL)
            return ERR;
        for (uint32_t i = 0; i < o->claim.count; i++) {
            uint64_t u;
            wmgw__claim_value(&o->claim, i, &u, &v[i].p, &v[i].n);
            switch (o->claim.type) {
            case WMGW__CLAIM_INT64:
                v[i].kind = V_INT;
                v[i].neg = (int64_t)u < 0;
                v[i].mag = (int64_t)u < 0 ? 0 - u : u;
                break;
            case WMGW__CLAIM_UINT64: v[i].kind = V_INT; v[i].mag = u; break;
            case WMGW__CLAIM_BOOLEAN: v[i].kind = V_BOOL; v[i].mag = u; break;
            case WMGW__CLAIM_STRING: v[i].kind = V_STR; break;
            case WMGW__CLAIM_SID: v[i].kind = V_SID; break;
            default: v[i].kind = V_OCT;
            }
        }
        *out = v;
        *count = o->claim.count;
        return 0;
    }
    if (o->tok.code != WMGW__TOK_COMPOSITE) {
        if ((*out = malloc(sizeof(**out))) == NULL)
            return ERR;
        *count = 1;
        return literal_value(&o->tok, *out);
    }
    size_t pos = 0, n = 0, cap = o->tok.n / 5 + 1; /* an element takes at least 5 bytes */
    struct val *v = calloc(cap, sizeof(*v));
    struct wmgw__tok e;
    int rc = 0;
    while (v != NULL && n < cap && (rc = wmgw__tok_next(o->tok.p, o->tok.n, &pos, &e, NULL)) == 0)
        if ((rc = literal_value(&e, &v[n++])) != 0)
            break;
    if (v == NULL || rc < 0 || pos != o->tok.n) {
        free(v);
        return ERR;
    }
    *out = v;
    *count = n;
    return 0;
}

static bool case_sensitive(const struct operand *a, const struct operand *b)
{
    return (a->kind == K_ATTR && (a->claim.flags & WMGW__CLAIM_CASE_SENSITIVE)) ||
           (b->kind == K_ATTR && (b->claim.flags & WMGW__CLAIM_CASE_SENSITIVE));
}

/* Compares two values: <0, 0, >0, or ERR when they cannot be compared
 * (ordered: for <, <=, >, >=). */
static int compare(const struct val *a, const struct val *b, bool ordered, bool cs)
{
    bool ia = a->kind == V_INT || a->kind == V_BOOL, ib = b->kind == V_INT || b->kind == V_BOOL;
    if (ia && ib) {
        if (ordered && (a->kind == V_BOOL || b->kind == V_BOOL))
            return ERR;
        if (a->neg != b->neg)
            return a->neg ? -1 : 1;
        if (a->mag == b->mag)
            return 0;
        return (a->mag < b->mag) != a->neg ? -1 : 1;
    }
    if (a->kind != b->kind)
        return ERR;
    if (a->kind == V_STR)
        return wmgw__utf16_cmp(a->p, a->n, b->p, b->n, cs);
    if (a->kind == V_SID && ordered)
        return ERR;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    return c != 0 ? c : (a->n == b->n ? 0 : (a->n < b->n ? -1 : 1));
}

/* 1 when some element of set equals v, 0 when none does, ERR. */
static int member(const struct val *v, const struct val *set, size_t n, bool cs)
{
    for (size_t i = 0; i < n; i++) {
        int c = compare(v, &set[i], false, cs);
        if (c == ERR)
            return ERR;
        if (c == 0)
            return 1;
    }
    return 0;
}

/* Every element of a in b: 1, 0 or ERR. */
static int subset(const struct val *a, size_t an, const struct val *b, size_t bn, bool cs)
{
    for (size_t i = 0; i < an; i++) {
        int m = member(&a[i], b, bn, cs);
        if (m != 1)
            return m;
    }
    return 1;
}

static int relational(uint8_t op, const struct operand *l, const struct operand *r)
{
    if (l->kind != K_ATTR || r->kind == K_RESULT)
        return ERR;
    if (!l->known || (r->kind == K_ATTR && !r->known))
        return WMGW_TRI_UNKNOWN;
    struct val *a, *b;
    size_t an, bn;
    int res = values_of(l, &a, &an);
    if (res == 0 && (res = values_of(r, &b, &bn)) != 0)
        free(a);
    if (res != 0)
        return ERR;
    bool cs = case_sensitive(l, r);
    switch (op) {
    case WMGW__TOK_EQ:
    case WMGW__TOK_NE:
        res = subset(a, an, b, bn, cs);
        if (res == 1)
            res = subset(b, bn, a, an, cs);
        if (res != ERR && op == WMGW__TOK_NE)
            res = !res;
        break;
    case WMGW__TOK_CONTAINS:
    case WMGW__TOK_NOT_CONTAINS:
        res = subset(b, bn, a, an, cs);
        if (res != ERR && op == WMGW__TOK_NOT_CONTAINS)
            res = !res;
        break;
    case WMGW__TOK_ANY_OF:
    case WMGW__TOK_NOT_ANY_OF:
        res = 0;
        for (size_t i = 0; i < an && res == 0; i++)
            res = member(&a[i], b, bn, cs);
        if (res != ERR && op == WMGW__TOK_NOT_ANY_OF)
            res = !res;
        break;
    default: { /* < <= > >=: single values only */
        int c = an == 1 && bn == 1 ? compare(&a[0], &b[0], true, cs) : ERR;
        if (c == ERR)
            res = ERR;
        else if (op == WMGW__TOK_LT)
            res = c < 0;
        else if (op == WMGW__TOK_LE)
            res = c <= 0;
        else if (op == WMGW__TOK_GT)
            res = c > 0;
        else
            res = c >= 0;
    }
    }
    free(a);
    free(b);
    return res;
}

/* The logical value of an operand (2.4.4.17.7). */
static int truth(const struct operand *o)
{
    if (o->kind == K_RESULT)
        return o->tri;
    if (o->kind == K_LITERAL)
        return ERR;
    if (!o->known)
        return WMGW_TRI_UNKNOWN;
    struct val *v;
    size_t n;
    if (values_of(o, &v, &n) != 0)
        return ERR;
    int res = ERR;
    if (n == 1 && (v[0].kind == V_INT || v[0].kind == V_BOOL))
        res = v[0].mag != 0;
    else if (n == 1 && v[0].kind == V_STR)
        res = v[0].n != 0;
    free(v);
    return res;
}

static int member_of(uint8_t op, const struct operand *o, const struct wmgw_token *tok)
{
    if (o->kind != K_LITERAL)
        return ERR;
    struct val *v;
    size_t n;
    if (values_of(o, &v, &n) != 0)
        return ERR;
    size_t have = 0;
    int res = n == 0 ? ERR : 0;
    for (size_t i = 0; i < n && res != ERR; i++) {
        struct wmgw_sid sid;
        size_t used;
        if (v[i].kind != V_SID || wmgw_sid_read(&sid, v[i].p, v[i].n, &used, NULL) != 0)
            res = ERR;
        else if (wmgw_access_has_sid(tok, &sid))
            have++;
    }
    free(v);
    if (res == ERR)
        return ERR;
    switch (op) {
    case WMGW__TOK_DEVICE_MEMBER_OF:
    case WMGW__TOK_DEVICE_MEMBER_OF_ANY:
    case WMGW__TOK_NOT_DEVICE_MEMBER_OF:
    case WMGW__TOK_NOT_DEVICE_MEMBER_OF_ANY:
        return WMGW_TRI_UNKNOWN; /* wmgw tokens carry no device SIDs */
    case WMGW__TOK_MEMBER_OF: return have == n;
    case WMGW__TOK_NOT_MEMBER_OF: return have != n;
    case WMGW__TOK_MEMBER_OF_ANY: return have > 0;
    default: return have == 0; /* Not_Member_of_Any */
    }
}

static int logic(uint8_t op, int a, int b)
{
    if (a == ERR || b == ERR)
        return ERR;
    if (op == WMGW__TOK_AND) {
        if (a == WMGW_TRI_FALSE || b == WMGW_TRI_FALSE)
            return WMGW_TRI_FALSE;
        return a == WMGW_TRI_UNKNOWN || b == WMGW_TRI_UNKNOWN ? WMGW_TRI_UNKNOWN : WMGW_TRI_TRUE;
    }
    if (a == WMGW_TRI_TRUE || b == WMGW_TRI_TRUE)
        return WMGW_TRI_TRUE;
    return a == WMGW_TRI_UNKNOWN || b == WMGW_TRI_UNKNOWN ? WMGW_TRI_UNKNOWN : WMGW_TRI_FALSE;
}

static int unary(uint8_t op, const struct operand *o, const struct ctx *c)
{
    if (op == WMGW__TOK_NOT) {
        int t = truth(o);
        return t == ERR || t == WMGW_TRI_UNKNOWN ? t : !t;
    }
    if (op == WMGW__TOK_EXISTS || op == WMGW__TOK_NOT_EXISTS) {
        if (o->kind != K_ATTR)
            return ERR;
        if (o->tok.code != WMGW__TOK_RESOURCE_ATTR)
            return WMGW_TRI_UNKNOWN; /* claims the token does not carry */
        return (op == WMGW__TOK_EXISTS) == o->known;
    }
    return member_of(op, o, c->tok);
}

/* Looks an attribute up: resource attributes in the SACL, others nowhere. */
static void lookup(struct operand *o, const struct ctx *c)
{
    o->known = false;
    if (o->tok.code != WMGW__TOK_RESOURCE_ATTR || c->sacl == NULL)
        return;
    for (size_t i = 0; i < c->sacl->count; i++) {
        const struct wmgw_ace *a = &c->sacl->aces[i];
        struct wmgw__claim cl;
        if (a->type != WMGW_ACE_RESOURCE_ATTRIBUTE || wmgw__claim_read(a->data, a->data_len, &cl, NULL) != 0)
            continue;
        if (wmgw__utf16_cmp(cl.name, cl.name_len, o->tok.p, o->tok.n, false) == 0) {
            o->known = true;
            o->claim = cl;
            return;
        }
    }
}

static int run(const uint8_t *d, size_t n, const struct ctx *c)
{
    struct operand stack[EVAL_STACK];
    int depth = 0;
    size_t pos = 0;
    struct wmgw__tok t;
    int rc;
    while ((rc = wmgw__tok_next(d, n, &pos, &t, NULL)) == 0) {
        enum wmgw__tok_class tc = wmgw__tok_class(t.code);
        struct operand r = {K_RESULT, 0};
        if (tc == WMGW__TC_LITERAL || tc == WMGW__TC_ATTRIBUTE) {
            r.kind = tc == WMGW__TC_LITERAL ? K_LITERAL : K_ATTR;
            r.tok = t;
            if (r.kind == K_ATTR)
                lookup(&r, c);
        } else if (tc == WMGW__TC_UNARY) {
            if (depth < 1)
                return ERR;
            r.tri = unary(t.code, &stack[--depth], c);
        } else {
            if (depth < 2)
                return ERR;
            const struct operand *lhs = &stack[depth - 2], *rhs = &stack[depth - 1];
            depth -= 2;
            r.tri = t.code == WMGW__TOK_AND || t.code == WMGW__TOK_OR ? logic(t.code, truth(lhs), truth(rhs))
                                                                       : relational(t.code, lhs, rhs);
        }
        if (r.kind == K_RESULT && r.tri == ERR)
            return ERR;
        if (depth == EVAL_STACK)
            return ERR;
        stack[depth++] = r;
    }
    if (rc < 0 || depth != 1)
        return ERR;
    return truth(&stack[0]);
}

enum wmgw_tri wmgw_access_condition(const uint8_t *data, size_t len, const struct wmgw_token *tok,
                                    const struct wmgw_acl *sacl)
{
    if (data == NULL || len < 4 || memcmp(data, WMGW__COND_SIGNATURE, 4) != 0)
        return WMGW_TRI_UNKNOWN;
    struct ctx c = {tok, sacl};
    int r = run(data + 4, len - 4, &c);
    return r == WMGW_TRI_TRUE ? WMGW_TRI_TRUE : r == WMGW_TRI_FALSE ? WMGW_TRI_FALSE : WMGW_TRI_UNKNOWN;
}
