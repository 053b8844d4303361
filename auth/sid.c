/*
 * sid.c: SIDs in text, in binary and as SDDL aliases (sid.h).
 *
 * The alias tables follow protocol-notes 5.3 (MS-DTYP 2.4.2.4 and the
 * sid-token list of 2.5.1.1).  They are searched linearly: about sixty
 * rows, looked at once per SID parsed or printed.
 *
 * SECURITY
 *      See sid.h: bounded, allocation-free, no state.
 */
#include "auth/sid.h"
#include "util/hex.h"

#include <stdio.h>
#include <string.h>

#define MAX_AUTHORITY ((UINT64_C(1) << 48) - 1)

int wmgw_sid_init(struct wmgw_sid *sid, uint64_t authority, const uint32_t *sub, size_t count)
{
    if (authority > MAX_AUTHORITY || count > WMGW_SID_MAX_SUB_AUTHORITIES)
        return WMGW_EINVAL;
    memset(sid, 0, sizeof(*sid));
    sid->revision = 1;
    sid->sub_count = (uint8_t)count;
    for (int i = 5; i >= 0; i--, authority >>= 8)
        sid->authority[i] = (uint8_t)(authority & 0xFF);
    for (size_t i = 0; i < count; i++)
        sid->sub[i] = sub[i];
    return 0;
}

uint64_t wmgw_sid_authority(const struct wmgw_sid *sid)
{
    uint64_t a = 0;
    for (int i = 0; i < 6; i++)
        a = (a << 8) | sid->authority[i];
    return a;
}

bool wmgw_sid_equal(const struct wmgw_sid *a, const struct wmgw_sid *b)
{
    return wmgw_sid_cmp(a, b) == 0;
}

int wmgw_sid_cmp(const struct wmgw_sid *a, const struct wmgw_sid *b)
{
    uint64_t x = wmgw_sid_authority(a), y = wmgw_sid_authority(b);
    if (x != y)
        return x < y ? -1 : 1;
    size_t n = a->sub_count < b->sub_count ? a->sub_count : b->sub_count;
    for (size_t i = 0; i < n; i++)
        if (a->sub[i] != b->sub[i])
            return a->sub[i] < b->sub[i] ? -1 : 1;
    if (a->sub_count != b->sub_count)
        return a->sub_count < b->sub_count ? -1 : 1;
    return a->revision == b->revision ? 0 : (a->revision < b->revision ? -1 : 1);
}

/* ---- text ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal number below 2^32 without leading zeros at s[*i]. */
static int parse_decimal32(const char *s, size_t len, size_t *i, uint32_t *out, const char *what,
                           struct wmgw_err *err)
{
    size_t start = *i;
    uint64_t v = 0;
    if (start >= len || !is_digit(s[start]))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "SID: expected a decimal %s", what);
    if (s[start] == '0' && start + 1 < len && is_digit(s[start + 1]))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "SID: %s has a leading zero", what);
    while (*i < len && is_digit(s[*i])) {
        v = v * 10 + (uint64_t)(s[*i] - '0');
        if (v > UINT32_MAX)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "SID: %s is larger than 4294967295", what);
        (*i)++;
    }
    *out = (uint32_t)v;
    return 0;
}

int wmgw_sid_parse_prefix(struct wmgw_sid *sid, const char *s, size_t len, size_t *used, struct wmgw_err *err)
{
    if (len < 4 || memcmp(s, "S-1-", 4) != 0) {
        size_t at = 0;
        while (at < len && at < 4 && s[at] == "S-1-"[at])
            at++;
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "SID: expected \"S-1-\"");
    }
    size_t i = 4;
    uint64_t authority = 0;
    if (i + 1 < len && s[i] == '0' && s[i + 1] == 'x') {
        size_t start = i;
        i += 2;
        size_t digits = 0;
        /* "D:" after a hex authority starts the DACL ("O:S-1-0x5000000000D:"),
         * as a ':' can never follow a digit of a SID. */
        while (i < len && wmgw_hex_value(s[i]) >= 0 && !(s[i] == 'D' && i + 1 < len && s[i + 1] == ':')) {
            if (++digits > 12)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)start,
                                       "SID: hex authority has more than 12 digits");
            authority = (authority << 4) | (uint64_t)wmgw_hex_value(s[i]);
            i++;
        }
        if (digits == 0)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "SID: expected hex digits after 0x");
    } else {
        uint32_t a32;
        int rc = parse_decimal32(s, len, &i, &a32, "authority", err);
        if (rc != 0)
            return rc;
        authority = a32;
    }
    uint32_t sub[WMGW_SID_MAX_SUB_AUTHORITIES];
    size_t count = 0;
    while (i < len && s[i] == '-') {
        if (count == WMGW_SID_MAX_SUB_AUTHORITIES)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "SID: more than 15 sub-authorities");
        i++;
        int rc = parse_decimal32(s, len, &i, &sub[count], "sub-authority", err);
        if (rc != 0)
            return rc;
        count++;
    }
    wmgw_sid_init(sid, authority, sub, count);
    *used = i;
    return 0;
}

int wmgw_sid_parse(struct wmgw_sid *sid, const char *s, size_t len, struct wmgw_err *err)
{
    size_t used;
    int rc = wmgw_sid_parse_prefix(sid, s, len, &used, err);
    if (rc == 0 && used != len)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)used, "SID: unexpected character after the SID");
    return rc;
}

size_t wmgw_sid_format(const struct wmgw_sid *sid, char out[WMGW_SID_TEXT_MAX])
{
    uint64_t a = wmgw_sid_authority(sid);
    int n = a > UINT32_MAX ? snprintf(out, WMGW_SID_TEXT_MAX, "S-%u-0x%llX", sid->revision, (unsigned long long)a)
                           : snprintf(out, WMGW_SID_TEXT_MAX, "S-%u-%llu", sid->revision, (unsigned long long)a);
    size_t count = sid->sub_count <= WMGW_SID_MAX_SUB_AUTHORITIES ? sid->sub_count : WMGW_SID_MAX_SUB_AUTHORITIES;
    for (size_t i = 0; i < count; i++)
        n += snprintf(out + n, WMGW_SID_TEXT_MAX - (size_t)n, "-%u", (unsigned)sid->sub[i]);
    return (size_t)n;
}

/* ---- binary ---- */

size_t wmgw_sid_binary_size(const struct wmgw_sid *sid)
{
    return 8 + 4 * (size_t)sid->sub_count;
}

int wmgw_sid_read(struct wmgw_sid *sid, const uint8_t *p, size_t len, size_t *used, struct wmgw_err *err)
{
    if (len < 8)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)len, "SID: truncated (%zu bytes, need 8)", len);
    if (p[0] != 1)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "SID: revision %u, expected 1", p[0]);
    if (p[1] > WMGW_SID_MAX_SUB_AUTHORITIES)
        return wmgw_err_set_at(err, WMGW_EINVAL, 1, "SID: %u sub-authorities, at most 15", p[1]);
    size_t size = 8 + 4 * (size_t)p[1];
    if (len < size)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)len, "SID: truncated (%zu bytes, need %zu)", len, size);
    memset(sid, 0, sizeof(*sid));
    sid->revision = 1;
    sid->sub_count = p[1];
    memcpy(sid->authority, p + 2, 6);
    for (size_t i = 0; i < sid->sub_count; i++) {
        const uint8_t *q = p + 8 + 4 * i;
        sid->sub[i] = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    }
    *used = size;
    return 0;
}

size_t wmgw_sid_write(const struct wmgw_sid *sid, uint8_t *out)
{
    out[0] = sid->revision;
    out[1] = sid->sub_count;
    memcpy(out + 2, sid->authority, 6);
    for (size_t i = 0; i < sid->sub_count; i++) {
        uint8_t *q = out + 8 + 4 * i;
        q[0] = (uint8_t)sid->sub[i];
        q[1] = (uint8_t)(sid->sub[i] >> 8);
        q[2] = (uint8_t)(sid->sub[i] >> 16);
        q[3] = (uint8_t)(sid->sub[i] >> 24);
    }
    return wmgw_sid_binary_size(sid);
}

/* ---- aliases ---- */

struct fixed_alias {
    char name[3];
    uint8_t authority;
    uint8_t count;
    uint32_t sub[6];
};

/* protocol-notes 5.3, "Fixed". */
static const struct fixed_alias fixed_aliases[] = {
    {"WD", 1, 1, {0}},        {"CO", 3, 1, {0}},        {"CG", 3, 1, {1}},        {"OW", 3, 1, {4}},
    {"NU", 5, 1, {2}},        {"IU", 5, 1, {4}},        {"SU", 5, 1, {6}},        {"AN", 5, 1, {7}},
    {"ED", 5, 1, {9}},        {"PS", 5, 1, {10}},       {"AU", 5, 1, {11}},       {"RC", 5, 1, {12}},
    {"SY", 5, 1, {18}},       {"LS", 5, 1, {19}},       {"NS", 5, 1, {20}},       {"WR", 5, 1, {33}},
    {"BA", 5, 2, {32, 544}},  {"BU", 5, 2, {32, 545}},  {"BG", 5, 2, {32, 546}},  {"PU", 5, 2, {32, 547}},
    {"AO", 5, 2, {32, 548}},  {"SO", 5, 2, {32, 549}},  {"PO", 5, 2, {32, 550}},  {"BO", 5, 2, {32, 551}},
    {"RE", 5, 2, {32, 552}},  {"RU", 5, 2, {32, 554}},  {"RD", 5, 2, {32, 555}},  {"NO", 5, 2, {32, 556}},
    {"MU", 5, 2, {32, 558}},  {"LU", 5, 2, {32, 559}},  {"IS", 5, 2, {32, 568}},  {"CY", 5, 2, {32, 569}},
    {"ER", 5, 2, {32, 573}},  {"CD", 5, 2, {32, 574}},  {"RA", 5, 2, {32, 575}},  {"ES", 5, 2, {32, 576}},
    {"MS", 5, 2, {32, 577}},  {"HA", 5, 2, {32, 578}},  {"AA", 5, 2, {32, 579}},  {"RM", 5, 2, {32, 580}},
    {"AC", 15, 2, {2, 1}},    {"UD", 5, 6, {84, 0, 0, 0, 0, 0}},                  {"LW", 16, 1, {4096}},
    {"ME", 16, 1, {8192}},    {"MP", 16, 1, {8448}},    {"HI", 16, 1, {12288}},   {"SI", 16, 1, {16384}},
};

struct domain_alias {
    char name[3];
    bool root; /* relative to the forest root domain */
    uint32_t rid;
};

/* protocol-notes 5.3, "Domain-relative". */
static const struct domain_alias domain_aliases[] = {
    {"LA", false, 500}, {"LG", false, 501}, {"DA", false, 512}, {"DU", false, 513}, {"DG", false, 514},
    {"DC", false, 515}, {"DD", false, 516}, {"CA", false, 517}, {"SA", true, 518},  {"EA", true, 519},
    {"PA", false, 520}, {"RO", true, 498},  {"CN", false, 522}, {"RS", false, 553},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct wmgw_sid *domain_for(const struct domain_alias *a, const struct wmgw_sid_domains *dom)
{
    if (dom == NULL)
        return NULL;
    if (a->root && dom->root_domain != NULL)
        return dom->root_domain;
    return dom->domain;
}

int wmgw_sid_from_alias(struct wmgw_sid *sid, const char *s, size_t len, const struct wmgw_sid_domains *dom,
                        struct wmgw_err *err)
{
    if (len < 2)
        return WMGW_ENOTFOUND;
    for (size_t i = 0; i < COUNT(fixed_aliases); i++) {
        const struct fixed_alias *a = &fixed_aliases[i];
        if (a->name[0] == s[0] && a->name[1] == s[1])
            return wmgw_sid_init(sid, a->authority, a->sub, a->count);
    }
    for (size_t i = 0; i < COUNT(domain_aliases); i++) {
        const struct domain_alias *a = &domain_aliases[i];
        if (a->name[0] != s[0] || a->name[1] != s[1])
            continue;
        const struct wmgw_sid *d = domain_for(a, dom);
        if (d == NULL)
            return wmgw_err_set_at(err, WMGW_EINVAL, 0,
                                   "SID alias %s is relative to the %sdomain, and no domain SID was given", a->name,
                                   a->root ? "forest root " : "");
        if (d->sub_count >= WMGW_SID_MAX_SUB_AUTHORITIES)
            return wmgw_err_set_at(err, WMGW_EINVAL, 0, "SID alias %s: the domain SID has no room for a RID",
                                   a->name);
        *sid = *d;
        sid->sub[sid->sub_count++] = a->rid;
        return 0;
    }
    return WMGW_ENOTFOUND;
}

static bool matches_fixed(const struct wmgw_sid *sid, const struct fixed_alias *a)
{
    if (wmgw_sid_authority(sid) != a->authority || sid->sub_count != a->count)
        return false;
    return memcmp(sid->sub, a->sub, 4 * (size_t)a->count) == 0;
}

static bool in_domain(const struct wmgw_sid *sid, const struct wmgw_sid *d, uint32_t rid)
{
    if (d == NULL || sid->sub_count != d->sub_count + 1 || sid->sub[d->sub_count] != rid)
        return false;
    if (memcmp(sid->authority, d->authority, 6) != 0)
        return false;
    return memcmp(sid->sub, d->sub, 4 * (size_t)d->sub_count) == 0;
}

const char *wmgw_sid_alias(const struct wmgw_sid *sid, const struct wmgw_sid_domains *dom)
{
    for (size_t i = 0; i < COUNT(fixed_aliases); i++)
        if (matches_fixed(sid, &fixed_aliases[i]))
            return fixed_aliases[i].name;
    for (size_t i = 0; i < COUNT(domain_aliases); i++)
        if (in_domain(sid, domain_for(&domain_aliases[i], dom), domain_aliases[i].rid))
            return domain_aliases[i].name;
    return NULL;
}

int wmgw_sid_parse_sddl(struct wmgw_sid *sid, const char *s, size_t len, size_t *used,
                        const struct wmgw_sid_domains *dom, struct wmgw_err *err)
{
    if (len >= 2 && s[0] == 'S' && s[1] == '-')
        return wmgw_sid_parse_prefix(sid, s, len, used, err);
    int rc = wmgw_sid_from_alias(sid, s, len, dom, err);
    if (rc == WMGW_ENOTFOUND)
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "expected a SID (\"S-1-...\" or a two-letter alias)");
    if (rc == 0)
        *used = 2;
    return rc;
}

size_t wmgw_sid_format_sddl(const struct wmgw_sid *sid, const struct wmgw_sid_domains *dom,
                            char out[WMGW_SID_TEXT_MAX])
{
    const char *alias = wmgw_sid_alias(sid, dom);
    if (alias == NULL)
        return wmgw_sid_format(sid, out);
    memcpy(out, alias, 3);
    return 2;
}
