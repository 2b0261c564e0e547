/* Thread pool check: 4 members update disjoint shares, member 0 checks the sum between barriers;
 * many runs of one pool (threads reused), a release, and runs again. Then balanced sharing
 * (bnn_share): every item taken exactly once, and a slow member's items taken by the others. */
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

typedef struct { int taken[300]; int bad, stolen; } share_t;

static void share_work(bnn_team *t, int id, void *p)
{
    share_t *c = p;
    const struct timespec pause = {0, 200000};
    int n = t ? t->size : 1, r, i;
    for (r = 0; r < 10; r++) {
        const int items = r % 2 ? 7 : 300;
        int item, lo, hi, others = 0;
        bnn_share sh;
        bnn_split(items, id, n, &lo, &hi);
        bnn_share_begin(t, id, items, &sh);
        while (bnn_share_next(&sh, &item)) {
            c->taken[item]++;
            if (item < lo || item >= hi) others++;
            if (id == n - 1) nanosleep(&pause, NULL);      /* the slow member */
        }
        __atomic_add_fetch(&c->stolen, others, __ATOMIC_RELAXED);
        bnn_team_sync(t);
        if (id == 0)
            for (i = 0; i < items; i++) {
                if (c->taken[i] != 1) c->bad++;
                c->taken[i] = 0;
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
        share_work(NULL, 0, &sc);                   /* one member: every item, in order */
        bnn_pool_release(&pool);
        printf("share: rc=%d bad=%d stolen=%s\n", rc, sc.bad, sc.stolen > 0 ? "yes" : "no");
    }
    return 0;
}
