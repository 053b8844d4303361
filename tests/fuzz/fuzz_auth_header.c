/*
 * fuzz_auth_header.c: libFuzzer target for what a caller puts in the
 * Authorization header (gateway/caller_header.c): the scheme/credentials
 * split, then by scheme the bearer token's shape check and hash
 * (auth/token.h), Basic's base64 "user:password" and Negotiate's base64
 * token.  Every success is checked for consistency: the parts lie inside
 * the input (or the decoded buffer), the user is never empty and the two
 * parts with their ':' make up the decoded bytes.  No success may produce
 * a scheme outside the token alphabet.
 *
 * Seeds: corpus/fuzz_auth_header (one header value per file).
 */
#include "auth/token.h"
#include "gateway/caller.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void basic(const char *cred, size_t len)
{
    struct wmgw_buf b;
    wmgw_buf_init(&b, 8192);
    const char *user, *pw;
    size_t ul, pl;
    struct wmgw_err err;
    if (wmgw_auth_basic_decode(cred, len, &b, &user, &ul, &pw, &pl, &err) == 0) {
        if (ul == 0 || user != b.data || ul + 1 + pl != b.len || pw != b.data + ul + 1 || b.data[ul] != ':')
            abort();
        if (memchr(user, ':', ul) != NULL)
            abort();
    }
    wmgw_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data;
    const char *scheme, *cred;
    size_t sl, cl;
    struct wmgw_err err;
    if (wmgw_auth_header_split(v, size, &scheme, &sl, &cred, &cl, &err) != 0)
        return 0;
    if (sl == 0 || scheme != v || cred < v + sl || cred + cl > v + size)
        abort();
    for (size_t i = 0; i < cl; i++)
        if ((unsigned char)cred[i] < 0x20 || (unsigned char)cred[i] >= 0x7f)
            abort();
    if (sl == 6 && strncasecmp(scheme, "Bearer", 6) == 0) {
        char hash[WMGW_TOKEN_HASH_LEN + 1];
        int ok = wmgw_token_parse(cred, cl, &err) == 0;
        if (ok != (wmgw_token_hash(cred, cl, hash, &err) == 0))
            abort();
        if (ok && (cl != WMGW_TOKEN_LEN || wmgw_token_parse_hash(hash, &err) != 0))
            abort();
    } else if (sl == 5 && strncasecmp(scheme, "Basic", 5) == 0) {
        basic(cred, cl);
    } else {
        struct wmgw_buf b;
        wmgw_buf_init(&b, 65536);
        if (wmgw_auth_negotiate_decode(cred, cl, &b, &err) == 0 && (b.len == 0 || b.len > cl))
            abort();
        wmgw_buf_dispose(&b);
    }
    return 0;
}
