/*
 * wmio_int.h: what the wmio_*.c files share and nobody else uses.
 *
 * Readings of MS-WMIO where the text leaves room (besides the errata in
 * wmio.h):
 * - ClassOfOrigin / MethodOrigin count from the root of the class chain
 *   (Windows: ActiveScriptEventConsumer's own properties say 3 with three
 *   superclasses, __EventConsumer's say 2), not from the DerivationList's
 *   first (nearest) entry; the spec's single-parent example fits both.
 * - The PropertyLookupTable is written sorted case-insensitively, as
 *   Windows does; it is not required sorted on input.
 * - An instance's NdTable and ValueTable span NdTableValueTableLength of
 *   its class part, whatever the property count (0 properties: 0 bytes).
 * - A value-table heap reference equal to InstanceClassName's (a shared
 *   heap item, which 2.2.66 forbids) is NULL: impacket writes 0 there for
 *   "no value" and reads it back that way.
 * - Dictionary references are accepted wherever a string is referenced.
 * - Booleans: any non-zero value is TRUE (impacket writes 1).
 * - A NULL element of a string array is "" (a NULL BSTR in a SAFEARRAY).
 * - Reserved octets and paddings are ignored (Windows sends random data in
 *   MethodCountPadding); the HeapLength high bit is not required.
 */
#ifndef WMGW_TRANSLATORS_WMI_WMIO_INT_H
#define WMGW_TRANSLATORS_WMI_WMIO_INT_H

#include "translators/wmi/wmio.h"

#include <stdarg.h>

#define WMGW__WMIO_SIGNATURE 0x12345678u
#define WMGW__WMIO_INHERITED 0x4000u
#define WMGW__WMIO_NULLREF 0xFFFFFFFFu
#define WMGW__WMIO_DICT_BIT 0x80000000u
#define WMGW__WMIO_DICT_SIZE 11
#define WMGW__WMIO_NOVALUE_BYTE 0xFF

/* Types whose EncodedValue is a HeapRef (strings, arrays, objects). */
static inline bool wmgw__wmio_heap_backed(uint16_t type)
{
    uint16_t b = WMGW_CIM_BASETYPE(type);
    return WMGW_CIM_IS_ARRAY(type) || b == WMGW_CIM_STRING || b == WMGW_CIM_DATETIME || b == WMGW_CIM_REFERENCE ||
           b == WMGW_CIM_OBJECT;
}

/* NdTable bits of one property (2.2.27). */
#define WMGW__WMIO_ND_NULL 1u
#define WMGW__WMIO_ND_DEFAULT 2u

/* Qualifier flavors written (2.2.62). */
#define WMGW__WMIO_FLAVOR_TO_INSTANCE 0x01
#define WMGW__WMIO_FLAVOR_TO_SUBCLASS 0x02
#define WMGW__WMIO_FLAVOR_NOT_OVERRIDABLE 0x10
#define WMGW__WMIO_FLAVOR_PROPAGATED 0x20
#define WMGW__WMIO_METHOD_INHERITED 0x20

extern const char *const wmgw__wmio_dict[WMGW__WMIO_DICT_SIZE];

static inline uint16_t wmgw__wmio_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t wmgw__wmio_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t wmgw__wmio_le64(const uint8_t *p)
{
    return (uint64_t)wmgw__wmio_le32(p) | (uint64_t)wmgw__wmio_le32(p + 4) << 32;
}

static inline void wmgw__wmio_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void wmgw__wmio_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wmgw__wmio_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* --- decoding (wmio_read.c, wmio_value.c) --------------------------------- */

/* One decode: where errors go, how much model may still be allocated, how
 * deep we are, and the input for error positions. */
struct wmgw__wmio_dctx {
    struct wmgw_err *err;
    const uint8_t *base; /* the caller's input */
    size_t base_len;
    size_t budget;
    unsigned depth;
};

/* A heap's items (HeapLength excluded) and which heap, for messages. */
struct wmgw__wmio_heap {
    const uint8_t *p;
    size_t len;
    const char *what;
};

/* One qualifier, decoded. */
struct wmgw__wmio_qual {
    char *name;
    uint8_t flavor;
    struct wmgw_cim_value value;
};

void wmgw__wmio_dctx_init(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, struct wmgw_err *err);
/* Records WMGW_EPROTO, the offset of `at` in the input (-1 when outside it)
 * and "WMIO: <message>"; returns WMGW_EPROTO. */
int wmgw__wmio_fail(struct wmgw__wmio_dctx *d, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes n bytes from the budget, or fails naming `what`. */
int wmgw__wmio_charge(struct wmgw__wmio_dctx *d, size_t n, const uint8_t *at, const char *what);
/* Bytes of a ValueTable slot / array element of a type (0: unknown type). */
size_t wmgw__wmio_slot_size(uint16_t type);
/* True for a CimType the model knows (base types, | 0x2000). */
bool wmgw__wmio_type_known(uint16_t type);

/* An Encoded-String in p[0..avail) into malloc'd UTF-8; *used gets its size. */
int wmgw__wmio_estring(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, const char *what, char **out,
                       size_t *used);
/* A HeapStringRef: NULL ref gives *out NULL; dictionary refs are expanded. */
int wmgw__wmio_heap_string(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_heap *h, uint32_t ref,
                           const char *what, char **out);
/* Checks that ref is an offset with at least `need` bytes after it in h. */
int wmgw__wmio_heap_item(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_heap *h, uint32_t ref, size_t need,
                         const char *what, const uint8_t **item);

/* An EncodedValue of `type` (the model type: datetime and reference read
 * as strings) whose slot (wmgw__wmio_slot_size bytes) is at `slot`, heap
 * items in h.  DATETIME must be DMTF, REFERENCE a WMI object path. */
int wmgw__wmio_read_value(struct wmgw__wmio_dctx *d, uint16_t type, const uint8_t *slot,
                          const struct wmgw__wmio_heap *h, const char *what, struct wmgw_cim_value *v);
/* A QualifierSet at p (EncodingLength included), within avail bytes. */
int wmgw__wmio_read_quals(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail,
                          const struct wmgw__wmio_heap *h, const char *what, struct wmgw__wmio_qual **out,
                          size_t *n, size_t *used);
void wmgw__wmio_quals_free(struct wmgw__wmio_qual *q, size_t n);

/* --- class parts (wmio_class.c) ---------------------------------------------- */

struct wmgw__wmio_prop {
    char *name;
    uint16_t type;       /* model type: CIMTYPE turns string into datetime/reference */
    bool inherited;
    uint16_t order;      /* DeclarationOrder: the NdTable index */
    uint32_t vt_off;     /* ValueTableOffset */
    char *ref_class;     /* CIMTYPE ref:X / object:X */
    struct wmgw__wmio_qual *quals;
    size_t nquals;
};

/* Where everything of one ClassPart is; pointers into the part's bytes. */
struct wmgw__wmio_layout {
    const uint8_t *part;
    size_t part_len;     /* ClassHeader EncodingLength */
    char *name;          /* NULL only in an empty ParentClass */
    size_t nderiv;
    char **deriv;        /* nearest superclass first */
    struct wmgw__wmio_qual *quals; /* class qualifiers */
    size_t nquals;
    size_t nprops;
    struct wmgw__wmio_prop *props; /* PropertyLookupTable order */
    size_t *sorted;      /* props by name, case-insensitively: the model's order */
    const uint8_t *ndvt; /* class NdTable + ValueTable */
    size_t nd_len, ndvt_len;
    struct wmgw__wmio_heap heap;
};

/* Parses the ClassPart at p[0..avail) (ClassNameRef may be NULL only when
 * unnamed_ok).  *used: its EncodingLength. */
int wmgw__wmio_layout_parse(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, bool unnamed_ok,
                            struct wmgw__wmio_layout **out, size_t *used);
void wmgw__wmio_layout_free(struct wmgw__wmio_layout *l);
/* NdTable bits of a property (by DeclarationOrder) in a table of nd_len bytes. */
static inline unsigned wmgw__wmio_nd_bits(const uint8_t *nd, uint16_t order)
{
    return (nd[order / 4] >> (2 * (order % 4))) & 3u;
}
/* The model class of a layout: props in `sorted` order, qualifiers
 * resolved, defaults read.  Methods are added by wmgw__wmio_methods_parse. */
int wmgw__wmio_class_build(struct wmgw__wmio_dctx *d, const struct wmgw__wmio_layout *l, const char *ns,
                           struct wmgw_cim_class **out);
/* A copy of a class (methods included), for callers that keep their own. */
struct wmgw_cim_class *wmgw__wmio_class_copy(const struct wmgw_cim_class *c);

/* --- methods (wmio_method.c) ------------------------------------------------ */

/* Parses a MethodsPart at p[0..avail).  With cls, decodes each method
 * (signatures included) into cls->methods and, with sigs, copies their
 * signature class parts; without cls it only checks the structure. */
int wmgw__wmio_methods_parse(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t avail, struct wmgw_cim_class *cls,
                             struct wmgw_wmio_sig **sigs, size_t *nsigs, size_t *used);
void wmgw__wmio_sigs_free(struct wmgw_wmio_sig *s, size_t n);

/* --- objects (wmio_object.c) --------------------------------------------------- */

/* Where the CurrentClass ClassPart of a decoded ObjectBlock was. */
struct wmgw__wmio_objinfo {
    const uint8_t *cur_part;
    size_t cur_len;
};

/* Decodes the ObjectBlock p[0..len); info may be NULL. */
int wmgw__wmio_object(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len,
                      const struct wmgw_wmio_decode_opts *opts, struct wmgw_wmio_object *out,
                      struct wmgw__wmio_objinfo *info);
/* An embedded object (a value of type object) as an instance: depth + 1. */
int wmgw__wmio_embedded(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, struct wmgw_cim_instance **out);

/* --- the cache (wmio_cache.c) ---------------------------------------------- */

uint64_t wmgw__wmio_hash(const uint8_t *p, size_t len);
/* The entry whose part is exactly p[0..len), or NULL; marks it used. */
struct wmgw_wmio_class_entry *wmgw__wmio_cache_match(struct wmgw_wmio_class_cache *c, const uint8_t *p,
                                                     size_t len);
/* A new entry over a copy of p[0..len): layout and class decoded (errors
 * as any decode); takes ownership of sigs. */
int wmgw__wmio_entry_new(struct wmgw__wmio_dctx *d, const uint8_t *p, size_t len, bool full,
                         const struct wmgw_cim_class *cls, struct wmgw_wmio_sig *sigs, size_t nsigs,
                         struct wmgw_wmio_class_entry **out);
void wmgw__wmio_entry_free(struct wmgw_wmio_class_entry *e);
/* Adds e (the cache owns it from now on, also on failure), evicting the
 * least recently used entry when full. */
void wmgw__wmio_cache_add(struct wmgw_wmio_class_cache *c, struct wmgw_wmio_class_entry *e);

/* --- encoding (wmio_write.c, wmio_write_class.c) ---------------------------- */

struct wmgw__wmio_wctx {
    struct wmgw_err *err;
    const struct wmgw_wmio_encode_opts *opts;
    unsigned depth;
};

/* Records code and "WMIO encode: <message>"; returns code. */
int wmgw__wmio_wfail(struct wmgw__wmio_wctx *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Puts "owner.name: " in front of the message of the failure rc (when
 * this failure wrote it); returns rc. */
int wmgw__wmio_in_member(struct wmgw__wmio_wctx *w, int rc, const char *owner, const char *name);
int wmgw__wmio_add16(struct wmgw_buf *b, uint16_t v);
int wmgw__wmio_add32(struct wmgw_buf *b, uint32_t v);
/* An Encoded-String (Latin-1 with flag 0 when every character fits). */
int wmgw__wmio_add_estring(struct wmgw_buf *b, const char *utf8);
/* Appends an Encoded-String heap item; *ref gets its offset. */
int wmgw__wmio_put_hstring(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, const char *utf8, uint32_t *ref);
/* Writes v (non-null, of `type`) as an EncodedValue: inline into slot
 * (wmgw__wmio_slot_size(type) bytes) or as heap items referenced from it. */
int wmgw__wmio_put_value(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, uint16_t type,
                         const struct wmgw_cim_value *v, uint8_t *slot);
/* A qualifier to write (the value is borrowed). */
struct wmgw__wmio_wqual {
    const char *name;
    uint8_t flavor;
    const struct wmgw_cim_value *value;
};

/* Appends a QualifierSet whose items go to heap. */
int wmgw__wmio_put_quals(struct wmgw__wmio_wctx *w, struct wmgw_buf *heap, const struct wmgw__wmio_wqual *q,
                         size_t n, struct wmgw_buf *out);
/* Appends the instance part (InstanceType without CurrentClass) of inst
 * laid out by l. */
int wmgw__wmio_put_instance_part(struct wmgw__wmio_wctx *w, const struct wmgw__wmio_layout *l,
                                 const struct wmgw_cim_instance *inst, struct wmgw_buf *out);
/* Appends an instance ObjectBlock: flags, [Decoration], class part, instance part. */
int wmgw__wmio_put_instance_block(struct wmgw__wmio_wctx *w, const uint8_t *part, size_t part_len,
                                  const struct wmgw_cim_instance *inst, bool decorate, struct wmgw_buf *out);
/* Appends signature, ObjectEncodingLength and the ObjectBlock in block. */
int wmgw__wmio_finish_unit(struct wmgw__wmio_wctx *w, struct wmgw_buf *out, const struct wmgw_buf *block);
/* True when opts ask for a Decoration. */
bool wmgw__wmio_decorated(const struct wmgw_wmio_encode_opts *o);
/* Appends the Decoration of opts (server, namespace with backslashes). */
int wmgw__wmio_put_decoration(struct wmgw__wmio_wctx *w, struct wmgw_buf *out);

/* Appends the ClassPart of cls (superclasses through opts->lookup). */
int wmgw__wmio_class_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_class *cls, struct wmgw_buf *out);
/* Appends the ClassPart of method m's __PARAMETERS (in or out). */
int wmgw__wmio_sig_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_method *m, bool out_params,
                        struct wmgw_buf *out);
/* The class part an embedded instance travels with: a full cache entry of
 * its class, else its class from opts->lookup, else one made from its
 * values.  *part points into *own (which the caller disposes) or the cache. */
int wmgw__wmio_embedded_part(struct wmgw__wmio_wctx *w, const struct wmgw_cim_instance *inst, struct wmgw_buf *own,
                             const uint8_t **part, size_t *part_len);
/* Parses a class part this module wrote (or a server sent) for writing values. */
int wmgw__wmio_wlayout(struct wmgw__wmio_wctx *w, const uint8_t *part, size_t len, struct wmgw__wmio_layout **out);

#endif
