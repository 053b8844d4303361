/*
 * caller_tool.c: what operators run to make caller credentials:
 * `wmgw --new-token` (a fresh API token and the hash to configure) and
 * `wmgw --hash-password` (the scrypt hash of a password read from stdin).
 * The gateway itself only ever stores the hashes.
 */
#include "gateway/caller_tool.h"
#include "auth/passhash.h"
#include "auth/token.h"
#include "util/err.h"

#include <openssl/crypto.h>
#include <string.h>

int wmgw_tool_new_token(FILE *out)
{
    char token[WMGW_TOKEN_LEN + 1], hash[WMGW_TOKEN_HASH_LEN + 1];
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_token_new(token, hash, &err) != 0) {
        fprintf(stderr, "wmgw: %s\n", err.message);
        return 1;
    }
    fprintf(out, "token = %s\ntoken-hash = %s\n", token, hash);
    fprintf(stderr, "wmgw: give the token to its owner; put token-hash in their [principal NAME]\n");
    OPENSSL_cleanse(token, sizeof(token));
    return 0;
}

int wmgw_tool_hash_password(FILE *in, FILE *out)
{
    char line[WMGW_PASSHASH_MAX_PASSWORD + 2];
    if (fgets(line, sizeof(line), in) == NULL) {
        fprintf(stderr, "wmgw: --hash-password reads the password from stdin (one line)\n");
        return 2;
    }
    size_t n = strcspn(line, "\r\n");
    int rc = 0;
    if (line[n] == '\0' && n == sizeof(line) - 1) {
        fprintf(stderr, "wmgw: the password is longer than %d bytes\n", WMGW_PASSHASH_MAX_PASSWORD);
        rc = 2;
    } else if (n == 0) {
        fprintf(stderr, "wmgw: the password is empty\n");
        rc = 2;
    } else {
        char stored[WMGW_PASSHASH_MAX_STRING];
        struct wmgw_err err;
        wmgw_err_clear(&err);
        if (wmgw_passhash_hash(line, n, NULL, stored, sizeof(stored), &err) != 0) {
            fprintf(stderr, "wmgw: %s\n", err.message);
            rc = 1;
        } else {
            fprintf(out, "password-hash = %s\n", stored);
        }
    }
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}
