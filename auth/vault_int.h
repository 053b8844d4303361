/*
 * vault_int.h: what the vault's files share and its tests and fuzzer may
 * reach; not for the rest of the gateway (use vault.h).
 *
 *   vault_key.c       the master key; keys derived from it
 *   vault_crypto.c    sealing one secret (AES-256-GCM), the file MAC, and
 *                     the check of a whole parsed file against a key
 *   vault_material.c  the plaintext of each kind: check, pack, unpack
 *   vault_state.c     the in-memory model: copy, find, name checks
 *   vault_file.c      JSON text <-> model (the parser of untrusted files)
 *   vault_io.c        reading, atomic replacement, the lock file
 *   vault_store.c     the handle: open, refresh, writes, credentials, reveal
 *   vault_map.c       mappings and resolve
 */
#ifndef WMGW_AUTH_VAULT_INT_H
#define WMGW_AUTH_VAULT_INT_H

#include "auth/vault.h"
#include "util/buf.h"

#include <sys/types.h>
#include <time.h>

#define WMGW__VAULT_FORMAT "wmgw-vault"
#define WMGW__VAULT_VERSION 1
#define WMGW__VAULT_NONCE_LEN 12
#define WMGW__VAULT_TAG_LEN 16
#define WMGW__VAULT_KEY_ID_LEN 16 /* hex digits */
/* A sealed secret: nonce, ciphertext (as long as the plaintext), tag. */
#define WMGW__VAULT_SEALED_MAX (WMGW__VAULT_NONCE_LEN + 2 * WMGW_VAULT_BLOB_MAX + 1 + WMGW__VAULT_TAG_LEN)

/* ---- keys (vault_key.c) ---- */

/* Derived with HKDF-SHA256 from the master key; in secret memory. */
struct wmgw__vault_keys {
    struct wmgw_secret *mem; /* encryption key (32 bytes), then MAC key (32 bytes) */
    char key_id[WMGW__VAULT_KEY_ID_LEN + 1];
};

int wmgw__vault_keys_derive(const struct wmgw_vault_key *key, struct wmgw__vault_keys **out, struct wmgw_err *err);
void wmgw__vault_keys_free(struct wmgw__vault_keys *k);
/* A key from 32 bytes (tests and the fuzzer use fixed keys). */
int wmgw__vault_key_from_bytes(const uint8_t bytes[WMGW_VAULT_KEY_LEN], struct wmgw_vault_key **out,
                               struct wmgw_err *err);

/* ---- the model (vault_state.c) ---- */

struct wmgw__vault_entry {
    struct wmgw_vault_info info;
    uint8_t *sealed; /* nonce | ciphertext | tag; not secret */
    size_t sealed_len;
};

struct wmgw__vault_state {
    char key_id[WMGW__VAULT_KEY_ID_LEN + 1];
    uint64_t generation; /* +1 per write */
    struct wmgw__vault_entry *entries;
    size_t n_entries, cap_entries;
    struct wmgw_vault_mapping *maps;
    size_t n_maps, cap_maps;
    uint8_t mac[32];
};

struct wmgw__vault_state *wmgw__vault_state_new(void);
void wmgw__vault_state_free(struct wmgw__vault_state *st);
int wmgw__vault_state_copy(const struct wmgw__vault_state *st, struct wmgw__vault_state **out,
                           struct wmgw_err *err);
/* Appends an entry (taking sealed) or a mapping, within the limits. */
int wmgw__vault_state_add_entry(struct wmgw__vault_state *st, const struct wmgw_vault_info *info, uint8_t *sealed,
                                size_t sealed_len, struct wmgw_err *err);
int wmgw__vault_state_add_mapping(struct wmgw__vault_state *st, const struct wmgw_vault_mapping *m,
                                  struct wmgw_err *err);
void wmgw__vault_state_remove_entry(struct wmgw__vault_state *st, size_t i);
void wmgw__vault_state_remove_mapping(struct wmgw__vault_state *st, size_t i);
/* Index of the entry or mapping, or -1. */
long wmgw__vault_find_entry(const struct wmgw__vault_state *st, const char *id);
long wmgw__vault_find_mapping(const struct wmgw__vault_state *st, enum wmgw_vault_subject type, const char *subject,
                              const char *host_group);

/* Whether two subjects of type are the same (SIDs ignore case). */
bool wmgw__vault_subject_equal(enum wmgw_vault_subject type, const char *a, const char *b);

/* Checks of s[0..n) (what names the field in messages).  WMGW_EINVAL. */
int wmgw__vault_check_id(const char *s, size_t n, const char *what, struct wmgw_err *err);
int wmgw__vault_check_name(const char *s, size_t n, bool required, const char *what, struct wmgw_err *err);
int wmgw__vault_check_subject(enum wmgw_vault_subject type, const char *s, size_t n, const char *what,
                              struct wmgw_err *err);
/* The metadata of info (id, kind, user, domain) as add() requires it. */
int wmgw__vault_check_info(const struct wmgw_vault_info *info, const char *what, struct wmgw_err *err);
int wmgw__vault_check_mapping(const struct wmgw_vault_mapping *m, const char *what, struct wmgw_err *err);
int wmgw__vault_kind_parse(const char *s, enum wmgw_vault_kind *out);
int wmgw__vault_subject_parse(const char *s, enum wmgw_vault_subject *out);

/* ---- plaintexts (vault_material.c) ---- */

/* Checks the material for kind and packs it into a new secret:
 * password: its bytes; keytab: its bytes; certificate: cert, NUL, key. */
int wmgw__vault_material_pack(enum wmgw_vault_kind kind, const struct wmgw_vault_material *m,
                              struct wmgw_secret **out, struct wmgw_err *err);
/* Points r's views into pt (which r then owns); WMGW_EINVAL when pt is
 * not a plaintext of kind. */
int wmgw__vault_material_unpack(enum wmgw_vault_kind kind, struct wmgw_secret *pt, struct wmgw_vault_revealed *r,
                                struct wmgw_err *err);

/* ---- cryptography (vault_crypto.c) ---- */

/* AES-256-GCM of pt with a fresh nonce and the AAD of info (format
 * version, id, kind, version); *sealed is malloc'ed. */
int wmgw__vault_seal(const struct wmgw__vault_keys *k, const struct wmgw_vault_info *info,
                     const struct wmgw_secret *pt, uint8_t **sealed, size_t *sealed_len, struct wmgw_err *err);
/* The inverse; WMGW_EAUTH when the tag does not verify (wrong key, altered
 * ciphertext, or a ciphertext of another id, kind or version). */
int wmgw__vault_unseal(const struct wmgw__vault_keys *k, const struct wmgw_vault_info *info, const uint8_t *sealed,
                       size_t sealed_len, struct wmgw_secret **pt, struct wmgw_err *err);
/* Sets st's key_id and mac for k. */
int wmgw__vault_sign(const struct wmgw__vault_keys *k, struct wmgw__vault_state *st, struct wmgw_err *err);
/* Checks a parsed file against k: key id, MAC, then every secret opens
 * and is a well-formed plaintext of its kind.  WMGW_EAUTH on mismatch. */
int wmgw__vault_verify(const struct wmgw__vault_keys *k, const struct wmgw__vault_state *st, struct wmgw_err *err);

/* ---- the file format (vault_file.c) ---- */

/* Parses vault JSON text[0..n) into a model: structure and limits only,
 * no key needed (the MAC is checked by wmgw__vault_verify). */
int wmgw__vault_parse(const char *text, size_t n, struct wmgw__vault_state **out, struct wmgw_err *err);
/* Writes the model as vault JSON text into out. */
int wmgw__vault_format(const struct wmgw__vault_state *st, struct wmgw_buf *out, struct wmgw_err *err);

/* ---- files (vault_io.c) ---- */

/* What identifies the version of a file on disk. */
struct wmgw__vault_ident {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

bool wmgw__vault_ident_same(const struct wmgw__vault_ident *a, const struct wmgw__vault_ident *b);
/* The ident of path now (present false when it does not exist). */
int wmgw__vault_stat(const char *path, struct wmgw__vault_ident *out, struct wmgw_err *err);
/* Reads the whole file (at most WMGW_VAULT_MAX_FILE) and the ident of what
 * was read.  WMGW_ENOTFOUND when absent. */
int wmgw__vault_read(const char *path, struct wmgw_buf *out, struct wmgw__vault_ident *ident, struct wmgw_err *err);
/* Replaces path atomically with data: "<path>.tmp" created 0600, written,
 * fsync'ed; before_rename(arg) if set (a crash point for tests); rename;
 * fsync of the directory. */
int wmgw__vault_replace(const char *path, const char *data, size_t n, void (*before_rename)(void *), void *arg,
                        struct wmgw_err *err);
/* Takes the exclusive lock of "<path>.lock" (blocking); returns its fd. */
int wmgw__vault_lock(const char *path, int *fd, struct wmgw_err *err);
void wmgw__vault_unlock_file(int fd);

/* ---- the handle (vault_store.c), for vault_map.c and tests ---- */

/* A change to a copy of the current model, made under the write lock. */
typedef int (*wmgw__vault_change_fn)(struct wmgw__vault_state *st, const struct wmgw__vault_keys *k, void *arg,
                                     struct wmgw_err *err);
/* Reloads if needed, applies change to a copy, writes it, installs it. */
int wmgw__vault_change(struct wmgw_vault *v, wmgw__vault_change_fn change, void *arg, struct wmgw_err *err);
/* Read access to the current model; pair with wmgw__vault_read_end(). */
const struct wmgw__vault_state *wmgw__vault_read_begin(struct wmgw_vault *v);
void wmgw__vault_read_end(struct wmgw_vault *v);
/* Tests: called between writing the temp file and renaming it. */
void wmgw__vault_set_crash_point(struct wmgw_vault *v, void (*fn)(void *), void *arg);

#endif
