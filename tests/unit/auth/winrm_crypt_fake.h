/*
 * winrm_crypt_fake.h: pywinrm's deterministic test session as a struct
 * wmgw_winrm_sec, for the framing tests (winrm_crypt.c), the pywinrm
 * cross-check tool (winrm_crypt_tool.c) and the fuzz target: the header
 * is "1234" (or the string given as ctx) and the data the base64 of the
 * message, as in winrm/tests/test_encryption.py.  With ctx ==
 * wmgw_test_fake_credssp there is no header and the length field holds
 * 32, a TLS trailer length, as pywinrm's CredSSP test writes.
 */
#ifndef WMGW_TESTS_UNIT_AUTH_WINRM_CRYPT_FAKE_H
#define WMGW_TESTS_UNIT_AUTH_WINRM_CRYPT_FAKE_H

#include "auth/winrm_crypt.h"
#include "util/base64.h"

#include <string.h>

static const char wmgw_test_fake_credssp[] = "credssp";

static inline const char *wmgw_test_fake_sig(void *ctx)
{
    return ctx == wmgw_test_fake_credssp ? "" : ctx != NULL ? ctx : "1234";
}

static int wmgw_test_fake_wrap(void *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out,
                               uint32_t *hdr_len, struct wmgw_err *err)
{
    const char *sig = wmgw_test_fake_sig(ctx);
    if (wmgw_buf_addstr(out, sig) != 0 || wmgw_base64_encode(out, plain, len, WMGW_BASE64_STD) != 0)
        return wmgw_err_set(err, WMGW_ETOOBIG, "fake wrap");
    *hdr_len = ctx == wmgw_test_fake_credssp ? 32 : (uint32_t)strlen(sig);
    return 0;
}

static int wmgw_test_fake_unwrap(void *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off,
                                 size_t *plain_len, struct wmgw_err *err)
{
    const char *sig = wmgw_test_fake_sig(ctx);
    if (ctx == wmgw_test_fake_credssp)
        hdr_len = 0; /* a trailer length, not a header */
    if (hdr_len != strlen(sig) || len < hdr_len || memcmp(msg, sig, hdr_len) != 0)
        return wmgw_err_set(err, WMGW_EPROTO, "fake unwrap: bad signature");
    struct wmgw_buf dec;
    wmgw_buf_init(&dec, len);
    int rc = wmgw_base64_decode(&dec, (const char *)msg + hdr_len, len - hdr_len, WMGW_BASE64_STD);
    if (rc == 0) {
        if (dec.len > 0)
            memcpy(msg + hdr_len, dec.data, dec.len); /* shorter: decoding in place */
        *plain_off = hdr_len;
        *plain_len = dec.len;
    } else {
        rc = wmgw_err_set(err, WMGW_EPROTO, "fake unwrap: not base64");
    }
    wmgw_buf_dispose(&dec);
    return rc;
}

#endif
