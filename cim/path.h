/*
 * path.h: naming an instance, in the REST API and in WMI's own syntax.
 *
 * REST (documented in openapi/ and README):
 *   /v1/hosts/{host}/namespaces/{ns}/classes/{class}/instances/{keys}
 *   {ns}    the namespace with '/' between its parts, percent-encoded as one
 *           path segment: root/cimv2 -> root%2Fcimv2.  '\' is accepted on input.
 *   {keys}  Key=Value pairs joined by ',', each name and value percent-encoded
 *           (everything outside A-Z a-z 0-9 - . _ ~ is encoded, so ',' '=' '%'
 *           in values are always encoded and the split is unambiguous);
 *           a singleton is "@"; a class with exactly one key also accepts the
 *           bare value on input.  Reference-valued keys carry the WMI object
 *           path text of the referenced instance (below).
 * WMI object path (MS-WMI 2.2.2): [\\server\namespace:]Class.Key="v",K2=5
 *   or Class=@ for singletons; strings quoted with \" and \\ escaped.
 */
#ifndef WMGW_CIM_PATH_H
#define WMGW_CIM_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "cim/cim.h"

struct wmgw_buf;
struct wmgw_err;

/* Limits of every parser here: input length and number of keys. */
#define WMGW_CIM_PATH_MAX_LEN 8192
#define WMGW_CIM_PATH_MAX_KEYS 32

/* True for a CIM class or property name as paths accept it:
 * [A-Za-z_][A-Za-z0-9_]*, at most 256 bytes. */
bool wmgw_cim_path_name_valid(const char *s, size_t len);

/* Appends the {keys} segment of ref: keys sorted by name (ASCII, case-
 * insensitive) so the same reference always gives the same bytes; "@"
 * when ref has no keys.  WMGW_EINVAL for a null, array or object key. */
int wmgw_cim_path_format_keys(struct wmgw_buf *out, const struct wmgw_cim_ref *ref);
/* Parses a raw (still percent-encoded) {keys} segment into ref->keys.  With
 * cls, key names are checked (all keys, no others) and values converted to
 * the declared types; without it they stay strings. */
int wmgw_cim_path_parse_keys(const char *seg, size_t len, const struct wmgw_cim_class *cls, struct wmgw_cim_ref *ref,
                             struct wmgw_err *err);

/* Appends a percent-encoded namespace segment ("root%2Fcimv2"). */
int wmgw_cim_path_format_namespace(struct wmgw_buf *out, const char *ns);
/* Decodes a raw namespace segment into a malloc'd canonical namespace
 * ("root/cimv2"); rejects empty parts and characters WMI does not allow. */
int wmgw_cim_path_parse_namespace(const char *seg, size_t len, char **out, struct wmgw_err *err);

/* Appends the REST URL of an instance: /v1/hosts/{host}/namespaces/...
 * host and ref->namespace_ must be set (WMGW_EINVAL otherwise). */
int wmgw_cim_path_format_url(struct wmgw_buf *out, const char *host, const struct wmgw_cim_ref *ref);
/* Parses such a URL (as written by format_url) back into a reference; the
 * host name goes to ref->host. */
int wmgw_cim_path_parse_url(const char *url, size_t len, struct wmgw_cim_ref **out, struct wmgw_err *err);

/* WMI object path text, with "\\server\ns:" when with_namespace (server
 * "." when ref->host is NULL; no prefix when ref->namespace_ is NULL).
 * Parsed values are typed by their spelling: quoted -> string, integers ->
 * sint64 (uint64 above INT64_MAX), reals -> real64, TRUE/FALSE -> boolean. */
int wmgw_cim_path_format_wmi(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, bool with_namespace);
int wmgw_cim_path_parse_wmi(const char *text, size_t len, struct wmgw_cim_ref **out, struct wmgw_err *err);

#endif
