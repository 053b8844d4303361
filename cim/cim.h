/*
 * cim.h: the one in-memory form of CIM data for every protocol.
 *
 * Translators decode WS-Management XML and MS-WMIO blobs into these
 * structures; one JSON writer (cim/json.h) turns them into the REST API's
 * JSON, so a Win32_Service read over any protocol gives identical JSON.
 * The simulator (tests/sim) keeps its store in the same structures.
 *
 * Ownership: every pointer inside a value, property, reference, instance or
 * class is owned by it and freed with it (deep free).  Instances carry a
 * reference count so that a store and an open enumeration can share one
 * immutable instance: wmgw_cim_instance_ref()/_unref(); whoever wants to
 * change a shared instance copies it first (wmgw_cim_instance_copy()).
 *
 * Names of classes, properties, methods and namespaces are case-insensitive
 * in CIM; every lookup here compares with strcasecmp and keeps the case it
 * was given.  Strings are UTF-8.
 */
#ifndef WMGW_CIM_CIM_H
#define WMGW_CIM_CIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wmgw_buf;

/* CIM types, numbered as MS-WMIO numbers them (CIMTYPE), so the DCOM codec
 * needs no second table.  An array type is the base type | WMGW_CIM_ARRAY. */
enum wmgw_cim_type {
    WMGW_CIM_NONE = 0,
    WMGW_CIM_SINT16 = 2,
    WMGW_CIM_SINT32 = 3,
    WMGW_CIM_REAL32 = 4,
    WMGW_CIM_REAL64 = 5,
    WMGW_CIM_STRING = 8,
    WMGW_CIM_BOOLEAN = 11,
    WMGW_CIM_OBJECT = 13,
    WMGW_CIM_SINT8 = 16,
    WMGW_CIM_UINT8 = 17,
    WMGW_CIM_UINT16 = 18,
    WMGW_CIM_UINT32 = 19,
    WMGW_CIM_SINT64 = 20,
    WMGW_CIM_UINT64 = 21,
    WMGW_CIM_DATETIME = 101, /* a timestamp or an interval: see cim/datetime.h */
    WMGW_CIM_REFERENCE = 102,
    WMGW_CIM_CHAR16 = 103,
};
#define WMGW_CIM_ARRAY 0x2000
#define WMGW_CIM_BASETYPE(t) ((t) & ~WMGW_CIM_ARRAY)
#define WMGW_CIM_IS_ARRAY(t) (((t) & WMGW_CIM_ARRAY) != 0)

struct wmgw_cim_instance;
struct wmgw_cim_ref;

/* One value.  `type` always says what the union holds, even when `null`. */
struct wmgw_cim_value {
    uint16_t type; /* enum wmgw_cim_type, possibly | WMGW_CIM_ARRAY */
    bool null;
    union {
        int64_t s;       /* SINT8..SINT64 */
        uint64_t u;      /* UINT8..UINT64 */
        double r;        /* REAL32, REAL64 */
        bool b;          /* BOOLEAN */
        uint16_t c16;    /* CHAR16: one UTF-16 code unit */
        char *str;       /* STRING; DATETIME as its 25-character DMTF form */
        struct wmgw_cim_ref *ref;        /* REFERENCE */
        struct wmgw_cim_instance *obj;   /* OBJECT (embedded; owned) */
        struct {
            size_t n;
            struct wmgw_cim_value *v; /* elements: same base type, never null */
        } arr;
    } u;
};

/* A named value: a property of an instance, a key of a reference, a
 * parameter of a method call. */
struct wmgw_cim_prop {
    char *name;
    struct wmgw_cim_value value;
};

/* A list of named values in a chosen order. */
struct wmgw_cim_proplist {
    size_t n, cap;
    struct wmgw_cim_prop *items;
};

/* A reference (CIM object path): which instance, never where it lives on
 * the network.  `host` is informational only; the gateway never connects
 * to an address taken from a reference. */
struct wmgw_cim_ref {
    char *host;      /* may be NULL */
    char *namespace_; /* "root/cimv2" (forward slashes), may be NULL */
    char *class_name;
    struct wmgw_cim_proplist keys;
};

struct wmgw_cim_instance {
    unsigned refcnt;
    char *class_name;
    char *namespace_; /* may be NULL */
    struct wmgw_cim_proplist props;
};

/* --- schema ------------------------------------------------------------ */

/* Qualifier flags the model understands; other qualifiers are kept by name. */
enum {
    WMGW_CIM_Q_KEY = 1 << 0,
    WMGW_CIM_Q_READ = 1 << 1,
    WMGW_CIM_Q_WRITE = 1 << 2,
    WMGW_CIM_Q_REQUIRED = 1 << 3,
    WMGW_CIM_Q_STATIC = 1 << 4,   /* methods */
    WMGW_CIM_Q_IN = 1 << 5,       /* parameters */
    WMGW_CIM_Q_OUT = 1 << 6,      /* parameters */
    WMGW_CIM_Q_ASSOCIATION = 1 << 7, /* classes */
    WMGW_CIM_Q_SINGLETON = 1 << 8,   /* classes */
    WMGW_CIM_Q_ABSTRACT = 1 << 9,    /* classes */
    /* WMI's provider capability qualifiers (classes). */
    WMGW_CIM_Q_SUPPORTS_CREATE = 1 << 10,
    WMGW_CIM_Q_SUPPORTS_UPDATE = 1 << 11,
    WMGW_CIM_Q_SUPPORTS_DELETE = 1 << 12,
};

struct wmgw_cim_propdecl {
    char *name;
    uint16_t type;
    char *ref_class; /* REFERENCE and OBJECT: the target class name (bare); else NULL */
    unsigned flags;  /* WMGW_CIM_Q_* */
    char *description; /* may be NULL */
    struct wmgw_cim_proplist qualifiers; /* other qualifiers, by name */
    struct wmgw_cim_value default_value; /* null when none */
};

struct wmgw_cim_method {
    char *name;
    uint16_t return_type; /* WMGW_CIM_NONE for void */
    unsigned flags;       /* WMGW_CIM_Q_STATIC */
    size_t nparams;
    struct wmgw_cim_propdecl *params; /* flags carry WMGW_CIM_Q_IN / _OUT */
};

struct wmgw_cim_class {
    char *name;
    char *superclass; /* may be NULL */
    char *namespace_;
    unsigned flags;   /* WMGW_CIM_Q_ASSOCIATION, _SINGLETON, _ABSTRACT, _SUPPORTS_* */
    char *description;
    size_t nprops;
    struct wmgw_cim_propdecl *props; /* inherited properties included */
    size_t nmethods;
    struct wmgw_cim_method *methods;
};

/* --- types ------------------------------------------------------------- */

/* "uint32", "string", "datetime", "reference", "object"... (base name). */
const char *wmgw_cim_type_name(uint16_t type);
/* Parses "uint32", "string[]", "ref:Win32_Service", "object:Foo",
 * "datetime", "interval" (= datetime).  *ref_class receives a malloc'd
 * class name for ref:/object: forms (NULL otherwise).  0 or WMGW_EINVAL. */
int wmgw_cim_type_parse(const char *s, uint16_t *type, char **ref_class);
bool wmgw_cim_type_is_integer(uint16_t type);
bool wmgw_cim_type_is_signed(uint16_t type);
/* Range of an integer base type. */
void wmgw_cim_type_range(uint16_t type, int64_t *min, uint64_t *max);

/* --- values ------------------------------------------------------------ */

void wmgw_cim_value_init_null(struct wmgw_cim_value *v, uint16_t type);
void wmgw_cim_value_dispose(struct wmgw_cim_value *v); /* leaves it null */
int wmgw_cim_value_copy(struct wmgw_cim_value *dst, const struct wmgw_cim_value *src);
/* Takes ownership of s (may be NULL for null). */
void wmgw_cim_value_set_string(struct wmgw_cim_value *v, char *s);
/* Octet strings as WMI passes them (uint8[]: a binary security descriptor,
 * for one).  set: v becomes a uint8[] of p[0..len); 0 or WMGW_ENOMEM.
 * get: a malloc'd copy of the bytes of a non-null array of at most max
 * elements (each taken as its low byte); WMGW_EINVAL otherwise, or
 * WMGW_ENOMEM. */
int wmgw_cim_value_set_bytes(struct wmgw_cim_value *v, const uint8_t *p, size_t len);
int wmgw_cim_value_get_bytes(const struct wmgw_cim_value *v, size_t max, uint8_t **out, size_t *len);
bool wmgw_cim_value_equal(const struct wmgw_cim_value *a, const struct wmgw_cim_value *b);

/* Text form as WS-Management carries it (and WQL literals compare with):
 * integers in decimal, booleans "true"/"false", reals with %.17g (or
 * "INF", "-INF", "NaN"), char16 as the character, strings as is, datetimes
 * as the DMTF string.  Not for references, objects or arrays. */
int wmgw_cim_value_to_text(const struct wmgw_cim_value *v, struct wmgw_buf *out);
/* Parses text of the given scalar base type into v.  Integers are range
 * checked; booleans accept true/false/1/0 in any case; datetimes accept the
 * DMTF form, xs:dateTime and xs:duration (see cim/datetime.h). */
int wmgw_cim_value_from_text(struct wmgw_cim_value *v, uint16_t type, const char *text, size_t len);
/* dst = src as the declared type: a copy when the types match, else each
 * scalar through its text form (so the JSON reader's sint32 for an untyped
 * embedded object's integer fits a uint32 schema).  WMGW_EINVAL when a
 * value does not fit the type, or array and scalar, reference or object
 * kinds differ. */
int wmgw_cim_value_convert(struct wmgw_cim_value *dst, uint16_t type, const struct wmgw_cim_value *src);

/* --- property lists ---------------------------------------------------- */

void wmgw_cim_proplist_dispose(struct wmgw_cim_proplist *l);
int wmgw_cim_proplist_copy(struct wmgw_cim_proplist *dst, const struct wmgw_cim_proplist *src);
struct wmgw_cim_prop *wmgw_cim_proplist_find(const struct wmgw_cim_proplist *l, const char *name);
/* Same, trying index *hint first and leaving *hint just past the match:
 * walking a list in the order of its class costs one comparison a name. */
struct wmgw_cim_prop *wmgw_cim_proplist_find_hint(const struct wmgw_cim_proplist *l, const char *name, size_t *hint);
/* Appends a new entry (name copied) with a null value of `type`; returns it. */
struct wmgw_cim_prop *wmgw_cim_proplist_add(struct wmgw_cim_proplist *l, const char *name, uint16_t type);
/* Finds or adds `name`, then moves *value into it (value is left null). */
int wmgw_cim_proplist_put(struct wmgw_cim_proplist *l, const char *name, struct wmgw_cim_value *value);
bool wmgw_cim_proplist_remove(struct wmgw_cim_proplist *l, const char *name);

/* --- references -------------------------------------------------------- */

struct wmgw_cim_ref *wmgw_cim_ref_new(const char *namespace_, const char *class_name);
void wmgw_cim_ref_free(struct wmgw_cim_ref *r);
struct wmgw_cim_ref *wmgw_cim_ref_copy(const struct wmgw_cim_ref *r);
/* Same class (case-insensitive) and the same keys with equal values, in any order. */
bool wmgw_cim_ref_equal(const struct wmgw_cim_ref *a, const struct wmgw_cim_ref *b);

/* --- instances --------------------------------------------------------- */

struct wmgw_cim_instance *wmgw_cim_instance_new(const char *class_name, const char *namespace_);
struct wmgw_cim_instance *wmgw_cim_instance_ref(struct wmgw_cim_instance *inst);
void wmgw_cim_instance_unref(struct wmgw_cim_instance *inst);
/* A deep copy with refcnt 1. */
struct wmgw_cim_instance *wmgw_cim_instance_copy(const struct wmgw_cim_instance *inst);
const struct wmgw_cim_value *wmgw_cim_instance_get(const struct wmgw_cim_instance *inst, const char *name);
/* Gives every reference without a namespace (a relative one, as a caller
 * may write it) the namespace ns, through arrays and embedded objects. */
int wmgw_cim_resolve_refs(struct wmgw_cim_proplist *l, const char *ns);

/* The reference naming this instance, built from the class's key properties. */
struct wmgw_cim_ref *wmgw_cim_instance_path(const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls);

/* --- classes ----------------------------------------------------------- */

struct wmgw_cim_class *wmgw_cim_class_new(const char *name, const char *namespace_);
void wmgw_cim_class_free(struct wmgw_cim_class *c);
const struct wmgw_cim_propdecl *wmgw_cim_class_prop(const struct wmgw_cim_class *c, const char *name);
const struct wmgw_cim_method *wmgw_cim_class_method(const struct wmgw_cim_class *c, const char *name);
size_t wmgw_cim_class_key_count(const struct wmgw_cim_class *c);
/* Adds a property declaration (name copied, fields zeroed); returns it. */
struct wmgw_cim_propdecl *wmgw_cim_class_add_prop(struct wmgw_cim_class *c, const char *name, uint16_t type);
struct wmgw_cim_method *wmgw_cim_class_add_method(struct wmgw_cim_class *c, const char *name);
struct wmgw_cim_propdecl *wmgw_cim_method_add_param(struct wmgw_cim_method *m, const char *name, uint16_t type);
void wmgw_cim_propdecl_dispose(struct wmgw_cim_propdecl *p);

/* Namespaces: "root/cimv2" is the canonical form; backslashes are accepted
 * and turned into slashes.  Returns a malloc'd string. */
char *wmgw_cim_namespace_normalize(const char *ns);

/* strdup that tolerates NULL. */
char *wmgw_cim_strdup(const char *s);

#endif
