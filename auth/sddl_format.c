/*
 * sddl_format.c: struct wmgw_sd -> canonical SDDL text (sddl.h).
 *
 * Canonical means what Windows' ConvertSecurityDescriptorToString prints
 * (facts in sddl.h): O G D S; ACL flags P AR AI; rights as one whole name
 * (FA, KR, ...) on an exact match, else letters low bit first when every
 * bit has one, else 0x and lower-case hex.  The same structure always
 * gives the same bytes, so formatted policies can be compared as strings.
 *
 * SECURITY
 *      Output goes to a caller's bounded buffer; anything SDDL cannot say
 *      is an error (WMGW_EUNSUPPORTED) rather than a lossy string.
 */
#include "auth/sddl_int.h"

#include <inttypes.h>

static int rights(const struct wmgw_ace *ace, struct wmgw_buf *out)
{
    uint32_t m = ace->mask;
    if (m == 0)
        return 0;
    const struct wmgw__name *bits = wmgw__right_bit_names;
    size_t nbits = wmgw__right_bit_count;
    if (ace->type == WMGW_ACE_MANDATORY_LABEL && (m & ~(uint32_t)7) == 0) {
        bits = wmgw__right_label_names;
        nbits = wmgw__right_label_count;
    } else {
        for (size_t k = 0; k < wmgw__right_whole_count; k++)
            if (wmgw__right_whole_names[k].value == m)
                return wmgw_buf_addstr(out, wmgw__right_whole_names[k].name);
    }
    uint32_t named = 0;
    for (size_t k = 0; k < nbits; k++)
        named |= bits[k].value;
    if ((m & ~named) != 0)
        return wmgw_buf_printf(out, "0x%" PRIx32, m);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < nbits; k++) /* tables are in bit order */
        if (m & bits[k].value)
            rc = wmgw_buf_addstr(out, bits[k].name);
    return rc;
}

static int flags(uint8_t f, struct wmgw_buf *out, struct wmgw_err *err)
{
    uint8_t named = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < wmgw__ace_flag_count; k++) {
        named |= (uint8_t)wmgw__ace_flag_names[k].value;
        if (f & wmgw__ace_flag_names[k].value)
            rc = wmgw_buf_addstr(out, wmgw__ace_flag_names[k].name);
    }
    if (rc == 0 && (f & ~named) != 0)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "ACE flags 0x%02x have no SDDL letters", f & ~named);
    return rc;
}

static int guid(bool has, const struct wmgw_guid *g, struct wmgw_buf *out)
{
    char text[WMGW_GUID_TEXT_MAX];
    if (!has)
        return 0;
    wmgw_guid_format(g, text);
    return wmgw_buf_addstr(out, text);
}

static int ace(const struct wmgw_ace *a, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
               struct wmgw_err *err)
{
    const char *type = wmgw__ace_type_name(a->type);
    if (type == NULL)
        return wmgw_err_set(err, WMGW_EUNSUPPORTED, "ACE type 0x%02x has no SDDL name", a->type);
    char sid[WMGW_SID_TEXT_MAX];
    wmgw_sid_format_sddl(&a->sid, dom, sid);
    int rc = wmgw_buf_printf(out, "(%s;", type);
    rc = rc ? rc : flags(a->flags, out, err);
    rc = rc ? rc : wmgw_buf_addc(out, ';');
    rc = rc ? rc : rights(a, out);
    rc = rc ? rc : wmgw_buf_addc(out, ';');
    rc = rc ? rc : guid(a->has_object_type, &a->object_type, out);
    rc = rc ? rc : wmgw_buf_addc(out, ';');
    rc = rc ? rc : guid(a->has_inherited_object_type, &a->inherited_object_type, out);
    rc = rc ? rc : wmgw_buf_printf(out, ";%s", sid);
    if (rc == 0 && a->type == WMGW_ACE_RESOURCE_ATTRIBUTE) {
        rc = wmgw_buf_addc(out, ';');
        rc = rc ? rc : wmgw__attr_format(a->data, a->data_len, dom, out, err);
    } else if (rc == 0 && wmgw_ace_type_is_callback(a->type)) {
        if (a->data_len == 0)
            return wmgw_err_set(err, WMGW_EUNSUPPORTED, "a callback ACE without a condition has no SDDL form");
        rc = wmgw_buf_addc(out, ';');
        rc = rc ? rc : wmgw__cond_format(a->data, a->data_len, dom, out, err);
    }
    return rc ? rc : wmgw_buf_addc(out, ')');
}

static int acl(const struct wmgw_sd *sd, bool sacl, const struct wmgw_sid_domains *dom, struct wmgw_buf *out,
               struct wmgw_err *err)
{
    const struct wmgw_acl *a = sacl ? sd->sacl : sd->dacl;
    if (a == NULL && !(sd->control & (sacl ? WMGW_SD_SACL_PRESENT : WMGW_SD_DACL_PRESENT)))
        return 0;
    int rc = wmgw_buf_addstr(out, sacl ? "S:" : "D:");
    if (rc == 0 && (sd->control & (sacl ? WMGW_SD_SACL_PROTECTED : WMGW_SD_DACL_PROTECTED)))
        rc = wmgw_buf_addc(out, 'P');
    if (rc == 0 && (sd->control & (sacl ? WMGW_SD_SACL_AUTO_INHERIT_REQ : WMGW_SD_DACL_AUTO_INHERIT_REQ)))
        rc = wmgw_buf_addstr(out, "AR");
    if (rc == 0 && (sd->control & (sacl ? WMGW_SD_SACL_AUTO_INHERITED : WMGW_SD_DACL_AUTO_INHERITED)))
        rc = wmgw_buf_addstr(out, "AI");
    if (rc == 0 && a == NULL)
        return wmgw_buf_addstr(out, "NO_ACCESS_CONTROL");
    for (size_t k = 0; rc == 0 && k < a->count; k++)
        rc = ace(&a->aces[k], dom, out, err);
    return rc;
}

static int sid_component(const char *tag, const struct wmgw_sid *sid, const struct wmgw_sid_domains *dom,
                         struct wmgw_buf *out)
{
    char text[WMGW_SID_TEXT_MAX];
    wmgw_sid_format_sddl(sid, dom, text);
    return wmgw_buf_printf(out, "%s%s", tag, text);
}

int wmgw_sddl_format(const struct wmgw_sd *sd, const struct wmgw_sddl_opts *opts, struct wmgw_buf *out,
                     struct wmgw_err *err)
{
    const struct wmgw_sid_domains *dom = opts ? &opts->domains : NULL;
    size_t start = out->len;
    int rc = sd->has_owner ? sid_component("O:", &sd->owner, dom, out) : 0;
    rc = rc || !sd->has_group ? rc : sid_component("G:", &sd->group, dom, out);
    rc = rc ? rc : acl(sd, false, dom, out, err);
    rc = rc ? rc : acl(sd, true, dom, out, err);
    if (rc == WMGW_ETOOBIG)
        wmgw_err_set(err, rc, "SDDL text longer than the output buffer allows");
    if (rc != 0 && out->data != NULL) { /* leave no half-written descriptor behind */
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
