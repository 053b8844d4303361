/*
 * security.c: namespace descriptors, __SystemSecurity GetSD/SetSD and the
 * per-user access checks of the simulated hosts (security.h).
 *
 * The descriptor of a namespace is kept parsed (struct wmgw_sd) in the
 * store's namespace; GetSD encodes it self-relative (auth/sd_binary.c),
 * SetSD decodes what the caller sent and replaces it.  As in WMI, a SetSD
 * without owner or group keeps the current ones.
 */
#include "tests/sim/security.h"
#include "auth/access.h"
#include "auth/sddl.h"
#include "auth/wmi_rights.h"
#include "cim/class_json.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/methods.h"
#include "tests/sim/request.h"
#include "tests/sim/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The class as WMI declares it, in the fixture format (cim/class_json.h).
 * The methods are declared static so that both a class path and the
 * singleton path "__SystemSecurity=@" reach them. */
static const char class_json[] =
    "{\"name\": \"__SystemSecurity\", \"qualifiers\": [\"singleton\"],"
    " \"description\": \"Namespace security (simulated).\", \"properties\": [],"
    " \"methods\": ["
    "  {\"name\": \"GetSD\", \"static\": true, \"returns\": \"uint32\", \"out\": [{\"name\": \"SD\", \"type\": \"uint8[]\"}]},"
    "  {\"name\": \"SetSD\", \"static\": true, \"returns\": \"uint32\", \"in\": [{\"name\": \"SD\", \"type\": \"uint8[]\"}]}"
    " ]}";

#define MAX_SD_BYTES 65536 /* a descriptor larger than this is refused */

void sim_security_free_sd(void *p)
{
    struct wmgw_sd *sd = p;
    if (sd != NULL) {
        wmgw_sd_dispose(sd);
        free(sd);
    }
}

static const struct wmgw_cim_class *no_lookup(void *ctx, const char *ns, const char *name)
{
    (void)ns;
    (void)name;
    (void)ctx;
    return NULL;
}

int sim_security_install(struct sim_store *s, struct wmgw_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(class_json, sizeof(class_json) - 1, 0, &je);
    if (j == NULL)
        return wmgw_err_set(err, WMGW_EINTERNAL, "__SystemSecurity: %s", je.text);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        struct sim_namespace *n = &s->ns[i];
        if (n->sd == NULL) {
            struct wmgw_sd *sd = malloc(sizeof(*sd));
            if (sd == NULL) {
                rc = WMGW_ENOMEM;
                break;
            }
            rc = wmgw_sddl_parse(sd, SIM_SECURITY_DEFAULT_SDDL, strlen(SIM_SECURITY_DEFAULT_SDDL), NULL, err);
            if (rc != 0) {
                free(sd);
                break;
            }
            n->sd = sd;
        }
        if (sim_store_class(s, n->name, SIM_SECURITY_CLASS) != NULL)
            continue;
        struct wmgw_cim_class *cls = NULL;
        rc = wmgw_cim_class_from_json(j, n->name, no_lookup, NULL, &cls, err);
        if (rc == 0 && sim_store_add_class(s, cls) == NULL) {
            wmgw_cim_class_free(cls);
            rc = WMGW_ENOMEM;
        }
    }
    json_decref(j);
    return rc;
}

/* --- users and the caller ------------------------------------------------------ */

int sim_security_user_sid(struct sim_fleet *f, const char *spec, struct wmgw_err *err)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec)
        return wmgw_err_set(err, WMGW_ECONFIG, "--user-sid wants NAME=SID[,GROUP...], not \"%.80s\"", spec);
    struct sim_user *u = NULL;
    for (size_t i = 0; i < f->nusers && u == NULL; i++)
        if (strncasecmp(f->users[i].name, spec, (size_t)(eq - spec)) == 0 &&
            f->users[i].name[eq - spec] == '\0')
            u = &f->users[i];
    if (u == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "--user-sid %.80s: no such user (give --user first)", spec);
    char *copy = strdup(eq + 1);
    if (copy == NULL)
        return WMGW_ENOMEM;
    for (size_t i = 0; i < u->ngroups; i++)
        free(u->groups[i]);
    u->ngroups = 0;
    int rc = 0;
    bool first = true;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); rc == 0 && t != NULL; t = strtok_r(NULL, ",", &save)) {
        struct wmgw_sid sid;
        size_t used = 0;
        if (wmgw_sid_parse_sddl(&sid, t, strlen(t), &used, NULL, err) != 0 || used != strlen(t)) {
            rc = wmgw_err_set(err, WMGW_ECONFIG, "--user-sid: \"%.80s\" is not a SID", t);
            break;
        }
        char text[WMGW_SID_TEXT_MAX];
        wmgw_sid_format(&sid, text);
        if (first) {
            free(u->sid);
            u->sid = strdup(text);
            first = false;
        } else if (u->ngroups < SIM_USER_MAX_GROUPS) {
            u->groups[u->ngroups++] = strdup(text);
        } else {
            rc = wmgw_err_set(err, WMGW_ECONFIG, "--user-sid: more than %d groups", SIM_USER_MAX_GROUPS);
        }
    }
    u->explicit_sid = true;
    free(copy);
    return rc;
}

static const struct sim_user *caller;
static const struct sim_fleet *caller_fleet;

void sim_security_set_caller(const struct sim_fleet *f, const char *user)
{
    const struct sim_user *was = caller;
    caller = NULL;
    caller_fleet = f;
    if (user != NULL) {
        const char *bs = strchr(user, '\\');
        if (bs != NULL)
            user = bs + 1;
        for (size_t i = 0; f != NULL && i < f->nusers && caller == NULL; i++)
            if (strcasecmp(f->users[i].name, user) == 0)
                caller = &f->users[i];
    }
    /* The test suites read who called from the log (gateway credential
     * mappings): one line per change of caller. */
    if (caller != NULL && caller != was)
        fprintf(stderr, "wmsim: caller %s (%s)\n", caller->name, caller->sid ? caller->sid : "-");
}

const char *sim_security_caller(void)
{
    return caller ? caller->name : NULL;
}

/* The user's SID text: configured, or S-1-5-21-1111-2222-3333-<1000+n>. */
static void user_sid(const struct sim_user *u, char out[WMGW_SID_TEXT_MAX])
{
    if (u->sid != NULL) {
        snprintf(out, WMGW_SID_TEXT_MAX, "%s", u->sid);
        return;
    }
    size_t n = caller_fleet ? (size_t)(u - caller_fleet->users) : 0;
    snprintf(out, WMGW_SID_TEXT_MAX, "S-1-5-21-1111-2222-3333-%zu", 1000 + n);
}

static bool parse_sid(const char *text, struct wmgw_sid *sid)
{
    return wmgw_sid_parse(sid, text, strlen(text), NULL) == 0;
}

/* The token of the caller: the user, its groups (default Administrators),
 * and what every network logon holds: Everyone, Authenticated Users,
 * Network. */
static int caller_token(struct wmgw_token *tok, struct wmgw_sid *groups, size_t room)
{
    char text[WMGW_SID_TEXT_MAX];
    user_sid(caller, text);
    memset(tok, 0, sizeof(*tok));
    if (!parse_sid(text, &tok->user))
        return WMGW_EINVAL;
    size_t n = 0;
    if (!caller->explicit_sid && parse_sid("S-1-5-32-544", &groups[n]))
        n++;
    for (size_t i = 0; i < caller->ngroups && n < room - 3; i++)
        if (caller->groups[i] != NULL && parse_sid(caller->groups[i], &groups[n]))
            n++;
    static const char *const implicit[] = {"S-1-1-0", "S-1-5-11", "S-1-5-2"};
    for (size_t i = 0; i < 3; i++)
        if (parse_sid(implicit[i], &groups[n]))
            n++;
    tok->groups = groups;
    tok->group_count = n;
    return 0;
}

static enum wmgw_wmi_op op_of(enum sim_access what)
{
    switch (what) {
    case SIM_ACCESS_LOGIN: return WMGW_WMI_OP_READ;
    case SIM_ACCESS_WRITE: return WMGW_WMI_OP_WRITE;
    case SIM_ACCESS_METHOD: return WMGW_WMI_OP_METHOD;
    case SIM_ACCESS_SECURITY_READ: return WMGW_WMI_OP_SECURITY_READ;
    case SIM_ACCESS_SECURITY_WRITE: return WMGW_WMI_OP_SECURITY_WRITE;
    }
    return WMGW_WMI_OP_READ;
}

static int check(struct sim_store *s, const char *ns, enum sim_access what, struct wmgw_err *err)
{
    if (caller == NULL)
        return 0; /* the front did not say who: nothing to check against */
    struct sim_namespace *n = sim_store_namespace(s, ns);
    if (n == NULL || n->sd == NULL)
        return 0;
    struct wmgw_token tok;
    struct wmgw_sid groups[SIM_USER_MAX_GROUPS + 4];
    if (caller_token(&tok, groups, sizeof(groups) / sizeof(groups[0])) != 0)
        return wmgw_err_set(err, WMGW_EACCES, "the caller has no valid SID");
    return wmgw_wmi_check(n->sd, &tok, op_of(what), NULL, err);
}

bool sim_security_allowed(struct sim_store *s, const char *ns, enum sim_access what)
{
    struct wmgw_err err;
    wmgw_err_clear(&err);
    bool ok = check(s, ns, what, &err) == 0;
    if (!ok)
        fprintf(stderr, "wmsim: access denied to %s on %s: %s\n", caller ? caller->name : "?", ns, err.message);
    return ok;
}

int sim_security_check(struct sim_ctx *ctx, const char *ns, enum sim_access what)
{
    if (sim_security_allowed(ctx->host->store, ns, what))
        return 0;
    return sim_fault(ctx, SIM_FAULT_ACCESS_DENIED, NULL, NULL);
}

/* --- GetSD / SetSD -------------------------------------------------------------- */

static struct sim_namespace *call_namespace(struct sim_call *c)
{
    return sim_store_namespace(c->ctx->host->store, c->cls->namespace_);
}

int sim_security_get_sd(struct sim_call *c)
{
    struct sim_namespace *n = call_namespace(c);
    if (sim_security_check(c->ctx, c->cls->namespace_, SIM_ACCESS_SECURITY_READ) != 0)
        return -1;
    if (n == NULL || n->sd == NULL)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, "The namespace has no security descriptor. ");
    struct wmgw_buf bin;
    wmgw_buf_init(&bin, MAX_SD_BYTES);
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_sd_encode(n->sd, &bin, &err) != 0) {
        wmgw_buf_dispose(&bin);
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    struct wmgw_cim_value v;
    int rc = wmgw_cim_value_set_bytes(&v, (const uint8_t *)bin.data, bin.len);
    wmgw_buf_dispose(&bin);
    if (rc != 0 || wmgw_cim_proplist_put(&c->out, "SD", &v) != 0) {
        wmgw_cim_value_dispose(&v);
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    c->return_value = 0;
    return 0;
}

int sim_security_set_sd(struct sim_call *c)
{
    struct sim_namespace *n = call_namespace(c);
    if (sim_security_check(c->ctx, c->cls->namespace_, SIM_ACCESS_SECURITY_WRITE) != 0)
        return -1;
    const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(c->in, "SD");
    uint8_t *bytes = NULL;
    size_t len = 0;
    int got = p != NULL ? wmgw_cim_value_get_bytes(&p->value, MAX_SD_BYTES, &bytes, &len) : WMGW_EINVAL;
    if (got == WMGW_EINVAL)
        return sim_fault(c->ctx, SIM_FAULT_INVALID_PARAMETER, NULL, "SD must be a uint8 array. ");
    if (got != 0)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    struct wmgw_sd *sd = malloc(sizeof(*sd));
    struct wmgw_err err;
    wmgw_err_clear(&err);
    int rc = sd ? wmgw_sd_decode(sd, bytes, len, &err) : WMGW_ENOMEM;
    free(bytes);
    if (rc != 0) {
        free(sd);
        char msg[300];
        snprintf(msg, sizeof(msg), "The security descriptor is not valid: %.200s ", err.message);
        return sim_fault(c->ctx, SIM_FAULT_INVALID_PARAMETER, NULL, msg);
    }
    const struct wmgw_sd *old = n->sd;
    if (old != NULL && !sd->has_owner && old->has_owner) {
        sd->has_owner = true;
        sd->owner = old->owner;
    }
    if (old != NULL && !sd->has_group && old->has_group) {
        sd->has_group = true;
        sd->group = old->group;
    }
    sim_security_free_sd(n->sd);
    n->sd = sd;
    c->return_value = 0;
    return 0;
}
