/*
 * path_int.h: what path.c (REST names) and path_wmi.c (WMI object paths)
 * share; not for other modules.
 */
#ifndef WMGW_CIM_PATH_INT_H
#define WMGW_CIM_PATH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim.h"

struct wmgw_buf;
struct wmgw_err;

#define WMGW__PATH_MAX_NAME 256
#define WMGW__PATH_MAX_NS_PARTS 16
#define WMGW__PATH_MAX_NS_LEN 512
#define WMGW__PATH_MAX_HOST 255

bool wmgw__cim_path_is_alnum(char c);
/* Checks a namespace spelled with '/' or '\' and appends it with `sep`
 * between parts.  Strict (input) refuses empty parts; lenient (output)
 * skips them. */
int wmgw__cim_path_add_namespace(struct wmgw_buf *out, const char *ns, size_t len, char sep, bool strict,
                                 struct wmgw_err *err);
/* The keys of l in canonical order (ASCII case-insensitive by name), as a
 * malloc'd array; NULL with *rc set on a bad or duplicate name or ENOMEM. */
const struct wmgw_cim_prop **wmgw__cim_path_sorted_keys(const struct wmgw_cim_proplist *l, int *rc);
/* A char16 as UTF-8 (a lone surrogate becomes U+FFFD); returns the length. */
size_t wmgw__cim_path_char16_utf8(uint16_t c, char b[4]);
/* Appends ref's WMI object path text; the namespace prefix when with_ns
 * (and the namespace is known), "\\server\" too when with_host. */
int wmgw__cim_path_wmi(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, bool with_ns, bool with_host);
/* Cuts out back to start (if rc != 0) and returns rc. */
int wmgw__cim_path_truncate(struct wmgw_buf *out, size_t start, int rc);

#endif
