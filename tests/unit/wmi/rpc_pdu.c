/*
 * rpc_pdu.c: tests for translators/wmi/rpc_pdu.c: golden PDUs written out
 * byte by byte from the C706 12.6 / MS-RPCE 2.2.2 layouts (bind with and
 * without auth, bind_ack with a secondary address, bind_nak, request with
 * object UUID and sec_trailer, response, fault, rpc_auth3, shutdown),
 * round trips, every truncation of every golden PDU under ASan, and the
 * malformed inputs the decoder must refuse with a message naming the field.
 * tests/python/test_rpc_impacket.py cross-checks the same layouts against
 * impacket.
 */
#include "translators/wmi/rpc_pdu.h"

#include "../test.h"

#define IID_SCM_ACTIVATOR "000001a0-0000-0000-c000-000000000046"

static struct wmgw_rpc_syntax syntax(const char *uuid, uint16_t major, uint16_t minor)
{
    struct wmgw_rpc_syntax s = {{{0}}, major, minor};
    CHECK_INT(wmgw_uuid_parse(&s.uuid, uuid, NULL), 0);
    return s;
}

/* Encodes p and compares with the expected bytes. */
static void check_golden(const struct wmgw_rpc_pdu *p, const uint8_t *want, size_t want_len)
{
    struct wmgw_buf b;
    struct wmgw_err err;
    wmgw_buf_init(&b, 1 << 16);
    CHECK_INT(wmgw_rpc_pdu_encode(p, &b, &err), 0);
    CHECK_INT(b.len, want_len);
    if (b.len == want_len && memcmp(b.data, want, want_len) != 0) {
        for (size_t i = 0; i < want_len; i++)
            if ((uint8_t)b.data[i] != want[i])
                fprintf(stderr, "  byte %zu: %02x, expected %02x\n", i, (uint8_t)b.data[i], want[i]);
        CHECK(!"bytes differ");
    }
    wmgw_buf_dispose(&b);
}

/* Decodes every prefix of pdu (frag_length patched to the prefix length,
 * in a buffer of exactly that size): no crash, no over-read, and only
 * WMGW_EPROTO or success. */
static void check_truncations(const uint8_t *pdu, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, pdu, k);
        if (k >= 10) {
            copy[8] = (uint8_t)k;
            copy[9] = (uint8_t)(k >> 8);
        }
        struct wmgw_rpc_pdu p;
        struct wmgw_err err;
        wmgw_err_clear(&err);
        int rc = wmgw_rpc_pdu_decode(copy, k, &p, &err);
        CHECK(rc == 0 || rc == WMGW_EPROTO);
        if (rc != 0)
            CHECK(err.message[0] != '\0');
        free(copy);
    }
}

static const uint8_t ndr20_bytes[20] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
                                        0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00};

static void test_bind_golden(void)
{
    static const uint8_t want[72] = {
        0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0xd0, 0x16, 0xd0, 0x16, 0x00, 0x00, 0x00, 0x00, /* max_xmit, max_recv 5840, assoc_group 0 */
        0x01, 0x00, 0x00, 0x00,                         /* n_context_elem 1 */
        0x00, 0x00, 0x01, 0x00,                         /* p_cont_id 0, n_transfer_syn 1 */
        0xa0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
        0x00, 0x00, 0x00, 0x00, /* IRemoteSCMActivator v0.0 */
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,
        0x02, 0x00, 0x00, 0x00}; /* NDR 2.0 */
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_BIND;
    p.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    p.call_id = 1;
    p.max_xmit_frag = p.max_recv_frag = 5840;
    p.n_ctx = 1;
    p.ctx[0].n_transfer = 1;
    p.ctx[0].abstract = syntax(IID_SCM_ACTIVATOR, 0, 0);
    p.ctx[0].transfer[0] = wmgw_rpc_ndr20;
    check_golden(&p, want, sizeof(want));

    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(want, sizeof(want), &d, &err), 0);
    CHECK_INT(d.ptype, WMGW_RPC_BIND);
    CHECK_INT(d.frag_length, 72);
    CHECK_INT(d.max_recv_frag, 5840);
    CHECK_INT(d.n_ctx, 1);
    CHECK(wmgw_uuid_eq(&d.ctx[0].abstract.uuid, &p.ctx[0].abstract.uuid));
    CHECK(memcmp(&d.ctx[0].transfer[0], &wmgw_rpc_ndr20, sizeof(wmgw_rpc_ndr20)) == 0);
    CHECK(!d.has_auth);
    check_truncations(want, sizeof(want));
}

static void test_bind_auth_golden(void)
{
    /* bind with an NTLM-style 8-byte token: sec_trailer right after the
     * context list (no padding in the bind family), auth_length 8. */
    uint8_t want[72 + 8 + 8];
    memcpy(want, (const uint8_t[]){0x05, 0x00, 0x0b, 0x07, 0x10, 0x00, 0x00, 0x00, 0x58, 0x00, 0x08, 0x00,
                                   0x02, 0x00, 0x00, 0x00, 0xb8, 0x10, 0xb8, 0x10, 0x44, 0x33, 0x22, 0x11,
                                   0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00},
           32);
    struct wmgw_rpc_syntax wbem = syntax("f309ad18-d86a-11d0-a075-00c04fb68820", 0, 0);
    memcpy(want + 32, wbem.uuid.b, 16);
    memset(want + 48, 0, 4);
    memcpy(want + 52, ndr20_bytes, 20);
    memcpy(want + 72, (const uint8_t[]){10, 6, 0, 0, 0x7f, 0x35, 0x01, 0x00}, 8); /* NTLM, privacy, ctx 79231 */
    memcpy(want + 80, "NTLMSSP\0", 8);
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_BIND;
    p.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG | WMGW_RPC_PFC_SUPPORT_HEADER_SIGN;
    p.call_id = 2;
    p.max_xmit_frag = p.max_recv_frag = 4280;
    p.assoc_group_id = 0x11223344;
    p.n_ctx = 1;
    p.ctx[0] = (struct wmgw_rpc_ctx_elem){5, 1, wbem, {wmgw_rpc_ndr20}};
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){WMGW_RPC_AUTHN_WINNT, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, 0, 0, 79231,
                                    (const uint8_t *)"NTLMSSP\0", 8};
    check_golden(&p, want, sizeof(want));
    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(want, sizeof(want), &d, &err), 0);
    CHECK(d.has_auth);
    CHECK_INT(d.auth.type, 10);
    CHECK_INT(d.auth.level, 6);
    CHECK_INT(d.auth.context_id, 79231);
    CHECK_INT(d.auth.token_len, 8);
    CHECK(memcmp(d.auth.token, "NTLMSSP", 8) == 0);
    CHECK_INT(d.ctx[0].cont_id, 5);
    CHECK_INT(d.assoc_group_id, 0x11223344);
    check_truncations(want, sizeof(want));
}

static void test_bind_ack_golden(void)
{
    /* sec_addr "135" (length 4 with the NUL) ends at offset 30; two pad
     * octets align p_result_list to 4. */
    uint8_t want[60];
    memcpy(want, (const uint8_t[]){0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
                                   0x01, 0x00, 0x00, 0x00, 0xd0, 0x16, 0xd0, 0x16, 0x78, 0x56, 0x34, 0x12,
                                   0x04, 0x00, '1',  '3',  '5',  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00},
           40);
    memcpy(want + 40, ndr20_bytes, 20);
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_BIND_ACK;
    p.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    p.call_id = 1;
    p.max_xmit_frag = p.max_recv_frag = 5840;
    p.assoc_group_id = 0x12345678;
    strcpy(p.sec_addr, "135");
    p.n_ctx = 1;
    p.results[0].transfer = wmgw_rpc_ndr20;
    check_golden(&p, want, sizeof(want));
    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(want, sizeof(want), &d, &err), 0);
    CHECK_STR(d.sec_addr, "135");
    CHECK_INT(d.n_ctx, 1);
    CHECK_INT(d.results[0].result, 0);
    CHECK_INT(d.assoc_group_id, 0x12345678);
    check_truncations(want, sizeof(want));

    /* no secondary address: length 0, then two pad octets (26 -> 28) */
    p.sec_addr[0] = '\0';
    p.n_ctx = 2;
    p.results[1] = (struct wmgw_rpc_result){WMGW_RPC_RESULT_PROVIDER_REJECTION, WMGW_RPC_REASON_TRANSFER_SYNTAX};
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), 0);
    CHECK_INT(b.len, 28 + 4 + 2 * 24);
    CHECK_INT(wmgw_rpc_pdu_decode((const uint8_t *)b.data, b.len, &d, &err), 0);
    CHECK_INT(d.n_ctx, 2);
    CHECK_INT(d.results[1].result, 2);
    CHECK_INT(d.results[1].reason, 2);
    CHECK_STR(d.sec_addr, "");
    wmgw_buf_dispose(&b);
}

static void test_request_golden(void)
{
    /* request with object UUID, 5 stub bytes, integrity: 11 octets of auth
     * padding bring the body to 16, then sec_trailer and a 16-byte token. */
    uint8_t want[40 + 16 + 8 + 16];
    struct wmgw_uuid ipid;
    CHECK_INT(wmgw_uuid_parse(&ipid, "00009801-0d2c-0000-8e1f-61a1c9e6b9d7", NULL), 0);
    memcpy(want, (const uint8_t[]){0x05, 0x00, 0x00, 0x83, 0x10, 0x00, 0x00, 0x00, 0x50, 0x00, 0x10, 0x00,
                                   0x07, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00},
           24);
    memcpy(want + 24, ipid.b, 16);
    memcpy(want + 40, "hello", 5);
    memset(want + 45, 0, 11);
    memcpy(want + 56, (const uint8_t[]){10, 5, 11, 0, 1, 0, 0, 0}, 8);
    for (int i = 0; i < 16; i++)
        want[64 + i] = (uint8_t)(0xA0 + i);
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_REQUEST;
    p.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG;
    p.call_id = 7;
    p.alloc_hint = 5;
    p.cont_id = 1;
    p.opnum = 6;
    p.object = ipid;
    p.stub = (const uint8_t *)"hello";
    p.stub_len = 5;
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){10, 5, (uint8_t)wmgw_rpc_auth_pad(5), 0, 1, want + 64, 16};
    check_golden(&p, want, sizeof(want));

    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(want, sizeof(want), &d, &err), 0);
    CHECK_INT(d.opnum, 6);
    CHECK_INT(d.cont_id, 1);
    CHECK(d.flags & WMGW_RPC_PFC_OBJECT_UUID);
    CHECK(wmgw_uuid_eq(&d.object, &ipid));
    CHECK_INT(d.stub_len, 5);
    CHECK(memcmp(d.stub, "hello", 5) == 0);
    CHECK_INT(d.body_off, 40);
    CHECK_INT(d.body_len, 16);
    CHECK_INT(d.auth.pad_length, 11);
    check_truncations(want, sizeof(want));

    /* no auth, no object: 24-byte header, stub right after */
    p.object = (struct wmgw_uuid){{0}};
    p.has_auth = false;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 4096);
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), 0);
    CHECK_INT(b.len, 29);
    CHECK_INT((uint8_t)b.data[3], 3);
    CHECK(memcmp(b.data + 24, "hello", 5) == 0);
    wmgw_buf_dispose(&b);
}

static void test_response_fault_golden(void)
{
    static const uint8_t resp[28] = {0x05, 0x00, 0x02, 0x03, 0x10, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x09, 0x00,
                                     0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_RESPONSE;
    p.flags = 3;
    p.call_id = 9;
    p.alloc_hint = 4;
    p.cont_id = 2;
    p.stub = resp + 24;
    p.stub_len = 4;
    check_golden(&p, resp, sizeof(resp));
    check_truncations(resp, sizeof(resp));

    static const uint8_t fault[32] = {0x05, 0x00, 0x03, 0x23, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00,
                                      0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x03, 0x00, 0x01, 0x1c, 0x00, 0x00, 0x00, 0x00};
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_FAULT;
    p.flags = WMGW_RPC_PFC_FIRST_FRAG | WMGW_RPC_PFC_LAST_FRAG | WMGW_RPC_PFC_DID_NOT_EXECUTE;
    p.call_id = 10;
    p.status = WMGW_RPC_FAULT_UNKNOWN_IF;
    check_golden(&p, fault, sizeof(fault));
    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(fault, sizeof(fault), &d, &err), 0);
    CHECK_INT(d.status, 0x1c010003);
    CHECK_INT(d.stub_len, 0);
    check_truncations(fault, sizeof(fault));
}

static void test_small_pdus_golden(void)
{
    static const uint8_t nak[21] = {0x05, 0x00, 0x0d, 0x03, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00,
                                    0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x05, 0x00};
    struct wmgw_rpc_pdu p;
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_BIND_NAK;
    p.flags = 3;
    p.call_id = 3;
    p.reject_reason = WMGW_RPC_NAK_AUTH_TYPE;
    check_golden(&p, nak, sizeof(nak));
    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_pdu_decode(nak, sizeof(nak), &d, &err), 0);
    CHECK_INT(d.reject_reason, 8);

    static const uint8_t auth3[16 + 4 + 8 + 4] = {0x05, 0x00, 0x10, 0x03, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x04,
                                                  0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x05,
                                                  0x00, 0x00, 0x7f, 0x35, 0x01, 0x00, 'A',  'U',  'T',  'H'};
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_AUTH3;
    p.flags = 3;
    p.call_id = 2;
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){10, 5, 0, 0, 79231, (const uint8_t *)"AUTH", 4};
    check_golden(&p, auth3, sizeof(auth3));
    CHECK_INT(wmgw_rpc_pdu_decode(auth3, sizeof(auth3), &d, &err), 0);
    CHECK_INT(d.auth.token_len, 4);
    check_truncations(auth3, sizeof(auth3));

    static const uint8_t shutdown[16] = {0x05, 0x00, 0x11, 0x03, 0x10, 0x00, 0x00, 0x00,
                                         0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_SHUTDOWN;
    p.flags = 3;
    check_golden(&p, shutdown, sizeof(shutdown));
    CHECK_INT(wmgw_rpc_pdu_decode(shutdown, sizeof(shutdown), &d, &err), 0);
    CHECK_STR(wmgw_rpc_ptype_name(d.ptype), "shutdown");
}

/* Decoding bytes must fail with EPROTO and a message containing needle. */
static void refuse(const uint8_t *pdu, size_t len, const char *needle)
{
    struct wmgw_rpc_pdu d;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    CHECK_INT(wmgw_rpc_pdu_decode(pdu, len, &d, &err), WMGW_EPROTO);
    if (strstr(err.message, needle) == NULL) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.message, needle);
        CHECK(!"message names the field");
    }
}

static void test_malformed(void)
{
    uint8_t b[128];
    static const uint8_t base[72] = {
        0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0xd0, 0x16, 0xd0, 0x16, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
#define MUT(stmt, needle)                                                                              \
    do {                                                                                               \
        memcpy(b, base, sizeof(base));                                                                 \
        stmt;                                                                                          \
        refuse(b, sizeof(base), needle);                                                               \
    } while (0)
    MUT(b[0] = 4, "rpc_vers");
    MUT(b[1] = 2, "rpc_vers");
    MUT(b[4] = 0x00, "packed_drep");
    MUT(b[5] = 1, "packed_drep");
    MUT((b[8] = 10, b[9] = 0), "frag_length");
    MUT((b[8] = 0x49), "truncated");
    MUT((b[10] = 60), "auth_length");
    MUT(b[2] = 42, "PTYPE");
    MUT(b[24] = 9, "n_context_elem");
    MUT(b[30] = 0, "n_transfer_syn");
    MUT(b[30] = 5, "n_transfer_syn");
    MUT(b[24] = 2, "truncated");
    /* request whose auth_pad_length is larger than its body */
    static const uint8_t req[24 + 4 + 8 + 4] = {0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0x28, 0x00,
                                                0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                0x00, 0x00, 0x00, 0x00, 1,    2,    3,    4,    10,   5,
                                                5,    0,    0,    0,    0,    0,    9,    9,    9,    9};
    refuse(req, sizeof(req), "auth_pad_length");
    /* bind_ack whose sec_addr has no NUL, or runs past the PDU */
    uint8_t ack[60];
    memset(ack, 0, sizeof(ack));
    memcpy(ack, (const uint8_t[]){0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 1, 0, 0, 0,
                                  0xd0, 0x16, 0xd0, 0x16, 0, 0, 0, 0, 0x04, 0x00, '1', '3', '5', '7'},
           30);
    refuse(ack, sizeof(ack), "sec_addr");
    ack[24] = 0xff;
    refuse(ack, sizeof(ack), "sec_addr");
    /* rpc_auth3 without a token */
    static const uint8_t auth3[20] = {0x05, 0x00, 0x10, 0x03, 0x10, 0x00, 0x00, 0x00, 0x14, 0x00,
                                      0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0, 0, 0, 0};
    refuse(auth3, sizeof(auth3), "auth_length");
    /* fewer bytes than frag_length */
    refuse(base, 40, "truncated");
    uint16_t flen;
    CHECK_INT(wmgw_rpc_pdu_peek(base, 15, &flen, NULL), 1);
    CHECK_INT(wmgw_rpc_pdu_peek(base, 16, &flen, NULL), 0);
    CHECK_INT(flen, 72);
#undef MUT
}

static void test_encode_limits(void)
{
    struct wmgw_rpc_pdu p;
    struct wmgw_buf b;
    struct wmgw_err err;
    wmgw_buf_init(&b, 1 << 20);
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_REQUEST;
    static uint8_t big[70000];
    p.stub = big;
    p.stub_len = sizeof(big);
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), WMGW_EINVAL);
    CHECK(strstr(err.message, "frag_length") != NULL);
    CHECK_INT(b.len, 0);
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_BIND;
    p.n_ctx = 1;
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), WMGW_EINVAL); /* no transfer syntax */
    p.ptype = 42;
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), WMGW_EINVAL);
    CHECK_INT(b.len, 0);
    wmgw_buf_dispose(&b);
    wmgw_buf_init(&b, 20); /* the output buffer's own limit */
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_FAULT;
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, &err), WMGW_ETOOBIG);
    CHECK_INT(b.len, 0);
    wmgw_buf_dispose(&b);
    CHECK_INT(wmgw_rpc_auth_pad(0), 0);
    CHECK_INT(wmgw_rpc_auth_pad(1), 15);
    CHECK_INT(wmgw_rpc_auth_pad(16), 0);
    CHECK_INT(wmgw_rpc_auth_pad(31), 1);
}

static void test_uuid(void)
{
    struct wmgw_uuid u, v;
    char s[WMGW_UUID_STRLEN + 1];
    CHECK_INT(wmgw_uuid_parse(&u, "{8A885D04-1CEB-11C9-9FE8-08002B104860}", NULL), 0);
    CHECK(memcmp(u.b, ndr20_bytes, 16) == 0);
    wmgw_uuid_format(&u, s);
    CHECK_STR(s, "8a885d04-1ceb-11c9-9fe8-08002b104860");
    CHECK_INT(wmgw_uuid_parse(&v, "8a885d04-1ceb-11c9-9fe8-08002b10486", NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_uuid_parse(&v, "8a885d04x1ceb-11c9-9fe8-08002b104860", NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_uuid_parse(&v, "8a885d04-1ceb-11c9-9fe8-08002b10486g", NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_uuid_random(&v), 0);
    CHECK_INT(v.b[7] >> 4, 4);
    CHECK(!wmgw_uuid_eq(&u, &v));
    memset(&v, 0, sizeof(v));
    CHECK(wmgw_uuid_is_nil(&v));
}

int main(void)
{
    WMGW_TEST_RUN(test_bind_golden);
    WMGW_TEST_RUN(test_bind_auth_golden);
    WMGW_TEST_RUN(test_bind_ack_golden);
    WMGW_TEST_RUN(test_request_golden);
    WMGW_TEST_RUN(test_response_fault_golden);
    WMGW_TEST_RUN(test_small_pdus_golden);
    WMGW_TEST_RUN(test_malformed);
    WMGW_TEST_RUN(test_encode_limits);
    WMGW_TEST_RUN(test_uuid);
    return WMGW_TEST_DONE();
}
