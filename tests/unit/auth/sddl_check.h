/*
 * sddl_check.h: helpers shared by the SDDL unit tests (sddl.c,
 * sddl_cond.c, sd_binary.c, access.c): parse-or-fail, canonical form,
 * expected-error checks, hex.  Include after test.h.
 */
#ifndef WMGW_TESTS_UNIT_AUTH_SDDL_CHECK_H
#define WMGW_TESTS_UNIT_AUTH_SDDL_CHECK_H

#include "auth/sddl.h"
#include "../hex_text.h"

/* The domain behind DA, DU, ... in these tests. */
static struct wmgw_sid check_domain;
static struct wmgw_sddl_opts check_opts;

static inline void check_init_domain(void)
{
    static const uint32_t sub[] = {21, 1, 2, 3};
    wmgw_sid_init(&check_domain, 5, sub, 4);
    check_opts.domains.domain = &check_domain;
}

/* Parses text (with the test domain) or fails the test. */
static inline bool check_parse(struct wmgw_sd *sd, const char *text)
{
    struct wmgw_err e = {0};
    int rc = wmgw_sddl_parse(sd, text, strlen(text), &check_opts, &e);
    if (rc != 0) {
        fprintf(stderr, "  parse \"%s\": %s at %ld: %s\n", text, wmgw_err_name(rc), e.position, e.message);
        wmgw_test__failed_checks++;
        return false;
    }
    return true;
}

/* The canonical text of sd (static buffer). */
static inline const char *check_format(const struct wmgw_sd *sd)
{
    static char text[1 << 16];
    struct wmgw_buf b;
    struct wmgw_err e = {0};
    wmgw_buf_init(&b, sizeof(text) - 1);
    int rc = wmgw_sddl_format(sd, &check_opts, &b, &e);
    if (rc != 0) {
        fprintf(stderr, "  format: %s: %s\n", wmgw_err_name(rc), e.message);
        wmgw_test__failed_checks++;
        text[0] = '\0';
    } else {
        memcpy(text, b.data ? b.data : "", b.len + 1);
    }
    wmgw_buf_dispose(&b);
    return text;
}

/* text parses and prints as want (NULL: as itself), and want parses back
 * to the same structure. */
static inline void check_canon(const char *text, const char *want)
{
    struct wmgw_sd sd, again;
    if (!check_parse(&sd, text))
        return;
    const char *got = check_format(&sd);
    if (strcmp(got, want ? want : text) != 0)
        fprintf(stderr, "  input:    %s\n", text);
    CHECK_STR(got, want ? want : text);
    if (check_parse(&again, got)) {
        CHECK(wmgw_sd_equal(&sd, &again));
        wmgw_sd_dispose(&again);
    }
    wmgw_sd_dispose(&sd);
}

/* text is refused with WMGW_EINVAL at byte pos, the message holding what. */
static inline void check_bad_sddl(const char *text, long pos, const char *what)
{
    struct wmgw_sd sd;
    struct wmgw_err e = {0};
    int rc = wmgw_sddl_parse(&sd, text, strlen(text), &check_opts, &e);
    if (rc != WMGW_EINVAL || e.position != pos || (what && strstr(e.message, what) == NULL))
        fprintf(stderr, "  \"%s\": rc %d at %ld: %s (expected at %ld: %s)\n", text, rc, e.position, e.message, pos,
                what ? what : "");
    CHECK_INT(rc, WMGW_EINVAL);
    CHECK_INT(e.position, pos);
    CHECK(what == NULL || strstr(e.message, what) != NULL);
    CHECK(sd.dacl == NULL && sd.sacl == NULL); /* nothing kept */
}

static inline void check_dump(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s (%zu bytes):", label, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", p[i]);
    fprintf(stderr, "\n");
}

#endif
