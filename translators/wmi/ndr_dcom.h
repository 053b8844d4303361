/*
 * ndr_dcom.h: the DCOM types every ORPC call carries (MS-DCOM 2.2):
 * ORPCTHIS / ORPCTHAT with their extensions, MInterfacePointer, OBJREF
 * (standard, handler, custom), STDOBJREF and DUALSTRINGARRAY with its
 * STRINGBINDINGs and SECURITYBINDINGs.
 *
 * Part of the wmi/ translator's RPC layer (design.md: translators/wmi): the
 * gateway's DCOM client builds ORPCTHIS and reads ORPCTHAT and the
 * interface pointers of every IWbem* reply with these; the simulator's
 * DCOM server does the opposite.  OBJREFs are hand-marshaled byte arrays
 * (little-endian, no NDR alignment) inside an MInterfacePointer, so they
 * have their own encode/decode over plain bytes.  Decoded structures are
 * fixed-size (bounded counts below); byte blobs (extension data, custom
 * object data) point into the input.
 */
#ifndef WMGW_TRANSLATORS_WMI_NDR_DCOM_H
#define WMGW_TRANSLATORS_WMI_NDR_DCOM_H

#include "translators/wmi/ndr.h"

#define WMGW_NDR_OBJREF_SIGNATURE 0x574F454Du /* "MEOW" */
#define WMGW_NDR_OBJREF_STANDARD 0x1u
#define WMGW_NDR_OBJREF_HANDLER 0x2u
#define WMGW_NDR_OBJREF_CUSTOM 0x4u
#define WMGW_NDR_OBJREF_EXTENDED 0x8u
#define WMGW_NDR_SORF_NOPING 0x1000u

#define WMGW_NDR_MAX_EXTENTS 8      /* ORPC extensions per ORPCTHIS/ORPCTHAT */
#define WMGW_NDR_MAX_BINDINGS 16    /* string bindings and security bindings each; more are dropped */
#define WMGW_NDR_MAX_ADDR 256       /* UTF-8 bytes of one binding string, NUL included */
#define WMGW_NDR_MAX_DSA 0x8000u    /* wNumEntries */
#define WMGW_NDR_MAX_MIP (16u << 20) /* ulCntData of one MInterfacePointer */

struct wmgw_ndr_extent { /* ORPC_EXTENT */
    struct wmgw_uuid id;
    uint32_t size;       /* bytes of data (the wire rounds the array up to 8) */
    const uint8_t *data;
};

struct wmgw_ndr_orpcthis {
    uint16_t major, minor; /* COMVERSION: 5.7 */
    uint32_t flags;        /* 0 on ORPC calls */
    uint32_t reserved1;
    struct wmgw_uuid cid;  /* causality id */
    bool has_extensions;   /* the extensions pointer is non-NULL */
    uint32_t n_ext;
    struct wmgw_ndr_extent ext[WMGW_NDR_MAX_EXTENTS];
};

struct wmgw_ndr_orpcthat {
    uint32_t flags;
    bool has_extensions;
    uint32_t n_ext;
    struct wmgw_ndr_extent ext[WMGW_NDR_MAX_EXTENTS];
};

struct wmgw_ndr_stringbinding {
    uint16_t tower_id;               /* 7 = ncacn_ip_tcp */
    char addr[WMGW_NDR_MAX_ADDR];   /* "HOST[49667]", UTF-8 */
};

struct wmgw_ndr_secbinding {
    uint16_t authn_svc;              /* an RPC_C_AUTHN_* value */
    uint16_t reserved;               /* as received; always sent as 0xFFFF */
    char princ[WMGW_NDR_MAX_ADDR];  /* SPN, UTF-8, may be empty */
};

struct wmgw_ndr_dsa { /* DUALSTRINGARRAY */
    size_t n_strings, n_security;
    struct wmgw_ndr_stringbinding strings[WMGW_NDR_MAX_BINDINGS];
    struct wmgw_ndr_secbinding security[WMGW_NDR_MAX_BINDINGS];
};

struct wmgw_ndr_stdobjref {
    uint32_t flags, public_refs;
    uint64_t oxid, oid;
    struct wmgw_uuid ipid;
};

struct wmgw_ndr_objref {
    uint32_t flags;                  /* WMGW_NDR_OBJREF_STANDARD, _HANDLER or _CUSTOM */
    struct wmgw_uuid iid;
    struct wmgw_ndr_stdobjref std;  /* standard, handler */
    struct wmgw_uuid clsid;          /* handler, custom */
    struct wmgw_ndr_dsa resolver;   /* standard, handler: saResAddr */
    uint32_t cb_extension, reserved; /* custom (reserved: WMI puts the data size there) */
    const uint8_t *object_data;      /* custom: pObjectData, the rest of the OBJREF */
    size_t object_len;
};

/* ORPCTHIS / ORPCTHAT as the first argument of a request / response: the
 * structure and, deferred right after it, its extensions. */
int wmgw_ndr_put_orpcthis(struct wmgw_ndr_writer *w, const struct wmgw_ndr_orpcthis *t);
int wmgw_ndr_get_orpcthis(struct wmgw_ndr_reader *r, struct wmgw_ndr_orpcthis *t);
int wmgw_ndr_put_orpcthat(struct wmgw_ndr_writer *w, const struct wmgw_ndr_orpcthat *t);
int wmgw_ndr_get_orpcthat(struct wmgw_ndr_reader *r, struct wmgw_ndr_orpcthat *t);

/* MInterfacePointer (ulCntData + abData) alone, and as a top-level
 * PMInterfacePointer argument ([unique] pointer, pointee inline; NULL data
 * is a null pointer).  The bytes are an OBJREF (see below). */
int wmgw_ndr_put_mip(struct wmgw_ndr_writer *w, const uint8_t *objref, size_t len);
int wmgw_ndr_put_pmip(struct wmgw_ndr_writer *w, const uint8_t *objref, size_t len);
int wmgw_ndr_get_mip(struct wmgw_ndr_reader *r, const uint8_t **objref, size_t *len);
int wmgw_ndr_get_pmip(struct wmgw_ndr_reader *r, const uint8_t **objref, size_t *len, bool *present);

/* STDOBJREF in its NDR form (e.g. REMQIRESULT), 8-aligned. */
int wmgw_ndr_put_stdobjref(struct wmgw_ndr_writer *w, const struct wmgw_ndr_stdobjref *s);
int wmgw_ndr_get_stdobjref(struct wmgw_ndr_reader *r, struct wmgw_ndr_stdobjref *s);

/* DUALSTRINGARRAY in its NDR (IDL) form: a conformant structure. */
int wmgw_ndr_put_dsa(struct wmgw_ndr_writer *w, const struct wmgw_ndr_dsa *d);
int wmgw_ndr_get_dsa(struct wmgw_ndr_reader *r, struct wmgw_ndr_dsa *d);

/* DUALSTRINGARRAY in its packet form (wNumEntries, wSecurityOffset,
 * entries), as inside an OBJREF.  unpack sets *used to the bytes read. */
int wmgw_ndr_dsa_pack(const struct wmgw_ndr_dsa *d, struct wmgw_buf *out, struct wmgw_err *err);
int wmgw_ndr_dsa_unpack(const uint8_t *p, size_t len, struct wmgw_ndr_dsa *d, size_t *used, struct wmgw_err *err);

/* OBJREF bytes (the content of an MInterfacePointer).  decode accepts
 * trailing bytes after a standard or handler OBJREF (ignored);
 * OBJREF_EXTENDED is WMGW_EUNSUPPORTED. */
int wmgw_ndr_objref_encode(const struct wmgw_ndr_objref *o, struct wmgw_buf *out, struct wmgw_err *err);
int wmgw_ndr_objref_decode(const uint8_t *p, size_t len, struct wmgw_ndr_objref *o, struct wmgw_err *err);

#endif
