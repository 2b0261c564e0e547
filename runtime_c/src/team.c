/* POSIX threads; the barrier and the hand-over of a run spin on GCC/Clang atomics (a layer
 * boundary is microseconds away), yielding or sleeping after a while so that idle workers and
 * oversubscribed machines do not burn a core. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>

#include "bnncc/common.h"
#include "bnncc/team.h"

#define SPINS_BEFORE_YIELD 2000
#define SPINS_BEFORE_SLEEP 200000     /* a worker between runs: about a millisecond of polling */

void bnn_team_sync(bnn_team *team)
{
    int round, spins = 0;
    if (!team || team->size <= 1) return;
    round = __atomic_load_n(&team->round, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&team->arrived, 1, __ATOMIC_ACQ_REL) == team->size) {
        __atomic_store_n(&team->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&team->round, round + 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&team->round, __ATOMIC_ACQUIRE) == round) {
        if (++spins > SPINS_BEFORE_YIELD) sched_yield();
    }
}

/* ---- balanced sharing (team.h): a range word is round << 48 | first << 24 | end */

#define SHARE_BITS 24
#define SHARE_MASK ((1u << SHARE_BITS) - 1u)

static uint64_t range_word(uint64_t round, int first, int end)
{
    return (round & 0xFFFFu) << 48 | (uint64_t)((unsigned)first & SHARE_MASK) << SHARE_BITS |
           ((unsigned)end & SHARE_MASK);
}

void bnn_share_begin(bnn_team *team, int id, int n, bnn_share *share)
{
    share->team = team && team->size > 1 ? team : NULL;
    share->id = id;
    share->n = n;
    share->next = 0;
    if (share->team) {
        int lo, hi;
        bnn_split(n, id, team->size, &lo, &hi);
        /* every member reads the same round: no barrier completes while one is in this statement */
        share->round = (uint64_t)__atomic_load_n(&team->round, __ATOMIC_ACQUIRE) & 0xFFFFu;
        __atomic_store_n(&team->ranges[id].word, range_word(share->round, lo, hi), __ATOMIC_RELEASE);
    }
}

/* Take the first (own range) or the last (another's) item of member j's range for this round. */
static int take(const bnn_share *share, int j, int last, int *item)
{
    uint64_t *word = &share->team->ranges[j].word;
    uint64_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    for (;;) {
        const int first = (int)(old >> SHARE_BITS & SHARE_MASK), end = (int)(old & SHARE_MASK);
        uint64_t taken;
        if (old >> 48 != share->round || first >= end) return 0;  /* not begun this round, or empty */
        taken = last ? range_word(share->round, first, end - 1) : range_word(share->round, first + 1, end);
        if (__atomic_compare_exchange_n(word, &old, taken, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *item = last ? end - 1 : first;
            return 1;
        }
    }
}

int bnn_share_next(bnn_share *share, int *item)
{
    int k;
    if (!share->team) {
        if (share->next >= share->n) return 0;
        *item = share->next++;
        return 1;
    }
    if (take(share, share->id, 0, item)) return 1;
    for (k = 1; k < share->team->size; k++)
        if (take(share, (share->id + k) % share->team->size, 1, item)) return 1;
    return 0;
}

/* ---- the pool */

static int wait_for_generation(bnn_pool *pool, int seen)
{
    int spins = 0, now;
    while ((now = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE)) == seen) {
        if (++spins < SPINS_BEFORE_SLEEP) continue;
        pthread_mutex_lock(&pool->lock);
        while ((now = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE)) == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
        break;
    }
    return now;
}

static void *worker_main(void *arg)
{
    const bnn_pool_member *member = (const bnn_pool_member *)arg;
    bnn_pool *pool = member->pool;
    int seen = member->start_generation;
    for (;;) {
        seen = wait_for_generation(pool, seen);
        if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
        if (member->id < pool->team.size) pool->fn(&pool->team, member->id, pool->ctx);
        __atomic_sub_fetch(&pool->running, 1, __ATOMIC_ACQ_REL);
    }
}

static void next_generation(bnn_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    __atomic_add_fetch(&pool->generation, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
}

int bnn_pool_run(bnn_pool *pool, int size, bnn_team_fn fn, void *ctx)
{
    int status = 0, spins = 0, members;
    if (size > BNN_MAX_TEAM) size = BNN_MAX_TEAM;
    if (size <= 1) {
        fn(NULL, 0, ctx);
        return 0;
    }
    pthread_mutex_lock(&pool->run_lock);
    while (pool->workers < size - 1) {
        bnn_pool_member *member = &pool->members[pool->workers + 1];
        member->pool = pool;
        member->id = pool->workers + 1;
        member->start_generation = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        if (pthread_create(&pool->threads[member->id], NULL, worker_main, member) != 0) {
            status = -1;            /* run with the workers we have */
            break;
        }
        pool->workers++;
    }
    members = pool->workers + 1 < size ? pool->workers + 1 : size;
    pool->fn = fn;
    pool->ctx = ctx;
    pool->team.size = members;
    pool->team.arrived = 0;
    pool->team.round = 0;
    pool->running = pool->workers;  /* every worker wakes; those beyond the team only check in */
    next_generation(pool);
    fn(members > 1 ? &pool->team : NULL, 0, ctx);
    while (__atomic_load_n(&pool->running, __ATOMIC_ACQUIRE) > 0) {
        if (++spins > SPINS_BEFORE_YIELD) sched_yield();
    }
    pthread_mutex_unlock(&pool->run_lock);
    return status;
}

static void release_workers(bnn_pool *pool)
{
    int i;
    if (pool->workers == 0) return;
    __atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
    next_generation(pool);
    for (i = 1; i <= pool->workers; i++) pthread_join(pool->threads[i], NULL);
    pool->workers = 0;
    __atomic_store_n(&pool->stop, 0, __ATOMIC_RELEASE);
}

void bnn_pool_release(bnn_pool *pool)
{
    pthread_mutex_lock(&pool->run_lock);
    release_workers(pool);
    pthread_mutex_unlock(&pool->run_lock);
}

void bnn_pool_release_if_idle(bnn_pool *pool)
{
    if (pthread_mutex_trylock(&pool->run_lock) != 0) return;
    release_workers(pool);
    pthread_mutex_unlock(&pool->run_lock);
}
