/*
 * ttl.c: TTL rules (cache.h "TTL rules"): "namespace-glob:class-glob" →
 * TTL, first match wins, the fallback otherwise.
 *
 * The config layer adds rules in file order; the gateway asks once per
 * fill.  Globs: '*' any run, '?' one byte, no case (CIM names have none),
 * and '\' and '/' are the same namespace separator.  Matching is the
 * classic greedy star with one backtrack point: linear in practice,
 * never worse than pattern × text.
 */
#include "cache/cache_int.h"
#include "util/err.h"
#include "util/glob.h"

#include <stdlib.h>
#include <string.h>

#define RULES_MAX 256
#define PATTERN_MAX 512

struct rule {
    char *ns, *cls; /* the two globs, lower-cased, '\' as '/' */
    struct wmgw_cache_ttl ttl;
};

struct wmgw_cache_ttl_rules {
    struct wmgw_cache_ttl fallback;
    size_t n;
    struct rule rules[RULES_MAX];
};

struct wmgw_cache_ttl_rules *wmgw_cache_ttl_rules_new(const struct wmgw_cache_ttl *fallback)
{
    struct wmgw_cache_ttl_rules *r = calloc(1, sizeof(*r));
    if (r != NULL && fallback != NULL)
        r->fallback = *fallback;
    return r;
}

void wmgw_cache_ttl_rules_free(struct wmgw_cache_ttl_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->rules[i].ns); /* cls shares the block */
    free(r);
}

int wmgw_cache_ttl_rules_add(struct wmgw_cache_ttl_rules *r, const char *pattern, const struct wmgw_cache_ttl *ttl,
                             struct wmgw_err *err)
{
    size_t n = pattern ? strlen(pattern) : 0;
    const char *colon = pattern ? strchr(pattern, ':') : NULL;
    if (colon == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "cache TTL rule \"%s\": expected namespace-glob:class-glob",
                            pattern ? pattern : "");
    if (n > PATTERN_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "cache TTL rule: longer than %d bytes", PATTERN_MAX);
    if (strchr(colon + 1, ':') != NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "cache TTL rule \"%s\": one ':' only", pattern);
    if (r->n >= RULES_MAX)
        return wmgw_err_set(err, WMGW_ETOOBIG, "cache TTL rules: more than %d", RULES_MAX);
    char *block = malloc(n + 1);
    if (block == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "cache TTL rule: out of memory");
    memcpy(block, pattern, n + 1); /* matched case-insensitively, '\\' as '/' (util/glob.h) */
    size_t at = (size_t)(colon - pattern);
    block[at] = '\0';
    r->rules[r->n++] = (struct rule){.ns = block, .cls = block + at + 1, .ttl = *ttl};
    return 0;
}

struct wmgw_cache_ttl wmgw_cache_ttl_find(const struct wmgw_cache_ttl_rules *r, const char *ns, const char *cls)
{
    for (size_t i = 0; i < r->n; i++)
        if (wmgw_glob_match(r->rules[i].ns, ns ? ns : "") && wmgw_glob_match(r->rules[i].cls, cls ? cls : ""))
            return r->rules[i].ttl;
    return r->fallback;
}
