/*
 * rpc_conn.c: tests for translators/wmi/rpc_conn.c and rpc_server.c.
 *
 * A client and a server connection talk over a socketpair (read in odd
 * small pieces) with a test security provider: tokens carry the leg number
 * and a shared secret, sign = truncated HMAC-SHA256 over sequence number
 * and the region the provider covers, seal = XOR of the body with a
 * key stream plus that signature.  Conversations: bind, alter_context to a
 * second interface, requests with object UUID, faults, large fragmented
 * requests and responses, at every level (none, connect, integrity,
 * privacy), with 2 to 5 legs (rpc_auth3 and alter_context legs), with and
 * without header signing, and many fragment sizes.  Then what must fail:
 * refused tokens, a failed rpc_auth3, too low a level, a tampered request,
 * a client's view of wrong bind_acks and responses, misuse of the API; and
 * impacket's habit of a new security context per alter_context, by hand.
 * Raw-PDU refusals on the server side are in rpc_server.c.
 */
#include "translators/wmi/rpc_conn.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "rpc_pdus.h"

/* ---- the test security provider ---- */

struct tsec_cfg {
    int legs;          /* messages in the handshake, 2..5 */
    const char *secret;
    bool sign_whole;   /* sign the whole PDU even without header signing (as NTLM does) */
    bool bad_last;     /* the client spoils its last token */
};

struct tsec {
    const struct tsec_cfg *cfg;
    bool server;
    int seen;          /* handshake messages processed or produced */
    uint8_t key[32];
    uint32_t send_seq, recv_seq;
};

#define TSEC_SIG 20 /* 4-byte sequence number + 16 bytes of MAC */

static int tsec_start(const void *cfg, bool server, uint8_t level, void **ctx, struct wmgw_err *err)
{
    struct tsec *t = calloc(1, sizeof(*t));
    t->cfg = cfg;
    t->server = server;
    unsigned len = 32;
    EVP_Digest(t->cfg->secret, strlen(t->cfg->secret), t->key, &len, EVP_sha256(), NULL);
    *ctx = t;
    return 0;
}

static void tsec_stop(void *ctx)
{
    free(ctx);
}

static int tsec_step(void *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct tsec *t = ctx;
    if (in != NULL) { /* message number seen+1, from the peer */
        size_t sl = strlen(t->cfg->secret);
        if (in_len != 1 + sl || in[0] != t->seen + 1 || memcmp(in + 1, t->cfg->secret, sl) != 0)
            return wmgw_err_set(err, WMGW_EAUTH, "test provider: bad token for message %d", t->seen + 1);
        t->seen++;
    } else if (t->server || t->seen != 0) {
        return wmgw_err_set(err, WMGW_EAUTH, "test provider: token expected");
    }
    if (t->seen == t->cfg->legs)
        return WMGW_RPC_SEC_DONE;
    uint8_t m = (uint8_t)++t->seen;
    wmgw_buf_add(out, &m, 1);
    wmgw_buf_addstr(out, t->cfg->bad_last && !t->server && m == t->cfg->legs ? "wrong" : t->cfg->secret);
    return t->seen == t->cfg->legs ? WMGW_RPC_SEC_DONE : WMGW_RPC_SEC_CONTINUE;
}

static size_t tsec_sig_size(void *ctx, uint8_t level)
{
    return TSEC_SIG;
}

static void tsec_mac(struct tsec *t, const struct wmgw_rpc_sec_pdu *m, bool sending, uint32_t seq, uint8_t out[16])
{
    uint8_t hdr[5] = {(uint8_t)(t->server == sending ? 'S' : 'C'), (uint8_t)seq, (uint8_t)(seq >> 8),
                      (uint8_t)(seq >> 16), (uint8_t)(seq >> 24)};
    bool whole = t->cfg->sign_whole || m->header_sign;
    const uint8_t *p = whole ? m->pdu : m->pdu + m->body_off;
    size_t n = whole ? m->len : m->body_len;
    uint8_t mac[32], *msg = malloc(sizeof(hdr) + n);
    unsigned len = 32;
    memcpy(msg, hdr, sizeof(hdr));
    memcpy(msg + sizeof(hdr), p, n);
    HMAC(EVP_sha256(), t->key, 32, msg, sizeof(hdr) + n, mac, &len);
    free(msg);
    memcpy(out, mac, 16);
}

static void tsec_xor(struct tsec *t, const struct wmgw_rpc_sec_pdu *m, uint32_t seq)
{
    for (size_t i = 0; i < m->body_len; i++)
        m->pdu[m->body_off + i] ^= (uint8_t)(t->key[(i + seq) % 32] ^ (uint8_t)(i * 7));
}

static int tsec_sign(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    struct tsec *t = ctx;
    uint32_t seq = t->send_seq++;
    memcpy(sig, &seq, 4);
    tsec_mac(t, m, true, seq, sig + 4);
    return 0;
}

static int tsec_verify(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                       struct wmgw_err *err)
{
    struct tsec *t = ctx;
    uint32_t seq;
    uint8_t mac[16];
    if (sig_len != TSEC_SIG)
        return wmgw_err_set(err, WMGW_EAUTH, "test provider: signature of %zu bytes", sig_len);
    memcpy(&seq, sig, 4);
    if (seq != t->recv_seq)
        return wmgw_err_set(err, WMGW_EAUTH, "test provider: sequence %u, expected %u", seq, t->recv_seq);
    tsec_mac(t, m, false, seq, mac);
    if (memcmp(mac, sig + 4, 16) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "test provider: signature mismatch");
    t->recv_seq++;
    return 0;
}

static int tsec_seal(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    struct tsec *t = ctx;
    uint32_t seq = t->send_seq;
    tsec_sign(ctx, m, sig, sig_len, err); /* over the plaintext, then encrypt */
    tsec_xor(t, m, seq);
    return 0;
}

static int tsec_unseal(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                       struct wmgw_err *err)
{
    struct tsec *t = ctx;
    if (sig_len == TSEC_SIG) {
        uint32_t seq;
        memcpy(&seq, sig, 4);
        tsec_xor(t, m, seq);
    }
    return tsec_verify(ctx, m, sig, sig_len, err);
}

/* odd_legs: the client's last token goes in rpc_auth3 */
static const struct wmgw_rpc_sec_ops tsec_odd = {"test", 0x42, true, true, tsec_start, tsec_stop, tsec_step,
                                                 tsec_sig_size, tsec_sign, tsec_verify, tsec_seal, tsec_unseal};
static const struct wmgw_rpc_sec_ops tsec_even = {"test", 0x42, false, false, tsec_start, tsec_stop, tsec_step,
                                                  tsec_sig_size, tsec_sign, tsec_verify, tsec_seal, tsec_unseal};

/* ---- a client and a server over a socketpair ---- */

static struct wmgw_rpc_syntax iface_a, iface_b, iface_c;

struct pair {
    struct wmgw_rpc_conn *cli, *srv;
    int fd[2]; /* client end, server end */
    unsigned chunk; /* bytes per read, cycled for odd splits */
    unsigned requests, fault_status;
};

static void syntaxes(void)
{
    wmgw_uuid_parse(&iface_a.uuid, "000001a0-0000-0000-c000-000000000046", NULL); /* IRemoteSCMActivator */
    wmgw_uuid_parse(&iface_b.uuid, "f309ad18-d86a-11d0-a075-00c04fb68820", NULL); /* IWbemLevel1Login */
    wmgw_uuid_parse(&iface_c.uuid, "9556dc99-828c-11cf-a37e-00aa003240c7", NULL); /* IWbemServices */
}

static void pair_open(struct pair *pr, struct wmgw_rpc_conn_config *cc, struct wmgw_rpc_conn_config *sc)
{
    memset(pr, 0, sizeof(*pr));
    sc->server = true;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_conn_new(cc, &pr->cli, &err), 0);
    CHECK_INT(wmgw_rpc_conn_new(sc, &pr->srv, &err), 0);
    wmgw_rpc_conn_add_iface(pr->srv, &iface_a);
    wmgw_rpc_conn_add_iface(pr->srv, &iface_b);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, pr->fd), 0);
    fcntl(pr->fd[0], F_SETFL, O_NONBLOCK);
    fcntl(pr->fd[1], F_SETFL, O_NONBLOCK);
}

static void pair_close(struct pair *pr)
{
    wmgw_rpc_conn_free(pr->cli);
    wmgw_rpc_conn_free(pr->srv);
    close(pr->fd[0]);
    close(pr->fd[1]);
}

/* Writes c's output to fd, reads what fd has into c.  true if bytes moved. */
static bool shuttle(struct pair *pr, struct wmgw_rpc_conn *c, int fd)
{
    bool moved = false;
    const uint8_t *data;
    size_t len;
    wmgw_rpc_conn_output(c, &data, &len);
    if (len > 0) {
        ssize_t n = write(fd, data, len > 3000 ? 3000 : len);
        if (n > 0) {
            wmgw_rpc_conn_consume(c, (size_t)n);
            moved = true;
        }
    }
    static const unsigned sizes[] = {1, 7, 16, 100, 1000, 65536};
    uint8_t buf[65536];
    ssize_t n = read(fd, buf, sizes[pr->chunk++ % 6]);
    if (n > 0) {
        struct wmgw_err err;
        CHECK_INT(wmgw_rpc_conn_feed(c, buf, (size_t)n, &err), 0);
        moved = true;
    }
    return moved;
}

/* Moves everything one side has queued into the other, bypassing the socket. */
static void move(struct wmgw_rpc_conn *from, struct wmgw_rpc_conn *to)
{
    const uint8_t *data;
    size_t len;
    wmgw_rpc_conn_output(from, &data, &len);
    CHECK_INT(wmgw_rpc_conn_feed(to, data, len, NULL), 0);
    wmgw_rpc_conn_consume(from, len);
}

/* Lets both sides exchange what is in flight (e.g. an rpc_auth3). */
static void settle(struct pair *pr)
{
    for (int idle = 0; idle < 20;) {
        bool moved = shuttle(pr, pr->cli, pr->fd[0]);
        moved |= shuttle(pr, pr->srv, pr->fd[1]);
        struct wmgw_rpc_event ev;
        CHECK_INT(wmgw_rpc_conn_poll(pr->srv, &ev, NULL), 0);
        idle = moved ? 0 : idle + 1;
    }
}

/* The server's application: opnum 1 echoes, 2 faults, 3 answers n bytes
 * of a pattern where n is the request's first 4 bytes. */
static int serve(struct pair *pr, struct wmgw_err *err)
{
    struct wmgw_rpc_event ev;
    int rc;
    while ((rc = wmgw_rpc_conn_poll(pr->srv, &ev, err)) == 1) {
        CHECK_INT(ev.kind, WMGW_RPC_EV_REQUEST);
        pr->requests++;
        if (ev.opnum == 2) {
            CHECK_INT(wmgw_rpc_conn_fault(pr->srv, ev.call_id, pr->fault_status, err), 0);
        } else if (ev.opnum == 3) {
            uint32_t n = 0;
            memcpy(&n, ev.stub, ev.stub_len >= 4 ? 4 : 0);
            uint8_t *big = malloc(n ? n : 1);
            for (uint32_t i = 0; i < n; i++)
                big[i] = (uint8_t)(i * 31 + 5);
            CHECK_INT(wmgw_rpc_conn_respond(pr->srv, ev.call_id, big, n, err), 0);
            free(big);
        } else {
            /* echo: object UUID, auth level, then the stub */
            struct wmgw_buf b;
            wmgw_buf_init(&b, 1 << 24);
            uint8_t lvl = ev.auth_level;
            wmgw_buf_add(&b, ev.has_object ? ev.object.b : (const uint8_t *)"-no-object------", 16);
            wmgw_buf_add(&b, &lvl, 1);
            wmgw_buf_add(&b, ev.stub, ev.stub_len);
            CHECK_INT(wmgw_rpc_conn_respond(pr->srv, ev.call_id, (const uint8_t *)b.data, b.len, err), 0);
            wmgw_buf_dispose(&b);
        }
    }
    return rc;
}

/* Runs both sides until the client has an event; returns poll's result. */
static int client_wait(struct pair *pr, struct wmgw_rpc_event *ev, struct wmgw_err *err)
{
    for (int idle = 0; idle < 50;) {
        int rc = wmgw_rpc_conn_poll(pr->cli, ev, err);
        if (rc != 0)
            return rc;
        struct wmgw_err serr;
        wmgw_err_clear(&serr);
        int s = serve(pr, &serr);
        if (s < 0) {
            fprintf(stderr, "  server: %s\n", serr.message);
            CHECK(!"server error");
            return s;
        }
        bool moved = shuttle(pr, pr->cli, pr->fd[0]);
        moved |= shuttle(pr, pr->srv, pr->fd[1]);
        idle = moved ? 0 : idle + 1;
    }
    return 0;
}

static uint16_t do_bind(struct pair *pr, const struct wmgw_rpc_syntax *s, int want_kind)
{
    uint16_t id = 0xFFFF;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    CHECK_INT(wmgw_rpc_conn_bind(pr->cli, s, &id, &err), 0);
    int rc = client_wait(pr, &ev, &err);
    CHECK_INT(rc, 1);
    if (rc < 0)
        fprintf(stderr, "  client: %s\n", err.message);
    CHECK_INT(ev.kind, want_kind);
    if (want_kind == WMGW_RPC_EV_BOUND)
        CHECK_INT(ev.cont_id, id);
    return id;
}

/* A request with n bytes of stub and an object UUID: checks the echo. */
static void do_echo(struct pair *pr, uint16_t cont, size_t n, uint8_t want_level)
{
    struct wmgw_uuid ipid;
    wmgw_uuid_random(&ipid);
    uint8_t *stub = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        stub[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5A);
    uint32_t call;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    CHECK_INT(wmgw_rpc_conn_request(pr->cli, cont, 1, &ipid, stub, n, &call, &err), 0);
    int rc = client_wait(pr, &ev, &err);
    CHECK_INT(rc, 1);
    if (rc < 0)
        fprintf(stderr, "  client: %s\n", err.message);
    CHECK_INT(ev.kind, WMGW_RPC_EV_RESPONSE);
    CHECK_INT(ev.call_id, call);
    CHECK_INT(ev.stub_len, 17 + n);
    if (ev.stub_len == 17 + n) {
        CHECK(memcmp(ev.stub, ipid.b, 16) == 0);
        CHECK_INT(ev.stub[16], want_level);
        CHECK(memcmp(ev.stub + 17, stub, n) == 0);
    }
    free(stub);
}

static void do_big_response(struct pair *pr, uint16_t cont, uint32_t n)
{
    uint32_t call;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    CHECK_INT(wmgw_rpc_conn_request(pr->cli, cont, 3, NULL, (const uint8_t *)&n, 4, &call, &err), 0);
    CHECK_INT(client_wait(pr, &ev, &err), 1);
    CHECK_INT(ev.kind, WMGW_RPC_EV_RESPONSE);
    CHECK_INT(ev.stub_len, n);
    bool same = ev.stub_len == n;
    for (uint32_t i = 0; same && i < n; i++)
        same = ev.stub[i] == (uint8_t)(i * 31 + 5);
    CHECK(same);
}

static void do_fault(struct pair *pr, uint16_t cont, uint32_t status)
{
    uint32_t call;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    pr->fault_status = status;
    CHECK_INT(wmgw_rpc_conn_request(pr->cli, cont, 2, NULL, (const uint8_t *)"x", 1, &call, &err), 0);
    CHECK_INT(client_wait(pr, &ev, &err), 1);
    CHECK_INT(ev.kind, WMGW_RPC_EV_FAULT);
    CHECK_INT(ev.call_id, call);
    CHECK_INT(ev.status, status);
}

/* The whole conversation at one configuration. */
static void converse(const struct wmgw_rpc_sec_ops *ops, const struct tsec_cfg *tc, uint8_t level, uint16_t xmit)
{
    struct wmgw_rpc_conn_config cc = {0}, sc = {0};
    cc.sec = sc.sec = ops;
    cc.sec_cfg = sc.sec_cfg = tc;
    cc.auth_level = level;
    cc.auth_context_id = 79231;
    cc.max_xmit_frag = sc.max_xmit_frag = xmit;
    sc.auth_level = ops ? WMGW_RPC_AUTHN_LEVEL_CONNECT : 0;
    sc.sec_addr = "49667";
    struct pair pr;
    pair_open(&pr, &cc, &sc);
    uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
    uint8_t want = ops ? level : WMGW_RPC_AUTHN_LEVEL_NONE;
    do_echo(&pr, a, 0, want);
    do_echo(&pr, a, 100, want);
    uint16_t b = do_bind(&pr, &iface_b, WMGW_RPC_EV_BOUND);
    CHECK(a != b);
    do_echo(&pr, b, 5000, want);
    do_fault(&pr, b, 0x80041010);
    do_echo(&pr, a, 20011, want);
    do_big_response(&pr, b, 30001);
    do_bind(&pr, &iface_c, WMGW_RPC_EV_REJECTED); /* not offered by the server */
    do_echo(&pr, b, 7, want);
    CHECK_INT(pr.requests, 7);
    CHECK(wmgw_rpc_conn_assoc_group(pr.cli) == 0x00010001);
    pair_close(&pr);
}

static void test_plain(void)
{
    converse(NULL, NULL, 0, 0);
}

static void test_levels_and_legs(void)
{
    static const uint8_t levels[] = {WMGW_RPC_AUTHN_LEVEL_CONNECT, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY,
                                     WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY};
    for (int legs = 2; legs <= 5; legs++)
        for (size_t l = 0; l < 3; l++)
            for (int hs = 0; hs < 2; hs++)
                for (int whole = 0; whole < 2; whole++) {
                    struct tsec_cfg tc = {legs, "s3cret", whole};
                    /* odd numbers of legs end with rpc_auth3 (or, with the
                     * even table, with an alter_context answered empty) */
                    const struct wmgw_rpc_sec_ops *ops = legs % 2 && !hs ? &tsec_odd : &tsec_even;
                    struct wmgw_rpc_sec_ops hsops = *ops;
                    hsops.header_sign = hs;
                    int before = wmgw_test__failed_checks;
                    converse(&hsops, &tc, levels[l], 0);
                    if (wmgw_test__failed_checks != before)
                        fprintf(stderr, "  ^ legs %d, level %u, header signing %d, sign whole %d\n", legs, levels[l],
                                hs, whole);
                }
}

static void test_fragment_sizes(void)
{
    struct tsec_cfg tc = {3, "k", false};
    for (unsigned x = 96; x < 1500; x += 67) {
        converse(&tsec_odd, &tc, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, (uint16_t)x);
        converse(NULL, NULL, 0, (uint16_t)x);
    }
}

/* Privacy: the stub never crosses in clear; integrity: it does, signed. */
static void test_privacy_on_the_wire(void)
{
    static const char secret_stub[] = "SELECT * FROM Win32_Service WHERE Name='winrm'";
    for (int priv = 0; priv < 2; priv++) {
        struct tsec_cfg tc = {3, "pw", false};
        struct wmgw_rpc_conn_config cc = {0}, sc = {0};
        cc.sec = sc.sec = &tsec_odd;
        cc.sec_cfg = sc.sec_cfg = &tc;
        cc.auth_level = priv ? WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY : WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        struct pair pr;
        pair_open(&pr, &cc, &sc);
        uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
        uint32_t call;
        struct wmgw_err err;
        CHECK_INT(wmgw_rpc_conn_request(pr.cli, a, 1, NULL, (const uint8_t *)secret_stub, sizeof(secret_stub), &call,
                                        &err), 0);
        const uint8_t *data;
        size_t len;
        wmgw_rpc_conn_output(pr.cli, &data, &len);
        CHECK_INT(memmem(data, len, secret_stub, sizeof(secret_stub)) != NULL, !priv);
        CHECK_INT(data[len - TSEC_SIG - 8], 0x42); /* sec_trailer auth_type */
        CHECK_INT(data[len - TSEC_SIG - 8 + 1], cc.auth_level);
        struct wmgw_rpc_event ev;
        CHECK_INT(client_wait(&pr, &ev, &err), 1);
        CHECK(ev.stub_len == 17 + sizeof(secret_stub) && memcmp(ev.stub + 17, secret_stub, sizeof(secret_stub)) == 0);
        pair_close(&pr);
    }
}

static void test_auth_failures(void)
{
    struct wmgw_rpc_event ev;
    struct wmgw_err err;
    /* the server refuses the client's first token: bind_nak invalid_checksum */
    {
        struct tsec_cfg good = {3, "right"}, bad = {3, "wrong"};
        struct wmgw_rpc_conn_config cc = {0}, sc = {0};
        cc.sec = sc.sec = &tsec_odd;
        cc.sec_cfg = &bad;
        sc.sec_cfg = &good;
        cc.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        struct pair pr;
        pair_open(&pr, &cc, &sc);
        uint16_t id;
        CHECK_INT(wmgw_rpc_conn_bind(pr.cli, &iface_a, &id, &err), 0);
        move(pr.cli, pr.srv);
        CHECK_INT(wmgw_rpc_conn_poll(pr.srv, &ev, &err), WMGW_EPROTO);
        CHECK(strstr(err.message, "bind") != NULL);
        move(pr.srv, pr.cli);
        CHECK_INT(wmgw_rpc_conn_poll(pr.cli, &ev, &err), 1);
        CHECK_INT(ev.kind, WMGW_RPC_EV_REJECTED);
        CHECK_INT(ev.reason, WMGW_RPC_NAK_INVALID_CHECKSUM);
        uint32_t call;
        CHECK_INT(wmgw_rpc_conn_request(pr.cli, 0, 1, NULL, NULL, 0, &call, &err) < 0, 1);
        pair_close(&pr);
    }
    /* the last leg (rpc_auth3) fails: the context's first request is faulted */
    {
        struct tsec_cfg cfgc = {3, "k", false, true}, cfgs = {3, "k"};
        struct wmgw_rpc_conn_config cc = {0}, sc = {0};
        cc.sec = sc.sec = &tsec_odd;
        cc.sec_cfg = &cfgc;
        sc.sec_cfg = &cfgs;
        cc.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        struct pair pr;
        pair_open(&pr, &cc, &sc);
        uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
        uint32_t call;
        CHECK_INT(wmgw_rpc_conn_request(pr.cli, a, 1, NULL, (const uint8_t *)"hi", 2, &call, &err), 0);
        CHECK_INT(client_wait(&pr, &ev, &err), 1);
        CHECK_INT(ev.kind, WMGW_RPC_EV_FAULT);
        CHECK_INT(ev.status, WMGW_RPC_FAULT_ACCESS_DENIED);
        CHECK_INT(pr.requests, 0);
        pair_close(&pr);
    }
    /* a client at CONNECT where the server wants INTEGRITY: access denied */
    {
        struct tsec_cfg tc = {2, "k"};
        struct wmgw_rpc_conn_config cc = {0}, sc = {0};
        cc.sec = sc.sec = &tsec_even;
        cc.sec_cfg = sc.sec_cfg = &tc;
        cc.auth_level = WMGW_RPC_AUTHN_LEVEL_CONNECT;
        sc.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        struct pair pr;
        pair_open(&pr, &cc, &sc);
        uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
        do_fault(&pr, a, WMGW_RPC_FAULT_ACCESS_DENIED);
        CHECK_INT(pr.requests, 0);
        pair_close(&pr);
    }
    /* a tampered request: the server queues a fault (access denied) and quits */
    {
        struct tsec_cfg tc = {3, "k"};
        struct wmgw_rpc_conn_config cc = {0}, sc = {0};
        cc.sec = sc.sec = &tsec_odd;
        cc.sec_cfg = sc.sec_cfg = &tc;
        cc.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
        struct pair pr;
        pair_open(&pr, &cc, &sc);
        uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
        settle(&pr); /* the rpc_auth3 */
        uint32_t call;
        CHECK_INT(wmgw_rpc_conn_request(pr.cli, a, 1, NULL, (const uint8_t *)"pay 10 EUR", 10, &call, &err), 0);
        const uint8_t *data;
        size_t len;
        wmgw_rpc_conn_output(pr.cli, &data, &len);
        ((uint8_t *)data)[24 + 4] = '9'; /* "pay 90 EUR" */
        CHECK_INT(wmgw_rpc_conn_feed(pr.srv, data, len, &err), 0);
        wmgw_rpc_conn_consume(pr.cli, len);
        CHECK_INT(wmgw_rpc_conn_poll(pr.srv, &ev, &err), WMGW_EPROTO);
        CHECK(strstr(err.message, "auth_verifier") != NULL);
        wmgw_rpc_conn_output(pr.srv, &data, &len);
        CHECK_INT(wmgw_rpc_conn_feed(pr.cli, data, len, &err), 0);
        CHECK_INT(wmgw_rpc_conn_poll(pr.cli, &ev, &err), 1);
        CHECK_INT(ev.kind, WMGW_RPC_EV_FAULT);
        CHECK_INT(ev.status, WMGW_RPC_FAULT_ACCESS_DENIED);
        CHECK_INT(wmgw_rpc_conn_poll(pr.srv, &ev, &err), WMGW_ECONN);
        pair_close(&pr);
    }
}

/* ---- raw PDUs against one side ---- */


static void test_bind_ack_refusals(void)
{
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    struct wmgw_rpc_pdu a;
    /* client side: a bind_ack that answers another call, a max_recv_frag below 1432 */
    struct wmgw_rpc_conn_config cc = {0};
    struct wmgw_rpc_conn *c;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(wmgw_rpc_conn_new(&cc, &c, NULL), 0);
        uint16_t id;
        CHECK_INT(wmgw_rpc_conn_bind(c, &iface_a, &id, NULL), 0);
        CHECK_INT(wmgw_rpc_conn_bind(c, &iface_b, &id, NULL), WMGW_ECONFLICT);
        memset(&a, 0, sizeof(a));
        a.ptype = WMGW_RPC_BIND_ACK;
        a.flags = 3;
        a.call_id = i == 0 ? 9 : 1;
        a.max_xmit_frag = 5840;
        a.max_recv_frag = i == 0 ? 5840 : 1000;
        a.n_ctx = 1;
        a.results[0].transfer = wmgw_rpc_ndr20;
        feed_pdu(c, &a);
        CHECK_INT(wmgw_rpc_conn_poll(c, &ev, &err), WMGW_EPROTO);
        CHECK(strstr(err.message, i == 0 ? "unexpected bind_ack call_id 9" : "max_recv_frag 1000") != NULL);
        wmgw_rpc_conn_free(c);
    }
}

static void test_client_refusals(void)
{
    struct wmgw_rpc_conn_config cc = {0};
    struct wmgw_rpc_conn *c;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    uint16_t id;
    uint32_t call;
    CHECK_INT(wmgw_rpc_conn_new(&cc, &c, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_request(c, 0, 1, NULL, NULL, 0, &call, &err), WMGW_EINVAL); /* no context */
    CHECK_INT(wmgw_rpc_conn_respond(c, 1, NULL, 0, &err), WMGW_EINVAL);
    CHECK_INT(wmgw_rpc_conn_add_iface(c, &iface_a), WMGW_EINVAL);
    CHECK_INT(wmgw_rpc_conn_bind(c, &iface_a, &id, NULL), 0);
    struct wmgw_rpc_pdu a;
    memset(&a, 0, sizeof(a));
    a.ptype = WMGW_RPC_BIND_ACK;
    a.flags = 3;
    a.call_id = 1;
    a.max_xmit_frag = a.max_recv_frag = 5840;
    a.n_ctx = 1;
    a.results[0].transfer = wmgw_rpc_ndr20;
    feed_pdu(c, &a);
    CHECK_INT(wmgw_rpc_conn_poll(c, &ev, &err), 1);
    CHECK_INT(ev.kind, WMGW_RPC_EV_BOUND);
    CHECK_INT(wmgw_rpc_conn_request(c, id, 1, NULL, (const uint8_t *)"q", 1, &call, &err), 0);
    CHECK_INT(call, 2);
    CHECK_INT(wmgw_rpc_conn_request(c, id, 1, NULL, NULL, 0, &call, &err), WMGW_ECONFLICT);
    /* a response to another call */
    struct wmgw_rpc_pdu r;
    memset(&r, 0, sizeof(r));
    r.ptype = WMGW_RPC_RESPONSE;
    r.flags = 3;
    r.call_id = 3;
    feed_pdu(c, &r);
    CHECK_INT(wmgw_rpc_conn_poll(c, &ev, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "call_id 3 does not match") != NULL);
    CHECK_INT(wmgw_rpc_conn_feed(c, (const uint8_t *)"x", 1, &err), WMGW_ECONN);
    wmgw_rpc_conn_free(c);

    /* garbage instead of a PDU; too much input at once */
    CHECK_INT(wmgw_rpc_conn_new(&cc, &c, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_feed(c, (const uint8_t *)"HTTP/1.1 400 Bad Request\r\n", 26, &err), 0);
    CHECK_INT(wmgw_rpc_conn_poll(c, &ev, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "rpc_vers") != NULL);
    wmgw_rpc_conn_free(c);
    CHECK_INT(wmgw_rpc_conn_new(&cc, &c, NULL), 0);
    static uint8_t big[300 << 10];
    CHECK_INT(wmgw_rpc_conn_feed(c, big, sizeof(big), &err), WMGW_ETOOBIG);
    wmgw_rpc_conn_free(c);
    /* configuration errors */
    cc.max_recv_frag = 1000;
    CHECK_INT(wmgw_rpc_conn_new(&cc, &c, &err), WMGW_EINVAL);
    cc.max_recv_frag = 0;
    cc.sec = &tsec_odd;
    cc.auth_level = 9;
    CHECK_INT(wmgw_rpc_conn_new(&cc, &c, &err), WMGW_EINVAL);
}

static void test_shutdown(void)
{
    struct wmgw_rpc_conn_config cc = {0}, sc = {0};
    struct pair pr;
    pair_open(&pr, &cc, &sc);
    do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_conn_shutdown(pr.srv, &err), 0);
    CHECK_INT(wmgw_rpc_conn_shutdown(pr.cli, &err), WMGW_EINVAL);
    struct wmgw_rpc_event ev;
    CHECK_INT(client_wait(&pr, &ev, &err), 1);
    CHECK_INT(ev.kind, WMGW_RPC_EV_SHUTDOWN);
    pair_close(&pr);
}

/* impacket's alter_ctx: a new interface on an authenticated connection
 * comes with a whole new security context (new auth_context_id, its own
 * three legs), and requests name the context they use. */
static void sign_request(void *ctx, struct wmgw_buf *b, size_t start, uint8_t level)
{
    uint8_t *pdu = (uint8_t *)b->data + start;
    size_t flen = b->len - start;
    struct wmgw_rpc_sec_pdu m = {pdu, flen - TSEC_SIG, 24, flen - TSEC_SIG - 8 - 24, false, level};
    tsec_sign(ctx, &m, pdu + flen - TSEC_SIG, TSEC_SIG, NULL);
}

static void test_second_security_context(void)
{
    struct tsec_cfg tc = {3, "impacket"};
    struct wmgw_rpc_conn_config cc = {0}, sc = {0};
    struct wmgw_rpc_sec_ops ops = tsec_odd;
    ops.header_sign = false; /* as impacket: no PFC_SUPPORT_HEADER_SIGN */
    cc.sec = sc.sec = &ops;
    cc.sec_cfg = sc.sec_cfg = &tc;
    cc.auth_level = WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY;
    cc.auth_context_id = 79231;
    struct pair pr;
    pair_open(&pr, &cc, &sc);
    uint16_t a = do_bind(&pr, &iface_a, WMGW_RPC_EV_BOUND);
    do_echo(&pr, a, 10, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY);

    /* the second context, by hand, straight into the server */
    struct wmgw_rpc_conn *s = pr.srv;
    void *ctx2;
    struct wmgw_buf tok, b;
    struct wmgw_err err;
    struct wmgw_rpc_event ev;
    wmgw_buf_init(&tok, 256);
    wmgw_buf_init(&b, 1 << 16);
    tsec_start(&tc, false, 5, &ctx2, NULL);
    CHECK_INT(tsec_step(ctx2, NULL, 0, &tok, NULL), WMGW_RPC_SEC_CONTINUE);
    struct wmgw_rpc_pdu p = bind_pdu(WMGW_RPC_ALTER_CONTEXT, 100, 1, &iface_b);
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){0x42, 5, 0, 0, 79232, (const uint8_t *)tok.data, tok.len};
    feed_pdu(s, &p);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), 0);
    struct wmgw_rpc_pdu resp;
    last_output(s, &resp);
    CHECK_INT(resp.ptype, WMGW_RPC_ALTER_CONTEXT_RESP);
    CHECK(resp.has_auth && resp.auth.context_id == 79232 && resp.results[0].result == 0);
    wmgw_buf_reset(&tok);
    CHECK_INT(tsec_step(ctx2, resp.auth.token, resp.auth.token_len, &tok, NULL), WMGW_RPC_SEC_DONE);
    wmgw_rpc_conn_consume(s, 1 << 20);
    memset(&p, 0, sizeof(p));
    p.ptype = WMGW_RPC_AUTH3;
    p.flags = 3;
    p.call_id = 100;
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){0x42, 5, 0, 0, 79232, (const uint8_t *)tok.data, tok.len};
    feed_pdu(s, &p);
    /* a signed request on context 79232 */
    p = req_pdu(101, 3, "via second context");
    p.cont_id = 1;
    p.has_auth = true;
    p.auth = (struct wmgw_rpc_auth){0x42, 5, (uint8_t)wmgw_rpc_auth_pad(p.stub_len), 0, 79232, NULL, TSEC_SIG};
    CHECK_INT(wmgw_rpc_pdu_encode(&p, &b, NULL), 0);
    sign_request(ctx2, &b, 0, 5);
    CHECK_INT(wmgw_rpc_conn_feed(s, (const uint8_t *)b.data, b.len, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), 1);
    CHECK(ev.call_id == 101 && ev.cont_id == 1 && ev.auth_level == 5 && ev.sec_ctx != NULL);
    CHECK(ev.stub_len == 18 && memcmp(ev.stub, "via second context", 18) == 0);
    CHECK_INT(wmgw_rpc_conn_respond(s, 101, (const uint8_t *)"ok", 2, &err), 0);
    /* the answer is signed with the second context */
    last_output(s, &resp);
    CHECK(resp.ptype == WMGW_RPC_RESPONSE && resp.has_auth && resp.auth.context_id == 79232);
    struct wmgw_rpc_sec_pdu m = {(uint8_t *)resp.stub - resp.body_off, (size_t)resp.frag_length - resp.auth_length,
                                 resp.body_off, resp.body_len, false, 5};
    CHECK_INT(tsec_verify(ctx2, &m, resp.auth.token, resp.auth.token_len, &err), 0);
    wmgw_rpc_conn_consume(s, 1 << 20);
    /* the same request replayed: its call_id no longer increases */
    CHECK_INT(wmgw_rpc_conn_feed(s, (const uint8_t *)b.data, b.len, NULL), 0);
    CHECK_INT(wmgw_rpc_conn_poll(s, &ev, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "does not increase") != NULL);
    tsec_stop(ctx2);
    wmgw_buf_dispose(&tok);
    wmgw_buf_dispose(&b);
    pair_close(&pr);
}

int main(void)
{
    syntaxes();
    WMGW_TEST_RUN(test_plain);
    WMGW_TEST_RUN(test_levels_and_legs);
    WMGW_TEST_RUN(test_fragment_sizes);
    WMGW_TEST_RUN(test_privacy_on_the_wire);
    WMGW_TEST_RUN(test_auth_failures);
    WMGW_TEST_RUN(test_bind_ack_refusals);
    WMGW_TEST_RUN(test_client_refusals);
    WMGW_TEST_RUN(test_shutdown);
    WMGW_TEST_RUN(test_second_security_context);
    return WMGW_TEST_DONE();
}
