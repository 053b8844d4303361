/*
 * hex.h: the value of one hexadecimal digit, for every parser that reads
 * hex text (percent-escapes, SIDs, GUIDs, SDDL literals, chunk sizes), and
 * bytes written as lower-case hex (ETags, request ids, handles, hashes).
 */
#ifndef WMGW_UTIL_HEX_H
#define WMGW_UTIL_HEX_H

#include <stddef.h>

/* 0-15, or -1 for a character that is no hex digit (either case). */
static inline int wmgw_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* p[0..n) as 2n lower-case hex digits and a NUL into out (2n+1 bytes). */
static inline void wmgw_hex_encode(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

#endif
