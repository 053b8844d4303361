/*
 * cimxml.h: CIM instances as WS-Management carries them (MS-WSMV §2.2.5,
 * DSP0230; ../shared/protocol-notes.md §1.8), in both directions.
 *
 * Writing appends to a wmgw_buf.  The caller's envelope must have the
 * prefixes `a` (WS-Addressing) and `w` (the dialect's wsman namespace) in
 * scope; an instance element declares its own `p`, `cim` and `xsi`.
 *
 * Reading works on a libxml2 xmlTextReader positioned on the instance's
 * start tag, so a response is decoded as it streams and never sits whole
 * in memory.  Property types come from the class when one is known; without
 * it every value is read as a string (arrays when an element repeats).
 * Both the gateway's translator and the simulator use this one codec.
 */
#ifndef WMGW_TRANSLATORS_WSMAN_CIMXML_H
#define WMGW_TRANSLATORS_WSMAN_CIMXML_H

#include <libxml/xmlreader.h>
#include <stdbool.h>

#include "cim/cim.h"
#include "translators/wsman/dialect.h"

struct wmgw_buf;
struct wmgw_err;

/* Looks a class up by name (for typing embedded objects); may return NULL. */
typedef const struct wmgw_cim_class *(*wmgw_wsman_class_fn)(void *ctx, const char *namespace_,
                                                            const char *class_name);

/* --- resource URIs ------------------------------------------------------ */

/* Appends <prefix><ns>/<class> (ns with '/'). */
int wmgw_wsman_format_resource_uri(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const char *ns,
                                   const char *class_name);
/* Splits a WMI resource URI into a malloc'd namespace ("root/cimv2") and
 * class name ("*" for the all-classes URI).  DMTF class URIs give the
 * namespace in dmtf_ns (from __cimnamespace; default root/cimv2 here, since
 * the simulator and gateway keep DMTF classes there).  WMGW_ENOTFOUND for a
 * URI outside the dialect's prefixes. */
int wmgw_wsman_parse_resource_uri(const struct wmgw_wsman_dialect *d, const char *uri, const char *dmtf_ns,
                                  char **ns, char **class_name);

/* --- writing -------------------------------------------------------------- */

/* Writer flags.  WinRM's answers leave NULL arrays out (WMGW_WSMAN_W_ANSWER
 * is 0); a request must say xsi:nil to set an array to NULL. */
#define WMGW_WSMAN_W_REQUEST 1

/* <p:Class xmlns:p=URI ... xsi:type="p:Class_Type"> properties </p:Class>;
 * in an answer (no WMGW_WSMAN_W_REQUEST) of a dialect that appends
 * locations, with cls known, a cim:Location EPR follows the properties.
 * Readers skip cim:Location (every child in the dialect's cim namespace). */
int wmgw_wsman_write_instance(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls, unsigned flags);
/* <w:XmlFragment xmlns:xsi=...> unqualified properties, named ones only </w:XmlFragment>;
 * names NULL means every property. */
int wmgw_wsman_write_fragment(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_instance *inst, const struct wmgw_cim_class *cls,
                              char *const *names, size_t nnames);
/* The properties of a list as <pfx:Name>value</pfx:Name> elements (method
 * parameters); pfx may be NULL for unqualified names. */
int wmgw_wsman_write_proplist(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                              const struct wmgw_cim_proplist *props, const char *pfx, unsigned flags);
/* <w:SelectorSet><w:Selector Name="K">v</w:Selector>...</w:SelectorSet>; a
 * reference-valued key becomes a nested EPR. */
int wmgw_wsman_write_selectors(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d,
                               const struct wmgw_cim_proplist *keys);
/* EPR content: <a:Address>anonymous</a:Address><a:ReferenceParameters>
 * <w:ResourceURI>..</w:ResourceURI><w:SelectorSet>..</w:SelectorSet>
 * </a:ReferenceParameters> (no enclosing element). */
int wmgw_wsman_write_epr(struct wmgw_buf *out, const struct wmgw_wsman_dialect *d, const struct wmgw_cim_ref *ref);

/* --- reading -------------------------------------------------------------- */

/* Limits that bound what one read may allocate. */
#define WMGW_WSMAN_MAX_TEXT (1u << 20)   /* one element's text */
#define WMGW_WSMAN_MAX_DEPTH 32          /* embedded objects / EPRs nesting */

/* Reads the element under the reader (start tag) and its subtree into an
 * instance.  The class name comes from the element's local name; ns_hint
 * names its namespace when the resource URI is not the element's namespace
 * (XmlFragment).  On return the reader is on the element's end (or the
 * empty element itself). */
int wmgw_wsman_read_instance(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, const char *ns_hint,
                             wmgw_wsman_class_fn lookup, void *ctx, struct wmgw_cim_instance **out,
                             struct wmgw_err *err);
/* Reads the children of the current element as a property list typed by
 * decls (method parameters: ndecls may be 0 for untyped). */
int wmgw_wsman_read_proplist(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d,
                             const struct wmgw_cim_propdecl *decls, size_t ndecls, wmgw_wsman_class_fn lookup,
                             void *ctx, const char *ns, struct wmgw_cim_proplist *out, struct wmgw_err *err);
/* Readers report what the XML holds.  WinRM leaves NULL (and empty)
 * arrays out, so a reader of WinRM's answers adds each declared array the
 * XML left out as NULL with this (never for requests, where "left out"
 * means "not given"). */
int wmgw_wsman_complete_arrays(const struct wmgw_cim_propdecl *decls, size_t n, struct wmgw_cim_proplist *l);
/* Reads an EPR (the element under the reader contains a:Address and
 * a:ReferenceParameters) into a reference; selector values stay strings. */
int wmgw_wsman_read_epr(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_cim_ref **out,
                        struct wmgw_err *err);
/* Reads the w:SelectorSet under the reader into keys (strings, or refs for
 * nested EPRs).  Duplicate names fail with WMGW_EEXIST. */
int wmgw_wsman_read_selectors(xmlTextReaderPtr r, const struct wmgw_wsman_dialect *d, struct wmgw_cim_proplist *keys,
                              struct wmgw_err *err);

/* Reader helpers shared by the SOAP parsers. */
/* Appends the text content of the current element to out and leaves the
 * reader on its end.  Flags: WMGW_XMLR_TRIM drops surrounding whitespace
 * (header values; the specification's examples pad them); without
 * WMGW_XMLR_CHILDREN a child element is an error. */
#define WMGW_XMLR_TRIM 1
#define WMGW_XMLR_CHILDREN 2
int wmgw_xmlr_text(xmlTextReaderPtr r, struct wmgw_buf *out, int flags);
/* Advances to the next start tag inside the current element at depth+1;
 * returns 1 when found, 0 at the element's end, <0 on error. */
int wmgw_xmlr_next_child(xmlTextReaderPtr r, int parent_depth);
/* Skips the subtree of the current element. */
int wmgw_xmlr_skip(xmlTextReaderPtr r);
bool wmgw_xmlr_is(xmlTextReaderPtr r, const char *ns, const char *local);
/* Attribute by local name and namespace (ns NULL: no namespace); malloc'd or NULL. */
char *wmgw_xmlr_attr(xmlTextReaderPtr r, const char *local, const char *ns);
/* True when the current element carries xsi:nil="true". */
bool wmgw_xmlr_is_nil(xmlTextReaderPtr r);

#endif
