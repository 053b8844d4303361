/*
 * rpc_sec.h: the security-provider interface of the DCE/RPC layer.
 *
 * rpc_conn.c authenticates a connection and protects its PDUs only through
 * this table of functions (curl's vtls model, style.md): an NTLM, Kerberos
 * or SPNEGO implementation (auth/) gets a small adapter that fills one
 * const struct wmgw_rpc_sec_ops, and the RPC layer never sees keys.  It
 * mirrors the abstract GSS calls of MS-RPCE 2.2.2.12 and 3.3.1.5.2:
 * step = GSS_Init/Accept_sec_context, sign/verify = GSS_GetMICEx /
 * GSS_VerifyMICEx, seal/unseal = GSS_WrapEx / GSS_UnwrapEx.
 *
 * SECURITY: a provider context holds session keys for one connection (one
 * per auth_context_id on a server); rpc_conn.c frees it with the
 * connection.  Tokens and signatures pass through the RPC layer, which
 * never logs them.
 */
#ifndef WMGW_TRANSLATORS_WMI_RPC_SEC_H
#define WMGW_TRANSLATORS_WMI_RPC_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum {
    WMGW_RPC_SEC_DONE = 0,     /* the context is established (an output token may still have to go out) */
    WMGW_RPC_SEC_CONTINUE = 1, /* an output token goes out and the peer answers with another leg */
};

/* One PDU being protected (sending) or checked (receiving).  The RPC
 * layer has laid it out completely, with auth_length already counting the
 * token, so a signature may cover the header. */
struct wmgw_rpc_sec_pdu {
    uint8_t *pdu;      /* first byte of the PDU (common header) */
    size_t len;        /* header + body + sec_trailer: frag_length - auth_length */
    size_t body_off;   /* the PDU body: stub data and auth padding, what */
    size_t body_len;   /*   privacy encrypts (and all that integrity covers without header signing) */
    bool header_sign;  /* both sides set PFC_SUPPORT_HEADER_SIGN: protect header and trailer too */
    uint8_t level;     /* WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY or _PKT_PRIVACY */
};

struct wmgw_rpc_sec_ops {
    const char *name;   /* "NTLM", for messages */
    uint8_t auth_type;  /* sec_trailer auth_type: WMGW_RPC_AUTHN_WINNT, ... */
    bool header_sign;   /* can protect header and trailer (announced with PFC_SUPPORT_HEADER_SIGN) */
    bool odd_legs;      /* the client's last token travels in rpc_auth3, unanswered (NTLM's
                         * three legs); otherwise in alter_context, answered by alter_context_resp */

    /* A new security context.  cfg is the provider's own (credentials,
     * target name); server selects GSS_Accept behaviour.  0 or WMGW_E*. */
    int (*start)(const void *cfg, bool server, uint8_t level, void **ctx, struct wmgw_err *err);
    void (*stop)(void *ctx);

    /* One leg: consume the peer's token (NULL, 0 on the client's first
     * leg), append ours to out (possibly nothing).  Returns
     * WMGW_RPC_SEC_DONE, WMGW_RPC_SEC_CONTINUE, or a negative WMGW_E*
     * (WMGW_EAUTH when the peer's credentials are refused). */
    int (*step)(void *ctx, const uint8_t *in, size_t in_len, struct wmgw_buf *out, struct wmgw_err *err);

    /* Bytes of the auth token of every request/response PDU at this level
     * (NTLM: 16).  Fixed once the context is established: the RPC layer
     * reserves this much before sign/seal run, zero-filling what they leave. */
    size_t (*sig_size)(void *ctx, uint8_t level);

    /* Integrity: write the signature of m into sig[0..sig_len); verify
     * checks it.  The provider decides what its mechanism covers: NTLM
     * with extended session security signs m->pdu[0..m->len) whatever
     * header_sign says; Kerberos covers header and trailer only with
     * header_sign; otherwise the body. */
    int (*sign)(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err);
    int (*verify)(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                  struct wmgw_err *err);

    /* Privacy: encrypt the body in place and write the signature; unseal
     * decrypts in place and checks the signature.  A failed check is
     * WMGW_EAUTH (the RPC layer turns it into a protocol error). */
    int (*seal)(void *ctx, const struct wmgw_rpc_sec_pdu *m, uint8_t *sig, size_t sig_len, struct wmgw_err *err);
    int (*unseal)(void *ctx, const struct wmgw_rpc_sec_pdu *m, const uint8_t *sig, size_t sig_len,
                  struct wmgw_err *err);
};

#endif
