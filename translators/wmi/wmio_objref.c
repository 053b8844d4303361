/*
 * wmio_objref.c: the OBJREF_CUSTOM around every IWbemClassObject on the
 * wire (MS-WMI 2.2.4, MS-DCOM 2.2.18.6; wmio.h).
 *
 * WMI marshals its objects by value: the OBJREF is "MEOW", flags 4
 * (custom), IID_IWbemClassObject, the unmarshaler CLSID_WbemClassObject,
 * cbExtension (0, ignored on receipt), a reserved size field (Windows puts
 * the data length there; ignored on receipt), then the MS-WMIO EncodingUnit
 * at offset 48.  This file only wraps and unwraps; the DCOM layer carries
 * the result as an MInterfacePointer's abData.
 */
#include "translators/wmi/wmio_int.h"
#include "util/buf.h"
#include "util/err.h"

#include <string.h>

#define OBJREF_SIGNATURE 0x574F454Du /* "MEOW" */
#define OBJREF_CUSTOM 4u
#define OBJREF_HEADER 48

/* GUIDs in their wire form (Data1..3 little-endian). */
static const uint8_t iid_wbem_class_object[16] = {0x81, 0xa6, 0x12, 0xdc, 0x7f, 0x73, 0xcf, 0x11,
                                                  0x88, 0x4d, 0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24};
static const uint8_t clsid_wbem_class_object[16] = {0x12, 0xf8, 0x90, 0x45, 0x3a, 0x1d, 0xd0, 0x11,
                                                    0x89, 0x1f, 0x00, 0xaa, 0x00, 0x4b, 0x2e, 0x24};

int wmgw_wmio_objref_wrap(struct wmgw_buf *out, const uint8_t *unit, size_t len)
{
    if (len > UINT32_MAX)
        return WMGW_ETOOBIG;
    uint8_t h[OBJREF_HEADER];
    wmgw__wmio_put32(h, OBJREF_SIGNATURE);
    wmgw__wmio_put32(h + 4, OBJREF_CUSTOM);
    memcpy(h + 8, iid_wbem_class_object, 16);
    memcpy(h + 24, clsid_wbem_class_object, 16);
    wmgw__wmio_put32(h + 40, 0);
    wmgw__wmio_put32(h + 44, (uint32_t)len);
    int rc = wmgw_buf_add(out, h, sizeof(h));
    if (rc == 0 && (rc = wmgw_buf_add(out, unit, len)) != 0)
        out->len -= sizeof(h); /* all or nothing */
    return rc;
}

int wmgw_wmio_objref_unwrap(const uint8_t *p, size_t len, const uint8_t **unit, size_t *unit_len,
                            struct wmgw_err *err)
{
    *unit = NULL;
    *unit_len = 0;
    if (len < OBJREF_HEADER)
        return wmgw_err_set_at(err, WMGW_EPROTO, 0, "WMIO: OBJREF of %zu bytes is shorter than its 48-byte header",
                               len);
    if (wmgw__wmio_le32(p) != OBJREF_SIGNATURE)
        return wmgw_err_set_at(err, WMGW_EPROTO, 0, "WMIO: OBJREF signature 0x%08x is not MEOW", wmgw__wmio_le32(p));
    if (wmgw__wmio_le32(p + 4) != OBJREF_CUSTOM)
        return wmgw_err_set_at(err, WMGW_EPROTO, 4, "WMIO: OBJREF flags %u: an IWbemClassObject is OBJREF_CUSTOM (4)",
                               wmgw__wmio_le32(p + 4));
    if (memcmp(p + 8, iid_wbem_class_object, 16) != 0)
        return wmgw_err_set_at(err, WMGW_EPROTO, 8, "WMIO: OBJREF interface is not IWbemClassObject");
    if (memcmp(p + 24, clsid_wbem_class_object, 16) != 0)
        return wmgw_err_set_at(err, WMGW_EPROTO, 24, "WMIO: OBJREF_CUSTOM unmarshaler is not CLSID_WbemClassObject");
    *unit = p + OBJREF_HEADER;
    *unit_len = len - OBJREF_HEADER;
    return 0;
}
