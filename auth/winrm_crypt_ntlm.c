/*
 * winrm_crypt_ntlm.c: our own NTLM session (auth/ntlm.h) as the security
 * layer of WinRM message encryption: the header is the 16-byte
 * NTLMSSP_MESSAGE_SIGNATURE and the data the message sealed with the
 * session's RC4 stream, the whole message being both signed and sealed
 * (MS-NLMP 3.4.3; MS-WSMV 2.2.9.1.1.2.2).  The simulator uses it as the
 * server side of Negotiate with NTLM, and the tests pit it against
 * gss-ntlmssp and against pywinrm's ntlm-auth.
 */
#include "auth/ntlm.h"
#include "auth/winrm_crypt.h"

#include <string.h>

static int ntlm_wrap(void *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out, uint32_t *hdr_len,
                     struct wmgw_err *err)
{
    static const uint8_t no_signature_yet[WMGW_NTLM_SIGNATURE_LEN];
    size_t start = out->len;
    if (wmgw_buf_add(out, no_signature_yet, sizeof(no_signature_yet)) != 0 || wmgw_buf_add(out, plain, len) != 0) {
        out->len = start;
        return wmgw_err_set(err, WMGW_ETOOBIG, "sealed message does not fit its buffer");
    }
    uint8_t *sig = (uint8_t *)out->data + start, *msg = sig + WMGW_NTLM_SIGNATURE_LEN;
    int rc = wmgw_ntlm_seal(ctx, msg, len, 0, len, sig, err);
    if (rc != 0) {
        out->len = start;
        out->data[start] = '\0';
        return rc;
    }
    *hdr_len = WMGW_NTLM_SIGNATURE_LEN;
    return 0;
}

static int ntlm_unwrap(void *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off, size_t *plain_len,
                       struct wmgw_err *err)
{
    if (hdr_len != WMGW_NTLM_SIGNATURE_LEN || len < WMGW_NTLM_SIGNATURE_LEN)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: signature of %u bytes in a %zu-byte message (16 expected)",
                            hdr_len, len);
    size_t n = len - WMGW_NTLM_SIGNATURE_LEN;
    uint8_t sig[WMGW_NTLM_SIGNATURE_LEN];
    memcpy(sig, msg, sizeof(sig));
    int rc = wmgw_ntlm_unseal(ctx, msg + WMGW_NTLM_SIGNATURE_LEN, n, 0, n, sig, err);
    if (rc != 0)
        return rc;
    *plain_off = WMGW_NTLM_SIGNATURE_LEN;
    *plain_len = n;
    return 0;
}

void wmgw_winrm_sec_ntlm(struct wmgw_winrm_sec *s, struct wmgw_ntlm_sec *sec)
{
    s->wrap = ntlm_wrap;
    s->unwrap = ntlm_unwrap;
    s->ctx = sec;
}
