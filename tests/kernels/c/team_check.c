/* Team barrier check: 4 members update disjoint shares, member 0 checks the sum between barriers. */
#include <stdio.h>
#include "bnncc/team.h"
typedef struct { int data[1000]; long sum[8]; } ctx_t;
static void work(bnn_team *t, int id, void *p) {
    ctx_t *c = p; int n = t ? t->size : 1, lo, hi, i, r;
    for (r = 0; r < 200; r++) {
        bnn_split(1000, id, n, &lo, &hi);
        for (i = lo; i < hi; i++) c->data[i] += 1;
        bnn_team_sync(t);
        if (id == 0) { long s = 0; for (i = 0; i < 1000; i++) s += c->data[i]; if (s != 1000L * (r + 1)) printf("bad %d\n", r); }
        bnn_team_sync(t);
    }
}
int main(void) { static ctx_t c; int rc = bnn_team_run(4, work, &c); printf("rc=%d data[999]=%d\n", rc, c.data[999]); return 0; }
