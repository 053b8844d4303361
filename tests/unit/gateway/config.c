/*
 * Tests of gateway/config.c: the file format, bounds and messages with
 * file:line, environment overrides, host settings shared with the REST API.
 */
#include "gateway/config.h"
#include "tests/unit/test.h"
#include "translators/backend.h"
#include "util/err.h"

static struct wmgw_config *parse(const char *text, int *rc, struct wmgw_err *err)
{
    struct wmgw_config *c = wmgw_config_new();
    wmgw_err_clear(err);
    *rc = wmgw_config_parse(c, "t.conf", text, strlen(text), err);
    if (*rc == 0)
        *rc = wmgw_config_validate(c, err);
    return c;
}

static void test_full_file(void)
{
    struct wmgw_err err;
    int rc;
    struct wmgw_config *c = parse("# comment\n"
                                  "[server]\n"
                                  "listen = 127.0.0.1:8080\n"
                                  "listen = [::1]:8443 tls\n"
                                  "tls-cert = /c.pem\n"
                                  "tls-key = /k.pem\n"
                                  "workers = 3\n"
                                  "shutdown-timeout = 2.5s\n"
                                  "max-request-body = 2MiB\n"
                                  "cors-origin = https://a.example, https://b.example\n"
                                  "[backend]\n"
                                  "operation-timeout = 30s   # trailing comment\n"
                                  "[host dc01]\n"
                                  "address = 10.0.0.5\n"
                                  "scheme = https\n"
                                  "user = svc\n"
                                  "password = p#ss word\n"
                                  "groups = dc, prod\n"
                                  "[host  web01 ]\n"
                                  "address = localhost\n",
                                  &rc, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(c->nlisten, 2);
    CHECK_STR(c->listen[1].address, "::1");
    CHECK(c->listen[1].tls);
    CHECK_INT(c->workers, 3);
    CHECK_INT(c->shutdown_timeout_ms, 2500);
    CHECK_INT(c->max_request_body, 2u << 20);
    CHECK_INT(c->ncors, 2);
    CHECK_STR(c->cors_origins[1], "https://b.example");
    CHECK_INT(c->nhosts, 2);
    const struct wmgw_backend *b = c->hosts[0].backend;
    CHECK_STR(b->name, "dc01");
    CHECK(b->tls);
    CHECK_INT(b->port, 5986); /* https moves the default port */
    CHECK_INT(b->operation_timeout_ms, 30000); /* from [backend] */
    CHECK_STR(b->password, "p#ss word");      /* '#' without a space before is data */
    CHECK_INT(c->hosts[0].ngroups, 2);
    CHECK_STR(c->hosts[0].groups[1], "prod");
    CHECK_STR(c->hosts[1].backend->name, "web01");
    CHECK(c->hosts[1].backend->ip != NULL); /* names are resolved when configured */
    wmgw_config_free(c);
}

static void test_errors_name_the_line(void)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[server]\nworkers = 0\n", "t.conf:2: workers: want a whole number from 1 to 256"},
        {"[server]\nlisten = nowhere\n", "t.conf:2: listen: want ADDR:PORT"},
        {"[server]\nbogus = 1\n", "t.conf:2: [server]: unknown key \"bogus\""},
        {"listen = 1.2.3.4:5\n", "t.conf:1: listen: outside of any [section]"},
        {"[servr]\n", "t.conf:1: unknown section [servr]"},
        {"[host bad/name]\n", "t.conf:1: host name"},
        {"[host a]\naddress = x\n[backend]\nport = 1\n", "t.conf:4: [backend] must come before the first [host]"},
        {"[host a]\naddress = x\noperation-timeout = soon\n", "t.conf:3: operation-timeout: want a duration"},
        {"[host a]\nuser = u\naddress = x\n", "host a: give both user and password"},
        {"[host a]\nport = 80\n", "host a: no address"},
        {"[server]\nlisten = 1.2.3.4:5 tls\n", "set tls-cert and tls-key"},
        {"[server]\ncursor-secret = abc\n", "cursor-secret: at least 32 hex digits"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wmgw_err err;
        int rc;
        struct wmgw_config *c = parse(cases[i].text, &rc, &err);
        CHECK_INT(rc, WMGW_ECONFIG);
        if (strstr(err.message, cases[i].message) == NULL)
            fprintf(stderr, "case %zu: \"%s\" lacks \"%s\"\n", i, err.message, cases[i].message);
        CHECK(strstr(err.message, cases[i].message) != NULL);
        wmgw_config_free(c);
    }
}

static void test_bounds(void)
{
    struct wmgw_err err;
    struct wmgw_config *c = wmgw_config_new();
    char *big = malloc((5u << 20) + 1);
    memset(big, '#', 5u << 20);
    big[5u << 20] = '\0';
    CHECK_INT(wmgw_config_parse(c, "big", big, 5u << 20, &err), WMGW_ECONFIG);
    char line[5000];
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    CHECK_INT(wmgw_config_parse(c, "long", line, strlen(line), &err), WMGW_ECONFIG);
    CHECK(strstr(err.message, "line longer") != NULL);
    static const char nul[] = "[server]\nworkers = 2\0\n";
    CHECK_INT(wmgw_config_parse(c, "nul", nul, sizeof(nul) - 1, &err), WMGW_ECONFIG);
    free(big);
    wmgw_config_free(c);
}

static void test_environment(void)
{
    struct wmgw_err err;
    int rc;
    struct wmgw_config *c = parse("[host dc01]\naddress = 10.0.0.5\n[host dc01-b]\naddress = 10.0.0.6\n", &rc, &err);
    CHECK_INT(rc, 0);
    char *env[] = {"PATH=/bin",
                   "WMGW_HOST_DC01_B_PASSWORD=b-secret", /* longest host name wins */
                   "WMGW_HOST_DC01_USER=svc",
                   "WMGW_HOST_DC01_PASSWORD=secret",
                   "WMGW_HOST_DC01_B_USER=svc2",
                   "WMGW_SERVER_LISTEN=127.0.0.1:9000, 127.0.0.1:9001",
                   "WMGW_BACKEND_MAX_ELEMENTS=50",
                   "WMGW_SERVER_HTTP2_MAX_STREAMS=8",
                   NULL};
    CHECK_INT(wmgw_config_apply_env(c, env, &err), 0);
    CHECK_STR(c->hosts[0].backend->password, "secret");
    CHECK_STR(c->hosts[1].backend->password, "b-secret");
    CHECK_STR(c->hosts[1].backend->user, "svc2");
    CHECK_INT(c->nlisten, 2);
    CHECK_INT(c->listen[1].port, 9001);
    CHECK_INT(c->hosts[0].backend->max_elements, 50);
    CHECK_INT(c->defaults->max_elements, 50);
    CHECK_INT(c->http2_max_streams, 8);
    char *bad[] = {"WMGW_HOST_NOPE_USER=x", NULL};
    CHECK_INT(wmgw_config_apply_env(c, bad, &err), WMGW_ECONFIG);
    char *bad2[] = {"WMGW_SERVER_WORKERS=lots", NULL};
    CHECK_INT(wmgw_config_apply_env(c, bad2, &err), WMGW_ECONFIG);
    wmgw_config_free(c);
}

static void test_parsers(void)
{
    unsigned ms;
    size_t sz;
    CHECK_INT(wmgw_parse_duration_ms("500ms", &ms), 0);
    CHECK_INT(ms, 500);
    CHECK_INT(wmgw_parse_duration_ms("2m", &ms), 0);
    CHECK_INT(ms, 120000);
    CHECK_INT(wmgw_parse_duration_ms("-1s", &ms), WMGW_EINVAL);
    CHECK_INT(wmgw_parse_duration_ms("5 years", &ms), WMGW_EINVAL);
    CHECK_INT(wmgw_parse_duration_ms("99999999h", &ms), WMGW_EINVAL);
    CHECK_INT(wmgw_parse_size("64KiB", &sz), 0);
    CHECK_INT(sz, 65536);
    CHECK_INT(wmgw_parse_size("-5", &sz), WMGW_EINVAL);
    CHECK_INT(wmgw_parse_size("99999999999999999999GiB", &sz), WMGW_EINVAL);
    CHECK(wmgw_host_name_valid("dc01.corp_x-1"));
    CHECK(!wmgw_host_name_valid("-x"));
    CHECK(!wmgw_host_name_valid("a/b"));
    CHECK(!wmgw_host_name_valid(""));
}

int main(void)
{
    WMGW_TEST_RUN(test_full_file);
    WMGW_TEST_RUN(test_errors_name_the_line);
    WMGW_TEST_RUN(test_bounds);
    WMGW_TEST_RUN(test_environment);
    WMGW_TEST_RUN(test_parsers);
    return WMGW_TEST_DONE();
}
