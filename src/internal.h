/*
 * Internal declarations; not installed. Each env has one record (nt_env):
 * its JS thread builds, delivers and settles tasks and runs call_js
 * requests; runners on the threadpool run the tasks of its backlog
 * (docs/internals.md, "Threading model"). The two share only what is
 * behind the env's mutex `mu`, and the atomics `phase`, a task's
 * `cancelled` and `sched.backlog_gen`. Lock order: none. mu and env.c's
 * env-list lock are never held together, and no Node-API call or user
 * callback runs with either held.
 */
#ifndef NAPI_TASK_INTERNAL_H_
#define NAPI_TASK_INTERNAL_H_

/* First in every .c file: platform.h sets uv.h's feature macros. Of libuv
   only uv_queue_work, uv_async_*, uv_close, uv_ref/unref, uv_hrtime and the
   error table are used (docs/internals.md, "Where it runs"). */
#include "alloc.h"
#include "platform.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "napi_task.h"

typedef struct nt_link { /* intrusive, circular, with a head node */
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

/* What only some tasks use (docs/decisions.md, D12): made on the JS thread
   by the setter that needs it, before delivery; `x` is read-only after. */
typedef struct nt_task_extra {
  napi_task task;           /* the owner, for the lists below */

  /* Protected by env->mu: progress waiting for the JS thread. */
  nt_progress_item *progress_head, *progress_tail;
  nt_link progress_link;    /* in env->progress while items are pending */

  /* JS thread only. */
  nt_progress_item *progress_js; /* items taken off progress_head */
  nt_link progress_js_link;
  char *name;               /* async resource name, or NULL (default) */
  napi_ref on_progress;     /* read-only once delivered: perform reads it */
  napi_task_progress_mode progress_mode; /* read-only once delivered */
  napi_ref signal_ref;      /* the AbortSignal, from set_signal */
  nt_signal *signal;        /* shared abort listener, or NULL */
  nt_link signal_link;      /* in signal->tasks */
} nt_task_extra;

#define NT_NO_SLOT UINT32_MAX /* a slot index that holds nothing */

struct napi_task__ {
  nt_env *env;              /* set at build, then read-only */

  /* Handed between the threads through env->mu; one union (D16):
     BUILT, WAITING, READY: perform, data, drop (the task owns data);
     RUNNING: perform owns data, the runner writes output on return;
     DONE, SETTLING: output. Data dropped unrun zeroes both views. */
  union {
    struct {
      napi_task_perform perform;
      void *data;
      napi_task_drop drop;
    };
    napi_task_output output;
  };
  /* In exactly one list: env->built, its queue's FIFO, env->backlog,
     env->done or env->taken.done, env->settle_early; none while RUNNING
     or once settle took it. */
  nt_link link;

  /* JS thread only, or read-only once delivered (x, queue). */
  nt_task_extra *x;         /* NULL unless a setter needed one */
  napi_task_queue queue;
  napi_async_context async; /* the delivery's async context */
  napi_deferred deferred;   /* promise delivery */
  uint32_t callback;        /* callback delivery: its slot in env->slots */
  uint32_t js_error;        /* slot of the first call_js exception */

  uint8_t state;            /* nt_state; protected by env->mu once delivered */
  uint8_t delivery;         /* nt_delivery; JS thread only */
  atomic_bool cancelled;    /* any thread: abort sets it, perform polls it */
  /* JS thread only. */
  bool aborted;             /* settle with AbortError */
  bool delivered;           /* handle consumed; setters read this, not state */
  bool retained;            /* counted in env->unsettled */
  bool callback_taken;      /* call_callback has taken it out of the store */
};

typedef struct nt_call { /* on the waiting perform's stack */
  nt_link link;            /* in env->calls; protected by env->mu */
  napi_task task;
  napi_task_js_fn fn;
  void *data;
  napi_status status;      /* written by the JS thread */
  bool taken, done;        /* protected by env->mu */
} nt_call;

/* NAPI_TASK_LINGER_US's default and cap, in microseconds (D4). */
#define NT_LINGER_DEFAULT_US 50u
#define NT_LINGER_MAX_US 1000u

/* The env's life: advanced only, by the loop thread with mu held. */
typedef enum {
  NT_ENV_OPEN,      /* tasks are built, run and settled */
  NT_ENV_CLOSING,   /* a worker's 'exit': no task starts, all cancelled */
  NT_ENV_ENDED,     /* main thread's 'exit' (D13): nothing built, started,
                       settled or sent; what had not run is dropped */
  NT_ENV_TORN_DOWN, /* the cleanup hook: as ENDED, and JS is gone */
  NT_ENV_CLOSED     /* async handle closed: freed once nothing is left */
} nt_phase;

/* The scheduler's record (runner.c). A runner handed to libuv is queued
   there, working (in runner_work), or exited (its completion not run
   yet); sched_check_locked states the invariants. */
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

  atomic_uint backlog_gen; /* bumped under mu; a lingerer reads it unlocked */

  /* Loop thread only. */
  bool long_tasks;       /* the last runner found tasks long (D3) */
  void *spare;           /* a retired runner's record, for the next (D10) */
} nt_sched;

struct nt_env {
  /* Set once at creation. */
  napi_env env;
  uv_loop_t *loop;
  bool main_thread;        /* the process's main thread, not a worker */
  bool no_handles_at_end;  /* Deno: no handle may be made at teardown */

  atomic_uint phase;       /* nt_phase: advanced under mu, read anywhere */

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
  /* What the running batch took and has not handled (D14). */
  struct {
    nt_link done, calls, progress;
  } taken;
  nt_link settle_early;    /* settled without running; next batch's */
  nt_link built;           /* NT_BUILT tasks (link) */
  size_t tasks;            /* tasks not yet freed (built or delivered) */
  size_t unsettled;        /* delivered, unsettled: keep the loop alive */
  nt_link kept_signals;    /* signal records kept without tasks (signal.c) */
  napi_ref slots;          /* the slots store (D7): JS values tasks hold */
  napi_ref call_callback;  /* JS (i, err, value): calls slots[i] (D18) */
  uint32_t *free_slots;    /* free indexes into slots (a stack) */
  uint32_t free_count;     /* entries on that stack */
  uint32_t slot_count;     /* indexes made; the stack has room for all */
  napi_ref holder;         /* batch resource; name (D6), signalKey, callJs */
  napi_async_context batch;/* async context of the batch callback scope */
  napi_async_cleanup_hook_handle hook;
  nt_link env_link;        /* in the global env list (env.c) */
};

/* Relaxed: perform's poll needs only to see the phase eventually. */
static inline nt_phase nt_env_phase(const nt_env *e) {
  return (nt_phase)atomic_load_explicit(&((nt_env *)e)->phase,
                                        memory_order_relaxed);
}
/* Loop thread, mu held; never moves back. */
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

/* The library's error codes: the enum, the strings and docs/errors.md
   (test/docs.test.js) all follow this one table. */
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

/* NAPI_TASK_CHECKS (test, sanitizer, fault builds): a failed check aborts. */
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
   the files declared before it (docs/internals.md, "Layers"; checked by
   tools/layers.js). *_locked: env->mu held. */

/* errors.c (JS thread, but nt_strdup: any thread) */
NT_HIDDEN const char *nt_error_code_string(nt_error_code code);
NT_HIDDEN napi_status nt_throw_type_error(napi_env env, const char *what,
                                          const char *expected,
                                          napi_value received);
NT_HIDDEN napi_value nt_make_error(napi_env env, const char *code,
                                   const char *message);
NT_HIDDEN napi_value nt_make_abort_error(napi_env env, napi_value reason);
NT_HIDDEN char *nt_strdup(const char *s);
/* Takes the pending exception into *exc (may be NULL); true when one was.
   The one way the library clears exceptions. When Node-API cannot say
   whether one is pending it clears anyway: left, it would hit the next JS. */
NT_HIDDEN bool nt_take_exception(napi_env env, napi_value *exc);
/* Clears what a failed probe left pending (a revoked Proxy throws). */
NT_HIDDEN void nt_clear_exception(napi_env env);
NT_HIDDEN void nt_restore_exception(napi_env env, napi_value exc);
/* The pending exception, if any, becomes an uncaught exception. */
NT_HIDDEN void nt_fatal_exception(napi_env env);
NT_HIDDEN void nt_ref_delete(napi_env env, napi_ref *ref);
/* On failure *ref is left as it was. */
NT_HIDDEN napi_status nt_ref_replace(napi_env env, napi_ref *ref,
                                     napi_value value);

/* output.c */
NT_HIDDEN void nt_output_drop(napi_task_output *out); /* any thread */
/* JS thread, consumes `out`: *value, or false and *error (none pending). */
NT_HIDDEN bool nt_output_to_js(napi_env env, napi_task_output *out,
                               napi_value *value, napi_value *error);
/* Any thread: the one definition of an output that settles as an error. */
NT_HIDDEN bool nt_output_is_error(const napi_task_output *out);
NT_HIDDEN void nt_progress_free(nt_progress_item *item); /* any thread */
/* JS thread: a task that will never run; zeroes the union. */
NT_HIDDEN void nt_task_drop_data(napi_task t);

/* env.c (JS thread unless stated) */
NT_HIDDEN nt_env *nt_env_get(napi_env env);
NT_HIDDEN void nt_env_wake(nt_env *e);                /* mu held */
/* Once nothing can touch the record (queues, signals freed before). */
NT_HIDDEN void nt_env_free(nt_env *e);
/* The slots store (D7). Release clears the element unless JS took it
   (`taken`), frees the index, and cannot fail. */
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
/* From teardown on Deno: no call that makes a handle (napi_async_destroy)
   may run; what it would free dies with the env. */
static inline bool nt_env_no_handles(const nt_env *e) {
  return nt_env_torn_down(e) && e->no_handles_at_end;
}

/* queue.c (JS thread unless stated) */
NT_HIDDEN void nt_queue_unref(napi_task_queue q); /* the last one frees */
NT_HIDDEN void nt_queues_orphan(nt_env *e);       /* at the env's end */
NT_HIDDEN void nt_enqueue_locked(nt_env *e, napi_task t);
/* A WAITING or READY task leaves; its queue may promote. */
NT_HIDDEN void nt_dequeue_locked(nt_env *e, napi_task t);
/* Any thread: t's perform returned; its queue may promote. */
NT_HIDDEN void nt_queue_finished_locked(nt_env *e, napi_task t);

/* runner.c (loop thread unless stated) */
NT_HIDDEN void nt_runner_pump(nt_env *e);
NT_HIDDEN void nt_runner_deliver(nt_env *e, napi_task t);
/* A runner's completion: counts it out unless *settle (the batch will). */
NT_HIDDEN nt_env *nt_runner_retire(uv_work_t *req, bool *settle);
NT_HIDDEN void nt_runner_count_out_locked(nt_env *e, unsigned exited);

/* task.c (JS thread) */
NT_HIDDEN nt_task_extra *nt_task_extra_make(napi_task t); /* before delivery */
NT_HIDDEN void nt_task_abort(napi_task t);
NT_HIDDEN void nt_task_free(napi_task t);
NT_HIDDEN void nt_task_drop_all(napi_task t); /* drops all it owns; no JS */

/* signal.c (JS thread) */
NT_HIDDEN napi_status nt_signal_attach(napi_task t, bool *already_aborted);
NT_HIDDEN void nt_signal_detach(napi_task t); /* no-op if on no signal */
NT_HIDDEN napi_value nt_signal_reason(napi_task t);
NT_HIDDEN void nt_signal_free_kept(nt_env *e);

/* progress.c (JS thread): the batch's half. deliver (and calljs.c's run)
   return false once a callback ended the env: the batch then stops. */
NT_HIDDEN void nt_progress_take_locked(nt_env *e);
NT_HIDDEN bool nt_progress_deliver_all(nt_env *e);
/* At the env's end: `tasks` leave env->progress before being dropped. */
NT_HIDDEN void nt_progress_unlink_locked(nt_link *tasks);
/* At the env's end: what the batch took and did not deliver. */
NT_HIDDEN void nt_progress_drop_taken(nt_env *e);

/* calljs.c: the batch's half of call_js (as progress.c's). */
NT_HIDDEN void nt_calls_take_locked(nt_env *e);
NT_HIDDEN bool nt_calls_run_all(nt_env *e);
/* At the env's end: taken requests answer napi_cancelled. */
NT_HIDDEN void nt_calls_answer_taken_locked(nt_env *e);

/* end.c (loop thread): entry points for Node (via env.c) and settle.c. */
NT_HIDDEN void nt_end_on_teardown(napi_async_cleanup_hook_handle handle,
                                  void *arg);
NT_HIDDEN napi_value nt_end_on_exit(napi_env env, napi_callback_info info);
/* After the end: drops what finished since; frees the record at last. */
NT_HIDDEN void nt_end_drop_finished(nt_env *e);

/* settle.c (loop thread): the batch; entry points for libuv. */
NT_HIDDEN void nt_settle_on_async(uv_async_t *handle);
NT_HIDDEN void nt_settle_runner_done(uv_work_t *req, int status);

#endif  /* NAPI_TASK_INTERNAL_H_ */
