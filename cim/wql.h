/*
 * wql.h: WQL as a language (MS-WMI 2.2.1), never as text.
 *
 * Queries and REST `filter` conditions from callers are parsed into this
 * tree, checked against the class schema, and written out again by
 * wmgw_wql_format(), which escapes every literal; caller text never reaches
 * a backend verbatim.  The same tree is evaluated where a backend cannot
 * filter (the 2003 dialect, the simulator).
 *
 * Supported: SELECT *|prop[,prop] FROM Class [WHERE cond];
 * ASSOCIATORS OF {path} [WHERE AssocClass=C ResultClass=C Role=P
 * ResultRole=P RequiredQualifier=Q RequiredAssocQualifier=Q ClassDefsOnly
 * KeysOnly SchemaOnly]; REFERENCES OF {path} [WHERE ResultClass=C Role=P
 * RequiredQualifier=Q ClassDefsOnly KeysOnly SchemaOnly];
 * event queries SELECT * FROM EventClass WITHIN n WHERE ... (WITHIN kept).
 * Conditions: = <> != < > <= >= between a property and a literal (either
 * side), LIKE / NOT LIKE, IS [NOT] NULL, ISA 'Class', AND, OR, NOT, ().
 * Literals: 'string' or "string" (backslash escapes \\ \' \"), integers
 * (decimal, 0x hex, signed), reals, TRUE, FALSE, NULL.
 * Property names may be dotted for embedded objects (TargetInstance.Name).
 */
#ifndef WMGW_CIM_WQL_H
#define WMGW_CIM_WQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim.h"

struct wmgw_buf;
struct wmgw_err;

enum wmgw_wql_op {
    WMGW_WQL_AND,
    WMGW_WQL_OR,
    WMGW_WQL_NOT,
    WMGW_WQL_EQ,
    WMGW_WQL_NE,
    WMGW_WQL_LT,
    WMGW_WQL_GT,
    WMGW_WQL_LE,
    WMGW_WQL_GE,
    WMGW_WQL_LIKE,
    WMGW_WQL_NOT_LIKE,
    WMGW_WQL_IS_NULL,
    WMGW_WQL_IS_NOT_NULL,
    WMGW_WQL_ISA,
};

enum wmgw_wql_lit_kind {
    WMGW_WQL_LIT_STRING,
    WMGW_WQL_LIT_INT,  /* fits int64 */
    WMGW_WQL_LIT_UINT, /* above INT64_MAX, fits uint64 */
    WMGW_WQL_LIT_REAL,
    WMGW_WQL_LIT_BOOL,
    WMGW_WQL_LIT_NULL,
};

struct wmgw_wql_literal {
    enum wmgw_wql_lit_kind kind;
    union {
        char *str;
        int64_t i;
        uint64_t u;
        double r;
        bool b;
    } u;
};

/* A condition.  Comparisons are normalised to `property op literal`
 * (a literal on the left flips the operator). */
struct wmgw_wql_expr {
    enum wmgw_wql_op op;
    struct wmgw_wql_expr *left, *right; /* AND, OR: both; NOT: left */
    char *property;                     /* comparisons, LIKE, IS, ISA */
    struct wmgw_wql_literal literal;    /* comparisons, LIKE (string), ISA (class name as string) */
};

enum wmgw_wql_kind {
    WMGW_WQL_SELECT,
    WMGW_WQL_ASSOCIATORS,
    WMGW_WQL_REFERENCES,
};

struct wmgw_wql_query {
    enum wmgw_wql_kind kind;
    /* SELECT */
    bool select_all;
    size_t nselect;
    char **select;       /* property names as written */
    char *class_name;
    struct wmgw_wql_expr *where; /* NULL when absent */
    double within;       /* event queries: WITHIN seconds, 0 when absent */
    /* ASSOCIATORS OF / REFERENCES OF */
    struct wmgw_cim_ref *object;
    char *assoc_class, *result_class, *role, *result_role;
    char *required_qualifier, *required_assoc_qualifier;
    bool class_defs_only, keys_only, schema_only;
};

/* Parses a whole query.  On a syntax error returns WMGW_EINVAL with
 * err->position = byte offset and a message naming what was expected. */
int wmgw_wql_parse(const char *text, size_t len, struct wmgw_wql_query **out, struct wmgw_err *err);
/* Parses a bare condition (a REST `filter`): what follows WHERE. */
int wmgw_wql_parse_condition(const char *text, size_t len, struct wmgw_wql_expr **out, struct wmgw_err *err);
/* Parses a property list (a REST `select`): "Name,State" or "*". */
int wmgw_wql_parse_select(const char *text, size_t len, struct wmgw_wql_query *q, struct wmgw_err *err);

void wmgw_wql_query_free(struct wmgw_wql_query *q);
void wmgw_wql_expr_free(struct wmgw_wql_expr *e);
struct wmgw_wql_expr *wmgw_wql_expr_copy(const struct wmgw_wql_expr *e);

/* Canonical text: keywords upper case, single spaces, parentheses where
 * needed, string literals in single quotes with \ and ' escaped.  What
 * format writes, parse reads back to an equal tree. */
int wmgw_wql_format(struct wmgw_buf *out, const struct wmgw_wql_query *q);
int wmgw_wql_format_condition(struct wmgw_buf *out, const struct wmgw_wql_expr *e);

/* Looks a class up by name, for checks and ISA; returns NULL if unknown. */
typedef const struct wmgw_cim_class *(*wmgw_wql_class_fn)(void *ctx, const char *class_name);

/* Checks every property named in e (and the select list of q) exists in
 * cls (system properties __CLASS, __PATH, __RELPATH, __NAMESPACE,
 * __SERVER, __GENUS, __SUPERCLASS, __DYNASTY, __DERIVATION, __PROPERTY_COUNT
 * and __this are always allowed) and that each literal fits the
 * property's type.  WMGW_EINVAL with a message on failure. */
int wmgw_wql_check(const struct wmgw_wql_expr *e, const struct wmgw_cim_class *cls, struct wmgw_err *err);
int wmgw_wql_check_query(const struct wmgw_wql_query *q, const struct wmgw_cim_class *cls, struct wmgw_err *err);

/* Evaluates e on inst: 1 true, 0 false.  String comparisons and LIKE are
 * case-insensitive as in WMI; comparisons with NULL are false; datetimes
 * compare by instant; ISA uses lookup to walk superclasses (lookup may be
 * NULL: then ISA matches the exact class only).  __CLASS and __this name
 * the instance's class. */
int wmgw_wql_eval(const struct wmgw_wql_expr *e, const struct wmgw_cim_instance *inst, wmgw_wql_class_fn lookup,
                  void *ctx);

/* True when class_name is base or derives from it (walking lookup). */
bool wmgw_wql_isa(const char *class_name, const char *base, wmgw_wql_class_fn lookup, void *ctx);

/* LIKE matching: % any run, _ one character, [abc] [a-z] [^...] sets;
 * case-insensitive (ASCII folding); UTF-8 aware for _ and sets. */
bool wmgw_wql_like(const char *text, const char *pattern);

#endif
