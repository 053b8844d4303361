/*
 * ntlm_msg.c: NEGOTIATE, CHALLENGE and AUTHENTICATE (MS-NLMP 2.2.1) and AV
 * pairs (2.2.2.1), parsed into views of the caller's buffer and written
 * into bounded ones.  Used by ntlm_client.c and ntlm_server.c; no policy
 * here beyond well-formedness.
 *
 * Layout facts the parsers rely on: every variable field is (len u16,
 * maxlen u16, offset u32) and its bytes may sit anywhere after the fixed
 * part; the AUTHENTICATE message only carries a MIC (offset 72..88) when
 * its payload starts at 88 or later, which is how messages from before
 * the MIC (the spec's own 4.2 examples, impacket) are told apart.
 *
 * SECURITY
 *      Input is untrusted.  A message is at most WMGW_NTLM_MAX_MESSAGE
 *      bytes; each non-empty field must lie within it and after the fixed
 *      part it belongs to; names in Unicode must have even lengths; AV
 *      lists must end with MsvAvEOL, hold at most WMGW__NTLM_MAX_AV pairs
 *      and no id twice (two MsvAvFlags could otherwise be read two ways).
 *      Empty fields get a valid pointer so callers never see NULL data.
 */
#include "auth/ntlm_int.h"

#include <string.h>

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

const uint8_t wmgw__ntlm_version[8] = {10, 0, 0, 0, 0, 0, 0, 0x0F};

int wmgw_ntlm_message_type(const uint8_t *msg, size_t len)
{
    if (len < 12 || memcmp(msg, signature, 8) != 0)
        return WMGW_EPROTO;
    uint32_t t = wmgw__ntlm_le32(msg + 8);
    return t >= 1 && t <= 3 ? (int)t : WMGW_EPROTO;
}

size_t wmgw_ntlm_flatten_bindings(const uint8_t *app, size_t len, uint8_t *out)
{
    memset(out, 0, 16); /* initiator and acceptor: address type 0, no address */
    for (int i = 0; i < 4; i++)
        out[16 + i] = (uint8_t)(len >> (8 * i));
    memcpy(out + 20, app, len);
    return 20 + len;
}

static int check_header(const uint8_t *m, size_t len, uint32_t type, size_t fixed, const char *what,
                        struct wmgw_err *err)
{
    if (len > WMGW_NTLM_MAX_MESSAGE)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM %s: %zu bytes, more than %d", what, len,
                            WMGW_NTLM_MAX_MESSAGE);
    if (len < fixed)
        return wmgw_err_set_at(err, WMGW_EPROTO, (long)len, "NTLM %s: truncated (%zu bytes)", what, len);
    if (memcmp(m, signature, 8) != 0)
        return wmgw_err_set_at(err, WMGW_EPROTO, 0, "NTLM %s: no NTLMSSP signature", what);
    if (wmgw__ntlm_le32(m + 8) != type)
        return wmgw_err_set_at(err, WMGW_EPROTO, 8, "NTLM %s: message type %u", what, wmgw__ntlm_le32(m + 8));
    return 0;
}

/* The field described at m+at: within the message and after `from`.
 * Lowers *first to the smallest offset seen. */
static int field(const uint8_t *m, size_t len, size_t at, size_t from, struct wmgw__ntlm_field *f, size_t *first,
                 const char *name, struct wmgw_err *err)
{
    size_t flen = wmgw__ntlm_le16(m + at);
    uint64_t off = wmgw__ntlm_le32(m + at + 4);
    f->p = m;
    f->len = 0;
    if (flen == 0)
        return 0; /* the offset of an empty field means nothing */
    if (off + flen > len)
        return wmgw_err_set_at(err, WMGW_EPROTO, (long)at, "NTLM: %s (%zu bytes at %llu) outside the message",
                               name, flen, (unsigned long long)off);
    if (off < from)
        return wmgw_err_set_at(err, WMGW_EPROTO, (long)at, "NTLM: %s overlaps the fixed part", name);
    f->p = m + off;
    f->len = flen;
    if (first != NULL && off < *first)
        *first = (size_t)off;
    return 0;
}

static int even(const struct wmgw__ntlm_field *f, const char *name, struct wmgw_err *err)
{
    if (f->len & 1)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: %s has an odd length for UTF-16", name);
    return 0;
}

int wmgw__ntlm_parse_negotiate(const uint8_t *m, size_t len, struct wmgw__ntlm_negotiate *out,
                               struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = check_header(m, len, 1, 16, "NEGOTIATE", err);
    if (rc != 0)
        return rc;
    out->flags = wmgw__ntlm_le32(m + 12);
    out->domain.p = out->workstation.p = m;
    if (len < 32)
        return 0; /* old clients stop after the flags */
    size_t from = (out->flags & WMGW_NTLM_NEGOTIATE_VERSION) ? 40 : 32;
    if (from > len)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM NEGOTIATE: VERSION flag without a Version");
    if ((rc = field(m, len, 16, from, &out->domain, NULL, "NEGOTIATE domain", err)) != 0)
        return rc;
    return field(m, len, 24, from, &out->workstation, NULL, "NEGOTIATE workstation", err);
}

int wmgw__ntlm_parse_challenge(const uint8_t *m, size_t len, struct wmgw__ntlm_challenge *out,
                               struct wmgw_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = check_header(m, len, 2, 48, "CHALLENGE", err);
    if (rc != 0)
        return rc;
    out->flags = wmgw__ntlm_le32(m + 20);
    memcpy(out->server_challenge, m + 24, 8);
    size_t from = (out->flags & WMGW_NTLM_NEGOTIATE_VERSION) ? 56 : 48;
    if (from > len)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM CHALLENGE: VERSION flag without a Version");
    if ((rc = field(m, len, 12, from, &out->target_name, NULL, "TargetName", err)) != 0 ||
        (rc = field(m, len, 40, from, &out->target_info, NULL, "TargetInfo", err)) != 0)
        return rc;
    if (out->flags & WMGW_NTLM_NEGOTIATE_UNICODE)
        return even(&out->target_name, "TargetName", err);
    return 0;
}

int wmgw__ntlm_parse_authenticate(const uint8_t *m, size_t len, struct wmgw__ntlm_authenticate *out,
                                  struct wmgw_err *err)
{
    static const struct {
        size_t at;
        size_t member;
        const char *name;
    } fields[] = {
        {12, offsetof(struct wmgw__ntlm_authenticate, lm), "LmChallengeResponse"},
        {20, offsetof(struct wmgw__ntlm_authenticate, nt), "NtChallengeResponse"},
        {28, offsetof(struct wmgw__ntlm_authenticate, domain), "DomainName"},
        {36, offsetof(struct wmgw__ntlm_authenticate, user), "UserName"},
        {44, offsetof(struct wmgw__ntlm_authenticate, workstation), "Workstation"},
        {52, offsetof(struct wmgw__ntlm_authenticate, session_key), "EncryptedRandomSessionKey"},
    };
    memset(out, 0, sizeof(*out));
    int rc = check_header(m, len, 3, 64, "AUTHENTICATE", err);
    if (rc != 0)
        return rc;
    out->flags = wmgw__ntlm_le32(m + 60);
    size_t from = (out->flags & WMGW_NTLM_NEGOTIATE_VERSION) ? 72 : 64, first = len;
    if (from > len)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM AUTHENTICATE: VERSION flag without a Version");
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct wmgw__ntlm_field *f = (struct wmgw__ntlm_field *)((char *)out + fields[i].member);
        if ((rc = field(m, len, fields[i].at, from, f, &first, fields[i].name, err)) != 0)
            return rc;
    }
    if (out->flags & WMGW_NTLM_NEGOTIATE_UNICODE) {
        if ((rc = even(&out->domain, "DomainName", err)) != 0 || (rc = even(&out->user, "UserName", err)) != 0 ||
            (rc = even(&out->workstation, "Workstation", err)) != 0)
            return rc;
    }
    out->mic = first >= WMGW__NTLM_AUTH_HEADER ? m + WMGW__NTLM_MIC_OFFSET : NULL;
    return 0;
}

int wmgw__ntlm_av_parse(const uint8_t *p, size_t len, struct wmgw__ntlm_avlist *out, struct wmgw_err *err)
{
    size_t i = 0;
    out->n = 0;
    for (;;) {
        if (len - i < 4)
            return wmgw_err_set_at(err, WMGW_EPROTO, (long)i, "NTLM: AV pairs without MsvAvEOL");
        uint16_t id = wmgw__ntlm_le16(p + i), alen = wmgw__ntlm_le16(p + i + 2);
        i += 4;
        if (alen > len - i)
            return wmgw_err_set_at(err, WMGW_EPROTO, (long)i, "NTLM: AV pair %u truncated", id);
        if (id == WMGW__NTLM_AV_EOL)
            return alen == 0 ? 0 : wmgw_err_set_at(err, WMGW_EPROTO, (long)i, "NTLM: MsvAvEOL with a value");
        if (wmgw__ntlm_av_find(out, id) != NULL)
            return wmgw_err_set_at(err, WMGW_EPROTO, (long)i, "NTLM: AV pair %u twice", id);
        if (out->n == WMGW__NTLM_MAX_AV)
            return wmgw_err_set_at(err, WMGW_EPROTO, (long)i, "NTLM: more than %d AV pairs", WMGW__NTLM_MAX_AV);
        out->av[out->n++] = (struct wmgw__ntlm_av){id, alen, p + i};
        i += alen;
    }
}

const struct wmgw__ntlm_av *wmgw__ntlm_av_find(const struct wmgw__ntlm_avlist *l, uint16_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->av[i].id == id)
            return &l->av[i];
    return NULL;
}

/* ---- writing ---- */

void wmgw__ntlm_put(struct wmgw__ntlm_wr *w, const void *p, size_t n)
{
    if (w->over || n > w->cap - w->len) {
        w->over = true;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void wmgw__ntlm_put16(struct wmgw__ntlm_wr *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    wmgw__ntlm_put(w, b, 2);
}

void wmgw__ntlm_put32(struct wmgw__ntlm_wr *w, uint32_t v)
{
    wmgw__ntlm_put16(w, (uint16_t)v);
    wmgw__ntlm_put16(w, (uint16_t)(v >> 16));
}

void wmgw__ntlm_put64(struct wmgw__ntlm_wr *w, uint64_t v)
{
    wmgw__ntlm_put32(w, (uint32_t)v);
    wmgw__ntlm_put32(w, (uint32_t)(v >> 32));
}

void wmgw__ntlm_put_av(struct wmgw__ntlm_wr *w, uint16_t id, const void *v, size_t n)
{
    if (n > 0xFFFF) {
        w->over = true;
        return;
    }
    wmgw__ntlm_put16(w, id);
    wmgw__ntlm_put16(w, (uint16_t)n);
    wmgw__ntlm_put(w, v, n);
}

/* A field descriptor for bytes placed at *at, which then moves on. */
static void put_field(struct wmgw__ntlm_wr *w, size_t n, size_t *at)
{
    if (n > 0xFFFF) {
        w->over = true;
        return;
    }
    wmgw__ntlm_put16(w, (uint16_t)n);
    wmgw__ntlm_put16(w, (uint16_t)n);
    wmgw__ntlm_put32(w, (uint32_t)*at);
    *at += n;
}

static void put_start(struct wmgw__ntlm_wr *w, uint8_t *out, size_t cap, uint32_t type)
{
    *w = (struct wmgw__ntlm_wr){out, cap < WMGW_NTLM_MAX_MESSAGE ? cap : WMGW_NTLM_MAX_MESSAGE, 0, false};
    wmgw__ntlm_put(w, signature, 8);
    wmgw__ntlm_put32(w, type);
}

static void put_version(struct wmgw__ntlm_wr *w, uint32_t flags)
{
    static const uint8_t zero[8];
    wmgw__ntlm_put(w, (flags & WMGW_NTLM_NEGOTIATE_VERSION) ? wmgw__ntlm_version : zero, 8);
}

static int put_end(struct wmgw__ntlm_wr *w, size_t *out_len, const char *what, struct wmgw_err *err)
{
    if (w->over)
        return wmgw_err_set(err, WMGW_ETOOBIG, "NTLM %s: does not fit in %zu bytes", what, w->cap);
    *out_len = w->len;
    return 0;
}

int wmgw__ntlm_write_negotiate(uint32_t flags, uint8_t *out, size_t cap, size_t *out_len, struct wmgw_err *err)
{
    struct wmgw__ntlm_wr w;
    size_t at = 40;
    put_start(&w, out, cap, 1);
    wmgw__ntlm_put32(&w, flags);
    put_field(&w, 0, &at); /* no domain: Windows sends none either */
    put_field(&w, 0, &at);
    put_version(&w, flags);
    return put_end(&w, out_len, "NEGOTIATE", err);
}

int wmgw__ntlm_write_challenge(const struct wmgw__ntlm_challenge *c, uint8_t *out, size_t cap, size_t *out_len,
                               struct wmgw_err *err)
{
    static const uint8_t reserved[8];
    struct wmgw__ntlm_wr w;
    size_t at = 56;
    put_start(&w, out, cap, 2);
    put_field(&w, c->target_name.len, &at);
    wmgw__ntlm_put32(&w, c->flags);
    wmgw__ntlm_put(&w, c->server_challenge, 8);
    wmgw__ntlm_put(&w, reserved, 8);
    put_field(&w, c->target_info.len, &at);
    put_version(&w, c->flags);
    wmgw__ntlm_put(&w, c->target_name.p, c->target_name.len);
    wmgw__ntlm_put(&w, c->target_info.p, c->target_info.len);
    return put_end(&w, out_len, "CHALLENGE", err);
}

int wmgw__ntlm_write_authenticate(const struct wmgw__ntlm_authenticate *a, uint8_t *out, size_t cap,
                                  size_t *out_len, struct wmgw_err *err)
{
    static const uint8_t zero_mic[16];
    /* Payload in the order Windows uses: domain, user, host, LM, NT, key. */
    const struct wmgw__ntlm_field *payload[] = {&a->domain, &a->user, &a->workstation, &a->lm, &a->nt,
                                                &a->session_key};
    size_t at = a->mic != NULL ? WMGW__NTLM_AUTH_HEADER : 72;
    size_t offsets[6];
    for (size_t i = 0; i < 6; i++) {
        offsets[i] = at;
        at += payload[i]->len;
    }
    struct wmgw__ntlm_wr w;
    put_start(&w, out, cap, 3);
    /* Descriptors in wire order: LM, NT, domain, user, host, key. */
    static const size_t wire[] = {3, 4, 0, 1, 2, 5};
    for (size_t i = 0; i < 6; i++) {
        size_t off = offsets[wire[i]];
        put_field(&w, payload[wire[i]]->len, &off);
    }
    wmgw__ntlm_put32(&w, a->flags);
    put_version(&w, a->flags);
    if (a->mic != NULL)
        wmgw__ntlm_put(&w, zero_mic, 16);
    for (size_t i = 0; i < 6; i++)
        wmgw__ntlm_put(&w, payload[i]->p, payload[i]->len);
    return put_end(&w, out_len, "AUTHENTICATE", err);
}
