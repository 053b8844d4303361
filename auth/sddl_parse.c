/*
 * sddl_parse.c: SDDL text -> struct wmgw_sd (sddl.h; MS-DTYP 2.5.1.1).
 *
 *   sddl = *( "O:" sid / "G:" sid / "D:" acl / "S:" acl )   each at most once
 *   acl  = *( "P" / "AI" / "AR" / "NO_ACCESS_CONTROL" ) *ace
 *   ace  = "(" type ";" flags ";" rights ";" guid ";" guid ";" sid
 *          [ ";" ( condition / attribute-data ) ] ")"
 *
 * Each field is read by its position, so two-letter tokens mean what the
 * field says (WD: Everyone as a SID, WRITE_DAC as a right; FA: failed-
 * access audit flag or FILE_ALL_ACCESS).  Conditions go to sddl_cond.c,
 * resource attribute data to sddl_attr.c; both come back as the binary
 * ApplicationData kept in the ACE.  Every ACE then has to pass the rules of
 * wmgw__ace_problem, and every ACL must fit the binary form's 64 KiB.
 *
 * SECURITY
 *      Text is untrusted (REST API, configuration): the length, the ACE
 *      count and the conditions are bounded (sddl.h); errors carry the byte
 *      position and name what was expected.  On error nothing is kept.
 */
#include "auth/sddl_int.h"

#include <stdlib.h>
#include <string.h>

struct sp {
    const char *s;
    size_t len, i;
    const struct wmgw_sid_domains *dom;
    struct wmgw_err *err;
};

static int fail_at(struct sp *p, size_t at, const char *what)
{
    return wmgw_err_set_at(p->err, WMGW_EINVAL, (long)at, "SDDL: %s", what);
}

static int fail(struct sp *p, const char *what)
{
    return fail_at(p, p->i, what);
}

static bool at_char(const struct sp *p, char c)
{
    return p->i < p->len && p->s[p->i] == c;
}

static int expect(struct sp *p, char c, const char *what)
{
    if (!at_char(p, c))
        return fail(p, what);
    p->i++;
    return 0;
}

/* Re-bases an error from a sub-parser that counted from s + at. */
static int rebase(struct sp *p, size_t at, int rc, const struct wmgw_err *e)
{
    size_t pos = at + (size_t)(e->position > 0 ? e->position : 0);
    return wmgw_err_set_at(p->err, rc, (long)pos, "SDDL: %s", e->message);
}

static int sid_field(struct sp *p, struct wmgw_sid *sid)
{
    struct wmgw_err e;
    size_t used;
    int rc = wmgw_sid_parse_sddl(sid, p->s + p->i, p->len - p->i, &used, p->dom, &e);
    if (rc != 0)
        return rebase(p, p->i, rc, &e);
    p->i += used;
    return 0;
}

static int guid_field(struct sp *p, bool *has, struct wmgw_guid *g)
{
    size_t n = 0;
    while (p->i + n < p->len && p->s[p->i + n] != ';' && n <= 36)
        n++;
    *has = n > 0;
    if (n == 0)
        return 0;
    struct wmgw_err e;
    int rc = wmgw_guid_parse(g, p->s + p->i, n, &e);
    if (rc != 0)
        return rebase(p, p->i, rc, &e);
    p->i += n;
    return 0;
}

/* A name from a table at s[i]: the longest that matches. */
static const struct wmgw__name *table_match(const struct sp *p, const struct wmgw__name *t, size_t count)
{
    const struct wmgw__name *best = NULL;
    for (size_t k = 0; k < count; k++) {
        size_t n = strlen(t[k].name);
        if (p->len - p->i >= n && memcmp(p->s + p->i, t[k].name, n) == 0 && (best == NULL || n > strlen(best->name)))
            best = &t[k];
    }
    return best;
}

static int type_field(struct sp *p, uint8_t *type)
{
    size_t n = 0;
    while (p->i + n < p->len && p->s[p->i + n] != ';' && n < 3)
        n++;
    for (size_t k = 0; k < wmgw__ace_type_count; k++) {
        if (strlen(wmgw__ace_type_names[k].name) == n && memcmp(p->s + p->i, wmgw__ace_type_names[k].name, n) == 0) {
            *type = (uint8_t)wmgw__ace_type_names[k].value;
            p->i += n;
            return 0;
        }
    }
    return fail(p, "expected an ACE type (A D AU AL OA OD OU OL ML SP XA XD XU ZA RA)");
}

static int flags_field(struct sp *p, uint8_t *flags)
{
    *flags = 0;
    while (p->i < p->len && p->s[p->i] != ';') {
        const struct wmgw__name *f = table_match(p, wmgw__ace_flag_names, wmgw__ace_flag_count);
        if (f == NULL)
            return fail(p, "expected an ACE flag (OI CI NP IO ID SA FA) or ';'");
        *flags |= (uint8_t)f->value;
        p->i += 2;
    }
    return 0;
}

static int rights_field(struct sp *p, uint32_t *mask)
{
    *mask = 0;
    if (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        struct wmgw__int_lit v;
        size_t start = p->i;
        int rc = wmgw__lit_int_parse(p->s, p->len, &p->i, true, &v, 0, p->err);
        if (rc != 0)
            return rc;
        if ((uint64_t)v.value > UINT32_MAX)
            return fail_at(p, start, "rights number larger than 32 bits");
        *mask = (uint32_t)v.value;
        return 0;
    }
    while (p->i < p->len && p->s[p->i] != ';') {
        const struct wmgw__name *r = table_match(p, wmgw__right_whole_names, wmgw__right_whole_count);
        if (r == NULL)
            r = table_match(p, wmgw__right_bit_names, wmgw__right_bit_count);
        if (r == NULL)
            r = table_match(p, wmgw__right_label_names, wmgw__right_label_count);
        if (r == NULL)
            return fail(p, "expected a right (GA GR GW GX, RC SD WD WO, CC DC LC SW RP WP DT LO CR, FA FR FW FX, "
                           "KA KR KW KX, NW NR NX), a number or ';'");
        *mask |= r->value;
        p->i += 2;
    }
    return 0;
}

/* The seventh field: a condition for callback types, data for RA. */
static int data_field(struct sp *p, struct wmgw_ace *ace)
{
    bool cond = wmgw_ace_type_is_callback(ace->type);
    struct wmgw_buf b;
    size_t used = 0;
    wmgw_buf_init(&b, 0xFFFF);
    int rc = cond ? wmgw__cond_compile(p->s + p->i, p->len - p->i, p->i, &used, p->dom, &b, p->err)
                  : wmgw__attr_compile(p->s + p->i, p->len - p->i, p->i, &used, p->dom, &b, p->err);
    if (rc == 0) {
        p->i += used;
        ace->data_len = b.len;
        ace->data = (uint8_t *)wmgw_buf_steal(&b, NULL);
    }
    wmgw_buf_dispose(&b);
    return rc;
}

static int ace(struct sp *p, struct wmgw_acl *acl, bool in_sacl)
{
    size_t start = p->i;
    struct wmgw_ace a;
    memset(&a, 0, sizeof(a));
    int rc = expect(p, '(', "expected '('");
    rc = rc ? rc : type_field(p, &a.type);
    rc = rc ? rc : expect(p, ';', "expected ';' after the ACE type");
    rc = rc ? rc : flags_field(p, &a.flags);
    rc = rc ? rc : expect(p, ';', "expected ';' after the ACE flags");
    rc = rc ? rc : rights_field(p, &a.mask);
    rc = rc ? rc : expect(p, ';', "expected ';' after the rights");
    size_t guid_at = p->i;
    rc = rc ? rc : guid_field(p, &a.has_object_type, &a.object_type);
    rc = rc ? rc : expect(p, ';', "expected ';' after the object type GUID");
    rc = rc ? rc : guid_field(p, &a.has_inherited_object_type, &a.inherited_object_type);
    if (rc == 0 && (a.has_object_type || a.has_inherited_object_type) && !wmgw_ace_type_is_object(a.type))
        return fail_at(p, guid_at, "GUIDs are only allowed in object ACEs (OA OD OU OL ZA)");
    rc = rc ? rc : expect(p, ';', "expected ';' after the inherited object type GUID");
    rc = rc ? rc : sid_field(p, &a.sid);
    bool wants_data = wmgw_ace_type_is_callback(a.type) || a.type == WMGW_ACE_RESOURCE_ATTRIBUTE;
    if (rc == 0 && wants_data) {
        rc = expect(p, ';', wmgw_ace_type_is_callback(a.type) ? "expected ';' and a condition"
                                                              : "expected ';' and the attribute data");
        rc = rc ? rc : data_field(p, &a);
    }
    rc = rc ? rc : expect(p, ')', wants_data ? "expected ')' to close the ACE" : "expected ')' after the SID");
    const char *why = rc == 0 ? wmgw__ace_problem(&a, in_sacl) : NULL;
    if (why != NULL)
        rc = wmgw_err_set_at(p->err, WMGW_EINVAL, (long)start, "SDDL: ACE: %s", why);
    if (rc == 0 && (rc = wmgw__acl_append(acl, &a)) == WMGW_EINVAL)
        rc = fail_at(p, start, "more ACEs than the limit");
    free(a.data);
    return rc;
}

/* "D:" or "S:" already read: flags, then ACEs. */
static int acl_component(struct sp *p, struct wmgw_sd *sd, bool sacl)
{
    size_t start = p->i - 2;
    bool null_acl = false;
    uint16_t protected_bit = sacl ? WMGW_SD_SACL_PROTECTED : WMGW_SD_DACL_PROTECTED;
    uint16_t ai_bit = sacl ? WMGW_SD_SACL_AUTO_INHERITED : WMGW_SD_DACL_AUTO_INHERITED;
    uint16_t ar_bit = sacl ? WMGW_SD_SACL_AUTO_INHERIT_REQ : WMGW_SD_DACL_AUTO_INHERIT_REQ;
    for (;;) {
        if (p->len - p->i >= 17 && memcmp(p->s + p->i, "NO_ACCESS_CONTROL", 17) == 0) {
            null_acl = true;
            p->i += 17;
        } else if (p->len - p->i >= 2 && memcmp(p->s + p->i, "AI", 2) == 0) {
            sd->control |= ai_bit;
            p->i += 2;
        } else if (p->len - p->i >= 2 && memcmp(p->s + p->i, "AR", 2) == 0) {
            sd->control |= ar_bit;
            p->i += 2;
        } else if (at_char(p, 'P')) {
            sd->control |= protected_bit;
            p->i++;
        } else {
            break;
        }
    }
    sd->control |= sacl ? WMGW_SD_SACL_PRESENT : WMGW_SD_DACL_PRESENT;
    if (null_acl) {
        if (at_char(p, '('))
            return fail(p, "NO_ACCESS_CONTROL (a NULL ACL) cannot have ACEs");
        return 0;
    }
    struct wmgw_acl *acl = wmgw__acl_new();
    if (acl == NULL)
        return WMGW_ENOMEM;
    if (sacl)
        sd->sacl = acl;
    else
        sd->dacl = acl;
    while (at_char(p, '(')) {
        int rc = ace(p, acl, sacl);
        if (rc != 0)
            return rc;
    }
    acl->revision = wmgw__acl_min_revision(acl);
    if (wmgw__acl_size(acl) > 0xFFFF)
        return fail_at(p, start, "ACL larger than the 65535 bytes of its binary form");
    return 0;
}

static int component(struct sp *p, struct wmgw_sd *sd, unsigned *seen)
{
    static const char names[] = "OGDS";
    const char *which = p->i + 1 < p->len && p->s[p->i + 1] == ':' && p->s[p->i] != '\0'
                            ? strchr(names, p->s[p->i]) : NULL;
    if (which == NULL)
        return fail(p, "expected O:, G:, D: or S:");
    unsigned bit = 1u << (which - names);
    if (*seen & bit)
        return wmgw_err_set_at(p->err, WMGW_EINVAL, (long)p->i, "SDDL: a second %c: component", *which);
    *seen |= bit;
    p->i += 2;
    switch (*which) {
    case 'O':
        sd->has_owner = true;
        return sid_field(p, &sd->owner);
    case 'G':
        sd->has_group = true;
        return sid_field(p, &sd->group);
    case 'D':
        return acl_component(p, sd, false);
    default:
        return acl_component(p, sd, true);
    }
}

int wmgw_sddl_parse(struct wmgw_sd *sd, const char *text, size_t len, const struct wmgw_sddl_opts *opts,
                    struct wmgw_err *err)
{
    wmgw_sd_init(sd);
    if (len > WMGW_SDDL_MAX_TEXT)
        return wmgw_err_set_at(err, WMGW_EINVAL, WMGW_SDDL_MAX_TEXT, "SDDL: longer than %d bytes", WMGW_SDDL_MAX_TEXT);
    struct sp p = {text, len, 0, opts ? &opts->domains : NULL, err};
    unsigned seen = 0;
    int rc = 0;
    while (rc == 0 && p.i < len)
        rc = component(&p, sd, &seen);
    if (rc != 0)
        wmgw_sd_dispose(sd);
    return rc;
}
