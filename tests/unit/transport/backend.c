/*
 * backend.c: tests for translators/backend.c: defaults, reference
 * counting, deep copies with a new id, protocol names both ways.
 */
#include "translators/backend.h"
#include "util/err.h"

#include "../test.h"

static void test_defaults(void)
{
    struct wmgw_backend *b = wmgw_backend_new("web01");
    CHECK_STR(b->name, "web01");
    CHECK(b->address == NULL);
    CHECK_INT(b->port, 5985);
    CHECK_STR(b->path, "/wsman");
    CHECK_INT(b->protocol, WMGW_PROTO_WSMV);
    CHECK(!b->tls && !b->tls_insecure);
    CHECK_INT(b->connect_timeout_ms, 5000);
    CHECK_INT(b->operation_timeout_ms, 60000);
    CHECK_INT(b->max_envelope_size, 512000);
    CHECK_INT(b->max_elements, 500);
    CHECK_INT(b->pool_size, 16);
    CHECK_INT(atomic_load(&b->refcnt), 1);
    struct wmgw_backend *c = wmgw_backend_new(NULL);
    CHECK(c->name == NULL);
    CHECK(c->id != b->id && c->id != 0 && b->id != 0);
    wmgw_backend_unref(c);
    wmgw_backend_unref(b);
}

static void test_refs_and_copy(void)
{
    struct wmgw_backend *b = wmgw_backend_new("web01");
    b->address = strdup("10.0.0.5");
    b->user = strdup("alice");
    b->password = strdup("secret");
    b->tls = true;
    b->tls_name = strdup("web01.corp.example");
    b->pool_size = 9;
    CHECK(wmgw_backend_ref(b) == b);
    CHECK_INT(atomic_load(&b->refcnt), 2);
    wmgw_backend_unref(b);
    struct wmgw_backend *c = wmgw_backend_copy(b);
    CHECK(c->id != b->id);
    CHECK_INT(atomic_load(&c->refcnt), 1);
    CHECK(c->address != b->address);
    CHECK_STR(c->address, "10.0.0.5");
    CHECK_STR(c->password, "secret");
    CHECK_STR(c->tls_name, "web01.corp.example");
    CHECK(c->ca_file == NULL);
    CHECK(c->tls);
    CHECK_INT(c->pool_size, 9);
    wmgw_backend_unref(b);
    CHECK_STR(c->name, "web01");
    wmgw_backend_unref(c);
    wmgw_backend_unref(NULL);
}

static void test_protocol_names(void)
{
    enum wmgw_protocol p;
    const enum wmgw_protocol all[] = {WMGW_PROTO_AUTO, WMGW_PROTO_WSMV, WMGW_PROTO_WSMAN2003, WMGW_PROTO_DCOM};
    for (size_t i = 0; i < 4; i++) {
        CHECK_INT(wmgw_protocol_parse(wmgw_protocol_name(all[i]), &p), 0);
        CHECK_INT(p, all[i]);
    }
    CHECK_STR(wmgw_protocol_name(WMGW_PROTO_WSMAN2003), "wsman2003");
    CHECK_INT(wmgw_protocol_parse("WSMV", &p), 0);
    CHECK_INT(p, WMGW_PROTO_WSMV);
    CHECK_INT(wmgw_protocol_parse("winrm", &p), WMGW_EINVAL);
    CHECK_INT(wmgw_protocol_parse("", &p), WMGW_EINVAL);
    CHECK_INT(wmgw_protocol_parse(NULL, &p), WMGW_EINVAL);
    CHECK_STR(wmgw_protocol_name((enum wmgw_protocol)42), "unknown");
}

int main(void)
{
    WMGW_TEST_RUN(test_defaults);
    WMGW_TEST_RUN(test_refs_and_copy);
    WMGW_TEST_RUN(test_protocol_names);
    return WMGW_TEST_DONE();
}
