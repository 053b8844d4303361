/*
 * rpc_ntlm.h: NTLM (auth/ntlm.h) as a DCE/RPC security provider
 * (rpc_sec.h), auth_type RPC_C_AUTHN_WINNT (10), for both ends of a
 * connection: the gateway's DCOM client authenticates with the backend
 * credential from the vault, the simulator's DCOM server accepts with its
 * user table through the lookup callback of its server configuration.
 *
 * Part of the wmi/ translator's DCOM layer (design.md: translators/wmi,
 * under "translators/transport: auth handshakes, encryption"): rpc_conn.c
 * calls these functions for the three legs (bind NEGOTIATE, bind_ack
 * CHALLENGE, rpc_auth3 AUTHENTICATE) and for every protected PDU.
 *
 * Levels: RPC_C_AUTHN_LEVEL_CONNECT, _PKT_INTEGRITY and _PKT_PRIVACY map to
 * NTLM's CONNECT, INTEGRITY (sign) and PRIVACY (sign and seal); the RPC
 * level decides what NTLM negotiates.  A server asks NTLM for the stricter
 * of the level the client bound at and its configured minimum.  CALL and
 * PKT (3, 4) are refused: rpc_conn.c does not sign at those levels, and
 * NTLM would have to.
 *
 * Protection: NTLM signs the whole PDU up to the auth_value (header, body,
 * sec_trailer) whether or not header signing was negotiated, and seals the
 * body (stub data and auth padding) -- what Windows and impacket do.  The
 * signature is the 16-byte NTLMSSP_MESSAGE_SIGNATURE.
 *
 * SECURITY
 *      Trust is auth/ntlm.h's: tokens from the peer are parsed there within
 *      fixed limits; the adapter adds the order of the legs (a token out of
 *      turn ends the context) and the signature length.  The context holds
 *      session keys until rpc_conn.c stops it with the connection.  The
 *      server's lookup callback is the configuration's and trusted.
 */
#ifndef WMGW_TRANSLATORS_WMI_RPC_NTLM_H
#define WMGW_TRANSLATORS_WMI_RPC_NTLM_H

#include "auth/ntlm.h"
#include "translators/wmi/rpc_sec.h"

/* What rpc_conn's sec_cfg points to; it must outlive the connection, which
 * starts a security context from it at every bind (and, on a server, at
 * every alter_context that opens a new one).  A client connection uses
 * client, a server connection server.  NTLM copies what it keeps at start,
 * except the server's lookup_arg, which must outlive the contexts. */
struct wmgw_rpc_ntlm_config {
    const struct wmgw_ntlm_client_config *client; /* its level is ignored: the RPC level decides */
    const struct wmgw_ntlm_server_config *server; /* its level is the least it accepts */
};

/* The provider: name "NTLM", auth_type 10, header signing announced,
 * odd legs (the AUTHENTICATE message travels in rpc_auth3). */
extern const struct wmgw_rpc_sec_ops wmgw_rpc_ntlm_ops;

/* Server: who authenticated on the context that checked a request
 * (struct wmgw_rpc_event.sec_ctx), or NULL before the context is complete
 * and on a client. */
const struct wmgw_ntlm_identity *wmgw_rpc_ntlm_identity(const void *sec_ctx);

#endif
