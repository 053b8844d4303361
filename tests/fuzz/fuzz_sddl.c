/*
 * fuzz_sddl.c: libFuzzer target for SDDL text (auth/sddl_parse.c and
 * everything it calls: SIDs, rights, GUIDs, conditional expressions,
 * resource attributes).
 *
 * Whatever parses must format; the formatted text must parse back to the
 * same structure and format to the same text; the structure must survive
 * encode -> decode unchanged; and the access check must agree with itself
 * (fuzz_sddl_check.h).  Parsing uses a domain SID so that DA, EA, ... are
 * reachable.  Seeds in corpus/fuzz_sddl: the descriptors of the unit
 * tests, MS-DTYP's example, protocol-notes' root\cimv2 and WinRM ones.
 */
#include "fuzz_sddl_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wmgw_sid domain;
    wmgw_sid_init(&domain, 5, (const uint32_t[]){21, 1, 2, 3}, 4);
    struct wmgw_sddl_opts opts = {{&domain, NULL}};
    struct wmgw_sd sd, again;
    if (wmgw_sddl_parse(&sd, (const char *)data, size, &opts, NULL) != 0)
        return 0;
    struct wmgw_buf t1, t2;
    wmgw_buf_init(&t1, 1 << 22);
    wmgw_buf_init(&t2, 1 << 22);
    if (wmgw_sddl_format(&sd, &opts, &t1, NULL) != 0)
        fuzz_fail("a parsed descriptor does not format");
    /* Canonical text can be longer than the input (spaces in conditions);
     * past the input limit it cannot be read back, which is no bug. */
    if (t1.len <= WMGW_SDDL_MAX_TEXT) {
        struct wmgw_err e;
        if (wmgw_sddl_parse(&again, t1.data ? t1.data : "", t1.len, &opts, &e) != 0) {
            fprintf(stderr, "%s\nat %ld: %s\n", t1.data, e.position, e.message);
            fuzz_fail("formatted text does not parse");
        }
        if (!wmgw_sd_equal(&sd, &again))
            fuzz_fail("format -> parse changed the descriptor");
        if (wmgw_sddl_format(&again, &opts, &t2, NULL) != 0 || t1.len != t2.len ||
            (t1.len && memcmp(t1.data, t2.data, t1.len) != 0))
            fuzz_fail("formatting is not stable");
        wmgw_sd_dispose(&again);
    }
    fuzz_check_binary(&sd);
    uint32_t seed = 0;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31 + data[i];
    fuzz_check_access(&sd, seed);
    wmgw_buf_dispose(&t1);
    wmgw_buf_dispose(&t2);
    wmgw_sd_dispose(&sd);
    return 0;
}
