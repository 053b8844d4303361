/*
 * ntlm_int.h: what the NTLM files share with each other, with their unit
 * test and with the fuzz target; not for other modules (use ntlm.h).
 *
 * ntlm_crypto.c  primitives (OpenSSL, legacy provider in a private library
 *                context), NTOWF, responses, KXKEY/SIGNKEY/SEALKEY
 * ntlm_str.c     UTF-8 <-> UTF-16LE, upper-casing for NTOWFv2
 * ntlm_msg.c     the three messages and AV pairs: bounded parse and write
 * ntlm_seal.c    the session: MAC, sign/verify, seal/unseal
 * ntlm_client.c  ntlm_server.c  the two state machines and their policy
 *
 * SECURITY
 *      Parsers here are the first code to touch peer bytes: every view
 *      they return lies inside the input and within the limits below.
 *      Functions that compute NTLMv1 or LM values exist only so the unit
 *      test can reproduce MS-NLMP 4.2; the state machines never call them.
 */
#ifndef WMGW_AUTH_NTLM_INT_H
#define WMGW_AUTH_NTLM_INT_H

#include "auth/ntlm.h"

#include <openssl/evp.h>
#include <stdbool.h>

#define WMGW__NTLM_MAX_AV 32  /* AV pairs in one list, EOL not counted */
#define WMGW__NTLM_AUTH_HEADER 88 /* AUTHENTICATE fixed part with Version and MIC */
#define WMGW__NTLM_MIC_OFFSET 72

/* AV pair ids (MS-NLMP 2.2.2.1). */
enum {
    WMGW__NTLM_AV_EOL = 0,
    WMGW__NTLM_AV_NB_COMPUTER = 1,
    WMGW__NTLM_AV_NB_DOMAIN = 2,
    WMGW__NTLM_AV_DNS_COMPUTER = 3,
    WMGW__NTLM_AV_DNS_DOMAIN = 4,
    WMGW__NTLM_AV_DNS_TREE = 5,
    WMGW__NTLM_AV_FLAGS = 6,
    WMGW__NTLM_AV_TIMESTAMP = 7,
    WMGW__NTLM_AV_SINGLE_HOST = 8,
    WMGW__NTLM_AV_TARGET_NAME = 9,
    WMGW__NTLM_AV_CHANNEL_BINDINGS = 10,
};
#define WMGW__NTLM_AVFLAG_MIC 0x00000002u

/* The Version we send: not a claim about an OS (MS-NLMP 2.2.2.10 says it
 * is for debugging only), revision 15 = NTLMSSP_REVISION_W2K3. */
extern const uint8_t wmgw__ntlm_version[8];

/* ---- ntlm_crypto.c ---- */

struct wmgw__ntlm_iov {
    const void *p;
    size_t len;
};

/* Loads the providers and fetches the algorithms once per process. */
int wmgw__ntlm_crypto_init(struct wmgw_err *err);
int wmgw__ntlm_random(uint8_t *p, size_t n);
uint64_t wmgw__ntlm_filetime_now(void); /* 100 ns ticks since 1601 */

int wmgw__ntlm_md4(const uint8_t *p, size_t n, uint8_t out[16]);
int wmgw__ntlm_md5(const struct wmgw__ntlm_iov *v, size_t n, uint8_t out[16]);
int wmgw__ntlm_hmac_md5(const uint8_t *key, size_t klen, const struct wmgw__ntlm_iov *v, size_t n,
                        uint8_t out[16]);
uint32_t wmgw__ntlm_crc32(const uint8_t *p, size_t n);
/* RC4 stream: init makes *ctx, update continues the key stream. */
int wmgw__ntlm_rc4_init(EVP_CIPHER_CTX **ctx, const uint8_t *key, size_t klen);
int wmgw__ntlm_rc4_update(EVP_CIPHER_CTX *ctx, const uint8_t *in, uint8_t *out, size_t n);
/* RC4K(key, in): a one-time stream. */
int wmgw__ntlm_rc4k(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t n);

/* NTOWFv2 from the NT hash and UTF-16LE user and domain, as sent. */
int wmgw__ntlm_ntowfv2(const uint8_t nt_hash[16], const uint8_t *user16, size_t ulen, const uint8_t *dom16,
                       size_t dlen, uint8_t out[16]);
/* NTProofStr = HMAC_MD5(key, server_challenge || blob). */
int wmgw__ntlm_v2_proof(const uint8_t key[16], const uint8_t server_challenge[8], const uint8_t *blob,
                        size_t blob_len, uint8_t proof[16]);
/* LMv2 response: HMAC_MD5(key, server_challenge || client_challenge) || client_challenge. */
int wmgw__ntlm_lmv2_response(const uint8_t key[16], const uint8_t server_challenge[8],
                             const uint8_t client_challenge[8], uint8_t out[24]);
int wmgw__ntlm_signkey(uint32_t flags, const uint8_t session_key[16], bool client, uint8_t out[16]);
/* 16 bytes with ESS; 16 or 8 without (MS-NLMP 3.4.5.3). */
int wmgw__ntlm_sealkey(uint32_t flags, const uint8_t session_key[16], bool client, uint8_t out[16],
                       size_t *out_len);

/* NTLMv1 and LM, for the MS-NLMP 4.2 vectors only. */
int wmgw__ntlm_lmowfv1(const char *password, uint8_t out[16]);
int wmgw__ntlm_des(const uint8_t key7[7], const uint8_t in[8], uint8_t out[8]);
int wmgw__ntlm_desl(const uint8_t key[16], const uint8_t in[8], uint8_t out[24]);
/* KXKEY for NTLMv1 (3.4.5.1); NTLMv2's KeyExchangeKey is its SessionBaseKey. */
int wmgw__ntlm_kxkey_v1(uint32_t flags, const uint8_t session_base_key[16], const uint8_t lm_response[8],
                        const uint8_t server_challenge[8], const uint8_t lmowf[16], uint8_t out[16]);

/* ---- ntlm_str.c ---- */

/* UTF-8 -> UTF-16LE, optionally upper-cased; WMGW_EINVAL for bad UTF-8,
 * WMGW_ETOOBIG past cap bytes. */
int wmgw__ntlm_utf16(const char *s, bool upper, uint8_t *out, size_t cap, size_t *out_len);
/* UTF-16LE -> NUL-terminated UTF-8; WMGW_EPROTO for odd length or
 * unpaired surrogates, WMGW_ETOOBIG past cap bytes. */
int wmgw__ntlm_utf8(const uint8_t *p, size_t len, char *out, size_t cap);
/* Upper-cases UTF-16LE code units (BMP simple case mapping). */
void wmgw__ntlm_utf16_upper(const uint8_t *in, size_t len, uint8_t *out);

/* ---- ntlm_msg.c ---- */

/* A view into a message. */
struct wmgw__ntlm_field {
    const uint8_t *p;
    size_t len;
};

struct wmgw__ntlm_negotiate {
    uint32_t flags;
    struct wmgw__ntlm_field domain, workstation; /* OEM, informational */
};

struct wmgw__ntlm_challenge {
    uint32_t flags;
    uint8_t server_challenge[8];
    struct wmgw__ntlm_field target_name, target_info;
};

struct wmgw__ntlm_authenticate {
    uint32_t flags;
    struct wmgw__ntlm_field lm, nt, domain, user, workstation, session_key;
    /* Parse: the 16 MIC bytes at offset 72, or NULL when the payload leaves
     * no room for them.  Write: non-NULL reserves a zero MIC to fill in. */
    const uint8_t *mic;
};

struct wmgw__ntlm_av {
    uint16_t id;
    uint16_t len;
    const uint8_t *value;
};

struct wmgw__ntlm_avlist {
    size_t n;
    struct wmgw__ntlm_av av[WMGW__NTLM_MAX_AV];
};

int wmgw__ntlm_parse_negotiate(const uint8_t *m, size_t len, struct wmgw__ntlm_negotiate *out,
                               struct wmgw_err *err);
int wmgw__ntlm_parse_challenge(const uint8_t *m, size_t len, struct wmgw__ntlm_challenge *out,
                               struct wmgw_err *err);
int wmgw__ntlm_parse_authenticate(const uint8_t *m, size_t len, struct wmgw__ntlm_authenticate *out,
                                  struct wmgw_err *err);
/* AV pairs up to MsvAvEOL (bytes after it are ignored); refuses truncated
 * pairs, a missing EOL, duplicates and more than WMGW__NTLM_MAX_AV. */
int wmgw__ntlm_av_parse(const uint8_t *p, size_t len, struct wmgw__ntlm_avlist *out, struct wmgw_err *err);
const struct wmgw__ntlm_av *wmgw__ntlm_av_find(const struct wmgw__ntlm_avlist *l, uint16_t id);

/* A bounded writer: a write past cap sets `over` and writes nothing more. */
struct wmgw__ntlm_wr {
    uint8_t *p;
    size_t cap, len;
    bool over;
};
void wmgw__ntlm_put(struct wmgw__ntlm_wr *w, const void *p, size_t n);
void wmgw__ntlm_put16(struct wmgw__ntlm_wr *w, uint16_t v);
void wmgw__ntlm_put32(struct wmgw__ntlm_wr *w, uint32_t v);
void wmgw__ntlm_put64(struct wmgw__ntlm_wr *w, uint64_t v);
void wmgw__ntlm_put_av(struct wmgw__ntlm_wr *w, uint16_t id, const void *v, size_t n);

int wmgw__ntlm_write_negotiate(uint32_t flags, uint8_t *out, size_t cap, size_t *out_len, struct wmgw_err *err);
int wmgw__ntlm_write_challenge(const struct wmgw__ntlm_challenge *c, uint8_t *out, size_t cap, size_t *out_len,
                               struct wmgw_err *err);
int wmgw__ntlm_write_authenticate(const struct wmgw__ntlm_authenticate *a, uint8_t *out, size_t cap,
                                  size_t *out_len, struct wmgw_err *err);

static inline uint16_t wmgw__ntlm_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t wmgw__ntlm_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t wmgw__ntlm_le64(const uint8_t *p)
{
    return (uint64_t)wmgw__ntlm_le32(p) | (uint64_t)wmgw__ntlm_le32(p + 4) << 32;
}

/* ---- ntlm_seal.c ---- */

struct wmgw_ntlm_sec {
    uint32_t flags;
    bool ready;
    bool recv_failed; /* a verify failed: the receiving direction is over */
    uint8_t send_sign[16], recv_sign[16];
    EVP_CIPHER_CTX *send_rc4, *recv_rc4; /* recv_rc4 is NULL without ESS */
    uint32_t send_seq, recv_seq;
};

/* Keys and streams from the exported session key; `client` picks which
 * direction is ours.  Any flags are taken (the MS-NLMP vectors need
 * NTLMv1's): the policy lives in the state machines. */
int wmgw__ntlm_sec_init(struct wmgw_ntlm_sec *s, uint32_t flags, const uint8_t session_key[16], bool client,
                        struct wmgw_err *err);
void wmgw__ntlm_sec_dispose(struct wmgw_ntlm_sec *s);

/* ---- test hooks (unit test, fuzz target): fixed randomness and time ---- */

void wmgw__ntlm_client_fix(struct wmgw_ntlm_client *c, const uint8_t client_challenge[8],
                           const uint8_t session_key[16], uint64_t filetime);
void wmgw__ntlm_server_fix(struct wmgw_ntlm_server *s, const uint8_t server_challenge[8], uint64_t filetime);
/* Puts the server in the state of having sent `challenge` after no
 * NEGOTIATE (MS-NLMP 4.2 has none). */
int wmgw__ntlm_server_set_challenge(struct wmgw_ntlm_server *s, const uint8_t *challenge, size_t len,
                                    struct wmgw_err *err);

#endif
