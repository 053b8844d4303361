/*
 * err.h: the one error vocabulary of wmgw.
 *
 * Every module returns 0 on success or a negative WMGW_E* code, and may fill
 * an optional `struct wmgw_err` with a human-readable message (and, for
 * parsers, the byte position where input went wrong).  One X-macro generates
 * the enum, the printable name, the HTTP status and the problem+json type,
 * so that adding an error is one line and the tables cannot drift apart.
 *
 * Not-found, retry and configuration errors stay distinct (see design.md).
 */
#ifndef WMGW_UTIL_ERR_H
#define WMGW_UTIL_ERR_H

#include <stddef.h>

/*      name          value  http  problem type slug      summary */
#define WMGW_ERR_MAP(X)                                                              \
    X(EINVAL,          -1,   400, "bad-request",          "bad input")                 \
    X(ENOMEM,          -2,   500, "out-of-memory",        "out of memory")             \
    X(ENOTFOUND,       -3,   404, "not-found",            "not found")                 \
    X(EEXIST,          -4,   409, "already-exists",       "already exists")            \
    X(ETOOBIG,         -5,   413, "too-large",            "input exceeds a limit")     \
    X(EACCES,          -6,   403, "forbidden",            "access denied")             \
    X(EAUTH,           -7,   401, "unauthenticated",      "authentication required")   \
    X(EBACKEND,        -8,   502, "backend-error",        "the backend failed")        \
    X(ETIMEDOUT,       -9,   504, "backend-timeout",      "the backend timed out")     \
    X(EUNSUPPORTED,    -10,  501, "not-supported",        "not supported")             \
    X(ECONFIG,         -11,  500, "configuration-error",  "configuration error")       \
    X(ERETRY,          -12,  503, "retry",                "temporarily unavailable")   \
    X(EPROTO,          -13,  502, "protocol-error",       "protocol violation")        \
    X(ECONN,           -14,  502, "connection-error",     "connection failed")         \
    X(ECONFLICT,       -15,  409, "conflict",             "conflicting state")         \
    X(ENOTALLOWED,     -16,  405, "method-not-allowed",   "operation not allowed")     \
    X(EINTERNAL,       -17,  500, "internal-error",       "internal error")              \
    X(EGONE,           -18,  410, "gone",                 "no longer available")         \
    X(ENOTACCEPTABLE,  -19,  406, "not-acceptable",       "no acceptable representation") \
    X(EPRECONDITION,   -20,  412, "precondition-failed",  "precondition failed")         \
    X(ETOOMANY,        -21,  429, "too-many-requests",    "too many requests")           \
    X(EMEDIATYPE,      -22,  415, "unsupported-media-type", "unsupported media type")

enum wmgw_errcode {
    WMGW_OK = 0,
#define WMGW__ERR_ENUM(name, value, http, slug, summary) WMGW_##name = value,
    WMGW_ERR_MAP(WMGW__ERR_ENUM)
#undef WMGW__ERR_ENUM
};

/* Optional detail a failing call may fill in. */
struct wmgw_err {
    int code;           /* a WMGW_E* value */
    long position;      /* byte offset of bad input, or -1 */
    char message[320];  /* printable, never contains secrets */
};

const char *wmgw_err_name(int code);    /* "EINVAL" */
const char *wmgw_err_summary(int code); /* "bad input" */
const char *wmgw_err_slug(int code);    /* "bad-request" */
int wmgw_err_http_status(int code);     /* 400 */

/* Records code and printf-style message in err (if not NULL); returns code. */
int wmgw_err_set(struct wmgw_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with a byte position for parsers. */
int wmgw_err_set_at(struct wmgw_err *err, int code, long position, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void wmgw_err_clear(struct wmgw_err *err);

#endif
