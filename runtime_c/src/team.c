/* POSIX threads; the barrier and the hand-over of a run spin on GCC/Clang atomics (a layer
 * boundary is microseconds away), yielding or sleeping after a while so that idle workers and
 * oversubscribed machines do not burn a core. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "bnncc/common.h"
#include "bnncc/team.h"

/* Waits spin with cpu_relax(), about 17 ns per spin on this project's Xeon (x86 PAUSE). */
#define SPINS_BEFORE_YIELD 1000       /* at a barrier or the end of a run: about 17 us */
#define SPINS_BEFORE_SLEEP 60000      /* a worker between runs: about a millisecond of polling */

/* A spin-wait hint: the core spends less power on the loop and leaves it without a memory-order
 * flush when the awaited store lands. It also gives the spins a duration: without it, the 200000
 * spins meant as a millisecond of polling took 0.07 ms here. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

static void update_speeds(bnn_team *team, int round);

void bnn_team_sync(bnn_team *team)
{
    int round, spins = 0;
    if (!team || team->size <= 1) return;
    round = __atomic_load_n(&team->round, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&team->arrived, 1, __ATOMIC_ACQ_REL) == team->size) {
        update_speeds(team, round);
        __atomic_store_n(&team->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&team->round, round + 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&team->round, __ATOMIC_ACQUIRE) == round) {
        cpu_relax();
        if (++spins > SPINS_BEFORE_YIELD) sched_yield();
    }
}

/* ---- balanced sharing (team.h): a range word is round << 48 | first << 24 | end */

#define SHARE_BITS 24
#define SHARE_MASK ((1u << SHARE_BITS) - 1u)
#define ROUND_MASK 0xFFFFu
/* A member's speed is never taken below this fraction of an equal share: one bad measurement
 * (a member preempted for a whole statement) must not leave it with nothing to do. */
#define MIN_SPEED_OF_EQUAL 0.125f

static uint64_t range_word(uint64_t round, int first, int end)
{
    return (round & ROUND_MASK) << 48 | (uint64_t)((unsigned)first & SHARE_MASK) << SHARE_BITS |
           ((unsigned)end & SHARE_MASK);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Run by the last member to arrive at the barrier of `round`, when no member reads the speeds: if
 * every member reported a rate for a balanced statement of this round, each speed moves halfway to
 * the member's share of the summed rates. The reports are then cleared. */
static void update_speeds(bnn_team *team, int round)
{
    float total = 0.0f, sum = 0.0f;
    int j, all = 1;
    for (j = 0; j < team->size; j++) {
        const bnn_share_range *r = &team->ranges[j];
        if (r->rate_round != (int)((unsigned)round & ROUND_MASK) || !(r->rate > 0.0f)) all = 0;
        else total += r->rate;
    }
    for (j = 0; all && j < team->size; j++) {
        float share = team->ranges[j].rate / total;
        if (share < MIN_SPEED_OF_EQUAL / (float)team->size) share = MIN_SPEED_OF_EQUAL / (float)team->size;
        team->speed[j] = team->speed[j] > 0.0f ? 0.5f * (team->speed[j] + share) : share;
        sum += team->speed[j];
    }
    for (j = 0; j < team->size; j++) {
        if (all) team->speed[j] /= sum;
        team->ranges[j].rate = 0.0f;
        team->ranges[j].rate_round = -1;
    }
}

/* The first item of member j's range: n cut in proportion to the speeds (equal when unknown).
 * Every member computes the same cuts, from speeds no one changes during the round. */
static int range_start(const bnn_team *team, int n, int j)
{
    float below = 0.0f, total = 0.0f;
    int i, lo, hi;
    if (j <= 0) return 0;
    if (j >= team->size) return n;
    for (i = 0; i < team->size; i++) {
        total += team->speed[i];
        if (i < j) below += team->speed[i];
    }
    if (!(total > 0.0f)) {
        bnn_split(n, j, team->size, &lo, &hi);
        return lo;
    }
    return (int)((float)n * (below / total) + 0.5f);
}

void bnn_share_begin(bnn_team *team, int id, int n, int grain, bnn_share *share)
{
    share->team = team && team->size > 1 ? team : NULL;
    share->id = id;
    share->n = n;
    share->grain = grain > 1 ? grain : 1;
    share->done = 0;
    if (share->team) {
        const int lo = range_start(team, n, id), hi = range_start(team, n, id + 1);
        /* every member reads the same round: no barrier completes while one is in this statement */
        share->round = (uint64_t)__atomic_load_n(&team->round, __ATOMIC_ACQUIRE) & ROUND_MASK;
        share->start_ns = now_ns();
        __atomic_store_n(&team->ranges[id].word, range_word(share->round, lo, hi), __ATOMIC_RELEASE);
    }
}

/* Take a piece of member j's range for this round: the front half (own range) or the back half
 * (another's), at least grain items, and never leaving fewer than grain behind. */
static int take(const bnn_share *share, int j, int back, int *lo, int *hi)
{
    uint64_t *word = &share->team->ranges[j].word;
    uint64_t old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    for (;;) {
        const int first = (int)(old >> SHARE_BITS & SHARE_MASK), end = (int)(old & SHARE_MASK);
        const int left = end - first;
        int size;
        if (old >> 48 != share->round || left <= 0) return 0;  /* not begun this round, or empty */
        size = back ? left / 2 : left - left / 2;
        if (size < share->grain) size = share->grain;
        if (left - size < share->grain) size = left;
        if (__atomic_compare_exchange_n(word, &old, back ? range_word(share->round, first, end - size)
                                                         : range_word(share->round, first + size, end),
                                        0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *lo = back ? end - size : first;
            *hi = *lo + size;
            return 1;
        }
    }
}

int bnn_share_next(bnn_share *share, int *lo, int *hi)
{
    int k;
    bnn_share_range *own;
    if (!share->team) {
        if (share->done || share->n <= 0) return 0;
        share->done = 1;
        *lo = 0;
        *hi = share->n;
        return 1;
    }
    for (k = 0; k < share->team->size; k++)
        if (take(share, (share->id + k) % share->team->size, k > 0, lo, hi)) {
            share->done += *hi - *lo;
            return 1;
        }
    /* nothing left: report this member's rate (read at the next barrier, after it arrives) */
    own = &share->team->ranges[share->id];
    if (share->done > 0) {
        own->rate = (float)share->done / (float)(now_ns() - share->start_ns + 1);
        own->rate_round = (int)share->round;
    }
    return 0;
}

/* ---- the pool */

static int wait_for_generation(bnn_pool *pool, int seen)
{
    int spins = 0, now;
    while ((now = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE)) == seen) {
        cpu_relax();
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
        cpu_relax();
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
