/*
 * datetime.h: CIM datetimes in their three spellings.
 *
 * The model keeps every datetime as its 25-character DMTF string (DSP0004),
 * which is also what MS-WMIO carries:
 *   timestamp  yyyymmddHHMMSS.mmmmmmsUUU   s = '+'|'-', UUU = UTC offset in minutes
 *   interval   ddddddddHHMMSS.mmmmmm:000
 * Insignificant fields of a timestamp may be '*' (wildcards).
 * WS-Management carries xs:dateTime (cim:Datetime) and xs:duration
 * (cim:Interval); the REST API uses RFC 3339 and ISO 8601 durations.
 */
#ifndef WMGW_CIM_DATETIME_H
#define WMGW_CIM_DATETIME_H

#include <stdbool.h>
#include <stddef.h>

struct wmgw_buf;
struct wmgw_err;

#define WMGW_CIM_DMTF_LEN 25

/* True when s (WMGW_CIM_DMTF_LEN chars) is a well-formed DMTF timestamp or interval. */
bool wmgw_cim_dmtf_valid(const char *s, size_t len);
bool wmgw_cim_dmtf_is_interval(const char *dmtf);
/* True when a timestamp has '*' fields (no exact RFC 3339 form). */
bool wmgw_cim_dmtf_has_wildcards(const char *dmtf);

/* Parses any accepted spelling into out (NUL-terminated DMTF string):
 * a DMTF timestamp or interval; RFC 3339 / xs:dateTime with 'Z' or +hh:mm
 * (seconds required; a fraction of up to 6 digits is kept, more digits are
 * rejected); xs:duration "PnDTnHnMn.nS"
 * (years and months are rejected: they have no exact length).
 * Returns 0, or WMGW_EINVAL with a message in err. */
int wmgw_cim_datetime_parse(const char *text, size_t len, char out[WMGW_CIM_DMTF_LEN + 1], struct wmgw_err *err);

/* Appends the ISO form: a timestamp as RFC 3339 in UTC (fraction trimmed
 * of trailing zeros and omitted when zero; always "Z": WinRM writes every
 * datetime in UTC, and so does the REST API, so one instant has one text
 * whichever protocol carried it; the DMTF string keeps the host's offset),
 * an interval as an xs:duration ("P1DT2H3M4.5S", zero fields omitted,
 * "PT0S" for zero).  A timestamp with wildcards has no ISO form: the DMTF
 * string is appended unchanged and 1 is returned; otherwise 0. */
int wmgw_cim_datetime_format_iso(const char *dmtf, struct wmgw_buf *out);

#endif
