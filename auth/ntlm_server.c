/*
 * ntlm_server.c: the NTLM acceptor (MS-NLMP 3.2.5.1), as the simulator's
 * DCOM front uses it: NEGOTIATE in, CHALLENGE out, AUTHENTICATE in, and
 * the NTLMv2 response checked against the password table (a callback),
 * which yields the user's name and the session.
 *
 * Policy, decided here and nowhere else for the server: clients must speak
 * Unicode and extended session security and ask for at least the
 * configured level; signing or sealing needs 128-bit keys and key
 * exchange; only NTLMv2 responses are checked.  Clients that computed
 * NTOWFv2 with an empty domain are accepted too (3.2.5.1.2 asks servers to
 * allow for that mistake).
 *
 * SECURITY
 *      The NEGOTIATE and AUTHENTICATE messages are untrusted (parsed by
 *      ntlm_msg.c).  The lookup callback and its answer are trusted.  A
 *      client proves itself by NTProofStr, an HMAC over the whole client
 *      blob, so the AV pairs it sent (MIC announcement, channel bindings,
 *      timestamp) are authentic once the proof matches; the MIC then binds
 *      the three messages, flags included.  An unknown user costs the same
 *      computation as a wrong password.  Errors name the user, never a
 *      password, hash or key; all of those are wiped after use.  The first
 *      failure ends the context.
 */
#include "auth/ntlm_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

enum { S_START, S_CHALLENGED, S_DONE, S_FAILED };

#define SKEW_DEFAULT (36L * 3600) /* MaxLifetime of Windows since XP (MS-NLMP <39>) */

struct wmgw_ntlm_server {
    int state;
    enum wmgw_ntlm_level level;
    bool require_mic, has_cb, domain_joined;
    long max_skew;
    int (*lookup)(void *arg, const char *user, const char *domain, struct wmgw_ntlm_credential *cred);
    void *lookup_arg;
    uint8_t cb_hash[16];
    /* TargetName and the names of TargetInfo, UTF-16LE */
    struct {
        uint8_t s[WMGW_NTLM_MAX_NAME * 2];
        size_t len;
    } target, names[5]; /* indexed by AV id - 1: NbComputer .. DnsTree */
    uint8_t *negotiate, *challenge; /* copies for the MIC */
    size_t negotiate_len, challenge_len;
    uint8_t server_challenge[8];
    uint32_t chal_flags;
    bool fixed; /* test hook */
    uint8_t fixed_sc[8];
    uint64_t fixed_time;
    struct wmgw_ntlm_identity who;
    struct wmgw_ntlm_sec sec;
};

static int name16(const char *s, uint8_t *out, size_t *len, const char *what, struct wmgw_err *err)
{
    *len = 0;
    if (s == NULL)
        return 0;
    int rc = wmgw__ntlm_utf16(s, false, out, WMGW_NTLM_MAX_NAME * 2, len);
    if (rc != 0)
        return wmgw_err_set(err, rc, "NTLM: %s is not valid UTF-8 or too long", what);
    return 0;
}

int wmgw_ntlm_server_new(const struct wmgw_ntlm_server_config *cfg, struct wmgw_ntlm_server **out,
                         struct wmgw_err *err)
{
    *out = NULL;
    int rc = wmgw__ntlm_crypto_init(err);
    if (rc != 0)
        return rc;
    if (cfg->nb_computer == NULL || cfg->nb_computer[0] == '\0' || cfg->lookup == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: the server needs a computer name and a lookup");
    if (cfg->level < WMGW_NTLM_LEVEL_DEFAULT || cfg->level > WMGW_NTLM_LEVEL_PRIVACY)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: unknown protection level %d", (int)cfg->level);
    struct wmgw_ntlm_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "NTLM: out of memory");
    s->level = cfg->level == WMGW_NTLM_LEVEL_DEFAULT ? WMGW_NTLM_LEVEL_PRIVACY : cfg->level;
    s->require_mic = cfg->require_mic != 0;
    s->max_skew = cfg->max_clock_skew_s == 0 ? SKEW_DEFAULT : cfg->max_clock_skew_s;
    s->lookup = cfg->lookup;
    s->lookup_arg = cfg->lookup_arg;
    const char *nb_domain = cfg->nb_domain ? cfg->nb_domain : cfg->nb_computer;
    const char *src[5] = {cfg->nb_computer, nb_domain, cfg->dns_computer, cfg->dns_domain, cfg->dns_tree};
    for (int i = 0; i < 5 && rc == 0; i++)
        rc = name16(src[i], s->names[i].s, &s->names[i].len, "server name", err);
    if (rc == 0)
        rc = name16(cfg->domain_joined ? nb_domain : cfg->nb_computer, s->target.s, &s->target.len, "target", err);
    if (rc == 0 && cfg->channel_bindings != NULL) {
        struct wmgw__ntlm_iov v = {cfg->channel_bindings, cfg->channel_bindings_len};
        s->has_cb = true;
        if ((rc = wmgw__ntlm_md5(&v, 1, s->cb_hash)) != 0)
            wmgw_err_set(err, rc, "NTLM: cannot hash channel bindings");
    }
    s->domain_joined = cfg->domain_joined != 0;
    if (rc != 0) {
        wmgw_ntlm_server_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void drop_messages(struct wmgw_ntlm_server *s)
{
    free(s->negotiate);
    free(s->challenge);
    s->negotiate = s->challenge = NULL;
    s->negotiate_len = s->challenge_len = 0;
}

void wmgw_ntlm_server_free(struct wmgw_ntlm_server *s)
{
    if (s == NULL)
        return;
    drop_messages(s);
    wmgw__ntlm_sec_dispose(&s->sec);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

const struct wmgw_ntlm_identity *wmgw_ntlm_server_identity(const struct wmgw_ntlm_server *s)
{
    return s->state == S_DONE ? &s->who : NULL;
}

struct wmgw_ntlm_sec *wmgw_ntlm_server_sec(struct wmgw_ntlm_server *s)
{
    return s->state == S_DONE ? &s->sec : NULL;
}

void wmgw__ntlm_server_fix(struct wmgw_ntlm_server *s, const uint8_t server_challenge[8], uint64_t filetime)
{
    s->fixed = true;
    memcpy(s->fixed_sc, server_challenge, 8);
    s->fixed_time = filetime;
}

static uint8_t *copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n > 0 ? n : 1);
    if (c != NULL && n > 0)
        memcpy(c, p, n);
    return c;
}

/* The server's policy on what a client asks for (NEGOTIATE) or settles on
 * (AUTHENTICATE). */
static int check_flags(const struct wmgw_ntlm_server *s, uint32_t f, const char *what, struct wmgw_err *err)
{
    /* NEGOTIATE may leave Unicode out (python ntlm-auth does; Windows answers
     * in Unicode anyway); the AUTHENTICATE we read must be Unicode. */
    if (!(f & WMGW_NTLM_NEGOTIATE_UNICODE) && strcmp(what, "NEGOTIATE") != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM %s: the client does not speak Unicode", what);
    if (!(f & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM %s: no extended session security (NTLMv1 is refused)", what);
    if (s->level >= WMGW_NTLM_LEVEL_INTEGRITY && !(f & WMGW_NTLM_NEGOTIATE_SIGN))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM %s: the client does not sign", what);
    if (s->level == WMGW_NTLM_LEVEL_PRIVACY && !(f & WMGW_NTLM_NEGOTIATE_SEAL))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM %s: the client does not seal", what);
    if ((f & (WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL)) &&
        (!(f & WMGW_NTLM_NEGOTIATE_128) || !(f & WMGW_NTLM_NEGOTIATE_KEY_EXCH)))
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM %s: signing or sealing without 128-bit keys and key exchange",
                            what);
    return 0;
}

int wmgw_ntlm_server_challenge(struct wmgw_ntlm_server *s, const uint8_t *negotiate, size_t len, uint8_t *out,
                               size_t cap, size_t *out_len, struct wmgw_err *err)
{
    struct wmgw__ntlm_negotiate neg;
    uint8_t info[WMGW_NTLM_MAX_MESSAGE];
    if (s->state != S_START)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: CHALLENGE already sent");
    s->state = S_FAILED;
    int rc = wmgw__ntlm_parse_negotiate(negotiate, len, &neg, err);
    if (rc == 0)
        rc = check_flags(s, neg.flags, "NEGOTIATE", err);
    if (rc != 0)
        return rc;
    const uint32_t granted = WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL | WMGW_NTLM_NEGOTIATE_KEY_EXCH |
                             WMGW_NTLM_NEGOTIATE_128 | WMGW_NTLM_NEGOTIATE_56 | WMGW_NTLM_NEGOTIATE_VERSION |
                             WMGW_NTLM_NEGOTIATE_IDENTIFY;
    struct wmgw__ntlm_challenge ch = {
        .flags = (s->domain_joined ? WMGW_NTLM_TARGET_TYPE_DOMAIN : WMGW_NTLM_TARGET_TYPE_SERVER) |
                 WMGW_NTLM_NEGOTIATE_UNICODE |
                 WMGW_NTLM_REQUEST_TARGET | WMGW_NTLM_NEGOTIATE_NTLM | WMGW_NTLM_NEGOTIATE_ALWAYS_SIGN |
                 WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | WMGW_NTLM_NEGOTIATE_TARGET_INFO |
                 (neg.flags & granted),
        .target_name = {s->target.s, s->target.len},
    };
    if (s->fixed)
        memcpy(ch.server_challenge, s->fixed_sc, 8);
    else if ((rc = wmgw__ntlm_random(ch.server_challenge, 8)) != 0)
        return wmgw_err_set(err, rc, "NTLM: no random bytes");

    /* TargetInfo in Windows' order: NetBIOS domain and computer, DNS domain,
     * computer and tree, timestamp. */
    static const uint16_t order[] = {WMGW__NTLM_AV_NB_DOMAIN, WMGW__NTLM_AV_NB_COMPUTER, WMGW__NTLM_AV_DNS_DOMAIN,
                                     WMGW__NTLM_AV_DNS_COMPUTER, WMGW__NTLM_AV_DNS_TREE};
    struct wmgw__ntlm_wr w = {info, sizeof(info), 0, false};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (s->names[order[i] - 1].len > 0)
            wmgw__ntlm_put_av(&w, order[i], s->names[order[i] - 1].s, s->names[order[i] - 1].len);
    uint64_t now = s->fixed ? s->fixed_time : wmgw__ntlm_filetime_now();
    uint8_t tb[8];
    for (int i = 0; i < 8; i++)
        tb[i] = (uint8_t)(now >> (8 * i));
    wmgw__ntlm_put_av(&w, WMGW__NTLM_AV_TIMESTAMP, tb, 8);
    wmgw__ntlm_put_av(&w, WMGW__NTLM_AV_EOL, NULL, 0);
    ch.target_info = (struct wmgw__ntlm_field){info, w.len};
    if (w.over)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM: target info too large");
    if ((rc = wmgw__ntlm_write_challenge(&ch, out, cap, out_len, err)) != 0)
        return rc;
    s->negotiate = copy(negotiate, len);
    s->challenge = copy(out, *out_len);
    if (s->negotiate == NULL || s->challenge == NULL) {
        drop_messages(s);
        return wmgw_err_set(err, WMGW_ENOMEM, "NTLM: out of memory");
    }
    s->negotiate_len = len;
    s->challenge_len = *out_len;
    memcpy(s->server_challenge, ch.server_challenge, 8);
    s->chal_flags = ch.flags;
    s->state = S_CHALLENGED;
    return 0;
}

int wmgw__ntlm_server_set_challenge(struct wmgw_ntlm_server *s, const uint8_t *challenge, size_t len,
                                    struct wmgw_err *err)
{
    struct wmgw__ntlm_challenge ch;
    int rc = wmgw__ntlm_parse_challenge(challenge, len, &ch, err);
    if (rc != 0)
        return rc;
    drop_messages(s);
    if ((s->challenge = copy(challenge, len)) == NULL)
        return wmgw_err_set(err, WMGW_ENOMEM, "NTLM: out of memory");
    s->challenge_len = len;
    memcpy(s->server_challenge, ch.server_challenge, 8);
    s->chal_flags = ch.flags;
    s->state = S_CHALLENGED;
    return 0;
}

/* Secrets of one AUTHENTICATE, wiped together. */
struct keys {
    struct wmgw_ntlm_credential cred;
    uint8_t nt_hash[16], response_key[16], proof[16], base_key[16], session_key[16], mic[16];
};

/* Does the NTLMv2 response prove knowledge of k->nt_hash?  Fills
 * k->response_key and k->proof. */
static int proves(struct wmgw_ntlm_server *s, const struct wmgw__ntlm_authenticate *a, struct keys *k,
                  bool empty_domain, bool *good)
{
    int rc = wmgw__ntlm_ntowfv2(k->nt_hash, a->user.p, a->user.len, a->domain.p, empty_domain ? 0 : a->domain.len,
                                k->response_key);
    if (rc == 0)
        rc = wmgw__ntlm_v2_proof(k->response_key, s->server_challenge, a->nt.p + 16, a->nt.len - 16, k->proof);
    *good = rc == 0 && CRYPTO_memcmp(k->proof, a->nt.p, 16) == 0;
    return rc;
}

static int authenticate(struct wmgw_ntlm_server *s, const uint8_t *m, size_t len, struct keys *k,
                        struct wmgw_err *err)
{
    struct wmgw__ntlm_authenticate a;
    struct wmgw__ntlm_avlist av = {0};
    int rc = wmgw__ntlm_parse_authenticate(m, len, &a, err);
    if (rc != 0)
        return rc;
    uint32_t negflg = a.flags & s->chal_flags;
    if ((rc = check_flags(s, negflg, "AUTHENTICATE", err)) != 0)
        return rc;
    if (a.user.len == 0 && a.nt.len == 0)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: anonymous logons are refused");
    if (a.nt.len == 24 || a.nt.len == 0)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: LM or NTLMv1 response refused (NTLMv2 only)");
    if (a.nt.len < 16 + 28 + 4 || a.nt.p[16] != 1 || a.nt.p[17] != 1)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: malformed NTLMv2 response");
    if (a.user.len > WMGW_NTLM_MAX_NAME * 2 || a.domain.len > WMGW_NTLM_MAX_NAME * 2 ||
        a.workstation.len > WMGW_NTLM_MAX_NAME * 2)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: name longer than %d UTF-16 units", WMGW_NTLM_MAX_NAME);
    if (wmgw__ntlm_utf8(a.user.p, a.user.len, s->who.user, sizeof(s->who.user)) != 0 ||
        wmgw__ntlm_utf8(a.domain.p, a.domain.len, s->who.domain, sizeof(s->who.domain)) != 0 ||
        wmgw__ntlm_utf8(a.workstation.p, a.workstation.len, s->who.workstation, sizeof(s->who.workstation)) != 0)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: a name is not valid UTF-16");
    const uint8_t *blob = a.nt.p + 16;
    if ((rc = wmgw__ntlm_av_parse(blob + 28, a.nt.len - 16 - 28, &av, err)) != 0)
        return rc;
    const struct wmgw__ntlm_av *fl = wmgw__ntlm_av_find(&av, WMGW__NTLM_AV_FLAGS);
    const struct wmgw__ntlm_av *cb = wmgw__ntlm_av_find(&av, WMGW__NTLM_AV_CHANNEL_BINDINGS);
    if ((fl != NULL && fl->len != 4) || (cb != NULL && cb->len != 16))
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: malformed MsvAvFlags or MsvAvChannelBindings");

    /* The proof first: nothing below is trustworthy until it matches. */
    rc = s->lookup(s->lookup_arg, s->who.user, s->who.domain, &k->cred);
    k->cred.password[WMGW_NTLM_MAX_PASSWORD] = '\0';
    bool known = rc == 0, good = false;
    if (rc != 0 && rc != WMGW_ENOTFOUND)
        return wmgw_err_set(err, rc, "NTLM: looking up %s\\%s failed", s->who.domain, s->who.user);
    if (known && k->cred.has_nt_hash)
        memcpy(k->nt_hash, k->cred.nt_hash, 16);
    else if (known && (rc = wmgw_ntlm_nt_hash(k->cred.password, k->nt_hash, err)) != 0)
        return rc;
    /* an unknown user runs the same HMACs, over a zero hash */
    if ((rc = proves(s, &a, k, false, &good)) == 0 && !good && a.domain.len > 0)
        rc = proves(s, &a, k, true, &good);
    if (rc != 0)
        return wmgw_err_set(err, rc, "NTLM: computing the expected response failed");
    if (!good || !known)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: logon failure for %s\\%s (%s)", s->who.domain, s->who.user,
                            known ? "wrong password" : "unknown user");

    uint64_t ts = wmgw__ntlm_le64(blob + 8), now = s->fixed ? s->fixed_time : wmgw__ntlm_filetime_now();
    uint64_t skew = ts > now ? ts - now : now - ts;
    if (s->max_skew > 0 && skew / 10000000u > (uint64_t)s->max_skew)
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the client's timestamp is %llu s off",
                            (unsigned long long)(skew / 10000000u));

    struct wmgw__ntlm_iov pv = {k->proof, 16};
    if ((rc = wmgw__ntlm_hmac_md5(k->response_key, 16, &pv, 1, k->base_key)) != 0)
        return wmgw_err_set(err, rc, "NTLM: key derivation failed");
    if ((negflg & WMGW_NTLM_NEGOTIATE_KEY_EXCH) && (negflg & (WMGW_NTLM_NEGOTIATE_SIGN | WMGW_NTLM_NEGOTIATE_SEAL))) {
        if (a.session_key.len != 16)
            return wmgw_err_set(err, WMGW_EPROTO, "NTLM: key exchange without a 16-byte session key");
        rc = wmgw__ntlm_rc4k(k->base_key, 16, a.session_key.p, k->session_key, 16);
    } else {
        memcpy(k->session_key, k->base_key, 16);
    }
    if (rc != 0)
        return wmgw_err_set(err, rc, "NTLM: key derivation failed");

    if (fl != NULL && (wmgw__ntlm_le32(fl->value) & WMGW__NTLM_AVFLAG_MIC)) {
        static const uint8_t zero[16];
        if (a.mic == NULL)
            return wmgw_err_set(err, WMGW_EPROTO, "NTLM: MIC announced but no room for it");
        struct wmgw__ntlm_iov v[] = {{s->negotiate, s->negotiate_len},
                                     {s->challenge, s->challenge_len},
                                     {m, WMGW__NTLM_MIC_OFFSET},
                                     {zero, 16},
                                     {m + WMGW__NTLM_AUTH_HEADER, len - WMGW__NTLM_AUTH_HEADER}};
        if ((rc = wmgw__ntlm_hmac_md5(k->session_key, 16, v, 5, k->mic)) != 0)
            return wmgw_err_set(err, rc, "NTLM: computing the MIC failed");
        if (CRYPTO_memcmp(k->mic, a.mic, 16) != 0)
            return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the MIC does not match (messages altered)");
    } else if (s->require_mic) {
        return wmgw_err_set(err, WMGW_EAUTH, "NTLM: the client sent no MIC");
    }
    if (s->has_cb) {
        if (cb == NULL || CRYPTO_memcmp(cb->value, s->cb_hash, 16) != 0)
            return wmgw_err_set(err, WMGW_EAUTH, "NTLM: channel bindings missing or different");
    }
    return wmgw__ntlm_sec_init(&s->sec, negflg, k->session_key, false, err);
}

int wmgw_ntlm_server_accept(struct wmgw_ntlm_server *s, const uint8_t *authenticate_msg, size_t len,
                            struct wmgw_err *err)
{
    struct keys k;
    if (s->state != S_CHALLENGED)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: AUTHENTICATE out of order");
    memset(&k, 0, sizeof(k));
    int rc = authenticate(s, authenticate_msg, len, &k, err);
    OPENSSL_cleanse(&k, sizeof(k));
    drop_messages(s);
    s->state = rc == 0 ? S_DONE : S_FAILED;
    if (rc != 0)
        memset(&s->who, 0, sizeof(s->who));
    return rc;
}
