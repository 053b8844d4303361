/*
 * classes.h: class schemas the gateway has fetched, shared by all workers.
 *
 * WS-Management text cannot tell uint64 "5" from string "5", so every
 * instance is decoded against its class; schemas are fetched once per host
 * (GET_CLASS) and kept.  Entries are counted: a caller holds a reference
 * for as long as it decodes with the class, so a refresh or a host change
 * never frees a schema in use.
 */
#ifndef WMGW_GATEWAY_CLASSES_H
#define WMGW_GATEWAY_CLASSES_H

#include <stdatomic.h>
#include <stdint.h>

#include "cim/cim.h"
#include "translators/translator.h"

struct wmgw_gateway;
struct wmgw_worker;
struct wmgw_host;

struct wmgw_class_entry {
    atomic_uint refcnt;
    uint64_t backend_id;
    char *namespace_;
    struct wmgw_cim_class *cls;
    int64_t fetched_at;
};

struct wmgw_classes;

struct wmgw_classes *wmgw_classes_new(unsigned ttl_seconds);
void wmgw_classes_free(struct wmgw_classes *cc);
/* Forgets every schema of a backend (host changed or removed). */
void wmgw_classes_forget(struct wmgw_classes *cc, uint64_t backend_id);

struct wmgw_class_entry *wmgw_class_entry_ref(struct wmgw_class_entry *e);
void wmgw_class_entry_unref(struct wmgw_class_entry *e);

/* A cached schema (counted reference) or NULL; never fetches. */
struct wmgw_class_entry *wmgw_classes_peek(struct wmgw_classes *cc, uint64_t backend_id, const char *ns,
                                           const char *class_name);

/* Gets a schema, from the cache or the host.  cb runs once, on the
 * worker's loop (possibly before this returns), with a counted reference
 * or with err.  The returned fetch can be cancelled (then cb never runs);
 * NULL when cb already ran.  `as` is the backend (credential) to ask the
 * host as, NULL for the host's configured one; the cache is the host's
 * either way (a schema does not depend on who reads it). */
struct wmgw_class_fetch;
typedef void (*wmgw_class_cb)(void *data, struct wmgw_class_entry *entry, const struct wmgw_backend_error *err);
struct wmgw_class_fetch *wmgw_classes_get(struct wmgw_gateway *gw, struct wmgw_worker *w, struct wmgw_host *host,
                                          struct wmgw_backend *as, const char *ns, const char *class_name,
                                          wmgw_class_cb cb, void *data);
void wmgw_class_fetch_cancel(struct wmgw_class_fetch *f);

#endif
