/*
 * base64.h: RFC 4648 base64, the one codec of the project.
 *
 * Two alphabets: standard (with '=' padding; HTTP Authorization headers,
 * PEM-less key material) and URL-safe (no padding; cursors and tokens).
 * Decoding is strict and canonical: no whitespace, no characters outside
 * the alphabet, padding only where the standard alphabet needs it, and the
 * unused bits of a short last group must be zero, so one byte string has
 * exactly one accepted spelling.
 */
#ifndef WMGW_UTIL_BASE64_H
#define WMGW_UTIL_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum wmgw_base64_alphabet {
    WMGW_BASE64_STD, /* A-Z a-z 0-9 + /, '=' padded */
    WMGW_BASE64_URL, /* A-Z a-z 0-9 - _, unpadded */
};

/* Length of the encoding of n bytes (no terminator). */
size_t wmgw_base64_encoded_len(size_t n, enum wmgw_base64_alphabet a);

/* Appends the encoding of p[0..n) to out; WMGW_ETOOBIG past out's limit. */
int wmgw_base64_encode(struct wmgw_buf *out, const void *p, size_t n, enum wmgw_base64_alphabet a);

/* Appends the decoding of s[0..n) to out; WMGW_EINVAL for anything that is
 * not the canonical spelling of some byte string. */
int wmgw_base64_decode(struct wmgw_buf *out, const char *s, size_t n, enum wmgw_base64_alphabet a);

#endif
