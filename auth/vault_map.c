/*
 * vault_map.c: which backend credential serves which caller on which hosts
 * (vault.h): mappings (subject x host group -> credential id) kept in the
 * vault file, and resolve(), which the request path calls for every
 * backend call that needs a credential.
 *
 * Precedence: only mappings whose host group is one of the target host's
 * groups apply; one for the principal itself (its name or its SID) beats
 * one for a group it belongs to; among mappings of the same rank, the
 * first in stored order wins.  So an administrator can map a group to a
 * shared service account and still give one person their own.
 *
 * SECURITY
 *      No mapping means no credential: WMGW_EACCES, never a default.
 *      Writes go through the vault's write path (authenticated file,
 *      atomic replacement); a mapping can only name an existing
 *      credential, and a credential cannot be deleted while mapped.
 */
#include "auth/vault_int.h"

#include <stdlib.h>
#include <string.h>

static int do_map_set(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg,
                      struct wmgw_err *err)
{
    const struct wmgw_vault_mapping *m = arg;
    if (wmgw__vault_find_entry(st, m->credential) < 0)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no credential %s", m->credential);
    long i = wmgw__vault_find_mapping(st, m->subject_type, m->subject, m->host_group);
    if (i < 0)
        return wmgw__vault_state_add_mapping(st, m, err);
    memcpy(st->maps[i].credential, m->credential, sizeof(m->credential));
    return 0;
}

int wmgw_vault_map_set(struct wmgw_vault *v, const struct wmgw_vault_mapping *m, struct wmgw_err *err)
{
    int rc = wmgw__vault_check_mapping(m, "mapping", err);
    struct wmgw_vault_mapping copy = *m;
    return rc ? rc : wmgw__vault_change(v, do_map_set, &copy, err);
}

static int do_map_delete(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg,
                         struct wmgw_err *err)
{
    const struct wmgw_vault_mapping *m = arg;
    long i = wmgw__vault_find_mapping(st, m->subject_type, m->subject, m->host_group);
    if (i < 0)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no mapping for this %s on host group %s",
                            wmgw_vault_subject_name(m->subject_type), m->host_group);
    wmgw__vault_state_remove_mapping(st, (size_t)i);
    return 0;
}

int wmgw_vault_map_delete(struct wmgw_vault *v, enum wmgw_vault_subject type, const char *subject,
                          const char *host_group, struct wmgw_err *err)
{
    struct wmgw_vault_mapping m = {.subject_type = type, .credential = "x"};
    size_t subject_len = strnlen(subject, sizeof(m.subject)), group_len = strnlen(host_group, sizeof(m.host_group));
    if (subject_len >= sizeof(m.subject) || group_len >= sizeof(m.host_group))
        return wmgw_err_set(err, WMGW_EINVAL, "mapping subject or host group too long");
    memcpy(m.subject, subject, subject_len + 1);
    memcpy(m.host_group, host_group, group_len + 1);
    int rc = wmgw__vault_check_mapping(&m, "mapping", err);
    return rc ? rc : wmgw__vault_change(v, do_map_delete, &m, err);
}

int wmgw_vault_map_list(struct wmgw_vault *v, struct wmgw_vault_mapping **out, size_t *n, struct wmgw_err *err)
{
    const struct wmgw__vault_state *st = wmgw__vault_read_begin(v);
    size_t count = st->n_maps;
    struct wmgw_vault_mapping *list = malloc((count ? count : 1) * sizeof(*list));
    if (list != NULL && count > 0)
        memcpy(list, st->maps, count * sizeof(*list));
    wmgw__vault_read_end(v);
    *out = list;
    *n = list ? count : 0;
    return list ? 0 : wmgw_err_set(err, WMGW_ENOMEM, "no memory to list mappings");
}

/* ---- resolve ---- */

/* Whether s is in list; SIDs compare as wmgw__vault_subject_equal says,
 * host groups exactly (as principal names do). */
static bool in_list(const char *s, const char *const *list, size_t n, enum wmgw_vault_subject compare_as)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] != NULL && wmgw__vault_subject_equal(compare_as, s, list[i]))
            return true;
    return false;
}

/* 2: the mapping names the principal itself, 1: one of its groups, 0: neither. */
static int rank(const struct wmgw_vault_mapping *m, const struct wmgw_vault_principal *who)
{
    switch (m->subject_type) {
    case WMGW_VAULT_SUBJECT_PRINCIPAL:
        return who->name != NULL && strcmp(m->subject, who->name) == 0 ? 2 : 0;
    case WMGW_VAULT_SUBJECT_SID:
        return who->sid != NULL && wmgw__vault_subject_equal(m->subject_type, m->subject, who->sid) ? 2 : 0;
    case WMGW_VAULT_SUBJECT_GROUP:
        return in_list(m->subject, who->group_sids, who->n_group_sids, m->subject_type) ? 1 : 0;
    }
    return 0;
}

int wmgw_vault_resolve(struct wmgw_vault *v, const struct wmgw_vault_principal *who,
                       const char *const *host_groups, size_t n_host_groups, char credential[WMGW_VAULT_ID_MAX + 1],
                       struct wmgw_err *err)
{
    credential[0] = '\0';
    const struct wmgw__vault_state *st = wmgw__vault_read_begin(v);
    const struct wmgw_vault_mapping *best = NULL;
    int best_rank = 0;
    for (size_t i = 0; i < st->n_maps && best_rank < 2; i++) {
        const struct wmgw_vault_mapping *m = &st->maps[i];
        int r = rank(m, who);
        if (r > best_rank && in_list(m->host_group, host_groups, n_host_groups, WMGW_VAULT_SUBJECT_PRINCIPAL)) {
            best = m;
            best_rank = r;
        }
    }
    if (best != NULL)
        memcpy(credential, best->credential, WMGW_VAULT_ID_MAX + 1);
    wmgw__vault_read_end(v);
    if (best == NULL)
        return wmgw_err_set(err, WMGW_EACCES, "no backend credential for you on this host");
    return 0;
}
