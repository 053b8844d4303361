/*
 * winrm_crypt_tool.c: auth/winrm_crypt.h on stdin/stdout, so that pywinrm
 * (tests/python/test_winrm_crypt_pywinrm.py) can check our framing
 * against its winrm.encryption.Encryption.  One command per line, binary
 * data in hex; every command answers one line, "ok ..." or
 * "err <ERRNAME> <position> <message>".
 *
 *   ntlm <flags> <key-hex>     two NTLM sessions (auth/ntlm.h) from one
 *                              exported session key: a client and a server
 *   fake                       pywinrm's test session: header "1234",
 *                              data base64(message), on both sides
 *   encrypt <client|server> <spnego|kerberos|credssp> <msg-hex>
 *                              -> ok <body-hex> <content-type words...>
 *   decrypt <client|server> <spnego|kerberos|credssp> <body-hex>
 *                              -> ok <plain-hex> <charset>
 */
#include "auth/ntlm_int.h"
#include "auth/winrm_crypt.h"
#include "winrm_crypt_fake.h"
#include "../hex_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wmgw_ntlm_sec client_sec, server_sec;
static bool have_ntlm;
static struct wmgw_winrm_sec client, server;

static void fail(const struct wmgw_err *err)
{
    printf("err %s %ld %s\n", wmgw_err_name(err->code), err->position, err->message);
}

static int protocol(const char *s)
{
    if (s && strcmp(s, "spnego") == 0)
        return WMGW_WINRM_SPNEGO;
    if (s && strcmp(s, "kerberos") == 0)
        return WMGW_WINRM_KERBEROS;
    if (s && strcmp(s, "credssp") == 0)
        return WMGW_WINRM_CREDSSP;
    return 0;
}

static void run(char **w, int n)
{
    struct wmgw_err err = {.code = WMGW_EINVAL, .position = -1, .message = "bad command"};
    if (n == 3 && strcmp(w[0], "ntlm") == 0) {
        size_t klen = 0;
        uint8_t *key = test_unhex_alloc(w[2], &klen);
        uint32_t flags = (uint32_t)strtoul(w[1], NULL, 0);
        if (key == NULL || klen != 16) {
            free(key);
            fail(&err);
            return;
        }
        if (have_ntlm) {
            wmgw__ntlm_sec_dispose(&client_sec);
            wmgw__ntlm_sec_dispose(&server_sec);
        }
        if (wmgw__ntlm_sec_init(&client_sec, flags, key, true, &err) != 0 ||
            wmgw__ntlm_sec_init(&server_sec, flags, key, false, &err) != 0) {
            free(key);
            fail(&err);
            return;
        }
        free(key);
        have_ntlm = true;
        wmgw_winrm_sec_ntlm(&client, &client_sec);
        wmgw_winrm_sec_ntlm(&server, &server_sec);
        printf("ok\n");
        return;
    }
    if (n == 1 && strcmp(w[0], "fake") == 0) {
        client = server = (struct wmgw_winrm_sec){wmgw_test_fake_wrap, wmgw_test_fake_unwrap, NULL};
        printf("ok\n");
        return;
    }
    if (n != 4 || (strcmp(w[1], "client") != 0 && strcmp(w[1], "server") != 0) || protocol(w[2]) == 0 ||
        client.wrap == NULL) {
        fail(&err);
        return;
    }
    const struct wmgw_winrm_sec *sec = strcmp(w[1], "client") == 0 ? &client : &server;
    enum wmgw_winrm_protocol p = protocol(w[2]);
    size_t len = 0;
    uint8_t *data = test_unhex_alloc(w[3], &len);
    if (data == NULL) {
        fail(&err);
        return;
    }
    struct wmgw_buf out;
    wmgw_buf_init(&out, 64 << 20);
    char charset[WMGW_WINRM_CHARSET_MAX] = "";
    if (strcmp(w[0], "encrypt") == 0 && wmgw_winrm_encrypt(sec, p, NULL, data, len, &out, &err) == 0) {
        printf("ok");
        test_put_hex(out.data, out.len);
        printf(" %s\n", wmgw_winrm_content_type(p, len));
    } else if (strcmp(w[0], "decrypt") == 0 && wmgw_winrm_decrypt(sec, p, data, len, &out, charset, &err) == 0) {
        printf("ok");
        test_put_hex(out.data, out.len);
        printf(" %s\n", charset);
    } else {
        fail(&err);
    }
    wmgw_buf_dispose(&out);
    free(data);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char *w[8];
        int n = 0;
        for (char *tok = strtok(line, " \t\r\n"); tok != NULL && n < 8; tok = strtok(NULL, " \t\r\n"))
            w[n++] = tok;
        if (n > 0)
            run(w, n);
        fflush(stdout);
    }
    free(line);
    if (have_ntlm) {
        wmgw__ntlm_sec_dispose(&client_sec);
        wmgw__ntlm_sec_dispose(&server_sec);
    }
    return 0;
}
