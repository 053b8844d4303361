/*
 * wmio.h: the MS-WMIO codec: CIM classes and instances as WMI over DCOM
 * carries them (IWbemClassObject, custom-marshaled in an OBJREF_CUSTOM
 * whose data is an MS-WMIO EncodingUnit), to and from the CIM model
 * (cim/cim.h).  Used by the DCOM translator and by the DCOM side of the
 * simulator; it does no I/O.
 *
 * Decoding.  Every input is network-fed: reads are bounded by the blob,
 * every offset and length is checked, embedded objects nest at most
 * WMGW_WMIO_MAX_DEPTH deep, and the decoded model may not grow beyond
 * WMGW_WMIO_BUDGET(len) bytes (no amplification through shared heap items).
 * A bad blob gives WMGW_EPROTO with a message naming what was wrong and the
 * byte offset (err->position, counted from the start of the input; -1 in a
 * class part that came from the cache); no output is left behind on any
 * failure.
 *
 *   class     -> struct wmgw_cim_class: properties sorted case-insensitively
 *                by name; key/read/write/required, In/Out from boolean
 *                qualifiers; Description; CIMTYPE gives ref:/object: targets
 *                (and marks string properties that hold datetimes or
 *                references); other qualifiers kept by name (SubType, which
 *                marks intervals, ValueMap, units...); defaults from the
 *                class value table; methods from the MethodsPart, their
 *                parameters ordered by their ID qualifier, ReturnValue as
 *                the return type, Static from the method qualifiers.
 *   instance  -> struct wmgw_cim_instance: every property of its class, in
 *                the class's order; NULL from the NdTable, class defaults
 *                where the NdTable says "default"; datetimes as their DMTF
 *                string; references parsed from WMI object path text;
 *                embedded objects decoded recursively (an embedded class
 *                becomes an instance holding the class's defaults).
 *
 * Encoding produces an EncodingUnit (signature 0x12345678, length,
 * ObjectBlock) that impacket's parser and Windows read: strings that fit
 * Latin-1 with flag 0, others UTF-16; the value table in declaration order;
 * the instance heap starting with the class name (impacket reads heap
 * offset 0 as "no value"); string and object arrays with their items right
 * after the reference table; qualifier and property names that are in the
 * MS-WMIO dictionary as dictionary references (values never: impacket
 * cannot follow them).  For PutInstance and ExecMethod, reuse the class
 * part the server sent (a cache entry, below): Windows rejects class images
 * it did not make.
 *
 * The spec's errata are followed as protocol-notes.md 4.5/7 says: array
 * types are base | 0x2000 (not the table in WMIO 2.2.82); NdTable bit 0 is
 * NULL and bit 1 "default/inherited" (impacket's encoder swaps them); the
 * NdTable is indexed by DeclarationOrder and values found through
 * ValueTableOffset.  Other readings of the spec are listed in wmio_int.h.
 */
#ifndef WMGW_TRANSLATORS_WMI_WMIO_H
#define WMGW_TRANSLATORS_WMI_WMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim.h"

struct wmgw_buf;
struct wmgw_err;

/* --- limits ------------------------------------------------------------- */

#define WMGW_WMIO_MAX_DEPTH 32           /* nested objects (embedded values, method signatures) */
#define WMGW_WMIO_MAX_INPUT (16u << 20)  /* one EncodingUnit / OBJREF */
#define WMGW_WMIO_MAX_OUTPUT (16u << 20) /* one encoded object */
#define WMGW_WMIO_MAX_MEMBERS 8192       /* properties of a class part, methods, qualifiers of a set */
/* Bytes of model a blob of len bytes may decode to (values, strings, declarations). */
#define WMGW_WMIO_BUDGET(len) (((size_t)1 << 20) + 32 * (size_t)(len))

/* ObjectFlags (MS-WMIO 2.2.6). */
#define WMGW_WMIO_OBJ_CLASS 0x01
#define WMGW_WMIO_OBJ_INSTANCE 0x02
#define WMGW_WMIO_OBJ_DECORATED 0x04
#define WMGW_WMIO_OBJ_PROTOTYPE 0x10    /* query prototype (WMI 2.2.4.1) */
#define WMGW_WMIO_OBJ_KEYS_MISSING 0x40 /* prototype without some keys */

/* --- the per-connection class cache -------------------------------------- */

/* One class part as a server sent it, and what it decodes to. */
struct wmgw_wmio_sig {
    char *method;
    uint8_t *in_part, *out_part; /* __PARAMETERS ClassPart bytes; NULL when the method has none */
    size_t in_len, out_len;
};

struct wmgw__wmio_layout;

struct wmgw_wmio_class_entry {
    char *name;
    uint64_t hash;        /* FNV-1a of part */
    uint8_t *part;        /* the ClassPart bytes, exactly as received */
    size_t part_len;
    bool full;            /* from a class object (GetObject of the class), not from an
                           * instance: a query projection's class part lists fewer properties */
    struct wmgw_cim_class *cls; /* decoded; methods only when full */
    size_t nsigs;         /* full entries: each method's signature class parts */
    struct wmgw_wmio_sig *sigs;
    struct wmgw__wmio_layout *layout; /* internal: where each value lives */
    unsigned long used;   /* LRU clock */
};

/* Class parts met on one connection, keyed by class name and the hash of
 * their bytes, so the instances of one enumeration decode their class
 * once, and PutInstance/ExecMethod can send back the server's own bytes.
 * Owner: whoever embeds it (the DCOM connection); single-threaded like the
 * connection.  Entries are owned by the cache: a pointer from _find() stays
 * valid until the next decode that uses this cache, or _dispose(). */
struct wmgw_wmio_class_cache {
    size_t n, max;          /* entries, at most max */
    size_t bytes, max_bytes; /* class part bytes held, at most max_bytes */
    struct wmgw_wmio_class_entry **items;
    unsigned long clock;
};

#define WMGW_WMIO_CACHE_BYTES (8u << 20)
/* max_entries 0: 64.  The least recently used entry goes first. */
void wmgw_wmio_class_cache_init(struct wmgw_wmio_class_cache *c, size_t max_entries);
void wmgw_wmio_class_cache_dispose(struct wmgw_wmio_class_cache *c);
/* The newest full entry for a class name (case-insensitive), or NULL. */
const struct wmgw_wmio_class_entry *wmgw_wmio_class_cache_find(struct wmgw_wmio_class_cache *c, const char *name);
/* A wmgw_wmio_lookup_fn over the cache's full entries (ctx = the cache). */
const struct wmgw_cim_class *wmgw_wmio_class_cache_lookup(void *ctx, const char *name);

/* --- decoding -------------------------------------------------------------- */

/* What one ObjectBlock decoded to.  Owned by the caller: _dispose(). */
struct wmgw_wmio_object {
    unsigned flags;            /* WMGW_WMIO_OBJ_* as received */
    char *server;              /* Decoration: origin server, NULL when undecorated */
    char *namespace_;          /* Decoration namespace as "root/cimv2", else opts->namespace_ (may be NULL) */
    size_t nderiv;             /* the DerivationList: superclasses, nearest first */
    char **deriv;
    struct wmgw_cim_class *cls;       /* a class; for an instance only when opts->want_class */
    struct wmgw_cim_instance *inst;   /* an instance (refcnt 1) */
};

void wmgw_wmio_object_dispose(struct wmgw_wmio_object *o);

struct wmgw_wmio_decode_opts {
    struct wmgw_wmio_class_cache *cache; /* consulted and filled; may be NULL */
    const char *namespace_;   /* for objects without a Decoration; may be NULL */
    bool want_class;          /* instances: return their class too (a copy) */
};

/* An EncodingUnit: Signature, ObjectEncodingLength, ObjectBlock.  Bytes past
 * the ObjectBlock are ignored; a length that claims more bytes than given
 * is bounded by what was given (MS-WMIO's own example over-declares). */
int wmgw_wmio_decode_unit(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                          struct wmgw_wmio_object *out, struct wmgw_err *err);
/* A bare ObjectBlock (EncodingUnitObjectBlock, WMI 2.2.14.2/3). */
int wmgw_wmio_decode_block(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                           struct wmgw_wmio_object *out, struct wmgw_err *err);
/* An instance without its class part (EncodingUnitInstanceNoClass, WMI
 * 2.2.14.4): the class part of an earlier instance, found by the caller. */
int wmgw_wmio_decode_noclass(const uint8_t *p, size_t len, const struct wmgw_wmio_class_entry *cls,
                             const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                             struct wmgw_err *err);
/* The abData of an MInterfacePointer: an OBJREF_CUSTOM (wmio_objref.c). */
int wmgw_wmio_decode_objref(const uint8_t *p, size_t len, const struct wmgw_wmio_decode_opts *opts,
                            struct wmgw_wmio_object *out, struct wmgw_err *err);

/* --- encoding -------------------------------------------------------------- */

/* Finds a class definition by name: superclasses (derivation list,
 * inherited members, the ParentClass part) and classes of embedded objects. */
typedef const struct wmgw_cim_class *(*wmgw_wmio_lookup_fn)(void *ctx, const char *class_name);

struct wmgw_wmio_encode_opts {
    const char *server;        /* with namespace_: a Decoration; both NULL: none */
    const char *namespace_;    /* "root/cimv2" (written with backslashes) */
    wmgw_wmio_lookup_fn lookup; /* may be NULL: classes stand alone */
    void *lookup_ctx;
    /* Server class parts: embedded objects use a full entry of their class
     * when there is one.  May be NULL. */
    struct wmgw_wmio_class_cache *cache;
    /* encode_instance: send this class part as is (the server's bytes)
     * instead of one built from the class.  May be NULL. */
    const struct wmgw_wmio_class_entry *class_part;
};

/* A class object (ClassType: ParentClass, CurrentClass, both with their
 * MethodsPart), as GetObject of a class returns it. */
int wmgw_wmio_encode_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls,
                           const struct wmgw_wmio_encode_opts *opts, struct wmgw_err *err);
/* An instance of cls (for PutInstance).  Properties of inst must be
 * declared by the class and hold values of the declared type (or NULL);
 * properties inst leaves out take the class default.  cls may be NULL when
 * opts->class_part is given. */
int wmgw_wmio_encode_instance(struct wmgw_buf *out, const struct wmgw_cim_instance *inst,
                              const struct wmgw_cim_class *cls, const struct wmgw_wmio_encode_opts *opts,
                              struct wmgw_err *err);
/* The __PARAMETERS instance of a method call: in-parameters (out_params
 * false, ExecMethod's pInParams) or out-parameters with ReturnValue (the
 * reply).  The signature class part comes from opts->class_part's
 * signatures when it has this method, else it is built from cls's method. */
int wmgw_wmio_encode_params(struct wmgw_buf *out, const struct wmgw_cim_class *cls, const char *method,
                            bool out_params, const struct wmgw_cim_proplist *params,
                            const struct wmgw_wmio_encode_opts *opts, struct wmgw_err *err);

/* --- the OBJREF_CUSTOM wrapper (MS-DCOM 2.2.18.6, MS-WMI 2.2.4) ------------ */

/* Appends an OBJREF_CUSTOM ("MEOW", flags 4, IID_IWbemClassObject,
 * CLSID_WbemClassObject) carrying the EncodingUnit unit[0..len). */
int wmgw_wmio_objref_wrap(struct wmgw_buf *out, const uint8_t *unit, size_t len);
/* Finds the EncodingUnit inside an OBJREF_CUSTOM; checks the signature,
 * flags, IID and CLSID. */
int wmgw_wmio_objref_unwrap(const uint8_t *p, size_t len, const uint8_t **unit, size_t *unit_len,
                            struct wmgw_err *err);

#endif
