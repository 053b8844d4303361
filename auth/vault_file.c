/*
 * vault_file.c: the vault file's JSON text <-> the model (vault_int.h).
 * The layout is shown in vault.h.
 *
 * The parser is the vault's exposure to untrusted bytes (a file on a shared
 * volume; tests/fuzz/fuzz_vault.c feeds it anything).  It is strict: the
 * text is at most WMGW_VAULT_MAX_FILE bytes, duplicate keys and unknown
 * keys are refused, every field has its type, range and charset checked
 * (vault_state.c), ids and mappings are unique, every mapping names an
 * existing credential, and counts stay within the vault's limits.  It
 * needs no key: authentication is wmgw__vault_verify()'s job, done on the
 * model this returns, before anything is used.
 *
 * Errors: JSON syntax errors carry jansson's byte position; the others
 * name the field ("credentials[2].user").
 */
#include "auth/vault_int.h"
#include "util/base64.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIME 253402300799LL /* 9999-12-31T23:59:59Z */
#define MAX_COUNTER 9007199254740991LL /* 2^53 - 1: exact in any JSON reader */

static int only_keys(json_t *obj, const char *const *allowed, const char *where, struct wmgw_err *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(key, *a) == 0;
        if (ok)
            continue;
        bool printable = strlen(key) <= 64;
        for (const char *k = key; printable && *k; k++)
            printable = *k >= 0x20 && *k < 0x7f;
        return wmgw_err_set(err, WMGW_EINVAL, "%s: unknown field \"%s\"", where, printable ? key : "?");
    }
    return 0;
}

static int get_string(json_t *obj, const char *key, const char *where, const char **s, size_t *n,
                      struct wmgw_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return wmgw_err_set(err, WMGW_EINVAL, "%s.%s: missing or not a string", where, key);
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 0;
}

static int get_int(json_t *obj, const char *key, const char *where, json_int_t min, json_int_t max, json_int_t *out,
                   struct wmgw_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return wmgw_err_set(err, WMGW_EINVAL, "%s.%s: missing or not an integer", where, key);
    *out = json_integer_value(v);
    if (*out < min || *out > max)
        return wmgw_err_set(err, WMGW_EINVAL, "%s.%s: %lld outside %lld..%lld", where, key, (long long)*out,
                            (long long)min, (long long)max);
    return 0;
}

/* A checked string field copied into a fixed array of cap bytes. */
static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int parse_credential(json_t *c, size_t index, struct wmgw__vault_state *st, struct wmgw_err *err)
{
    static const char *const keys[] = {"id", "kind", "user", "domain", "created", "rotated", "version", "secret",
                                       NULL};
    char where[48], what[96];
    snprintf(where, sizeof(where), "credentials[%zu]", index);
    if (!json_is_object(c))
        return wmgw_err_set(err, WMGW_EINVAL, "%s: not an object", where);
    int rc = only_keys(c, keys, where, err);
    struct wmgw_vault_info info = {0};
    const char *s;
    size_t n;
    json_int_t created = 0, rotated = 0, version = 0;
    snprintf(what, sizeof(what), "%s.id", where);
    if (rc == 0 && (rc = get_string(c, "id", where, &s, &n, err)) == 0 &&
        (rc = wmgw__vault_check_id(s, n, what, err)) == 0)
        copy_field(info.id, sizeof(info.id), s, n);
    if (rc == 0 && (rc = get_string(c, "kind", where, &s, &n, err)) == 0 &&
        (strlen(s) != n || wmgw__vault_kind_parse(s, &info.kind) != 0))
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.kind: not password, keytab or certificate", where);
    snprintf(what, sizeof(what), "%s.user", where);
    if (rc == 0 && (rc = get_string(c, "user", where, &s, &n, err)) == 0 &&
        (rc = wmgw__vault_check_name(s, n, info.kind != WMGW_VAULT_CERTIFICATE, what, err)) == 0)
        copy_field(info.user, sizeof(info.user), s, n);
    snprintf(what, sizeof(what), "%s.domain", where);
    if (rc == 0 && (rc = get_string(c, "domain", where, &s, &n, err)) == 0 &&
        (rc = wmgw__vault_check_name(s, n, false, what, err)) == 0)
        copy_field(info.domain, sizeof(info.domain), s, n);
    if (rc == 0)
        rc = get_int(c, "created", where, 0, MAX_TIME, &created, err);
    if (rc == 0)
        rc = get_int(c, "rotated", where, created, MAX_TIME, &rotated, err);
    if (rc == 0)
        rc = get_int(c, "version", where, 1, MAX_COUNTER, &version, err);
    if (rc == 0 && wmgw__vault_find_entry(st, info.id) >= 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.id: \"%s\" appears twice", where, info.id);
    if (rc == 0)
        rc = get_string(c, "secret", where, &s, &n, err);
    if (rc != 0)
        return rc;
    info.created = created;
    info.rotated = rotated;
    info.version = (uint64_t)version;
    struct wmgw_buf sealed;
    wmgw_buf_init(&sealed, WMGW__VAULT_SEALED_MAX);
    rc = wmgw_base64_decode(&sealed, s, n, WMGW_BASE64_URL);
    if (rc == 0 && sealed.len < WMGW__VAULT_NONCE_LEN + WMGW__VAULT_TAG_LEN)
        rc = WMGW_EINVAL;
    if (rc != 0) {
        wmgw_buf_dispose(&sealed);
        return wmgw_err_set(err, WMGW_EINVAL, "%s.secret: not base64url of a sealed secret", where);
    }
    size_t len;
    uint8_t *blob = (uint8_t *)wmgw_buf_steal(&sealed, &len);
    rc = wmgw__vault_state_add_entry(st, &info, blob, len, err);
    if (rc != 0)
        free(blob);
    return rc;
}

static int parse_mapping(json_t *m, size_t index, struct wmgw__vault_state *st, struct wmgw_err *err)
{
    static const char *const keys[] = {"subject_type", "subject", "host_group", "credential", NULL};
    char where[48];
    snprintf(where, sizeof(where), "mappings[%zu]", index);
    if (!json_is_object(m))
        return wmgw_err_set(err, WMGW_EINVAL, "%s: not an object", where);
    int rc = only_keys(m, keys, where, err);
    struct wmgw_vault_mapping map = {0};
    const char *s;
    size_t n;
    if (rc == 0 && (rc = get_string(m, "subject_type", where, &s, &n, err)) == 0 &&
        (strlen(s) != n || wmgw__vault_subject_parse(s, &map.subject_type) != 0))
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.subject_type: not principal, sid or group", where);
    /* Each string is bounded before it is copied; check_mapping does the rest. */
    if (rc == 0 && (rc = get_string(m, "subject", where, &s, &n, err)) == 0 && n < sizeof(map.subject) &&
        strlen(s) == n)
        copy_field(map.subject, sizeof(map.subject), s, n);
    else if (rc == 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.subject: too long or holds NUL", where);
    if (rc == 0 && (rc = get_string(m, "host_group", where, &s, &n, err)) == 0 && n < sizeof(map.host_group) &&
        strlen(s) == n)
        copy_field(map.host_group, sizeof(map.host_group), s, n);
    else if (rc == 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.host_group: too long or holds NUL", where);
    if (rc == 0 && (rc = get_string(m, "credential", where, &s, &n, err)) == 0 && n < sizeof(map.credential) &&
        strlen(s) == n)
        copy_field(map.credential, sizeof(map.credential), s, n);
    else if (rc == 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.credential: too long or holds NUL", where);
    if (rc == 0)
        rc = wmgw__vault_check_mapping(&map, where, err);
    if (rc == 0 && wmgw__vault_find_entry(st, map.credential) < 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s.credential: no credential \"%s\"", where, map.credential);
    if (rc == 0 && wmgw__vault_find_mapping(st, map.subject_type, map.subject, map.host_group) >= 0)
        rc = wmgw_err_set(err, WMGW_EINVAL, "%s: the same subject and host group appear twice", where);
    if (rc == 0)
        rc = wmgw__vault_state_add_mapping(st, &map, err);
    return rc;
}

static int parse_root(json_t *root, struct wmgw__vault_state *st, struct wmgw_err *err)
{
    static const char *const keys[] = {"format", "version", "key_id", "generation", "credentials", "mappings", "mac",
                                       NULL};
    if (!json_is_object(root))
        return wmgw_err_set(err, WMGW_EINVAL, "vault file: not a JSON object");
    int rc = only_keys(root, keys, "vault file", err);
    const char *s;
    size_t n;
    json_int_t version = 0, generation = 0;
    if (rc == 0 && (rc = get_string(root, "format", "vault file", &s, &n, err)) == 0 &&
        (n != strlen(WMGW__VAULT_FORMAT) || strcmp(s, WMGW__VAULT_FORMAT) != 0))
        rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: format is not \"" WMGW__VAULT_FORMAT "\"");
    if (rc == 0 && (rc = get_int(root, "version", "vault file", 1, 1000, &version, err)) == 0 &&
        version != WMGW__VAULT_VERSION)
        rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: format version %lld, this gateway reads %d",
                          (long long)version, WMGW__VAULT_VERSION);
    if (rc == 0 && (rc = get_string(root, "key_id", "vault file", &s, &n, err)) == 0) {
        bool hex = n == WMGW__VAULT_KEY_ID_LEN;
        for (size_t i = 0; hex && i < n; i++)
            hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
        if (!hex)
            rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: key_id is not %d lowercase hex digits",
                              WMGW__VAULT_KEY_ID_LEN);
        else
            copy_field(st->key_id, sizeof(st->key_id), s, n);
    }
    if (rc == 0 && (rc = get_int(root, "generation", "vault file", 1, MAX_COUNTER, &generation, err)) == 0)
        st->generation = (uint64_t)generation;
    json_t *creds = json_object_get(root, "credentials"), *maps = json_object_get(root, "mappings");
    if (rc == 0 && (!json_is_array(creds) || !json_is_array(maps)))
        rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: credentials and mappings must be arrays");
    if (rc == 0 && (json_array_size(creds) > WMGW_VAULT_MAX_CREDENTIALS ||
                    json_array_size(maps) > WMGW_VAULT_MAX_MAPPINGS))
        rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: more than %d credentials or %d mappings",
                          WMGW_VAULT_MAX_CREDENTIALS, WMGW_VAULT_MAX_MAPPINGS);
    for (size_t i = 0; rc == 0 && i < json_array_size(creds); i++)
        rc = parse_credential(json_array_get(creds, i), i, st, err);
    for (size_t i = 0; rc == 0 && i < json_array_size(maps); i++)
        rc = parse_mapping(json_array_get(maps, i), i, st, err);
    if (rc == 0 && (rc = get_string(root, "mac", "vault file", &s, &n, err)) == 0) {
        struct wmgw_buf mac;
        wmgw_buf_init(&mac, sizeof(st->mac));
        if (wmgw_base64_decode(&mac, s, n, WMGW_BASE64_URL) != 0 || mac.len != sizeof(st->mac))
            rc = wmgw_err_set(err, WMGW_EINVAL, "vault file: mac is not base64url of 32 bytes");
        else
            memcpy(st->mac, mac.data, sizeof(st->mac));
        wmgw_buf_dispose(&mac);
    }
    return rc;
}

int wmgw__vault_parse(const char *text, size_t n, struct wmgw__vault_state **out, struct wmgw_err *err)
{
    *out = NULL;
    if (n > WMGW_VAULT_MAX_FILE)
        return wmgw_err_set_at(err, WMGW_ETOOBIG, WMGW_VAULT_MAX_FILE, "vault file larger than %u bytes",
                               WMGW_VAULT_MAX_FILE);
    json_error_t je;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)je.position, "vault file is not JSON: %s", je.text);
    struct wmgw__vault_state *st = wmgw__vault_state_new();
    int rc = st ? parse_root(root, st, err) : wmgw_err_set(err, WMGW_ENOMEM, "no memory for the vault");
    json_decref(root);
    if (rc != 0) {
        wmgw__vault_state_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

/* ---- writing ---- */

static json_t *b64_string(const uint8_t *p, size_t n)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, wmgw_base64_encoded_len(n, WMGW_BASE64_URL));
    json_t *s = wmgw_base64_encode(&b, p, n, WMGW_BASE64_URL) == 0 ? json_stringn(b.data ? b.data : "", b.len)
                                                                   : NULL;
    wmgw_buf_dispose(&b);
    return s;
}

/* json_object_set_new that remembers a failure in *ok. */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

static json_t *credential_json(const struct wmgw__vault_entry *e, bool *ok)
{
    json_t *c = json_object();
    if (c == NULL) {
        *ok = false;
        return NULL;
    }
    put(c, "id", json_string(e->info.id), ok);
    put(c, "kind", json_string(wmgw_vault_kind_name(e->info.kind)), ok);
    put(c, "user", json_string(e->info.user), ok);
    put(c, "domain", json_string(e->info.domain), ok);
    put(c, "created", json_integer(e->info.created), ok);
    put(c, "rotated", json_integer(e->info.rotated), ok);
    put(c, "version", json_integer((json_int_t)e->info.version), ok);
    put(c, "secret", b64_string(e->sealed, e->sealed_len), ok);
    return c;
}

static json_t *mapping_json(const struct wmgw_vault_mapping *m, bool *ok)
{
    json_t *j = json_object();
    if (j == NULL) {
        *ok = false;
        return NULL;
    }
    put(j, "subject_type", json_string(wmgw_vault_subject_name(m->subject_type)), ok);
    put(j, "subject", json_string(m->subject), ok);
    put(j, "host_group", json_string(m->host_group), ok);
    put(j, "credential", json_string(m->credential), ok);
    return j;
}

int wmgw__vault_format(const struct wmgw__vault_state *st, struct wmgw_buf *out, struct wmgw_err *err)
{
    bool ok = true;
    json_t *root = json_object(), *creds = json_array(), *maps = json_array();
    for (size_t i = 0; ok && creds && i < st->n_entries; i++)
        if (json_array_append_new(creds, credential_json(&st->entries[i], &ok)) != 0)
            ok = false;
    for (size_t i = 0; ok && maps && i < st->n_maps; i++)
        if (json_array_append_new(maps, mapping_json(&st->maps[i], &ok)) != 0)
            ok = false;
    if (root == NULL) {
        json_decref(creds);
        json_decref(maps);
        return wmgw_err_set(err, WMGW_ENOMEM, "no memory to write the vault");
    }
    put(root, "format", json_string(WMGW__VAULT_FORMAT), &ok);
    put(root, "version", json_integer(WMGW__VAULT_VERSION), &ok);
    put(root, "key_id", json_string(st->key_id), &ok);
    put(root, "generation", json_integer((json_int_t)st->generation), &ok);
    put(root, "credentials", creds, &ok);
    put(root, "mappings", maps, &ok);
    put(root, "mac", b64_string(st->mac, sizeof(st->mac)), &ok);
    char *text = ok ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    int rc = text ? wmgw_buf_addstr(out, text) : WMGW_ENOMEM;
    if (rc == 0)
        rc = wmgw_buf_addc(out, '\n');
    free(text);
    if (rc != 0)
        return wmgw_err_set(err, rc, "cannot write the vault (%s)", rc == WMGW_ETOOBIG ? "too large" : "no memory");
    return 0;
}
