/*
 * glob.c: wildcard matching (glob.h): the greedy matcher with one
 * backtrack point.
 */
#include "util/glob.h"

static char fold(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c == '\\' ? '/' : c;
}

bool wmgw_glob_match(const char *p, const char *s)
{
    const char *star = 0, *resume = 0;
    while (*s != '\0') {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || (*p != '\0' && fold(*p) == fold(*s))) {
            p++;
            s++;
        } else if (star != 0) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}
