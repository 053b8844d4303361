/*
 * policy_file.c: keeping the policies the admin API changes across
 * restarts ([security] policy-file, policy.h).  The file is the JSON array
 * GET /v1/policies answers.  When it exists at start it replaces the
 * configured policies; after every change the whole store is written to
 * a temporary file beside it, synced and renamed over it, so a crash
 * leaves the old or the new file, never half of one.
 */
#include "gateway/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE (16u << 20)

/* Snapshots are written one at a time, so a later change is never
 * overwritten by an earlier snapshot. */
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

static int strings(json_t *a, char ***v, size_t *n, const char *what, struct wmgw_err *err)
{
    *v = NULL;
    *n = 0;
    if (a == NULL)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > WMGW_POLICY_MAX_PATTERNS)
        return wmgw_err_set(err, WMGW_EINVAL, "%s: an array of at most %d strings", what, WMGW_POLICY_MAX_PATTERNS);
    if ((*v = calloc(json_array_size(a) + 1, sizeof(char *))) == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s) {
        if (!json_is_string(s))
            return wmgw_err_set(err, WMGW_EINVAL, "%s: an array of strings", what);
        if (((*v)[(*n)++] = strdup(json_string_value(s))) == NULL)
            return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    }
    return 0;
}

int wmgw_policy_config_from_json(json_t *obj, const char *name, struct wmgw_policy_config *out, struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    const char *jname = json_string_value(json_object_get(obj, "name"));
    const char *sddl = json_string_value(json_object_get(obj, "sddl"));
    if (!json_is_object(obj) || sddl == NULL || (name == NULL && jname == NULL))
        return wmgw_err_set(err, WMGW_EINVAL, "a policy is {\"name\": ..., \"hosts\": [...], \"namespaces\": [...], "
                                              "\"sddl\": \"D:...\"}");
    if (name != NULL && jname != NULL && strcmp(name, jname) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "the body names policy %.64s, the path %.64s", jname, name);
    if ((out->name = strdup(name ? name : jname)) == NULL || (out->sddl = strdup(sddl)) == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "out of memory");
    int rc = strings(json_object_get(obj, "hosts"), &out->hosts, &out->nhosts, "hosts", err);
    if (rc == 0)
        rc = strings(json_object_get(obj, "namespaces"), &out->namespaces, &out->nnamespaces, "namespaces", err);
    return rc ? rc : wmgw_policy_check_config(out, err);
}

int wmgw_policies_load(const char *path, struct wmgw_policies **out, bool *found, struct wmgw_err *err)
{
    *found = false;
    if (access(path, F_OK) != 0)
        return errno == ENOENT ? 0 : wmgw_err_set(err, WMGW_ECONFIG, "%s: %s", path, strerror(errno));
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "%s:%d: %s", path, jerr.line, jerr.text);
    int rc = 0;
    size_t n = json_is_array(doc) ? json_array_size(doc) : 0;
    struct wmgw_policy_config *v = calloc(n + 1, sizeof(*v));
    if (!json_is_array(doc) || n > WMGW_POLICY_MAX)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "%s: want an array of at most %d policies", path, WMGW_POLICY_MAX);
    else if (v == NULL)
        rc = wmgw_err_set(err, WMGW_ENOMEM, "out of memory reading %s", path);
    struct wmgw_err e;
    wmgw_err_clear(&e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (wmgw_policy_config_from_json(json_array_get(doc, i), NULL, &v[i], &e) != 0)
            rc = wmgw_err_set(err, WMGW_ECONFIG, "%s: policy %zu: %s", path, i, e.message);
    if (rc == 0 && (rc = wmgw_policies_new(v, n, out, err)) == 0)
        *found = true;
    for (size_t i = 0; v != NULL && i < n; i++)
        wmgw_policy_config_dispose(&v[i]);
    free(v);
    json_decref(doc);
    return rc;
}

int wmgw_policies_save(struct wmgw_policies *ps, const char *path, struct wmgw_err *err)
{
    pthread_mutex_lock(&save_lock);
    struct wmgw_buf b;
    wmgw_buf_init(&b, MAX_FILE);
    char tmp[4096];
    int rc = wmgw_policies_json(ps, NULL, &b);
    if (rc == 0)
        rc = wmgw_buf_addc(&b, '\n');
    if (rc == 0 && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        rc = wmgw_err_set(err, WMGW_EINTERNAL, "policy-file: path too long");
    else if (rc != 0)
        rc = wmgw_err_set(err, rc, "cannot write the policies");
    if (rc == 0) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len && fsync(fd) == 0;
        if (fd >= 0 && close(fd) != 0)
            ok = false;
        if (!ok || rename(tmp, path) != 0) {
            rc = wmgw_err_set(err, WMGW_EINTERNAL, "policy-file %s: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    wmgw_buf_dispose(&b);
    pthread_mutex_unlock(&save_lock);
    return rc;
}
