/*
 * fuzz_sim_request: arbitrary bytes as a WS-Management request body to a
 * simulated host (tests/sim): envelope and header parsing, every
 * operation's body parsing, filters (WQL, selector, association) and the
 * fault writer.  One host is loaded from the fixtures once; enumeration
 * contexts are dropped after every input so memory stays flat.  An input
 * that names the 2005/06 wsman namespace is answered in the Windows Server
 * 2003 R2 dialect (the host's dialect row), any other in MS-WSMV.
 */
#include "tests/sim/host.h"
#include "tests/sim/ops.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct sim_fleet fleet;
static struct sim_host host;

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    fleet.fixtures_dir = getenv("WMSIM_FIXTURES") ? getenv("WMSIM_FIXTURES") : WMSIM_DEFAULT_FIXTURES;
    fleet.bench_instances = 50;
    host.name = strdup("WMSIM-01");
    host.number = 1;
    host.address = strdup("127.0.0.1");
    host.port = 5985;
    host.plan.fail_fault = -1;
    struct wmgw_err err;
    if (sim_host_load(&host, &fleet, &err) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ns2003[] = "2005/06/management";
    host.dialect = memmem(data, size, ns2003, sizeof(ns2003) - 1) ? &wmgw_wsman_dialect_2003 : &wmgw_wsman_dialect_wsmv;
    struct sim_ctx ctx = {.host = &host, .http_status = 200};
    wmgw_buf_init(&ctx.out, 8u << 20);
    sim_handle_soap(&ctx, (const char *)data, size, true);
    sim_ctx_dispose(&ctx);
    sim_enum_expire(&host, true);
    return 0;
}
