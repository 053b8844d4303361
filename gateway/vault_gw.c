/*
 * vault_gw.c: the gateway's vault: opening it at start, and the
 * credential of each backend call (vault_gw.h).
 */
#include "gateway/vault_gw.h"
#include "gateway/exec.h"
#include "gateway/principal.h"
#include "util/err.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct wmgw_vault *vault;

struct wmgw_vault *wmgw_vault_gw(void)
{
    return vault;
}

int wmgw_vault_gw_start(const struct wmgw_config *c, struct wmgw_err *err)
{
    if (c->vault_path == NULL || c->vault_path[0] == '\0') {
        for (size_t i = 0; i < c->nhosts; i++)
            if (c->hosts[i].credential != NULL)
                return wmgw_err_set(err, WMGW_ECONFIG, "host %s: credential = %.64s but no [security] vault",
                                    c->hosts[i].backend->name, c->hosts[i].credential);
        return 0;
    }
    struct wmgw_vault_key *key = NULL;
    struct wmgw_err kerr;
    wmgw_err_clear(&kerr);
    int rc;
    const char *env = getenv("WMGW_VAULT_KEY");
    if (c->vault_key_file != NULL && c->vault_key_file[0] != '\0')
        rc = wmgw_vault_key_load_file(c->vault_key_file, &key, &kerr);
    else if (env != NULL)
        rc = wmgw_vault_key_from_base64(env, &key, &kerr);
    else
        return wmgw_err_set(err, WMGW_ECONFIG,
                            "[security] vault = %.200s needs a key: vault-key-file or WMGW_VAULT_KEY", c->vault_path);
    if (env != NULL) {
        /* /proc/PID/environ would keep it readable: drop it once read. */
        OPENSSL_cleanse((char *)env, strlen(env));
        unsetenv("WMGW_VAULT_KEY");
    }
    if (rc != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "vault key: %.400s", kerr.message);
    rc = wmgw_vault_open(c->vault_path, key, &vault, &kerr);
    wmgw_vault_key_free(key);
    if (rc != 0) {
        vault = NULL;
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot open the vault %.200s: %.300s%s", c->vault_path, kerr.message,
                            rc == WMGW_EAUTH ? " (wrong key, or the file was changed)" : "");
    }
    for (size_t i = 0; i < c->nhosts; i++) {
        struct wmgw_vault_info info;
        if (c->hosts[i].credential != NULL && wmgw_vault_get(vault, c->hosts[i].credential, &info, NULL) != 0) {
            wmgw_vault_gw_stop();
            return wmgw_err_set(err, WMGW_ECONFIG, "host %s: credential %.64s is not in the vault",
                                c->hosts[i].backend->name, c->hosts[i].credential);
        }
    }
    return 0;
}

void wmgw_vault_gw_stop(void)
{
    wmgw_vault_free(vault);
    vault = NULL;
}

/* --- stable backend ids per (host backend, credential, version) ------------------- */

#define MAX_IDS 4096

struct cred_id {
    uint64_t backend_id, version, id;
    char credential[WMGW_VAULT_ID_MAX + 1];
};

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cred_id ids[MAX_IDS];
static size_t nids;

/* The id the backend for this triple always gets; `fresh` (a new backend's
 * unique id) becomes it the first time. */
static uint64_t stable_id(uint64_t backend_id, const char *credential, uint64_t version, uint64_t fresh)
{
    uint64_t id = fresh;
    pthread_mutex_lock(&ids_lock);
    size_t i;
    for (i = 0; i < nids; i++)
        if (ids[i].backend_id == backend_id && ids[i].version == version &&
            strcmp(ids[i].credential, credential) == 0)
            break;
    if (i < nids) {
        id = ids[i].id;
    } else if (nids < MAX_IDS) { /* beyond: unique ids, pools just do not reuse */
        ids[nids] = (struct cred_id){.backend_id = backend_id, .version = version, .id = fresh};
        snprintf(ids[nids].credential, sizeof(ids[nids].credential), "%s", credential);
        nids++;
    }
    pthread_mutex_unlock(&ids_lock);
    return id;
}

/* --- one call ----------------------------------------------------------------------- */

/* The mapped credential for the caller, or "" when no mapping applies. */
static int resolve_mapping(struct wmgw_exec *x, char out[WMGW_VAULT_ID_MAX + 1], struct wmgw_err *err)
{
    out[0] = '\0';
    const struct wmgw_principal *p = x->r->principal;
    if (vault == NULL || p == NULL)
        return 0;
    struct wmgw_vault_principal who = {
        .name = p->name,
        .sid = p->sid,
        .group_sids = (const char *const *)p->groups,
        .n_group_sids = p->ngroups,
    };
    const struct wmgw_host_config *hc = &x->host->cfg;
    int rc = wmgw_vault_resolve(vault, &who, (const char *const *)hc->groups, hc->ngroups, out, err);
    if (rc == WMGW_EACCES) {
        out[0] = '\0';
        return 0;
    }
    return rc;
}

/* A backend like the host's that authenticates with Kerberos keys: the
 * credential's principal (user, its realm as the domain) and keytab bytes.
 * Only Kerberos (or Negotiate choosing it) can use keys: a DCOM host or one
 * configured for Basic or NTLM is refused, naming both. */
static struct wmgw_backend *keytab_backend(const struct wmgw_backend *hb, const char *id,
                                           const struct wmgw_vault_revealed *rv, struct wmgw_err *err)
{
    const char *auth = hb->auth ? hb->auth : "kerberos";
    if (hb->protocol == WMGW_PROTO_DCOM || (strcasecmp(auth, "kerberos") != 0 && strcasecmp(auth, "negotiate") != 0)) {
        wmgw_err_set(err, WMGW_EUNSUPPORTED, "credential %s is a keytab: host %s needs auth = kerberos or negotiate",
                     id, hb->name);
        return NULL;
    }
    struct wmgw_backend *b = wmgw_backend_copy(hb);
    if (b == NULL)
        return NULL;
    free(b->user);
    OPENSSL_cleanse(b->password, b->password ? strlen(b->password) : 0);
    free(b->password);
    b->password = NULL;
    b->user = strdup(rv->info.user);
    if (rv->info.domain[0] != '\0') {
        free(b->domain);
        b->domain = strdup(rv->info.domain);
    }
    if (hb->auth == NULL)
        b->auth = strdup("kerberos");
    b->keytab = malloc(rv->keytab_len ? rv->keytab_len : 1);
    if (b->user == NULL || b->keytab == NULL || (rv->info.domain[0] != '\0' && b->domain == NULL) ||
        (hb->auth == NULL && b->auth == NULL)) {
        wmgw_backend_unref(b);
        wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(b->keytab, rv->keytab, rv->keytab_len);
    b->keytab_len = rv->keytab_len;
    b->id = stable_id(hb->id, id, rv->info.version, b->id);
    return b;
}

/* A backend like the host's that presents a client certificate (WinRM
 * certificate authentication): https and auth unset or "certificate",
 * else refused (409) before any connection, naming host and credential.
 * The PEM texts go into the backend, whose free wipes them; the TLS layer
 * loads them into this backend id's client context (transport/tls.c). */
static struct wmgw_backend *certificate_backend(const struct wmgw_backend *hb, const char *id,
                                                const struct wmgw_vault_revealed *rv, struct wmgw_err *err)
{
    if (hb->protocol == WMGW_PROTO_DCOM || !hb->tls) {
        wmgw_err_set(err, WMGW_ECONFLICT, "credential %s is a certificate: host %s needs WS-Management over https",
                     id, hb->name);
        return NULL;
    }
    if (hb->auth != NULL && strcasecmp(hb->auth, "certificate") != 0) {
        wmgw_err_set(err, WMGW_ECONFLICT, "credential %s is a certificate: host %s has auth = %s (want certificate)",
                     id, hb->name, hb->auth);
        return NULL;
    }
    struct wmgw_backend *b = wmgw_backend_copy(hb);
    if (b == NULL)
        return NULL;
    free(b->user); /* the host maps the certificate to its user */
    b->user = NULL;
    OPENSSL_cleanse(b->password, b->password ? strlen(b->password) : 0);
    free(b->password);
    b->password = NULL;
    b->cert_pem = malloc(rv->cert_pem_len + 1);
    b->key_pem = malloc(rv->key_pem_len + 1);
    if (hb->auth == NULL)
        b->auth = strdup("certificate");
    if (b->cert_pem == NULL || b->key_pem == NULL || b->auth == NULL) {
        wmgw_backend_unref(b);
        wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(b->cert_pem, rv->cert_pem, rv->cert_pem_len);
    b->cert_pem[rv->cert_pem_len] = '\0';
    b->cert_pem_len = rv->cert_pem_len;
    memcpy(b->key_pem, rv->key_pem, rv->key_pem_len);
    b->key_pem[rv->key_pem_len] = '\0';
    b->key_pem_len = rv->key_pem_len;
    b->id = stable_id(hb->id, id, rv->info.version, b->id);
    return b;
}

/* A backend like the host's, as the credential's user. */
static struct wmgw_backend *credential_backend(const struct wmgw_backend *hb, const char *id,
                                               struct wmgw_vault_info *info, struct wmgw_err *err)
{
    struct wmgw_vault_revealed rv;
    memset(&rv, 0, sizeof(rv));
    int rc = wmgw_vault_reveal(vault, id, &rv, err);
    if (rc != 0)
        return NULL;
    struct wmgw_backend *b = NULL;
    if (rv.info.kind == WMGW_VAULT_KEYTAB) {
        if ((b = keytab_backend(hb, id, &rv, err)) != NULL)
            *info = rv.info;
        goto out;
    }
    if (rv.info.kind == WMGW_VAULT_CERTIFICATE) {
        if ((b = certificate_backend(hb, id, &rv, err)) != NULL)
            *info = rv.info;
        goto out;
    }
    if (rv.info.kind != WMGW_VAULT_PASSWORD) {
        wmgw_err_set(err, WMGW_EUNSUPPORTED, "credential %s is a %s: hosts take passwords, keytabs and certificates",
                     id, wmgw_vault_kind_name(rv.info.kind));
        goto out;
    }
    if (hb->auth != NULL && strcasecmp(hb->auth, "certificate") == 0) {
        wmgw_err_set(err, WMGW_ECONFLICT, "credential %s is a password: host %s has auth = certificate", id, hb->name);
        goto out;
    }
    if ((b = wmgw_backend_copy(hb)) == NULL)
        goto out;
    free(b->user);
    OPENSSL_cleanse(b->password, b->password ? strlen(b->password) : 0);
    free(b->password);
    size_t ul = strlen(rv.info.user) + strlen(rv.info.domain) + 2;
    b->user = malloc(ul);
    b->password = malloc(rv.password_len + 1);
    if (b->user == NULL || b->password == NULL) {
        wmgw_backend_unref(b);
        b = NULL;
        goto out;
    }
    /* "DOMAIN\user": Basic sends it as is, NTLM splits it. */
    if (rv.info.domain[0] != '\0')
        snprintf(b->user, ul, "%s\\%s", rv.info.domain, rv.info.user);
    else
        snprintf(b->user, ul, "%s", rv.info.user);
    memcpy(b->password, rv.password, rv.password_len);
    b->password[rv.password_len] = '\0';
    b->id = stable_id(hb->id, id, rv.info.version, b->id);
    *info = rv.info;
out:
    wmgw_vault_revealed_wipe(&rv);
    if (b == NULL && err != NULL && err->code == 0)
        wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    return b;
}

int wmgw_vault_gw_identity(struct wmgw_exec *x, char id[WMGW_VAULT_ID_MAX + 1], uint64_t *version)
{
    id[0] = '\0';
    *version = 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    /* Another replica may have changed the file: a stat, and a reload
     * only when it did (a failed reload keeps what the handle had). */
    if (vault != NULL)
        wmgw_vault_refresh(vault, NULL, NULL);
    if (resolve_mapping(x, id, &err) != 0) {
        wmgw_respond_problem(x->r, WMGW_EINTERNAL, "credential vault: %s", err.message);
        return -1;
    }
    if (id[0] == '\0' && vault != NULL && x->host->cfg.credential != NULL)
        snprintf(id, WMGW_VAULT_ID_MAX + 1, "%s", x->host->cfg.credential);
    if (id[0] == '\0') {
        if (x->host->cfg.backend->user == NULL && vault != NULL) {
            wmgw_respond_problem(x->r, WMGW_EACCES, "no backend credential for %s on host %s (no mapping, no host credential)",
                                 x->r->principal ? x->r->principal->name : "this caller", x->host_name);
            return -1;
        }
        return 0; /* the host's configured user */
    }
    struct wmgw_vault_info info;
    if (wmgw_vault_get(vault, id, &info, &err) != 0) {
        int code = err.code == WMGW_ENOTFOUND ? WMGW_EINTERNAL : err.code ? err.code : WMGW_EINTERNAL;
        wmgw_respond_problem(x->r, code, "credential %s for host %s: %s", id, x->host_name, err.message);
        return -1;
    }
    *version = info.version;
    return 0;
}

int wmgw_vault_gw_bind(struct wmgw_exec *x, struct wmgw_call *call)
{
    call->credential = NULL;
    call->credential_version = 0;
    char id[WMGW_VAULT_ID_MAX + 1];
    uint64_t version;
    if (wmgw_vault_gw_identity(x, id, &version) != 0)
        return -1;
    if (id[0] == '\0')
        return 0; /* the host's configured user */
    /* The same exec may start several calls (detection, then the operation). */
    if (x->cred_backend == NULL || strcmp(x->credential, id) != 0 || x->credential_version != version) {
        struct wmgw_err err;
        wmgw_err_clear(&err);
        struct wmgw_vault_info info;
        struct wmgw_backend *b = credential_backend(call->backend, id, &info, &err);
        if (b == NULL) {
            int code = err.code == WMGW_ENOTFOUND ? WMGW_EINTERNAL : err.code ? err.code : WMGW_EINTERNAL;
            wmgw_respond_problem(x->r, code, "credential %s for host %s: %s", id, x->host_name, err.message);
            return -1;
        }
        wmgw_backend_unref(x->cred_backend);
        x->cred_backend = b;
        snprintf(x->credential, sizeof(x->credential), "%s", id);
        x->credential_version = info.version;
    }
    call->backend = x->cred_backend;
    call->credential = x->credential;
    call->credential_version = x->credential_version;
    return 0;
}
