/*
 * ndr.c: tests for translators/wmi/ndr.c and ndr_dcom.c: NDR 2.0 golden
 * bytes (alignment, referent ids, conformant and conformant-varying arrays,
 * strings, BSTR), round trips of every type including nested and aliased
 * pointers and empty / NULL arrays, the DCOM types (ORPCTHIS / ORPCTHAT with
 * extensions, MInterfacePointer, STDOBJREF, DUALSTRINGARRAY, OBJREF
 * standard / handler / custom), real OBJREFs from ../shared/captures, every
 * truncation under ASan, and refusals that name the field.
 */
#include "translators/wmi/ndr_dcom.h"

#include "../test.h"

static struct wmgw_buf out;
static struct wmgw_ndr_writer w;

static void start(void)
{
    wmgw_buf_dispose(&out);
    wmgw_buf_init(&out, 1 << 20);
    wmgw_ndr_writer_init(&w, &out, NULL);
}

static void check_bytes(const uint8_t *want, size_t n)
{
    CHECK_INT(w.rc, 0);
    CHECK_INT(out.len, n);
    if (out.len == n && memcmp(out.data, want, n) != 0) {
        for (size_t i = 0; i < n; i++)
            if ((uint8_t)out.data[i] != want[i])
                fprintf(stderr, "  byte %zu: %02x, expected %02x\n", i, (uint8_t)out.data[i], want[i]);
        CHECK(!"bytes differ");
    }
}

static void reader(struct wmgw_ndr_reader *r, struct wmgw_err *err)
{
    wmgw_err_clear(err);
    wmgw_ndr_reader_init(r, (const uint8_t *)out.data, out.len, err);
}

static struct wmgw_uuid uuid(const char *s)
{
    struct wmgw_uuid u;
    CHECK_INT(wmgw_uuid_parse(&u, s, NULL), 0);
    return u;
}

static void test_primitives(void)
{
    static const uint8_t want[] = {0x11, 0x00, 0x22, 0x22, 0x33, 0x00, 0x00, 0x00, 0x44, 0x44, 0x44, 0x44,
                                   0x55, 0x00, 0x00, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    start();
    wmgw_ndr_put_u8(&w, 0x11);
    wmgw_ndr_put_u16(&w, 0x2222);
    wmgw_ndr_put_u8(&w, 0x33);
    wmgw_ndr_put_u32(&w, 0x44444444);
    wmgw_ndr_put_u8(&w, 0x55);
    wmgw_ndr_put_u64(&w, 0x0102030405060708ull);
    check_bytes(want, sizeof(want));
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    reader(&r, &err);
    uint8_t a, c, e;
    uint16_t b;
    uint32_t d;
    uint64_t f;
    wmgw_ndr_get_u8(&r, &a, "a");
    wmgw_ndr_get_u16(&r, &b, "b");
    wmgw_ndr_get_u8(&r, &c, "c");
    wmgw_ndr_get_u32(&r, &d, "d");
    wmgw_ndr_get_u8(&r, &e, "e");
    wmgw_ndr_get_u64(&r, &f, "f");
    CHECK_INT(wmgw_ndr_expect_end(&r, "primitives"), 0);
    CHECK(a == 0x11 && b == 0x2222 && c == 0x33 && d == 0x44444444 && e == 0x55 && f == 0x0102030405060708ull);
    /* one more read: truncated, names the field, and sticks */
    CHECK_INT(wmgw_ndr_get_u32(&r, &d, "lFlags"), WMGW_EPROTO);
    CHECK(strstr(err.message, "lFlags") != NULL);
    CHECK_INT(wmgw_ndr_get_u8(&r, &a, "x"), WMGW_EPROTO);
    CHECK(strstr(err.message, "lFlags") != NULL);

    /* NDR enums: 16 bits, at most 32767 */
    start();
    wmgw_ndr_put_u8(&w, 1);
    wmgw_ndr_put_enum(&w, 0x7FFF);
    CHECK_INT(out.len, 4);
    wmgw_ndr_put_u16(&w, 0x8000);
    reader(&r, &err);
    wmgw_ndr_get_u8(&r, &a, "a");
    wmgw_ndr_get_enum(&r, &b, "lFlags");
    CHECK_INT(b, 0x7FFF);
    CHECK_INT(wmgw_ndr_get_enum(&r, &b, "WBEM_GENUS"), WMGW_EPROTO);
    CHECK(strstr(err.message, "WBEM_GENUS") != NULL);
    CHECK_INT(wmgw_ndr_put_enum(&w, 0x8000), WMGW_EINVAL);

    /* alignment counts from the writer's start, not the buffer's */
    wmgw_buf_dispose(&out);
    wmgw_buf_init(&out, 64);
    wmgw_buf_add(&out, "abc", 3);
    wmgw_ndr_writer_init(&w, &out, NULL);
    wmgw_ndr_put_u8(&w, 1);
    wmgw_ndr_put_u32(&w, 2);
    CHECK_INT(out.len, 3 + 8);
}

static void test_pointers(void)
{
    /* unique: ids 0x20000, 0x20004 ... NULL is 0; full: the same key, the same id */
    static const uint8_t want[] = {0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x00,
                                   0x08, 0x00, 0x02, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
    int k1, k2;
    bool pointee;
    start();
    wmgw_ndr_put_unique(&w, true);
    wmgw_ndr_put_unique(&w, false);
    wmgw_ndr_put_full(&w, &k1, &pointee);
    CHECK(pointee);
    wmgw_ndr_put_full(&w, &k2, &pointee);
    CHECK(pointee);
    wmgw_ndr_put_full(&w, &k1, &pointee);
    CHECK(!pointee);
    wmgw_ndr_put_full(&w, NULL, &pointee);
    CHECK(!pointee);
    check_bytes(want, sizeof(want));
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    reader(&r, &err);
    bool present, fresh;
    wmgw_ndr_get_unique(&r, &present, "p1");
    CHECK(present);
    wmgw_ndr_get_unique(&r, &present, "p2");
    CHECK(!present);
    wmgw_ndr_get_full(&r, &present, &fresh, "f1");
    CHECK(present && fresh);
    wmgw_ndr_get_full(&r, &present, &fresh, "f2");
    CHECK(present && fresh);
    wmgw_ndr_get_full(&r, &present, &fresh, "f3");
    CHECK(present && !fresh);
    wmgw_ndr_get_full(&r, &present, &fresh, "f4");
    CHECK(!present && !fresh);
    CHECK_INT(wmgw_ndr_expect_end(&r, "pointers"), 0);
}

/* struct node { long v; [unique] struct node *next; } as a top-level
 * [unique] pointer: each pointee's own pointer is deferred right after it. */
static void put_list(int n)
{
    wmgw_ndr_put_unique(&w, n > 0);
    for (int i = 0; i < n; i++) {
        wmgw_ndr_put_u32(&w, (uint32_t)(100 + i));
        wmgw_ndr_put_unique(&w, i + 1 < n);
    }
}

static int get_list(struct wmgw_ndr_reader *r, int *count)
{
    bool more;
    *count = 0;
    wmgw_ndr_get_unique(r, &more, "list");
    int depth = 0;
    while (more && r->rc == 0) {
        uint32_t v;
        if (wmgw_ndr_enter(r, "node.next") != 0)
            break;
        depth++;
        wmgw_ndr_get_u32(r, &v, "node.v");
        CHECK_INT(v, 100 + *count);
        (*count)++;
        wmgw_ndr_get_unique(r, &more, "node.next");
    }
    while (depth-- > 0)
        wmgw_ndr_leave(r);
    return r->rc;
}

static void test_nested_pointers(void)
{
    static const uint8_t want[] = {0x00, 0x00, 0x02, 0x00, 100, 0, 0, 0, 0x04, 0x00, 0x02, 0x00,
                                   101,  0,    0,    0,    0,   0, 0, 0};
    start();
    put_list(2);
    check_bytes(want, sizeof(want));
    int n;
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    for (int len = 0; len <= WMGW_NDR_MAX_DEPTH; len += 8) {
        start();
        put_list(len);
        reader(&r, &err);
        CHECK_INT(get_list(&r, &n), 0);
        CHECK_INT(n, len);
        CHECK_INT(wmgw_ndr_expect_end(&r, "list"), 0);
    }
    start();
    put_list(WMGW_NDR_MAX_DEPTH + 5);
    reader(&r, &err);
    CHECK_INT(get_list(&r, &n), WMGW_EPROTO);
    CHECK(strstr(err.message, "nested deeper") != NULL);
}

static void test_arrays(void)
{
    static const uint16_t shorts[3] = {1, 0xFFFF, 0x1234};
    static const uint8_t want[] = {0x03, 0, 0, 0, 'a', 'b', 'c', 0x00, 0x00, 0, 0, 0, 0x03, 0, 0, 0, 0x01, 0x00,
                                   0xff, 0xff, 0x34, 0x12, 0x00, 0x00, 0x07, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0};
    start();
    wmgw_ndr_put_carray_u8(&w, (const uint8_t *)"abc", 3);
    wmgw_ndr_put_carray_u8(&w, NULL, 0); /* empty: max_count 0, no elements */
    wmgw_ndr_put_carray_u16(&w, shorts, 3);
    wmgw_ndr_put_conformance(&w, 7);     /* conformant varying header */
    wmgw_ndr_put_variance(&w, 1, 2);
    check_bytes(want, sizeof(want));
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    reader(&r, &err);
    const uint8_t *p;
    uint32_t n, max, offset, actual;
    wmgw_ndr_get_carray_u8(&r, &p, &n, 16, "bytes");
    CHECK(n == 3 && memcmp(p, "abc", 3) == 0);
    wmgw_ndr_get_carray_u8(&r, &p, &n, 16, "empty");
    CHECK_INT(n, 0);
    wmgw_ndr_get_carray_u16(&r, &p, &n, 16, "shorts");
    CHECK(n == 3 && p[2] == 0xff && p[5] == 0x12);
    wmgw_ndr_get_conformance(&r, &max, 100, 0, "cv");
    wmgw_ndr_get_variance(&r, &offset, &actual, max, "cv");
    CHECK(max == 7 && offset == 1 && actual == 2);
    CHECK_INT(wmgw_ndr_expect_end(&r, "arrays"), 0);

    /* refusals: a count above the limit, above the input, a variance past max_count */
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_carray_u8(&r, &p, &n, 2, "abData"), WMGW_EPROTO);
    CHECK(strstr(err.message, "abData") && strstr(err.message, "exceeds 2"));
    start();
    wmgw_ndr_put_conformance(&w, 1000);
    wmgw_ndr_put_bytes(&w, "xyz", 3);
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_carray_u8(&r, &p, &n, 1u << 20, "pObjectData"), WMGW_EPROTO);
    CHECK(strstr(err.message, "bytes left") != NULL);
    start();
    wmgw_ndr_put_conformance(&w, 4);
    wmgw_ndr_put_variance(&w, 3, 2);
    reader(&r, &err);
    wmgw_ndr_get_conformance(&r, &max, 100, 0, "v");
    CHECK_INT(wmgw_ndr_get_variance(&r, &offset, &actual, max, "asData"), WMGW_EPROTO);
    CHECK(strstr(err.message, "asData") != NULL);
}

static void test_strings(void)
{
    /* [string] wchar_t: max_count = actual_count = 4 ("ab\u00e9" + NUL); a
     * following long needs 0 pad here (8 + 4 + 8 = 20) */
    static const uint8_t want[] = {4, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'a', 0, 'b', 0, 0xe9, 0, 0, 0};
    start();
    wmgw_ndr_put_wstr(&w, "ab\xc3\xa9");
    check_bytes(want, sizeof(want));
    const char *samples[] = {"", "root\\cimv2", "h\xc3\xa9llo \xf0\x9f\x98\x80 w\xc3\xb6rld", "//./root/cimv2"};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        start();
        wmgw_ndr_put_wstr_ptr(&w, samples[i]);
        wmgw_ndr_put_wstr_ptr(&w, NULL);
        wmgw_ndr_put_bstr(&w, samples[i]);
        wmgw_ndr_put_bstr(&w, NULL);
        wmgw_ndr_put_u32(&w, 0xabcdef01);
        CHECK_INT(w.rc, 0);
        struct wmgw_ndr_reader r;
        struct wmgw_err err;
        reader(&r, &err);
        struct wmgw_buf s1, s2, s3;
        wmgw_buf_init(&s1, 4096);
        wmgw_buf_init(&s2, 4096);
        wmgw_buf_init(&s3, 4096);
        bool p1, p2, p3, p4;
        uint32_t tail;
        wmgw_ndr_get_wstr_ptr(&r, &s1, &p1, "wszNetworkResource");
        wmgw_ndr_get_wstr_ptr(&r, &s2, &p2, "wszPreferredLocale");
        wmgw_ndr_get_bstr(&r, &s3, &p3, "strQuery");
        wmgw_ndr_get_bstr(&r, &s2, &p4, "strNull");
        wmgw_ndr_get_u32(&r, &tail, "lFlags");
        CHECK_INT(wmgw_ndr_expect_end(&r, "strings"), 0);
        CHECK(p1 && !p2 && p3 && !p4 && tail == 0xabcdef01);
        CHECK_STR(s1.data ? s1.data : "", samples[i]);
        CHECK_STR(s3.data ? s3.data : "", samples[i]);
        CHECK_INT(s2.len, 0);
        wmgw_buf_dispose(&s1);
        wmgw_buf_dispose(&s2);
        wmgw_buf_dispose(&s3);
    }
    /* ill-formed UTF-8 cannot be written */
    start();
    CHECK_INT(wmgw_ndr_put_wstr(&w, "bad \xff"), WMGW_EINVAL);
}

static void test_bstr_golden(void)
{
    static const uint8_t want[] = {0x00, 0x00, 0x02, 0x00, 0x03, 0, 0, 0, 0x06, 0, 0, 0, 0x03, 0, 0, 0,
                                   'W',  0,    'Q',  0,    'L',  0, 0x00, 0x00, /* pad before the next pointer */
                                   0x04, 0x00, 0x02, 0x00, 0x00, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x00, 0, 0, 0};
    start();
    wmgw_ndr_put_bstr(&w, "WQL");
    wmgw_ndr_put_bstr(&w, NULL); /* MS-OAUT null BSTR: cBytes 0xFFFFFFFF */
    check_bytes(want, sizeof(want));

    /* inconsistent blobs are refused */
    static const uint8_t bad[][16] = {
        {0x00, 0x00, 0x02, 0x00, 0x02, 0, 0, 0, 0x06, 0, 0, 0, 0x03, 0, 0, 0}, /* max_count != clSize */
        {0x00, 0x00, 0x02, 0x00, 0x03, 0, 0, 0, 0x05, 0, 0, 0, 0x03, 0, 0, 0}, /* odd cBytes */
        {0x00, 0x00, 0x02, 0x00, 0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0}, /* null with data */
        {0x00, 0x00, 0x02, 0x00, 0x40, 0, 0, 0, 0x80, 0, 0, 0, 0x40, 0, 0, 0}, /* longer than the input */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wmgw_ndr_reader r;
        struct wmgw_err err;
        struct wmgw_buf s;
        bool present;
        wmgw_buf_init(&s, 100);
        wmgw_err_clear(&err);
        wmgw_ndr_reader_init(&r, bad[i], sizeof(bad[i]), &err);
        CHECK_INT(wmgw_ndr_get_bstr(&r, &s, &present, "strObjectPath"), WMGW_EPROTO);
        CHECK(strstr(err.message, "strObjectPath") != NULL);
        wmgw_buf_dispose(&s);
    }
}

static void test_string_refusals(void)
{
    static const uint8_t cases[][20] = {
        {2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 'b', 0},          /* no NUL */
        {3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 0, 0, 'b', 0, 0, 0}, /* NUL inside */
        {3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 0, 0},            /* offset 1 */
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                          /* actual_count 0 */
        {9, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 'a', 0, 0, 0},            /* runs past the input */
    };
    static const size_t lens[] = {16, 20, 16, 12, 16};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct wmgw_ndr_reader r;
        struct wmgw_err err;
        struct wmgw_buf s;
        wmgw_buf_init(&s, 100);
        wmgw_err_clear(&err);
        wmgw_ndr_reader_init(&r, cases[i], lens[i], &err);
        CHECK_INT(wmgw_ndr_get_wstr(&r, &s, "wszNetworkResource"), WMGW_EPROTO);
        CHECK(strstr(err.message, "wszNetworkResource") != NULL);
        wmgw_buf_dispose(&s);
    }
    /* a well-formed string longer than the caller's limit */
    start();
    wmgw_ndr_put_wstr(&w, "0123456789");
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    struct wmgw_buf s;
    wmgw_buf_init(&s, 4);
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_wstr(&r, &s, "name"), WMGW_ETOOBIG);
    wmgw_buf_dispose(&s);
    /* unpaired surrogates decode to U+FFFD */
    static const uint8_t sur[] = {3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x00, 0xd8, 'x', 0, 0, 0};
    wmgw_buf_init(&s, 100);
    wmgw_ndr_reader_init(&r, sur, sizeof(sur), &err);
    CHECK_INT(wmgw_ndr_get_wstr(&r, &s, "s"), 0);
    CHECK_STR(s.data, "\xef\xbf\xbdx");
    wmgw_buf_dispose(&s);
}

/* ---- DCOM types ---- */

static void test_orpcthis_golden(void)
{
    static const uint8_t want[32] = {0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0xfe, 0x16, 0x24, 0x8e, 0x3f, 0x0a, 0xbe, 0x42, 0xa9, 0xe1,
                                     0xf3, 0x06, 0x24, 0xc9, 0x46, 0x19, 0x00, 0x00, 0x00, 0x00};
    struct wmgw_ndr_orpcthis t = {5, 7, 0, 0, uuid("8e2416fe-0a3f-42be-a9e1-f30624c94619")};
    start();
    wmgw_ndr_put_orpcthis(&w, &t);
    check_bytes(want, sizeof(want));
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    struct wmgw_ndr_orpcthis d;
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_orpcthis(&r, &d), 0);
    CHECK(d.major == 5 && d.minor == 7 && !d.has_extensions && wmgw_uuid_eq(&d.cid, &t.cid));
    CHECK_INT(wmgw_ndr_expect_end(&r, "ORPCTHIS"), 0);
}

static void test_orpc_extensions(void)
{
    struct wmgw_ndr_orpcthis t = {5, 7, 1, 0, uuid("11111111-2222-3333-4444-555555555555"), true, 3};
    t.ext[0] = (struct wmgw_ndr_extent){uuid("f1f19680-4d2a-11ce-a66a-0020af6e72f4"), 5, (const uint8_t *)"abcde"};
    t.ext[1] = (struct wmgw_ndr_extent){uuid("00000001-0000-0000-0000-000000000000"), 0, NULL};
    t.ext[2] = (struct wmgw_ndr_extent){uuid("00000002-0000-0000-0000-000000000000"), 8, (const uint8_t *)"12345678"};
    start();
    wmgw_ndr_put_orpcthis(&w, &t);
    /* ORPCTHIS 32 + array header 12 + conformance 4 + 4 slots (odd count:
     * a NULL one) 16 + extents (20+4+8, 20+4+0, 20+4+8) */
    CHECK_INT(out.len, 32 + 12 + 4 + 16 + 32 + 24 + 32);
    CHECK_INT(((uint8_t *)out.data)[44], 4); /* max_count = (3+1)&~1 */
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    struct wmgw_ndr_orpcthis d;
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_orpcthis(&r, &d), 0);
    CHECK_INT(wmgw_ndr_expect_end(&r, "ORPCTHIS"), 0);
    CHECK(d.has_extensions && d.n_ext == 3);
    CHECK(d.ext[0].size == 5 && memcmp(d.ext[0].data, "abcde", 5) == 0);
    CHECK(d.ext[1].size == 0 && wmgw_uuid_eq(&d.ext[1].id, &t.ext[1].id));
    CHECK(d.ext[2].size == 8 && memcmp(d.ext[2].data, "12345678", 8) == 0);
    CHECK_INT(r.depth, 0);

    /* ORPCTHAT: extensions present but empty (NULL array), then none */
    struct wmgw_ndr_orpcthat a = {0x1234, true, 0};
    start();
    wmgw_ndr_put_orpcthat(&w, &a);
    a.has_extensions = false;
    wmgw_ndr_put_orpcthat(&w, &a);
    CHECK_INT(out.len, 8 + 12 + 8);
    struct wmgw_ndr_orpcthat b1, b2;
    reader(&r, &err);
    wmgw_ndr_get_orpcthat(&r, &b1);
    wmgw_ndr_get_orpcthat(&r, &b2);
    CHECK_INT(wmgw_ndr_expect_end(&r, "ORPCTHAT"), 0);
    CHECK(b1.flags == 0x1234 && b1.has_extensions && b1.n_ext == 0 && !b2.has_extensions);

    /* size says 1, but both slots are non-NULL; too many extensions */
    start();
    t.n_ext = 1;
    wmgw_ndr_put_orpcthis(&w, &t);
    ((uint8_t *)out.data)[52] = 0x01; /* the NULL second slot (0 at 52..55) becomes non-NULL */
    reader(&r, &err);
    CHECK_INT(wmgw_ndr_get_orpcthis(&r, &d), WMGW_EPROTO);
    CHECK(strstr(err.message, "ORPC_EXTENT_ARRAY") != NULL);
    start();
    t.n_ext = WMGW_NDR_MAX_EXTENTS + 1;
    CHECK_INT(wmgw_ndr_put_orpcthis(&w, &t), WMGW_EINVAL);
}

static void test_mip_stdobjref(void)
{
    struct wmgw_ndr_stdobjref s = {WMGW_NDR_SORF_NOPING, 5, 0x1122334455667788ull, 0x99aabbccddeeff00ull,
                                   uuid("0001a407-06c4-0000-a6e3-c870b6019c76")};
    start();
    wmgw_ndr_put_pmip(&w, (const uint8_t *)"MEOW-abc", 8);
    wmgw_ndr_put_pmip(&w, NULL, 0);
    wmgw_ndr_put_u8(&w, 1);
    wmgw_ndr_put_stdobjref(&w, &s);  /* 8-aligned: 7 pad octets after the byte */
    wmgw_ndr_put_mip(&w, (const uint8_t *)"", 0);
    CHECK_INT(out.len, 4 + 8 + 8 + 4 + 1 + 7 + 40 + 8);
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    reader(&r, &err);
    const uint8_t *p;
    size_t n;
    bool present;
    uint8_t b;
    struct wmgw_ndr_stdobjref s2;
    wmgw_ndr_get_pmip(&r, &p, &n, &present);
    CHECK(present && n == 8 && memcmp(p, "MEOW-abc", 8) == 0);
    wmgw_ndr_get_pmip(&r, &p, &n, &present);
    CHECK(!present && p == NULL && n == 0);
    wmgw_ndr_get_u8(&r, &b, "b");
    wmgw_ndr_get_stdobjref(&r, &s2);
    CHECK(memcmp(&s, &s2, sizeof(s)) == 0);
    wmgw_ndr_get_mip(&r, &p, &n);
    CHECK_INT(n, 0);
    CHECK_INT(wmgw_ndr_expect_end(&r, "mip"), 0);
    /* ulCntData disagreeing with max_count */
    static const uint8_t bad[] = {0x00, 0x00, 0x02, 0x00, 3, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
    wmgw_ndr_reader_init(&r, bad, sizeof(bad), &err);
    CHECK_INT(wmgw_ndr_get_pmip(&r, &p, &n, &present), WMGW_EPROTO);
    CHECK(strstr(err.message, "ulCntData") != NULL);
}

static struct wmgw_ndr_dsa sample_dsa(void)
{
    struct wmgw_ndr_dsa d;
    memset(&d, 0, sizeof(d));
    d.n_strings = 2;
    d.strings[0] = (struct wmgw_ndr_stringbinding){7, "WMSIM-01[49667]"};
    d.strings[1] = (struct wmgw_ndr_stringbinding){7, "127.0.0.1[49667]"};
    d.n_security = 2;
    d.security[0] = (struct wmgw_ndr_secbinding){10, 0xFFFF, ""};
    d.security[1] = (struct wmgw_ndr_secbinding){16, 0xFFFF, "host/wmsim-01"};
    return d;
}

static void check_dsa_eq(const struct wmgw_ndr_dsa *a, const struct wmgw_ndr_dsa *b)
{
    CHECK_INT(a->n_strings, b->n_strings);
    CHECK_INT(a->n_security, b->n_security);
    for (size_t i = 0; i < a->n_strings && i < b->n_strings; i++) {
        CHECK_INT(a->strings[i].tower_id, b->strings[i].tower_id);
        CHECK_STR(a->strings[i].addr, b->strings[i].addr);
    }
    for (size_t i = 0; i < a->n_security && i < b->n_security; i++) {
        CHECK_INT(a->security[i].authn_svc, b->security[i].authn_svc);
        CHECK_STR(a->security[i].princ, b->security[i].princ);
    }
}

static void test_dsa(void)
{
    /* the smallest DUALSTRINGARRAY (MS-DCOM 2.2.19.1): 4 entries, offset 2 */
    static const uint8_t empty[] = {4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct wmgw_ndr_dsa e, d = sample_dsa(), d2;
    struct wmgw_err err;
    struct wmgw_buf b;
    memset(&e, 0, sizeof(e));
    wmgw_buf_init(&b, 4096);
    CHECK_INT(wmgw_ndr_dsa_pack(&e, &b, &err), 0);
    CHECK(b.len == sizeof(empty) && memcmp(b.data, empty, sizeof(empty)) == 0);
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_ndr_dsa_pack(&d, &b, &err), 0);
    /* entries: (1+15+1) + (1+16+1) + 1 = 36, then (2+0+1) + (2+13+1) + 1 = 20 */
    CHECK_INT(b.len, 4 + 2 * 56);
    CHECK_INT((uint8_t)b.data[0], 56);
    CHECK_INT((uint8_t)b.data[2], 36);
    size_t used;
    CHECK_INT(wmgw_ndr_dsa_unpack((const uint8_t *)b.data, b.len, &d2, &used, &err), 0);
    CHECK_INT(used, b.len);
    check_dsa_eq(&d, &d2);
    CHECK_INT(d2.security[0].reserved, 0xFFFF);
    /* NDR form: conformance, wNumEntries, wSecurityOffset, entries */
    start();
    wmgw_ndr_put_dsa(&w, &d);
    wmgw_ndr_put_dsa(&w, &e);
    CHECK_INT(out.len, 4 + 4 + 112 + 4 + 4 + 8);
    struct wmgw_ndr_reader r;
    reader(&r, &err);
    wmgw_ndr_get_dsa(&r, &d2);
    check_dsa_eq(&d, &d2);
    wmgw_ndr_get_dsa(&r, &d2);
    CHECK_INT(d2.n_strings + d2.n_security, 0);
    CHECK_INT(wmgw_ndr_expect_end(&r, "dsa"), 0);

    /* refusals: offset past the end, an unterminated string, entries past the input */
    uint8_t bad[4 + 2 * 56];
    memcpy(bad, b.data, sizeof(bad));
    bad[2] = 60;
    CHECK_INT(wmgw_ndr_dsa_unpack(bad, sizeof(bad), &d2, NULL, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "wSecurityOffset") != NULL);
    memcpy(bad, b.data, sizeof(bad));
    bad[2] = 10; /* security section starts inside the first address */
    CHECK_INT(wmgw_ndr_dsa_unpack(bad, sizeof(bad), &d2, NULL, &err), WMGW_EPROTO);
    CHECK_INT(wmgw_ndr_dsa_unpack(bad, 20, &d2, NULL, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "wNumEntries") != NULL);
    wmgw_buf_dispose(&b);

    /* more bindings than kept: validated, the extra ones dropped */
    memset(&d, 0, sizeof(d));
    d.n_strings = WMGW_NDR_MAX_BINDINGS;
    for (size_t i = 0; i < d.n_strings; i++)
        d.strings[i] = (struct wmgw_ndr_stringbinding){7, "10.0.0.1"};
    wmgw_buf_init(&b, 4096);
    CHECK_INT(wmgw_ndr_dsa_pack(&d, &b, &err), 0);
    /* splice one more binding in front of the terminator */
    uint16_t num = (uint16_t)((uint8_t)b.data[0] | (uint8_t)b.data[1] << 8);
    struct wmgw_buf b2;
    wmgw_buf_init(&b2, 4096);
    uint8_t hdr[4] = {(uint8_t)(num + 4), 0, (uint8_t)(num + 2), 0}; /* old offset num - 2, + 4 */
    wmgw_buf_add(&b2, hdr, 4);
    wmgw_buf_add(&b2, "\x07\x00" "a\0b\0\0\0", 8);
    wmgw_buf_add(&b2, b.data + 4, b.len - 4);
    CHECK_INT(wmgw_ndr_dsa_unpack((const uint8_t *)b2.data, b2.len, &d2, NULL, &err), 0);
    CHECK_INT(d2.n_strings, WMGW_NDR_MAX_BINDINGS);
    CHECK_STR(d2.strings[0].addr, "ab");
    wmgw_buf_dispose(&b);
    wmgw_buf_dispose(&b2);
}

static void test_objref(void)
{
    struct wmgw_ndr_objref o, d;
    struct wmgw_err err;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    memset(&o, 0, sizeof(o));
    o.flags = WMGW_NDR_OBJREF_STANDARD;
    o.iid = uuid("9556dc99-828c-11cf-a37e-00aa003240c7");
    o.std = (struct wmgw_ndr_stdobjref){0, 5, 0x0102030405060708ull, 0x1112131415161718ull,
                                        uuid("0001a407-06c4-0000-a6e3-c870b6019c76")};
    o.resolver = sample_dsa();
    CHECK_INT(wmgw_ndr_objref_encode(&o, &b, &err), 0);
    CHECK_INT(b.len, 24 + 40 + 4 + 112);
    CHECK(memcmp(b.data, "MEOW\x01\x00\x00\x00", 8) == 0);
    CHECK_INT((uint8_t)b.data[28], 5); /* cPublicRefs */
    CHECK_INT((uint8_t)b.data[32], 8); /* oxid, little-endian */
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), 0);
    CHECK(d.flags == 1 && wmgw_uuid_eq(&d.iid, &o.iid) && memcmp(&d.std, &o.std, sizeof(o.std)) == 0);
    check_dsa_eq(&d.resolver, &o.resolver);
    for (size_t k = 0; k < b.len; k++) { /* every truncation, exact-size copies */
        uint8_t *c = malloc(k ? k : 1);
        memcpy(c, b.data, k);
        int rc = wmgw_ndr_objref_decode(c, k, &d, &err);
        CHECK(rc == WMGW_EPROTO);
        free(c);
    }

    o.flags = WMGW_NDR_OBJREF_HANDLER;
    o.clsid = uuid("4590f812-1d3a-11d0-891f-00aa004b2e24");
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_ndr_objref_encode(&o, &b, &err), 0);
    CHECK_INT(b.len, 24 + 56 + 4 + 112);
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), 0);
    CHECK(d.flags == 2 && wmgw_uuid_eq(&d.clsid, &o.clsid));
    check_dsa_eq(&d.resolver, &o.resolver);

    memset(&o, 0, sizeof(o));
    o.flags = WMGW_NDR_OBJREF_CUSTOM;
    o.iid = uuid("dc12a681-737f-11cf-884d-00aa004b2e24");
    o.clsid = uuid("4590f812-1d3a-11d0-891f-00aa004b2e24");
    o.reserved = 6;
    o.object_data = (const uint8_t *)"\x78\x56\x34\x12zz";
    o.object_len = 6;
    wmgw_buf_reset(&b);
    CHECK_INT(wmgw_ndr_objref_encode(&o, &b, &err), 0);
    CHECK_INT(b.len, 48 + 6);
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), 0);
    CHECK(d.flags == 4 && d.reserved == 6 && d.object_len == 6 && memcmp(d.object_data, o.object_data, 6) == 0);

    /* refusals */
    ((uint8_t *)b.data)[0] = 'X';
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "signature") != NULL);
    ((uint8_t *)b.data)[0] = 'M';
    ((uint8_t *)b.data)[4] = 8;
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), WMGW_EUNSUPPORTED);
    ((uint8_t *)b.data)[4] = 3;
    CHECK_INT(wmgw_ndr_objref_decode((const uint8_t *)b.data, b.len, &d, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "flags") != NULL);
    o.flags = 8;
    CHECK_INT(wmgw_ndr_objref_encode(&o, &b, &err), WMGW_EINVAL);
    wmgw_buf_dispose(&b);
}

/* Real OBJREF_CUSTOM blobs (IWbemClassObject, from Windows via impacket's
 * tests) in ../shared/captures/wmio/impacket. */
static void test_captured_objrefs(void)
{
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL) {
        printf("# captures not available, skipped\n");
        return;
    }
    static const char *const files[] = {"win32-utctime-instance-sevenx64", "eventfilter-spawninstance",
                                        "intervaltimerinstruction-spawninstance",
                                        "activescripteventconsumer-spawninstance"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/wmio/impacket/%s.objref.bin", dir, files[i]);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        static uint8_t blob[65536];
        size_t n = fread(blob, 1, sizeof(blob), f);
        fclose(f);
        struct wmgw_ndr_objref o;
        struct wmgw_err err;
        CHECK_INT(wmgw_ndr_objref_decode(blob, n, &o, &err), 0);
        CHECK_INT(o.flags, WMGW_NDR_OBJREF_CUSTOM);
        CHECK(wmgw_uuid_eq(&o.iid, &(struct wmgw_uuid){{0x81, 0xa6, 0x12, 0xdc, 0x7f, 0x73, 0xcf, 0x11, 0x88, 0x4d,
                                                         0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24}}));
        CHECK_INT(o.reserved, o.object_len); /* WMI: the EncodingUnit's size */
        CHECK(o.object_len > 8 && memcmp(o.object_data, "\x78\x56\x34\x12", 4) == 0);
        /* wrapped in an MInterfacePointer and back */
        start();
        wmgw_ndr_put_pmip(&w, blob, n);
        struct wmgw_ndr_reader r;
        reader(&r, &err);
        const uint8_t *p;
        size_t len;
        bool present;
        CHECK_INT(wmgw_ndr_get_pmip(&r, &p, &len, &present), 0);
        CHECK(present && len == n && memcmp(p, blob, n) == 0);
        struct wmgw_buf b;
        wmgw_buf_init(&b, 65536);
        CHECK_INT(wmgw_ndr_objref_encode(&o, &b, &err), 0);
        CHECK(b.len == n && memcmp(b.data, blob, n) == 0);
        wmgw_buf_dispose(&b);
    }
}

/* Every prefix of a stub holding every DCOM type decodes to an error, never
 * past its end (exact-size copies, ASan). */
static void test_truncations(void)
{
    struct wmgw_ndr_orpcthis t = {5, 7, 0, 0, uuid("11111111-2222-3333-4444-555555555555"), true, 1};
    t.ext[0] = (struct wmgw_ndr_extent){uuid("f1f19680-4d2a-11ce-a66a-0020af6e72f4"), 3, (const uint8_t *)"abc"};
    struct wmgw_ndr_dsa dsa = sample_dsa();
    struct wmgw_ndr_stdobjref s = {0, 1, 2, 3, uuid("0001a407-06c4-0000-a6e3-c870b6019c76")};
    start();
    wmgw_ndr_put_orpcthis(&w, &t);
    wmgw_ndr_put_bstr(&w, "SELECT * FROM Win32_Service");
    wmgw_ndr_put_wstr_ptr(&w, "//./root/cimv2");
    wmgw_ndr_put_pmip(&w, (const uint8_t *)"MEOWxxxx", 8);
    wmgw_ndr_put_stdobjref(&w, &s);
    wmgw_ndr_put_dsa(&w, &dsa);
    struct wmgw_ndr_orpcthat a = {0, true, 1, {t.ext[0]}};
    wmgw_ndr_put_orpcthat(&w, &a);
    CHECK_INT(w.rc, 0);
    for (size_t k = 0; k <= out.len; k++) {
        uint8_t *c = malloc(k ? k : 1);
        memcpy(c, out.data, k);
        struct wmgw_ndr_reader r;
        struct wmgw_err err;
        struct wmgw_buf str;
        wmgw_buf_init(&str, 4096);
        wmgw_ndr_reader_init(&r, c, k, &err);
        struct wmgw_ndr_orpcthis t2;
        struct wmgw_ndr_orpcthat a2;
        struct wmgw_ndr_stdobjref s2;
        struct wmgw_ndr_dsa d2;
        const uint8_t *p;
        size_t n;
        bool present;
        wmgw_ndr_get_orpcthis(&r, &t2);
        wmgw_ndr_get_bstr(&r, &str, &present, "strQuery");
        wmgw_ndr_get_wstr_ptr(&r, &str, &present, "wszNetworkResource");
        wmgw_ndr_get_pmip(&r, &p, &n, &present);
        wmgw_ndr_get_stdobjref(&r, &s2);
        wmgw_ndr_get_dsa(&r, &d2);
        wmgw_ndr_get_orpcthat(&r, &a2);
        int rc = wmgw_ndr_expect_end(&r, "stub");
        CHECK(k == out.len ? rc == 0 : rc == WMGW_EPROTO);
        if (k == out.len)
            CHECK_STR(str.data, "SELECT * FROM Win32_Service//./root/cimv2");
        wmgw_buf_dispose(&str);
        free(c);
    }
}

int main(void)
{
    WMGW_TEST_RUN(test_primitives);
    WMGW_TEST_RUN(test_pointers);
    WMGW_TEST_RUN(test_nested_pointers);
    WMGW_TEST_RUN(test_arrays);
    WMGW_TEST_RUN(test_strings);
    WMGW_TEST_RUN(test_bstr_golden);
    WMGW_TEST_RUN(test_string_refusals);
    WMGW_TEST_RUN(test_orpcthis_golden);
    WMGW_TEST_RUN(test_orpc_extensions);
    WMGW_TEST_RUN(test_mip_stdobjref);
    WMGW_TEST_RUN(test_dsa);
    WMGW_TEST_RUN(test_objref);
    WMGW_TEST_RUN(test_captured_objrefs);
    WMGW_TEST_RUN(test_truncations);
    wmgw_buf_dispose(&out);
    return WMGW_TEST_DONE();
}
