/*
 * value.c: tests for wmgw_cim_value_convert (cim/value.c): a value read
 * without a schema (an embedded object's sint32, its strings) made to fit
 * a declared type, range checked, arrays element by element, and the
 * kinds that never convert.
 */
#include "cim/cim.h"
#include "util/err.h"

#include "../test.h"

static struct wmgw_cim_value sint(int64_t x)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, x >= INT32_MIN && x <= INT32_MAX ? WMGW_CIM_SINT32 : WMGW_CIM_SINT64);
    v.null = false;
    v.u.s = x;
    return v;
}

static struct wmgw_cim_value str(const char *s)
{
    struct wmgw_cim_value v;
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    wmgw_cim_value_set_string(&v, strdup(s));
    return v;
}

static void test_integers_fit_the_declared_width(void)
{
    struct wmgw_cim_value v = sint(201), out;
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT32, &v), 0);
    CHECK_INT(out.type, WMGW_CIM_UINT32);
    CHECK_INT(out.u.u, 201);
    CHECK(!out.null);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT8, &v), 0);
    CHECK_INT(out.u.u, 201);
    v = sint(-1);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT32, &v), WMGW_EINVAL);
    CHECK(out.null);
    v = sint(4294967295LL);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT32, &v), 0);
    CHECK_INT(out.u.u, 4294967295LL);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_SINT32, &v), WMGW_EINVAL);
    v = sint(3);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_REAL64, &v), 0);
    CHECK(out.u.r == 3.0);
}

static void test_text_to_typed_scalars(void)
{
    struct wmgw_cim_value v = str("Ω"), out;
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_CHAR16, &v), 0);
    CHECK_INT(out.u.c16, 0x03A9);
    wmgw_cim_value_dispose(&v);
    v = str("2024-01-31T23:59:59.123456-05:00");
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_DATETIME, &v), 0);
    CHECK_STR(out.u.str, "20240131235959.123456-300");
    wmgw_cim_value_dispose(&out);
    wmgw_cim_value_dispose(&v);
    v = str("not a number");
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT16, &v), WMGW_EINVAL);
    wmgw_cim_value_dispose(&v);
}

static void test_same_type_is_a_copy_and_null_stays_null(void)
{
    struct wmgw_cim_value v = str("plain"), out;
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_STRING, &v), 0);
    CHECK_STR(out.u.str, "plain");
    CHECK(out.u.str != v.u.str);
    wmgw_cim_value_dispose(&out);
    wmgw_cim_value_dispose(&v);
    wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT64, &v), 0);
    CHECK(out.null);
    CHECK_INT(out.type, WMGW_CIM_UINT64);
}

static void test_arrays_element_by_element(void)
{
    struct wmgw_cim_value elems[3] = {sint(0), sint(1), sint(65535)}, v, out;
    wmgw_cim_value_init_null(&v, WMGW_CIM_SINT32 | WMGW_CIM_ARRAY);
    v.null = false;
    v.u.arr.n = 3;
    v.u.arr.v = elems;
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT16 | WMGW_CIM_ARRAY, &v), 0);
    CHECK_INT(out.u.arr.n, 3);
    CHECK_INT(out.u.arr.v[2].type, WMGW_CIM_UINT16);
    CHECK_INT(out.u.arr.v[2].u.u, 65535);
    wmgw_cim_value_dispose(&out);
    /* one element out of range fails the whole array */
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT8 | WMGW_CIM_ARRAY, &v), WMGW_EINVAL);
    CHECK(out.null);
    /* scalar and array never convert into each other */
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT16, &v), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_UINT16 | WMGW_CIM_ARRAY, &elems[0]), WMGW_EINVAL);
}

static void test_references_and_objects_do_not_convert(void)
{
    struct wmgw_cim_value v = str("Sim_Item.Id=1"), out;
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_REFERENCE, &v), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_value_convert(&out, WMGW_CIM_OBJECT, &v), WMGW_EINVAL);
    wmgw_cim_value_dispose(&v);
}

/* Octet strings: uint8[] both ways, bounded. */
static void test_bytes_both_ways(void)
{
    static const uint8_t sd[5] = {1, 0, 0x04, 0x80, 0xff};
    struct wmgw_cim_value v;
    CHECK_INT(wmgw_cim_value_set_bytes(&v, sd, sizeof(sd)), 0);
    CHECK(!v.null && v.type == (WMGW_CIM_UINT8 | WMGW_CIM_ARRAY) && v.u.arr.n == 5);
    CHECK(v.u.arr.v[4].type == WMGW_CIM_UINT8 && v.u.arr.v[4].u.u == 0xff);
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK_INT(wmgw_cim_value_get_bytes(&v, 5, &out, &n), 0);
    CHECK(n == 5 && out != NULL && memcmp(out, sd, 5) == 0);
    free(out);
    CHECK_INT(wmgw_cim_value_get_bytes(&v, 4, &out, &n), WMGW_EINVAL); /* longer than allowed */
    CHECK(out == NULL && n == 0);
    wmgw_cim_value_dispose(&v);
    CHECK_INT(wmgw_cim_value_get_bytes(&v, 5, &out, &n), WMGW_EINVAL); /* null */
    CHECK_INT(wmgw_cim_value_set_bytes(&v, NULL, 0), 0);                 /* empty, not null */
    CHECK(!v.null && v.u.arr.n == 0);
    CHECK_INT(wmgw_cim_value_get_bytes(&v, 5, &out, &n), 0);
    CHECK(n == 0);
    free(out);
    wmgw_cim_value_dispose(&v);
    wmgw_cim_value_init_null(&v, WMGW_CIM_UINT8);
    v.null = false;
    v.u.u = 7;
    CHECK_INT(wmgw_cim_value_get_bytes(&v, 5, &out, &n), WMGW_EINVAL); /* a scalar */
}

int main(void)
{
    WMGW_TEST_RUN(test_integers_fit_the_declared_width);
    WMGW_TEST_RUN(test_text_to_typed_scalars);
    WMGW_TEST_RUN(test_same_type_is_a_copy_and_null_stays_null);
    WMGW_TEST_RUN(test_arrays_element_by_element);
    WMGW_TEST_RUN(test_references_and_objects_do_not_convert);
    WMGW_TEST_RUN(test_bytes_both_ways);
    return WMGW_TEST_DONE();
}
