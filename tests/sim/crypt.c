/*
 * crypt.c: WinRM message encryption on the simulator's side (MS-WSMV
 * 2.2.9.1): a multipart/encrypted request is decrypted with the session
 * of its connection (NTLM or GSSAPI, auth_ntlm.c / auth_gss.c) before the
 * operations see it, and its answer is encrypted the same way, as WinRM
 * does; the framing is auth/winrm_crypt.h's.  A clear request gets a
 * clear answer.
 *
 * Encrypted-only hosts (--listen ...,encrypt=required; WinRM's
 * AllowUnencrypted=false) refuse clear SOAP over plain HTTP with HTTP 500
 * and no body, which is what pywinrm users report from such hosts
 * (diyan/pywinrm#129, #208).  The body-less POST that ends an
 * authentication is not SOAP and passes, as does the unauthenticated
 * Identify (discovery); HTTPS is encrypted already.
 */
#include "tests/sim/auth.h"
#include "tests/sim/host.h"

#include <stdio.h>
#include <string.h>

int sim_crypt_request(struct sim_host *host, h2o_req_t *req, struct sim_conn *conn, bool tls, bool anonymous,
                      struct wmgw_buf *plain, bool *encrypted, struct wmgw_err *err)
{
    *encrypted = false;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    enum wmgw_winrm_protocol p;
    int rc = WMGW_ENOTFOUND;
    if (i >= 0) {
        char ct[512];
        h2o_iovec_t v = req->headers.entries[i].value;
        if (v.len >= sizeof(ct)) {
            wmgw_err_set(err, WMGW_EINVAL, "Content-Type of %zu bytes", v.len);
            return 400;
        }
        memcpy(ct, v.base, v.len);
        ct[v.len] = '\0';
        rc = wmgw_winrm_parse_content_type(ct, &p, err);
    }
    if (rc == WMGW_ENOTFOUND) {
        if (host->encrypt_required && !tls && !anonymous && req->entity.len > 0) {
            wmgw_err_set(err, WMGW_EAUTH, "clear-text SOAP on an encrypted-only host");
            return 500;
        }
        return 0;
    }
    if (rc != 0)
        return 400;
    if (conn == NULL || !conn->authed || !conn->has_sec) {
        wmgw_err_set(err, WMGW_EPROTO, "an encrypted body on a connection without a session");
        return 400;
    }
    if (p == WMGW_WINRM_CREDSSP) {
        wmgw_err_set(err, WMGW_EPROTO, "CredSSP is not simulated");
        return 400;
    }
    /* Decrypted in place: work on a copy in the request's pool. */
    uint8_t *body = h2o_mem_alloc_pool(&req->pool, req->entity.len ? req->entity.len : 1);
    memcpy(body, req->entity.base, req->entity.len);
    if (wmgw_winrm_decrypt(&conn->sec, p, body, req->entity.len, plain, NULL, err) != 0)
        return 400;
    conn->proto = p; /* the answer uses the request's protocol */
    *encrypted = true;
    return 0;
}

int sim_crypt_reply(h2o_req_t *req, struct sim_conn *conn, const char *body, size_t len, struct wmgw_buf *out,
                    const char **ct, struct wmgw_err *err)
{
    int rc = wmgw_winrm_encrypt(&conn->sec, conn->proto, NULL, (const uint8_t *)body, len, out, err);
    if (rc != 0)
        return rc;
    const char *type = wmgw_winrm_content_type(conn->proto, len);
    size_t n = strlen(type);
    char *copy = h2o_mem_alloc_pool(&req->pool, n + 1);
    memcpy(copy, type, n + 1);
    *ct = copy;
    return 0;
}
