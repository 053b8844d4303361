/*
 * rpc_ntlm.c: tests for translators/wmi/rpc_ntlm.c, the NTLM provider of
 * the DCE/RPC layer, and the DCOM layer end to end.
 *
 * First the provider alone: the three legs, sign/verify and seal/unseal
 * over a PDU-shaped buffer in both directions, tampering and replay,
 * levels it refuses, tokens out of turn, a wrong password, a server that
 * demands more than the client binds at.  Then our RPC client against our
 * RPC server over a socketpair (read in odd pieces) at CONNECT, INTEGRITY
 * and PRIVACY, with fragmented calls, and a failed authentication seen as
 * the access-denied fault Windows sends.  Last, a whole WMI session at
 * PRIVACY, as the gateway will run it against the simulator:
 *
 *   135:      bind IRemoteSCMActivator, RemoteCreateInstance(CLSID_WbemLevel1Login)
 *   endpoint: bind IRemUnknown2, RemQueryInterface(IWbemLoginClientID),
 *             alter_context IWbemLevel1Login, EstablishPosition, NTLMLogin,
 *             alter_context IWbemServices, ExecQuery,
 *             alter_context IEnumWbemClassObject, Next until WBEM_S_FALSE,
 *             RemRelease
 *
 * against a fake server handler built on the server-side stubs, which also
 * checks what the RPC layer tells it: object UUID = the IPID each
 * interface was given, auth level 6, and who authenticated.
 */
#include "translators/wmi/rpc_ntlm.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "translators/wmi/dcom_activation.h"
#include "translators/wmi/dcom_remunknown.h"
#include "translators/wmi/rpc_conn.h"
#include "translators/wmi/wmi_calls.h"

#include "../test.h"

/* ---- credentials ---- */

static int lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    int *calls = arg;
    (*calls)++;
    if (strcasecmp(user, "alice") != 0)
        return WMGW_ENOTFOUND;
    snprintf(cred->password, sizeof(cred->password), "%s", "Secret-1");
    return 0;
}

static int lookups;
static struct wmgw_ntlm_client_config alice = {.user = "alice", .domain = "WMSIM", .password = "Secret-1",
                                               .workstation = "GATEWAY"};
static struct wmgw_ntlm_client_config mallory = {.user = "alice", .domain = "WMSIM", .password = "guess"};
static struct wmgw_ntlm_server_config server = {.nb_computer = "WMSIM-01", .dns_computer = "wmsim-01.example.test",
                                                .level = WMGW_NTLM_LEVEL_CONNECT, .lookup = lookup,
                                                .lookup_arg = &lookups};
static struct wmgw_ntlm_server_config strict = {.nb_computer = "WMSIM-01", .level = WMGW_NTLM_LEVEL_PRIVACY,
                                                .lookup = lookup, .lookup_arg = &lookups};

/* ---- the provider alone ---- */

struct legs {
    void *cli, *srv;
    int rc;
};

/* Runs the three legs; rc is the first failure. */
static void run_legs(struct legs *l, const struct wmgw_rpc_ntlm_config *cc, const struct wmgw_rpc_ntlm_config *sc,
                     uint8_t level, struct wmgw_err *err)
{
    const struct wmgw_rpc_sec_ops *o = &wmgw_rpc_ntlm_ops;
    struct wmgw_buf neg, chal, auth, none;
    wmgw_buf_init(&neg, 1 << 16);
    wmgw_buf_init(&chal, 1 << 16);
    wmgw_buf_init(&auth, 1 << 16);
    wmgw_buf_init(&none, 1 << 16);
    l->cli = l->srv = NULL;
    l->rc = o->start(cc, false, level, &l->cli, err);
    if (l->rc == 0)
        l->rc = o->start(sc, true, level, &l->srv, err);
    if (l->rc == 0 && (l->rc = o->step(l->cli, NULL, 0, &neg, err)) == WMGW_RPC_SEC_CONTINUE)
        l->rc = 0;
    if (l->rc == 0 && (l->rc = o->step(l->srv, (uint8_t *)neg.data, neg.len, &chal, err)) == WMGW_RPC_SEC_CONTINUE)
        l->rc = 0;
    if (l->rc == 0)
        l->rc = o->step(l->cli, (uint8_t *)chal.data, chal.len, &auth, err);
    if (l->rc == 0) {
        CHECK_INT(wmgw_ntlm_message_type((uint8_t *)neg.data, neg.len), 1);
        CHECK_INT(wmgw_ntlm_message_type((uint8_t *)chal.data, chal.len), 2);
        CHECK_INT(wmgw_ntlm_message_type((uint8_t *)auth.data, auth.len), 3);
        l->rc = o->step(l->srv, (uint8_t *)auth.data, auth.len, &none, err);
        if (l->rc == 0)
            CHECK_INT(none.len, 0); /* the AUTHENTICATE leg is unanswered (rpc_auth3) */
    }
    wmgw_buf_dispose(&neg);
    wmgw_buf_dispose(&chal);
    wmgw_buf_dispose(&auth);
    wmgw_buf_dispose(&none);
}

static void stop_legs(struct legs *l)
{
    wmgw_rpc_ntlm_ops.stop(l->cli);
    wmgw_rpc_ntlm_ops.stop(l->srv);
}

/* A request PDU with an 8-byte sec_trailer and room for the signature. */
static size_t fake_pdu(uint8_t *p, size_t stub_len, uint8_t level)
{
    memset(p, 0, 24 + stub_len + 8 + 16);
    memcpy(p, "\x05\x00\x00\x03\x10\x00\x00\x00", 8);
    for (size_t i = 0; i < stub_len; i++)
        p[24 + i] = (uint8_t)(i * 13 + 1);
    p[24 + stub_len] = WMGW_RPC_AUTHN_WINNT;
    p[24 + stub_len + 1] = level;
    return 24 + stub_len + 8;
}

static void test_provider_legs_and_protection(void)
{
    const struct wmgw_rpc_sec_ops *o = &wmgw_rpc_ntlm_ops;
    struct wmgw_rpc_ntlm_config cc = {&alice, NULL}, sc = {NULL, &server};
    struct wmgw_err err;
    struct legs l;
    CHECK_STR(o->name, "NTLM");
    CHECK(o->auth_type == 10 && o->odd_legs && o->header_sign);
    lookups = 0;
    run_legs(&l, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, &err);
    CHECK_INT(l.rc, WMGW_RPC_SEC_DONE);
    CHECK_INT(lookups, 1);
    const struct wmgw_ntlm_identity *id = wmgw_rpc_ntlm_identity(l.srv);
    CHECK(id != NULL);
    if (id) {
        CHECK_STR(id->user, "alice");
        CHECK_STR(id->domain, "WMSIM");
        CHECK_STR(id->workstation, "GATEWAY");
    }
    CHECK(wmgw_rpc_ntlm_identity(l.cli) == NULL && wmgw_rpc_ntlm_identity(NULL) == NULL);
    CHECK_INT(o->sig_size(l.cli, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY), 16);

    /* privacy both ways, several PDUs (sequence numbers advance) */
    uint8_t pdu[512], plain[512], sig[16];
    for (int round = 0; round < 3; round++) {
        for (int dir = 0; dir < 2; dir++) {
            void *from = dir ? l.srv : l.cli, *to = dir ? l.cli : l.srv;
            size_t stub = 37 + 16 * (size_t)round, len = fake_pdu(pdu, stub, 6);
            memcpy(plain, pdu, len);
            struct wmgw_rpc_sec_pdu m = {pdu, len, 24, stub, true, 6};
            CHECK_INT(o->seal(from, &m, sig, 16, &err), 0);
            CHECK(memcmp(pdu, plain, 24) == 0 && memcmp(pdu + 24, plain + 24, stub) != 0); /* the body only */
            CHECK(memcmp(pdu + 24 + stub, plain + 24 + stub, 8) == 0);
            CHECK_INT(o->unseal(to, &m, sig, 16, &err), 0);
            CHECK(memcmp(pdu, plain, len) == 0);
        }
    }
    /* a tampered header (NTLM signs the whole PDU), then the direction is dead */
    size_t len = fake_pdu(pdu, 40, 6);
    struct wmgw_rpc_sec_pdu m = {pdu, len, 24, 40, false, 6};
    CHECK_INT(o->seal(l.cli, &m, sig, 16, &err), 0);
    pdu[2] ^= 1;
    CHECK(o->unseal(l.srv, &m, sig, 16, &err) == WMGW_EAUTH);
    CHECK(o->verify(l.srv, &m, sig, 15, &err) == WMGW_EAUTH); /* signature length */
    stop_legs(&l);

    /* integrity: signatures over the PDU, a replayed one refused */
    run_legs(&l, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY, &err);
    CHECK_INT(l.rc, WMGW_RPC_SEC_DONE);
    len = fake_pdu(pdu, 20, 5);
    m = (struct wmgw_rpc_sec_pdu){pdu, len, 24, 20, false, 5};
    CHECK_INT(o->sign(l.cli, &m, sig, 16, &err), 0);
    CHECK_INT(o->verify(l.srv, &m, sig, 16, &err), 0);
    CHECK(o->verify(l.srv, &m, sig, 16, &err) == WMGW_EAUTH); /* the same sequence number again */
    stop_legs(&l);

    /* connect: authentication only */
    run_legs(&l, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_CONNECT, &err);
    CHECK_INT(l.rc, WMGW_RPC_SEC_DONE);
    CHECK(wmgw_rpc_ntlm_identity(l.srv) != NULL);
    stop_legs(&l);
}

static void test_provider_refusals(void)
{
    const struct wmgw_rpc_sec_ops *o = &wmgw_rpc_ntlm_ops;
    struct wmgw_rpc_ntlm_config cc = {&alice, NULL}, sc = {NULL, &server}, bad = {&mallory, NULL},
                                strict_sc = {NULL, &strict};
    struct wmgw_err err;
    struct legs l;
    void *ctx = NULL;
    struct wmgw_buf out;
    wmgw_buf_init(&out, 1 << 16);

    /* levels rpc_conn never protects at */
    CHECK(o->start(&cc, false, WMGW_RPC_AUTHN_LEVEL_PKT, &ctx, &err) == WMGW_EUNSUPPORTED);
    CHECK(o->start(&cc, false, WMGW_RPC_AUTHN_LEVEL_CALL, &ctx, &err) == WMGW_EUNSUPPORTED);
    CHECK(strstr(err.message, "auth level 3") != NULL);
    CHECK(o->start(&sc, false, 6, &ctx, &err) == WMGW_ECONFIG); /* no client configuration */
    CHECK(ctx == NULL);

    /* tokens out of turn */
    CHECK_INT(o->start(&cc, false, 6, &ctx, &err), 0);
    CHECK(o->step(ctx, (const uint8_t *)"NTLMSSP", 8, &out, &err) == WMGW_EPROTO);
    CHECK(o->step(ctx, NULL, 0, &out, &err) == WMGW_EAUTH); /* failed for good */
    uint8_t sig[16], pdu[128];
    size_t len = fake_pdu(pdu, 8, 6);
    struct wmgw_rpc_sec_pdu m = {pdu, len, 24, 8, false, 6};
    CHECK(o->seal(ctx, &m, sig, 16, &err) == WMGW_EAUTH); /* not established */
    o->stop(ctx);
    CHECK_INT(o->start(&sc, true, 6, &ctx, &err), 0);
    CHECK(o->step(ctx, NULL, 0, &out, &err) == WMGW_EPROTO);
    o->stop(ctx);

    /* a wrong password: refused at the last leg */
    run_legs(&l, &bad, &sc, 6, &err);
    CHECK_INT(l.rc, WMGW_EAUTH);
    CHECK(wmgw_rpc_ntlm_identity(l.srv) == NULL);
    stop_legs(&l);

    /* a server that wants privacy refuses a client binding at integrity */
    run_legs(&l, &cc, &strict_sc, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY, &err);
    CHECK_INT(l.rc, WMGW_EAUTH);
    stop_legs(&l);
    wmgw_buf_dispose(&out);
}

/* ---- our RPC client and server over a socketpair ---- */

struct link {
    struct wmgw_rpc_conn *cli, *srv;
    int fd[2];
    unsigned chunk, requests;
    bool quiet; /* the server is expected to fail */
    int (*handle)(struct link *l, const struct wmgw_rpc_event *ev); /* answers one request */
    void *app;
};

static void link_open(struct link *l, const struct wmgw_rpc_ntlm_config *cc, const struct wmgw_rpc_ntlm_config *sc,
                      uint8_t level, uint8_t least)
{
    struct wmgw_rpc_conn_config c = {0}, s = {0};
    struct wmgw_err err;
    memset(l, 0, sizeof(*l));
    c.sec = s.sec = &wmgw_rpc_ntlm_ops;
    c.sec_cfg = cc;
    s.sec_cfg = sc;
    c.auth_level = level;
    c.auth_context_id = 79231;
    s.server = true;
    s.auth_level = least;
    s.sec_addr = "49667";
    CHECK_INT(wmgw_rpc_conn_new(&c, &l->cli, &err), 0);
    CHECK_INT(wmgw_rpc_conn_new(&s, &l->srv, &err), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, l->fd), 0);
    fcntl(l->fd[0], F_SETFL, O_NONBLOCK);
    fcntl(l->fd[1], F_SETFL, O_NONBLOCK);
}

static void link_close(struct link *l)
{
    wmgw_rpc_conn_free(l->cli);
    wmgw_rpc_conn_free(l->srv);
    close(l->fd[0]);
    close(l->fd[1]);
}

static bool shuttle(struct link *l, struct wmgw_rpc_conn *c, int fd)
{
    static const unsigned sizes[] = {1, 7, 100, 1500, 65536};
    bool moved = false;
    const uint8_t *data;
    size_t len;
    wmgw_rpc_conn_output(c, &data, &len);
    if (len > 0) {
        ssize_t n = write(fd, data, len > 4000 ? 4000 : len);
        if (n > 0) {
            wmgw_rpc_conn_consume(c, (size_t)n);
            moved = true;
        }
    }
    uint8_t buf[65536];
    ssize_t n = read(fd, buf, sizes[l->chunk++ % 5]);
    if (n > 0) {
        CHECK_INT(wmgw_rpc_conn_feed(c, buf, (size_t)n, NULL), 0);
        moved = true;
    }
    return moved;
}

/* Runs both sides until the client has an event. */
static int client_wait(struct link *l, struct wmgw_rpc_event *ev, struct wmgw_err *err)
{
    for (int idle = 0; idle < 50;) {
        int rc = wmgw_rpc_conn_poll(l->cli, ev, err);
        if (rc != 0)
            return rc;
        struct wmgw_rpc_event sev;
        struct wmgw_err serr;
        wmgw_err_clear(&serr);
        while ((rc = wmgw_rpc_conn_poll(l->srv, &sev, &serr)) == 1) {
            CHECK_INT(sev.kind, WMGW_RPC_EV_REQUEST);
            l->requests++;
            CHECK_INT(l->handle(l, &sev), 0);
        }
        if (rc < 0 && !l->quiet)
            fprintf(stderr, "  server: %s\n", serr.message);
        bool moved = shuttle(l, l->cli, l->fd[0]);
        moved |= shuttle(l, l->srv, l->fd[1]);
        idle = moved ? 0 : idle + 1;
    }
    return 0;
}

static int do_bind(struct link *l, const struct wmgw_uuid *iid, uint16_t *cont)
{
    struct wmgw_rpc_syntax s = wmgw_dcom_syntax(iid);
    struct wmgw_rpc_event ev;
    struct wmgw_err err;
    CHECK_INT(wmgw_rpc_conn_bind(l->cli, &s, cont, &err), 0);
    int rc = client_wait(l, &ev, &err);
    if (rc < 0)
        fprintf(stderr, "  client: %s\n", err.message);
    return rc == 1 ? ev.kind : rc;
}

/* One call; the reply stub is copied into reply.  Returns the event kind. */
static int call(struct link *l, uint16_t cont, uint16_t opnum, const struct wmgw_uuid *object,
                const struct wmgw_buf *req, struct wmgw_buf *reply, uint32_t *status)
{
    struct wmgw_rpc_event ev;
    struct wmgw_err err;
    uint32_t id;
    wmgw_buf_reset(reply);
    CHECK_INT(wmgw_rpc_conn_request(l->cli, cont, opnum, object, (const uint8_t *)req->data, req->len, &id, &err),
              0);
    int rc = client_wait(l, &ev, &err);
    CHECK_INT(rc, 1);
    if (rc != 1) {
        fprintf(stderr, "  client: %s\n", err.message);
        return rc;
    }
    CHECK_INT(ev.call_id, id);
    if (ev.kind == WMGW_RPC_EV_RESPONSE)
        wmgw_buf_add(reply, ev.stub, ev.stub_len);
    if (status)
        *status = ev.status;
    return ev.kind;
}

/* The echo application: level, then the stub. */
static int echo(struct link *l, const struct wmgw_rpc_event *ev)
{
    struct wmgw_buf b;
    struct wmgw_err err;
    wmgw_buf_init(&b, 1 << 20);
    wmgw_buf_addc(&b, (char)ev->auth_level);
    wmgw_buf_add(&b, ev->stub, ev->stub_len);
    int rc = wmgw_rpc_conn_respond(l->srv, ev->call_id, (const uint8_t *)b.data, b.len, &err);
    wmgw_buf_dispose(&b);
    return rc;
}

static void test_rpc_levels(void)
{
    static const uint8_t levels[] = {WMGW_RPC_AUTHN_LEVEL_CONNECT, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY,
                                     WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY};
    struct wmgw_rpc_ntlm_config cc = {&alice, NULL}, sc = {NULL, &server};
    for (size_t i = 0; i < 3; i++) {
        struct link l;
        struct wmgw_buf req, reply;
        uint16_t cont;
        wmgw_buf_init(&req, 1 << 20);
        wmgw_buf_init(&reply, 1 << 20);
        link_open(&l, &cc, &sc, levels[i], WMGW_RPC_AUTHN_LEVEL_CONNECT);
        l.handle = echo;
        CHECK_INT(do_bind(&l, &wmgw_dcom_iid_iremote_scm_activator, &cont), WMGW_RPC_EV_BOUND);
        static const size_t sizes[] = {0, 5, 100, 5000, 33333};
        for (size_t k = 0; k < 5; k++) {
            wmgw_buf_reset(&req);
            for (size_t j = 0; j < sizes[k]; j++)
                wmgw_buf_addc(&req, (char)(j * 7 + k));
            CHECK_INT(call(&l, cont, 4, NULL, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
            CHECK_INT(reply.len, 1 + sizes[k]);
            if (reply.len == 1 + sizes[k]) {
                CHECK_INT((uint8_t)reply.data[0], levels[i]);
                CHECK(sizes[k] == 0 || memcmp(reply.data + 1, req.data, sizes[k]) == 0);
            }
        }
        uint16_t cont2;
        CHECK_INT(do_bind(&l, &wmgw_dcom_iid_iremunknown2, &cont2), WMGW_RPC_EV_BOUND); /* alter_context */
        CHECK_INT(call(&l, cont2, 3, &wmgw_dcom_iid_iremunknown2, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
        CHECK_INT(l.requests, 6);
        wmgw_buf_dispose(&req);
        wmgw_buf_dispose(&reply);
        link_close(&l);
    }
}

static void test_rpc_refusals(void)
{
    struct wmgw_rpc_ntlm_config cc = {&alice, NULL}, bad = {&mallory, NULL}, sc = {NULL, &server},
                                strict_sc = {NULL, &strict};
    struct link l;
    struct wmgw_buf req, reply;
    uint16_t cont;
    uint32_t status = 0;
    wmgw_buf_init(&req, 1024);
    wmgw_buf_init(&reply, 1024);
    wmgw_buf_addstr(&req, "stub");

    /* a wrong password: bound (rpc_auth3 is unanswered), then access denied */
    link_open(&l, &bad, &sc, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, WMGW_RPC_AUTHN_LEVEL_CONNECT);
    l.handle = echo;
    CHECK_INT(do_bind(&l, &wmgw_dcom_iid_iremote_scm_activator, &cont), WMGW_RPC_EV_BOUND);
    CHECK_INT(call(&l, cont, 4, NULL, &req, &reply, &status), WMGW_RPC_EV_FAULT);
    CHECK_INT(status, WMGW_RPC_FAULT_ACCESS_DENIED);
    CHECK_INT(l.requests, 0);
    link_close(&l);

    /* an NTLM server that wants privacy: a bind at integrity is refused */
    link_open(&l, &cc, &strict_sc, WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY, WMGW_RPC_AUTHN_LEVEL_CONNECT);
    l.handle = echo;
    l.quiet = true;
    CHECK_INT(do_bind(&l, &wmgw_dcom_iid_iremote_scm_activator, &cont), WMGW_RPC_EV_REJECTED);
    link_close(&l);

    /* PKT level is not offered */
    link_open(&l, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_PKT, WMGW_RPC_AUTHN_LEVEL_CONNECT);
    struct wmgw_rpc_syntax s = wmgw_dcom_syntax(&wmgw_dcom_iid_iremote_scm_activator);
    struct wmgw_err err;
    CHECK(wmgw_rpc_conn_bind(l.cli, &s, &cont, &err) == WMGW_EUNSUPPORTED);
    link_close(&l);
    wmgw_buf_dispose(&req);
    wmgw_buf_dispose(&reply);
}

/* ---- a WMI session ---- */

struct fake_wmi {
    uint16_t port;
    uint64_t oxid;
    struct wmgw_uuid remunk, login, client_id, services, enumr;
    unsigned left;          /* objects the enumeration still has */
    unsigned released;
    char user[2 * (WMGW_NTLM_MAX_NAME * 3 + 1) + 2];
    struct wmgw_buf text;
};

static const uint8_t object_unit[] = {0x78, 0x56, 0x34, 0x12, 0x0e, 0, 0, 0, 0x02, 'i', 'n', 's', 't',
                                      'a', 'n', 'c', 'e', '!', 0, 0, 0, 0};

static int objref_of(const struct fake_wmi *f, const struct wmgw_uuid *iid, const struct wmgw_uuid *ipid,
                     struct wmgw_buf *out)
{
    struct wmgw_dcom_iref ir;
    struct wmgw_ndr_dsa resolver;
    memset(&ir, 0, sizeof(ir));
    memset(&resolver, 0, sizeof(resolver));
    ir.iid = *iid;
    ir.std.public_refs = 5;
    ir.std.oxid = f->oxid;
    ir.std.oid = 0x77;
    ir.std.ipid = *ipid;
    wmgw_dcom_dsa_add_tcp(&resolver, "127.0.0.1", 135, NULL);
    resolver.n_security = 1;
    resolver.security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
    return wmgw_dcom_iref_format(&ir, &resolver, out, NULL);
}

/* The simulator's side, in miniature: each request through the server-side
 * decoders, each answer through the encoders. */
static int fake_handle(struct link *l, const struct wmgw_rpc_event *ev)
{
    struct fake_wmi *f = l->app;
    struct wmgw_buf out, objref;
    struct wmgw_err err;
    int rc = 0;
    wmgw_buf_init(&out, 1 << 20);
    wmgw_buf_init(&objref, 4096);
    wmgw_buf_reset(&f->text);
    const struct wmgw_uuid *iid = &ev->iface->uuid;
    CHECK_INT(ev->auth_level, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY);
    const struct wmgw_ntlm_identity *who = wmgw_rpc_ntlm_identity(ev->sec_ctx);
    CHECK(who != NULL);
    if (who)
        snprintf(f->user, sizeof(f->user), "%s\\%s", who->domain, who->user);

    if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremote_scm_activator) && ev->opnum == WMGW_DCOM_OP_REMOTE_CREATE_INSTANCE) {
        struct wmgw_dcom_activate_req q;
        struct wmgw_dcom_activate_resp a;
        CHECK(!ev->has_object);
        CHECK_INT(rc = wmgw_dcom_activate_req_decode(ev->stub, ev->stub_len, &q, &err), 0);
        CHECK(wmgw_uuid_eq(&q.act.clsid, &wmgw_dcom_clsid_wbem_level1_login));
        CHECK(q.act.n_iids == 1 && wmgw_uuid_eq(&q.act.iids[0], &wmgw_dcom_iid_iwbem_level1_login));
        CHECK(q.act.n_protseqs == 1 && q.act.protseqs[0] == WMGW_DCOM_TOWER_TCP);
        memset(&a, 0, sizeof(a));
        a.has_act = true;
        a.act.n_ifaces = 1;
        a.act.ifaces[0].iid = q.act.iids[0];
        objref_of(f, &q.act.iids[0], &f->login, &objref);
        a.act.ifaces[0].ptr.objref = (const uint8_t *)objref.data;
        a.act.ifaces[0].ptr.len = objref.len;
        a.act.oxid = f->oxid;
        wmgw_dcom_dsa_add_tcp(&a.act.bindings, "WMSIM-01", f->port, NULL);
        wmgw_dcom_dsa_add_tcp(&a.act.bindings, "127.0.0.1", f->port, NULL);
        a.act.bindings.n_security = 1;
        a.act.bindings.security[0].authn_svc = WMGW_RPC_AUTHN_WINNT;
        a.act.ipid_rem_unknown = f->remunk;
        a.act.authn_hint = WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY;
        a.act.com_major = 5;
        a.act.com_minor = 7;
        a.act.dest_ctx = 2;
        rc = rc ? rc : wmgw_dcom_activate_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown2) && ev->opnum == WMGW_DCOM_OP_REM_QUERY_INTERFACE) {
        struct wmgw_dcom_remqi_req q;
        struct wmgw_dcom_remqi_resp a;
        CHECK(ev->has_object && wmgw_uuid_eq(&ev->object, &f->remunk));
        CHECK_INT(rc = wmgw_dcom_remqi_req_decode(ev->stub, ev->stub_len, &q, &err), 0);
        CHECK(wmgw_uuid_eq(&q.ipid, &f->login) && q.refs == 5);
        memset(&a, 0, sizeof(a));
        a.n_results = q.n_iids;
        for (unsigned i = 0; i < q.n_iids; i++) {
            if (!wmgw_uuid_eq(&q.iids[i], &wmgw_dcom_iid_iwbem_login_client_id)) {
                a.results[i].hr = WMGW_HR_E_NOINTERFACE;
                continue;
            }
            a.results[i].std.public_refs = q.refs;
            a.results[i].std.oxid = f->oxid;
            a.results[i].std.oid = 0x77;
            a.results[i].std.ipid = f->client_id;
        }
        rc = rc ? rc : wmgw_dcom_remqi_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iremunknown2) && ev->opnum == WMGW_DCOM_OP_REM_RELEASE) {
        struct wmgw_dcom_remref_req q;
        struct wmgw_dcom_status_resp a = {{0}, 0};
        CHECK_INT(rc = wmgw_dcom_remref_req_decode(ev->stub, ev->stub_len, &q, &err), 0);
        f->released += q.n_refs;
        rc = rc ? rc : wmgw_dcom_status_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_level1_login) && ev->opnum == WMGW_WMI_OP_ESTABLISH_POSITION) {
        struct wmgw_wmi_establish_req q;
        struct wmgw_wmi_establish_resp a = {{0}, 1, 0};
        CHECK(ev->has_object && wmgw_uuid_eq(&ev->object, &f->login));
        CHECK_INT(rc = wmgw_wmi_establish_req_decode(ev->stub, ev->stub_len, &q, &err), 0);
        rc = rc ? rc : wmgw_wmi_establish_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_level1_login) && ev->opnum == WMGW_WMI_OP_NTLM_LOGIN) {
        struct wmgw_wmi_login_req q;
        struct wmgw_dcom_ptr_resp a;
        CHECK(ev->has_object && wmgw_uuid_eq(&ev->object, &f->login));
        CHECK_INT(rc = wmgw_wmi_login_req_decode(ev->stub, ev->stub_len, &q, &f->text, &err), 0);
        memset(&a, 0, sizeof(a));
        if (rc == 0 && strcmp(q.network_resource, "//./root/cimv2") == 0) {
            objref_of(f, &wmgw_dcom_iid_iwbem_services, &f->services, &objref);
            a.ptr.objref = (const uint8_t *)objref.data;
            a.ptr.len = objref.len;
        } else {
            a.hr = WMGW_WBEM_E_INVALID_NAMESPACE;
        }
        rc = rc ? rc : wmgw_dcom_ptr_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_iwbem_services) && ev->opnum == WMGW_WMI_OP_EXEC_QUERY) {
        struct wmgw_wmi_query_req q;
        struct wmgw_dcom_ptr_resp a;
        CHECK(ev->has_object && wmgw_uuid_eq(&ev->object, &f->services));
        CHECK_INT(rc = wmgw_wmi_query_req_decode(ev->stub, ev->stub_len, &q, &f->text, &err), 0);
        CHECK(rc == 0 && strcmp(q.language, "WQL") == 0 && strcmp(q.query, "SELECT * FROM Win32_Service") == 0);
        memset(&a, 0, sizeof(a));
        objref_of(f, &wmgw_dcom_iid_ienum_wbem_class_object, &f->enumr, &objref);
        a.ptr.objref = (const uint8_t *)objref.data;
        a.ptr.len = objref.len;
        f->left = 5;
        rc = rc ? rc : wmgw_dcom_ptr_resp_encode(&out, &a, &err);
    } else if (wmgw_uuid_eq(iid, &wmgw_dcom_iid_ienum_wbem_class_object) && ev->opnum == WMGW_WMI_OP_ENUM_NEXT) {
        struct wmgw_wmi_enum_req q;
        struct wmgw_wmi_next_resp a;
        struct wmgw_wmi_unit objs[4];
        CHECK(ev->has_object && wmgw_uuid_eq(&ev->object, &f->enumr));
        CHECK_INT(rc = wmgw_wmi_enum_req_decode(ev->stub, ev->stub_len, &q, &err), 0);
        memset(&a, 0, sizeof(a));
        a.count = q.count;
        a.n_objects = q.count < f->left ? q.count : f->left;
        if (a.n_objects > 4)
            a.n_objects = 4;
        for (unsigned i = 0; i < a.n_objects; i++)
            objs[i] = (struct wmgw_wmi_unit){object_unit, sizeof(object_unit)};
        a.objects = objs;
        f->left -= a.n_objects;
        a.hr = a.n_objects < q.count ? WMGW_WBEM_S_FALSE : WMGW_WBEM_S_NO_ERROR;
        rc = rc ? rc : wmgw_wmi_next_resp_encode(&out, &a, &err);
    } else {
        wmgw_buf_dispose(&out);
        wmgw_buf_dispose(&objref);
        return wmgw_rpc_conn_fault(l->srv, ev->call_id, WMGW_RPC_FAULT_OP_RANGE, &err);
    }
    if (rc == 0)
        rc = wmgw_rpc_conn_respond(l->srv, ev->call_id, (const uint8_t *)out.data, out.len, &err);
    else
        fprintf(stderr, "  fake server: %s\n", err.message);
    wmgw_buf_dispose(&out);
    wmgw_buf_dispose(&objref);
    return rc;
}

static void test_wmi_session_at_privacy(void)
{
    struct wmgw_rpc_ntlm_config cc = {&alice, NULL}, sc = {NULL, &strict};
    struct fake_wmi f;
    struct link scm, ep;
    struct wmgw_buf req, reply;
    struct wmgw_err err;
    struct wmgw_uuid cid;
    uint16_t cont;
    memset(&f, 0, sizeof(f));
    f.port = 49667;
    f.oxid = 0x5e4c3f2a1b0c9d8eull;
    wmgw_uuid_parse(&f.remunk, "00009801-0d2c-0000-8e1f-61a1c9e6b9d7", NULL);
    wmgw_uuid_parse(&f.login, "0001a407-06c4-0000-a6e3-c870b6019c76", NULL);
    wmgw_uuid_parse(&f.client_id, "0002e41c-06c4-0000-1f17-07bcf2eeb3f8", NULL);
    wmgw_uuid_parse(&f.services, "0001f82e-06c4-0000-829f-784637ef2774", NULL);
    wmgw_uuid_parse(&f.enumr, "00026021-06c4-0000-9260-c0bcd4c240b3", NULL);
    wmgw_uuid_parse(&cid, "8e2416fe-0a3f-42be-a9b0-f30624c94619", NULL);
    wmgw_buf_init(&f.text, 4096);
    wmgw_buf_init(&req, 1 << 20);
    wmgw_buf_init(&reply, 1 << 20);

    /* port 135: activation */
    link_open(&scm, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY);
    scm.handle = fake_handle;
    scm.app = &f;
    CHECK_INT(do_bind(&scm, &wmgw_dcom_iid_iremote_scm_activator, &cont), WMGW_RPC_EV_BOUND);
    struct wmgw_dcom_activate_req aq;
    struct wmgw_dcom_activate_resp ar;
    memset(&aq, 0, sizeof(aq));
    wmgw_dcom_orpcthis_init(&aq.orpc, &cid);
    aq.orpc.flags = 1;
    wmgw_dcom_act_in_init(&aq.act, &wmgw_dcom_clsid_wbem_level1_login, &wmgw_dcom_iid_iwbem_level1_login);
    CHECK_INT(wmgw_dcom_activate_req_encode(&req, &aq, &err), 0);
    CHECK_INT(call(&scm, cont, WMGW_DCOM_OP_REMOTE_CREATE_INSTANCE, NULL, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_activate_resp_decode((const uint8_t *)reply.data, reply.len, &ar, &err), 0);
    CHECK(ar.has_act && ar.hr == 0);
    struct wmgw_dcom_iref login;
    CHECK_INT(wmgw_dcom_act_iref(&ar.act, &wmgw_dcom_iid_iwbem_level1_login, &login, &err), 0);
    CHECK(wmgw_uuid_eq(&login.std.ipid, &f.login) && login.std.oxid == f.oxid);
    char host[64];
    uint16_t port = 0;
    CHECK_INT(wmgw_dcom_dsa_tcp_endpoint(&ar.act.bindings, "127.0.0.1", host, sizeof(host), &port, &err), 0);
    CHECK_INT(port, 49667);
    struct wmgw_uuid remunk = ar.act.ipid_rem_unknown;
    CHECK(wmgw_uuid_eq(&remunk, &f.remunk) && ar.act.authn_hint == 6);
    CHECK_STR(f.user, "WMSIM\\alice");
    link_close(&scm);

    /* the dynamic endpoint: a new connection, a new NTLM context */
    link_open(&ep, &cc, &sc, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY, WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY);
    ep.handle = fake_handle;
    ep.app = &f;
    uint16_t c_unk, c_login, c_svc, c_enum;
    CHECK_INT(do_bind(&ep, &wmgw_dcom_iid_iremunknown2, &c_unk), WMGW_RPC_EV_BOUND);
    struct wmgw_dcom_remqi_req qi;
    struct wmgw_dcom_remqi_resp qa;
    memset(&qi, 0, sizeof(qi));
    wmgw_dcom_orpcthis_init(&qi.orpc, &cid);
    qi.ipid = login.std.ipid;
    qi.refs = 5;
    qi.n_iids = 2;
    qi.iids[0] = wmgw_dcom_iid_iwbem_login_client_id;
    qi.iids[1] = wmgw_dcom_iid_iwbem_services; /* not on this object */
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_dcom_remqi_req_encode(&req, &qi, &err), 0);
    CHECK_INT(call(&ep, c_unk, WMGW_DCOM_OP_REM_QUERY_INTERFACE, &remunk, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_remqi_resp_decode((const uint8_t *)reply.data, reply.len, &qa, &err), 0);
    CHECK(qa.hr == 0 && qa.n_results == 2 && qa.results[0].hr == 0 && qa.results[1].hr == WMGW_HR_E_NOINTERFACE);
    CHECK(wmgw_uuid_eq(&qa.results[0].std.ipid, &f.client_id) && qa.results[0].std.public_refs == 5);

    CHECK_INT(do_bind(&ep, &wmgw_dcom_iid_iwbem_level1_login, &c_login), WMGW_RPC_EV_BOUND);
    struct wmgw_wmi_establish_req eq;
    struct wmgw_wmi_establish_resp ea;
    memset(&eq, 0, sizeof(eq));
    wmgw_dcom_orpcthis_init(&eq.orpc, &cid);
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_wmi_establish_req_encode(&req, &eq, &err), 0);
    CHECK_INT(call(&ep, c_login, WMGW_WMI_OP_ESTABLISH_POSITION, &login.std.ipid, &req, &reply, NULL),
              WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_wmi_establish_resp_decode((const uint8_t *)reply.data, reply.len, &ea, &err), 0);
    CHECK(ea.locale_version == 1 && ea.hr == 0);

    struct wmgw_wmi_login_req lq;
    struct wmgw_dcom_ptr_resp la;
    memset(&lq, 0, sizeof(lq));
    wmgw_dcom_orpcthis_init(&lq.orpc, &cid);
    lq.network_resource = "//./root/nowhere";
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_wmi_login_req_encode(&req, &lq, &err), 0);
    CHECK_INT(call(&ep, c_login, WMGW_WMI_OP_NTLM_LOGIN, &login.std.ipid, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)reply.data, reply.len, &la, &err), 0);
    CHECK(la.ptr.objref == NULL && la.hr == WMGW_WBEM_E_INVALID_NAMESPACE);
    CHECK_INT(wmgw_err_http_status(wmgw_wmi_hresult_err(la.hr)), 404);
    lq.network_resource = "//./root/cimv2";
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_wmi_login_req_encode(&req, &lq, &err), 0);
    CHECK_INT(call(&ep, c_login, WMGW_WMI_OP_NTLM_LOGIN, &login.std.ipid, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)reply.data, reply.len, &la, &err), 0);
    struct wmgw_dcom_iref svc;
    CHECK_INT(wmgw_dcom_iref_parse(la.ptr.objref, la.ptr.len, &wmgw_dcom_iid_iwbem_services, &svc, NULL, &err), 0);
    CHECK(wmgw_uuid_eq(&svc.std.ipid, &f.services));

    CHECK_INT(do_bind(&ep, &wmgw_dcom_iid_iwbem_services, &c_svc), WMGW_RPC_EV_BOUND);
    struct wmgw_wmi_query_req xq;
    struct wmgw_dcom_ptr_resp xa;
    memset(&xq, 0, sizeof(xq));
    wmgw_dcom_orpcthis_init(&xq.orpc, &cid);
    xq.language = "WQL";
    xq.query = "SELECT * FROM Win32_Service";
    xq.flags = WMGW_WBEM_FLAG_RETURN_IMMEDIATELY | WMGW_WBEM_FLAG_FORWARD_ONLY;
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_wmi_query_req_encode(&req, &xq, &err), 0);
    CHECK_INT(call(&ep, c_svc, WMGW_WMI_OP_EXEC_QUERY, &svc.std.ipid, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_ptr_resp_decode((const uint8_t *)reply.data, reply.len, &xa, &err), 0);
    struct wmgw_dcom_iref en;
    CHECK_INT(wmgw_dcom_iref_parse(xa.ptr.objref, xa.ptr.len, &wmgw_dcom_iid_ienum_wbem_class_object, &en, NULL,
                                   &err), 0);

    CHECK_INT(do_bind(&ep, &wmgw_dcom_iid_ienum_wbem_class_object, &c_enum), WMGW_RPC_EV_BOUND);
    unsigned got = 0, batches = 0;
    uint32_t hr = 0;
    do {
        struct wmgw_wmi_enum_req nq;
        struct wmgw_wmi_next_resp na;
        struct wmgw_wmi_unit units[2];
        memset(&nq, 0, sizeof(nq));
        wmgw_dcom_orpcthis_init(&nq.orpc, &cid);
        nq.timeout = WMGW_WBEM_INFINITE;
        nq.count = 2;
        wmgw_buf_reset(&req);
        CHECK_INT(wmgw_wmi_enum_req_encode(&req, &nq, &err), 0);
        CHECK_INT(call(&ep, c_enum, WMGW_WMI_OP_ENUM_NEXT, &en.std.ipid, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
        memset(&na, 0, sizeof(na));
        na.objects = units;
        na.cap = 2;
        CHECK_INT(wmgw_wmi_next_resp_decode((const uint8_t *)reply.data, reply.len, &na, &err), 0);
        for (unsigned i = 0; i < na.n_objects; i++)
            CHECK(units[i].len == sizeof(object_unit) && memcmp(units[i].data, object_unit, units[i].len) == 0);
        got += na.n_objects;
        hr = na.hr;
    } while (hr == WMGW_WBEM_S_NO_ERROR && ++batches < 10);
    CHECK_INT(got, 5);
    CHECK_INT(hr, WMGW_WBEM_S_FALSE);

    /* give the references back */
    struct wmgw_dcom_remref_req rq;
    struct wmgw_dcom_status_resp rs;
    memset(&rq, 0, sizeof(rq));
    wmgw_dcom_orpcthis_init(&rq.orpc, &cid);
    rq.n_refs = 3;
    rq.refs[0] = (struct wmgw_dcom_remref){en.std.ipid, en.std.public_refs, 0};
    rq.refs[1] = (struct wmgw_dcom_remref){svc.std.ipid, svc.std.public_refs, 0};
    rq.refs[2] = (struct wmgw_dcom_remref){login.std.ipid, login.std.public_refs, 0};
    wmgw_buf_reset(&req);
    CHECK_INT(wmgw_dcom_remref_req_encode(&req, &rq, &err), 0);
    CHECK_INT(call(&ep, c_unk, WMGW_DCOM_OP_REM_RELEASE, &remunk, &req, &reply, NULL), WMGW_RPC_EV_RESPONSE);
    CHECK_INT(wmgw_dcom_status_resp_decode((const uint8_t *)reply.data, reply.len, &rs, &err), 0);
    CHECK_INT(f.released, 3);

    /* an opnum the server does not serve */
    uint32_t status = 0;
    CHECK_INT(call(&ep, c_enum, WMGW_WMI_OP_ENUM_CLONE, &en.std.ipid, &req, &reply, &status), WMGW_RPC_EV_FAULT);
    CHECK_INT(status, WMGW_RPC_FAULT_OP_RANGE);
    CHECK_INT(ep.requests, 10);
    CHECK_STR(f.user, "WMSIM\\alice");
    link_close(&ep);
    wmgw_buf_dispose(&f.text);
    wmgw_buf_dispose(&req);
    wmgw_buf_dispose(&reply);
}

int main(void)
{
    WMGW_TEST_RUN(test_provider_legs_and_protection);
    WMGW_TEST_RUN(test_provider_refusals);
    WMGW_TEST_RUN(test_rpc_levels);
    WMGW_TEST_RUN(test_rpc_refusals);
    WMGW_TEST_RUN(test_wmi_session_at_privacy);
    return WMGW_TEST_DONE();
}
