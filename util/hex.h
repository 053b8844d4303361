/*
 * hex.h: the value of one hexadecimal digit, for every parser that reads
 * hex text (percent-escapes, SIDs, GUIDs, SDDL literals, chunk sizes).
 */
#ifndef WMGW_UTIL_HEX_H
#define WMGW_UTIL_HEX_H

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

#endif
