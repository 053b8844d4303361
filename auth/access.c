/*
 * access.c: AccessCheck (access.h; MS-DTYP 2.5.3.2 and the mandatory
 * integrity check of 2.5.3.3).
 *
 * One walk of the DACL serves both modes.  A requested mask keeps the bits
 * still missing ("remaining") and fails at the first matching deny that
 * names one of them.  MAXIMUM_ALLOWED keeps what is allowed and what is
 * denied so far; each ACE only adds bits the other set does not yet hold.
 * DTYP's pseudocode subtracts every deny at the end instead, which would
 * let a later deny take back an earlier grant and make the two modes
 * disagree; Windows orders them as here.  The pseudocode also drops the
 * owner's implicit rights in that mode, which this code keeps.
 *
 * Object type: the request names at most one object type (a one-node
 * object tree).  An object ACE without an object type is an ordinary ACE.
 *
 * SECURITY
 *      Decision code: every path that cannot show a grant refuses.  Masks
 *      are mapped before they are compared, so generic bits cannot slip
 *      past a specific deny.
 */
#include "auth/access.h"
#include "auth/sddl_int.h"

#include <string.h>

#define ALL_SPECIFIC (~(WMGW_MAXIMUM_ALLOWED | WMGW_ACCESS_SYSTEM_SECURITY))
#define GENERIC_BITS (WMGW_GENERIC_READ | WMGW_GENERIC_WRITE | WMGW_GENERIC_EXECUTE | WMGW_GENERIC_ALL)

static const struct wmgw_sid principal_self = {1, 1, {0, 0, 0, 0, 0, 5}, {10}};
static const struct wmgw_sid owner_rights = {1, 1, {0, 0, 0, 0, 0, 3}, {4}};
static const struct wmgw_sid medium_label = {1, 1, {0, 0, 0, 0, 0, 16}, {0x2000}};

uint32_t wmgw_access_map(uint32_t mask, const struct wmgw_generic_mapping *m)
{
    if (m == NULL)
        return mask;
    uint32_t out = mask & ~GENERIC_BITS;
    if (mask & WMGW_GENERIC_READ)
        out |= m->read;
    if (mask & WMGW_GENERIC_WRITE)
        out |= m->write;
    if (mask & WMGW_GENERIC_EXECUTE)
        out |= m->execute;
    if (mask & WMGW_GENERIC_ALL)
        out |= m->all;
    return out;
}

bool wmgw_access_has_sid(const struct wmgw_token *tok, const struct wmgw_sid *sid)
{
    if (wmgw_sid_equal(&tok->user, sid))
        return true;
    for (size_t i = 0; i < tok->group_count; i++)
        if (wmgw_sid_equal(&tok->groups[i], sid))
            return true;
    return false;
}

struct walk {
    const struct wmgw_sd *sd;
    const struct wmgw_token *tok;
    const struct wmgw_access_request *req;
    bool is_owner;
};

/* SidInToken, with PRINCIPAL_SELF replaced and OWNER RIGHTS meaning the
 * owner. */
static bool ace_sid_matches(const struct walk *w, const struct wmgw_sid *sid)
{
    if (wmgw_sid_equal(sid, &owner_rights))
        return w->is_owner;
    if (w->req->self != NULL && wmgw_sid_equal(sid, &principal_self))
        sid = w->req->self;
    return wmgw_access_has_sid(w->tok, sid);
}

static bool dacl_names_owner_rights(const struct wmgw_acl *dacl)
{
    for (size_t i = 0; dacl != NULL && i < dacl->count; i++)
        if (!(dacl->aces[i].flags & WMGW_ACE_INHERIT_ONLY) && wmgw_sid_equal(&dacl->aces[i].sid, &owner_rights))
            return true;
    return false;
}

enum effect { NONE, ALLOW, DENY };

/* What one DACL ACE does for this token and request. */
static enum effect ace_effect(const struct walk *w, const struct wmgw_ace *a)
{
    if (a->flags & WMGW_ACE_INHERIT_ONLY || !ace_sid_matches(w, &a->sid))
        return NONE;
    if (wmgw_ace_type_is_object(a->type) && a->has_object_type &&
        (w->req->object_type == NULL || memcmp(w->req->object_type->b, a->object_type.b, 16) != 0))
        return NONE;
    enum wmgw_tri cond = WMGW_TRI_TRUE;
    if (wmgw_ace_type_is_callback(a->type))
        cond = wmgw_access_condition(a->data, a->data_len, w->tok, w->sd->sacl);
    switch (a->type) {
    case WMGW_ACE_ALLOWED:
    case WMGW_ACE_ALLOWED_OBJECT:
    case WMGW_ACE_ALLOWED_CALLBACK:
    case WMGW_ACE_ALLOWED_CALLBACK_OBJECT:
        return cond == WMGW_TRI_TRUE ? ALLOW : NONE;
    case WMGW_ACE_DENIED:
    case WMGW_ACE_DENIED_OBJECT:
    case WMGW_ACE_DENIED_CALLBACK:
    case WMGW_ACE_DENIED_CALLBACK_OBJECT:
        return cond == WMGW_TRI_FALSE ? NONE : DENY;
    default:
        return NONE; /* not a DACL type */
    }
}

/* The rights a mandatory label leaves a token (2.5.3.3, policy
 * NO_WRITE_UP): everything when the token's level dominates the label's,
 * else read and execute unless the label forbids them too.  Only bits a
 * generic right maps to are restricted. */
static uint32_t mandatory_allowed(const struct wmgw_sd *sd, const struct wmgw_token *tok,
                                  const struct wmgw_generic_mapping *m)
{
    if (tok->integrity == NULL)
        return 0xFFFFFFFFu;
    const struct wmgw_sid *label = &medium_label;
    uint32_t policy = WMGW_LABEL_NO_WRITE_UP;
    for (size_t i = 0; sd->sacl != NULL && i < sd->sacl->count; i++) {
        const struct wmgw_ace *a = &sd->sacl->aces[i];
        if (a->type == WMGW_ACE_MANDATORY_LABEL) {
            if (!(a->flags & WMGW_ACE_INHERIT_ONLY)) {
                label = &a->sid;
                policy = a->mask;
            }
            break;
        }
    }
    const struct wmgw_sid *mine = tok->integrity;
    uint32_t my_level = mine->sub_count ? mine->sub[mine->sub_count - 1] : 0;
    uint32_t its_level = label->sub_count ? label->sub[label->sub_count - 1] : 0;
    if (my_level >= its_level)
        return 0xFFFFFFFFu;
    uint32_t generic = WMGW_GENERIC_READ | WMGW_GENERIC_EXECUTE;
    if (policy & WMGW_LABEL_NO_READ_UP)
        generic &= ~WMGW_GENERIC_READ;
    if (policy & WMGW_LABEL_NO_EXECUTE_UP)
        generic &= ~WMGW_GENERIC_EXECUTE;
    uint32_t universe = m ? m->read | m->write | m->execute | m->all : GENERIC_BITS;
    uint32_t allowed = m ? wmgw_access_map(generic, m) : generic;
    if (tok->privileges & WMGW_PRIV_RELABEL)
        allowed |= WMGW_WRITE_OWNER;
    return ~(universe & ~allowed);
}

static int denied(struct wmgw_access_result *res, long ace, uint32_t bits, const char *why, struct wmgw_err *err)
{
    res->granted = 0;
    res->denied_by = ace;
    if (ace >= 0)
        return wmgw_err_set(err, WMGW_EACCES, "access denied by DACL ACE %ld (rights 0x%x)", ace, (unsigned)bits);
    return wmgw_err_set(err, WMGW_EACCES, "access denied: %s (rights 0x%x)", why, (unsigned)bits);
}

int wmgw_access_check(const struct wmgw_sd *sd, const struct wmgw_token *tok, const struct wmgw_access_request *req,
                      struct wmgw_access_result *res, struct wmgw_err *err)
{
    struct wmgw_access_result local;
    if (res == NULL)
        res = &local;
    res->granted = 0;
    res->denied_by = -1;
    if (sd == NULL || tok == NULL || req == NULL)
        return wmgw_err_set(err, WMGW_EINVAL, "access check without a descriptor, token or request");
    const struct wmgw_generic_mapping *m = req->mapping;
    uint32_t desired = wmgw_access_map(req->desired, m);
    bool max_mode = (desired & WMGW_MAXIMUM_ALLOWED) != 0;
    desired &= ~WMGW_MAXIMUM_ALLOWED;
    uint32_t system = 0; /* ACCESS_SYSTEM_SECURITY, decided by privilege alone */
    if (desired & WMGW_ACCESS_SYSTEM_SECURITY) {
        if (!(tok->privileges & WMGW_PRIV_SECURITY))
            return denied(res, -1, WMGW_ACCESS_SYSTEM_SECURITY, "ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege",
                          err);
        system = WMGW_ACCESS_SYSTEM_SECURITY;
        desired &= ~WMGW_ACCESS_SYSTEM_SECURITY;
    }
    struct walk w = {sd, tok, req, false};
    w.is_owner = sd->has_owner && ace_sid_matches(&w, &sd->owner);
    uint32_t pre = 0; /* granted before the DACL is looked at */
    if ((tok->privileges & WMGW_PRIV_TAKE_OWNERSHIP) && (max_mode || (desired & WMGW_WRITE_OWNER)))
        pre |= WMGW_WRITE_OWNER;
    if (w.is_owner && !dacl_names_owner_rights(sd->dacl))
        pre |= WMGW_READ_CONTROL | WMGW_WRITE_DAC;

    uint32_t allowed = pre, refused = 0, remaining = desired & ~pre;
    if (sd->dacl == NULL) { /* absent or NULL DACL: no policy, everything */
        allowed = m ? ALL_SPECIFIC & ~GENERIC_BITS : ALL_SPECIFIC;
        remaining = 0;
    } else {
        for (size_t i = 0; i < sd->dacl->count; i++) {
            const struct wmgw_ace *a = &sd->dacl->aces[i];
            enum effect e = ace_effect(&w, a);
            uint32_t bits = wmgw_access_map(a->mask, m) & ALL_SPECIFIC;
            if (e == ALLOW) {
                allowed |= bits & ~refused;
                remaining &= ~bits;
            } else if (e == DENY) {
                refused |= bits & ~allowed;
                if (!max_mode && (bits & remaining))
                    return denied(res, (long)i, bits & remaining, "a deny ACE", err);
            }
        }
    }
    uint32_t label = mandatory_allowed(sd, tok, m);
    if (max_mode) {
        uint32_t granted = (allowed & label) | system;
        if (granted == 0)
            return denied(res, -1, 0, "the descriptor grants nothing", err);
        if (desired & ~granted) /* rights asked for beside MAXIMUM_ALLOWED */
            return denied(res, -1, desired & ~granted, "not granted", err);
        res->granted = granted;
        return 0;
    }
    if (remaining != 0)
        return denied(res, -1, remaining, "not granted", err);
    if (desired & ~label)
        return denied(res, -1, desired & ~label, "the mandatory label forbids them", err);
    res->granted = desired | system;
    return 0;
}
