/*
 * caller_header.c: the Authorization header's parsers (caller.h), pure
 * functions over untrusted bytes, bounded, and fuzzed
 * (tests/fuzz/fuzz_auth_header.c).  No message quotes the credentials.
 */
#include "gateway/caller.h"
#include "util/base64.h"
#include "util/buf.h"

#include <openssl/crypto.h>
#include <string.h>

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int wmgw_auth_header_split(const char *v, size_t len, const char **scheme, size_t *scheme_len, const char **cred,
                           size_t *cred_len, struct wmgw_err *err)
{
    if (len > WMGW_AUTH_HEADER_MAX)
        return wmgw_err_set(err, WMGW_EINVAL, "Authorization: longer than %d bytes", WMGW_AUTH_HEADER_MAX);
    size_t i = 0;
    while (i < len && tchar((unsigned char)v[i]))
        i++;
    if (i == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "Authorization: want \"scheme credentials\"");
    *scheme = v;
    *scheme_len = i;
    size_t sp = i;
    while (i < len && v[i] == ' ')
        i++;
    if (i < len && i == sp)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "Authorization: a space must follow the scheme");
    size_t end = len;
    while (end > i && v[end - 1] == ' ')
        end--;
    for (size_t k = i; k < end; k++)
        if ((unsigned char)v[k] < 0x20 || (unsigned char)v[k] >= 0x7f)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)k, "Authorization: credentials must be printable ASCII");
    *cred = v + i;
    *cred_len = end - i;
    return 0;
}

int wmgw_auth_basic_decode(const char *b64, size_t len, struct wmgw_buf *out, const char **user, size_t *user_len,
                           const char **password, size_t *password_len, struct wmgw_err *err)
{
    if (len == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Basic: no credentials");
    if (wmgw_base64_decode(out, b64, len, WMGW_BASE64_STD) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Basic: credentials are not base64");
    const char *d = out->data;
    size_t n = out->len;
    const char *colon = d != NULL ? memchr(d, ':', n) : NULL;
    if (colon == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "Basic: want base64 of user:password");
    if (colon == d)
        return wmgw_err_set(err, WMGW_EINVAL, "Basic: empty user name");
    /* RFC 7617: no control characters in either part. */
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)d[k] < 0x20 || (unsigned char)d[k] == 0x7f)
            return wmgw_err_set(err, WMGW_EINVAL, "Basic: control character in user or password");
    *user = d;
    *user_len = (size_t)(colon - d);
    *password = colon + 1;
    *password_len = n - *user_len - 1;
    return 0;
}

int wmgw_auth_negotiate_decode(const char *b64, size_t len, struct wmgw_buf *out, struct wmgw_err *err)
{
    if (len == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Negotiate: no token");
    if (wmgw_base64_decode(out, b64, len, WMGW_BASE64_STD) != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Negotiate: the token is not base64 or too long");
    return 0;
}
