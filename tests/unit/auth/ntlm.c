/*
 * ntlm.c: tests for auth/ntlm*.c.
 *
 * First every value of MS-NLMP 4.2 (shared/captures/ntlm: the JSON facts
 * and the spec's CHALLENGE and AUTHENTICATE messages): NTLMv1, NTLMv1 with
 * ESS and NTLMv2 keys, responses, encrypted session keys, and "Plaintext"
 * sealed with sequence number 0; the NTLMv2 AUTHENTICATE is also accepted
 * by our server and its sealed text unsealed, and the NTLMv1 ones are
 * refused.  Without the captures these tests skip.  ntlm_handshake.c runs
 * our client against our server.
 */
#include "auth/ntlm_int.h"

#include "../hex_text.h"
#include "../test.h"

#include <jansson.h>
#include <strings.h>

static int reproduced; /* spec values matched */

/* ---- helpers ---- */

/* got[0..len) must equal the hex string at key in obj. */
static void check_hex(json_t *obj, const char *key, const uint8_t *got, size_t len)
{
    const char *hex = json_string_value(json_object_get(obj, key));
    uint8_t want[512];
    size_t n = hex ? test_unhex(hex, want, sizeof(want)) : 0;
    if (hex == NULL || n != len || memcmp(want, got, len) != 0) {
        fprintf(stderr, "vector %s: mismatch (got %zu bytes:", key, len);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, "%02x", got[i]);
        fprintf(stderr, ")\n");
        wmgw_test__failed_checks++;
        return;
    }
    reproduced++;
}

static size_t get_hex(json_t *obj, const char *key, uint8_t *out, size_t cap)
{
    const char *hex = json_string_value(json_object_get(obj, key));
    size_t n = hex ? test_unhex(hex, out, cap) : 0;
    CHECK(n > 0);
    return n;
}

static size_t read_bin(const char *name, uint8_t *out, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/ntlm/ms-nlmp/%s", wmgw_test_captures_dir(), name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t n = f ? fread(out, 1, cap, f) : 0;
    if (f)
        fclose(f);
    return n;
}

static json_t *vectors(void)
{
    static json_t *root;
    char path[1024];
    if (root == NULL && wmgw_test_captures_dir() != NULL) {
        snprintf(path, sizeof(path), "%s/ntlm/ms-nlmp-4.2-vectors.json", wmgw_test_captures_dir());
        root = json_load_file(path, 0, NULL);
        CHECK(root != NULL);
    }
    return root;
}

/* The message in `bin` equals the JSON's hex and parses into what the
 * spec says it holds. */
static void check_messages(json_t *v, const char *chal_bin, const char *auth_bin, struct wmgw__ntlm_challenge *ch,
                           struct wmgw__ntlm_authenticate *au, uint8_t *cbuf, uint8_t *abuf, size_t *clen, size_t *alen)
{
    *clen = read_bin(chal_bin, cbuf, 1024);
    *alen = read_bin(auth_bin, abuf, 1024);
    check_hex(v, "challenge_message_hex", cbuf, *clen);
    check_hex(v, "authenticate_message_hex", abuf, *alen);
    struct wmgw_err err;
    CHECK_INT(wmgw_ntlm_message_type(cbuf, *clen), 2);
    CHECK_INT(wmgw_ntlm_message_type(abuf, *alen), 3);
    CHECK_INT(wmgw__ntlm_parse_challenge(cbuf, *clen, ch, &err), 0);
    CHECK_INT(wmgw__ntlm_parse_authenticate(abuf, *alen, au, &err), 0);
    uint8_t flags[4];
    get_hex(v, "negotiate_flags_hex_le", flags, 4);
    CHECK_INT(ch->flags, wmgw__ntlm_le32(flags));
    char s[64];
    CHECK_INT(wmgw__ntlm_utf8(ch->target_name.p, ch->target_name.len, s, sizeof(s)), 0);
    CHECK_STR(s, "Server");
    CHECK_INT(wmgw__ntlm_utf8(au->user.p, au->user.len, s, sizeof(s)), 0);
    CHECK_STR(s, "User");
    CHECK_INT(wmgw__ntlm_utf8(au->domain.p, au->domain.len, s, sizeof(s)), 0);
    CHECK_STR(s, "Domain");
    CHECK_INT(wmgw__ntlm_utf8(au->workstation.p, au->workstation.len, s, sizeof(s)), 0);
    CHECK_STR(s, "COMPUTER");
    CHECK(au->mic == NULL); /* the spec's messages predate the MIC */

    /* our writer gives back a message that parses to the same fields */
    uint8_t again[1024];
    size_t n = 0;
    struct wmgw__ntlm_authenticate back;
    CHECK_INT(wmgw__ntlm_write_authenticate(au, again, sizeof(again), &n, &err), 0);
    CHECK_INT(wmgw__ntlm_parse_authenticate(again, n, &back, &err), 0);
    CHECK(back.flags == au->flags && back.nt.len == au->nt.len && memcmp(back.nt.p, au->nt.p, au->nt.len) == 0 &&
          back.session_key.len == au->session_key.len);
}

static void check_common(json_t *root, uint8_t sc[8], uint8_t cc[8], uint8_t rsk[16], uint8_t plain[18])
{
    json_t *c = json_object_get(root, "common");
    /* the literals used below are the spec's inputs */
    static const char *const inputs[][2] = {{"user", "User"},       {"domain", "Domain"},
                                            {"password", "Password"}, {"server_netbios_name", "Server"},
                                            {"workstation", "COMPUTER"}, {"plaintext_utf16le", "Plaintext"}};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
        CHECK_STR(json_string_value(json_object_get(c, inputs[i][0])), inputs[i][1]);
    CHECK_INT(json_integer_value(json_object_get(c, "seqnum")), 0);
    CHECK_INT(get_hex(c, "server_challenge_hex", sc, 8), 8);
    CHECK_INT(get_hex(c, "client_challenge_hex", cc, 8), 8);
    CHECK_INT(get_hex(c, "random_session_key_hex", rsk, 16), 16);
    CHECK_INT(get_hex(c, "plaintext_hex", plain, 18), 18);
    uint8_t u16[32];
    size_t n = 0;
    CHECK_INT(wmgw__ntlm_utf16("User", true, u16, sizeof(u16), &n), 0);
    check_hex(c, "user_upper_utf16le_hex", u16, n);
    CHECK_INT(wmgw__ntlm_utf16("Plaintext", false, u16, sizeof(u16), &n), 0);
    check_hex(c, "plaintext_hex", u16, n);
}

/* ---- MS-NLMP 4.2.2: NTLMv1 ---- */

static void test_vectors_ntlmv1(void)
{
    json_t *root = vectors();
    if (root == NULL)
        return;
    json_t *v = json_object_get(root, "ntlmv1_4.2.2"), *seal = json_object_get(v, "seal");
    uint8_t sc[8], cc[8], rsk[16], plain[18], k[16], k2[16], lm[16], r[24], e[16];
    check_common(root, sc, cc, rsk, plain);
    uint32_t flags = WMGW_NTLM_NEGOTIATE_KEY_EXCH | WMGW_NTLM_NEGOTIATE_56 | WMGW_NTLM_NEGOTIATE_128 |
                     WMGW_NTLM_NEGOTIATE_VERSION | WMGW_NTLM_TARGET_TYPE_SERVER | WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN |
                     WMGW_NTLM_NEGOTIATE_NTLM | WMGW_NTLM_NEGOTIATE_SEAL | WMGW_NTLM_NEGOTIATE_SIGN |
                     WMGW_NTLM_NEGOTIATE_OEM | WMGW_NTLM_NEGOTIATE_UNICODE;
    uint8_t fl[4] = {(uint8_t)flags, (uint8_t)(flags >> 8), (uint8_t)(flags >> 16), (uint8_t)(flags >> 24)};
    check_hex(v, "negotiate_flags_hex_le", fl, 4);

    CHECK_INT(wmgw__ntlm_lmowfv1("Password", lm), 0);
    check_hex(v, "LMOWFv1", lm, 16);
    CHECK_INT(wmgw_ntlm_nt_hash("Password", k, NULL), 0);
    check_hex(v, "NTOWFv1", k, 16);
    CHECK_INT(wmgw__ntlm_desl(k, sc, r), 0);
    check_hex(v, "NTChallengeResponse", r, 24);
    uint8_t sbk[16];
    CHECK_INT(wmgw__ntlm_md4(k, 16, sbk), 0);
    check_hex(v, "SessionBaseKey", sbk, 16);
    uint8_t lmr[24];
    CHECK_INT(wmgw__ntlm_desl(lm, sc, lmr), 0);
    check_hex(v, "LMChallengeResponse", lmr, 24);

    /* KXKEY in its three NTLMv1 forms, then RC4K of the random key */
    CHECK_INT(wmgw__ntlm_kxkey_v1(flags, sbk, lmr, sc, lm, k2), 0);
    CHECK_INT(wmgw__ntlm_rc4k(k2, 16, rsk, e, 16), 0);
    check_hex(v, "EncryptedRandomSessionKey", e, 16);
    CHECK_INT(wmgw__ntlm_kxkey_v1(flags | WMGW_NTLM_REQUEST_NON_NT_SESSION_KEY, sbk, lmr, sc, lm, k2), 0);
    CHECK_INT(wmgw__ntlm_rc4k(k2, 16, rsk, e, 16), 0);
    check_hex(v, "EncryptedRandomSessionKey_if_REQUEST_NON_NT_SESSION_KEY", e, 16);
    CHECK_INT(wmgw__ntlm_kxkey_v1(flags | WMGW_NTLM_NEGOTIATE_LM_KEY, sbk, lmr, sc, lm, k2), 0);
    check_hex(v, "KeyExchangeKey_if_NEGOTIATE_LM_KEY", k2, 16);
    CHECK_INT(wmgw__ntlm_rc4k(k2, 16, rsk, e, 16), 0);
    check_hex(v, "EncryptedRandomSessionKey_if_NEGOTIATE_LM_KEY", e, 16);

    /* 4.2.2.4: sealed with the exported key itself, CRC32 checksum */
    struct wmgw_ntlm_sec s;
    uint8_t data[18], sig[16];
    memcpy(data, plain, 18);
    CHECK_INT(wmgw__ntlm_sec_init(&s, flags, rsk, true, NULL), 0);
    CHECK_INT(wmgw_ntlm_seal(&s, data, 18, 0, 18, sig, NULL), 0);
    check_hex(seal, "sealed_data", data, 18);
    check_hex(seal, "signature", sig, 16);
    check_hex(seal, "rc4_randompad", sig + 4, 4);
    check_hex(seal, "rc4_checksum", sig + 8, 4);
    check_hex(seal, "rc4_seqnum_xor", sig + 12, 4);
    uint32_t crc = wmgw__ntlm_crc32(plain, 18);
    uint8_t crcb[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    check_hex(seal, "crc32_of_plaintext_le", crcb, 4);
    /* we never verify NTLMv1 signatures */
    CHECK_INT(wmgw_ntlm_unseal(&s, data, 18, 0, 18, sig, NULL), WMGW_EUNSUPPORTED);
    wmgw__ntlm_sec_dispose(&s);

    uint8_t cbuf[1024], abuf[1024];
    size_t clen, alen;
    struct wmgw__ntlm_challenge ch;
    struct wmgw__ntlm_authenticate au;
    check_messages(v, "4.2.2.3-ntlmv1-challenge.bin", "4.2.2.3-ntlmv1-authenticate.bin", &ch, &au, cbuf, abuf, &clen,
                   &alen);
    check_hex(v, "LMChallengeResponse", au.lm.p, au.lm.len);
    check_hex(v, "NTChallengeResponse", au.nt.p, au.nt.len);
    check_hex(v, "EncryptedRandomSessionKey", au.session_key.p, au.session_key.len);
}

/* ---- MS-NLMP 4.2.3: NTLMv1 with extended session security ---- */

static void test_vectors_ntlmv1_ess(void)
{
    json_t *root = vectors();
    if (root == NULL)
        return;
    json_t *v = json_object_get(root, "ntlmv1_ess_4.2.3");
    uint8_t sc[8], cc[8], rsk[16], plain[18], nth[16], sbk[16], kxk[16], lm[24] = {0}, nt[24], h[16];
    check_common(root, sc, cc, rsk, plain);
    uint8_t fl[4];
    get_hex(v, "negotiate_flags_hex_le", fl, 4);
    uint32_t flags = wmgw__ntlm_le32(fl);
    uint32_t named = WMGW_NTLM_NEGOTIATE_56 | WMGW_NTLM_NEGOTIATE_VERSION |
                     WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | WMGW_NTLM_TARGET_TYPE_SERVER |
                     WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN | WMGW_NTLM_NEGOTIATE_NTLM | WMGW_NTLM_NEGOTIATE_SEAL |
                     WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_OEM | WMGW_NTLM_NEGOTIATE_UNICODE;
    CHECK_INT(flags, named);
    reproduced++;

    CHECK_INT(wmgw_ntlm_nt_hash("Password", nth, NULL), 0);
    check_hex(v, "NTOWFv1", nth, 16);
    CHECK_INT(wmgw__ntlm_md4(nth, 16, sbk), 0);
    check_hex(v, "SessionBaseKey", sbk, 16);
    memcpy(lm, cc, 8);
    check_hex(v, "LMChallengeResponse", lm, 24);
    struct wmgw__ntlm_iov iv[] = {{sc, 8}, {cc, 8}};
    CHECK_INT(wmgw__ntlm_md5(iv, 2, h), 0);
    CHECK_INT(wmgw__ntlm_desl(nth, h, nt), 0);
    check_hex(v, "NTChallengeResponse", nt, 24);
    CHECK_INT(wmgw__ntlm_kxkey_v1(flags, sbk, lm, sc, NULL, kxk), 0);
    check_hex(v, "KeyExchangeKey", kxk, 16);

    /* no KEY_EXCH: the exported key is the KeyExchangeKey */
    uint8_t key[16];
    size_t klen = 0;
    CHECK_INT(wmgw__ntlm_sealkey(flags, kxk, true, key, &klen), 0);
    check_hex(v, "SealKey", key, klen);
    CHECK_INT(wmgw__ntlm_signkey(flags, kxk, true, key), 0);
    check_hex(v, "SignKey", key, 16);

    struct wmgw_ntlm_sec cli, srv;
    uint8_t data[18], sig[16];
    memcpy(data, plain, 18);
    CHECK_INT(wmgw__ntlm_sec_init(&cli, flags, kxk, true, NULL), 0);
    CHECK_INT(wmgw__ntlm_sec_init(&srv, flags, kxk, false, NULL), 0);
    CHECK_INT(wmgw_ntlm_seal(&cli, data, 18, 0, 18, sig, NULL), 0);
    check_hex(v, "sealed_data", data, 18);
    check_hex(v, "hmac_md5_checksum_8", sig + 4, 8);
    check_hex(v, "signature", sig, 16);
    CHECK_INT(wmgw_ntlm_unseal(&srv, data, 18, 0, 18, sig, NULL), 0);
    CHECK(memcmp(data, plain, 18) == 0);
    wmgw__ntlm_sec_dispose(&cli);
    wmgw__ntlm_sec_dispose(&srv);

    uint8_t cbuf[1024], abuf[1024];
    size_t clen, alen;
    struct wmgw__ntlm_challenge ch;
    struct wmgw__ntlm_authenticate au;
    check_messages(v, "4.2.3.3-ntlmv1-ess-challenge.bin", "4.2.3.3-ntlmv1-ess-authenticate.bin", &ch, &au, cbuf,
                   abuf, &clen, &alen);
    check_hex(v, "LMChallengeResponse", au.lm.p, au.lm.len);
    check_hex(v, "NTChallengeResponse", au.nt.p, au.nt.len);
    CHECK_INT(au.session_key.len, 0);
}

/* ---- MS-NLMP 4.2.4: NTLMv2 ---- */

static int spec_lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    const char *password = arg;
    if (strcasecmp(user, "User") != 0)
        return WMGW_ENOTFOUND;
    snprintf(cred->password, sizeof(cred->password), "%s", password);
    return 0;
}

/* Our server accepts the spec's AUTHENTICATE for the spec's CHALLENGE. */
static struct wmgw_ntlm_server *spec_server(const char *password, int require_mic, const uint8_t *cbuf, size_t clen,
                                            const uint8_t *abuf, size_t alen, int *rc, struct wmgw_err *err)
{
    struct wmgw_ntlm_server_config cfg = {.nb_computer = "Server", .nb_domain = "Domain",
                                          .level = WMGW_NTLM_LEVEL_PRIVACY, .require_mic = require_mic,
                                          .max_clock_skew_s = -1, /* Time is 0 in the example */
                                          .lookup = spec_lookup, .lookup_arg = (void *)password};
    struct wmgw_ntlm_server *s = NULL;
    CHECK_INT(wmgw_ntlm_server_new(&cfg, &s, err), 0);
    CHECK_INT(wmgw__ntlm_server_set_challenge(s, cbuf, clen, err), 0);
    *rc = wmgw_ntlm_server_accept(s, abuf, alen, err);
    return s;
}

static void test_vectors_ntlmv2(void)
{
    json_t *root = vectors();
    if (root == NULL)
        return;
    json_t *v = json_object_get(root, "ntlmv2_4.2.4");
    uint8_t sc[8], cc[8], rsk[16], plain[18], nth[16], key[16], proof[16], sbk[16], lm[24], e[16];
    check_common(root, sc, cc, rsk, plain);
    uint8_t cbuf[1024], abuf[1024];
    size_t clen, alen;
    struct wmgw__ntlm_challenge ch;
    struct wmgw__ntlm_authenticate au;
    check_messages(v, "4.2.4.3-ntlmv2-challenge.bin", "4.2.4.3-ntlmv2-authenticate.bin", &ch, &au, cbuf, abuf, &clen,
                   &alen);

    /* the target info, pair by pair */
    struct wmgw__ntlm_avlist av;
    CHECK_INT(wmgw__ntlm_av_parse(ch.target_info.p, ch.target_info.len, &av, NULL), 0);
    json_t *pairs = json_object_get(v, "target_info_av_pairs");
    CHECK_INT(av.n + 1, json_array_size(pairs));
    for (size_t i = 0; i < av.n && i < json_array_size(pairs); i++) {
        json_t *p = json_array_get(pairs, i);
        char s[64];
        CHECK_INT(av.av[i].id, json_integer_value(json_object_get(p, "AvId")));
        CHECK_INT(wmgw__ntlm_utf8(av.av[i].value, av.av[i].len, s, sizeof(s)), 0);
        CHECK_STR(s, json_string_value(json_object_get(p, "value")));
        reproduced++;
    }

    uint8_t user16[16], dom16[16];
    size_t ul, dl;
    CHECK_INT(wmgw__ntlm_utf16("User", false, user16, sizeof(user16), &ul), 0);
    CHECK_INT(wmgw__ntlm_utf16("Domain", false, dom16, sizeof(dom16), &dl), 0);
    CHECK_INT(wmgw_ntlm_nt_hash("Password", nth, NULL), 0);
    CHECK_INT(wmgw__ntlm_ntowfv2(nth, user16, ul, dom16, dl, key), 0);
    check_hex(v, "NTOWFv2", key, 16);

    /* temp: 01 01 Z(6) Time ClientChallenge Z(4) ServerName Z(4) */
    uint8_t temp[256];
    struct wmgw__ntlm_wr w = {temp, sizeof(temp), 0, false};
    static const uint8_t z[8];
    wmgw__ntlm_put16(&w, 0x0101);
    wmgw__ntlm_put(&w, z, 6);
    uint8_t t[8];
    CHECK_INT(get_hex(json_object_get(root, "common"), "time_hex", t, 8), 8);
    wmgw__ntlm_put(&w, t, 8);
    wmgw__ntlm_put(&w, cc, 8);
    wmgw__ntlm_put(&w, z, 4);
    wmgw__ntlm_put(&w, ch.target_info.p, ch.target_info.len);
    wmgw__ntlm_put(&w, z, 4);
    check_hex(v, "temp", temp, w.len);
    CHECK_INT(wmgw__ntlm_v2_proof(key, sc, temp, w.len, proof), 0);
    check_hex(v, "NTProofStr", proof, 16);
    struct wmgw__ntlm_iov pv = {proof, 16};
    CHECK_INT(wmgw__ntlm_hmac_md5(key, 16, &pv, 1, sbk), 0);
    check_hex(v, "SessionBaseKey", sbk, 16);
    check_hex(v, "KeyExchangeKey", sbk, 16);
    CHECK_INT(wmgw__ntlm_lmv2_response(key, sc, cc, lm), 0);
    check_hex(v, "LMChallengeResponse_LMv2", lm, 24);
    uint8_t ntr[256];
    memcpy(ntr, proof, 16);
    memcpy(ntr + 16, temp, w.len);
    check_hex(v, "NTChallengeResponse", ntr, 16 + w.len);
    CHECK_INT(wmgw__ntlm_rc4k(sbk, 16, rsk, e, 16), 0);
    check_hex(v, "EncryptedRandomSessionKey", e, 16);
    check_hex(v, "LMChallengeResponse_LMv2", au.lm.p, au.lm.len);
    check_hex(v, "NTChallengeResponse", au.nt.p, au.nt.len);
    check_hex(v, "EncryptedRandomSessionKey", au.session_key.p, au.session_key.len);
    CHECK_INT(wmgw__ntlm_rc4k(sbk, 16, au.session_key.p, e, 16), 0);
    check_hex(v, "ExportedSessionKey", e, 16);

    uint8_t k[16];
    size_t klen;
    CHECK_INT(wmgw__ntlm_sealkey(ch.flags, rsk, true, k, &klen), 0);
    check_hex(v, "SealKey_client_to_server", k, klen);
    CHECK_INT(wmgw__ntlm_signkey(ch.flags, rsk, true, k), 0);
    check_hex(v, "SignKey_client_to_server", k, 16);
    /* the four magic constants, as the JSON spells them ("...\\0") */
    static const struct {
        const char *name;
        bool seal, client;
    } magics[] = {{"client_to_server_signing", false, true}, {"server_to_client_signing", false, false},
                  {"client_to_server_sealing", true, true}, {"server_to_client_sealing", true, false}};
    for (size_t i = 0; i < 4; i++) {
        const char *magic =
            json_string_value(json_object_get(json_object_get(root, "magic_constants"), magics[i].name));
        size_t ml = magic ? strlen(magic) : 0;
        CHECK(ml > 2 && strcmp(magic + ml - 2, "\\0") == 0);
        if (ml <= 2)
            continue;
        char m0[128];
        snprintf(m0, sizeof(m0), "%.*s", (int)(ml - 2), magic);
        struct wmgw__ntlm_iov mv[] = {{rsk, 16}, {m0, ml - 1}}; /* with its NUL */
        uint8_t want[16];
        CHECK_INT(wmgw__ntlm_md5(mv, 2, want), 0);
        if (magics[i].seal)
            CHECK_INT(wmgw__ntlm_sealkey(ch.flags, rsk, magics[i].client, k, &klen), 0);
        else
            CHECK_INT(wmgw__ntlm_signkey(ch.flags, rsk, magics[i].client, k), 0);
        CHECK(memcmp(k, want, 16) == 0);
        reproduced++;
    }

    struct wmgw_ntlm_sec cli;
    uint8_t data[18], sig[16];
    memcpy(data, plain, 18);
    CHECK_INT(wmgw__ntlm_sec_init(&cli, ch.flags, rsk, true, NULL), 0);
    CHECK_INT(wmgw_ntlm_seal(&cli, data, 18, 0, 18, sig, NULL), 0);
    check_hex(v, "sealed_data", data, 18);
    check_hex(v, "rc4_encrypted_checksum", sig + 4, 8);
    check_hex(v, "signature", sig, 16);
    /* the checksum before RC4, from the signing key */
    uint8_t seq0[4] = {0};
    struct wmgw__ntlm_iov hv[] = {{seq0, 4}, {plain, 18}};
    CHECK_INT(wmgw__ntlm_signkey(ch.flags, rsk, true, k), 0);
    CHECK_INT(wmgw__ntlm_hmac_md5(k, 16, hv, 2, proof), 0);
    check_hex(v, "hmac_md5_checksum_8", proof, 8);
    CHECK(json_is_false(json_object_get(v, "authenticate_has_mic")) && au.mic == NULL);

    /* Our server accepts the spec's AUTHENTICATE and unseals its text. */
    struct wmgw_err err;
    int rc;
    struct wmgw_ntlm_server *s = spec_server("Password", 0, cbuf, clen, abuf, alen, &rc, &err);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "spec AUTHENTICATE: %s\n", err.message);
    const struct wmgw_ntlm_identity *who = wmgw_ntlm_server_identity(s);
    CHECK(who != NULL);
    if (who) {
        CHECK_STR(who->user, "User");
        CHECK_STR(who->domain, "Domain");
        CHECK_STR(who->workstation, "COMPUTER");
    }
    struct wmgw_ntlm_sec *ss = wmgw_ntlm_server_sec(s);
    uint8_t sealed[18], want[18];
    get_hex(v, "sealed_data", sealed, 18);
    get_hex(v, "signature", sig, 16);
    CHECK(ss != NULL && wmgw_ntlm_unseal(ss, sealed, 18, 0, 18, sig, NULL) == 0);
    CHECK(memcmp(sealed, plain, 18) == 0);
    /* and its reply unseals on the spec's client side */
    memcpy(want, "\x52\x00\x65\x00\x70\x00\x6c\x00\x79\x00\x21\x00\x21\x00\x21\x00\x21\x00", 18);
    memcpy(data, want, 18);
    CHECK(ss != NULL && wmgw_ntlm_seal(ss, data, 18, 0, 18, sig, NULL) == 0);
    CHECK_INT(wmgw_ntlm_unseal(&cli, data, 18, 0, 18, sig, NULL), 0);
    CHECK(memcmp(data, want, 18) == 0);
    wmgw__ntlm_sec_dispose(&cli);
    wmgw_ntlm_server_free(s);

    /* wrong password, and a server that requires a MIC */
    s = spec_server("password", 0, cbuf, clen, abuf, alen, &rc, &err);
    CHECK_INT(rc, WMGW_EAUTH);
    CHECK(strstr(err.message, "password") != NULL && strstr(err.message, "Password") == NULL);
    CHECK(wmgw_ntlm_server_sec(s) == NULL && wmgw_ntlm_server_identity(s) == NULL);
    wmgw_ntlm_server_free(s);
    s = spec_server("Password", 1, cbuf, clen, abuf, alen, &rc, &err);
    CHECK_INT(rc, WMGW_EAUTH);
    wmgw_ntlm_server_free(s);
}

/* The spec's NTLMv1 AUTHENTICATE messages are refused. */
static void test_vectors_v1_refused(void)
{
    static const char *const pairs[][2] = {
        {"4.2.2.3-ntlmv1-challenge.bin", "4.2.2.3-ntlmv1-authenticate.bin"},
        {"4.2.3.3-ntlmv1-ess-challenge.bin", "4.2.3.3-ntlmv1-ess-authenticate.bin"},
    };
    if (wmgw_test_captures_dir() == NULL)
        return;
    for (size_t i = 0; i < 2; i++) {
        uint8_t cbuf[1024], abuf[1024];
        size_t clen = read_bin(pairs[i][0], cbuf, sizeof(cbuf)), alen = read_bin(pairs[i][1], abuf, sizeof(abuf));
        struct wmgw_err err;
        int rc;
        struct wmgw_ntlm_server *s = spec_server("Password", 0, cbuf, clen, abuf, alen, &rc, &err);
        CHECK_INT(rc, WMGW_EAUTH);
        /* 4.2.2 lacks extended session security, 4.2.3 128-bit keys */
        CHECK(strstr(err.message, i == 0 ? "NTLMv1 is refused" : "128-bit") != NULL);
        wmgw_ntlm_server_free(s);
    }
}

int main(void)
{
    WMGW_TEST_RUN(test_vectors_ntlmv1);
    WMGW_TEST_RUN(test_vectors_ntlmv1_ess);
    WMGW_TEST_RUN(test_vectors_ntlmv2);
    WMGW_TEST_RUN(test_vectors_v1_refused);
    if (wmgw_test_captures_dir() != NULL)
        printf("MS-NLMP 4.2 values reproduced: %d\n", reproduced);
    else
        printf("no captures: MS-NLMP 4.2 vectors skipped\n");
    return WMGW_TEST_DONE();
}
