/*
 * xmldoc.h: what the capture replays (captures2003.c, requests2003.c) need
 * around libxml2: a capture file as a DOM with its dialect (from its wsman
 * namespace), the SOAP parts, DOM helpers, classes derived from a
 * document's own shape, and a walk over a directory tree.  Included by one
 * test file each (static definitions).
 */
#ifndef WMGW_TESTS_UNIT_WSMAN_XMLDOC_H
#define WMGW_TESTS_UNIT_WSMAN_XMLDOC_H

#include "translators/wsman/soap.h"
#include "util/buf.h"
#include "util/err.h"

#include <ctype.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct wmgw_buf b;
    wmgw_buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        wmgw_buf_add(&b, chunk, n);
    fclose(f);
    return wmgw_buf_steal(&b, len);
}

/* --- the document's own view ------------------------------------------------------ */

static const char *ns_of(xmlNodePtr n)
{
    return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

static bool el_is(xmlNodePtr n, const char *ns, const char *local)
{
    const char *nns = ns_of(n);
    return n != NULL && strcmp((const char *)n->name, local) == 0 && nns != NULL && strcmp(nns, ns) == 0;
}

static xmlNodePtr next_el(xmlNodePtr n)
{
    for (n = n ? n->next : NULL; n != NULL && n->type != XML_ELEMENT_NODE; n = n->next)
        ;
    return n;
}

static xmlNodePtr first_el(xmlNodePtr n)
{
    xmlNodePtr k = n ? n->children : NULL;
    return k == NULL || k->type == XML_ELEMENT_NODE ? k : next_el(k);
}

static xmlNodePtr child_el(xmlNodePtr n, const char *ns, const char *local)
{
    for (xmlNodePtr k = first_el(n); k != NULL; k = next_el(k))
        if (el_is(k, ns, local))
            return k;
    return NULL;
}

/* The whole text content, exact or trimmed (malloc'd). */
static char *text(xmlNodePtr n, bool trim)
{
    xmlChar *c = xmlNodeGetContent(n);
    char *s = strdup(c ? (const char *)c : "");
    xmlFree(c);
    if (trim) {
        size_t len = strlen(s), lead = strspn(s, " \t\r\n");
        while (len > lead && isspace((unsigned char)s[len - 1]))
            len--;
        memmove(s, s + lead, len - lead);
        s[len - lead] = '\0';
    }
    return s;
}

static bool is_nil(xmlNodePtr n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"nil", (const xmlChar *)WMGW_NS_XSI);
    bool yes = v != NULL && strcmp((const char *)v, "true") == 0;
    xmlFree(v);
    return yes;
}

static inline bool mu_true(xmlNodePtr n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"mustUnderstand", (const xmlChar *)WMGW_NS_SOAP);
    bool yes = v != NULL && (strcmp((const char *)v, "true") == 0 || strcmp((const char *)v, "1") == 0);
    xmlFree(v);
    return yes;
}

/* cim:Location (and anything else in the cim namespace) is no property. */
static bool skipped(const struct wmgw_wsman_dialect *d, xmlNodePtr c)
{
    const char *ns = ns_of(c);
    return ns != NULL && strcmp(ns, d->ns_cim) == 0;
}

/* The element holding a datetime's text, when c holds one. */
static xmlNodePtr datetime_of(const struct wmgw_wsman_dialect *d, xmlNodePtr c)
{
    xmlNodePtr k = first_el(c);
    if (k == NULL || next_el(k) != NULL || first_el(k) != NULL)
        return NULL;
    const char *kns = ns_of(k), *l = (const char *)k->name;
    if (kns != NULL)
        return strcmp(kns, d->ns_cim) == 0 ? k : NULL;
    return (d->datetime_element && strcmp(l, d->datetime_element) == 0) ||
                   (d->interval_element && strcmp(l, d->interval_element) == 0) ||
                   strcmp(l, d->dmtf_datetime_element) == 0
               ? k
               : NULL;
}

static bool holds_epr(xmlNodePtr c)
{
    for (xmlNodePtr k = first_el(c); k != NULL; k = next_el(k))
        if (ns_of(k) != NULL && strcmp(ns_of(k), WMGW_NS_WSA) == 0)
            return true;
    return false;
}

/* Is c the first property element of its name under its parent? */
static bool first_of_name(const struct wmgw_wsman_dialect *d, xmlNodePtr c, size_t *count)
{
    bool first = true;
    *count = 0;
    for (xmlNodePtr k = first_el(c->parent); k != NULL; k = next_el(k)) {
        if (skipped(d, k) || strcmp((const char *)k->name, (const char *)c->name) != 0)
            continue;
        if (k == c && *count > 0)
            first = false;
        (*count)++;
    }
    return first;
}

/* --- classes derived from the document ------------------------------------------- */

struct registry {
    struct wmgw_cim_class *c[64];
    size_t n;
};

static struct wmgw_cim_class *reg_get(struct registry *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcasecmp(g->c[i]->name, name) == 0)
            return g->c[i];
    if (g->n == sizeof(g->c) / sizeof(g->c[0]))
        return NULL;
    return g->c[g->n++] = wmgw_cim_class_new(name, "root/cimv2");
}

static const struct wmgw_cim_class *reg_lookup(void *ctx, const char *ns, const char *name)
{
    struct registry *g = ctx;
    for (size_t i = 0; name != NULL && i < g->n; i++)
        if (strcasecmp(g->c[i]->name, name) == 0)
            return g->c[i];
    return NULL;
}

static void reg_free(struct registry *g)
{
    for (size_t i = 0; i < g->n; i++)
        wmgw_cim_class_free(g->c[i]);
    g->n = 0;
}

/* A class named `name` with a property for every child of elem, typed as
 * the document shows it (nested elements are objects of classes derived
 * the same way, repeated ones arrays). */
static struct wmgw_cim_class *derive(struct registry *g, const struct wmgw_wsman_dialect *d, const char *name,
                                     xmlNodePtr elem)
{
    struct wmgw_cim_class *cls = reg_get(g, name);
    for (xmlNodePtr c = cls ? first_el(elem) : NULL; c != NULL; c = next_el(c)) {
        size_t n;
        if (skipped(d, c))
            continue;
        first_of_name(d, c, &n);
        const char *local = (const char *)c->name;
        uint16_t type = WMGW_CIM_STRING;
        if (is_nil(c))
            type = WMGW_CIM_NONE; /* unknown yet */
        else if (datetime_of(d, c) != NULL)
            type = WMGW_CIM_DATETIME;
        else if (holds_epr(c))
            type = WMGW_CIM_REFERENCE;
        else if (first_el(c) != NULL && derive(g, d, local, c) != NULL)
            type = WMGW_CIM_OBJECT;
        const struct wmgw_cim_propdecl *have = wmgw_cim_class_prop(cls, local);
        struct wmgw_cim_propdecl *decl = (struct wmgw_cim_propdecl *)have;
        if (decl == NULL)
            decl = wmgw_cim_class_add_prop(cls, local, type == WMGW_CIM_NONE ? WMGW_CIM_STRING : type);
        else if (type != WMGW_CIM_NONE && type != WMGW_CIM_STRING)
            decl->type = (uint16_t)(type | (decl->type & WMGW_CIM_ARRAY));
        if (decl == NULL)
            continue;
        if (n > 1)
            decl->type |= WMGW_CIM_ARRAY;
        if (type == WMGW_CIM_OBJECT && decl->ref_class == NULL)
            decl->ref_class = strdup(local);
    }
    return cls;
}

/* --- one capture -------------------------------------------------------------------- */

struct doc {
    const char *name;  /* file name */
    const char *path;
    char *data;
    size_t len;
    xmlDocPtr x;
    const struct wmgw_wsman_dialect *d;
    bool mangled;      /* a namespace broken by the specification's line wraps */
    xmlNodePtr header, body, first;
    char *action, *relates_to;
};

static const char *const wsman2003_spellings[] = {"http://schemas.xmlsoap.org/ws/2005/06/management",
                                                  "http://schemas.xmlsoap.org/wsman/2005/06/management"};

static void scan_namespaces(struct doc *c, xmlNodePtr n)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNsPtr ns = n->nsDef; ns != NULL; ns = ns->next) {
            const char *href = ns->href ? (const char *)ns->href : "";
            for (size_t i = 0; i < 2; i++)
                if (strcmp(href, wsman2003_spellings[i]) == 0)
                    c->d = &wmgw_wsman_dialect_2003;
            if (strpbrk(href, " \t\r\n") != NULL || (ns->prefix == NULL && n->nsDef == ns && href[0] == '\0'))
                c->mangled = true;
        }
        scan_namespaces(c, n->children);
    }
}

static bool doc_open(struct doc *c)
{
    c->data = slurp(c->path, &c->len);
    if (c->data == NULL)
        return false;
    c->d = &wmgw_wsman_dialect_wsmv;
    c->x = xmlReadMemory(c->data, (int)c->len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = c->x ? xmlDocGetRootElement(c->x) : NULL;
    if (root == NULL) {
        c->mangled = true;
        return true;
    }
    scan_namespaces(c, root);
    if (!el_is(root, WMGW_NS_SOAP, "Envelope")) {
        c->mangled = true;
        return true;
    }
    c->header = child_el(root, WMGW_NS_SOAP, "Header");
    c->body = child_el(root, WMGW_NS_SOAP, "Body");
    c->first = first_el(c->body);
    xmlNodePtr a = child_el(c->header, WMGW_NS_WSA, "Action");
    xmlNodePtr rt = child_el(c->header, WMGW_NS_WSA, "RelatesTo");
    c->action = a ? text(a, true) : NULL;
    c->relates_to = rt ? text(rt, true) : NULL;
    return true;
}

static void doc_close(struct doc *c)
{
    if (c->x)
        xmlFreeDoc(c->x);
    free(c->data);
    free(c->action);
    free(c->relates_to);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = s ? strlen(s) : 0, b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* Calls fn for every *.xml file under dir (depth first). */
static void walk(const char *dir, void (*fn)(const char *path, const char *name))
{
    DIR *dd = opendir(dir);
    if (dd == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            walk(path, fn);
        else if (ends_with(e->d_name, ".xml"))
            fn(path, e->d_name);
    }
    closedir(dd);
}

#endif
