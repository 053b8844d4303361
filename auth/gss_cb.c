/*
 * gss_cb.c: channel bindings for HTTPS hosts that demand them (Windows'
 * "Extended Protection for Authentication"): RFC 5929's
 * tls-server-end-point, the application data of the GSSAPI channel
 * bindings that both Kerberos (in the authenticator checksum) and NTLM
 * (MsvAvChannelBindings) then prove.
 *
 * The hash is that of the server certificate's signature algorithm, but
 * SHA-256 when that is MD5 or SHA-1 (RFC 5929 section 4.1); RSA-PSS names
 * its hash in its parameters (OpenSSL's X509_get_signature_info reads
 * them); for algorithms that name none (Ed25519, Ed448) we use SHA-256,
 * as Windows and the Python clients do.
 */
#include "auth/gss_int.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <limits.h>
#include <string.h>

#define PREFIX "tls-server-end-point:"

int wmgw_gss_cb_tls_server_end_point(const uint8_t *cert_der, size_t len, uint8_t out[WMGW_GSS_CB_MAX],
                                     size_t *out_len, struct wmgw_err *err)
{
    if (len == 0 || len > 64 * 1024 || len > LONG_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "channel bindings: certificate of %zu bytes", len);
    const unsigned char *p = cert_der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "channel bindings: the server certificate is not DER X.509");
    if ((size_t)(p - cert_der) != len) {
        X509_free(x);
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(p - cert_der),
                               "channel bindings: bytes after the server certificate");
    }
    int md_nid = NID_undef;
    if (!X509_get_signature_info(x, &md_nid, NULL, NULL, NULL))
        md_nid = NID_undef;
    if (md_nid == NID_undef || md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_md5_sha1)
        md_nid = NID_sha256;
    const EVP_MD *md = EVP_get_digestbynid(md_nid);
    int rc = 0;
    unsigned int n = 0;
    size_t pre = sizeof(PREFIX) - 1;
    if (md == NULL || (size_t)EVP_MD_get_size(md) > WMGW_GSS_CB_MAX - pre)
        rc = wmgw_err_set(err, WMGW_EUNSUPPORTED, "channel bindings: signature hash %s not supported",
                          OBJ_nid2sn(md_nid));
    else if (!X509_digest(x, md, out + pre, &n))
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "channel bindings: hashing the certificate failed");
    X509_free(x);
    if (rc != 0)
        return rc;
    memcpy(out, PREFIX, pre);
    *out_len = pre + n;
    return 0;
}
