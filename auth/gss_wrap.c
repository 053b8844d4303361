/*
 * gss_wrap.c: WinRM message protection over an established GSSAPI
 * context: the bytes that follow the 32-bit length field in the
 * application/octet-stream part of a multipart/encrypted body (MS-WSMV
 * 2.2.9.1; auth/winrm_crypt.c does the framing around them).
 *
 *   Kerberos  gss_wrap_iov(HEADER | DATA | PADDING), confidentiality on:
 *             header = the RFC 4121 token header with its rotated trailer
 *             (60 bytes with AES), then the data encrypted in place, then
 *             the padding (none with AES; RC4 has some).  Unwrapping
 *             hands MIT HEADER | DATA | an empty PADDING, which is how it
 *             accepts WinRM's unpadded tokens.
 *   NTLM      gss_wrap gives the 16-byte NTLMSSP_MESSAGE_SIGNATURE followed
 *             by the sealed data: the header is its first 16 bytes.
 *
 * A message that was not encrypted, fails its checksum, or comes twice or
 * out of order is refused (WMGW_EPROTO).
 */
#include "auth/gss_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static int not_ready(struct wmgw_err *err)
{
    return wmgw_err_set(err, WMGW_EINVAL, "message protection before the security context was established");
}

static int wrap_kerberos(gss_ctx_id_t h, const uint8_t *plain, size_t len, struct wmgw_buf *out, uint32_t *hdr_len,
                         struct wmgw_err *err)
{
    OM_uint32 minor, major;
    int conf = 0;
    gss_iov_buffer_desc iov[3] = {
        {GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}},
        {GSS_IOV_BUFFER_TYPE_DATA, {len, (void *)plain}},
        {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}},
    };
    major = gss_wrap_iov_length(&minor, h, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
    if (GSS_ERROR(major))
        return wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "Kerberos: sizing a wrap");
    size_t h_len = iov[0].buffer.length, p_len = iov[2].buffer.length;
    if (h_len > UINT32_MAX || h_len > SIZE_MAX - len - p_len)
        return wmgw_err_set(err, WMGW_ETOOBIG, "Kerberos: message too large to wrap");
    uint8_t *tmp = malloc(h_len + len + p_len + 1);
    if (tmp == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    memcpy(tmp + h_len, plain, len);
    iov[0].buffer.value = tmp;
    iov[1].buffer.value = tmp + h_len;
    iov[2].buffer.value = tmp + h_len + len;
    major = gss_wrap_iov(&minor, h, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
    int rc = 0;
    if (GSS_ERROR(major))
        rc = wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "Kerberos: wrapping a message");
    else if (!conf)
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "Kerberos: the context offers no confidentiality");
    else if (iov[0].buffer.length != h_len || iov[2].buffer.length > p_len)
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "Kerberos: wrap sizes changed");
    else if (wmgw_buf_add(out, tmp, h_len + len + iov[2].buffer.length) != 0)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "wrapped message does not fit the buffer");
    else
        *hdr_len = (uint32_t)h_len;
    free(tmp);
    return rc;
}

static int wrap_ntlm(gss_ctx_id_t h, const uint8_t *plain, size_t len, struct wmgw_buf *out, uint32_t *hdr_len,
                     struct wmgw_err *err)
{
    OM_uint32 minor, major;
    int conf = 0;
    gss_buffer_desc in = {len, (void *)plain}, token = GSS_C_EMPTY_BUFFER;
    major = gss_wrap(&minor, h, 1, GSS_C_QOP_DEFAULT, &in, &conf, &token);
    int rc = 0;
    if (GSS_ERROR(major))
        rc = wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "NTLM: sealing a message");
    else if (!conf || token.length != len + 16)
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "NTLM: sealed message is not signature + data");
    else if (wmgw_buf_add(out, token.value, token.length) != 0)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "sealed message does not fit the buffer");
    else
        *hdr_len = 16;
    gss_release_buffer(&minor, &token);
    return rc;
}

int wmgw_gss_wrap_winrm(struct wmgw_gss_ctx *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out,
                        uint32_t *hdr_len, struct wmgw_err *err)
{
    gss_ctx_id_t h = wmgw__gss_ctx_handle(ctx);
    if (h == GSS_C_NO_CONTEXT)
        return not_ready(err);
    if (len == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "nothing to encrypt: WinRM sends empty bodies in the clear");
    if (wmgw_gss_ctx_mech(ctx) == WMGW_GSS_NTLM)
        return wrap_ntlm(h, plain, len, out, hdr_len, err);
    return wrap_kerberos(h, plain, len, out, hdr_len, err);
}

/* A message that fails unwrapping is the peer's fault whatever the minor
 * status says (a bad checksum shows as a krb5 integrity error). */
static int message_error(struct wmgw_err *err, OM_uint32 major, OM_uint32 minor, const char *what)
{
    wmgw__gss_error(err, WMGW_EPROTO, major, minor, NULL, what);
    if (err != NULL)
        err->code = WMGW_EPROTO;
    return WMGW_EPROTO;
}

/* Supplementary statuses: a replayed, old or out-of-order message. */
static int check_sequence(OM_uint32 major, struct wmgw_err *err)
{
    if (major & GSS_S_DUPLICATE_TOKEN)
        return wmgw_err_set(err, WMGW_EPROTO, "encrypted message replayed");
    if (major & (GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN | GSS_S_GAP_TOKEN))
        return wmgw_err_set(err, WMGW_EPROTO, "encrypted message out of sequence");
    return 0;
}

int wmgw_gss_unwrap_winrm(struct wmgw_gss_ctx *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off,
                          size_t *plain_len, struct wmgw_err *err)
{
    gss_ctx_id_t h = wmgw__gss_ctx_handle(ctx);
    if (h == GSS_C_NO_CONTEXT)
        return not_ready(err);
    if (hdr_len > len)
        return wmgw_err_set(err, WMGW_EPROTO, "encryption header of %u bytes in a %zu-byte message", hdr_len, len);
    OM_uint32 minor, major;
    int conf = 0;
    if (wmgw_gss_ctx_mech(ctx) == WMGW_GSS_NTLM) {
        if (hdr_len != 16)
            return wmgw_err_set(err, WMGW_EPROTO, "NTLM: signature of %u bytes (16 expected)", hdr_len);
        gss_buffer_desc in = {len, msg}, plain = GSS_C_EMPTY_BUFFER;
        major = gss_unwrap(&minor, h, &in, &plain, &conf, NULL);
        int rc = 0;
        if (GSS_ERROR(major))
            rc = message_error(err, major, minor, "NTLM: unsealing a message");
        else if ((rc = check_sequence(major, err)) != 0)
            ;
        else if (!conf || plain.length != len - 16)
            rc = wmgw_err_set(err, WMGW_EPROTO, "NTLM: message was not sealed");
        else
            memcpy(msg + 16, plain.value, plain.length);
        if (plain.value != NULL)
            OPENSSL_cleanse(plain.value, plain.length); /* the plaintext lives on in msg only */
        gss_release_buffer(&minor, &plain);
        if (rc == 0) {
            *plain_off = 16;
            *plain_len = len - 16;
        }
        return rc;
    }
    gss_iov_buffer_desc iov[3] = {
        {GSS_IOV_BUFFER_TYPE_HEADER, {hdr_len, msg}},
        {GSS_IOV_BUFFER_TYPE_DATA, {len - hdr_len, msg + hdr_len}},
        {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}},
    };
    major = gss_unwrap_iov(&minor, h, &conf, NULL, iov, 3);
    if (GSS_ERROR(major))
        return message_error(err, major, minor, "Kerberos: unwrapping a message");
    int rc = check_sequence(major, err);
    if (rc != 0)
        return rc;
    if (!conf)
        return wmgw_err_set(err, WMGW_EPROTO, "Kerberos: message was signed but not encrypted");
    *plain_off = hdr_len;
    *plain_len = iov[1].buffer.length;
    return 0;
}
