/*
 * fuzz_wsman_response.c: arbitrary bytes as a backend's response envelope,
 * read by the WS-Management translator's response parser
 * (translators/wsman/soap_read.c, with fault.c, class_read.c and the
 * cimxml codec under it) for every kind of request.
 *
 * Input: byte 0 picks the request kind (value % 10, the order of enum
 * wmgw_soap_kind), the typing and the dialect (value / 10: bit 0 set =
 * untyped, bit 1 set = a projection, bit 2 set = the Windows Server 2003
 * R2 dialect, else MS-WSMV), the rest is the HTTP body.  Typed reads use classes
 * shaped like the simulator's root/test Sim_AllTypes and Sim_Item, so the
 * seeds (corpus/fuzz_wsman_response/: the simulator's real answers to every
 * operation and fault, in both dialects) reach every value reader.  Any crash, sanitizer
 * report or leak is a finding; every outcome (0 or WMGW_EPROTO) is fine.
 */
#include "translators/wsman/soap.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct wmgw_cim_class *all_types, *item;

static void add(struct wmgw_cim_class *c, const char *name, uint16_t type, const char *ref_class)
{
    struct wmgw_cim_propdecl *d = wmgw_cim_class_add_prop(c, name, type);
    if (d != NULL && ref_class != NULL)
        d->ref_class = strdup(ref_class);
}

static void init(void)
{
    static const struct {
        const char *suffix;
        uint16_t type;
    } types[] = {
        {"Bool", WMGW_CIM_BOOLEAN}, {"Char16", WMGW_CIM_CHAR16}, {"Datetime", WMGW_CIM_DATETIME},
        {"Interval", WMGW_CIM_DATETIME}, {"Object", WMGW_CIM_OBJECT}, {"Real32", WMGW_CIM_REAL32},
        {"Real64", WMGW_CIM_REAL64}, {"Ref", WMGW_CIM_REFERENCE}, {"Sint16", WMGW_CIM_SINT16},
        {"Sint32", WMGW_CIM_SINT32}, {"Sint64", WMGW_CIM_SINT64}, {"Sint8", WMGW_CIM_SINT8},
        {"String", WMGW_CIM_STRING}, {"Uint16", WMGW_CIM_UINT16}, {"Uint32", WMGW_CIM_UINT32},
        {"Uint64", WMGW_CIM_UINT64}, {"Uint8", WMGW_CIM_UINT8},
    };
    all_types = wmgw_cim_class_new("Sim_AllTypes", "root/test");
    item = wmgw_cim_class_new("Sim_Item", "root/test");
    struct wmgw_cim_method *echo = wmgw_cim_class_add_method(all_types, "Echo");
    echo->return_type = WMGW_CIM_UINT32;
    echo->flags = WMGW_CIM_Q_STATIC;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char name[32];
        const char *rc = types[i].type == WMGW_CIM_OBJECT || types[i].type == WMGW_CIM_REFERENCE ? "Sim_Item" : NULL;
        snprintf(name, sizeof(name), "A%s", types[i].suffix);
        add(all_types, name, (uint16_t)(types[i].type | WMGW_CIM_ARRAY), rc);
        snprintf(name, sizeof(name), "P%s", types[i].suffix);
        add(all_types, name, types[i].type, rc);
        struct wmgw_cim_propdecl *p = wmgw_cim_method_add_param(echo, name, types[i].type);
        if (p != NULL) {
            p->flags = WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT;
            p->ref_class = rc ? strdup(rc) : NULL;
        }
    }
    add(all_types, "Id", WMGW_CIM_STRING, NULL);
    add(item, "Id", WMGW_CIM_UINT32, NULL);
    add(item, "Label", WMGW_CIM_STRING, NULL);
    add(item, "Tags", WMGW_CIM_STRING | WMGW_CIM_ARRAY, NULL);
}

static const struct wmgw_cim_class *lookup(void *ctx, const char *ns, const char *name)
{
    (void)ctx;
    (void)ns;
    if (name != NULL && strcasecmp(name, "Sim_Item") == 0)
        return item;
    if (name != NULL && strcasecmp(name, "Sim_AllTypes") == 0)
        return all_types;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (all_types == NULL)
        init();
    if (size < 1)
        return 0;
    static char *const select[] = {"Id", "PUint64", "AString", "PObject"};
    unsigned mode = data[0] / 10;
    bool typed = !(mode & 1), project = (mode & 2) != 0, old = (mode & 4) != 0;
    struct wmgw_soap_response r = {
        .kind = (enum wmgw_soap_kind)(data[0] % 10),
        .d = old ? &wmgw_wsman_dialect_2003 : &wmgw_wsman_dialect_wsmv,
        .ns = "root/test",
        .cls = typed ? all_types : NULL,
        .lookup = typed ? lookup : NULL,
        .select = project ? select : NULL,
        .nselect = project ? 4 : 0,
        .fragment_class = project ? "Sim_AllTypes" : NULL,
        .method = typed ? wmgw_cim_class_method(all_types, "Echo") : NULL,
    };
    struct wmgw_err err;
    if (wmgw_soap_read((const char *)data + 1, size - 1, &r, &err) == 0)
        wmgw_soap_response_dispose(&r);
    return 0;
}
