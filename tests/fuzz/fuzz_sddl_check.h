/*
 * fuzz_sddl_check.h: what fuzz_sddl.c and fuzz_sd_binary.c both assert
 * about a descriptor that was accepted:
 *
 *   - encode -> decode gives the same structure, and encoding that again
 *     gives the same bytes;
 *   - the access check agrees with itself: for a fixed token and a few
 *     masks derived from the input, a mask is granted exactly when it lies
 *     within the MAXIMUM_ALLOWED answer (with and without WMI's mapping).
 *
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#ifndef WMGW_TESTS_FUZZ_SDDL_CHECK_H
#define WMGW_TESTS_FUZZ_SDDL_CHECK_H

#include "auth/access.h"
#include "auth/wmi_rights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_sddl: %s\n", what);
    abort();
}

static void fuzz_check_binary(const struct wmgw_sd *sd)
{
    struct wmgw_buf b1, b2;
    wmgw_buf_init(&b1, 1 << 22);
    wmgw_buf_init(&b2, 1 << 22);
    if (wmgw_sd_encode(sd, &b1, NULL) != 0)
        fuzz_fail("an accepted descriptor does not encode");
    struct wmgw_sd back;
    if (wmgw_sd_decode(&back, (const uint8_t *)b1.data, b1.len, NULL) != 0)
        fuzz_fail("our own encoding does not decode");
    if (!wmgw_sd_equal(sd, &back))
        fuzz_fail("encode -> decode changed the descriptor");
    if (wmgw_sd_encode(&back, &b2, NULL) != 0 || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
        fuzz_fail("encoding is not stable");
    wmgw_sd_dispose(&back);
    wmgw_buf_dispose(&b1);
    wmgw_buf_dispose(&b2);
}

static void fuzz_check_access(const struct wmgw_sd *sd, uint32_t seed)
{
    static const uint32_t sub[][4] = {{21, 1, 2, 3}, {32, 545}, {11}, {2}};
    struct wmgw_sid groups[4], user, me;
    wmgw_sid_init(&user, 5, (const uint32_t[]){21, 1, 2, 3, 1001}, 5);
    wmgw_sid_init(&groups[0], 1, (const uint32_t[]){0}, 1);       /* WD */
    wmgw_sid_init(&groups[1], 5, sub[1], 2);                      /* BU */
    wmgw_sid_init(&groups[2], 5, sub[2], 1);                      /* AU */
    wmgw_sid_init(&groups[3], 5, (const uint32_t[]){32, 544}, 2); /* BA */
    wmgw_sid_init(&me, 16, (const uint32_t[]){0x2000}, 1);
    struct wmgw_token tok = {user, groups, 2 + (seed & 1) + ((seed >> 1) & 1), (seed >> 2) & 3,
                             (seed & 16) ? &me : NULL};
    for (int mapped = 0; mapped < 2; mapped++) {
        struct wmgw_access_request req = {WMGW_MAXIMUM_ALLOWED, mapped ? &wmgw_wmi_generic_mapping : NULL, NULL,
                                          NULL};
        struct wmgw_access_result max, one;
        int rc = wmgw_access_check(sd, &tok, &req, &max, NULL);
        if (rc != 0 && rc != WMGW_EACCES)
            fuzz_fail("access check failed to decide");
        for (int k = 0; k < 4; k++) {
            uint32_t x = seed * 2654435761u + (uint32_t)k * 40503u;
            req.desired = (x & 0x1FF) | ((x >> 9) & 0xF) << 16 | (x & 0x80000000u);
            uint32_t want = wmgw_access_map(req.desired, req.mapping);
            bool within = (want & ~max.granted) == 0;
            rc = wmgw_access_check(sd, &tok, &req, &one, NULL);
            if ((rc == 0) != within)
                fuzz_fail("a mask is granted but not within MAXIMUM_ALLOWED, or the other way round");
        }
    }
}

#endif
