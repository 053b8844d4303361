/*
 * tests/unit/cim/wql.c: WQL parse, format, check and evaluation (cim/wql.h).
 *
 * Parsing is tested for trees and for errors with their byte positions;
 * formatting for its canonical text and for the round trip text -> tree ->
 * text -> tree on many inputs, including strings that try to break out of
 * their quotes; the check against a class with every CIM type; evaluation
 * on hand-built instances (64-bit extremes, datetimes with offsets, NULLs,
 * embedded objects, ISA over a three-level hierarchy); LIKE on sets, case
 * and patterns that would be exponential for a backtracking matcher.
 */
#include "cim/cim.h"
#include "cim/wql.h"
#include "tests/unit/test.h"
#include "util/buf.h"
#include "util/err.h"

#include <math.h>
#include <strings.h>
#include <time.h>

/* --- helpers -------------------------------------------------------------- */

static bool lit_equal(const struct wmgw_wql_literal *a, const struct wmgw_wql_literal *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case WMGW_WQL_LIT_STRING: return strcmp(a->u.str, b->u.str) == 0;
    case WMGW_WQL_LIT_INT: return a->u.i == b->u.i;
    case WMGW_WQL_LIT_UINT: return a->u.u == b->u.u;
    case WMGW_WQL_LIT_REAL: return a->u.r == b->u.r;
    case WMGW_WQL_LIT_BOOL: return a->u.b == b->u.b;
    default: return true;
    }
}

/* Recursive, for the test trees only (which are shallow enough). */
static bool expr_equal(const struct wmgw_wql_expr *a, const struct wmgw_wql_expr *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->op != b->op || !lit_equal(&a->literal, &b->literal))
        return false;
    if ((a->property == NULL) != (b->property == NULL) || (a->property && strcmp(a->property, b->property) != 0))
        return false;
    return expr_equal(a->left, b->left) && expr_equal(a->right, b->right);
}

static bool str_equal(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool query_equal(const struct wmgw_wql_query *a, const struct wmgw_wql_query *b)
{
    if (a->kind != b->kind || a->select_all != b->select_all || a->nselect != b->nselect ||
        !str_equal(a->class_name, b->class_name) || a->within != b->within || !expr_equal(a->where, b->where))
        return false;
    for (size_t i = 0; i < a->nselect; i++)
        if (strcmp(a->select[i], b->select[i]) != 0)
            return false;
    if ((a->object == NULL) != (b->object == NULL))
        return false;
    if (a->object && (!wmgw_cim_ref_equal(a->object, b->object) ||
                      !str_equal(a->object->namespace_, b->object->namespace_) ||
                      !str_equal(a->object->host, b->object->host)))
        return false;
    return str_equal(a->assoc_class, b->assoc_class) && str_equal(a->result_class, b->result_class) &&
           str_equal(a->role, b->role) && str_equal(a->result_role, b->result_role) &&
           str_equal(a->required_qualifier, b->required_qualifier) &&
           str_equal(a->required_assoc_qualifier, b->required_assoc_qualifier) &&
           a->class_defs_only == b->class_defs_only && a->keys_only == b->keys_only &&
           a->schema_only == b->schema_only;
}

static struct wmgw_wql_query *parse(const char *text)
{
    struct wmgw_wql_query *q = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_wql_parse(text, strlen(text), &q, &err);
    if (rc != 0)
        fprintf(stderr, "    parse(%.200s): %s\n", text, err.message);
    return q;
}

static struct wmgw_wql_expr *cond(const char *text)
{
    struct wmgw_wql_expr *e = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_wql_parse_condition(text, strlen(text), &e, &err) != 0)
        fprintf(stderr, "    parse_condition(%.200s): %s\n", text, err.message);
    return e;
}

/* Formatted text in a static buffer ("<error N>" on failure). */
static const char *fmt_query(const struct wmgw_wql_query *q)
{
    static char text[70000];
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    int rc = wmgw_wql_format(&b, q);
    if (rc != 0)
        snprintf(text, sizeof(text), "<error %d>", rc);
    else
        snprintf(text, sizeof(text), "%s", b.data);
    wmgw_buf_dispose(&b);
    return text;
}

static const char *fmt_cond(const struct wmgw_wql_expr *e)
{
    static char text[70000];
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 20);
    int rc = wmgw_wql_format_condition(&b, e);
    if (rc != 0)
        snprintf(text, sizeof(text), "<error %d>", rc);
    else
        snprintf(text, sizeof(text), "%s", b.data);
    wmgw_buf_dispose(&b);
    return text;
}

/* The canonical text of a query, "" if it does not parse. */
static const char *canon(const char *text)
{
    struct wmgw_wql_query *q = parse(text);
    const char *out = q ? fmt_query(q) : "";
    wmgw_wql_query_free(q);
    return out;
}

static const char *canon_cond(const char *text)
{
    struct wmgw_wql_expr *e = cond(text);
    const char *out = e ? fmt_cond(e) : "";
    wmgw_wql_expr_free(e);
    return out;
}

/* Parses, expecting failure at pos with msg somewhere in the message. */
static void check_error(const char *text, int code, long pos, const char *msg, int line)
{
    struct wmgw_wql_query *q = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_wql_parse(text, strlen(text), &q, &err);
    if (rc != code || err.position != pos || strstr(err.message, msg) == NULL || q != NULL) {
        fprintf(stderr, "%s:%d: parse(%s) = %d at %ld \"%s\"; expected %d at %ld \"%s\"\n", __FILE__, line, text,
                rc, err.position, err.message, code, pos, msg);
        wmgw_test__failed_checks++;
    }
    wmgw_wql_query_free(q);
}
#define CHECK_ERROR(text, pos, msg) check_error(text, WMGW_EINVAL, pos, msg, __LINE__)

static void check_cond_error(const char *text, long pos, const char *msg, int line)
{
    struct wmgw_wql_expr *e = NULL;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_wql_parse_condition(text, strlen(text), &e, &err);
    if (rc != WMGW_EINVAL || err.position != pos || strstr(err.message, msg) == NULL || e != NULL) {
        fprintf(stderr, "%s:%d: parse_condition(%s) = %d at %ld \"%s\"; expected at %ld \"%s\"\n", __FILE__, line,
                text, rc, err.position, err.message, pos, msg);
        wmgw_test__failed_checks++;
    }
    wmgw_wql_expr_free(e);
}
#define CHECK_COND_ERROR(text, pos, msg) check_cond_error(text, pos, msg, __LINE__)

/* text -> tree -> text -> tree: equal trees, identical texts. */
static void check_round_trip(const char *text, int line)
{
    struct wmgw_wql_query *a = parse(text), *b = NULL;
    char first[70000];
    if (a == NULL) {
        fprintf(stderr, "%s:%d: does not parse: %s\n", __FILE__, line, text);
        wmgw_test__failed_checks++;
        return;
    }
    snprintf(first, sizeof(first), "%s", fmt_query(a));
    b = parse(first);
    if (b == NULL || !query_equal(a, b) || strcmp(first, fmt_query(b)) != 0) {
        fprintf(stderr, "%s:%d: round trip of %s\n    via %s\n    gave %s\n", __FILE__, line, text, first,
                b ? fmt_query(b) : "(no parse)");
        wmgw_test__failed_checks++;
    }
    wmgw_wql_query_free(a);
    wmgw_wql_query_free(b);
}
#define CHECK_ROUND_TRIP(text) check_round_trip(text, __LINE__)

static struct wmgw_wql_expr *leaf(enum wmgw_wql_op op, const char *prop, const char *str)
{
    struct wmgw_wql_expr *e = calloc(1, sizeof(*e));
    e->op = op;
    e->property = prop ? strdup(prop) : NULL;
    e->literal.kind = str ? WMGW_WQL_LIT_STRING : WMGW_WQL_LIT_NULL;
    e->literal.u.str = str ? strdup(str) : NULL;
    return e;
}

static struct wmgw_wql_expr *node(enum wmgw_wql_op op, struct wmgw_wql_expr *l, struct wmgw_wql_expr *r)
{
    struct wmgw_wql_expr *e = calloc(1, sizeof(*e));
    e->op = op;
    e->left = l;
    e->right = r;
    e->literal.kind = WMGW_WQL_LIT_NULL;
    return e;
}

/* --- parsing -------------------------------------------------------------- */

static void test_parse_select(void)
{
    struct wmgw_wql_query *q = parse("SELECT * FROM Win32_Service");
    struct wmgw_err err;
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->kind, WMGW_WQL_SELECT);
        CHECK(q->select_all);
        CHECK_INT(q->nselect, 0);
        CHECK_STR(q->class_name, "Win32_Service");
        CHECK(q->where == NULL);
        CHECK(q->within == 0);
    }
    wmgw_wql_query_free(q);

    q = parse("  select Name,State ,  __PATH from\tWin32_Service\nwhere State='Running'  ");
    CHECK(q != NULL);
    if (q) {
        CHECK(!q->select_all);
        CHECK_INT(q->nselect, 3);
        CHECK_STR(q->select[0], "Name");
        CHECK_STR(q->select[1], "State");
        CHECK_STR(q->select[2], "__PATH");
        CHECK(q->where != NULL && q->where->op == WMGW_WQL_EQ);
        CHECK_STR(q->where->property, "State");
        CHECK_INT(q->where->literal.kind, WMGW_WQL_LIT_STRING);
        CHECK_STR(q->where->literal.u.str, "Running");
    }
    wmgw_wql_query_free(q);

    static const char prop_prop[] = "SELECT * FROM X WHERE TargetInstance.State <> PreviousInstance.State";
    CHECK_INT(wmgw_wql_parse(prop_prop, strlen(prop_prop), &q, &err), WMGW_EINVAL); /* not WQL */
    CHECK(q == NULL);
    q = parse("SeLeCt * FrOm __InstanceModificationEvent WiThIn 2.5 WhErE TargetInstance IsA 'Win32_Service' "
              "aNd TargetInstance.State <> 'Stopped'");
    CHECK(q != NULL);
    if (q) {
        CHECK(q->within == 2.5);
        CHECK_INT(q->where->op, WMGW_WQL_AND);
        CHECK_INT(q->where->left->op, WMGW_WQL_ISA);
        CHECK_STR(q->where->left->property, "TargetInstance");
        CHECK_STR(q->where->left->literal.u.str, "Win32_Service");
        CHECK_STR(q->where->right->property, "TargetInstance.State");
        CHECK_INT(q->where->right->op, WMGW_WQL_NE);
    }
    wmgw_wql_query_free(q);

    q = parse("SELECT * FROM meta_class WHERE __this ISA Win32_LogicalDisk");
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->where->op, WMGW_WQL_ISA);
        CHECK_STR(q->where->property, "__this");
        CHECK_STR(q->where->literal.u.str, "Win32_LogicalDisk");
    }
    wmgw_wql_query_free(q);
}

static void test_parse_precedence(void)
{
    struct wmgw_wql_expr *e = cond("a=1 OR b=2 AND c=3");
    CHECK(e && e->op == WMGW_WQL_OR && e->right->op == WMGW_WQL_AND && e->left->op == WMGW_WQL_EQ);
    wmgw_wql_expr_free(e);

    e = cond("(a=1 OR b=2) AND c=3");
    CHECK(e && e->op == WMGW_WQL_AND && e->left->op == WMGW_WQL_OR);
    wmgw_wql_expr_free(e);

    e = cond("NOT a=1 AND b=2");
    CHECK(e && e->op == WMGW_WQL_AND && e->left->op == WMGW_WQL_NOT && e->left->left->op == WMGW_WQL_EQ);
    wmgw_wql_expr_free(e);

    e = cond("NOT NOT (a=1)");
    CHECK(e && e->op == WMGW_WQL_NOT && e->left->op == WMGW_WQL_NOT && e->left->left->op == WMGW_WQL_EQ);
    wmgw_wql_expr_free(e);

    /* Chains are left-deep: ((a AND b) AND c) AND d. */
    e = cond("a=1 AND b=2 AND c=3 AND d=4");
    CHECK(e && e->op == WMGW_WQL_AND && e->right->op == WMGW_WQL_EQ && strcmp(e->right->property, "d") == 0);
    CHECK(e && e->left->op == WMGW_WQL_AND && e->left->left->op == WMGW_WQL_AND);
    CHECK(e && strcmp(e->left->left->left->property, "a") == 0);
    wmgw_wql_expr_free(e);

    e = cond("Name NOT LIKE 'x%' OR Name IS NOT NULL OR Name IS NULL");
    CHECK(e && e->left->left->op == WMGW_WQL_NOT_LIKE && e->left->right->op == WMGW_WQL_IS_NOT_NULL &&
          e->right->op == WMGW_WQL_IS_NULL);
    wmgw_wql_expr_free(e);
}

static void test_parse_literals(void)
{
    static const struct {
        const char *text;
        enum wmgw_wql_lit_kind kind;
        long long i;
        unsigned long long u;
        double r;
    } nums[] = {
        {"x = 0", WMGW_WQL_LIT_INT, 0, 0, 0},
        {"x = -0", WMGW_WQL_LIT_INT, 0, 0, 0},
        {"x = +42", WMGW_WQL_LIT_INT, 42, 0, 0},
        {"x = -42", WMGW_WQL_LIT_INT, -42, 0, 0},
        {"x = 007", WMGW_WQL_LIT_INT, 7, 0, 0},
        {"x = 0x1F", WMGW_WQL_LIT_INT, 31, 0, 0},
        {"x = 0XfF", WMGW_WQL_LIT_INT, 255, 0, 0},
        {"x = -0x10", WMGW_WQL_LIT_INT, -16, 0, 0},
        {"x = 9223372036854775807", WMGW_WQL_LIT_INT, INT64_MAX, 0, 0},
        {"x = -9223372036854775808", WMGW_WQL_LIT_INT, INT64_MIN, 0, 0},
        {"x = -0x8000000000000000", WMGW_WQL_LIT_INT, INT64_MIN, 0, 0},
        {"x = 9223372036854775808", WMGW_WQL_LIT_UINT, 0, 9223372036854775808ULL, 0},
        {"x = 18446744073709551615", WMGW_WQL_LIT_UINT, 0, UINT64_MAX, 0},
        {"x = 0xFFFFFFFFFFFFFFFF", WMGW_WQL_LIT_UINT, 0, UINT64_MAX, 0},
        {"x = 1.5", WMGW_WQL_LIT_REAL, 0, 0, 1.5},
        {"x = -.25", WMGW_WQL_LIT_REAL, 0, 0, -0.25},
        {"x = .5", WMGW_WQL_LIT_REAL, 0, 0, 0.5},
        {"x = 1e3", WMGW_WQL_LIT_REAL, 0, 0, 1000},
        {"x = 2.5E-3", WMGW_WQL_LIT_REAL, 0, 0, 0.0025},
        {"x = 1e+2", WMGW_WQL_LIT_REAL, 0, 0, 100},
        {"x=-5", WMGW_WQL_LIT_INT, -5, 0, 0},
        {"x<-5", WMGW_WQL_LIT_INT, -5, 0, 0},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        struct wmgw_wql_expr *e = cond(nums[i].text);
        CHECK(e != NULL);
        if (e == NULL)
            continue;
        if (e->literal.kind != nums[i].kind || (nums[i].kind == WMGW_WQL_LIT_INT && e->literal.u.i != nums[i].i) ||
            (nums[i].kind == WMGW_WQL_LIT_UINT && e->literal.u.u != nums[i].u) ||
            (nums[i].kind == WMGW_WQL_LIT_REAL && e->literal.u.r != nums[i].r)) {
            fprintf(stderr, "%s:%d: literal of %s\n", __FILE__, __LINE__, nums[i].text);
            wmgw_test__failed_checks++;
        }
        wmgw_wql_expr_free(e);
    }

    static const struct {
        const char *text, *value;
    } strs[] = {
        {"x = 'abc'", "abc"},
        {"x = \"abc\"", "abc"},
        {"x = ''", ""},
        {"x = 'it\\'s'", "it's"},
        {"x = \"say \\\"hi\\\"\"", "say \"hi\""},
        {"x = 'a\"b'", "a\"b"},
        {"x = \"a'b\"", "a'b"},
        {"x = 'C:\\\\Windows\\\\'", "C:\\Windows\\"},
        {"x = 'line1\nline2\ttab'", "line1\nline2\ttab"},
        {"x = 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"x = '} { ) ( -- ; /*'", "} { ) ( -- ; /*"},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        struct wmgw_wql_expr *e = cond(strs[i].text);
        CHECK(e != NULL && e->literal.kind == WMGW_WQL_LIT_STRING);
        if (e)
            CHECK_STR(e->literal.u.str, strs[i].value);
        wmgw_wql_expr_free(e);
    }

    struct wmgw_wql_expr *e = cond("a = TRUE AND b = false AND c = NULL AND d <> null AND e != NULL AND NULL = f");
    CHECK(e != NULL);
    if (e) {
        const struct wmgw_wql_expr *f = e->right, *d5 = e->left->right, *d4 = e->left->left->right;
        const struct wmgw_wql_expr *c = e->left->left->left->right, *b = e->left->left->left->left->right;
        const struct wmgw_wql_expr *a = e->left->left->left->left->left;
        CHECK(a->op == WMGW_WQL_EQ && a->literal.kind == WMGW_WQL_LIT_BOOL && a->literal.u.b);
        CHECK(b->literal.kind == WMGW_WQL_LIT_BOOL && !b->literal.u.b);
        CHECK(c->op == WMGW_WQL_IS_NULL && d4->op == WMGW_WQL_IS_NOT_NULL && d5->op == WMGW_WQL_IS_NOT_NULL);
        CHECK(f->op == WMGW_WQL_IS_NULL && strcmp(f->property, "f") == 0);
    }
    wmgw_wql_expr_free(e);
}

static void test_parse_reversed(void)
{
    static const struct {
        const char *text;
        enum wmgw_wql_op op;
    } cases[] = {
        {"5 < Count", WMGW_WQL_GT}, {"5 > Count", WMGW_WQL_LT}, {"5 <= Count", WMGW_WQL_GE},
        {"5 >= Count", WMGW_WQL_LE}, {"5 = Count", WMGW_WQL_EQ}, {"5 <> Count", WMGW_WQL_NE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wmgw_wql_expr *e = cond(cases[i].text);
        CHECK(e && e->op == cases[i].op && strcmp(e->property, "Count") == 0 && e->literal.u.i == 5);
        wmgw_wql_expr_free(e);
    }
    struct wmgw_wql_expr *e = cond("'Running' = State");
    CHECK(e && e->op == WMGW_WQL_EQ && strcmp(e->property, "State") == 0);
    wmgw_wql_expr_free(e);
    e = cond("__CLASS = Win32_Service");
    CHECK(e && e->literal.kind == WMGW_WQL_LIT_STRING && strcmp(e->literal.u.str, "Win32_Service") == 0);
    wmgw_wql_expr_free(e);
}

static void test_parse_errors(void)
{
    CHECK_ERROR("SELECT * FROM X WHERE = 5", 22, "expected a property name at 22");
    CHECK_ERROR("SELECT * FROM X WHERE ", 22, "expected a property name at 22");
    CHECK_ERROR("SELECT * FROM X WHERE Name = 'abc", 29, "unterminated string starting at 29");
    CHECK_ERROR("SELECT * FROM X WHERE Name = \"abc'", 29, "unterminated string starting at 29");
    CHECK_ERROR("SELECT * FROM X WHERE Name = 'ab\\'", 29, "unterminated string");
    CHECK_ERROR("SELECT * FROM X WHERE Name = 'C:\\Windows'", 32, "invalid escape '\\W'");
    CHECK_ERROR("SELECT * FROM X WHERE Name = 'a\\n'", 31, "invalid escape");
    CHECK_ERROR("", 0, "expected SELECT, ASSOCIATORS OF or REFERENCES OF at 0");
    CHECK_ERROR("DELETE FROM X", 0, "expected SELECT");
    CHECK_ERROR("SELECT", 6, "expected a property name or '*' at 6");
    CHECK_ERROR("SELECT FROM X", 7, "expected a property name or '*'");
    CHECK_ERROR("SELECT *, Name FROM X", 8, "expected FROM at 8");
    CHECK_ERROR("SELECT Name, FROM X", 13, "expected a property name at 13");
    CHECK_ERROR("SELECT Name State FROM X", 12, "expected FROM");
    CHECK_ERROR("SELECT * FROM", 13, "expected a class name at 13");
    CHECK_ERROR("SELECT * FROM Where", 14, "expected a class name");
    CHECK_ERROR("SELECT * FROM A.B", 14, "expected a class name");
    CHECK_ERROR("SELECT * FROM X Y", 16, "expected WITHIN, WHERE or the end of the query at 16");
    CHECK_ERROR("SELECT * FROM X WITHIN 0", 23, "expected a number of seconds");
    CHECK_ERROR("SELECT * FROM X WITHIN -1", 23, "expected a number of seconds");
    CHECK_ERROR("SELECT * FROM X WITHIN 'a'", 23, "expected a number of seconds");
    CHECK_ERROR("SELECT * FROM X WITHIN 5 Y", 25, "expected WHERE or the end of the query");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1 b = 2", 28, "expected AND, OR or the end of the query at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1 GROUP WITHIN 5", 28, "GROUP WITHIN is not supported");
    CHECK_ERROR("SELECT * FROM X WHERE a = b", 26, "expected a value at 26");
    CHECK_ERROR("SELECT * FROM X WHERE a", 23, "expected a comparison operator");
    CHECK_ERROR("SELECT * FROM X WHERE a == 1", 25, "expected a value at 25");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1abc", 27, "invalid number at 27");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1.5.3", 29, "invalid number");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1.", 28, "expected a digit at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1e", 28, "expected a digit");
    CHECK_ERROR("SELECT * FROM X WHERE a = 0x", 28, "expected a digit");
    CHECK_ERROR("SELECT * FROM X WHERE a = 18446744073709551616", 26, "number out of range at 26");
    CHECK_ERROR("SELECT * FROM X WHERE a = -9223372036854775809", 26, "number out of range");
    CHECK_ERROR("SELECT * FROM X WHERE a = 0x10000000000000000", 26, "number out of range");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1e999", 26, "number out of range");
    CHECK_ERROR("SELECT * FROM X WHERE a = - 5", 26, "unexpected character '-' at 26");
    CHECK_ERROR("SELECT * FROM X WHERE a # 5", 24, "unexpected character '#'");
    CHECK_ERROR("SELECT * FROM X WHERE a = \x01", 26, "unexpected byte 0x01");
    CHECK_ERROR("SELECT * FROM X WHERE na\xc3\xafve = 1", 24, "unexpected byte 0xC3");
    CHECK_ERROR("SELECT * FROM X WHERE a. = 1", 24, "expected a property name after '.' at 24");
    CHECK_ERROR("SELECT * FROM X WHERE a..b = 1", 24, "expected a property name after '.'");
    CHECK_ERROR("SELECT * FROM X WHERE a < NULL", 26, "NULL can only be compared with =, <>, != or IS at 26");
    CHECK_ERROR("SELECT * FROM X WHERE NULL > a", 22, "NULL can only be compared");
    CHECK_ERROR("SELECT * FROM X WHERE a LIKE 5", 29, "expected a string pattern at 29");
    CHECK_ERROR("SELECT * FROM X WHERE a LIKE 'ab[c'", 29, "unterminated '[' in the LIKE pattern starting at 29");
    CHECK_ERROR("SELECT * FROM X WHERE a NOT = 1", 28, "expected LIKE at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a IS 5", 27, "expected NULL at 27");
    CHECK_ERROR("SELECT * FROM X WHERE a IS NOT TRUE", 31, "expected NULL");
    CHECK_ERROR("SELECT * FROM X WHERE a ISA 5", 28, "expected a class name at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a ISA 'Not A Class'", 28, "expected a class name");
    CHECK_ERROR("SELECT * FROM X WHERE 5 LIKE a", 24, "expected a comparison operator");
    CHECK_ERROR("SELECT * FROM X WHERE 5 = 6", 26, "expected a property name at 26");
    CHECK_ERROR("SELECT * FROM X WHERE (a = 1", 28, "expected AND, OR or ')' at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a = 1)", 27, "expected AND, OR or the end of the query");
    CHECK_ERROR("SELECT * FROM X WHERE ()", 23, "expected a property name at 23");
    CHECK_ERROR("SELECT * FROM X WHERE NOT", 25, "expected a property name at 25");
    CHECK_ERROR("SELECT * FROM X WHERE AND = 1", 22, "expected a property name");
    CHECK_ERROR("SELECT * FROM X WHERE a = 'x'' OR 1=1 --'", 29, "expected AND, OR or the end of the query");
    CHECK_ERROR("SELECT * FROM X WHERE a = 'x\x01'", 28, "control character in string at 28");
    CHECK_ERROR("SELECT * FROM X WHERE a = 'x\xff'", 28, "invalid UTF-8");
    CHECK_ERROR("SELECT * FROM X WHERE a = 'x\xc0\xaf'", 28, "invalid UTF-8"); /* overlong '/' */
    CHECK_ERROR("SELECT * FROM X WHERE a = 'x\xed\xa0\x80'", 28, "invalid UTF-8"); /* surrogate */

    /* A NUL byte ends nothing: it is an error where it is. */
    static const char nul[] = "SELECT * FROM X WHERE a = 'b\0c'";
    struct wmgw_wql_query *q = NULL;
    struct wmgw_err err;
    CHECK_INT(wmgw_wql_parse(nul, sizeof(nul) - 1, &q, &err), WMGW_EINVAL);
    CHECK_INT(err.position, 28);
    CHECK(q == NULL);

    CHECK_COND_ERROR("", 0, "expected a property name at 0");
    CHECK_COND_ERROR("a = 1 AND", 9, "expected a property name at 9");
    CHECK_COND_ERROR("a = 1 a", 6, "expected AND, OR or the end of the condition at 6");
    CHECK_COND_ERROR("a = 1 OR OR b = 2", 9, "expected a property name");
}

static void test_parse_limits(void)
{
    char text[400];
    struct wmgw_wql_expr *e;
    struct wmgw_err err;

    /* 64 levels of nesting parse, 65 do not. */
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        text[n++] = '(';
    n += (size_t)sprintf(text + n, "a=1");
    for (int i = 0; i < 64; i++)
        text[n++] = ')';
    text[n] = '\0';
    e = cond(text);
    CHECK(e != NULL);
    CHECK_STR(fmt_cond(e), "a = 1");
    wmgw_wql_expr_free(e);
    memmove(text + 1, text, n + 1);
    text[0] = '(';
    text[n + 1] = ')';
    text[n + 2] = '\0';
    CHECK_COND_ERROR(text, 64, "condition nested too deeply (limit 64) at 64");

    /* NOTs count as nesting too. */
    n = 0;
    for (int i = 0; i < 32; i++)
        n += (size_t)sprintf(text + n, "NOT (");
    n += (size_t)sprintf(text + n, "a=1");
    for (int i = 0; i < 32; i++)
        text[n++] = ')';
    text[n] = '\0';
    e = cond(text);
    CHECK(e != NULL);
    wmgw_wql_expr_free(e);
    memmove(text + 4, text, n + 1);
    memcpy(text, "NOT ", 4);
    CHECK_COND_ERROR(text, strrchr(text, '(') - text, "nested too deeply");

    /* 64 KiB is the limit. */
    size_t big = 65536;
    char *s = malloc(big + 2);
    memset(s, ' ', big + 1);
    memcpy(s, "a = 1", 5);
    CHECK_INT(wmgw_wql_parse_condition(s, big, &e, &err), 0);
    wmgw_wql_expr_free(e);
    CHECK_INT(wmgw_wql_parse_condition(s, big + 1, &e, &err), WMGW_ETOOBIG);
    CHECK(e == NULL);
    CHECK(strstr(err.message, "longer than 65536 bytes") != NULL);
    free(s);
}

/* Thousands of terms: parse, format, copy, eval, check and free are
 * linear and need no deep recursion. */
static void test_long_chains(void)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 70000);
    wmgw_buf_addstr(&b, "a=0");
    int terms = 1;
    while (b.len < 40000) {
        wmgw_buf_printf(&b, terms % 3 ? " OR a=%d" : " AND NOT (a=%d)", terms);
        terms++;
    }
    clock_t t0 = clock();
    struct wmgw_wql_expr *e = cond(b.data), *copy = NULL;
    CHECK(e != NULL);
    if (e) {
        const char *f = fmt_cond(e);
        const char *start = "a = 0 OR a = 1 OR (a = 2 AND NOT (a = 3)) OR a = 4 OR (a = 5 AND NOT (a = 6))";
        CHECK(strncmp(f, start, strlen(start)) == 0);
        struct wmgw_wql_expr *again = cond(f);
        CHECK(expr_equal(e, again));
        wmgw_wql_expr_free(again);
        copy = wmgw_wql_expr_copy(e);
        CHECK(copy != NULL);
        struct wmgw_cim_instance *inst = wmgw_cim_instance_new("X", NULL);
        struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, "a", WMGW_CIM_SINT32);
        p->value.null = false;
        p->value.u.s = 1;
        CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 1);
        p->value.u.s = -1;
        CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
        wmgw_cim_instance_unref(inst);
        struct wmgw_cim_class *cls = wmgw_cim_class_new("X", NULL);
        wmgw_cim_class_add_prop(cls, "a", WMGW_CIM_SINT32);
        CHECK_INT(wmgw_wql_check(e, cls, NULL), 0);
        wmgw_cim_class_free(cls);
    }
    wmgw_wql_expr_free(e);
    wmgw_wql_expr_free(copy);
    wmgw_buf_dispose(&b);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

static void test_parse_select_list(void)
{
    struct wmgw_wql_query q = {0};
    struct wmgw_err err;
    CHECK_INT(wmgw_wql_parse_select("Name,State", 10, &q, &err), 0);
    CHECK(!q.select_all && q.nselect == 2 && strcmp(q.select[1], "State") == 0);
    CHECK_INT(wmgw_wql_parse_select(" * ", 3, &q, &err), 0);
    CHECK(q.select_all && q.nselect == 0);
    CHECK_INT(wmgw_wql_parse_select("A, B, C, D, E", 13, &q, &err), 0);
    CHECK(!q.select_all && q.nselect == 5 && strcmp(q.select[4], "E") == 0);
    /* A failed parse leaves q alone. */
    CHECK_INT(wmgw_wql_parse_select("Name,", 5, &q, &err), WMGW_EINVAL);
    CHECK_INT(err.position, 5);
    CHECK_INT(wmgw_wql_parse_select("", 0, &q, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "expected a property name or '*' at 0") != NULL);
    CHECK_INT(wmgw_wql_parse_select("Name State", 10, &q, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "expected ',' or the end of the list at 5") != NULL);
    CHECK_INT(wmgw_wql_parse_select("*,Name", 6, &q, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_wql_parse_select("A.B", 3, &q, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_wql_parse_select("Name; DROP", 10, &q, &err), WMGW_EINVAL);
    CHECK_INT(err.position, 4);
    CHECK(!q.select_all && q.nselect == 5);
    q.kind = WMGW_WQL_SELECT;
    q.class_name = strdup("Win32_Service");
    CHECK_STR(fmt_query(&q), "SELECT A, B, C, D, E FROM Win32_Service");
    for (size_t i = 0; i < q.nselect; i++)
        free(q.select[i]);
    free(q.select);
    free(q.class_name);
}

/* --- formatting ----------------------------------------------------------- */

static void test_format_canonical(void)
{
    CHECK_STR(canon("select name,state from win32_service where state='Running' and not startmode<>\"Auto\""),
              "SELECT name, state FROM win32_service WHERE state = 'Running' AND NOT (startmode <> 'Auto')");
    CHECK_STR(canon("SELECT * FROM __InstanceCreationEvent within 10 where TargetInstance isa \"Win32_Process\""),
              "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_Process'");
    CHECK_STR(canon("SELECT * FROM X WITHIN 0.5"), "SELECT * FROM X WITHIN 0.5");
    CHECK_STR(canon_cond("a=1 or b=2 and c=3"), "a = 1 OR (b = 2 AND c = 3)");
    CHECK_STR(canon_cond("(a=1 or b=2) and c=3"), "(a = 1 OR b = 2) AND c = 3");
    CHECK_STR(canon_cond("a=1 and (b=2 and c=3)"), "a = 1 AND (b = 2 AND c = 3)");
    CHECK_STR(canon_cond("((a=1 and b=2)) and c=3"), "a = 1 AND b = 2 AND c = 3");
    CHECK_STR(canon_cond("a=1 or (b=2 or c=3)"), "a = 1 OR (b = 2 OR c = 3)");
    CHECK_STR(canon_cond("not not a=1"), "NOT (NOT (a = 1))");
    CHECK_STR(canon_cond("not (a=1 or b=2)"), "NOT (a = 1 OR b = 2)");
    CHECK_STR(canon_cond("5 < x"), "x > 5");
    CHECK_STR(canon_cond("x = null"), "x IS NULL");
    CHECK_STR(canon_cond("null <> x"), "x IS NOT NULL");
    CHECK_STR(canon_cond("x != 1"), "x <> 1");
    CHECK_STR(canon_cond("x = 0x10"), "x = 16");
    CHECK_STR(canon_cond("x = -0x8000000000000000"), "x = -9223372036854775808");
    CHECK_STR(canon_cond("x = 18446744073709551615"), "x = 18446744073709551615");
    CHECK_STR(canon_cond("x = 1.0"), "x = 1.0");
    CHECK_STR(canon_cond("x = 1e3"), "x = 1000.0");
    CHECK_STR(canon_cond("x = .5"), "x = 0.5");
    CHECK_STR(canon_cond("x = -2.5e-7"), "x = -2.5e-07");
    CHECK_STR(canon_cond("x = 1e300"), "x = 1e+300");
    CHECK_STR(canon_cond("x = 0.1"), "x = 0.1");
    CHECK_STR(canon_cond("x = true and y = FALSE"), "x = TRUE AND y = FALSE");
    CHECK_STR(canon_cond("Name = \"it's\""), "Name = 'it\\'s'");
    CHECK_STR(canon_cond("Name = \"say \\\"hi\\\"\""), "Name = 'say \"hi\"'");
    CHECK_STR(canon_cond("Path = 'C:\\\\Windows\\\\'"), "Path = 'C:\\\\Windows\\\\'");
    CHECK_STR(canon_cond("Name like 'a[b-d]%' and Name not like '%[^x]_'"),
              "Name LIKE 'a[b-d]%' AND Name NOT LIKE '%[^x]_'");
    CHECK_STR(canon_cond("__CLASS = Win32_Service"), "__CLASS = 'Win32_Service'");
    CHECK_STR(canon_cond("__this isa Win32_Service"), "__this ISA 'Win32_Service'");
    CHECK_STR(canon_cond("TargetInstance.Name is not null"), "TargetInstance.Name IS NOT NULL");
}

static void test_round_trip(void)
{
    static const char *const queries[] = {
        "SELECT * FROM Win32_Service",
        "SELECT Name FROM Win32_Service",
        "SELECT Name, State, __PATH FROM Win32_Service WHERE State = 'Running'",
        "select * from Win32_Process where ProcessId > 4 and (Name like 'svc%' or Name = \"lsass.exe\")",
        "SELECT * FROM X WHERE a = 1 OR b = 2 AND c = 3 OR NOT d = 4",
        "SELECT * FROM X WHERE ((((a = 1))))",
        "SELECT * FROM X WHERE NOT (a = 1 AND NOT (b = 2 OR c = 3)) AND d <> 5",
        "SELECT * FROM X WHERE a = 1 AND (b = 2 AND (c = 3 AND (d = 4)))",
        "SELECT * FROM X WHERE a = 1 OR (b = 2 OR (c = 3 OR d = 4)) OR e = 5",
        "SELECT * FROM X WHERE a = -9223372036854775808 AND b = 18446744073709551615 AND c = 0",
        "SELECT * FROM X WHERE a = 1.5 AND b = -0.0 AND c = 1e-300 AND d = 4.9e-324 AND e = 1.7976931348623157e308",
        "SELECT * FROM X WHERE a = 0.1 AND b = 0.30000000000000004 AND c = 123456789012345678.0",
        "SELECT * FROM X WHERE a = TRUE AND b = FALSE AND c IS NULL AND d IS NOT NULL",
        "SELECT * FROM X WHERE 'x' = a AND 3 >= b AND c = NULL AND d <> NULL",
        "SELECT * FROM X WHERE a = 'x\\' OR 1=1 --'",
        "SELECT * FROM X WHERE a = \"x' OR '1'='1\"",
        "SELECT * FROM X WHERE a = '\\\\' AND b = '\\\\\\'' AND c = '\\'\\'\\''",
        "SELECT * FROM X WHERE a = 'multi\nline\r\nand\ttabs'",
        "SELECT * FROM X WHERE a = '\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac'",
        "SELECT * FROM X WHERE a = '}' AND b = '{' AND c = ')' AND d = '('",
        "SELECT * FROM X WHERE a LIKE '%[%]%' AND b LIKE '[^]]' AND c NOT LIKE '_[a-z0-9]%'",
        "SELECT * FROM __InstanceModificationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Service' AND "
        "TargetInstance.State = 'Stopped' AND PreviousInstance.State = 'Running'",
        "SELECT * FROM __InstanceCreationEvent WITHIN 0.25 WHERE TargetInstance ISA \"Win32_Process\"",
        "SELECT * FROM meta_class WHERE __this ISA Win32_LogicalDisk",
        "SELECT * FROM X WHERE __CLASS = X OR __CLASS <> 'Y'",
        "SELECT * FROM X WHERE Within = 1 AND Of = 2 AND Group = 3",
        "ASSOCIATORS OF {Win32_Service.Name=\"WinRM\"}",
        "ASSOCIATORS OF {Win32_Service.Name='WinRM'} WHERE AssocClass = Win32_DependentService Role = Dependent",
        "associators of {Win32_LogicalDisk.DeviceID=\"C:\"} where resultclass = Win32_Directory classdefsonly",
        "ASSOCIATORS OF {Win32_Directory.Name=\"C:\\\\a}b\"} WHERE KeysOnly",
        "ASSOCIATORS OF {\\\\HOST\\root\\cimv2:Win32_Service.Name=\"WinRM\"} WHERE ResultRole = Antecedent "
        "RequiredQualifier = Dynamic RequiredAssocQualifier = Association SchemaOnly",
        "ASSOCIATORS OF {root\\cimv2:Win32_Service.Name=\"WinRM\"}",
        "ASSOCIATORS OF {Win32_Foo.A=1,B=\"x\",C=TRUE,D=-5}",
        "ASSOCIATORS OF {Win32_Singleton=@}",
        "REFERENCES OF {Win32_Service.Name=\"WinRM\"}",
        "REFERENCES OF {Win32_Service.Name=\"WinRM\"} WHERE ResultClass = Win32_DependentService Role = Antecedent "
        "RequiredQualifier = Q KeysOnly ClassDefsOnly",
    };
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
        CHECK_ROUND_TRIP(queries[i]);
}

/* Strings built in the tree (as the REST layer builds them from caller
 * input) come back as one literal, whatever they hold. */
static void test_format_nasty_strings(void)
{
    static const char *const nasty[] = {
        "x' OR 1=1 --",
        "x\\' OR 1=1 --",
        "x\\",
        "\\",
        "'",
        "''",
        "\"",
        "\\'\\\"\\\\",
        "a'); DROP TABLE x; --",
        "} WHERE ResultClass = X",
        "line\nbreak\r\n\ttab",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "%_[]^-",
        "",
        " OR Name LIKE '%",
    };
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
        struct wmgw_wql_expr *e = node(WMGW_WQL_AND, leaf(WMGW_WQL_EQ, "Name", nasty[i]),
                                       leaf(WMGW_WQL_LIKE, "State", nasty[i]));
        struct wmgw_wql_query q = {.kind = WMGW_WQL_SELECT, .select_all = true, .class_name = "X", .where = e};
        const char *text = fmt_query(&q);
        struct wmgw_wql_query *back = parse(text);
        CHECK(back != NULL);
        if (back) {
            CHECK(expr_equal(back->where, e));
            CHECK(back->where->op == WMGW_WQL_AND && back->where->left->op == WMGW_WQL_EQ);
            CHECK_STR(back->where->left->literal.u.str, nasty[i]);
        }
        wmgw_wql_query_free(back);
        wmgw_wql_expr_free(e);
    }

    struct wmgw_wql_expr *e = leaf(WMGW_WQL_EQ, "Name", "x' OR 1=1 --");
    CHECK_STR(fmt_cond(e), "Name = 'x\\' OR 1=1 --'");
    wmgw_wql_expr_free(e);
}

/* Trees the parser could not have built are refused, not written. */
static void test_format_refuses(void)
{
    static const char *const bad_names[] = {
        "Name = 1 OR 1", "Na me", "1abc", "", "a.", ".a", "a..b", "AND", "null", "Name'", "N\xc3\xa9",
    };
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    wmgw_buf_addstr(&b, "keep");
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        struct wmgw_wql_expr *e = node(WMGW_WQL_OR, leaf(WMGW_WQL_EQ, "ok", "1"), leaf(WMGW_WQL_EQ, bad_names[i], "x"));
        CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
        CHECK_STR(b.data, "keep"); /* nothing half-written */
        wmgw_wql_expr_free(e);
    }
    struct wmgw_wql_expr *e = leaf(WMGW_WQL_EQ, "a", "bad \x01 control");
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    free(e->literal.u.str);
    e->literal.u.str = strdup("bad \xff utf8");
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->op = WMGW_WQL_ISA;
    free(e->literal.u.str);
    e->literal.u.str = strdup("Not A Class");
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->op = WMGW_WQL_LIKE;
    free(e->literal.u.str);
    e->literal.kind = WMGW_WQL_LIT_INT;
    e->literal.u.i = 5;
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->op = WMGW_WQL_LT;
    e->literal.kind = WMGW_WQL_LIT_NULL;
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->literal.kind = WMGW_WQL_LIT_REAL;
    e->literal.u.r = INFINITY;
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->literal.u.r = NAN;
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->op = (enum wmgw_wql_op)99;
    e->literal.kind = WMGW_WQL_LIT_INT;
    e->literal.u.i = 5;
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    e->op = WMGW_WQL_EQ;
    CHECK_INT(wmgw_wql_format_condition(&b, e), 0);
    CHECK_STR(b.data, "keepa = 5");
    wmgw_wql_expr_free(e);

    /* Malformed shapes. */
    e = node(WMGW_WQL_AND, leaf(WMGW_WQL_EQ, "a", "1"), NULL);
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    wmgw_wql_expr_free(e);
    e = node(WMGW_WQL_NOT, NULL, NULL);
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    wmgw_wql_expr_free(e);
    CHECK_INT(wmgw_wql_format_condition(&b, NULL), WMGW_EINVAL);

    struct wmgw_wql_query q = {.kind = WMGW_WQL_SELECT, .class_name = "X"};
    CHECK_INT(wmgw_wql_format(&b, &q), WMGW_EINVAL); /* no properties, not '*' */
    q.select_all = true;
    q.class_name = "X WHERE 1=1";
    CHECK_INT(wmgw_wql_format(&b, &q), WMGW_EINVAL);
    q.class_name = "X";
    q.within = -1;
    CHECK_INT(wmgw_wql_format(&b, &q), WMGW_EINVAL);
    q.within = 0;
    char *sel[] = {"Name", "State FROM Y"};
    q.select_all = false;
    q.select = sel;
    q.nselect = 2;
    CHECK_INT(wmgw_wql_format(&b, &q), WMGW_EINVAL);
    q.nselect = 1;
    CHECK_INT(wmgw_wql_format(&b, &q), 0);
    CHECK_STR(b.data, "keepa = 5SELECT Name FROM X");

    /* What the parser would refuse as too long is not written either. */
    struct wmgw_buf big;
    wmgw_buf_init(&big, 1 << 20);
    char *long_str = malloc(40001);
    memset(long_str, '\\', 40000);
    long_str[40000] = '\0';
    e = leaf(WMGW_WQL_EQ, "a", long_str);
    CHECK_INT(wmgw_wql_format_condition(&big, e), WMGW_ETOOBIG); /* 80000 bytes escaped */
    CHECK(big.len == 0);
    long_str[30000] = '\0';
    free(e->literal.u.str);
    e->literal.u.str = strdup(long_str);
    CHECK_INT(wmgw_wql_format_condition(&big, e), 0);
    CHECK_INT(big.len, 60006);
    wmgw_wql_expr_free(e);
    free(long_str);
    wmgw_buf_dispose(&big);

    /* Out of a small buffer: ETOOBIG, and nothing half-written. */
    struct wmgw_buf small;
    wmgw_buf_init(&small, 10);
    CHECK_INT(wmgw_wql_format(&small, &q), WMGW_ETOOBIG);
    CHECK(small.len == 0);
    wmgw_buf_dispose(&small);
    wmgw_buf_dispose(&b);
}

/* A hand-built tree far deeper than the parser builds: no walker may
 * recurse to its depth (each refuses or iterates). */
static void test_deep_hand_built(void)
{
    struct wmgw_wql_expr *e = leaf(WMGW_WQL_EQ, "a", "1");
    for (int i = 0; i < 200000; i++)
        e = node(i % 2 ? WMGW_WQL_AND : WMGW_WQL_OR, leaf(WMGW_WQL_EQ, "a", "1"), e); /* right-deep */
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 24);
    CHECK_INT(wmgw_wql_format_condition(&b, e), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
    CHECK(wmgw_wql_expr_copy(e) == NULL);
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("X", NULL);
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    struct wmgw_cim_class *cls = wmgw_cim_class_new("X", NULL);
    wmgw_cim_class_add_prop(cls, "a", WMGW_CIM_STRING);
    CHECK_INT(wmgw_wql_check(e, cls, NULL), 0);
    wmgw_cim_class_free(cls);
    wmgw_wql_expr_free(e);

    /* NOT chains and left-deep chains are walked in loops. */
    e = leaf(WMGW_WQL_EQ, "a", "1");
    for (int i = 0; i < 200000; i++)
        e = node(WMGW_WQL_NOT, e, NULL);
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0); /* even number of NOTs over a false leaf */
    struct wmgw_wql_expr *c = wmgw_wql_expr_copy(e);
    CHECK(c != NULL);
    wmgw_wql_expr_free(c);
    wmgw_wql_expr_free(e);
    wmgw_cim_instance_unref(inst);
}

static void test_copy(void)
{
    struct wmgw_wql_expr *e = cond("a = 'x' AND (b > 5 OR NOT c LIKE '%y') AND d ISA 'Z' AND e IS NULL AND f = 1.5");
    struct wmgw_wql_expr *c = wmgw_wql_expr_copy(e);
    CHECK(c != NULL && c != e && expr_equal(e, c));
    CHECK(c && c->right->property != e->right->property);
    wmgw_wql_expr_free(e);
    CHECK_STR(fmt_cond(c), "a = 'x' AND (b > 5 OR NOT (c LIKE '%y')) AND d ISA 'Z' AND e IS NULL AND f = 1.5");
    wmgw_wql_expr_free(c);
    CHECK(wmgw_wql_expr_copy(NULL) == NULL);
    wmgw_wql_expr_free(NULL);
    wmgw_wql_query_free(NULL);
}

/* --- ASSOCIATORS OF / REFERENCES OF ------------------------------------- */

static void test_assoc(void)
{
    struct wmgw_wql_query *q = parse("ASSOCIATORS OF {Win32_Service.Name=\"WinRM\"} WHERE AssocClass = "
                                     "Win32_DependentService Role=Dependent ResultRole =Antecedent "
                                     "ResultClass= Win32_Service RequiredQualifier = Q1 RequiredAssocQualifier "
                                     "= Q2 KeysOnly");
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->kind, WMGW_WQL_ASSOCIATORS);
        CHECK(q->object && strcmp(q->object->class_name, "Win32_Service") == 0 && q->object->keys.n == 1);
        CHECK_STR(q->object->keys.items[0].value.u.str, "WinRM");
        CHECK_STR(q->assoc_class, "Win32_DependentService");
        CHECK_STR(q->role, "Dependent");
        CHECK_STR(q->result_role, "Antecedent");
        CHECK_STR(q->result_class, "Win32_Service");
        CHECK_STR(q->required_qualifier, "Q1");
        CHECK_STR(q->required_assoc_qualifier, "Q2");
        CHECK(q->keys_only && !q->class_defs_only && !q->schema_only);
        CHECK_STR(fmt_query(q), "ASSOCIATORS OF {Win32_Service.Name=\"WinRM\"} WHERE AssocClass = "
                                "Win32_DependentService RequiredAssocQualifier = Q2 RequiredQualifier = Q1 "
                                "ResultClass = Win32_Service ResultRole = Antecedent Role = Dependent KeysOnly");
    }
    wmgw_wql_query_free(q);

    q = parse("REFERENCES OF { \\\\SRV1\\root\\cimv2:Win32_Service.Name='Win}RM' } where classdefsonly");
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->kind, WMGW_WQL_REFERENCES);
        CHECK_STR(q->object->host, "SRV1");
        CHECK_STR(q->object->namespace_, "root/cimv2");
        CHECK_STR(q->object->keys.items[0].value.u.str, "Win}RM");
        CHECK(q->class_defs_only);
        CHECK_STR(fmt_query(q),
                  "REFERENCES OF {\\\\SRV1\\root\\cimv2:Win32_Service.Name=\"Win}RM\"} WHERE ClassDefsOnly");
    }
    wmgw_wql_query_free(q);

    CHECK_ERROR("ASSOCIATORS {X.a=1}", 12, "expected OF at 12");
    CHECK_ERROR("ASSOCIATORS OF X.a=1", 15, "expected '{' at 15");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1", 15, "unterminated object path starting at 15");
    CHECK_ERROR("ASSOCIATORS OF {X.a=\"}", 15, "unterminated object path");
    CHECK_ERROR("ASSOCIATORS OF { }", 17, "expected an object path at 17");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1 OR 1=1}", 20,
                "invalid object path: expected a quoted string, a number, TRUE or FALSE at 20");
    CHECK_ERROR("ASSOCIATORS OF {X}", 17, "invalid object path: names a class, not an instance");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} Y", 23, "expected WHERE or the end of the query at 23");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE", 28, "expected AssocClass, ClassDefsOnly");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE Foo = Bar", 29, "expected AssocClass");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE KeysOnly Foo", 38, "expected a keyword or the end of the query");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE AssocClass Y", 40, "expected '=' at 40");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE AssocClass = 'Y'", 42, "expected a class name at 42");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE AssocClass = A.B", 42, "expected a class name");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE Role = R Role = S", 38, "Role given twice at 38");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE KeysOnly KeysOnly", 38, "KeysOnly given twice");
    CHECK_ERROR("ASSOCIATORS OF {X.a=1} WHERE ClassDefsOnly SchemaOnly", 43,
                "ClassDefsOnly and SchemaOnly cannot be combined");
    CHECK_ERROR("REFERENCES OF {X.a=1} WHERE AssocClass = A", 28, "AssocClass is not allowed in REFERENCES OF at 28");
    CHECK_ERROR("REFERENCES OF {X.a=1} WHERE ResultRole = A", 28, "ResultRole is not allowed");
    CHECK_ERROR("REFERENCES OF {X.a=1} WHERE Bad", 28, "expected ClassDefsOnly, KeysOnly, RequiredQualifier");

    /* A hand-built object whose keys hold braces and quotes stays inside. */
    struct wmgw_wql_query hq = {.kind = WMGW_WQL_ASSOCIATORS};
    hq.object = wmgw_cim_ref_new(NULL, "Win32_Directory");
    struct wmgw_cim_prop *k = wmgw_cim_proplist_add(&hq.object->keys, "Name", WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&k->value, strdup("C:\\x\"} WHERE AssocClass = Evil {"));
    hq.result_class = "Win32_Directory";
    const char *text = fmt_query(&hq);
    q = parse(text);
    CHECK(q && query_equal(q, &hq) && q->assoc_class == NULL);
    wmgw_wql_query_free(q);
    hq.result_class = "Bad Name";
    CHECK_STR(fmt_query(&hq), "<error -1>");
    hq.result_class = NULL;
    hq.kind = WMGW_WQL_REFERENCES;
    hq.result_role = "R";
    CHECK_STR(fmt_query(&hq), "<error -1>"); /* ResultRole is ASSOCIATORS only */
    hq.result_role = NULL;
    wmgw_cim_ref_free(hq.object);
    hq.object = NULL;
    CHECK_STR(fmt_query(&hq), "<error -1>");
}

/* --- check ---------------------------------------------------------------- */

static struct wmgw_cim_class *service_class(void)
{
    static const struct {
        const char *name;
        uint16_t type;
    } props[] = {
        {"Name", WMGW_CIM_STRING},          {"State", WMGW_CIM_STRING},     {"Started", WMGW_CIM_BOOLEAN},
        {"ProcessId", WMGW_CIM_UINT32},     {"U8", WMGW_CIM_UINT8},         {"S8", WMGW_CIM_SINT8},
        {"U16", WMGW_CIM_UINT16},           {"S16", WMGW_CIM_SINT16},       {"S32", WMGW_CIM_SINT32},
        {"U64", WMGW_CIM_UINT64},           {"S64", WMGW_CIM_SINT64},       {"R32", WMGW_CIM_REAL32},
        {"R64", WMGW_CIM_REAL64},           {"Letter", WMGW_CIM_CHAR16},    {"InstallDate", WMGW_CIM_DATETIME},
        {"Uptime", WMGW_CIM_DATETIME},      {"Owner", WMGW_CIM_REFERENCE},  {"Embedded", WMGW_CIM_OBJECT},
        {"Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY},
    };
    struct wmgw_cim_class *cls = wmgw_cim_class_new("Win32_Service", "root/cimv2");
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        wmgw_cim_class_add_prop(cls, props[i].name, props[i].type);
    return cls;
}

static void check_check(const struct wmgw_cim_class *cls, const char *text, const char *msg, int line)
{
    struct wmgw_wql_expr *e = cond(text);
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = e ? wmgw_wql_check(e, cls, &err) : -99;
    bool ok = msg == NULL ? rc == 0 : rc == WMGW_EINVAL && strstr(err.message, msg) != NULL;
    if (!ok) {
        fprintf(stderr, "%s:%d: check(%s) = %d \"%s\", expected \"%s\"\n", __FILE__, line, text, rc, err.message,
                msg ? msg : "ok");
        wmgw_test__failed_checks++;
    }
    wmgw_wql_expr_free(e);
}
#define CHECK_CHECK(text, msg) check_check(cls, text, msg, __LINE__)

static void test_check(void)
{
    struct wmgw_cim_class *cls = service_class();
    CHECK_CHECK("Name = 'WinRM' AND State <> 'Stopped' AND name LIKE 'w%'", NULL);
    CHECK_CHECK("Nmae = 'WinRM'", "no property 'Nmae' in class Win32_Service; did you mean 'Name'?");
    CHECK_CHECK("Colour = 'red'", "no property 'Colour' in class Win32_Service");
    CHECK_CHECK("Name = 'a' OR (State = 'b' AND Bogus = 1)", "no property 'Bogus'");
    CHECK_CHECK("__CLASS = 'Win32_Service' AND __PATH IS NOT NULL AND __GENUS = 2 AND __this ISA 'CIM_Service'", NULL);
    CHECK_CHECK("__RELPATH LIKE '%' AND __NAMESPACE = 'x' AND __SERVER = 'y' AND __SUPERCLASS = 'z'", NULL);
    CHECK_CHECK("__DYNASTY = 'x' AND __PROPERTY_COUNT > 1 AND __DERIVATION IS NULL", NULL);
    CHECK_CHECK("__GENUS = 'x'", "value 'x' is not a number for sint32 property __GENUS");
    CHECK_CHECK("__DERIVATION = 'x'", "array property __DERIVATION can only be tested with IS NULL");
    CHECK_CHECK("__this = 1", "__this can only be used with ISA");

    CHECK_CHECK("U8 = 255 AND U8 = 0 AND U8 = '200' AND U8 = 0xFF", NULL);
    CHECK_CHECK("U8 = 300", "value 300 out of range for uint8 property U8");
    CHECK_CHECK("U8 = -1", "value -1 out of range for uint8 property U8");
    CHECK_CHECK("U8 = '256'", "value '256' out of range for uint8 property U8");
    CHECK_CHECK("U8 = 'abc'", "value 'abc' is not a number for uint8 property U8");
    CHECK_CHECK("U8 = 1.5", "value 1.5 is not an integer for uint8 property U8");
    CHECK_CHECK("U8 = TRUE", "value TRUE is not a number");
    CHECK_CHECK("S8 = -128 AND S8 = 127", NULL);
    CHECK_CHECK("S8 = 128", "value 128 out of range for sint8 property S8");
    CHECK_CHECK("S8 = -129", "out of range for sint8");
    CHECK_CHECK("U16 = 65535 AND S16 = -32768", NULL);
    CHECK_CHECK("U16 = 65536", "out of range for uint16");
    CHECK_CHECK("S32 = -2147483649", "out of range for sint32");
    CHECK_CHECK("ProcessId = 4294967295", NULL);
    CHECK_CHECK("ProcessId = 4294967296", "value 4294967296 out of range for uint32 property ProcessId");
    CHECK_CHECK("U64 = 18446744073709551615 AND U64 = 0", NULL);
    CHECK_CHECK("U64 = -1", "out of range for uint64");
    CHECK_CHECK("S64 = -9223372036854775808 AND S64 = 9223372036854775807", NULL);
    CHECK_CHECK("S64 = 9223372036854775808", "value 9223372036854775808 out of range for sint64 property S64");
    CHECK_CHECK("R32 = 1.5 AND R32 < 3 AND R64 > -1e300 AND R64 = '2.5' AND R64 = 18446744073709551615", NULL);
    CHECK_CHECK("R32 = 1e39", "value 1e+39 out of range for real32 property R32");
    CHECK_CHECK("R64 = 'x'", "not a number for real64 property R64");
    CHECK_CHECK("R64 = FALSE", "not a number");

    CHECK_CHECK("Started = TRUE AND Started <> FALSE AND Started = 'true' AND Started = 'False' AND Started = 1", NULL);
    CHECK_CHECK("Started = 0", NULL);
    CHECK_CHECK("Started = 2", "value 2 is not a boolean for property Started");
    CHECK_CHECK("Started = 'yes'", "value 'yes' is not a boolean");
    CHECK_CHECK("Started < TRUE", "operator < does not apply to boolean property Started");

    CHECK_CHECK("Name = 5", "string property Name needs a quoted value, not 5");
    CHECK_CHECK("Name = TRUE", "string property Name needs a quoted value");
    CHECK_CHECK("Letter = 'a' AND Letter = '\xc3\xa9' AND Letter = 65", NULL);
    CHECK_CHECK("Letter = 'ab'", "value 'ab' is not one character for char16 property Letter");
    CHECK_CHECK("Letter = '\xf0\x9f\x98\x80'", "not one character");
    CHECK_CHECK("Letter = 70000", "not one character");

    CHECK_CHECK("InstallDate > '2024-01-01T00:00:00Z' AND InstallDate < '20250101000000.000000+000'", NULL);
    CHECK_CHECK("Uptime > 'P1DT2H'", NULL);
    CHECK_CHECK("InstallDate > 'yesterday'", "value 'yesterday' is not a datetime for property InstallDate");
    CHECK_CHECK("InstallDate > 5", "datetime property InstallDate needs a quoted datetime");

    CHECK_CHECK("Owner = 'Win32_UserAccount.Domain=\"D\",Name=\"N\"' AND Owner <> 'X.a=1'", NULL);
    CHECK_CHECK("Owner = 'not a path'", "value 'not a path' is not an object path for reference property Owner");
    CHECK_CHECK("Owner < 'X.a=1'", "operator < does not apply to reference property Owner");
    CHECK_CHECK("Owner ISA 'Win32_UserAccount'", NULL);

    CHECK_CHECK("Embedded IS NULL AND Embedded ISA 'CIM_Foo' AND Embedded.Anything = 5", NULL);
    CHECK_CHECK("Embedded = 'x'", "embedded object property Embedded can only be tested with IS NULL or ISA");
    CHECK_CHECK("Name.Length = 5", "property Name of class Win32_Service is not an embedded object");
    CHECK_CHECK("Nope.Length = 5", "no property 'Nope' in class Win32_Service");
    CHECK_CHECK("Name ISA 'X'", "ISA needs an embedded object, a reference or __this; Name is string");
    CHECK_CHECK("Tags ISA 'X'", "Tags is string[]");

    CHECK_CHECK("Tags IS NOT NULL", NULL);
    CHECK_CHECK("Tags = 'a'", "array property Tags can only be tested with IS NULL or IS NOT NULL");
    CHECK_CHECK("ProcessId LIKE '42'", NULL);
    CHECK_CHECK("ProcessId LIKE '4%'", "LIKE with wildcards needs a string property; ProcessId is uint32");
    CHECK_CHECK("ProcessId NOT LIKE '4_'", "LIKE with wildcards needs a string property");
    CHECK_CHECK("U8 LIKE '300'", "out of range for uint8 property U8");
    CHECK_CHECK("InstallDate LIKE '2024%' AND Letter LIKE '_'", NULL);

    /* Queries: the select list is checked too. */
    struct wmgw_wql_query *q = parse("SELECT Name, Stat FROM Win32_Service WHERE Name = 'x'");
    struct wmgw_err err;
    CHECK_INT(wmgw_wql_check_query(q, cls, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "no property 'Stat' in class Win32_Service; did you mean 'State'?") != NULL);
    wmgw_wql_query_free(q);
    q = parse("SELECT Name, __PATH FROM Win32_Service WHERE U8 = 256");
    CHECK_INT(wmgw_wql_check_query(q, cls, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "value 256 out of range for uint8 property U8") != NULL);
    wmgw_wql_query_free(q);
    q = parse("SELECT * FROM Win32_Service");
    CHECK_INT(wmgw_wql_check_query(q, cls, &err), 0);
    wmgw_wql_query_free(q);
    q = parse("ASSOCIATORS OF {Win32_Service.Name='x'}");
    CHECK_INT(wmgw_wql_check_query(q, cls, &err), 0);
    wmgw_wql_query_free(q);
    CHECK_INT(wmgw_wql_check(NULL, cls, &err), 0);
    wmgw_cim_class_free(cls);
}

/* --- evaluation ----------------------------------------------------------- */

static struct wmgw_cim_value *put(struct wmgw_cim_instance *inst, const char *name, uint16_t type)
{
    struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, name, type);
    p->value.null = false;
    return &p->value;
}

static void put_str(struct wmgw_cim_instance *inst, const char *name, uint16_t type, const char *s)
{
    put(inst, name, type)->u.str = strdup(s);
}

static struct wmgw_cim_instance *service(void)
{
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new("Win32_Service", "root/cimv2");
    put_str(inst, "Name", WMGW_CIM_STRING, "WinRM");
    put_str(inst, "State", WMGW_CIM_STRING, "Running");
    put(inst, "Started", WMGW_CIM_BOOLEAN)->u.b = true;
    put(inst, "ProcessId", WMGW_CIM_UINT32)->u.u = 1234;
    put(inst, "U8", WMGW_CIM_UINT8)->u.u = 255;
    put(inst, "S8", WMGW_CIM_SINT8)->u.s = -128;
    put(inst, "U64", WMGW_CIM_UINT64)->u.u = UINT64_MAX;
    put(inst, "U64b", WMGW_CIM_UINT64)->u.u = 9223372036854775808ULL;
    put(inst, "S64", WMGW_CIM_SINT64)->u.s = INT64_MIN;
    put(inst, "S64max", WMGW_CIM_SINT64)->u.s = INT64_MAX;
    put(inst, "S64odd", WMGW_CIM_SINT64)->u.s = 9007199254740993LL; /* 2^53 + 1: no double holds it */
    put(inst, "R32", WMGW_CIM_REAL32)->u.r = 1.5;
    put(inst, "R64", WMGW_CIM_REAL64)->u.r = -0.25;
    put(inst, "RNaN", WMGW_CIM_REAL64)->u.r = NAN;
    put(inst, "Letter", WMGW_CIM_CHAR16)->u.c16 = 'q';
    put(inst, "Euro", WMGW_CIM_CHAR16)->u.c16 = 0x20AC;
    put_str(inst, "InstallDate", WMGW_CIM_DATETIME, "20240102040405.000000+060"); /* 03:04:05Z */
    put_str(inst, "Uptime", WMGW_CIM_DATETIME, "00000001020304.500000:000");
    put_str(inst, "Wild", WMGW_CIM_DATETIME, "2024**02040405.000000+060");
    put(inst, "Nothing", WMGW_CIM_STRING)->null = true;
    put(inst, "NoNumber", WMGW_CIM_UINT32)->null = true;
    put_str(inst, "Path", WMGW_CIM_STRING, "C:\\Windows\\System32");
    put_str(inst, "Unicode", WMGW_CIM_STRING, "Caf\xc3\xa9 \xe2\x82\xac");
    put_str(inst, "Version", WMGW_CIM_STRING, "10");

    struct wmgw_cim_ref *owner = wmgw_cim_ref_new("root/cimv2", "Win32_UserAccount");
    wmgw_cim_value_set_string(&wmgw_cim_proplist_add(&owner->keys, "Domain", WMGW_CIM_STRING)->value, strdup("D"));
    wmgw_cim_value_set_string(&wmgw_cim_proplist_add(&owner->keys, "Name", WMGW_CIM_STRING)->value, strdup("Bob"));
    put(inst, "Owner", WMGW_CIM_REFERENCE)->u.ref = owner;

    struct wmgw_cim_instance *emb = wmgw_cim_instance_new("Win32_Process", NULL);
    put_str(emb, "Name", WMGW_CIM_STRING, "svchost.exe");
    put(emb, "Handles", WMGW_CIM_UINT32)->u.u = 500;
    put(inst, "Embedded", WMGW_CIM_OBJECT)->u.obj = emb;

    struct wmgw_cim_value *tags = put(inst, "Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY);
    tags->u.arr.n = 1;
    tags->u.arr.v = calloc(1, sizeof(struct wmgw_cim_value));
    tags->u.arr.v[0].type = WMGW_CIM_STRING;
    tags->u.arr.v[0].u.str = strdup("a");
    return inst;
}

/* Three levels: CIM_ManagedSystemElement <- CIM_Service <- Win32_BaseService
 * <- Win32_Service; Win32_Process <- CIM_Process <- CIM_ManagedSystemElement. */
static const struct wmgw_cim_class *lookup(void *ctx, const char *name)
{
    struct wmgw_cim_class **classes = ctx;
    for (size_t i = 0; classes[i] != NULL; i++)
        if (strcasecmp(classes[i]->name, name) == 0)
            return classes[i];
    return NULL;
}

static struct wmgw_cim_class *make_class(const char *name, const char *super)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new(name, NULL);
    c->superclass = super ? strdup(super) : NULL;
    return c;
}

static struct wmgw_cim_class *classes[8];

static void check_eval(const struct wmgw_cim_instance *inst, const char *text, int expect, int line)
{
    struct wmgw_wql_expr *e = cond(text);
    int got = e ? wmgw_wql_eval(e, inst, lookup, classes) : -99;
    if (got != expect) {
        fprintf(stderr, "%s:%d: eval(%s) = %d, expected %d\n", __FILE__, line, text, got, expect);
        wmgw_test__failed_checks++;
    }
    wmgw_wql_expr_free(e);
}
#define CHECK_EVAL(text, expect) check_eval(inst, text, expect, __LINE__)

static void setup_classes(void)
{
    classes[0] = make_class("CIM_ManagedSystemElement", NULL);
    classes[1] = make_class("CIM_Service", "CIM_ManagedSystemElement");
    classes[2] = make_class("Win32_BaseService", "CIM_Service");
    classes[3] = make_class("Win32_Service", "Win32_BaseService");
    classes[4] = make_class("CIM_Process", "CIM_ManagedSystemElement");
    classes[5] = make_class("Win32_Process", "CIM_Process");
    classes[6] = NULL;
}

static void teardown_classes(void)
{
    for (size_t i = 0; classes[i] != NULL; i++)
        wmgw_cim_class_free(classes[i]);
}

static void test_eval_strings_and_logic(void)
{
    struct wmgw_cim_instance *inst = service();
    CHECK_EVAL("Name = 'WinRM'", 1);
    CHECK_EVAL("name = 'winrm'", 1);
    CHECK_EVAL("Name = 'WINRM '", 0);
    CHECK_EVAL("Name <> 'winrm'", 0);
    CHECK_EVAL("Name < 'X' AND Name > 'wINRL' AND Name >= 'winrm' AND Name <= 'WINRM'", 1);
    CHECK_EVAL("'x' > Name", 1);
    CHECK_EVAL("Version = 10", 1); /* the literal's text */
    CHECK_EVAL("Path = 'C:\\\\WINDOWS\\\\system32'", 1);
    CHECK_EVAL("Unicode = 'caf\xc3\xa9 \xe2\x82\xac'", 1);
    CHECK_EVAL("Name = 'WinRM' AND State = 'Running'", 1);
    CHECK_EVAL("Name = 'WinRM' AND State = 'Stopped'", 0);
    CHECK_EVAL("Name = 'x' OR State = 'Running'", 1);
    CHECK_EVAL("Name = 'x' OR State = 'y'", 0);
    CHECK_EVAL("NOT Name = 'x'", 1);
    CHECK_EVAL("NOT (Name = 'WinRM' AND State = 'Running')", 0);
    CHECK_EVAL("NOT NOT Name = 'WinRM'", 1);
    CHECK_EVAL("(Name = 'x' OR Name = 'WinRM') AND NOT (State = 'Stopped' OR State = 'Paused')", 1);
    CHECK_EVAL("Name = 'x' OR Name = 'y' OR Name = 'z' OR Name = 'winrm'", 1);
    CHECK_EVAL("Name = 'winrm' AND State = 'running' AND Started = TRUE AND ProcessId = 1234", 1);
    CHECK_EVAL("__CLASS = 'win32_service'", 1);
    CHECK_EVAL("__CLASS = Win32_Service", 1);
    CHECK_EVAL("__NAMESPACE = 'root/cimv2'", 1);
    CHECK_EVAL("__PATH IS NULL", 1);
    CHECK(wmgw_wql_eval(NULL, inst, NULL, NULL) == 1);
    wmgw_cim_instance_unref(inst);
}

static void test_eval_nulls(void)
{
    struct wmgw_cim_instance *inst = service();
    /* Comparisons with a NULL or missing property are all false... */
    static const char *const never[] = {
        "Nothing = 'x'", "Nothing <> 'x'", "Nothing < 'x'", "Nothing >= ''", "Nothing LIKE '%'",
        "Nothing NOT LIKE 'x'", "NoNumber = 0", "NoNumber <> 0", "Missing = 1", "Missing <> 1",
        "Missing LIKE '%'", "Nothing ISA 'X'",
    };
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        CHECK_EVAL(never[i], 0);
    /* ...and NULL tests say what they mean. */
    CHECK_EVAL("Nothing IS NULL", 1);
    CHECK_EVAL("Nothing = NULL", 1);
    CHECK_EVAL("NULL = Nothing", 1);
    CHECK_EVAL("Nothing IS NOT NULL", 0);
    CHECK_EVAL("Nothing <> NULL", 0);
    CHECK_EVAL("Missing IS NULL", 1);
    CHECK_EVAL("Name IS NULL", 0);
    CHECK_EVAL("Name != NULL", 1);
    CHECK_EVAL("Tags IS NOT NULL", 1);
    CHECK_EVAL("NOT Nothing = 'x'", 1); /* two-valued: NOT false is true */
    wmgw_cim_instance_unref(inst);
}

static void test_eval_numbers(void)
{
    struct wmgw_cim_instance *inst = service();
    CHECK_EVAL("ProcessId = 1234 AND ProcessId > 1233 AND ProcessId < 1235 AND ProcessId >= 1234", 1);
    CHECK_EVAL("ProcessId = '1234'", 1); /* a string literal is read as a number */
    CHECK_EVAL("ProcessId = ' 1234 '", 1);
    CHECK_EVAL("ProcessId = '0x4D2'", 1);
    CHECK_EVAL("ProcessId = 'abc'", 0);
    CHECK_EVAL("ProcessId <> 'abc'", 0); /* not comparable: false both ways */
    CHECK_EVAL("ProcessId = 1234.0", 1);
    CHECK_EVAL("ProcessId < 1234.5 AND ProcessId > 1233.5", 1);
    CHECK_EVAL("ProcessId = 1234.5", 0);
    CHECK_EVAL("ProcessId > -1", 1);
    CHECK_EVAL("ProcessId > -9223372036854775808", 1);
    CHECK_EVAL("ProcessId < 18446744073709551615", 1);
    CHECK_EVAL("U8 = 255 AND U8 = 0xFF AND U8 > 254", 1);
    CHECK_EVAL("U8 = 300", 0);
    CHECK_EVAL("U8 < 300", 1);
    CHECK_EVAL("S8 = -128 AND S8 < 0 AND S8 < -127 AND S8 > -129", 1);
    CHECK_EVAL("S8 < 18446744073709551615", 1);

    /* 64-bit extremes, signed against unsigned, exactly. */
    CHECK_EVAL("U64 = 18446744073709551615", 1);
    CHECK_EVAL("U64 = 0xFFFFFFFFFFFFFFFF", 1);
    CHECK_EVAL("U64 > 18446744073709551614", 1);
    CHECK_EVAL("U64 > 9223372036854775807", 1);
    CHECK_EVAL("U64 > -1", 1);
    CHECK_EVAL("U64 > -9223372036854775808", 1);
    CHECK_EVAL("U64 = -1", 0);
    CHECK_EVAL("U64b = 9223372036854775808 AND U64b > 9223372036854775807 AND U64b < 9223372036854775809", 1);
    CHECK_EVAL("S64 = -9223372036854775808", 1);
    CHECK_EVAL("S64 = -0x8000000000000000", 1);
    CHECK_EVAL("S64 < -9223372036854775807", 1);
    CHECK_EVAL("S64 < 0 AND S64 < 18446744073709551615 AND S64 <> 9223372036854775808", 1);
    CHECK_EVAL("S64max = 9223372036854775807 AND S64max < 9223372036854775808", 1);
    /* Through a double these would all be wrong: */
    CHECK_EVAL("U64 = 18446744073709551616.0", 0);   /* 2^64 as a double */
    CHECK_EVAL("U64 < 18446744073709551616.0", 1);
    CHECK_EVAL("U64 < 1e30", 1);
    CHECK_EVAL("S64max = 9223372036854775808.0", 0); /* 2^63 */
    CHECK_EVAL("S64max < 9223372036854775808.0", 1);
    CHECK_EVAL("S64 = -9223372036854775808.0", 1);   /* -2^63 is exact */
    CHECK_EVAL("S64 > -1e300", 1);
    CHECK_EVAL("S64odd = 9007199254740992.0", 0);
    CHECK_EVAL("S64odd > 9007199254740992.0", 1);
    CHECK_EVAL("S64odd = 9007199254740993", 1);
    CHECK_EVAL("S64odd = '9007199254740993'", 1);
    CHECK_EVAL("S64odd <> 9007199254740992", 1);

    CHECK_EVAL("R32 = 1.5 AND R32 = '1.5' AND R32 > 1 AND R32 < 2 AND R32 = 1.50", 1);
    CHECK_EVAL("R64 = -0.25 AND R64 < 0 AND R64 > -1 AND R64 <> 0", 1);
    CHECK_EVAL("R64 < 9223372036854775807 AND R64 > -9223372036854775808", 1);
    CHECK_EVAL("RNaN = 1 OR RNaN <> 1 OR RNaN < 1 OR RNaN > 1 OR RNaN = 'NaN'", 0);

    CHECK_EVAL("Started = TRUE AND Started <> FALSE AND Started = 'true' AND Started = 'TRUE' AND Started = 1", 1);
    CHECK_EVAL("Started = FALSE OR Started = 'false' OR Started = 0 OR Started <> TRUE", 0);
    CHECK_EVAL("Started = 2 OR Started <> 2 OR Started = 'yes'", 0);

    CHECK_EVAL("Letter = 'q' AND Letter = 'Q' AND Letter = 113 AND Letter > 'a' AND Letter < 'r'", 1);
    CHECK_EVAL("Euro = '\xe2\x82\xac' AND Euro = 8364", 1);
    CHECK_EVAL("Letter = 'qq'", 0);
    wmgw_cim_instance_unref(inst);
}

static void test_eval_datetime(void)
{
    struct wmgw_cim_instance *inst = service();
    /* 04:04:05+01:00 is 03:04:05Z, whichever way it is written. */
    CHECK_EVAL("InstallDate = '2024-01-02T03:04:05Z'", 1);
    CHECK_EVAL("InstallDate = '2024-01-02T04:04:05+01:00'", 1);
    CHECK_EVAL("InstallDate = '2024-01-01T22:04:05-05:00'", 1);
    CHECK_EVAL("InstallDate = '20240102030405.000000+000'", 1);
    CHECK_EVAL("InstallDate = '20240101220405.000000-300'", 1);
    CHECK_EVAL("InstallDate = '2024-01-02T04:04:05Z'", 0);
    CHECK_EVAL("InstallDate > '2024-01-02T03:04:04.999999Z' AND InstallDate < '2024-01-02T03:04:05.000001Z'", 1);
    CHECK_EVAL("InstallDate > '2023-12-31T23:59:59Z' AND InstallDate < '2025-01-01T00:00:00Z'", 1);
    CHECK_EVAL("InstallDate >= '2024-01-02T05:00:00+02:00'", 1); /* 03:00Z */
    CHECK_EVAL("InstallDate > '2024-02-29T00:00:00Z'", 0);
    CHECK_EVAL("InstallDate = 'yesterday' OR InstallDate <> 'yesterday'", 0);
    CHECK_EVAL("InstallDate = 'P1D'", 0); /* a timestamp is no interval */
    CHECK_EVAL("InstallDate LIKE '20240102%'", 1);
    CHECK_EVAL("Uptime = 'P1DT2H3M4.5S' AND Uptime > 'P1D' AND Uptime < 'P2D'", 1);
    CHECK_EVAL("Uptime = '00000001020304.500000:000'", 1);
    CHECK_EVAL("Wild = '2024-01-02T03:04:05Z' OR Wild <> '2024-01-02T03:04:05Z'", 0);
    wmgw_cim_instance_unref(inst);
}

static void test_eval_objects(void)
{
    struct wmgw_cim_instance *inst = service();
    CHECK_EVAL("Owner = 'Win32_UserAccount.Domain=\"D\",Name=\"Bob\"'", 1);
    CHECK_EVAL("Owner = 'Win32_UserAccount.Name=\"bob\",Domain=\"d\"'", 1);
    CHECK_EVAL("Owner = 'Win32_UserAccount.Domain=\"D\",Name=\"Alice\"'", 0);
    CHECK_EVAL("Owner <> 'Win32_UserAccount.Domain=\"D\",Name=\"Alice\"'", 1);
    CHECK_EVAL("Owner = 'garbage' OR Owner <> 'garbage'", 0);
    CHECK_EVAL("Embedded.Name = 'SVCHOST.EXE' AND Embedded.Handles > 499", 1);
    CHECK_EVAL("Embedded.Missing IS NULL AND Name.Length IS NULL AND Embedded.Name.X IS NULL", 1);
    CHECK_EVAL("Embedded.__CLASS = 'Win32_Process'", 1);
    CHECK_EVAL("Embedded = 'x' OR Embedded <> 'x' OR Tags = 'a' OR Tags <> 'a' OR Tags LIKE '%'", 0);
    /* ISA over the hierarchy. */
    CHECK_EVAL("Embedded ISA 'Win32_Process'", 1);
    CHECK_EVAL("Embedded ISA 'CIM_Process' AND Embedded ISA 'cim_managedsystemelement'", 1);
    CHECK_EVAL("Embedded ISA 'CIM_Service'", 0);
    CHECK_EVAL("__this ISA 'Win32_Service' AND __this ISA 'Win32_BaseService' AND __this ISA 'CIM_Service'", 1);
    CHECK_EVAL("__this ISA 'CIM_ManagedSystemElement'", 1);
    CHECK_EVAL("__this ISA 'CIM_Process'", 0);
    CHECK_EVAL("__this ISA 'Unknown'", 0);
    CHECK_EVAL("Owner ISA 'Win32_UserAccount'", 1);
    CHECK_EVAL("Name ISA 'String'", 0);

    CHECK(wmgw_wql_isa("Win32_Service", "CIM_ManagedSystemElement", lookup, classes));
    CHECK(wmgw_wql_isa("win32_service", "WIN32_SERVICE", NULL, NULL));
    CHECK(!wmgw_wql_isa("Win32_Service", "CIM_Service", NULL, NULL)); /* no lookup: exact only */
    CHECK(!wmgw_wql_isa("Unknown", "CIM_Service", lookup, classes));
    CHECK(!wmgw_wql_isa(NULL, "CIM_Service", lookup, classes));

    /* A superclass loop ends. */
    struct wmgw_cim_class *loop[3] = {make_class("A", "B"), make_class("B", "A"), NULL};
    CHECK(!wmgw_wql_isa("A", "C", lookup, loop));
    CHECK(wmgw_wql_isa("A", "B", lookup, loop));
    wmgw_cim_class_free(loop[0]);
    wmgw_cim_class_free(loop[1]);

    /* Without a lookup, eval's ISA is exact. */
    struct wmgw_wql_expr *e = cond("__this ISA 'CIM_Service'");
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    wmgw_wql_expr_free(e);
    e = cond("__this ISA 'Win32_Service'");
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 1);
    wmgw_wql_expr_free(e);
    wmgw_cim_instance_unref(inst);
}

static void test_eval_like(void)
{
    struct wmgw_cim_instance *inst = service();
    CHECK_EVAL("Name LIKE 'win%'", 1);
    CHECK_EVAL("Name LIKE 'W_NRM'", 1);
    CHECK_EVAL("Name NOT LIKE 'win%'", 0);
    CHECK_EVAL("Name NOT LIKE 'x%'", 1);
    CHECK_EVAL("Path LIKE 'c:\\\\windows\\\\%'", 1);
    CHECK_EVAL("ProcessId LIKE '1234'", 1); /* '=' on numbers */
    CHECK_EVAL("ProcessId LIKE '1235'", 0);
    CHECK_EVAL("ProcessId NOT LIKE '1235'", 1);
    CHECK_EVAL("Letter LIKE 'Q' AND Letter LIKE '_' AND Letter LIKE '[p-r]'", 1);
    CHECK_EVAL("Euro LIKE '_' AND Euro LIKE '\xe2\x82\xac'", 1);
    CHECK_EVAL("Unicode LIKE 'caf_ _'", 1);
    CHECK_EVAL("Unicode LIKE 'CAF\xc3\xa9%'", 1);
    wmgw_cim_instance_unref(inst);
}

static void test_like(void)
{
    static const struct {
        const char *text, *pattern;
        bool match;
    } cases[] = {
        {"", "", true},
        {"", "%", true},
        {"", "%%%", true},
        {"", "_", false},
        {"a", "", false},
        {"abc", "abc", true},
        {"abc", "ABC", true},
        {"ABC", "abc", true},
        {"abc", "ab", false},
        {"abc", "abcd", false},
        {"abc", "a%", true},
        {"abc", "%c", true},
        {"abc", "%b%", true},
        {"abc", "%d%", false},
        {"abc", "a%b%c", true},
        {"abc", "a%%c", true},
        {"abc", "___", true},
        {"abc", "__", false},
        {"abc", "____", false},
        {"abc", "_%_", true},
        {"ab", "_%_%_", false},
        {"mississippi", "%issip%", true},
        {"mississippi", "m%iss%ppi", true},
        {"mississippi", "%ss%ss%ss%", false},
        {"aXb", "a[xyz]b", true},
        {"aXb", "a[^xyz]b", false},
        {"aQb", "a[^xyz]b", true},
        {"a5b", "a[0-9]b", true},
        {"a5b", "a[a-f]b", false},
        {"aDb", "a[a-f]b", true},
        {"adb", "a[A-F]b", true},
        {"adb", "a[a=f]b", true},
        {"a-b", "a[a-]b", true},
        {"aab", "a[a-]b", true},
        {"acb", "a[a-]b", false},
        {"a%b", "a[%]b", true},
        {"axb", "a[%]b", false},
        {"a_b", "a[_]b", true},
        {"axb", "a[_]b", false},
        {"a[b", "a[[]b", true},
        {"a^b", "a[^]b", true},
        {"axb", "a[^]b", false},
        {"a]b", "a[^]]b", false},
        {"a^]b", "a[^]]b", true},
        {"ab", "a[]b", false},
        {"a\\b", "a\\b", true},
        {"a\\b", "a_b", true},
        {"axb", "a\\b", false},
        {"100%", "100[%]", true},
        {"caf\xc3\xa9", "caf_", true},
        {"caf\xc3\xa9", "caf__", false},
        {"caf\xc3\xa9", "caf[\xc3\xa8-\xc3\xaa]", true},
        {"caf\xc3\xa9", "caf[^\xc3\xa9]", false},
        {"\xf0\x9f\x98\x80!", "_!", true},
        {"\xe2\x82\xac", "\xe2\x82\xac", true},
        {"\xff\xfe", "__", true},  /* bytes that are not UTF-8 are characters of their own */
        {"\xff\xfe", "\xff%", true},
        {"x", "[x", false},        /* an unclosed '[' is a literal */
        {"[x", "[x", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (wmgw_wql_like(cases[i].text, cases[i].pattern) != cases[i].match) {
            fprintf(stderr, "%s:%d: like(\"%s\", \"%s\") != %d\n", __FILE__, __LINE__, cases[i].text,
                    cases[i].pattern, cases[i].match);
            wmgw_test__failed_checks++;
        }
    }

    /* Patterns that blow up a backtracking matcher finish at once. */
    char *text = malloc(100001);
    memset(text, 'a', 100000);
    text[100000] = '\0';
    clock_t t0 = clock();
    CHECK(!wmgw_wql_like(text, "%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b"));
    CHECK(wmgw_wql_like(text, "%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%"));
    CHECK(!wmgw_wql_like(text, "%aaaaaaaaaaaaaaaaaaaab%"));
    CHECK(!wmgw_wql_like(text, "a%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_b"));
    CHECK(wmgw_wql_like(text, "a%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_a"));
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    free(text);
}

static void test_eval_hand_built(void)
{
    struct wmgw_cim_instance *inst = service();
    /* Odd trees evaluate to 0 instead of crashing. */
    struct wmgw_wql_expr *e = node(WMGW_WQL_AND, leaf(WMGW_WQL_EQ, "Name", "WinRM"), NULL);
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    wmgw_wql_expr_free(e);
    e = leaf(WMGW_WQL_LT, "Name", NULL); /* Name < NULL */
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    e->op = WMGW_WQL_EQ; /* Name = NULL: IS NULL */
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    e->op = WMGW_WQL_NE;
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 1);
    e->literal.kind = WMGW_WQL_LIT_STRING; /* with a NULL string */
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    e->literal.kind = WMGW_WQL_LIT_NULL;
    free(e->property);
    e->property = NULL;
    CHECK_INT(wmgw_wql_eval(e, inst, NULL, NULL), 0);
    wmgw_wql_expr_free(e);
    e = cond("Name = 'WinRM'");
    CHECK_INT(wmgw_wql_eval(e, NULL, NULL, NULL), 0);
    wmgw_wql_expr_free(e);
    wmgw_cim_instance_unref(inst);
}

int main(void)
{
    setup_classes();
    WMGW_TEST_RUN(test_parse_select);
    WMGW_TEST_RUN(test_parse_precedence);
    WMGW_TEST_RUN(test_parse_literals);
    WMGW_TEST_RUN(test_parse_reversed);
    WMGW_TEST_RUN(test_parse_errors);
    WMGW_TEST_RUN(test_parse_limits);
    WMGW_TEST_RUN(test_long_chains);
    WMGW_TEST_RUN(test_parse_select_list);
    WMGW_TEST_RUN(test_format_canonical);
    WMGW_TEST_RUN(test_round_trip);
    WMGW_TEST_RUN(test_format_nasty_strings);
    WMGW_TEST_RUN(test_format_refuses);
    WMGW_TEST_RUN(test_deep_hand_built);
    WMGW_TEST_RUN(test_copy);
    WMGW_TEST_RUN(test_assoc);
    WMGW_TEST_RUN(test_check);
    WMGW_TEST_RUN(test_eval_strings_and_logic);
    WMGW_TEST_RUN(test_eval_nulls);
    WMGW_TEST_RUN(test_eval_numbers);
    WMGW_TEST_RUN(test_eval_datetime);
    WMGW_TEST_RUN(test_eval_objects);
    WMGW_TEST_RUN(test_eval_like);
    WMGW_TEST_RUN(test_like);
    WMGW_TEST_RUN(test_eval_hand_built);
    teardown_classes();
    return WMGW_TEST_DONE();
}
