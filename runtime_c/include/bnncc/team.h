/* bnncc runtime: a team of threads running one sample's schedule together (SPMD).
 *
 * Every member executes the whole schedule; each kernel call is given the member's share of the
 * work (rows, channels or elements: bnn_split), and members meet at bnn_team_sync between
 * layers, so a layer reads only what the previous layers finished. The caller is member 0.
 * Threads are created per bnn_team_run call and joined before it returns: no state outlives a
 * call, nothing is allocated by bnncc (pthread_create manages the thread stacks).
 * Single-threaded use: pass team NULL; bnn_team_sync(NULL) does nothing.
 */
#ifndef BNNCC_TEAM_H
#define BNNCC_TEAM_H

#include "common.h"

typedef struct {
    int size;                 /* number of members */
    volatile int arrived;     /* members at the barrier in the current round */
    volatile int round;       /* incremented each time all members arrived */
    volatile int started;     /* set once the team's size is final; members wait for it */
} bnn_team;

/* [*lo, *hi): member `id`'s share of n items split as evenly as possible among `size`. */
static inline void bnn_split(int n, int id, int size, int *lo, int *hi)
{
    *lo = (int)((long long)n * id / size);
    *hi = (int)((long long)n * (id + 1) / size);
}

/* Barrier: returns when every member of the team has called it (no-op for NULL or size 1). */
void bnn_team_sync(bnn_team *team);

/* Runs fn(team, id, ctx) for id = 0..size-1, id 0 on the calling thread, and joins. Members
 * take their share from team->size (team is NULL for a team of one). Returns 0, or -1 when
 * fewer threads could be created: the work then ran on a smaller team, still complete. */
typedef void (*bnn_team_fn)(bnn_team *team, int id, void *ctx);
int bnn_team_run(int size, bnn_team_fn fn, void *ctx);

#endif /* BNNCC_TEAM_H */
