/*
 * winrm_crypt.c: tests for auth/winrm_crypt*.c, the multipart/encrypted
 * framing of WinRM message encryption:
 *
 * - the exact bytes of pywinrm 0.3.0's own tests (winrm/tests/
 *   test_encryption.py) for the same wrap: its fake session wraps to the
 *   signature "1234" and the base64 of the message, which our fake does
 *   too, and the body must come out byte for byte (272 bytes);
 * - CredSSP's 16 KiB chunking (three part pairs, x-multi-encrypted);
 * - round trips through our NTLM session (auth/ntlm.h) both ways;
 * - what decoding tolerates: pywinrm's endings, "-- Encrypted Boundary",
 *   no TAB, extra metadata headers, a CRLF before the boundary, UTF-16;
 * - every malformed body refused with WMGW_EINVAL and the position of the
 *   fault, every truncation refused, and nothing appended on failure;
 * - the Content-Type values, written and parsed.
 */
#include "auth/ntlm_int.h"
#include "auth/winrm_crypt.h"
#include "util/base64.h"

#include "../test.h"
#include "winrm_crypt_fake.h"

#define END "--Encrypted Boundary--\r\n"

static const struct wmgw_winrm_sec fake = {wmgw_test_fake_wrap, wmgw_test_fake_unwrap, NULL};
static const struct wmgw_winrm_sec fake_credssp = {wmgw_test_fake_wrap, wmgw_test_fake_unwrap, (void *)wmgw_test_fake_credssp};

#define PYWINRM_BODY                                                                                           \
    "--Encrypted Boundary\r\n"                                                                                 \
    "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"                                            \
    "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n"                                 \
    "--Encrypted Boundary\r\n"                                                                                 \
    "\tContent-Type: application/octet-stream\r\n"                                                             \
    "\x04\x00\x00\x00"                                                                                         \
    "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="                                                                         \
    "--Encrypted Boundary--\r\n"

static void test_pywinrm_exact_bytes(void)
{
    struct wmgw_buf body;
    struct wmgw_err err = {0};
    wmgw_buf_init(&body, 4096);
    CHECK_INT(wmgw_winrm_encrypt(&fake, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)"unencrypted message", 19, &body,
                                 &err),
              0);
    CHECK_INT(body.len, 272); /* pywinrm's expected Content-Length */
    CHECK_INT(sizeof(PYWINRM_BODY) - 1, 272);
    CHECK(body.len == 272 && memcmp(body.data, PYWINRM_BODY, 272) == 0);
    CHECK_STR(wmgw_winrm_content_type(WMGW_WINRM_SPNEGO, 19),
              "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted "
              "Boundary\"");
    wmgw_buf_dispose(&body);
}

/* Decrypts a copy of s; returns the result, plaintext in plain. */
static int decrypt_str(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, const char *s, size_t n,
                       struct wmgw_buf *plain, char *charset, struct wmgw_err *err)
{
    uint8_t *copy = malloc(n + 1);
    memcpy(copy, s, n);
    err->position = -1;
    int rc = wmgw_winrm_decrypt(sec, p, copy, n, plain, charset, err);
    free(copy);
    return rc;
}

static void expect_plain(const char *body, size_t n, const char *want, const char *want_charset)
{
    struct wmgw_buf plain;
    struct wmgw_err err = {0};
    char charset[WMGW_WINRM_CHARSET_MAX] = "";
    wmgw_buf_init(&plain, 1 << 20);
    int rc = decrypt_str(&fake, WMGW_WINRM_SPNEGO, body, n, &plain, charset, &err);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "    decrypt: %s at %ld\n", err.message, err.position);
    CHECK_INT(plain.len, strlen(want));
    CHECK(plain.len == strlen(want) && memcmp(plain.data, want, plain.len) == 0);
    CHECK_STR(charset, want_charset);
    wmgw_buf_dispose(&plain);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_decode_variants(void)
{
    expect_plain(S(PYWINRM_BODY), "unencrypted message", "UTF-8");
    /* pywinrm's test_decrypt_message: ends with a boundary line */
    expect_plain(S("--Encrypted Boundary\r\n"
                   "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                   "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n"
                   "--Encrypted Boundary\r\n"
                   "\tContent-Type: application/octet-stream\r\n"
                   "\x04\x00\x00\x00"
                   "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="
                   "--Encrypted Boundary\r\n"),
                 "unencrypted message", "UTF-8");
    /* The WSMV 4.5 example's spelling, no TABs, UTF-16, closing without CRLF */
    expect_plain(S("-- Encrypted Boundary\r\n"
                   "Content-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                   "OriginalContent: type=application/soap+xml;charset=UTF-16;Length=19\r\n"
                   "-- Encrypted Boundary\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\x04\x00\x00\x00"
                   "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="
                   "-- Encrypted Boundary"),
                 "unencrypted message", "UTF-16");
    /* An extra metadata header, the Kerberos name in a SPNEGO body, spaces
     * around items */
    expect_plain(S("--Encrypted Boundary\r\n"
                   "\tX-Extra: whatever\r\n"
                   "\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n"
                   "\tOriginalContent: type=application/soap+xml; charset=UTF-8; Length=19\r\n"
                   "--Encrypted Boundary\r\n"
                   "\tContent-Type: application/octet-stream\r\n"
                   "\x04\x00\x00\x00"
                   "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="
                   "--Encrypted Boundary--\r\n"),
                 "unencrypted message", "UTF-8");
    /* Ciphertext containing the boundary text: the Length decides */
    struct wmgw_buf body;
    struct wmgw_err err = {0};
    const char *tricky = "a--Encrypted Boundary--\r\nb";
    wmgw_buf_init(&body, 4096);
    struct wmgw_winrm_sec raw = {wmgw_test_fake_wrap, wmgw_test_fake_unwrap, "--Encrypted Boundary"};
    CHECK_INT(wmgw_winrm_encrypt(&raw, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)tricky, strlen(tricky), &body, &err),
              0);
    struct wmgw_buf plain;
    wmgw_buf_init(&plain, 4096);
    CHECK_INT(decrypt_str(&raw, WMGW_WINRM_SPNEGO, body.data, body.len, &plain, NULL, &err), 0);
    CHECK(plain.len == strlen(tricky) && memcmp(plain.data, tricky, plain.len) == 0);
    wmgw_buf_dispose(&plain);
    wmgw_buf_dispose(&body);
}

static void test_credssp_chunks(void)
{
    size_t n = 20 * 2048; /* pywinrm's test: "unencrypted message " * 2048 */
    char *msg = malloc(n);
    for (size_t i = 0; i < n; i += 20)
        memcpy(msg + i, "unencrypted message ", 20);
    struct wmgw_buf body, plain;
    struct wmgw_err err = {0};
    wmgw_buf_init(&body, 1 << 20);
    wmgw_buf_init(&plain, 1 << 20);
    CHECK_INT(wmgw_winrm_encrypt(&fake_credssp, WMGW_WINRM_CREDSSP, NULL, (const uint8_t *)msg, n, &body, &err), 0);
    CHECK_INT(body.len, 55303); /* pywinrm's expected Content-Length */
    CHECK(memcmp((char *)memmem(body.data, body.len, "octet-stream\r\n", 14) + 14, "\x20\0\0\0", 4) == 0);
    const char *p = body.data;
    int pairs = 0;
    while ((p = memmem(p, body.len - (size_t)(p - body.data),
                       "OriginalContent: type=application/soap+xml;charset=UTF-8;Length=", 64)) != NULL) {
        p += strlen("OriginalContent: type=application/soap+xml;charset=UTF-8;Length=");
        CHECK_INT(atoi(p), pairs < 2 ? 16384 : 8192);
        pairs++;
    }
    CHECK_INT(pairs, 3);
    CHECK(strncmp(wmgw_winrm_content_type(WMGW_WINRM_CREDSSP, n), "multipart/x-multi-encrypted;", 28) == 0);
    CHECK(strncmp(wmgw_winrm_content_type(WMGW_WINRM_CREDSSP, 16384), "multipart/encrypted;", 20) == 0);
    CHECK_INT(decrypt_str(&fake_credssp, WMGW_WINRM_CREDSSP, body.data, body.len, &plain, NULL, &err), 0);
    CHECK(plain.len == n && memcmp(plain.data, msg, n) == 0);
    /* SPNEGO never chunks */
    wmgw_buf_reset(&body);
    CHECK_INT(wmgw_winrm_encrypt(&fake, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)msg, n, &body, &err), 0);
    CHECK(memmem(body.data, body.len, "Length=40960\r\n", 14) != NULL);
    wmgw_buf_dispose(&body);
    wmgw_buf_dispose(&plain);
    free(msg);
}

/* ---- our NTLM session ---- */

static const uint8_t KEY[16] = {0x0c, 0x0f, 0xfe, 0xe5, 0x50, 0x12, 0x34, 0x56,
                                0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33};
#define FLAGS                                                                                                  \
    (WMGW_NTLM_NEGOTIATE_UNICODE | WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL |                      \
     WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_KEY_EXCH |    \
     WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN)

static void test_ntlm_round_trips(void)
{
    struct wmgw_ntlm_sec cs, ss;
    CHECK_INT(wmgw__ntlm_sec_init(&cs, FLAGS, KEY, true, NULL), 0);
    CHECK_INT(wmgw__ntlm_sec_init(&ss, FLAGS, KEY, false, NULL), 0);
    struct wmgw_winrm_sec c, s;
    wmgw_winrm_sec_ntlm(&c, &cs);
    wmgw_winrm_sec_ntlm(&s, &ss);
    struct wmgw_buf body, plain;
    struct wmgw_err err = {0};
    wmgw_buf_init(&body, 1 << 20);
    wmgw_buf_init(&plain, 1 << 20);
    const char *msgs[] = {"<s:Envelope>one</s:Envelope>", "<s:Envelope>two, longer</s:Envelope>", "x"};
    for (int i = 0; i < 3; i++) {
        for (int dir = 0; dir < 2; dir++) {
            const struct wmgw_winrm_sec *from = dir ? &s : &c, *to = dir ? &c : &s;
            wmgw_buf_reset(&body);
            wmgw_buf_reset(&plain);
            CHECK_INT(wmgw_winrm_encrypt(from, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)msgs[i], strlen(msgs[i]),
                                         &body, &err),
                      0);
            const char *f = strstr(body.data, "octet-stream\r\n") + 14;
            CHECK(memcmp(f, "\x10\0\0\0\x01\0\0\0", 8) == 0); /* 16, then Version 1 of the signature */
            CHECK_INT((uint8_t)f[16], i); /* SeqNum, little-endian */
            CHECK_INT(wmgw_winrm_decrypt(to, WMGW_WINRM_SPNEGO, (uint8_t *)body.data, body.len, &plain, NULL, &err),
                      0);
            CHECK(plain.len == strlen(msgs[i]) && memcmp(plain.data, msgs[i], plain.len) == 0);
        }
    }
    /* A CRLF before the closing boundary (the data's length decides). */
    wmgw_buf_reset(&body);
    CHECK_INT(wmgw_winrm_encrypt(&c, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)"crlf", 4, &body, &err), 0);
    char *crlf = malloc(body.len + 2);
    memcpy(crlf, body.data, body.len - 24);
    memcpy(crlf + body.len - 24, "\r\n" END, 26);
    wmgw_buf_reset(&plain);
    CHECK_INT(wmgw_winrm_decrypt(&s, WMGW_WINRM_SPNEGO, (uint8_t *)crlf, body.len + 2, &plain, NULL, &err), 0);
    CHECK(plain.len == 4 && memcmp(plain.data, "crlf", 4) == 0);
    free(crlf);

    /* A replayed body fails, and the failure is final for that direction. */
    wmgw_buf_reset(&body);
    CHECK_INT(wmgw_winrm_encrypt(&c, WMGW_WINRM_SPNEGO, NULL, (const uint8_t *)"again", 5, &body, &err), 0);
    char *copy = malloc(body.len);
    memcpy(copy, body.data, body.len);
    wmgw_buf_reset(&plain);
    CHECK_INT(wmgw_winrm_decrypt(&s, WMGW_WINRM_SPNEGO, (uint8_t *)body.data, body.len, &plain, NULL, &err), 0);
    wmgw_buf_reset(&plain);
    CHECK_INT(wmgw_winrm_decrypt(&s, WMGW_WINRM_SPNEGO, (uint8_t *)copy, body.len, &plain, NULL, &err), WMGW_EPROTO);
    CHECK_INT(plain.len, 0);
    free(copy);
    wmgw_buf_dispose(&body);
    wmgw_buf_dispose(&plain);
    wmgw__ntlm_sec_dispose(&cs);
    wmgw__ntlm_sec_dispose(&ss);
}

/* ---- malformed bodies ---- */

static void expect_bad(const char *body, size_t n, long pos, const char *what)
{
    struct wmgw_buf plain;
    struct wmgw_err err = {0};
    wmgw_buf_init(&plain, 1 << 20);
    wmgw_buf_addstr(&plain, "kept");
    int rc = decrypt_str(&fake, WMGW_WINRM_SPNEGO, body, n, &plain, NULL, &err);
    if (rc != WMGW_EINVAL || err.position != pos || strstr(err.message, what) == NULL) {
        fprintf(stderr, "    body %.60s...: rc %d at %ld: %s (expected EINVAL at %ld, \"%s\")\n", body, rc,
                err.position, err.message, pos, what);
        CHECK(0);
    }
    CHECK_STR(plain.data, "kept"); /* nothing appended */
    wmgw_buf_dispose(&plain);
}

/* Where needle starts in s. */
static long at_of(const char *s, size_t n, const char *needle)
{
    const char *p = memmem(s, n, needle, strlen(needle));
    return p != NULL ? (long)(p - s) : -2;
}

#define B1 "--Encrypted Boundary\r\n"
#define CT "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
#define OC "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n"
#define OS "\tContent-Type: application/octet-stream\r\n"
#define DATA "\x04\x00\x00\x00" "1234dW5lbmNyeXB0ZWQgbWVzc2FnZQ=="

static void test_malformed(void)
{
    size_t b1 = strlen(B1), ct = strlen(CT), oc = strlen(OC), os = strlen(OS), data = 4 + 32;
    expect_bad(S("Encrypted Boundary\r\n" CT OC B1 OS DATA END), 0, "expected");
    expect_bad(S("--Encrypted-Boundary\r\n" CT OC B1 OS DATA END), 0, "expected");
    expect_bad(S("--Encrypted Boundary" CT OC B1 OS DATA END), 20, "CRLF");
    expect_bad(S(B1 "\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n" OC B1 OS DATA END), (long)b1,
               "is not");
    expect_bad(S(B1 CT B1 OS DATA END), (long)(b1 + ct), "without OriginalContent");
    expect_bad(S(B1 OC B1 OS DATA END), (long)(b1 + oc), "without Content-Type");
    expect_bad(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF-8\r\n" B1 OS DATA END),
               at_of(S(B1 CT OC), "type="), "without Length");
    expect_bad(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=1x\r\n" B1 OS DATA END),
               at_of(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=1x\r\n"), "x\r"),
               "not a decimal");
    expect_bad(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=99999999999\r\n" B1 OS
                 DATA END),
               at_of(S(B1 CT OC), "Length="), "1 to 10 digits");
    expect_bad(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=9999\r\n" B1 OS DATA END),
               at_of(S(B1 CT OC), "Length="), "more than the body");
    expect_bad(S(B1 CT OC OC B1 OS DATA END), (long)(b1 + ct + oc), "twice");
    expect_bad(S(B1 CT "\tOriginalContent: type=application/soap+xml;charset=UTF 8;Length=19\r\n" B1 OS DATA END),
               at_of(S(B1 CT OC), "charset="), "bad charset");
    expect_bad(S(B1 CT "\tno colon here\r\n" OC B1 OS DATA END), (long)(b1 + ct), "without a name");
    expect_bad(S(B1 CT OC "--Encrypted Boundary\n" OS DATA END), (long)(b1 + ct + oc + 20), "CRLF");
    expect_bad(S(B1 CT OC B1 "\tContent-Type: text/plain\r\n" DATA END), (long)(b1 + ct + oc + b1), "octet-stream");
    expect_bad(S(B1 CT OC B1 OS "\x04\x00"), (long)(b1 + ct + oc + b1 + os), "length field");
    expect_bad(S(B1 CT OC B1 OS "\xff\x00\x00\x00" "1234" END), (long)(b1 + ct + oc + b1 + os), "past the body");
    expect_bad(S(B1 CT OC B1 OS DATA), (long)(b1 + ct + oc + b1 + os + 4), "no boundary");
    expect_bad(S(B1 CT OC B1 OS DATA END "junk"), (long)(b1 + ct + oc + b1 + os + data + strlen(END)),
               "after the closing");
    expect_bad(S(B1 CT OC B1 OS DATA "--Encrypted Boundary-x"), (long)(b1 + ct + oc + b1 + os + data + 20),
               "expected \"--\" or CRLF");
    /* decrypts to 18 bytes where Length says 19 (and the data is 28) */
    expect_bad(S(B1 CT OC B1 OS "\x04\x00\x00\x00" "1234dW5lbmNyeXB0ZWQgbWVzc2Fn" END),
               (long)(b1 + ct + oc + b1 + os + 4), "Length says 19");
    /* a header line without its end */
    char *longline = malloc(3000);
    int n = snprintf(longline, 3000, "%s\tX-Long: ", B1);
    memset(longline + n, 'a', 2000);
    CHECK(longline[0] == '-');
    expect_bad(longline, (size_t)n + 2000, (long)b1, "longer than");
    free(longline);
    /* too many header lines */
    struct wmgw_buf many;
    wmgw_buf_init(&many, 1 << 16);
    wmgw_buf_addstr(&many, B1);
    for (int i = 0; i < 17; i++)
        wmgw_buf_addstr(&many, "\tX: y\r\n");
    static const char rest[] = CT OC B1 OS DATA END;
    wmgw_buf_add(&many, rest, sizeof(rest) - 1);
    expect_bad(many.data, many.len, (long)(b1 + 16 * 7), "header lines");
    wmgw_buf_dispose(&many);

    /* Every truncation of a good body is refused, except those that only
     * drop the final "--" and CRLF (tolerated endings). */
    const char good[] = PYWINRM_BODY;
    size_t len = sizeof(good) - 1;
    for (size_t cut = 0; cut < len; cut++) {
        struct wmgw_buf plain;
        struct wmgw_err err = {0};
        wmgw_buf_init(&plain, 4096);
        int rc = decrypt_str(&fake, WMGW_WINRM_SPNEGO, good, cut, &plain, NULL, &err);
        if (cut == len - 4 || cut == len - 2 || cut == len - 1) {
            CHECK_INT(rc, 0);
        } else {
            CHECK(rc != 0);
            CHECK(err.position >= 0 && (size_t)err.position <= cut);
            CHECK_INT(plain.len, 0);
        }
        wmgw_buf_dispose(&plain);
    }
}

static void test_too_many_parts(void)
{
    struct wmgw_buf body, plain;
    struct wmgw_err err = {0};
    wmgw_buf_init(&body, 1 << 24);
    wmgw_buf_init(&plain, 1 << 24);
    /* WMGW_WINRM_MAX_PARTS + 1 pairs of one-byte CredSSP chunks */
    static const char one[] = B1 "\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n"
                                 "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=1\r\n" B1 OS
                                 "\x04\x00\x00\x00" "1234YQ==";
    for (int i = 0; i <= WMGW_WINRM_MAX_PARTS; i++)
        wmgw_buf_add(&body, one, sizeof(one) - 1);
    wmgw_buf_addstr(&body, END);
    size_t pair = body.len / (WMGW_WINRM_MAX_PARTS + 1);
    int rc = decrypt_str(&fake, WMGW_WINRM_CREDSSP, body.data, body.len, &plain, NULL, &err);
    CHECK_INT(rc, WMGW_EINVAL);
    if (rc != WMGW_EINVAL || err.position != (long)(pair * WMGW_WINRM_MAX_PARTS + strlen(B1)))
        fprintf(stderr, "    %s at %ld\n", err.message, err.position);
    CHECK_INT(err.position, (long)(pair * WMGW_WINRM_MAX_PARTS + strlen(B1)));
    CHECK_INT(plain.len, 0);
    wmgw_buf_dispose(&body);
    wmgw_buf_dispose(&plain);
}

/* ---- Content-Type ---- */

static void test_content_type(void)
{
    enum wmgw_winrm_protocol p = 0;
    struct wmgw_err err = {0};
    for (int i = WMGW_WINRM_SPNEGO; i <= WMGW_WINRM_CREDSSP; i++) {
        CHECK_INT(wmgw_winrm_parse_content_type(wmgw_winrm_content_type(i, 100000), &p, &err), 0);
        CHECK_INT(p, i);
    }
    CHECK_INT(wmgw_winrm_parse_content_type("Multipart/Encrypted; protocol=\"application/HTTP-Kerberos-session-"
                                            "encrypted\" ; boundary=\"Encrypted Boundary\"",
                                            &p, &err),
              0);
    CHECK_INT(p, WMGW_WINRM_KERBEROS);
    CHECK_INT(wmgw_winrm_parse_content_type("application/soap+xml;charset=UTF-8", &p, &err), WMGW_ENOTFOUND);
    CHECK_INT(wmgw_winrm_parse_content_type("multipart/encrypted;boundary=\"Encrypted Boundary\"", &p, &err),
              WMGW_EINVAL);
    CHECK_INT(wmgw_winrm_parse_content_type("multipart/encrypted;protocol=\"application/HTTP-Foo-session-"
                                            "encrypted\";boundary=\"Encrypted Boundary\"",
                                            &p, &err),
              WMGW_EINVAL);
    CHECK_INT(err.position, 30); /* the protocol's first letter */
    CHECK_INT(wmgw_winrm_parse_content_type("multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-"
                                            "encrypted\";boundary=\"Other\"",
                                            &p, &err),
              WMGW_EINVAL);
    CHECK_INT(wmgw_winrm_parse_content_type("multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-"
                                            "encrypted;boundary=\"Encrypted Boundary\"",
                                            &p, &err),
              WMGW_EINVAL);
    CHECK_INT(wmgw_winrm_parse_content_type("multipart/encrypted;protocol", &p, &err), WMGW_EINVAL);
}

int main(void)
{
    WMGW_TEST_RUN(test_pywinrm_exact_bytes);
    WMGW_TEST_RUN(test_decode_variants);
    WMGW_TEST_RUN(test_credssp_chunks);
    WMGW_TEST_RUN(test_ntlm_round_trips);
    WMGW_TEST_RUN(test_malformed);
    WMGW_TEST_RUN(test_too_many_parts);
    WMGW_TEST_RUN(test_content_type);
    return WMGW_TEST_DONE();
}
