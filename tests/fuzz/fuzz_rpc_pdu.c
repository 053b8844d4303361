/*
 * fuzz_rpc_pdu.c: libFuzzer target for the DCE/RPC layer
 * (translators/wmi/rpc_pdu.c, rpc_conn.c, rpc_server.c, ndr.c, ndr_dcom.c).
 *
 * The first byte picks what the rest (an exact-size copy, so ASan sees any
 * over-read) is fed to:
 *   0  the PDU decoder; what decodes is encoded again and must decode to
 *      the same type, call_id, stub and token;
 *   1  a server connection, in chunks whose sizes come from the input,
 *      answering every request (echo, or a fault for odd opnums), with a
 *      toy security provider so that the auth legs and verifiers run;
 *   2  a client connection that has sent a bind (security included) and
 *      sends a request once bound;
 *   3  the NDR readers of the DCOM types in ORPC order: ORPCTHIS, BSTR,
 *      wide string pointer, MInterfacePointer (whose bytes go to the OBJREF
 *      decoder), STDOBJREF, DUALSTRINGARRAY, ORPCTHAT; what ORPCTHIS reads
 *      is written again and must read back equal;
 *   4  the OBJREF decoder and the packed DUALSTRINGARRAY decoder.
 * Seeds: tests/fuzz/corpus/fuzz_rpc_pdu (PDUs and conversations at every
 * auth level, DCOM stubs, OBJREFs).
 */
#include "translators/wmi/ndr_dcom.h"
#include "translators/wmi/rpc_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(x)                                                                     \
    do {                                                                              \
        if (!(x)) {                                                                   \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* A toy provider.  A token is one byte, the legs still to go: the client
 * starts with 2, each side answers k with k-1, and 0 ends the exchange
 * (three legs, the last in rpc_auth3); a fuzzed bind may ask for more;
 * 'X' is refused.  The signature is 8 bytes: a sequence number and a
 * checksum of what the PDU covers; sealing XORs the body with 0x5A. */
struct toy {
    uint32_t seq_out, seq_in;
};

static int toy_start(const void *cfg, bool server, uint8_t level, void **ctx, struct wmgw_err *err)
{
    *ctx = calloc(1, sizeof(struct toy));
    return *ctx ? 0 : WMGW_ENOMEM;
}

static void toy_stop(void *ctx)
{
    free(ctx);
}

static int toy_step(void *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out, struct wmgw_err *err)
{
    unsigned k = in == NULL ? 3 : in_len > 0 ? in[0] : 0;
    if (k == 'X')
        return wmgw_err_set(err, WMGW_EAUTH, "toy: refused");
    if (k == 0)
        return WMGW_RPC_SEC_DONE;
    wmgw_buf_addc(out, (char)(k - 1));
    return k == 1 ? WMGW_RPC_SEC_DONE : WMGW_RPC_SEC_CONTINUE;
}

static size_t toy_sig_size(void *ctx, uint8_t level)
{
    return 8;
}

static uint32_t toy_sum(const struct wmgw_rpc_sec_pdu *m)
{
    uint32_t s = 0;
    for (size_t i = 0; i < m->len; i++)
        s = s * 31 + m->pdu[i];
    return s;
}

static int toy_sign(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    struct toy *t = ctx;
    uint32_t v[2] = {t->seq_out++, toy_sum(m)};
    memcpy(sig, v, 8);
    return 0;
}

static int toy_verify(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                      struct wmgw_err *err)
{
    struct toy *t = ctx;
    uint32_t v[2] = {t->seq_in, toy_sum(m)};
    if (sig_len != 8 || memcmp(sig, v, 8) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "toy: bad signature");
    t->seq_in++;
    return 0;
}

static void toy_xor(const struct wmgw_rpc_sec_pdu *m)
{
    for (size_t i = 0; i < m->body_len; i++)
        m->pdu[m->body_off + i] ^= 0x5A;
}

static int toy_seal(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    toy_sign(ctx, m, sig, sig_len, err);
    toy_xor(m);
    return 0;
}

static int toy_unseal(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                      struct wmgw_err *err)
{
    toy_xor(m);
    return toy_verify(ctx, m, sig, sig_len, err);
}

static const struct wmgw_rpc_sec_ops toy_ops = {"toy", 0x42, true, true, toy_start, toy_stop, toy_step,
                                                toy_sig_size, toy_sign, toy_verify, toy_seal, toy_unseal};

static void fuzz_decode(const uint8_t *data, size_t len)
{
    struct wmgw_rpc_pdu p, q;
    struct wmgw_err err;
    if (wmgw_rpc_pdu_decode(data, len, &p, &err) != 0)
        return;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1 << 17);
    p.auth.pad_length = p.has_auth ? p.auth.pad_length : 0;
    int rc = wmgw_rpc_pdu_encode(&p, &b, &err);
    if (rc == 0) {
        ASSERT(wmgw_rpc_pdu_decode((const uint8_t *)b.data, b.len, &q, &err) == 0);
        ASSERT(q.ptype == p.ptype && q.call_id == p.call_id && q.n_ctx == p.n_ctx);
        ASSERT(q.stub_len == p.stub_len && (p.stub_len == 0 || memcmp(q.stub, p.stub, p.stub_len) == 0));
        ASSERT(q.has_auth == p.has_auth && q.auth.token_len == p.auth.token_len);
    } else {
        ASSERT(rc == WMGW_EINVAL); /* e.g. a sec_trailer with padding pushing past 65535 */
    }
    wmgw_buf_dispose(&b);
}

/* Feeds data in chunks sized by the data itself, polling after each. */
static void drive(struct wmgw_rpc_conn *c, const uint8_t *data, size_t len, uint16_t cont_id)
{
    size_t off = 0;
    unsigned round = 0;
    while (off < len) {
        size_t chunk = 1 + (data[off] + 7 * round++) % 300;
        if (chunk > len - off)
            chunk = len - off;
        if (wmgw_rpc_conn_feed(c, data + off, chunk, NULL) != 0)
            return;
        off += chunk;
        struct wmgw_rpc_event ev;
        int rc;
        while ((rc = wmgw_rpc_conn_poll(c, &ev, NULL)) == 1) {
            if (ev.kind == WMGW_RPC_EV_REQUEST) {
                ASSERT(ev.stub != NULL || ev.stub_len == 0);
                if (ev.opnum & 1)
                    ASSERT(wmgw_rpc_conn_fault(c, ev.call_id, 0x80041002u, NULL) == 0);
                else
                    ASSERT(wmgw_rpc_conn_respond(c, ev.call_id, ev.stub, ev.stub_len, NULL) == 0);
            } else if (ev.kind == WMGW_RPC_EV_BOUND) {
                uint32_t call;
                wmgw_rpc_conn_request(c, ev.cont_id, 3, NULL, (const uint8_t *)"stub", 4, &call, NULL);
            } else if (ev.kind == WMGW_RPC_EV_RESPONSE) {
                ASSERT(ev.stub != NULL);
            }
        }
        const uint8_t *out;
        size_t n;
        wmgw_rpc_conn_output(c, &out, &n);
        wmgw_rpc_conn_consume(c, n);
        if (rc < 0)
            return;
    }
    (void)cont_id;
}

static void fuzz_conn(const uint8_t *data, size_t len, bool server)
{
    struct wmgw_rpc_conn_config cfg = {0};
    struct wmgw_rpc_conn *c;
    cfg.server = server;
    cfg.max_stub = 1 << 16;
    cfg.sec = &toy_ops;
    cfg.auth_level = len > 0 ? (uint8_t)(2 + data[0] % 5) : 2; /* CONNECT .. PKT_PRIVACY */
    if (cfg.auth_level == 3 || cfg.auth_level == 4)
        cfg.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    cfg.max_sec_contexts = 4;
    ASSERT(wmgw_rpc_conn_new(&cfg, &c, NULL) == 0);
    uint16_t cont = 0;
    if (!server) {
        struct wmgw_rpc_syntax s = {{{1}}, 0, 0};
        ASSERT(wmgw_rpc_conn_bind(c, &s, &cont, NULL) == 0);
    }
    if (len > 0)
        drive(c, data + 1, len - 1, cont);
    wmgw_rpc_conn_free(c);
}

static void fuzz_ndr(const uint8_t *data, size_t len)
{
    static struct wmgw_ndr_orpcthis t, t2;
    static struct wmgw_ndr_orpcthat a;
    static struct wmgw_ndr_dsa d;
    static struct wmgw_ndr_objref o;
    struct wmgw_ndr_reader r;
    struct wmgw_err err;
    struct wmgw_buf s;
    wmgw_buf_init(&s, 4096);
    wmgw_ndr_reader_init(&r, data, len, &err);
    if (wmgw_ndr_get_orpcthis(&r, &t) == 0) { /* what was read writes and reads back the same */
        struct wmgw_buf b;
        struct wmgw_ndr_writer w;
        struct wmgw_ndr_reader r2;
        wmgw_buf_init(&b, 1 << 20);
        wmgw_ndr_writer_init(&w, &b, NULL);
        ASSERT(wmgw_ndr_put_orpcthis(&w, &t) == 0);
        wmgw_ndr_reader_init(&r2, (const uint8_t *)b.data, b.len, NULL);
        ASSERT(wmgw_ndr_get_orpcthis(&r2, &t2) == 0 && wmgw_ndr_expect_end(&r2, "ORPCTHIS") == 0);
        ASSERT(t2.n_ext == t.n_ext && wmgw_uuid_eq(&t2.cid, &t.cid) && t2.has_extensions == t.has_extensions);
        for (uint32_t i = 0; i < t.n_ext; i++)
            ASSERT(t2.ext[i].size == t.ext[i].size && memcmp(t2.ext[i].data, t.ext[i].data, t.ext[i].size) == 0);
        wmgw_buf_dispose(&b);
    }
    bool present;
    const uint8_t *p;
    size_t n;
    struct wmgw_ndr_stdobjref so;
    wmgw_ndr_get_bstr(&r, &s, &present, "bstr");
    wmgw_ndr_get_wstr_ptr(&r, &s, &present, "wstr");
    if (wmgw_ndr_get_pmip(&r, &p, &n, &present) == 0 && present)
        wmgw_ndr_objref_decode(p, n, &o, &err);
    wmgw_ndr_get_stdobjref(&r, &so);
    wmgw_ndr_get_dsa(&r, &d);
    wmgw_ndr_get_orpcthat(&r, &a);
    wmgw_ndr_expect_end(&r, "stub");
    wmgw_buf_dispose(&s);
}

static void fuzz_objref(const uint8_t *data, size_t len)
{
    static struct wmgw_ndr_objref o;
    static struct wmgw_ndr_dsa d;
    struct wmgw_err err;
    size_t used;
    if (wmgw_ndr_objref_decode(data, len, &o, &err) == 0 && o.flags != WMGW_NDR_OBJREF_CUSTOM) {
        struct wmgw_buf b;
        wmgw_buf_init(&b, 1 << 20);
        ASSERT(wmgw_ndr_objref_encode(&o, &b, &err) == 0);
        wmgw_buf_dispose(&b);
    }
    if (wmgw_ndr_dsa_unpack(data, len, &d, &used, &err) == 0)
        ASSERT(used <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t len = size - 1;
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data + 1, len);
    switch (data[0] % 5) {
    case 0:
        fuzz_decode(copy, len);
        break;
    case 1:
        fuzz_conn(copy, len, true);
        break;
    case 2:
        fuzz_conn(copy, len, false);
        break;
    case 3:
        fuzz_ndr(copy, len);
        break;
    default:
        fuzz_objref(copy, len);
    }
    free(copy);
    return 0;
}
