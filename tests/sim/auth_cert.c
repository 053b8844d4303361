/*
 * auth_cert.c: WinRM client-certificate authentication for the simulator
 * (auth.h): the "https/mutual" row of the scheme table in server.c.
 *
 * A request whose Authorization is the mutual https secprofile URI is
 * made by the user its TLS client certificate maps to, as a WinRM
 * ClientCertificate mapping does (issuer + subject + URI -> local user):
 * here the issuer is the --client-ca the handshake verified against, the
 * subject is the certificate's UPN (subjectAltName otherName
 * 1.3.6.1.4.1.311.20.2.3) or "*" for any, and the URI is every URI.  The
 * certificate must also carry the clientAuth extended key usage.  Every
 * failure is a plain 401, as WinRM answers: no certificate, one that did
 * not verify (untrusted issuer, expired), no clientAuth, no mapping, a
 * mapping to an unknown user, the header over plain HTTP.  Mappings are
 * checked at start: each names a user of --user/--users.
 *
 * The certificate authenticates the TLS connection, but WinRM clients
 * send the header on every request, so each request is checked on its own
 * and the connection is never marked authenticated.
 *
 * SECURITY
 *      The certificate comes from the network: OpenSSL verified its chain
 *      during the handshake (tls.c keeps the verdict); the UPN is read
 *      bounded and refused when it holds a NUL.  The simulator never sees
 *      a client's private key.
 */
#include "tests/sim/auth.h"
#include "tests/sim/host.h"
#include "tests/sim/security.h"
#include "tests/sim/server.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CERT_MAPS_MAX 256

int sim_auth_cert_map_add(struct sim_server *s, const char *spec, struct wmgw_err *err)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || eq[1] == '\0' || (size_t)(eq - spec) >= SIM_AUTH_UPN_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "--cert-map %.80s: want UPN=USER (UPN \"*\": any certificate)", spec);
    const char *user = eq + 1;
    bool known = false;
    for (size_t i = 0; i < s->fleet->nusers && !known; i++)
        known = strcasecmp(s->fleet->users[i].name, user) == 0;
    if (!known)
        return wmgw_err_set(err, WMGW_EINVAL, "--cert-map %.80s: no user %.80s (give it with --user or --users first)",
                            spec, user);
    if (s->ncert_maps >= CERT_MAPS_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "--cert-map: at most %d mappings", CERT_MAPS_MAX);
    struct sim_cert_map *m = realloc(s->cert_maps, (s->ncert_maps + 1) * sizeof(*m));
    if (m == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    s->cert_maps = m;
    m = &s->cert_maps[s->ncert_maps];
    m->upn = strndup(spec, (size_t)(eq - spec));
    m->user = strdup(user);
    if (m->upn == NULL || m->user == NULL) {
        free(m->upn);
        free(m->user);
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    s->ncert_maps++;
    return 0;
}

void sim_auth_cert_maps_free(struct sim_server *s)
{
    for (size_t i = 0; i < s->ncert_maps; i++) {
        free(s->cert_maps[i].upn);
        free(s->cert_maps[i].user);
    }
    free(s->cert_maps);
    s->cert_maps = NULL;
    s->ncert_maps = 0;
}

const char *sim_auth_cert_map_find(const struct sim_server *s, const char *upn)
{
    const char *any = NULL;
    for (size_t i = 0; i < s->ncert_maps; i++) {
        if (upn[0] != '\0' && strcasecmp(s->cert_maps[i].upn, upn) == 0)
            return s->cert_maps[i].user;
        if (any == NULL && strcmp(s->cert_maps[i].upn, "*") == 0)
            any = s->cert_maps[i].user;
    }
    return any;
}

int sim_auth_cert_upn(X509 *cert, char out[SIM_AUTH_UPN_MAX], struct wmgw_err *err)
{
    out[0] = '\0';
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int rc = 0;
    for (int i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_OTHERNAME || OBJ_obj2nid(g->d.otherName->type_id) != NID_ms_upn)
            continue;
        const ASN1_TYPE *v = g->d.otherName->value;
        if (v == NULL || v->type != V_ASN1_UTF8STRING) {
            rc = wmgw_err_set(err, WMGW_EINVAL, "certificate: the UPN is not a UTF8String");
            break;
        }
        const ASN1_UTF8STRING *u = v->value.utf8string;
        if (u->length <= 0 || u->length >= SIM_AUTH_UPN_MAX || memchr(u->data, '\0', (size_t)u->length) != NULL) {
            rc = wmgw_err_set(err, WMGW_EINVAL, "certificate: a UPN of %d bytes (1..%d, no NUL)", u->length,
                              SIM_AUTH_UPN_MAX - 1);
            break;
        }
        memcpy(out, u->data, (size_t)u->length);
        out[u->length] = '\0';
        break;
    }
    GENERAL_NAMES_free(sans);
    return rc;
}

int sim_auth_cert_step(struct sim_auth_call *call)
{
    struct sim_server *s = call->server;
    if (!call->tls) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "certificate authentication over plain HTTP");
        return SIM_AUTH_DENIED;
    }
    if (!s->client_ca) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "certificate authentication: no --client-ca");
        return SIM_AUTH_DENIED;
    }
    SSL *ssl = sim_tls_ssl(s, call->req);
    X509 *cert = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
    if (cert == NULL) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "certificate authentication: no client certificate");
        return SIM_AUTH_DENIED;
    }
    long verdict = SSL_get_verify_result(ssl);
    if (verdict != X509_V_OK) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "client certificate not accepted: %s",
                     X509_verify_cert_error_string(verdict));
        return SIM_AUTH_DENIED;
    }
    if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0 ||
        (X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT) == 0) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "client certificate without the clientAuth extended key usage");
        return SIM_AUTH_DENIED;
    }
    char upn[SIM_AUTH_UPN_MAX];
    if (sim_auth_cert_upn(cert, upn, &call->err) != 0)
        return SIM_AUTH_DENIED;
    const char *user = sim_auth_cert_map_find(s, upn);
    if (user == NULL) {
        wmgw_err_set(&call->err, WMGW_EAUTH, "client certificate %s%.200s: no --cert-map for it",
                     upn[0] ? "of " : "", upn[0] ? upn : "without a UPN");
        return SIM_AUTH_DENIED;
    }
    /* The mapped user is the caller of this request (namespace security). */
    sim_security_set_caller(s->fleet, user);
    if (s->verbose)
        fprintf(stderr, "wmsim: certificate %s -> user %s\n", upn[0] ? upn : "(no UPN)", user);
    return SIM_AUTH_OK;
}
