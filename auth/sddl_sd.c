/*
 * sddl_sd.c: struct wmgw_sd itself (sddl.h): life cycle, deep copy and
 * comparison, GUID text, the rules an ACE must meet whichever way it was
 * read, and the sizes of the binary form.
 *
 * One rule set (wmgw__ace_problem) serves the SDDL parser and the binary
 * decoder, so a descriptor accepted from text is one the decoder would
 * accept from bytes and the other way round.
 *
 * SECURITY
 *      Sizes are computed in size_t and compared with the 16-bit limits of
 *      the binary form by the callers that need them.
 */
#include "auth/sddl_int.h"
#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

void wmgw_sd_init(struct wmgw_sd *sd)
{
    memset(sd, 0, sizeof(*sd));
}

void wmgw__acl_free(struct wmgw_acl *acl)
{
    if (acl == NULL)
        return;
    for (size_t i = 0; i < acl->count; i++)
        free(acl->aces[i].data);
    free(acl->aces);
    free(acl);
}

void wmgw_sd_dispose(struct wmgw_sd *sd)
{
    wmgw__acl_free(sd->dacl);
    wmgw__acl_free(sd->sacl);
    wmgw_sd_init(sd);
}

struct wmgw_acl *wmgw__acl_new(void)
{
    struct wmgw_acl *acl = calloc(1, sizeof(*acl));
    if (acl != NULL)
        acl->revision = WMGW_ACL_REVISION;
    return acl;
}

int wmgw__acl_append(struct wmgw_acl *acl, struct wmgw_ace *ace)
{
    if (acl->count >= WMGW_SD_MAX_ACES)
        return WMGW_EINVAL;
    /* Capacity is 4, then doubles whenever count reaches a power of two;
     * count is bounded, so this cannot overflow. */
    if (acl->count == 0 || (acl->count >= 4 && (acl->count & (acl->count - 1)) == 0)) {
        size_t cap = acl->count ? acl->count * 2 : 4;
        struct wmgw_ace *n = realloc(acl->aces, cap * sizeof(*n));
        if (n == NULL)
            return WMGW_ENOMEM;
        acl->aces = n;
    }
    acl->aces[acl->count++] = *ace;
    ace->data = NULL;
    ace->data_len = 0;
    return 0;
}

static int acl_copy(struct wmgw_acl **dst, const struct wmgw_acl *src)
{
    *dst = NULL;
    if (src == NULL)
        return 0;
    struct wmgw_acl *acl = wmgw__acl_new();
    if (acl == NULL)
        return WMGW_ENOMEM;
    acl->revision = src->revision;
    for (size_t i = 0; i < src->count; i++) {
        struct wmgw_ace ace = src->aces[i];
        ace.data = NULL;
        if (ace.data_len > 0 && (ace.data = malloc(ace.data_len)) == NULL) {
            wmgw__acl_free(acl);
            return WMGW_ENOMEM;
        }
        if (ace.data_len > 0)
            memcpy(ace.data, src->aces[i].data, ace.data_len);
        int rc = wmgw__acl_append(acl, &ace);
        if (rc != 0) {
            free(ace.data);
            wmgw__acl_free(acl);
            return rc;
        }
    }
    *dst = acl;
    return 0;
}

int wmgw_sd_copy(struct wmgw_sd *dst, const struct wmgw_sd *src)
{
    *dst = *src;
    dst->dacl = dst->sacl = NULL;
    int rc = acl_copy(&dst->dacl, src->dacl);
    if (rc == 0)
        rc = acl_copy(&dst->sacl, src->sacl);
    if (rc != 0)
        wmgw_sd_dispose(dst);
    return rc;
}

static bool ace_equal(const struct wmgw_ace *a, const struct wmgw_ace *b)
{
    if (a->type != b->type || a->flags != b->flags || a->mask != b->mask || !wmgw_sid_equal(&a->sid, &b->sid))
        return false;
    if (a->has_object_type != b->has_object_type || a->has_inherited_object_type != b->has_inherited_object_type)
        return false;
    if (a->has_object_type && memcmp(&a->object_type, &b->object_type, 16) != 0)
        return false;
    if (a->has_inherited_object_type && memcmp(&a->inherited_object_type, &b->inherited_object_type, 16) != 0)
        return false;
    return a->data_len == b->data_len && (a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0);
}

static bool acl_equal(const struct wmgw_acl *a, const struct wmgw_acl *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->revision != b->revision || a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!ace_equal(&a->aces[i], &b->aces[i]))
            return false;
    return true;
}

bool wmgw_sd_equal(const struct wmgw_sd *a, const struct wmgw_sd *b)
{
    if (a->control != b->control || a->rm_control != b->rm_control)
        return false;
    if (a->has_owner != b->has_owner || (a->has_owner && !wmgw_sid_equal(&a->owner, &b->owner)))
        return false;
    if (a->has_group != b->has_group || (a->has_group && !wmgw_sid_equal(&a->group, &b->group)))
        return false;
    return acl_equal(a->dacl, b->dacl) && acl_equal(a->sacl, b->sacl);
}

/* ---- ACE rules ---- */

bool wmgw_ace_type_is_object(uint8_t type)
{
    switch (type) {
    case WMGW_ACE_ALLOWED_OBJECT:
    case WMGW_ACE_DENIED_OBJECT:
    case WMGW_ACE_AUDIT_OBJECT:
    case WMGW_ACE_ALARM_OBJECT:
    case WMGW_ACE_ALLOWED_CALLBACK_OBJECT:
    case WMGW_ACE_DENIED_CALLBACK_OBJECT:
    case WMGW_ACE_AUDIT_CALLBACK_OBJECT:
    case WMGW_ACE_ALARM_CALLBACK_OBJECT:
        return true;
    default:
        return false;
    }
}

bool wmgw_ace_type_is_callback(uint8_t type)
{
    return type >= WMGW_ACE_ALLOWED_CALLBACK && type <= WMGW_ACE_ALARM_CALLBACK_OBJECT;
}

static bool is_dacl_type(uint8_t type)
{
    switch (type) {
    case WMGW_ACE_ALLOWED:
    case WMGW_ACE_DENIED:
    case WMGW_ACE_ALLOWED_OBJECT:
    case WMGW_ACE_DENIED_OBJECT:
    case WMGW_ACE_ALLOWED_CALLBACK:
    case WMGW_ACE_DENIED_CALLBACK:
    case WMGW_ACE_ALLOWED_CALLBACK_OBJECT:
    case WMGW_ACE_DENIED_CALLBACK_OBJECT:
        return true;
    default:
        return false;
    }
}

const char *wmgw__ace_problem(const struct wmgw_ace *ace, bool in_sacl)
{
    uint8_t t = ace->type;
    if (t > WMGW_ACE_SCOPED_POLICY_ID || t == WMGW_ACE_ALLOWED_COMPOUND)
        return "unsupported ACE type";
    if (is_dacl_type(t) == in_sacl)
        return in_sacl ? "an access ACE type in a SACL" : "an audit, label or attribute ACE type in a DACL";
    if (!wmgw_ace_type_is_object(t) && (ace->has_object_type || ace->has_inherited_object_type))
        return "object GUIDs on an ACE type that has none";
    if (ace->data_len % 4 != 0 || (ace->data_len > 0) != (ace->data != NULL))
        return "application data not a multiple of 4 bytes";
    if (t == WMGW_ACE_RESOURCE_ATTRIBUTE) {
        if (ace->data_len == 0)
            return "a resource attribute ACE without attribute data";
        if (ace->mask != 0)
            return "a resource attribute ACE with rights (the mask must be 0)";
        struct wmgw_sid everyone;
        wmgw_sid_init(&everyone, 1, (const uint32_t[]){0}, 1);
        if (!wmgw_sid_equal(&ace->sid, &everyone))
            return "a resource attribute ACE for a SID other than Everyone (WD)";
    } else if (!wmgw_ace_type_is_callback(t) && ace->data_len > 0) {
        return "application data on an ACE type that has none";
    }
    if (t == WMGW_ACE_SCOPED_POLICY_ID) {
        if (ace->mask != 0)
            return "a central policy ACE with rights (the mask must be 0)";
        if (wmgw_sid_authority(&ace->sid) != 17)
            return "a central policy ACE whose SID is not S-1-17-...";
    }
    if (t == WMGW_ACE_MANDATORY_LABEL) {
        if (wmgw_sid_authority(&ace->sid) != 16 || ace->sid.sub_count != 1)
            return "a mandatory label whose SID is not an integrity level (S-1-16-RID)";
        if (ace->mask & ~(WMGW_LABEL_NO_WRITE_UP | WMGW_LABEL_NO_READ_UP | WMGW_LABEL_NO_EXECUTE_UP))
            return "a mandatory label with rights other than NW NR NX";
    }
    if (wmgw__ace_size(ace) > 0xFFFF)
        return "an ACE larger than 65535 bytes";
    return NULL;
}

size_t wmgw__ace_size(const struct wmgw_ace *ace)
{
    size_t n = 8 + wmgw_sid_binary_size(&ace->sid) + ace->data_len;
    if (wmgw_ace_type_is_object(ace->type))
        n += 4 + (ace->has_object_type ? 16 : 0) + (ace->has_inherited_object_type ? 16 : 0);
    return n;
}

uint8_t wmgw__acl_min_revision(const struct wmgw_acl *acl)
{
    for (size_t i = 0; i < acl->count; i++)
        if (wmgw_ace_type_is_object(acl->aces[i].type))
            return WMGW_ACL_REVISION_DS;
    return WMGW_ACL_REVISION;
}

size_t wmgw__acl_size(const struct wmgw_acl *acl)
{
    size_t n = 8;
    for (size_t i = 0; i < acl->count; i++)
        n += wmgw__ace_size(&acl->aces[i]);
    return n;
}

/* ---- GUIDs ---- */

/* Text position of each byte of the wire form: Data1..3 are little-endian
 * on the wire, so their text digits are read in reverse byte order. */
static const uint8_t guid_text_pos[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};

int wmgw_guid_parse(struct wmgw_guid *g, const char *s, size_t len, struct wmgw_err *err)
{
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (i >= len)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "GUID: expected 36 characters (8-4-4-4-12 hex)");
        if (dash ? s[i] != '-' : wmgw_hex_value(s[i]) < 0)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "GUID: expected %s", dash ? "'-'" : "a hex digit");
    }
    if (len != 36)
        return wmgw_err_set_at(err, WMGW_EINVAL, 36, "GUID: unexpected character after 36 characters");
    for (size_t b = 0; b < 16; b++) {
        size_t at = guid_text_pos[b];
        g->b[b] = (uint8_t)(wmgw_hex_value(s[at]) << 4 | wmgw_hex_value(s[at + 1]));
    }
    return 0;
}

void wmgw_guid_format(const struct wmgw_guid *g, char out[WMGW_GUID_TEXT_MAX])
{
    static const char digits[] = "0123456789abcdef";
    memset(out, '-', 36);
    for (size_t b = 0; b < 16; b++) {
        out[guid_text_pos[b]] = digits[g->b[b] >> 4];
        out[guid_text_pos[b] + 1] = digits[g->b[b] & 0xF];
    }
    out[36] = '\0';
}

/* ---- buffers ---- */

int wmgw__buf_le32(struct wmgw_buf *b, uint32_t v)
{
    uint8_t x[4];
    wmgw__put32(x, v);
    return wmgw_buf_add(b, x, 4);
}

int wmgw__buf_le64(struct wmgw_buf *b, uint64_t v)
{
    uint8_t x[8];
    wmgw__put64(x, v);
    return wmgw_buf_add(b, x, 8);
}

int wmgw__buf_pad4(struct wmgw_buf *b)
{
    static const uint8_t zero[3];
    return b->len % 4 ? wmgw_buf_add(b, zero, 4 - b->len % 4) : 0;
}
