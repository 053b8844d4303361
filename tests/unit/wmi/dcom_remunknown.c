/*
 * dcom_remunknown.c: tests for translators/wmi/dcom_remunknown.c: the
 * RemQueryInterface of MS-WMI 4.1.1 (IPID {0001A407-06C4-0000-A6E3-
 * C870B6019C76}, 5 references, one IID; the reply's REMQIRESULT pointer
 * 0x00020000) and RemAddRef / RemRelease, each a round trip in both roles
 * with the bytes NDR fixes checked; failed calls (no results); limits and
 * truncations.
 */
#include "translators/wmi/dcom_remunknown.h"

#include "../test.h"

static uint32_t rd32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void test_remqi_trace(void)
{
    struct wmgw_dcom_remqi_req q, sq;
    struct wmgw_dcom_remqi_resp a, ca;
    struct wmgw_buf stub;
    struct wmgw_err err;
    struct wmgw_uuid cid;
    wmgw_buf_init(&stub, 1 << 16);
    memset(&q, 0, sizeof(q));
    wmgw_uuid_parse(&cid, "8e2416fe-0a3f-42be-a9b0-f30624c94619", NULL);
    wmgw_dcom_orpcthis_init(&q.orpc, &cid);
    wmgw_uuid_parse(&q.ipid, "0001a407-06c4-0000-a6e3-c870b6019c76", NULL);
    q.refs = 5;
    q.n_iids = 1;
    q.iids[0] = wmgw_dcom_iid_iwbem_login_client_id;
    CHECK_INT(wmgw_dcom_remqi_req_encode(&stub, &q, &err), 0);
    /* ORPCTHIS 32, ripid 16, cRefs, cIids + 2 octets of alignment, max_count, IID */
    CHECK_INT(stub.len, 32 + 16 + 4 + 4 + 4 + 16);
    CHECK(memcmp(stub.data + 32, q.ipid.b, 16) == 0);
    CHECK_INT(rd32(stub.data + 48), 5);
    CHECK(memcmp(stub.data + 52, "\x01\x00\x00\x00\x01\x00\x00\x00", 8) == 0);
    CHECK(memcmp(stub.data + 60, wmgw_dcom_iid_iwbem_login_client_id.b, 16) == 0);
    CHECK_INT(wmgw_dcom_remqi_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err), 0);
    CHECK(wmgw_uuid_eq(&sq.ipid, &q.ipid) && sq.refs == 5 && sq.n_iids == 1);
    CHECK(wmgw_uuid_eq(&sq.iids[0], &wmgw_dcom_iid_iwbem_login_client_id) && wmgw_uuid_eq(&sq.orpc.cid, &cid));

    memset(&a, 0, sizeof(a));
    a.n_results = sq.n_iids;
    a.results[0].std.public_refs = sq.refs;
    a.results[0].std.oxid = 0x5e4c3f2a1b0c9d8eull;
    a.results[0].std.oid = 0x1122334455667788ull;
    wmgw_uuid_parse(&a.results[0].std.ipid, "0002e41c-06c4-0000-1f17-07bcf2eeb3f8", NULL);
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_remqi_resp_encode(&stub, &a, &err), 0);
    /* ORPCTHAT 8, "RemqiresultPtr: Pointer To 0x00020000", max_count, (8-aligned) hResult,
     * 4 octets, STDOBJREF 40, HRESULT */
    CHECK_INT(rd32(stub.data + 8), 0x20000);
    CHECK_INT(rd32(stub.data + 12), 1);
    CHECK_INT(stub.len, 16 + 48 + 4);
    CHECK_INT(rd32(stub.data + 16), 0);
    CHECK_INT(rd32(stub.data + 28), 5); /* cPublicRefs */
    CHECK_INT(wmgw_dcom_remqi_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(ca.n_results == 1 && ca.hr == 0 && ca.results[0].hr == 0 && ca.results[0].std.public_refs == 5);
    CHECK(ca.results[0].std.oxid == a.results[0].std.oxid && ca.results[0].std.oid == a.results[0].std.oid);
    CHECK(wmgw_uuid_eq(&ca.results[0].std.ipid, &a.results[0].std.ipid));

    /* three IIDs, one refused */
    a.n_results = 3;
    a.results[1].hr = WMGW_HR_E_NOINTERFACE;
    a.results[2] = a.results[0];
    a.results[2].std.ipid.b[0] ^= 1;
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_remqi_resp_encode(&stub, &a, &err), 0);
    CHECK_INT(stub.len, 16 + 3 * 48 + 4);
    CHECK_INT(wmgw_dcom_remqi_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(ca.n_results == 3 && ca.results[1].hr == WMGW_HR_E_NOINTERFACE);
    CHECK(wmgw_uuid_eq(&ca.results[2].std.ipid, &a.results[2].std.ipid));

    /* the whole call failed: NULL results */
    memset(&a, 0, sizeof(a));
    a.hr = WMGW_HR_RPC_E_INVALID_OBJECT;
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_remqi_resp_encode(&stub, &a, &err), 0);
    CHECK_INT(stub.len, 16);
    CHECK_INT(wmgw_dcom_remqi_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(ca.n_results == 0 && ca.hr == WMGW_HR_RPC_E_INVALID_OBJECT);
    wmgw_buf_dispose(&stub);
}

static void test_remqi_limits(void)
{
    struct wmgw_dcom_remqi_req q, sq;
    struct wmgw_buf stub;
    struct wmgw_err err;
    wmgw_buf_init(&stub, 1 << 16);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.n_iids = WMGW_DCOM_MAX_QI + 1;
    CHECK(wmgw_dcom_remqi_req_encode(&stub, &q, &err) == WMGW_EINVAL);
    CHECK_INT(stub.len, 0);
    q.n_iids = 2;
    CHECK_INT(wmgw_dcom_remqi_req_encode(&stub, &q, &err), 0);
    stub.data[56] = 3; /* max_count 3 for cIids 2 */
    CHECK(wmgw_dcom_remqi_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "RemQueryInterface.iids") != NULL);
    stub.data[56] = 2;
    stub.data[52] = 3; /* cIids 3 for max_count 2 */
    CHECK(wmgw_dcom_remqi_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err) == WMGW_EPROTO);
    stub.data[52] = 2;
    for (size_t n = 0; n < stub.len; n++)
        CHECK(wmgw_dcom_remqi_req_decode((const uint8_t *)stub.data, n, &sq, &err) == WMGW_EPROTO);
    /* a reply claiming 17 results */
    const uint8_t big[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 17, 0, 0, 0};
    struct wmgw_dcom_remqi_resp ca;
    CHECK(wmgw_dcom_remqi_resp_decode(big, sizeof(big), &ca, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "ppQIResults") != NULL);
    wmgw_buf_dispose(&stub);
}

static void test_remaddref_and_release(void)
{
    struct wmgw_dcom_remref_req q, sq;
    struct wmgw_dcom_remaddref_resp a, ca;
    struct wmgw_dcom_status_resp r = {{0}, 0}, cr;
    struct wmgw_buf stub;
    struct wmgw_err err;
    wmgw_buf_init(&stub, 1 << 16);
    memset(&q, 0, sizeof(q));
    wmgw_dcom_orpcthis_init(&q.orpc, NULL);
    q.n_refs = 2;
    wmgw_uuid_parse(&q.refs[0].ipid, "0001a407-06c4-0000-a6e3-c870b6019c76", NULL);
    q.refs[0].public_refs = 5;
    wmgw_uuid_parse(&q.refs[1].ipid, "0002e41c-06c4-0000-1f17-07bcf2eeb3f8", NULL);
    q.refs[1].public_refs = 1;
    q.refs[1].private_refs = 2;
    CHECK_INT(wmgw_dcom_remref_req_encode(&stub, &q, &err), 0);
    /* ORPCTHIS, cInterfaceRefs + 2 octets, max_count, 2 x 24 */
    CHECK_INT(stub.len, 32 + 4 + 4 + 48);
    CHECK(memcmp(stub.data + 32, "\x02\x00\x00\x00\x02\x00\x00\x00", 8) == 0);
    CHECK(memcmp(stub.data + 40, q.refs[0].ipid.b, 16) == 0);
    CHECK_INT(rd32(stub.data + 56), 5);
    CHECK_INT(rd32(stub.data + 84), 2);
    CHECK_INT(wmgw_dcom_remref_req_decode((const uint8_t *)stub.data, stub.len, &sq, &err), 0);
    CHECK(sq.n_refs == 2 && sq.refs[1].private_refs == 2 && wmgw_uuid_eq(&sq.refs[1].ipid, &q.refs[1].ipid));

    memset(&a, 0, sizeof(a));
    a.n_results = 2;
    a.results[1] = WMGW_HR_CO_E_OBJNOTREG;
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_remaddref_resp_encode(&stub, &a, &err), 0);
    CHECK_INT(stub.len, 8 + 4 + 8 + 4);
    CHECK_INT(wmgw_dcom_remaddref_resp_decode((const uint8_t *)stub.data, stub.len, &ca, &err), 0);
    CHECK(ca.n_results == 2 && ca.results[0] == 0 && ca.results[1] == WMGW_HR_CO_E_OBJNOTREG && ca.hr == 0);

    /* RemRelease: the same request, a status reply */
    wmgw_buf_reset(&stub);
    CHECK_INT(wmgw_dcom_status_resp_encode(&stub, &r, &err), 0);
    CHECK_INT(wmgw_dcom_status_resp_decode((const uint8_t *)stub.data, stub.len, &cr, &err), 0);
    CHECK_INT(cr.hr, 0);

    q.n_refs = WMGW_DCOM_MAX_REFS + 1;
    CHECK(wmgw_dcom_remref_req_encode(&stub, &q, &err) == WMGW_EINVAL);
    const uint8_t many[] = {5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                            0, 0, 0, 0, 65, 0, 0, 0, 65, 0, 0, 0};
    CHECK(wmgw_dcom_remref_req_decode(many, sizeof(many), &sq, &err) == WMGW_EPROTO);
    CHECK(strstr(err.message, "InterfaceRefs") != NULL);
    wmgw_buf_dispose(&stub);
}

int main(void)
{
    WMGW_TEST_RUN(test_remqi_trace);
    WMGW_TEST_RUN(test_remqi_limits);
    WMGW_TEST_RUN(test_remaddref_and_release);
    return WMGW_TEST_DONE();
}
