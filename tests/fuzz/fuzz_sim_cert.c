/*
 * fuzz_sim_cert: arbitrary bytes as the DER client certificate the
 * simulator's certificate authentication reads (tests/sim/auth_cert.c):
 * OpenSSL parses it, then sim_auth_cert_upn() reads the subjectAltName
 * otherName UPN (bounded, no NUL, UTF8String only) and the mapping table
 * is searched with it.  Checks: a UPN read is a NUL-terminated string
 * shorter than SIM_AUTH_UPN_MAX with no embedded NUL, and a refusal is
 * WMGW_EINVAL with a message.  Seeds (corpus/fuzz_sim_cert/, from
 * `openssl req -x509 -outform DER -addext subjectAltName=...`): a UTF8
 * UPN, an IA5 "UPN" beside an e-mail name, no subjectAltName.
 */
#include "tests/sim/auth.h"
#include "tests/sim/host.h"
#include "tests/sim/server.h"

#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct sim_user users[] = {{.name = "alice"}};
static struct sim_fleet fleet = {.nusers = 1, .users = users};
static struct sim_server server = {.fleet = &fleet};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct wmgw_err err;
    if (sim_auth_cert_map_add(&server, "alice@wmgw.test=alice", &err) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *cert = d2i_X509(NULL, &p, (long)size);
    if (cert == NULL)
        return 0;
    char upn[SIM_AUTH_UPN_MAX];
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = sim_auth_cert_upn(cert, upn, &err);
    if (rc == 0) {
        size_t n = strnlen(upn, sizeof(upn));
        if (n >= sizeof(upn))
            abort();
        const char *user = sim_auth_cert_map_find(&server, upn);
        if (user != NULL && strcmp(user, "alice") != 0)
            abort();
    } else if (rc != WMGW_EINVAL || err.message[0] == '\0') {
        abort();
    }
    X509_free(cert);
    return 0;
}
