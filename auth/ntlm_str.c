/*
 * ntlm_str.c: the strings of NTLM.  Names and passwords are UTF-8 in wmgw
 * and UTF-16LE on the wire and inside NTOWF (MS-NLMP 2.2, "UNICODE()");
 * NTOWFv2 also upper-cases the user name.
 *
 * Upper-casing follows the C.UTF-8 locale's simple case mapping per UTF-16
 * code unit, which for the Basic Multilingual Plane is what Windows'
 * RtlUpcaseUnicodeString gives for names people actually use; without that
 * locale only ASCII is mapped.  The locale is private (towupper_l), so the
 * process locale plays no part.
 *
 * SECURITY
 *      Input from peers is checked: odd lengths and unpaired surrogates are
 *      refused rather than replaced, so a name has one spelling only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* newlocale, towupper_l */
#endif
#include "auth/ntlm_int.h"
#include "util/utf8.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

static pthread_once_t upper_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale;

static void upper_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint16_t upper_unit(uint16_t u)
{
    if (u < 0x80)
        return (u >= 'a' && u <= 'z') ? (uint16_t)(u - 32) : u;
    if (utf8_locale == (locale_t)0 || (u >= 0xD800 && u <= 0xDFFF))
        return u;
    wint_t up = towupper_l((wint_t)u, utf8_locale);
    return up <= 0xFFFF && !(up >= 0xD800 && up <= 0xDFFF) ? (uint16_t)up : u;
}

void wmgw__ntlm_utf16_upper(const uint8_t *in, size_t len, uint8_t *out)
{
    pthread_once(&upper_once, upper_init);
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t u = upper_unit(wmgw__ntlm_le16(in + i));
        out[i] = (uint8_t)u;
        out[i + 1] = (uint8_t)(u >> 8);
    }
    if (len & 1)
        out[len - 1] = in[len - 1];
}

static int put_unit(uint8_t *out, size_t cap, size_t *n, uint32_t u)
{
    if (*n + 2 > cap)
        return WMGW_ETOOBIG;
    out[(*n)++] = (uint8_t)u;
    out[(*n)++] = (uint8_t)(u >> 8);
    return 0;
}

int wmgw__ntlm_utf16(const char *s, bool upper, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len = strlen(s), n = 0;
    if (upper)
        pthread_once(&upper_once, upper_init);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += wmgw_utf8_next(s + i, len - i, &cp);
        if (cp == WMGW_UTF8_BAD)
            return WMGW_EINVAL;
        int rc;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            rc = put_unit(out, cap, &n, 0xD800 | (cp >> 10));
            if (rc == 0)
                rc = put_unit(out, cap, &n, 0xDC00 | (cp & 0x3FF));
        } else {
            rc = put_unit(out, cap, &n, upper ? upper_unit((uint16_t)cp) : cp);
        }
        if (rc != 0)
            return rc;
    }
    *out_len = n;
    return 0;
}

int wmgw__ntlm_utf8(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (len & 1)
        return WMGW_EPROTO;
    for (size_t i = 0; i < len; i += 2) {
        uint32_t cp = wmgw__ntlm_le16(p + i);
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return WMGW_EPROTO;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = i + 3 < len ? wmgw__ntlm_le16(p + i + 2) : 0;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return WMGW_EPROTO;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        }
        if (cp == 0)
            return WMGW_EPROTO; /* a NUL would cut the name short */
        char b[4];
        size_t k = wmgw_utf8_put(b, cp);
        if (n + k + 1 > cap)
            return WMGW_ETOOBIG;
        memcpy(out + n, b, k);
        n += k;
    }
    if (cap == 0)
        return WMGW_ETOOBIG;
    out[n] = '\0';
    return 0;
}
