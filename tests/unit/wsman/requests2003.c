/*
 * requests2003.c: every request under ../shared/captures/wsman2003 (read
 * at test time; skipped when WMGW_CAPTURES is absent), rebuilt by
 * translators/wsman/soap_build.c from what it asks (resource URI,
 * selectors, instance, parameters, context) in the dialect its namespace
 * names, and compared with it: same Action, resource URI, selectors,
 * limits and body; every header the capture has, with its mustUnderstand;
 * no header of ours a 2003 R2 host would have to understand beyond those;
 * a uuid: MessageID; and in the body nothing the dialect lacks (filters,
 * OptimizeEnumeration, EnumerationMode, the cim:Location a client strips
 * before Put, MS-WSMAN <17>).  Responses are captures2003.c's.
 */
#include "xmldoc.h"

static xmlNodePtr wchild(const struct doc *c, xmlNodePtr n, const char *local)
{
    xmlNodePtr k = child_el(n, c->d->ns_wsman, local);
    return k != NULL || c->d->ns_wsman_alt == NULL ? k : child_el(n, c->d->ns_wsman_alt, local);
}

static bool same_qname(const struct doc *c, xmlNodePtr a, xmlNodePtr b)
{
    if (strcmp((const char *)a->name, (const char *)b->name) != 0)
        return false;
    const char *na = ns_of(a), *nb = ns_of(b);
    if (na == NULL || nb == NULL)
        return na == nb;
    return strcmp(na, nb) == 0 ||
           (wmgw_wsman_dialect_is_wsman_ns(c->d, na) && wmgw_wsman_dialect_is_wsman_ns(c->d, nb));
}

static xmlNodePtr find_like(const struct doc *c, xmlNodePtr parent, xmlNodePtr like)
{
    for (xmlNodePtr k = first_el(parent); k != NULL; k = next_el(k))
        if (same_qname(c, k, like))
            return k;
    return NULL;
}

/* Drops every whitespace character: URIs have none, and the
 * specification's examples break some across lines (4.1.4's ReplyTo). */
static void squeeze(char *s)
{
    char *o = s;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *o++ = *s;
    *o = '\0';
}

static void check_text_as(xmlNodePtr a, xmlNodePtr b, bool uri)
{
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    char *ta = text(a, true), *tb = text(b, true);
    if (uri) {
        squeeze(ta);
        squeeze(tb);
    }
    CHECK_STR(ta, tb);
    free(ta);
    free(tb);
}

static void check_text(xmlNodePtr a, xmlNodePtr b)
{
    check_text_as(a, b, false);
}

static unsigned parse_timeout_ms(const char *t)
{
    unsigned s = 0, ms = 0;
    return sscanf(t, "PT%u.%uS", &s, &ms) >= 1 ? s * 1000 + ms : 0;
}

/* Opens a reader on the capture, on its first body element. */
static xmlTextReaderPtr reader_on_body(const struct doc *c)
{
    xmlTextReaderPtr r = wmgw_soap_reader(c->data, c->len);
    while (r != NULL && xmlTextReaderRead(r) == 1)
        if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && xmlTextReaderDepth(r) == 2 &&
            strcmp((const char *)xmlTextReaderConstLocalName(r), (const char *)c->first->name) == 0)
            return r;
    if (r)
        xmlFreeTextReader(r);
    return NULL;
}

struct built {
    struct wmgw_cim_proplist selectors, params;
    struct wmgw_cim_instance *inst;
    struct registry g;
    char *uri, *to, *context, method[256];
};

static void built_dispose(struct built *b)
{
    wmgw_cim_proplist_dispose(&b->selectors);
    wmgw_cim_proplist_dispose(&b->params);
    wmgw_cim_instance_unref(b->inst);
    reg_free(&b->g);
    free(b->uri);
    free(b->to);
    free(b->context);
}

/* What the capture asks, as a request for wmgw_soap_build. */
static int ask(const struct doc *c, struct built *b, struct wmgw_soap_request *q)
{
    xmlNodePtr h = c->header;
    xmlNodePtr uri = wchild(c, h, "ResourceURI"), to = child_el(h, WMGW_NS_WSA, "To");
    xmlNodePtr env = wchild(c, h, "MaxEnvelopeSize"), tmo = wchild(c, h, "OperationTimeout");
    if (uri == NULL)
        return -1;
    b->uri = text(uri, true);
    b->to = to ? text(to, true) : strdup("http://localhost/wsman");
    for (xmlNodePtr s = first_el(wchild(c, h, "SelectorSet")); s != NULL; s = next_el(s)) {
        xmlChar *name = xmlGetProp(s, (const xmlChar *)"Name");
        struct wmgw_cim_value v;
        wmgw_cim_value_init_null(&v, WMGW_CIM_STRING);
        wmgw_cim_value_set_string(&v, text(s, true));
        CHECK_INT(wmgw_cim_proplist_put(&b->selectors, name ? (const char *)name : "", &v), 0);
        xmlFree(name);
    }
    char *t = env ? text(env, true) : NULL;
    q->max_envelope = t ? (unsigned)strtoul(t, NULL, 10) : 0;
    free(t);
    t = tmo ? text(tmo, true) : NULL;
    q->timeout_ms = t ? parse_timeout_ms(t) : 0;
    free(t);
    q->d = c->d;
    q->to = b->to;
    q->resource_uri = b->uri;
    q->selectors = &b->selectors;
    const char *a = c->action;
    size_t ulen = strlen(b->uri);
    if (strcmp(a, WMGW_ACTION_GET) == 0) {
        q->kind = WMGW_SOAP_GET;
    } else if (strcmp(a, WMGW_ACTION_DELETE) == 0) {
        q->kind = WMGW_SOAP_DELETE;
    } else if (strcmp(a, WMGW_ACTION_ENUMERATE) == 0) {
        q->kind = WMGW_SOAP_ENUMERATE;
        /* What the translator asks of every host: the dialect drops what
         * it cannot carry. */
        q->optimize = true;
        q->epr_only = true;
        q->max_elements = 100;
    } else if (strcmp(a, WMGW_ACTION_PULL) == 0 || strcmp(a, WMGW_ACTION_RELEASE) == 0) {
        q->kind = strcmp(a, WMGW_ACTION_PULL) == 0 ? WMGW_SOAP_PULL : WMGW_SOAP_RELEASE;
        xmlNodePtr ctx = child_el(c->first, WMGW_NS_WSEN, "EnumerationContext");
        xmlNodePtr max = child_el(c->first, WMGW_NS_WSEN, "MaxElements");
        b->context = ctx ? text(ctx, true) : NULL;
        t = max ? text(max, true) : NULL;
        q->max_elements = t ? (unsigned)strtoul(t, NULL, 10) : 0;
        free(t);
        q->context = b->context;
    } else if (strcmp(a, WMGW_ACTION_PUT) == 0 || strcmp(a, WMGW_ACTION_CREATE) == 0) {
        q->kind = strcmp(a, WMGW_ACTION_PUT) == 0 ? WMGW_SOAP_PUT : WMGW_SOAP_CREATE;
        const struct wmgw_cim_class *cls = derive(&b->g, c->d, (const char *)c->first->name, c->first);
        xmlTextReaderPtr r = reader_on_body(c);
        struct wmgw_err err;
        int rc = r ? wmgw_wsman_read_instance(r, c->d, "root/cimv2", reg_lookup, &b->g, &b->inst, &err) : -1;
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", c->name, r ? err.message : "no body");
        CHECK_INT(rc, 0);
        if (r)
            xmlFreeTextReader(r);
        q->instance = b->inst;
        q->cls = cls;
    } else if (strncmp(a, b->uri, ulen) == 0 && a[ulen] == '/') {
        q->kind = WMGW_SOAP_INVOKE;
        snprintf(b->method, sizeof(b->method), "%s", a + ulen + 1);
        q->method = b->method;
        xmlTextReaderPtr r = c->first ? reader_on_body(c) : NULL;
        struct wmgw_err err;
        if (r != NULL)
            CHECK_INT(wmgw_wsman_read_proplist(r, c->d, NULL, 0, NULL, NULL, "root/cimv2", &b->params, &err), 0);
        if (r)
            xmlFreeTextReader(r);
        q->params = &b->params;
    } else {
        return -1;
    }
    return 0;
}

static bool uuid_form(const char *id)
{
    static const char shape[] = "uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(id) != sizeof(shape) - 1 || strncmp(id, "uuid:", 5) != 0)
        return false;
    for (size_t i = 5; shape[i]; i++)
        if (shape[i] == '-' ? id[i] != '-' : !isxdigit((unsigned char)id[i]))
            return false;
    return true;
}

static void compare_headers(const struct doc *c, const struct doc *ours)
{
    for (xmlNodePtr h = first_el(c->header); h != NULL; h = next_el(h)) {
        xmlNodePtr o = find_like(c, ours->header, h);
        if (o == NULL) {
            fprintf(stderr, "%s: our request lacks the %s header\n", c->name, (const char *)h->name);
            CHECK(o != NULL);
            continue;
        }
        CHECK(!mu_true(h) || mu_true(o));
        const char *l = (const char *)h->name;
        if (strcmp(l, "ReplyTo") == 0) {
            xmlNodePtr ca = child_el(h, WMGW_NS_WSA, "Address"), oa = child_el(o, WMGW_NS_WSA, "Address");
            check_text_as(ca, oa, true);
            CHECK(ca == NULL || oa == NULL || !mu_true(ca) || mu_true(oa));
        } else if (strcmp(l, "MessageID") == 0) {
            char *id = text(o, true);
            CHECK(uuid_form(id));
            free(id);
        } else if (strcmp(l, "SelectorSet") == 0) {
            size_t n = 0;
            for (xmlNodePtr s = first_el(h); s != NULL; s = next_el(s), n++) {
                xmlChar *name = xmlGetProp(s, (const xmlChar *)"Name");
                xmlNodePtr match = NULL;
                for (xmlNodePtr k = first_el(o); k != NULL && match == NULL; k = next_el(k)) {
                    xmlChar *kn = xmlGetProp(k, (const xmlChar *)"Name");
                    if (kn && name && strcmp((const char *)kn, (const char *)name) == 0)
                        match = k;
                    xmlFree(kn);
                }
                check_text(s, match);
                xmlFree(name);
            }
        } else if (strcmp(l, "To") != 0) { /* Action, ResourceURI, MaxEnvelopeSize, OperationTimeout, ... */
            check_text_as(h, o, strcmp(l, "Action") == 0 || strcmp(l, "ResourceURI") == 0);
        }
    }
    /* What only we send must be safe to ignore for the host. */
    for (xmlNodePtr o = first_el(ours->header); o != NULL; o = next_el(o))
        if (find_like(c, c->header, o) == NULL)
            CHECK(!mu_true(o));
}

static void compare_body(const struct doc *c, const struct doc *ours, enum wmgw_soap_kind kind)
{
    xmlNodePtr cb = c->first, ob = ours->first;
    if (cb == NULL || ob == NULL) {
        CHECK(cb == NULL && ob == NULL);
        return;
    }
    CHECK(strcmp((const char *)cb->name, (const char *)ob->name) == 0);
    /* The specification's invoke example names root/cim in its body: the
     * resource URI is what counts (MS-WSMV has the same typo, notes §7.9). */
    if (kind != WMGW_SOAP_INVOKE && wmgw_wsman_dialect_is_wsman_ns(c->d, ns_of(cb)) == false &&
        strncmp(ns_of(cb) ? ns_of(cb) : "", c->d->wmi_uri_prefix, strlen(c->d->wmi_uri_prefix)) == 0)
        CHECK_STR(ns_of(ob), ns_of(cb));
    size_t theirs = 0, same = 0;
    for (xmlNodePtr k = first_el(cb); k != NULL; k = next_el(k)) {
        if (skipped(c->d, k)) /* cim:Location: never ours */
            continue;
        theirs++;
        xmlNodePtr o = NULL;
        for (xmlNodePtr m = first_el(ob); m != NULL && o == NULL; m = next_el(m))
            if (strcmp((const char *)m->name, (const char *)k->name) == 0)
                o = m;
        same += o != NULL;
        if (o != NULL && first_el(k) == NULL && kind != WMGW_SOAP_PUT)
            check_text(k, o); /* context, MaxElements, parameters */
    }
    size_t mine = 0;
    for (xmlNodePtr m = first_el(ob); m != NULL; m = next_el(m)) {
        mine++;
        CHECK(!skipped(c->d, m));
    }
    CHECK_INT(same, theirs);
    CHECK_INT(mine, theirs);
}

static size_t rebuilt, skipped_files;

static void replay(const char *path, const char *name)
{
    struct doc c = {.name = name, .path = path};
    if (!doc_open(&c)) {
        CHECK(!"capture unreadable");
        return;
    }
    if (c.mangled || c.action == NULL || ends_with(c.action, "Response") || ends_with(c.action, "/fault")) {
        skipped_files++;
        doc_close(&c);
        return;
    }
    struct built b = {.selectors = {0}};
    struct wmgw_soap_request q = {.kind = WMGW_SOAP_GET};
    char id[WMGW_SOAP_ID_LEN];
    wmgw_soap_message_id(id);
    q.message_id = id;
    if (ask(&c, &b, &q) != 0) {
        fprintf(stderr, "%s: a request this test cannot rebuild (%s)\n", name, c.action);
        CHECK(!"unknown request");
    } else {
        struct wmgw_buf out;
        wmgw_buf_init(&out, 1u << 20);
        CHECK_INT(wmgw_soap_build(&out, &q), 0);
        struct doc ours = {.name = name, .data = out.data, .len = out.len, .d = c.d};
        ours.x = xmlReadMemory(out.data ? out.data : "", (int)out.len, NULL, NULL, XML_PARSE_NONET);
        xmlNodePtr root = ours.x ? xmlDocGetRootElement(ours.x) : NULL;
        CHECK(root != NULL);
        if (root != NULL) {
            ours.header = child_el(root, WMGW_NS_SOAP, "Header");
            ours.body = child_el(root, WMGW_NS_SOAP, "Body");
            ours.first = first_el(ours.body);
            CHECK_STR(ns_of(first_el(ours.header)) ? "ok" : NULL, "ok");
            /* Our wsman prefix is the dialect's own spelling. */
            CHECK(child_el(ours.header, c.d->ns_wsman, "ResourceURI") != NULL);
            compare_headers(&c, &ours);
            compare_body(&c, &ours, q.kind);
            rebuilt++;
        }
        if (ours.x)
            xmlFreeDoc(ours.x);
        wmgw_buf_dispose(&out);
    }
    built_dispose(&b);
    doc_close(&c);
}

static void test_every_request(void)
{
    const char *dir = wmgw_test_captures_dir();
    if (dir == NULL) {
        printf("# skip: no captures\n");
        return;
    }
    char root[1024];
    snprintf(root, sizeof(root), "%s/wsman2003", dir);
    walk(root, replay);
    printf("# %zu requests rebuilt and compared; %zu other files (captures2003.c)\n", rebuilt, skipped_files);
    CHECK(rebuilt > 0 || access(root, R_OK) != 0);
}

int main(void)
{
    xmlInitParser();
    WMGW_TEST_RUN(test_every_request);
    xmlCleanupParser();
    return WMGW_TEST_DONE();
}
