/*
 * principal.h: who is calling.  Every authenticated REST call carries one
 * principal (gateway/caller*.c makes it from a bearer token, HTTP Basic, a
 * TLS client certificate or Negotiate); authorization (SDDL access checks)
 * and the credential vault's mappings read it, nothing else decides on the
 * caller's identity.
 *
 * The SIDs are in string form ("S-1-5-21-..."); groups include the
 * implicit ones every authenticated caller has: Everyone (S-1-1-0),
 * Authenticated Users (S-1-5-11) and Network (S-1-5-2).
 */
#ifndef WMGW_GATEWAY_PRINCIPAL_H
#define WMGW_GATEWAY_PRINCIPAL_H

#include <stddef.h>

enum wmgw_auth_scheme {
    WMGW_AUTH_NONE = 0,  /* an anonymous caller (public routes only) */
    WMGW_AUTH_BEARER,    /* Authorization: Bearer <API token> */
    WMGW_AUTH_BASIC,     /* Authorization: Basic, a gateway user's password */
    WMGW_AUTH_CERT,      /* a TLS client certificate */
    WMGW_AUTH_NEGOTIATE, /* Authorization: Negotiate (Kerberos via GSSAPI) */
};

struct wmgw_principal {
    const char *name;      /* the configured principal's name */
    const char *sid;       /* its user SID */
    const char **groups;   /* group SIDs, the implicit ones included */
    size_t ngroups;
    enum wmgw_auth_scheme scheme;
};

#endif
