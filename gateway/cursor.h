/*
 * cursor.h: paging cursors, signed so that a caller can neither forge one
 * nor point one at another host, namespace or class.
 *
 * A cursor carries everything needed to continue a listing: where it
 * belongs (host, namespace, class or query), the parsed filter and select
 * as canonical text, the translator's own continuation (for WS-Man the
 * backend's EnumerationContext, which lives on the host, so any replica
 * with the same cursor-secret can continue it) and an expiry.  Format:
 * base64url(JSON) "." base64url(HMAC-SHA256(key, JSON)[0..16]).
 */
#ifndef WMGW_GATEWAY_CURSOR_H
#define WMGW_GATEWAY_CURSOR_H

#include <stdint.h>

struct wmgw_buf;
struct wmgw_err;

struct wmgw_cursor {
    char *host;
    char *namespace_;
    char *scope;      /* class name, or "query", "associators:<keys>", "references:<keys>" */
    char *where;      /* canonical WQL condition or NULL */
    char *select;     /* comma list or NULL */
    char *query;      /* whole canonical query (queryHost) or NULL */
    char *backend;    /* the translator's continuation */
    int64_t expires;  /* unix seconds */
};

int wmgw_cursor_format(struct wmgw_buf *out, const unsigned char key[32], const struct wmgw_cursor *c);
/* Checks signature and expiry; WMGW_EINVAL (forged or malformed) or
 * WMGW_EGONE (expired). */
int wmgw_cursor_parse(const char *token, const unsigned char key[32], struct wmgw_cursor *c, struct wmgw_err *err);
void wmgw_cursor_dispose(struct wmgw_cursor *c);

#endif
