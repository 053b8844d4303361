/*
 * auth_gss.c: Kerberos for the WS-Management front, with the service
 * keys of a keytab (--keytab; tests/kdc/start writes one with
 * HTTP/<host>.wmgw.test), through our GSSAPI acceptor (auth/gss.h), which
 * takes raw Kerberos tokens and SPNEGO ones.  Two HTTP schemes reach it:
 * "Negotiate" (a token that is not NTLMSSP; auth_ntlm.c sorts them) and
 * "Kerberos" (then encrypted bodies say HTTP-Kerberos-session-encrypted).
 *
 * The context belongs to the connection (auth_conn.c).  Kerberos
 * finishes in one leg; the acceptor's AP-REP goes back in the
 * WWW-Authenticate of the answer itself (mutual authentication, which
 * requests-kerberos checks).  On HTTPS in "required" mode the acceptor
 * gets the channel's bindings and refuses a client that does not prove
 * them; "when-supported" is not checked for Kerberos (auth/gss.h can only
 * insist), which the README says.
 */
#include "tests/sim/auth.h"
#include "tests/sim/server.h"

#include <stdio.h>
#include <string.h>

int sim_auth_gss_load(struct sim_server *s, const char *keytab, struct wmgw_err *err)
{
    struct wmgw_gss_acceptor_config cfg = {.keytab_path = keytab};
    return wmgw_gss_acceptor_new(&cfg, &s->acceptor, err);
}

void sim_auth_gss_unload(struct sim_server *s)
{
    wmgw_gss_cred_free(s->acceptor);
    s->acceptor = NULL;
}

int sim_auth_gss_step(struct sim_auth_call *call)
{
    struct sim_conn *c = call->conn;
    if (call->server->acceptor == NULL) {
        wmgw_err_set(&call->err, WMGW_ECONFIG, "Kerberos: the simulator has no --keytab");
        return SIM_AUTH_DENIED;
    }
    if (c->gss == NULL || wmgw_gss_ctx_complete(c->gss)) {
        /* A first token: a new exchange, also on an authenticated connection. */
        sim_conn_reset(c);
        const uint8_t *app = NULL, *flat;
        size_t app_len = 0, flat_len;
        bool check = sim_tls_bindings(call->server, call, &app, &app_len, &flat, &flat_len) &&
                     call->host->cbt == SIM_CBT_REQUIRED;
        if (wmgw_gss_server_new(call->server->acceptor, check ? app : NULL, check ? app_len : 0, &c->gss,
                                &call->err) != 0)
            return SIM_AUTH_DENIED;
    }
    if (wmgw_gss_step(c->gss, call->token, call->token_len, &call->reply_token, &call->err) != 0) {
        sim_conn_reset(c);
        return SIM_AUTH_DENIED;
    }
    if (!wmgw_gss_ctx_complete(c->gss))
        return SIM_AUTH_CONTINUE;
    /* user@REALM becomes REALM\user, the form the fleet's users are
     * matched in (the realm plays the domain). */
    const char *peer = wmgw_gss_ctx_peer(c->gss), *at = strrchr(peer, '@');
    if (at != NULL)
        snprintf(c->user, sizeof(c->user), "%s\\%.*s", at + 1, (int)(at - peer), peer);
    else
        snprintf(c->user, sizeof(c->user), "%s", peer);
    c->authed = true;
    wmgw_winrm_sec_gss(&c->sec, c->gss);
    c->has_sec = true;
    c->proto = strcmp(call->scheme, "Kerberos") == 0 ? WMGW_WINRM_KERBEROS : WMGW_WINRM_SPNEGO;
    return SIM_AUTH_OK;
}
