/*
 * sddl_int.h: what the security-descriptor files share and nobody else
 * needs.  Public API in sddl.h; this header maps the pieces:
 *
 *   sddl_sd.c        the structure: init/dispose/copy/equal, GUIDs, the
 *                    per-type rules every ACE must meet, binary sizes
 *   sddl_tables.c    names: ACE types, ACE flags, rights letters
 *   sddl_parse.c     SDDL text -> struct (O: G: D: S:, ACLs, ACEs)
 *   sddl_format.c    struct -> canonical SDDL text
 *   sddl_lit.c       literals shared by conditions and resource attributes:
 *                    integers, strings, octet strings, attribute names
 *   sddl_cond.c      condition text -> binary postfix (2.4.4.17)
 *   sddl_cond_text.c binary postfix -> condition text; the token reader
 *   sddl_attr.c      resource attribute text <-> CLAIM_SECURITY_ATTRIBUTE_
 *                    RELATIVE_V1, and the reader the access check uses
 *   sd_binary.c      struct <-> self-relative bytes
 */
#ifndef WMGW_AUTH_SDDL_INT_H
#define WMGW_AUTH_SDDL_INT_H

#include "auth/sddl.h"

/* ---- little-endian helpers ---- */
static inline uint16_t wmgw__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t wmgw__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t wmgw__le64(const uint8_t *p)
{
    return (uint64_t)wmgw__le32(p) | (uint64_t)wmgw__le32(p + 4) << 32;
}
static inline void wmgw__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void wmgw__put32(uint8_t *p, uint32_t v)
{
    wmgw__put16(p, (uint16_t)v);
    wmgw__put16(p + 2, (uint16_t)(v >> 16));
}
static inline void wmgw__put64(uint8_t *p, uint64_t v)
{
    wmgw__put32(p, (uint32_t)v);
    wmgw__put32(p + 4, (uint32_t)(v >> 32));
}
/* Appends little-endian integers to a buffer. */
int wmgw__buf_le32(struct wmgw_buf *b, uint32_t v);
int wmgw__buf_le64(struct wmgw_buf *b, uint64_t v);
/* Pads b with zero bytes to a multiple of 4. */
int wmgw__buf_pad4(struct wmgw_buf *b);

/* ---- sddl_tables.c ---- */
struct wmgw__name {
    const char *name;
    uint32_t value;
};
/* SDDL ACE type names ("A", "OA", ...), ACE flag letters, ACL flags. */
extern const struct wmgw__name wmgw__ace_type_names[];
extern const size_t wmgw__ace_type_count;
extern const struct wmgw__name wmgw__ace_flag_names[];
extern const size_t wmgw__ace_flag_count;
/* Rights letters: whole masks printed only on an exact match (FA, KR, ...),
 * single-bit letters (printed low bit first), and the label letters. */
extern const struct wmgw__name wmgw__right_whole_names[];
extern const size_t wmgw__right_whole_count;
extern const struct wmgw__name wmgw__right_bit_names[];
extern const size_t wmgw__right_bit_count;
extern const struct wmgw__name wmgw__right_label_names[];
extern const size_t wmgw__right_label_count;
/* The SDDL name of an ACE type, or NULL. */
const char *wmgw__ace_type_name(uint8_t type);

/* ---- sddl_sd.c ---- */
/* NULL when the ACE may stand in that ACL (DACL or SACL), else why not:
 * types by list, GUIDs only on object types, data only on callback and RA
 * types (and required there), RA/SP/ML shape rules. */
const char *wmgw__ace_problem(const struct wmgw_ace *ace, bool in_sacl);
/* Bytes the ACE takes in binary form (header included). */
size_t wmgw__ace_size(const struct wmgw_ace *ace);
/* The revision an ACL needs: 4 with object ACEs, else 2. */
uint8_t wmgw__acl_min_revision(const struct wmgw_acl *acl);
/* Bytes the ACL takes in binary form. */
size_t wmgw__acl_size(const struct wmgw_acl *acl);
/* Frees one ACL and everything in it. */
void wmgw__acl_free(struct wmgw_acl *acl);
struct wmgw_acl *wmgw__acl_new(void);
/* Appends a copy of *ace (taking ownership of ace->data) to acl. */
int wmgw__acl_append(struct wmgw_acl *acl, struct wmgw_ace *ace);

/* ---- sddl_lit.c: literal text <-> binary ---- */

/* Integer literal (2.4.4.17.5): the value as stored, and the sign and
 * base bytes kept for display. */
#define WMGW__SIGN_PLUS 1
#define WMGW__SIGN_MINUS 2
#define WMGW__SIGN_NONE 3
#define WMGW__BASE_8 1
#define WMGW__BASE_10 2
#define WMGW__BASE_16 3
struct wmgw__int_lit {
    int64_t value;
    uint8_t sign, base;
};
/* ["+"/"-"] ("0x" hex / "0" octal / decimal) at s[*i]; a value that does
 * not fit 64 bits is refused (signed decimal: int64).  unsigned_only: no
 * sign allowed, and decimal may reach 2^64-1. */
int wmgw__lit_int_parse(const char *s, size_t len, size_t *i, bool unsigned_only, struct wmgw__int_lit *out,
                        size_t base, struct wmgw_err *err);
int wmgw__lit_int_format(const struct wmgw__int_lit *v, struct wmgw_buf *out);

/* A DQUOTE'd string at s[*i] (UTF-8, no '"', no control characters),
 * appended to out as UTF-16LE; *units gets its length in code units. */
int wmgw__lit_string_parse(const char *s, size_t len, size_t *i, struct wmgw_buf *out, size_t *units, size_t base,
                           struct wmgw_err *err);
/* Appends "..." for n bytes of UTF-16LE; WMGW_EUNSUPPORTED when the
 * string holds '"', a control character or a broken surrogate. */
int wmgw__lit_string_format(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err);

/* "#" and pairs of hex digits at s[*i], the bytes appended to out. */
int wmgw__lit_octets_parse(const char *s, size_t len, size_t *i, struct wmgw_buf *out, size_t *n, size_t base,
                           struct wmgw_err *err);
int wmgw__lit_octets_format(const uint8_t *p, size_t n, struct wmgw_buf *out);

/* Attribute names.  Prefixed form: characters of attr-char2, with %XXXX
 * for the others, stopping at the first character that cannot belong to
 * a name.  Simple form: attr-char1 then attr-char1 or '@'.  Both append
 * UTF-16LE to out and set *units. */
int wmgw__lit_name_parse(const char *s, size_t len, size_t *i, bool simple, struct wmgw_buf *out, size_t *units,
                         size_t base, struct wmgw_err *err);
/* Appends a name in prefixed form (escaping as needed). */
int wmgw__lit_name_format(const uint8_t *p, size_t n, struct wmgw_buf *out, struct wmgw_err *err);
/* True when the UTF-16LE name can be written in simple form. */
bool wmgw__lit_name_is_simple(const uint8_t *p, size_t n);

/* Case-insensitive comparison of UTF-16LE strings (ASCII letters folded):
 * <0, 0, >0; a prefix sorts first. */
int wmgw__utf16_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, bool case_sensitive);

/* ---- conditional expressions (2.4.4.17) ---- */
#define WMGW__COND_SIGNATURE "artx"

/* Token byte codes. */
enum {
    WMGW__TOK_PAD = 0x00,
    WMGW__TOK_INT8 = 0x01,
    WMGW__TOK_INT16 = 0x02,
    WMGW__TOK_INT32 = 0x03,
    WMGW__TOK_INT64 = 0x04,
    WMGW__TOK_STRING = 0x10,
    WMGW__TOK_OCTETS = 0x18,
    WMGW__TOK_COMPOSITE = 0x50,
    WMGW__TOK_SID = 0x51,
    WMGW__TOK_EQ = 0x80,
    WMGW__TOK_NE = 0x81,
    WMGW__TOK_LT = 0x82,
    WMGW__TOK_LE = 0x83,
    WMGW__TOK_GT = 0x84,
    WMGW__TOK_GE = 0x85,
    WMGW__TOK_CONTAINS = 0x86,
    WMGW__TOK_EXISTS = 0x87,
    WMGW__TOK_ANY_OF = 0x88,
    WMGW__TOK_MEMBER_OF = 0x89,
    WMGW__TOK_DEVICE_MEMBER_OF = 0x8a,
    WMGW__TOK_MEMBER_OF_ANY = 0x8b,
    WMGW__TOK_DEVICE_MEMBER_OF_ANY = 0x8c,
    WMGW__TOK_NOT_EXISTS = 0x8d,
    WMGW__TOK_NOT_CONTAINS = 0x8e,
    WMGW__TOK_NOT_ANY_OF = 0x8f,
    WMGW__TOK_NOT_MEMBER_OF = 0x90,
    WMGW__TOK_NOT_DEVICE_MEMBER_OF = 0x91,
    WMGW__TOK_NOT_MEMBER_OF_ANY = 0x92,
    WMGW__TOK_NOT_DEVICE_MEMBER_OF_ANY = 0x93,
    WMGW__TOK_AND = 0xa0,
    WMGW__TOK_OR = 0xa1,
    WMGW__TOK_NOT = 0xa2,
    WMGW__TOK_LOCAL_ATTR = 0xf8,
    WMGW__TOK_USER_ATTR = 0xf9,
    WMGW__TOK_RESOURCE_ATTR = 0xfa,
    WMGW__TOK_DEVICE_ATTR = 0xfb,
};

/* What kind of token a byte code is. */
enum wmgw__tok_class {
    WMGW__TC_INVALID,
    WMGW__TC_LITERAL,    /* int, string, octets, SID, composite */
    WMGW__TC_ATTRIBUTE,  /* 0xf8-0xfb */
    WMGW__TC_UNARY,      /* Exists, Member_of family, ! */
    WMGW__TC_BINARY,     /* relational, &&, || */
};
enum wmgw__tok_class wmgw__tok_class(uint8_t code);
/* The SDDL spelling of an operator ("==", "Member_of", ...), or NULL. */
const char *wmgw__tok_op_name(uint8_t code);

/* One token read from a conditional expression. */
struct wmgw__tok {
    uint8_t code;
    size_t offset;        /* of the byte code, from the start of the data */
    size_t size;          /* of the whole token */
    const uint8_t *p;     /* payload: name, string, octets, SID or composite elements */
    size_t n;             /* payload bytes */
    struct wmgw__int_lit i; /* integer tokens */
};
/* Reads the token at data[*pos] (after the signature) and advances *pos.
 * Returns 1 at the end (end of data, or zero padding to the end, at most
 * 3 bytes), 0 for a token, WMGW_EINVAL (with the offset) for a malformed
 * one.  Lengths are checked against the data; names and strings must have
 * even lengths; SIDs must be well-formed and fill their token. */
int wmgw__tok_next(const uint8_t *data, size_t len, size_t *pos, struct wmgw__tok *t, struct wmgw_err *err);

/* Compiles the condition field "(" cond-expr ")" at text[0..len) (text
 * starts at byte `base` of the SDDL, for error positions): appends
 * "artx", the postfix tokens and zero padding to a multiple of 4. */
int wmgw__cond_compile(const char *text, size_t len, size_t base, size_t *used, const struct wmgw_sid_domains *dom,
                       struct wmgw_buf *out, struct wmgw_err *err);
/* Appends the condition field "(...)" for data[0..len) (starting with the
 * signature).  WMGW_EUNSUPPORTED when the expression has no SDDL form. */
int wmgw__cond_format(const uint8_t *data, size_t len, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
                      struct wmgw_err *err);

/* ---- resource attributes (2.4.10.1) ---- */
#define WMGW__CLAIM_INT64 0x0001
#define WMGW__CLAIM_UINT64 0x0002
#define WMGW__CLAIM_STRING 0x0003
#define WMGW__CLAIM_SID 0x0005
#define WMGW__CLAIM_BOOLEAN 0x0006
#define WMGW__CLAIM_OCTETS 0x0010
#define WMGW__CLAIM_CASE_SENSITIVE 0x0002

/* A validated CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1. */
struct wmgw__claim {
    const uint8_t *data;
    size_t len;
    const uint8_t *name; /* UTF-16LE, without the terminator */
    size_t name_len;     /* bytes */
    uint16_t type;
    uint32_t flags;
    uint32_t count;
};
/* Checks the whole structure (name, type, every value) within len. */
int wmgw__claim_read(const uint8_t *data, size_t len, struct wmgw__claim *c, struct wmgw_err *err);
/* Value i of a claim read by wmgw__claim_read: for INT64/UINT64/BOOLEAN
 * *u gets the 64 bits; for STRING, SID and OCTETS *p and *n the bytes (UTF-16LE
 * without terminator for strings). */
void wmgw__claim_value(const struct wmgw__claim *c, uint32_t i, uint64_t *u, const uint8_t **p, size_t *n);

/* Compiles "(" attribute-data ")" (the RA ACE's last field). */
int wmgw__attr_compile(const char *text, size_t len, size_t base, size_t *used, const struct wmgw_sid_domains *dom,
                       struct wmgw_buf *out, struct wmgw_err *err);
/* Appends "(" attribute-data ")"; WMGW_EUNSUPPORTED when not expressible. */
int wmgw__attr_format(const uint8_t *data, size_t len, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
                      struct wmgw_err *err);

#endif
