/*
 * ntlm_handshake.c: tests for auth/ntlm*.c, our client against our server
 * in process: full handshakes at each level, both directions of sign and
 * seal with advancing sequence numbers, DCE/RPC-style regions, and each way
 * a handshake or a message must fail (wrong password, tampering, replay,
 * reordering, MIC, missing flags, channel bindings, clock skew, malformed
 * messages).  The MS-NLMP 4.2 vectors are in ntlm.c.
 */
#include "auth/ntlm_int.h"

#include "../test.h"

#include <strings.h>

static const uint8_t fixed_sc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t fixed_cc[8] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22};
static const uint8_t fixed_key[16] = {0x55, 0x44, 0x33, 0x22, 0x11, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
#define T0 133000000000000000ull /* a FILETIME in 2022 */

static const struct {
    const char *user, *password;
} users[] = {{"alice", "Secret-1"}, {"J\xc3\x9cRGEN", "p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac"}, {"hash", NULL}};
static uint8_t hash_user_nt[16];

static int lookup(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred)
{
    (void)arg;
    (void)domain;
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        if (strcasecmp(user, users[i].user) != 0)
            continue;
        if (users[i].password == NULL) {
            memcpy(cred->nt_hash, hash_user_nt, 16);
            cred->has_nt_hash = 1;
        } else {
            snprintf(cred->password, sizeof(cred->password), "%s", users[i].password);
        }
        return 0;
    }
    return WMGW_ENOTFOUND;
}

struct pair {
    struct wmgw_ntlm_client *c;
    struct wmgw_ntlm_server *s;
    uint8_t neg[WMGW_NTLM_MAX_MESSAGE], chal[WMGW_NTLM_MAX_MESSAGE], auth[WMGW_NTLM_MAX_MESSAGE];
    size_t nl, cl, al;
    struct wmgw_err err;
};

static struct wmgw_ntlm_client_config client_cfg(const char *user, const char *password, enum wmgw_ntlm_level l)
{
    return (struct wmgw_ntlm_client_config){.user = user, .domain = "WMSIM", .password = password,
                                            .workstation = "GATEWAY", .target_spn = "RPCSS/wmsim-01", .level = l};
}

static struct wmgw_ntlm_server_config server_cfg(enum wmgw_ntlm_level l)
{
    return (struct wmgw_ntlm_server_config){.nb_computer = "WMSIM-01", .dns_computer = "wmsim-01.example.test",
                                            .level = l, .lookup = lookup};
}

/* New client and server, fixed randomness, NEGOTIATE and CHALLENGE made;
 * returns the first failure. */
static int start(struct pair *p, const struct wmgw_ntlm_client_config *cc, const struct wmgw_ntlm_server_config *sc)
{
    memset(p, 0, sizeof(*p));
    int rc = wmgw_ntlm_client_new(cc, &p->c, &p->err);
    if (rc == 0)
        rc = wmgw_ntlm_server_new(sc, &p->s, &p->err);
    if (rc != 0)
        return rc;
    wmgw__ntlm_client_fix(p->c, fixed_cc, fixed_key, T0);
    wmgw__ntlm_server_fix(p->s, fixed_sc, T0);
    rc = wmgw_ntlm_client_negotiate(p->c, p->neg, sizeof(p->neg), &p->nl, &p->err);
    if (rc == 0)
        rc = wmgw_ntlm_server_challenge(p->s, p->neg, p->nl, p->chal, sizeof(p->chal), &p->cl, &p->err);
    return rc;
}

static int authenticate(struct pair *p)
{
    return wmgw_ntlm_client_authenticate(p->c, p->chal, p->cl, p->auth, sizeof(p->auth), &p->al, &p->err);
}

static int accept_auth(struct pair *p)
{
    return wmgw_ntlm_server_accept(p->s, p->auth, p->al, &p->err);
}

static int handshake(struct pair *p, const struct wmgw_ntlm_client_config *cc, const struct wmgw_ntlm_server_config *sc)
{
    int rc = start(p, cc, sc);
    if (rc == 0)
        rc = authenticate(p);
    if (rc == 0)
        rc = accept_auth(p);
    return rc;
}

static void done(struct pair *p)
{
    wmgw_ntlm_client_free(p->c);
    wmgw_ntlm_server_free(p->s);
}

static struct pair P; /* one at a time: the buffers are large */

/* ---- sessions ---- */

static void test_privacy_both_directions(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_DEFAULT);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_DEFAULT);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    struct wmgw_ntlm_sec *cs = wmgw_ntlm_client_sec(P.c), *ss = wmgw_ntlm_server_sec(P.s);
    const struct wmgw_ntlm_identity *who = wmgw_ntlm_server_identity(P.s);
    CHECK(cs != NULL && ss != NULL && who != NULL);
    if (!cs || !ss || !who) {
        done(&P);
        return;
    }
    CHECK_STR(who->user, "alice");
    CHECK_STR(who->domain, "WMSIM");
    CHECK_STR(who->workstation, "GATEWAY");
    uint32_t need = WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL | WMGW_NTLM_NEGOTIATE_KEY_EXCH |
                    WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
    CHECK((wmgw_ntlm_sec_flags(cs) & need) == need);
    CHECK_INT(wmgw_ntlm_sec_flags(cs), wmgw_ntlm_sec_flags(ss));
    struct wmgw__ntlm_authenticate a;
    CHECK_INT(wmgw__ntlm_parse_authenticate(P.auth, P.al, &a, NULL), 0);
    CHECK(a.mic != NULL && a.lm.len == 24);

    for (uint32_t i = 0; i < 6; i++) {
        char msg[64], reply[64];
        uint8_t buf[64], sig[16];
        int n = snprintf(msg, sizeof(msg), "request %u", i), m = snprintf(reply, sizeof(reply), "reply %u!", i);
        /* the client sends two messages in a row once */
        for (int twice = 0; twice < (i == 3 ? 2 : 1); twice++) {
            memcpy(buf, msg, (size_t)n);
            CHECK_INT(wmgw_ntlm_seal(cs, buf, (size_t)n, 0, (size_t)n, sig, NULL), 0);
            CHECK(memcmp(buf, msg, (size_t)n) != 0);
            CHECK_INT(wmgw__ntlm_le32(sig), 1);
            CHECK_INT(wmgw_ntlm_unseal(ss, buf, (size_t)n, 0, (size_t)n, sig, NULL), 0);
            CHECK(memcmp(buf, msg, (size_t)n) == 0);
        }
        CHECK_INT(wmgw__ntlm_le32(sig + 12), i < 3 ? i : i + 1);
        memcpy(buf, reply, (size_t)m);
        CHECK_INT(wmgw_ntlm_seal(ss, buf, (size_t)m, 0, (size_t)m, sig, NULL), 0);
        CHECK_INT(wmgw__ntlm_le32(sig + 12), 2 * i);
        CHECK_INT(wmgw_ntlm_unseal(cs, buf, (size_t)m, 0, (size_t)m, sig, NULL), 0);
        CHECK(memcmp(buf, reply, (size_t)m) == 0);
        /* signing shares the streams and the counters */
        CHECK_INT(wmgw_ntlm_sign(ss, (const uint8_t *)reply, (size_t)m, sig, NULL), 0);
        CHECK_INT(wmgw_ntlm_verify(cs, (const uint8_t *)reply, (size_t)m, sig, NULL), 0);
    }
    CHECK_INT(cs->send_seq, ss->recv_seq);
    CHECK_INT(ss->send_seq, 12);
    done(&P);
}

/* DCE/RPC: header, body and sec_trailer signed, only the body sealed. */
static void test_dcerpc_regions(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    struct wmgw_ntlm_sec *cs = wmgw_ntlm_client_sec(P.c), *ss = wmgw_ntlm_server_sec(P.s);
    if (!cs || !ss) {
        done(&P);
        return;
    }
    uint8_t pdu[24 + 100 + 8], orig[sizeof(pdu)], sig[16];
    for (size_t i = 0; i < sizeof(pdu); i++)
        pdu[i] = (uint8_t)(i * 7 + 3);
    memcpy(orig, pdu, sizeof(pdu));
    CHECK_INT(wmgw_ntlm_seal(cs, pdu, sizeof(pdu), 24, 100, sig, NULL), 0);
    CHECK(memcmp(pdu, orig, 24) == 0 && memcmp(pdu + 124, orig + 124, 8) == 0);
    CHECK(memcmp(pdu + 24, orig + 24, 100) != 0);
    CHECK_INT(wmgw_ntlm_unseal(ss, pdu, sizeof(pdu), 24, 100, sig, NULL), 0);
    CHECK(memcmp(pdu, orig, sizeof(pdu)) == 0);

    /* a changed header byte (signed, not sealed) is caught */
    CHECK_INT(wmgw_ntlm_seal(cs, pdu, sizeof(pdu), 24, 100, sig, NULL), 0);
    pdu[3] ^= 0x10;
    CHECK_INT(wmgw_ntlm_unseal(ss, pdu, sizeof(pdu), 24, 100, sig, &P.err), WMGW_EPROTO);
    for (size_t i = 24; i < 124; i++)
        CHECK(pdu[i] == 0); /* the forged plaintext is not left behind */
    /* the region must lie inside the message */
    CHECK_INT(wmgw_ntlm_seal(cs, pdu, sizeof(pdu), 100, 100, sig, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_ntlm_seal(cs, pdu, sizeof(pdu), SIZE_MAX, 2, sig, NULL), WMGW_EINVAL);
    done(&P);
}

static void test_integrity_only(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_INTEGRITY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_INTEGRITY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    struct wmgw_ntlm_sec *cs = wmgw_ntlm_client_sec(P.c), *ss = wmgw_ntlm_server_sec(P.s);
    if (!cs || !ss) {
        done(&P);
        return;
    }
    CHECK(!(wmgw_ntlm_sec_flags(cs) & WMGW_NTLM_NEGOTIATE_SEAL));
    uint8_t msg[40] = "integrity only, both directions", sig[16];
    for (int i = 0; i < 3; i++) {
        CHECK_INT(wmgw_ntlm_sign(cs, msg, sizeof(msg), sig, NULL), 0);
        CHECK_INT(wmgw_ntlm_verify(ss, msg, sizeof(msg), sig, NULL), 0);
        CHECK_INT(wmgw_ntlm_sign(ss, msg, sizeof(msg), sig, NULL), 0);
        CHECK_INT(wmgw_ntlm_verify(cs, msg, sizeof(msg), sig, NULL), 0);
    }
    CHECK_INT(wmgw_ntlm_seal(cs, msg, sizeof(msg), 0, sizeof(msg), sig, &P.err), WMGW_EINVAL);
    CHECK_INT(wmgw_ntlm_sign(cs, msg, sizeof(msg), sig, NULL), 0);
    msg[0] ^= 1;
    CHECK_INT(wmgw_ntlm_verify(ss, msg, sizeof(msg), sig, NULL), WMGW_EPROTO);
    done(&P);
}

static void test_replay_and_order(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    struct wmgw_ntlm_sec *cs = wmgw_ntlm_client_sec(P.c), *ss = wmgw_ntlm_server_sec(P.s);
    if (!cs || !ss) {
        done(&P);
        return;
    }
    uint8_t m[3][32], sig[3][16], copy0[32];
    for (int i = 0; i < 3; i++) {
        memset(m[i], 'a' + i, 32);
        CHECK_INT(wmgw_ntlm_seal(cs, m[i], 32, 0, 32, sig[i], NULL), 0);
    }
    memcpy(copy0, m[0], 32);
    CHECK_INT(wmgw_ntlm_unseal(ss, m[1], 32, 0, 32, sig[1], &P.err), WMGW_EPROTO); /* too early */
    CHECK(strstr(P.err.message, "sequence number 1, expected 0") != NULL);
    CHECK_INT(wmgw_ntlm_unseal(ss, m[0], 32, 0, 32, sig[0], NULL), 0);
    CHECK(m[0][0] == 'a' && m[0][31] == 'a');
    CHECK_INT(wmgw_ntlm_unseal(ss, copy0, 32, 0, 32, sig[0], &P.err), WMGW_EPROTO); /* replayed */
    CHECK_INT(wmgw_ntlm_unseal(ss, m[1], 32, 0, 32, sig[1], NULL), 0);
    CHECK_INT(wmgw_ntlm_unseal(ss, m[2], 32, 0, 32, sig[2], NULL), 0);
    CHECK(m[2][0] == 'c');
    /* a sequence number that would wrap is refused */
    cs->send_seq = UINT32_MAX;
    CHECK_INT(wmgw_ntlm_seal(cs, m[0], 32, 0, 32, sig[0], NULL), WMGW_EUNSUPPORTED);
    done(&P);
}

/* A message that fails its signature ends the receiving direction. */
static void test_tamper_poisons(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    struct wmgw_ntlm_sec *cs = wmgw_ntlm_client_sec(P.c), *ss = wmgw_ntlm_server_sec(P.s);
    if (!cs || !ss) {
        done(&P);
        return;
    }
    uint8_t a[16] = "first message..", b[16] = "second message.", sig[16], sigb[16];
    CHECK_INT(wmgw_ntlm_seal(cs, a, 16, 0, 16, sig, NULL), 0);
    CHECK_INT(wmgw_ntlm_seal(cs, b, 16, 0, 16, sigb, NULL), 0);
    a[5] ^= 0x01;
    CHECK_INT(wmgw_ntlm_unseal(ss, a, 16, 0, 16, sig, &P.err), WMGW_EPROTO);
    CHECK(strstr(P.err.message, "does not match") != NULL);
    CHECK_INT(wmgw_ntlm_unseal(ss, b, 16, 0, 16, sigb, &P.err), WMGW_EPROTO);
    CHECK(strstr(P.err.message, "earlier") != NULL);
    /* the other direction is unaffected */
    uint8_t r[8] = "reply..", rs[16];
    CHECK_INT(wmgw_ntlm_seal(ss, r, 8, 0, 8, rs, NULL), 0);
    CHECK_INT(wmgw_ntlm_unseal(cs, r, 8, 0, 8, rs, NULL), 0);
    CHECK(memcmp(r, "reply..", 8) == 0);
    /* a changed signature, and a wrong version */
    CHECK_INT(wmgw_ntlm_seal(ss, r, 8, 0, 8, rs, NULL), 0);
    rs[0] = 2;
    CHECK_INT(wmgw_ntlm_unseal(cs, r, 8, 0, 8, rs, NULL), WMGW_EPROTO);
    rs[0] = 1;
    rs[9] ^= 0x80;
    CHECK_INT(wmgw_ntlm_unseal(cs, r, 8, 0, 8, rs, NULL), WMGW_EPROTO);
    done(&P);
}

static void test_big_message(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    size_t n = 1 << 20;
    uint8_t *m = malloc(n), *o = malloc(n), sig[16];
    for (size_t i = 0; i < n; i++)
        m[i] = o[i] = (uint8_t)(i ^ (i >> 8));
    CHECK_INT(wmgw_ntlm_seal(wmgw_ntlm_server_sec(P.s), m, n, 0, n, sig, NULL), 0);
    CHECK_INT(wmgw_ntlm_unseal(wmgw_ntlm_client_sec(P.c), m, n, 0, n, sig, NULL), 0);
    CHECK(memcmp(m, o, n) == 0);
    free(m);
    free(o);
    done(&P);
}

/* ---- handshakes that must fail ---- */

static void test_wrong_password_unknown_user(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-2", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "alice") != NULL && strstr(P.err.message, "wrong password") != NULL);
    CHECK(strstr(P.err.message, "Secret") == NULL);
    CHECK(wmgw_ntlm_server_sec(P.s) == NULL);
    CHECK_INT(wmgw_ntlm_server_accept(P.s, P.auth, P.al, NULL), WMGW_EINVAL); /* failure is final */
    done(&P);
    cc = client_cfg("mallory", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "unknown user") != NULL);
    done(&P);
    /* user names are case-insensitive (the lookup's business) */
    cc = client_cfg("ALICE", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    done(&P);
}

static void test_mic(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    sc.require_mic = 1;
    /* a flag changed in AUTHENTICATE */
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    P.auth[60 + 3] &= (uint8_t)~0x80; /* NEGOTIATE_56 */
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "MIC") != NULL);
    done(&P);
    /* the MIC itself changed */
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    P.auth[WMGW__NTLM_MIC_OFFSET + 7] ^= 1;
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    done(&P);
    /* NEGOTIATE changed on the way: the server's copy differs from ours */
    CHECK_INT(wmgw_ntlm_client_new(&cc, &P.c, NULL), 0);
    CHECK_INT(wmgw_ntlm_server_new(&sc, &P.s, NULL), 0);
    CHECK_INT(wmgw_ntlm_client_negotiate(P.c, P.neg, sizeof(P.neg), &P.nl, NULL), 0);
    P.neg[12 + 3] &= (uint8_t)~0x80;
    CHECK_INT(wmgw_ntlm_server_challenge(P.s, P.neg, P.nl, P.chal, sizeof(P.chal), &P.cl, NULL), 0);
    CHECK_INT(authenticate(&P), 0);
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "MIC") != NULL);
    done(&P);
    /* the MIC announcement cannot be removed: it is under NTProofStr */
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    struct wmgw__ntlm_authenticate a;
    CHECK_INT(wmgw__ntlm_parse_authenticate(P.auth, P.al, &a, NULL), 0);
    struct wmgw__ntlm_avlist av;
    CHECK_INT(wmgw__ntlm_av_parse(a.nt.p + 44, a.nt.len - 44, &av, NULL), 0);
    const struct wmgw__ntlm_av *fl = wmgw__ntlm_av_find(&av, WMGW__NTLM_AV_FLAGS);
    CHECK(fl != NULL && (wmgw__ntlm_le32(fl->value) & WMGW__NTLM_AVFLAG_MIC));
    if (fl)
        ((uint8_t *)fl->value)[0] &= (uint8_t)~WMGW__NTLM_AVFLAG_MIC;
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    done(&P);
}

/* Rewrites P.chal with other flags (and optionally other target info). */
static void rewrite_challenge(uint32_t clear, const uint8_t *info, size_t info_len)
{
    struct wmgw__ntlm_challenge ch;
    uint8_t copy[WMGW_NTLM_MAX_MESSAGE];
    memcpy(copy, P.chal, P.cl);
    CHECK_INT(wmgw__ntlm_parse_challenge(copy, P.cl, &ch, NULL), 0);
    ch.flags &= ~clear;
    if (info != NULL)
        ch.target_info = (struct wmgw__ntlm_field){info, info_len};
    CHECK_INT(wmgw__ntlm_write_challenge(&ch, P.chal, sizeof(P.chal), &P.cl, NULL), 0);
}

static void test_missing_flags_refused(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    static const struct {
        uint32_t clear;
        const char *says;
    } server_drops[] = {
        {WMGW_NTLM_NEGOTIATE_SEAL, "sealing"},
        {WMGW_NTLM_NEGOTIATE_SIGN, "signing"},
        {WMGW_NTLM_NEGOTIATE_KEY_EXCH, "key exchange"},
        {WMGW_NTLM_NEGOTIATE_128, "128-bit"},
        {WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY, "extended session security"},
        {WMGW_NTLM_NEGOTIATE_UNICODE, "Unicode"},
    };
    for (size_t i = 0; i < sizeof(server_drops) / sizeof(server_drops[0]); i++) {
        CHECK_INT(start(&P, &cc, &sc), 0);
        rewrite_challenge(server_drops[i].clear, NULL, 0);
        CHECK_INT(authenticate(&P), WMGW_EAUTH);
        CHECK(strstr(P.err.message, server_drops[i].says) != NULL);
        CHECK(wmgw_ntlm_client_sec(P.c) == NULL);
        done(&P);
    }
    /* target info that does not name the server */
    uint8_t info[16] = {7, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};
    CHECK_INT(start(&P, &cc, &sc), 0);
    rewrite_challenge(0, info, sizeof(info));
    CHECK_INT(authenticate(&P), WMGW_EAUTH);
    done(&P);

    /* a client that asks for less than the server requires */
    cc.level = WMGW_NTLM_LEVEL_INTEGRITY;
    CHECK_INT(start(&P, &cc, &sc), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "does not seal") != NULL);
    done(&P);
    /* a NEGOTIATE without extended session security (NTLMv1 style) */
    CHECK_INT(wmgw_ntlm_server_new(&sc, &P.s, NULL), 0);
    uint32_t v1 = WMGW_NTLM_NEGOTIATE_UNICODE | WMGW_NTLM_NEGOTIATE_NTLM | WMGW_NTLM_NEGOTIATE_SIGN |
                  WMGW_NTLM_NEGOTIATE_SEAL | WMGW_NTLM_NEGOTIATE_KEY_EXCH | WMGW_NTLM_NEGOTIATE_128;
    CHECK_INT(wmgw__ntlm_write_negotiate(v1, P.neg, sizeof(P.neg), &P.nl, NULL), 0);
    CHECK_INT(wmgw_ntlm_server_challenge(P.s, P.neg, P.nl, P.chal, sizeof(P.chal), &P.cl, &P.err), WMGW_EAUTH);
    wmgw_ntlm_server_free(P.s);
    /* a NEGOTIATE without Unicode (python ntlm-auth's): answered in Unicode */
    CHECK_INT(wmgw_ntlm_server_new(&sc, &P.s, NULL), 0);
    uint32_t oem = (v1 & ~(uint32_t)WMGW_NTLM_NEGOTIATE_UNICODE) | WMGW_NTLM_NEGOTIATE_OEM |
                   WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
    CHECK_INT(wmgw__ntlm_write_negotiate(oem, P.neg, sizeof(P.neg), &P.nl, NULL), 0);
    CHECK_INT(wmgw_ntlm_server_challenge(P.s, P.neg, P.nl, P.chal, sizeof(P.chal), &P.cl, &P.err), 0);
    struct wmgw__ntlm_challenge answered;
    CHECK_INT(wmgw__ntlm_parse_challenge(P.chal, P.cl, &answered, &P.err), 0);
    CHECK(answered.flags & WMGW_NTLM_NEGOTIATE_UNICODE);
    wmgw_ntlm_server_free(P.s);
    /* sealing dropped from AUTHENTICATE when the server requires it */
    cc.level = WMGW_NTLM_LEVEL_PRIVACY;
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    P.auth[60] &= (uint8_t)~WMGW_NTLM_NEGOTIATE_SEAL;
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "does not seal") != NULL);
    done(&P);
}

static void test_channel_bindings(void)
{
    static const uint8_t cb1[] = "tls-server-end-point:0123456789abcdef", cb2[] = "tls-server-end-point:X";
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_CONNECT);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_CONNECT);
    cc.channel_bindings = sc.channel_bindings = cb1;
    cc.channel_bindings_len = sc.channel_bindings_len = sizeof(cb1);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    CHECK(!(wmgw_ntlm_sec_flags(wmgw_ntlm_client_sec(P.c)) & WMGW_NTLM_NEGOTIATE_SIGN));
    uint8_t m[4] = "abc", sig[16];
    CHECK_INT(wmgw_ntlm_sign(wmgw_ntlm_client_sec(P.c), m, 4, sig, NULL), WMGW_EINVAL);
    done(&P);
    cc.channel_bindings = cb2;
    cc.channel_bindings_len = sizeof(cb2);
    CHECK_INT(handshake(&P, &cc, &sc), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "channel bindings") != NULL);
    done(&P);
    cc.channel_bindings = NULL;
    CHECK_INT(handshake(&P, &cc, &sc), WMGW_EAUTH);
    done(&P);
}

static void test_clock_skew(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    const uint64_t hour = 36000000000ull;
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    wmgw__ntlm_server_fix(P.s, fixed_sc, T0 + 37 * hour);
    CHECK_INT(accept_auth(&P), WMGW_EAUTH);
    CHECK(strstr(P.err.message, "timestamp") != NULL);
    done(&P);
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    wmgw__ntlm_server_fix(P.s, fixed_sc, T0 - 35 * hour);
    CHECK_INT(accept_auth(&P), 0);
    done(&P);
}

static void test_credentials_and_names(void)
{
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    /* the table keeps an NT hash; the client has one too */
    CHECK_INT(wmgw_ntlm_nt_hash("hash-pass", hash_user_nt, NULL), 0);
    struct wmgw_ntlm_client_config cc = client_cfg("hash", NULL, WMGW_NTLM_LEVEL_PRIVACY);
    cc.nt_hash = hash_user_nt;
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    done(&P);
    cc = client_cfg("hash", "hash-pass", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    done(&P);
    /* non-ASCII user, password and domain; NTOWFv2 upper-cases the user */
    cc = client_cfg("J\xc3\x9cRGEN", users[1].password, WMGW_NTLM_LEVEL_PRIVACY);
    cc.domain = "\xc3\x89" "COLE";
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    CHECK_STR(wmgw_ntlm_server_identity(P.s)->domain, "\xc3\x89" "COLE");
    done(&P);
    uint8_t u1[32], u2[32], d[32], k1[16], k2[16];
    size_t l1, l2, dl;
    CHECK_INT(wmgw__ntlm_utf16("j\xc3\xbcrgen", false, u1, sizeof(u1), &l1), 0);
    CHECK_INT(wmgw__ntlm_utf16("J\xc3\x9cRGEN", false, u2, sizeof(u2), &l2), 0);
    CHECK_INT(wmgw__ntlm_utf16("\xc3\x89" "cole", false, d, sizeof(d), &dl), 0);
    CHECK_INT(wmgw__ntlm_ntowfv2(hash_user_nt, u1, l1, d, dl, k1), 0);
    CHECK_INT(wmgw__ntlm_ntowfv2(hash_user_nt, u2, l2, d, dl, k2), 0);
    CHECK(memcmp(k1, k2, 16) == 0);
    /* the domain is not upper-cased */
    CHECK_INT(wmgw__ntlm_utf16("\xc3\x89" "COLE", false, d, sizeof(d), &dl), 0);
    CHECK_INT(wmgw__ntlm_ntowfv2(hash_user_nt, u1, l1, d, dl, k2), 0);
    CHECK(memcmp(k1, k2, 16) != 0);
    /* a supplementary-plane character round-trips through UTF-16 */
    char back[16];
    CHECK_INT(wmgw__ntlm_utf16("a\xf0\x9f\x98\x80", false, u1, sizeof(u1), &l1), 0);
    CHECK_INT(l1, 6);
    CHECK_INT(wmgw__ntlm_utf8(u1, l1, back, sizeof(back)), 0);
    CHECK_STR(back, "a\xf0\x9f\x98\x80");
    CHECK_INT(wmgw__ntlm_utf8(u1 + 2, 2, back, sizeof(back)), WMGW_EPROTO); /* lone surrogate */
}

/* A client that computed NTOWFv2 with an empty domain but sent one. */
static void test_empty_domain_retry(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    cc.domain = "";
    CHECK_INT(start(&P, &cc, &sc), 0);
    CHECK_INT(authenticate(&P), 0);
    struct wmgw__ntlm_authenticate a;
    uint8_t copy[WMGW_NTLM_MAX_MESSAGE], dom[16], mic[16];
    size_t dl;
    memcpy(copy, P.auth, P.al);
    CHECK_INT(wmgw__ntlm_parse_authenticate(copy, P.al, &a, NULL), 0);
    CHECK_INT(wmgw__ntlm_utf16("WMSIM", false, dom, sizeof(dom), &dl), 0);
    a.domain = (struct wmgw__ntlm_field){dom, dl};
    CHECK_INT(wmgw__ntlm_write_authenticate(&a, P.auth, sizeof(P.auth), &P.al, NULL), 0);
    /* the MIC has to follow (we know the exported key: it is fixed) */
    struct wmgw__ntlm_iov v[] = {{P.neg, P.nl}, {P.chal, P.cl}, {P.auth, P.al}};
    CHECK_INT(wmgw__ntlm_hmac_md5(fixed_key, 16, v, 3, mic), 0);
    memcpy(P.auth + WMGW__NTLM_MIC_OFFSET, mic, 16);
    CHECK_INT(accept_auth(&P), 0);
    CHECK_STR(wmgw_ntlm_server_identity(P.s)->domain, "WMSIM");
    done(&P);
}

/* Hand-made AUTHENTICATE messages: anonymous, LM only, NTLMv1. */
static void test_legacy_responses_refused(void)
{
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    static const size_t nt_lens[] = {0, 0, 24, 30};
    static const char *says[] = {"anonymous", "NTLMv2 only", "NTLMv2 only", "malformed"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_INT(start(&P, &cc, &sc), 0);
        CHECK_INT(authenticate(&P), 0);
        struct wmgw__ntlm_authenticate a;
        uint8_t copy[WMGW_NTLM_MAX_MESSAGE];
        memcpy(copy, P.auth, P.al);
        CHECK_INT(wmgw__ntlm_parse_authenticate(copy, P.al, &a, NULL), 0);
        a.nt.len = nt_lens[i];
        if (i == 0)
            a.user.len = 0;
        CHECK_INT(wmgw__ntlm_write_authenticate(&a, P.auth, sizeof(P.auth), &P.al, NULL), 0);
        int rc = accept_auth(&P);
        CHECK(rc == WMGW_EAUTH || rc == WMGW_EPROTO);
        CHECK(strstr(P.err.message, says[i]) != NULL);
        done(&P);
    }
}

static void test_deterministic(void)
{
    uint8_t first[WMGW_NTLM_MAX_MESSAGE];
    size_t fl;
    struct wmgw_ntlm_client_config cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    memcpy(first, P.auth, P.al);
    fl = P.al;
    done(&P);
    CHECK_INT(handshake(&P, &cc, &sc), 0);
    CHECK(fl == P.al && memcmp(first, P.auth, fl) == 0);
    done(&P);
}

/* ---- malformed input and misuse ---- */

static void test_malformed_messages(void)
{
    struct wmgw_err err;
    struct wmgw__ntlm_negotiate n;
    struct wmgw__ntlm_challenge c;
    struct wmgw__ntlm_authenticate a;
    struct wmgw__ntlm_avlist av;
    uint8_t m[WMGW_NTLM_MAX_MESSAGE + 1];
    size_t len;
    CHECK_INT(wmgw__ntlm_write_negotiate(WMGW_NTLM_NEGOTIATE_UNICODE, m, sizeof(m), &len, NULL), 0);
    CHECK_INT(wmgw_ntlm_message_type(m, len), 1);
    CHECK_INT(wmgw__ntlm_parse_negotiate(m, len, &n, &err), 0);
    CHECK_INT(wmgw__ntlm_parse_negotiate(m, 15, &n, &err), WMGW_EPROTO);      /* truncated */
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len, &c, &err), WMGW_EPROTO);    /* wrong type */
    CHECK_INT(wmgw__ntlm_parse_negotiate(m, sizeof(m), &n, &err), WMGW_ETOOBIG);
    m[3] = 'X';
    CHECK_INT(wmgw_ntlm_message_type(m, len), WMGW_EPROTO);
    CHECK_INT(wmgw__ntlm_parse_negotiate(m, len, &n, &err), WMGW_EPROTO);

    /* a field past the end, one inside the fixed part, an odd UTF-16 name */
    struct wmgw__ntlm_challenge ch = {.flags = WMGW_NTLM_NEGOTIATE_UNICODE, .target_name = {(const uint8_t *)"AB", 2}};
    CHECK_INT(wmgw__ntlm_write_challenge(&ch, m, sizeof(m), &len, NULL), 0);
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len, &c, &err), 0);
    CHECK(c.target_name.len == 2 && memcmp(c.target_name.p, "AB", 2) == 0);
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len - 1, &c, &err), WMGW_EPROTO);
    m[16] = 8; /* TargetName offset 8 */
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len, &c, &err), WMGW_EPROTO);
    m[16] = 56;
    m[12] = 1; /* odd length */
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len, &c, &err), WMGW_EPROTO);
    m[16] = 0xff, m[17] = 0xff, m[18] = 0xff, m[19] = 0xff; /* offset near 4 GiB */
    CHECK_INT(wmgw__ntlm_parse_challenge(m, len, &c, &err), WMGW_EPROTO);
    memset(m, 0, 64);
    memcpy(m, "NTLMSSP\0\3\0\0\0", 12);
    CHECK_INT(wmgw__ntlm_parse_authenticate(m, 64, &a, &err), 0);
    CHECK(a.mic == NULL && a.nt.len == 0 && a.user.p != NULL);

    /* AV pairs: good, no EOL, truncated, EOL with value, duplicates, too many */
    static const uint8_t good[] = {1, 0, 2, 0, 'A', 0, 7, 0, 0, 0, 0, 0};
    CHECK_INT(wmgw__ntlm_av_parse(good, sizeof(good) - 4, &av, &err), WMGW_EPROTO);
    static const uint8_t ok[] = {1, 0, 2, 0, 'A', 0, 0, 0, 0, 0, 9, 9};
    CHECK_INT(wmgw__ntlm_av_parse(ok, sizeof(ok), &av, &err), 0);
    CHECK(av.n == 1 && av.av[0].id == 1 && av.av[0].len == 2);
    static const uint8_t trunc[] = {1, 0, 9, 0, 'A', 0, 0, 0, 0, 0};
    CHECK_INT(wmgw__ntlm_av_parse(trunc, sizeof(trunc), &av, &err), WMGW_EPROTO);
    static const uint8_t eolval[] = {0, 0, 1, 0, 0};
    CHECK_INT(wmgw__ntlm_av_parse(eolval, sizeof(eolval), &av, &err), WMGW_EPROTO);
    static const uint8_t dup[] = {6, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK_INT(wmgw__ntlm_av_parse(dup, sizeof(dup), &av, &err), WMGW_EPROTO);
    uint8_t many[4 * (WMGW__NTLM_MAX_AV + 2)];
    struct wmgw__ntlm_wr w = {many, sizeof(many), 0, false};
    for (uint16_t i = 0; i <= WMGW__NTLM_MAX_AV; i++)
        wmgw__ntlm_put_av(&w, (uint16_t)(100 + i), NULL, 0);
    wmgw__ntlm_put_av(&w, 0, NULL, 0);
    CHECK_INT(wmgw__ntlm_av_parse(many, w.len, &av, &err), WMGW_EPROTO);
    CHECK(strstr(err.message, "more than") != NULL);
    /* writers stop at their bounds */
    CHECK_INT(wmgw__ntlm_write_negotiate(0, m, 39, &len, &err), WMGW_ETOOBIG);
}

static void test_misuse(void)
{
    struct wmgw_err err;
    struct wmgw_ntlm_client *c = NULL;
    struct wmgw_ntlm_server *s = NULL;
    struct wmgw_ntlm_client_config cc = client_cfg("", "x", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, &err), WMGW_EINVAL);
    cc = client_cfg("alice", NULL, WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, &err), WMGW_EINVAL);
    cc = client_cfg("alice", "\xff", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, &err), WMGW_EINVAL);
    cc = client_cfg("alice", "x", (enum wmgw_ntlm_level)7);
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, &err), WMGW_EINVAL);
    char longname[WMGW_NTLM_MAX_NAME + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    cc = client_cfg(longname, "x", WMGW_NTLM_LEVEL_PRIVACY);
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, &err), WMGW_ETOOBIG);
    struct wmgw_ntlm_server_config sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    sc.lookup = NULL;
    CHECK_INT(wmgw_ntlm_server_new(&sc, &s, &err), WMGW_EINVAL);

    cc = client_cfg("alice", "Secret-1", WMGW_NTLM_LEVEL_PRIVACY);
    sc = server_cfg(WMGW_NTLM_LEVEL_PRIVACY);
    uint8_t buf[WMGW_NTLM_MAX_MESSAGE];
    size_t len;
    CHECK_INT(wmgw_ntlm_client_new(&cc, &c, NULL), 0);
    CHECK_INT(wmgw_ntlm_server_new(&sc, &s, NULL), 0);
    CHECK_INT(wmgw_ntlm_client_authenticate(c, buf, 0, buf, sizeof(buf), &len, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_ntlm_server_accept(s, buf, 0, NULL), WMGW_EINVAL);
    CHECK(wmgw_ntlm_client_sec(c) == NULL && wmgw_ntlm_server_sec(s) == NULL);
    CHECK_INT(wmgw_ntlm_client_negotiate(c, buf, 10, &len, NULL), WMGW_ETOOBIG);
    wmgw_ntlm_client_free(c);
    wmgw_ntlm_server_free(s);
    wmgw_ntlm_client_free(NULL);
    wmgw_ntlm_server_free(NULL);
}

int main(void)
{
    WMGW_TEST_RUN(test_privacy_both_directions);
    WMGW_TEST_RUN(test_dcerpc_regions);
    WMGW_TEST_RUN(test_integrity_only);
    WMGW_TEST_RUN(test_replay_and_order);
    WMGW_TEST_RUN(test_tamper_poisons);
    WMGW_TEST_RUN(test_big_message);
    WMGW_TEST_RUN(test_wrong_password_unknown_user);
    WMGW_TEST_RUN(test_mic);
    WMGW_TEST_RUN(test_missing_flags_refused);
    WMGW_TEST_RUN(test_channel_bindings);
    WMGW_TEST_RUN(test_clock_skew);
    WMGW_TEST_RUN(test_credentials_and_names);
    WMGW_TEST_RUN(test_empty_domain_retry);
    WMGW_TEST_RUN(test_legacy_responses_refused);
    WMGW_TEST_RUN(test_deterministic);
    WMGW_TEST_RUN(test_malformed_messages);
    WMGW_TEST_RUN(test_misuse);
    return WMGW_TEST_DONE();
}
