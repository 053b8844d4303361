/*
 * auth_header.c: the Authorization header of a WS-Management request,
 * "Scheme token68" (RFC 7235), split and decoded for the scheme rows of
 * server.c.  Every scheme WinRM knows puts base64 after its name (Basic:
 * user:password; Negotiate, NTLM, Kerberos: a security token), so one
 * bounded parser serves all of them; certificate authentication sends
 * a secprofile URI instead, recognized whole.  Fuzzed by tests/fuzz/fuzz_sim_auth.c.
 */
#include "tests/sim/auth.h"

#include "util/base64.h"

#include <string.h>

int sim_auth_header_parse(const char *value, size_t len, char scheme[SIM_AUTH_MAX_SCHEME], struct wmgw_buf *tok,
                          struct wmgw_err *err)
{
    size_t i = 0;
    /* Certificate authentication names a secprofile, not "Scheme token". */
    if (len == strlen(SIM_AUTH_MUTUAL_URI) && memcmp(value, SIM_AUTH_MUTUAL_URI, len) == 0) {
        memcpy(scheme, SIM_AUTH_MUTUAL, sizeof(SIM_AUTH_MUTUAL));
        wmgw_buf_reset(tok);
        return 0;
    }
    while (i < len && value[i] != ' ') {
        char c = value[i];
        /* A scheme is an HTTP token; WinRM's are letters only. */
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "Authorization: bad character in the scheme");
        if (i + 1 >= SIM_AUTH_MAX_SCHEME)
            return wmgw_err_set(err, WMGW_EINVAL, "Authorization: scheme longer than %d", SIM_AUTH_MAX_SCHEME - 1);
        i++;
    }
    if (i == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Authorization: no scheme");
    memcpy(scheme, value, i);
    scheme[i] = '\0';
    while (i < len && value[i] == ' ')
        i++;
    if (i == len)
        return wmgw_err_set(err, WMGW_EINVAL, "Authorization: %s without credentials", scheme);
    size_t n = len - i;
    if (n > (SIM_AUTH_MAX_TOKEN / 3 + 1) * 4)
        return wmgw_err_set(err, WMGW_EINVAL, "Authorization: credentials of %zu characters (at most %d bytes)", n,
                            SIM_AUTH_MAX_TOKEN);
    wmgw_buf_reset(tok);
    if (wmgw_base64_decode(tok, value + i, n, WMGW_BASE64_STD) != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "Authorization: %s credentials are not base64", scheme);
    if (tok->len == 0 || tok->len > SIM_AUTH_MAX_TOKEN)
        return wmgw_err_set(err, WMGW_EINVAL, "Authorization: %s token of %zu bytes", scheme, tok->len);
    return 0;
}
