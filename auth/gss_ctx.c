/*
 * gss_ctx.c: GSSAPI security contexts, one per backend connection (the
 * client side, for translators/transport) or per simulated-server
 * connection (the acceptor side, for tests/sim): tokens in, tokens out,
 * until both sides are done.  design.md: "NTLM and Kerberos authenticate
 * a connection, not a request".
 *
 * The client asks for mutual authentication, replay and sequence
 * detection, integrity and confidentiality (what WinRM's encryption
 * needs), with channel bindings when it has them.  The acceptor takes
 * Kerberos raw or inside SPNEGO; given channel bindings, it also refuses
 * a client whose authenticator carries none (MIT alone would let that
 * pass for compatibility; Windows' "strict" hardening does not).
 *
 * SECURITY
 *      Peer tokens are passed to GSSAPI with their exact length and must
 *      not exceed WMGW_GSS_MAX_TOKEN.  Any failure ends the context.
 */
#include "auth/gss_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wmgw_gss_ctx {
    bool server, complete, failed;
    enum wmgw_gss_mech asked; /* the credential's */
    enum wmgw_gss_mech mech;  /* the one used */
    struct wmgw__gss_gen *gen;
    gss_ctx_id_t ctx;
    gss_name_t target; /* client only */
    bool has_cb;
    struct gss_channel_bindings_struct cb;
    uint8_t cb_data[WMGW_GSS_CB_MAX];
    OM_uint32 flags; /* granted */
    char peer[WMGW_GSS_MAX_NAME + 1];
};

gss_ctx_id_t wmgw__gss_ctx_handle(const struct wmgw_gss_ctx *ctx)
{
    return ctx->complete && !ctx->failed ? ctx->ctx : GSS_C_NO_CONTEXT;
}

static int set_cb(struct wmgw_gss_ctx *ctx, const uint8_t *cb, size_t len, struct wmgw_err *err)
{
    if (cb == NULL)
        return 0;
    if (len == 0 || len > WMGW_GSS_CB_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "channel bindings: 1 to %d bytes of application data",
                            WMGW_GSS_CB_MAX);
    memcpy(ctx->cb_data, cb, len);
    memset(&ctx->cb, 0, sizeof(ctx->cb));
    ctx->cb.initiator_addrtype = GSS_C_AF_UNSPEC;
    ctx->cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
    ctx->cb.application_data.length = len;
    ctx->cb.application_data.value = ctx->cb_data;
    ctx->has_cb = true;
    return 0;
}

/* "service/host[@REALM]" -> the name each mechanism wants (gss.h). */
static int target_name(struct wmgw_gss_ctx *ctx, const char *spn, const char *realm, struct wmgw_err *err)
{
    size_t n = spn != NULL ? strlen(spn) : 0;
    const char *slash = spn != NULL ? strchr(spn, '/') : NULL;
    const char *at = spn != NULL ? strchr(spn, '@') : NULL;
    if (n == 0 || n > WMGW_GSS_MAX_NAME || slash == NULL || slash == spn || slash[1] == '\0' || slash[1] == '@' ||
        strchr(slash + 1, '/') != NULL || (at != NULL && (at < slash || at[1] == '\0')))
        return wmgw_err_set(err, WMGW_EINVAL, "SPN '%.*s': expected service/host or service/host@REALM",
                            (int)(n > 200 ? 200 : n), spn ? spn : "");
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)spn[i] <= 0x20 || spn[i] == 0x7f)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "SPN: space or control character");
    }
    char name[2 * WMGW_GSS_MAX_NAME + 2];
    gss_OID type;
    if (ctx->asked == WMGW_GSS_KERBEROS) {
        if (at != NULL || realm[0] == '\0')
            snprintf(name, sizeof(name), "%s", spn);
        else
            snprintf(name, sizeof(name), "%s@%s", spn, realm);
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    } else {
        size_t host_len = at != NULL ? (size_t)(at - slash - 1) : strlen(slash + 1);
        snprintf(name, sizeof(name), "%.*s@%.*s", (int)(slash - spn), spn, (int)host_len, slash + 1);
        type = GSS_C_NT_HOSTBASED_SERVICE;
    }
    OM_uint32 minor;
    gss_buffer_desc b = {strlen(name), name};
    OM_uint32 major = gss_import_name(&minor, &b, type, &ctx->target);
    if (GSS_ERROR(major)) {
        char what[WMGW_GSS_MAX_NAME + 16];
        snprintf(what, sizeof(what), "SPN '%s'", spn);
        return wmgw__gss_error(err, WMGW_ECONFIG, major, minor, NULL, what);
    }
    return 0;
}

static int ctx_new(struct wmgw_gss_cred *cred, bool server, struct wmgw_gss_ctx **out, struct wmgw_err *err)
{
    struct wmgw_gss_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    ctx->server = server;
    ctx->asked = cred->mech;
    ctx->ctx = GSS_C_NO_CONTEXT;
    ctx->target = GSS_C_NO_NAME;
    int rc = wmgw__gss_cred_hold(cred, &ctx->gen, err);
    if (rc != 0) {
        free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

int wmgw_gss_client_new(struct wmgw_gss_cred *cred, const struct wmgw_gss_client_config *cfg,
                        struct wmgw_gss_ctx **out, struct wmgw_err *err)
{
    if (cred->acceptor)
        return wmgw_err_set(err, WMGW_EINVAL, "an acceptor credential cannot start a client context");
    struct wmgw_gss_ctx *ctx;
    int rc = ctx_new(cred, false, &ctx, err);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&cred->lock);
    char realm[sizeof(cred->realm)];
    memcpy(realm, cred->realm, sizeof(realm));
    pthread_mutex_unlock(&cred->lock);
    rc = target_name(ctx, cfg->spn, realm, err);
    if (rc == 0)
        rc = set_cb(ctx, cfg->cb, cfg->cb_len, err);
    if (rc != 0) {
        wmgw_gss_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

int wmgw_gss_server_new(struct wmgw_gss_cred *acceptor, const uint8_t *cb, size_t cb_len, struct wmgw_gss_ctx **out,
                        struct wmgw_err *err)
{
    if (!acceptor->acceptor)
        return wmgw_err_set(err, WMGW_EINVAL, "an initiator credential cannot accept contexts");
    struct wmgw_gss_ctx *ctx;
    int rc = ctx_new(acceptor, true, &ctx, err);
    if (rc == 0 && (rc = set_cb(ctx, cb, cb_len, err)) != 0)
        wmgw_gss_ctx_free(ctx);
    if (rc == 0)
        *out = ctx;
    return rc;
}

void wmgw_gss_ctx_free(struct wmgw_gss_ctx *ctx)
{
    if (ctx == NULL)
        return;
    OM_uint32 minor;
    if (ctx->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &ctx->ctx, GSS_C_NO_BUFFER);
    if (ctx->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &ctx->target);
    wmgw__gss_gen_release(ctx->gen);
    free(ctx);
}

static enum wmgw_gss_mech mech_of(gss_const_OID oid, enum wmgw_gss_mech dflt)
{
    if (oid == GSS_C_NO_OID)
        return dflt;
    if (gss_oid_equal(oid, &wmgw__gss_oid_krb5) || gss_oid_equal(oid, &wmgw__gss_oid_krb5_ms))
        return WMGW_GSS_KERBEROS;
    if (gss_oid_equal(oid, &wmgw__gss_oid_ntlm))
        return WMGW_GSS_NTLM;
    return dflt;
}

static gss_OID asked_oid(enum wmgw_gss_mech m)
{
    return m == WMGW_GSS_KERBEROS ? &wmgw__gss_oid_krb5 : m == WMGW_GSS_NTLM ? &wmgw__gss_oid_ntlm
                                                                             : &wmgw__gss_oid_spnego;
}

static int fail(struct wmgw_gss_ctx *ctx, int rc)
{
    ctx->failed = true;
    return rc;
}

static int finish_server(struct wmgw_gss_ctx *ctx, gss_name_t src, struct wmgw_err *err)
{
    OM_uint32 minor;
    if (ctx->has_cb && !(ctx->flags & GSS_C_CHANNEL_BOUND_FLAG))
        return wmgw_err_set(err, WMGW_EAUTH, "%s: the client did not bind its authentication to the TLS channel",
                            wmgw_gss_mech_name(ctx->mech));
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (src != GSS_C_NO_NAME && !GSS_ERROR(gss_display_name(&minor, src, &text, NULL)))
        snprintf(ctx->peer, sizeof(ctx->peer), "%.*s", (int)text.length, (const char *)text.value);
    gss_release_buffer(&minor, &text);
    return 0;
}

int wmgw_gss_step(struct wmgw_gss_ctx *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out,
                  struct wmgw_err *err)
{
    if (ctx->failed)
        return wmgw_err_set(err, WMGW_EINVAL, "the security context already failed");
    if (ctx->complete)
        return fail(ctx, wmgw_err_set(err, WMGW_EPROTO, "%s: a token after the exchange was complete",
                                      wmgw_gss_mech_name(ctx->mech)));
    if (in_len > WMGW_GSS_MAX_TOKEN)
        return fail(ctx, wmgw_err_set(err, WMGW_ETOOBIG, "security token of %zu bytes (at most %d)", in_len,
                                      WMGW_GSS_MAX_TOKEN));
    bool first = ctx->ctx == GSS_C_NO_CONTEXT;
    if (in_len == 0 && (ctx->server || !first))
        return fail(ctx, wmgw_err_set(err, WMGW_EPROTO, "%s: empty security token from the %s",
                                      wmgw_gss_mech_name(ctx->asked), ctx->server ? "client" : "server"));
    gss_buffer_desc inb = {in_len, (void *)in}, outb = GSS_C_EMPTY_BUFFER;
    gss_channel_bindings_t cb = ctx->has_cb ? &ctx->cb : GSS_C_NO_CHANNEL_BINDINGS;
    gss_OID actual = GSS_C_NO_OID;
    gss_name_t src = GSS_C_NO_NAME;
    OM_uint32 minor, major;
    if (ctx->server) {
        major = gss_accept_sec_context(&minor, &ctx->ctx, ctx->gen->cred, &inb, cb, &src, &actual, &outb,
                                       &ctx->flags, NULL, NULL);
    } else {
        OM_uint32 req = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG |
                        GSS_C_INTEG_FLAG;
        major = gss_init_sec_context(&minor, ctx->gen->cred, &ctx->ctx, ctx->target, asked_oid(ctx->asked), req,
                                     GSS_C_INDEFINITE, cb, in_len > 0 ? &inb : GSS_C_NO_BUFFER, &actual, &outb,
                                     &ctx->flags, NULL);
    }
    int rc = 0;
    if (GSS_ERROR(major)) {
        char what[64];
        if (ctx->server)
            snprintf(what, sizeof(what), "accepting the client");
        else
            snprintf(what, sizeof(what), "%s: authenticating to the server", wmgw_gss_mech_name(ctx->asked));
        rc = fail(ctx, wmgw__gss_error(err, WMGW_EAUTH, major, minor, actual, what));
    } else if (outb.length > 0 && wmgw_buf_add(out, outb.value, outb.length) != 0) {
        rc = fail(ctx, wmgw_err_set(err, WMGW_ENOMEM, "security token of %zu bytes does not fit", outb.length));
    } else if (!(major & GSS_S_CONTINUE_NEEDED)) {
        ctx->complete = true;
        ctx->mech = mech_of(actual, ctx->asked);
        if (ctx->server)
            rc = finish_server(ctx, src, err);
        if (rc != 0)
            rc = fail(ctx, rc);
    }
    gss_release_buffer(&minor, &outb);
    if (src != GSS_C_NO_NAME)
        gss_release_name(&minor, &src);
    return rc;
}

bool wmgw_gss_ctx_complete(const struct wmgw_gss_ctx *ctx)
{
    return ctx->complete && !ctx->failed;
}

enum wmgw_gss_mech wmgw_gss_ctx_mech(const struct wmgw_gss_ctx *ctx)
{
    return ctx->complete ? ctx->mech : ctx->asked;
}

bool wmgw_gss_ctx_mutual(const struct wmgw_gss_ctx *ctx)
{
    /* Only Kerberos proves the server (gss-ntlmssp sets the flag anyway). */
    return wmgw_gss_ctx_complete(ctx) && ctx->mech == WMGW_GSS_KERBEROS &&
           (ctx->server || (ctx->flags & GSS_C_MUTUAL_FLAG));
}

const char *wmgw_gss_ctx_peer(const struct wmgw_gss_ctx *ctx)
{
    return ctx->peer;
}
