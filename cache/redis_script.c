/*
 * redis_script.c: the Lua scripts of the Redis store and how they are run
 * (redis_int.h).
 *
 * Why scripts: a lookup must read the host's generation and then the
 * entry named with it, and on a miss take the fill lock, all in ONE round
 * trip and atomically (no invalidation or fill can slip in between).  A
 * MULTI cannot name a key from a value it has not read yet; a script can.
 *
 * Every link loads the scripts when it connects (SCRIPT LOAD, checking the
 * hash we computed) and runs them with EVALSHA.  Redis keeps scripts per
 * server, not per data set: after a failover, a restart or a SCRIPT FLUSH
 * the server may answer NOSCRIPT, and the call is sent again as EVAL with
 * the text, which also loads it.  For that second try the call keeps its
 * arguments: small ones copied, a stored value referenced (never copied).
 *
 * The scripts name keys they compute (generation inside the key), which a
 * Redis Cluster would reject; standalone Redis and Sentinel are fine.
 */
#include "cache/redis_int.h"
#include "util/err.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS: generation key of the host, the epoch key.
 * ARGV: prefix, host, digest, read ("1"/"0"), now (ms), lock token,
 *       lock ms, a new random generation (used if the host has none).
 * Returns {status, generation, entry or false}; status "hit": the entry is
 * fresh; "fill": the caller holds the fill lock; "wait": another does.
 * A missing generation key gets a new random value rather than a reset
 * counter, so an evicted or lost key can never bring old entries back. */
static const char LOOKUP[] =
    "local epoch = redis.call('GET', KEYS[2])\n"
    "if not epoch then epoch = ARGV[8]; redis.call('SET', KEYS[2], epoch) end\n"
    "local g = redis.call('GET', KEYS[1])\n"
    "if not g then g = ARGV[8]; redis.call('SET', KEYS[1], g) end\n"
    "local gen = epoch .. '.' .. g\n"
    "local tail = ARGV[2] .. ':' .. gen .. ':' .. ARGV[3]\n"
    "local v = false\n"
    "if ARGV[4] == '1' then v = redis.call('GET', ARGV[1] .. 'e:' .. tail) end\n"
    "if v then\n"
    "  local f = tonumber(string.match(v, '^c1 %d+ (%d+) '))\n"
    "  if f and f > tonumber(ARGV[5]) then return {'hit', gen, v} end\n"
    "end\n"
    "if redis.call('SET', ARGV[1] .. 'l:' .. tail, ARGV[6], 'NX', 'PX', ARGV[7]) then\n"
    "  return {'fill', gen, v}\n"
    "end\n"
    "return {'wait', gen, v}\n";

/* ARGV: entry key, lock key, channel, token, entry, px.  Stores the entry,
 * lets go of the lock if it is still ours, tells the waiters. */
static const char COMMIT[] =
    "redis.call('SET', ARGV[1], ARGV[5], 'PX', ARGV[6])\n"
    "if redis.call('GET', ARGV[2]) == ARGV[4] then redis.call('DEL', ARGV[2]) end\n"
    "redis.call('PUBLISH', ARGV[3], 'ok')\n"
    "return 1\n";

/* ARGV: lock key, channel, token, message ("abandon" or "retry"). */
static const char RELEASE[] =
    "if redis.call('GET', ARGV[1]) == ARGV[3] then redis.call('DEL', ARGV[1]) end\n"
    "redis.call('PUBLISH', ARGV[2], ARGV[4])\n"
    "return 1\n";

void wmgw__rscripts_init(struct wmgw__rscript scripts[WMGW__RS_COUNT])
{
    static const char hex[] = "0123456789abcdef";
    scripts[WMGW__RS_LOOKUP] = (struct wmgw__rscript){.name = "lookup", .text = LOOKUP};
    scripts[WMGW__RS_COMMIT] = (struct wmgw__rscript){.name = "commit", .text = COMMIT};
    scripts[WMGW__RS_RELEASE] = (struct wmgw__rscript){.name = "release", .text = RELEASE};
    for (int i = 0; i < WMGW__RS_COUNT; i++) {
        unsigned char md[SHA_DIGEST_LENGTH];
        SHA1((const unsigned char *)scripts[i].text, strlen(scripts[i].text), md);
        for (int k = 0; k < SHA_DIGEST_LENGTH; k++) {
            scripts[i].sha[2 * k] = hex[md[k] >> 4];
            scripts[i].sha[2 * k + 1] = hex[md[k] & 15];
        }
        scripts[i].sha[40] = '\0';
    }
}

/* A call in flight, with what a second try (EVAL) needs. */
struct call {
    struct wmgw__rlink *l;
    const struct wmgw__rscript *s;
    int nkeys, argc;
    struct wmgw__rarg *argv;  /* point into copies[] or into hold */
    struct wmgw_cache_value *hold;
    wmgw__rreply_cb cb;
    void *data;
    bool retried;
    /* then argv[argc], then the copied bytes */
};

static bool inside(const struct wmgw_cache_value *v, const char *p, size_t n)
{
    return v != NULL && n > 0 && p >= v->data && p + n <= v->data + v->len;
}

static int send_call(struct call *k, bool eval);

static void call_free(struct call *k)
{
    wmgw_cache_value_unref(k->hold);
    free(k);
}

static void on_reply(void *data, redisReply *reply, const char *why)
{
    struct call *k = data;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !k->retried && reply->len >= 8 &&
        memcmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply);
        k->retried = true;
        if (send_call(k, true) == 0)
            return;
        why = "unavailable";
        reply = NULL;
    }
    k->cb(k->data, reply, why);
    call_free(k);
}

static int send_call(struct call *k, bool eval)
{
    enum { FIXED = 3 };
    struct wmgw__rarg stack[FIXED + 16], *args = stack;
    if (k->argc > 16 && (args = malloc((size_t)(FIXED + k->argc) * sizeof(*args))) == NULL)
        return WMGW_ERETRY;
    char nkeys[16];
    snprintf(nkeys, sizeof(nkeys), "%d", k->nkeys);
    args[0] = wmgw__rarg_str(eval ? "EVAL" : "EVALSHA");
    args[1] = wmgw__rarg_str(eval ? k->s->text : k->s->sha);
    args[2] = wmgw__rarg_str(nkeys);
    memcpy(args + FIXED, k->argv, (size_t)k->argc * sizeof(*args));
    int rc = wmgw__rlink_send(k->l, FIXED + k->argc, args, on_reply, k);
    if (args != stack)
        free(args);
    return rc;
}

int wmgw__rscript_run(struct wmgw__rlink *l, const struct wmgw__rscript *s, int nkeys, int argc,
                      const struct wmgw__rarg *argv, struct wmgw_cache_value *hold, wmgw__rreply_cb cb, void *data)
{
    size_t copy = 0;
    for (int i = 0; i < argc; i++) {
        copy += inside(hold, argv[i].p, argv[i].n) ? 0 : argv[i].n;
        copy += inside(hold, argv[i].p2, argv[i].n2) ? 0 : argv[i].n2;
    }
    struct call *k = malloc(sizeof(*k) + (size_t)argc * sizeof(struct wmgw__rarg) + copy);
    if (k == NULL)
        return WMGW_ERETRY;
    *k = (struct call){.l = l, .s = s, .nkeys = nkeys, .argc = argc, .cb = cb, .data = data};
    k->argv = (struct wmgw__rarg *)(k + 1);
    char *p = (char *)(k->argv + argc);
    for (int i = 0; i < argc; i++) {
        const char *src[2] = {argv[i].p, argv[i].p2};
        size_t len[2] = {argv[i].n, argv[i].n2};
        const char *dst[2];
        for (int j = 0; j < 2; j++) {
            if (len[j] == 0 || inside(hold, src[j], len[j])) {
                dst[j] = src[j];
            } else {
                memcpy(p, src[j], len[j]);
                dst[j] = p;
                p += len[j];
            }
        }
        k->argv[i] = (struct wmgw__rarg){dst[0], len[0], dst[1], len[1]};
    }
    k->hold = wmgw_cache_value_ref(hold);
    int rc = send_call(k, false);
    if (rc != 0)
        call_free(k);
    return rc;
}
