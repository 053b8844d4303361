/*
 * fuzz_sim_auth: arbitrary bytes as the value of an Authorization header
 * reaching the simulator's WS-Management front (tests/sim/auth_header.c):
 * the "Scheme token" split (or the whole certificate secprofile URI,
 * which alone has no token) and the strict base64 decoding, then, for
 * "Basic", the user:password check against a one-user fleet
 * (sim_auth_basic_step in server.c), on a plain and on an encrypted-only
 * host.  Tokens of the other schemes go to auth/ntlm.h and auth/gss.h,
 * which fuzz_ntlm and the GSSAPI tests cover.
 */
#include "tests/sim/auth.h"
#include "tests/sim/server.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct sim_fleet fleet;
static struct sim_host host;
static struct sim_server server; /* the Basic step reads only ->fleet */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct wmgw_err err;
    if (sim_fleet_add_user(&fleet, "alice:Secret-1", &err) != 0)
        abort();
    host.name = "WMSIM-01";
    server.fleet = &fleet;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char scheme[SIM_AUTH_MAX_SCHEME];
    struct wmgw_buf tok;
    struct wmgw_err err;
    wmgw_buf_init(&tok, SIM_AUTH_MAX_TOKEN);
    int rc = sim_auth_header_parse((const char *)data, size, scheme, &tok, &err);
    if (rc == 0) {
        /* Only the certificate secprofile comes without a token. */
        bool mutual = strcmp(scheme, SIM_AUTH_MUTUAL) == 0;
        if (strlen(scheme) >= SIM_AUTH_MAX_SCHEME || (tok.len == 0) != mutual || tok.len > SIM_AUTH_MAX_TOKEN ||
            (mutual && (size != strlen(SIM_AUTH_MUTUAL_URI) || memcmp(data, SIM_AUTH_MUTUAL_URI, size) != 0)))
            abort();
        if (strcasecmp(scheme, "Basic") == 0) {
            for (int enc = 0; enc < 2; enc++) {
                host.encrypt_required = enc;
                struct sim_auth_call call = {.server = &server, .host = &host, .token = (const uint8_t *)tok.data,
                                             .token_len = tok.len};
                int r = sim_auth_basic_step(&call);
                if (r != SIM_AUTH_OK && r != SIM_AUTH_DENIED)
                    abort();
                /* Only the one password opens, and never in clear on an encrypted-only host. */
                if (r == SIM_AUTH_OK && (enc || tok.len < 14 || memcmp(tok.data + tok.len - 9, ":Secret-1", 9) != 0))
                    abort();
            }
        }
    } else if (rc != WMGW_EINVAL) {
        abort();
    }
    wmgw_buf_dispose(&tok);
    return 0;
}
