/*
 * vault.h: the credential vault: the backend credentials the gateway uses
 * on behalf of its callers, and the mappings that choose one for a caller
 * on a host.  Callers never hold backend credentials; the gateway reveals
 * one for the duration of a backend handshake and wipes it.
 *
 * Place in the request flow (design.md): after auth/sddl has allowed the
 * operation, wmgw_vault_resolve(principal, host groups) names the
 * credential, and the translator's transport calls wmgw_vault_reveal()
 * when it authenticates a connection.
 *
 * The master key (32 bytes) comes from a key file or from the value of an
 * environment variable, never from the configuration file
 * (wmgw_vault_key_*).  The store is one JSON file:
 *
 *   {"format": "wmgw-vault", "version": 1, "key_id": "<16 hex>",
 *    "generation": 7,
 *    "credentials": [{"id": "web-admin", "kind": "password", "user": "svc",
 *                     "domain": "CORP", "created": 1714500000,
 *                     "rotated": 1714600000, "version": 2,
 *                     "secret": "<base64url: nonce | ciphertext | tag>"}],
 *    "mappings": [{"subject_type": "group", "subject": "S-1-5-21-1-2-3-513",
 *                  "host_group": "web", "credential": "web-admin"}],
 *    "mac": "<base64url HMAC-SHA256>"}
 *
 * Metadata is in clear so operators can read and diff it; secrets never
 * are.  Each secret is sealed with AES-256-GCM under a fresh random 96-bit
 * nonce, with associated data binding it to the format version, the
 * credential's id, kind and version.  The whole file (metadata, mappings,
 * sealed secrets, generation) is authenticated by an HMAC-SHA256, because
 * clear metadata that nobody checks would let whoever can write the file
 * map themselves to someone else's credential.  Both keys are derived
 * from the master key with HKDF-SHA256; key_id, also derived, tells which
 * master key a file needs without revealing it.
 *
 * Consistency: writes take an exclusive flock on "<file>.lock" (so
 * replicas sharing the file on a volume serialize too), reload the file if
 * another writer changed it, and replace it atomically (temp file 0600,
 * fsync, rename, fsync of the directory).  Every write increments the
 * generation; a handle refuses to go back to an older generation than it
 * has seen (a rollback of the file).  A new process cannot tell an old
 * file from a current one: that would need state outside the file.
 * Reads are thread-safe and run in parallel (rwlock); writes are
 * serialized; a failed load or refresh leaves the handle as it was.
 *
 * SECURITY
 *      The file is untrusted input: parsed within limits (size, counts,
 *      lengths, charsets), then authenticated, then every secret is
 *      opened once, before anything is used; any failure refuses the whole
 *      file (WMGW_EAUTH for a wrong key or tampering, WMGW_EINVAL for a
 *      malformed file).  Revealed secrets live in secret memory
 *      (auth/secret.h) until wmgw_vault_revealed_wipe().  No error message
 *      contains secret bytes.  The API never returns a secret except
 *      through reveal; list and get return metadata.
 */
#ifndef WMGW_AUTH_VAULT_H
#define WMGW_AUTH_VAULT_H

#include "auth/secret.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WMGW_VAULT_KEY_LEN 32
#define WMGW_VAULT_ID_MAX 64          /* [A-Za-z0-9][A-Za-z0-9._-]*: ids and host groups */
#define WMGW_VAULT_NAME_MAX 256       /* bytes of UTF-8 in a user, domain or principal name */
#define WMGW_VAULT_SID_MAX 184        /* a SID string: S-1-... */
#define WMGW_VAULT_PASSWORD_MAX 1024  /* bytes */
#define WMGW_VAULT_BLOB_MAX 65536     /* a keytab, a certificate chain, a private key */
#define WMGW_VAULT_MAX_CREDENTIALS 4096
#define WMGW_VAULT_MAX_MAPPINGS 16384
#define WMGW_VAULT_MAX_FILE (48u << 20)

/* ---- the master key (vault_key.c) ---- */

struct wmgw_vault_key;

/* Reads a key file: 32 raw bytes, or their standard base64 (44 characters,
 * one trailing newline allowed).  The file is refused when its group or
 * others may read or write it (mode & 077): a key readable by other
 * accounts of the machine is no longer a secret, whatever the vault does.
 * (Kubernetes: mount the Secret with defaultMode 0400.) */
int wmgw_vault_key_load_file(const char *path, struct wmgw_vault_key **out, struct wmgw_err *err);

/* The key from an environment variable's value (standard base64 of 32
 * bytes).  The caller reads the variable (the configuration module owns
 * getenv) and should unset it afterwards: the environment is readable in
 * /proc/<pid>/environ by the same user. */
int wmgw_vault_key_from_base64(const char *value, struct wmgw_vault_key **out, struct wmgw_err *err);

/* A new random key, and writing one to a new file (mode 0400, O_EXCL) in
 * the key-file format, for `wmgw vault` tooling and tests. */
int wmgw_vault_key_generate(struct wmgw_vault_key **out, struct wmgw_err *err);
int wmgw_vault_key_write_file(const struct wmgw_vault_key *key, const char *path, struct wmgw_err *err);

/* The public key identifier (16 hex digits) that vault files record. */
void wmgw_vault_key_id(const struct wmgw_vault_key *key, char out[17]);

void wmgw_vault_key_free(struct wmgw_vault_key *key);

/* ---- credentials ---- */

enum wmgw_vault_kind {
    WMGW_VAULT_PASSWORD = 1,    /* user, domain, password: NTLM, Basic, Kerberos by password */
    WMGW_VAULT_KEYTAB = 2,      /* user (principal), realm, keytab bytes */
    WMGW_VAULT_CERTIFICATE = 3, /* PEM certificate chain and PEM private key */
};

const char *wmgw_vault_kind_name(enum wmgw_vault_kind kind); /* "password", ... */

/* What anyone may see of a credential. */
struct wmgw_vault_info {
    char id[WMGW_VAULT_ID_MAX + 1];
    enum wmgw_vault_kind kind;
    char user[WMGW_VAULT_NAME_MAX + 1];   /* required but for certificates */
    char domain[WMGW_VAULT_NAME_MAX + 1]; /* domain or realm; may be empty */
    int64_t created, rotated;             /* Unix seconds */
    uint64_t version;                     /* 1 when added, +1 on each rotation */
};

/* The secret part given to add and rotate; only the fields of the kind
 * are read.  The caller wipes its copies. */
struct wmgw_vault_material {
    const char *password; /* 1..WMGW_VAULT_PASSWORD_MAX bytes, no NUL */
    size_t password_len;
    const uint8_t *keytab; /* a keytab file (format 0x0502 or 0x0501) */
    size_t keytab_len;
    const char *cert_pem; /* "-----BEGIN CERTIFICATE-----"... */
    size_t cert_pem_len;
    const char *key_pem; /* "-----BEGIN ... PRIVATE KEY-----"... */
    size_t key_pem_len;
};

/* A revealed credential: metadata and views into one secret.  Strings are
 * NUL-terminated.  Wipe with wmgw_vault_revealed_wipe() when done. */
struct wmgw_vault_revealed {
    struct wmgw_vault_info info;
    struct wmgw_secret *secret; /* owns the bytes below */
    const char *password;
    size_t password_len;
    const uint8_t *keytab;
    size_t keytab_len;
    const char *cert_pem;
    size_t cert_pem_len;
    const char *key_pem;
    size_t key_pem_len;
};

struct wmgw_vault;

/* Opens the vault file at path, creating an empty one (mode 0600) when
 * there is none.  The key is copied (derived keys in secret memory); the
 * caller may free its key afterwards. */
int wmgw_vault_open(const char *path, const struct wmgw_vault_key *key, struct wmgw_vault **out,
                    struct wmgw_err *err);
void wmgw_vault_free(struct wmgw_vault *v);

/* Reloads the file when it changed on disk (inode, size or times), e.g.
 * written by another replica.  *changed (optional) tells whether it did.
 * On failure the handle keeps what it had. */
int wmgw_vault_refresh(struct wmgw_vault *v, bool *changed, struct wmgw_err *err);

/* add: info->id, kind, user, domain are used; the rest is set here.
 * WMGW_EEXIST when the id is taken, WMGW_EINVAL for bad names or material. */
int wmgw_vault_add(struct wmgw_vault *v, const struct wmgw_vault_info *info, const struct wmgw_vault_material *m,
                   struct wmgw_err *err);
/* Replaces the secret (same kind), bumps the version and "rotated". */
int wmgw_vault_rotate(struct wmgw_vault *v, const char *id, const struct wmgw_vault_material *m,
                      struct wmgw_err *err);
/* WMGW_ECONFLICT while a mapping still names the credential. */
int wmgw_vault_delete(struct wmgw_vault *v, const char *id, struct wmgw_err *err);

int wmgw_vault_get(struct wmgw_vault *v, const char *id, struct wmgw_vault_info *out, struct wmgw_err *err);
/* All credentials in stored order, in a malloc'ed array (free()). */
int wmgw_vault_list(struct wmgw_vault *v, struct wmgw_vault_info **out, size_t *n, struct wmgw_err *err);

/* Decrypts one credential's secret into secret memory. */
int wmgw_vault_reveal(struct wmgw_vault *v, const char *id, struct wmgw_vault_revealed *out,
                      struct wmgw_err *err);
/* Wipes and frees what reveal gave; safe to call twice. */
void wmgw_vault_revealed_wipe(struct wmgw_vault_revealed *r);

/* Re-encrypts every secret under new_key (fresh nonces) and rewrites the
 * file atomically; the handle then uses new_key.  Other handles on the
 * file must be reopened with the new key. */
int wmgw_vault_rekey(struct wmgw_vault *v, const struct wmgw_vault_key *new_key, struct wmgw_err *err);

/* ---- mappings (vault_map.c) ---- */

enum wmgw_vault_subject {
    WMGW_VAULT_SUBJECT_PRINCIPAL = 1, /* a principal name, compared byte for byte */
    WMGW_VAULT_SUBJECT_SID = 2,       /* a principal's SID string */
    WMGW_VAULT_SUBJECT_GROUP = 3,     /* a group SID string */
};

const char *wmgw_vault_subject_name(enum wmgw_vault_subject s); /* "principal", "sid", "group" */

struct wmgw_vault_mapping {
    enum wmgw_vault_subject subject_type;
    char subject[WMGW_VAULT_NAME_MAX + 1];
    char host_group[WMGW_VAULT_ID_MAX + 1];
    char credential[WMGW_VAULT_ID_MAX + 1];
};

/* Adds a mapping at the end, or changes the credential of the one with
 * the same subject and host group (keeping its place).  WMGW_ENOTFOUND
 * when the credential does not exist. */
int wmgw_vault_map_set(struct wmgw_vault *v, const struct wmgw_vault_mapping *m, struct wmgw_err *err);
int wmgw_vault_map_delete(struct wmgw_vault *v, enum wmgw_vault_subject type, const char *subject,
                          const char *host_group, struct wmgw_err *err);
/* All mappings in stored order, malloc'ed (free()). */
int wmgw_vault_map_list(struct wmgw_vault *v, struct wmgw_vault_mapping **out, size_t *n, struct wmgw_err *err);

/* Who is asking: from auth/authn.  name and sid may be NULL. */
struct wmgw_vault_principal {
    const char *name;
    const char *sid;
    const char *const *group_sids;
    size_t n_group_sids;
};

/* The credential for principal on a host that belongs to host_groups:
 * among the mappings whose host group is one of the host's, one for the
 * principal itself (name or SID) wins over one for a group; among equals,
 * the first in stored order.  WMGW_EACCES when none applies. */
int wmgw_vault_resolve(struct wmgw_vault *v, const struct wmgw_vault_principal *who,
                       const char *const *host_groups, size_t n_host_groups, char credential[WMGW_VAULT_ID_MAX + 1],
                       struct wmgw_err *err);

#endif
