/*
 * utf8.h: strict UTF-8 decoding, one character at a time.
 *
 * Strings in the CIM model are UTF-8, but bytes reach it from URLs, WMI
 * object paths and backends that do not promise validity.  Parsers use
 * wmgw_utf8_valid() to refuse bad input; writers use wmgw_utf8_next() to
 * replace each maximal ill-formed subsequence by one U+FFFD, as Unicode
 * (chapter 3, "U+FFFD substitution of maximal subparts") recommends, so
 * the same bytes always give the same output.  Overlong forms, surrogates
 * and code points above U+10FFFF are ill-formed.
 */
#ifndef WMGW_UTIL_UTF8_H
#define WMGW_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WMGW_UTF8_BAD 0xFFFFFFFFu

/* Reads one character from s[0..len), len >= 1.  Returns the bytes used and
 * sets *cp; for ill-formed input *cp is WMGW_UTF8_BAD and the return value is
 * the length of the maximal ill-formed subpart (at least 1). */
size_t wmgw_utf8_next(const char *s, size_t len, uint32_t *cp);
/* True when all of s[0..len) is well-formed UTF-8. */
bool wmgw_utf8_valid(const char *s, size_t len);
/* Writes cp (<= 0x10FFFF, not a surrogate) to out; returns 1..4. */
size_t wmgw_utf8_put(char out[4], uint32_t cp);

#endif
