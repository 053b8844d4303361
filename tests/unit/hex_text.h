/*
 * hex_text.h: hex text in the unit tests and their tools (test vectors
 * written as hex, bytes the tools exchange with the Python tests).
 */
#ifndef WMGW_TESTS_UNIT_HEX_TEXT_H
#define WMGW_TESTS_UNIT_HEX_TEXT_H

#include "util/hex.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex pairs into out (at most cap bytes), skipping spaces and newlines
 * between pairs (vectors are written in groups); stops at the first
 * character that is not a hex pair.  Returns the bytes written. */
static inline size_t test_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; *p && n < cap;) {
        if (*p == ' ' || *p == '\n') {
            p++;
            continue;
        }
        int hi = wmgw_hex_value(p[0]), lo = hi < 0 ? -1 : wmgw_hex_value(p[1]);
        if (lo < 0)
            break;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return n;
}

/* A whole hex string (no spaces) into a malloc'd buffer; NULL for an odd
 * length or a character that is no hex digit. */
static inline uint8_t *test_unhex_alloc(const char *s, size_t *len)
{
    size_t n = s ? strlen(s) : 0;
    uint8_t *out = n % 2 == 0 ? malloc(n / 2 + 1) : NULL;
    if (out == NULL || test_unhex(s ? s : "", out, n / 2) != n / 2) {
        free(out);
        return NULL;
    }
    *len = n / 2;
    return out;
}

/* " <hex>" on stdout: one word of a tool's reply line. */
static inline void test_put_hex(const void *p, size_t n)
{
    const uint8_t *b = p;
    putchar(' ');
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

#endif
