/* Thread pool check: 4 members update disjoint shares, member 0 checks the sum between barriers;
 * many runs of one pool (threads reused), a release, and runs again. Then balanced sharing
 * (bnn_share): every item taken exactly once, a slow member's items taken by the others, and its
 * measured speed lowered. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "bnncc/team.h"

typedef struct { int data[1000]; int bad; } ctx_t;

static void work(bnn_team *t, int id, void *p)
{
    ctx_t *c = p;
    int n = t ? t->size : 1, lo, hi, i, r;
    for (r = 0; r < 20; r++) {
        bnn_split(1000, id, n, &lo, &hi);
        for (i = lo; i < hi; i++) c->data[i] += 1;
        bnn_team_sync(t);
        if (id == 0) {
            long s = 0;
            for (i = 0; i < 1000; i++) s += c->data[i];
            if (s % 1000) c->bad++;
        }
        bnn_team_sync(t);
    }
}

typedef struct { int taken[300]; int bad, stolen, small, pieces; float slow_speed; } share_t;

/* Members take pieces of [0, items); the last member sleeps after each piece. Checks: every item
 * once, no piece below the grain unless it is a range's remainder, some items moved off the
 * slow member's range, and the slow member's measured speed. */
static void share_work(bnn_team *t, int id, void *p)
{
    share_t *c = p;
    const struct timespec pause = {0, 200000};
    int n = t ? t->size : 1, r, i;
    for (r = 0; r < 10; r++) {
        const int items = r % 2 ? 7 : 300, grain = r % 2 ? 1 : 4;
        int lo, hi, others = 0, small = 0, pieces = 0, own_lo, own_hi;
        bnn_share sh;
        bnn_split(items, id, n, &own_lo, &own_hi);
        bnn_share_begin(t, id, items, grain, &sh);
        while (bnn_share_next(&sh, &lo, &hi)) {
            pieces++;
            if (hi - lo < grain) small++;
            for (i = lo; i < hi; i++) {
                c->taken[i]++;
                if (i < own_lo || i >= own_hi) others++;
            }
            if (id == n - 1) nanosleep(&pause, NULL);      /* the slow member */
        }
        __atomic_add_fetch(&c->stolen, others, __ATOMIC_RELAXED);
        __atomic_add_fetch(&c->small, small, __ATOMIC_RELAXED);
        __atomic_add_fetch(&c->pieces, pieces, __ATOMIC_RELAXED);
        bnn_team_sync(t);
        if (id == 0) {
            for (i = 0; i < items; i++) {
                if (c->taken[i] != 1) c->bad++;
                c->taken[i] = 0;
            }
            if (t) c->slow_speed = t->speed[n - 1];
        }
        bnn_team_sync(t);
    }
}

static bnn_pool pool = BNN_POOL_INITIALIZER;

int main(void)
{
    static ctx_t c;
    int run, rc = 0;
    for (run = 0; run < 50; run++) rc |= bnn_pool_run(&pool, 4, work, &c);
    bnn_pool_release(&pool);
    for (run = 0; run < 10; run++) rc |= bnn_pool_run(&pool, 3, work, &c);
    rc |= bnn_pool_run(&pool, 2, work, &c);     /* fewer members than workers */
    bnn_pool_release(&pool);
    printf("rc=%d data[999]=%d bad=%d\n", rc, c.data[999], c.bad);
    {
        static share_t sc;
        for (run = 0; run < 5; run++) rc |= bnn_pool_run(&pool, 4, share_work, &sc);
        bnn_pool_release(&pool);
        /* a slow member's measured speed is far below an equal share (0.25), so it owns less */
        printf("share: rc=%d bad=%d stolen=%s slow=%s\n", rc, sc.bad, sc.stolen > 0 ? "yes" : "no",
               sc.slow_speed > 0.0f && sc.slow_speed < 0.125f ? "yes" : "no");
        sc.pieces = 0;
        share_work(NULL, 0, &sc);                   /* one member: every item, in one piece */
        printf("alone: bad=%d pieces=%d small=%d\n", sc.bad, sc.pieces, sc.small);
    }
    return 0;
}
