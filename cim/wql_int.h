/*
 * wql_int.h: what the WQL files (wql*.c) share and nobody else needs.
 *
 * The lexical rules live in one place (wql.c) because the parser reads
 * them and the formatter must write only what the parser reads back:
 * identifiers, reserved words, string contents and numbers.  The limits
 * bound every loop and every recursion over text or trees.
 */
#ifndef WMGW_CIM_WQL_INT_H
#define WMGW_CIM_WQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/wql.h"

struct wmgw_err;

/* Longest query or condition accepted (bytes). */
#define WMGW__WQL_MAX_LEN 65536
/* Deepest nesting the parser accepts: each '(' and each NOT counts. */
#define WMGW__WQL_MAX_DEPTH 64
/* Deepest recursion the tree walkers allow.  A tree the parser built
 * needs at most about 2 * WMGW__WQL_MAX_DEPTH + 2 (walkers iterate down
 * same-operator chains); deeper hand-built trees are refused. */
#define WMGW__WQL_WALK_DEPTH (4 * WMGW__WQL_MAX_DEPTH + 16)

/* [A-Za-z_][A-Za-z0-9_]*, or with `dotted` several joined by '.'. */
bool wmgw__wql_is_ident(const char *s, size_t n, bool dotted);
/* AND, OR, NOT, LIKE, IS, ISA, NULL, TRUE, FALSE, SELECT, FROM, WHERE. */
bool wmgw__wql_is_reserved(const char *s, size_t n);
/* An identifier that may name a property (dotted) or class (not dotted). */
bool wmgw__wql_name_ok(const char *s, bool dotted);

/* Offset of the first byte a string literal may not hold (invalid UTF-8,
 * NUL, or a control character other than TAB, LF, CR), or n if none. */
size_t wmgw__wql_string_bad(const char *s, size_t n);
/* Decodes one character at s (n > 0) and returns its length.  Ill-formed
 * bytes (util/utf8.h's maximal subpart) are one character 0xDC00 + first
 * byte, so that they match only themselves. */
size_t wmgw__wql_utf8_next(const char *s, size_t n, uint32_t *cp);
/* ASCII case folding, independent of the locale. */
uint32_t wmgw__wql_fold(uint32_t c);
int wmgw__wql_strcasecmp(const char *a, const char *b);

enum wmgw__wql_num {
    WMGW__WQL_NUM_OK,
    WMGW__WQL_NUM_BAD,   /* not a number; *used is where it went wrong */
    WMGW__WQL_NUM_RANGE, /* a number, too large for int64/uint64/double */
};
/* Scans a number at s: [+-] then 0x<hex>, or digits with an optional
 * fraction and exponent (".5" too).  On success lit is INT, UINT or REAL
 * and *used is the length scanned; nothing after it is looked at. */
enum wmgw__wql_num wmgw__wql_scan_number(const char *s, size_t n, size_t *used, struct wmgw_wql_literal *lit);

/* Shortest text that reads back as the same double; always holds '.' or
 * 'e', so it reads back as a real.  buf must hold 64 bytes. */
void wmgw__wql_real_text(double r, char *buf, size_t size);
/* The literal as a short text for messages and string comparison:
 * strings unquoted (truncated to size), TRUE/FALSE, NULL, numbers. */
void wmgw__wql_literal_text(const struct wmgw_wql_literal *lit, char *buf, size_t size);

/* --- the lexer (wql_lex.c), shared with the parser (wql_parse.c) --------- */

enum wmgw__wql_tok {
    WMGW__WQL_END,
    WMGW__WQL_IDENT,  /* identifier or keyword, maybe dotted */
    WMGW__WQL_STRING, /* tok.lit holds the decoded text */
    WMGW__WQL_NUMBER, /* tok.lit holds INT, UINT or REAL */
    WMGW__WQL_LPAREN,
    WMGW__WQL_RPAREN,
    WMGW__WQL_LBRACE,
    WMGW__WQL_COMMA,
    WMGW__WQL_STAR,
    WMGW__WQL_EQ,
    WMGW__WQL_NE,
    WMGW__WQL_LT,
    WMGW__WQL_GT,
    WMGW__WQL_LE,
    WMGW__WQL_GE,
};

struct wmgw__wql_token {
    enum wmgw__wql_tok kind;
    size_t pos, len; /* where it is in the text */
    bool dotted;
    struct wmgw_wql_literal lit; /* owned until taken */
};

struct wmgw__wql_parser {
    const char *s;
    size_t len;
    size_t next; /* where the lexer goes on */
    struct wmgw__wql_token tok;
    int depth;
    struct wmgw_err *err;
};

/* Sets up p and reads the first token; refuses text over
 * WMGW__WQL_MAX_LEN (WMGW_ETOOBIG) and NUL bytes. */
int wmgw__wql_start(struct wmgw__wql_parser *p, const char *text, size_t len, struct wmgw_err *err);
/* Reads the next token into p->tok, dropping the current one. */
int wmgw__wql_advance(struct wmgw__wql_parser *p);
void wmgw__wql_drop_token(struct wmgw__wql_token *t);
/* Is the current token the keyword kw (any case)? */
bool wmgw__wql_tok_is(const struct wmgw__wql_parser *p, const char *kw);
/* WMGW_EINVAL with "<message> at <pos>" and err->position = pos. */
int wmgw__wql_fail_at(struct wmgw__wql_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
