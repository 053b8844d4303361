/*
 * access.h: AccessCheck (MS-DTYP 2.5.3.2) of a caller's token against a
 * security descriptor: may this principal have these rights?
 *
 * This is the authorization decision of the gateway (design.md: auth/sddl
 * in the request flow).  It is a pure function of (descriptor, token,
 * request); it allocates only while evaluating a conditional ACE, and is
 * thread-safe.
 *
 * The algorithm, in order:
 *   1. Generic rights in the request and in every ACE mask are mapped
 *      through the request's generic mapping (protocol-notes 5.2: policies
 *      such as WinRM's grant GA and GR, and a request for GR must be met by
 *      an ACE granting GA).
 *   2. ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege (else denied);
 *      SeTakeOwnershipPrivilege grants WRITE_OWNER.
 *   3. The owner gets READ_CONTROL and WRITE_DAC, unless the DACL has an
 *      ACE for OWNER RIGHTS (S-1-3-4), which then speaks for the owner.
 *   4. No DACL (absent, or NULL) grants everything.  Otherwise the ACEs are
 *      walked in order, inherit-only ones skipped: an allow grants its
 *      bits, a deny refuses at once if it names a bit not yet granted (so
 *      a deny only wins when it comes first).  Object ACEs with an object
 *      type apply when it equals the request's object type; callback ACEs
 *      apply by their condition: an allow only when TRUE, a deny when TRUE
 *      or UNKNOWN.  PRINCIPAL_SELF (S-1-5-10) in an ACE stands for the
 *      request's `self` SID.
 *   5. With a mandatory integrity level in the token, the SACL's label
 *      (ML ACE; none: Medium with no-write-up) takes away write, and with
 *      NR/NX read/execute, from a token of lower integrity.
 *   6. SACL audit ACEs play no part.
 * MAXIMUM_ALLOWED in the request asks for everything the descriptor
 * grants; it walks the ACEs in the same order (a deny takes away only the
 * bits no earlier allow gave), so a request for a mask is granted exactly
 * when that mask lies within the maximum-allowed answer.
 *
 * Conditions (MS-DTYP 2.4.4.17) are evaluated with three-valued logic over
 * what the token knows: its SIDs decide Member_of, Member_of_Any and their
 * negations; @Resource. attributes come from the SACL's RA ACEs; user,
 * device and local claims are not carried by wmgw tokens, so anything that
 * depends on them is UNKNOWN, as is Device_Member_of and friends.  Any
 * malformed or ill-typed expression is UNKNOWN as a whole.
 *
 * SECURITY
 *      The descriptor and the token are trusted to be well-formed structs
 *      (they come from wmgw_sddl_parse / wmgw_sd_decode and the gateway's
 *      authentication); condition data inside ACEs is not, and is read
 *      with the bounds checks of the token reader.  Every failure to
 *      decide is a refusal, never a grant.
 */
#ifndef WMGW_AUTH_ACCESS_H
#define WMGW_AUTH_ACCESS_H

#include "auth/sddl.h"

/* Privileges a token may hold. */
#define WMGW_PRIV_SECURITY 0x1       /* SeSecurityPrivilege: ACCESS_SYSTEM_SECURITY */
#define WMGW_PRIV_TAKE_OWNERSHIP 0x2 /* SeTakeOwnershipPrivilege: WRITE_OWNER */
#define WMGW_PRIV_RELABEL 0x4        /* SeRelabelPrivilege: WRITE_OWNER past a label */

/* Who is asking: the user SID, the groups it is a member of (include
 * Everyone, Authenticated Users, ... as the caller's authentication
 * establishes them), privileges, and an optional integrity level. */
struct wmgw_token {
    struct wmgw_sid user;
    const struct wmgw_sid *groups;
    size_t group_count;
    unsigned privileges;              /* WMGW_PRIV_* */
    const struct wmgw_sid *integrity; /* S-1-16-RID, or NULL: no mandatory integrity check */
};

/* What each generic right means for one kind of object. */
struct wmgw_generic_mapping {
    uint32_t read, write, execute, all;
};

struct wmgw_access_request {
    uint32_t desired;                           /* rights; may hold generic bits and MAXIMUM_ALLOWED */
    const struct wmgw_generic_mapping *mapping; /* NULL: generic bits are checked as they are */
    const struct wmgw_guid *object_type;        /* NULL: object ACEs with an object type do not apply */
    const struct wmgw_sid *self;                /* stands for PRINCIPAL_SELF in ACEs; NULL: none */
};

struct wmgw_access_result {
    /* Granted: the mapped rights asked for (MAXIMUM_ALLOWED: all the
     * descriptor grants).  Denied: 0. */
    uint32_t granted;
    /* Index of the DACL ACE that refused, or -1. */
    long denied_by;
};

enum wmgw_tri {
    WMGW_TRI_FALSE = 0,
    WMGW_TRI_TRUE = 1,
    WMGW_TRI_UNKNOWN = -1,
};

/* mask with its generic bits replaced by what m maps them to. */
uint32_t wmgw_access_map(uint32_t mask, const struct wmgw_generic_mapping *m);

/* Returns 0 when access is granted, WMGW_EACCES when it is not (err says
 * why, naming the deciding ACE or the missing rights), WMGW_EINVAL for a
 * missing argument.  res (optional) gets the details either way. */
int wmgw_access_check(const struct wmgw_sd *sd, const struct wmgw_token *tok, const struct wmgw_access_request *req,
                      struct wmgw_access_result *res, struct wmgw_err *err);

/* Evaluates a callback ACE's ApplicationData (signature included) for tok,
 * looking @Resource. attributes up in sacl (may be NULL). */
enum wmgw_tri wmgw_access_condition(const uint8_t *data, size_t len, const struct wmgw_token *tok,
                                    const struct wmgw_acl *sacl);

/* True when sid is the token's user or one of its groups. */
bool wmgw_access_has_sid(const struct wmgw_token *tok, const struct wmgw_sid *sid);

#endif
