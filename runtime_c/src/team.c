/* POSIX threads; the barrier spins on GCC/Clang atomics (a layer boundary is microseconds away),
 * yielding the CPU after a while so oversubscribed machines still make progress. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>

#include "bnncc/common.h"
#include "bnncc/team.h"

#define BNN_MAX_TEAM 64
#define SPINS_BEFORE_YIELD 2000

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

typedef struct {
    bnn_team *team;
    int id;
    bnn_team_fn fn;
    void *ctx;
} member_args;

static void *member_main(void *arg)
{
    member_args *m = (member_args *)arg;
    int spins = 0;
    /* wait until the creator knows how many members the team really has */
    while (!__atomic_load_n(&m->team->started, __ATOMIC_ACQUIRE)) {
        if (++spins > SPINS_BEFORE_YIELD) sched_yield();
    }
    m->fn(m->team, m->id, m->ctx);
    return NULL;
}

int bnn_team_run(int size, bnn_team_fn fn, void *ctx)
{
    bnn_team team;
    pthread_t threads[BNN_MAX_TEAM];
    member_args args[BNN_MAX_TEAM];
    int i, created = 0;

    if (size > BNN_MAX_TEAM) size = BNN_MAX_TEAM;
    if (size <= 1) {
        fn(NULL, 0, ctx);
        return 0;
    }
    team.arrived = 0;
    team.round = 0;
    team.started = 0;
    for (i = 1; i < size; i++) {
        args[i].team = &team;
        args[i].id = i;
        args[i].fn = fn;
        args[i].ctx = ctx;
        if (pthread_create(&threads[i], NULL, member_main, &args[i]) != 0) break;
        created++;
    }
    /* members start only now, so a failed pthread_create just makes a smaller team */
    team.size = created + 1;
    __atomic_store_n(&team.started, 1, __ATOMIC_RELEASE);
    fn(team.size > 1 ? &team : NULL, 0, ctx);
    for (i = 1; i <= created; i++) pthread_join(threads[i], NULL);
    return created == size - 1 ? 0 : -1;
}
