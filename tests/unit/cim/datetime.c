/*
 * datetime.c: tests for cim/datetime.c: DMTF validation (ranges, leap
 * years, wildcards, intervals), RFC 3339 and xs:duration input as WinRM
 * emits it, ISO output (trimming, offsets, zero fields) and round trips.
 */
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include "../test.h"

/* Parses text; returns the DMTF string (static) or NULL. */
static const char *parse(const char *text)
{
    static char out[WMGW_CIM_DMTF_LEN + 1];
    struct wmgw_err err;
    wmgw_err_clear(&err);
    if (wmgw_cim_datetime_parse(text, strlen(text), out, &err) != 0)
        return NULL;
    return out;
}

/* The error message for bad text ("" if it parsed). */
static const char *parse_error(const char *text)
{
    static struct wmgw_err err;
    char out[WMGW_CIM_DMTF_LEN + 1];
    wmgw_err_clear(&err);
    if (wmgw_cim_datetime_parse(text, strlen(text), out, &err) == 0)
        return "";
    CHECK_INT(err.code, WMGW_EINVAL);
    return err.message;
}

static const char *iso(const char *dmtf, int expect_rc)
{
    static char s[128];
    struct wmgw_buf b;
    wmgw_buf_init(&b, 1024);
    CHECK_INT(wmgw_cim_datetime_format_iso(dmtf, &b), expect_rc);
    snprintf(s, sizeof(s), "%s", b.data ? b.data : "");
    wmgw_buf_dispose(&b);
    return s;
}

static void test_winrm_spellings(void)
{
    CHECK_STR(parse("2013-04-15T20:04:47.892798Z"), "20130415200447.892798+000");
    CHECK_STR(parse("2013-04-15T20:28:20.913Z"), "20130415202820.913000+000");
    CHECK_STR(parse("2024-01-31T23:59:59.123456-05:00"), "20240131235959.123456-300");
    CHECK_STR(parse("2013-03-09T03:06:25Z"), "20130309030625.000000+000");
    CHECK_STR(parse("2013-04-09T15:42:20.4124Z"), "20130409154220.412400+000");
    CHECK_STR(parse("2013-04-09T15:42:20+08:00"), "20130409154220.000000+480");
    CHECK_STR(parse("P0DT0H1M40S"), "00000000000140.000000:000");
    CHECK_STR(parse("PT0.5S"), "00000000000000.500000:000");
    CHECK_STR(parse("P1DT2H3M4.5S"), "00000001020304.500000:000");
}

static void test_rfc3339_variants(void)
{
    CHECK_STR(parse("2024-01-31t23:59:59z"), "20240131235959.000000+000");
    CHECK_STR(parse("  2024-01-31T23:59:59Z\n"), "20240131235959.000000+000");
    CHECK_STR(parse("2024-01-31T00:00:00-00:00"), "20240131000000.000000+000");
    CHECK_STR(parse("2024-01-31T00:00:00+16:39"), "20240131000000.000000+999");
    CHECK_STR(parse("2024-01-31T00:00:00-12:00"), "20240131000000.000000-720");
    CHECK_STR(parse("2024-01-31T00:00:00+05:45"), "20240131000000.000000+345");
    CHECK_STR(parse("0000-02-29T00:00:00Z"), "00000229000000.000000+000");
    CHECK_STR(parse("9999-12-31T23:59:59.999999Z"), "99991231235959.999999+000");
    CHECK_STR(parse("2024-01-31T23:59:59.000001Z"), "20240131235959.000001+000");
}

static void test_leap_years(void)
{
    CHECK(parse("2024-02-29T00:00:00Z") != NULL);
    CHECK(parse("2000-02-29T00:00:00Z") != NULL);
    CHECK(parse("2023-02-29T00:00:00Z") == NULL);
    CHECK(parse("1900-02-29T00:00:00Z") == NULL);
    CHECK(parse("2100-02-29T00:00:00Z") == NULL);
    CHECK(parse("2023-02-28T00:00:00Z") != NULL);
    CHECK(parse("20240229000000.000000+000") != NULL);
    CHECK(parse("20230229000000.000000+000") == NULL);
    CHECK(parse("2024-04-31T00:00:00Z") == NULL);
    CHECK(parse("2024-04-30T00:00:00Z") != NULL);
    CHECK(parse("2024-12-31T00:00:00Z") != NULL);
    CHECK(strstr(parse_error("2023-02-29T00:00:00Z"), "day 29 does not exist in 2023-02") != NULL);
}

static void test_ranges_rejected(void)
{
    CHECK(strstr(parse_error("2024-13-01T00:00:00Z"), "month 13") != NULL);
    CHECK(strstr(parse_error("2024-00-01T00:00:00Z"), "month 00") != NULL);
    CHECK(strstr(parse_error("2024-01-00T00:00:00Z"), "day 00") != NULL);
    CHECK(strstr(parse_error("2024-01-32T00:00:00Z"), "day 32") != NULL);
    CHECK(strstr(parse_error("2024-01-01T24:00:00Z"), "hour 24") != NULL);
    CHECK(strstr(parse_error("2024-01-01T23:60:00Z"), "minute 60") != NULL);
    CHECK(strstr(parse_error("2016-12-31T23:59:60Z"), "leap second") != NULL);
    CHECK(strstr(parse_error("2024-01-01T00:00:61Z"), "second 61") != NULL);
    CHECK(strstr(parse_error("2024-01-01T00:00:00+24:00"), "out of range") != NULL);
    CHECK(strstr(parse_error("2024-01-01T00:00:00+23:59"), "999 minutes") != NULL);
    CHECK(strstr(parse_error("2024-01-01T00:00:00+16:40"), "999 minutes") != NULL);
    CHECK(strstr(parse_error("2024-01-01T00:00:00+05:60"), "out of range") != NULL);
}

static void test_malformed_rfc3339(void)
{
    static const char *bad[] = {
        "2024-01-31",                       /* no time */
        "2024-01-31T23:59Z",                /* seconds required */
        "2024-01-31T23:59:59",              /* zone required */
        "2024-01-31 23:59:59Z",             /* space */
        "2024-1-31T23:59:59Z",
        "24-01-31T23:59:59Z",
        "2024-01-31T23:59:59.Z",            /* empty fraction */
        "2024-01-31T23:59:59.1234567Z",     /* 7 digits */
        "2024-01-31T23:59:59+0500",         /* no colon */
        "2024-01-31T23:59:59+05",
        "2024-01-31T23:59:59ZZ",
        "2024-01-31T23:59:59Z junk",
        "2024-01-31T23:59:59 Z",
        "+2024-01-31T23:59:59Z",
        "2024-01-31T2a:59:59Z",
        "",
        "   ",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i]) != NULL)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(parse(bad[i]) == NULL);
    }
    CHECK(strstr(parse_error("2024-01-31T23:59:59.1234567Z"), "6 fractional digits") != NULL);
    CHECK(strstr(parse_error("2024-01-31T23:59:59"), "time zone") != NULL);
}

static void test_dmtf_valid(void)
{
    CHECK(wmgw_cim_dmtf_valid("20240131235959.123456-300", 25));
    CHECK(wmgw_cim_dmtf_valid("00000001020304.000000:000", 25));
    CHECK(wmgw_cim_dmtf_valid("99999999235959.999999:000", 25));
    CHECK(wmgw_cim_dmtf_valid("19980416******.000000+***", 25));
    CHECK(wmgw_cim_dmtf_valid("********0000**.******+000", 25));
    CHECK(wmgw_cim_dmtf_valid("****0229******.******+***", 25)); /* any year: leap day allowed */
    CHECK(wmgw_cim_dmtf_valid("2024**31******.******+***", 25)); /* any month: 31 days */
    CHECK(wmgw_cim_dmtf_valid("20240131235959.123***+000", 25)); /* reduced precision */
    CHECK(!wmgw_cim_dmtf_valid("199*0416******.000000+***", 25)); /* partial field */
    CHECK(!wmgw_cim_dmtf_valid("20240131235959.1*3456+000", 25));
    CHECK(!wmgw_cim_dmtf_valid("2024**30******.******+***", 24));
    CHECK(!wmgw_cim_dmtf_valid("20240131235959.123456*300", 25)); /* sign is never a wildcard */
    CHECK(!wmgw_cim_dmtf_valid("00000001020304.000000:001", 25));
    CHECK(!wmgw_cim_dmtf_valid("0000000102030*.000000:000", 25)); /* no wildcards in intervals */
    CHECK(!wmgw_cim_dmtf_valid("00000001240000.000000:000", 25));
    CHECK(!wmgw_cim_dmtf_valid("20240131235959,123456+000", 25));
    CHECK(!wmgw_cim_dmtf_valid("20240132000000.000000+000", 25));
    CHECK(!wmgw_cim_dmtf_valid("20240131235960.000000+000", 25));
    CHECK(!wmgw_cim_dmtf_valid("2024013123595.9000000+000", 25));
    CHECK(!wmgw_cim_dmtf_valid(NULL, 25));
    CHECK(wmgw_cim_dmtf_is_interval("00000001020304.000000:000"));
    CHECK(!wmgw_cim_dmtf_is_interval("20240131235959.123456-300"));
    CHECK(wmgw_cim_dmtf_has_wildcards("19980416******.000000+***"));
    CHECK(!wmgw_cim_dmtf_has_wildcards("20240131235959.123456-300"));
}

static void test_dmtf_input(void)
{
    CHECK_STR(parse("20240131235959.123456-300"), "20240131235959.123456-300");
    CHECK_STR(parse("20240131235959.123456-000"), "20240131235959.123456+000"); /* one zero */
    CHECK_STR(parse("19980416******.000000-***"), "19980416******.000000-***");
    CHECK_STR(parse("00000001020304.000000:000"), "00000001020304.000000:000");
    CHECK(strstr(parse_error("20240131235959.123456*300"), "position 21") != NULL);
}

static void test_durations(void)
{
    CHECK_STR(parse("PT0S"), "00000000000000.000000:000");
    CHECK_STR(parse("P0D"), "00000000000000.000000:000");
    CHECK_STR(parse("P1D"), "00000001000000.000000:000");
    CHECK_STR(parse("PT36H"), "00000001120000.000000:000"); /* normalised */
    CHECK_STR(parse("PT90M"), "00000000013000.000000:000");
    CHECK_STR(parse("PT86400S"), "00000001000000.000000:000");
    CHECK_STR(parse("PT0.000001S"), "00000000000000.000001:000");
    CHECK_STR(parse("P99999999DT23H59M59.999999S"), "99999999235959.999999:000");
    CHECK_STR(parse("PT.5S"), "00000000000000.500000:000");
    CHECK(strstr(parse_error("P100000000D"), "99999999 days") != NULL);
    CHECK(strstr(parse_error("P99999999DT24H"), "99999999 days") != NULL);
    CHECK(strstr(parse_error("P1Y"), "years and months") != NULL);
    CHECK(strstr(parse_error("P1M"), "years and months") != NULL);
    CHECK(strstr(parse_error("-P1D"), "negative") != NULL);
    CHECK(strstr(parse_error("PT1.1234567S"), "6 fractional digits") != NULL);
    static const char *bad[] = {"P", "PT", "P1DT", "PT1H1H", "PT1M1H", "P1H", "PT1D", "P1W", "PT1.5M", "P1.5D",
                                "PT1", "P1DT1HT1M", "PTS", "P 1D", "P1d", "PT999999999999999999999H", "PT1 S",
                                "PT1S1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i]) != NULL)
            fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
        CHECK(parse(bad[i]) == NULL);
    }
}

static void test_format_iso(void)
{
    CHECK_STR(iso("20130415200447.892798+000", 0), "2013-04-15T20:04:47.892798Z");
    CHECK_STR(iso("20130415202820.913000+000", 0), "2013-04-15T20:28:20.913Z");
    /* Timestamps are written in UTC, as WinRM writes them. */
    CHECK_STR(iso("20240131235959.123456-300", 0), "2024-02-01T04:59:59.123456Z");
    CHECK_STR(iso("20240131235959.000000+060", 0), "2024-01-31T22:59:59Z");
    CHECK_STR(iso("20240131235959.100000+345", 0), "2024-01-31T18:14:59.1Z");
    CHECK_STR(iso("20240131235959.000000-000", 0), "2024-01-31T23:59:59Z");
    CHECK_STR(iso("20240131235959.000000+999", 0), "2024-01-31T07:20:59Z");
    CHECK_STR(iso("20241231235900.000000-001", 0), "2025-01-01T00:00:00Z");   /* into the next year */
    CHECK_STR(iso("20240301000000.000000+060", 0), "2024-02-29T23:00:00Z");   /* back into a leap day */
    CHECK_STR(iso("00000101000000.000000+001", 0), "0000-01-01T00:00:00+00:01"); /* UTC would leave year 0000 */
    CHECK_STR(iso("99991231235959.999999-999", 0), "9999-12-31T23:59:59.999999-16:39");
    CHECK_STR(iso("00000000000000.000000:000", 0), "PT0S");
    CHECK_STR(iso("00000001000000.000000:000", 0), "P1D");
    CHECK_STR(iso("00000001020304.500000:000", 0), "P1DT2H3M4.5S");
    CHECK_STR(iso("00000000000140.000000:000", 0), "PT1M40S");
    CHECK_STR(iso("00000000000000.500000:000", 0), "PT0.5S");
    CHECK_STR(iso("00000010000000.000001:000", 0), "P10DT0.000001S");
    CHECK_STR(iso("00000000030000.000000:000", 0), "PT3H");
    CHECK_STR(iso("00000002000500.000000:000", 0), "P2DT5M");
    CHECK_STR(iso("99999999235959.999999:000", 0), "P99999999DT23H59M59.999999S");
    /* wildcards: the DMTF string unchanged, return 1 */
    CHECK_STR(iso("19980416******.000000+***", 1), "19980416******.000000+***");
    CHECK_STR(iso("20240131235959.123***+000", 1), "20240131235959.123***+000");
    /* invalid: nothing appended */
    CHECK_STR(iso("garbage", WMGW_EINVAL), "");
    CHECK_STR(iso("20240230000000.000000+000", WMGW_EINVAL), "");
}

static void test_round_trips(void)
{
    static const char *dmtf[] = {"20130415200447.892798+000", "20240131235959.123456-300", "00000229000000.000000+000",
                                 "99991231235959.999999-999", "00000000000000.000000:000", "00000001020304.500000:000",
                                 "99999999235959.999999:000", "20240131000000.000010+001"};
    for (size_t i = 0; i < sizeof(dmtf) / sizeof(dmtf[0]); i++) {
        /* The same instant (and the same text again); the offset becomes UTC. */
        char s[64], back[32], again[64];
        snprintf(s, sizeof(s), "%s", iso(dmtf[i], 0));
        snprintf(back, sizeof(back), "%s", parse(s));
        snprintf(again, sizeof(again), "%s", iso(back, 0));
        CHECK_STR(again, s);
        if (memcmp(dmtf[i] + 21, "+000", 4) == 0 || dmtf[i][21] == ':')
            CHECK_STR(back, dmtf[i]);
    }
}

static void test_not_past_len(void)
{
    char out[WMGW_CIM_DMTF_LEN + 1];
    const char *t = "2024-01-31T23:59:59Zjunk";
    CHECK_INT(wmgw_cim_datetime_parse(t, 20, out, NULL), 0);
    CHECK_STR(out, "20240131235959.000000+000");
    CHECK_INT(wmgw_cim_datetime_parse("PT1S", 3, out, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_datetime_parse("2024-01-31T23:59:59Z", 19, out, NULL), WMGW_EINVAL);
    CHECK_INT(wmgw_cim_datetime_parse("20240131235959.123456-300", 24, out, NULL), WMGW_EINVAL);
}

int main(void)
{
    WMGW_TEST_RUN(test_winrm_spellings);
    WMGW_TEST_RUN(test_rfc3339_variants);
    WMGW_TEST_RUN(test_leap_years);
    WMGW_TEST_RUN(test_ranges_rejected);
    WMGW_TEST_RUN(test_malformed_rfc3339);
    WMGW_TEST_RUN(test_dmtf_valid);
    WMGW_TEST_RUN(test_dmtf_input);
    WMGW_TEST_RUN(test_durations);
    WMGW_TEST_RUN(test_format_iso);
    WMGW_TEST_RUN(test_round_trips);
    WMGW_TEST_RUN(test_not_past_len);
    return WMGW_TEST_DONE();
}
