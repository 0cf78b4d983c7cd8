/*
 * Runners: how tasks reach the threadpool (docs/decisions.md, D1). The env
 * hands libuv at most `pool` work requests, runners; each runs tasks off
 * the backlog until it is empty or the budget has passed. runner_work runs
 * on the threadpool and touches the env only under env->mu (and the
 * atomics `phase` and `backlog_gen`); the rest runs on the loop thread.
 * Calls queue.c, env.c, output.c.
 *
 * back edge: runner.c -> settle.c (nt_settle_runner_done), a loop-thread
 * entry point handed to uv_queue_work as a function pointer; it calls back
 * down into nt_runner_retire.
 */
#include "internal.h"

/* How long a runner keeps its thread: fairness to fs and dns (D1). */
#define RUNNER_BUDGET_NS 1000000u
/* How long after a runner exited plan_locked stops counting on it (D2). */
#define RUNNER_GONE_NS RUNNER_BUDGET_NS
/* A runner whose budget ran out after this few tasks found them long (D3). */
#define LONG_TASKS_MAX_RAN 2
/* Pause hints before a lingering runner yields its CPU each turn (D4). */
#define LINGER_SPINS 256u
/* After n misses in a row, 2^n - 1 chances to linger go by (D4). */
#define LINGER_MAX_BACKOFF 6u

typedef struct nt_runner {
  uv_work_t req;
  nt_env *env;
  /* Written by the runner's thread, read at retire (libuv orders them). */
  unsigned ran;            /* tasks it ran */
  bool out_of_budget;      /* it exited with tasks left */
  bool completion_settles; /* it exited without waking the loop (D9) */
  bool idle;               /* it exited after a linger that caught nothing */
  bool lingered;           /* it lingered at least once */
} nt_runner;

/* mu held, any thread: the scheduler's invariants (checked builds). */
static void sched_check_locked(const nt_env *e) {
#ifdef NAPI_TASK_CHECKS
  const nt_sched *s = &e->sched;
  unsigned gone = s->exited + s->exited_idle;
  NT_CHECK(s->performing <= s->working);
  NT_CHECK(s->working + gone <= s->runners);
  NT_CHECK(s->runners - gone <= 2 * s->pool);
  NT_CHECK(!s->lingering || s->working > s->performing);
  NT_CHECK(s->linger_misses <= LINGER_MAX_BACKOFF);
  NT_CHECK(s->linger_skip < (1u << LINGER_MAX_BACKOFF));
  NT_CHECK(s->exited == 0 || s->exited_at != 0);
#else
  (void)e;
#endif
}

void nt_runner_count_out_locked(nt_env *e, unsigned exited) {
  e->sched.exited -= exited;
  e->sched.runners -= exited;
  sched_check_locked(e);
}

/* Threadpool, mu held and released meanwhile. The env ended while perform
   ran: nothing takes its output or progress to JS, and Bun and Deno run no
   completion after teardown, so they are dropped here (on any thread). */
static void drop_after_end_locked(nt_env *e, napi_task t,
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

/* Threadpool, mu held and released while perform runs. */
static void run_locked(nt_env *e, napi_task t) {
  napi_task_output out;
  t->state = NT_RUNNING;
  e->sched.performing++;
  nt_mutex_unlock(&e->mu);

  out = t->perform((napi_task_ctx)t, t->data); /* perform owns t->data */

  nt_mutex_lock(&e->mu);
  if (nt_env_ended(e)) drop_after_end_locked(e, t, &out);
  e->sched.performing--;
  t->output = out; /* replaces perform, data and drop (the union) */
  t->state = NT_DONE;
  nt_queue_finished_locked(e, t);
  nt_list_push(&e->done, &t->link);
  sched_check_locked(e);
}

/* Lingering (D4): a runner that empties the backlog while nothing else of
   the env runs or awaits settling watches backlog_gen for up to linger_ns. */

/* Threadpool, mu held, the backlog empty: whether this runner lingers. */
static bool linger_begin_locked(nt_env *e, uint64_t start) {
  nt_sched *s = &e->sched;
  /* done holds exactly one task: the one this runner just finished. */
  if (s->linger_ns == 0 || s->lingering || s->performing != 0 ||
      e->done.next != e->done.prev || uv_hrtime() - start >= RUNNER_BUDGET_NS)
    return false;
  if (s->linger_skip > 0) {
    s->linger_skip--;
    return false;
  }
  s->lingering = true;
  sched_check_locked(e);
  return true;
}

/* Threadpool, mu held and released meanwhile: true when the backlog has a
   task again. A miss is only a whole linger_ns without a task seen (D4). */
static bool linger_locked(nt_env *e, uint64_t start) {
  nt_sched *s = &e->sched;
  unsigned gen = atomic_load_explicit(&s->backlog_gen, memory_order_relaxed);
  uint64_t now = uv_hrtime(), until = now + s->linger_ns;
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
    seen = atomic_load_explicit(&s->backlog_gen, memory_order_relaxed) != gen;
    if (seen || nt_env_phase(e) != NT_ENV_OPEN) break;
    if (i >= LINGER_SPINS || (i & 31) == 31) now = uv_hrtime();
  }
  nt_mutex_lock(&e->mu);
  s->lingering = false;
  if (nt_list_empty(&e->backlog)) {
    if (!seen && !capped) {
      if (s->linger_misses < LINGER_MAX_BACKOFF) s->linger_misses++;
      s->linger_skip = (1u << s->linger_misses) - 1;
    }
    sched_check_locked(e);
    return false;
  }
  s->linger_misses = 0;
  sched_check_locked(e);
  return true;
}

/* Threadpool. */
static void runner_work(uv_work_t *req) {
  nt_runner *r = NT_CONTAINER(req, nt_runner, req);
  nt_env *e = r->env;
  nt_sched *s = &e->sched;
  uint64_t start = uv_hrtime();
  nt_link *l;

  nt_mutex_lock(&e->mu);
  s->working++;
  sched_check_locked(e);
  while (nt_env_phase(e) == NT_ENV_OPEN &&
         (l = nt_list_shift(&e->backlog)) != NULL) {
    run_locked(e, NT_CONTAINER(l, struct napi_task__, link));
    r->ran++;
    /* Exiting with the backlog empty and no linger: libuv wakes the loop
       for the completion, which settles (D9). */
    if (nt_env_phase(e) != NT_ENV_OPEN ||
        (nt_list_empty(&e->backlog) && !linger_begin_locked(e, start))) {
      r->completion_settles = true;
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
  /* It takes no task from here on: plan_locked must not count on it. */
  s->working--;
  if (r->idle) {
    s->exited_idle++;
  } else {
    s->exited++;
    s->exited_at = uv_hrtime();
  }
  sched_check_locked(e);
  nt_mutex_unlock(&e->mu);
}

nt_env *nt_runner_retire(uv_work_t *req, bool *settle) {
  nt_runner *r = NT_CONTAINER(req, nt_runner, req);
  nt_env *e = r->env;
  nt_sched *s = &e->sched;

  /* A settling completion is counted out by the batch, as it takes work. */
  *settle = r->completion_settles && !nt_env_ended(e);
  if (!*settle) {
    nt_mutex_lock(&e->mu);
    if (r->idle) {
      s->exited_idle--;
      s->runners--;
      sched_check_locked(e);
    } else {
      nt_runner_count_out_locked(e, 1);
    }
    nt_mutex_unlock(&e->mu);
  }
  /* A runner that lingered spent its budget partly waiting (D3). */
  s->long_tasks =
      r->out_of_budget && r->ran <= LONG_TASKS_MAX_RAN && !r->lingered;
  if (s->spare == NULL && !nt_env_ended(e))
    s->spare = r; /* D10 */
  else
    free(r);
  return e;
}

/* mu held: how many runners to start, reserved in sched.runners: one per
   ready task no live runner will take, up to the limit. A runner that
   exited just now still counts as live (D2, D5). */
static unsigned plan_locked(nt_env *e) {
  nt_sched *s = &e->sched;
  unsigned limit = s->long_tasks ? 2 * s->pool : s->pool;
  unsigned live = s->runners - s->exited_idle, available, ready = 0, n;
  nt_link *l;

  if (s->exited > 0 && uv_hrtime() - s->exited_at >= RUNNER_GONE_NS)
    live -= s->exited;
  available = live - s->performing;
  for (l = e->backlog.next; l != &e->backlog && ready < limit; l = l->next)
    ready++;
  n = live < limit && available < ready ? ready - available : 0;
  if (n > limit - live) n = limit - live;
  s->runners += n;
  sched_check_locked(e);
  return n;
}

/* Loop thread, mu not held. No runner could start and none is live, so no
   completion will pump: ready tasks (and those promoted as they leave)
   fail with the system error, their data dropped. */
static void fail_ready(nt_env *e, int uv_err, const char *syscall) {
  nt_link failed;
  nt_link *l;
  nt_list_init(&failed);
  nt_mutex_lock(&e->mu);
  if (e->sched.runners == 0) {
    while (!nt_list_empty(&e->backlog)) {
      napi_task t = NT_CONTAINER(e->backlog.next, struct napi_task__, link);
      nt_dequeue_locked(e, t);
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
    nt_list_push(&e->settle_early, &t->link);
  }
}

/* Loop thread, mu not held: hands libuv the n runners plan_locked
   reserved; on failure gives the rest of the reservation back. */
static void submit(nt_env *e, unsigned n) {
  nt_sched *s = &e->sched;
  int err = 0;
  const char *syscall = NULL;

  for (; n > 0; n--) {
    nt_runner *r = s->spare;
    if (r != NULL) {
      s->spare = NULL;
    } else if ((r = nt_malloc(sizeof(*r))) == NULL) {
      err = UV_ENOMEM;
      syscall = "malloc";
      break;
    }
    memset(r, 0, sizeof(*r));
    r->env = e;
    err = uv_queue_work(e->loop, &r->req, runner_work,
                        nt_settle_runner_done);
    if (err != 0) {
      free(r);
      syscall = "uv_queue_work";
      break;
    }
  }
  if (n == 0) return;
  nt_mutex_lock(&e->mu);
  s->runners -= n;
  sched_check_locked(e);
  nt_mutex_unlock(&e->mu);
  fail_ready(e, err, syscall);
}

void nt_runner_pump(nt_env *e) {
  unsigned n;
  if (nt_env_ended(e)) return;
  nt_mutex_lock(&e->mu);
  n = plan_locked(e);
  nt_mutex_unlock(&e->mu);
  submit(e, n);
}

void nt_runner_deliver(nt_env *e, napi_task t) {
  unsigned n;
  nt_mutex_lock(&e->mu); /* one critical section per delivery */
  nt_enqueue_locked(e, t);
  n = plan_locked(e);
  nt_mutex_unlock(&e->mu);
  submit(e, n);
}
