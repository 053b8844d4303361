/*
 * sddl.h: security descriptors (MS-DTYP 2.4.4-2.4.6) as one in-memory
 * structure, read from and written to SDDL text (MS-DTYP 2.5.1) and the
 * self-relative binary form that __SystemSecurity GetSD/SetSD carry.
 *
 *     SDDL text --wmgw_sddl_parse-->  struct wmgw_sd  --wmgw_sd_encode--> bytes
 *               <--wmgw_sddl_format--                 <--wmgw_sd_decode--
 *
 * The structure is what auth/access.h checks requests against; the gateway
 * keeps one per (host group, namespace pattern) policy.
 *
 * What the structure holds (see struct wmgw_sd): control flags, optional
 * owner and group, and a DACL and a SACL that are each absent (control bit
 * DP/SP clear), present but NULL ("D:NO_ACCESS_CONTROL": grants everything)
 * or a list of ACEs (possibly empty: "D:" grants nothing).  ACEs keep their
 * object GUIDs and, for callback and resource-attribute ACEs, their
 * application data in binary form: a conditional expression ("artx" and
 * postfix tokens, MS-DTYP 2.4.4.17) or a CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1
 * (2.4.10.1).  The SDDL parser compiles expression text to that form and
 * the formatter decompiles it, so text and binary meet in one structure.
 *
 * SDDL as parsed here: components O: G: D: S: in any order, each at most
 * once; ACL flags P AI AR NO_ACCESS_CONTROL; ACE types A D AU AL OA OD OU OL
 * ML SP XA XD XU ZA RA; ACE flags CI OI NP IO ID SA FA; rights as letters
 * (generic, standard, directory-object, file, registry, NW NR NX) or one
 * number (0x hex, 0 octal, decimal); GUIDs 8-4-4-4-12; SIDs as aliases or
 * "S-1-...".  Two-letter tokens are read by field position (WD is Everyone
 * in the SID field and WRITE_DAC in the rights field).  No white space
 * outside conditional expressions.
 *
 * Formatting prints what Windows prints: components in the order O G D S,
 * ACL flags as P AR AI, ACE flags OI CI NP IO ID SA FA, a mask as one of
 * FA FR FW FX KA KR KW KX when it is exactly that, else as letters from
 * low bit to high when every bit has one (NW NR NX in mandatory labels),
 * else "0x" and lower-case hex; GUIDs lower-case; aliases where they exist.
 * Conditional expressions come out fully parenthesised with one space
 * around operators and @USER. / @DEVICE. / @RESOURCE. prefixes.
 * Descriptors SDDL cannot express (an ACE type without an SDDL name, ACE
 * flag bits outside the seven, callback data that is not a conditional
 * expression) make wmgw_sddl_format fail with WMGW_EUNSUPPORTED.
 *
 * Errors: parse errors are WMGW_EINVAL with the byte position in the text
 * and a message naming what was expected; binary errors are WMGW_EINVAL
 * with the byte offset.  Allocation failure is WMGW_ENOMEM.
 *
 * SECURITY
 *      All input is untrusted (policies come from configuration and the
 *      REST API, binary descriptors from backend hosts).  Limits: text of
 *      WMGW_SDDL_MAX_TEXT bytes, WMGW_SD_MAX_ACES ACEs per ACL, expressions
 *      nested WMGW_SDDL_MAX_COND_DEPTH deep with WMGW_SDDL_MAX_COND_TOKENS
 *      tokens, every ACE and ACL within the 16-bit sizes of the binary form
 *      (so whatever parses also encodes).  Readers check every offset, size
 *      and count against the input before using it.  A struct wmgw_sd is
 *      owned by one thread at a time; functions keep no state.
 */
#ifndef WMGW_AUTH_SDDL_H
#define WMGW_AUTH_SDDL_H

#include "auth/sid.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ---- */
#define WMGW_SDDL_MAX_TEXT 65536      /* bytes of SDDL text */
#define WMGW_SD_MAX_ACES 4096         /* per ACL (a 64 KiB ACL holds at most 4095) */
#define WMGW_SDDL_MAX_COND_DEPTH 32   /* nesting of ( and ! in a condition */
#define WMGW_SDDL_MAX_COND_TOKENS 2048 /* tokens in one conditional expression */
#define WMGW_SDDL_MAX_ATTR_VALUES 256 /* values in one resource attribute */
#define WMGW_SDDL_MAX_NAME 256        /* UTF-16 units in an attribute name */

/* ---- ACE types (MS-DTYP 2.4.4.1) ---- */
enum wmgw_ace_type {
    WMGW_ACE_ALLOWED = 0x00,                 /* A */
    WMGW_ACE_DENIED = 0x01,                  /* D */
    WMGW_ACE_AUDIT = 0x02,                   /* AU */
    WMGW_ACE_ALARM = 0x03,                   /* AL */
    WMGW_ACE_ALLOWED_COMPOUND = 0x04,        /* not supported */
    WMGW_ACE_ALLOWED_OBJECT = 0x05,          /* OA */
    WMGW_ACE_DENIED_OBJECT = 0x06,           /* OD */
    WMGW_ACE_AUDIT_OBJECT = 0x07,            /* OU */
    WMGW_ACE_ALARM_OBJECT = 0x08,            /* OL */
    WMGW_ACE_ALLOWED_CALLBACK = 0x09,        /* XA */
    WMGW_ACE_DENIED_CALLBACK = 0x0A,         /* XD */
    WMGW_ACE_ALLOWED_CALLBACK_OBJECT = 0x0B, /* ZA */
    WMGW_ACE_DENIED_CALLBACK_OBJECT = 0x0C,  /* no SDDL name */
    WMGW_ACE_AUDIT_CALLBACK = 0x0D,          /* XU */
    WMGW_ACE_ALARM_CALLBACK = 0x0E,          /* no SDDL name */
    WMGW_ACE_AUDIT_CALLBACK_OBJECT = 0x0F,   /* no SDDL name */
    WMGW_ACE_ALARM_CALLBACK_OBJECT = 0x10,   /* no SDDL name */
    WMGW_ACE_MANDATORY_LABEL = 0x11,         /* ML */
    WMGW_ACE_RESOURCE_ATTRIBUTE = 0x12,      /* RA */
    WMGW_ACE_SCOPED_POLICY_ID = 0x13,        /* SP */
};

/* ---- ACE flags ---- */
#define WMGW_ACE_OBJECT_INHERIT 0x01    /* OI */
#define WMGW_ACE_CONTAINER_INHERIT 0x02 /* CI */
#define WMGW_ACE_NO_PROPAGATE 0x04      /* NP */
#define WMGW_ACE_INHERIT_ONLY 0x08      /* IO */
#define WMGW_ACE_INHERITED 0x10         /* ID */
#define WMGW_ACE_AUDIT_SUCCESS 0x40     /* SA */
#define WMGW_ACE_AUDIT_FAILURE 0x80     /* FA */

/* ---- access mask bits (MS-DTYP 2.4.3) ---- */
#define WMGW_DELETE 0x00010000u
#define WMGW_READ_CONTROL 0x00020000u
#define WMGW_WRITE_DAC 0x00040000u
#define WMGW_WRITE_OWNER 0x00080000u
#define WMGW_SYNCHRONIZE 0x00100000u
#define WMGW_ACCESS_SYSTEM_SECURITY 0x01000000u
#define WMGW_MAXIMUM_ALLOWED 0x02000000u
#define WMGW_GENERIC_ALL 0x10000000u
#define WMGW_GENERIC_EXECUTE 0x20000000u
#define WMGW_GENERIC_WRITE 0x40000000u
#define WMGW_GENERIC_READ 0x80000000u
/* Mandatory label ACE masks (2.4.4.13). */
#define WMGW_LABEL_NO_WRITE_UP 0x1u
#define WMGW_LABEL_NO_READ_UP 0x2u
#define WMGW_LABEL_NO_EXECUTE_UP 0x4u

/* ---- security descriptor control (2.4.6) ---- */
#define WMGW_SD_OWNER_DEFAULTED 0x0001
#define WMGW_SD_GROUP_DEFAULTED 0x0002
#define WMGW_SD_DACL_PRESENT 0x0004
#define WMGW_SD_DACL_DEFAULTED 0x0008
#define WMGW_SD_SACL_PRESENT 0x0010
#define WMGW_SD_SACL_DEFAULTED 0x0020
#define WMGW_SD_DACL_TRUSTED 0x0040
#define WMGW_SD_SERVER_SECURITY 0x0080
#define WMGW_SD_DACL_AUTO_INHERIT_REQ 0x0100 /* AR in D: */
#define WMGW_SD_SACL_AUTO_INHERIT_REQ 0x0200 /* AR in S: */
#define WMGW_SD_DACL_AUTO_INHERITED 0x0400   /* AI in D: */
#define WMGW_SD_SACL_AUTO_INHERITED 0x0800   /* AI in S: */
#define WMGW_SD_DACL_PROTECTED 0x1000        /* P in D: */
#define WMGW_SD_SACL_PROTECTED 0x2000        /* P in S: */
#define WMGW_SD_RM_CONTROL_VALID 0x4000
#define WMGW_SD_SELF_RELATIVE 0x8000         /* a property of the binary form; never kept in control */

/* ACL revisions (2.4.5): 2, or 4 when object ACEs are present. */
#define WMGW_ACL_REVISION 2
#define WMGW_ACL_REVISION_DS 4

/* A GUID in its 16-byte wire order (Data1, Data2, Data3 little-endian). */
struct wmgw_guid {
    uint8_t b[16];
};
#define WMGW_GUID_TEXT_MAX 37 /* 8-4-4-4-12 and a NUL */

struct wmgw_ace {
    uint8_t type;  /* enum wmgw_ace_type */
    uint8_t flags; /* WMGW_ACE_* flags */
    uint32_t mask;
    /* Object ACE types only: which GUIDs are present. */
    bool has_object_type;
    bool has_inherited_object_type;
    struct wmgw_guid object_type;
    struct wmgw_guid inherited_object_type;
    struct wmgw_sid sid;
    /* Callback ACEs: the ApplicationData (a conditional expression when it
     * starts with "artx"); RA ACEs: the attribute data.  Owned (malloc),
     * NULL when data_len is 0; data_len is a multiple of 4. */
    uint8_t *data;
    size_t data_len;
};

struct wmgw_acl {
    uint8_t revision; /* WMGW_ACL_REVISION or WMGW_ACL_REVISION_DS */
    size_t count;
    struct wmgw_ace *aces; /* owned */
};

struct wmgw_sd {
    /* WMGW_SD_* bits except SELF_RELATIVE.  DACL_PRESENT/SACL_PRESENT say
     * whether the ACL is there at all; with the bit set and dacl NULL the
     * DACL is a NULL DACL. */
    uint16_t control;
    uint8_t rm_control; /* Sbz1: resource manager bits when RM_CONTROL_VALID */
    bool has_owner, has_group;
    struct wmgw_sid owner, group;
    struct wmgw_acl *dacl, *sacl; /* owned; NULL unless present and not NULL */
};

/* Options for text in both directions: the domain SIDs behind DA, EA, ...
 * NULL or zeroed: domain-relative aliases are refused when parsing and
 * such SIDs print as "S-1-5-21-...". */
struct wmgw_sddl_opts {
    struct wmgw_sid_domains domains;
};

/* ---- the structure ---- */
void wmgw_sd_init(struct wmgw_sd *sd);
/* Frees what sd owns and leaves it empty (as after init). */
void wmgw_sd_dispose(struct wmgw_sd *sd);
/* Deep copy; WMGW_ENOMEM. */
int wmgw_sd_copy(struct wmgw_sd *dst, const struct wmgw_sd *src);
/* Same content (control, owner, group, ACLs with every ACE field). */
bool wmgw_sd_equal(const struct wmgw_sd *a, const struct wmgw_sd *b);
/* True when the type carries application data (callback types) or
 * attribute data (RA), and when it carries the object GUID part. */
bool wmgw_ace_type_is_callback(uint8_t type);
bool wmgw_ace_type_is_object(uint8_t type);

/* ---- SDDL text ---- */
/* Parses text[0..len) into sd (initialised here; disposed on error). */
int wmgw_sddl_parse(struct wmgw_sd *sd, const char *text, size_t len, const struct wmgw_sddl_opts *opts,
                    struct wmgw_err *err);
/* Appends the canonical SDDL of sd to out. */
int wmgw_sddl_format(const struct wmgw_sd *sd, const struct wmgw_sddl_opts *opts, struct wmgw_buf *out,
                     struct wmgw_err *err);

/* ---- self-relative binary form (sd_binary.c) ---- */
/* Appends the self-relative encoding to out: header, SACL, DACL, owner,
 * group, in the order Windows writes them.  WMGW_EINVAL when an ACL or
 * ACE would not fit its 16-bit size. */
int wmgw_sd_encode(const struct wmgw_sd *sd, struct wmgw_buf *out, struct wmgw_err *err);
/* Decodes p[0..len) into sd (initialised here; disposed on error). */
int wmgw_sd_decode(struct wmgw_sd *sd, const uint8_t *p, size_t len, struct wmgw_err *err);

/* ---- GUID text ---- */
/* Parses exactly 36 characters 8-4-4-4-12 (either case). */
int wmgw_guid_parse(struct wmgw_guid *g, const char *s, size_t len, struct wmgw_err *err);
void wmgw_guid_format(const struct wmgw_guid *g, char out[WMGW_GUID_TEXT_MAX]);

#endif
