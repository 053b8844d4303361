/*
 * winrm_crypt_gss.c: an established GSSAPI context (auth/gss.h: Kerberos,
 * NTLM through gss-ntlmssp, or either under Negotiate) as the security
 * layer of WinRM message encryption; gss_wrap.c does the wrapping.
 */
#include "auth/gss.h"
#include "auth/winrm_crypt.h"

static int gss_wrap_cb(void *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out, uint32_t *hdr_len,
                       struct wmgw_err *err)
{
    return wmgw_gss_wrap_winrm(ctx, plain, len, out, hdr_len, err);
}

static int gss_unwrap_cb(void *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off, size_t *plain_len,
                         struct wmgw_err *err)
{
    return wmgw_gss_unwrap_winrm(ctx, msg, len, hdr_len, plain_off, plain_len, err);
}

void wmgw_winrm_sec_gss(struct wmgw_winrm_sec *s, struct wmgw_gss_ctx *ctx)
{
    s->wrap = gss_wrap_cb;
    s->unwrap = gss_unwrap_cb;
    s->ctx = ctx;
}
