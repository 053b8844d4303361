/*
 * rpc_ntlm.c: the NTLM security provider of the DCE/RPC layer.  See
 * rpc_ntlm.h.  The legs follow MS-RPCE 3.3.1.5.2 (GSS_Init/Accept_sec_context
 * over bind, bind_ack and rpc_auth3); sign, verify, seal and unseal are
 * MS-NLMP 3.4.4 / 3.4.3 over the regions MS-RPCE 3.3.1.5.2.2 names.
 */
#include "translators/wmi/rpc_ntlm.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include "translators/wmi/rpc_pdu.h"

struct ntlm_ctx {
    bool server;
    int legs; /* tokens consumed or produced so far: 0, 1, 2 (client) / 0, 1, 2 (server) */
    bool failed;
    struct wmgw_ntlm_client *cli;
    struct wmgw_ntlm_server *srv;
    struct wmgw_ntlm_sec *sec; /* once established */
};

static int map_level(uint8_t level, enum wmgw_ntlm_level *out, struct wmgw_err *err)
{
    switch (level) {
    case WMGW_RPC_AUTHN_LEVEL_CONNECT:
        *out = WMGW_NTLM_LEVEL_CONNECT;
        return 0;
    case WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY:
        *out = WMGW_NTLM_LEVEL_INTEGRITY;
        return 0;
    case WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY:
        *out = WMGW_NTLM_LEVEL_PRIVACY;
        return 0;
    default:
        return wmgw_err_set(err, WMGW_EUNSUPPORTED,
                            "NTLM: auth level %u is not offered (connect 2, integrity 5 or privacy 6)", level);
    }
}

static int ntlm_start(const void *cfg_, bool server, uint8_t level, void **out, struct wmgw_err *err)
{
    const struct wmgw_rpc_ntlm_config *cfg = cfg_;
    enum wmgw_ntlm_level nl = WMGW_NTLM_LEVEL_PRIVACY;
    *out = NULL;
    int rc = map_level(level, &nl, err);
    if (rc != 0)
        return rc;
    if (cfg == NULL || (server ? cfg->server == NULL : cfg->client == NULL))
        return wmgw_err_set(err, WMGW_ECONFIG, "NTLM: no %s configuration", server ? "server" : "client");
    struct ntlm_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "NTLM: out of memory");
    c->server = server;
    if (server) {
        struct wmgw_ntlm_server_config sc = *cfg->server;
        enum wmgw_ntlm_level least = sc.level == WMGW_NTLM_LEVEL_DEFAULT ? WMGW_NTLM_LEVEL_PRIVACY : sc.level;
        sc.level = nl > least ? nl : least; /* the client's bind level must be backed by NTLM's flags */
        rc = wmgw_ntlm_server_new(&sc, &c->srv, err);
    } else {
        struct wmgw_ntlm_client_config cc = *cfg->client;
        cc.level = nl;
        rc = wmgw_ntlm_client_new(&cc, &c->cli, err);
    }
    if (rc != 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void ntlm_stop(void *ctx)
{
    struct ntlm_ctx *c = ctx;
    if (c == NULL)
        return;
    wmgw_ntlm_client_free(c->cli); /* wipes keys */
    wmgw_ntlm_server_free(c->srv);
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
}

/* A failed leg ends the context for good (a half-authenticated context
 * must never be retried). */
static int fail(struct ntlm_ctx *c, int rc)
{
    c->failed = true;
    return rc;
}

static int ntlm_step(void *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out, struct wmgw_err *err)
{
    struct ntlm_ctx *c = ctx;
    uint8_t msg[WMGW_NTLM_MAX_MESSAGE];
    size_t n = 0;
    int rc;
    if (c->failed)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the context already failed");
    if (in != NULL && in_len > WMGW_NTLM_MAX_MESSAGE)
        return fail(c, wmgw_err_set(err, WMGW_EPROTO, "NTLM: token of %zu bytes exceeds %d", in_len,
                                    WMGW_NTLM_MAX_MESSAGE));
    if (!c->server) {
        if (c->legs == 0 && in == NULL) {
            rc = wmgw_ntlm_client_negotiate(c->cli, msg, sizeof(msg), &n, err);
        } else if (c->legs == 1 && in != NULL) {
            rc = wmgw_ntlm_client_authenticate(c->cli, in, in_len, msg, sizeof(msg), &n, err);
            if (rc == 0)
                c->sec = wmgw_ntlm_client_sec(c->cli);
        } else {
            return fail(c, wmgw_err_set(err, WMGW_EPROTO, "NTLM: %s token at leg %d of the client",
                                        in ? "unexpected" : "missing", c->legs + 1));
        }
    } else {
        if (c->legs == 0 && in != NULL) {
            rc = wmgw_ntlm_server_challenge(c->srv, in, in_len, msg, sizeof(msg), &n, err);
        } else if (c->legs == 1 && in != NULL) {
            rc = wmgw_ntlm_server_accept(c->srv, in, in_len, err);
            if (rc == 0)
                c->sec = wmgw_ntlm_server_sec(c->srv);
        } else {
            return fail(c, wmgw_err_set(err, WMGW_EPROTO, "NTLM: %s token at leg %d of the server",
                                        in ? "unexpected" : "missing", c->legs + 1));
        }
    }
    if (rc == 0 && n > 0 && (rc = wmgw_buf_add(out, msg, n)) != 0)
        wmgw_err_set(err, rc, "NTLM: token does not fit the output");
    OPENSSL_cleanse(msg, n);
    if (rc != 0)
        return fail(c, rc);
    c->legs++;
    if (c->sec == NULL)
        return WMGW_RPC_SEC_CONTINUE;
    return WMGW_RPC_SEC_DONE;
}

static size_t ntlm_sig_size(void *ctx, uint8_t level)
{
    return WMGW_NTLM_SIGNATURE_LEN;
}

static int ready(struct ntlm_ctx *c, size_t sig_len, struct wmgw_err *err)
{
    if (c->sec == NULL)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the security context is not established");
    if (sig_len != WMGW_NTLM_SIGNATURE_LEN)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: auth_value of %zu bytes, not %d", sig_len,
                            WMGW_NTLM_SIGNATURE_LEN);
    return 0;
}

static int ntlm_sign(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    struct ntlm_ctx *c = ctx;
    int rc = ready(c, sig_len, err);
    return rc ? rc : wmgw_ntlm_sign(c->sec, m->pdu, m->len, sig, err);
}

/* rpc_sec.h: a failed check is WMGW_EAUTH (NTLM says EPROTO: a bad signature,
 * sequence number or version). */
static int refused(int rc, struct wmgw_err *err)
{
    if (rc != WMGW_EPROTO)
        return rc;
    if (err != NULL)
        err->code = WMGW_EAUTH;
    return WMGW_EAUTH;
}

static int ntlm_verify(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                       struct wmgw_err *err)
{
    struct ntlm_ctx *c = ctx;
    int rc = ready(c, sig_len, err);
    return rc ? rc : refused(wmgw_ntlm_verify(c->sec, m->pdu, m->len, sig, err), err);
}

static int ntlm_seal(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err)
{
    struct ntlm_ctx *c = ctx;
    int rc = ready(c, sig_len, err);
    return rc ? rc : wmgw_ntlm_seal(c->sec, m->pdu, m->len, m->body_off, m->body_len, sig, err);
}

static int ntlm_unseal(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                       struct wmgw_err *err)
{
    struct ntlm_ctx *c = ctx;
    int rc = ready(c, sig_len, err);
    return rc ? rc : refused(wmgw_ntlm_unseal(c->sec, m->pdu, m->len, m->body_off, m->body_len, sig, err), err);
}

const struct wmgw_rpc_sec_ops wmgw_rpc_ntlm_ops = {
    .name = "NTLM",
    .auth_type = WMGW_RPC_AUTHN_WINNT,
    .header_sign = true, /* announced as Windows does; NTLM covers the header either way */
    .odd_legs = true,
    .start = ntlm_start,
    .stop = ntlm_stop,
    .step = ntlm_step,
    .sig_size = ntlm_sig_size,
    .sign = ntlm_sign,
    .verify = ntlm_verify,
    .seal = ntlm_seal,
    .unseal = ntlm_unseal,
};

const struct wmgw_ntlm_identity *wmgw_rpc_ntlm_identity(const void *sec_ctx)
{
    const struct ntlm_ctx *c = sec_ctx;
    if (c == NULL || !c->server || c->sec == NULL)
        return NULL;
    return wmgw_ntlm_server_identity(c->srv);
}
