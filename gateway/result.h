/*
 * result.h: operations that answer with one thing (an instance, a
 * reference, a class, a method's output, an identity): the sink gathers it
 * and `done` answers the REST call when the backend is finished.
 */
#ifndef WMGW_GATEWAY_RESULT_H
#define WMGW_GATEWAY_RESULT_H

#include "gateway/exec.h"

struct wmgw_result;
typedef void (*wmgw_result_done)(struct wmgw_exec *x, struct wmgw_result *res, const struct wmgw_backend_error *err);

struct wmgw_result {
    struct wmgw_cim_instance *inst;
    struct wmgw_cim_ref *ref;
    struct wmgw_cim_class *cls;
    struct wmgw_cim_proplist out;
    bool has_out;
    struct wmgw_identity identity;
    bool has_identity;
    wmgw_result_done done;
    void *data; /* the handler's */
    /* respond_instance waiting for the instance's own class */
    bool class_asked;
    int status;
    const char *location;
};

/* Starts x->call (op set by the caller) gathering its result; `done` runs
 * once.  Returns the result (owned by the request pool) or NULL when the
 * call could not start (already answered). */
struct wmgw_result *wmgw_result_start(struct wmgw_exec *x, wmgw_result_done done, void *data);

/* Answers with the result's instance as JSON (status 200 or 201). */
void wmgw_result_respond_instance(struct wmgw_exec *x, struct wmgw_result *res, int status, const char *location);

#endif
