/*
 * type.c: CIM type names and integer ranges (cim.h).
 */
#include "cim/cim.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    uint16_t type;
    const char *name;
} type_names[] = {
    {WMGW_CIM_BOOLEAN, "boolean"},   {WMGW_CIM_SINT8, "sint8"},     {WMGW_CIM_UINT8, "uint8"},
    {WMGW_CIM_SINT16, "sint16"},     {WMGW_CIM_UINT16, "uint16"},   {WMGW_CIM_SINT32, "sint32"},
    {WMGW_CIM_UINT32, "uint32"},     {WMGW_CIM_SINT64, "sint64"},   {WMGW_CIM_UINT64, "uint64"},
    {WMGW_CIM_REAL32, "real32"},     {WMGW_CIM_REAL64, "real64"},   {WMGW_CIM_CHAR16, "char16"},
    {WMGW_CIM_STRING, "string"},     {WMGW_CIM_DATETIME, "datetime"}, {WMGW_CIM_REFERENCE, "reference"},
    {WMGW_CIM_OBJECT, "object"},
};

const char *wmgw_cim_type_name(uint16_t type)
{
    uint16_t base = WMGW_CIM_BASETYPE(type);
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == base)
            return type_names[i].name;
    return "none";
}

int wmgw_cim_type_parse(const char *s, uint16_t *type, char **ref_class)
{
    size_t len = strlen(s);
    uint16_t array = 0;
    *ref_class = NULL;
    if (len > 2 && strcmp(s + len - 2, "[]") == 0) {
        array = WMGW_CIM_ARRAY;
        len -= 2;
    }
    const char *target = NULL;
    uint16_t base = WMGW_CIM_NONE;
    if (len > 4 && strncasecmp(s, "ref:", 4) == 0) {
        base = WMGW_CIM_REFERENCE;
        target = s + 4;
    } else if (len > 7 && strncasecmp(s, "object:", 7) == 0) {
        base = WMGW_CIM_OBJECT;
        target = s + 7;
    } else if (len == 8 && strncasecmp(s, "interval", 8) == 0) {
        base = WMGW_CIM_DATETIME;
    } else {
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
            if (strlen(type_names[i].name) == len && strncasecmp(s, type_names[i].name, len) == 0)
                base = type_names[i].type;
    }
    if (base == WMGW_CIM_NONE)
        return WMGW_EINVAL;
    if (target != NULL) {
        size_t tlen = len - (size_t)(target - s);
        *ref_class = strndup(target, tlen);
        if (*ref_class == NULL)
            return WMGW_ENOMEM;
    }
    *type = base | array;
    return 0;
}

bool wmgw_cim_type_is_integer(uint16_t type)
{
    switch (WMGW_CIM_BASETYPE(type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_UINT8: case WMGW_CIM_SINT16: case WMGW_CIM_UINT16:
    case WMGW_CIM_SINT32: case WMGW_CIM_UINT32: case WMGW_CIM_SINT64: case WMGW_CIM_UINT64:
        return true;
    default:
        return false;
    }
}

bool wmgw_cim_type_is_signed(uint16_t type)
{
    switch (WMGW_CIM_BASETYPE(type)) {
    case WMGW_CIM_SINT8: case WMGW_CIM_SINT16: case WMGW_CIM_SINT32: case WMGW_CIM_SINT64:
        return true;
    default:
        return false;
    }
}

void wmgw_cim_type_range(uint16_t type, int64_t *min, uint64_t *max)
{
    switch (WMGW_CIM_BASETYPE(type)) {
    case WMGW_CIM_SINT8: *min = INT8_MIN; *max = INT8_MAX; break;
    case WMGW_CIM_UINT8: *min = 0; *max = UINT8_MAX; break;
    case WMGW_CIM_SINT16: *min = INT16_MIN; *max = INT16_MAX; break;
    case WMGW_CIM_UINT16: *min = 0; *max = UINT16_MAX; break;
    case WMGW_CIM_SINT32: *min = INT32_MIN; *max = INT32_MAX; break;
    case WMGW_CIM_UINT32: *min = 0; *max = UINT32_MAX; break;
    case WMGW_CIM_SINT64: *min = INT64_MIN; *max = INT64_MAX; break;
    case WMGW_CIM_UINT64: *min = 0; *max = UINT64_MAX; break;
    default: *min = 0; *max = 0; break;
    }
}
