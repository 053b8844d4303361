/*
 * timer.c: timers of any duration on an h2o 2.2.5 evloop (cache_int.h).
 *
 * h2o 2.2.5 gives each h2o_timeout_t one fixed duration.  The cache needs
 * many (command deadlines, waiters' deadlines, re-checks, reconnect
 * back-off with jitter), so each worker keeps one timeout per power of two
 * from 1 ms to 2^17 ms, and a timer due in d ms links to the largest power
 * not above d; when that fires it links again for what is left.  A delay
 * takes at most one hop per set bit (plus repeats of the largest power for
 * very long ones).
 *
 * Due times are taken from the clock itself, not from the loop's cached
 * "now": that one was read when the loop last woke, and a deadline set
 * after a slow turn would otherwise be early.  A hop that fires early
 * (h2o counts from its older "now") links again for the rest, so a timer
 * never fires before its time.
 */
#include "cache/cache_int.h"

#include <time.h>

uint64_t wmgw__cache_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void wmgw__timers_init(struct wmgw__timers *t, h2o_evloop_t *loop)
{
    t->loop = loop;
    h2o_timeout_init(loop, &t->zero, 0);
    for (unsigned i = 0; i < WMGW__TIMER_POWERS; i++)
        h2o_timeout_init(loop, &t->pow2[i], (uint64_t)1 << i);
}

void wmgw__timers_dispose(struct wmgw__timers *t)
{
    h2o_timeout_dispose(t->loop, &t->zero);
    for (unsigned i = 0; i < WMGW__TIMER_POWERS; i++)
        h2o_timeout_dispose(t->loop, &t->pow2[i]);
}

static void link_for(struct wmgw__timer *tm, uint64_t left)
{
    struct wmgw__timers *t = tm->timers;
    if (left == 0) {
        h2o_timeout_link(t->loop, &t->zero, &tm->entry);
        return;
    }
    unsigned p = 63 - (unsigned)__builtin_clzll(left);
    if (p >= WMGW__TIMER_POWERS)
        p = WMGW__TIMER_POWERS - 1;
    h2o_timeout_link(t->loop, &t->pow2[p], &tm->entry);
}

static void on_hop(h2o_timeout_entry_t *entry)
{
    struct wmgw__timer *tm = H2O_STRUCT_FROM_MEMBER(struct wmgw__timer, entry, entry);
    uint64_t now = wmgw__cache_now_ms();
    if (now < tm->due) {
        link_for(tm, tm->due - now);
        return;
    }
    tm->cb(tm);
}

void wmgw__timer_init(struct wmgw__timer *tm, struct wmgw__timers *t, wmgw__timer_cb cb)
{
    *tm = (struct wmgw__timer){.timers = t, .cb = cb};
    tm->entry.cb = on_hop;
}

void wmgw__timer_start(struct wmgw__timer *tm, uint64_t ms)
{
    if (h2o_timeout_is_linked(&tm->entry))
        h2o_timeout_unlink(&tm->entry);
    tm->due = wmgw__cache_now_ms() + ms;
    link_for(tm, ms);
}

void wmgw__timer_stop(struct wmgw__timer *tm)
{
    if (tm->timers != NULL && h2o_timeout_is_linked(&tm->entry))
        h2o_timeout_unlink(&tm->entry);
}

bool wmgw__timer_active(const struct wmgw__timer *tm)
{
    return tm->entry._link.next != NULL;
}
