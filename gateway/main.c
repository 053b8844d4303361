/*
 * main.c: the wmgw command line.  Reads the configuration (defaults, then
 * the file, then WMGW_* variables, then the command line), checks it, and
 * hands it to the server; it does nothing else.
 */
#include "gateway/caller_tool.h"
#include "gateway/catalogue.h"
#include "gateway/cache_setup.h"
#include "gateway/demo.h"
#include "gateway/gateway.h"
#include "gateway/request.h"
#include "gateway/vault_gw.h"
#include "util/err.h"

#include <getopt.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char usage[] =
    "Usage: wmgw [OPTIONS]\n"
    "\n"
    "One REST/JSON API in front of a fleet of Windows hosts reached over\n"
    "WS-Management (WinRM).\n"
    "\n"
    "  -c, --config FILE     configuration file (also WMGW_CONFIG); see README\n"
    "  -l, --listen ADDR:PORT[ tls]\n"
    "                        listen here instead of the configured listeners\n"
    "  -w, --workers N       worker threads (default: one per core)\n"
    "      --demo            start a simulated fleet (wmsim) and serve it\n"
    "      --check-config    check the configuration and exit (0 when valid)\n"
    "      --list-routes     print every served route (METHOD PATH operationId)\n"
    "      --help-config     list every configuration key with its default\n"
    "      --new-token       print a new API token and the token-hash to configure\n"
    "      --hash-password   read a password from stdin, print its password-hash\n"
    "  -h, --help            this text\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},  {"listen", required_argument, 0, 'l'},
        {"workers", required_argument, 0, 'w'}, {"demo", no_argument, 0, 'D'},
        {"check-config", no_argument, 0, 'C'},  {"list-routes", no_argument, 0, 'R'},
        {"help-config", no_argument, 0, 'H'},   {"help", no_argument, 0, 'h'},
        {"new-token", no_argument, 0, 'T'},     {"hash-password", no_argument, 0, 'P'},
        {0, 0, 0, 0}};
    const char *config_path = getenv("WMGW_CONFIG"), *listen = NULL, *workers = NULL;
    bool demo = false, check = false, list_routes = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:l:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'l': listen = optarg; break;
        case 'w': workers = optarg; break;
        case 'D': demo = true; break;
        case 'C': check = true; break;
        case 'R': list_routes = true; break;
        case 'H': wmgw_config_print_help(stdout); return 0;
        case 'T': return wmgw_tool_new_token(stdout);
        case 'P': return wmgw_tool_hash_password(stdin, stdout);
        case 'h': fputs(usage, stdout); return 0;
        default: fputs("Try 'wmgw --help'.\n", stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wmgw: unexpected argument \"%s\". Try 'wmgw --help'.\n", argv[optind]);
        return 2;
    }
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (list_routes) {
        struct wmgw_router *rt = wmgw_router_new(wmgw_openapi_json, wmgw_openapi_json_len, &err);
        if (rt == NULL) {
            fprintf(stderr, "wmgw: %s\n", err.message);
            return 1;
        }
        wmgw_router_print(rt, stdout);
        wmgw_router_free(rt);
        return 0;
    }
    struct wmgw_config *config = wmgw_config_new();
    if (config == NULL)
        return 1;
    int rc = 0;
    if (config_path != NULL)
        rc = wmgw_config_load(config, config_path, &err);
    if (rc == 0)
        rc = wmgw_config_apply_env(config, environ, &err);
    if (rc == 0 && listen != NULL) {
        for (size_t i = 0; i < config->nlisten; i++)
            free(config->listen[i].address);
        config->nlisten = 0;
        rc = wmgw_config_set(config, "server", "listen", listen, &err);
    }
    if (rc == 0 && workers != NULL)
        rc = wmgw_config_set(config, "server", "workers", workers, &err);
    pid_t fleet = 0;
    if (rc == 0 && demo && !check)
        rc = wmgw_demo_start(config, argv[0], &fleet, &err);
    if (rc == 0)
        rc = wmgw_config_validate(config, &err);
    if (rc == 0)
        rc = wmgw_cache_config_check(config, &err); /* [cache]: store, Redis address, TTL rules */
    if (rc == 0)
        rc = wmgw_vault_gw_start(config, &err); /* a vault that does not open stops the start */
    if (rc != 0) {
        fprintf(stderr, "wmgw: %s\n", err.message[0] ? err.message : wmgw_err_summary(rc));
        wmgw_demo_stop(fleet);
        wmgw_config_free(config);
        return rc == WMGW_ECONFIG ? 2 : 1;
    }
    if (check) {
        /* The catalogue is read at start: a broken one is a broken configuration. */
        struct wmgw_catalogue *cat = NULL;
        if (config->class_catalogue != NULL && config->class_catalogue[0] != '\0' &&
            wmgw_catalogue_load(config->class_catalogue, &cat, &err) != 0) {
            fprintf(stderr, "wmgw: %s\n", err.message);
            wmgw_vault_gw_stop();
            wmgw_config_free(config);
            return 2;
        }
        printf("wmgw: configuration OK (%zu listener(s), %zu host(s)", config->nlisten, config->nhosts);
        if (cat != NULL)
            printf(", %zu catalogue class(es)", wmgw_catalogue_size(cat));
        printf(")\n");
        wmgw_catalogue_free(cat);
        wmgw_vault_gw_stop();
        wmgw_config_free(config);
        return 0;
    }
    xmlInitParser();
    struct wmgw_gateway gw;
    rc = wmgw_gateway_init(&gw, config, &err);
    if (rc == 0 && demo)
        wmgw_demo_print(config);
    if (rc == 0)
        rc = wmgw_gateway_run(&gw, &err);
    if (rc != 0)
        fprintf(stderr, "wmgw: %s\n", err.message[0] ? err.message : wmgw_err_summary(rc));
    wmgw_gateway_dispose(&gw);
    wmgw_vault_gw_stop();
    wmgw_demo_stop(fleet);
    wmgw_config_free(config);
    return rc == 0 ? 0 : 1;
}
