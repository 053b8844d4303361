/*
 * base64.c: RFC 4648 base64 in the standard and URL-safe alphabets (base64.h).
 */
#include "util/base64.h"
#include "util/err.h"

#include <string.h>

static const char std_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *chars_of(enum wmgw_base64_alphabet a)
{
    return a == WMGW_BASE64_URL ? url_chars : std_chars;
}

size_t wmgw_base64_encoded_len(size_t n, enum wmgw_base64_alphabet a)
{
    if (a == WMGW_BASE64_STD)
        return (n + 2) / 3 * 4;
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

int wmgw_base64_encode(struct wmgw_buf *out, const void *data, size_t n, enum wmgw_base64_alphabet a)
{
    const unsigned char *p = data;
    const char *c = chars_of(a);
    for (size_t i = 0; i < n; i += 3) {
        size_t m = n - i < 3 ? n - i : 3;
        unsigned v = (unsigned)p[i] << 16 | (m > 1 ? (unsigned)p[i + 1] << 8 : 0) | (m > 2 ? p[i + 2] : 0);
        char q[4] = {c[v >> 18 & 63], c[v >> 12 & 63], c[v >> 6 & 63], c[v & 63]};
        size_t emit = m + 1;
        if (a == WMGW_BASE64_STD)
            for (; emit < 4; emit++)
                q[emit] = '=';
        int rc = wmgw_buf_add(out, q, emit);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int value_of(const char *chars, char ch)
{
    const char *p = ch != '\0' ? memchr(chars, ch, 64) : NULL;
    return p != NULL ? (int)(p - chars) : -1;
}

int wmgw_base64_decode(struct wmgw_buf *out, const char *s, size_t n, enum wmgw_base64_alphabet a)
{
    const char *c = chars_of(a);
    if (a == WMGW_BASE64_STD) {
        /* Padded: whole groups, at most two '=' and only at the end. */
        if (n % 4 != 0)
            return WMGW_EINVAL;
        if (n > 0 && s[n - 1] == '=')
            n -= (n > 1 && s[n - 2] == '=') ? 2 : 1;
    }
    if (n % 4 == 1)
        return WMGW_EINVAL;
    for (size_t i = 0; i < n; i += 4) {
        int v[4] = {0, 0, 0, 0};
        size_t m = n - i < 4 ? n - i : 4;
        for (size_t k = 0; k < m; k++)
            if ((v[k] = value_of(c, s[i + k])) < 0)
                return WMGW_EINVAL;
        /* The bits a short final group does not use must be zero. */
        if ((m == 2 && (v[1] & 0x0F) != 0) || (m == 3 && (v[2] & 0x03) != 0))
            return WMGW_EINVAL;
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        unsigned char b[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        int rc = wmgw_buf_add(out, b, m - 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}
