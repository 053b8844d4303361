/*
 * gss_cred.c: GSSAPI credentials for the backend connections (initiator:
 * password or keytab bytes, Kerberos, NTLM or Negotiate) and for the
 * simulator (acceptor: a keytab file or bytes), each acquired into private
 * memory, and renewed when its tickets run out.  design.md: auth/vault
 * hands a backend credential to translators/transport, which starts one
 * security context per connection on it (gss_ctx.c).
 *
 * A credential is a series of generations (struct wmgw__gss_gen): the
 * current one is replaced when a context is started with too little
 * ticket lifetime left, and each context holds the generation it started
 * with until it ends.  How each kind is acquired:
 *
 *   Kerberos, password   krb5_get_init_creds_password into our MEMORY:
 *                        ccache, then gss_acquire_cred_from({ccache}):
 *                        gss_acquire_cred_with_password would have MIT
 *                        keep a copy of the password in its credential,
 *                        in ordinary memory, to get tickets again
 *   Kerberos, keytab     the bytes go into our MEMORY: keytab, and
 *                        gss_acquire_cred_from({ccache: our MEMORY:
 *                        ccache, client_keytab: that keytab})
 *   NTLM                 gss_acquire_cred_with_password for gss-ntlmssp
 *   Negotiate, password  a TGT as for Kerberos when one can be had, then
 *                        gss_acquire_cred_from(SPNEGO, {ccache, ntlmssp
 *                        NT hash}): SPNEGO over Kerberos from our ccache
 *                        and NTLM from the hash, MIT never holding the
 *                        password; then gss_set_neg_mechs to offer exactly
 *                        Kerberos and NTLM
 *   acceptor             gss_acquire_cred_from({keytab: ...}) for
 *                        Kerberos and SPNEGO, SPNEGO limited to Kerberos
 *   NTLM acceptor        gss_acquire_cred_from({ntlmssp_keyfile: the
 *                        users file}) as "@COMPUTER" for SPNEGO and
 *                        gss-ntlmssp, SPNEGO limited to NTLM
 *
 * SECURITY
 *      The password and keytab bytes are kept for renewal in secret
 *      memory (auth/secret.h: out of core dumps, wiped on free); MIT gets
 *      no password (gss_acquire_cred_with_password would keep a copy in its
 *      credential, in ordinary memory), only gss-ntlmssp for NTLM alone,
 *      which keeps the NT hash.  Names are
 *      checked (length, no control characters) before use.
 */
#include "auth/gss_int.h"
#include "auth/ntlm.h"
#include "util/hex.h"

#include <ctype.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gss_OID_desc wmgw__gss_oid_krb5 = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
gss_OID_desc wmgw__gss_oid_krb5_ms = {9, (void *)"\x2a\x86\x48\x82\xf7\x12\x01\x02\x02"};
gss_OID_desc wmgw__gss_oid_spnego = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};
gss_OID_desc wmgw__gss_oid_ntlm = {10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

const char *wmgw_gss_mech_name(enum wmgw_gss_mech mech)
{
    switch (mech) {
    case WMGW_GSS_KERBEROS:
        return "Kerberos";
    case WMGW_GSS_NTLM:
        return "NTLM";
    case WMGW_GSS_NEGOTIATE:
        return "Negotiate";
    }
    return "?";
}

/* ---- names ---- */

static int check_name(const char *what, const char *s, struct wmgw_err *err)
{
    size_t n = strlen(s);
    if (n == 0 || n > WMGW_GSS_MAX_NAME)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: 1 to %d bytes", what, WMGW_GSS_MAX_NAME);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "%s: control character", what);
    }
    return 0;
}

static char *strdup_upper(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p != NULL && *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return d;
}

/* "user@REALM" for Kerberos and Negotiate, "DOMAIN\user" for NTLM. */
static int make_names(struct wmgw_gss_cred *c, const char *user, const char *domain, struct wmgw_err *err)
{
    int rc = check_name("user", user, err);
    if (rc == 0 && domain != NULL && *domain != '\0')
        rc = check_name("domain", domain, err);
    if (rc != 0)
        return rc;
    const char *at = strrchr(user, '@'), *bs = strchr(user, '\\');
    char *buf = malloc(2 * WMGW_GSS_MAX_NAME + 2);
    if (buf == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    bool has_domain = domain != NULL && *domain != '\0';
    /* Kerberos: the realm is the domain upper-cased. */
    if (at != NULL) {
        char *realm = strdup_upper(at + 1);
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%.*s@%s", (int)(at - user), user, realm ? realm : "");
        free(realm);
    } else if (bs != NULL) {
        char *realm = strndup(user, (size_t)(bs - user));
        char *up = realm ? strdup_upper(realm) : NULL;
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%s@%s", bs + 1, up ? up : "");
        free(realm);
        free(up);
    } else if (has_domain) {
        char *realm = strdup_upper(domain);
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%s@%s", user, realm ? realm : "");
        free(realm);
    } else {
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%s", user);
    }
    c->principal = strdup(buf);
    if (at != NULL || bs != NULL || !has_domain)
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%s", user);
    else
        snprintf(buf, 2 * WMGW_GSS_MAX_NAME + 2, "%s\\%s", domain, user);
    c->ntlm_name = strdup(buf);
    free(buf);
    if (c->principal == NULL || c->ntlm_name == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    return 0;
}

static int import_name(const char *s, gss_OID type, gss_name_t *out, struct wmgw_err *err)
{
    OM_uint32 minor;
    gss_buffer_desc b = {strlen(s), (void *)s};
    OM_uint32 major = gss_import_name(&minor, &b, type, out);
    if (GSS_ERROR(major)) {
        char what[WMGW_GSS_MAX_NAME + 32];
        snprintf(what, sizeof(what), "name '%s'", s);
        return wmgw__gss_error(err, WMGW_ECONFIG, major, minor, NULL, what);
    }
    return 0;
}

/* ---- generations ---- */

void wmgw__gss_gen_release(struct wmgw__gss_gen *g)
{
    if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    OM_uint32 minor;
    if (g->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &g->cred);
    if (g->kctx != NULL) {
        if (g->ccache != NULL)
            krb5_cc_destroy(g->kctx, g->ccache); /* the tickets go with it */
        if (g->keytab != NULL)
            krb5_kt_close(g->kctx, g->keytab); /* the last handle: MIT frees the keys */
        krb5_free_context(g->kctx);
    }
    free(g);
}

static int new_gen(struct wmgw__gss_gen **out, bool need_kctx, struct wmgw_err *err)
{
    struct wmgw__gss_gen *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    atomic_init(&g->refs, 1);
    g->cred = GSS_C_NO_CREDENTIAL;
    if (need_kctx) {
        krb5_error_code code = krb5_init_context(&g->kctx);
        if (code != 0) {
            free(g);
            return wmgw__gss_krb5_error(err, WMGW_ECONFIG, NULL, code, "Kerberos: reading the configuration");
        }
    }
    *out = g;
    return 0;
}

/* Loads the kept keytab (bytes or file) and returns its name for a
 * credential store. */
static int gen_keytab(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, char *name, size_t cap, struct wmgw_err *err)
{
    if (c->keytab_path != NULL) {
        snprintf(name, cap, "%s%s", strchr(c->keytab_path, ':') ? "" : "FILE:", c->keytab_path);
        return 0;
    }
    int rc = wmgw__gss_keytab_load(g->kctx, c->keytab->data, c->keytab->len, &g->keytab, err);
    if (rc != 0)
        return rc;
    krb5_error_code code = krb5_kt_get_name(g->kctx, g->keytab, name, (unsigned)cap);
    if (code != 0)
        return wmgw__gss_krb5_error(err, WMGW_EINTERNAL, g->kctx, code, "keytab name");
    return 0;
}

/* NTLM by password: gss-ntlmssp keeps only the hashes it derives. */
static int acquire_ntlm_with_password(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    gss_name_t name = GSS_C_NO_NAME;
    int rc = import_name(c->ntlm_name, GSS_C_NT_USER_NAME, &name, err);
    if (rc != 0)
        return rc;
    gss_OID_set_desc mechs = {1, &wmgw__gss_oid_ntlm};
    gss_buffer_desc pw = {c->password->len, c->password->data};
    OM_uint32 minor, major = gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, &mechs,
                                                            GSS_C_INITIATE, &g->cred, NULL, NULL);
    OM_uint32 ignored;
    gss_release_name(&ignored, &name);
    if (GSS_ERROR(major)) {
        char what[WMGW_GSS_MAX_NAME + 64];
        snprintf(what, sizeof(what), "NTLM: credentials for %s", c->ntlm_name);
        return wmgw__gss_error(err, WMGW_EAUTH, major, minor, NULL, what);
    }
    return 0;
}

/* Our own MEMORY: ccache in g, so that MIT never picks the default one;
 * its full name in cc. */
static int new_ccache(struct wmgw__gss_gen *g, char *cc, size_t cap, struct wmgw_err *err)
{
    krb5_error_code code = krb5_cc_new_unique(g->kctx, "MEMORY", NULL, &g->ccache);
    if (code == 0) {
        char *full = NULL;
        code = krb5_cc_get_full_name(g->kctx, g->ccache, &full);
        if (code == 0)
            snprintf(cc, cap, "%s", full);
        krb5_free_string(g->kctx, full);
    }
    if (code != 0)
        return wmgw__gss_krb5_error(err, WMGW_EINTERNAL, g->kctx, code, "Kerberos: creating a MEMORY ccache");
    return 0;
}

/* A TGT for c->principal by password into a new MEMORY: ccache of g (its
 * name in cc): what gss_acquire_cred_with_password would do, without MIT
 * keeping a copy of the password in its credential. */
static int get_tgt(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, char *cc, size_t cap, struct wmgw_err *err)
{
    int rc = new_ccache(g, cc, cap, err);
    if (rc != 0)
        return rc;
    char what[WMGW_GSS_MAX_NAME + 64];
    snprintf(what, sizeof(what), "Kerberos: credentials for %s", c->principal);
    krb5_principal princ = NULL;
    krb5_get_init_creds_opt *opt = NULL;
    krb5_creds creds;
    memset(&creds, 0, sizeof(creds));
    krb5_error_code code = krb5_parse_name(g->kctx, c->principal, &princ);
    if (code == 0)
        code = krb5_get_init_creds_opt_alloc(g->kctx, &opt);
    if (code == 0)
        code = krb5_get_init_creds_password(g->kctx, &creds, princ, (const char *)c->password->data, NULL, NULL, 0,
                                            NULL, opt);
    if (code == 0)
        code = krb5_cc_initialize(g->kctx, g->ccache, princ);
    if (code == 0)
        code = krb5_cc_store_cred(g->kctx, g->ccache, &creds);
    krb5_free_cred_contents(g->kctx, &creds);
    krb5_get_init_creds_opt_free(g->kctx, opt);
    krb5_free_principal(g->kctx, princ);
    return code == 0 ? 0 : wmgw__gss_krb5_error(err, WMGW_EAUTH, g->kctx, code, what);
}

/* GSSAPI credentials for c->principal under mech from a credential store. */
static int acquire_from_store(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, gss_OID mech, gss_OID name_type,
                              gss_key_value_set_desc *store, struct wmgw_err *err)
{
    gss_name_t name = GSS_C_NO_NAME;
    int rc = import_name(c->principal, name_type, &name, err);
    if (rc != 0)
        return rc;
    gss_OID_set_desc mechs = {1, mech};
    OM_uint32 minor, ignored, major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                                            store, &g->cred, NULL, NULL);
    gss_release_name(&ignored, &name);
    if (GSS_ERROR(major)) {
        char what[WMGW_GSS_MAX_NAME + 64];
        snprintf(what, sizeof(what), "%s: credentials for %s", wmgw_gss_mech_name(c->mech), c->principal);
        return wmgw__gss_error(err, WMGW_EAUTH, major, minor, NULL, what);
    }
    return 0;
}

/* Kerberos by password: the TGT into our ccache, GSSAPI from that ccache. */
static int acquire_krb5_with_password(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    char cc[256];
    int rc = get_tgt(c, g, cc, sizeof(cc), err);
    if (rc != 0)
        return rc;
    gss_key_value_element_desc el[1] = {{"ccache", cc}};
    gss_key_value_set_desc store = {1, el};
    return acquire_from_store(c, g, &wmgw__gss_oid_krb5, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &store, err);
}

/* Negotiate by password: SPNEGO over Kerberos from a TGT in our ccache,
 * when one can be had (a realm with a KDC that takes the password), and
 * NTLM from the NT hash (gss-ntlmssp's credential store): MIT never sees
 * the password.  Without a TGT, NTLM alone, as SPNEGO would have done. */
static int acquire_negotiate_with_password(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    char cc[256], hex[33];
    struct wmgw_err krb_err;
    wmgw_err_clear(&krb_err);
    bool tgt = get_tgt(c, g, cc, sizeof(cc), &krb_err) == 0;
    uint8_t h[16];
    int rc = wmgw_ntlm_nt_hash((const char *)c->password->data, h, err);
    if (rc != 0)
        return rc;
    wmgw_hex_encode(h, sizeof(h), hex);
    OPENSSL_cleanse(h, sizeof(h));
    gss_key_value_element_desc el[2];
    size_t n = 0;
    if (tgt)
        el[n++] = (gss_key_value_element_desc){"ccache", cc};
    el[n++] = (gss_key_value_element_desc){GSS_NTLMSSP_CS_NTHASH, hex};
    gss_key_value_set_desc store = {(OM_uint32)n, el};
    rc = acquire_from_store(c, g, &wmgw__gss_oid_spnego, GSS_C_NT_USER_NAME, &store, err);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

static int acquire_with_keytab(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    char kt[256], cc[256];
    int rc = gen_keytab(c, g, kt, sizeof(kt), err);
    if (rc != 0)
        return rc;
    if ((rc = new_ccache(g, cc, sizeof(cc), err)) != 0)
        return rc;
    gss_key_value_element_desc el[2] = {{"ccache", cc}, {"client_keytab", kt}};
    gss_key_value_set_desc store = {2, el};
    gss_name_t name = GSS_C_NO_NAME;
    if (c->principal != NULL && (rc = import_name(c->principal, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &name, err)) != 0)
        return rc;
    gss_OID_set_desc mechs = {1, c->mech == WMGW_GSS_NEGOTIATE ? &wmgw__gss_oid_spnego : &wmgw__gss_oid_krb5};
    OM_uint32 minor, major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store,
                                                   &g->cred, NULL, NULL);
    OM_uint32 ignored;
    if (name != GSS_C_NO_NAME)
        gss_release_name(&ignored, &name);
    if (GSS_ERROR(major)) {
        char what[WMGW_GSS_MAX_NAME + 64];
        snprintf(what, sizeof(what), "%s: credentials for %s from a keytab", wmgw_gss_mech_name(c->mech),
                 c->principal ? c->principal : "the keytab's first principal");
        return wmgw__gss_error(err, WMGW_EAUTH, major, minor, NULL, what);
    }
    return 0;
}

/* gss-ntlmssp only reads a users file for an acceptor acquired with a
 * host-based name.  "@COMPUTER" has no service part, so its challenges
 * carry no target SPN (a client compares that with its own and fails on
 * any difference) and COMPUTER is the NetBIOS name they give. */
static int acquire_ntlm_acceptor(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    gss_name_t name = GSS_C_NO_NAME;
    int rc = import_name(c->ntlm_acceptor_name, GSS_C_NT_HOSTBASED_SERVICE, &name, err);
    if (rc != 0)
        return rc;
    gss_key_value_element_desc el[1] = {{GSS_NTLMSSP_CS_KEYFILE, c->ntlm_users_file}};
    gss_key_value_set_desc store = {1, el};
    gss_OID_desc both[2] = {wmgw__gss_oid_spnego, wmgw__gss_oid_ntlm};
    gss_OID_set_desc mechs = {2, both};
    OM_uint32 minor, ignored, major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
                                                            &store, &g->cred, NULL, NULL);
    gss_release_name(&ignored, &name);
    if (GSS_ERROR(major))
        return wmgw__gss_error(err, WMGW_ECONFIG, major, minor, NULL, "NTLM acceptor credentials");
    /* Without this SPNEGO would also offer whatever Kerberos keys the
     * default keytab happens to hold. */
    gss_OID_set_desc ntlm_only = {1, &wmgw__gss_oid_ntlm};
    major = gss_set_neg_mechs(&minor, g->cred, &ntlm_only);
    if (GSS_ERROR(major))
        return wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "SPNEGO mechanisms of the NTLM acceptor");
    return 0;
}

static int acquire_acceptor(struct wmgw_gss_cred *c, struct wmgw__gss_gen *g, struct wmgw_err *err)
{
    if (c->mech == WMGW_GSS_NTLM)
        return acquire_ntlm_acceptor(c, g, err);
    char kt[4096];
    int rc = gen_keytab(c, g, kt, sizeof(kt), err);
    if (rc != 0)
        return rc;
    gss_key_value_element_desc el[1] = {{"keytab", kt}};
    gss_key_value_set_desc store = {1, el};
    gss_name_t name = GSS_C_NO_NAME;
    if (c->spn != NULL && (rc = import_name(c->spn, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &name, err)) != 0)
        return rc;
    gss_OID_desc both[2] = {wmgw__gss_oid_krb5, wmgw__gss_oid_spnego};
    gss_OID_set_desc mechs = {2, both};
    OM_uint32 minor, major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &store,
                                                   &g->cred, NULL, NULL);
    if (name != GSS_C_NO_NAME) {
        OM_uint32 ignored;
        gss_release_name(&ignored, &name);
    }
    if (GSS_ERROR(major))
        return wmgw__gss_error(err, WMGW_ECONFIG, major, minor, NULL, "acceptor credentials from the keytab");
    /* SPNEGO offers and accepts Kerberos only: NTLM acceptors are ours
     * (auth/ntlm.h). */
    gss_OID_set_desc krb5_only = {1, &wmgw__gss_oid_krb5};
    major = gss_set_neg_mechs(&minor, g->cred, &krb5_only);
    if (GSS_ERROR(major))
        return wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "SPNEGO mechanisms of the acceptor");
    return 0;
}

static int acquire(struct wmgw_gss_cred *c, struct wmgw__gss_gen **out, struct wmgw_err *err)
{
    struct wmgw__gss_gen *g = NULL;
    bool keytab = c->keytab != NULL || c->keytab_path != NULL;
    bool by_password = !c->acceptor && !keytab;
    int rc = new_gen(&g, keytab || (by_password && c->mech != WMGW_GSS_NTLM), err);
    if (rc != 0)
        return rc;
    if (c->acceptor)
        rc = acquire_acceptor(c, g, err);
    else if (keytab)
        rc = acquire_with_keytab(c, g, err);
    else if (c->mech == WMGW_GSS_KERBEROS)
        rc = acquire_krb5_with_password(c, g, err);
    else if (c->mech == WMGW_GSS_NEGOTIATE)
        rc = acquire_negotiate_with_password(c, g, err);
    else
        rc = acquire_ntlm_with_password(c, g, err);
    OM_uint32 minor, major;
    if (rc == 0 && c->mech == WMGW_GSS_NEGOTIATE && !c->acceptor) {
        gss_OID_desc offered[2] = {wmgw__gss_oid_krb5, wmgw__gss_oid_ntlm};
        gss_OID_set_desc set = {keytab ? 1 : 2, offered};
        major = gss_set_neg_mechs(&minor, g->cred, &set);
        if (GSS_ERROR(major))
            rc = wmgw__gss_error(err, WMGW_EINTERNAL, major, minor, NULL, "Negotiate: mechanisms to offer");
    }
    if (rc == 0) {
        gss_name_t name = GSS_C_NO_NAME;
        g->lifetime = GSS_C_INDEFINITE;
        major = gss_inquire_cred(&minor, g->cred, c->acceptor ? NULL : &name, &g->lifetime, NULL, NULL);
        if (!GSS_ERROR(major) && name != GSS_C_NO_NAME) {
            gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
            if (!GSS_ERROR(gss_display_name(&minor, name, &text, NULL)))
                snprintf(c->name, sizeof(c->name), "%.*s", (int)text.length, (const char *)text.value);
            gss_release_buffer(&minor, &text);
        }
        if (name != GSS_C_NO_NAME)
            gss_release_name(&minor, &name);
        const char *at = strrchr(c->name, '@');
        if (at != NULL && c->mech != WMGW_GSS_NTLM)
            snprintf(c->realm, sizeof(c->realm), "%s", at + 1);
    }
    if (rc != 0) {
        wmgw__gss_gen_release(g);
        return rc;
    }
    *out = g;
    return 0;
}

/* ---- the credential ---- */

void wmgw_gss_cred_free(struct wmgw_gss_cred *c)
{
    if (c == NULL)
        return;
    wmgw__gss_gen_release(c->gen);
    wmgw_secret_free(c->password);
    wmgw_secret_free(c->keytab);
    free(c->principal);
    free(c->ntlm_name);
    free(c->keytab_path);
    free(c->spn);
    free(c->ntlm_users_file);
    free(c->ntlm_acceptor_name);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int cred_alloc(struct wmgw_gss_cred **out, struct wmgw_err *err)
{
    struct wmgw_gss_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return 0;
}

static int keep_keytab(struct wmgw_gss_cred *c, const uint8_t *p, size_t len, struct wmgw_err *err)
{
    if (len == 0 || len > WMGW_GSS_MAX_KEYTAB)
        return wmgw_err_set(err, len == 0 ? WMGW_EINVAL : WMGW_ETOOBIG, "keytab: 1 to %d bytes",
                            WMGW_GSS_MAX_KEYTAB);
    return wmgw_secret_from_bytes(p, len, &c->keytab, err);
}

static int first_acquire(struct wmgw_gss_cred *c, struct wmgw_gss_cred **out, struct wmgw_err *err)
{
    int rc = acquire(c, &c->gen, err);
    if (rc != 0) {
        wmgw_gss_cred_free(c);
        return rc;
    }
    c->generation = 1;
    *out = c;
    return 0;
}

int wmgw_gss_cred_new(const struct wmgw_gss_cred_config *cfg, struct wmgw_gss_cred **out, struct wmgw_err *err)
{
    if (cfg->mech != WMGW_GSS_KERBEROS && cfg->mech != WMGW_GSS_NTLM && cfg->mech != WMGW_GSS_NEGOTIATE)
        return wmgw_err_set(err, WMGW_EINVAL, "unknown mechanism %d", (int)cfg->mech);
    bool by_keytab = cfg->keytab != NULL;
    if (by_keytab == (cfg->password != NULL))
        return wmgw_err_set(err, WMGW_EINVAL, "%s: give a password or a keytab, not %s",
                            wmgw_gss_mech_name(cfg->mech), by_keytab ? "both" : "neither");
    if (by_keytab && cfg->mech == WMGW_GSS_NTLM)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: a keytab holds Kerberos keys, not an NTLM secret");
    if (cfg->user == NULL && !by_keytab)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: no user", wmgw_gss_mech_name(cfg->mech));
    if (cfg->password != NULL && strlen(cfg->password) > 1024)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: password longer than 1024 bytes", wmgw_gss_mech_name(cfg->mech));
    struct wmgw_gss_cred *c = NULL;
    int rc = cred_alloc(&c, err);
    if (rc != 0)
        return rc;
    c->mech = cfg->mech;
    c->renew_before_s = cfg->renew_before_s > 0 ? cfg->renew_before_s : WMGW_GSS_DEFAULT_RENEW_BEFORE_S;
    if (cfg->user != NULL)
        rc = make_names(c, cfg->user, cfg->domain, err);
    if (rc == 0 && cfg->password != NULL)
        rc = wmgw_secret_from_string(cfg->password, &c->password, err);
    if (rc == 0 && by_keytab)
        rc = keep_keytab(c, cfg->keytab, cfg->keytab_len, err);
    if (rc != 0) {
        wmgw_gss_cred_free(c);
        return rc;
    }
    return first_acquire(c, out, err);
}

/* NTLM inside SPNEGO from a users file (gss.h). */
static int ntlm_acceptor_new(const struct wmgw_gss_acceptor_config *cfg, struct wmgw_gss_cred **out,
                             struct wmgw_err *err)
{
    if (cfg->keytab_path != NULL || cfg->keytab != NULL || cfg->spn != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM acceptor: a users file, without keytab or SPN");
    if (cfg->ntlm_computer == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM acceptor: no computer name");
    int rc = check_name("NTLM users file", cfg->ntlm_users_file, err);
    if (rc == 0)
        rc = check_name("NTLM computer name", cfg->ntlm_computer, err);
    if (rc == 0 && (strchr(cfg->ntlm_computer, '@') != NULL || strchr(cfg->ntlm_computer, '/') != NULL))
        rc = wmgw_err_set(err, WMGW_EINVAL, "NTLM computer name: no '@' or '/'");
    struct wmgw_gss_cred *c = NULL;
    if (rc != 0 || (rc = cred_alloc(&c, err)) != 0)
        return rc;
    c->mech = WMGW_GSS_NTLM;
    c->acceptor = true;
    snprintf(c->name, sizeof(c->name), "%s", cfg->ntlm_computer);
    c->ntlm_users_file = strdup(cfg->ntlm_users_file);
    size_t n = strlen(cfg->ntlm_computer) + 2;
    if (c->ntlm_users_file == NULL || (c->ntlm_acceptor_name = malloc(n)) == NULL) {
        wmgw_gss_cred_free(c);
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    snprintf(c->ntlm_acceptor_name, n, "@%s", cfg->ntlm_computer);
    return first_acquire(c, out, err);
}

int wmgw_gss_acceptor_new(const struct wmgw_gss_acceptor_config *cfg, struct wmgw_gss_cred **out,
                          struct wmgw_err *err)
{
    if (cfg->ntlm_users_file != NULL)
        return ntlm_acceptor_new(cfg, out, err);
    if ((cfg->keytab_path != NULL) == (cfg->keytab != NULL))
        return wmgw_err_set(err, WMGW_EINVAL, "acceptor: give a keytab path or keytab bytes, not %s",
                            cfg->keytab ? "both" : "neither");
    struct wmgw_gss_cred *c = NULL;
    int rc = cred_alloc(&c, err);
    if (rc != 0)
        return rc;
    c->mech = WMGW_GSS_NEGOTIATE;
    c->acceptor = true;
    snprintf(c->name, sizeof(c->name), "%s", cfg->spn ? cfg->spn : "any principal of the keytab");
    if (cfg->keytab_path != NULL) {
        rc = check_name("keytab path", cfg->keytab_path, err);
        if (rc == 0 && (c->keytab_path = strdup(cfg->keytab_path)) == NULL)
            rc = wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    } else {
        rc = keep_keytab(c, cfg->keytab, cfg->keytab_len, err);
    }
    if (rc == 0 && cfg->spn != NULL) {
        rc = check_name("SPN", cfg->spn, err);
        if (rc == 0 && (c->spn = strdup(cfg->spn)) == NULL)
            rc = wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        wmgw_gss_cred_free(c);
        return rc;
    }
    return first_acquire(c, out, err);
}

const char *wmgw_gss_cred_name(const struct wmgw_gss_cred *c)
{
    return c->name;
}

unsigned wmgw_gss_cred_generation(struct wmgw_gss_cred *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned g = c->generation;
    pthread_mutex_unlock(&c->lock);
    return g;
}

/* Seconds the generation's tickets have left (GSS_C_INDEFINITE for NTLM
 * and acceptors), 0 when expired. */
static OM_uint32 remaining(const struct wmgw__gss_gen *g)
{
    OM_uint32 minor, lifetime = 0;
    OM_uint32 major = gss_inquire_cred(&minor, g->cred, NULL, &lifetime, NULL, NULL);
    if (GSS_ERROR(major))
        return 0;
    return lifetime;
}

int wmgw__gss_cred_hold(struct wmgw_gss_cred *c, struct wmgw__gss_gen **out, struct wmgw_err *err)
{
    pthread_mutex_lock(&c->lock);
    if (!c->acceptor) {
        OM_uint32 left = remaining(c->gen);
        if (left != GSS_C_INDEFINITE && (long)left < c->renew_before_s) {
            struct wmgw__gss_gen *fresh;
            struct wmgw_err why;
            int rc = acquire(c, &fresh, &why);
            if (rc == 0) {
                wmgw__gss_gen_release(c->gen);
                c->gen = fresh;
                c->generation++;
            } else if (left == 0) {
                /* Expired and cannot be renewed: say why. */
                pthread_mutex_unlock(&c->lock);
                if (err != NULL)
                    *err = why;
                return rc;
            } /* else: keep using what is left of the old tickets */
        }
    }
    atomic_fetch_add(&c->gen->refs, 1);
    *out = c->gen;
    pthread_mutex_unlock(&c->lock);
    return 0;
}
