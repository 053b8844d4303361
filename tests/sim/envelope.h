/*
 * envelope.h: writing response envelopes in the shape WinRM uses
 * (captures in ../shared/captures/wsmv: xml:lang on the envelope, Action,
 * MessageID, To = anonymous, RelatesTo = the request's MessageID).
 */
#ifndef WMSIM_ENVELOPE_H
#define WMSIM_ENVELOPE_H

#include <stddef.h>

struct sim_ctx;
struct wmgw_buf;

/* Opens the envelope and the body; the prefixes s, a, x, e, n, w, b and
 * (where the dialect has Microsoft's extensions) p are declared on the
 * envelope for everything inside; w is the host dialect's namespace. */
int sim_envelope_begin(struct sim_ctx *ctx, const char *action);
/* Closes body and envelope. */
int sim_envelope_end(struct sim_ctx *ctx);

/* The size of UTF-8 text s once encoded as UTF-16, in octets.  WinRM keeps
 * envelopes in UTF-16 and measures MaxEnvelopeSize so: with the default
 * 153600 its Pull pages are about 75 KB of UTF-8 (captures). */
size_t sim_utf16_size(const char *s, size_t len);

/* A fresh "uuid:XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" (upper case, as WinRM). */
void sim_uuid(char out[42]);

#endif
