/*
 * wql_lex.c: the WQL lexer, one token at a time (wql_int.h).
 *
 * Tokens: identifiers and keywords (keywords are identifiers compared
 * without case; "A.B" is one dotted identifier), strings in '...' or
 * "..." with \\, \' and \" as the only escapes, numbers (decimal, 0x hex,
 * signed, reals with fraction or exponent), operators and punctuation.
 * A string is decoded at its exact size and must be valid UTF-8 without
 * control characters other than TAB, CR, LF, so that what the formatter
 * writes back can always be carried (XML cannot carry the others).
 * Escapes apply in LIKE patterns too ('C:\\%' is C:\ then anything);
 * the pattern language has no escape of its own ('[%]' is a literal %).
 * Errors carry the byte offset; each token is read once: linear time.
 */
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- errors --------------------------------------------------------------- */

/* Every message ends with " at <byte offset>", the offset also in err. */
int wmgw__wql_fail_at(struct wmgw__wql_parser *p, size_t pos, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return wmgw_err_set_at(p->err, WMGW_EINVAL, (long)pos, "%s at %zu", msg, pos);
}

/* --- lexer ---------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

void wmgw__wql_drop_token(struct wmgw__wql_token *t)
{
    if (t->kind == WMGW__WQL_STRING)
        free(t->lit.u.str);
    t->kind = WMGW__WQL_END;
}

static int lex_ident(struct wmgw__wql_parser *p, size_t i)
{
    const char *s = p->s;
    for (;;) {
        while (i < p->len && ident_char(s[i]))
            i++;
        if (i >= p->len || s[i] != '.')
            break;
        if (i + 1 >= p->len || !ident_start(s[i + 1]))
            return wmgw__wql_fail_at(p, i + 1, "expected a property name after '.'");
        p->tok.dotted = true;
        i++;
    }
    p->tok.kind = WMGW__WQL_IDENT;
    p->tok.len = i - p->tok.pos;
    return 0;
}

static int lex_number(struct wmgw__wql_parser *p, size_t i)
{
    size_t used = 0;
    enum wmgw__wql_num r = wmgw__wql_scan_number(p->s + i, p->len - i, &used, &p->tok.lit);
    if (r == WMGW__WQL_NUM_RANGE)
        return wmgw__wql_fail_at(p, i, "number out of range");
    if (r == WMGW__WQL_NUM_BAD)
        return wmgw__wql_fail_at(p, i + used, "expected a digit");
    if (i + used < p->len && (ident_char(p->s[i + used]) || p->s[i + used] == '.'))
        return wmgw__wql_fail_at(p, i + used, "invalid number");
    p->tok.kind = WMGW__WQL_NUMBER;
    p->tok.len = used;
    return 0;
}

/* Finds the closing quote and the decoded length; checks the escapes. */
static int string_extent(struct wmgw__wql_parser *p, size_t start, size_t *end, size_t *decoded)
{
    char quote = p->s[start];
    size_t n = 0;
    for (size_t i = start + 1; i < p->len; i++, n++) {
        char c = p->s[i];
        if (c == quote) {
            *end = i;
            *decoded = n;
            return 0;
        }
        if (c != '\\')
            continue;
        if (i + 1 >= p->len)
            break;
        c = p->s[++i];
        if (c != '\\' && c != '\'' && c != '"') {
            if (c > ' ' && c < 0x7f)
                return wmgw__wql_fail_at(p, i - 1, "invalid escape '\\%c' (only \\\\, \\' and \\\" are escapes)", c);
            return wmgw__wql_fail_at(p, i - 1, "invalid escape (only \\\\, \\' and \\\" are escapes)");
        }
    }
    return wmgw__wql_fail_at(p, start, "unterminated string starting");
}

static int lex_string(struct wmgw__wql_parser *p, size_t start)
{
    size_t end = 0, n = 0;
    int rc = string_extent(p, start, &end, &n);
    if (rc != 0)
        return rc;
    char *str = malloc(n + 1);
    if (str == NULL)
        return wmgw_err_set(p->err, WMGW_ENOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = start + 1; i < end; i++)
        str[o++] = p->s[i] == '\\' ? p->s[++i] : p->s[i];
    str[o] = '\0';
    size_t bad = wmgw__wql_string_bad(str, o);
    if (bad < o) {
        free(str);
        /* Escapes are ASCII, so the raw text has the same bad byte. */
        size_t raw = start + 1 + wmgw__wql_string_bad(p->s + start + 1, end - start - 1);
        return wmgw__wql_fail_at(p, raw, "invalid UTF-8 or control character in string");
    }
    p->tok.kind = WMGW__WQL_STRING;
    p->tok.lit.kind = WMGW_WQL_LIT_STRING;
    p->tok.lit.u.str = str;
    p->tok.len = end + 1 - start;
    return 0;
}

static int lex_operator(struct wmgw__wql_parser *p, size_t i)
{
    static const struct {
        const char *text;
        enum wmgw__wql_tok kind;
    } ops[] = {
        /* two-character operators first */
        {"<>", WMGW__WQL_NE},     {"!=", WMGW__WQL_NE},     {"<=", WMGW__WQL_LE},    {">=", WMGW__WQL_GE},
        {"=", WMGW__WQL_EQ},      {"<", WMGW__WQL_LT},      {">", WMGW__WQL_GT},     {"(", WMGW__WQL_LPAREN},
        {")", WMGW__WQL_RPAREN},  {"{", WMGW__WQL_LBRACE},  {",", WMGW__WQL_COMMA},  {"*", WMGW__WQL_STAR},
    };
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        size_t n = strlen(ops[k].text);
        if (n <= p->len - i && memcmp(p->s + i, ops[k].text, n) == 0) {
            p->tok.kind = ops[k].kind;
            p->tok.len = n;
            return 0;
        }
    }
    unsigned char c = (unsigned char)p->s[i];
    if (c > ' ' && c < 0x7f)
        return wmgw__wql_fail_at(p, i, "unexpected character '%c'", c);
    return wmgw__wql_fail_at(p, i, "unexpected byte 0x%02X", c);
}

/* Reads the next token into p->tok, dropping the current one. */
int wmgw__wql_advance(struct wmgw__wql_parser *p)
{
    size_t i = p->next;
    wmgw__wql_drop_token(&p->tok);
    while (i < p->len && is_space(p->s[i]))
        i++;
    memset(&p->tok, 0, sizeof(p->tok));
    p->tok.pos = i;
    int rc;
    if (i >= p->len) {
        p->tok.kind = WMGW__WQL_END;
        rc = 0;
    } else {
        char c = p->s[i], d = i + 1 < p->len ? p->s[i + 1] : '\0';
        /* A sign or a '.' starts a number only when a digit follows ("-5", "-.5", ".5"). */
        bool digit_next = (d >= '0' && d <= '9') ||
                          (c != '.' && d == '.' && i + 2 < p->len && p->s[i + 2] >= '0' && p->s[i + 2] <= '9');
        if (ident_start(c))
            rc = lex_ident(p, i);
        else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+' || c == '.') && digit_next))
            rc = lex_number(p, i);
        else if (c == '\'' || c == '"')
            rc = lex_string(p, i);
        else
            rc = lex_operator(p, i);
    }
    if (rc != 0) {
        p->tok.kind = WMGW__WQL_END;
        return rc;
    }
    p->next = p->tok.pos + p->tok.len;
    return 0;
}

bool wmgw__wql_tok_is(const struct wmgw__wql_parser *p, const char *kw)
{
    const struct wmgw__wql_token *t = &p->tok;
    if (t->kind != WMGW__WQL_IDENT || t->dotted || strlen(kw) != t->len)
        return false;
    for (size_t i = 0; i < t->len; i++)
        if (wmgw__wql_fold((unsigned char)p->s[t->pos + i]) != wmgw__wql_fold((unsigned char)kw[i]))
            return false;
    return true;
}

int wmgw__wql_start(struct wmgw__wql_parser *p, const char *text, size_t len, struct wmgw_err *err)
{
    memset(p, 0, sizeof(*p));
    p->s = text;
    p->len = len;
    p->err = err;
    if (len > WMGW__WQL_MAX_LEN)
        return wmgw_err_set_at(err, WMGW_ETOOBIG, WMGW__WQL_MAX_LEN, "query longer than %d bytes",
                               WMGW__WQL_MAX_LEN);
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul != NULL)
        return wmgw__wql_fail_at(p, (size_t)(nul - text), "unexpected NUL byte");
    return wmgw__wql_advance(p);
}

