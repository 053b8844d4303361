/*
 * err.c: tables generated from WMGW_ERR_MAP and the helpers that fill a
 * struct wmgw_err.  See err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct errinfo {
    int code;
    int http;
    const char *name, *slug, *summary;
};

static const struct errinfo errtab[] = {
#define WMGW__ERR_ROW(name, value, http, slug, summary) {value, http, #name, slug, summary},
    WMGW_ERR_MAP(WMGW__ERR_ROW)
#undef WMGW__ERR_ROW
};

static const struct errinfo *lookup(int code)
{
    for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
        if (errtab[i].code == code)
            return &errtab[i];
    return NULL;
}

const char *wmgw_err_name(int code)
{
    const struct errinfo *e = lookup(code);
    return code == 0 ? "OK" : e ? e->name : "EUNKNOWN";
}

const char *wmgw_err_summary(int code)
{
    const struct errinfo *e = lookup(code);
    return code == 0 ? "ok" : e ? e->summary : "unknown error";
}

const char *wmgw_err_slug(int code)
{
    const struct errinfo *e = lookup(code);
    return e ? e->slug : "internal-error";
}

int wmgw_err_http_status(int code)
{
    const struct errinfo *e = lookup(code);
    return code == 0 ? 200 : e ? e->http : 500;
}

static void vset(struct wmgw_err *err, int code, long position, const char *fmt, va_list ap)
{
    err->code = code;
    err->position = position;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int wmgw_err_set(struct wmgw_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, -1, fmt, ap);
        va_end(ap);
    }
    return code;
}

int wmgw_err_set_at(struct wmgw_err *err, int code, long position, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, position, fmt, ap);
        va_end(ap);
    }
    return code;
}

void wmgw_err_clear(struct wmgw_err *err)
{
    if (err != NULL) {
        err->code = 0;
        err->position = -1;
        err->message[0] = '\0';
    }
}
