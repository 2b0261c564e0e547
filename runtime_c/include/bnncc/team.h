/* bnncc runtime: a team of threads running one sample's schedule together (SPMD).
 *
 * Every member executes the whole schedule; each kernel call is given the member's share of the
 * work (rows, channels or elements: bnn_split), and members meet at bnn_team_sync between
 * layers, so a layer reads only what the previous layers finished. The caller is member 0.
 *
 * The other members are POSIX threads kept in a bnn_pool between calls (starting threads costs
 * ~0.1 ms, as much as a small network): a pool starts them on its first run, they spin briefly
 * after each run and then sleep on a condition variable until the next one; bnn_pool_release
 * stops them. Runs of one pool are serialized. bnncc allocates nothing itself.
 * Single-threaded use: pass team NULL; bnn_team_sync(NULL) does nothing.
 */
#ifndef BNNCC_TEAM_H
#define BNNCC_TEAM_H

#include <pthread.h>
#include <stdint.h>

#include "common.h"

#define BNN_MAX_TEAM 64

/* A member's range of the items of a balanced statement (bnn_share_*), in one cache line:
 * round (16 bits) << 48 | first item not taken (24 bits) << 24 | end of the range (24 bits);
 * and how fast the member went through its items, for the barrier to update the speeds. */
typedef struct {
    uint64_t word;
    float rate;               /* items per nanosecond in the balanced statement of round rate_round */
    int rate_round;           /* -1: no rate to report */
    char pad[48];
} bnn_share_range;

typedef struct {
    int size;                 /* number of members */
    volatile int arrived;     /* members at the barrier in the current round */
    volatile int round;       /* incremented each time all members arrived */
    /* members' relative speeds (sum 1; all 0: equal), from the rates of the last balanced
     * statements, updated only by the last member to arrive at a barrier */
    float speed[BNN_MAX_TEAM];
    bnn_share_range ranges[BNN_MAX_TEAM];
} bnn_team;

typedef void (*bnn_team_fn)(bnn_team *team, int id, void *ctx);

typedef struct bnn_pool bnn_pool;

typedef struct {
    bnn_pool *pool;
    int id;
    int start_generation;         /* the worker waits for the generation after this one */
} bnn_pool_member;

struct bnn_pool {
    pthread_mutex_t run_lock;     /* one run at a time */
    pthread_mutex_t lock;         /* guards sleeping workers' wake-up */
    pthread_cond_t wake;
    int workers;                  /* threads started (members 1..workers) */
    volatile int generation;      /* incremented for every run, and to stop */
    volatile int running;         /* workers still inside the current run */
    volatile int stop;
    bnn_team_fn fn;
    void *ctx;
    bnn_team team;
    pthread_t threads[BNN_MAX_TEAM];
    bnn_pool_member members[BNN_MAX_TEAM];
};

#define BNN_POOL_INITIALIZER {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, \
                              0, 0, 0, 0, NULL, NULL, {0, 0, 0, {0}, {{0, 0.0f, 0, {0}}}}, {0}, {{NULL, 0, 0}}}

/* [*lo, *hi): member `id`'s share of n items split as evenly as possible among `size`. */
static inline void bnn_split(int n, int id, int size, int *lo, int *hi)
{
    *lo = (int)((long long)n * id / size);
    *hi = (int)((long long)n * (id + 1) / size);
}

/* Barrier: returns when every member of the team has called it (no-op for NULL or size 1). */
void bnn_team_sync(bnn_team *team);

/* Balanced sharing of the n items (n < 2^24) of one statement among the members, for work whose
 * cost per member may differ (a core shared with other processes, a slower core):
 *   - member id owns a contiguous range of the items, cut in proportion to the members' speeds
 *     measured in the previous balanced statements (equal shares at first), so that without a
 *     change of speed all members finish together, each in the region it had in the previous layer;
 *   - it takes its own items from the front, half of what is left each time (so the last pieces,
 *     which decide when the layer ends, are small), and once they are gone it takes the back half
 *     of what another member has left;
 *   - no piece is smaller than `grain` items, unless fewer are left (per-call costs of kernels);
 *   - when a member finds nothing left, it reports its rate (items per nanosecond of its own time
 *     in the statement), from which the next barrier updates the speeds.
 * Every item is taken exactly once, and all are taken when the members next meet at
 * bnn_team_sync.
 *     bnn_share sh; int lo, hi;
 *     bnn_share_begin(team, id, n, grain, &sh);
 *     while (bnn_share_next(&sh, &lo, &hi)) work(lo, hi);
 * At most one such statement between two barriers (a range is reused at the next one). team NULL:
 * all items in one piece. */
typedef struct {
    bnn_team *team;
    int id, n, grain;
    int done;                 /* items taken (team NULL: 1 once the piece is handed out) */
    uint64_t round;           /* the barrier round, the epoch of this statement's ranges */
    uint64_t start_ns;
} bnn_share;

void bnn_share_begin(bnn_team *team, int id, int n, int grain, bnn_share *share);
int bnn_share_next(bnn_share *share, int *lo, int *hi);

/* Runs fn(team, id, ctx) for id = 0..size-1, id 0 on the calling thread, and returns when all
 * are done. Members take their share from team->size (team is NULL for a team of one). Returns
 * 0, or -1 when fewer threads could be started: the work then ran on a smaller team, complete. */
int bnn_pool_run(bnn_pool *pool, int size, bnn_team_fn fn, void *ctx);

/* Stops and joins the pool's threads (a later run starts them again). Waits for a run in flight.
 * The threads execute the library's code: release them before the library is unloaded. */
void bnn_pool_release(bnn_pool *pool);

/* bnn_pool_release unless a run is in flight (then it returns at once): for library destructors,
 * which may run while another thread is still inside a run (exit() called mid-run), where
 * waiting would hang the process. */
void bnn_pool_release_if_idle(bnn_pool *pool);

#endif /* BNNCC_TEAM_H */
