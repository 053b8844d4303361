/*
 * fuzz_vault.c: libFuzzer target for what auth/ reads from files and
 * callers: the vault file parser (auth/vault_file.c) and the checks behind
 * it (vault_crypto.c, vault_material.c), the PHC string parser of
 * auth/passhash.c, the token parser of auth/token.c and the vault key
 * decoder.  The first byte picks the path (modulo 4); the rest is input.
 *
 *   0  vault file, as an attacker who cannot sign would write it: parse,
 *      verify against a fixed key (whatever parses must be refused or
 *      verified, never crash), write back and parse again (the model must
 *      come back the same)
 *   1  vault file, as if signed by the key holder: parse, re-sign with the
 *      fixed key, verify, so mutations reach decryption and the plaintext
 *      checks; a file that verifies must still verify after a round trip
 *   2  a stored password hash: parse; what is accepted must be within the
 *      limits passhash.h states (the KDF is not run: too slow to fuzz)
 *   3  a bearer token, a stored token hash and a base64 vault key
 *
 * Seeds in corpus/fuzz_vault come from our own code: compile this file with
 * -DFUZZ_VAULT_SEEDS for a main() that takes the corpus directory.
 */
#include "auth/passhash.h"
#include "auth/token.h"
#include "auth/vault_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t KEY[32] = {0xf0, 0x0d, 0xfa, 0xce, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                13,   14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};

static const struct wmgw__vault_keys *keys(void)
{
    static struct wmgw__vault_keys *k;
    if (k == NULL) {
        struct wmgw_vault_key *master;
        if (wmgw__vault_key_from_bytes(KEY, &master, NULL) != 0 || wmgw__vault_keys_derive(master, &k, NULL) != 0)
            abort();
        wmgw_vault_key_free(master);
    }
    return k;
}

static void same_model(const struct wmgw__vault_state *a, const struct wmgw__vault_state *b)
{
    if (a->generation != b->generation || strcmp(a->key_id, b->key_id) != 0 || a->n_entries != b->n_entries ||
        a->n_maps != b->n_maps || memcmp(a->mac, b->mac, sizeof(a->mac)) != 0)
        abort();
    for (size_t i = 0; i < a->n_entries; i++) {
        const struct wmgw__vault_entry *x = &a->entries[i], *y = &b->entries[i];
        if (strcmp(x->info.id, y->info.id) != 0 || x->info.kind != y->info.kind ||
            strcmp(x->info.user, y->info.user) != 0 || strcmp(x->info.domain, y->info.domain) != 0 ||
            x->info.created != y->info.created || x->info.rotated != y->info.rotated ||
            x->info.version != y->info.version || x->sealed_len != y->sealed_len ||
            memcmp(x->sealed, y->sealed, x->sealed_len) != 0)
            abort();
    }
    for (size_t i = 0; i < a->n_maps; i++) {
        const struct wmgw_vault_mapping *x = &a->maps[i], *y = &b->maps[i];
        if (x->subject_type != y->subject_type || strcmp(x->subject, y->subject) != 0 ||
            strcmp(x->host_group, y->host_group) != 0 || strcmp(x->credential, y->credential) != 0)
            abort();
    }
}

/* Writes st and parses the text again: the same model, or abort. */
static struct wmgw__vault_state *round_trip(const struct wmgw__vault_state *st)
{
    struct wmgw_buf text;
    struct wmgw__vault_state *back = NULL;
    wmgw_buf_init(&text, WMGW_VAULT_MAX_FILE);
    if (wmgw__vault_format(st, &text, NULL) != 0 || wmgw__vault_parse(text.data, text.len, &back, NULL) != 0)
        abort(); /* we must read what we write */
    same_model(st, back);
    wmgw_buf_dispose(&text);
    return back;
}

static void fuzz_file(const uint8_t *d, size_t n, bool resign)
{
    struct wmgw__vault_state *st = NULL;
    if (wmgw__vault_parse((const char *)d, n, &st, NULL) != 0)
        return;
    if (resign && wmgw__vault_sign(keys(), st, NULL) != 0)
        abort();
    struct wmgw_err err = {0};
    int rc = wmgw__vault_verify(keys(), st, &err);
    if (rc != 0 && rc != WMGW_EAUTH && rc != WMGW_EINVAL)
        abort();
    if (rc != 0 && strlen(err.message) == 0)
        abort(); /* a refusal always says why */
    struct wmgw__vault_state *back = round_trip(st);
    if (rc == 0 && wmgw__vault_verify(keys(), back, NULL) != 0)
        abort();
    wmgw__vault_state_free(back);
    wmgw__vault_state_free(st);
}

static void fuzz_passhash(const uint8_t *d, size_t n)
{
    struct wmgw_passhash ph;
    if (wmgw_passhash_parse((const char *)d, n, &ph, NULL) != 0)
        return;
    const struct wmgw_passhash_params *p = &ph.params;
    uint64_t big_n = 1ull << p->ln;
    if (p->ln < WMGW_PASSHASH_MIN_LN || p->ln > WMGW_PASSHASH_MAX_LN || p->r < 1 || p->r > WMGW_PASSHASH_MAX_R ||
        p->p < 1 || p->p > WMGW_PASSHASH_MAX_P || 128 * big_n * p->r > WMGW_PASSHASH_MAX_MEMORY ||
        big_n * p->r * p->p > WMGW_PASSHASH_MAX_WORK || ph.salt_len < 8 || ph.salt_len > WMGW_PASSHASH_MAX_BYTES ||
        ph.hash_len < 16 || ph.hash_len > WMGW_PASSHASH_MAX_BYTES)
        abort();
}

static void fuzz_token_and_key(const uint8_t *d, size_t n)
{
    char hash[WMGW_TOKEN_HASH_LEN + 1];
    if (wmgw_token_parse((const char *)d, n, NULL) == 0) {
        if (n != WMGW_TOKEN_LEN || wmgw_token_hash((const char *)d, n, hash, NULL) != 0 ||
            wmgw_token_parse_hash(hash, NULL) != 0)
            abort();
    }
    char *s = malloc(n + 1);
    memcpy(s, d, n);
    s[n] = '\0';
    (void)wmgw_token_parse_hash(s, NULL);
    struct wmgw_vault_key *k = NULL;
    if (wmgw_vault_key_from_base64(s, &k, NULL) == 0) {
        char id[17];
        wmgw_vault_key_id(k, id);
        if (strlen(id) != 16)
            abort();
    }
    wmgw_vault_key_free(k);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0:
        fuzz_file(d, n, false);
        break;
    case 1:
        fuzz_file(d, n, true);
        break;
    case 2:
        fuzz_passhash(d, n);
        break;
    default:
        fuzz_token_and_key(d, n);
        break;
    }
    return 0;
}

#ifdef FUZZ_VAULT_SEEDS
/* Writes the seeds: argv[1] is the corpus directory. */
#include <unistd.h>

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
    char tmpdir[] = "/tmp/fuzz-vault-seeds-XXXXXX", path[256];
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/vault.json", tmpdir);
    struct wmgw_vault_key *master;
    struct wmgw_vault *v;
    if (wmgw__vault_key_from_bytes(KEY, &master, NULL) != 0 || wmgw_vault_open(path, master, &v, NULL) != 0)
        abort();
    static const uint8_t keytab[] = {0x05, 0x02, 0, 0, 0, 0x10, 0, 1, 0, 4, 'T', 'E', 'S', 'T', 0, 1, 'u', 0x11};
    static const char cert[] = "-----BEGIN CERTIFICATE-----\nMIIBfuzz\n-----END CERTIFICATE-----\n",
                      pkey[] = "-----BEGIN EC PRIVATE KEY-----\nMHcfuzz\n-----END EC PRIVATE KEY-----\n";
    struct wmgw_vault_info pw = {.id = "web-admin", .kind = WMGW_VAULT_PASSWORD, .user = "svc", .domain = "CORP"},
                           kt = {.id = "kerberos", .kind = WMGW_VAULT_KEYTAB, .user = "svc", .domain = "TEST"},
                           ce = {.id = "client.cert", .kind = WMGW_VAULT_CERTIFICATE};
    struct wmgw_vault_material pwm = {.password = "P@ssw0rd", .password_len = 8},
                               ktm = {.keytab = keytab, .keytab_len = sizeof(keytab)},
                               cem = {.cert_pem = cert, .cert_pem_len = strlen(cert), .key_pem = pkey,
                                      .key_pem_len = strlen(pkey)};
    struct wmgw_vault_mapping m1 = {WMGW_VAULT_SUBJECT_GROUP, "S-1-5-21-1-2-3-513", "web", "web-admin"},
                              m2 = {WMGW_VAULT_SUBJECT_PRINCIPAL, "alice", "web", "client.cert"},
                              m3 = {WMGW_VAULT_SUBJECT_SID, "S-1-5-21-1-2-3-1104", "dc", "kerberos"};
    if (wmgw_vault_add(v, &pw, &pwm, NULL) != 0 || wmgw_vault_add(v, &kt, &ktm, NULL) != 0 ||
        wmgw_vault_add(v, &ce, &cem, NULL) != 0 || wmgw_vault_rotate(v, "web-admin", &pwm, NULL) != 0 ||
        wmgw_vault_map_set(v, &m1, NULL) != 0 || wmgw_vault_map_set(v, &m2, NULL) != 0 ||
        wmgw_vault_map_set(v, &m3, NULL) != 0)
        abort();
    struct wmgw_buf text;
    struct wmgw__vault_ident ident;
    wmgw_buf_init(&text, WMGW_VAULT_MAX_FILE);
    if (wmgw__vault_read(path, &text, &ident, NULL) != 0)
        abort();
    seed(argv[1], "ours-vault", 0, text.data, text.len);
    seed(argv[1], "ours-vault-signed", 1, text.data, text.len);
    wmgw_buf_dispose(&text);
    wmgw_vault_free(v);
    wmgw_vault_key_free(master);
    unlink(path);
    char lock[300];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    unlink(lock);
    rmdir(tmpdir);

    char stored[WMGW_PASSHASH_MAX_STRING];
    if (wmgw_passhash_hash("pw", 2, NULL, stored, sizeof(stored), NULL) != 0)
        abort();
    seed(argv[1], "ours-passhash", 2, stored, strlen(stored));
    static const char rfc[] = "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdof"
                              "LVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw";
    seed(argv[1], "rfc7914-passhash", 2, rfc, strlen(rfc));
    char token[WMGW_TOKEN_LEN + 1], hash[WMGW_TOKEN_HASH_LEN + 1];
    if (wmgw_token_new(token, hash, NULL) != 0)
        abort();
    seed(argv[1], "ours-token", 3, token, strlen(token));
    seed(argv[1], "ours-token-hash", 3, hash, strlen(hash));
    static const char key_b64[] = "8A36zgECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";
    seed(argv[1], "key-base64", 3, key_b64, strlen(key_b64));
    return 0;
}
#endif
