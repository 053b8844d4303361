/*
 * uuid.c: UUID text form and random UUIDs.  See uuid.h.
 */
#include "translators/wmi/uuid.h"
#include "util/hex.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/* Wire byte index of each text hex pair: Data1..3 are little-endian. */
static const uint8_t text_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

int wmgw_uuid_parse(struct wmgw_uuid *u, const char *s, struct wmgw_err *err)
{
    size_t len = s ? strlen(s) : 0;
    if (len == WMGW_UUID_STRLEN + 2 && s[0] == '{' && s[len - 1] == '}') {
        s++;
        len -= 2;
    }
    if (len != WMGW_UUID_STRLEN)
        return wmgw_err_set(err, WMGW_EINVAL, "UUID \"%.40s\" is not 36 characters", s ? s : "");
    size_t pos = 0;
    for (int i = 0; i < 16; i++) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
            if (s[pos] != '-')
                return wmgw_err_set(err, WMGW_EINVAL, "UUID \"%.36s\": '-' expected at %zu", s, pos);
            pos++;
        }
        int hi = wmgw_hex_value(s[pos]), lo = wmgw_hex_value(s[pos + 1]);
        if (hi < 0 || lo < 0)
            return wmgw_err_set(err, WMGW_EINVAL, "UUID \"%.36s\": hex digit expected at %zu", s, pos);
        u->b[text_order[i]] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    return 0;
}

void wmgw_uuid_format(const struct wmgw_uuid *u, char out[WMGW_UUID_STRLEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    size_t pos = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[pos++] = '-';
        uint8_t v = u->b[text_order[i]];
        out[pos++] = hex[v >> 4];
        out[pos++] = hex[v & 15];
    }
    out[pos] = '\0';
}

bool wmgw_uuid_eq(const struct wmgw_uuid *a, const struct wmgw_uuid *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

bool wmgw_uuid_is_nil(const struct wmgw_uuid *u)
{
    static const struct wmgw_uuid nil;
    return wmgw_uuid_eq(u, &nil);
}

int wmgw_uuid_random(struct wmgw_uuid *u)
{
    if (RAND_bytes(u->b, sizeof(u->b)) != 1)
        return WMGW_EINTERNAL;
    u->b[7] = (uint8_t)((u->b[7] & 0x0F) | 0x40); /* version 4: high nibble of Data3 */
    u->b[8] = (uint8_t)((u->b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return 0;
}
