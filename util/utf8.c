/*
 * utf8.c: strict UTF-8 decoding (utf8.h).
 *
 * The accepted byte ranges follow Unicode's table of well-formed UTF-8
 * byte sequences; the second byte's range depends on the first, which is
 * what rules out overlongs, surrogates and values above U+10FFFF.
 */
#include "util/utf8.h"

/* Range allowed for the second byte, given the first. */
static bool second_ok(unsigned char b0, unsigned char b1)
{
    switch (b0) {
    case 0xE0: return b1 >= 0xA0 && b1 <= 0xBF;
    case 0xED: return b1 >= 0x80 && b1 <= 0x9F;
    case 0xF0: return b1 >= 0x90 && b1 <= 0xBF;
    case 0xF4: return b1 >= 0x80 && b1 <= 0x8F;
    default: return b1 >= 0x80 && b1 <= 0xBF;
    }
}

size_t wmgw_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char b0 = u[0];
    size_t n;
    uint32_t c;
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
        c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        c = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        c = b0 & 0x07;
    } else {
        *cp = WMGW_UTF8_BAD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        bool ok = i < len && (i == 1 ? second_ok(b0, u[1]) : (u[i] & 0xC0) == 0x80);
        if (!ok) {
            *cp = WMGW_UTF8_BAD;
            return i; /* the valid prefix is the maximal subpart */
        }
        c = (c << 6) | (u[i] & 0x3F);
    }
    *cp = c;
    return n;
}

bool wmgw_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += wmgw_utf8_next(s + i, len - i, &cp);
        if (cp == WMGW_UTF8_BAD)
            return false;
    }
    return true;
}

size_t wmgw_utf8_put(char out[4], uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
