/*
 * backend.c: life cycle of struct wmgw_backend (backend.h) and the
 * protocol names used by the configuration and the REST API.
 *
 * A backend is shared by the host registry and every call in flight, on
 * any worker: the reference count is atomic and the fields are read-only
 * once published (a change makes a copy, with a new id, so pools keyed on
 * the old id are never handed to the new settings).  The password is wiped
 * before its memory is freed.
 */
#include "translators/backend.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

static atomic_uint_fast64_t next_id = 1;

static const char *const protocol_names[] = {
    [WMGW_PROTO_AUTO] = "auto",
    [WMGW_PROTO_WSMV] = "wsmv",
    [WMGW_PROTO_WSMAN2003] = "wsman2003",
    [WMGW_PROTO_DCOM] = "dcom",
};

const char *wmgw_protocol_name(enum wmgw_protocol p)
{
    if ((unsigned)p < sizeof(protocol_names) / sizeof(protocol_names[0]))
        return protocol_names[p];
    return "unknown";
}

int wmgw_protocol_parse(const char *s, enum wmgw_protocol *out)
{
    if (s == NULL)
        return WMGW_EINVAL;
    for (size_t i = 0; i < sizeof(protocol_names) / sizeof(protocol_names[0]); i++) {
        if (strcasecmp(s, protocol_names[i]) == 0) {
            *out = (enum wmgw_protocol)i;
            return 0;
        }
    }
    return WMGW_EINVAL;
}

uint16_t wmgw_protocol_default_port(enum wmgw_protocol p, bool tls)
{
    if (p == WMGW_PROTO_DCOM)
        return 135;
    return tls ? 5986 : 5985;
}

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* A PEM text of known length (certificate credentials): wiped, freed. */
static void free_blob(char **p, size_t *len)
{
    if (*p != NULL) {
        OPENSSL_cleanse(*p, *len);
        free(*p);
    }
    *p = NULL;
    *len = 0;
}

/* Copies a PEM text of known length (NUL-terminated too, for OpenSSL's
 * BIOs and for logs that must never see it: it is never printed). */
static bool dup_blob(char **dst, size_t *dst_len, const char *src, size_t len)
{
    *dst = NULL;
    *dst_len = 0;
    if (src == NULL)
        return true;
    if ((*dst = malloc(len + 1)) == NULL)
        return false;
    memcpy(*dst, src, len);
    (*dst)[len] = '\0';
    *dst_len = len;
    return true;
}

static void drop_secrets(struct wmgw_backend *b)
{
    free_secret(b->password);
    b->password = NULL;
    if (b->keytab != NULL) {
        OPENSSL_cleanse(b->keytab, b->keytab_len);
        free(b->keytab);
    }
    b->keytab = NULL;
    b->keytab_len = 0;
    free_blob(&b->cert_pem, &b->cert_pem_len);
    free_blob(&b->key_pem, &b->key_pem_len);
}

static void free_backend(struct wmgw_backend *b)
{
    free(b->name);
    free(b->address);
    free(b->ip);
    free(b->path);
    free(b->user);
    drop_secrets(b);
    free(b->ca_file);
    free(b->tls_name);
    free(b->auth);
    free(b->spn);
    free(b->encryption);
    free(b->domain);
    free(b);
}

struct wmgw_backend *wmgw_backend_new(const char *name)
{
    struct wmgw_backend *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    atomic_init(&b->refcnt, 1);
    b->id = atomic_fetch_add(&next_id, 1);
    b->name = name != NULL ? strdup(name) : NULL;
    b->path = strdup("/wsman");
    if ((name != NULL && b->name == NULL) || b->path == NULL) {
        free_backend(b);
        return NULL;
    }
    b->port = 5985;
    b->protocol = WMGW_PROTO_WSMV;
    b->connect_timeout_ms = 5000;
    b->operation_timeout_ms = 60000;
    b->max_envelope_size = 512000;
    b->max_elements = 500;
    b->channel_binding = true; /* harmless where the host does not check it */
    b->pool_size = 16; /* enough for a busy worker: a pool too small opens a connection per request */
    return b;
}

struct wmgw_backend *wmgw_backend_ref(struct wmgw_backend *b)
{
    if (b != NULL)
        atomic_fetch_add(&b->refcnt, 1);
    return b;
}

void wmgw_backend_unref(struct wmgw_backend *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refcnt, 1) == 1)
        free_backend(b);
}

/* Copies one optional string; false when memory ran out. */
static bool dup_field(char **dst, const char *src)
{
    *dst = src != NULL ? strdup(src) : NULL;
    return src == NULL || *dst != NULL;
}

struct wmgw_backend *wmgw_backend_copy(const struct wmgw_backend *b)
{
    struct wmgw_backend *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = (struct wmgw_backend){
        .port = b->port,
        .tls = b->tls,
        .protocol = b->protocol,
        .tls_insecure = b->tls_insecure,
        .connect_timeout_ms = b->connect_timeout_ms,
        .operation_timeout_ms = b->operation_timeout_ms,
        .max_envelope_size = b->max_envelope_size,
        .max_elements = b->max_elements,
        .pool_size = b->pool_size,
        .dcom_auth_level = b->dcom_auth_level,
        .channel_binding = b->channel_binding,
    };
    atomic_init(&c->refcnt, 1);
    c->id = atomic_fetch_add(&next_id, 1);
    bool ok = dup_field(&c->name, b->name);
    ok = dup_field(&c->address, b->address) && ok;
    ok = dup_field(&c->ip, b->ip) && ok;
    ok = dup_field(&c->path, b->path) && ok;
    ok = dup_field(&c->user, b->user) && ok;
    ok = dup_field(&c->password, b->password) && ok;
    ok = dup_field(&c->ca_file, b->ca_file) && ok;
    ok = dup_field(&c->tls_name, b->tls_name) && ok;
    ok = dup_field(&c->auth, b->auth) && ok;
    ok = dup_field(&c->spn, b->spn) && ok;
    ok = dup_field(&c->encryption, b->encryption) && ok;
    ok = dup_field(&c->domain, b->domain) && ok;
    if (b->keytab != NULL) {
        c->keytab = malloc(b->keytab_len ? b->keytab_len : 1);
        ok = c->keytab != NULL && ok;
        if (c->keytab != NULL) {
            memcpy(c->keytab, b->keytab, b->keytab_len);
            c->keytab_len = b->keytab_len;
        }
    }
    ok = dup_blob(&c->cert_pem, &c->cert_pem_len, b->cert_pem, b->cert_pem_len) && ok;
    ok = dup_blob(&c->key_pem, &c->key_pem_len, b->key_pem, b->key_pem_len) && ok;
    if (!ok) {
        free_backend(c);
        return NULL;
    }
    return c;
}

struct wmgw_backend *wmgw_backend_copy_without_secrets(const struct wmgw_backend *b)
{
    struct wmgw_backend *c = wmgw_backend_copy(b);
    if (c != NULL) {
        c->id = b->id;
        drop_secrets(c);
    }
    return c;
}
