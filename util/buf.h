/*
 * buf.h: a growable byte buffer with a hard maximum.
 *
 * Every buffer fed from the network has a limit (curl's dynbuf rule): an
 * append that would pass `max` fails with WMGW_ETOOBIG and leaves the buffer
 * as it was, so the caller can still report what it had.  The data is always
 * NUL-terminated (the terminator is not counted in len).
 */
#ifndef WMGW_UTIL_BUF_H
#define WMGW_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct wmgw_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* the most len may ever reach */
};

void wmgw_buf_init(struct wmgw_buf *b, size_t max);
void wmgw_buf_dispose(struct wmgw_buf *b);
/* Forget the content, keep the memory. */
void wmgw_buf_reset(struct wmgw_buf *b);

int wmgw_buf_add(struct wmgw_buf *b, const void *p, size_t n);
int wmgw_buf_addstr(struct wmgw_buf *b, const char *s);
int wmgw_buf_addc(struct wmgw_buf *b, char c);
int wmgw_buf_printf(struct wmgw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wmgw_buf_vprintf(struct wmgw_buf *b, const char *fmt, va_list ap);

/* Appends s with the five XML special characters escaped; control
 * characters other than TAB, LF and CR become '?' (as WinRM does). */
int wmgw_buf_add_xml(struct wmgw_buf *b, const char *s, size_t n);
int wmgw_buf_addstr_xml(struct wmgw_buf *b, const char *s);

/* Hands the data to the caller (who frees it) and resets the buffer. */
char *wmgw_buf_steal(struct wmgw_buf *b, size_t *len);

#endif
