/*
 * Internal shared declarations of napi-task. Not installed, not public.
 *
 * The threading model in one paragraph (docs/internals.md has the long
 * form): each env has one record (`nt_env`). Its JS thread builds and
 * delivers tasks, settles them and runs call_js requests. Threadpool
 * threads run "runners": libuv work requests that pull ready tasks from the
 * env's backlog and run their perform. Everything the two sides share sits
 * behind the env's mutex `mu`, except the per-task `cancelled` flag and the
 * env's `phase`, atomics that perform polls, and the scheduler's
 * `backlog_gen`, which a lingering runner watches.
 *
 * Lock order: there is none to get wrong. nt_env.mu and the global
 * env-list lock (env.c) are never held together, and no Node-API call and
 * no user callback (perform, drop, complete) ever runs with either held.
 */
#ifndef NAPI_TASK_INTERNAL_H_
#define NAPI_TASK_INTERNAL_H_

/* Every .c file includes this header before any other: platform.h sets
   the feature macros uv.h needs. Of libuv only what every runtime has is
   used: uv_queue_work, uv_async_*, uv_close, uv_ref/unref, uv_hrtime and
   the error table (docs/internals.md, "Where it runs"). */
#include "alloc.h"
#include "platform.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "napi_task.h"

/* Doubly linked intrusive list (circular, with a head node). */
typedef struct nt_link {
  struct nt_link *prev, *next;
} nt_link;

static inline void nt_list_init(nt_link *h) { h->prev = h->next = h; }
static inline int nt_list_empty(const nt_link *h) { return h->next == h; }
static inline void nt_list_push(nt_link *h, nt_link *n) {
  n->prev = h->prev;
  n->next = h;
  h->prev->next = n;
  h->prev = n;
}
static inline void nt_list_remove(nt_link *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = n;
}
static inline nt_link *nt_list_shift(nt_link *h) {
  nt_link *n;
  if (nt_list_empty(h)) return NULL;
  n = h->next;
  nt_list_remove(n);
  return n;
}
/* Moves every node of `from` to the end of `to`; `from` becomes empty. */
static inline void nt_list_splice(nt_link *to, nt_link *from) {
  if (nt_list_empty(from)) return;
  from->next->prev = to->prev;
  to->prev->next = from->next;
  from->prev->next = to;
  to->prev = from->prev;
  nt_list_init(from);
}

#define NT_CONTAINER(ptr, type, field) \
  ((type *)((char *)(ptr) - offsetof(type, field)))

/* Task states. Protected by env->mu once the task is delivered. */
typedef enum {
  NT_BUILT,    /* JS thread only: built, not delivered (env->built) */
  NT_WAITING,  /* in its queue's FIFO, the queue being full */
  NT_READY,    /* in env->backlog */
  NT_RUNNING,  /* perform is running */
  NT_DONE,     /* in env->done: output (or abort) waits to be settled */
  NT_SETTLING  /* JS thread only: taken off env->done */
} nt_state;

typedef enum { NT_DELIVER_CALLBACK, NT_DELIVER_PROMISE } nt_delivery;

typedef struct nt_env nt_env;
typedef struct nt_signal nt_signal;

/* One item of progress. */
typedef struct nt_progress_item {
  struct nt_progress_item *next;
  napi_task_output value;
} nt_progress_item;

struct napi_task_queue__ {
  /* Set once at creation. */
  nt_env *env;
  uint32_t max_running;
  /* Protected by env->mu. */
  uint32_t running;   /* tasks of this queue READY or RUNNING */
  nt_link waiting;    /* NT_WAITING tasks, FIFO */
  /* JS thread only. */
  uint32_t refs;      /* creator (until released) + tasks holding it */
  bool released;
  nt_link env_link;   /* in env->queues */
};

/* What only some tasks use (a name, a signal, progress): allocated on the
   JS thread by the setter that needs it, before delivery; the task's `x`
   pointer is read-only from delivery on. Most tasks never have one, which
   keeps the record every in-flight task holds small (docs/decisions.md,
   D12). */
typedef struct nt_task_extra {
  napi_task task;           /* the owner, for the lists below */

  /* Protected by env->mu: progress waiting for the JS thread. */
  nt_progress_item *progress_head, *progress_tail;
  nt_link progress_link;    /* in env->progress while items are pending */

  /* JS thread only. */
  nt_progress_item *progress_js; /* items taken off progress_head */
  nt_link progress_js_link;
  char *name;               /* async resource name, or NULL (default) */
  napi_ref on_progress;     /* set before delivery, then read-only: perform
                               reads it in napi_task_progress */
  napi_task_progress_mode progress_mode; /* same */
  napi_ref signal_ref;      /* the AbortSignal, from set_signal */
  nt_signal *signal;        /* shared abort listener, or NULL */
  nt_link signal_link;      /* in signal->tasks */
} nt_task_extra;

/* No callback slot (promise delivery, or not delivered yet). */
#define NT_NO_SLOT UINT32_MAX

struct napi_task__ {
  /* Set at build, then read-only. */
  nt_env *env;

  /* Moves from JS thread to threadpool and back through env->mu. What
     perform needs and what it returns are never alive together, so they
     share their bytes:
     - BUILT, WAITING, READY: perform, data and drop (the data is owned by
       the task until perform runs);
     - RUNNING: perform owns data; the runner writes output when it returns;
     - DONE, SETTLING: output. A task whose data was dropped without
       running (nt_task_drop_data) has both views zeroed: no data, and an
       undefined output that owns nothing. */
  union {
    struct {
      napi_task_perform perform;
      void *data;
      napi_task_drop drop;
    };
    napi_task_output output;
  };
  /* In exactly one list while BUILT (env->built), WAITING (queue FIFO),
     READY (backlog), DONE (env->done, or env->taken.done once the batch
     took it) or SETTLING (env->settle_early); in none while RUNNING, and
     none once settle took it. */
  nt_link link;

  /* JS thread only, or read-only once delivered (x, queue). */
  nt_task_extra *x;         /* NULL unless a setter needed one */
  napi_task_queue queue;
  napi_async_context async; /* the delivery's async context */
  napi_deferred deferred;   /* promise delivery */
  uint32_t callback;        /* callback delivery: its slot in env->slots */
  uint32_t js_error;        /* the first exception a call_js fn left
                               pending: its slot in env->slots, or none */

  uint8_t state;            /* nt_state; protected by env->mu once delivered */
  uint8_t delivery;         /* nt_delivery; JS thread only */
  /* Any thread. Set by the abort listener (JS thread), read by perform. */
  atomic_bool cancelled;
  /* JS thread only. */
  bool aborted;             /* settle with AbortError */
  /* Delivery has consumed the handle. Checked by setters, discard and a
     second delivery instead of `state`, which runners write under mu. */
  bool delivered;
  bool retained;            /* counted in env->unsettled */
  bool callback_taken;      /* call_callback has taken it out of the store */
};

/* A call_js request, on the waiting perform's stack. */
typedef struct nt_call {
  nt_link link;            /* in env->calls; protected by env->mu */
  napi_task task;
  napi_task_js_fn fn;
  void *data;
  napi_status status;      /* written by the JS thread */
  bool taken, done;        /* protected by env->mu */
} nt_call;

/* NAPI_TASK_LINGER_US (env.c reads it, runner.c lingers): default and
   most, in microseconds (docs/decisions.md, D4). */
#define NT_LINGER_DEFAULT_US 50u
#define NT_LINGER_MAX_US 1000u

/* The env's life: one phase, only ever advanced, by the loop thread with
   mu held. Any thread reads it: atomically without the lock (perform polls
   it, a lingering runner watches it) or under mu. */
typedef enum {
  NT_ENV_OPEN,      /* tasks are built, run and settled */
  NT_ENV_CLOSING,   /* a worker's 'exit' event: perform is cancelled,
                       call_js answers napi_cancelled, runners take no
                       task; the worker's teardown follows */
  NT_ENV_ENDED,     /* the main thread's 'exit' event (D13): no task is
                       built, starts or settles, no uv_async_send is made;
                       what had not run is dropped, runners drop what
                       performs return. JS still runs. */
  NT_ENV_TORN_DOWN, /* the env's cleanup hook: as ENDED, and JS is gone */
  NT_ENV_CLOSED     /* the async handle is closed: the record is freed once
                       no runner or task is left */
} nt_phase;

/* The scheduler's record (runner.c): where the env's runners are, and
   what the lingering policy remembers. A runner handed to libuv is in
   exactly one place: queued in libuv, working (in runner_work, maybe
   inside a perform, maybe lingering), or exited (past runner_work, its
   completion not yet run). runner.c's sched_check_locked states the
   invariants;
   checked builds run it at every transition. */
typedef struct nt_sched {
  /* Set once at creation. */
  unsigned pool;         /* libuv's threadpool size */
  uint64_t linger_ns;    /* NAPI_TASK_LINGER_US in ns; 0: never linger */

  /* Protected by env->mu. */
  unsigned runners;      /* handed to libuv, completion not yet run */
  unsigned working;      /* in runner_work */
  unsigned performing;   /* working and inside a perform */
  unsigned exited;       /* exited with work done or budget spent */
  unsigned exited_idle;  /* exited after a linger that caught nothing */
  uint64_t exited_at;    /* uv_hrtime() when the last of `exited` left */
  bool lingering;        /* a working runner lingers: at most one */
  unsigned linger_misses;/* lingers in a row that caught nothing */
  unsigned linger_skip;  /* chances to linger still to let go by */

  /* Written with mu held whenever a task enters the backlog; a lingering
     runner watches it without the lock. */
  atomic_uint backlog_gen;

  /* Loop thread only. */
  bool long_tasks;       /* the last runner found tasks long (D3) */
  void *spare;           /* a retired runner's record, for the next (D10) */
} nt_sched;

struct nt_env {
  /* Set once at creation. */
  napi_env env;
  uv_loop_t *loop;
  bool main_thread;        /* the process's main thread, not a worker */
  bool no_handles_at_end;  /* Deno: its cleanup hooks have no HandleScope,
                              and napi_async_destroy makes a handle */

  /* Advanced by the loop thread under mu; read by any thread. */
  atomic_uint phase;       /* nt_phase */

  /* Protected by mu. */
  nt_mutex mu;
  nt_cond cond;            /* call_js answers, abort and the env's end */
  nt_sched sched;
  nt_link backlog;         /* NT_READY tasks, FIFO */
  nt_link done;            /* NT_DONE tasks, in completion order */
  nt_link progress;        /* tasks with pending progress */
  nt_link calls;           /* waiting call_js requests */
  nt_link queues;          /* live queues */

  /* Loop (JS) thread only. */
  uv_async_t async;        /* wakes the loop for done / progress / calls */
  nt_call *current_call;   /* the call_js request whose fn is running */
  /* What the running batch took off the lists above and has not handled
     yet, where the 'exit' listener, which may run inside the batch,
     reaches it (D14). */
  struct {
    nt_link done, calls, progress;
  } taken;
  nt_link settle_early;    /* tasks settled without running (aborted
                              early, no runner): the next batch takes them */
  nt_link built;           /* NT_BUILT tasks (link) */
  size_t tasks;            /* tasks not yet freed (built or delivered) */
  size_t unsettled;        /* delivered tasks not yet settled: they keep
                              the loop alive */
  nt_link kept_signals;    /* signal records kept without tasks (signal.c) */
  napi_ref slots;          /* the slots store (D7): JS values tasks hold */
  napi_ref call_callback;  /* JS (i, err, value) => takes slots[i] out and
                              calls it (env.c makes it, settle.c calls) */
  uint32_t *free_slots;    /* free indexes into slots (a stack) */
  uint32_t free_count;     /* entries on that stack */
  uint32_t slot_count;     /* indexes handed out so far; the stack has room
                              for all of them */
  napi_ref holder;         /* prototype-less object: the batch's async
                              resource; caches the default name (element 0),
                              the signal key, the call_js trampoline */
  napi_async_context batch;/* async context of the batch callback scope */
  napi_async_cleanup_hook_handle hook;
  nt_link env_link;        /* in the global env list (env.c) */
};

/* The env's phase: relaxed on the loop thread (the only writer) and under
   mu; perform's poll needs no ordering beyond seeing it eventually. */
static inline nt_phase nt_env_phase(const nt_env *e) {
  return (nt_phase)atomic_load_explicit(&((nt_env *)e)->phase,
                                        memory_order_relaxed);
}
/* Loop thread, mu held: moves the env on to `phase` (never back). */
static inline void nt_env_advance_locked(nt_env *e, nt_phase phase) {
  if (phase > nt_env_phase(e))
    atomic_store_explicit(&e->phase, (unsigned)phase, memory_order_relaxed);
}
/* True from the env's end on: nothing settles, no task starts. */
static inline bool nt_env_ended(const nt_env *e) {
  return nt_env_phase(e) >= NT_ENV_ENDED;
}
/* True from teardown on: no JS runs, JS objects may be gone. */
static inline bool nt_env_torn_down(const nt_env *e) {
  return nt_env_phase(e) >= NT_ENV_TORN_DOWN;
}

/* Built-in error codes of the library: one table (X-macro) so the enum,
   the strings and docs/errors.md cannot drift apart. */
#define NT_ERRORS(X)                                                      \
  X(INVALID_ARG_TYPE, "ERR_INVALID_ARG_TYPE")                             \
  X(INVALID_ARG_VALUE, "ERR_INVALID_ARG_VALUE")                           \
  X(ABORT, "ABORT_ERR")                                                   \
  X(NO_VALUE, "ERR_NAPI_TASK_NO_VALUE")                                   \
  X(OUT_OF_MEMORY, "ERR_NAPI_TASK_OUT_OF_MEMORY")                         \
  X(OUTPUT, "ERR_NAPI_TASK_OUTPUT")                                       \
  X(DELIVERED, "ERR_NAPI_TASK_DELIVERED")

typedef enum {
#define NT_ERR_ENUM(name, str) NT_ERR_##name,
  NT_ERRORS(NT_ERR_ENUM)
#undef NT_ERR_ENUM
  NT_ERR_COUNT_
} nt_error_code;

/* Checked builds (NAPI_TASK_CHECKS: this repository's test, sanitizer and
   fault builds) test the invariants the comments state; a failed check
   prints its text and aborts. */
#ifdef NAPI_TASK_CHECKS
#include <stdio.h>
static inline void nt_check_failed(const char *what, const char *file,
                                   int line) {
  fprintf(stderr, "napi-task: check failed: %s (%s:%d)\n", what, file, line);
  abort();
}
#define NT_CHECK(cond) \
  ((cond) ? (void)0 : nt_check_failed(#cond, __FILE__, __LINE__))
#else
#define NT_CHECK(cond) ((void)0)
#endif

/* What each file offers the others, lowest layer first: a file calls only
   the files declared before it here (docs/internals.md, "Layers";
   tools/layers.js checks it). */

/* errors.c (JS thread, but nt_strdup: any thread) */
NT_HIDDEN const char *nt_error_code_string(nt_error_code code);
NT_HIDDEN napi_status nt_throw_type_error(napi_env env, const char *what,
                                          const char *expected,
                                          napi_value received);
NT_HIDDEN napi_value nt_make_error(napi_env env, const char *code,
                                   const char *message);
NT_HIDDEN napi_value nt_make_abort_error(napi_env env, napi_value reason);
NT_HIDDEN char *nt_strdup(const char *s);
/* Takes the pending exception, if any, into *exc (exc may be NULL): true
   when one was taken. The one way the library clears exceptions. When
   Node-API cannot say whether one is pending, it is cleared anyway
   (harmless with none): left pending, it would be thrown into whatever JS
   runs next (found by fault injection). */
NT_HIDDEN bool nt_take_exception(napi_env env, napi_value *exc);
/* Clears whatever a failed probe left pending, so the caller can go on (a
   revoked Proxy throws from every property access). */
NT_HIDDEN void nt_clear_exception(napi_env env);
/* Throws again an exception set aside with nt_take_exception (NULL: none):
   Node-API refuses most calls while one is pending. */
NT_HIDDEN void nt_restore_exception(napi_env env, napi_value exc);
/* Makes the pending exception, if any, the process's uncaught exception,
   as for any Node callback that throws. */
NT_HIDDEN void nt_fatal_exception(napi_env env);
/* Deletes *ref unless NULL, and sets it NULL. */
NT_HIDDEN void nt_ref_delete(napi_env env, napi_ref *ref);
/* Points *ref (strong) at `value`, deleting what it held; on failure *ref
   is left as it was. */
NT_HIDDEN napi_status nt_ref_replace(napi_env env, napi_ref *ref,
                                     napi_value value);

/* output.c */
NT_HIDDEN void nt_output_drop(napi_task_output *out); /* any thread */
/* JS thread: consumes `out`. Returns napi_ok with *value set, or a failure
   with *error set to the JS error (never leaves an exception pending). */
NT_HIDDEN bool nt_output_to_js(napi_env env, napi_task_output *out,
                               napi_value *value, napi_value *error);
/* Any thread: whether `out` settles as an error (napi_task_error*, and
   napi_task_ok with a NULL complete). The one definition of an error
   output: a call_js exception gives way to it (settle.c). */
NT_HIDDEN bool nt_output_is_error(const napi_task_output *out);
/* Any thread: drops and frees a list of progress items. */
NT_HIDDEN void nt_progress_free(nt_progress_item *item);
/* JS thread: drops the data of a task that will never run (BUILT, WAITING
   or READY) and zeroes the data/output union. */
NT_HIDDEN void nt_task_drop_data(napi_task t);

/* env.c (JS thread unless stated) */
NT_HIDDEN nt_env *nt_env_get(napi_env env);
NT_HIDDEN void nt_env_wake(nt_env *e);                /* mu held */
/* At teardown, once nothing can touch the record: frees it, with what it
   holds itself (queues and signal records are freed before, by theirs). */
NT_HIDDEN void nt_env_free(nt_env *e);
/* Keeps `value` in env->slots, a JS array-like store (a napi_ref per value
   costs far more: docs/decisions.md, D7).
   nt_slot_release clears the element unless JS already did (`taken`) and
   makes the index free again; it cannot fail. */
NT_HIDDEN napi_status nt_slot_store(nt_env *e, napi_value value,
                                    uint32_t *slot);
NT_HIDDEN void nt_slot_release(nt_env *e, uint32_t slot, bool taken);
/* Delivered, unsettled tasks keep the loop alive. */
static inline void nt_env_retain(nt_env *e) {
  if (e->unsettled++ == 0) uv_ref((uv_handle_t *)&e->async);
}
static inline void nt_env_release(nt_env *e) {
  if (--e->unsettled == 0 && !nt_env_torn_down(e))
    uv_unref((uv_handle_t *)&e->async);
}
/* True from teardown on, on a runtime where no Node-API call that makes a
   handle may run then (napi_async_destroy on Deno). What such a call
   would free dies with the env. */
static inline bool nt_env_no_handles(const nt_env *e) {
  return nt_env_torn_down(e) && e->no_handles_at_end;
}

/* queue.c (JS thread unless stated) */
NT_HIDDEN void nt_queue_unref(napi_task_queue q); /* the last one frees */
NT_HIDDEN void nt_queues_orphan(nt_env *e);       /* at the env's end */
NT_HIDDEN void nt_enqueue_locked(nt_env *e, napi_task t); /* mu held */
/* mu held: takes a task that has not run (WAITING or READY) off its list;
   its queue may then promote a waiting task. */
NT_HIDDEN void nt_dequeue_locked(nt_env *e, napi_task t);
/* mu held, any thread: t's perform returned; its queue may promote. */
NT_HIDDEN void nt_queue_finished_locked(nt_env *e, napi_task t);

/* runner.c (loop thread unless stated) */
NT_HIDDEN void nt_runner_pump(nt_env *e);
NT_HIDDEN void nt_runner_deliver(nt_env *e, napi_task t);
/* A runner's completion: counts it out (unless the batch is to: then
   *settle is true) and recycles its record. Returns its env. */
NT_HIDDEN nt_env *nt_runner_retire(uv_work_t *req, bool *settle);
/* mu held: counts out `exited` runners whose completion settles. */
NT_HIDDEN void nt_runner_count_out_locked(nt_env *e, unsigned exited);

/* task.c (JS thread) */
/* Before delivery: the task's extra record, made on first use. */
NT_HIDDEN nt_task_extra *nt_task_extra_make(napi_task t);
NT_HIDDEN void nt_task_abort(napi_task t);
NT_HIDDEN void nt_task_free(napi_task t);
/* Drops what the task owns (data, output, pending progress), then frees
   it; no JS runs. */
NT_HIDDEN void nt_task_drop_all(napi_task t);

/* signal.c (JS thread) */
NT_HIDDEN napi_status nt_signal_attach(napi_task t, bool *already_aborted);
/* Takes t off its signal (a no-op for a task on none). */
NT_HIDDEN void nt_signal_detach(napi_task t);
NT_HIDDEN napi_value nt_signal_reason(napi_task t);
NT_HIDDEN void nt_signal_free_kept(nt_env *e);

/* progress.c: the batch's half of progress. *_locked: mu held; the others:
   JS thread. The batch takes work into env->taken; deliver (and calljs.c's
   run) return false when a callback ended the env (the 'exit' listener
   ran inside it): the batch then stops. */
NT_HIDDEN void nt_progress_take_locked(nt_env *e);
NT_HIDDEN bool nt_progress_deliver_all(nt_env *e);
/* At the env's end (exit or teardown): takes each task of `tasks` (linked
   by `link`) off env->progress, before they are dropped. */
NT_HIDDEN void nt_progress_unlink_locked(nt_link *tasks);
/* At exit: takes every pending item off env->progress (running tasks'
   progress), as one chain for nt_progress_free. */
NT_HIDDEN nt_progress_item *nt_progress_take_all_locked(nt_env *e);
/* At the env's end: drops the items the batch took and did not deliver. */
NT_HIDDEN void nt_progress_drop_taken(nt_env *e);

/* calljs.c: the batch's half of call_js (as progress.c's). */
NT_HIDDEN void nt_calls_take_locked(nt_env *e);
NT_HIDDEN bool nt_calls_run_all(nt_env *e);
/* At the env's end: answers napi_cancelled to every request the batch
   took and has not run (their performs wait for it). */
NT_HIDDEN void nt_calls_answer_taken_locked(nt_env *e);

/* end.c (loop thread): the env's end. Entry points for Node (env.c hands
   them over), and for settle.c: */
NT_HIDDEN void nt_end_on_teardown(napi_async_cleanup_hook_handle handle,
                                  void *arg);
NT_HIDDEN napi_value nt_end_on_exit(napi_env env, napi_callback_info info);
/* After the end (a runner's completion, a wake-up when the process went
   on after 'exit'): drops what finished since, and frees the record once
   nothing is left. */
NT_HIDDEN void nt_end_drop_finished(nt_env *e);

/* settle.c (loop thread): the batch. Entry points for libuv (env.c and
   runner.c hand them over). */
NT_HIDDEN void nt_settle_on_async(uv_async_t *handle);
NT_HIDDEN void nt_settle_runner_done(uv_work_t *req, int status);

#endif  /* NAPI_TASK_INTERNAL_H_ */
