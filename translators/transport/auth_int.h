/*
 * auth_int.h: what auth_http.c (settings, credential cache) and
 * auth_conn.c (one connection's context) share: a counted handle on a
 * cached GSSAPI credential.
 */
#ifndef WMGW_TRANSLATORS_TRANSPORT_AUTH_INT_H
#define WMGW_TRANSLATORS_TRANSPORT_AUTH_INT_H

#include "auth/gss.h"
#include "translators/transport/auth_http.h"

struct wmgw__auth_cred;

/* The cached credential named identity, acquired from c on a miss.  Held
 * until wmgw__auth_cred_put. */
int wmgw__auth_cred_get(enum wmgw_gss_mech mech, const char *identity, const struct wmgw_backend_credential *c,
                        struct wmgw__auth_cred **out, struct wmgw_err *err);
struct wmgw_gss_cred *wmgw__auth_cred_gss(struct wmgw__auth_cred *c);
void wmgw__auth_cred_put(struct wmgw__auth_cred *c);

#endif
