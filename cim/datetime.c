/*
 * datetime.c: CIM datetimes between DMTF, RFC 3339 and xs:duration
 * (datetime.h).
 *
 * The DMTF string stays the one stored form; the ISO spellings exist only
 * at the edges (WS-Management text, REST JSON).  Parsing validates every
 * field and always yields a canonical DMTF string; formatting never
 * invents precision (trailing zeros of the fraction are trimmed).
 */
#include "cim/datetime.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Decisions where datetime.h left room:
 * - Ranges are checked: month 01-12, day valid for the month (Gregorian
 *   leap years; year 0000 is a leap year), hour 00-23, minute and second
 *   00-59.  Leap seconds (second 60) are rejected: WMI documents seconds
 *   00-59 and xs:dateTime has no second 60, so no CIM datetime holds one.
 * - A UTC offset must fit DMTF's three digits (at most 999 minutes; real
 *   zones stay within 840).  A zero offset is always stored as "+000",
 *   so "-00:00", "Z" and "+000" give the same DMTF string.
 * - A '*' wildcard replaces a whole field (WMI's rule), except that the
 *   microseconds may be wildcarded from the right (DSP0004: "123***").
 * - ASCII whitespace around the text is ignored (xs:dateTime and
 *   xs:duration collapse whitespace in XML); inside it is an error.
 * - RFC 3339 accepts 't'/'z' in lower case, as RFC 3339 section 5.6 allows.
 * - xs:duration: D, H, M, S only (no Y/M/W), no sign, normalised (PT36H
 *   is 1 day 12 hours), at most 99999999 days.
 */

#define MAX_OFFSET 999
#define MAX_DAYS 99999999ULL
#define USEC_PER_DAY 86400000000ULL

/* Fields of a datetime; -1 marks a wildcard. */
struct dt {
    int year, mon, day, hour, min, sec;
    long usec;
    int off; /* minutes east of UTC */
    long long days; /* intervals only */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int year, int mon)
{
    static const int dim[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mon == 2 && year >= 0 && !is_leap(year))
        return 28;
    return dim[mon - 1];
}

/* Reads n digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, int n, long long *v)
{
    long long x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool all_stars(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] != '*')
            return false;
    return true;
}

/* --- DMTF ------------------------------------------------------------------ */

/* One DMTF field: digits, or (when wild) all '*'. */
static int dmtf_field(const char *s, int at, int n, bool wild, int *out, const char *what, struct wmgw_err *err)
{
    long long v;
    if (digits(s + at, n, &v)) {
        *out = (int)v;
        return 0;
    }
    if (wild && all_stars(s + at, n)) {
        *out = -1;
        return 0;
    }
    return wmgw_err_set_at(err, WMGW_EINVAL, at, "DMTF datetime: bad %s field \"%.*s\"", what, n, s + at);
}

/* Microseconds: six digits, or digits followed by '*' (DSP0004 precision). */
static int dmtf_usec(const char *s, struct dt *t, bool wild, struct wmgw_err *err)
{
    int nd = 0;
    while (nd < 6 && is_digit(s[15 + nd]))
        nd++;
    long long v = 0;
    digits(s + 15, nd, &v);
    if (nd < 6 && !(wild && all_stars(s + 15 + nd, 6 - nd)))
        return wmgw_err_set_at(err, WMGW_EINVAL, 15, "DMTF datetime: bad microseconds field \"%.6s\"", s + 15);
    t->usec = nd == 6 ? (long)v : -1;
    return 0;
}

static int check_time(const struct dt *t, struct wmgw_err *err)
{
    if (t->hour > 23)
        return wmgw_err_set(err, WMGW_EINVAL, "hour %02d is out of range (00-23)", t->hour);
    if (t->min > 59)
        return wmgw_err_set(err, WMGW_EINVAL, "minute %02d is out of range (00-59)", t->min);
    if (t->sec == 60)
        return wmgw_err_set(err, WMGW_EINVAL, "second 60: leap seconds cannot be stored in a CIM datetime");
    if (t->sec > 59)
        return wmgw_err_set(err, WMGW_EINVAL, "second %02d is out of range (00-59)", t->sec);
    return 0;
}

static int check_date(const struct dt *t, struct wmgw_err *err)
{
    if (t->mon == 0 || t->mon > 12)
        return wmgw_err_set(err, WMGW_EINVAL, "month %02d is out of range (01-12)", t->mon);
    if (t->day == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "day 00 is out of range");
    int mon = t->mon < 0 ? 1 : t->mon; /* any month: January has 31 days */
    if (t->day > days_in_month(t->year, mon))
        return wmgw_err_set(err, WMGW_EINVAL, "day %02d does not exist in %04d-%02d", t->day, t->year, t->mon);
    return 0;
}

static int parse_dmtf_interval(const char *s, struct dt *t, struct wmgw_err *err)
{
    memset(t, 0, sizeof(*t));
    if (!digits(s, 8, &t->days))
        return wmgw_err_set_at(err, WMGW_EINVAL, 0, "DMTF interval: bad days field \"%.8s\"", s);
    int rc = dmtf_field(s, 8, 2, false, &t->hour, "hours", err);
    if (rc == 0)
        rc = dmtf_field(s, 10, 2, false, &t->min, "minutes", err);
    if (rc == 0)
        rc = dmtf_field(s, 12, 2, false, &t->sec, "seconds", err);
    if (rc == 0 && s[14] != '.')
        rc = wmgw_err_set_at(err, WMGW_EINVAL, 14, "DMTF interval: expected '.' at position 14");
    if (rc == 0)
        rc = dmtf_usec(s, t, false, err);
    if (rc == 0 && memcmp(s + 21, ":000", 4) != 0)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, 21, "DMTF interval: must end in \":000\"");
    if (rc == 0)
        rc = check_time(t, err);
    return rc;
}

static int parse_dmtf_timestamp(const char *s, struct dt *t, struct wmgw_err *err)
{
    static const struct {
        int at, n;
        const char *what;
    } f[6] = {{0, 4, "year"}, {4, 2, "month"}, {6, 2, "day"}, {8, 2, "hour"}, {10, 2, "minute"}, {12, 2, "second"}};
    int *dst[6] = {&t->year, &t->mon, &t->day, &t->hour, &t->min, &t->sec};
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < 6; i++) {
        int rc = dmtf_field(s, f[i].at, f[i].n, true, dst[i], f[i].what, err);
        if (rc != 0)
            return rc;
    }
    if (s[14] != '.')
        return wmgw_err_set_at(err, WMGW_EINVAL, 14, "DMTF datetime: expected '.' at position 14");
    int rc = dmtf_usec(s, t, true, err);
    if (rc != 0)
        return rc;
    if (s[21] != '+' && s[21] != '-')
        return wmgw_err_set_at(err, WMGW_EINVAL, 21, "DMTF datetime: expected '+', '-' or ':' at position 21");
    int off = 0;
    if ((rc = dmtf_field(s, 22, 3, true, &off, "UTC offset", err)) != 0)
        return rc;
    t->off = off < 0 ? INT32_MIN : (s[21] == '-' ? -off : off);
    if ((rc = check_date(t, err)) != 0)
        return rc;
    return check_time(t, err);
}

static int parse_dmtf(const char *s, size_t len, struct dt *t, bool *interval, struct wmgw_err *err)
{
    if (len != WMGW_CIM_DMTF_LEN)
        return wmgw_err_set(err, WMGW_EINVAL, "DMTF datetime must be %d characters, not %zu", WMGW_CIM_DMTF_LEN, len);
    *interval = s[21] == ':';
    return *interval ? parse_dmtf_interval(s, t, err) : parse_dmtf_timestamp(s, t, err);
}

bool wmgw_cim_dmtf_valid(const char *s, size_t len)
{
    struct dt t;
    bool interval = false;
    return s != NULL && parse_dmtf(s, len, &t, &interval, NULL) == 0;
}

bool wmgw_cim_dmtf_is_interval(const char *dmtf)
{
    return strlen(dmtf) == WMGW_CIM_DMTF_LEN && dmtf[21] == ':';
}

bool wmgw_cim_dmtf_has_wildcards(const char *dmtf)
{
    return strchr(dmtf, '*') != NULL;
}

/* Writes fields back as DMTF; wildcards come back as '*'. */
static void put_field(char *o, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = v < 0 ? '*' : (char)('0' + v % 10);
        if (v >= 0)
            v /= 10;
    }
}

static void dmtf_from_timestamp(const char *src, const struct dt *t, char out[WMGW_CIM_DMTF_LEN + 1])
{
    if (src != NULL) {
        memcpy(out, src, WMGW_CIM_DMTF_LEN); /* keeps partial microsecond wildcards */
    } else {
        put_field(out, t->year, 4);
        put_field(out + 4, t->mon, 2);
        put_field(out + 6, t->day, 2);
        put_field(out + 8, t->hour, 2);
        put_field(out + 10, t->min, 2);
        put_field(out + 12, t->sec, 2);
        out[14] = '.';
        put_field(out + 15, (int)t->usec, 6);
        out[21] = t->off < 0 ? '-' : '+';
        put_field(out + 22, t->off < 0 ? -t->off : t->off, 3);
    }
    if (memcmp(out + 22, "000", 3) == 0)
        out[21] = '+';
    out[WMGW_CIM_DMTF_LEN] = '\0';
}

static void dmtf_from_interval(unsigned long long usec_total, char out[WMGW_CIM_DMTF_LEN + 1])
{
    unsigned long long days = usec_total / USEC_PER_DAY, rest = usec_total % USEC_PER_DAY;
    unsigned long long secs = rest / 1000000;
    char tmp[96]; /* days < 10^8, so exactly WMGW_CIM_DMTF_LEN characters */
    snprintf(tmp, sizeof(tmp), "%08llu%02llu%02llu%02llu.%06llu:000", days, secs / 3600, secs / 60 % 60, secs % 60,
             rest % 1000000);
    memcpy(out, tmp, WMGW_CIM_DMTF_LEN + 1);
}

/* --- RFC 3339 ----------------------------------------------------------- */

/* Expects n digits at s[*i]; advances. */
static bool take_digits(const char *s, size_t len, size_t *i, int n, int *v)
{
    long long x;
    if (len - *i < (size_t)n || !digits(s + *i, n, &x))
        return false;
    *v = (int)x;
    *i += (size_t)n;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

/* ".f{1,6}": fraction digits padded to microseconds. */
static int take_fraction(const char *s, size_t len, size_t *i, long *usec, struct wmgw_err *err)
{
    *usec = 0;
    if (*i >= len || s[*i] != '.')
        return 0;
    size_t start = ++*i;
    int n = 0;
    while (*i < len && is_digit(s[*i])) {
        if (++n > 6)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)start,
                                   "at most 6 fractional digits (microseconds) are allowed");
        *usec = *usec * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (n == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "expected digits after '.'");
    for (; n < 6; n++)
        *usec *= 10;
    return 0;
}

static int take_zone(const char *s, size_t len, size_t *i, int *off, struct wmgw_err *err)
{
    size_t at = *i;
    if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
        (*i)++;
        *off = 0;
        return 0;
    }
    int hh, mm;
    char sign = *i < len ? s[*i] : '\0';
    if (sign != '+' && sign != '-')
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "expected a time zone: 'Z' or +hh:mm");
    (*i)++;
    if (!take_digits(s, len, i, 2, &hh) || !take_char(s, len, i, ':') || !take_digits(s, len, i, 2, &mm))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "bad time zone offset: expected +hh:mm or -hh:mm");
    if (hh > 23 || mm > 59)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at, "time zone offset %c%02d:%02d is out of range", sign, hh,
                               mm);
    *off = hh * 60 + mm;
    if (*off > MAX_OFFSET)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)at,
                               "time zone offset %c%02d:%02d cannot be stored: CIM allows at most 999 minutes", sign,
                               hh, mm);
    if (sign == '-')
        *off = -*off;
    return 0;
}

static int parse_rfc3339(const char *s, size_t len, struct dt *t, struct wmgw_err *err)
{
    size_t i = 0;
    memset(t, 0, sizeof(*t));
    if (!take_digits(s, len, &i, 4, &t->year) || !take_char(s, len, &i, '-') ||
        !take_digits(s, len, &i, 2, &t->mon) || !take_char(s, len, &i, '-') || !take_digits(s, len, &i, 2, &t->day))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "bad date: expected YYYY-MM-DD");
    if (i >= len || (s[i] != 'T' && s[i] != 't'))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "expected 'T' and a time after the date");
    i++;
    if (!take_digits(s, len, &i, 2, &t->hour) || !take_char(s, len, &i, ':') ||
        !take_digits(s, len, &i, 2, &t->min) || !take_char(s, len, &i, ':') || !take_digits(s, len, &i, 2, &t->sec))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "bad time: expected hh:mm:ss");
    int rc = take_fraction(s, len, &i, &t->usec, err);
    if (rc == 0)
        rc = take_zone(s, len, &i, &t->off, err);
    if (rc == 0 && i != len)
        rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "unexpected text after the time zone");
    if (rc == 0)
        rc = check_date(t, err);
    if (rc == 0)
        rc = check_time(t, err);
    return rc;
}

/* --- xs:duration -------------------------------------------------------- */

/* Adds n units of `unit` microseconds to *total, refusing overflow. */
static bool add_units(unsigned long long *total, unsigned long long n, unsigned long long unit)
{
    const unsigned long long limit = (MAX_DAYS + 1) * USEC_PER_DAY - 1;
    if (n > limit / unit || *total > limit - n * unit)
        return false;
    *total += n * unit;
    return true;
}

static int parse_duration(const char *s, size_t len, unsigned long long *total, struct wmgw_err *err)
{
    static const char order[] = "DHMS"; /* allowed designators, in order */
    size_t i = 1;
    int last = -1; /* index in order[] of the last designator seen */
    bool in_time = false, any = false, any_time = false;
    *total = 0;
    if (len > 0 && s[0] == '-')
        return wmgw_err_set(err, WMGW_EINVAL, "negative durations are not CIM intervals");
    while (i < len) {
        if (s[i] == 'T' && !in_time) {
            in_time = true;
            i++;
            continue;
        }
        size_t start = i;
        unsigned long long n = 0;
        while (i < len && is_digit(s[i])) {
            if (i - start >= 18)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "duration component is too large");
            n = n * 10 + (unsigned long long)(s[i] - '0');
            i++;
        }
        long frac = 0;
        int rc = take_fraction(s, len, &i, &frac, err);
        if (rc != 0)
            return rc;
        if (i == start)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "expected a number in the duration");
        if (i >= len)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "duration number without a unit");
        char u = s[i];
        if (!in_time && (u == 'Y' || u == 'M'))
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i,
                                   "years and months have no exact length and cannot be a CIM interval; use days");
        const char *p = strchr(order, u);
        int idx = p != NULL && u != '\0' ? (int)(p - order) : -1;
        if (idx < 0 || (idx == 0) == in_time || idx <= last)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)i, "unexpected '%c' in the duration", u);
        if (memchr(s + start, '.', i - start) != NULL && u != 'S')
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "only seconds may have a fraction");
        static const unsigned long long unit[] = {USEC_PER_DAY, 3600000000ULL, 60000000ULL, 1000000ULL};
        if (!add_units(total, n, unit[idx]) || !add_units(total, (unsigned long long)frac, 1))
            return wmgw_err_set(err, WMGW_EINVAL, "duration exceeds 99999999 days");
        last = idx;
        any = true;
        any_time |= in_time;
        i++;
    }
    if (!any)
        return wmgw_err_set(err, WMGW_EINVAL, "empty duration: expected e.g. P1D or PT0S");
    if (in_time && !any_time)
        return wmgw_err_set(err, WMGW_EINVAL, "'T' in a duration must be followed by hours, minutes or seconds");
    return 0;
}

/* --- parse ---------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int wmgw_cim_datetime_parse(const char *text, size_t len, char out[WMGW_CIM_DMTF_LEN + 1], struct wmgw_err *err)
{
    while (len > 0 && is_space(text[0]))
        text++, len--;
    while (len > 0 && is_space(text[len - 1]))
        len--;
    if (len == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "empty datetime");
    struct dt t;
    int rc;
    if (text[0] == 'P' || text[0] == '-') {
        unsigned long long total;
        if ((rc = parse_duration(text, len, &total, err)) == 0)
            dmtf_from_interval(total, out);
        return rc;
    }
    if (len == WMGW_CIM_DMTF_LEN && text[14] == '.') {
        bool interval;
        if ((rc = parse_dmtf(text, len, &t, &interval, err)) != 0)
            return rc;
        memcpy(out, text, WMGW_CIM_DMTF_LEN);
        if (!interval)
            dmtf_from_timestamp(text, &t, out);
        out[WMGW_CIM_DMTF_LEN] = '\0';
        return 0;
    }
    if (len >= 5 && text[4] == '-') {
        if ((rc = parse_rfc3339(text, len, &t, err)) == 0)
            dmtf_from_timestamp(NULL, &t, out);
        return rc;
    }
    return wmgw_err_set(err, WMGW_EINVAL,
                        "not a datetime: expected RFC 3339 (2024-01-31T23:59:59Z), an ISO 8601 duration (P1DT2H) "
                        "or a DMTF string");
}

/* --- format --------------------------------------------------------------- */

/* ".ffffff" trimmed of trailing zeros; nothing when usec is 0. */
static int add_fraction(struct wmgw_buf *out, long usec)
{
    if (usec <= 0)
        return 0;
    char f[24];
    snprintf(f, sizeof(f), ".%06ld", usec);
    size_t n = 7;
    while (f[n - 1] == '0')
        n--;
    return wmgw_buf_add(out, f, n);
}

static int format_interval(const struct dt *t, struct wmgw_buf *out)
{
    bool time = t->hour || t->min || t->sec || t->usec;
    int rc = wmgw_buf_addc(out, 'P');
    if (rc == 0 && t->days > 0)
        rc = wmgw_buf_printf(out, "%lldD", t->days);
    if (rc == 0 && !time && t->days == 0)
        rc = wmgw_buf_addstr(out, "T0S");
    if (rc != 0 || !time)
        return rc;
    rc = wmgw_buf_addc(out, 'T');
    if (rc == 0 && t->hour)
        rc = wmgw_buf_printf(out, "%dH", t->hour);
    if (rc == 0 && t->min)
        rc = wmgw_buf_printf(out, "%dM", t->min);
    if (rc == 0 && (t->sec || t->usec)) {
        rc = wmgw_buf_printf(out, "%d", t->sec);
        if (rc == 0)
            rc = add_fraction(out, t->usec);
        if (rc == 0)
            rc = wmgw_buf_addc(out, 'S');
    }
    return rc;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's civil-date algorithms, restated). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The same instant with offset 0 (unless that leaves years 0000-9999,
 * where the original offset is kept). */
static void to_utc(struct dt *t)
{
    struct dt orig = *t;
    long long min = days_from_civil(t->year, t->mon, t->day) * 1440 + t->hour * 60 + t->min - t->off;
    long long days = min >= 0 ? min / 1440 : -((-min + 1439) / 1440);
    long long rest = min - days * 1440;
    civil_from_days(days, &t->year, &t->mon, &t->day);
    t->hour = (int)(rest / 60);
    t->min = (int)(rest % 60);
    t->off = 0;
    if (t->year < 0 || t->year > 9999)
        *t = orig;
}

static int format_timestamp(const struct dt *t, struct wmgw_buf *out)
{
    int rc = wmgw_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d", t->year, t->mon, t->day, t->hour, t->min, t->sec);
    if (rc == 0)
        rc = add_fraction(out, t->usec);
    if (rc != 0)
        return rc;
    if (t->off == 0)
        return wmgw_buf_addc(out, 'Z');
    int a = t->off < 0 ? -t->off : t->off;
    return wmgw_buf_printf(out, "%c%02d:%02d", t->off < 0 ? '-' : '+', a / 60, a % 60);
}

int wmgw_cim_datetime_format_iso(const char *dmtf, struct wmgw_buf *out)
{
    struct dt t;
    bool interval = false;
    size_t len = dmtf != NULL ? strlen(dmtf) : 0;
    if (dmtf == NULL || parse_dmtf(dmtf, len, &t, &interval, NULL) != 0)
        return WMGW_EINVAL;
    if (!interval && wmgw_cim_dmtf_has_wildcards(dmtf)) {
        int rc = wmgw_buf_add(out, dmtf, len);
        return rc != 0 ? rc : 1;
    }
    size_t start = out->len;
    if (!interval)
        to_utc(&t);
    int rc = interval ? format_interval(&t, out) : format_timestamp(&t, out);
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
