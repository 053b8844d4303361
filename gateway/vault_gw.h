/*
 * vault_gw.h: the credential vault (auth/vault.h) in the gateway: opened
 * once at start, and asked, for every backend call, which credential the
 * call runs as.
 *
 * Configuration:
 *
 *   [security]
 *   vault = /var/lib/wmgw/vault.json
 *   vault-key-file = /etc/wmgw/vault.key   # or WMGW_VAULT_KEY=<base64>
 *   [host web01]
 *   credential = web-admin                 # when no mapping applies
 *
 * The key is never read from the configuration file; WMGW_VAULT_KEY is
 * removed from the environment once read.  A vault that does not open
 * with the key (wrong key, tampered file) stops the start.
 *
 * Choice of credential for a call, first that applies:
 *   1. a mapping for the caller's principal (name or user SID), then one
 *      for one of its group SIDs, on one of the host's groups (vault
 *      resolve);
 *   2. the host's `credential = ID`;
 *   3. the host's user/password from the configuration (the demo's way).
 *
 * The chosen credential is revealed from the vault into secret memory,
 * copied into a backend made for (host, credential, version), and wiped.
 * That backend has a stable id for the pair, so connection pools (keyed
 * by backend id) never mix users, and a rotation (new version) starts on
 * fresh connections.  The backend lives as long as the calls and pooled
 * sessions that use it; it wipes its password when freed (backend.c).
 * call->credential names the credential for caches (translator.h).
 *
 * SECURITY
 *      No secret is logged or put in a message; errors name credential ids
 *      only.  The backend copy holds the password in ordinary memory while
 *      a call or a pooled connection uses it: the transports read
 *      backend->password (until they call the vault themselves at the
 *      handshake, which would shorten that to the handshake).
 */
#ifndef WMGW_GATEWAY_VAULT_GW_H
#define WMGW_GATEWAY_VAULT_GW_H

#include "auth/vault.h"
#include "gateway/config.h"

struct wmgw_exec;
struct wmgw_call;

/* Opens the configured vault (nothing when [security] vault is unset).
 * WMGW_ECONFIG with a clear message when the key is missing or wrong, or
 * a host names a credential the vault does not hold. */
int wmgw_vault_gw_start(const struct wmgw_config *c, struct wmgw_err *err);
void wmgw_vault_gw_stop(void);
/* The vault, or NULL when none is configured. */
struct wmgw_vault *wmgw_vault_gw(void);

/* Which credential x's calls would run as, without revealing its secret
 * (cache keys): its id and version, or id "" for the host's configured
 * user.  0, or -1 with the answer already sent (as bind). */
int wmgw_vault_gw_identity(struct wmgw_exec *x, char id[WMGW_VAULT_ID_MAX + 1], uint64_t *version);
/* Points call at the credential for x's caller on x's host (see above):
 * may replace call->backend and sets call->credential.  0, or an answer
 * already sent (403 when the vault has nothing for the caller and the
 * host no fallback; 500 when the credential cannot be revealed). */
int wmgw_vault_gw_bind(struct wmgw_exec *x, struct wmgw_call *call);

/* The admin API (h_credentials.c): operations of openapi/openapi.json. */
struct wmgw_request;
int wmgw_h_list_credentials(struct wmgw_request *r);
int wmgw_h_create_credential(struct wmgw_request *r);
int wmgw_h_get_credential(struct wmgw_request *r);
int wmgw_h_rotate_credential(struct wmgw_request *r);
int wmgw_h_delete_credential(struct wmgw_request *r);
int wmgw_h_list_credential_mappings(struct wmgw_request *r);
int wmgw_h_create_credential_mapping(struct wmgw_request *r);
int wmgw_h_delete_credential_mapping(struct wmgw_request *r);

#endif
