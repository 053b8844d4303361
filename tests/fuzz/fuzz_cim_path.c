/*
 * fuzz_cim_path.c: libFuzzer target for instance names (cim/path.c) and
 * datetimes (cim/datetime.c).
 *
 * The first byte picks a parser, the rest is its input (never NUL-
 * terminated: a copy of exactly that length, so ASan sees any over-read).
 * Whatever parses must format, parse again to an equal reference, and
 * format to the same bytes: a {keys} segment with and without a class
 * (one key of each type that can be a key), a REST URL, a WMI object path,
 * a namespace segment, and a datetime through its ISO form.
 */
#include "cim/datetime.h"
#include "cim/path.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(x)                                                                   \
    do {                                                                            \
        if (!(x)) {                                                                 \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                \
        }                                                                           \
    } while (0)

static struct wmgw_cim_class *key_class(void)
{
    static const struct {
        const char *name;
        uint16_t type;
    } k[] = {{"S", WMGW_CIM_STRING},   {"U", WMGW_CIM_UINT32},   {"I", WMGW_CIM_SINT64}, {"B", WMGW_CIM_BOOLEAN},
             {"D", WMGW_CIM_DATETIME}, {"R", WMGW_CIM_REFERENCE}, {"F", WMGW_CIM_REAL32}, {"C", WMGW_CIM_CHAR16}};
    struct wmgw_cim_class *c = wmgw_cim_class_new("Fuzz_Keys", "root/fuzz");
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        wmgw_cim_class_add_prop(c, k[i].name, k[i].type)->flags = WMGW_CIM_Q_KEY;
    wmgw_cim_class_add_prop(c, "Other", WMGW_CIM_STRING);
    return c;
}

static struct wmgw_cim_class *one_key_class(void)
{
    struct wmgw_cim_class *c = wmgw_cim_class_new("Fuzz_One", "root/fuzz");
    wmgw_cim_class_add_prop(c, "Name", WMGW_CIM_UINT64)->flags = WMGW_CIM_Q_KEY;
    return c;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Keys equal with exact types and values (stricter than ref_equal). */
static void assert_same_keys(const struct wmgw_cim_ref *a, const struct wmgw_cim_ref *b)
{
    ASSERT(wmgw_cim_ref_equal(a, b));
    ASSERT(a->keys.n == b->keys.n);
    for (size_t i = 0; i < a->keys.n; i++) {
        const struct wmgw_cim_prop *k = wmgw_cim_proplist_find(&b->keys, a->keys.items[i].name);
        ASSERT(k != NULL && strcmp(k->name, a->keys.items[i].name) == 0);
        ASSERT(wmgw_cim_value_equal(&k->value, &a->keys.items[i].value));
    }
}

static void keys_round_trip(const char *s, size_t len, const struct wmgw_cim_class *cls)
{
    struct wmgw_cim_ref *r = wmgw_cim_ref_new("root/fuzz", "Fuzz_Keys"), *r2 = wmgw_cim_ref_new(NULL, "Fuzz_Keys");
    struct wmgw_err err;
    struct wmgw_buf one, two;
    wmgw_buf_init(&one, 1 << 20);
    wmgw_buf_init(&two, 1 << 20);
    if (wmgw_cim_path_parse_keys(s, len, cls, r, &err) == 0) {
        ASSERT(wmgw_cim_path_format_keys(&one, r) == 0);
        int rc = wmgw_cim_path_parse_keys(one.data, one.len, cls, r2, &err);
        if (rc != 0)
            fprintf(stderr, "formatted keys do not parse: %s\n%s\n", err.message, one.data);
        ASSERT(rc == 0);
        assert_same_keys(r, r2);
        ASSERT(wmgw_cim_path_format_keys(&two, r2) == 0);
        ASSERT(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
    } else {
        ASSERT(err.message[0] != '\0');
    }
    wmgw_cim_ref_free(r);
    wmgw_cim_ref_free(r2);
    wmgw_buf_dispose(&one);
    wmgw_buf_dispose(&two);
}

static void url_round_trip(const char *s, size_t len)
{
    struct wmgw_cim_ref *r = NULL, *r2 = NULL;
    struct wmgw_err err;
    if (wmgw_cim_path_parse_url(s, len, &r, &err) != 0) {
        ASSERT(r == NULL && err.message[0] != '\0');
        return;
    }
    struct wmgw_buf one, two;
    wmgw_buf_init(&one, 1 << 20);
    wmgw_buf_init(&two, 1 << 20);
    ASSERT(wmgw_cim_path_format_url(&one, r->host, r) == 0);
    ASSERT(wmgw_cim_path_parse_url(one.data, one.len, &r2, &err) == 0);
    assert_same_keys(r, r2);
    ASSERT(same_str(r->host, r2->host) && same_str(r->namespace_, r2->namespace_));
    ASSERT(strcmp(r->class_name, r2->class_name) == 0);
    ASSERT(wmgw_cim_path_format_url(&two, r2->host, r2) == 0);
    ASSERT(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
    wmgw_cim_ref_free(r);
    wmgw_cim_ref_free(r2);
    wmgw_buf_dispose(&one);
    wmgw_buf_dispose(&two);
}

static void wmi_round_trip(const char *s, size_t len)
{
    struct wmgw_cim_ref *r = NULL, *r2 = NULL;
    struct wmgw_err err;
    if (wmgw_cim_path_parse_wmi(s, len, &r, &err) != 0) {
        ASSERT(r == NULL && err.message[0] != '\0');
        return;
    }
    struct wmgw_buf one, two;
    wmgw_buf_init(&one, 1 << 20);
    wmgw_buf_init(&two, 1 << 20);
    for (int with_ns = 0; with_ns < 2; with_ns++) {
        wmgw_buf_reset(&one);
        wmgw_buf_reset(&two);
        ASSERT(wmgw_cim_path_format_wmi(&one, r, with_ns) == 0);
        int rc = wmgw_cim_path_parse_wmi(one.data, one.len, &r2, &err);
        if (rc != 0)
            fprintf(stderr, "formatted path does not parse: %s\n%s\n", err.message, one.data);
        ASSERT(rc == 0);
        assert_same_keys(r, r2);
        if (with_ns)
            ASSERT(same_str(r->host, r2->host) && same_str(r->namespace_, r2->namespace_));
        ASSERT(wmgw_cim_path_format_wmi(&two, r2, with_ns) == 0);
        ASSERT(one.len == two.len && memcmp(one.data, two.data, one.len) == 0);
        wmgw_cim_ref_free(r2);
    }
    wmgw_cim_ref_free(r);
    wmgw_buf_dispose(&one);
    wmgw_buf_dispose(&two);
}

static void namespace_round_trip(const char *s, size_t len)
{
    char *ns = NULL, *ns2 = NULL;
    struct wmgw_err err;
    if (wmgw_cim_path_parse_namespace(s, len, &ns, &err) != 0)
        return;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 16);
    ASSERT(wmgw_cim_path_format_namespace(&b, ns) == 0);
    ASSERT(wmgw_cim_path_parse_namespace(b.data, b.len, &ns2, &err) == 0);
    ASSERT(strcmp(ns, ns2) == 0);
    free(ns);
    free(ns2);
    wmgw_buf_dispose(&b);
}

static void datetime_round_trip(const char *s, size_t len)
{
    char dmtf[WMGW_CIM_DMTF_LEN + 1], again[WMGW_CIM_DMTF_LEN + 1];
    struct wmgw_err err;
    if (wmgw_cim_datetime_parse(s, len, dmtf, &err) != 0)
        return;
    ASSERT(strlen(dmtf) == WMGW_CIM_DMTF_LEN && wmgw_cim_dmtf_valid(dmtf, WMGW_CIM_DMTF_LEN));
    struct wmgw_buf b;
    wmgw_buf_init(&b, 256);
    int rc = wmgw_cim_datetime_format_iso(dmtf, &b);
    ASSERT(rc == 0 || rc == 1);
    ASSERT(rc == 1 || strchr(b.data, '*') == NULL);
    ASSERT(wmgw_cim_datetime_parse(b.data, b.len, again, &err) == 0);
    /* The ISO form is in UTC: the same instant, and a fixed point after one
     * round (an offset of zero, wildcards and intervals come back as they were). */
    struct wmgw_buf c;
    wmgw_buf_init(&c, 256);
    ASSERT(wmgw_cim_datetime_format_iso(again, &c) == rc);
    ASSERT(b.len == c.len && memcmp(b.data, c.data, b.len) == 0);
    if (rc == 1 || dmtf[21] == ':' || memcmp(dmtf + 21, "+000", 4) == 0)
        ASSERT(strcmp(dmtf, again) == 0);
    wmgw_buf_dispose(&c);
    wmgw_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wmgw_cim_class *keys, *one;
    if (keys == NULL) {
        keys = key_class();
        one = one_key_class();
    }
    if (size == 0)
        return 0;
    size_t len = size - 1;
    char *s = malloc(len ? len : 1); /* exactly len bytes, no terminator */
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, len);
    switch (data[0] % 7) {
    case 0: keys_round_trip(s, len, NULL); break;
    case 1: keys_round_trip(s, len, keys); break;
    case 2: keys_round_trip(s, len, one); break;
    case 3: url_round_trip(s, len); break;
    case 4: wmi_round_trip(s, len); break;
    case 5: namespace_round_trip(s, len); break;
    default: datetime_round_trip(s, len); break;
    }
    free(s);
    return 0;
}
