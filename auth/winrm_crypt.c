/*
 * winrm_crypt.c: the multipart/encrypted framing of WinRM message
 * encryption (winrm_crypt.h has the layout), independent of the security
 * layer that wraps the messages.  design.md: translators/transport calls
 * it after authentication on plain-HTTP connections; tests/sim calls it on
 * the server side.
 *
 * Decoding walks the body once with a cursor: boundary line, metadata
 * headers, boundary line, the octet-stream header, the length field, the
 * wrapped message up to the next boundary, and again for each part pair.
 * The wrapped message normally ends exactly at 4 + header + Length bytes
 * (checked first, so ciphertext that happens to contain the boundary
 * cannot cut it short); when it does not (padding, CredSSP's TLS records)
 * it ends at the next boundary.
 */
#include "auth/winrm_crypt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DASHES "--"
#define MARK "--" WMGW_WINRM_BOUNDARY        /* what pywinrm and Windows write */
#define MARK_SPACED "-- " WMGW_WINRM_BOUNDARY /* the WSMV 4.5 example, Exchange */
#define MAX_HEADER_LINES 16
#define MAX_LINE 1024
#define MAX_CONTENT_TYPE 1024

static const char *const protocol_names[] = {
    [WMGW_WINRM_SPNEGO] = "application/HTTP-SPNEGO-session-encrypted",
    [WMGW_WINRM_KERBEROS] = "application/HTTP-Kerberos-session-encrypted",
    [WMGW_WINRM_CREDSSP] = "application/HTTP-CredSSP-session-encrypted",
};

static bool known(enum wmgw_winrm_protocol p)
{
    return p == WMGW_WINRM_SPNEGO || p == WMGW_WINRM_KERBEROS || p == WMGW_WINRM_CREDSSP;
}

const char *wmgw_winrm_protocol_name(enum wmgw_winrm_protocol p)
{
    return known(p) ? protocol_names[p] : NULL;
}

const char *wmgw_winrm_content_type(enum wmgw_winrm_protocol p, size_t plain_len)
{
    switch (p) {
    case WMGW_WINRM_SPNEGO:
        return "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";"
               "boundary=\"Encrypted Boundary\"";
    case WMGW_WINRM_KERBEROS:
        return "multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\";"
               "boundary=\"Encrypted Boundary\"";
    case WMGW_WINRM_CREDSSP:
        return plain_len > WMGW_WINRM_CREDSSP_CHUNK
                   ? "multipart/x-multi-encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\";"
                     "boundary=\"Encrypted Boundary\""
                   : "multipart/encrypted;protocol=\"application/HTTP-CredSSP-session-encrypted\";"
                     "boundary=\"Encrypted Boundary\"";
    }
    return NULL;
}

/* ---- Content-Type ---- */

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *trim_end(const char *s, const char *end)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return end;
}

static bool span_is(const char *s, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - s) == n && strncasecmp(s, word, n) == 0;
}

int wmgw_winrm_parse_content_type(const char *value, enum wmgw_winrm_protocol *p, struct wmgw_err *err)
{
    size_t n = value != NULL ? strnlen(value, MAX_CONTENT_TYPE + 1) : 0;
    if (n > MAX_CONTENT_TYPE)
        return wmgw_err_set_at(err, WMGW_EINVAL, MAX_CONTENT_TYPE, "Content-Type longer than %d bytes",
                               MAX_CONTENT_TYPE);
    const char *s = value != NULL ? value : "", *end = s + n;
    const char *semi = memchr(s, ';', n);
    const char *t = skip_ws(s, end), *t_end = trim_end(t, semi ? semi : end);
    if (!span_is(t, t_end, "multipart/encrypted") && !span_is(t, t_end, "multipart/x-multi-encrypted"))
        return wmgw_err_set(err, WMGW_ENOTFOUND, "not an encrypted body");
    enum wmgw_winrm_protocol proto = 0;
    bool boundary = false;
    for (const char *q = semi; q != NULL && q < end;) {
        const char *name = skip_ws(q + 1, end);
        const char *next = memchr(name, ';', (size_t)(end - name));
        const char *eq = memchr(name, '=', (size_t)((next ? next : end) - name));
        if (eq == NULL) {
            if (skip_ws(name, next ? next : end) == (next ? next : end)) {
                q = next; /* an empty parameter: "a;;b" or a trailing ';' */
                continue;
            }
            return wmgw_err_set_at(err, WMGW_EINVAL, name - s, "Content-Type: parameter without '='");
        }
        const char *v = skip_ws(eq + 1, end), *v_end;
        if (v < end && *v == '"') {
            v_end = memchr(v + 1, '"', (size_t)(end - v - 1));
            if (v_end == NULL)
                return wmgw_err_set_at(err, WMGW_EINVAL, v - s, "Content-Type: unterminated quoted value");
            v++;
            next = memchr(v_end, ';', (size_t)(end - v_end));
            if (skip_ws(v_end + 1, next ? next : end) != (next ? next : end))
                return wmgw_err_set_at(err, WMGW_EINVAL, v_end + 1 - s, "Content-Type: text after a quoted value");
        } else {
            v_end = trim_end(v, next ? next : end);
        }
        const char *name_end = trim_end(name, eq);
        if (span_is(name, name_end, "protocol")) {
            proto = 0;
            for (int i = WMGW_WINRM_SPNEGO; i <= WMGW_WINRM_CREDSSP; i++) {
                if (span_is(v, v_end, protocol_names[i]))
                    proto = (enum wmgw_winrm_protocol)i;
            }
            if (proto == 0)
                return wmgw_err_set_at(err, WMGW_EINVAL, v - s, "Content-Type: unknown protocol \"%.*s\"",
                                       (int)(v_end - v > 80 ? 80 : v_end - v), v);
        } else if (span_is(name, name_end, "boundary")) {
            if ((size_t)(v_end - v) != strlen(WMGW_WINRM_BOUNDARY) ||
                memcmp(v, WMGW_WINRM_BOUNDARY, (size_t)(v_end - v)) != 0)
                return wmgw_err_set_at(err, WMGW_EINVAL, v - s, "Content-Type: boundary must be \"%s\"",
                                       WMGW_WINRM_BOUNDARY);
            boundary = true;
        }
        q = next;
    }
    if (proto == 0)
        return wmgw_err_set(err, WMGW_EINVAL, "Content-Type: encrypted body without a protocol");
    if (!boundary)
        return wmgw_err_set(err, WMGW_EINVAL, "Content-Type: encrypted body without a boundary");
    *p = proto;
    return 0;
}

/* ---- encoding ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int encrypt_part(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, const char *charset,
                        const uint8_t *plain, size_t len, struct wmgw_buf *body, struct wmgw_err *err)
{
    static const uint8_t zero[4];
    if (wmgw_buf_printf(body,
                        MARK "\r\n\tContent-Type: %s\r\n"
                             "\tOriginalContent: type=application/soap+xml;charset=%s;Length=%zu\r\n" MARK "\r\n"
                             "\tContent-Type: application/octet-stream\r\n",
                        protocol_names[p], charset, len) != 0 ||
        wmgw_buf_add(body, zero, 4) != 0)
        return wmgw_err_set(err, WMGW_ETOOBIG, "encrypted body does not fit its buffer");
    size_t field = body->len - 4;
    uint32_t hdr_len = 0;
    int rc = sec->wrap(sec->ctx, plain, len, body, &hdr_len, err);
    if (rc != 0)
        return rc;
    if (hdr_len > body->len - field - 4)
        return wmgw_err_set(err, WMGW_EINTERNAL, "wrap reported a header longer than what it wrote");
    put_le32((uint8_t *)body->data + field, hdr_len);
    return 0;
}

int wmgw_winrm_encrypt(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, const char *charset,
                       const uint8_t *plain, size_t len, struct wmgw_buf *body, struct wmgw_err *err)
{
    if (!known(p))
        return wmgw_err_set(err, WMGW_EINVAL, "unknown WinRM encryption protocol %d", (int)p);
    if (charset == NULL)
        charset = "UTF-8";
    if (strcmp(charset, "UTF-8") != 0 && strcmp(charset, "UTF-16") != 0)
        return wmgw_err_set(err, WMGW_EINVAL, "charset must be UTF-8 or UTF-16");
    size_t start = body->len;
    /* Only CredSSP chunks (MS-WSMV 2.2.9.1.3.2), and only above 16 KiB. */
    size_t chunk = p == WMGW_WINRM_CREDSSP && len > WMGW_WINRM_CREDSSP_CHUNK ? WMGW_WINRM_CREDSSP_CHUNK : len;
    int rc = 0;
    size_t off = 0;
    do {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = encrypt_part(sec, p, charset, plain + off, n, body, err);
        off += n;
    } while (rc == 0 && off < len);
    if (rc == 0 && wmgw_buf_addstr(body, MARK "--\r\n") != 0)
        rc = wmgw_err_set(err, WMGW_ETOOBIG, "encrypted body does not fit its buffer");
    if (rc != 0) {
        body->len = start; /* as it was */
        if (body->data != NULL)
            body->data[start] = '\0';
    }
    return rc;
}

/* ---- decoding ---- */

struct cur {
    const uint8_t *p;
    size_t len, pos;
};

static bool at(const struct cur *c, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return pos <= c->len && c->len - pos >= n && memcmp(c->p + pos, s, n) == 0;
}

/* Length of the boundary marker at pos (either spelling), or 0. */
static size_t mark_at(const struct cur *c, size_t pos)
{
    if (at(c, pos, MARK))
        return strlen(MARK);
    if (at(c, pos, MARK_SPACED))
        return strlen(MARK_SPACED);
    return 0;
}

/* The first marker at or after from, or len when there is none. */
static size_t find_mark(const struct cur *c, size_t from)
{
    for (size_t i = from; i < c->len; i++) {
        const uint8_t *dash = memchr(c->p + i, '-', c->len - i);
        if (dash == NULL)
            break;
        i = (size_t)(dash - c->p);
        if (mark_at(c, i) != 0)
            return i;
    }
    return c->len;
}

/* A boundary line: the marker and CRLF. */
static int boundary_line(struct cur *c, const char *where, struct wmgw_err *err)
{
    size_t m = mark_at(c, c->pos);
    if (m == 0)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)c->pos, "expected \"%s\" %s", MARK, where);
    if (!at(c, c->pos + m, "\r\n"))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)(c->pos + m), "expected CRLF after the boundary %s", where);
    c->pos += m + 2;
    return 0;
}

/* One header line "[WS]Name:[WS]value CRLF"; name and value are views. */
static int header_line(struct cur *c, const char **name, size_t *name_len, const char **value, size_t *value_len,
                       struct wmgw_err *err)
{
    size_t start = c->pos, limit = c->len - start < MAX_LINE ? c->len - start : MAX_LINE;
    const uint8_t *crlf = NULL;
    for (size_t i = 0; i + 1 < limit; i++) {
        if (c->p[start + i] == '\r' && c->p[start + i + 1] == '\n') {
            crlf = c->p + start + i;
            break;
        }
    }
    if (crlf == NULL)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start,
                               limit == MAX_LINE ? "part header line longer than %d bytes"
                                                 : "part header line without CRLF (%d bytes at most)",
                               MAX_LINE);
    const char *s = (const char *)c->p + start, *end = (const char *)crlf;
    s = skip_ws(s, end);
    if (s >= end)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "part header line without a name and ':'");
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (colon == NULL || colon == s)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "part header line without a name and ':'");
    for (const char *q = s; q < end; q++) {
        if ((unsigned char)*q < 0x20 && *q != '\t')
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)((const uint8_t *)q - c->p),
                                   "control character in a part header");
    }
    *name = s;
    *name_len = (size_t)(colon - s);
    *value = skip_ws(colon + 1, end);
    *value_len = (size_t)(trim_end(*value, end) - *value);
    c->pos = (size_t)(crlf - c->p) + 2;
    return 0;
}

struct meta {
    bool have_type, have_length;
    size_t length;
    char charset[WMGW_WINRM_CHARSET_MAX];
};

/* "type=application/soap+xml;charset=UTF-8;Length=705" */
static int original_content(const struct cur *c, const char *v, size_t n, struct meta *m, struct wmgw_err *err)
{
    const char *end = v + n;
    for (const char *q = v; q < end;) {
        const char *semi = memchr(q, ';', (size_t)(end - q));
        const char *item_end = semi ? semi : end;
        const char *name = skip_ws(q, item_end);
        const char *eq = name < item_end ? memchr(name, '=', (size_t)(item_end - name)) : NULL;
        long pos = (long)((const uint8_t *)name - c->p);
        if (eq != NULL) {
            const char *val = skip_ws(eq + 1, item_end), *val_end = trim_end(val, item_end);
            const char *name_end = trim_end(name, eq);
            if (span_is(name, name_end, "Length")) {
                size_t len = 0, digits = (size_t)(val_end - val);
                if (digits == 0 || digits > 10)
                    return wmgw_err_set_at(err, WMGW_EINVAL, pos, "OriginalContent: Length needs 1 to 10 digits");
                for (const char *d = val; d < val_end; d++) {
                    if (*d < '0' || *d > '9')
                        return wmgw_err_set_at(err, WMGW_EINVAL, (long)((const uint8_t *)d - c->p),
                                               "OriginalContent: Length is not a decimal number");
                    len = len * 10 + (size_t)(*d - '0');
                }
                if (len > c->len)
                    return wmgw_err_set_at(err, WMGW_EINVAL, pos,
                                           "OriginalContent: Length %zu is more than the body's %zu bytes", len,
                                           c->len);
                m->length = len;
                m->have_length = true;
            } else if (span_is(name, name_end, "charset")) {
                size_t cn = (size_t)(val_end - val);
                if (cn == 0 || cn >= WMGW_WINRM_CHARSET_MAX)
                    return wmgw_err_set_at(err, WMGW_EINVAL, pos, "OriginalContent: charset of %zu bytes", cn);
                for (size_t i = 0; i < cn; i++) {
                    char ch = val[i];
                    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                          ch == '-' || ch == '_'))
                        return wmgw_err_set_at(err, WMGW_EINVAL, pos, "OriginalContent: bad charset");
                }
                memcpy(m->charset, val, cn);
                m->charset[cn] = '\0';
            }
        } else if (skip_ws(name, item_end) != item_end) {
            return wmgw_err_set_at(err, WMGW_EINVAL, pos, "OriginalContent: item without '='");
        }
        q = semi ? semi + 1 : end;
    }
    if (!m->have_length)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)((const uint8_t *)v - c->p), "OriginalContent without Length");
    return 0;
}

/* The metadata part: header lines up to the next boundary line. */
static int metadata(struct cur *c, enum wmgw_winrm_protocol p, struct meta *m, struct wmgw_err *err)
{
    memset(m, 0, sizeof(*m));
    for (int lines = 0; mark_at(c, c->pos) == 0; lines++) {
        if (lines == MAX_HEADER_LINES)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)c->pos, "more than %d metadata header lines",
                                   MAX_HEADER_LINES);
        size_t line = c->pos, name_len, value_len;
        const char *name, *value;
        int rc = header_line(c, &name, &name_len, &value, &value_len, err);
        if (rc != 0)
            return rc;
        const char *name_end = name + name_len, *value_end = value + value_len;
        if (span_is(name, name_end, "Content-Type")) {
            /* SPNEGO and Kerberos bodies may name either (WSMV 2.2.9.1.2.2.1). */
            bool ok = p == WMGW_WINRM_CREDSSP ? span_is(value, value_end, protocol_names[WMGW_WINRM_CREDSSP])
                                              : span_is(value, value_end, protocol_names[WMGW_WINRM_SPNEGO]) ||
                                                    span_is(value, value_end, protocol_names[WMGW_WINRM_KERBEROS]);
            if (!ok)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)line, "metadata Content-Type \"%.*s\" is not %s",
                                       (int)(value_len > 80 ? 80 : value_len), value, protocol_names[p]);
            m->have_type = true;
        } else if (span_is(name, name_end, "OriginalContent")) {
            if (m->have_length)
                return wmgw_err_set_at(err, WMGW_EINVAL, (long)line, "OriginalContent given twice");
            rc = original_content(c, value, value_len, m, err);
            if (rc != 0)
                return rc;
        } /* other headers are informational */
        if (c->pos >= c->len)
            break;
    }
    if (!m->have_type)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)c->pos, "metadata part without Content-Type");
    if (!m->have_length)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)c->pos, "metadata part without OriginalContent");
    if (m->charset[0] == '\0')
        memcpy(m->charset, "UTF-8", 6);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The octet-stream part: its header line, the length field and the
 * wrapped message; leaves the cursor on the boundary after it. */
static int encrypted_part(struct cur *c, const struct wmgw_winrm_sec *sec, const struct meta *m, uint8_t *body,
                          struct wmgw_buf *plain, struct wmgw_err *err)
{
    size_t line = c->pos, name_len, value_len;
    const char *name, *value;
    int rc = header_line(c, &name, &name_len, &value, &value_len, err);
    if (rc != 0)
        return rc;
    if (!span_is(name, name + name_len, "Content-Type") ||
        !span_is(value, value + value_len, "application/octet-stream"))
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)line,
                               "expected \"Content-Type: application/octet-stream\" before the encrypted data");
    size_t field = c->pos;
    if (c->len - field < 4)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)field, "encrypted part shorter than its length field");
    uint32_t hdr_len = le32(c->p + field);
    size_t start = field + 4;
    if (hdr_len > c->len - start)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)field, "header length %u runs past the body's end", hdr_len);
    /* Where the message ends: at header + Length when a boundary is there
     * (possibly after a CRLF), else at the next boundary. */
    size_t end = c->len, next = c->len;
    if (m->length <= c->len - start - hdr_len) {
        size_t e = start + hdr_len + m->length;
        if (mark_at(c, e) != 0)
            end = next = e;
        else if (at(c, e, "\r\n") && mark_at(c, e + 2) != 0)
            end = e, next = e + 2;
    }
    if (next == c->len) {
        end = next = find_mark(c, start + hdr_len);
        if (end == c->len)
            return wmgw_err_set_at(err, WMGW_EINVAL, (long)start, "no boundary after the encrypted data");
    }
    size_t off = 0, n = 0;
    rc = sec->unwrap(sec->ctx, body + start, end - start, hdr_len, &off, &n, err);
    if (rc != 0) {
        if (err != NULL && err->position < 0)
            err->position = (long)start;
        return rc;
    }
    if (off > end - start || n > end - start - off)
        return wmgw_err_set(err, WMGW_EINTERNAL, "unwrap returned a plaintext outside the message");
    /* Length is the plaintext's; pypsrp counts Kerberos RC4 padding too,
     * so the encrypted data's length is also taken. */
    if (n != m->length && end - start - hdr_len != m->length)
        return wmgw_err_set_at(err, WMGW_EINVAL, (long)start,
                               "decrypted %zu bytes where OriginalContent Length says %zu", n, m->length);
    if (wmgw_buf_add(plain, body + start + off, n) != 0)
        return wmgw_err_set(err, WMGW_ETOOBIG, "decrypted message does not fit its buffer");
    c->pos = next;
    return 0;
}

int wmgw_winrm_decrypt(const struct wmgw_winrm_sec *sec, enum wmgw_winrm_protocol p, uint8_t *body, size_t len,
                       struct wmgw_buf *plain, char charset[WMGW_WINRM_CHARSET_MAX], struct wmgw_err *err)
{
    if (!known(p))
        return wmgw_err_set(err, WMGW_EINVAL, "unknown WinRM encryption protocol %d", (int)p);
    struct cur c = {.p = body, .len = len};
    size_t start = plain->len;
    int rc = boundary_line(&c, "at the start of the body", err);
    for (size_t parts = 0; rc == 0; parts++) {
        struct meta m;
        if (parts == WMGW_WINRM_MAX_PARTS) {
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.pos, "more than %d part pairs", WMGW_WINRM_MAX_PARTS);
            break;
        }
        if ((rc = metadata(&c, p, &m, err)) != 0 ||
            (rc = boundary_line(&c, "between the metadata and the encrypted data", err)) != 0 ||
            (rc = encrypted_part(&c, sec, &m, body, plain, err)) != 0)
            break;
        if (parts == 0 && charset != NULL)
            memcpy(charset, m.charset, WMGW_WINRM_CHARSET_MAX);
        /* After the message: the closing delimiter, or a boundary line that
         * ends the body (pywinrm's test), or one that opens the next pair. */
        size_t mk = mark_at(&c, c.pos);
        c.pos += mk;
        if (at(&c, c.pos, DASHES))
            c.pos += 2;
        else if (at(&c, c.pos, "\r\n") && c.pos + 2 < c.len) {
            c.pos += 2;
            continue;
        }
        else if (c.pos != c.len && !at(&c, c.pos, "\r\n")) {
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.pos, "expected \"--\" or CRLF after the boundary");
            break;
        }
        while (c.pos < c.len && (body[c.pos] == '\r' || body[c.pos] == '\n'))
            c.pos++;
        if (c.pos != c.len)
            rc = wmgw_err_set_at(err, WMGW_EINVAL, (long)c.pos, "data after the closing boundary");
        break;
    }
    if (rc != 0) {
        plain->len = start;
        if (plain->data != NULL)
            plain->data[start] = '\0';
    }
    return rc;
}
