/*
 * caller_config.c: the [security], [principal NAME] and [policy NAME]
 * sections (caller.h): reading keys, then resolving them once at start
 * (SIDs, group aliases, hash formats, descriptors) so that a bad
 * principal or policy stops the start instead of failing a request.
 */
#include "gateway/caller.h"
#include "auth/gss.h"
#include "auth/passhash.h"
#include "auth/token.h"
#include "gateway/policy.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 4096 /* principals, policies, list items */

static const char *const implicit_groups[] = {"S-1-1-0", "S-1-5-11", "S-1-5-2"};

void wmgw_security_print_help(void *fp)
{
    static const char *const rows[][3] = {
        {"security", "admin-sddl", "who may administer policies and hosts (default: D:(A;;GA;;;BA))"},
        {"security", "keytab", "keytab of the gateway's HTTP/ service principal: enables Negotiate"},
        {"security", "spn", "answer Negotiate only as this service principal (default: any in the keytab)"},
        {"security", "client-ca", "PEM CAs whose client certificates TLS listeners accept"},
        {"security", "policy-file", "JSON file that keeps policies changed through /v1/policies"},
        {"principal NAME", "sid", "the caller's user SID (required)"},
        {"principal NAME", "groups", "group SIDs or SDDL aliases (BA, ...); Everyone, AU and NU are implicit"},
        {"principal NAME", "token-hash", "SHA-256 hex of a bearer token (wmgw --new-token); repeatable"},
        {"principal NAME", "password-hash", "$scrypt$ hash for HTTP Basic as NAME (wmgw --hash-password)"},
        {"principal NAME", "kerberos", "user@REALM accepted through Negotiate"},
        {"principal NAME", "certificate", "client certificate subject DN (RFC 2253) or subjectAltName"},
        {"policy NAME", "hosts", "host name globs or group:NAME (default: every host); first match decides"},
        {"policy NAME", "namespaces", "namespace globs (default: every namespace)"},
        {"policy NAME", "sddl", "the security descriptor: WMI namespace rights (required)"},
    };
    FILE *out = fp;
    const char *last = "";
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strcmp(rows[i][0], last) != 0)
            fprintf(out, "\n[%s]\n", last = rows[i][0]);
        fprintf(out, "  %-36s %s\n", rows[i][1], rows[i][2]);
    }
}

bool wmgw_security_section(const char *section)
{
    return strcmp(section, "security") == 0 || strncmp(section, "principal ", 10) == 0 ||
           strncmp(section, "policy ", 7) == 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Appends the comma-separated items of value to *v. */
static int add_list(char ***v, size_t *n, const char *value, struct wmgw_err *err)
{
    const char *p = value;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == 0)
            break;
        if (*n >= MAX_ENTRIES)
            return wmgw_err_set(err, WMGW_ECONFIG, "more than %d items", MAX_ENTRIES);
        char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
        if (nv == NULL)
            return WMGW_ENOMEM;
        *v = nv;
        if ((nv[*n] = strndup(p, len)) == NULL)
            return WMGW_ENOMEM;
        (*n)++;
        p += len;
        while (*p != '\0' && *p != ',')
            p++;
    }
    return 0;
}

static int set_string(char **dst, const char *value)
{
    char *s = strdup(value);
    if (s == NULL)
        return WMGW_ENOMEM;
    free(*dst);
    *dst = s;
    return 0;
}

static struct wmgw_principal_config *principal_get(struct wmgw_security *s, const char *name, struct wmgw_err *err)
{
    for (size_t i = 0; i < s->nprincipals; i++)
        if (strcmp(s->principals[i].name, name) == 0)
            return &s->principals[i];
    if (!wmgw_entry_name_valid(name) || s->nprincipals >= MAX_ENTRIES) {
        wmgw_err_set(err, WMGW_ECONFIG, "principal name \"%.60s\": 1-64 letters, digits, '.', '_', '-'", name);
        return NULL;
    }
    struct wmgw_principal_config *v = realloc(s->principals, (s->nprincipals + 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    s->principals = v;
    struct wmgw_principal_config *p = &v[s->nprincipals];
    memset(p, 0, sizeof(*p));
    if ((p->name = strdup(name)) == NULL)
        return NULL;
    s->nprincipals++;
    return p;
}

static struct wmgw_policy_config *policy_get(struct wmgw_security *s, const char *name, struct wmgw_err *err)
{
    for (size_t i = 0; i < s->npolicies; i++)
        if (strcmp(s->policies[i].name, name) == 0)
            return &s->policies[i];
    if (!wmgw_entry_name_valid(name) || s->npolicies >= MAX_ENTRIES) {
        wmgw_err_set(err, WMGW_ECONFIG, "policy name \"%.60s\": 1-64 letters, digits, '.', '_', '-'", name);
        return NULL;
    }
    struct wmgw_policy_config *v = realloc(s->policies, (s->npolicies + 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    s->policies = v;
    struct wmgw_policy_config *p = &v[s->npolicies];
    memset(p, 0, sizeof(*p));
    if ((p->name = strdup(name)) == NULL)
        return NULL;
    s->npolicies++;
    return p;
}

static int set_principal(struct wmgw_principal_config *p, const char *key, const char *value, struct wmgw_err *err)
{
    if (strcmp(key, "sid") == 0)
        return set_string(&p->sid, value);
    if (strcmp(key, "groups") == 0)
        return add_list(&p->groups, &p->ngroups, value, err);
    if (strcmp(key, "token-hash") == 0)
        return add_list(&p->token_hashes, &p->ntokens, value, err);
    if (strcmp(key, "password-hash") == 0)
        return set_string(&p->password_hash, value);
    if (strcmp(key, "kerberos") == 0)
        return set_string(&p->kerberos, value);
    if (strcmp(key, "certificate") == 0)
        return set_string(&p->certificate, value);
    return wmgw_err_set(err, WMGW_ECONFIG, "[principal]: unknown key \"%.60s\" (sid, groups, token-hash, "
                                           "password-hash, kerberos, certificate)", key);
}

static int set_policy(struct wmgw_policy_config *p, const char *key, const char *value, struct wmgw_err *err)
{
    if (strcmp(key, "hosts") == 0)
        return add_list(&p->hosts, &p->nhosts, value, err);
    if (strcmp(key, "namespaces") == 0)
        return add_list(&p->namespaces, &p->nnamespaces, value, err);
    if (strcmp(key, "sddl") == 0)
        return set_string(&p->sddl, value);
    return wmgw_err_set(err, WMGW_ECONFIG, "[policy]: unknown key \"%.60s\" (hosts, namespaces, sddl)", key);
}

int wmgw_security_set(struct wmgw_security **sec, const char *section, const char *key, const char *value,
                      struct wmgw_err *err)
{
    if (*sec == NULL) {
        if ((*sec = calloc(1, sizeof(**sec))) == NULL)
            return WMGW_ENOMEM;
        wmgw_sd_init(&(*sec)->admin_sd);
    }
    struct wmgw_security *s = *sec;
    if (strcmp(section, "security") == 0) {
        if (strcmp(key, "admin-sddl") == 0)
            return set_string(&s->admin_sddl, value);
        if (strcmp(key, "keytab") == 0)
            return set_string(&s->keytab, value);
        if (strcmp(key, "spn") == 0)
            return set_string(&s->spn, value);
        if (strcmp(key, "client-ca") == 0)
            return set_string(&s->client_ca, value);
        if (strcmp(key, "policy-file") == 0)
            return set_string(&s->policy_file, value);
        return wmgw_err_set(err, WMGW_ECONFIG, "[security]: unknown key \"%.60s\" (admin-sddl, keytab, spn, "
                                               "client-ca, policy-file)", key);
    }
    if (strncmp(section, "principal ", 10) == 0) {
        struct wmgw_principal_config *p = principal_get(s, section + 10, err);
        if (p == NULL)
            return err && err->code ? err->code : WMGW_ENOMEM;
        return set_principal(p, key, value, err);
    }
    if (strncmp(section, "policy ", 7) == 0) {
        struct wmgw_policy_config *p = policy_get(s, section + 7, err);
        if (p == NULL)
            return err && err->code ? err->code : WMGW_ENOMEM;
        return set_policy(p, key, value, err);
    }
    return wmgw_err_set(err, WMGW_ECONFIG, "unknown section [%.60s]", section);
}

/* ---- resolving ---- */

static int add_group(struct wmgw_principal_config *p, const struct wmgw_sid *sid)
{
    for (size_t i = 0; i < p->ngroup_sids; i++)
        if (wmgw_sid_equal(&p->group_sids[i], sid))
            return 0;
    if (p->ngroup_sids >= WMGW_CALLER_MAX_GROUPS)
        return WMGW_ECONFIG;
    p->group_sids[p->ngroup_sids++] = *sid;
    return 0;
}

static int resolve_principal(struct wmgw_principal_config *p, struct wmgw_err *err)
{
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (p->sid == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: sid is required", p->name);
    size_t used = 0;
    if (wmgw_sid_parse_sddl(&p->user_sid, p->sid, strlen(p->sid), &used, NULL, &e) != 0 || used != strlen(p->sid))
        return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: sid: %s", p->name,
                            e.message[0] ? e.message : "not one SID");
    p->group_sids = calloc(WMGW_CALLER_MAX_GROUPS, sizeof(*p->group_sids));
    if (p->group_sids == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < p->ngroups; i++) {
        struct wmgw_sid g;
        const char *t = p->groups[i];
        used = 0;
        if (wmgw_sid_parse_sddl(&g, t, strlen(t), &used, NULL, &e) != 0 || used != strlen(t))
            return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: groups: \"%.60s\": %s", p->name, t,
                                e.message[0] ? e.message : "not a SID or SDDL alias");
        if (add_group(p, &g) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: more than %d groups", p->name,
                                WMGW_CALLER_MAX_GROUPS - 3);
    }
    for (size_t i = 0; i < sizeof(implicit_groups) / sizeof(implicit_groups[0]); i++) {
        struct wmgw_sid g;
        if (wmgw_sid_parse(&g, implicit_groups[i], strlen(implicit_groups[i]), NULL) != 0 || add_group(p, &g) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: more than %d groups", p->name,
                                WMGW_CALLER_MAX_GROUPS - 3);
    }
    for (size_t i = 0; i < p->ntokens; i++)
        if (wmgw_token_parse_hash(p->token_hashes[i], &e) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: token-hash: %s (wmgw --new-token makes one)",
                                p->name, e.message);
    if (p->password_hash != NULL) {
        struct wmgw_passhash ph;
        int rc = wmgw_passhash_parse(p->password_hash, strlen(p->password_hash), &ph, &e);
        OPENSSL_cleanse(&ph, sizeof(ph));
        if (rc != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: password-hash: %s (wmgw --hash-password makes one)",
                                p->name, e.message);
    }
    if (p->kerberos != NULL && (strchr(p->kerberos, '@') == NULL || strlen(p->kerberos) > WMGW_GSS_MAX_NAME))
        return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: kerberos: want user@REALM", p->name);
    /* What callers and the vault read (principal.h). */
    char text[WMGW_SID_TEXT_MAX];
    wmgw_sid_format(&p->user_sid, text);
    if ((p->sid_text = strdup(text)) == NULL ||
        (p->group_texts = calloc(p->ngroup_sids ? p->ngroup_sids : 1, sizeof(char *))) == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < p->ngroup_sids; i++) {
        wmgw_sid_format(&p->group_sids[i], text);
        if ((p->group_texts[i] = strdup(text)) == NULL)
            return WMGW_ENOMEM;
    }
    p->principal.name = p->name;
    p->principal.sid = p->sid_text;
    p->principal.groups = (const char **)p->group_texts;
    p->principal.ngroups = p->ngroup_sids;
    return 0;
}

int wmgw_security_validate(struct wmgw_security *s, struct wmgw_err *err)
{
    if (s == NULL)
        return 0;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    const char *admin = s->admin_sddl ? s->admin_sddl : WMGW_DEFAULT_ADMIN_SDDL;
    wmgw_sd_dispose(&s->admin_sd);
    if (wmgw_sddl_parse(&s->admin_sd, admin, strlen(admin), NULL, &e) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "[security] admin-sddl: %s", e.message);
    for (size_t i = 0; i < s->nprincipals; i++) {
        int rc = resolve_principal(&s->principals[i], err);
        if (rc != 0)
            return rc == WMGW_ENOMEM ? wmgw_err_set(err, rc, "out of memory") : rc;
    }
    /* The same token or Kerberos name for two principals is ambiguous. */
    free(s->token_hashes);
    free(s->token_owner);
    s->ntokens = 0;
    size_t total = 0;
    for (size_t i = 0; i < s->nprincipals; i++)
        total += s->principals[i].ntokens;
    s->token_hashes = calloc(total ? total : 1, sizeof(*s->token_hashes));
    s->token_owner = calloc(total ? total : 1, sizeof(*s->token_owner));
    if (s->token_hashes == NULL || s->token_owner == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < s->nprincipals; i++)
        for (size_t k = 0; k < s->principals[i].ntokens; k++) {
            const char *h = s->principals[i].token_hashes[k];
            for (size_t j = 0; j < s->ntokens; j++)
                if (strcmp(s->token_hashes[j], h) == 0)
                    return wmgw_err_set(err, WMGW_ECONFIG, "principal %s: token-hash also belongs to %s",
                                        s->principals[i].name, s->principals[s->token_owner[j]].name);
            s->token_hashes[s->ntokens] = h;
            s->token_owner[s->ntokens++] = i;
        }
    for (size_t i = 0; i < s->nprincipals; i++)
        for (size_t j = i + 1; j < s->nprincipals; j++)
            if (s->principals[i].kerberos && s->principals[j].kerberos &&
                strcmp(s->principals[i].kerberos, s->principals[j].kerberos) == 0)
                return wmgw_err_set(err, WMGW_ECONFIG, "principals %s and %s: same kerberos name",
                                    s->principals[i].name, s->principals[j].name);
    for (size_t i = 0; i < s->npolicies; i++)
        if (wmgw_policy_check_config(&s->policies[i], &e) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "%s", e.message);
    return 0;
}

int wmgw_security_start(struct wmgw_security *s, struct wmgw_err *err)
{
    if (s == NULL)
        return 0;
    struct wmgw_passhash_cache_config pc = {0};
    int rc = wmgw_passhash_cache_new(&pc, &s->pwcache, err);
    if (rc != 0)
        return rc;
    if ((s->guard = wmgw_basic_guard_new(s->nprincipals)) == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    if (s->keytab != NULL) {
        struct wmgw_gss_acceptor_config ac = {.keytab_path = s->keytab, .spn = s->spn};
        struct wmgw_err e;
        wmgw_err_clear(&e);
        if ((rc = wmgw_gss_acceptor_new(&ac, &s->acceptor, &e)) != 0)
            return wmgw_err_set(err, WMGW_ECONFIG, "[security] keytab %s: %s", s->keytab, e.message);
    }
    /* Policies the admin API changed before a restart win over the file's. */
    bool found = false;
    if (s->policy_file != NULL && (rc = wmgw_policies_load(s->policy_file, &s->store, &found, err)) != 0)
        return rc;
    return found ? 0 : wmgw_policies_new(s->policies, s->npolicies, &s->store, err);
}

const struct wmgw_principal_config *wmgw_security_principal(const struct wmgw_security *s, const char *name,
                                                            size_t len)
{
    for (size_t i = 0; s != NULL && i < s->nprincipals; i++)
        if (strlen(s->principals[i].name) == len && memcmp(s->principals[i].name, name, len) == 0)
            return &s->principals[i];
    return NULL;
}

void wmgw_caller_token(const struct wmgw_principal_config *p, struct wmgw_token *tok)
{
    memset(tok, 0, sizeof(*tok));
    tok->user = p->user_sid;
    tok->groups = p->group_sids;
    tok->group_count = p->ngroup_sids;
}

void wmgw_security_free(struct wmgw_security *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nprincipals; i++) {
        struct wmgw_principal_config *p = &s->principals[i];
        free(p->name);
        free(p->sid);
        free_list(p->groups, p->ngroups);
        free_list(p->token_hashes, p->ntokens);
        free(p->password_hash);
        free(p->kerberos);
        free(p->certificate);
        free(p->group_sids);
        free(p->sid_text);
        free_list(p->group_texts, p->group_texts ? p->ngroup_sids : 0);
    }
    free(s->principals);
    for (size_t i = 0; i < s->npolicies; i++)
        wmgw_policy_config_dispose(&s->policies[i]);
    free(s->policies);
    free(s->admin_sddl);
    free(s->keytab);
    free(s->spn);
    free(s->client_ca);
    free(s->policy_file);
    wmgw_sd_dispose(&s->admin_sd);
    free(s->token_hashes);
    free(s->token_owner);
    if (s->pwcache != NULL)
        wmgw_passhash_cache_free(s->pwcache);
    wmgw_basic_guard_free(s->guard);
    if (s->acceptor != NULL)
        wmgw_gss_cred_free(s->acceptor);
    wmgw_policies_free(s->store);
    free(s);
}
