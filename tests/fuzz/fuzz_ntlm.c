/*
 * fuzz_ntlm.c: libFuzzer target for NTLM (auth/ntlm*.c), the code that
 * reads what a peer sends: the three message parsers and AV pairs, the
 * client's and the server's processing of CHALLENGE and AUTHENTICATE, and
 * unseal/verify.  The first byte picks the path (low three bits, modulo 5)
 * and the server's required level (top bit); the rest is the peer's bytes.
 *
 *   0  NEGOTIATE: parse, then a fresh server answers it
 *   1  CHALLENGE: parse, AV pairs, write and re-parse (the fields must come
 *      back the same), then a fresh client answers it
 *   2  AUTHENTICATE: parse, the NTLMv2 blob's AV pairs, write and re-parse
 *   3  AUTHENTICATE to a server that challenged our fixed NEGOTIATE with a
 *      fixed server challenge and clock, so seeds made by our client (and by
 *      impacket) carry valid proofs and mutations reach the MIC, key
 *      exchange and session set-up
 *   4  kind(1) off(2) len(2) signature(16) message: unseal or verify on a
 *      fresh server-side session with a fixed key; a success is replayed
 *      and must then fail
 *
 * Seeds in corpus/fuzz_ntlm come from the MS-NLMP 4.2 messages, from our
 * client and server and from impacket.  Ours are rewritten by compiling
 * this file with -DFUZZ_NTLM_SEEDS (a main() that takes the corpus
 * directory and the captures directory).
 */
#include "auth/ntlm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t SC[8] = {0x4e, 0x54, 0x4c, 0x4d, 0x46, 0x55, 0x5a, 0x5a};
static const uint8_t CC[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t KEY[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55};
#define T 133500000000000000ull
#define SESSION_FLAGS                                                                                          \
    (WMGW_NTLM_NEGOTIATE_UNICODE | WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL |                      \
     WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_KEY_EXCH)

static int lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    (void)arg;
    (void)domain;
    if (strcasecmp(user, "alice") != 0)
        return WMGW_ENOTFOUND;
    snprintf(cred->password, sizeof(cred->password), "Secret-1");
    return 0;
}

static struct wmgw_ntlm_client *new_client(uint8_t *neg, size_t *neg_len)
{
    struct wmgw_ntlm_client_config cfg = {.user = "alice", .domain = "WMSIM", .password = "Secret-1",
                                          .workstation = "FUZZER", .target_spn = "RPCSS/fuzz-srv"};
    struct wmgw_ntlm_client *c = NULL;
    if (wmgw_ntlm_client_new(&cfg, &c, NULL) != 0)
        abort();
    wmgw__ntlm_client_fix(c, CC, KEY, T);
    if (wmgw_ntlm_client_negotiate(c, neg, 64, neg_len, NULL) != 0)
        abort();
    return c;
}

static struct wmgw_ntlm_server *new_server(bool strict)
{
    struct wmgw_ntlm_server_config cfg = {.nb_computer = "FUZZ-SRV", .dns_computer = "fuzz-srv.example.test",
                                          .level = strict ? WMGW_NTLM_LEVEL_PRIVACY : WMGW_NTLM_LEVEL_CONNECT,
                                          .lookup = lookup};
    struct wmgw_ntlm_server *s = NULL;
    if (wmgw_ntlm_server_new(&cfg, &s, NULL) != 0)
        abort();
    wmgw__ntlm_server_fix(s, SC, T);
    return s;
}

/* A server that has answered our client's NEGOTIATE; its CHALLENGE in ch. */
static struct wmgw_ntlm_server *challenged_server(bool strict, uint8_t *ch, size_t *ch_len)
{
    uint8_t neg[64];
    size_t neg_len;
    struct wmgw_ntlm_client *c = new_client(neg, &neg_len);
    struct wmgw_ntlm_server *s = new_server(strict);
    if (wmgw_ntlm_server_challenge(s, neg, neg_len, ch, WMGW_NTLM_MAX_MESSAGE, ch_len, NULL) != 0)
        abort();
    wmgw_ntlm_client_free(c);
    return s;
}

static void same_field(const struct wmgw__ntlm_field *a, const struct wmgw__ntlm_field *b)
{
    if (a->len != b->len || (a->len > 0 && memcmp(a->p, b->p, a->len) != 0))
        abort();
}

static void fuzz_challenge(const uint8_t *d, size_t n)
{
    static uint8_t out[WMGW_NTLM_MAX_MESSAGE];
    struct wmgw__ntlm_challenge ch, back;
    struct wmgw__ntlm_avlist av;
    size_t len;
    if (wmgw__ntlm_parse_challenge(d, n, &ch, NULL) != 0)
        return;
    if (ch.target_info.len > 0)
        (void)wmgw__ntlm_av_parse(ch.target_info.p, ch.target_info.len, &av, NULL);
    if (wmgw__ntlm_write_challenge(&ch, out, sizeof(out), &len, NULL) == 0) {
        if (wmgw__ntlm_parse_challenge(out, len, &back, NULL) != 0 || back.flags != ch.flags ||
            memcmp(back.server_challenge, ch.server_challenge, 8) != 0)
            abort();
        same_field(&back.target_name, &ch.target_name);
        same_field(&back.target_info, &ch.target_info);
    }
    uint8_t neg[64];
    size_t neg_len;
    struct wmgw_ntlm_client *c = new_client(neg, &neg_len);
    if (wmgw_ntlm_client_authenticate(c, d, n, out, sizeof(out), &len, NULL) == 0) {
        struct wmgw__ntlm_authenticate a;
        if (wmgw__ntlm_parse_authenticate(out, len, &a, NULL) != 0 || a.mic == NULL)
            abort(); /* we must read what we write */
    }
    wmgw_ntlm_client_free(c);
}

static void fuzz_authenticate(const uint8_t *d, size_t n)
{
    static uint8_t out[WMGW_NTLM_MAX_MESSAGE];
    struct wmgw__ntlm_authenticate a, back;
    struct wmgw__ntlm_avlist av;
    size_t len;
    if (wmgw__ntlm_parse_authenticate(d, n, &a, NULL) != 0)
        return;
    if (a.nt.len >= 16 + 28)
        (void)wmgw__ntlm_av_parse(a.nt.p + 44, a.nt.len - 44, &av, NULL);
    if (wmgw__ntlm_write_authenticate(&a, out, sizeof(out), &len, NULL) != 0)
        return;
    if (wmgw__ntlm_parse_authenticate(out, len, &back, NULL) != 0 || back.flags != a.flags ||
        (back.mic == NULL) != (a.mic == NULL))
        abort();
    same_field(&back.lm, &a.lm);
    same_field(&back.nt, &a.nt);
    same_field(&back.domain, &a.domain);
    same_field(&back.user, &a.user);
    same_field(&back.workstation, &a.workstation);
    same_field(&back.session_key, &a.session_key);
}

static void fuzz_accept(const uint8_t *d, size_t n, bool strict)
{
    static uint8_t ch[WMGW_NTLM_MAX_MESSAGE];
    size_t ch_len;
    struct wmgw_ntlm_server *s = challenged_server(strict, ch, &ch_len);
    if (wmgw_ntlm_server_accept(s, d, n, NULL) == 0) {
        struct wmgw_ntlm_sec *sec = wmgw_ntlm_server_sec(s);
        uint8_t msg[32] = "after a fuzzed AUTHENTICATE", sig[16];
        if (sec == NULL || wmgw_ntlm_server_identity(s) == NULL)
            abort();
        (void)wmgw_ntlm_seal(sec, msg, sizeof(msg), 0, sizeof(msg), sig, NULL);
        (void)wmgw_ntlm_sign(sec, msg, sizeof(msg), sig, NULL);
    }
    wmgw_ntlm_server_free(s);
}

static void fuzz_unseal(const uint8_t *d, size_t n)
{
    struct wmgw_ntlm_sec sec;
    if (n < 21)
        return;
    size_t off = wmgw__ntlm_le16(d + 1), len = wmgw__ntlm_le16(d + 3), mlen = n - 21;
    uint8_t *msg = malloc(mlen + 1), *again = malloc(mlen + 1);
    memcpy(msg, d + 21, mlen);
    memcpy(again, d + 21, mlen);
    if (wmgw__ntlm_sec_init(&sec, SESSION_FLAGS, KEY, false, NULL) != 0)
        abort();
    bool seal = d[0] & 1;
    int rc = seal ? wmgw_ntlm_unseal(&sec, msg, mlen, off, len, d + 5, NULL)
                  : wmgw_ntlm_verify(&sec, msg, mlen, d + 5, NULL);
    if (rc == 0) {
        rc = seal ? wmgw_ntlm_unseal(&sec, again, mlen, off, len, d + 5, NULL)
                  : wmgw_ntlm_verify(&sec, again, mlen, d + 5, NULL);
        if (rc == 0)
            abort(); /* a replay must fail */
    }
    wmgw__ntlm_sec_dispose(&sec);
    free(msg);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch ((data[0] & 7) % 5) {
    case 0: {
        static uint8_t out[WMGW_NTLM_MAX_MESSAGE];
        struct wmgw__ntlm_negotiate neg;
        size_t len;
        (void)wmgw_ntlm_message_type(d, n);
        if (wmgw__ntlm_parse_negotiate(d, n, &neg, NULL) == 0) {
            struct wmgw_ntlm_server *s = new_server(data[0] & 0x80);
            (void)wmgw_ntlm_server_challenge(s, d, n, out, sizeof(out), &len, NULL);
            wmgw_ntlm_server_free(s);
        }
        break;
    }
    case 1:
        fuzz_challenge(d, n);
        break;
    case 2:
        fuzz_authenticate(d, n);
        break;
    case 3:
        fuzz_accept(d, n, data[0] & 0x80);
        break;
    default:
        fuzz_unseal(d, n);
        break;
    }
    return 0;
}

#ifdef FUZZ_NTLM_SEEDS
/* Writes the seeds that come from our own code: argv[1] is the corpus
 * directory, argv[2] the shared captures directory. */
static void seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

static void seed_file(const char *dir, const char *name, uint8_t mode, const char *captures, const char *bin)
{
    uint8_t buf[4096];
    char path[1024];
    snprintf(path, sizeof(path), "%s/ntlm/ms-nlmp/%s", captures, bin);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        abort();
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    seed(dir, name, mode, buf, n);
}

int main(int argc, char **argv)
{
    static uint8_t ch[WMGW_NTLM_MAX_MESSAGE], auth[WMGW_NTLM_MAX_MESSAGE];
    uint8_t neg[64];
    size_t neg_len, ch_len, auth_len;
    if (argc != 3)
        return 2;
    const char *dir = argv[1];
    struct wmgw_ntlm_client *c = new_client(neg, &neg_len);
    struct wmgw_ntlm_server *s = new_server(true);
    if (wmgw_ntlm_server_challenge(s, neg, neg_len, ch, sizeof(ch), &ch_len, NULL) != 0 ||
        wmgw_ntlm_client_authenticate(c, ch, ch_len, auth, sizeof(auth), &auth_len, NULL) != 0 ||
        wmgw_ntlm_server_accept(s, auth, auth_len, NULL) != 0)
        abort();
    seed(dir, "ours-negotiate", 0, neg, neg_len);
    seed(dir, "ours-negotiate-strict", 0x80, neg, neg_len);
    seed(dir, "ours-challenge", 1, ch, ch_len);
    seed(dir, "ours-authenticate", 2, auth, auth_len);
    seed(dir, "ours-accept", 3, auth, auth_len);
    seed(dir, "ours-accept-strict", 0x83, auth, auth_len);

    /* sealed and signed messages of the client side for fuzz_unseal */
    struct wmgw_ntlm_sec cs;
    uint8_t rec[21 + 64];
    if (wmgw__ntlm_sec_init(&cs, SESSION_FLAGS, KEY, true, NULL) != 0)
        abort();
    memcpy(rec + 21, "dce/rpc header..stub data and padding...........trailer.", 56);
    rec[0] = 1, rec[1] = 16, rec[2] = 0, rec[3] = 32, rec[4] = 0; /* unseal [16, 48) */
    if (wmgw_ntlm_seal(&cs, rec + 21, 56, 16, 32, rec + 5, NULL) != 0)
        abort();
    seed(dir, "ours-sealed-pdu", 4, rec, 21 + 56);
    wmgw__ntlm_sec_dispose(&cs);
    if (wmgw__ntlm_sec_init(&cs, SESSION_FLAGS, KEY, true, NULL) != 0)
        abort();
    rec[0] = rec[1] = rec[2] = rec[3] = rec[4] = 0; /* verify */
    if (wmgw_ntlm_sign(&cs, rec + 21, 56, rec + 5, NULL) != 0)
        abort();
    seed(dir, "ours-signed", 4, rec, 21 + 56);
    wmgw__ntlm_sec_dispose(&cs);

    seed_file(dir, "spec-v1-challenge", 1, argv[2], "4.2.2.3-ntlmv1-challenge.bin");
    seed_file(dir, "spec-v1-ess-challenge", 1, argv[2], "4.2.3.3-ntlmv1-ess-challenge.bin");
    seed_file(dir, "spec-v2-challenge", 1, argv[2], "4.2.4.3-ntlmv2-challenge.bin");
    seed_file(dir, "spec-v1-authenticate", 2, argv[2], "4.2.2.3-ntlmv1-authenticate.bin");
    seed_file(dir, "spec-v1-ess-authenticate", 2, argv[2], "4.2.3.3-ntlmv1-ess-authenticate.bin");
    seed_file(dir, "spec-v2-authenticate", 2, argv[2], "4.2.4.3-ntlmv2-authenticate.bin");
    seed_file(dir, "spec-v2-accept", 3, argv[2], "4.2.4.3-ntlmv2-authenticate.bin");
    wmgw_ntlm_client_free(c);
    wmgw_ntlm_server_free(s);
    return 0;
}
#endif
