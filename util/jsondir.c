/*
 * jsondir.c: walking the *.json files of a directory in name order
 * (jsondir.h).
 */
#include "util/jsondir.h"
#include "util/err.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int wmgw_jsondir_each(const char *dir, int (*fn)(void *ctx, const char *path, struct wmgw_err *err), void *ctx,
                      struct wmgw_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot open directory %s", dir);
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (n == WMGW_JSONDIR_MAX_FILES) {
            rc = wmgw_err_set(err, WMGW_ECONFIG, "more than %d *.json files in %s", WMGW_JSONDIR_MAX_FILES, dir);
            break;
        }
        char **nn = realloc(names, (n + 1) * sizeof(*nn));
        if (nn == NULL) {
            rc = WMGW_ENOMEM;
            break;
        }
        names = nn;
        if ((names[n] = strdup(de->d_name)) == NULL) {
            rc = WMGW_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
            rc = wmgw_err_set(err, WMGW_ECONFIG, "path too long in %s", dir);
        else
            rc = fn(ctx, path, err);
    }
    if (rc == 0 && n == 0)
        rc = wmgw_err_set(err, WMGW_ECONFIG, "no *.json files in %s", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
