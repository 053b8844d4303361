/*
 * http_parse.h: a bounded, incremental HTTP/1.1 response parser.
 *
 * Fed whatever bytes the socket delivered, in any split, it fills a
 * struct wmgw_http_response: status, Content-Type, the first
 * WWW-Authenticate, and the body (Content-Length, chunked, or up to the
 * close), skipping 1xx interim responses.  Every piece is bounded: a line,
 * the head, the number of header fields and interim responses, and the body
 * (resp->body.max).  The client never sends HEAD, so no HEAD rule.
 */
#ifndef WMGW_TRANSLATORS_TRANSPORT_HTTP_PARSE_H
#define WMGW_TRANSLATORS_TRANSPORT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translators/transport/http_client.h"
#include "util/buf.h"

#define WMGW_HTTP_LINE_MAX 16384   /* one status, header, chunk-size or trailer line */
#define WMGW_HTTP_HEAD_MAX 65536   /* all head lines of one response (trailers included) */
#define WMGW_HTTP_FIELDS_MAX 128   /* header fields per head */
#define WMGW_HTTP_INTERIM_MAX 16   /* 1xx responses before the final one */

enum {
    WMGW_HTTP_MORE = 0, /* feed more bytes */
    WMGW_HTTP_DONE = 1, /* the final response is complete */
};

struct wmgw_http_parser {
    struct wmgw_http_response *resp; /* filled in place; body appended */
    int state;
    struct wmgw_buf line;            /* the line being read (max WMGW_HTTP_LINE_MAX) */
    size_t head_bytes;               /* of the current head, or of the trailers */
    unsigned fields, interim;
    int minor;                       /* HTTP/1.<minor> */
    bool conn_close, conn_keep_alive, chunked, has_length;
    uint64_t length;                 /* Content-Length */
    uint64_t remaining;              /* of the body or of the current chunk */
    bool keep_alive;                 /* valid once DONE: the connection may carry another request */
    char error[128];                 /* why, after a negative return */
};

/* Prepares p to fill resp; resp->body must be initialised with its limit
 * (the parser resets the other fields). */
void wmgw_http_parser_init(struct wmgw_http_parser *p, struct wmgw_http_response *resp);
void wmgw_http_parser_dispose(struct wmgw_http_parser *p);

/* Consumes bytes of data; *used says how many (on DONE, the rest belongs
 * to no response: a server that sends it breaks keep-alive).  Returns
 * WMGW_HTTP_MORE, WMGW_HTTP_DONE, or WMGW_EPROTO / WMGW_ETOOBIG /
 * WMGW_ENOMEM with p->error saying why.  After DONE or an error, do not
 * feed again. */
int wmgw_http_parse(struct wmgw_http_parser *p, const char *data, size_t len, size_t *used);

/* The peer closed: DONE if that ends a close-delimited body, else
 * WMGW_ECONN (the response was cut short or never started). */
int wmgw_http_parse_eof(struct wmgw_http_parser *p);

#endif
