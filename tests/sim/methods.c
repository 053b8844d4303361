/*
 * methods.c: behaviour of the simulated CIM methods (methods.h).
 *
 * Each behaviour changes the store the way the real provider changes the
 * host (a started service is Running with a process id, a created process
 * is an instance with a fresh ProcessId, a terminated one is gone) and
 * answers with the ReturnValue Windows documents for the case.
 */
#include "tests/sim/methods.h"
#include "tests/sim/fault.h"
#include "tests/sim/host.h"
#include "tests/sim/request.h"
#include "tests/sim/security.h"
#include "tests/sim/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Win32_Service ReturnValue codes. */
enum {
    SVC_OK = 0,
    SVC_NOT_SUPPORTED = 1,
    SVC_DEPENDENTS_RUNNING = 3,
    SVC_CANNOT_ACCEPT_CONTROL = 5,
    SVC_NOT_ACTIVE = 6,
    SVC_ALREADY_RUNNING = 10,
    SVC_DISABLED = 14,
    SVC_INVALID_PARAMETER = 21,
    SVC_EXISTS = 23,
};

/* Win32_Process ReturnValue codes. */
enum { PROC_OK = 0, PROC_INVALID_PARAMETER = 21 };

static const struct wmgw_cim_value *in_value(const struct sim_call *c, const char *name)
{
    const struct wmgw_cim_prop *p = wmgw_cim_proplist_find(c->in, name);
    return p && !p->value.null ? &p->value : NULL;
}

static const char *in_string(const struct sim_call *c, const char *name)
{
    const struct wmgw_cim_value *v = in_value(c, name);
    return v && WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_STRING ? v->u.str : NULL;
}

static const char *prop_string(const struct wmgw_cim_instance *inst, const char *name)
{
    const struct wmgw_cim_value *v = wmgw_cim_instance_get(inst, name);
    return v && !v->null && WMGW_CIM_BASETYPE(v->type) == WMGW_CIM_STRING ? v->u.str : "";
}

/* Sets a property of `inst` to a value parsed from text in the property's type. */
static int set_text(const struct wmgw_cim_class *cls, struct wmgw_cim_instance *inst, const char *name,
                    const char *text)
{
    const struct wmgw_cim_propdecl *d = wmgw_cim_class_prop(cls, name);
    if (d == NULL)
        return 0; /* the fixture's class may not model it */
    struct wmgw_cim_value v;
    if (text == NULL) {
        wmgw_cim_value_init_null(&v, d->type);
    } else if (wmgw_cim_value_from_text(&v, d->type, text, strlen(text)) != 0) {
        return WMGW_EINVAL;
    }
    return wmgw_cim_proplist_put(&inst->props, d->name, &v);
}

static void now_dmtf(char out[64])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 64, "%04d%02d%02d%02d%02d%02d.000000+000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

/* Copies the target, applies `edit`, and stores the copy in its place. */
struct edit {
    const char *name;
    const char *text; /* NULL: NULL value */
};

static int update_target(struct sim_call *c, const struct edit *edits, size_t n)
{
    struct wmgw_cim_instance *copy = wmgw_cim_instance_copy(c->target);
    if (copy == NULL)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    const struct wmgw_cim_class *cls = sim_store_class_of(c->ctx->host->store, copy);
    for (size_t i = 0; i < n; i++) {
        if (set_text(cls, copy, edits[i].name, edits[i].text) != 0) {
            wmgw_cim_instance_unref(copy);
            return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        }
    }
    if (sim_store_replace(c->ctx->host->store, wmgw_cim_instance_ref(copy), NULL) != 0) {
        wmgw_cim_instance_unref(copy);
        return sim_fault(c->ctx, SIM_FAULT_NOT_SUPPORTED, NULL, NULL);
    }
    wmgw_cim_instance_unref(c->target);
    c->target = copy;
    return 0;
}

static int out_put_text(struct sim_call *c, const char *name, uint16_t type, const char *text)
{
    struct wmgw_cim_value v;
    if (wmgw_cim_value_from_text(&v, type, text, strlen(text)) != 0)
        return WMGW_EINVAL;
    return wmgw_cim_proplist_put(&c->out, name, &v);
}

/* --- services ------------------------------------------------------------ */

static int service_start(struct sim_call *c)
{
    const char *state = prop_string(c->target, "State");
    if (strcasecmp(prop_string(c->target, "StartMode"), "Disabled") == 0) {
        c->return_value = SVC_DISABLED;
        return 0;
    }
    if (strcasecmp(state, "Stopped") != 0) {
        c->return_value = SVC_ALREADY_RUNNING;
        return 0;
    }
    char pid[16];
    snprintf(pid, sizeof(pid), "%u", c->ctx->host->store->next_process_id++);
    const struct edit e[] = {{"State", "Running"}, {"Started", "true"}, {"ProcessId", pid}, {"ExitCode", "0"}};
    return update_target(c, e, sizeof(e) / sizeof(e[0]));
}

/* Does the instance `ref` names exist and is it a service that is not stopped? */
static bool names_running_service(struct sim_store *s, const char *ns, const struct wmgw_cim_value *ref)
{
    if (ref == NULL || ref->null || ref->type != WMGW_CIM_REFERENCE)
        return false;
    struct wmgw_cim_instance *svc = sim_store_find(s, ns, ref->u.ref);
    bool running = svc != NULL && strcasecmp(prop_string(svc, "State"), "Stopped") != 0;
    wmgw_cim_instance_unref(svc);
    return running;
}

/* Is a service that depends on the target (Win32_DependentService with the
 * target as Antecedent) still running?  Windows refuses to stop it then. */
static bool dependents_running(struct sim_call *c)
{
    struct sim_store *s = c->ctx->host->store;
    const char *ns = c->target->namespace_;
    struct sim_cursor cur;
    if (sim_store_class(s, ns, "Win32_DependentService") == NULL ||
        sim_cursor_open(&cur, s, ns, "Win32_DependentService") != 0)
        return false;
    bool running = false;
    struct wmgw_cim_instance *dep;
    while (!running && (dep = sim_cursor_next(&cur)) != NULL) {
        const struct wmgw_cim_value *ante = wmgw_cim_instance_get(dep, "Antecedent");
        if (ante != NULL && !ante->null && ante->type == WMGW_CIM_REFERENCE) {
            struct wmgw_cim_instance *a = sim_store_find(s, ns, ante->u.ref);
            running = a == c->target && names_running_service(s, ns, wmgw_cim_instance_get(dep, "Dependent"));
            wmgw_cim_instance_unref(a);
        }
        wmgw_cim_instance_unref(dep);
    }
    sim_cursor_close(&cur);
    return running;
}

static int service_stop(struct sim_call *c)
{
    const char *state = prop_string(c->target, "State");
    if (strcasecmp(state, "Stopped") == 0) {
        c->return_value = SVC_CANNOT_ACCEPT_CONTROL;
        return 0;
    }
    if (dependents_running(c)) {
        c->return_value = SVC_DEPENDENTS_RUNNING;
        return 0;
    }
    const struct edit e[] = {{"State", "Stopped"}, {"Started", "false"}, {"ProcessId", "0"}};
    return update_target(c, e, sizeof(e) / sizeof(e[0]));
}

static int service_pause(struct sim_call *c)
{
    if (strcasecmp(prop_string(c->target, "State"), "Running") != 0) {
        c->return_value = SVC_NOT_ACTIVE;
        return 0;
    }
    const struct wmgw_cim_value *ap = wmgw_cim_instance_get(c->target, "AcceptPause");
    if (ap == NULL || ap->null || !ap->u.b) {
        c->return_value = SVC_CANNOT_ACCEPT_CONTROL;
        return 0;
    }
    const struct edit e[] = {{"State", "Paused"}};
    return update_target(c, e, 1);
}

static int service_resume(struct sim_call *c)
{
    if (strcasecmp(prop_string(c->target, "State"), "Paused") != 0) {
        c->return_value = SVC_CANNOT_ACCEPT_CONTROL;
        return 0;
    }
    const struct edit e[] = {{"State", "Running"}};
    return update_target(c, e, 1);
}

static bool valid_start_mode(const char *m)
{
    static const char *const modes[] = {"Boot", "System", "Automatic", "Auto", "Manual", "Disabled"};
    for (size_t i = 0; m != NULL && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcasecmp(m, modes[i]) == 0)
            return true;
    return false;
}

static int service_change_start_mode(struct sim_call *c)
{
    const char *mode = in_string(c, "StartMode");
    if (!valid_start_mode(mode)) {
        c->return_value = SVC_INVALID_PARAMETER;
        return 0;
    }
    /* Win32_Service reports "Auto" for the "Automatic" the method takes. */
    const struct edit e[] = {{"StartMode", strcasecmp(mode, "Automatic") == 0 ? "Auto" : mode}};
    return update_target(c, e, 1);
}

static int service_interrogate(struct sim_call *c)
{
    c->return_value = strcasecmp(prop_string(c->target, "State"), "Stopped") == 0 ? SVC_NOT_ACTIVE : SVC_OK;
    return 0;
}

static int service_user_control(struct sim_call *c)
{
    const struct wmgw_cim_value *code = in_value(c, "ControlCode");
    if (code == NULL || code->u.u < 128) {
        c->return_value = SVC_INVALID_PARAMETER;
        return 0;
    }
    return service_interrogate(c);
}

static int service_delete(struct sim_call *c)
{
    struct wmgw_cim_ref *path = wmgw_cim_instance_path(c->target, c->cls);
    int rc = path ? sim_store_remove(c->ctx->host->store, c->target->namespace_, path, NULL) : WMGW_ENOMEM;
    wmgw_cim_ref_free(path);
    return rc == 0 ? 0 : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

/* Win32_Service.Change: every parameter given replaces the property. */
static int service_change(struct sim_call *c)
{
    static const char *const names[] = {"DisplayName", "PathName",  "ServiceType",   "ErrorControl",
                                        "StartMode",   "StartName", "DesktopInteract"};
    struct edit e[sizeof(names) / sizeof(names[0])];
    size_t n = 0;
    struct wmgw_buf text[sizeof(names) / sizeof(names[0])];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        wmgw_buf_init(&text[i], 4096);
        const struct wmgw_cim_value *v = in_value(c, names[i]);
        if (v == NULL || WMGW_CIM_IS_ARRAY(v->type) || wmgw_cim_value_to_text(v, &text[i]) != 0)
            continue;
        e[n].name = names[i];
        e[n].text = text[i].data ? text[i].data : "";
        n++;
    }
    const char *mode = in_string(c, "StartMode");
    int rc = 0;
    if (mode != NULL && !valid_start_mode(mode))
        c->return_value = SVC_INVALID_PARAMETER;
    else
        rc = update_target(c, e, n);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        wmgw_buf_dispose(&text[i]);
    return rc;
}

static int service_create(struct sim_call *c)
{
    const char *name = in_string(c, "Name");
    const char *path = in_string(c, "PathName");
    if (name == NULL || path == NULL || name[0] == '\0') {
        c->return_value = SVC_INVALID_PARAMETER;
        return 0;
    }
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(c->cls->name, c->cls->namespace_);
    if (inst == NULL)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    const char *display = in_string(c, "DisplayName");
    const char *mode = in_string(c, "StartMode");
    const struct edit e[] = {
        {"Name", name}, {"DisplayName", display ? display : name}, {"Caption", display ? display : name},
        {"PathName", path}, {"StartMode", mode && valid_start_mode(mode) ? mode : "Manual"}, {"State", "Stopped"},
        {"Started", "false"}, {"ProcessId", "0"}, {"Status", "OK"}, {"ServiceType", "Own Process"},
        {"CreationClassName", c->cls->name}, {"SystemCreationClassName", "Win32_ComputerSystem"},
        {"SystemName", c->ctx->host->name}, {"AcceptPause", "false"}, {"AcceptStop", "false"},
        {"ExitCode", "1077"}};
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        if (set_text(c->cls, inst, e[i].name, e[i].text) != 0) {
            wmgw_cim_instance_unref(inst);
            c->return_value = SVC_INVALID_PARAMETER;
            return 0;
        }
    }
    /* Every property of the class exists, NULL unless set above. */
    for (size_t i = 0; i < c->cls->nprops; i++)
        if (wmgw_cim_proplist_find(&inst->props, c->cls->props[i].name) == NULL)
            wmgw_cim_proplist_add(&inst->props, c->cls->props[i].name, c->cls->props[i].type);
    int rc = sim_store_insert(c->ctx->host->store, inst, NULL);
    c->return_value = rc == WMGW_EEXIST ? SVC_EXISTS : SVC_OK;
    return rc == 0 || rc == WMGW_EEXIST ? 0 : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

/* --- processes --------------------------------------------------------- */

static int process_create(struct sim_call *c)
{
    const char *cmd = in_string(c, "CommandLine");
    if (cmd == NULL || cmd[0] == '\0') {
        c->return_value = PROC_INVALID_PARAMETER;
        return 0;
    }
    /* Name: the executable's base name, as Windows shows it. */
    char exe[260];
    size_t len = cmd[0] == '"' ? strcspn(cmd + 1, "\"") : strcspn(cmd, " ");
    const char *start = cmd[0] == '"' ? cmd + 1 : cmd;
    snprintf(exe, sizeof(exe), "%.*s", (int)(len < sizeof(exe) ? len : sizeof(exe) - 1), start);
    const char *base = strrchr(exe, '\\');
    base = base ? base + 1 : exe;
    unsigned pid = c->ctx->host->store->next_process_id;
    c->ctx->host->store->next_process_id += 4; /* Windows hands out multiples of 4 */
    char pidtext[16], created[64];
    snprintf(pidtext, sizeof(pidtext), "%u", pid);
    now_dmtf(created);
    struct wmgw_cim_instance *inst = wmgw_cim_instance_new(c->cls->name, c->cls->namespace_);
    if (inst == NULL)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    const struct edit e[] = {
        {"Handle", pidtext}, {"ProcessId", pidtext}, {"ParentProcessId", "0"}, {"Name", base}, {"Caption", base},
        {"Description", base}, {"CommandLine", cmd}, {"ExecutablePath", exe}, {"CreationDate", created},
        {"CreationClassName", c->cls->name}, {"CSCreationClassName", "Win32_ComputerSystem"},
        {"CSName", c->ctx->host->name}, {"OSCreationClassName", "Win32_OperatingSystem"}, {"ThreadCount", "1"},
        {"HandleCount", "16"}, {"Priority", "8"}, {"SessionId", "0"}, {"WorkingSetSize", "4194304"},
        {"VirtualSize", "33554432"}, {"KernelModeTime", "0"}, {"UserModeTime", "0"}};
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        if (set_text(c->cls, inst, e[i].name, e[i].text) != 0) {
            wmgw_cim_instance_unref(inst);
            return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
        }
    }
    for (size_t i = 0; i < c->cls->nprops; i++)
        if (wmgw_cim_proplist_find(&inst->props, c->cls->props[i].name) == NULL)
            wmgw_cim_proplist_add(&inst->props, c->cls->props[i].name, c->cls->props[i].type);
    if (sim_store_insert(c->ctx->host->store, inst, NULL) != 0)
        return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    return out_put_text(c, "ProcessId", WMGW_CIM_UINT32, pidtext) == 0
               ? 0
               : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

static int process_terminate(struct sim_call *c)
{
    return service_delete(c); /* the instance simply goes away */
}

/* System processes belong to SYSTEM, the rest to the host's Administrator. */
static bool system_owned(const struct sim_call *c)
{
    const struct wmgw_cim_value *pid = wmgw_cim_instance_get(c->target, "ProcessId");
    return pid != NULL && !pid->null && pid->u.u < 1000;
}

static int process_get_owner(struct sim_call *c)
{
    bool sys = system_owned(c);
    int rc = out_put_text(c, "User", WMGW_CIM_STRING, sys ? "SYSTEM" : "Administrator");
    if (rc == 0)
        rc = out_put_text(c, "Domain", WMGW_CIM_STRING, sys ? "NT AUTHORITY" : c->ctx->host->name);
    return rc == 0 ? 0 : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

static int process_get_owner_sid(struct sim_call *c)
{
    const char *sid = system_owned(c) ? "S-1-5-18" : "S-1-5-21-1004336348-1177238915-682003330-500";
    return out_put_text(c, "Sid", WMGW_CIM_STRING, sid) == 0 ? 0
                                                                : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

static int process_set_priority(struct sim_call *c)
{
    const struct wmgw_cim_value *p = in_value(c, "Priority");
    if (p == NULL) {
        c->return_value = PROC_INVALID_PARAMETER;
        return 0;
    }
    char text[16];
    snprintf(text, sizeof(text), "%lld", (long long)(wmgw_cim_type_is_signed(p->type) ? p->u.s : (int64_t)p->u.u));
    const struct edit e[] = {{"Priority", text}};
    return update_target(c, e, 1);
}

static int process_available_virtual_size(struct sim_call *c)
{
    return out_put_text(c, "AvailableVirtualSize", WMGW_CIM_UINT64, "140737488355328") == 0
               ? 0
               : sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
}

/* --- operating system, computer system, disks ----------------------------- */

static int os_reboot(struct sim_call *c)
{
    char now[64];
    now_dmtf(now);
    const struct edit e[] = {{"LastBootUpTime", now}};
    return update_target(c, e, 1);
}

static int os_accept(struct sim_call *c)
{
    c->return_value = 0; /* acknowledged; a simulated host keeps running */
    return 0;
}

static int os_set_datetime(struct sim_call *c)
{
    const struct wmgw_cim_value *v = in_value(c, "LocalDateTime");
    if (v == NULL) {
        c->return_value = 87; /* ERROR_INVALID_PARAMETER */
        return 0;
    }
    const struct edit e[] = {{"LocalDateTime", v->u.str}};
    return update_target(c, e, 1);
}

static int cs_rename(struct sim_call *c)
{
    const char *name = in_string(c, "Name");
    c->return_value = name == NULL || name[0] == '\0' || strlen(name) > 15 ? 87 : 0;
    return 0; /* takes effect at the next reboot, as on Windows */
}

static int cs_join(struct sim_call *c)
{
    const char *name = in_string(c, "Name");
    if (name == NULL || name[0] == '\0') {
        c->return_value = 87;
        return 0;
    }
    const struct edit e[] = {{"Domain", name}, {"Workgroup", name}};
    return update_target(c, e, 2);
}

static int cs_unjoin(struct sim_call *c)
{
    const struct edit e[] = {{"Domain", "WORKGROUP"}, {"PartOfDomain", "false"}};
    return update_target(c, e, 2);
}

static int disk_chkdsk(struct sim_call *c)
{
    /* 0 = success, 1 = locked and chkdsk scheduled on reboot (C:). */
    c->return_value = strcasecmp(prop_string(c->target, "DeviceID"), "C:") == 0 ? 1 : 0;
    return 0;
}

/* --- the test class --------------------------------------------------------- */

static int alltypes_echo(struct sim_call *c)
{
    /* Every in-parameter comes back unchanged as the out-parameter of the
     * same name: the round trip of every CIM type through the protocol. */
    for (size_t i = 0; i < c->in->n; i++) {
        struct wmgw_cim_value v;
        if (wmgw_cim_value_copy(&v, &c->in->items[i].value) != 0 ||
            wmgw_cim_proplist_put(&c->out, c->in->items[i].name, &v) != 0)
            return sim_fault(c->ctx, SIM_FAULT_INTERNAL_ERROR, NULL, NULL);
    }
    return 0;
}

static int alltypes_touch(struct sim_call *c)
{
    const struct wmgw_cim_value *v = wmgw_cim_instance_get(c->target, "PUint32");
    char text[16];
    snprintf(text, sizeof(text), "%llu", v && !v->null ? (unsigned long long)(v->u.u + 1) % 4294967296ull : 1ull);
    const struct edit e[] = {{"PUint32", text}};
    return update_target(c, e, 1);
}

/* Most specific classes first: lookups take the first row the target's
 * class derives from. */
static const struct {
    const char *cls, *method;
    int (*run)(struct sim_call *);
} behaviours[] = {
    {"Win32_Service", "Create", service_create},
    {"Win32_Service", "Change", service_change},
    {"Win32_BaseService", "StartService", service_start},
    {"Win32_BaseService", "StopService", service_stop},
    {"Win32_BaseService", "PauseService", service_pause},
    {"Win32_BaseService", "ResumeService", service_resume},
    {"Win32_BaseService", "ChangeStartMode", service_change_start_mode},
    {"Win32_BaseService", "InterrogateService", service_interrogate},
    {"Win32_BaseService", "UserControlService", service_user_control},
    {"Win32_BaseService", "Delete", service_delete},
    {"Win32_BaseService", "Change", service_change},
    {"Win32_Process", "Create", process_create},
    {"Win32_Process", "Terminate", process_terminate},
    {"Win32_Process", "GetOwner", process_get_owner},
    {"Win32_Process", "GetOwnerSid", process_get_owner_sid},
    {"Win32_Process", "SetPriority", process_set_priority},
    {"Win32_Process", "GetAvailableVirtualSize", process_available_virtual_size},
    {"CIM_OperatingSystem", "Reboot", os_reboot},
    {"CIM_OperatingSystem", "Shutdown", os_accept},
    {"Win32_OperatingSystem", "Win32Shutdown", os_accept},
    {"Win32_OperatingSystem", "Win32ShutdownTracker", os_accept},
    {"Win32_OperatingSystem", "SetDateTime", os_set_datetime},
    {"Win32_ComputerSystem", "Rename", cs_rename},
    {"Win32_ComputerSystem", "JoinDomainOrWorkgroup", cs_join},
    {"Win32_ComputerSystem", "UnjoinDomainOrWorkgroup", cs_unjoin},
    {"Win32_LogicalDisk", "Chkdsk", disk_chkdsk},
    {"Win32_LogicalDisk", "ScheduleAutoChk", os_accept},
    {"Win32_LogicalDisk", "ExcludeFromAutochk", os_accept},
    {"Sim_AllTypes", "Echo", alltypes_echo},
    {"Sim_AllTypes", "Touch", alltypes_touch},
    {"__SystemSecurity", "GetSD", sim_security_get_sd},
    {"__SystemSecurity", "SetSD", sim_security_set_sd},
};

int sim_method_run(struct sim_call *c)
{
    struct sim_store *s = c->ctx->host->store;
    const char *cls = c->target ? c->target->class_name : c->cls->name;
    /* __SystemSecurity checks READ_CONTROL / WRITE_DAC itself (security.c). */
    if (strcasecmp(c->cls->name, SIM_SECURITY_CLASS) != 0 &&
        sim_security_check(c->ctx, c->cls->namespace_, SIM_ACCESS_METHOD) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(behaviours) / sizeof(behaviours[0]); i++) {
        if (strcasecmp(behaviours[i].method, c->method->name) == 0 &&
            sim_store_isa(s, c->cls->namespace_, cls, behaviours[i].cls))
            return behaviours[i].run(c);
    }
    return 1;
}
