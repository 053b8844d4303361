/*
 * sid.h: security identifiers (MS-DTYP 2.4.2): the "S-1-..." text form,
 * the binary form carried inside security descriptors, and the two-letter
 * SDDL aliases ("BA", "WD", "DA", ...).
 *
 * A SID is an authority (48 bits) and up to 15 32-bit sub-authorities.
 * wmgw keeps it in one fixed-size struct (no allocation), compares it by
 * value and converts it both ways; auth/sddl.h and auth/access.h build on
 * it, and the gateway uses it for principals and their groups.
 *
 * Text form, strictly: "S-1-", the authority in decimal (below 2^32) or
 * as "0x" and 1 to 12 hex digits (how Windows prints authorities of 2^32
 * and more), then "-" and a decimal sub-authority (at most 15 of them, each
 * below 2^32, no leading zeros).  Formatting gives the one canonical
 * spelling: decimal authority below 2^32, "0x" and upper-case hex above.
 *
 * Aliases: the fixed ones name one SID everywhere (WD = S-1-1-0); the
 * domain-relative ones (DA = <domain>-512, EA = <root domain>-519, ...) need
 * the caller's domain SID, and without one they are refused with an error
 * that says so rather than guessed.
 *
 * SECURITY
 *      Text and binary input are untrusted: every number is range-checked,
 *      at most 15 sub-authorities are read, binary reads never pass `len`.
 *      Nothing here allocates or keeps state; all functions are
 *      thread-safe.
 */
#ifndef WMGW_AUTH_SID_H
#define WMGW_AUTH_SID_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WMGW_SID_MAX_SUB_AUTHORITIES 15
#define WMGW_SID_MAX_BINARY (8 + 4 * WMGW_SID_MAX_SUB_AUTHORITIES)
/* Longest text form plus NUL: "S-1-0x" + 12 hex + 15 * "-4294967295". */
#define WMGW_SID_TEXT_MAX 192

struct wmgw_sid {
    uint8_t revision;     /* always 1 */
    uint8_t sub_count;    /* 0..15 */
    uint8_t authority[6]; /* the 48-bit authority, most significant byte first (wire order) */
    uint32_t sub[WMGW_SID_MAX_SUB_AUTHORITIES];
};

/* Where the domain-relative aliases point.  domain serves LA LG DA DU DG
 * DC DD CA PA CN RS; root_domain serves EA SA RO (NULL: domain again).
 * Either is a SID such as S-1-5-21-1-2-3, to which the alias adds a RID. */
struct wmgw_sid_domains {
    const struct wmgw_sid *domain;
    const struct wmgw_sid *root_domain;
};

/* Fills sid from an authority (< 2^48) and count (<= 15) sub-authorities. */
int wmgw_sid_init(struct wmgw_sid *sid, uint64_t authority, const uint32_t *sub, size_t count);
uint64_t wmgw_sid_authority(const struct wmgw_sid *sid);

bool wmgw_sid_equal(const struct wmgw_sid *a, const struct wmgw_sid *b);
/* Total order (authority, then sub-authorities, then count): <0, 0, >0. */
int wmgw_sid_cmp(const struct wmgw_sid *a, const struct wmgw_sid *b);

/* Parses a "S-1-..." SID at the start of s[0..len) and stops at the first
 * character that cannot continue it; *used gets the bytes taken.  Errors
 * are WMGW_EINVAL with the position (relative to s) of the bad byte. */
int wmgw_sid_parse_prefix(struct wmgw_sid *sid, const char *s, size_t len, size_t *used, struct wmgw_err *err);
/* The same, but s[0..len) must be exactly one SID. */
int wmgw_sid_parse(struct wmgw_sid *sid, const char *s, size_t len, struct wmgw_err *err);
/* Writes the canonical text and a NUL; returns its length. */
size_t wmgw_sid_format(const struct wmgw_sid *sid, char out[WMGW_SID_TEXT_MAX]);

/* Binary form (MS-DTYP 2.4.2.2): revision, count, authority, then the
 * sub-authorities little-endian.  Size is 8 + 4 * count. */
size_t wmgw_sid_binary_size(const struct wmgw_sid *sid);
/* Reads one SID from p[0..len); *used gets its size.  WMGW_EINVAL (with
 * the offset) for a bad revision, more than 15 sub-authorities or a
 * truncated SID. */
int wmgw_sid_read(struct wmgw_sid *sid, const uint8_t *p, size_t len, size_t *used, struct wmgw_err *err);
/* Writes wmgw_sid_binary_size(sid) bytes to out; returns that size. */
size_t wmgw_sid_write(const struct wmgw_sid *sid, uint8_t *out);

/* The SID an alias names.  WMGW_ENOTFOUND when s[0..2) is no alias;
 * WMGW_EINVAL (message naming the alias) for a domain-relative alias when
 * dom has no domain SID for it. */
int wmgw_sid_from_alias(struct wmgw_sid *sid, const char *s, size_t len, const struct wmgw_sid_domains *dom,
                        struct wmgw_err *err);
/* The alias of sid ("BA"), or NULL; domain-relative aliases only when dom
 * gives the matching domain. */
const char *wmgw_sid_alias(const struct wmgw_sid *sid, const struct wmgw_sid_domains *dom);

/* An SDDL sid-string: a two-letter alias or a "S-1-..." SID, at the start
 * of s[0..len); *used gets the bytes taken. */
int wmgw_sid_parse_sddl(struct wmgw_sid *sid, const char *s, size_t len, size_t *used,
                        const struct wmgw_sid_domains *dom, struct wmgw_err *err);
/* The alias if there is one, else the canonical text; returns the length. */
size_t wmgw_sid_format_sddl(const struct wmgw_sid *sid, const struct wmgw_sid_domains *dom,
                            char out[WMGW_SID_TEXT_MAX]);

#endif
