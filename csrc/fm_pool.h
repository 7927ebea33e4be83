/* A small pool of persistent worker threads for the compiled training step.
 *
 * The caller is thread 0; workers 1..n-1 run the same task on their share of
 * the work. Between tasks a worker spins for a short while (the next chunk of
 * steps usually comes within microseconds) and then sleeps on a condition
 * variable, so an idle process holds no core. Inside a task the threads meet
 * at a spinning barrier (fm_pool_barrier).
 *
 * POSIX threads only: elsewhere (and after a fork, whose child has no
 * workers) the pool runs with one thread and every barrier is a no-op.
 */
#ifndef FM_POOL_H
#define FM_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define FM_POOL_MAX_THREADS 16

/* The workers need POSIX threads and GCC/Clang's __atomic builtins; any other
 * compiler (MSVC) gets the single-threaded pool. */
#if (defined(__unix__) || defined(__APPLE__)) && defined(__GNUC__)
#define FM_POOL_THREADS 1
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#else
#define FM_POOL_THREADS 0
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define FM_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__) && defined(__GNUC__)
#define FM_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define FM_CPU_RELAX() ((void)0)
#endif

#if FM_POOL_THREADS
#define FM_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define FM_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define FM_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#else
/* One thread: nothing else reads or writes the pool's counters. */
#define FM_LOAD(p) (*(p))
#define FM_STORE(p, v) ((void)(*(p) = (v)))
#define FM_ADD(p, v) (*(p) += (v))
#endif

/* Spins before a waiting thread yields its core (inside a task) or goes to
 * sleep (between tasks): ~50-100 microseconds of pause instructions. */
#define FM_SPINS_BEFORE_YIELD 4000
#define FM_SPINS_BEFORE_SLEEP 20000

typedef void (*fm_task_fn)(void *arg, int tid, int nthreads);

/* Fields written by different threads live on their own cache lines. */
typedef struct {
    int nthreads;
#if FM_POOL_THREADS
    pid_t owner_pid;
    pthread_t threads[FM_POOL_MAX_THREADS];
    pthread_mutex_t lock;
    pthread_cond_t wake;
#endif
    fm_task_fn task;
    void *arg;
    char pad0[64];
    uint64_t generation; /* bumped by the caller to start a task */
    char pad1[64];
    int sleeping;        /* workers asleep on `wake` */
    int stop;
    char pad2[64];
    int done;            /* workers finished with the current task */
    char pad3[64];
    int barrier_count;
    char pad4[64];
    int barrier_sense;
    char pad5[64];
} fm_pool;

typedef struct {
    fm_pool *pool;
    int tid;
} fm_worker_arg;

/* Wait at the barrier of all the pool's threads; `sense` is the thread's own
 * flag, flipped at each barrier (start it from fm_pool_sense()). */
static inline void fm_pool_barrier(fm_pool *p, int *sense)
{
    if (p->nthreads <= 1)
        return;
    int s = !*sense;
    *sense = s;
    if (FM_ADD(&p->barrier_count, 1) == p->nthreads) {
        FM_STORE(&p->barrier_count, 0);
        FM_STORE(&p->barrier_sense, s);
        return;
    }
    unsigned spins = 0;
    while (FM_LOAD(&p->barrier_sense) != s) {
        FM_CPU_RELAX();
#if FM_POOL_THREADS
        /* A busy machine may have descheduled the thread we wait for. */
        if (++spins > FM_SPINS_BEFORE_YIELD)
            sched_yield();
#else
        (void)spins;
#endif
    }
}

static inline int fm_pool_sense(fm_pool *p) { return FM_LOAD(&p->barrier_sense); }

#if FM_POOL_THREADS
static void *fm_pool_worker(void *raw)
{
    fm_worker_arg *wa = (fm_worker_arg *)raw;
    fm_pool *p = wa->pool;
    int tid = wa->tid;
    free(wa);
    /* Tasks are counted from the pool's creation (generation 0): a task
     * started before this thread got here is still ahead of it. */
    uint64_t seen = 0;
    for (;;) {
        unsigned spins = 0;
        while (FM_LOAD(&p->generation) == seen && !FM_LOAD(&p->stop)) {
            if (++spins < FM_SPINS_BEFORE_SLEEP) {
                FM_CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&p->lock);
            FM_ADD(&p->sleeping, 1);
            while (FM_LOAD(&p->generation) == seen && !FM_LOAD(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            FM_ADD(&p->sleeping, -1);
            pthread_mutex_unlock(&p->lock);
        }
        if (FM_LOAD(&p->stop))
            return NULL;
        seen = FM_LOAD(&p->generation);
        p->task(p->arg, tid, p->nthreads);
        FM_ADD(&p->done, 1);
    }
}
#endif

/* A pool of `nthreads` (1..FM_POOL_MAX_THREADS) threads, the caller
 * included; fewer when threads cannot be started. NULL when out of memory. */
static fm_pool *fm_pool_create(int nthreads)
{
    fm_pool *p = (fm_pool *)calloc(1, sizeof(fm_pool));
    if (p == NULL)
        return NULL;
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > FM_POOL_MAX_THREADS)
        nthreads = FM_POOL_MAX_THREADS;
#if FM_POOL_THREADS
    p->owner_pid = getpid();
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->nthreads = 1;
    for (int t = 1; t < nthreads; ++t) {
        fm_worker_arg *wa = (fm_worker_arg *)malloc(sizeof(fm_worker_arg));
        if (wa == NULL)
            break;
        wa->pool = p;
        wa->tid = t;
        if (pthread_create(&p->threads[t], NULL, fm_pool_worker, wa) != 0) {
            free(wa);
            break;
        }
        p->nthreads = t + 1;
    }
#else
    (void)nthreads;
    p->nthreads = 1;
#endif
    return p;
}

/* Stop and join the workers, then free the pool. After a fork the child's
 * copy has no workers to join: it is freed without waiting. */
static void fm_pool_destroy(fm_pool *p)
{
    if (p == NULL)
        return;
#if FM_POOL_THREADS
    if (p->owner_pid == getpid()) {
        pthread_mutex_lock(&p->lock);
        FM_STORE(&p->stop, 1);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        for (int t = 1; t < p->nthreads; ++t)
            pthread_join(p->threads[t], NULL);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
    }
#endif
    free(p);
}

/* Whether the pool's workers exist in this process (false in a forked child). */
static inline int fm_pool_usable(const fm_pool *p)
{
#if FM_POOL_THREADS
    return p != NULL && p->owner_pid == getpid();
#else
    return p != NULL;
#endif
}

/* Run task(arg, tid, n) on every thread of the pool, the caller as thread
 * 0; returns when all have finished. */
static void fm_pool_run(fm_pool *p, fm_task_fn task, void *arg)
{
    if (p->nthreads <= 1) {
        task(arg, 0, 1);
        return;
    }
#if FM_POOL_THREADS
    p->task = task;
    p->arg = arg;
    FM_STORE(&p->done, 0);
    FM_ADD(&p->generation, 1);
    if (FM_LOAD(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    task(arg, 0, p->nthreads);
    unsigned spins = 0;
    while (FM_LOAD(&p->done) != p->nthreads - 1) {
        FM_CPU_RELAX();
        if (++spins > FM_SPINS_BEFORE_YIELD)
            sched_yield();
    }
#endif
}

#endif /* FM_POOL_H */
