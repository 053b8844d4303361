/*
 * vault_store.c: the vault handle (vault.h): open, refresh, the write path
 * shared by every change, credentials (add, rotate, delete, get, list),
 * reveal and rekey.  Mappings are in vault_map.c, over the same write path.
 *
 * Concurrency.  The current model is immutable once installed.  Readers
 * (get, list, reveal, resolve) hold the rwlock shared while they look at
 * it.  A writer holds the handle's write mutex and the file lock
 * (vault_io.c) for the whole change: it reloads the file if another handle
 * or process replaced it, applies the change to a copy, seals and signs
 * the copy, replaces the file, and only then takes the rwlock exclusively
 * for the instant it needs to install the copy.  So readers never wait for
 * the disk, and a change that fails anywhere changes nothing.
 *
 * Rollback.  Each write increments the generation.  A refresh that finds a
 * lower generation than the handle holds, or the same generation with a
 * different MAC, is refused: someone put an older file back.
 *
 * SECURITY
 *      A file is installed only after wmgw__vault_verify() has checked its
 *      key id, its MAC and every secret; until then the handle keeps what
 *      it had.  Secrets are sealed from secret memory and revealed into
 *      it.  Error messages name credentials by id, never by content.
 */
#include "auth/vault_int.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct wmgw_vault {
    char *path;
    pthread_mutex_t write_mutex; /* one writer or refresher at a time */
    pthread_rwlock_t lock;       /* keys and state: shared to read, exclusive to install */
    struct wmgw__vault_keys *keys;
    struct wmgw__vault_state *state;
    struct wmgw__vault_ident ident; /* of the file state came from; under write_mutex */
    void (*crash_point)(void *);
    void *crash_arg;
};

/* Reads, parses and verifies the file: a model that can be installed. */
static int load(const char *path, const struct wmgw__vault_keys *k, struct wmgw__vault_state **out,
                struct wmgw__vault_ident *ident, struct wmgw_err *err)
{
    struct wmgw_buf text;
    *out = NULL;
    wmgw_buf_init(&text, WMGW_VAULT_MAX_FILE);
    int rc = wmgw__vault_read(path, &text, ident, err);
    struct wmgw__vault_state *st = NULL;
    if (rc == 0)
        rc = wmgw__vault_parse(text.data ? text.data : "", text.len, &st, err);
    if (rc == 0)
        rc = wmgw__vault_verify(k, st, err);
    wmgw_buf_dispose(&text);
    if (rc != 0) {
        wmgw__vault_state_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

/* Formats and writes st; records the new file's identity. */
static int store(struct wmgw_vault *v, const struct wmgw__vault_state *st, struct wmgw__vault_ident *ident,
                 struct wmgw_err *err)
{
    struct wmgw_buf text;
    wmgw_buf_init(&text, WMGW_VAULT_MAX_FILE);
    int rc = wmgw__vault_format(st, &text, err);
    if (rc == 0)
        rc = wmgw__vault_replace(v->path, text.data, text.len, v->crash_point, v->crash_arg, err);
    if (rc == 0)
        rc = wmgw__vault_stat(v->path, ident, err);
    wmgw_buf_dispose(&text);
    return rc;
}

/* Installs a new model (and keys, when not NULL); frees what it replaces. */
static void install(struct wmgw_vault *v, struct wmgw__vault_state *st, struct wmgw__vault_keys *keys,
                    const struct wmgw__vault_ident *ident)
{
    pthread_rwlock_wrlock(&v->lock);
    struct wmgw__vault_state *old = v->state;
    struct wmgw__vault_keys *old_keys = keys ? v->keys : NULL;
    v->state = st;
    if (keys != NULL)
        v->keys = keys;
    pthread_rwlock_unlock(&v->lock);
    v->ident = *ident;
    wmgw__vault_state_free(old);
    wmgw__vault_keys_free(old_keys);
}

/* Under write_mutex: reloads the file when it changed. */
static int refresh_locked(struct wmgw_vault *v, bool *changed, struct wmgw_err *err)
{
    struct wmgw__vault_ident now;
    int rc = wmgw__vault_stat(v->path, &now, err);
    if (rc != 0)
        return rc;
    if (wmgw__vault_ident_same(&now, &v->ident))
        return 0;
    if (!now.present)
        return wmgw_err_set(err, WMGW_ECONFIG, "vault file %s has disappeared", v->path);
    struct wmgw__vault_state *st;
    rc = load(v->path, v->keys, &st, &now, err);
    if (rc != 0)
        return rc;
    const struct wmgw__vault_state *cur = v->state;
    if (st->generation < cur->generation ||
        (st->generation == cur->generation && CRYPTO_memcmp(st->mac, cur->mac, sizeof(st->mac)) != 0)) {
        rc = wmgw_err_set(err, WMGW_EAUTH,
                          "vault file %s went back to generation %llu after %llu: an older file was restored",
                          v->path, (unsigned long long)st->generation, (unsigned long long)cur->generation);
        wmgw__vault_state_free(st);
        return rc;
    }
    install(v, st, NULL, &now);
    if (changed != NULL)
        *changed = true;
    return 0;
}

int wmgw_vault_refresh(struct wmgw_vault *v, bool *changed, struct wmgw_err *err)
{
    if (changed != NULL)
        *changed = false;
    pthread_mutex_lock(&v->write_mutex);
    int rc = refresh_locked(v, changed, err);
    pthread_mutex_unlock(&v->write_mutex);
    return rc;
}

/* The write path: lock, catch up, change a copy, sign, write, install.
 * new_keys (rekey only) sign the copy and are installed with it. */
static int change_with(struct wmgw_vault *v, wmgw__vault_change_fn change, void *arg,
                       struct wmgw__vault_keys *new_keys, struct wmgw_err *err)
{
    int lock_fd;
    pthread_mutex_lock(&v->write_mutex);
    int rc = wmgw__vault_lock(v->path, &lock_fd, err);
    if (rc == 0)
        rc = refresh_locked(v, NULL, err);
    struct wmgw__vault_state *copy = NULL;
    if (rc == 0)
        rc = wmgw__vault_state_copy(v->state, &copy, err);
    if (rc == 0)
        rc = change(copy, v->keys, arg, err);
    struct wmgw__vault_ident ident;
    if (rc == 0) {
        copy->generation = v->state->generation + 1;
        rc = wmgw__vault_sign(new_keys ? new_keys : v->keys, copy, err);
    }
    if (rc == 0)
        rc = store(v, copy, &ident, err);
    if (rc == 0) {
        install(v, copy, new_keys, &ident);
        copy = NULL;
    }
    wmgw__vault_state_free(copy);
    wmgw__vault_unlock_file(lock_fd);
    pthread_mutex_unlock(&v->write_mutex);
    return rc;
}

int wmgw__vault_change(struct wmgw_vault *v, wmgw__vault_change_fn change, void *arg, struct wmgw_err *err)
{
    return change_with(v, change, arg, NULL, err);
}

const struct wmgw__vault_state *wmgw__vault_read_begin(struct wmgw_vault *v)
{
    pthread_rwlock_rdlock(&v->lock);
    return v->state;
}

void wmgw__vault_read_end(struct wmgw_vault *v)
{
    pthread_rwlock_unlock(&v->lock);
}

void wmgw__vault_set_crash_point(struct wmgw_vault *v, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&v->write_mutex);
    v->crash_point = fn;
    v->crash_arg = arg;
    pthread_mutex_unlock(&v->write_mutex);
}

/* ---- open ---- */

/* Creates the first file (generation 1, empty) unless another process
 * just did; under the file lock. */
static int create(struct wmgw_vault *v, struct wmgw_err *err)
{
    int lock_fd;
    int rc = wmgw__vault_lock(v->path, &lock_fd, err);
    struct wmgw__vault_ident ident;
    if (rc == 0)
        rc = wmgw__vault_stat(v->path, &ident, err);
    if (rc == 0 && !ident.present) {
        struct wmgw__vault_state *st = wmgw__vault_state_new();
        rc = st ? 0 : wmgw_err_set(err, WMGW_ENOMEM, "no memory for the vault");
        if (rc == 0) {
            st->generation = 1;
            rc = wmgw__vault_sign(v->keys, st, err);
        }
        if (rc == 0)
            rc = store(v, st, &ident, err);
        wmgw__vault_state_free(st);
    }
    wmgw__vault_unlock_file(lock_fd);
    return rc;
}

int wmgw_vault_open(const char *path, const struct wmgw_vault_key *key, struct wmgw_vault **out,
                    struct wmgw_err *err)
{
    *out = NULL;
    struct wmgw_vault *v = calloc(1, sizeof(*v));
    if (v == NULL || (v->path = strdup(path)) == NULL) {
        free(v);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory for the vault");
    }
    pthread_mutex_init(&v->write_mutex, NULL);
    pthread_rwlock_init(&v->lock, NULL);
    int rc = wmgw__vault_keys_derive(key, &v->keys, err);
    if (rc == 0) {
        rc = load(path, v->keys, &v->state, &v->ident, err);
        if (rc == WMGW_ENOTFOUND) {
            rc = create(v, err);
            if (rc == 0)
                rc = load(path, v->keys, &v->state, &v->ident, err);
        }
    }
    if (rc != 0) {
        wmgw_vault_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void wmgw_vault_free(struct wmgw_vault *v)
{
    if (v == NULL)
        return;
    wmgw__vault_state_free(v->state);
    wmgw__vault_keys_free(v->keys);
    pthread_rwlock_destroy(&v->lock);
    pthread_mutex_destroy(&v->write_mutex);
    free(v->path);
    free(v);
}

/* ---- credentials ---- */

/* Unix seconds; never negative (the file format refuses negative times). */
static int64_t now_seconds(void)
{
    time_t t = time(NULL);
    return t > 0 ? (int64_t)t : 0;
}

struct put_arg {
    const struct wmgw_vault_info *info; /* add */
    const char *id;                     /* rotate, delete */
    const struct wmgw_vault_material *material;
};

/* Seals m as the secret of info into entry slot (or a new entry). */
static int seal_into(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k,
                     const struct wmgw_vault_info *info, const struct wmgw_vault_material *m, long slot,
                     struct wmgw_err *err)
{
    struct wmgw_secret *pt;
    int rc = wmgw__vault_material_pack(info->kind, m, &pt, err);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (rc == 0)
        rc = wmgw__vault_seal(k, info, pt, &sealed, &sealed_len, err);
    wmgw_secret_free(pt);
    if (rc != 0)
        return rc;
    if (slot < 0) {
        rc = wmgw__vault_state_add_entry(st, info, sealed, sealed_len, err);
        if (rc != 0)
            free(sealed);
        return rc;
    }
    struct wmgw__vault_entry *e = &st->entries[slot];
    free(e->sealed);
    e->info = *info;
    e->sealed = sealed;
    e->sealed_len = sealed_len;
    return 0;
}

static int do_add(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg, struct wmgw_err *err)
{
    const struct put_arg *a = arg;
    if (wmgw__vault_find_entry(st, a->info->id) >= 0)
        return wmgw_err_set(err, WMGW_EEXIST, "credential %s already exists", a->info->id);
    struct wmgw_vault_info info = *a->info;
    info.created = info.rotated = now_seconds();
    info.version = 1;
    return seal_into(st, k, &info, a->material, -1, err);
}

int wmgw_vault_add(struct wmgw_vault *v, const struct wmgw_vault_info *info, const struct wmgw_vault_material *m,
                   struct wmgw_err *err)
{
    int rc = wmgw__vault_check_info(info, "credential", err);
    struct put_arg a = {.info = info, .material = m};
    return rc ? rc : wmgw__vault_change(v, do_add, &a, err);
}

static int do_rotate(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg,
                     struct wmgw_err *err)
{
    const struct put_arg *a = arg;
    long i = wmgw__vault_find_entry(st, a->id);
    if (i < 0)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no credential %s", a->id);
    struct wmgw_vault_info info = st->entries[i].info;
    info.version++;
    int64_t now = now_seconds();
    info.rotated = now > info.created ? now : info.created;
    return seal_into(st, k, &info, a->material, i, err);
}

static int check_id_arg(const char *id, struct wmgw_err *err)
{
    return wmgw__vault_check_id(id, strnlen(id, WMGW_VAULT_ID_MAX + 1), "credential id", err);
}

int wmgw_vault_rotate(struct wmgw_vault *v, const char *id, const struct wmgw_vault_material *m,
                      struct wmgw_err *err)
{
    int rc = check_id_arg(id, err);
    struct put_arg a = {.id = id, .material = m};
    return rc ? rc : wmgw__vault_change(v, do_rotate, &a, err);
}

static int do_delete(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg,
                     struct wmgw_err *err)
{
    const struct put_arg *a = arg;
    long i = wmgw__vault_find_entry(st, a->id);
    if (i < 0)
        return wmgw_err_set(err, WMGW_ENOTFOUND, "no credential %s", a->id);
    size_t users = 0;
    for (size_t j = 0; j < st->n_maps; j++)
        users += strcmp(st->maps[j].credential, a->id) == 0;
    if (users > 0)
        return wmgw_err_set(err, WMGW_ECONFLICT, "credential %s is used by %zu mapping%s", a->id, users,
                            users == 1 ? "" : "s");
    wmgw__vault_state_remove_entry(st, (size_t)i);
    return 0;
}

int wmgw_vault_delete(struct wmgw_vault *v, const char *id, struct wmgw_err *err)
{
    int rc = check_id_arg(id, err);
    struct put_arg a = {.id = id};
    return rc ? rc : wmgw__vault_change(v, do_delete, &a, err);
}

int wmgw_vault_get(struct wmgw_vault *v, const char *id, struct wmgw_vault_info *out, struct wmgw_err *err)
{
    int rc = check_id_arg(id, err);
    if (rc != 0)
        return rc;
    const struct wmgw__vault_state *st = wmgw__vault_read_begin(v);
    long i = wmgw__vault_find_entry(st, id);
    if (i >= 0)
        *out = st->entries[i].info;
    wmgw__vault_read_end(v);
    return i >= 0 ? 0 : wmgw_err_set(err, WMGW_ENOTFOUND, "no credential %s", id);
}

int wmgw_vault_list(struct wmgw_vault *v, struct wmgw_vault_info **out, size_t *n, struct wmgw_err *err)
{
    const struct wmgw__vault_state *st = wmgw__vault_read_begin(v);
    size_t count = st->n_entries;
    struct wmgw_vault_info *list = malloc((count ? count : 1) * sizeof(*list));
    for (size_t i = 0; list != NULL && i < count; i++)
        list[i] = st->entries[i].info;
    wmgw__vault_read_end(v);
    *out = list;
    *n = list ? count : 0;
    return list ? 0 : wmgw_err_set(err, WMGW_ENOMEM, "no memory to list credentials");
}

/* ---- reveal ---- */

int wmgw_vault_reveal(struct wmgw_vault *v, const char *id, struct wmgw_vault_revealed *out,
                      struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = check_id_arg(id, err);
    if (rc != 0)
        return rc;
    struct wmgw_secret *pt = NULL;
    pthread_rwlock_rdlock(&v->lock);
    long i = wmgw__vault_find_entry(v->state, id);
    if (i < 0) {
        rc = wmgw_err_set(err, WMGW_ENOTFOUND, "no credential %s", id);
    } else {
        const struct wmgw__vault_entry *e = &v->state->entries[i];
        out->info = e->info;
        rc = wmgw__vault_unseal(v->keys, &e->info, e->sealed, e->sealed_len, &pt, err);
    }
    pthread_rwlock_unlock(&v->lock);
    if (rc == 0)
        rc = wmgw__vault_material_unpack(out->info.kind, pt, out, err);
    if (rc != 0) {
        wmgw_secret_free(pt);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

void wmgw_vault_revealed_wipe(struct wmgw_vault_revealed *r)
{
    wmgw_secret_free(r->secret);
    memset(r, 0, sizeof(*r));
}

/* ---- rekey ---- */

static int do_rekey(struct wmgw__vault_state *st, const struct wmgw__vault_keys *old, void *arg,
                    struct wmgw_err *err)
{
    const struct wmgw__vault_keys *new_keys = arg;
    for (size_t i = 0; i < st->n_entries; i++) {
        struct wmgw__vault_entry *e = &st->entries[i];
        struct wmgw_secret *pt;
        uint8_t *sealed;
        size_t sealed_len;
        int rc = wmgw__vault_unseal(old, &e->info, e->sealed, e->sealed_len, &pt, err);
        if (rc == 0)
            rc = wmgw__vault_seal(new_keys, &e->info, pt, &sealed, &sealed_len, err);
        wmgw_secret_free(pt);
        if (rc != 0)
            return rc;
        free(e->sealed);
        e->sealed = sealed;
        e->sealed_len = sealed_len;
    }
    return 0;
}

int wmgw_vault_rekey(struct wmgw_vault *v, const struct wmgw_vault_key *new_key, struct wmgw_err *err)
{
    struct wmgw__vault_keys *keys;
    int rc = wmgw__vault_keys_derive(new_key, &keys, err);
    if (rc != 0)
        return rc;
    rc = change_with(v, do_rekey, keys, keys, err);
    if (rc != 0)
        wmgw__vault_keys_free(keys);
    return rc;
}
