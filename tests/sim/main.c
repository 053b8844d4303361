/*
 * main.c: the wmsim command line.  Builds the fleet from the options,
 * loads every host's store, opens the listeners and runs the loop; it does
 * nothing else.
 */
#include "tests/sim/dcom.h"
#include "tests/sim/security.h"
#include "tests/sim/server.h"
#include "tests/sim/store.h"
#include "util/err.h"

#include <libxml/parser.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef WMSIM_DEFAULT_FIXTURES
#define WMSIM_DEFAULT_FIXTURES "tests/sim/fixtures"
#endif

static const char usage[] =
    "Usage: wmsim [OPTIONS]\n"
    "\n"
    "A fleet of simulated Windows hosts answering WS-Management as WinRM does\n"
    "(dialect wsmv) or as Windows Server 2003 R2 does (dialect wsman2003),\n"
    "each with its own CIM data (Win32_Service, Win32_Process, Win32_Environment,\n"
    "Win32_LogicalDisk, ... in root/cimv2, test classes in root/test).\n"
    "\n"
    "Hosts (give --listen, --hosts, or both):\n"
    "  --listen ADDR[:PORT][,name=NAME][,dialect=D][,dcom[=APORT]][,dcom-endpoint=EPORT]\n"
    "         [,https=SPORT][,encrypt=required|allowed][,cbt=none|when-supported|required]\n"
    "                         one host on this address: WS-Management on PORT, and\n"
    "                         with dcom WMI over DCOM too (activation and OXID\n"
    "                         resolver on APORT, default 135; its objects on EPORT,\n"
    "                         default a dynamic port).  Without :PORT the host\n"
    "                         speaks DCOM only.  Repeat for more hosts\n"
    "  --hosts N              N more hosts, WMSIM-01 ... WMSIM-NN, on consecutive\n"
    "                         loopback addresses from --first-address, all on --port\n"
    "  --first-address ADDR   first address for --hosts (default 127.0.1.1)\n"
    "  --port PORT            port for --hosts (default 5985)\n"
    "  --spread-ports         --hosts on one address (--first-address) and\n"
    "                         consecutive ports from --port instead\n"
    "  --dialect D            dialect of --hosts: wsmv (default) or wsman2003\n"
    "  --dcom[=APORT]         --hosts also speak DCOM, activation on APORT (default\n"
    "                         135) of each host's address; with --spread-ports give\n"
    "                         APORT: the hosts get APORT, APORT+1, ...\n"
    "  --dcom-only            --hosts speak DCOM only (no WS-Management; implies --dcom)\n"
    "  A host's identity and data follow the address it is reached on.\n"
    "  Transport security of a --listen host (see tests/sim/README.md):\n"
    "    https=SPORT          WS-Management over HTTPS on SPORT too (needs --tls-cert)\n"
    "    encrypt=required     refuse clear SOAP over HTTP (HTTP 500) and Basic over\n"
    "                         HTTP (401), as WinRM with AllowUnencrypted=false;\n"
    "                         default allowed\n"
    "    cbt=MODE             channel binding (tls-server-end-point) on HTTPS, as\n"
    "                         CbtHardeningLevel: none (default), when-supported\n"
    "                         (checked when the client sends it), required\n"
    "\n"
    "Users (HTTP Basic and NTLM, raw or inside SPNEGO, for WS-Management, NTLM\n"
    "for DCOM; at least one is required):\n"
    "  --user NAME:PASSWORD   a local account on every host; repeat for more\n"
    "  --users FILE           NAME:PASSWORD lines ('#' starts a comment)\n"
    "  --user-sid NAME=SID[,GROUP...]\n"
    "                         the user's SID and group SIDs (SDDL aliases allowed);\n"
    "                         default S-1-5-21-1111-2222-3333-<1000+n>, in Administrators\n"
    "\n"
    "Kerberos and HTTPS:\n"
    "  --keytab FILE          accept Kerberos (Negotiate/SPNEGO and the Kerberos\n"
    "                         scheme) for any service principal in FILE, e.g.\n"
    "                         HTTP/web01.wmgw.test (tests/kdc/start); any client\n"
    "                         principal with a valid ticket is let in\n"
    "  --tls-cert FILE        PEM certificate (chain) of the HTTPS listeners\n"
    "  --tls-key FILE         its PEM private key\n"
    "  --client-ca FILE       HTTPS listeners ask for a client certificate and\n"
    "                         verify it against these PEM CAs (certificate auth)\n"
    "  --cert-map UPN=USER    a certificate whose subjectAltName UPN is UPN (\"*\":\n"
    "                         any verified one) authenticates as USER; repeat\n"
    "\n"
    "Data and limits:\n"
    "  --fixtures DIR         CIM fixture directory (default: the bundled one)\n"
    "  --bench-instances N    instances of root/test:Sim_Bench per host (default 1000)\n"
    "  --max-envelope-kb N    MaxEnvelopeSizekb of every host (default 500)\n"
    "\n"
    "Testing:\n"
    "  --control ADDR:PORT    control interface (JSON over HTTP; GET /hosts lists\n"
    "                         hosts and counters; POST /hosts/NAME/latency,\n"
    "                         /fail, /drop, /garbage, /clear, /reset; see\n"
    "                         tests/sim/README.md)\n"
    "  --verbose              log every request to stderr\n"
    "  --help                 this text\n"
    "\n"
    "Example: one host with the default data, as user alice:\n"
    "  wmsim --listen 127.0.0.1:15985 --user alice:Secret-1\n"
    "Example: twenty hosts on 127.0.1.1-20 port 5985, with a control port:\n"
    "  wmsim --hosts 20 --user alice:Secret-1 --control 127.0.0.1:15900\n"
    "Example: WS-Management and DCOM on one host, and a DCOM-only legacy host:\n"
    "  wmsim --listen 127.0.0.5:5985,dcom --listen 127.0.0.6,dcom,name=LEGACY-01 --user alice:Secret-1\n"
    "Example: an encrypted-only host with Kerberos, and HTTPS with channel binding:\n"
    "  wmsim --listen 127.0.0.7:5985,encrypt=required,https=5986,cbt=required \\\n"
    "        --user alice:Secret-1 --keytab http.keytab --tls-cert c.pem --tls-key k.pem\n";

static struct sim_server server;

static void on_signal(int sig)
{
    (void)sig;
    server.stop = 1;
}

static int split_addr(const char *spec, char *addr, size_t addrlen, uint16_t *port)
{
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || (size_t)(colon - spec) >= addrlen)
        return -1;
    memcpy(addr, spec, (size_t)(colon - spec));
    addr[colon - spec] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static struct sim_host *add_host(struct sim_fleet *f, const char *addr, uint16_t port, const char *name,
                                 const char *dialect, uint16_t dcom_port, uint16_t dcom_endpoint)
{
    struct sim_host *h = realloc(f->hosts, (f->nhosts + 1) * sizeof(*h));
    if (h == NULL)
        return NULL;
    f->hosts = h;
    h = &h[f->nhosts];
    memset(h, 0, sizeof(*h));
    h->number = (int)f->nhosts + 1;
    h->address = strdup(addr);
    h->port = port;
    char defname[32];
    snprintf(defname, sizeof(defname), "WMSIM-%02d", h->number);
    h->name = strdup(name ? name : defname);
    h->dialect = wmgw_wsman_dialect_find(dialect ? dialect : "wsmv");
    h->plan.fail_fault = -1;
    h->dcom_port = dcom_port;
    h->dcom_endpoint = dcom_endpoint;
    if (h->dialect == NULL) {
        fprintf(stderr, "wmsim: unknown dialect \"%s\" (wsmv or wsman2003)\n", dialect);
        return NULL;
    }
    f->nhosts++;
    return h;
}

/* A port number 1..65535 (0 allowed with zero_ok). */
static int parse_port(const char *s, bool zero_ok, uint16_t *port)
{
    char *end;
    long p = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || p < (zero_ok ? 0 : 1) || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* --listen ADDR[:PORT][,name=NAME][,dialect=D][,dcom[=APORT]][,dcom-endpoint=EPORT] */
static int parse_listen(struct sim_fleet *f, const char *spec)
{
    char buf[256], addr[64], *name = NULL, *dialect = NULL;
    uint16_t https = 0;
    bool encrypt_required = false;
    int cbt = SIM_CBT_NONE;
    snprintf(buf, sizeof(buf), "%s", spec);
    char *opts = strchr(buf, ',');
    if (opts != NULL)
        *opts++ = '\0';
    uint16_t port = 0, dcom = 0, endpoint = 0;
    if (strchr(buf, ':') != NULL ? split_addr(buf, addr, sizeof(addr), &port) != 0
                                 : snprintf(addr, sizeof(addr), "%s", buf) >= (int)sizeof(addr)) {
        fprintf(stderr, "wmsim: --listen wants ADDR[:PORT], not \"%s\"\n", spec);
        return -1;
    }
    for (char *o = opts ? strtok(opts, ",") : NULL; o != NULL; o = strtok(NULL, ",")) {
        if (strncmp(o, "name=", 5) == 0)
            name = o + 5;
        else if (strncmp(o, "dialect=", 8) == 0)
            dialect = o + 8;
        else if (strcmp(o, "dcom") == 0)
            dcom = 135;
        else if (strncmp(o, "dcom=", 5) == 0 && parse_port(o + 5, false, &dcom) == 0)
            ;
        else if (strncmp(o, "dcom-endpoint=", 14) == 0 && parse_port(o + 14, true, &endpoint) == 0)
            ;
        else if (strncmp(o, "https=", 6) == 0 && parse_port(o + 6, false, &https) == 0)
            ;
        else if (strcmp(o, "encrypt=required") == 0 || strcmp(o, "encrypt=allowed") == 0)
            encrypt_required = o[8] == 'r';
        else if (strcmp(o, "cbt=none") == 0)
            cbt = SIM_CBT_NONE;
        else if (strcmp(o, "cbt=when-supported") == 0)
            cbt = SIM_CBT_WHEN_SUPPORTED;
        else if (strcmp(o, "cbt=required") == 0)
            cbt = SIM_CBT_REQUIRED;
        else {
            fprintf(stderr, "wmsim: unknown --listen option \"%s\"\n", o);
            return -1;
        }
    }
    if (port == 0 && dcom == 0 && https == 0) {
        fprintf(stderr, "wmsim: --listen %s: give a WS-Management port (ADDR:PORT), dcom, or both\n", spec);
        return -1;
    }
    if (dcom == 0 && endpoint != 0) {
        fprintf(stderr, "wmsim: --listen %s: dcom-endpoint without dcom\n", spec);
        return -1;
    }
    struct sim_host *h = add_host(f, addr, port, name, dialect, dcom, endpoint);
    if (h == NULL)
        return -1;
    h->https_port = https;
    h->encrypt_required = encrypt_required;
    h->cbt = cbt;
    return 0;
}

static int add_many(struct sim_fleet *f, long n, const char *first, uint16_t port, bool spread, const char *dialect,
                    long dcom)
{
    unsigned a, b, c, d;
    if (sscanf(first, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a != 127) {
        fprintf(stderr, "wmsim: --first-address must be a loopback address (127.x.y.z)\n");
        return -1;
    }
    for (long i = 0; i < n; i++) {
        unsigned long ip = ((unsigned long)b << 16 | (unsigned long)c << 8 | d) + (spread ? 0 : (unsigned long)i);
        if (ip > 0xFFFFFE || (spread && (port + i > 65535 || (dcom > 0 && dcom + i > 65535)))) {
            fprintf(stderr, "wmsim: --hosts %ld does not fit in 127.0.0.0/8 from %s\n", n, first);
            return -1;
        }
        char addr[32];
        snprintf(addr, sizeof(addr), "127.%lu.%lu.%lu", ip >> 16 & 255, ip >> 8 & 255, ip & 255);
        uint16_t dp = dcom > 0 ? (uint16_t)(spread ? dcom + i : dcom) : 0;
        if (add_host(f, addr, port ? (uint16_t)(spread ? port + i : port) : 0, NULL, dialect, dp, 0) == NULL)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, 0, 'l'},      {"hosts", required_argument, 0, 'n'},
        {"first-address", required_argument, 0, 'a'}, {"port", required_argument, 0, 'p'},
        {"spread-ports", no_argument, 0, 's'},      {"dialect", required_argument, 0, 'd'},
        {"user", required_argument, 0, 'u'},        {"users", required_argument, 0, 'U'},
        {"fixtures", required_argument, 0, 'f'},    {"bench-instances", required_argument, 0, 'b'},
        {"max-envelope-kb", required_argument, 0, 'm'}, {"control", required_argument, 0, 'c'},
        {"verbose", no_argument, 0, 'v'},           {"help", no_argument, 0, 'h'},
        {"dcom", optional_argument, 0, 'O'},        {"dcom-only", no_argument, 0, 'o'},
        {"keytab", required_argument, 0, 'K'},      {"tls-cert", required_argument, 0, 'C'},
        {"tls-key", required_argument, 0, 'k'},
        {"user-sid", required_argument, 0, 'S'},
        {"client-ca", required_argument, 0, 'A'},   {"cert-map", required_argument, 0, 'M'},
        {0, 0, 0, 0}};
    struct sim_fleet fleet = {.bench_instances = 1000};
    const char *first = "127.0.1.1", *dialect = NULL, *control = NULL;
    const char *keytab = NULL, *tls_cert = NULL, *tls_key = NULL, *client_ca = NULL;
    const char *cert_maps[64]; /* --cert-map, added once the users are known */
    size_t ncert_maps = 0;
    long nhosts = 0, port = 5985, max_env_kb = 500;
    bool spread = false, verbose = false, dcom_only = false;
    long dcom = 0; /* activation port of --hosts; -1: the default 135 */
    struct wmgw_err err;
    wmgw_err_clear(&err);
    fleet.fixtures_dir = getenv("WMSIM_FIXTURES") ? getenv("WMSIM_FIXTURES") : WMSIM_DEFAULT_FIXTURES;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(&fleet, optarg) != 0)
                return 2;
            break;
        case 'n': nhosts = strtol(optarg, NULL, 10); break;
        case 'a': first = optarg; break;
        case 'p': port = strtol(optarg, NULL, 10); break;
        case 's': spread = true; break;
        case 'd': dialect = optarg; break;
        case 'u':
            if (sim_fleet_add_user(&fleet, optarg, &err) != 0) {
                fprintf(stderr, "wmsim: %s\n", err.message);
                return 2;
            }
            break;
        case 'U':
            if (sim_fleet_load_users(&fleet, optarg, &err) != 0) {
                fprintf(stderr, "wmsim: %s\n", err.message);
                return 2;
            }
            break;
        case 'S':
            if (sim_security_user_sid(&fleet, optarg, &err) != 0) {
                fprintf(stderr, "wmsim: %s\n", err.message);
                return 2;
            }
            break;
        case 'f': fleet.fixtures_dir = optarg; break;
        case 'b': fleet.bench_instances = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': max_env_kb = strtol(optarg, NULL, 10); break;
        case 'c': control = optarg; break;
        case 'v': verbose = true; break;
        case 'O':
            dcom = optarg ? strtol(optarg, NULL, 10) : -1;
            if (optarg && (dcom <= 0 || dcom > 65535)) {
                fputs("wmsim: --dcom=APORT wants a port number\n", stderr);
                return 2;
            }
            break;
        case 'o': dcom_only = true; break;
        case 'K': keytab = optarg; break;
        case 'C': tls_cert = optarg; break;
        case 'k': tls_key = optarg; break;
        case 'A': client_ca = optarg; break;
        case 'M':
            if (ncert_maps == sizeof(cert_maps) / sizeof(cert_maps[0])) {
                fputs("wmsim: too many --cert-map\n", stderr);
                return 2;
            }
            cert_maps[ncert_maps++] = optarg;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs("Try 'wmsim --help'.\n", stderr); return 2;
        }
    }
    if (optind < argc || port <= 0 || port > 65535 || nhosts < 0 || max_env_kb < 8 || max_env_kb > 65536) {
        fputs("wmsim: bad arguments. Try 'wmsim --help'.\n", stderr);
        return 2;
    }
    if (dcom_only && dcom == 0)
        dcom = -1;
    if (spread && dcom < 0 && nhosts > 1) {
        fputs("wmsim: hosts on one address (--spread-ports) cannot share port 135: give --dcom=APORT\n", stderr);
        return 2;
    }
    if (nhosts > 0 &&
        add_many(&fleet, nhosts, first, dcom_only ? 0 : (uint16_t)port, spread, dialect, dcom < 0 ? 135 : dcom) != 0)
        return 2;
    if (fleet.nhosts == 0 || fleet.nusers == 0) {
        fputs(fleet.nhosts == 0 ? "wmsim: no hosts: give --listen ADDR:PORT or --hosts N. Try 'wmsim --help'.\n"
                                : "wmsim: no users: give --user NAME:PASSWORD or --users FILE.\n",
              stderr);
        return 2;
    }
    xmlInitParser();
    sim_server_init(&server, &fleet);
    server.verbose = verbose;
    if ((tls_cert != NULL) != (tls_key != NULL)) {
        fputs("wmsim: give both --tls-cert and --tls-key\n", stderr);
        return 2;
    }
    if ((keytab != NULL && sim_auth_gss_load(&server, keytab, &err) != 0) ||
        sim_auth_ntlm_users_load(&server, &err) != 0 ||
        (tls_cert != NULL && sim_tls_load(&server, tls_cert, tls_key, &err) != 0) ||
        (client_ca != NULL && sim_tls_client_ca(&server, client_ca, &err) != 0)) {
        fprintf(stderr, "wmsim: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < ncert_maps; i++) {
        if (sim_auth_cert_map_add(&server, cert_maps[i], &err) != 0) {
            fprintf(stderr, "wmsim: %s\n", err.message);
            return 2;
        }
    }
    for (size_t i = 0; i < fleet.nhosts; i++) {
        struct sim_host *h = &fleet.hosts[i];
        h->max_envelope_kb = (unsigned)max_env_kb;
        if (sim_host_load(h, &fleet, &err) != 0) {
            fprintf(stderr, "wmsim: %s: %s\n", h->name, err.message);
            return 1;
        }
        if ((h->port != 0 && sim_server_listen(&server, h->address, h->port, false, &err) != 0) ||
            (h->https_port != 0 && sim_server_listen_tls(&server, h->address, h->https_port, &err) != 0) ||
            (h->dcom_port != 0 && sim_dcom_listen(&server, h, &err) != 0)) {
            fprintf(stderr, "wmsim: %s\n", err.message);
            return 1;
        }
    }
    if (control != NULL) {
        char addr[64];
        uint16_t cport;
        if (split_addr(control, addr, sizeof(addr), &cport) != 0 ||
            sim_server_listen(&server, addr, cport, true, &err) != 0) {
            fprintf(stderr, "wmsim: --control %s: %s\n", control, err.message[0] ? err.message : "want ADDR:PORT");
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    for (size_t i = 0; i < fleet.nhosts; i++) {
        const struct sim_host *h = &fleet.hosts[i];
        if (h->port != 0)
            printf("wmsim: %s listening on http://%s:%u/wsman (%s)\n", h->name, h->address, h->port,
                   h->dialect->name);
        if (h->https_port != 0)
            printf("wmsim: %s listening on https://%s:%u/wsman (%s)\n", h->name, h->address, h->https_port,
                   h->dialect->name);
        if (h->dcom_port != 0)
            printf("wmsim: %s listening for DCOM on %s:%u, objects on %s:%u\n", h->name, h->address, h->dcom_port,
                   h->address, h->dcom_endpoint);
    }
    if (control != NULL)
        printf("wmsim: control interface on http://%s/\n", control);
    printf("wmsim: ready\n");
    fflush(stdout);
    sim_server_run(&server);
    for (size_t i = 0; i < fleet.nhosts; i++)
        sim_host_dispose(&fleet.hosts[i]);
    free(fleet.hosts);
    for (size_t i = 0; i < fleet.nusers; i++) {
        free(fleet.users[i].name);
        free(fleet.users[i].password);
        free(fleet.users[i].sid);
        for (size_t k = 0; k < fleet.users[i].ngroups; k++)
            free(fleet.users[i].groups[k]);
    }
    free(fleet.users);
    sim_auth_gss_unload(&server);
    sim_auth_ntlm_users_unload(&server);
    sim_auth_cert_maps_free(&server);
    SSL_CTX_free(server.tls);
    xmlCleanupParser();
    return 0;
}
