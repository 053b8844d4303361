/*
 * uuid.h: UUIDs (GUIDs) as DCE/RPC and DCOM carry them.
 *
 * Interface ids, transfer syntaxes, object UUIDs (IPIDs), CLSIDs and
 * causality ids all travel as the 16-byte NDR form of a GUID: Data1 (u32),
 * Data2 and Data3 (u16) little-endian, then Data4's 8 bytes as they are.
 * wmgw keeps them in exactly that wire form, so encoding and decoding are
 * copies and only the text form (8-4-4-4-12 hex, as Windows prints it)
 * needs byte swapping.  Part of the wmi/ translator's RPC layer (design.md:
 * translators/wmi); no state, no allocation.
 */
#ifndef WMGW_TRANSLATORS_WMI_UUID_H
#define WMGW_TRANSLATORS_WMI_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define WMGW_UUID_STRLEN 36 /* without the NUL */

struct wmgw_uuid {
    uint8_t b[16]; /* NDR (wire) order */
};

/* Parses "8a885d04-1ceb-11c9-9fe8-08002b104860" (either case, optional
 * braces).  WMGW_EINVAL when s is anything else. */
int wmgw_uuid_parse(struct wmgw_uuid *u, const char *s, struct wmgw_err *err);
/* Writes the lower-case text form and a NUL: out needs 37 bytes. */
void wmgw_uuid_format(const struct wmgw_uuid *u, char out[WMGW_UUID_STRLEN + 1]);
bool wmgw_uuid_eq(const struct wmgw_uuid *a, const struct wmgw_uuid *b);
bool wmgw_uuid_is_nil(const struct wmgw_uuid *u);
/* A random (version 4) UUID, e.g. a DCOM causality id. */
int wmgw_uuid_random(struct wmgw_uuid *u);

#endif
