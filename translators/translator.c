/*
 * translator.c: picks the translator for a host's protocol and runs calls
 * through it (translator.h; design.md: "translators/X  Operation ->
 * backend messages").
 *
 * WS-Management serves MS-WSMV, Windows Server 2003 R2 (the MS-WSMAN
 * dialect row of translators/wsman/dialect.c) and WMGW_PROTO_AUTO hosts:
 * for those it detects the dialect on IDENTIFY and otherwise uses the one
 * the gateway says it detected (wmgw_call.protocol).  WMI over DCOM
 * (WMGW_PROTO_DCOM) is translators/wmi/wmi.c; protocol auto never picks
 * it (detection speaks WS-Management).
 */
#include "translators/translator.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct wmgw_translator wmgw_translator_wsman;
extern const struct wmgw_translator wmgw_translator_wmi;

const struct wmgw_translator *wmgw_translator_for(enum wmgw_protocol p)
{
    switch (p) {
    case WMGW_PROTO_AUTO:
    case WMGW_PROTO_WSMV:
    case WMGW_PROTO_WSMAN2003:
        return &wmgw_translator_wsman;
    case WMGW_PROTO_DCOM:
        return &wmgw_translator_wmi;
    }
    return NULL;
}

/* The protocol a call speaks: the backend's, or for an auto backend the
 * one detected (WMGW_PROTO_AUTO while unknown). */
static enum wmgw_protocol effective(const struct wmgw_backend *b, enum wmgw_protocol detected)
{
    return b->protocol == WMGW_PROTO_AUTO ? detected : b->protocol;
}

unsigned wmgw_translator_caps(const struct wmgw_backend *b, enum wmgw_protocol detected)
{
    if (b == NULL)
        return 0;
    enum wmgw_protocol p = effective(b, detected);
    const struct wmgw_translator *tr = wmgw_translator_for(p);
    if (tr == NULL)
        return 0;
    /* caps_for looks at the protocol only: ask as a host configured so. */
    struct wmgw_backend as = {.protocol = p};
    return tr->caps_for ? tr->caps_for(&as) : tr->caps;
}

int wmgw_call_start(struct wmgw_call *call)
{
    if (call == NULL || call->backend == NULL)
        return WMGW_EINVAL;
    memset(&call->start_error, 0, sizeof(call->start_error));
    if (call->tr == NULL && (call->tr = wmgw_translator_for(effective(call->backend, call->protocol))) == NULL)
        return wmgw_backend_error_set(&call->start_error, WMGW_EUNSUPPORTED, "no translator for the host's protocol");
    call->state = NULL;
    int rc = call->tr->start(call);
    if (rc != 0 && call->start_error.code == 0)
        call->start_error.code = rc;
    return rc;
}

void wmgw_call_resume(struct wmgw_call *call)
{
    if (call != NULL && call->tr != NULL && call->state != NULL)
        call->tr->resume(call);
}

void wmgw_call_cancel(struct wmgw_call *call)
{
    if (call != NULL && call->tr != NULL && call->state != NULL)
        call->tr->cancel(call);
}

int wmgw_backend_error_set(struct wmgw_backend_error *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    memset(err, 0, sizeof(*err));
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}
