/*
 * caller.c: authenticating one REST call (caller.h): the Authorization
 * header to a configured principal, and the 401 challenge.
 *
 * A header that is present but proves no one is a 401, never a silent
 * fall-back to an anonymous call.  The decoded Basic credentials are
 * wiped as soon as they are checked.
 */
#include "gateway/caller.h"
#include "auth/passhash.h"
#include "auth/token.h"
#include "gateway/gateway.h"
#include "gateway/request.h"
#include "gateway/request_wipe.h"
#include "util/buf.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool scheme_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static int bearer(struct wmgw_security *sec, const char *cred, size_t len, const struct wmgw_principal_config **p,
                  struct wmgw_err *err)
{
    size_t idx;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (sec->ntokens == 0 || wmgw_token_find(cred, len, sec->token_hashes, sec->ntokens, &idx, &e) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "the bearer token is not valid");
    *p = &sec->principals[sec->token_owner[idx]];
    return 0;
}

struct wmgw_basic_guard {
    pthread_mutex_t lock;
    size_t n;
    int64_t *window_start; /* per principal: when its current window began */
    unsigned *failures;    /* wrong passwords in it */
};

struct wmgw_basic_guard *wmgw_basic_guard_new(size_t n)
{
    struct wmgw_basic_guard *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->n = n;
    g->window_start = calloc(n ? n : 1, sizeof(*g->window_start));
    g->failures = calloc(n ? n : 1, sizeof(*g->failures));
    if (g->window_start == NULL || g->failures == NULL) {
        wmgw_basic_guard_free(g);
        return NULL;
    }
    pthread_mutex_init(&g->lock, NULL);
    return g;
}

void wmgw_basic_guard_free(struct wmgw_basic_guard *g)
{
    if (g == NULL)
        return;
    free(g->window_start);
    free(g->failures);
    free(g);
}

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Is principal i locked out of Basic now? */
static bool guard_locked(struct wmgw_basic_guard *g, size_t i)
{
    pthread_mutex_lock(&g->lock);
    int64_t now = now_s();
    if (now - g->window_start[i] >= WMGW_BASIC_WINDOW_S) {
        g->window_start[i] = now;
        g->failures[i] = 0;
    }
    bool locked = g->failures[i] >= WMGW_BASIC_MAX_FAILURES;
    pthread_mutex_unlock(&g->lock);
    return locked;
}

static void guard_failed(struct wmgw_basic_guard *g, size_t i)
{
    pthread_mutex_lock(&g->lock);
    g->failures[i]++;
    pthread_mutex_unlock(&g->lock);
}

static int basic(struct wmgw_security *sec, const char *cred, size_t len, const struct wmgw_principal_config **p,
                 struct wmgw_err *err)
{
    struct wmgw_buf buf;
    wmgw_buf_init(&buf, 2 * WMGW_PASSHASH_MAX_PASSWORD);
    const char *user, *password;
    size_t ulen, plen;
    int rc = wmgw_auth_basic_decode(cred, len, &buf, &user, &ulen, &password, &plen, err);
    if (rc == 0) {
        const struct wmgw_principal_config *pc = wmgw_security_principal(sec, user, ulen);
        size_t idx = pc != NULL ? (size_t)(pc - sec->principals) : 0;
        struct wmgw_err e;
        wmgw_err_clear(&e);
        /* One message for unknown user and wrong password. */
        if (pc == NULL || pc->password_hash == NULL || plen > WMGW_PASSHASH_MAX_PASSWORD) {
            rc = wmgw_err_set(err, WMGW_EAUTH, "user name or password is not valid");
        } else if (guard_locked(sec->guard, idx)) {
            rc = wmgw_err_set(err, WMGW_EAUTH, "too many wrong passwords for this user; try again in %d s",
                              WMGW_BASIC_WINDOW_S);
        } else if (wmgw_passhash_cache_verify(sec->pwcache, pc->name, pc->password_hash, password, plen, &e) != 0) {
            guard_failed(sec->guard, idx);
            rc = wmgw_err_set(err, WMGW_EAUTH, "user name or password is not valid");
        } else {
            *p = pc;
        }
    } else {
        rc = WMGW_EAUTH;
    }
    if (buf.data != NULL)
        OPENSSL_cleanse(buf.data, buf.cap);
    wmgw_buf_dispose(&buf);
    return rc;
}

int wmgw_caller_authenticate(struct wmgw_request *r, struct wmgw_err *err)
{
    h2o_req_t *req = r->req;
    struct wmgw_security *sec = r->gw->config->security;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0) {
        /* No header: a verified client certificate may speak for the caller. */
        const struct wmgw_principal_config *cp = NULL;
        if (wmgw_caller_certificate(r, &cp) == 0 && cp != NULL) {
            struct wmgw_principal *pp = h2o_mem_alloc_pool(&req->pool, sizeof(*pp));
            *pp = cp->principal;
            pp->scheme = WMGW_AUTH_CERT;
            r->principal = pp;
            r->caller = cp;
        }
        return 0;
    }
    if (sec == NULL)
        return wmgw_err_set(err, WMGW_EAUTH, "no callers are configured ([principal] sections)");
    h2o_iovec_t v = req->headers.entries[i].value;
    const char *scheme, *cred;
    size_t slen, clen;
    struct wmgw_err e;
    wmgw_err_clear(&e);
    if (wmgw_auth_header_split(v.base, v.len, &scheme, &slen, &cred, &clen, &e) != 0)
        return wmgw_err_set(err, WMGW_EAUTH, "%s", e.message);
    const struct wmgw_principal_config *p = NULL;
    enum wmgw_auth_scheme kind;
    int rc;
    if (scheme_is(scheme, slen, "Bearer")) {
        kind = WMGW_AUTH_BEARER;
        rc = bearer(sec, cred, clen, &p, err);
    } else if (scheme_is(scheme, slen, "Basic")) {
        kind = WMGW_AUTH_BASIC;
        rc = basic(sec, cred, clen, &p, err);
    } else if (scheme_is(scheme, slen, "Negotiate")) {
        kind = WMGW_AUTH_NEGOTIATE;
        struct wmgw_buf reply;
        wmgw_buf_init(&reply, 2 * WMGW_GSS_REPLY_MAX);
        rc = wmgw_caller_negotiate(sec, cred, clen, &p, &reply, err);
        if (rc == 0 && reply.len > 0) {
            /* Mutual authentication: the acceptor's token goes back. */
            h2o_iovec_t hv = h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("Negotiate ")),
                                        h2o_iovec_init(reply.data, reply.len));
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, hv.base, hv.len);
        }
        wmgw_buf_dispose(&reply);
    } else {
        return wmgw_err_set(err, WMGW_EAUTH, "authentication scheme %.*s is not supported", (int)(slen > 32 ? 32 : slen),
                            scheme);
    }
    /* The token or password is used up: not left in memory a core dump
     * would keep (request_wipe.c says where it can be found). */
    wmgw_request_wipe_header_value(req, (char *)cred, clen);
    if (rc != 0)
        return WMGW_EAUTH;
    struct wmgw_principal *pp = h2o_mem_alloc_pool(&req->pool, sizeof(*pp));
    *pp = p->principal;
    pp->scheme = kind;
    r->principal = pp;
    r->caller = p;
    return 0;
}

void wmgw_caller_challenge(struct wmgw_request *r, const char *detail)
{
    h2o_req_t *req = r->req;
    struct wmgw_security *sec = r->gw->config->security;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer realm=\"wmgw\""));
    bool passwords = false;
    for (size_t i = 0; sec != NULL && i < sec->nprincipals; i++)
        passwords |= sec->principals[i].password_hash != NULL;
    if (passwords)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Basic realm=\"wmgw\", charset=\"UTF-8\""));
    if (sec != NULL && sec->acceptor != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Negotiate"));
    wmgw_respond_problem(r, WMGW_EAUTH, "%s", detail);
}
