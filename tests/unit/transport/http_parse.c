/*
 * http_parse.c: tests for translators/transport/http_parse.c, the
 * response parser: Content-Length, chunked and close-delimited bodies,
 * interim responses, keep-alive rules, captured fields, every limit, the
 * framing errors it must refuse, and that any split of the input parses
 * the same as the whole.
 */
#include "translators/transport/http_parse.h"
#include "util/err.h"

#include "../test.h"

struct result {
    int rc;
    size_t used;
    int status;
    bool keep_alive;
    char content_type[128];
    char www_authenticate[512];
    char body[4096];
    size_t body_len;
};

/* Parses text fed `step` bytes at a time (0: all at once), then EOF if
 * the parser still wants more and eof is set. */
static struct result parse_with(const char *text, size_t len, size_t step, size_t max, bool eof)
{
    struct result r;
    struct wmgw_http_response resp;
    struct wmgw_http_parser p;
    memset(&r, 0, sizeof(r));
    memset(&resp, 0, sizeof(resp));
    wmgw_buf_init(&resp.body, max);
    wmgw_http_parser_init(&p, &resp);
    size_t off = 0;
    r.rc = WMGW_HTTP_MORE;
    while (off < len && r.rc == WMGW_HTTP_MORE) {
        size_t n = step == 0 || step > len - off ? len - off : step, used = 0;
        r.rc = wmgw_http_parse(&p, text + off, n, &used);
        CHECK(used <= n);
        off += used;
        if (r.rc == WMGW_HTTP_MORE)
            CHECK(used == n);
    }
    if (r.rc == WMGW_HTTP_MORE && eof)
        r.rc = wmgw_http_parse_eof(&p);
    r.used = off;
    r.status = resp.status;
    r.keep_alive = p.keep_alive;
    strcpy(r.content_type, resp.content_type);
    strcpy(r.www_authenticate, resp.www_authenticate);
    if (resp.body.len < sizeof(r.body)) {
        memcpy(r.body, resp.body.data ? resp.body.data : "", resp.body.len);
        r.body_len = resp.body.len;
    }
    wmgw_http_parser_dispose(&p);
    wmgw_buf_dispose(&resp.body);
    return r;
}

static struct result parse(const char *text)
{
    return parse_with(text, strlen(text), 0, 1 << 16, false);
}

static struct result parse_eof(const char *text)
{
    return parse_with(text, strlen(text), 0, 1 << 16, true);
}

/* Whole, then byte by byte and in 3-byte steps: all must agree. */
static struct result parse_all_ways(const char *text, bool eof)
{
    size_t len = strlen(text);
    struct result whole = parse_with(text, len, 0, 1 << 16, eof);
    size_t steps[] = {1, 2, 3, 7};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct result r = parse_with(text, len, steps[i], 1 << 16, eof);
        CHECK_INT(r.rc, whole.rc);
        CHECK_INT(r.status, whole.status);
        CHECK_INT(r.used, whole.used);
        CHECK_INT(r.body_len, whole.body_len);
        CHECK(memcmp(r.body, whole.body, whole.body_len) == 0);
        CHECK_INT(r.keep_alive, whole.keep_alive);
    }
    return whole;
}

static void test_content_length(void)
{
    const char *t = "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
                    "Content-Length: 5\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\nhello";
    struct result r = parse_all_ways(t, false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.content_type, "application/soap+xml;charset=UTF-8");
    CHECK_INT(r.body_len, 5);
    CHECK(memcmp(r.body, "hello", 5) == 0);
    CHECK(r.keep_alive);
    CHECK_INT(r.used, strlen(t));

    r = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 0);
    /* Repeated identical lengths are one length. */
    r = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length:2\r\n\r\nab");
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 2);
}

static void test_leftover(void)
{
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 200 OK\r\n";
    struct result r = parse_all_ways(t, false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.used, strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"));
}

static void test_chunked(void)
{
    const char *t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n1;ext=\"x\"\r\n \r\nB ; a=b\r\nworld-wide!\r\n0\r\nX-Trailer: yes\r\n\r\n";
    struct result r = parse_all_ways(t, false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 17);
    CHECK(memcmp(r.body, "hello world-wide!", 17) == 0);
    CHECK(r.keep_alive);
    CHECK_INT(r.used, strlen(t));

    r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n");
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 0);
    /* LF-only line ends are read too. */
    r = parse_all_ways("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 3);
}

static void test_close_delimited(void)
{
    struct result r = parse_all_ways("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<a/>", true);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 4);
    CHECK(!r.keep_alive);
    /* Without the close it is not over yet. */
    r = parse("HTTP/1.1 200 OK\r\n\r\n<a/>");
    CHECK_INT(r.rc, WMGW_HTTP_MORE);
}

static void test_interim(void)
{
    const char *t = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\n"
                    "WWW-Authenticate: Basic realm=\"WSMAN\"\r\nContent-Length: 0\r\n\r\n";
    struct result r = parse_all_ways(t, false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.status, 401);
    CHECK_STR(r.www_authenticate, "Negotiate");

    char many[2048] = "";
    for (int i = 0; i <= WMGW_HTTP_INTERIM_MAX; i++)
        strcat(many, "HTTP/1.1 100 Continue\r\n\r\n");
    r = parse(many);
    CHECK_INT(r.rc, WMGW_EPROTO);
    r = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
    CHECK_INT(r.rc, WMGW_EPROTO);
}

static void test_no_body_statuses(void)
{
    struct result r = parse("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.body_len, 0);
    CHECK(r.keep_alive);
    r = parse("HTTP/1.1 304 Not Modified\r\n\r\n");
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
}

static void test_keep_alive_rules(void)
{
    CHECK(!parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive);
    CHECK(!parse("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n").keep_alive);
    CHECK(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive);
    CHECK(!parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
    CHECK(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive);
    struct result r = parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"); /* no reason phrase */
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_INT(r.status, 200);
}

static void test_captured_fields(void)
{
    char t[4096];
    char longval[1000];
    memset(longval, 'a', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    snprintf(t, sizeof(t), "HTTP/1.1 401 Unauthorized\r\nContent-Type:   text/plain  \r\nContent-Type: x/y\r\n"
                           "WWW-Authenticate: %s\r\nContent-Length: 0\r\n\r\n", longval);
    struct result r = parse(t);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);
    CHECK_STR(r.content_type, "text/plain");
    CHECK_INT(strlen(r.www_authenticate), 511);
    /* Fields of an interim response are not the final one's. */
    r = parse("HTTP/1.1 100 Continue\r\nContent-Type: a/b\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK_STR(r.content_type, "");
}

static void test_framing_errors(void)
{
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3x\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
        "HTTP/1.1 999 Huh\r\n\r\n",
        "HTTP/1.1 099 Huh\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/2 200\r\n\r\n",
        "HTTP/1.1 200 O\x7fK\r\n\r\n",
        "SSH-2.0-OpenSSH_9.2\r\n",
        "<html>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct result r = parse(bad[i]);
        if (r.rc != WMGW_EPROTO)
            fprintf(stderr, "case %zu: %s\n", i, bad[i]);
        CHECK_INT(r.rc, WMGW_EPROTO);
    }
    /* Not HTTP is seen within the first 7 bytes. */
    struct result r = parse_with("HTTX", 4, 0, 100, false);
    CHECK_INT(r.rc, WMGW_EPROTO);
}

static void test_limits(void)
{
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a";
    struct result r = parse_with(t, strlen(t), 0, 10, false);
    CHECK_INT(r.rc, WMGW_ETOOBIG);
    CHECK_INT(r.used, strlen(t) - 11); /* refused before reading the body */
    r = parse_with(t, strlen(t), 0, 11, false);
    CHECK_INT(r.rc, WMGW_HTTP_DONE);

    t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n";
    CHECK_INT(parse_with(t, strlen(t), 0, 10, false).rc, WMGW_ETOOBIG);
    CHECK_INT(parse_with(t, strlen(t), 1, 10, false).rc, WMGW_ETOOBIG);
    CHECK_INT(parse_with(t, strlen(t), 0, 11, false).rc, WMGW_HTTP_DONE);

    t = "HTTP/1.1 200 OK\r\n\r\n0123456789a";
    CHECK_INT(parse_with(t, strlen(t), 0, 10, true).rc, WMGW_ETOOBIG);

    /* A line over WMGW_HTTP_LINE_MAX; a head over WMGW_HTTP_HEAD_MAX; too many fields. */
    size_t big = WMGW_HTTP_HEAD_MAX + 1024;
    char *s = malloc(big + 1);
    strcpy(s, "HTTP/1.1 200 OK\r\nX: ");
    size_t at = strlen(s);
    memset(s + at, 'a', WMGW_HTTP_LINE_MAX);
    s[at + WMGW_HTTP_LINE_MAX] = '\0';
    CHECK_INT(parse(s).rc, WMGW_EPROTO);
    strcpy(s, "HTTP/1.1 200 OK\r\n");
    while (strlen(s) < WMGW_HTTP_HEAD_MAX)
        strcat(s, "X-Some-Field: 01234567890123456789012345678901234567890123456789012345678901234567890123456789"
                  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123\r\n");
    CHECK_INT(parse(s).rc, WMGW_EPROTO);
    strcpy(s, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= WMGW_HTTP_FIELDS_MAX; i++)
        strcat(s, "X: y\r\n");
    strcat(s, "\r\n");
    CHECK_INT(parse(s).rc, WMGW_EPROTO);
    free(s);
}

static void test_eof(void)
{
    CHECK_INT(parse_eof("").rc, WMGW_ECONN);
    CHECK_INT(parse_eof("HTTP/1.1 200").rc, WMGW_ECONN);
    CHECK_INT(parse_eof("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc").rc, WMGW_ECONN);
    CHECK_INT(parse_eof("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n").rc, WMGW_ECONN);
    CHECK_INT(parse_eof("HTTP/1.1 100 Continue\r\n\r\n").rc, WMGW_ECONN);
}

int main(void)
{
    WMGW_TEST_RUN(test_content_length);
    WMGW_TEST_RUN(test_leftover);
    WMGW_TEST_RUN(test_chunked);
    WMGW_TEST_RUN(test_close_delimited);
    WMGW_TEST_RUN(test_interim);
    WMGW_TEST_RUN(test_no_body_statuses);
    WMGW_TEST_RUN(test_keep_alive_rules);
    WMGW_TEST_RUN(test_captured_fields);
    WMGW_TEST_RUN(test_framing_errors);
    WMGW_TEST_RUN(test_limits);
    WMGW_TEST_RUN(test_eof);
    return WMGW_TEST_DONE();
}
