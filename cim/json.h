/*
 * json.h: the one JSON mapping of the CIM model (REST API v1).
 *
 * Instance: its properties by name, plus "@id" (REST URL, cim/path.h),
 * "@class", "@namespace", "@host".  Values:
 *   boolean -> true/false; sint8..uint32 -> number;
 *   sint64/uint64 -> decimal STRING, always (the rule: no 64-bit integer is
 *     ever a JSON number, so JavaScript never rounds one; on input a number
 *     is accepted when its magnitude is at most 2^53);
 *   real32/real64 -> number, or "NaN", "Infinity", "-Infinity";
 *   char16 -> one-character string; string -> string;
 *   datetime -> RFC 3339 string; interval -> ISO 8601 duration string;
 *     a timestamp with '*' wildcards -> its DMTF string;
 *   reference -> {"@id": url, "@class", "@namespace", "@keys": {...}};
 *   embedded object -> nested object with "@class" (and its properties);
 *   array -> array; NULL -> null (distinct from "").
 * Properties are written in the class's declaration order when the class
 * is given, else in the instance's order.
 *
 * Writing appends to a wmgw_buf, one instance at a time, so enumerations
 * stream.  Reading takes jansson values (request bodies) and needs the class
 * to know each property's type.
 */
#ifndef WMGW_CIM_JSON_H
#define WMGW_CIM_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "cim/cim.h"

struct wmgw_buf;
struct wmgw_err;

/* Namespace of a relative reference's "@id" when no enclosing instance
 * names one: WMI's default namespace. */
#define WMGW_CIM_JSON_DEFAULT_NAMESPACE "root/cimv2"
/* Deepest nesting of embedded objects and references, read or written. */
#define WMGW_CIM_JSON_MAX_DEPTH 32

/* Appends s as a JSON string literal (quotes included); invalid UTF-8 is
 * replaced by U+FFFD. */
int wmgw_json_write_string(struct wmgw_buf *out, const char *s, size_t len);

int wmgw_cim_json_write_value(struct wmgw_buf *out, const struct wmgw_cim_value *v, const char *host);
/* Writes one instance object.  cls may be NULL; host names the host in
 * "@host" and in links. */
int wmgw_cim_json_write_instance(struct wmgw_buf *out, const struct wmgw_cim_instance *inst,
                                 const struct wmgw_cim_class *cls, const char *host);
/* Writes a reference object (used for EPR-only enumerations too). */
int wmgw_cim_json_write_ref(struct wmgw_buf *out, const struct wmgw_cim_ref *ref, const char *host);
/* Class schema: {"@class", "@namespace", "superclass", "description",
 * "qualifiers": [...flags], "properties": {name: {"type", "key", "read",
 * "write", "required", "class" (ref/object target), "description",
 * "default"}}, "methods": {name: {"static", "returns", "in": {...},
 * "out": {...}}}} */
int wmgw_cim_json_write_class(struct wmgw_buf *out, const struct wmgw_cim_class *cls, const char *host);

/* Converts j to a value of the declared type (ref_class for object and
 * reference targets, "X" or "ref:X"/"object:X", may be NULL).  Errors
 * name the property path: "PObject.Tags[2]: expected a string". */
int wmgw_cim_json_read_value(const json_t *j, uint16_t type, const char *ref_class, struct wmgw_cim_value *out,
                             struct wmgw_err *err);
/* Builds an instance of cls from a JSON object.  Members starting with '@'
 * are ignored; unknown properties are an error naming them.  Only the
 * members present are set (a PATCH body is a partial instance). */
int wmgw_cim_json_read_instance(const json_t *obj, const struct wmgw_cim_class *cls, struct wmgw_cim_instance **out,
                                struct wmgw_err *err);
/* Method parameters: a JSON object checked against m's in-parameters
 * (NULL or JSON null means none).  *out is set to a new list on success. */
int wmgw_cim_json_read_params(const json_t *obj, const struct wmgw_cim_method *m, struct wmgw_cim_proplist *out,
                              struct wmgw_err *err);

#endif
