/*
 * entry.c: the header of an entry stored in Redis (cache_int.h).
 *
 *   "c1 <stored-ms> <fresh-until-ms> <stale-until-ms>\n" then the value
 *
 * Redis' own expiry is the stale-until time; fresh-until is ours, and the
 * lookup script compares it with the caller's clock (a Lua pattern on the
 * second number), which is why the header is text.  The parser takes
 * exactly this form: single spaces, decimal numbers of 1 to 15 digits
 * without leading zeros, stored <= fresh-until <= stale-until.  An entry
 * that does not parse is treated as missing (and counted as an error):
 * whoever wrote it, we never serve it.
 */
#include "cache/cache_int.h"
#include "util/err.h"

#include <stdio.h>

#define DIGITS_MAX 15 /* ms until the year 33658; fits a double exactly (Lua) */

size_t wmgw__entry_header_format(const struct wmgw__entry_header *h, char out[WMGW__ENTRY_HEADER_MAX])
{
    int n = snprintf(out, WMGW__ENTRY_HEADER_MAX, "c1 %llu %llu %llu\n", (unsigned long long)h->stored_ms,
                     (unsigned long long)h->fresh_until_ms, (unsigned long long)h->stale_until_ms);
    return n > 0 && n < WMGW__ENTRY_HEADER_MAX ? (size_t)n : 0;
}

static int number(const char *p, size_t n, size_t *at, char end, uint64_t *v, const char *what,
                  struct wmgw_err *err)
{
    size_t start = *at, i = *at;
    uint64_t x = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < DIGITS_MAX + 1)
        x = x * 10 + (uint64_t)(p[i++] - '0');
    if (i == start)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "cache entry: %s: digits expected", what);
    if (i - start > DIGITS_MAX)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "cache entry: %s: more than %d digits", what,
                               DIGITS_MAX);
    if (p[start] == '0' && i - start > 1)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "cache entry: %s: leading zero", what);
    if (i >= n || p[i] != end)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "cache entry: %s: '%s' expected after it", what,
                               end == ' ' ? " " : "\\n");
    *v = x;
    *at = i + 1;
    return 0;
}

int wmgw__entry_parse(const char *p, size_t n, struct wmgw__entry_header *h, size_t *body, struct wmgw_err *err)
{
    if (n < 3 || p[0] != 'c' || p[1] != '1' || p[2] != ' ')
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "cache entry: not a version 1 entry");
    size_t at = 3;
    int rc = number(p, n, &at, ' ', &h->stored_ms, "stored", err);
    if (rc == 0)
        rc = number(p, n, &at, ' ', &h->fresh_until_ms, "fresh-until", err);
    if (rc == 0)
        rc = number(p, n, &at, '\n', &h->stale_until_ms, "stale-until", err);
    if (rc != 0)
        return rc;
    if (h->stored_ms > h->fresh_until_ms || h->fresh_until_ms > h->stale_until_ms)
        return wmgw_err_set_at(err, WMGW_EINVAL, 3, "cache entry: times out of order");
    *body = at;
    return 0;
}
