/*
 * numtext.c: locale-independent shortest round-trip reals (numtext.h).
 *
 * The digits come from "%.*e" at increasing precision until strtod (or
 * strtof) gives the value back: correct on any C library that rounds
 * correctly, and simple enough to trust.  Both calls run under a "C"
 * locale installed per call with uselocale(), which only affects the
 * calling thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* uselocale, newlocale */
#endif
#include "util/numtext.h"
#include "util/err.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_loc;
static pthread_once_t c_loc_once = PTHREAD_ONCE_INIT;

static void c_loc_init(void)
{
    c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Switches this thread to the C locale; returns what to restore.  If no
 * locale object could be made, the process locale is used: wmgw never
 * calls setlocale, so that is "C" too. */
static locale_t enter_c(void)
{
    pthread_once(&c_loc_once, c_loc_init);
    return c_loc != (locale_t)0 ? uselocale(c_loc) : (locale_t)0;
}

static void leave_c(locale_t old)
{
    if (old != (locale_t)0)
        uselocale(old);
}

static bool reads_back(const char *txt, double r, bool single)
{
    if (!single)
        return strtod(txt, NULL) == r;
    /* Readers may go through a double first (jansson does): check both. */
    float f = (float)r;
    return strtof(txt, NULL) == f && (float)strtod(txt, NULL) == f;
}

/* Shortest significant digits of |r| (no trailing zeros) and the decimal
 * exponent of the first digit. */
static size_t shortest_digits(double r, bool single, char digits[24], int *exp10)
{
    char tmp[48];
    int maxprec = single ? 9 : 17;
    locale_t old = enter_c();
    for (int prec = 1; prec <= maxprec; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, r);
        if (reads_back(tmp, r, single))
            break;
    }
    leave_c(old);
    size_t k = 0;
    const char *p = tmp;
    for (; *p != '\0' && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    *exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    return k;
}

static size_t put_zeros(char *o, int n)
{
    for (int i = 0; i < n; i++)
        o[i] = '0';
    return n > 0 ? (size_t)n : 0;
}

size_t wmgw_real_format(char out[WMGW_REAL_TEXT_MAX], double r, bool single)
{
    if (!isfinite(r) || (single && fabs(r) > FLT_MAX))
        return 0;
    char d[24];
    int e;
    size_t k = shortest_digits(r, single, d, &e);
    int n = e + 1; /* r = 0.d1d2... x 10^n */
    size_t o = 0;
    if (signbit(r))
        out[o++] = '-';
    if (d[0] == '0') {
        memcpy(out + o, "0.0", 4);
        return o + 3;
    }
    if ((int)k <= n && n <= 21) {
        memcpy(out + o, d, k);
        o += k;
        o += put_zeros(out + o, n - (int)k);
        memcpy(out + o, ".0", 2);
        o += 2;
    } else if (0 < n && n <= 21) {
        memcpy(out + o, d, (size_t)n);
        o += (size_t)n;
        out[o++] = '.';
        memcpy(out + o, d + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        o += put_zeros(out + o, -n);
        memcpy(out + o, d, k);
        o += k;
    } else {
        out[o++] = d[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, d + 1, k - 1);
            o += k - 1;
        }
        o += (size_t)snprintf(out + o, WMGW_REAL_TEXT_MAX - o, "e%+d", n - 1);
    }
    out[o] = '\0';
    return o;
}

static size_t count_digits(const char *s, size_t i, size_t len)
{
    size_t n = 0;
    while (i + n < len && s[i + n] >= '0' && s[i + n] <= '9')
        n++;
    return n;
}

int wmgw_real_parse(const char *s, size_t len, double *out)
{
    char tmp[400];
    size_t i = 0;
    if (len == 0 || len >= sizeof(tmp))
        return WMGW_EINVAL;
    if (s[i] == '-' || s[i] == '+')
        i++;
    size_t ni = count_digits(s, i, len), nf = 0;
    i += ni;
    if (i < len && s[i] == '.') {
        nf = count_digits(s, i + 1, len);
        if (nf == 0)
            return WMGW_EINVAL;
        i += 1 + nf;
    }
    if (ni + nf == 0)
        return WMGW_EINVAL;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t ne = count_digits(s, i, len);
        if (ne == 0)
            return WMGW_EINVAL;
        i += ne;
    }
    if (i != len)
        return WMGW_EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    locale_t old = enter_c();
    double r = strtod(tmp, NULL);
    leave_c(old);
    if (!isfinite(r))
        return WMGW_EINVAL;
    *out = r;
    return 0;
}
