/*
 * fuzz_http_response.c: libFuzzer target for the backend response parser
 * (translators/transport/http_parse.h).
 *
 * Each input is a byte stream from a backend.  It is parsed whole and again
 * in pieces (sizes drawn from a generator seeded by the input), under a
 * large and under a small body limit; then EOF is signalled if the parser
 * still wants bytes.  Any split must give the same outcome, status, body,
 * keep-alive verdict and consumed length; and a body that fits the small
 * limit must parse identically under it, one that does not must be
 * WMGW_ETOOBIG.  A difference aborts.  ASan checks every bound on the way.
 */
#include "translators/transport/http_parse.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG_LIMIT (1u << 20)

struct outcome {
    int rc;
    size_t used;
    int status;
    bool keep_alive;
    char content_type[128];
    char www_authenticate[512];
    char *body;
    size_t body_len;
};

/* A small generator, so that splits are reproducible from the input. */
static uint32_t next(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}

static struct outcome run(const uint8_t *data, size_t size, size_t limit, uint32_t seed)
{
    struct outcome o;
    struct wmgw_http_response resp;
    struct wmgw_http_parser p;
    memset(&o, 0, sizeof(o));
    memset(&resp, 0, sizeof(resp));
    wmgw_buf_init(&resp.body, limit);
    wmgw_http_parser_init(&p, &resp);
    size_t off = 0;
    o.rc = WMGW_HTTP_MORE;
    while (off < size && o.rc == WMGW_HTTP_MORE) {
        size_t n = size - off, used = 0;
        if (seed != 0)
            n = 1 + next(&seed) % (n < 64 ? n : 64);
        o.rc = wmgw_http_parse(&p, (const char *)data + off, n, &used);
        if (used > n || (o.rc == WMGW_HTTP_MORE && used != n))
            abort();
        off += used;
    }
    if (o.rc == WMGW_HTTP_MORE)
        o.rc = wmgw_http_parse_eof(&p);
    if (resp.body.len > limit)
        abort();
    o.used = off;
    o.status = resp.status;
    o.keep_alive = p.keep_alive;
    memcpy(o.content_type, resp.content_type, sizeof(o.content_type));
    memcpy(o.www_authenticate, resp.www_authenticate, sizeof(o.www_authenticate));
    if (strlen(o.content_type) >= sizeof(o.content_type) || strlen(o.www_authenticate) >= sizeof(o.www_authenticate))
        abort();
    o.body = wmgw_buf_steal(&resp.body, &o.body_len);
    wmgw_http_parser_dispose(&p);
    wmgw_buf_dispose(&resp.body);
    return o;
}

static void same(const struct outcome *a, const struct outcome *b, const char *what)
{
    bool eq = a->rc == b->rc;
    if (eq && a->rc == WMGW_HTTP_DONE)
        eq = a->used == b->used && a->status == b->status && a->keep_alive == b->keep_alive &&
             a->body_len == b->body_len && (a->body_len == 0 || memcmp(a->body, b->body, a->body_len) == 0) &&
             strcmp(a->content_type, b->content_type) == 0 &&
             strcmp(a->www_authenticate, b->www_authenticate) == 0;
    if (!eq) {
        fprintf(stderr, "fuzz_http_response: %s: rc %d vs %d, status %d vs %d, body %zu vs %zu\n", what, a->rc,
                b->rc, a->status, b->status, a->body_len, b->body_len);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 16777619u;
    seed |= 1; /* 0 means "whole" */
    size_t small = seed % 300;

    struct outcome whole = run(data, size, BIG_LIMIT, 0);
    struct outcome split = run(data, size, BIG_LIMIT, seed);
    same(&whole, &split, "split differs");
    struct outcome tiny = run(data, size, small, seed);
    if (whole.rc == WMGW_HTTP_DONE) {
        if (whole.body_len <= small)
            same(&whole, &tiny, "small limit changed a fitting response");
        else if (tiny.rc != WMGW_ETOOBIG)
            abort();
    }
    free(whole.body);
    free(split.body);
    free(tiny.body);
    return 0;
}
