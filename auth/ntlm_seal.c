/*
 * ntlm_seal.c: NTLM session security (MS-NLMP 3.4): the message signature
 * (MAC), sign and verify, seal and unseal, for a session set up by
 * ntlm_client.c or ntlm_server.c.
 *
 * Each direction has its signing key, its RC4 stream and its sequence
 * number, starting at 0 and counting messages (connection-oriented NTLM:
 * the receiver requires exactly the next number).  With extended session
 * security the checksum is HMAC_MD5(SigningKey, SeqNum || message)[0..7],
 * RC4-encrypted with the direction's stream after the message when key
 * exchange was negotiated.  The signature always covers the plaintext of
 * the whole region given, sealing only a part of it, which is DCE/RPC's
 * rule (RPCE 3.3.1.5.2.2; impacket's rpcrt.py does the same).
 *
 * Without extended session security (NTLMv1: a CRC32 checksum, one RC4
 * stream for both directions) only the sending side exists, to reproduce
 * MS-NLMP 4.2.2.4; the state machines never negotiate it.
 *
 * SECURITY
 *      Signatures arrive from the peer.  The sequence number is checked
 *      before any RC4 state is used, so a replayed or reordered message is
 *      refused and the session goes on.  A signature that does not match
 *      has consumed key stream: the receiving direction then fails every
 *      later call, and the region that was decrypted is zeroed so the
 *      forged plaintext cannot be used by mistake.  Checksums are compared
 *      with CRYPTO_memcmp.  Keys are wiped on dispose.
 */
#include "auth/ntlm_int.h"

#include <openssl/crypto.h>
#include <string.h>

int wmgw__ntlm_sec_init(struct wmgw_ntlm_sec *s, uint32_t flags, const uint8_t session_key[16], bool client,
                        struct wmgw_err *err)
{
    uint8_t key[16];
    size_t klen = 0;
    memset(s, 0, sizeof(*s));
    s->flags = flags;
    int rc = wmgw__ntlm_crypto_init(err);
    if (rc != 0)
        return rc;
    rc = wmgw__ntlm_signkey(flags, session_key, client, s->send_sign);
    if (rc == 0)
        rc = wmgw__ntlm_signkey(flags, session_key, !client, s->recv_sign);
    if (rc == 0)
        rc = wmgw__ntlm_sealkey(flags, session_key, client, key, &klen);
    if (rc == 0)
        rc = wmgw__ntlm_rc4_init(&s->send_rc4, key, klen);
    if (rc == 0 && (flags & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
        rc = wmgw__ntlm_sealkey(flags, session_key, !client, key, &klen);
        if (rc == 0)
            rc = wmgw__ntlm_rc4_init(&s->recv_rc4, key, klen);
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (rc != 0) {
        wmgw__ntlm_sec_dispose(s);
        return wmgw_err_set(err, rc, "NTLM: cannot derive session keys");
    }
    s->ready = true;
    return 0;
}

void wmgw__ntlm_sec_dispose(struct wmgw_ntlm_sec *s)
{
    EVP_CIPHER_CTX_free(s->send_rc4);
    EVP_CIPHER_CTX_free(s->recv_rc4);
    OPENSSL_cleanse(s, sizeof(*s));
}

uint32_t wmgw_ntlm_sec_flags(const struct wmgw_ntlm_sec *s)
{
    return s->flags;
}

static bool ess(const struct wmgw_ntlm_sec *s)
{
    return (s->flags & WMGW_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) != 0;
}

/* The checksum of the plaintext (before any RC4): 8 bytes of HMAC with
 * ESS, the CRC32 in the first 4 without. */
static int checksum(const struct wmgw_ntlm_sec *s, const uint8_t sign_key[16], uint32_t seq, const uint8_t *msg,
                    size_t len, uint8_t out[16])
{
    uint8_t seqb[4] = {(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16), (uint8_t)(seq >> 24)};
    if (!ess(s)) {
        uint32_t crc = wmgw__ntlm_crc32(msg, len);
        memset(out, 0, 16);
        out[0] = (uint8_t)crc, out[1] = (uint8_t)(crc >> 8), out[2] = (uint8_t)(crc >> 16);
        out[3] = (uint8_t)(crc >> 24);
        return 0;
    }
    struct wmgw__ntlm_iov v[] = {{seqb, 4}, {msg, len}};
    return wmgw__ntlm_hmac_md5(sign_key, 16, v, 2, out);
}

/* Assembles NTLMSSP_MESSAGE_SIGNATURE from the checksum, running the parts
 * that MS-NLMP encrypts through the stream (which must already have
 * processed the sealed data). */
static int finish(const struct wmgw_ntlm_sec *s, EVP_CIPHER_CTX *rc4, const uint8_t sum[16], uint32_t seq,
                  uint8_t sig[16])
{
    uint8_t tmp[12];
    int rc = 0;
    sig[0] = 1, sig[1] = sig[2] = sig[3] = 0;
    if (!ess(s)) {
        /* RandomPad (0), the CRC32, then a zero SeqNum XORed with seq */
        memset(tmp, 0, sizeof(tmp));
        memcpy(tmp + 4, sum, 4);
        rc = wmgw__ntlm_rc4_update(rc4, tmp, tmp, 12);
        for (int i = 0; i < 4; i++)
            tmp[8 + i] ^= (uint8_t)(seq >> (8 * i));
        memcpy(sig + 4, tmp, 12);
        return rc;
    }
    memcpy(tmp, sum, 8);
    if (s->flags & WMGW_NTLM_NEGOTIATE_KEY_EXCH)
        rc = wmgw__ntlm_rc4_update(rc4, tmp, tmp, 8);
    memcpy(sig + 4, tmp, 8);
    for (int i = 0; i < 4; i++)
        sig[12 + i] = (uint8_t)(seq >> (8 * i));
    return rc;
}

static int check_send(struct wmgw_ntlm_sec *s, uint32_t need, size_t len, size_t seal_off, size_t seal_len,
                      struct wmgw_err *err)
{
    if (!s->ready)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: no session yet");
    if (!(s->flags & need))
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: %s was not negotiated",
                            need == WMGW_NTLM_NEGOTIATE_SEAL ? "sealing" : "signing");
    if (seal_off > len || seal_len > len - seal_off)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: sealed region outside the message");
    if (s->send_seq == UINT32_MAX)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "NTLM: sequence numbers exhausted");
    return 0;
}

static int protect(struct wmgw_ntlm_sec *s, uint32_t need, uint8_t *msg, size_t len, size_t seal_off,
                   size_t seal_len, uint8_t sig[16], struct wmgw_err *err)
{
    uint8_t sum[16];
    int rc = check_send(s, need, len, seal_off, seal_len, err);
    if (rc != 0)
        return rc;
    rc = checksum(s, s->send_sign, s->send_seq, msg, len, sum);
    if (rc == 0 && seal_len > 0)
        rc = wmgw__ntlm_rc4_update(s->send_rc4, msg + seal_off, msg + seal_off, seal_len);
    if (rc == 0)
        rc = finish(s, s->send_rc4, sum, s->send_seq, sig);
    OPENSSL_cleanse(sum, sizeof(sum));
    if (rc != 0)
        return wmgw_err_set(err, rc, "NTLM: signing failed");
    s->send_seq++;
    return 0;
}

int wmgw_ntlm_sign(struct wmgw_ntlm_sec *s, const uint8_t *msg, size_t len, uint8_t sig[16], struct wmgw_err *err)
{
    /* protect() only writes into the sealed region, empty here */
    return protect(s, WMGW_NTLM_NEGOTIATE_SIGN, (uint8_t *)msg, len, 0, 0, sig, err);
}

int wmgw_ntlm_seal(struct wmgw_ntlm_sec *s, uint8_t *msg, size_t len, size_t seal_off, size_t seal_len,
                   uint8_t sig[16], struct wmgw_err *err)
{
    return protect(s, WMGW_NTLM_NEGOTIATE_SEAL, msg, len, seal_off, seal_len, sig, err);
}

static int check(struct wmgw_ntlm_sec *s, uint32_t need, uint8_t *msg, size_t len, size_t seal_off,
                 size_t seal_len, const uint8_t sig_in[16], struct wmgw_err *err)
{
    uint8_t sig[16], sum[16], want[16];
    if (!s->ready)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: no session yet");
    if (!ess(s))
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "NTLM: no verification without extended session security");
    if (s->recv_failed)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: an earlier message failed verification");
    if (!(s->flags & need))
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: %s was not negotiated",
                            need == WMGW_NTLM_NEGOTIATE_SEAL ? "sealing" : "signing");
    if (seal_off > len || seal_len > len - seal_off)
        return wmgw_err_set(err, WMGW_EINVAL, "NTLM: sealed region outside the message");
    memcpy(sig, sig_in, 16); /* it may sit in the region we decrypt */
    uint32_t seq = wmgw__ntlm_le32(sig + 12);
    if (wmgw__ntlm_le32(sig) != 1)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: signature version %u", wmgw__ntlm_le32(sig));
    if (seq != s->recv_seq)
        return wmgw_err_set(err, WMGW_EPROTO, "NTLM: sequence number %u, expected %u", seq, s->recv_seq);
    if (s->recv_seq == UINT32_MAX)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "NTLM: sequence numbers exhausted");

    int rc = 0;
    if (seal_len > 0)
        rc = wmgw__ntlm_rc4_update(s->recv_rc4, msg + seal_off, msg + seal_off, seal_len);
    if (rc == 0)
        rc = checksum(s, s->recv_sign, seq, msg, len, sum);
    if (rc == 0)
        rc = finish(s, s->recv_rc4, sum, seq, want);
    bool good = rc == 0 && CRYPTO_memcmp(want + 4, sig + 4, 8) == 0;
    OPENSSL_cleanse(sum, sizeof(sum));
    OPENSSL_cleanse(want, sizeof(want));
    if (!good) {
        s->recv_failed = true;
        if (seal_len > 0)
            memset(msg + seal_off, 0, seal_len);
        return wmgw_err_set(err, rc != 0 ? rc : WMGW_EPROTO, "NTLM: message signature does not match");
    }
    s->recv_seq++;
    return 0;
}

int wmgw_ntlm_verify(struct wmgw_ntlm_sec *s, const uint8_t *msg, size_t len, const uint8_t sig[16],
                     struct wmgw_err *err)
{
    return check(s, WMGW_NTLM_NEGOTIATE_SIGN, (uint8_t *)msg, len, 0, 0, sig, err);
}

int wmgw_ntlm_unseal(struct wmgw_ntlm_sec *s, uint8_t *msg, size_t len, size_t seal_off, size_t seal_len,
                     const uint8_t sig[16], struct wmgw_err *err)
{
    return check(s, WMGW_NTLM_NEGOTIATE_SEAL, msg, len, seal_off, seal_len, sig, err);
}
