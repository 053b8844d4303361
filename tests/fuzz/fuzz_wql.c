/*
 * fuzz_wql.c: libFuzzer target for WQL (cim/wql.h).
 *
 * Every input is tried as a whole query, then as a bare condition (a REST
 * `filter`), then as a select list.  Whatever parses is formatted, the text
 * parsed again and formatted again: the two texts must be identical, or the
 * formatter wrote something the parser reads differently, and the target
 * aborts.  Conditions are also copied, checked against a class and
 * evaluated on an instance; the copy and the re-parsed tree must evaluate
 * the same, so formatting never changes what a filter means.  An input with
 * a NUL byte is no WQL; it is split there and fed to the LIKE matcher.
 */
#include "cim/cim.h"
#include "cim/wql.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FORMAT_MAX (1 << 20)

static struct wmgw_cim_class *classes[5];
static struct wmgw_cim_instance *instance;

static struct wmgw_cim_value *put(struct wmgw_cim_instance *inst, const char *name, uint16_t type)
{
    struct wmgw_cim_prop *p = wmgw_cim_proplist_add(&inst->props, name, type);
    p->value.null = false;
    return &p->value;
}

static struct wmgw_cim_class *make_class(const char *name, const char *super)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new(name, "root/cimv2");
    c->superclass = super ? strdup(super) : NULL;
    return c;
}

/* A Win32_Service with one property of each kind, and its ancestry. */
static void setup(void)
{
    classes[0] = make_class("CIM_Service", NULL);
    classes[1] = make_class("Win32_BaseService", "CIM_Service");
    classes[2] = make_class("Win32_Service", "Win32_BaseService");
    classes[3] = make_class("Win32_Process", NULL);
    static const struct {
        const char *name;
        uint16_t type;
    } props[] = {
        {"Name", WMGW_CIM_STRING},  {"State", WMGW_CIM_STRING},   {"Started", WMGW_CIM_BOOLEAN},
        {"U8", WMGW_CIM_UINT8},     {"S64", WMGW_CIM_SINT64},     {"U64", WMGW_CIM_UINT64},
        {"R64", WMGW_CIM_REAL64},   {"C", WMGW_CIM_CHAR16},       {"When", WMGW_CIM_DATETIME},
        {"Owner", WMGW_CIM_REFERENCE}, {"Target", WMGW_CIM_OBJECT}, {"Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY},
        {"Empty", WMGW_CIM_STRING},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        wmgw_cim_class_add_prop(classes[2], props[i].name, props[i].type);

    instance = wmgw_cim_instance_new("Win32_Service", "root/cimv2");
    put(instance, "Name", WMGW_CIM_STRING)->u.str = strdup("WinRM");
    put(instance, "State", WMGW_CIM_STRING)->u.str = strdup("Running");
    put(instance, "Started", WMGW_CIM_BOOLEAN)->u.b = true;
    put(instance, "U8", WMGW_CIM_UINT8)->u.u = 200;
    put(instance, "S64", WMGW_CIM_SINT64)->u.s = INT64_MIN;
    put(instance, "U64", WMGW_CIM_UINT64)->u.u = UINT64_MAX;
    put(instance, "R64", WMGW_CIM_REAL64)->u.r = 2.5;
    put(instance, "C", WMGW_CIM_CHAR16)->u.c16 = 'x';
    put(instance, "When", WMGW_CIM_DATETIME)->u.str = strdup("20240102040405.000000+060");
    struct wmgw_cim_ref *ref = wmgw_cim_ref_new(NULL, "Win32_Process");
    wmgw_cim_proplist_add(&ref->keys, "Handle", WMGW_CIM_STRING)->value.null = false;
    wmgw_cim_proplist_find(&ref->keys, "Handle")->value.u.str = strdup("4");
    put(instance, "Owner", WMGW_CIM_REFERENCE)->u.ref = ref;
    struct wmgw_cim_instance *target = wmgw_cim_instance_new("Win32_Process", NULL);
    put(target, "Name", WMGW_CIM_STRING)->u.str = strdup("svchost.exe");
    put(instance, "Target", WMGW_CIM_OBJECT)->u.obj = target;
    put(instance, "Empty", WMGW_CIM_STRING)->null = true;
}

static const struct wmgw_cim_class *lookup(void *ctx, const char *name)
{
    for (size_t i = 0; classes[i] != NULL; i++)
        if (strcasecmp(classes[i]->name, name) == 0)
            return classes[i];
    return NULL;
}

static void die(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_wql: %s\n  first:  %s\n  second: %s\n", what, a ? a : "(none)", b ? b : "(none)");
    abort();
}

/* Formats q into a malloc'd string; NULL when the text would be longer
 * than the parser accepts (format refuses it: allowed). */
static char *format_query(const struct wmgw_wql_query *q)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, FORMAT_MAX);
    int rc = wmgw_wql_format(&b, q);
    if (rc == WMGW_ETOOBIG) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    if (rc != 0)
        die("a parsed query does not format", NULL, NULL);
    return wmgw_buf_steal(&b, NULL);
}

static char *format_condition(const struct wmgw_wql_expr *e)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, FORMAT_MAX);
    int rc = wmgw_wql_format_condition(&b, e);
    if (rc == WMGW_ETOOBIG) {
        wmgw_buf_dispose(&b);
        return NULL;
    }
    if (rc != 0)
        die("a parsed condition does not format", NULL, NULL);
    return wmgw_buf_steal(&b, NULL);
}

static void round_trip_query(const struct wmgw_wql_query *q)
{
    struct wmgw_wql_query *again = NULL;
    char *first = format_query(q);
    if (first == NULL)
        return;
    if (wmgw_wql_parse(first, strlen(first), &again, NULL) != 0)
        die("formatted query does not parse", first, NULL);
    char *second = format_query(again);
    if (second == NULL || strcmp(first, second) != 0)
        die("formatted query reads back differently", first, second);
    if (q->where != NULL && wmgw_wql_eval(q->where, instance, lookup, NULL) !=
                                wmgw_wql_eval(again->where, instance, lookup, NULL))
        die("formatted query evaluates differently", first, second);
    wmgw_wql_check_query(q, classes[2], NULL);
    free(first);
    free(second);
    wmgw_wql_query_free(again);
}

static void round_trip_condition(const struct wmgw_wql_expr *e)
{
    struct wmgw_wql_expr *again = NULL, *copy = wmgw_wql_expr_copy(e);
    if (copy == NULL)
        die("a parsed condition does not copy", NULL, NULL);
    char *first = format_condition(e);
    int r = wmgw_wql_eval(e, instance, lookup, NULL);
    if (wmgw_wql_eval(copy, instance, lookup, NULL) != r)
        die("copy evaluates differently", first, NULL);
    wmgw_wql_check(e, classes[2], NULL);
    wmgw_wql_expr_free(copy);
    if (first == NULL)
        return;
    if (wmgw_wql_parse_condition(first, strlen(first), &again, NULL) != 0)
        die("formatted condition does not parse", first, NULL);
    char *second = format_condition(again);
    if (second == NULL || strcmp(first, second) != 0)
        die("formatted condition reads back differently", first, second);
    if (wmgw_wql_eval(again, instance, lookup, NULL) != r)
        die("formatted condition evaluates differently", first, second);
    free(first);
    free(second);
    wmgw_wql_expr_free(again);
}

static void select_list(const char *text, size_t len)
{
    struct wmgw_wql_query q = {.kind = WMGW_WQL_SELECT, .class_name = "Win32_Service"};
    if (wmgw_wql_parse_select(text, len, &q, NULL) != 0)
        return;
    round_trip_query(&q);
    for (size_t i = 0; i < q.nselect; i++)
        free(q.select[i]);
    free(q.select);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    if (instance == NULL)
        setup();
    const char *nul = memchr(data, '\0', size);
    if (nul != NULL) {
        /* text NUL pattern: the LIKE matcher, kept small enough that its
         * O(text x pattern) bound stays far below the fuzzer's timeout. */
        if (size <= 4096) {
            char *copy = malloc(size + 1);
            memcpy(copy, data, size);
            copy[size] = '\0';
            wmgw_wql_like(copy, copy + (nul - text) + 1);
            free(copy);
        }
        return 0;
    }
    struct wmgw_wql_query *q = NULL;
    struct wmgw_wql_expr *e = NULL;
    if (wmgw_wql_parse(text, size, &q, NULL) == 0) {
        round_trip_query(q);
        wmgw_wql_query_free(q);
    } else if (wmgw_wql_parse_condition(text, size, &e, NULL) == 0) {
        round_trip_condition(e);
        wmgw_wql_expr_free(e);
    } else {
        select_list(text, size);
    }
    return 0;
}
