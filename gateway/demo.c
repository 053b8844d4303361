/*
 * demo.c: the demo fleet (demo.h).  wmsim runs as a child that dies with
 * the gateway (PR_SET_PDEATHSIG); its hosts listen on 127.0.77.x with a
 * password made up for this run, which only the gateway knows, so callers
 * never hold a backend credential even in the demo.
 *
 * The fleet shows every way a host is reached: MS-WSMV hosts configured as
 * such, one configured `protocol = auto` (detected on first use, shown as
 * detectedProtocol), a Windows Server 2003 R2 host (the MS-WSMAN
 * dialect), whose class schemas come from the class catalogue: the same
 * fixture files wmsim loads, so its schemas are the simulated hosts' own,
 * and a host reached over WMI/DCOM only (no WS-Management at all), its
 * activation port DEMO_DCOM_PORT rather than 135, which needs root.
 *
 * Two callers show the security model: "admin" (Builtin Administrators:
 * everything, policy administration included) and "reader", whom the
 * demo policy's descriptor lets read but not write or run methods.  Their
 * API tokens are made for this run and printed, unless
 * WMGW_DEMO_ADMIN_TOKEN / WMGW_DEMO_READER_TOKEN choose them (scripts).
 */
#include "gateway/demo.h"
#include "gateway/config.h"
#include "auth/token.h"
#include "translators/backend.h"
#include "util/err.h"
#include "util/hex.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEMO_PORT 15985
#define DEMO_DCOM_PORT 10135

/* The fixture directory wmsim loads (WMSIM_FIXTURES overrides it there
 * too), compiled in by CMake. */
#ifndef WMGW_DEMO_FIXTURES
#define WMGW_DEMO_FIXTURES "tests/sim/fixtures"
#endif

/* sim: the simulated computer's name (its data follow it and its number,
 * the position here); dialect NULL: DCOM only. */
static const struct {
    const char *name, *address, *groups, *protocol, *sim, *dialect;
} demo_hosts[] = {
    {"dc01", "127.0.77.1", "domain-controllers,prod", "wsmv", "WMSIM-01", "wsmv"},
    {"web01", "127.0.77.2", "web,prod", "auto", "WMSIM-02", "wsmv"},
    {"web02", "127.0.77.3", "web,test", "wsmv", "WMSIM-03", "wsmv"},
    {"legacy01", "127.0.77.4", "legacy,test", "wsman2003", "WMSIM-04", "wsman2003"},
    {"wmi01", "127.0.77.5", "legacy,test", "dcom", "WMSIM-05", NULL},
};
#define NDEMO (sizeof(demo_hosts) / sizeof(demo_hosts[0]))

/* The demo's callers: SIDs of a made-up domain. */
#define DEMO_DOMAIN "S-1-5-21-1004336348-1177238915-682003330"
#define DEMO_READER_SID DEMO_DOMAIN "-1001"
#define DEMO_SDDL "D:(A;;GA;;;BA)(A;;GR;;;" DEMO_READER_SID ")"
static const struct {
    const char *name, *sid, *groups, *env;
} demo_callers[] = {
    {"admin", DEMO_DOMAIN "-500", "BA", "WMGW_DEMO_ADMIN_TOKEN"},
    {"reader", DEMO_READER_SID, "", "WMGW_DEMO_READER_TOKEN"},
};
#define NCALLERS (sizeof(demo_callers) / sizeof(demo_callers[0]))
/* Printed once by wmgw_demo_print: the demo is the one place a token is shown. */
static char demo_tokens[NCALLERS][WMGW_TOKEN_LEN + 1];

/* The callers, their tokens (chosen or new) and the demo policy. */
static int demo_security(struct wmgw_config *config, struct wmgw_err *err)
{
    for (size_t i = 0; i < NCALLERS; i++) {
        char section[64], hash[WMGW_TOKEN_HASH_LEN + 1];
        const char *chosen = getenv(demo_callers[i].env);
        int rc;
        if (chosen != NULL && chosen[0] != '\0') {
            if (wmgw_token_hash(chosen, strlen(chosen), hash, err) != 0)
                return wmgw_err_set(err, WMGW_ECONFIG, "%s: not a wmgw token (wmgw --new-token makes one)",
                                    demo_callers[i].env);
            snprintf(demo_tokens[i], sizeof(demo_tokens[i]), "%s", chosen);
        } else if ((rc = wmgw_token_new(demo_tokens[i], hash, err)) != 0) {
            return rc;
        }
        snprintf(section, sizeof(section), "principal %s", demo_callers[i].name);
        rc = wmgw_config_set(config, section, "sid", demo_callers[i].sid, err);
        if (rc == 0 && demo_callers[i].groups[0] != '\0')
            rc = wmgw_config_set(config, section, "groups", demo_callers[i].groups, err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "token-hash", hash, err);
        if (rc != 0)
            return rc;
    }
    int rc = wmgw_config_set(config, "policy demo", "hosts", "*", err);
    if (rc == 0)
        rc = wmgw_config_set(config, "policy demo", "namespaces", "*", err);
    return rc ? rc : wmgw_config_set(config, "policy demo", "sddl", DEMO_SDDL, err);
}

/* wmsim sits next to wmgw in the build directory, or comes from WMSIM_BIN. */
static int find_wmsim(const char *argv0, char *out, size_t size)
{
    const char *env = getenv("WMSIM_BIN");
    if (env != NULL && access(env, X_OK) == 0) {
        snprintf(out, size, "%s", env);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(self, sizeof(self), "%s", argv0);
        n = (ssize_t)strlen(self);
    }
    self[n] = '\0';
    snprintf(out, size, "%s/wmsim", dirname(self));
    return access(out, X_OK) == 0 ? 0 : -1;
}

int wmgw_demo_start(struct wmgw_config *config, const char *argv0, pid_t *child, struct wmgw_err *err)
{
    char wmsim[PATH_MAX];
    if (find_wmsim(argv0, wmsim, sizeof(wmsim)) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "--demo needs wmsim next to wmgw (build it) or WMSIM_BIN");
    unsigned char rnd[12];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return wmgw_err_set(err, WMGW_EINTERNAL, "no randomness for the demo password");
    char password[40], user[64];
    wmgw_hex_encode(rnd, sizeof(rnd), password);
    snprintf(user, sizeof(user), "demo:%s", password);
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return wmgw_err_set(err, WMGW_EINTERNAL, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        return wmgw_err_set(err, WMGW_EINTERNAL, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        char listen[NDEMO][128];
        char *args[2 * NDEMO + 8];
        size_t n = 0;
        args[n++] = "wmsim";
        for (size_t i = 0; i < NDEMO; i++) {
            if (demo_hosts[i].dialect == NULL)
                snprintf(listen[i], sizeof(listen[i]), "%s,name=%s,dcom=%d", demo_hosts[i].address, demo_hosts[i].sim,
                         DEMO_DCOM_PORT);
            else
                snprintf(listen[i], sizeof(listen[i]), "%s:%d,name=%s,dialect=%s", demo_hosts[i].address, DEMO_PORT,
                         demo_hosts[i].sim, demo_hosts[i].dialect);
            args[n++] = "--listen";
            args[n++] = listen[i];
        }
        args[n++] = "--user";
        args[n++] = user;
        args[n++] = "--bench-instances";
        args[n++] = "5000";
        args[n] = NULL;
        execv(wmsim, args);
        _exit(127);
    }
    close(pipefd[1]);
    /* Wait for "wmsim: ready" so the first call finds the fleet up. */
    FILE *fp = fdopen(pipefd[0], "r");
    char line[512];
    bool ready = false;
    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
        if (strncmp(line, "wmsim: ready", 12) == 0) {
            ready = true;
            break;
        }
    if (fp != NULL)
        fclose(fp);
    if (!ready) {
        wmgw_demo_stop(pid);
        return wmgw_err_set(err, WMGW_ECONFIG, "the demo fleet (%s) did not start", wmsim);
    }
    *child = pid;
    for (size_t i = 0; i < NDEMO; i++) {
        char section[64], portv[16];
        snprintf(section, sizeof(section), "host %s", demo_hosts[i].name);
        snprintf(portv, sizeof(portv), "%d", demo_hosts[i].dialect ? DEMO_PORT : DEMO_DCOM_PORT);
        int rc = wmgw_config_set(config, section, "address", demo_hosts[i].address, err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "protocol", demo_hosts[i].protocol, err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "port", portv, err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "user", "demo", err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "password", password, err);
        if (rc == 0)
            rc = wmgw_config_set(config, section, "groups", demo_hosts[i].groups, err);
        if (rc != 0) {
            wmgw_demo_stop(pid);
            return rc;
        }
    }
    int src = demo_security(config, err);
    if (src != 0) {
        wmgw_demo_stop(pid);
        return src;
    }
    /* The 2003 host cannot describe its classes: the catalogue does. */
    if (config->class_catalogue == NULL) {
        const char *dir = getenv("WMSIM_FIXTURES") ? getenv("WMSIM_FIXTURES") : WMGW_DEMO_FIXTURES;
        int rc = wmgw_config_set(config, "server", "class-catalogue", dir, err);
        if (rc != 0) {
            wmgw_demo_stop(pid);
            return rc;
        }
    }
    return 0;
}

void wmgw_demo_print(const struct wmgw_config *config)
{
    const struct wmgw_listen *l = &config->listen[0];
    char base[128];
    snprintf(base, sizeof(base), "%s://%s:%u", l->tls ? "https" : "http",
             strcmp(l->address, "0.0.0.0") == 0 ? "127.0.0.1" : l->address, l->port);
    printf("wmgw demo: a simulated fleet of %zu Windows hosts behind the gateway at %s\n\n", NDEMO, base);
    printf("Callers (new tokens each start unless WMGW_DEMO_ADMIN_TOKEN / WMGW_DEMO_READER_TOKEN are set):\n"
           "  admin   (Administrators: everything)         A='Authorization: Bearer %s'\n"
           "  reader  (policy demo: read, not write/run)   R='Authorization: Bearer %s'\n"
           "  policy demo, every host and namespace: %s\n\n",
           demo_tokens[0], demo_tokens[1], DEMO_SDDL);
    printf("Try (after pasting the A= and R= lines above into your shell):\n"
           "  curl -s -H \"$A\" %s/v1/hosts\n"
           "  curl -s -H \"$R\" %s/v1/whoami                  # SIDs and rights per policy\n"
           "  curl -s -H \"$R\" %s/v1/hosts/dc01\n"
           "  curl -s -H \"$R\" '%s/v1/hosts/dc01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances?filter=State%%3D%%27Running%%27&select=Name,State'\n"
           "  curl -s -H \"$R\" %s/v1/hosts/dc01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances/Name=WinRM\n"
           "  curl -si -H \"$R\" '%s/v1/hosts/dc01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances?select=Name' | grep -i x-cache\n"
           "                                                     # twice: miss, then hit (the in-process cache)\n"
           "  curl -s -H \"$R\" -X POST %s/v1/hosts/web01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances/Name=Spooler/methods/StopService\n"
           "                                                     # 403: reader may not run methods\n"
           "  curl -s -H \"$A\" -X POST %s/v1/hosts/web01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances/Name=Spooler/methods/StopService\n"
           "  curl -s -H \"$A\" -H 'Accept: application/x-ndjson' %s/v1/hosts/web02/namespaces/root%%2Ftest/classes/Sim_Bench/instances | head\n"
           "  curl -s -H \"$A\" %s/v1/hosts/web01                       # protocol auto: detectedProtocol\n"
           "  curl -s -H \"$A\" '%s/v1/hosts/legacy01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances?filter=StartMode%%3D%%27Auto%%27&select=Name&limit=3'\n"
           "                                                     # Windows Server 2003 R2: filtered by the gateway\n"
           "  curl -s -H \"$A\" %s/v1/hosts/wmi01/namespaces/root%%2Fcimv2/classes/Win32_Service/instances/Name=WinRM\n"
           "                                                     # the same JSON, over WMI/DCOM\n"
           "  curl -s -H \"$A\" %s/v1/policies                  # administration: admin only\n"
           "  curl -s %s/openapi.json\n\n"
           "Press Ctrl-C to stop.\n",
           base, base, base, base, base, base, base, base, base, base, base, base, base, base);
    fflush(stdout);
}

void wmgw_demo_stop(pid_t child)
{
    if (child <= 0)
        return;
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
}
