/*
 * security.h: namespace security of the simulated hosts.
 *
 * Every namespace of a host's store carries a security descriptor, the
 * one Windows puts on root\cimv2 out of the box (protocol-notes 5.2):
 *
 *   O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)
 *
 * so Administrators may do everything and other authenticated users may
 * not even log in remotely (no WBEM_REMOTE_ENABLE).  Each namespace also
 * has the singleton class __SystemSecurity with GetSD and SetSD, which
 * read and replace that descriptor as a self-relative binary SD (uint8[]),
 * on both fronts (WS-Management Invoke, DCOM ExecMethod).
 *
 * Users get SIDs (wmsim --user-sid NAME=SID[,GROUP...]; by default
 * S-1-5-21-1111-2222-3333-<1000+n> and member of Administrators), and the
 * fronts check the calling user's rights (auth/wmi_rights.h) where the
 * simulator has a hook: DCOM NTLMLogin and every WS-Management operation
 * (read: enable + remote enable), put/create/delete on both fronts
 * (write), every method (execute), GetSD (READ_CONTROL), SetSD (WRITE_DAC).  A
 * refusal is the AccessDenied fault (WS-Man) / WBEM_E_ACCESS_DENIED
 * (DCOM).
 *
 * The caller: the simulator is single-threaded and answers a request
 * synchronously after authenticating it, so the front that authenticated
 * the request names its user with sim_security_set_caller() before the
 * operation runs (HTTP Basic does it in sim_fleet_check_password; DCOM
 * per call from the NTLM identity).  No caller known: nothing is checked.
 */
#ifndef WMSIM_SECURITY_H
#define WMSIM_SECURITY_H

#include <stdbool.h>
#include <stdint.h>

struct sim_store;
struct sim_fleet;
struct sim_call;
struct sim_ctx;
struct wmgw_err;

#define SIM_SECURITY_CLASS "__SystemSecurity"
#define SIM_SECURITY_DEFAULT_SDDL \
    "O:BAG:BAD:(A;CI;CCDCLCSWRPWPRCWD;;;BA)(A;CI;CCDCRP;;;NS)(A;CI;CCDCRP;;;LS)(A;CI;CCDCRP;;;AU)"

/* What a front asks for (maps onto auth/wmi_rights.h operation classes). */
enum sim_access {
    SIM_ACCESS_LOGIN,          /* enable + remote enable: every read */
    SIM_ACCESS_WRITE,          /* + write: put, create, delete */
    SIM_ACCESS_METHOD,         /* + method execute */
    SIM_ACCESS_SECURITY_READ,  /* READ_CONTROL */
    SIM_ACCESS_SECURITY_WRITE, /* WRITE_DAC */
};

/* Adds __SystemSecurity and the default descriptor to every namespace
 * of the store that lacks them (after the fixtures are loaded). */
int sim_security_install(struct sim_store *s, struct wmgw_err *err);
/* Frees a namespace's descriptor (store.c calls it). */
void sim_security_free_sd(void *sd);

/* "NAME=SID[,GROUP-SID...]" (SDDL aliases allowed, e.g. BU): the user's
 * SID and groups, replacing the default (Administrators). */
int sim_security_user_sid(struct sim_fleet *f, const char *spec, struct wmgw_err *err);

/* Names the user of the request being answered ("DOMAIN\user" or "user";
 * NULL: nobody known).  Logged once per change. */
void sim_security_set_caller(const struct sim_fleet *f, const char *user);
/* The current caller's name, or NULL. */
const char *sim_security_caller(void);

/* Checks the current caller's right on namespace ns of the store: 0, or
 * the AccessDenied fault already recorded in ctx (-1). */
int sim_security_check(struct sim_ctx *ctx, const char *ns, enum sim_access what);
/* The same without a context (DCOM NTLMLogin): true when allowed. */
bool sim_security_allowed(struct sim_store *s, const char *ns, enum sim_access what);

/* The method behaviours of __SystemSecurity (methods.c's table). */
int sim_security_get_sd(struct sim_call *c);
int sim_security_set_sd(struct sim_call *c);

#endif
