/*
 * fuzz_sd_binary.c: libFuzzer target for the self-relative security
 * descriptor decoder (auth/sd_binary.c), the form backend hosts send in
 * __SystemSecurity GetSD, and for what reads the data inside its ACEs:
 * conditional expressions (formatting and evaluation) and resource
 * attributes.
 *
 * Whatever decodes must encode and decode to the same structure, and the
 * access check must agree with itself (fuzz_sddl_check.h).  When it
 * formats as SDDL, the text must parse (unless it hits a size limit: a
 * binary attribute may share value storage that text spells out) and
 * format to the same text.  Seeds in corpus/fuzz_sd_binary: the binary
 * forms of the SDDL seeds, made with sddl_tool, and MS-DTYP 2.5.1.4.
 */
#include "fuzz_sddl_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wmgw_sd sd, again;
    if (wmgw_sd_decode(&sd, data, size, NULL) != 0)
        return 0;
    fuzz_check_binary(&sd);
    struct wmgw_buf t1, t2;
    wmgw_buf_init(&t1, 1 << 22);
    wmgw_buf_init(&t2, 1 << 22);
    if (wmgw_sddl_format(&sd, NULL, &t1, NULL) == 0 && t1.len <= WMGW_SDDL_MAX_TEXT) {
        struct wmgw_err e;
        int rc = wmgw_sddl_parse(&again, t1.data ? t1.data : "", t1.len, NULL, &e);
        if (rc != 0 && strstr(e.message, "than the limit") == NULL && strstr(e.message, "larger than") == NULL) {
            fprintf(stderr, "%s\nat %ld: %s\n", t1.data, e.position, e.message);
            fuzz_fail("SDDL of a decoded descriptor does not parse");
        }
        if (rc == 0) {
            if (wmgw_sddl_format(&again, NULL, &t2, NULL) != 0 || t1.len != t2.len ||
                (t1.len && memcmp(t1.data, t2.data, t1.len) != 0))
                fuzz_fail("SDDL of a decoded descriptor is not stable");
            fuzz_check_binary(&again);
            wmgw_sd_dispose(&again);
        }
    }
    uint32_t seed = 0;
    for (size_t i = 0; i < size; i++)
        seed = seed * 31 + data[i];
    fuzz_check_access(&sd, seed);
    wmgw_buf_dispose(&t1);
    wmgw_buf_dispose(&t2);
    wmgw_sd_dispose(&sd);
    return 0;
}
