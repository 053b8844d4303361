/*
 * gss_int.h: what the gss_*.c files share; not for other modules (use
 * gss.h).
 *
 * gss_err.c     GSSAPI major/minor statuses -> struct wmgw_err
 * gss_keytab.c  keytab bytes -> a MEMORY: keytab (bounded parser)
 * gss_cred.c    credentials, their generations and renewal
 * gss_ctx.c     security contexts (client and acceptor)
 * gss_wrap.c    WinRM message protection
 * gss_cb.c      tls-server-end-point channel bindings
 */
#ifndef WMGW_AUTH_GSS_INT_H
#define WMGW_AUTH_GSS_INT_H

#include "auth/gss.h"
#include "auth/secret.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <pthread.h>
#include <stdatomic.h>

/* Mechanism OIDs: Kerberos (RFC 1964), Microsoft's Kerberos OID that
 * Windows clients put in SPNEGO, SPNEGO (RFC 4178), NTLMSSP. */
extern gss_OID_desc wmgw__gss_oid_krb5, wmgw__gss_oid_krb5_ms, wmgw__gss_oid_spnego, wmgw__gss_oid_ntlm;

/* One acquisition of a credential.  Contexts hold a reference, so an old
 * generation lives until its last context ends. */
struct wmgw__gss_gen {
    gss_cred_id_t cred;
    atomic_int refs;           /* the credential's and each context's */
    krb5_context kctx;         /* owns ccache and keytab below, NULL if none */
    krb5_ccache ccache;        /* our MEMORY: ccache (keytab credentials) */
    krb5_keytab keytab;        /* our MEMORY: keytab (keytab bytes) */
    OM_uint32 lifetime;        /* seconds the tickets had when acquired */
};

struct wmgw_gss_cred {
    enum wmgw_gss_mech mech;
    bool acceptor;
    pthread_mutex_t lock; /* gen, generation and re-acquisition */
    struct wmgw__gss_gen *gen;
    unsigned generation;
    long renew_before_s;
    char name[WMGW_GSS_MAX_NAME + 1]; /* as displayed */
    char realm[WMGW_GSS_MAX_NAME + 1]; /* Kerberos: the client's realm */
    /* What acquiring again needs (wiped on free). */
    char *principal;  /* Kerberos/Negotiate "user@REALM" */
    char *ntlm_name;  /* NTLM "DOMAIN\user" */
    struct wmgw_secret *password; /* auth/secret.h: out of core dumps */
    struct wmgw_secret *keytab;
    char *keytab_path; /* acceptor from a file */
    char *spn;         /* acceptor restricted to one principal */
    char *ntlm_users_file;    /* NTLM acceptor: gss-ntlmssp's users file */
    char *ntlm_acceptor_name; /* NTLM acceptor: "@COMPUTER" (gss_cred.c says why) */
};

/* Takes a reference on the current generation, acquiring again first when
 * its tickets are about to expire. */
int wmgw__gss_cred_hold(struct wmgw_gss_cred *c, struct wmgw__gss_gen **out, struct wmgw_err *err);
void wmgw__gss_gen_release(struct wmgw__gss_gen *g);

/* The established context's handle (GSS_C_NO_CONTEXT before completion
 * or after a failure), for gss_wrap.c. */
gss_ctx_id_t wmgw__gss_ctx_handle(const struct wmgw_gss_ctx *ctx);

/* Fills err from a failed GSSAPI call: "<what>: <major text>: <minor
 * text>", with the code the statuses call for, or dflt when they do not
 * say.  mech (may be NULL) is the mechanism whose minor code it is.
 * Returns the code. */
int wmgw__gss_error(struct wmgw_err *err, int dflt, OM_uint32 major, OM_uint32 minor, gss_const_OID mech,
                    const char *what);
/* Same for a krb5 library error (kctx may be NULL). */
int wmgw__gss_krb5_error(struct wmgw_err *err, int dflt, krb5_context kctx, krb5_error_code code, const char *what);

/* Loads keytab bytes (the file format, version 0x502) into a new
 * MEMORY: keytab of kctx, named uniquely.  WMGW_EINVAL with a position for
 * malformed bytes. */
int wmgw__gss_keytab_load(krb5_context kctx, const uint8_t *p, size_t len, krb5_keytab *out, struct wmgw_err *err);
/* The parser alone: calls fn for each entry (principal components as
 * counted strings).  Used by load and by the unit test. */
struct wmgw__gss_kt_entry {
    const uint8_t *realm;
    size_t realm_len;
    size_t ncomp;
    const uint8_t *comp[16];
    size_t comp_len[16];
    uint32_t name_type;
    uint32_t timestamp;
    uint32_t kvno;
    uint16_t enctype;
    const uint8_t *key;
    size_t key_len;
};
int wmgw__gss_keytab_parse(const uint8_t *p, size_t len,
                           int (*fn)(void *arg, const struct wmgw__gss_kt_entry *e, struct wmgw_err *err), void *arg,
                           struct wmgw_err *err);

#endif
