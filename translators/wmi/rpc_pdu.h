/*
 * rpc_pdu.h: connection-oriented DCE/RPC PDUs (C706 chapter 12, MS-RPCE
 * 2.2.2), encoded and decoded one fragment at a time.
 *
 * This is the bottom of the wmi/ translator's stack (design.md:
 * translators/wmi, "DCE/RPC, DCOM activation, IWbem* calls"): rpc_conn.c
 * cuts byte streams into PDUs with it, the DCOM client in the gateway and
 * the simulator's DCOM server sit above that.  No sockets, no state: a
 * decoded PDU points into the caller's bytes (nothing is copied or
 * allocated) and is valid as long as they are.  Decoding is bounded by
 * frag_length and by the fixed limits below; every inconsistency is
 * WMGW_EPROTO with the field named.  Only little-endian, ASCII, IEEE data
 * representation is accepted (what every Windows peer sends).
 */
#ifndef WMGW_TRANSLATORS_WMI_RPC_PDU_H
#define WMGW_TRANSLATORS_WMI_RPC_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translators/wmi/uuid.h"
#include "util/buf.h"
#include "util/err.h"

/* PTYPE (C706 12.6.4, MS-RPCE 2.2.2.10). */
enum wmgw_rpc_ptype {
    WMGW_RPC_REQUEST = 0,
    WMGW_RPC_RESPONSE = 2,
    WMGW_RPC_FAULT = 3,
    WMGW_RPC_BIND = 11,
    WMGW_RPC_BIND_ACK = 12,
    WMGW_RPC_BIND_NAK = 13,
    WMGW_RPC_ALTER_CONTEXT = 14,
    WMGW_RPC_ALTER_CONTEXT_RESP = 15,
    WMGW_RPC_AUTH3 = 16,
    WMGW_RPC_SHUTDOWN = 17,
    WMGW_RPC_CO_CANCEL = 18,
    WMGW_RPC_ORPHANED = 19,
};

/* pfc_flags.  0x04 is PENDING_CANCEL on requests and responses and
 * SUPPORT_HEADER_SIGN on the bind family (MS-RPCE 2.2.2.3). */
#define WMGW_RPC_PFC_FIRST_FRAG 0x01
#define WMGW_RPC_PFC_LAST_FRAG 0x02
#define WMGW_RPC_PFC_PENDING_CANCEL 0x04
#define WMGW_RPC_PFC_SUPPORT_HEADER_SIGN 0x04
#define WMGW_RPC_PFC_CONC_MPX 0x10
#define WMGW_RPC_PFC_DID_NOT_EXECUTE 0x20
#define WMGW_RPC_PFC_MAYBE 0x40
#define WMGW_RPC_PFC_OBJECT_UUID 0x80

/* sec_trailer auth_level (MS-RPCE 2.2.1.1.8) and auth_type (2.2.1.1.7). */
#define WMGW_RPC_AUTHN_LEVEL_NONE 1
#define WMGW_RPC_AUTHN_LEVEL_CONNECT 2
#define WMGW_RPC_AUTHN_LEVEL_CALL 3
#define WMGW_RPC_AUTHN_LEVEL_PKT 4
#define WMGW_RPC_AUTHN_LEVEL_PKT_INTEGRITY 5
#define WMGW_RPC_AUTHN_LEVEL_PKT_PRIVACY 6
#define WMGW_RPC_AUTHN_GSS_NEGOTIATE 9
#define WMGW_RPC_AUTHN_WINNT 10
#define WMGW_RPC_AUTHN_GSS_KERBEROS 16

/* p_cont_def_result_t and provider reasons (C706 12.6.3.1, MS-RPCE 2.2.2.4). */
#define WMGW_RPC_RESULT_ACCEPT 0
#define WMGW_RPC_RESULT_USER_REJECTION 1
#define WMGW_RPC_RESULT_PROVIDER_REJECTION 2
#define WMGW_RPC_RESULT_NEGOTIATE_ACK 3
#define WMGW_RPC_REASON_NOT_SPECIFIED 0
#define WMGW_RPC_REASON_ABSTRACT_SYNTAX 1 /* abstract_syntax_not_supported */
#define WMGW_RPC_REASON_TRANSFER_SYNTAX 2 /* proposed_transfer_syntaxes_not_supported */
#define WMGW_RPC_REASON_LOCAL_LIMIT 3

/* bind_nak provider_reject_reason (C706 12.6.3.1, MS-RPCE 2.2.2.5). */
#define WMGW_RPC_NAK_NOT_SPECIFIED 0
#define WMGW_RPC_NAK_LOCAL_LIMIT 2
#define WMGW_RPC_NAK_PROTOCOL_VERSION 4
#define WMGW_RPC_NAK_AUTH_TYPE 8
#define WMGW_RPC_NAK_INVALID_CHECKSUM 9

/* Fault status values this layer produces (C706 appendix N, MS-RPCE 3.3.3.5). */
#define WMGW_RPC_FAULT_ACCESS_DENIED 0x00000005u
#define WMGW_RPC_FAULT_OP_RANGE 0x1c010002u     /* nca_s_op_rng_error */
#define WMGW_RPC_FAULT_UNKNOWN_IF 0x1c010003u   /* nca_s_unk_if */
#define WMGW_RPC_FAULT_PROTO_ERROR 0x1c01000bu  /* nca_proto_error */
#define WMGW_RPC_FAULT_CONTEXT_MISMATCH 0x1c00001au

#define WMGW_RPC_HDR_LEN 16          /* the common header */
#define WMGW_RPC_REQUEST_HDR_LEN 24  /* + alloc_hint, p_cont_id, opnum (+16 with an object UUID) */
#define WMGW_RPC_RESPONSE_HDR_LEN 24 /* + alloc_hint, p_cont_id, cancel_count, reserved */
#define WMGW_RPC_FAULT_HDR_LEN 32    /* response header + status + reserved */
#define WMGW_RPC_SEC_TRAILER_LEN 8
#define WMGW_RPC_AUTH_PAD_ALIGN 16   /* sec_trailer alignment from the body start (MS-RPCE 2.2.2.11) */
#define WMGW_RPC_MIN_FRAG 1432       /* smallest max_xmit/recv_frag a peer may announce (C706 12.6.3.1) */
#define WMGW_RPC_MAX_CTX 8           /* presentation context elements per bind / results per bind_ack */
#define WMGW_RPC_MAX_TRANSFER 4      /* transfer syntaxes per context element */
#define WMGW_RPC_MAX_SEC_ADDR 64     /* bind_ack secondary address, NUL included */

/* p_syntax_id_t: an interface or transfer syntax and its version. */
struct wmgw_rpc_syntax {
    struct wmgw_uuid uuid;
    uint16_t major, minor;
};

/* NDR 2.0, 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0, the only transfer
 * syntax wmgw speaks. */
extern const struct wmgw_rpc_syntax wmgw_rpc_ndr20;

struct wmgw_rpc_ctx_elem { /* p_cont_elem_t */
    uint16_t cont_id;
    uint8_t n_transfer;
    struct wmgw_rpc_syntax abstract;
    struct wmgw_rpc_syntax transfer[WMGW_RPC_MAX_TRANSFER];
};

struct wmgw_rpc_result { /* p_result_t */
    uint16_t result, reason;
    struct wmgw_rpc_syntax transfer;
};

struct wmgw_rpc_auth { /* sec_trailer and the auth token after it */
    uint8_t type, level, pad_length, reserved;
    uint32_t context_id;
    const uint8_t *token; /* encode: NULL writes token_len zero bytes (filled in later) */
    size_t token_len;     /* = auth_length */
};

struct wmgw_rpc_pdu {
    uint8_t ptype, flags;
    uint8_t drep[4]; /* decode only; encode always writes 10 00 00 00 */
    uint16_t frag_length, auth_length; /* decode only; encode computes them */
    uint32_t call_id;

    /* bind, alter_context, bind_ack, alter_context_resp */
    uint16_t max_xmit_frag, max_recv_frag;
    uint32_t assoc_group_id;
    uint8_t n_ctx; /* bind, alter_context: ctx[]; the acks: results[] */
    struct wmgw_rpc_ctx_elem ctx[WMGW_RPC_MAX_CTX];
    struct wmgw_rpc_result results[WMGW_RPC_MAX_CTX];
    char sec_addr[WMGW_RPC_MAX_SEC_ADDR]; /* bind_ack port_spec, NUL-terminated ("" = none) */

    /* bind_nak */
    uint16_t reject_reason;

    /* request, response, fault */
    uint32_t alloc_hint;
    uint16_t cont_id;
    uint16_t opnum;          /* request */
    struct wmgw_uuid object; /* request, with WMGW_RPC_PFC_OBJECT_UUID */
    uint8_t cancel_count;    /* response, fault */
    uint8_t fault_flags;     /* fault: the reserved octet (bit 0: extended error info) */
    uint32_t status;         /* fault */
    const uint8_t *stub;     /* request, response: stub data without auth padding */
    size_t stub_len;

    bool has_auth; /* a sec_trailer is present (auth_length > 0) */
    struct wmgw_rpc_auth auth;

    /* decode only: where the PDU body (stub data + auth padding) lies,
     * from the first byte of the PDU; what sealing encrypts. */
    size_t body_off, body_len;
};

/* Fixed header length of a request, response or fault (object UUID included). */
size_t wmgw_rpc_pdu_header_len(uint8_t ptype, uint8_t flags);
/* Auth padding after stub_len bytes of stub data (0..15). */
size_t wmgw_rpc_auth_pad(size_t stub_len);

/* Appends one fragment.  frag_length and auth_length are computed; the
 * auth padding (auth.pad_length zero octets) goes between the stub data and
 * the sec_trailer of requests and responses, and before the sec_trailer of
 * the other types.  WMGW_EINVAL when a count or length does not fit, or the
 * PDU would pass 65535 bytes. */
int wmgw_rpc_pdu_encode(const struct wmgw_rpc_pdu *p, struct wmgw_buf *out, struct wmgw_err *err);

/* Looks at the first bytes of a stream: 0 and *frag_length when the common
 * header is there and plausible (version 5.0/5.1, little-endian drep,
 * frag_length covers the header and trailer), 1 when fewer than 16 bytes are
 * available, WMGW_EPROTO otherwise. */
int wmgw_rpc_pdu_peek(const uint8_t *data, size_t len, uint16_t *frag_length, struct wmgw_err *err);

/* Decodes the fragment at data (len >= its frag_length; bytes past it are
 * not looked at).  p's pointers point into data. */
int wmgw_rpc_pdu_decode(const uint8_t *data, size_t len, struct wmgw_rpc_pdu *p, struct wmgw_err *err);

/* "request", "bind_ack", ... or "ptype 42". */
const char *wmgw_rpc_ptype_name(uint8_t ptype);

#endif
