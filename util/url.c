/*
 * url.c: percent-encoding and decoding (url.h).
 *
 * Used by cim/path.c for the {ns} and {keys} segments of instance URLs and
 * by the HTTP router for path segments and query values.  Plain runs are
 * copied in one append so long unencoded values cost one memcpy.
 */
#include "util/url.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hex.h"

bool wmgw_url_is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static int restore(struct wmgw_buf *out, size_t start, int rc)
{
    if (out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

int wmgw_url_encode(struct wmgw_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len, run = 0;
    for (size_t i = 0; i < len; i++) {
        if (wmgw_url_is_unreserved(s[i]))
            continue;
        unsigned char c = (unsigned char)s[i];
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        int rc = wmgw_buf_add(out, s + run, i - run);
        if (rc == 0)
            rc = wmgw_buf_add(out, esc, 3);
        if (rc != 0)
            return restore(out, start, rc);
        run = i + 1;
    }
    int rc = wmgw_buf_add(out, s + run, len - run);
    return rc != 0 ? restore(out, start, rc) : 0;
}

static int decode(const char *s, size_t len, struct wmgw_buf *out, bool plus_is_space)
{
    size_t start = out->len, run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\0')
            return restore(out, start, WMGW_EINVAL);
        if (c != '%' && !(plus_is_space && c == '+'))
            continue;
        char d = ' ';
        size_t used = 1;
        if (c == '%') {
            if (len - i < 3)
                return restore(out, start, WMGW_EINVAL);
            int h = wmgw_hex_value(s[i + 1]), l = wmgw_hex_value(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return restore(out, start, WMGW_EINVAL);
            d = (char)(h * 16 + l);
            used = 3;
        }
        int rc = wmgw_buf_add(out, s + run, i - run);
        if (rc == 0)
            rc = wmgw_buf_addc(out, d);
        if (rc != 0)
            return restore(out, start, rc);
        i += used - 1;
        run = i + 1;
    }
    /* Also allocates on an empty result, so out->data is a string. */
    int rc = wmgw_buf_add(out, s + run, len - run);
    return rc != 0 ? restore(out, start, rc) : 0;
}

int wmgw_url_decode(const char *s, size_t len, struct wmgw_buf *out)
{
    return decode(s, len, out, false);
}

int wmgw_url_decode_query(const char *s, size_t len, struct wmgw_buf *out)
{
    return decode(s, len, out, true);
}
