/*
 * url.h: percent-encoding of URL path segments and query values (RFC 3986).
 *
 * Encoding is conservative: every byte outside the unreserved set
 * A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex), so an encoded value can
 * sit in any segment or query value without ambiguity ('/', ',', '=', '&',
 * '+' and '%' are always encoded).  Decoding rejects malformed escapes and
 * NUL (raw or %00), because what it returns is used as a C string.  Both
 * append to a bounded wmgw_buf and leave it as it was on failure.
 */
#ifndef WMGW_UTIL_URL_H
#define WMGW_UTIL_URL_H

#include <stdbool.h>
#include <stddef.h>

struct wmgw_buf;

bool wmgw_url_is_unreserved(char c);
/* Appends s[0..len) percent-encoded.  0, WMGW_ETOOBIG or WMGW_ENOMEM. */
int wmgw_url_encode(struct wmgw_buf *out, const char *s, size_t len);
/* Appends the decoded bytes of a path segment ('+' stays '+').
 * 0, WMGW_EINVAL (bad %-escape or NUL), WMGW_ETOOBIG or WMGW_ENOMEM. */
int wmgw_url_decode(const char *s, size_t len, struct wmgw_buf *out);
/* Same for a query value in application/x-www-form-urlencoded style,
 * where '+' stands for a space. */
int wmgw_url_decode_query(const char *s, size_t len, struct wmgw_buf *out);

#endif
