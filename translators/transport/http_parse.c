/*
 * http_parse.c: the HTTP/1.1 response parser of the backend client
 * (http_parse.h); a state machine fed any split of the byte stream.
 *
 * Head lines (status, fields, chunk sizes, trailers) are collected in one
 * bounded line buffer and handled whole; body bytes go straight into the
 * caller's bounded wmgw_buf.  Line ends are CRLF or a bare LF; a bare CR,
 * a control character, obs-fold, a Transfer-Encoding other than chunked,
 * Transfer-Encoding with Content-Length, or conflicting Content-Lengths are
 * EPROTO: a backend that sends them is broken or attacking the framing,
 * and guessing is how response smuggling starts.  A stream that does not
 * begin with "HTTP/1." is refused after 7 bytes, not after a full line.
 * Keep-alive: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive"; never after a close-delimited body.
 */
#include "translators/transport/http_parse.h"
#include "util/err.h"
#include "util/hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    S_STATUS,
    S_FIELD,
    S_BODY_LENGTH,
    S_CHUNK_SIZE,
    S_CHUNK_DATA,
    S_CHUNK_END,
    S_TRAILER,
    S_BODY_EOF,
    S_DONE,
    S_FAILED,
};

static int fail(struct wmgw_http_parser *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct wmgw_http_parser *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof(p->error), fmt, ap);
    va_end(ap);
    p->state = S_FAILED;
    return code;
}

static void start_head(struct wmgw_http_parser *p)
{
    p->state = S_STATUS;
    p->head_bytes = 0;
    p->fields = 0;
    p->conn_close = p->conn_keep_alive = p->chunked = p->has_length = false;
    p->length = 0;
    p->resp->status = 0;
    p->resp->content_type[0] = '\0';
    p->resp->www_authenticate[0] = '\0';
    p->resp->auth_challenge[0] = '\0';
}

void wmgw_http_parser_init(struct wmgw_http_parser *p, struct wmgw_http_response *resp)
{
    memset(p, 0, sizeof(*p));
    p->resp = resp;
    wmgw_buf_init(&p->line, WMGW_HTTP_LINE_MAX);
    wmgw_buf_reset(&resp->body);
    start_head(p);
}

void wmgw_http_parser_dispose(struct wmgw_http_parser *p)
{
    wmgw_buf_dispose(&p->line);
}

/* --- character classes (RFC 9110 5.6.2, 5.5) ------------------------------ */

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Copies a value into a fixed field, cut to fit (these are informational). */
static void copy_field(char *dst, size_t size, const char *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static bool ieq(const char *a, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(a, lit, n) == 0;
}

/* "Negotiate <token>" (or NTLM, Kerberos): a step of a GSSAPI handshake. */
static bool gss_challenge(const char *v, size_t n)
{
    static const char *const schemes[] = {"Negotiate ", "NTLM ", "Kerberos "};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t len = strlen(schemes[i]);
        if (n > len && strncasecmp(v, schemes[i], len) == 0)
            return true;
    }
    return false;
}

/* --- head ------------------------------------------------------------------- */

/* "HTTP/1.x NNN[ reason]" */
static int status_line(struct wmgw_http_parser *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return fail(p, WMGW_EPROTO, "not an HTTP/1.x status line");
    if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
        return fail(p, WMGW_EPROTO, "bad status code");
    if (n > 12 && s[12] != ' ')
        return fail(p, WMGW_EPROTO, "bad status line");
    for (size_t i = 13; i < n; i++)
        if (!is_field_char((unsigned char)s[i]))
            return fail(p, WMGW_EPROTO, "control character in the reason phrase");
    p->minor = s[7] - '0';
    p->resp->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    p->state = S_FIELD;
    return WMGW_HTTP_MORE;
}

static int content_length(struct wmgw_http_parser *p, const char *v, size_t n)
{
    uint64_t len = 0;
    if (n == 0 || n > 18) /* 18 digits cannot overflow */
        return fail(p, WMGW_EPROTO, "bad Content-Length");
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(p, WMGW_EPROTO, "bad Content-Length");
        len = len * 10 + (uint64_t)(v[i] - '0');
    }
    if (p->has_length && p->length != len)
        return fail(p, WMGW_EPROTO, "conflicting Content-Length fields");
    p->has_length = true;
    p->length = len;
    return WMGW_HTTP_MORE;
}

static void connection_options(struct wmgw_http_parser *p, const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i++;
        while (start < end && is_ows(v[start]))
            start++;
        while (end > start && is_ows(v[end - 1]))
            end--;
        if (ieq(v + start, end - start, "close"))
            p->conn_close = true;
        else if (ieq(v + start, end - start, "keep-alive"))
            p->conn_keep_alive = true;
    }
}

/* name ":" OWS value OWS; in a trailer only the shape is checked. */
static int field_line(struct wmgw_http_parser *p, const char *s, size_t n, bool trailer)
{
    if (++p->fields > WMGW_HTTP_FIELDS_MAX)
        return fail(p, WMGW_EPROTO, "more than %d header fields", WMGW_HTTP_FIELDS_MAX);
    if (is_ows(s[0]))
        return fail(p, WMGW_EPROTO, "obsolete line folding");
    size_t colon = 0;
    while (colon < n && is_tchar((unsigned char)s[colon]))
        colon++;
    if (colon == 0 || colon == n || s[colon] != ':')
        return fail(p, WMGW_EPROTO, "bad header field name");
    const char *v = s + colon + 1;
    size_t vn = n - colon - 1;
    for (size_t i = 0; i < vn; i++)
        if (!is_field_char((unsigned char)v[i]))
            return fail(p, WMGW_EPROTO, "control character in a header field");
    while (vn > 0 && is_ows(v[0]))
        v++, vn--;
    while (vn > 0 && is_ows(v[vn - 1]))
        vn--;
    if (trailer)
        return WMGW_HTTP_MORE;

    if (ieq(s, colon, "Content-Length"))
        return content_length(p, v, vn);
    if (ieq(s, colon, "Transfer-Encoding")) {
        if (p->chunked || !ieq(v, vn, "chunked"))
            return fail(p, WMGW_EPROTO, "unsupported Transfer-Encoding");
        p->chunked = true;
    } else if (ieq(s, colon, "Connection")) {
        connection_options(p, v, vn);
    } else if (ieq(s, colon, "Content-Type")) {
        if (p->resp->content_type[0] == '\0')
            copy_field(p->resp->content_type, sizeof(p->resp->content_type), v, vn);
    } else if (ieq(s, colon, "WWW-Authenticate")) {
        if (p->resp->www_authenticate[0] == '\0')
            copy_field(p->resp->www_authenticate, sizeof(p->resp->www_authenticate), v, vn);
        if (p->resp->auth_challenge[0] == '\0' && gss_challenge(v, vn))
            copy_field(p->resp->auth_challenge, sizeof(p->resp->auth_challenge), v, vn);
    }
    return WMGW_HTTP_MORE;
}

/* The empty line after the fields: decide how the body is delimited. */
static int end_of_head(struct wmgw_http_parser *p)
{
    struct wmgw_http_response *r = p->resp;
    if (r->status == 101)
        return fail(p, WMGW_EPROTO, "unexpected 101 Switching Protocols");
    if (r->status < 200) {
        if (++p->interim > WMGW_HTTP_INTERIM_MAX)
            return fail(p, WMGW_EPROTO, "more than %d interim responses", WMGW_HTTP_INTERIM_MAX);
        start_head(p);
        return WMGW_HTTP_MORE;
    }
    if (p->chunked && (p->has_length || p->minor == 0))
        return fail(p, WMGW_EPROTO, p->has_length ? "both Transfer-Encoding and Content-Length"
                                                  : "Transfer-Encoding in an HTTP/1.0 response");
    p->keep_alive = p->minor >= 1 ? !p->conn_close : (p->conn_keep_alive && !p->conn_close);
    if (r->status == 204 || r->status == 304) {
        p->state = S_DONE;
        return WMGW_HTTP_DONE;
    }
    if (p->chunked) {
        p->head_bytes = 0; /* now counts the trailer lines */
        p->fields = 0;
        p->state = S_CHUNK_SIZE;
        return WMGW_HTTP_MORE;
    }
    if (p->has_length) {
        if (p->length > r->body.max - r->body.len)
            return fail(p, WMGW_ETOOBIG, "body of %llu bytes over the limit of %zu", (unsigned long long)p->length,
                        r->body.max);
        p->remaining = p->length;
        p->state = p->length == 0 ? S_DONE : S_BODY_LENGTH;
        return p->length == 0 ? WMGW_HTTP_DONE : WMGW_HTTP_MORE;
    }
    p->keep_alive = false; /* the close is the only end */
    p->state = S_BODY_EOF;
    return WMGW_HTTP_MORE;
}

/* HEXDIG+ [BWS ";" extensions]; extensions are ignored. */
static int chunk_size_line(struct wmgw_http_parser *p, const char *s, size_t n)
{
    uint64_t size = 0;
    size_t i = 0;
    for (; i < n && wmgw_hex_value(s[i]) >= 0; i++) {
        if (i == 15) /* 15 hex digits stay below 2^60 */
            return fail(p, WMGW_EPROTO, "chunk size too long");
        size = size * 16 + (uint64_t)wmgw_hex_value(s[i]);
    }
    if (i == 0)
        return fail(p, WMGW_EPROTO, "bad chunk size");
    while (i < n && is_ows(s[i]))
        i++;
    if (i < n && s[i] != ';')
        return fail(p, WMGW_EPROTO, "bad chunk size");
    for (; i < n; i++)
        if (!is_field_char((unsigned char)s[i]))
            return fail(p, WMGW_EPROTO, "control character in a chunk extension");
    if (size == 0) {
        p->state = S_TRAILER;
        return WMGW_HTTP_MORE;
    }
    struct wmgw_buf *body = &p->resp->body;
    if (size > body->max - body->len)
        return fail(p, WMGW_ETOOBIG, "chunked body over the limit of %zu", body->max);
    p->remaining = size;
    p->state = S_CHUNK_DATA;
    return WMGW_HTTP_MORE;
}

/* One complete line (terminator removed). */
static int line(struct wmgw_http_parser *p, const char *s, size_t n)
{
    if (memchr(s, '\r', n) != NULL)
        return fail(p, WMGW_EPROTO, "bare CR");
    switch (p->state) {
    case S_STATUS:
        return status_line(p, s, n);
    case S_FIELD:
        return n == 0 ? end_of_head(p) : field_line(p, s, n, false);
    case S_CHUNK_SIZE:
        return chunk_size_line(p, s, n);
    case S_CHUNK_END:
        if (n != 0)
            return fail(p, WMGW_EPROTO, "chunk data longer than its size");
        p->state = S_CHUNK_SIZE;
        return WMGW_HTTP_MORE;
    case S_TRAILER:
        if (n == 0) {
            p->state = S_DONE;
            return WMGW_HTTP_DONE;
        }
        return field_line(p, s, n, true);
    }
    return fail(p, WMGW_EINTERNAL, "line in state %d", p->state);
}

static bool in_line_state(int state)
{
    return state == S_STATUS || state == S_FIELD || state == S_CHUNK_SIZE || state == S_CHUNK_END ||
           state == S_TRAILER;
}

/* Takes bytes up to and including the next LF; *used says how many. */
static int take_line(struct wmgw_http_parser *p, const char *data, size_t len, size_t *used)
{
    const char *lf = memchr(data, '\n', len);
    size_t n = lf != NULL ? (size_t)(lf - data) + 1 : len;
    *used = n;
    bool head = p->state == S_STATUS || p->state == S_FIELD || p->state == S_TRAILER;
    if (head && (p->head_bytes += n) > WMGW_HTTP_HEAD_MAX)
        return fail(p, WMGW_EPROTO, "response head over %d bytes", WMGW_HTTP_HEAD_MAX);
    if (wmgw_buf_add(&p->line, data, n) != 0)
        return fail(p, WMGW_EPROTO, "line over %d bytes", WMGW_HTTP_LINE_MAX);
    /* Not HTTP: say so at once rather than after a line's worth. */
    if (p->state == S_STATUS) {
        size_t k = p->line.len < 7 ? p->line.len : 7;
        if (memcmp(p->line.data, "HTTP/1.", k) != 0)
            return fail(p, WMGW_EPROTO, "not an HTTP/1.x response");
    }
    if (lf == NULL)
        return WMGW_HTTP_MORE;
    size_t ln = p->line.len - 1;
    if (ln > 0 && p->line.data[ln - 1] == '\r')
        ln--;
    int rc = line(p, p->line.data, ln);
    wmgw_buf_reset(&p->line);
    return rc;
}

/* Appends up to `want` body bytes. */
static int take_body(struct wmgw_http_parser *p, const char *data, size_t len, uint64_t want, size_t *used)
{
    size_t n = want < len ? (size_t)want : len;
    int rc = wmgw_buf_add(&p->resp->body, data, n);
    if (rc == WMGW_ETOOBIG)
        return fail(p, rc, "body over the limit of %zu", p->resp->body.max);
    if (rc != 0)
        return fail(p, rc, "out of memory for the body");
    *used = n;
    return WMGW_HTTP_MORE;
}

int wmgw_http_parse(struct wmgw_http_parser *p, const char *data, size_t len, size_t *used)
{
    size_t off = 0;
    int rc = WMGW_HTTP_MORE;
    if (p->state == S_DONE || p->state == S_FAILED) {
        *used = 0;
        return p->state == S_DONE ? WMGW_HTTP_DONE : fail(p, WMGW_EINTERNAL, "fed after the end");
    }
    while (off < len && rc == WMGW_HTTP_MORE) {
        size_t n = 0;
        if (in_line_state(p->state)) {
            rc = take_line(p, data + off, len - off, &n);
        } else if (p->state == S_BODY_LENGTH || p->state == S_CHUNK_DATA) {
            rc = take_body(p, data + off, len - off, p->remaining, &n);
            if (rc == WMGW_HTTP_MORE && (p->remaining -= n) == 0) {
                if (p->state == S_CHUNK_DATA) {
                    p->state = S_CHUNK_END;
                } else {
                    p->state = S_DONE;
                    rc = WMGW_HTTP_DONE;
                }
            }
        } else { /* S_BODY_EOF */
            rc = take_body(p, data + off, len - off, len - off, &n);
        }
        off += n;
    }
    *used = off;
    return rc;
}

int wmgw_http_parse_eof(struct wmgw_http_parser *p)
{
    if (p->state == S_BODY_EOF) {
        p->state = S_DONE;
        return WMGW_HTTP_DONE;
    }
    if (p->state == S_DONE)
        return WMGW_HTTP_DONE;
    if (p->state == S_STATUS && p->line.len == 0 && p->interim == 0)
        return fail(p, WMGW_ECONN, "connection closed before the response");
    return fail(p, WMGW_ECONN, "connection closed in the middle of the response");
}
