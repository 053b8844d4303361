/*
 * sddl_cond.c: compiles the condition of a conditional ACE (MS-DTYP
 * 2.5.1.1 cond-expr, precedence of 2.5.1.3) to the binary postfix form of
 * 2.4.4.17: "artx", one token per operand and operator, zero padding.
 *
 * Recursive descent, one function per precedence level, emitting each
 * operator after its operands, which is exactly postfix order:
 *
 *   expr    = and *( "||" and )
 *   and     = unary *( "&&" unary )
 *   unary   = "!" unary / "(" expr ")" / term
 *   term    = Member_of-family sids / Exists-family attr
 *           / attr [ relop value-or-attr ]
 *
 * Attribute names: simple (local claims), or @User. @Device. @Resource.
 * and, for local claims with names the simple form cannot spell, @Local.
 * (also read as @Token., Windows' spelling).  Literals: integers (sign and
 * base kept), "strings", #octets, SID(...) and {sets}.  Keywords are
 * matched without regard to case.  White space is allowed between tokens.
 *
 * SECURITY
 *      Text is untrusted: nesting of ( and ! is limited to
 *      WMGW_SDDL_MAX_COND_DEPTH (so recursion is bounded), tokens to
 *      WMGW_SDDL_MAX_COND_TOKENS, and the output buffer has its own limit.
 */
#include "auth/sddl_int.h"

#include <string.h>
#include <strings.h>

struct cc {
    const char *s;
    size_t len, base, i;
    int depth;
    size_t tokens;
    const struct wmgw_sid_domains *dom;
    struct wmgw_buf *out;
    struct wmgw_err *err;
};

static int fail(struct cc *c, size_t at, const char *what)
{
    return wmgw_err_set_at(c->err, WMGW_EINVAL, (long)(c->base + at), "condition: %s", what);
}

static void skip_ws(struct cc *c)
{
    while (c->i < c->len && (c->s[c->i] == ' ' || (c->s[c->i] >= 0x09 && c->s[c->i] <= 0x0D)))
        c->i++;
}

static bool word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Length of the run of letters, digits and '_' at s[i]. */
static size_t word_len(const struct cc *c, size_t i)
{
    size_t n = 0;
    while (i + n < c->len && word_char(c->s[i + n]))
        n++;
    return n;
}

static int count_token(struct cc *c)
{
    if (++c->tokens > WMGW_SDDL_MAX_COND_TOKENS)
        return fail(c, c->i, "more tokens than the limit");
    return 0;
}

static int emit_byte(struct cc *c, uint8_t code)
{
    int rc = count_token(c);
    return rc ? rc : wmgw_buf_add(c->out, &code, 1);
}

/* Writes a token's byte code and a length to patch; *at gets its offset. */
static int open_sized(struct cc *c, uint8_t code, size_t *at)
{
    *at = c->out->len;
    int rc = emit_byte(c, code);
    return rc ? rc : wmgw__buf_le32(c->out, 0);
}

static void close_sized(struct cc *c, size_t at)
{
    wmgw__put32((uint8_t *)c->out->data + at + 1, (uint32_t)(c->out->len - at - 5));
}

static int out_err(struct cc *c, int rc)
{
    if (rc == WMGW_ETOOBIG || rc == WMGW_ENOMEM)
        return wmgw_err_set_at(c->err, rc, (long)(c->base + c->i), "condition: too large");
    return rc;
}

/* ---- operands ---- */

static const struct {
    const char *prefix;
    uint8_t code;
} attr_prefixes[] = {
    {"User", WMGW__TOK_USER_ATTR},         {"Device", WMGW__TOK_DEVICE_ATTR}, {"Resource", WMGW__TOK_RESOURCE_ATTR},
    {"Local", WMGW__TOK_LOCAL_ATTR},       {"Token", WMGW__TOK_LOCAL_ATTR},
};

/* An attribute name at s[i]: "@Prefix.name", or a simple name when allowed. */
static int attribute(struct cc *c, bool simple_ok)
{
    size_t start = c->i, at, units;
    uint8_t code = WMGW__TOK_LOCAL_ATTR;
    bool simple = true;
    if (c->i < c->len && c->s[c->i] == '@') {
        size_t n = word_len(c, c->i + 1);
        code = 0;
        for (size_t k = 0; k < sizeof(attr_prefixes) / sizeof(attr_prefixes[0]); k++)
            if (n == strlen(attr_prefixes[k].prefix) && strncasecmp(c->s + c->i + 1, attr_prefixes[k].prefix, n) == 0)
                code = attr_prefixes[k].code;
        if (code == 0 || c->i + 1 + n >= c->len || c->s[c->i + 1 + n] != '.')
            return fail(c, start, "expected @User., @Device., @Resource. or @Local. before an attribute name");
        c->i += n + 2;
        simple = false;
    } else if (!simple_ok) {
        return fail(c, start, "expected a value or an @-prefixed attribute");
    }
    int rc = open_sized(c, code, &at);
    if (rc != 0)
        return out_err(c, rc);
    rc = wmgw__lit_name_parse(c->s, c->len, &c->i, simple, c->out, &units, c->base, c->err);
    if (rc != 0)
        return rc;
    close_sized(c, at);
    return 0;
}

/* SID(sid-string) at s[i]. */
static int sid_literal(struct cc *c)
{
    size_t start = c->i, used;
    if (c->len - c->i < 4 || memcmp(c->s + c->i, "SID(", 4) != 0)
        return fail(c, start, "expected SID(...)");
    c->i += 4;
    struct wmgw_sid sid;
    struct wmgw_err e;
    if (wmgw_sid_parse_sddl(&sid, c->s + c->i, c->len - c->i, &used, c->dom, &e) != 0)
        return wmgw_err_set_at(c->err, WMGW_EINVAL, (long)(c->base + c->i + (size_t)(e.position > 0 ? e.position : 0)),
                               "condition: %s", e.message);
    c->i += used;
    if (c->i >= c->len || c->s[c->i] != ')')
        return fail(c, c->i, "expected ')' after the SID");
    c->i++;
    size_t at;
    uint8_t bin[WMGW_SID_MAX_BINARY];
    int rc = open_sized(c, WMGW__TOK_SID, &at);
    rc = rc ? rc : wmgw_buf_add(c->out, bin, wmgw_sid_write(&sid, bin));
    if (rc != 0)
        return out_err(c, rc);
    close_sized(c, at);
    return 0;
}

/* One value: integer, "string", #octets or SID(...). */
static int scalar(struct cc *c, bool sids_only)
{
    size_t at, n;
    char ch = c->i < c->len ? c->s[c->i] : '\0';
    if (ch == 'S' || sids_only)
        return sid_literal(c);
    int rc;
    if (ch == '"' || ch == '#') {
        rc = open_sized(c, ch == '"' ? WMGW__TOK_STRING : WMGW__TOK_OCTETS, &at);
        if (rc != 0)
            return out_err(c, rc);
        rc = ch == '"' ? wmgw__lit_string_parse(c->s, c->len, &c->i, c->out, &n, c->base, c->err)
                       : wmgw__lit_octets_parse(c->s, c->len, &c->i, c->out, &n, c->base, c->err);
        if (rc == 0)
            close_sized(c, at);
        return rc;
    }
    if (ch != '+' && ch != '-' && !(ch >= '0' && ch <= '9'))
        return fail(c, c->i, "expected a value (number, \"string\", #octets or SID(...))");
    struct wmgw__int_lit v;
    rc = wmgw__lit_int_parse(c->s, c->len, &c->i, false, &v, c->base, c->err);
    if (rc != 0)
        return rc;
    uint8_t tok[11] = {WMGW__TOK_INT64};
    wmgw__put64(tok + 1, (uint64_t)v.value);
    tok[9] = v.sign;
    tok[10] = v.base;
    rc = count_token(c);
    return rc ? rc : out_err(c, wmgw_buf_add(c->out, tok, sizeof(tok)));
}

/* A value, or "{" value *( "," value ) "}" when sets are allowed. */
static int values(struct cc *c, bool set_ok, bool sids_only)
{
    if (c->i >= c->len || c->s[c->i] != '{')
        return scalar(c, sids_only);
    if (!set_ok)
        return fail(c, c->i, "expected a single value, not a set");
    size_t at;
    int rc = open_sized(c, WMGW__TOK_COMPOSITE, &at);
    if (rc != 0)
        return out_err(c, rc);
    c->i++;
    for (;;) {
        skip_ws(c);
        rc = scalar(c, sids_only);
        if (rc != 0)
            return rc;
        skip_ws(c);
        if (c->i < c->len && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->len && c->s[c->i] == '}')
            break;
        return fail(c, c->i, "expected ',' or '}' in a set");
    }
    c->i++;
    close_sized(c, at);
    return 0;
}

/* ---- operators ---- */

static const struct {
    const char *name;
    uint8_t code;
    bool word, set_ok;
} relops[] = {
    {"==", WMGW__TOK_EQ, false, true},       {"!=", WMGW__TOK_NE, false, true},
    {"<=", WMGW__TOK_LE, false, false},      {">=", WMGW__TOK_GE, false, false},
    {"<", WMGW__TOK_LT, false, false},       {">", WMGW__TOK_GT, false, false},
    {"Contains", WMGW__TOK_CONTAINS, true, true},         {"Not_Contains", WMGW__TOK_NOT_CONTAINS, true, true},
    {"Any_of", WMGW__TOK_ANY_OF, true, true},             {"Not_Any_of", WMGW__TOK_NOT_ANY_OF, true, true},
};

static const struct {
    const char *name;
    uint8_t code;
} prefix_ops[] = {
    {"Member_of", WMGW__TOK_MEMBER_OF},
    {"Not_Member_of", WMGW__TOK_NOT_MEMBER_OF},
    {"Member_of_Any", WMGW__TOK_MEMBER_OF_ANY},
    {"Not_Member_of_Any", WMGW__TOK_NOT_MEMBER_OF_ANY},
    {"Device_Member_of", WMGW__TOK_DEVICE_MEMBER_OF},
    {"Not_Device_Member_of", WMGW__TOK_NOT_DEVICE_MEMBER_OF},
    {"Device_Member_of_Any", WMGW__TOK_DEVICE_MEMBER_OF_ANY},
    {"Not_Device_Member_of_Any", WMGW__TOK_NOT_DEVICE_MEMBER_OF_ANY},
    {"Exists", WMGW__TOK_EXISTS},
    {"Not_Exists", WMGW__TOK_NOT_EXISTS},
};

static int expr(struct cc *c);

/* attr [ relop operand ] */
static int comparison(struct cc *c)
{
    int rc = attribute(c, true);
    if (rc != 0)
        return rc;
    size_t after = c->i;
    skip_ws(c);
    for (size_t k = 0; k < sizeof(relops) / sizeof(relops[0]); k++) {
        size_t n = strlen(relops[k].name);
        if (c->len - c->i < n)
            continue;
        if (relops[k].word ? (word_len(c, c->i) != n || strncasecmp(c->s + c->i, relops[k].name, n) != 0)
                           : memcmp(c->s + c->i, relops[k].name, n) != 0)
            continue;
        if (relops[k].word && c->i == after)
            return fail(c, c->i, "expected white space before the operator");
        c->i += n;
        skip_ws(c);
        rc = c->i < c->len && c->s[c->i] == '@' ? attribute(c, false) : values(c, relops[k].set_ok, false);
        return rc ? rc : out_err(c, emit_byte(c, relops[k].code));
    }
    c->i = after; /* a bare attribute: its own logical value */
    return 0;
}

static int term(struct cc *c)
{
    size_t start = c->i, n = word_len(c, c->i);
    for (size_t k = 0; k < sizeof(prefix_ops) / sizeof(prefix_ops[0]); k++) {
        if (n != strlen(prefix_ops[k].name) || strncasecmp(c->s + start, prefix_ops[k].name, n) != 0)
            continue;
        if (start + n < c->len && c->s[start + n] != '\0' && strchr("@:./", c->s[start + n]) != NULL)
            break; /* a simple attribute name that merely starts with the word */
        c->i += n;
        skip_ws(c);
        bool exists = prefix_ops[k].code == WMGW__TOK_EXISTS || prefix_ops[k].code == WMGW__TOK_NOT_EXISTS;
        int rc = exists ? attribute(c, true) : values(c, true, true);
        return rc ? rc : out_err(c, emit_byte(c, prefix_ops[k].code));
    }
    if (start >= c->len)
        return fail(c, start, "expected a condition");
    return comparison(c);
}

static int deeper(struct cc *c)
{
    if (++c->depth > WMGW_SDDL_MAX_COND_DEPTH)
        return fail(c, c->i, "nested deeper than the limit");
    return 0;
}

static int unary(struct cc *c)
{
    skip_ws(c);
    int rc;
    if (c->i < c->len && c->s[c->i] == '!') {
        c->i++;
        if ((rc = deeper(c)) != 0 || (rc = unary(c)) != 0)
            return rc;
        c->depth--;
        return out_err(c, emit_byte(c, WMGW__TOK_NOT));
    }
    if (c->i < c->len && c->s[c->i] == '(') {
        c->i++;
        if ((rc = deeper(c)) != 0 || (rc = expr(c)) != 0)
            return rc;
        skip_ws(c);
        if (c->i >= c->len || c->s[c->i] != ')')
            return fail(c, c->i, "expected ')' or an operator (&&, ||)");
        c->i++;
        c->depth--;
        return 0;
    }
    return term(c);
}

/* One precedence level: operand *( op operand ). */
static int level(struct cc *c, const char *op, uint8_t code, int (*operand)(struct cc *))
{
    int rc = operand(c);
    while (rc == 0) {
        skip_ws(c);
        if (c->len - c->i < 2 || memcmp(c->s + c->i, op, 2) != 0)
            break;
        c->i += 2;
        rc = operand(c);
        rc = rc ? rc : out_err(c, emit_byte(c, code));
    }
    return rc;
}

static int conjunction(struct cc *c)
{
    return level(c, "&&", WMGW__TOK_AND, unary);
}

static int expr(struct cc *c)
{
    return level(c, "||", WMGW__TOK_OR, conjunction);
}

/* Whatever parses must print back as text that parses (a descriptor is
 * stored and shown as SDDL): the printer may nest a little deeper than the
 * input (precedence made explicit), so the printed text is parsed once,
 * without this check, and a condition it fails is refused here. */
static int printable(struct cc *c, size_t start)
{
    struct wmgw_buf text, again;
    wmgw_buf_init(&text, WMGW_SDDL_MAX_TEXT * 2);
    wmgw_buf_init(&again, WMGW_SDDL_MAX_TEXT * 2);
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = wmgw__cond_format((const uint8_t *)c->out->data + start, c->out->len - start, c->dom, &text, &e);
    if (rc == 0) {
        struct cc again_cc = {text.data ? text.data : "", text.len, 0, 0, 0, 0, c->dom, &again, &e};
        if (text.len == 0 || text.data[0] != '(')
            rc = WMGW_EINVAL;
        else
            rc = unary(&again_cc);
    }
    wmgw_buf_dispose(&text);
    wmgw_buf_dispose(&again);
    if (rc == WMGW_ENOMEM)
        return out_err(c, rc);
    if (rc != 0)
        return wmgw_err_set_at(c->err, WMGW_EINVAL, (long)c->base,
                               "condition: cannot be written back as SDDL within the limits (%.200s)", e.message);
    return 0;
}

int wmgw__cond_compile(const char *text, size_t len, size_t base, size_t *used, const struct wmgw_sid_domains *dom,
                       struct wmgw_buf *out, struct wmgw_err *err)
{
    struct cc c = {text, len, base, 0, 0, 0, dom, out, err};
    if (len == 0 || text[0] != '(')
        return fail(&c, 0, "expected '(' to open the condition");
    size_t start = out->len;
    int rc = wmgw_buf_add(out, WMGW__COND_SIGNATURE, 4);
    if (rc != 0)
        return out_err(&c, rc);
    rc = unary(&c); /* "(" expr ")" */
    if (rc != 0)
        return rc;
    *used = c.i;
    rc = wmgw__buf_pad4(out);
    return rc ? out_err(&c, rc) : printable(&c, start);
}
