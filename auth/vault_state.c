/*
 * vault_state.c: the vault's in-memory model (vault_int.h): credentials
 * (metadata and sealed secret) and mappings in stored order; copying,
 * finding, adding, removing; and the checks every name passes, whether it
 * comes from the admin API or from the file.
 *
 * Writers change a copy and install it whole (vault_store.c), so a model
 * that readers can see is never modified.
 *
 * Names:
 *   id, host group   1..64 of [A-Za-z0-9._-], starting with a letter or digit
 *   user, domain,    well-formed UTF-8 without control characters, at most
 *   principal name   256 bytes (user required but for certificates)
 *   SID              "S-1-" then digits, hex digits, 'x' and '-', at most
 *                    184 bytes; SIDs are parsed elsewhere (auth/sid.h), this
 *                    only keeps odd bytes out of the file
 */
#include "auth/vault_int.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_names[] = {[WMGW_VAULT_PASSWORD] = "password",
                                         [WMGW_VAULT_KEYTAB] = "keytab",
                                         [WMGW_VAULT_CERTIFICATE] = "certificate"};
static const char *const subject_names[] = {[WMGW_VAULT_SUBJECT_PRINCIPAL] = "principal",
                                            [WMGW_VAULT_SUBJECT_SID] = "sid",
                                            [WMGW_VAULT_SUBJECT_GROUP] = "group"};

const char *wmgw_vault_kind_name(enum wmgw_vault_kind kind)
{
    return kind >= WMGW_VAULT_PASSWORD && kind <= WMGW_VAULT_CERTIFICATE ? kind_names[kind] : "?";
}

const char *wmgw_vault_subject_name(enum wmgw_vault_subject s)
{
    return s >= WMGW_VAULT_SUBJECT_PRINCIPAL && s <= WMGW_VAULT_SUBJECT_GROUP ? subject_names[s] : "?";
}

int wmgw__vault_kind_parse(const char *s, enum wmgw_vault_kind *out)
{
    for (int k = WMGW_VAULT_PASSWORD; k <= WMGW_VAULT_CERTIFICATE; k++)
        if (strcmp(s, kind_names[k]) == 0) {
            *out = (enum wmgw_vault_kind)k;
            return 0;
        }
    return WMGW_EINVAL;
}

int wmgw__vault_subject_parse(const char *s, enum wmgw_vault_subject *out)
{
    for (int k = WMGW_VAULT_SUBJECT_PRINCIPAL; k <= WMGW_VAULT_SUBJECT_GROUP; k++)
        if (strcmp(s, subject_names[k]) == 0) {
            *out = (enum wmgw_vault_subject)k;
            return 0;
        }
    return WMGW_EINVAL;
}

/* ---- checks ---- */

static bool alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int wmgw__vault_check_id(const char *s, size_t n, const char *what, struct wmgw_err *err)
{
    if (n == 0 || n > WMGW_VAULT_ID_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "%s must be 1 to %d characters", what, WMGW_VAULT_ID_MAX);
    if (!alnum(s[0]))
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "%s must start with a letter or digit", what);
    for (size_t i = 1; i < n; i++)
        if (!alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "%s may only hold letters, digits, '.', '_', '-'",
                                   what);
    return 0;
}

int wmgw__vault_check_name(const char *s, size_t n, bool required, const char *what, struct wmgw_err *err)
{
    if (n > WMGW_VAULT_NAME_MAX || (required && n == 0))
        return wmgw_err_set(err, WMGW_EINVAL, "%s must be %d to %d bytes", what, required ? 1 : 0,
                            WMGW_VAULT_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "%s holds a control character", what);
    if (!wmgw_utf8_valid(s, n))
        return wmgw_err_set(err, WMGW_EINVAL, "%s is not UTF-8", what);
    return 0;
}

static int check_sid(const char *s, size_t n, const char *what, struct wmgw_err *err)
{
    if (n < 5 || n > WMGW_VAULT_SID_MAX || memcmp(s, "S-1-", 4) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "%s is not a SID string (S-1-...)", what);
    for (size_t i = 4; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x' ||
              c == 'X' || c == '-'))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "%s holds a character no SID string has", what);
    }
    return 0;
}

int wmgw__vault_check_subject(enum wmgw_vault_subject type, const char *s, size_t n, const char *what,
                              struct wmgw_err *err)
{
    switch (type) {
    case WMGW_VAULT_SUBJECT_PRINCIPAL:
        return wmgw__vault_check_name(s, n, true, what, err);
    case WMGW_VAULT_SUBJECT_SID:
    case WMGW_VAULT_SUBJECT_GROUP:
        return check_sid(s, n, what, err);
    }
    return wmgw_err_set(err, WMGW_EINVAL, "%s: unknown subject type", what);
}

/* Length of a fixed char array's string, which must be terminated. */
static int field_len(const char *s, size_t cap, size_t *n)
{
    *n = strnlen(s, cap);
    return *n < cap ? 0 : WMGW_EINVAL;
}

int wmgw__vault_check_info(const struct wmgw_vault_info *info, const char *what, struct wmgw_err *err)
{
    char w[96];
    size_t id_len, user_len, domain_len;
    if (field_len(info->id, sizeof(info->id), &id_len) != 0 ||
        field_len(info->user, sizeof(info->user), &user_len) != 0 ||
        field_len(info->domain, sizeof(info->domain), &domain_len) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: unterminated field", what);
    snprintf(w, sizeof(w), "%s id", what);
    int rc = wmgw__vault_check_id(info->id, id_len, w, err);
    if (rc == 0 && (info->kind < WMGW_VAULT_PASSWORD || info->kind > WMGW_VAULT_CERTIFICATE))
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s kind must be password, keytab or certificate", what);
    snprintf(w, sizeof(w), "%s user", what);
    if (rc == 0)
        rc = wmgw__vault_check_name(info->user, user_len, info->kind != WMGW_VAULT_CERTIFICATE, w, err);
    snprintf(w, sizeof(w), "%s domain", what);
    if (rc == 0)
        rc = wmgw__vault_check_name(info->domain, domain_len, false, w, err);
    return rc;
}

int wmgw__vault_check_mapping(const struct wmgw_vault_mapping *m, const char *what, struct wmgw_err *err)
{
    char w[96];
    size_t subject_len, group_len, cred_len;
    if (field_len(m->subject, sizeof(m->subject), &subject_len) != 0 ||
        field_len(m->host_group, sizeof(m->host_group), &group_len) != 0 ||
        field_len(m->credential, sizeof(m->credential), &cred_len) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: unterminated field", what);
    snprintf(w, sizeof(w), "%s subject", what);
    int rc = wmgw__vault_check_subject(m->subject_type, m->subject, subject_len, w, err);
    snprintf(w, sizeof(w), "%s host_group", what);
    if (rc == 0)
        rc = wmgw__vault_check_id(m->host_group, group_len, w, err);
    snprintf(w, sizeof(w), "%s credential", what);
    if (rc == 0)
        rc = wmgw__vault_check_id(m->credential, cred_len, w, err);
    return rc;
}

/* ---- the model ---- */

struct wmgw__vault_state *wmgw__vault_state_new(void)
{
    return calloc(1, sizeof(struct wmgw__vault_state));
}

void wmgw__vault_state_free(struct wmgw__vault_state *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n_entries; i++)
        free(st->entries[i].sealed);
    free(st->entries);
    free(st->maps);
    free(st);
}

/* Room for one more element in an array of count used, cap allocated. */
static int grow(void **array, size_t *cap, size_t count, size_t size, size_t limit, const char *what,
                struct wmgw_err *err)
{
    if (count >= limit)
        return wmgw_err_set(err, WMGW_ETOOBIG, "a vault holds at most %zu %s", limit, what);
    if (count < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 8;
    if (n > limit)
        n = limit;
    void *p = realloc(*array, n * size);
    if (p == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for vault %s", what);
    *array = p;
    *cap = n;
    return 0;
}

int wmgw__vault_state_add_entry(struct wmgw__vault_state *st, const struct wmgw_vault_info *info, uint8_t *sealed,
                                size_t sealed_len, struct wmgw_err *err)
{
    int rc = grow((void **)&st->entries, &st->cap_entries, st->n_entries, sizeof(st->entries[0]),
                  WMGW_VAULT_MAX_CREDENTIALS, "credentials", err);
    if (rc != 0)
        return rc;
    struct wmgw__vault_entry *e = &st->entries[st->n_entries++];
    e->info = *info;
    e->sealed = sealed;
    e->sealed_len = sealed_len;
    return 0;
}

int wmgw__vault_state_add_mapping(struct wmgw__vault_state *st, const struct wmgw_vault_mapping *m,
                                  struct wmgw_err *err)
{
    int rc = grow((void **)&st->maps, &st->cap_maps, st->n_maps, sizeof(st->maps[0]), WMGW_VAULT_MAX_MAPPINGS,
                  "mappings", err);
    if (rc == 0)
        st->maps[st->n_maps++] = *m;
    return rc;
}

void wmgw__vault_state_remove_entry(struct wmgw__vault_state *st, size_t i)
{
    free(st->entries[i].sealed);
    memmove(&st->entries[i], &st->entries[i + 1], (st->n_entries - i - 1) * sizeof(st->entries[0]));
    st->n_entries--;
}

void wmgw__vault_state_remove_mapping(struct wmgw__vault_state *st, size_t i)
{
    memmove(&st->maps[i], &st->maps[i + 1], (st->n_maps - i - 1) * sizeof(st->maps[0]));
    st->n_maps--;
}

int wmgw__vault_state_copy(const struct wmgw__vault_state *st, struct wmgw__vault_state **out,
                           struct wmgw_err *err)
{
    struct wmgw__vault_state *c = wmgw__vault_state_new();
    int rc = c ? 0 : WMGW_ENOMEM;
    if (c != NULL) {
        memcpy(c->key_id, st->key_id, sizeof(c->key_id));
        c->generation = st->generation;
        memcpy(c->mac, st->mac, sizeof(c->mac));
    }
    for (size_t i = 0; rc == 0 && i < st->n_entries; i++) {
        const struct wmgw__vault_entry *e = &st->entries[i];
        uint8_t *sealed = malloc(e->sealed_len);
        if (sealed == NULL) {
            rc = WMGW_ENOMEM;
            break;
        }
        memcpy(sealed, e->sealed, e->sealed_len);
        if ((rc = wmgw__vault_state_add_entry(c, &e->info, sealed, e->sealed_len, err)) != 0)
            free(sealed);
    }
    for (size_t i = 0; rc == 0 && i < st->n_maps; i++)
        rc = wmgw__vault_state_add_mapping(c, &st->maps[i], err);
    if (rc != 0) {
        wmgw__vault_state_free(c);
        *out = NULL;
        return wmgw_err_set(err, rc, "no memory to copy the vault");
    }
    *out = c;
    return 0;
}

long wmgw__vault_find_entry(const struct wmgw__vault_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_entries; i++)
        if (strcmp(st->entries[i].info.id, id) == 0)
            return (long)i;
    return -1;
}

bool wmgw__vault_subject_equal(enum wmgw_vault_subject type, const char *a, const char *b)
{
    /* SID strings may spell hex digits in either case; names are exact. */
    return type == WMGW_VAULT_SUBJECT_PRINCIPAL ? strcmp(a, b) == 0 : strcasecmp(a, b) == 0;
}

long wmgw__vault_find_mapping(const struct wmgw__vault_state *st, enum wmgw_vault_subject type, const char *subject,
                              const char *host_group)
{
    for (size_t i = 0; i < st->n_maps; i++) {
        const struct wmgw_vault_mapping *m = &st->maps[i];
        if (m->subject_type == type && wmgw__vault_subject_equal(type, m->subject, subject) &&
            strcmp(m->host_group, host_group) == 0)
            return (long)i;
    }
    return -1;
}
