/*
 * redis_addr.c: Redis and sentinel addresses (redis_int.h).
 *
 * Configured addresses are "host:port" or "[v6]:port"; a name is resolved
 * once, when the cache is built, because getaddrinfo blocks and the loops
 * must not.  Addresses that Redis itself sends (a sentinel's answer) must
 * be numeric, which is Sentinel's default.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_of(const char *s, size_t n, uint16_t *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return WMGW_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return WMGW_EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return WMGW_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

static void set_text(struct wmgw__raddr *a)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (a->sa.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(a->text, sizeof(a->text), "%s:%u", ip, port);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(a->text, sizeof(a->text), "[%s]:%u", ip, port);
    }
}

static int numeric(const char *ip, uint16_t port, struct wmgw__raddr *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        out->len = sizeof(*in);
    } else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        out->len = sizeof(*in6);
    } else {
        return WMGW_EINVAL;
    }
    set_text(out);
    return 0;
}

int wmgw__raddr_numeric(const char *ip, size_t iplen, const char *port, size_t portlen, struct wmgw__raddr *out)
{
    char host[INET6_ADDRSTRLEN];
    uint16_t p;
    if (iplen == 0 || iplen >= sizeof(host) || port_of(port, portlen, &p) != 0)
        return WMGW_EINVAL;
    memcpy(host, ip, iplen);
    host[iplen] = '\0';
    return numeric(host, p, out);
}

int wmgw__raddr_parse(const char *s, struct wmgw__raddr *out, struct wmgw_err *err)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    char host[256];
    uint16_t port;
    if (colon == NULL || port_of(colon + 1, strlen(colon + 1), &port) != 0)
        return wmgw_err_set(err, WMGW_ECONFIG, "cache: Redis address \"%s\": expected host:port", s ? s : "");
    const char *h = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(host))
        return wmgw_err_set(err, WMGW_ECONFIG, "cache: Redis address \"%s\": bad host", s);
    memcpy(host, h, n);
    host[n] = '\0';
    if (numeric(host, port, out) == 0)
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0 || res == NULL)
        return wmgw_err_set(err, WMGW_ECONFIG, "cache: Redis address \"%s\": %s", s, gai_strerror(gai));
    memset(out, 0, sizeof(*out));
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    if (out->sa.ss_family == AF_INET)
        ((struct sockaddr_in *)&out->sa)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&out->sa)->sin6_port = htons(port);
    freeaddrinfo(res);
    set_text(out);
    return 0;
}
