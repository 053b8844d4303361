/*
 * numtext.h: real numbers as text, the same bytes in every locale.
 *
 * printf("%g") and strtod() follow LC_NUMERIC, and the JSON writer promises
 * byte-identical output, so reals are formatted and parsed here under a
 * private "C" locale (uselocale), never the process's.  Output is the
 * shortest decimal that reads back to the same double (or, for real32, to
 * the same float), laid out as JavaScript prints numbers but always marked
 * as a real: "0.5", "100.0", "-0.0", "1e+21", "1.5e-07", "3.4028235e+38".
 */
#ifndef WMGW_UTIL_NUMTEXT_H
#define WMGW_UTIL_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define WMGW_REAL_TEXT_MAX 32

/* Writes the shortest round-trip text of a finite r (as a float when
 * single) into out, NUL-terminated; returns its length, or 0 when r is
 * not finite (or single and r is beyond the float range). */
size_t wmgw_real_format(char out[WMGW_REAL_TEXT_MAX], double r, bool single);

/* Parses [-+]digits[.digits][e[-+]digits] (".5" too) from s[0..len) in C
 * locale syntax; no whitespace, hex, "inf" or "nan".  Returns 0, or
 * WMGW_EINVAL on bad syntax or a value too large for a double. */
int wmgw_real_parse(const char *s, size_t len, double *out);

#endif
