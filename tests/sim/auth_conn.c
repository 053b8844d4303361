/*
 * auth_conn.c: authentication state that lives as long as one client
 * connection (auth.h).  h2o 2.2 gives a connection no user pointer, but
 * its socket has an on_close hook: the state hangs there, so it is found
 * again by the next request on the same keep-alive connection and freed
 * (security contexts wiped by their own free functions) when the socket
 * closes.  A previous on_close of the socket is kept and called after.
 */
#include "tests/sim/auth.h"

#include <openssl/crypto.h>
#include <string.h>
#include <stdlib.h>

void sim_conn_reset(struct sim_conn *c)
{
    wmgw_ntlm_server_free(c->ntlm);
    wmgw_gss_ctx_free(c->gss);
    c->ntlm = NULL;
    c->gss = NULL;
    c->authed = false;
    c->has_sec = false;
    memset(&c->sec, 0, sizeof(c->sec));
    c->user[0] = '\0';
}

static void on_close(void *data)
{
    struct sim_conn *c = data;
    void (*prev)(void *) = c->prev_close;
    void *prev_data = c->prev_data;
    sim_conn_reset(c);
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
    if (prev != NULL)
        prev(prev_data);
}

struct sim_conn *sim_conn_get(h2o_req_t *req)
{
    if (req->conn->callbacks->get_socket == NULL)
        return NULL;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL)
        return NULL;
    if (sock->on_close.cb == on_close)
        return sock->on_close.data;
    struct sim_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->prev_close = sock->on_close.cb;
    c->prev_data = sock->on_close.data;
    sock->on_close.cb = on_close;
    sock->on_close.data = c;
    return c;
}
