/*
 * envelope.c: response envelopes (envelope.h).
 */
#include "tests/sim/envelope.h"
#include "tests/sim/host.h"
#include "tests/sim/request.h"
#include "util/buf.h"

#include <stdio.h>
#include <sys/random.h>

size_t sim_utf16_size(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) != 0x80)
            n += b >= 0xF0 ? 4 : 2; /* a character beyond the BMP is a surrogate pair */
    }
    return n;
}

void sim_uuid(char out[42])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(i * 37 + 11);
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant */
    snprintf(out, 42, "uuid:%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int sim_envelope_begin(struct sim_ctx *ctx, const char *action)
{
    struct wmgw_buf *out = &ctx->out;
    const struct wmgw_wsman_dialect *d = ctx->host->dialect;
    char id[42];
    sim_uuid(id);
    /* p (Microsoft's extensions) only where the dialect has them. */
    int rc = wmgw_buf_printf(out,
                             "<s:Envelope xml:lang=\"en-US\" xmlns:s=\"%s\" xmlns:a=\"%s\" xmlns:x=\"%s\" "
                             "xmlns:e=\"%s\" xmlns:n=\"%s\" xmlns:w=\"%s\"%s%s%s xmlns:b=\"%s\">"
                             "<s:Header><a:Action>",
                             WMGW_NS_SOAP, WMGW_NS_WSA, WMGW_NS_WST, WMGW_NS_WSE, WMGW_NS_WSEN, d->ns_wsman,
                             d->ns_wsmv ? " xmlns:p=\"" : "", d->ns_wsmv ? d->ns_wsmv : "", d->ns_wsmv ? "\"" : "",
                             WMGW_NS_WSMB);
    if (rc == 0)
        rc = wmgw_buf_addstr_xml(out, action);
    if (rc == 0)
        rc = wmgw_buf_printf(out, "</a:Action><a:MessageID>%s</a:MessageID><a:To>%s</a:To>", id,
                             WMGW_WSA_ANONYMOUS);
    if (rc == 0 && ctx->req.message_id != NULL) {
        rc = wmgw_buf_addstr(out, "<a:RelatesTo>");
        if (rc == 0)
            rc = wmgw_buf_addstr_xml(out, ctx->req.message_id);
        if (rc == 0)
            rc = wmgw_buf_addstr(out, "</a:RelatesTo>");
    }
    if (rc == 0)
        rc = wmgw_buf_addstr(out, "</s:Header><s:Body>");
    return rc;
}

int sim_envelope_end(struct sim_ctx *ctx)
{
    return wmgw_buf_addstr(&ctx->out, "</s:Body></s:Envelope>");
}
