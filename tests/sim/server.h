/*
 * server.h: the simulator's HTTP side on h2o: one event loop, one listener
 * per simulated host (its loopback address and port, path /wsman), and a
 * separate control listener for tests (control.c).
 */
#ifndef WMSIM_SERVER_H
#define WMSIM_SERVER_H

#include <h2o.h>

#include "tests/sim/auth.h"
#include "tests/sim/host.h"

struct sim_server {
    struct sim_fleet *fleet;
    h2o_evloop_t *loop;
    h2o_globalconf_t wsman_conf, control_conf;
    h2o_context_t wsman_ctx, control_ctx;
    h2o_accept_ctx_t wsman_accept, control_accept;
    bool verbose;
    volatile int stop; /* set by signal handlers */
    /* Kerberos and HTTPS (auth.h): the --keytab acceptor, the TLS context
     * of --tls-cert and its channel bindings (application data, and as the
     * flattened gss_channel_bindings_struct NTLM hashes). */
    struct wmgw_gss_cred *acceptor;
    /* NTLM inside SPNEGO (auth_ntlm_users.c): the fleet's users as a
     * gss-ntlmssp users file, a memfd named /proc/self/fd/N ("" = none),
     * and each host's acceptor (by index in the fleet), made on first use. */
    int ntlm_users_fd;
    char ntlm_users[32];
    struct wmgw_gss_cred **ntlm_acceptors;
    SSL_CTX *tls;
    h2o_accept_ctx_t wsman_tls_accept;
    uint8_t cb_app[WMGW_GSS_CB_MAX];
    size_t cb_app_len;
    uint8_t cb_flat[20 + WMGW_GSS_CB_MAX];
    size_t cb_flat_len;
    /* Certificate authentication (auth_cert.c): --client-ca asks HTTPS
     * clients for a certificate verified against it; --cert-map rows map
     * a certificate's UPN ("*": any) to a user of the fleet. */
    bool client_ca;
    size_t ncert_maps;
    struct sim_cert_map *cert_maps;
};

/* Prepares h2o and the handlers. */
int sim_server_init(struct sim_server *s, struct sim_fleet *f);
/* Binds and listens on addr:port for WS-Management (control == false) or
 * the control interface.  WMGW_ECONFIG with a message when it cannot. */
int sim_server_listen(struct sim_server *s, const char *addr, uint16_t port, bool control, struct wmgw_err *err);
/* The same for HTTPS (WS-Management only), after sim_tls_load(). */
int sim_server_listen_tls(struct sim_server *s, const char *addr, uint16_t port, struct wmgw_err *err);
/* Runs until s->stop. */
int sim_server_run(struct sim_server *s);

/* Registers the control interface's handler on its globalconf (control.c). */
void sim_control_register(struct sim_server *s);

/* A pool-owned timer for delayed replies; cancelled if the request dies. */
typedef void (*sim_delay_cb)(void *data);
void sim_server_delay(struct sim_server *s, h2o_req_t *req, unsigned ms, sim_delay_cb cb, void *data);
/* The loop's timeout queue of one duration (h2o 2.2 has one duration per
 * queue), for timers that are not tied to a request; NULL without memory. */
h2o_timeout_t *sim_server_timeout(struct sim_server *s, unsigned ms);

#endif
