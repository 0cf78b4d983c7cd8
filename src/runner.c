/*
 * Runners: how tasks reach the threadpool.
 *
 * The library keeps its backlog itself and hands libuv at most
 * `max_runners` (the pool size) work requests per env. Each request, a
 * runner, pulls ready tasks from the env's backlog and runs them one after
 * another until the backlog is empty or RUNNER_BUDGET_NS has passed, then
 * gives its thread back to libuv. So an fs or dns request queued meanwhile
 * waits about one budget, not the whole backlog, and a busy env pays one
 * loop round trip per budget, not per task. Queues (caps per lane) are
 * applied when a task moves into the backlog (queue.c).
 *
 * Threads: runner_work runs on the threadpool and touches the env only
 * under env->mu (and its `closing` atomic); everything else here runs on
 * the loop (JS) thread. Calls queue.c, env.c, output.c.
 *
 * back edge: runner.c -> loop.c (nt_loop_runner_done). A runner's
 * completion is a loop-thread entry point: it is handed to uv_queue_work
 * as a function pointer, never called from here; it calls back down into
 * nt_runner_retire.
 */
#include "internal.h"

/* How long a runner keeps its thread, checked between tasks. */
#define RUNNER_BUDGET_NS 1000000u

/* How long after a runner left its work loop pump counts it as gone: one
   budget, so a task delivered while JS is busy waits about one budget for
   a thread, as other threadpool users do. A shorter time wakes a thread
   for every few tasks (see docs/performance.md, "Runner gone time"). */
#define RUNNER_GONE_NS RUNNER_BUDGET_NS

typedef struct nt_runner {
  uv_work_t req;
  nt_env *env;
  nt_link link;  /* in env->runner_reqs; loop thread only */
  /* Written by the runner's thread, read in nt_runner_retire (libuv orders
     the two). */
  unsigned ran;       /* tasks this runner ran */
  bool out_of_budget; /* it stopped with work left, not on an empty backlog */
  bool settle;        /* it left without waking the loop: its completion
                         settles */
  bool idle;          /* it left after a linger that caught no task */
  bool lingered;      /* it lingered at least once (runner_work) */
} nt_runner;

/* A runner that spent its whole budget on this few tasks means tasks are
   long: then the loop round trip between a runner leaving and its
   successor starting idles a thread once per task. So while tasks are
   long, each thread gets one successor runner queued in libuv behind it.
   With short tasks the round trip is paid once per budget, and extra
   runners only add contention, so the limit stays at the pool size (see
   docs/performance.md, "Long tasks"). */
#define LONG_TASKS_MAX_RAN 2

/* Threadpool, mu held; mu is released meanwhile. The env was torn down
   while perform ran: nothing will take its output, or the progress it
   left pending, to JS, and a runtime that does not run a runner's
   completion after teardown (Bun, Deno) would never drop them. So they
   are dropped here, on this thread (drops may run on any thread):
   exactly-once does not depend on the loop coming back. The task goes on
   to env->done with an output that owns nothing. */
static void drop_after_teardown_locked(nt_env *e, napi_task t,
                                       napi_task_output *out) {
  nt_progress_item *pending = NULL;
  if (t->x != NULL) {
    pending = t->x->progress_head;
    t->x->progress_head = t->x->progress_tail = NULL;
    nt_list_remove(&t->x->progress_link);
  }
  nt_mutex_unlock(&e->mu);
  nt_output_drop(out);
  nt_progress_free(pending);
  nt_mutex_lock(&e->mu);
}

/* Threadpool, mu held; mu is released while perform runs. Runs t and puts
   it on env->done. */
static void run_locked(nt_env *e, napi_task t) {
  napi_task_output out;
  t->state = NT_RUNNING;
  e->busy++;
  nt_mutex_unlock(&e->mu);

  /* perform owns t->data from here on; no lock is held while it runs. */
  out = t->perform((napi_task_ctx)t, t->data);

  nt_mutex_lock(&e->mu);
  if (e->torn_down) drop_after_teardown_locked(e, t, &out);
  e->busy--;
  t->output = out; /* replaces perform, data and drop (the union) */
  t->state = NT_DONE;
  nt_queue_finished_locked(e, t);
  nt_list_push(&e->done, &t->link);
}

/* Lingering: a runner that empties the backlog, when nothing else of the
   env is running or waiting to be settled, does not leave at once. It hands
   what it finished to the loop (nt_env_wake) and then watches the backlog,
   without the lock, for up to env->linger_ns (NAPI_TASK_LINGER_US, 50
   microseconds unless set). With one task in flight, a JS loop that awaits
   each task, the next task comes from the callback of the last a few
   microseconds later: the lingering runner takes it at once, and the round
   trip pays one thread wake-up (the loop's) instead of two (the loop's,
   then a pool thread's). The first LINGER_SPINS turns are CPU pause hints
   (about 10 microseconds on recent x86, less on older x86 and on Arm);
   after that each turn yields the CPU, so that on one CPU, or under load,
   the JS thread runs instead of the lingering runner.

   What it costs: while it lingers, a threadpool thread and a CPU, for at
   most linger_ns (within the runner's budget). One runner per env lingers
   at a time, but several envs (workers), each with one, may hold a small
   pool's every thread for that long. A linger that catches nothing counts
   the runner out at once (env->left_idle), so the next task gets a runner
   as if nobody had lingered; and after each miss the env lets twice as
   many chances to linger go by (at most 2^LINGER_MAX_BACKOFF - 1), so tasks
   further apart than linger_ns pay for about one linger in 64. See
   docs/performance.md, "Lingering runners". */
#define LINGER_SPINS 256u
#define LINGER_MAX_BACKOFF 6u

/* Threadpool, mu held, the backlog empty: whether this runner lingers
   (then it is the env's one lingering runner until linger_locked returns). */
static bool linger_begin_locked(nt_env *e, uint64_t start) {
  /* done holds exactly one task: the one this runner just finished. */
  if (e->linger_ns == 0 || e->lingering || e->busy != 0 ||
      e->done.next != e->done.prev ||
      uv_hrtime() - start >= RUNNER_BUDGET_NS)
    return false;
  if (e->linger_skip > 0) {
    e->linger_skip--;
    return false;
  }
  e->lingering = true;
  return true;
}

/* Threadpool, mu held; mu is released meanwhile. True when the backlog has
   a task again; false when the linger timed out (or the env is closing).
   Only a linger that saw no task come for its whole linger_ns is a miss:
   one cut short by the runner's budget, or whose task another runner took
   first, says nothing about how far apart tasks are. */
static bool linger_locked(nt_env *e, uint64_t start) {
  unsigned gen = atomic_load_explicit(&e->backlog_gen, memory_order_relaxed);
  uint64_t now = uv_hrtime();
  uint64_t until = now + e->linger_ns;
  bool capped = false, seen = false;
  unsigned i;

  if (start + RUNNER_BUDGET_NS < until) {
    until = start + RUNNER_BUDGET_NS;
    capped = true;
  }
  nt_mutex_unlock(&e->mu);
  for (i = 0; now < until; i++) {
    if (i < LINGER_SPINS)
      nt_cpu_relax();
    else
      nt_yield();
    seen = atomic_load_explicit(&e->backlog_gen, memory_order_relaxed) != gen;
    if (seen || atomic_load_explicit(&e->closing, memory_order_relaxed))
      break;
    if (i >= LINGER_SPINS || (i & 31) == 31) now = uv_hrtime();
  }
  nt_mutex_lock(&e->mu);
  e->lingering = false;
  if (nt_list_empty(&e->backlog)) {
    if (!seen && !capped) {
      if (e->linger_misses < LINGER_MAX_BACKOFF) e->linger_misses++;
      e->linger_skip = (1u << e->linger_misses) - 1;
    }
    return false;
  }
  e->linger_misses = 0;
  return true;
}

/* Threadpool. */
static void runner_work(uv_work_t *req) {
  nt_runner *r = NT_CONTAINER(req, nt_runner, req);
  nt_env *e = r->env;
  uint64_t start = uv_hrtime();
  nt_link *l;

  nt_mutex_lock(&e->mu);
  while (!atomic_load_explicit(&e->closing, memory_order_relaxed) &&
         (l = nt_list_shift(&e->backlog)) != NULL) {
    run_locked(e, NT_CONTAINER(l, struct napi_task__, link));
    r->ran++;
    /* Leaving with the backlog empty, without lingering: libuv wakes the
       loop for the runner's completion right after this returns, and the
       completion settles. A wake of our own would be a second eventfd
       write per task, and the batch it starts often runs before the
       completion has counted this runner out: a task the callback
       delivers then waits in the backlog for the next loop iteration (the
       completion's pump), since plan_locked still counts this runner as
       live for RUNNER_GONE_NS (see docs/performance.md, "Portability and
       one task in flight (December)"). A lingering runner wakes the loop
       itself, and is still there to take that task. */
    if (atomic_load_explicit(&e->closing, memory_order_relaxed) ||
        (nt_list_empty(&e->backlog) && !linger_begin_locked(e, start))) {
      r->settle = true;
      break;
    }
    nt_env_wake(e);
    if (nt_list_empty(&e->backlog)) {
      r->lingered = true;
      if (linger_locked(e, start)) continue;
      r->idle = true;
      break;
    }
    if (uv_hrtime() - start >= RUNNER_BUDGET_NS) {
      r->out_of_budget = true;
      break;
    }
  }
  /* From here this runner takes no task, though its completion has yet to
     run on the loop: pump must not count on it (env->left). One that
     lingered in vain has waited linger_ns for JS already: pump counts it
     out at once (env->left_idle). */
  if (r->idle) {
    e->left_idle++;
  } else {
    e->left++;
    e->left_at = uv_hrtime();
  }
  nt_mutex_unlock(&e->mu);
}

/* Loop thread, from nt_loop_runner_done. No runner is ever cancelled
   (uv_cancel is not in every runtime): one that starts after teardown
   finds `closing` and takes no task. */
nt_env *nt_runner_retire(uv_work_t *req, bool *settle) {
  nt_runner *r = NT_CONTAINER(req, nt_runner, req);
  nt_env *e = r->env;

  *settle = r->settle && !e->tearing_down;
  if (!*settle) { /* else the batch counts it out, under the same lock */
    nt_mutex_lock(&e->mu);
    if (r->idle)
      e->left_idle--;
    else
      e->left--;
    nt_mutex_unlock(&e->mu);
  }
  /* A runner that lingered spent part of its budget waiting, not running:
     that says nothing about how long tasks are. */
  e->long_tasks =
      r->out_of_budget && r->ran <= LONG_TASKS_MAX_RAN && !r->lingered;
  nt_list_remove(&r->link);
  /* One record kept for the next runner: with one task in flight a runner
     starts per task, and malloc + free were a sizeable share of the loop
     thread's instructions per task (see docs/performance.md, "Portability
     and one task in flight (December)"). */
  if (e->spare_runner == NULL && !e->tearing_down)
    e->spare_runner = r;
  else
    free(r);
  e->runners--;
  return e;
}

/* What pump will do, decided under mu. */
typedef struct pump_plan {
  size_t ready, live, available;
  unsigned limit;
} pump_plan;

/* mu held. */
static void plan_locked(nt_env *e, pump_plan *p) {
  nt_link *l;
  p->limit = e->long_tasks ? 2 * e->max_runners : e->max_runners;
  p->ready = 0;
  for (l = e->backlog.next; l != &e->backlog && p->ready < p->limit;
       l = l->next)
    p->ready++;
  /* Runners that will still take tasks: not those that left runner_work
     (their completion is pending) — once they have been gone a while. A
     runner that left just now usually means the runners outpace a JS loop
     that is delivering tasks: starting a new runner per delivery then costs
     a thread wake-up per task (see docs/performance.md, "Starting a runner
     per delivery"); waiting lets the tasks gather until the loop turns
     (the completion pumps) or the gap grows. A task delivered long after
     the last runner left (JS busy elsewhere) gets a runner at once. Of the
     live runners, the ones not inside a perform (queued in libuv, or
     between tasks) take ready tasks soon. */
  p->live = e->runners - e->left_idle;
  if (e->left > 0 && uv_hrtime() - e->left_at >= RUNNER_GONE_NS)
    p->live -= e->left;
  p->available = p->live - e->busy;
}

/* Loop thread, mu not held. No runner could be started (no memory for
   its record, or uv_queue_work refused) and none is live, so no
   completion will pump again and the ready tasks would wait for ever
   (found by fault injection). They fail instead, each with the system
   error, as if its perform had returned it; their data is dropped. A
   queue's waiting tasks, promoted as the ready ones leave, fail with them.
   With a runner live, a later completion pumps again instead. */
static void fail_ready(nt_env *e, int uv_err, const char *syscall) {
  nt_link failed;
  nt_link *l;
  nt_list_init(&failed);
  nt_mutex_lock(&e->mu);
  if (e->runners == 0) {
    while (!nt_list_empty(&e->backlog)) {
      napi_task t = NT_CONTAINER(e->backlog.next, struct napi_task__, link);
      nt_dequeue_locked(e, t); /* may promote a queue's waiting task */
      t->state = NT_SETTLING;
      nt_list_push(&failed, &t->link);
    }
    if (!nt_list_empty(&failed)) nt_env_wake(e);
  }
  nt_mutex_unlock(&e->mu);
  while ((l = nt_list_shift(&failed)) != NULL) {
    napi_task t = NT_CONTAINER(l, struct napi_task__, link);
    nt_task_drop_data(t);
    t->output = napi_task_error_uv(uv_err, syscall, NULL);
    nt_list_push(&e->settle, &t->link);
  }
}

/* Loop thread, mu not held: one available runner per ready task, up to
   the limit, so idle threads get work and a single task does not wake the
   whole pool. */
static void submit(nt_env *e, pump_plan *p) {
  int err;
  if (e->tearing_down) return;
  while (p->live < p->limit && p->available < p->ready) {
    nt_runner *r = e->spare_runner;
    if (r != NULL)
      e->spare_runner = NULL;
    else if ((r = nt_malloc(sizeof(*r))) == NULL) {
      fail_ready(e, UV_ENOMEM, "malloc");
      return;
    }
    r->env = e;
    r->ran = 0;
    r->out_of_budget = false;
    r->settle = false;
    r->idle = false;
    r->lingered = false;
    err = uv_queue_work(e->loop, &r->req, runner_work, nt_loop_runner_done);
    if (err != 0) {
      free(r);
      fail_ready(e, err, "uv_queue_work");
      return;
    }
    nt_list_push(&e->runner_reqs, &r->link);
    e->runners++;
    p->live++;
    p->available++;
  }
}

void nt_runner_pump(nt_env *e) {
  pump_plan p;
  if (e->tearing_down) return;
  nt_mutex_lock(&e->mu);
  plan_locked(e, &p);
  nt_mutex_unlock(&e->mu);
  submit(e, &p);
}

void nt_runner_deliver(nt_env *e, napi_task t) {
  pump_plan p;
  /* One critical section per delivery: enqueue and plan together. */
  nt_mutex_lock(&e->mu);
  nt_enqueue_locked(e, t);
  plan_locked(e, &p);
  nt_mutex_unlock(&e->mu);
  submit(e, &p);
}
