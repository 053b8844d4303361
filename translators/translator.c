/*
 * translator.c: picks the translator for a host's protocol and runs calls
 * through it (translator.h; design.md: "translators/X  Operation ->
 * backend messages").
 *
 * WS-Management serves MS-WSMV hosts, and for now also WMGW_PROTO_AUTO and
 * WMGW_PROTO_WSMAN2003 hosts: the translator takes the 2003 dialect row
 * from translators/wsman/dialect.c as soon as that row exists, and MS-WSMV
 * until then.  WMI over DCOM is not written yet: its translator refuses
 * every call with WMGW_EUNSUPPORTED (501), so the gateway answers cleanly.
 */
#include "translators/translator.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct wmgw_translator wmgw_translator_wsman;

static int unsupported_start(struct wmgw_call *call)
{
    (void)call;
    return WMGW_EUNSUPPORTED;
}

static void nothing(struct wmgw_call *call)
{
    (void)call;
}

static unsigned no_caps(const struct wmgw_backend *b)
{
    (void)b;
    return 0;
}

static const struct wmgw_translator translator_wmi_missing = {
    .name = "wmi",
    .caps = 0,
    .caps_for = no_caps,
    .start = unsupported_start,
    .resume = nothing,
    .cancel = nothing,
};

const struct wmgw_translator *wmgw_translator_for(enum wmgw_protocol p)
{
    switch (p) {
    case WMGW_PROTO_AUTO:
    case WMGW_PROTO_WSMV:
    case WMGW_PROTO_WSMAN2003:
        return &wmgw_translator_wsman;
    case WMGW_PROTO_DCOM:
        return &translator_wmi_missing;
    }
    return NULL;
}

int wmgw_call_start(struct wmgw_call *call)
{
    if (call == NULL || call->backend == NULL)
        return WMGW_EINVAL;
    if (call->tr == NULL && (call->tr = wmgw_translator_for(call->backend->protocol)) == NULL)
        return WMGW_EUNSUPPORTED;
    call->state = NULL;
    return call->tr->start(call);
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
