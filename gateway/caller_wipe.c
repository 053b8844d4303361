/*
 * caller_wipe.c: removing a caller's token or password from the request's
 * memory once it has been checked (caller.h), so that a core dump of the
 * gateway taken later does not hold it.
 *
 * HTTP/1 (h2o 2.2.5): the header values point into the connection's input
 * buffer, or, for a request with a body, into copies in the request's
 * pool while the raw request line and headers stay behind in the input
 * buffer's memory after h2o has consumed them.  Both are wiped: the value
 * in place, then every copy of the credential in the whole allocation of
 * the input buffer (consumed bytes included).  What this cannot reach: a
 * buffer h2o outgrew and freed (a body larger than the buffer, 8 KiB at
 * first, moves it) keeps its old bytes in freed memory.
 *
 * HTTP/2: the decoded value may be the one the connection's HPACK table
 * keeps for later requests (a client that indexes Authorization, which RFC
 * 7541 7.1.3 advises against; curl and python-h2 never index it), so it
 * is left alone: wiping it would turn the client's next requests into 401s.
 */
#include "gateway/caller.h"

#include <h2o.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define HTTP2 0x200

/* Every copy of cred in the input buffer's allocation.  Only a buffer of
 * its own (bytes set: not the empty prototype) in memory (_fd -1: not a
 * temporary file mapped for a very large body). */
static void wipe_input_buffer(h2o_req_t *req, const char *cred, size_t len)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || sock->input == NULL || sock->input->bytes == NULL || sock->input->_fd != -1)
        return;
    char *p = sock->input->_buf, *end = sock->input->_buf + sock->input->capacity;
    while ((size_t)(end - p) >= len && (p = memmem(p, (size_t)(end - p), cred, len)) != NULL) {
        OPENSSL_cleanse(p, len);
        p += len;
    }
}

void wmgw_caller_wipe_credential(h2o_req_t *req, char *cred, size_t len)
{
    if (len == 0 || req->version >= HTTP2)
        return;
    /* The needle may lie in the buffer searched: search with a copy. */
    char *needle = malloc(len);
    if (needle != NULL) {
        memcpy(needle, cred, len);
        wipe_input_buffer(req, needle, len);
        OPENSSL_cleanse(needle, len);
        free(needle);
    }
    OPENSSL_cleanse(cred, len);
}
