/*
 * class_read.c: tests for translators/wsman/class_read.c: a DSP0201 CLASS
 * with every member kind and qualifier the reader knows (in the shape
 * tests/sim/transfer.c answers, plus standard forms it does not use),
 * property order, defaults, kept qualifiers, and malformed classes.
 */
#include "translators/wsman/soap.h"
#include "util/err.h"

#include "../test.h"

static const char *const doc =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
    "<CLASS NAME=\"Sim_AllTypes\" SUPERCLASS=\"Sim_Base\">"
    "<QUALIFIER NAME=\"SupportsCreate\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></QUALIFIER>"
    "<QUALIFIER NAME=\"Association\" TYPE=\"boolean\"><VALUE>false</VALUE></QUALIFIER>"
    "<QUALIFIER NAME=\"Singleton\" TYPE=\"boolean\"/>"
    "<QUALIFIER NAME=\"Description\" TYPE=\"string\"><VALUE>All &lt;types&gt;</VALUE></QUALIFIER>"
    "<PROPERTY NAME=\"zeta\" TYPE=\"uint64\"><QUALIFIER NAME=\"read\" TYPE=\"boolean\"><VALUE>TRUE</VALUE>"
    "</QUALIFIER><VALUE>18446744073709551615</VALUE></PROPERTY>"
    "<PROPERTY NAME=\"Id\" TYPE=\"string\"><QUALIFIER NAME=\"key\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></QUALIFIER>"
    "<QUALIFIER NAME=\"Description\" TYPE=\"string\"><VALUE>Instance name</VALUE></QUALIFIER></PROPERTY>"
    "<PROPERTY.ARRAY NAME=\"ATags\" TYPE=\"string\"><QUALIFIER NAME=\"write\" TYPE=\"boolean\"><VALUE>TRUE</VALUE>"
    "</QUALIFIER><QUALIFIER NAME=\"ValueMap\" TYPE=\"string\"><VALUE.ARRAY><VALUE>0</VALUE><VALUE>1</VALUE>"
    "</VALUE.ARRAY></QUALIFIER><VALUE.ARRAY><VALUE>a</VALUE><VALUE>b</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>"
    "<PROPERTY.REFERENCE NAME=\"PRef\" REFERENCECLASS=\"Sim_Item\"><QUALIFIER NAME=\"required\" TYPE=\"boolean\">"
    "<VALUE>TRUE</VALUE></QUALIFIER></PROPERTY.REFERENCE>"
    "<PROPERTY NAME=\"PObject\" TYPE=\"string\"><QUALIFIER NAME=\"EmbeddedInstance\" TYPE=\"string\">"
    "<VALUE>Sim_Item</VALUE></QUALIFIER></PROPERTY>"
    "<PROPERTY NAME=\"alpha\" TYPE=\"datetime\"><QUALIFIER NAME=\"SubType\" TYPE=\"string\"><VALUE>interval</VALUE>"
    "</QUALIFIER></PROPERTY>"
    "<PROPERTY NAME=\"Flag\" TYPE=\"boolean\"><VALUE>true</VALUE></PROPERTY>"
    "<METHOD NAME=\"Echo\" TYPE=\"uint32\"><QUALIFIER NAME=\"Static\" TYPE=\"boolean\"><VALUE>TRUE</VALUE>"
    "</QUALIFIER><PARAMETER NAME=\"PString\" TYPE=\"string\"><QUALIFIER NAME=\"In\" TYPE=\"boolean\"><VALUE>TRUE"
    "</VALUE></QUALIFIER><QUALIFIER NAME=\"Out\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></QUALIFIER></PARAMETER>"
    "<PARAMETER.ARRAY NAME=\"AUint64\" TYPE=\"uint64\"><QUALIFIER NAME=\"In\" TYPE=\"boolean\"><VALUE>TRUE</VALUE>"
    "</QUALIFIER></PARAMETER.ARRAY><PARAMETER.REFERENCE NAME=\"PRef\" REFERENCECLASS=\"Sim_Item\">"
    "<QUALIFIER NAME=\"Out\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></QUALIFIER></PARAMETER.REFERENCE>"
    "<PARAMETER.REFARRAY NAME=\"ARefs\" REFERENCECLASS=\"Sim_Item\"/>"
    "<PARAMETER NAME=\"AObject\" TYPE=\"string\"><QUALIFIER NAME=\"EmbeddedObject\" TYPE=\"boolean\"><VALUE>TRUE"
    "</VALUE></QUALIFIER></PARAMETER></METHOD>"
    "<METHOD NAME=\"Touch\"/>"
    "</CLASS></s:Body></s:Envelope>";

static int read(const char *xml, struct wmgw_cim_class **out)
{
    struct wmgw_soap_response r = {.kind = WMGW_SOAP_GET_CLASS, .d = &wmgw_wsman_dialect_wsmv, .ns = "root/test"};
    struct wmgw_err err;
    int rc = wmgw_soap_read(xml, strlen(xml), &r, &err);
    *out = r.klass;
    r.klass = NULL;
    wmgw_soap_response_dispose(&r);
    return rc;
}

static void test_full_class(void)
{
    struct wmgw_cim_class *c = NULL;
    CHECK_INT(read(doc, &c), 0);
    if (c == NULL)
        return;
    CHECK_STR(c->name, "Sim_AllTypes");
    CHECK_STR(c->superclass, "Sim_Base");
    CHECK_STR(c->namespace_, "root/test");
    CHECK_STR(c->description, "All <types>");
    CHECK_INT(c->flags, WMGW_CIM_Q_SUPPORTS_CREATE | WMGW_CIM_Q_SINGLETON);
    CHECK_INT(c->nprops, 7);
    static const char *const order[] = {"alpha", "ATags", "Flag", "Id", "PObject", "PRef", "zeta"};
    for (size_t i = 0; i < 7 && i < c->nprops; i++)
        CHECK_STR(c->props[i].name, order[i]);
    const struct wmgw_cim_propdecl *p = wmgw_cim_class_prop(c, "Id");
    CHECK(p && p->type == WMGW_CIM_STRING && p->flags == WMGW_CIM_Q_KEY && strcmp(p->description, "Instance name") == 0);
    p = wmgw_cim_class_prop(c, "zeta");
    CHECK(p && p->type == WMGW_CIM_UINT64 && p->flags == WMGW_CIM_Q_READ && !p->default_value.null &&
          p->default_value.u.u == UINT64_MAX);
    p = wmgw_cim_class_prop(c, "ATags");
    CHECK(p && p->type == (WMGW_CIM_STRING | WMGW_CIM_ARRAY) && p->flags == WMGW_CIM_Q_WRITE);
    CHECK(p && !p->default_value.null && p->default_value.u.arr.n == 2 &&
          strcmp(p->default_value.u.arr.v[1].u.str, "b") == 0);
    const struct wmgw_cim_prop *vm = p ? wmgw_cim_proplist_find(&p->qualifiers, "ValueMap") : NULL;
    CHECK(vm && vm->value.type == (WMGW_CIM_STRING | WMGW_CIM_ARRAY) && vm->value.u.arr.n == 2);
    p = wmgw_cim_class_prop(c, "PRef");
    CHECK(p && p->type == WMGW_CIM_REFERENCE && strcmp(p->ref_class, "Sim_Item") == 0 &&
          p->flags == WMGW_CIM_Q_REQUIRED);
    p = wmgw_cim_class_prop(c, "PObject");
    CHECK(p && p->type == WMGW_CIM_OBJECT && strcmp(p->ref_class, "Sim_Item") == 0);
    p = wmgw_cim_class_prop(c, "alpha");
    CHECK(p && p->type == WMGW_CIM_DATETIME && wmgw_cim_proplist_find(&p->qualifiers, "SubType") != NULL);
    p = wmgw_cim_class_prop(c, "Flag");
    CHECK(p && p->type == WMGW_CIM_BOOLEAN && !p->default_value.null && p->default_value.u.b);
    CHECK_INT(c->nmethods, 2);
    const struct wmgw_cim_method *m = wmgw_cim_class_method(c, "Echo");
    CHECK(m && m->return_type == WMGW_CIM_UINT32 && m->flags == WMGW_CIM_Q_STATIC && m->nparams == 5);
    if (m && m->nparams == 5) {
        CHECK_STR(m->params[0].name, "PString");
        CHECK_INT(m->params[0].flags, WMGW_CIM_Q_IN | WMGW_CIM_Q_OUT);
        CHECK_INT(m->params[1].type, WMGW_CIM_UINT64 | WMGW_CIM_ARRAY);
        CHECK_INT(m->params[2].type, WMGW_CIM_REFERENCE);
        CHECK_INT(m->params[2].flags, WMGW_CIM_Q_OUT);
        CHECK_INT(m->params[3].type, WMGW_CIM_REFERENCE | WMGW_CIM_ARRAY);
        CHECK_INT(m->params[4].type, WMGW_CIM_OBJECT);
    }
    m = wmgw_cim_class_method(c, "Touch");
    CHECK(m && m->return_type == WMGW_CIM_NONE && m->nparams == 0 && m->flags == 0);
    wmgw_cim_class_free(c);
}

static void test_bad_classes(void)
{
    static const char *const bad[] = {
        "<CLASS/>",
        "<CLASS NAME=\"a b\"/>",
        "<CLASS NAME=\"X\"><PROPERTY NAME=\"P\" TYPE=\"nonsense\"/></CLASS>",
        "<CLASS NAME=\"X\"><PROPERTY TYPE=\"string\"/></CLASS>",
        "<CLASS NAME=\"X\"><PROPERTY NAME=\"P&lt;\" TYPE=\"string\"/></CLASS>",
        "<CLASS NAME=\"X\"><PROPERTY NAME=\"P\" TYPE=\"string\"/><PROPERTY NAME=\"p\" TYPE=\"string\"/></CLASS>",
        "<CLASS NAME=\"X\"><METHOD TYPE=\"uint32\"/></CLASS>",
        "<NOTACLASS NAME=\"X\"/>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char xml[1024];
        snprintf(xml, sizeof(xml),
                 "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>%s</s:Body></s:Envelope>",
                 bad[i]);
        struct wmgw_cim_class *c = NULL;
        int rc = read(xml, &c);
        if (rc != WMGW_EPROTO)
            fprintf(stderr, "case %zu: %d\n", i, rc);
        CHECK_INT(rc, WMGW_EPROTO);
        CHECK(c == NULL);
    }
}

int main(void)
{
    WMGW_TEST_RUN(test_full_class);
    WMGW_TEST_RUN(test_bad_classes);
    return WMGW_TEST_DONE();
}
