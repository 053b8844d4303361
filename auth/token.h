/*
 * token.h: bearer API tokens for callers of the gateway.
 *
 * A token is "wmgw_" followed by the URL-safe, unpadded base64 of 32
 * random bytes: 48 characters, 256 bits of entropy, safe in headers, URLs
 * and shells.  The gateway stores only its SHA-256, as 64 lowercase hex
 * digits, which is what `printf %s "$TOKEN" | sha256sum` prints, so an
 * operator can compute and check stored hashes with standard tools.
 *
 * A plain SHA-256 suffices (no salt, no slow KDF): the token is random and
 * 256 bits long, so its hash cannot be reversed by guessing; it is the
 * hash of a password that needs scrypt (see passhash.h).
 *
 * SECURITY
 *      What a caller presents is checked to be exactly a token of this
 *      shape (length, prefix, alphabet, canonical base64) before it is
 *      hashed.  Lookups compare the presented token's hash with every
 *      stored hash in constant time (CRYPTO_memcmp, no early exit).  The
 *      token text is never put in an error message.  A new token is shown
 *      to its owner once; the caller wipes the buffer it was written to.
 */
#ifndef WMGW_AUTH_TOKEN_H
#define WMGW_AUTH_TOKEN_H

#include "util/err.h"

#include <stddef.h>

#define WMGW_TOKEN_PREFIX "wmgw_"
#define WMGW_TOKEN_RANDOM_BYTES 32
#define WMGW_TOKEN_LEN 48      /* "wmgw_" + 43 base64url characters */
#define WMGW_TOKEN_HASH_LEN 64 /* hex SHA-256 */

/* A fresh token and its stored form, both NUL-terminated. */
int wmgw_token_new(char token[WMGW_TOKEN_LEN + 1], char hash[WMGW_TOKEN_HASH_LEN + 1], struct wmgw_err *err);

/* 0 when s[0..n) is exactly a token, else WMGW_EINVAL with the position of
 * the first thing wrong (the message never quotes s). */
int wmgw_token_parse(const char *s, size_t n, struct wmgw_err *err);

/* The stored form of the token s[0..n) (parsed first). */
int wmgw_token_hash(const char *s, size_t n, char hash[WMGW_TOKEN_HASH_LEN + 1], struct wmgw_err *err);

/* 0 when s is a stored form (64 lowercase hex digits), else WMGW_EINVAL:
 * for checking the configuration. */
int wmgw_token_parse_hash(const char *s, struct wmgw_err *err);

/* Which of the n stored hashes matches the presented token s[0..len):
 * its index in *index.  WMGW_EAUTH when the token is malformed or matches
 * none.  Every stored hash is compared, whatever the outcome. */
int wmgw_token_find(const char *s, size_t len, const char *const *hashes, size_t n, size_t *index,
                    struct wmgw_err *err);

#endif
