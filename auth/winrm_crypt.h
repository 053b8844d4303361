/*
 * winrm_crypt.h: WinRM's encrypted HTTP bodies (MS-WSMV 2.2.9.1), the
 * multipart/encrypted framing around each wrapped SOAP message, both
 * ways: the gateway encrypts requests and decrypts responses, the
 * simulator the reverse.
 *
 *     Content-Type: multipart/encrypted;
 *         protocol="application/HTTP-SPNEGO-session-encrypted";
 *         boundary="Encrypted Boundary"
 *
 *     --Encrypted Boundary\r\n
 *     \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *     \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<n>\r\n
 *     --Encrypted Boundary\r\n
 *     \tContent-Type: application/octet-stream\r\n
 *     <uint32 little-endian L><L header bytes><encrypted data>--Encrypted Boundary--\r\n
 *
 * Encoding writes exactly these bytes (pywinrm 0.3.0's, byte for byte);
 * CredSSP alone splits messages over 16 KiB into 16384-byte chunks, one
 * pair of parts each, under multipart/x-multi-encrypted.  Decoding also
 * takes the "-- Encrypted Boundary" spelling of the WSMV example (and of
 * Exchange), a body that ends with a boundary line instead of the closing
 * delimiter, any number of part pairs, optional whitespace before part
 * headers and unknown metadata headers; it checks every length against
 * the body and that each part decrypts to its OriginalContent Length.
 *
 * Where the wrapped bytes come from is a small vtable, so that a GSSAPI
 * context (auth/gss.h) and our own NTLM session (auth/ntlm.h) both plug in.
 *
 * SECURITY
 *      Bodies come from the network: parsing is bounded (part pairs,
 *      header lines and their lengths, digits of Length) and every
 *      failure names the byte position.  Decryption happens in place in
 *      the caller's body; plaintext that fails its integrity check is
 *      never appended to the output.
 */
#ifndef WMGW_AUTH_WINRM_CRYPT_H
#define WMGW_AUTH_WINRM_CRYPT_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

/* The protocol parameter, from the HTTP authentication scheme used. */
enum wmgw_winrm_protocol {
    WMGW_WINRM_SPNEGO = 1,   /* Negotiate (NTLM or Kerberos inside) */
    WMGW_WINRM_KERBEROS = 2, /* the "Kerberos" scheme (pypsrp; WSMV 2.2.9.1.2) */
    WMGW_WINRM_CREDSSP = 3,  /* CredSSP: TLS records, trailer length in the length field */
};

#define WMGW_WINRM_BOUNDARY "Encrypted Boundary"
#define WMGW_WINRM_CREDSSP_CHUNK 16384 /* plaintext bytes per CredSSP part pair */
#define WMGW_WINRM_MAX_PARTS 8192      /* part pairs in one body */
#define WMGW_WINRM_CHARSET_MAX 16      /* "UTF-8", "UTF-16", with NUL */

/* How a security layer protects one message. */
struct wmgw_winrm_sec {
    /* Appends to out what follows the 32-bit length field: the header
     * (*hdr_len bytes; for CredSSP *hdr_len is the TLS trailer length),
     * then the encrypted data.  On failure out is as it was. */
    int (*wrap)(void *ctx, const uint8_t *plain, size_t len, struct wmgw_buf *out, uint32_t *hdr_len,
                struct wmgw_err *err);
    /* Decrypts msg[0..len) in place, hdr_len being the length field; the
     * plaintext is then msg[*plain_off .. *plain_off + *plain_len). */
    int (*unwrap)(void *ctx, uint8_t *msg, size_t len, uint32_t hdr_len, size_t *plain_off, size_t *plain_len,
                  struct wmgw_err *err);
    void *ctx;
};

struct wmgw_gss_ctx;
struct wmgw_ntlm_sec;
/* winrm_crypt_gss.c: an established GSSAPI context. */
void wmgw_winrm_sec_gss(struct wmgw_winrm_sec *s, struct wmgw_gss_ctx *ctx);
/* winrm_crypt_ntlm.c: our NTLM session (signature, then sealed data). */
void wmgw_winrm_sec_ntlm(struct wmgw_winrm_sec *s, struct wmgw_ntlm_sec *sec);

/* "application/HTTP-SPNEGO-session-encrypted" and the other two. */
const char *wmgw_winrm_protocol_name(enum wmgw_winrm_protocol p);

/* The HTTP Content-Type of a body carrying plain_len bytes. */
const char *wmgw_winrm_content_type(enum wmgw_winrm_protocol p, size_t plain_len);

/* Reads an HTTP Content-Type value: 0 with *p set for an encrypted body
 * (multipart/encrypted or multipart/x-multi-encrypted, a known protocol,
 * boundary "Encrypted Boundary"); WMGW_ENOTFOUND for any other media
 * type (a clear body); WMGW_EINVAL for an encrypted type with a missing
 * or unknown protocol or another boundary. */
int wmgw_winrm_parse_content_type(const char *value, enum wmgw_winrm_protocol *p, struct wmgw_err *err);

/* Appends the encrypted body for plain[0..len) to body.  charset is the
 * SOAP message's ("UTF-8" when NULL; "UTF-16" is the other one WinRM
 * knows).  On failure body is as it was. */
int wmgw_winrm_encrypt(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, const char *charset,
                       const uint8_t *plain, size_t len, struct wmgw_buf *body, struct wmgw_err *err);

/* Decrypts body[0..len) (modified in place) and appends the SOAP message
 * to plain.  charset, when not NULL, receives the OriginalContent
 * charset ("UTF-8" when none is given).  WMGW_EINVAL with a position for
 * bad framing, the unwrap's error (WMGW_EPROTO) for a bad message, and on
 * failure plain is as it was. */
int wmgw_winrm_decrypt(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, uint8_t *body, size_t len,
                       struct wmgw_buf *plain, char charset[WMGW_WINRM_CHARSET_MAX], struct wmgw_err *err);

#endif
