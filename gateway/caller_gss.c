/*
 * caller_gss.c: Authorization: Negotiate (caller.h) through the GSSAPI
 * acceptor of auth/gss.h, made from [security] keytab.
 *
 * One round only: a Kerberos AP-REQ (raw or inside SPNEGO) completes in
 * one step; an exchange that needs more (NTLM inside SPNEGO) is refused,
 * since REST calls carry no connection state to continue it.  The client
 * name (alice@REALM) must be some principal's `kerberos`.
 */
#include "gateway/caller.h"
#include "auth/gss.h"
#include "util/base64.h"
#include "util/buf.h"

#include <string.h>
#include <strings.h>

int wmgw_caller_negotiate(struct wmgw_security *sec, const char *cred, size_t len,
                          const struct wmgw_principal_config **p, struct wmgw_buf *reply, struct wmgw_err *err)
{
    if (sec->acceptor == NULL)
        return wmgw_err_set(err, WMGW_EAUTH, "Negotiate is not configured ([security] keytab)");
    struct wmgw_buf in, out;
    wmgw_buf_init(&in, WMGW_GSS_MAX_TOKEN);
    wmgw_buf_init(&out, WMGW_GSS_REPLY_MAX);
    struct wmgw_gss_ctx *ctx = NULL;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    int rc = wmgw_auth_negotiate_decode(cred, len, &in, &e);
    if (rc == 0)
        rc = wmgw_gss_server_new(sec->acceptor, NULL, 0, &ctx, &e);
    if (rc == 0)
        rc = wmgw_gss_step(ctx, (const uint8_t *)in.data, in.len, &out, &e);
    if (rc != 0) {
        rc = wmgw_err_set(err, WMGW_EAUTH, "Negotiate: %s", e.message);
    } else if (!wmgw_gss_ctx_complete(ctx)) {
        rc = wmgw_err_set(err, WMGW_EAUTH, "Negotiate: only Kerberos (one round) is accepted");
    } else {
        const char *peer = wmgw_gss_ctx_peer(ctx);
        *p = NULL;
        for (size_t i = 0; peer != NULL && i < sec->nprincipals; i++)
            if (sec->principals[i].kerberos != NULL && strcasecmp(sec->principals[i].kerberos, peer) == 0)
                *p = &sec->principals[i];
        if (*p == NULL)
            rc = wmgw_err_set(err, WMGW_EAUTH, "Negotiate: %.200s is no configured principal", peer ? peer : "?");
        else if (out.len > 0)
            rc = wmgw_base64_encode(reply, out.data, out.len, WMGW_BASE64_STD);
    }
    wmgw_gss_ctx_free(ctx);
    wmgw_buf_dispose(&in);
    wmgw_buf_dispose(&out);
    return rc;
}
