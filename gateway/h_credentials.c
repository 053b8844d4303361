/*
 * h_credentials.c: the credential vault over REST (operations
 * listCredentials, createCredential, getCredential, rotateCredential,
 * deleteCredential, listCredentialMappings, createCredentialMapping,
 * deleteCredentialMapping), for administrators (x-wmgw-access: admin).
 *
 * Secrets are write-only: add and rotate take them, nothing returns them.
 * The request body that carried one is wiped in place once parsed, and so
 * are the JSON strings it was parsed into, before they are freed.  Vault
 * writes are synchronous (flock, fsync, rename): rare admin calls, so they
 * run on the worker's loop.
 */
#include "gateway/handlers.h"
#include "gateway/request_wipe.h"
#include "gateway/vault_gw.h"
#include "util/base64.h"
#include "util/url.h"
#include "util/err.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The vault, up to date with its file (another replica may have written
 * it), or NULL with the 501 answered. */
static struct wmgw_vault *vault_or_answer(struct wmgw_request *r)
{
    struct wmgw_vault *v = wmgw_vault_gw();
    if (v == NULL)
        wmgw_respond_problem(r, WMGW_EUNSUPPORTED, "no credential vault is configured ([security] vault)");
    else
        wmgw_vault_refresh(v, NULL, NULL);
    return v;
}

static void respond_err(struct wmgw_request *r, int rc, const struct wmgw_err *err)
{
    wmgw_respond_problem(r, rc, "%s", err->message[0] ? err->message : wmgw_err_summary(rc));
}

static json_t *time_json(int64_t t)
{
    if (t <= 0)
        return json_null();
    char when[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(when);
}

/* What anyone may see of a credential: never the secret. */
static json_t *info_json(const struct wmgw_vault_info *i)
{
    char id[sizeof(i->id) + 20];
    snprintf(id, sizeof(id), "/v1/credentials/%s", i->id);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "@id", id, "id", i->id, "kind",
                     wmgw_vault_kind_name(i->kind), "user", i->user, "domain", i->domain, "created",
                     time_json(i->created), "rotated", time_json(i->rotated), "version", (json_int_t)i->version);
}

/* Wipes every string of a parsed body in place, then frees it. */
static void json_wipe_decref(json_t *j)
{
    if (j == NULL)
        return;
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v)
    {
        if (json_is_string(v))
            OPENSSL_cleanse((void *)json_string_value(v), json_string_length(v));
    }
    json_decref(j);
}

static const char *opt_string(json_t *body, const char *name, bool *bad)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* The secret members of a body into m; keytabs come base64.  *scratch
 * holds decoded bytes (wiped by the caller). */
static int read_material(json_t *body, struct wmgw_vault_material *m, struct wmgw_buf *scratch, struct wmgw_err *err)
{
    bool bad = false;
    memset(m, 0, sizeof(*m));
    const char *pw = opt_string(body, "password", &bad);
    const char *kt = opt_string(body, "keytab", &bad);
    const char *cert = opt_string(body, "certificate", &bad);
    const char *key = opt_string(body, "privateKey", &bad);
    if (bad)
        return wmgw_err_set(err, WMGW_EINVAL, "password, keytab, certificate and privateKey are strings");
    if (pw != NULL) {
        m->password = pw;
        m->password_len = json_string_length(json_object_get(body, "password"));
    }
    if (kt != NULL) {
        if (wmgw_base64_decode(scratch, kt, strlen(kt), WMGW_BASE64_STD) != 0)
            return wmgw_err_set(err, WMGW_EINVAL, "keytab: not standard base64");
        m->keytab = (const uint8_t *)scratch->data;
        m->keytab_len = scratch->len;
    }
    if (cert != NULL) {
        m->cert_pem = cert;
        m->cert_pem_len = strlen(cert);
    }
    if (key != NULL) {
        m->key_pem = key;
        m->key_pem_len = strlen(key);
    }
    return 0;
}

static void wipe_scratch(struct wmgw_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    wmgw_buf_dispose(b);
}

static int parse_kind(const char *s, enum wmgw_vault_kind *out)
{
    static const enum wmgw_vault_kind kinds[] = {WMGW_VAULT_PASSWORD, WMGW_VAULT_KEYTAB, WMGW_VAULT_CERTIFICATE};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(s, wmgw_vault_kind_name(kinds[i])) == 0) {
            *out = kinds[i];
            return 0;
        }
    return WMGW_EINVAL;
}

/* --- credentials ---------------------------------------------------------------------- */

int wmgw_h_list_credentials(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    if (v == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    struct wmgw_vault_info *list = NULL;
    size_t n = 0;
    int rc = wmgw_vault_list(v, &list, &n, &err);
    if (rc != 0) {
        respond_err(r, rc, &err);
        return 0;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, info_json(&list[i]));
    free(list);
    wmgw_respond_json_value(r, 200, json_pack("{s:o}", "items", items), NULL);
    return 0;
}

int wmgw_h_create_credential(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    if (v == NULL)
        return 0;
    json_t *body = wmgw_request_json_body(r);
    wmgw_request_wipe_body(r->req);
    if (body == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    struct wmgw_buf scratch;
    wmgw_buf_init(&scratch, WMGW_VAULT_BLOB_MAX * 2);
    struct wmgw_vault_info info;
    memset(&info, 0, sizeof(info));
    bool bad = false;
    const char *id = opt_string(body, "id", &bad), *kind = opt_string(body, "kind", &bad);
    const char *user = opt_string(body, "user", &bad), *domain = opt_string(body, "domain", &bad);
    struct wmgw_vault_material m;
    int rc = 0;
    if (bad || id == NULL)
        rc = wmgw_err_set(&err, WMGW_EINVAL, "id (a string) is required; kind, user and domain are strings");
    else if (strlen(id) > WMGW_VAULT_ID_MAX || (user && strlen(user) > WMGW_VAULT_NAME_MAX) ||
             (domain && strlen(domain) > WMGW_VAULT_NAME_MAX))
        rc = wmgw_err_set(&err, WMGW_EINVAL, "id, user or domain is too long");
    else if (parse_kind(kind ? kind : "password", &info.kind) != 0)
        rc = wmgw_err_set(&err, WMGW_EINVAL, "kind is password, keytab or certificate");
    if (rc == 0) {
        snprintf(info.id, sizeof(info.id), "%s", id);
        snprintf(info.user, sizeof(info.user), "%s", user ? user : "");
        snprintf(info.domain, sizeof(info.domain), "%s", domain ? domain : "");
        rc = read_material(body, &m, &scratch, &err);
    }
    if (rc == 0) {
        rc = wmgw_vault_add(v, &info, &m, &err);
    }
    if (rc == 0)
        rc = wmgw_vault_get(v, info.id, &info, &err);
    wipe_scratch(&scratch);
    json_wipe_decref(body);
    if (rc != 0) {
        respond_err(r, rc, &err);
        return 0;
    }
    char location[sizeof(info.id) + 20];
    snprintf(location, sizeof(location), "/v1/credentials/%s", info.id);
    wmgw_respond_json_value(r, 201, info_json(&info), location);
    return 0;
}

int wmgw_h_get_credential(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    const char *id = v ? wmgw_request_param(r, "credential") : NULL;
    if (id == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    struct wmgw_vault_info info;
    int rc = wmgw_vault_get(v, id, &info, &err);
    if (rc != 0)
        respond_err(r, rc, &err);
    else
        wmgw_respond_json_value(r, 200, info_json(&info), NULL);
    return 0;
}

int wmgw_h_rotate_credential(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    const char *id = v ? wmgw_request_param(r, "credential") : NULL;
    if (id == NULL)
        return 0;
    json_t *body = wmgw_request_json_body(r);
    wmgw_request_wipe_body(r->req);
    if (body == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    struct wmgw_buf scratch;
    wmgw_buf_init(&scratch, WMGW_VAULT_BLOB_MAX * 2);
    struct wmgw_vault_material m;
    struct wmgw_vault_info info;
    int rc = read_material(body, &m, &scratch, &err);
    if (rc == 0) {
        rc = wmgw_vault_rotate(v, id, &m, &err);
    }
    if (rc == 0)
        rc = wmgw_vault_get(v, id, &info, &err);
    wipe_scratch(&scratch);
    json_wipe_decref(body);
    if (rc != 0)
        respond_err(r, rc, &err);
    else
        wmgw_respond_json_value(r, 200, info_json(&info), NULL);
    return 0;
}

int wmgw_h_delete_credential(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    const char *id = v ? wmgw_request_param(r, "credential") : NULL;
    if (id == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_vault_delete(v, id, &err);
    if (rc != 0)
        respond_err(r, rc, &err);
    else
        wmgw_respond_empty(r, 204);
    return 0;
}

/* --- mappings ------------------------------------------------------------------------- */

static int parse_subject(const char *s, enum wmgw_vault_subject *out)
{
    static const enum wmgw_vault_subject all[] = {WMGW_VAULT_SUBJECT_PRINCIPAL, WMGW_VAULT_SUBJECT_SID,
                                                  WMGW_VAULT_SUBJECT_GROUP};
    for (size_t i = 0; s != NULL && i < 3; i++)
        if (strcmp(s, wmgw_vault_subject_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return WMGW_EINVAL;
}

static json_t *mapping_json(const struct wmgw_vault_mapping *m)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "subjectType", wmgw_vault_subject_name(m->subject_type), "subject",
                     m->subject, "hostGroup", m->host_group, "credential", m->credential);
}

int wmgw_h_list_credential_mappings(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    if (v == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    struct wmgw_vault_mapping *list = NULL;
    size_t n = 0;
    int rc = wmgw_vault_map_list(v, &list, &n, &err);
    if (rc != 0) {
        respond_err(r, rc, &err);
        return 0;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, mapping_json(&list[i]));
    free(list);
    wmgw_respond_json_value(r, 200, json_pack("{s:o}", "items", items), NULL);
    return 0;
}

int wmgw_h_create_credential_mapping(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    if (v == NULL)
        return 0;
    json_t *body = wmgw_request_json_body(r);
    if (body == NULL)
        return 0;
    struct wmgw_err err;
    wmgw_err_clear(&err);
    bool bad = false;
    const char *type = opt_string(body, "subjectType", &bad), *subject = opt_string(body, "subject", &bad);
    const char *group = opt_string(body, "hostGroup", &bad), *cred = opt_string(body, "credential", &bad);
    struct wmgw_vault_mapping m;
    memset(&m, 0, sizeof(m));
    int rc = 0;
    if (bad || subject == NULL || group == NULL || cred == NULL || parse_subject(type, &m.subject_type) != 0)
        rc = wmgw_err_set(&err, WMGW_EINVAL,
                          "want subjectType (principal, sid or group), subject, hostGroup and credential (strings)");
    else if (strlen(subject) > WMGW_VAULT_NAME_MAX || strlen(group) > WMGW_VAULT_ID_MAX ||
             strlen(cred) > WMGW_VAULT_ID_MAX)
        rc = wmgw_err_set(&err, WMGW_EINVAL, "subject, hostGroup or credential is too long");
    if (rc == 0) {
        snprintf(m.subject, sizeof(m.subject), "%s", subject);
        snprintf(m.host_group, sizeof(m.host_group), "%s", group);
        snprintf(m.credential, sizeof(m.credential), "%s", cred);
        rc = wmgw_vault_map_set(v, &m, &err);
    }
    json_decref(body);
    if (rc != 0) {
        respond_err(r, rc, &err);
        return 0;
    }
    /* The mapping has no URL of its own: Location names it as DELETE does. */
    struct wmgw_buf loc;
    wmgw_buf_init(&loc, 4096);
    rc = wmgw_buf_printf(&loc, "/v1/credential-mappings?subjectType=%s&subject=",
                         wmgw_vault_subject_name(m.subject_type));
    if (rc == 0)
        rc = wmgw_url_encode(&loc, m.subject, strlen(m.subject));
    if (rc == 0)
        rc = wmgw_buf_printf(&loc, "&hostGroup=%s", m.host_group);
    if (rc == 0 && wmgw_buf_addc(&loc, '\0') == 0)
        wmgw_respond_json_value(r, 201, mapping_json(&m), loc.data);
    else
        wmgw_respond_problem(r, WMGW_ENOMEM, "out of memory");
    wmgw_buf_dispose(&loc);
    return 0;
}

int wmgw_h_delete_credential_mapping(struct wmgw_request *r)
{
    struct wmgw_vault *v = vault_or_answer(r);
    if (v == NULL)
        return 0;
    bool bad = false;
    const char *type = wmgw_request_query(r, "subjectType", &bad);
    const char *subject = bad ? NULL : wmgw_request_query(r, "subject", &bad);
    const char *group = bad ? NULL : wmgw_request_query(r, "hostGroup", &bad);
    if (bad)
        return 0;
    enum wmgw_vault_subject st;
    if (subject == NULL || group == NULL || parse_subject(type, &st) != 0) {
        wmgw_respond_problem(r, WMGW_EINVAL, "want the query parameters subjectType, subject and hostGroup");
        return 0;
    }
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = wmgw_vault_map_delete(v, st, subject, group, &err);
    if (rc != 0)
        respond_err(r, rc, &err);
    else
        wmgw_respond_empty(r, 204);
    return 0;
}
