/*
 * vault_helpers.h: what the vault tests (vault.c, vault_file.c,
 * vault_memory.c) share: fixed keys and material, a fresh temporary
 * directory per run, and small wrappers that CHECK as they go (inline, so
 * a test file that does not use one is not warned about it).
 */
#ifndef WMGW_TESTS_UNIT_AUTH_VAULT_HELPERS_H
#define WMGW_TESTS_UNIT_AUTH_VAULT_HELPERS_H

#include "auth/vault_int.h"

#include "../test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const uint8_t K1[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                               0xcc, 0xdd, 0xee, 0xff, 0x00, 1,    2,    3,    4,    5,    6,
                               7,    8,    9,    10,   11,   12,   13,   14,   15,   16};
static const uint8_t K2[32] = {42};

static const char CERT[] = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUWmgwVGVzdENlcnQ=\n"
                           "-----END CERTIFICATE-----\n";
static const char PKEY[] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"
                           "S3cr3tKeyMaterial\n-----END PRIVATE KEY-----\n";
static const uint8_t KEYTAB[] = {0x05, 0x02, 0x00, 0x00, 0x00, 0x3a, 0x00, 0x01, 0x00, 0x0b, 'E', 'X', 'A',
                                 'M',  'P',  'L',  'E',  '.',  'C',  'O',  'M',  0x00, 0x00, 0x00, 0x00, 0xfe,
                                 0x11, 0x7a, 0xb3, 0x00, 0x12, 0x00, 0x20, 0x9c, 0x41, 0x00, 0x07};

/* ---- helpers ---- */

static inline const char *vault_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    return path;
}

static inline struct wmgw_vault_key *key(const uint8_t bytes[32])
{
    struct wmgw_vault_key *k = NULL;
    CHECK_INT(wmgw__vault_key_from_bytes(bytes, &k, NULL), 0);
    return k;
}

static inline struct wmgw_vault *open_vault(const char *path, const uint8_t bytes[32])
{
    struct wmgw_vault_key *k = key(bytes);
    struct wmgw_vault *v = NULL;
    struct wmgw_err err = {0};
    int rc = wmgw_vault_open(path, k, &v, &err);
    if (rc != 0)
        fprintf(stderr, "open %s: %s\n", path, err.message);
    CHECK_INT(rc, 0);
    wmgw_vault_key_free(k);
    return v;
}

static inline int open_rc(const char *path, const uint8_t bytes[32], struct wmgw_err *err)
{
    struct wmgw_vault_key *k = key(bytes);
    struct wmgw_vault *v = (struct wmgw_vault *)1;
    int rc = wmgw_vault_open(path, k, &v, err);
    CHECK(rc == 0 ? v != NULL : v == NULL);
    wmgw_vault_free(rc == 0 ? v : NULL);
    wmgw_vault_key_free(k);
    return rc;
}

static inline int add_password(struct wmgw_vault *v, const char *id, const char *user, const char *domain,
                               const char *pw, struct wmgw_err *err)
{
    struct wmgw_vault_info info = {.kind = WMGW_VAULT_PASSWORD};
    snprintf(info.id, sizeof(info.id), "%s", id);
    snprintf(info.user, sizeof(info.user), "%s", user);
    snprintf(info.domain, sizeof(info.domain), "%s", domain);
    struct wmgw_vault_material m = {.password = pw, .password_len = strlen(pw)};
    return wmgw_vault_add(v, &info, &m, err);
}

static inline int rotate_password(struct wmgw_vault *v, const char *id, const char *pw, struct wmgw_err *err)
{
    struct wmgw_vault_material m = {.password = pw, .password_len = strlen(pw)};
    return wmgw_vault_rotate(v, id, &m, err);
}

/* The password revealed for id must be pw. */
static inline void check_password(struct wmgw_vault *v, const char *id, const char *pw)
{
    struct wmgw_vault_revealed r;
    struct wmgw_err err = {0};
    int rc = wmgw_vault_reveal(v, id, &r, &err);
    if (rc != 0)
        fprintf(stderr, "reveal %s: %s\n", id, err.message);
    CHECK_INT(rc, 0);
    if (rc == 0) {
        CHECK_STR(r.password, pw);
        CHECK_INT(r.password_len, strlen(pw));
    }
    wmgw_vault_revealed_wipe(&r);
}

static inline char *read_text(const char *path, size_t *n)
{
    struct wmgw_buf b;
    struct wmgw__vault_ident id;
    wmgw_buf_init(&b, WMGW_VAULT_MAX_FILE);
    int rc = wmgw__vault_read(path, &b, &id, NULL);
    CHECK_INT(rc, 0);
    return wmgw_buf_steal(&b, n);
}

static inline void write_text(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(text, 1, n, f) == n);
    if (f != NULL)
        fclose(f);
}

/* Parses the file, lets edit change the model, writes it back: with a MAC
 * made by the key holder when resign, else with the old MAC. */
static inline void rewrite(const char *path, void (*edit)(struct wmgw__vault_state *, void *), void *arg, bool resign)
{
    size_t n;
    char *text = read_text(path, &n);
    struct wmgw__vault_state *st = NULL;
    CHECK_INT(wmgw__vault_parse(text, n, &st, NULL), 0);
    free(text);
    if (st == NULL)
        return;
    edit(st, arg);
    if (resign) {
        struct wmgw_vault_key *k = key(K1);
        struct wmgw__vault_keys *keys;
        CHECK_INT(wmgw__vault_keys_derive(k, &keys, NULL), 0);
        CHECK_INT(wmgw__vault_sign(keys, st, NULL), 0);
        wmgw__vault_keys_free(keys);
        wmgw_vault_key_free(k);
    }
    struct wmgw_buf out;
    wmgw_buf_init(&out, WMGW_VAULT_MAX_FILE);
    CHECK_INT(wmgw__vault_format(st, &out, NULL), 0);
    write_text(path, out.data, out.len);
    wmgw_buf_dispose(&out);
    wmgw__vault_state_free(st);
}

static inline mode_t file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static inline bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A bit of the first credential's ciphertext flipped (for rewrite()). */
static inline void flip_bit(struct wmgw__vault_state *st, void *arg)
{
    st->entries[0].sealed[WMGW__VAULT_NONCE_LEN + 2] ^= 0x04;
}

static inline bool make_test_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/wmgw-vault-test-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return false;
    }
    return true;
}

static inline void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
