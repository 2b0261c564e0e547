/* Thread pool check: 4 members update disjoint shares, member 0 checks the sum between barriers;
 * many runs of one pool (threads reused), a release, and runs again. */
#include <stdio.h>
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
    return 0;
}
