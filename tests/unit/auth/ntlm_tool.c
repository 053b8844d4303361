/*
 * ntlm_tool.c: auth/ntlm.h on stdin/stdout, so that a third-party NTLM
 * (impacket, in tests/python/test_ntlm_impacket.py) can talk to our client
 * and our server.  One command per line, binary data in hex; every command
 * answers one line, "ok ..." or "err <ERRNAME> <message>".
 *
 *   client <user> <domain|-> <password> <connect|integrity|privacy>
 *   server <nb-computer> <nb-domain|-> <level> <require-mic 0|1>
 *   user <name> <password>              (the server's password table)
 *   fix <challenge-hex> [<key-hex>] <filetime>   (deterministic run)
 *   negotiate                        -> ok <NEGOTIATE>
 *   challenge <NEGOTIATE>            -> ok <CHALLENGE>
 *   authenticate <CHALLENGE>         -> ok <AUTHENTICATE>
 *   accept <AUTHENTICATE>            -> ok <user> <domain> <workstation> <flags>
 *   seal <msg> [<off> <len>]         -> ok <msg'> <signature>
 *   unseal <msg> <sig> [<off> <len>] -> ok <plaintext msg>
 *   sign <msg>                       -> ok <signature>
 *   verify <msg> <sig>               -> ok
 *
 * The session commands use whichever side finished its handshake.
 */
#include "auth/ntlm_int.h"
#include "../hex_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_USERS 16

static struct wmgw_ntlm_client *client;
static struct wmgw_ntlm_server *server;
static struct {
    char name[64], password[128];
} users[MAX_USERS];
static size_t nusers;

static int lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    (void)arg;
    (void)domain;
    for (size_t i = 0; i < nusers; i++) {
        if (strcasecmp(users[i].name, user) == 0) {
            snprintf(cred->password, sizeof(cred->password), "%s", users[i].password);
            return 0;
        }
    }
    return WMGW_ENOTFOUND;
}

static enum wmgw_ntlm_level level(const char *s)
{
    if (s && strcmp(s, "connect") == 0)
        return WMGW_NTLM_LEVEL_CONNECT;
    if (s && strcmp(s, "integrity") == 0)
        return WMGW_NTLM_LEVEL_INTEGRITY;
    return WMGW_NTLM_LEVEL_PRIVACY;
}

static struct wmgw_ntlm_sec *session(void)
{
    struct wmgw_ntlm_sec *s = client ? wmgw_ntlm_client_sec(client) : NULL;
    return s ? s : server ? wmgw_ntlm_server_sec(server) : NULL;
}

static int fail(int rc, const struct wmgw_err *err)
{
    printf("err %s %s\n", wmgw_err_name(rc), err->message[0] ? err->message : "-");
    return 0;
}

/* Runs one command; words in a[0..n).  Returns -1 to stop. */
static int run(char **a, int n)
{
    static uint8_t out[WMGW_NTLM_MAX_MESSAGE];
    struct wmgw_err err = {0};
    size_t len = 0, olen = 0, slen = 0;
    uint8_t *in = NULL, *sig = NULL;
    int rc = 0;
    const char *cmd = a[0];

    if (strcmp(cmd, "quit") == 0)
        return -1;
    if (strcmp(cmd, "client") == 0 && n == 5) {
        struct wmgw_ntlm_client_config cfg = {.user = a[1], .domain = strcmp(a[2], "-") ? a[2] : NULL,
                                              .password = a[3], .workstation = "NTLMTOOL", .level = level(a[4])};
        wmgw_ntlm_client_free(client);
        client = NULL;
        rc = wmgw_ntlm_client_new(&cfg, &client, &err);
    } else if (strcmp(cmd, "server") == 0 && n == 5) {
        struct wmgw_ntlm_server_config cfg = {.nb_computer = a[1], .nb_domain = strcmp(a[2], "-") ? a[2] : NULL,
                                              .level = level(a[3]), .require_mic = atoi(a[4]), .lookup = lookup};
        wmgw_ntlm_server_free(server);
        server = NULL;
        rc = wmgw_ntlm_server_new(&cfg, &server, &err);
    } else if (strcmp(cmd, "user") == 0 && n == 3 && nusers < MAX_USERS) {
        snprintf(users[nusers].name, sizeof(users[0].name), "%s", a[1]);
        snprintf(users[nusers].password, sizeof(users[0].password), "%s", a[2]);
        nusers++;
    } else if (strcmp(cmd, "fix") == 0 && (n == 3 || n == 4)) {
        uint8_t *key = NULL;
        in = test_unhex_alloc(a[1], &len);
        if (n == 4)
            key = test_unhex_alloc(a[2], &slen);
        unsigned long long t = strtoull(a[n - 1], NULL, 10);
        if (in != NULL && len == 8 && client != NULL && key != NULL && slen == 16)
            wmgw__ntlm_client_fix(client, in, key, t);
        else if (in != NULL && len == 8 && server != NULL && n == 3)
            wmgw__ntlm_server_fix(server, in, t);
        else
            rc = wmgw_err_set(&err, WMGW_EINVAL, "fix: bad arguments");
        free(key);
    } else if (strcmp(cmd, "negotiate") == 0 && client != NULL) {
        rc = wmgw_ntlm_client_negotiate(client, out, sizeof(out), &olen, &err);
    } else if (strcmp(cmd, "challenge") == 0 && n == 2 && server != NULL && (in = test_unhex_alloc(a[1], &len)) != NULL) {
        rc = wmgw_ntlm_server_challenge(server, in, len, out, sizeof(out), &olen, &err);
    } else if (strcmp(cmd, "authenticate") == 0 && n == 2 && client && (in = test_unhex_alloc(a[1], &len)) != NULL) {
        rc = wmgw_ntlm_client_authenticate(client, in, len, out, sizeof(out), &olen, &err);
    } else if (strcmp(cmd, "accept") == 0 && n == 2 && server != NULL && (in = test_unhex_alloc(a[1], &len)) != NULL) {
        if ((rc = wmgw_ntlm_server_accept(server, in, len, &err)) == 0) {
            const struct wmgw_ntlm_identity *who = wmgw_ntlm_server_identity(server);
            printf("ok %s %s %s %08x\n", who->user, who->domain[0] ? who->domain : "-",
                   who->workstation[0] ? who->workstation : "-", wmgw_ntlm_sec_flags(wmgw_ntlm_server_sec(server)));
            free(in);
            return 0;
        }
    } else if ((strcmp(cmd, "seal") == 0 || strcmp(cmd, "sign") == 0) && (n == 2 || n == 4) && session() &&
               (in = test_unhex_alloc(a[1], &len)) != NULL) {
        size_t off = n == 4 ? strtoul(a[2], NULL, 10) : 0, rlen = n == 4 ? strtoul(a[3], NULL, 10) : len;
        uint8_t s[16];
        rc = cmd[1] == 'e' ? wmgw_ntlm_seal(session(), in, len, off, rlen, s, &err)
                           : wmgw_ntlm_sign(session(), in, len, s, &err);
        if (rc == 0) {
            printf("ok");
            if (cmd[1] == 'e')
                test_put_hex(in, len);
            test_put_hex(s, 16);
            putchar('\n');
            free(in);
            return 0;
        }
    } else if ((strcmp(cmd, "unseal") == 0 || strcmp(cmd, "verify") == 0) && (n == 3 || n == 5) && session() &&
               (in = test_unhex_alloc(a[1], &len)) != NULL && (sig = test_unhex_alloc(a[2], &slen)) != NULL && slen == 16) {
        size_t off = n == 5 ? strtoul(a[3], NULL, 10) : 0, rlen = n == 5 ? strtoul(a[4], NULL, 10) : len;
        rc = cmd[0] == 'u' ? wmgw_ntlm_unseal(session(), in, len, off, rlen, sig, &err)
                           : wmgw_ntlm_verify(session(), in, len, sig, &err);
        if (rc == 0 && cmd[0] == 'u') {
            printf("ok");
            test_put_hex(in, len);
            putchar('\n');
            free(in);
            free(sig);
            return 0;
        }
    } else {
        rc = wmgw_err_set(&err, WMGW_EINVAL, "bad command or no such context");
    }
    if (rc != 0) {
        fail(rc, &err);
    } else {
        printf("ok");
        if (olen > 0)
            test_put_hex(out, olen);
        putchar('\n');
    }
    free(in);
    free(sig);
    return 0;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((got = getline(&line, &cap, stdin)) > 0) {
        char *a[8], *save = NULL;
        int n = 0;
        for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 8; w = strtok_r(NULL, " \t\r\n", &save))
            a[n++] = w;
        if (n == 0)
            continue;
        if (run(a, n) < 0)
            break;
    }
    free(line);
    wmgw_ntlm_client_free(client);
    wmgw_ntlm_server_free(server);
    return 0;
}
