/*
 * request_wipe.c: removing a secret from the memory of the request that
 * brought it (request_wipe.h), once it has been used, so that a core dump
 * of the gateway taken later does not hold it: a caller's token or
 * password (caller.c), a credential's secret in a request body
 * (h_credentials.c).
 *
 * HTTP/1 (h2o 2.2.5): header values point into the connection's input
 * buffer or, for a request with a body, into copies in the request's pool,
 * and the raw request (line, headers, body) stays behind in the input
 * buffer's memory after h2o has consumed it.  Both are wiped: the bytes in
 * place, then every copy of them in the whole allocation of the input
 * buffer (consumed bytes included).  What this cannot reach: a buffer h2o
 * outgrew and freed (a request larger than the buffer, 8 KiB at first,
 * moves it) keeps its old bytes in freed memory, and a chunked body's raw
 * form is split by its chunk headers.
 *
 * HTTP/2: a decoded header value may be the one the connection's HPACK
 * table keeps for later requests (a client that indexes Authorization,
 * which RFC 7541 7.1.3 advises against; curl and python-h2 never index
 * it), so it is left alone: wiping it would turn the client's next
 * requests into 401s.  A body is the request's own and is wiped.
 */
#include "gateway/request_wipe.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define HTTP2 0x200

/* Every copy of the needle in the input buffer's allocation.  Only a
 * buffer of its own (bytes set: not the empty prototype) in memory (_fd
 * -1: not a temporary file mapped for a very large body). */
static void wipe_input_buffer(h2o_req_t *req, const char *needle, size_t len)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || sock->input == NULL || sock->input->bytes == NULL || sock->input->_fd != -1)
        return;
    char *p = sock->input->_buf, *end = sock->input->_buf + sock->input->capacity;
    while ((size_t)(end - p) >= len && (p = memmem(p, (size_t)(end - p), needle, len)) != NULL) {
        OPENSSL_cleanse(p, len);
        p += len;
    }
}

/* p[0..len) wiped, and on HTTP/1 its raw copies too. */
static void wipe(h2o_req_t *req, char *p, size_t len)
{
    if (req->version < HTTP2) {
        /* The bytes may lie in the buffer searched: search with a copy. */
        char *needle = malloc(len);
        if (needle != NULL) {
            memcpy(needle, p, len);
            wipe_input_buffer(req, needle, len);
            OPENSSL_cleanse(needle, len);
            free(needle);
        }
    }
    OPENSSL_cleanse(p, len);
}

void wmgw_request_wipe_header_value(h2o_req_t *req, char *p, size_t len)
{
    if (len > 0 && req->version < HTTP2)
        wipe(req, p, len);
}

void wmgw_request_wipe_body(h2o_req_t *req)
{
    if (req->entity.base != NULL && req->entity.len > 0)
        wipe(req, (char *)req->entity.base, req->entity.len);
}
