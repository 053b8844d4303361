/*
 * glob.h: the one wildcard matcher of wmgw, for names that operators
 * write as patterns (policy host and namespace patterns, cache TTL rules).
 *
 * '*' matches any run of characters, '?' any one; letters match either
 * case (ASCII), and '\' matches '/' (namespaces written the Windows way).
 * Linear in practice, O(len(pattern) * len(s)) at worst; callers bound both.
 */
#ifndef WMGW_UTIL_GLOB_H
#define WMGW_UTIL_GLOB_H

#include <stdbool.h>

bool wmgw_glob_match(const char *pattern, const char *s);

#endif
