/*
 * demo.h: `wmgw --demo`: the gateway in front of a bundled simulated fleet
 * (tests/sim's wmsim, started as a child process on loopback), with no
 * other service, so a new user can call every route at once.
 */
#ifndef WMGW_GATEWAY_DEMO_H
#define WMGW_GATEWAY_DEMO_H

#include <sys/types.h>

struct wmgw_config;
struct wmgw_err;

/* Starts the fleet and adds its hosts to config; *child gets the pid. */
int wmgw_demo_start(struct wmgw_config *config, const char *argv0, pid_t *child, struct wmgw_err *err);
/* Prints how to call the gateway. */
void wmgw_demo_print(const struct wmgw_config *config);
void wmgw_demo_stop(pid_t child);

#endif
