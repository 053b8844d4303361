/*
 * auth_ntlm.c: NTLM over HTTP for the WS-Management front, with our own
 * acceptor (auth/ntlm.h) fed from the fleet's users (--user/--users, the
 * table Basic and the DCOM front use).
 *
 * WinRM takes a raw NTLMSSP token under "Negotiate" (what requests-ntlm
 * and so pywinrm send) or under "NTLM":
 *
 *     POST, Authorization: Negotiate <NEGOTIATE>      -> 401 Negotiate <CHALLENGE>
 *     POST (same connection), Negotiate <AUTHENTICATE> -> the request runs
 *
 * The exchange and then the session keys belong to the connection
 * (auth_conn.c).  Negotiate tokens that are not NTLMSSP are GSSAPI's
 * (auth_gss.c).  Channel bindings on HTTPS: in "required" mode the
 * acceptor gets them and refuses a client without; "when-supported"
 * accepts a client without bindings, and one that sent some must have
 * sent ours (sim_tls_bindings says which mode applies).
 */
#include "tests/sim/auth.h"
#include "tests/sim/dcom.h"
#include "tests/sim/server.h"

#include "auth/ntlm_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define MSV_AV_CHANNEL_BINDINGS 10 /* MS-NLMP 2.2.2.1 */
#define NTLMV2_BLOB_AV_OFFSET 44   /* NTProofStr (16) + the NTLMv2_CLIENT_CHALLENGE header (28) */

static bool is_ntlmssp(const uint8_t *p, size_t n)
{
    return n >= 8 && memcmp(p, "NTLMSSP\0", 8) == 0;
}

/* "when-supported": the MsvAvChannelBindings the client put in its
 * (already verified, so HMAC-protected) NTLMv2 response must be absent,
 * all zeros (a client without bindings), or the MD5 of ours. */
static int check_optional_bindings(const uint8_t *msg, size_t len, const uint8_t *flat, size_t flat_len,
                                   struct wmgw_err *err)
{
    struct wmgw__ntlm_authenticate a;
    struct wmgw__ntlm_avlist avs;
    int rc = wmgw__ntlm_parse_authenticate(msg, len, &a, err);
    if (rc != 0)
        return rc;
    if (a.nt.len <= NTLMV2_BLOB_AV_OFFSET)
        return 0;
    if ((rc = wmgw__ntlm_av_parse(a.nt.p + NTLMV2_BLOB_AV_OFFSET, a.nt.len - NTLMV2_BLOB_AV_OFFSET, &avs, err)) != 0)
        return rc;
    const struct wmgw__ntlm_av *cb = wmgw__ntlm_av_find(&avs, MSV_AV_CHANNEL_BINDINGS);
    static const uint8_t zero[16];
    if (cb == NULL || (cb->len == 16 && memcmp(cb->value, zero, 16) == 0))
        return 0;
    uint8_t want[16];
    unsigned int wlen = 0;
    if (cb->len != 16 || !EVP_Digest(flat, flat_len, want, &wlen, EVP_md5(), NULL) ||
        CRYPTO_memcmp(want, cb->value, 16) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the client's channel bindings are not this channel's");
    return 0;
}

int sim_auth_ntlm_step(struct sim_auth_call *call)
{
    struct sim_conn *c = call->conn;
    int type = wmgw_ntlm_message_type(call->token, call->token_len);
    const uint8_t *app, *flat = NULL;
    size_t app_len, flat_len = 0;
    bool check = sim_tls_bindings(call->server, call, &app, &app_len, &flat, &flat_len);
    bool required = check && call->host->cbt == SIM_CBT_REQUIRED;
    if (type == 1) {
        /* A new NEGOTIATE starts over, also on an authenticated connection. */
        sim_conn_reset(c);
        struct wmgw_ntlm_server_config cfg = {
            .nb_computer = call->host->name,
            .level = WMGW_NTLM_LEVEL_CONNECT, /* sealing is asked for by the body, not here */
            .lookup = sim_dcom_lookup_user,
            .lookup_arg = call->server->fleet,
            .channel_bindings = required ? flat : NULL,
            .channel_bindings_len = required ? flat_len : 0,
        };
        uint8_t out[WMGW_NTLM_MAX_MESSAGE];
        size_t out_len;
        if (wmgw_ntlm_server_new(&cfg, &c->ntlm, &call->err) != 0 ||
            wmgw_ntlm_server_challenge(c->ntlm, call->token, call->token_len, out, sizeof(out), &out_len,
                                       &call->err) != 0 ||
            wmgw_buf_add(&call->reply_token, out, out_len) != 0) {
            sim_conn_reset(c);
            return SIM_AUTH_DENIED;
        }
        return SIM_AUTH_CONTINUE;
    }
    if (type != 3 || c->ntlm == NULL) {
        if (type >= 0)
            wmgw_err_set(&call->err, WMGW_EPROTO, "NTLM: message %d out of order", type);
        sim_conn_reset(c);
        return SIM_AUTH_DENIED;
    }
    int rc = wmgw_ntlm_server_accept(c->ntlm, call->token, call->token_len, &call->err);
    if (rc == 0 && check && !required)
        rc = check_optional_bindings(call->token, call->token_len, flat, flat_len, &call->err);
    if (rc != 0) {
        sim_conn_reset(c);
        return SIM_AUTH_DENIED;
    }
    const struct wmgw_ntlm_identity *who = wmgw_ntlm_server_identity(c->ntlm);
    snprintf(c->user, sizeof(c->user), "%s\\%s", who->domain, who->user);
    c->authed = true;
    struct wmgw_ntlm_sec *sec = wmgw_ntlm_server_sec(c->ntlm);
    if (wmgw_ntlm_sec_flags(sec) & WMGW_NTLM_NEGOTIATE_SEAL) {
        wmgw_winrm_sec_ntlm(&c->sec, sec);
        c->has_sec = true;
        c->proto = WMGW_WINRM_SPNEGO;
    }
    return SIM_AUTH_OK;
}

int sim_auth_negotiate_step(struct sim_auth_call *call)
{
    if (is_ntlmssp(call->token, call->token_len))
        return sim_auth_ntlm_step(call);
    return sim_auth_gss_step(call);
}
