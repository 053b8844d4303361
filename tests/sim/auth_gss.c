/*
 * auth_gss.c: GSSAPI for the WS-Management front (auth/gss.h): Kerberos,
 * raw or inside SPNEGO, with the service keys of a keytab (--keytab;
 * tests/kdc/start writes one with HTTP/<host>.wmgw.test), and NTLM inside
 * SPNEGO, against the fleet's users (what a Negotiate client without
 * Kerberos sends: MIT SPNEGO with gss-ntlmssp, Windows, impacket).  Two
 * HTTP schemes reach it: "Negotiate" (a token that is not NTLMSSP;
 * auth_ntlm.c sorts them) and "Kerberos" (then encrypted bodies say
 * HTTP-Kerberos-session-encrypted; no NTLM there).
 *
 * NTLM inside SPNEGO is gss-ntlmssp's acceptor under MIT SPNEGO, which
 * handle the mechListMIC and the NTLM key reset after it on both sides,
 * checked by an independent client (impacket, test_sim_auth.py).  Chosen
 * over our own SPNEGO around auth/ntlm.h after trying both sides of MIT:
 * no DER of ours, and the message protection is gss_wrap's 16-byte
 * signature + sealed data that auth/gss_wrap.c already frames.  The cost:
 * gss-ntlmssp needs a users file and its own acceptor credential, one per
 * host for its NetBIOS name (auth_ntlm_users.c): one credential cannot
 * hold Kerberos and NTLM (gss.h).  So a first SPNEGO token goes to
 * the Kerberos acceptor when there is a keytab, and to the NTLM one when
 * there is none or Kerberos refused it (the client offered no Kerberos, or
 * its Kerberos failed and it also offers NTLM: then SPNEGO moves it to
 * NTLM).  Unlike Windows, a client that lists NTLM before Kerberos gets
 * Kerberos when there is a keytab.
 *
 * The context belongs to the connection (auth_conn.c).  Kerberos
 * finishes in one leg; the acceptor's AP-REP goes back in the
 * WWW-Authenticate of the answer itself (mutual authentication, which
 * requests-kerberos checks).  NTLM takes two legs and may end with
 * SPNEGO's mechListMIC in the answer.  On HTTPS in "required" mode the
 * acceptor gets the channel's bindings and refuses a client that does not
 * prove them; "when-supported" is not checked for either mechanism here
 * (auth/gss.h can only insist; raw NTLM checks it), which the README says.
 * The caller is REALM\user for Kerberos, DOMAIN\user (as the client sent
 * it) for NTLM, like the raw NTLM path.
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

/* A GSS-API initial context token for SPNEGO (RFC 2743 3.1): 0x60, a DER
 * length, then the SPNEGO OID.  Only these bytes are looked at. */
static bool is_spnego(const uint8_t *p, size_t n)
{
    static const uint8_t oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    if (n < 2 || p[0] != 0x60)
        return false;
    size_t off = p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
    return off <= 6 && n >= off + sizeof(oid) && memcmp(p + off, oid, sizeof(oid)) == 0;
}

/* Starts an exchange on acceptor with the client's first token. */
static int first_step(struct sim_auth_call *call, struct wmgw_gss_cred *acceptor, const uint8_t *cb, size_t cb_len,
                      struct wmgw_err *err)
{
    struct sim_conn *c = call->conn;
    wmgw_buf_reset(&call->reply_token);
    int rc = wmgw_gss_server_new(acceptor, cb, cb_len, &c->gss, err);
    if (rc == 0)
        rc = wmgw_gss_step(c->gss, call->token, call->token_len, &call->reply_token, err);
    if (rc != 0)
        sim_conn_reset(c);
    return rc;
}

/* The same with the NTLM acceptor of the request's host. */
static int first_step_ntlm(struct sim_auth_call *call, const uint8_t *cb, size_t cb_len, struct wmgw_err *err)
{
    struct wmgw_gss_cred *acceptor = sim_auth_ntlm_acceptor(call->server, call->host, err);
    return acceptor != NULL ? first_step(call, acceptor, cb, cb_len, err) : err->code;
}

static int start(struct sim_auth_call *call)
{
    struct sim_conn *c = call->conn;
    /* A first token: a new exchange, also on an authenticated connection. */
    sim_conn_reset(c);
    const uint8_t *app = NULL, *flat;
    size_t app_len = 0, flat_len;
    bool check = sim_tls_bindings(call->server, call, &app, &app_len, &flat, &flat_len) &&
                 call->host->cbt == SIM_CBT_REQUIRED;
    const uint8_t *cb = check ? app : NULL;
    size_t cb_len = check ? app_len : 0;
    bool ntlm = strcmp(call->scheme, "Negotiate") == 0 && is_spnego(call->token, call->token_len);
    if (call->server->acceptor == NULL && !ntlm)
        return wmgw_err_set(&call->err, WMGW_ECONFIG, "Kerberos: the simulator has no --keytab");
    if (call->server->acceptor != NULL) {
        int rc = first_step(call, call->server->acceptor, cb, cb_len, &call->err);
        if (rc == 0 || !ntlm)
            return rc;
    }
    struct wmgw_err why;
    int rc = first_step_ntlm(call, cb, cb_len, &why);
    if (rc != 0 && call->server->acceptor != NULL) {
        char krb[sizeof(call->err.message)];
        snprintf(krb, sizeof(krb), "%s", call->err.message);
        wmgw_err_set(&call->err, why.code, "Kerberos: %s; NTLM: %s", krb, why.message);
    } else if (rc != 0) {
        call->err = why;
    }
    return rc;
}

int sim_auth_gss_step(struct sim_auth_call *call)
{
    struct sim_conn *c = call->conn;
    if (c->gss == NULL || wmgw_gss_ctx_complete(c->gss)) {
        if (start(call) != 0)
            return SIM_AUTH_DENIED;
    } else if (wmgw_gss_step(c->gss, call->token, call->token_len, &call->reply_token, &call->err) != 0) {
        sim_conn_reset(c);
        return SIM_AUTH_DENIED;
    }
    if (!wmgw_gss_ctx_complete(c->gss))
        return SIM_AUTH_CONTINUE;
    /* Kerberos: user@REALM becomes REALM\user, the form the fleet's users
     * are matched in (the realm plays the domain).  NTLM: DOMAIN\user
     * already. */
    const char *peer = wmgw_gss_ctx_peer(c->gss), *at = strrchr(peer, '@');
    if (at != NULL && wmgw_gss_ctx_mech(c->gss) == WMGW_GSS_KERBEROS)
        snprintf(c->user, sizeof(c->user), "%s\\%.*s", at + 1, (int)(at - peer), peer);
    else
        snprintf(c->user, sizeof(c->user), "%s", peer);
    c->authed = true;
    wmgw_winrm_sec_gss(&c->sec, c->gss);
    c->has_sec = true;
    c->proto = strcmp(call->scheme, "Kerberos") == 0 ? WMGW_WINRM_KERBEROS : WMGW_WINRM_SPNEGO;
    return SIM_AUTH_OK;
}
