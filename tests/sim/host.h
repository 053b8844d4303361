/*
 * host.h: a simulated Windows host and the fleet that holds them.
 *
 * A host is an identity (computer name, number), the addresses it answers
 * on, the WS-Management dialect it speaks, its CIM store, its open
 * enumerations, what the control interface told it to do to the next
 * requests (latency, faults, dropped connections, garbage) and counters.
 * The host a request reaches is the one listening on the local address and
 * port the connection arrived at.
 */
#ifndef WMSIM_HOST_H
#define WMSIM_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tests/sim/fixtures.h"
#include "translators/wsman/dialect.h"

struct sim_store;
struct sim_enum;
struct sim_dcom;

/* What the control interface asked for, consumed request by request. */
struct sim_plan {
    unsigned latency_ms;         /* added to every reply */
    unsigned fail_count;         /* next N requests fail ... */
    int fail_fault;              /* ... with this enum sim_fault_kind, or -1 */
    int fail_http_status;        /* ... or with this bare HTTP status (0: none) */
    unsigned drop_count;         /* next N replies are cut mid-body */
    unsigned garbage_count;      /* next N replies are malformed XML */
    uint32_t fail_hresult;       /* DCOM: the failures answer this WBEM HRESULT (0: the
                                  * one of fail_fault); WS-Man keeps fail_fault */
};

struct sim_counters {
    uint64_t requests;      /* every HTTP request on the WS-Man port */
    uint64_t unauthorized;  /* answered 401 */
    uint64_t faults;        /* answered with a SOAP fault */
    uint64_t by_action[16]; /* see sim_action_index() */
    /* The DCOM front (dcom_server.c): connections accepted, RPC calls
     * answered, calls refused for authentication, calls answered with a
     * failure (HRESULT or RPC fault), and calls per method (sim_dcom_call_names). */
    uint64_t dcom_connections, dcom_calls, dcom_unauthorized, dcom_faults;
    uint64_t dcom_by_call[32];
};

struct sim_fleet;

struct sim_host {
    char *name;  /* "WMSIM-01" */
    const struct sim_fleet *fleet; /* its users (security.h); set by sim_host_load */
    int number;  /* 1-based */
    char *address;
    uint16_t port;          /* WS-Management; 0: the host does not speak it */
    uint16_t dcom_port;     /* DCOM activation and OXID resolver (135); 0: no DCOM */
    uint16_t dcom_endpoint; /* the object exporter's port; 0 until listening picks one */
    struct sim_dcom *dcom;  /* DCOM objects (dcom_objects.c); NULL until first used */
    const struct wmgw_wsman_dialect *dialect;
    struct sim_vars vars;
    struct sim_store *store;
    struct sim_enum *enums; /* open enumeration contexts (list) */
    struct sim_plan plan;
    struct sim_counters counters;
    unsigned max_envelope_kb; /* MaxEnvelopeSizekb */
    unsigned max_timeout_ms;  /* MaxTimeoutms */
    unsigned enum_timeout_ms; /* idle enumeration contexts expire */
    /* Transport security (auth.h): an HTTPS port beside or instead of
     * port, clear SOAP over HTTP refused (AllowUnencrypted=false), and the
     * channel-binding hardening of HTTPS (enum sim_cbt). */
    uint16_t https_port;
    bool encrypt_required;
    int cbt;
};

#define SIM_USER_MAX_GROUPS 16

struct sim_user {
    char *name;
    char *password;
    /* security.h: the user's SID (NULL: derived from its number) and groups
     * (explicit_sid: as --user-sid gave them; else Administrators) */
    char *sid;
    bool explicit_sid;
    size_t ngroups;
    char *groups[SIM_USER_MAX_GROUPS];
};

struct sim_fleet {
    size_t nhosts;
    struct sim_host *hosts;
    size_t nusers;
    struct sim_user *users;
    char *fixtures_dir;
    unsigned bench_instances;
};

/* Builds the host's variables and loads its store from the fixtures. */
int sim_host_load(struct sim_host *h, const struct sim_fleet *f, struct wmgw_err *err);
/* Drops the store and open enumerations and loads the fixtures again. */
int sim_host_reset(struct sim_host *h, const struct sim_fleet *f, struct wmgw_err *err);
void sim_host_dispose(struct sim_host *h);

/* The host listening on this local address, or NULL. */
struct sim_host *sim_fleet_host_for(struct sim_fleet *f, const struct sockaddr *local);
struct sim_host *sim_fleet_host_named(struct sim_fleet *f, const char *name);

/* Reads "user:password" lines ('#' comments) into the fleet. */
int sim_fleet_load_users(struct sim_fleet *f, const char *path, struct wmgw_err *err);
int sim_fleet_add_user(struct sim_fleet *f, const char *spec, struct wmgw_err *err);
bool sim_fleet_check_password(const struct sim_fleet *f, const char *user, const char *password);

/* Index into counters.by_action for an action URI (0 = other). */
int sim_action_index(const char *action);
extern const char *const sim_action_names[16];

#endif
