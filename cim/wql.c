/*
 * wql.c: the WQL vocabulary and the lifetime of WQL trees (wql.h).
 *
 * The parser (wql_parse.c) and the formatter (wql_format.c) must agree on
 * what an identifier, a reserved word, a string and a number are, or a
 * formatted query would not read back; those rules are here, once.  This
 * file also frees and copies trees.  Neither recurses without a bound:
 * freeing rotates the tree into a list, copying iterates down left
 * children and recurses only into right ones, to WMGW__WQL_WALK_DEPTH.
 *
 * The check (wql_check.c), evaluation (wql_eval.c) and text (wql_parse.c,
 * wql_format.c) live in their own files.
 */
#include "cim/wql.h"
#include "cim/wql_int.h"
#include "util/err.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- lexical rules ------------------------------------------------------ */

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

bool wmgw__wql_is_ident(const char *s, size_t n, bool dotted)
{
    bool at_start = true;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (at_start) {
            if (!ident_start(s[i]))
                return false;
            at_start = false;
        } else if (s[i] == '.' && dotted) {
            at_start = true;
        } else if (!ident_char(s[i])) {
            return false;
        }
    }
    return !at_start;
}

static const char *const reserved[] = {
    "AND", "OR", "NOT", "LIKE", "IS", "ISA", "NULL", "TRUE", "FALSE", "SELECT", "FROM", "WHERE",
};

bool wmgw__wql_is_reserved(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        const char *r = reserved[i];
        size_t j = 0;
        while (j < n && r[j] != '\0' && wmgw__wql_fold((unsigned char)s[j]) == wmgw__wql_fold((unsigned char)r[j]))
            j++;
        if (j == n && r[j] == '\0')
            return true;
    }
    return false;
}

bool wmgw__wql_name_ok(const char *s, bool dotted)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    return wmgw__wql_is_ident(s, n, dotted) && !wmgw__wql_is_reserved(s, n);
}

uint32_t wmgw__wql_fold(uint32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int wmgw__wql_strcasecmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (;; x++, y++) {
        uint32_t cx = wmgw__wql_fold(*x), cy = wmgw__wql_fold(*y);
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx == 0)
            return 0;
    }
}

size_t wmgw__wql_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    size_t len = wmgw_utf8_next(s, n, cp);
    if (*cp == WMGW_UTF8_BAD)
        *cp = 0xDC00 + (unsigned char)s[0];
    return len;
}

size_t wmgw__wql_string_bad(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = wmgw_utf8_next(s + i, n - i, &cp);
        if (cp == WMGW_UTF8_BAD || cp == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
            return i;
        i += len;
    }
    return n;
}

/* --- numbers ------------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)wmgw__wql_fold((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t count_digits(const char *s, size_t n, size_t i)
{
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i - start;
}

/* Magnitude and sign to INT or UINT; false when it fits neither. */
static bool set_integer(struct wmgw_wql_literal *lit, bool neg, uint64_t mag)
{
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return false;
        lit->kind = WMGW_WQL_LIT_INT;
        lit->u.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else if (mag > INT64_MAX) {
        lit->kind = WMGW_WQL_LIT_UINT;
        lit->u.u = mag;
    } else {
        lit->kind = WMGW_WQL_LIT_INT;
        lit->u.i = (int64_t)mag;
    }
    return true;
}

static enum wmgw__wql_num scan_hex(const char *s, size_t n, size_t i, bool neg, size_t *used,
                                   struct wmgw_wql_literal *lit)
{
    uint64_t mag = 0;
    bool overflow = false;
    size_t start = i;
    for (; i < n && hex_digit(s[i]) >= 0; i++) {
        if (mag > UINT64_MAX >> 4)
            overflow = true;
        mag = (mag << 4) | (uint64_t)hex_digit(s[i]);
    }
    *used = i;
    if (i == start)
        return WMGW__WQL_NUM_BAD;
    return overflow || !set_integer(lit, neg, mag) ? WMGW__WQL_NUM_RANGE : WMGW__WQL_NUM_OK;
}

static enum wmgw__wql_num scan_decimal_int(const char *s, size_t start, size_t end, bool neg,
                                           struct wmgw_wql_literal *lit)
{
    uint64_t mag = 0;
    for (size_t i = start; i < end; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (mag > (UINT64_MAX - d) / 10)
            return WMGW__WQL_NUM_RANGE;
        mag = mag * 10 + d;
    }
    return set_integer(lit, neg, mag) ? WMGW__WQL_NUM_OK : WMGW__WQL_NUM_RANGE;
}

/* strtod on a NUL-terminated copy (the text is not terminated). */
static enum wmgw__wql_num scan_real(const char *s, size_t len, struct wmgw_wql_literal *lit)
{
    char small[64], *tmp = len < sizeof(small) ? small : malloc(len + 1);
    if (tmp == NULL)
        return WMGW__WQL_NUM_RANGE;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    double r = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    if (!isfinite(r))
        return WMGW__WQL_NUM_RANGE;
    lit->kind = WMGW_WQL_LIT_REAL;
    lit->u.r = r;
    return WMGW__WQL_NUM_OK;
}

enum wmgw__wql_num wmgw__wql_scan_number(const char *s, size_t n, size_t *used, struct wmgw_wql_literal *lit)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        return scan_hex(s, n, i + 2, neg, used, lit);
    size_t int_start = i, int_digits = count_digits(s, n, i);
    i += int_digits;
    bool real = false;
    if (i < n && s[i] == '.') {
        size_t frac = count_digits(s, n, i + 1);
        if (frac == 0) {
            *used = i + 1;
            return WMGW__WQL_NUM_BAD;
        }
        i += 1 + frac;
        real = true;
    } else if (int_digits == 0) {
        *used = i;
        return WMGW__WQL_NUM_BAD;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t exp = count_digits(s, n, j);
        if (exp == 0) {
            *used = j;
            return WMGW__WQL_NUM_BAD;
        }
        i = j + exp;
        real = true;
    }
    *used = i;
    return real ? scan_real(s, i, lit) : scan_decimal_int(s, int_start, int_start + int_digits, neg, lit);
}

void wmgw__wql_real_text(double r, char *buf, size_t size)
{
    /* Plain decimals where they stay short ("1000.0", "0.001"), else the
     * exponent form ("1e+300"); always the fewest digits that read back
     * as the same double. */
    if (r != 0 && (fabs(r) < 1e-5 || fabs(r) >= 1e17)) {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, r);
            if (strtod(buf, NULL) == r)
                break;
        }
    } else {
        for (int decimals = 0; decimals <= 24; decimals++) {
            snprintf(buf, size, "%.*f", decimals, r);
            if (strtod(buf, NULL) == r)
                break;
        }
    }
    if (strpbrk(buf, ".eEn") == NULL) /* "5" would read back as an integer */
        strncat(buf, ".0", size - strlen(buf) - 1);
}

void wmgw__wql_literal_text(const struct wmgw_wql_literal *lit, char *buf, size_t size)
{
    switch (lit->kind) {
    case WMGW_WQL_LIT_STRING:
        snprintf(buf, size, "%s", lit->u.str ? lit->u.str : "");
        break;
    case WMGW_WQL_LIT_INT:
        snprintf(buf, size, "%lld", (long long)lit->u.i);
        break;
    case WMGW_WQL_LIT_UINT:
        snprintf(buf, size, "%llu", (unsigned long long)lit->u.u);
        break;
    case WMGW_WQL_LIT_REAL:
        wmgw__wql_real_text(lit->u.r, buf, size);
        break;
    case WMGW_WQL_LIT_BOOL:
        snprintf(buf, size, "%s", lit->u.b ? "TRUE" : "FALSE");
        break;
    default:
        snprintf(buf, size, "NULL");
        break;
    }
}

/* --- tree lifetime ------------------------------------------------------ */

static void free_node(struct wmgw_wql_expr *e)
{
    free(e->property);
    if (e->literal.kind == WMGW_WQL_LIT_STRING)
        free(e->literal.u.str);
    free(e);
}

void wmgw_wql_expr_free(struct wmgw_wql_expr *e)
{
    /* Rotate left children up until there is none, then free the node and
     * go right: every node is visited a bounded number of times, the stack
     * never grows, whatever the shape. */
    while (e != NULL) {
        struct wmgw_wql_expr *l = e->left;
        if (l != NULL) {
            e->left = l->right;
            l->right = e;
            e = l;
        } else {
            struct wmgw_wql_expr *next = e->right;
            free_node(e);
            e = next;
        }
    }
}

static int copy_node(struct wmgw_wql_expr *dst, const struct wmgw_wql_expr *src)
{
    dst->op = src->op;
    dst->literal = src->literal;
    if (src->literal.kind == WMGW_WQL_LIT_STRING && src->literal.u.str != NULL &&
        (dst->literal.u.str = strdup(src->literal.u.str)) == NULL)
        return WMGW_ENOMEM;
    if (src->property != NULL && (dst->property = strdup(src->property)) == NULL)
        return WMGW_ENOMEM;
    return 0;
}

static struct wmgw_wql_expr *copy_walk(const struct wmgw_wql_expr *e, int depth)
{
    struct wmgw_wql_expr *root = NULL, **slot = &root;
    if (depth > WMGW__WQL_WALK_DEPTH)
        return NULL;
    for (; e != NULL; e = e->left) {
        struct wmgw_wql_expr *n = calloc(1, sizeof(*n));
        *slot = n;
        if (n == NULL || copy_node(n, e) != 0)
            goto fail;
        if (e->right != NULL && (n->right = copy_walk(e->right, depth + 1)) == NULL)
            goto fail;
        slot = &n->left;
    }
    return root;
fail:
    wmgw_wql_expr_free(root);
    return NULL;
}

struct wmgw_wql_expr *wmgw_wql_expr_copy(const struct wmgw_wql_expr *e)
{
    return e == NULL ? NULL : copy_walk(e, 0);
}

void wmgw_wql_query_free(struct wmgw_wql_query *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nselect; i++)
        free(q->select[i]);
    free(q->select);
    free(q->class_name);
    wmgw_wql_expr_free(q->where);
    wmgw_cim_ref_free(q->object);
    free(q->assoc_class);
    free(q->result_class);
    free(q->role);
    free(q->result_role);
    free(q->required_qualifier);
    free(q->required_assoc_qualifier);
    free(q);
}
