/*
 * sd_binary.c: the self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6) with
 * its ACLs (2.4.5) and ACEs (2.4.4), both ways (sddl.h).  This is the form
 * __SystemSecurity GetSD returns and SetSD takes.
 *
 * Encoding writes the 20-byte header, then SACL, DACL, owner and group,
 * the order of Windows and of the DTYP 2.5.1.4 example.  A DACL or SACL
 * that is present but NULL gets the present bit with offset 0.
 *
 * Decoding is strict about what could be misread: revision 1 and the
 * self-relative bit; offsets inside the data (0 only meaning "none"); an
 * ACL offset only with its present bit; ACL revision 2 or 4 (object ACEs
 * need 4), zero reserved fields, AclSize within the data, at most
 * WMGW_SD_MAX_ACES ACEs each within AclSize, AceSize a multiple of 4 and
 * large enough for its type, object flags with known bits only, and every
 * ACE passing the shared rules (wmgw__ace_problem).  Bytes an ACE carries
 * after its SID are kept for callback and RA types (their data) and
 * ignored for the others, as 2.4.4.1 says; unused space at the end of an
 * ACL is allowed, as Windows leaves it.
 *
 * SECURITY
 *      The input comes from backend hosts and is untrusted.  Every read is
 *      preceded by a bounds check against the enclosing structure (the
 *      descriptor, then the ACL, then the ACE); counts and sizes are
 *      limited before anything is allocated.
 */
#include "auth/sddl_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- encode ---- */

static int encode_ace(const struct wmgw_ace *a, struct wmgw_buf *out)
{
    uint8_t head[8 + 4 + 32 + WMGW_SID_MAX_BINARY], *q = head;
    size_t size = wmgw__ace_size(a);
    *q++ = a->type;
    *q++ = a->flags;
    wmgw__put16(q, (uint16_t)size);
    wmgw__put32(q + 2, a->mask);
    q += 6;
    if (wmgw_ace_type_is_object(a->type)) {
        uint32_t f = (a->has_object_type ? 1u : 0u) | (a->has_inherited_object_type ? 2u : 0u);
        wmgw__put32(q, f);
        q += 4;
        if (a->has_object_type) {
            memcpy(q, a->object_type.b, 16);
            q += 16;
        }
        if (a->has_inherited_object_type) {
            memcpy(q, a->inherited_object_type.b, 16);
            q += 16;
        }
    }
    q += wmgw_sid_write(&a->sid, q);
    int rc = wmgw_buf_add(out, head, (size_t)(q - head));
    return rc || a->data_len == 0 ? rc : wmgw_buf_add(out, a->data, a->data_len);
}

static int encode_acl(const struct wmgw_acl *acl, bool sacl, struct wmgw_buf *out, struct wmgw_err *err)
{
    size_t size = wmgw__acl_size(acl);
    if (acl->count > WMGW_SD_MAX_ACES || size > 0xFFFF)
        return wmgw_err_set(err, WMGW_EINVAL, "%s of %zu bytes does not fit the 65535 of the binary form",
                            sacl ? "SACL" : "DACL", size);
    uint8_t rev = acl->revision == WMGW_ACL_REVISION_DS ? WMGW_ACL_REVISION_DS : wmgw__acl_min_revision(acl);
    uint8_t head[8] = {rev, 0};
    wmgw__put16(head + 2, (uint16_t)size);
    wmgw__put16(head + 4, (uint16_t)acl->count);
    int rc = wmgw_buf_add(out, head, 8);
    for (size_t k = 0; rc == 0 && k < acl->count; k++) {
        const char *why = wmgw__ace_problem(&acl->aces[k], sacl);
        if (why != NULL)
            return wmgw_err_set(err, WMGW_EINVAL, "%s ACE %zu: %s", sacl ? "SACL" : "DACL", k, why);
        rc = encode_ace(&acl->aces[k], out);
    }
    return rc;
}

static int encode_sid(const struct wmgw_sid *sid, struct wmgw_buf *out)
{
    uint8_t bin[WMGW_SID_MAX_BINARY];
    return wmgw_buf_add(out, bin, wmgw_sid_write(sid, bin));
}

int wmgw_sd_encode(const struct wmgw_sd *sd, struct wmgw_buf *out, struct wmgw_err *err)
{
    size_t start = out->len;
    uint16_t control = (uint16_t)(sd->control | WMGW_SD_SELF_RELATIVE);
    if (sd->dacl != NULL)
        control |= WMGW_SD_DACL_PRESENT;
    if (sd->sacl != NULL)
        control |= WMGW_SD_SACL_PRESENT;
    uint8_t head[20] = {1, sd->rm_control};
    wmgw__put16(head + 2, control);
    int rc = wmgw_buf_add(out, head, 20);
    /* Offsets are patched in as each part is written. */
    uint32_t off_owner = 0, off_group = 0, off_sacl = 0, off_dacl = 0;
    if (rc == 0 && sd->sacl != NULL) {
        off_sacl = (uint32_t)(out->len - start);
        rc = encode_acl(sd->sacl, true, out, err);
    }
    if (rc == 0 && sd->dacl != NULL) {
        off_dacl = (uint32_t)(out->len - start);
        rc = encode_acl(sd->dacl, false, out, err);
    }
    if (rc == 0 && sd->has_owner) {
        off_owner = (uint32_t)(out->len - start);
        rc = encode_sid(&sd->owner, out);
    }
    if (rc == 0 && sd->has_group) {
        off_group = (uint32_t)(out->len - start);
        rc = encode_sid(&sd->group, out);
    }
    if (rc == WMGW_ETOOBIG || rc == WMGW_ENOMEM)
        wmgw_err_set(err, rc, "security descriptor larger than the output buffer allows");
    if (rc != 0) {
        if (out->data != NULL) {
            out->len = start;
            out->data[start] = '\0';
        }
        return rc;
    }
    uint8_t *h = (uint8_t *)out->data + start;
    wmgw__put32(h + 4, off_owner);
    wmgw__put32(h + 8, off_group);
    wmgw__put32(h + 12, off_sacl);
    wmgw__put32(h + 16, off_dacl);
    return 0;
}

/* ---- decode ---- */

static int bad(struct wmgw_err *err, size_t at, const char *what)
{
    return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "security descriptor: %s", what);
}

/* One ACE at p[0..avail), which starts at byte `at` of the descriptor. */
static int decode_ace(const uint8_t *p, size_t avail, size_t at, bool sacl, struct wmgw_ace *a, size_t *size,
                      struct wmgw_err *err)
{
    memset(a, 0, sizeof(*a));
    if (avail < 4)
        return bad(err, at, "ACE header beyond the ACL");
    a->type = p[0];
    a->flags = p[1];
    size_t n = wmgw__le16(p + 2);
    bool object = wmgw_ace_type_is_object(a->type);
    size_t fixed = 8 + (object ? 4 : 0);
    if (n % 4 != 0 || n < fixed + 8)
        return bad(err, at + 2, "AceSize not a multiple of 4 or too small for its type");
    if (n > avail)
        return bad(err, at + 2, "ACE beyond the end of its ACL");
    if (a->type > WMGW_ACE_SCOPED_POLICY_ID || a->type == WMGW_ACE_ALLOWED_COMPOUND)
        return bad(err, at, "unsupported ACE type");
    a->mask = wmgw__le32(p + 4);
    size_t pos = 8;
    if (object) {
        uint32_t f = wmgw__le32(p + 8);
        if (f & ~3u)
            return bad(err, at + 8, "unknown object ACE flags");
        a->has_object_type = f & 1;
        a->has_inherited_object_type = (f & 2) != 0;
        pos = 12;
        for (int g = 0; g < 2; g++) {
            if (!(g == 0 ? a->has_object_type : a->has_inherited_object_type))
                continue;
            if (n - pos < 16)
                return bad(err, at + pos, "object GUID beyond the ACE");
            memcpy(g == 0 ? a->object_type.b : a->inherited_object_type.b, p + pos, 16);
            pos += 16;
        }
    }
    size_t used;
    struct wmgw_err e;
    if (wmgw_sid_read(&a->sid, p + pos, n - pos, &used, &e) != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(at + pos + (size_t)(e.position > 0 ? e.position : 0)),
                               "security descriptor: ACE SID: %s", e.message);
    pos += used;
    if (wmgw_ace_type_is_callback(a->type) || a->type == WMGW_ACE_RESOURCE_ATTRIBUTE) {
        a->data_len = n - pos;
        if (a->data_len > 0) {
            if ((a->data = malloc(a->data_len)) == NULL)
                return WMGW_ENOMEM;
            memcpy(a->data, p + pos, a->data_len);
        }
    }
    const char *why = wmgw__ace_problem(a, sacl);
    if (why != NULL)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "security descriptor: ACE: %s", why);
    if (a->type == WMGW_ACE_RESOURCE_ATTRIBUTE) {
        struct wmgw__claim c;
        if (wmgw__claim_read(a->data, a->data_len, &c, &e) != 0)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)(at + pos + (size_t)(e.position > 0 ? e.position : 0)),
                                   "security descriptor: %s", e.message);
    }
    *size = n;
    return 0;
}

static int decode_acl(const uint8_t *d, size_t len, size_t off, bool sacl, struct wmgw_acl **out,
                      struct wmgw_err *err)
{
    if (off < 20 || off >= len || len - off < 8)
        return bad(err, sacl ? 12 : 16, "ACL offset outside the descriptor");
    const uint8_t *p = d + off;
    uint8_t rev = p[0];
    size_t size = wmgw__le16(p + 2), count = wmgw__le16(p + 4);
    if (rev != WMGW_ACL_REVISION && rev != WMGW_ACL_REVISION_DS)
        return bad(err, off, "ACL revision not 2 or 4");
    if (p[1] != 0 || wmgw__le16(p + 6) != 0)
        return bad(err, off + 1, "ACL reserved fields not zero");
    if (size < 8 || size > len - off)
        return bad(err, off + 2, "AclSize smaller than the header or beyond the descriptor");
    if (count > WMGW_SD_MAX_ACES)
        return bad(err, off + 4, "more ACEs than the limit");
    struct wmgw_acl *acl = wmgw__acl_new();
    if (acl == NULL)
        return WMGW_ENOMEM;
    acl->revision = rev;
    *out = acl;
    size_t pos = 8;
    for (size_t k = 0; k < count; k++) {
        struct wmgw_ace a;
        size_t n = 0;
        int rc = decode_ace(p + pos, size - pos, off + pos, sacl, &a, &n, err);
        if (rc == 0 && rev == WMGW_ACL_REVISION && wmgw_ace_type_is_object(a.type))
            rc = bad(err, off + pos, "object ACE in a revision 2 ACL");
        if (rc == 0)
            rc = wmgw__acl_append(acl, &a);
        free(a.data);
        if (rc != 0)
            return rc;
        pos += n;
    }
    return 0;
}

static int decode_sid(const uint8_t *d, size_t len, size_t off, size_t field, struct wmgw_sid *sid,
                      struct wmgw_err *err)
{
    if (off < 20 || off >= len)
        return bad(err, field, "SID offset outside the descriptor");
    size_t used;
    struct wmgw_err e;
    if (wmgw_sid_read(sid, d + off, len - off, &used, &e) != 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(off + (size_t)(e.position > 0 ? e.position : 0)),
                               "security descriptor: %s", e.message);
    return 0;
}

int wmgw_sd_decode(struct wmgw_sd *sd, const uint8_t *d, size_t len, struct wmgw_err *err)
{
    wmgw_sd_init(sd);
    if (len < 20)
        return bad(err, len, "shorter than its 20-byte header");
    if (d[0] != 1)
        return bad(err, 0, "revision not 1");
    uint16_t control = wmgw__le16(d + 2);
    if (!(control & WMGW_SD_SELF_RELATIVE))
        return bad(err, 2, "not in self-relative form (SR clear)");
    uint32_t off_owner = wmgw__le32(d + 4), off_group = wmgw__le32(d + 8);
    uint32_t off_sacl = wmgw__le32(d + 12), off_dacl = wmgw__le32(d + 16);
    if (off_sacl != 0 && !(control & WMGW_SD_SACL_PRESENT))
        return bad(err, 12, "SACL offset without the SACL-present bit");
    if (off_dacl != 0 && !(control & WMGW_SD_DACL_PRESENT))
        return bad(err, 16, "DACL offset without the DACL-present bit");
    sd->control = control & (uint16_t)~WMGW_SD_SELF_RELATIVE;
    sd->rm_control = d[1];
    int rc = 0;
    if (off_owner != 0) {
        sd->has_owner = true;
        rc = decode_sid(d, len, off_owner, 4, &sd->owner, err);
    }
    if (rc == 0 && off_group != 0) {
        sd->has_group = true;
        rc = decode_sid(d, len, off_group, 8, &sd->group, err);
    }
    if (rc == 0 && off_sacl != 0)
        rc = decode_acl(d, len, off_sacl, true, &sd->sacl, err);
    if (rc == 0 && off_dacl != 0)
        rc = decode_acl(d, len, off_dacl, false, &sd->dacl, err);
    if (rc != 0)
        wmgw_sd_dispose(sd);
    return rc;
}
