/*
 * buf.c: bounded growable buffer.  See buf.h for the contract.
 */
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wmgw_buf_init(struct wmgw_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void wmgw_buf_dispose(struct wmgw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void wmgw_buf_reset(struct wmgw_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int reserve(struct wmgw_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return WMGW_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return WMGW_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int wmgw_buf_add(struct wmgw_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc != 0)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int wmgw_buf_addstr(struct wmgw_buf *b, const char *s)
{
    return wmgw_buf_add(b, s, strlen(s));
}

int wmgw_buf_addc(struct wmgw_buf *b, char c)
{
    return wmgw_buf_add(b, &c, 1);
}

int wmgw_buf_vprintf(struct wmgw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return WMGW_EINVAL;
    int rc = reserve(b, (size_t)n);
    if (rc != 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int wmgw_buf_printf(struct wmgw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = wmgw_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int wmgw_buf_add_xml(struct wmgw_buf *b, const char *s, size_t n)
{
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                rep = "?";
            else if (c == '\r')
                rep = "&#13;"; /* keep CR through XML end-of-line normalisation */
        }
        if (rep == NULL)
            continue;
        int rc = wmgw_buf_add(b, s + run, i - run);
        if (rc == 0)
            rc = wmgw_buf_addstr(b, rep);
        if (rc != 0)
            return rc;
        run = i + 1;
    }
    return wmgw_buf_add(b, s + run, n - run);
}

int wmgw_buf_addstr_xml(struct wmgw_buf *b, const char *s)
{
    return wmgw_buf_add_xml(b, s, strlen(s));
}

char *wmgw_buf_steal(struct wmgw_buf *b, size_t *len)
{
    char *p = b->data;
    if (p == NULL)
        p = calloc(1, 1);
    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
