/*
 * fuzz_winrm_crypt.c: libFuzzer target for WinRM message encryption
 * (auth/winrm_crypt*.c) and the other parser of untrusted-length input
 * next to it, keytab bytes (auth/gss_keytab.c).  The first byte picks the
 * path (modulo 4); the rest is the input.
 *
 *   0  a Content-Type header value (wmgw_winrm_parse_content_type)
 *   1  a body under a deterministic session (header "1234", data in
 *      base64, as pywinrm's tests), protocol from the second byte: the
 *      framing parser alone; a body that decodes is encoded again and must
 *      decode to the same message
 *   2  a body for our NTLM server session with a fixed key: the unwrap path
 *      (signature, RC4, sequence numbers); seeds sealed by the matching
 *      client session get through to the Length checks; a body that
 *      decodes must fail the second time (replay)
 *   3  keytab bytes (wmgw__gss_keytab_parse)
 *
 * Seeds in corpus/fuzz_winrm_crypt are written by compiling this file with
 * -DFUZZ_WINRM_CRYPT_SEEDS (a main() that takes the corpus directory).
 */
#include "auth/gss_int.h"
#include "auth/ntlm_int.h"
#include "auth/winrm_crypt.h"
#include "tests/unit/auth/winrm_crypt_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t KEY[16] = {0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c,
                                0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c, 0x3c};
#define FLAGS                                                                                                  \
    (WMGW_NTLM_NEGOTIATE_UNICODE | WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL |                      \
     WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_KEY_EXCH)

static const struct wmgw_winrm_sec fake = {wmgw_test_fake_wrap, wmgw_test_fake_unwrap, NULL};

static enum wmgw_winrm_protocol proto_of(uint8_t b)
{
    return (enum wmgw_winrm_protocol)(1 + b % 3);
}

static void fuzz_fake(const uint8_t *d, size_t n)
{
    if (n < 1)
        return;
    enum wmgw_winrm_protocol p = proto_of(d[0]);
    uint8_t *body = malloc(n);
    memcpy(body, d + 1, n - 1);
    struct wmgw_buf plain, again, back;
    wmgw_buf_init(&plain, 1 << 20);
    wmgw_buf_init(&again, 4 << 20);
    wmgw_buf_init(&back, 1 << 20);
    char charset[WMGW_WINRM_CHARSET_MAX];
    if (wmgw_winrm_decrypt(&fake, p, body, n - 1, &plain, charset, NULL) == 0) {
        if (strlen(charset) == 0 || strlen(charset) >= WMGW_WINRM_CHARSET_MAX)
            abort();
        if (plain.len > 0 &&
            wmgw_winrm_encrypt(&fake, p, NULL, (uint8_t *)plain.data, plain.len, &again, NULL) == 0) {
            if (wmgw_winrm_decrypt(&fake, p, (uint8_t *)again.data, again.len, &back, NULL, NULL) != 0 ||
                back.len != plain.len || memcmp(back.data, plain.data, plain.len) != 0)
                abort(); /* we must read what we write */
        }
    } else if (plain.len != 0) {
        abort(); /* nothing appended on failure */
    }
    wmgw_buf_dispose(&plain);
    wmgw_buf_dispose(&again);
    wmgw_buf_dispose(&back);
    free(body);
}

static void fuzz_ntlm(const uint8_t *d, size_t n)
{
    struct wmgw_ntlm_sec ss;
    if (wmgw__ntlm_sec_init(&ss, FLAGS, KEY, false, NULL) != 0)
        abort();
    struct wmgw_winrm_sec s;
    wmgw_winrm_sec_ntlm(&s, &ss);
    uint8_t *body = malloc(n + 1), *copy = malloc(n + 1);
    memcpy(body, d, n);
    memcpy(copy, d, n);
    struct wmgw_buf plain;
    wmgw_buf_init(&plain, 1 << 20);
    if (wmgw_winrm_decrypt(&s, WMGW_WINRM_SPNEGO, body, n, &plain, NULL, NULL) == 0) {
        wmgw_buf_reset(&plain);
        if (wmgw_winrm_decrypt(&s, WMGW_WINRM_SPNEGO, copy, n, &plain, NULL, NULL) == 0)
            abort(); /* a replay must fail */
    }
    wmgw_buf_dispose(&plain);
    wmgw__ntlm_sec_dispose(&ss);
    free(body);
    free(copy);
}

static int count(void *arg, const struct wmgw__gss_kt_entry *e, struct wmgw_err *err)
{
    (void)err;
    if (e->ncomp == 0 || e->ncomp > 16 || e->key_len == 0)
        abort();
    ++*(size_t *)arg;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0: {
        char *s = malloc(n + 1);
        memcpy(s, d, n);
        s[n] = '\0';
        enum wmgw_winrm_protocol p;
        (void)wmgw_winrm_parse_content_type(s, &p, NULL);
        free(s);
        break;
    }
    case 1:
        fuzz_fake(d, n);
        break;
    case 2:
        fuzz_ntlm(d, n);
        break;
    default: {
        size_t entries = 0;
        (void)wmgw__gss_keytab_parse(d, n, count, &entries, NULL);
        break;
    }
    }
    return 0;
}

#ifdef FUZZ_WINRM_CRYPT_SEEDS
static void seed(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const char *dir = argv[1];
    static const char *types[] = {
        "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"",
        "multipart/x-multi-encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\";"
        "boundary=\"Encrypted Boundary\"",
        "Multipart/Encrypted; protocol=application/HTTP-Kerberos-session-encrypted ; boundary=\"Encrypted Boundary\"",
        "application/soap+xml;charset=UTF-8"};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "content-type-%d", i);
        seed(dir, name, 0, types[i], strlen(types[i]));
    }
    /* Deterministic session: one per protocol, a chunked CredSSP body and
     * the tolerated spellings. */
    struct wmgw_buf body;
    wmgw_buf_init(&body, 1 << 20);
    const char *msg = "<s:Envelope>unencrypted message</s:Envelope>";
    for (uint8_t p = 0; p < 3; p++) {
        wmgw_buf_reset(&body);
        wmgw_buf_addc(&body, (char)p);
        if (wmgw_winrm_encrypt(&fake, proto_of(p), NULL, (const uint8_t *)msg, strlen(msg), &body, NULL) != 0)
            abort();
        char name[32];
        snprintf(name, sizeof(name), "fake-%d", p);
        seed(dir, name, 1, body.data, body.len);
    }
    char *big = malloc(40000);
    memset(big, 'x', 40000);
    wmgw_buf_reset(&body);
    wmgw_buf_addc(&body, 2);
    if (wmgw_winrm_encrypt(&fake, WMGW_WINRM_CREDSSP, NULL, (uint8_t *)big, 40000, &body, NULL) != 0)
        abort();
    seed(dir, "fake-credssp-chunks", 1, body.data, body.len);
    free(big);
    static const char spaced[] = "\0-- Encrypted Boundary\r\n"
                                 "Content-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                                 "OriginalContent: type=application/soap+xml;charset=UTF-16;Length=19\r\n"
                                 "-- Encrypted Boundary\r\n"
                                 "Content-Type: application/octet-stream\r\n"
                                 "\x04\x00\x00\x00"
                                 "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="
                                 "-- Encrypted Boundary";
    seed(dir, "fake-spaced", 1, spaced, sizeof(spaced) - 1);
    /* NTLM: the first two messages of the client side */
    struct wmgw_ntlm_sec cs;
    if (wmgw__ntlm_sec_init(&cs, FLAGS, KEY, true, NULL) != 0)
        abort();
    struct wmgw_winrm_sec c;
    wmgw_winrm_sec_ntlm(&c, &cs);
    wmgw_buf_reset(&body);
    if (wmgw_winrm_encrypt(&c, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)msg, strlen(msg), &body, NULL) != 0)
        abort();
    seed(dir, "ntlm-first", 2, body.data, body.len);
    wmgw__ntlm_sec_dispose(&cs);
    wmgw_buf_dispose(&body);
    /* A keytab of two made-up entries (no real key). */
    static const uint8_t kt[] = {
        0x05, 0x02, 0x00, 0x00, 0x00, 0x39, 0x00, 0x02, 0x00, 0x09, 'W', 'M', 'G', 'W', '.', 'T', 'E', 'S', 'T',
        0x00, 0x04, 'H', 'T', 'T', 'P', 0x00, 0x0f, 'w', 'e', 'b', '0', '1', '.', 'w', 'm', 'g', 'w', '.', 't',
        'e', 's', 't', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x04, 1, 2, 3, 4,
        0x00, 0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0,
    };
    seed(dir, "keytab", 3, kt, sizeof(kt));
    return 0;
}
#endif
