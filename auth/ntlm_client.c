/*
 * ntlm_client.c: the NTLM initiator (MS-NLMP 3.1.5.1), as the DCOM
 * translator and WS-Man's HTTP transport use it: NEGOTIATE out, CHALLENGE
 * in, AUTHENTICATE (NTLMv2, with MIC, channel bindings and target name
 * pairs) out, and the session set up on our side.
 *
 * Policy, decided here and nowhere else for the client: the server must
 * speak Unicode and extended session security; the level asked for must be
 * granted (SIGN for integrity, SEAL for privacy), and signing or sealing
 * needs 128-bit keys and key exchange; with signing or sealing the target
 * info must name the server (NetBIOS computer and domain), as 3.1.5.1.2
 * says.  The answer is always NTLMv2.
 *
 * SECURITY
 *      The CHALLENGE is untrusted and parsed by ntlm_msg.c.  The password
 *      is hashed in wmgw_ntlm_client_new() and not kept; the NT hash, the
 *      session keys and every intermediate key are wiped when no longer
 *      needed and in wmgw_ntlm_client_free().  The exported session key
 *      comes from OpenSSL's DRBG.  Nothing secret reaches a wmgw_err.
 */
#include "auth/ntlm_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

enum { C_START, C_NEGOTIATED, C_DONE, C_FAILED };

struct wmgw_ntlm_client {
    int state;
    enum wmgw_ntlm_level level;
    uint32_t flags; /* what our NEGOTIATE asked for */
    uint8_t nt_hash[16];
    uint8_t user[WMGW_NTLM_MAX_NAME * 2], domain[WMGW_NTLM_MAX_NAME * 2];
    uint8_t workstation[WMGW_NTLM_MAX_NAME * 2], spn[WMGW_NTLM_MAX_NAME * 2];
    size_t user_len, domain_len, workstation_len, spn_len;
    uint8_t cb_hash[16]; /* MD5 of the channel bindings, or zeros */
    uint8_t negotiate[64];
    size_t negotiate_len;
    bool fixed; /* test hook: no randomness, fixed time */
    uint8_t fixed_cc[8], fixed_key[16];
    uint64_t fixed_time;
    struct wmgw_ntlm_sec sec;
};

static int name16(const char *s, uint8_t *out, size_t *len, const char *what, struct wmgw_err *err)
{
    *len = 0;
    if (s == NULL)
        return 0;
    int rc = wmgw__ntlm_utf16(s, false, out, WMGW_NTLM_MAX_NAME * 2, len);
    if (rc == WMGW_ETOOBIG)
        return wmgw_err_set(err, rc, "NTLM: %s longer than %d UTF-16 units", what, WMGW_NTLM_MAX_NAME);
    if (rc != 0)
        return wmgw_err_set(err, rc, "NTLM: %s is not valid UTF-8", what);
    return 0;
}

int wmgw_ntlm_client_new(const struct wmgw_ntlm_client_config *cfg, struct wmgw_ntlm_client **out,
                         struct wmgw_err *err)
{
    *out = NULL;
    int rc = wmgw__ntlm_crypto_init(err);
    if (rc != 0)
        return rc;
    if (cfg->user == NULL || cfg->user[0] == '\0')
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: no user name (anonymous logons are not supported)");
    if (cfg->password == NULL && cfg->nt_hash == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: neither password nor NT hash");
    if (cfg->level < WMGW_NTLM_LEVEL_DEFAULT || cfg->level > WMGW_NTLM_LEVEL_PRIVACY)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: unknown protection level %d", (int)cfg->level);
    struct wmgw_ntlm_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "NTLM: out of memory");
    c->level = cfg->level == WMGW_NTLM_LEVEL_DEFAULT ? WMGW_NTLM_LEVEL_PRIVACY : cfg->level;
    if ((rc = name16(cfg->user, c->user, &c->user_len, "user name", err)) != 0 ||
        (rc = name16(cfg->domain, c->domain, &c->domain_len, "domain", err)) != 0 ||
        (rc = name16(cfg->workstation, c->workstation, &c->workstation_len, "workstation", err)) != 0 ||
        (rc = name16(cfg->target_spn, c->spn, &c->spn_len, "target SPN", err)) != 0)
        goto fail;
    if (cfg->password != NULL)
        rc = wmgw_ntlm_nt_hash(cfg->password, c->nt_hash, err);
    else
        memcpy(c->nt_hash, cfg->nt_hash, 16);
    if (rc == 0 && cfg->channel_bindings != NULL) {
        struct wmgw__ntlm_iov v = {cfg->channel_bindings, cfg->channel_bindings_len};
        if ((rc = wmgw__ntlm_md5(&v, 1, c->cb_hash)) != 0)
            wmgw_err_set(err, rc, "NTLM: cannot hash channel bindings");
    }
    if (rc != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    wmgw_ntlm_client_free(c);
    return rc;
}

void wmgw_ntlm_client_free(struct wmgw_ntlm_client *c)
{
    if (c == NULL)
        return;
    wmgw__ntlm_sec_dispose(&c->sec);
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
}

struct wmgw_ntlm_sec *wmgw_ntlm_client_sec(struct wmgw_ntlm_client *c)
{
    return c->state == C_DONE ? &c->sec : NULL;
}

void wmgw__ntlm_client_fix(struct wmgw_ntlm_client *c, const uint8_t client_challenge[8],
                           const uint8_t session_key[16], uint64_t filetime)
{
    c->fixed = true;
    memcpy(c->fixed_cc, client_challenge, 8);
    memcpy(c->fixed_key, session_key, 16);
    c->fixed_time = filetime;
}

int wmgw_ntlm_client_negotiate(struct wmgw_ntlm_client *c, uint8_t *out, size_t cap, size_t *out_len,
                               struct wmgw_err *err)
{
    if (c->state != C_START)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: NEGOTIATE already sent");
    c->flags = WMGW_NTLM_NEGOTIATE_UNICODE | WMGW_NTLM_REQUEST_TARGET | WMGW_NTLM_NEGOTIATE_NTLM |
               WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN | WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY |
               WMGW_NTLM_NEGOTIATE_VERSION | WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_56 |
               WMGW_NTLM_NEGOTIATE_KEY_EXCH;
    if (c->level >= WMGW_NTLM_LEVEL_INTEGRITY)
        c->flags |= WMGW_NTLM_NEGOTIATE_SIGN;
    if (c->level == WMGW_NTLM_LEVEL_PRIVACY)
        c->flags |= WMGW_NTLM_NEGOTIATE_SEAL;
    int rc = wmgw__ntlm_write_negotiate(c->flags, c->negotiate, sizeof(c->negotiate), &c->negotiate_len, err);
    if (rc != 0)
        return rc;
    if (c->negotiate_len > cap)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM NEGOTIATE: does not fit in %zu bytes", cap);
    memcpy(out, c->negotiate, c->negotiate_len);
    *out_len = c->negotiate_len;
    c->state = C_NEGOTIATED;
    return 0;
}

/* The client's policy on the server's choices; returns the session flags. */
static int check_challenge(const struct wmgw_ntlm_client *c, const struct wmgw__ntlm_challenge *ch,
                           const struct wmgw__ntlm_avlist *av, uint32_t *negflg, struct wmgw_err *err)
{
    uint32_t f = ch->flags & c->flags;
    if (!(f & WMGW_NTLM_NEGOTIATE_UNICODE))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server does not speak Unicode");
    if (!(f & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server refused extended session security");
    if (c->level >= WMGW_NTLM_LEVEL_INTEGRITY && !(f & WMGW_NTLM_NEGOTIATE_SIGN))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server refused signing");
    if (c->level == WMGW_NTLM_LEVEL_PRIVACY && !(f & WMGW_NTLM_NEGOTIATE_SEAL))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server refused sealing");
    if (f & (WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL)) {
        if (!(f & WMGW_NTLM_NEGOTIATE_128) || !(f & WMGW_NTLM_NEGOTIATE_KEY_EXCH))
            return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server refused 128-bit keys or key exchange");
        if (!wmgw__ntlm_av_find(av, WMGW__NTLM_AV_NB_COMPUTER) || !wmgw__ntlm_av_find(av, WMGW__NTLM_AV_NB_DOMAIN))
            return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the server's target info does not name it");
    }
    const struct wmgw__ntlm_av *ts = wmgw__ntlm_av_find(av, WMGW__NTLM_AV_TIMESTAMP);
    const struct wmgw__ntlm_av *fl = wmgw__ntlm_av_find(av, WMGW__NTLM_AV_FLAGS);
    if ((ts != NULL && ts->len != 8) || (fl != NULL && fl->len != 4))
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: malformed MsvAvTimestamp or MsvAvFlags");
    *negflg = f;
    return 0;
}

/* temp of MS-NLMP 3.3.2: the NTLMv2_CLIENT_CHALLENGE with our AV pairs. */
static void put_blob(const struct wmgw_ntlm_client *c, struct wmgw__ntlm_wr *w, const struct wmgw__ntlm_avlist *av,
                     uint64_t time, const uint8_t cc[8])
{
    static const uint8_t zero[16];
    const struct wmgw__ntlm_av *ts = wmgw__ntlm_av_find(av, WMGW__NTLM_AV_TIMESTAMP);
    const struct wmgw__ntlm_av *fl = wmgw__ntlm_av_find(av, WMGW__NTLM_AV_FLAGS);
    wmgw__ntlm_put16(w, 0x0101); /* RespType, HiRespType */
    wmgw__ntlm_put(w, zero, 6);
    wmgw__ntlm_put64(w, time);
    wmgw__ntlm_put(w, cc, 8);
    wmgw__ntlm_put(w, zero, 4);
    for (size_t i = 0; i < av->n; i++) {
        uint16_t id = av->av[i].id;
        if (id != WMGW__NTLM_AV_FLAGS && id != WMGW__NTLM_AV_TARGET_NAME && id != WMGW__NTLM_AV_CHANNEL_BINDINGS)
            wmgw__ntlm_put_av(w, id, av->av[i].value, av->av[i].len);
    }
    /* 3.1.5.1.2: a timestamp from the server means we send a MIC */
    uint32_t avflags = (fl ? wmgw__ntlm_le32(fl->value) : 0) | (ts ? WMGW__NTLM_AVFLAG_MIC : 0);
    if (fl != NULL || ts != NULL) {
        uint8_t b[4] = {(uint8_t)avflags, (uint8_t)(avflags >> 8), (uint8_t)(avflags >> 16),
                        (uint8_t)(avflags >> 24)};
        wmgw__ntlm_put_av(w, WMGW__NTLM_AV_FLAGS, b, 4);
    }
    wmgw__ntlm_put_av(w, WMGW__NTLM_AV_CHANNEL_BINDINGS, c->cb_hash, 16);
    wmgw__ntlm_put_av(w, WMGW__NTLM_AV_TARGET_NAME, c->spn, c->spn_len);
    wmgw__ntlm_put_av(w, WMGW__NTLM_AV_EOL, NULL, 0);
    wmgw__ntlm_put(w, zero, 4);
}

/* Secrets of one AUTHENTICATE, wiped together. */
struct keys {
    uint8_t response_key[16], proof[16], base_key[16], session_key[16], enc_key[16], mic[16];
};

int wmgw_ntlm_client_authenticate(struct wmgw_ntlm_client *c, const uint8_t *challenge, size_t len, uint8_t *out,
                                  size_t cap, size_t *out_len, struct wmgw_err *err)
{
    struct wmgw__ntlm_challenge ch;
    struct wmgw__ntlm_avlist av = {0};
    struct keys k;
    uint8_t nt[WMGW_NTLM_MAX_MESSAGE], lm[24] = {0}, cc[8];
    uint32_t negflg = 0;
    if (c->state != C_NEGOTIATED)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: AUTHENTICATE out of order");
    c->state = C_FAILED; /* until we succeed */
    memset(&k, 0, sizeof(k));
    int rc = wmgw__ntlm_parse_challenge(challenge, len, &ch, err);
    if (rc == 0 && ch.target_info.len > 0)
        rc = wmgw__ntlm_av_parse(ch.target_info.p, ch.target_info.len, &av, err);
    if (rc == 0)
        rc = check_challenge(c, &ch, &av, &negflg, err);
    if (rc != 0)
        return rc;

    const struct wmgw__ntlm_av *ts = wmgw__ntlm_av_find(&av, WMGW__NTLM_AV_TIMESTAMP);
    uint64_t time = ts ? wmgw__ntlm_le64(ts->value) : c->fixed ? c->fixed_time : wmgw__ntlm_filetime_now();
    if (c->fixed)
        memcpy(cc, c->fixed_cc, 8);
    else if ((rc = wmgw__ntlm_random(cc, 8)) != 0)
        return wmgw_err_set(err, rc, "NTLM: no random bytes");

    /* NtChallengeResponse = NTProofStr || temp, temp written after 16 bytes */
    struct wmgw__ntlm_wr w = {nt, sizeof(nt), 16, false};
    put_blob(c, &w, &av, time, cc);
    if (w.over)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM: the server's target info is too large");
    bool keyed = (negflg & WMGW_NTLM_NEGOTIATE_KEY_EXCH) &&
                 (negflg & (WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL));
    rc = wmgw__ntlm_ntowfv2(c->nt_hash, c->user, c->user_len, c->domain, c->domain_len, k.response_key);
    if (rc == 0)
        rc = wmgw__ntlm_v2_proof(k.response_key, ch.server_challenge, nt + 16, w.len - 16, k.proof);
    if (rc == 0) {
        memcpy(nt, k.proof, 16);
        struct wmgw__ntlm_iov v = {k.proof, 16};
        rc = wmgw__ntlm_hmac_md5(k.response_key, 16, &v, 1, k.base_key); /* KeyExchangeKey in NTLMv2 */
    }
    /* 3.1.5.1.2: with a server timestamp the LM response is Z(24) */
    if (rc == 0 && ts == NULL)
        rc = wmgw__ntlm_lmv2_response(k.response_key, ch.server_challenge, cc, lm);
    if (rc == 0 && keyed) {
        if (c->fixed)
            memcpy(k.session_key, c->fixed_key, 16);
        else
            rc = wmgw__ntlm_random(k.session_key, 16);
        if (rc == 0)
            rc = wmgw__ntlm_rc4k(k.base_key, 16, k.session_key, k.enc_key, 16);
    } else if (rc == 0) {
        memcpy(k.session_key, k.base_key, 16);
    }
    if (rc != 0) {
        wmgw_err_set(err, rc, "NTLM: computing the response failed");
        goto done;
    }

    struct wmgw__ntlm_authenticate a = {
        .flags = negflg,
        .lm = {lm, 24},
        .nt = {nt, w.len},
        .domain = {c->domain, c->domain_len},
        .user = {c->user, c->user_len},
        .workstation = {c->workstation, c->workstation_len},
        .session_key = {k.enc_key, keyed ? 16 : 0},
        .mic = k.mic, /* reserve the field */
    };
    if ((rc = wmgw__ntlm_write_authenticate(&a, out, cap, out_len, err)) != 0)
        goto done;
    struct wmgw__ntlm_iov v[] = {{c->negotiate, c->negotiate_len}, {challenge, len}, {out, *out_len}};
    if ((rc = wmgw__ntlm_hmac_md5(k.session_key, 16, v, 3, k.mic)) != 0) {
        wmgw_err_set(err, rc, "NTLM: computing the MIC failed");
        goto done;
    }
    memcpy(out + WMGW__NTLM_MIC_OFFSET, k.mic, 16);
    if ((rc = wmgw__ntlm_sec_init(&c->sec, negflg, k.session_key, true, err)) != 0)
        goto done;
    c->state = C_DONE;
done:
    OPENSSL_cleanse(&k, sizeof(k));
    OPENSSL_cleanse(nt, sizeof(nt));
    OPENSSL_cleanse(lm, sizeof(lm));
    return rc;
}
