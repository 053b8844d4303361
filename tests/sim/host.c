/*
 * host.c: simulated hosts, their variables, and the fleet's users
 * (host.h).  Variables make each host's data its own (name, disk sizes,
 * counts) so that fleet-wide queries have something to tell apart.
 */
#include "tests/sim/host.h"
#include "tests/sim/dcom.h"
#include "tests/sim/ops.h"
#include "tests/sim/security.h"
#include "tests/sim/store.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const sim_action_names[16] = {"Other",    "Identify", "Get",       "Put",    "Create", "Delete",
                                          "Enumerate", "Pull",    "Release",   "Invoke", "GetClass"};

int sim_action_index(const char *action)
{
    static const struct {
        const char *suffix;
        int index;
    } map[] = {{"/transfer/Get", 2}, {"/transfer/Put", 3},         {"/transfer/Create", 4}, {"/transfer/Delete", 5},
               {"/enumeration/Enumerate", 6}, {"/enumeration/Pull", 7}, {"/enumeration/Release", 8}};
    if (action == NULL)
        return 0;
    if (strcmp(action, "Identify") == 0)
        return 1;
    size_t len = strlen(action);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t sl = strlen(map[i].suffix);
        if (len >= sl && strcmp(action + len - sl, map[i].suffix) == 0)
            return map[i].index;
    }
    return 9; /* a method */
}

static int set_vars(struct sim_host *h, const struct sim_fleet *f)
{
    struct sim_vars *v = &h->vars;
    char lower[64];
    size_t i;
    for (i = 0; h->name[i] && i < sizeof(lower) - 1; i++)
        lower[i] = (char)tolower((unsigned char)h->name[i]);
    lower[i] = '\0';
    unsigned long long n = (unsigned long long)h->number;
    /* C: 64 GiB plus n GiB; D: above 2^53 on odd hosts, a few TiB on even ones. */
    unsigned long long c_size = 68719476736ull + n * 1073741824ull;
    unsigned long long d_size = n % 2 ? 9007199254740993ull + n * 4096ull : 2199023255552ull * n;
    int rc = 0;
    rc |= sim_vars_set(v, "HOST", "%s", h->name);
    rc |= sim_vars_set(v, "host", "%s", lower);
    rc |= sim_vars_set(v, "N", "%llu", n);
    rc |= sim_vars_set(v, "ADDRESS", "%s", h->address);
    rc |= sim_vars_set(v, "DOMAIN", "WORKGROUP");
    rc |= sim_vars_set(v, "DISK_C_SIZE", "%llu", c_size);
    rc |= sim_vars_set(v, "DISK_C_FREE", "%llu", c_size / 3 + n * 4096ull);
    rc |= sim_vars_set(v, "DISK_D_SIZE", "%llu", d_size);
    rc |= sim_vars_set(v, "DISK_D_FREE", "%llu", d_size / 2 + 1);
    rc |= sim_vars_set(v, "EXTRA_SERVICES", "%llu", n % 4);
    rc |= sim_vars_set(v, "MEMORY_KB", "%llu", 4194304ull + n * 1048576ull);
    rc |= sim_vars_set(v, "BENCH_COUNT", "%u", f->bench_instances);
    return rc == 0 ? 0 : WMGW_ENOMEM;
}

int sim_host_load(struct sim_host *h, const struct sim_fleet *f, struct wmgw_err *err)
{
    if (h->max_envelope_kb == 0)
        h->max_envelope_kb = 500;
    if (h->max_timeout_ms == 0)
        h->max_timeout_ms = 60000;
    if (h->enum_timeout_ms == 0)
        h->enum_timeout_ms = 240000;
    if (h->dialect == NULL)
        h->dialect = &wmgw_wsman_dialect_wsmv;
    h->fleet = f;
    int rc = set_vars(h, f);
    if (rc != 0)
        return rc;
    h->store = sim_store_new(&h->vars);
    if (h->store == NULL)
        return WMGW_ENOMEM;
    rc = sim_fixtures_load(h->store, f->fixtures_dir, err);
    if (rc == 0)
        rc = sim_security_install(h->store, err); /* namespace descriptors, __SystemSecurity */
    if (rc != 0) {
        sim_store_free(h->store);
        h->store = NULL;
    }
    return rc;
}

int sim_host_reset(struct sim_host *h, const struct sim_fleet *f, struct wmgw_err *err)
{
    sim_enum_expire(h, true);
    sim_dcom_drop_enums(h); /* their cursors point into the old store */
    struct sim_store *old = h->store;
    h->store = NULL;
    int rc = sim_host_load(h, f, err);
    if (rc != 0) {
        h->store = old; /* keep serving the old data rather than nothing */
        return rc;
    }
    sim_store_free(old);
    return 0;
}

void sim_host_dispose(struct sim_host *h)
{
    sim_enum_expire(h, true);
    sim_dcom_host_dispose(h);
    sim_store_free(h->store);
    sim_vars_dispose(&h->vars);
    free(h->name);
    free(h->address);
    memset(h, 0, sizeof(*h));
}

struct sim_host *sim_fleet_host_for(struct sim_fleet *f, const struct sockaddr *local)
{
    char addr[INET6_ADDRSTRLEN];
    uint16_t port;
    if (local->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)local;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
        port = ntohs(in->sin_port);
    } else if (local->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)local;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
        port = ntohs(in6->sin6_port);
    } else {
        return NULL;
    }
    for (size_t i = 0; i < f->nhosts; i++)
        if ((f->hosts[i].port == port || (port != 0 && f->hosts[i].https_port == port)) &&
            strcmp(f->hosts[i].address, addr) == 0)
            return &f->hosts[i];
    return NULL;
}

struct sim_host *sim_fleet_host_named(struct sim_fleet *f, const char *name)
{
    for (size_t i = 0; i < f->nhosts; i++)
        if (strcasecmp(f->hosts[i].name, name) == 0)
            return &f->hosts[i];
    return NULL;
}

int sim_fleet_add_user(struct sim_fleet *f, const char *spec, struct wmgw_err *err)
{
    const char *colon = strchr(spec, ':');
    if (colon == NULL || colon == spec)
        return wmgw_err_set(err, WMGW_ECONFIG, "a user is NAME:PASSWORD, not \"%s\"", spec);
    struct sim_user *u = realloc(f->users, (f->nusers + 1) * sizeof(*u));
    if (u == NULL)
        return WMGW_ENOMEM;
    f->users = u;
    memset(&u[f->nusers], 0, sizeof(*u));
    u[f->nusers].name = strndup(spec, (size_t)(colon - spec));
    u[f->nusers].password = strdup(colon + 1);
    if (u[f->nusers].name == NULL || u[f->nusers].password == NULL)
        return WMGW_ENOMEM;
    f->nusers++;
    return 0;
}

int sim_fleet_load_users(struct sim_fleet *f, const char *path, struct wmgw_err *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "cannot read users file %s", path);
    char line[1024];
    int rc = 0, lineno = 0;
    while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        rc = sim_fleet_add_user(f, p, err);
        if (rc != 0 && err != NULL) {
            char msg[sizeof(err->message)];
            snprintf(msg, sizeof(msg), "%.100s:%d: %.200s", path, lineno, err->message);
            memcpy(err->message, msg, sizeof(msg));
        }
    }
    fclose(fp);
    return rc;
}

bool sim_fleet_check_password(const struct sim_fleet *f, const char *user, const char *password)
{
    /* Windows user names are case-insensitive; ".\" and "HOST\" prefixes
     * name a local account, which every simulated user is. */
    const char *bs = strchr(user, '\\');
    if (bs != NULL)
        user = bs + 1;
    for (size_t i = 0; i < f->nusers; i++)
        if (strcasecmp(f->users[i].name, user) == 0 && strcmp(f->users[i].password, password) == 0) {
            sim_security_set_caller(f, user); /* whose rights the operation is checked against */
            return true;
        }
    return false;
}
