/*
 * Internal shared declarations of napi-task. Not installed, not public.
 *
 * The threading model in one paragraph (docs/internals.md has the long
 * form): each env has one record (`nt_env`). Its JS thread builds and
 * delivers tasks, settles them and runs call_js requests. Threadpool
 * threads run "runners": libuv work requests that pull ready tasks from the
 * env's backlog and run their perform. Everything the two sides share sits
 * behind the env's mutex `mu`, except the per-task `cancelled` flag and the
 * env's `closing` flag, which are atomics that perform polls.
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
   keeps the record every in-flight task holds small (docs/performance.md,
   where the memory goes). */
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
     READY (backlog), DONE (env->done) or SETTLING (env->settle or the
     batch's local list); self-linked while RUNNING. */
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
  bool retained;            /* counted in env->outstanding */
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
   most, in microseconds. */
#define NT_LINGER_DEFAULT_US 50u
#define NT_LINGER_MAX_US 1000u

struct nt_env {
  /* Set once at creation. */
  napi_env env;
  uv_loop_t *loop;
  unsigned max_runners;    /* libuv threadpool size */
  uint64_t linger_ns;      /* how long a runner that empties the backlog
                              waits for the next task (runner.c), from
                              NAPI_TASK_LINGER_US */
  bool main_thread;        /* the process's main thread, not a worker */
  bool no_handles_at_teardown; /* Deno: a teardown hook must not make a
                              handle (it has no HandleScope there) */

  /* Any thread: true from teardown on; perform polls it. */
  atomic_bool closing;
  /* Any thread reads; written with mu held (queue.c, ready_locked) whenever
     a task enters the backlog, so a lingering runner can watch for one
     without the lock (runner.c). */
  atomic_uint backlog_gen;

  /* Protected by mu. */
  nt_mutex mu;
  nt_cond cond;          /* call_js answers, abort and teardown */
  nt_link backlog;         /* NT_READY tasks, FIFO */
  nt_link done;            /* NT_DONE tasks, in completion order */
  nt_link progress;        /* tasks with pending progress */
  nt_link calls;           /* waiting call_js requests */
  nt_link queues;          /* live queues */
  unsigned busy;           /* runners inside a perform */
  unsigned left;           /* runners past runner_work, their completion
                              pending */
  bool lingering;          /* a runner lingers (runner.c) */
  unsigned linger_misses;  /* misses in a row (runner.c), at most
                              LINGER_MAX_BACKOFF */
  unsigned linger_skip;    /* chances to linger still to skip */
  uint64_t left_at;        /* uv_hrtime() when the last of them left */
  unsigned left_idle;      /* runners past runner_work after a linger that
                              caught nothing, their completion pending */
  bool torn_down;          /* teardown has begun: no uv_async_send after
                              this, and runners drop what they finish */

  /* Loop (JS) thread only. */
  uv_async_t async;        /* wakes the loop for done / progress / calls */
  unsigned runners;        /* runner requests handed to libuv */
  bool long_tasks;         /* the last runner found tasks long (runner.c) */
  nt_call *current_call;   /* the call_js request whose fn is running */
  /* What the running batch took off the lists above and has not handled
     yet: finished tasks (NT_SETTLING), call_js requests (taken) and tasks
     whose progress items it delivers (progress_js_link). They live here,
     not on the batch's stack, so that the 'exit' listener, which may run
     inside the batch, reaches them (loop.c, nt_loop_on_exit). */
  struct {
    nt_link done, calls, progress;
  } taken;
  nt_link kept_signals;    /* signal records kept without tasks (signal.c) */
  size_t outstanding;      /* delivered tasks not yet settled */
  nt_link settle;          /* tasks settled without running (aborted
                              early, no runner): the next batch takes them */
  nt_link built;           /* NT_BUILT tasks (link) */
  size_t live;             /* tasks not yet freed (built or delivered) */
  napi_ref slots;          /* store (prototype-less object used as an
                              array): JS values tasks hold (callbacks of
                              delivered tasks, call_js exceptions) */
  napi_ref call_callback;  /* JS (i, err, value) => takes slots[i] out and
                              calls it (env.c makes it, deliver.c calls) */
  uint32_t *free_slots;    /* free indexes into slots (a stack) */
  uint32_t free_count;     /* entries on that stack */
  uint32_t slot_count;     /* indexes handed out so far; the stack has room
                              for all of them */
  nt_link runner_reqs;     /* runner requests in flight */
  void *spare_runner;      /* a finished runner's record, for the next */
  napi_ref holder;         /* prototype-less object: the batch's async
                              resource; caches the default name (element 0),
                              the signal key, the call_js trampoline */
  napi_async_context batch;/* async context of the batch callback scope */
  napi_async_cleanup_hook_handle hook;
  bool tearing_down;
  bool async_close_done;   /* uv_close's callback has run */
  nt_link env_link;        /* in the global env list (env.c) */
};

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
   output: a call_js exception gives way to it (deliver.c). */
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
   costs far more: docs/performance.md, "Where the memory goes").
   nt_slot_release clears the element unless JS already did (`taken`) and
   makes the index free again; it cannot fail. */
NT_HIDDEN napi_status nt_slot_store(nt_env *e, napi_value value,
                                    uint32_t *slot);
NT_HIDDEN void nt_slot_release(nt_env *e, uint32_t slot, bool taken);
/* Delivered, unsettled tasks (env->outstanding) keep the loop alive. */
static inline void nt_env_retain(nt_env *e) {
  if (e->outstanding++ == 0) uv_ref((uv_handle_t *)&e->async);
}
static inline void nt_env_release(nt_env *e) {
  if (--e->outstanding == 0 && !e->tearing_down)
    uv_unref((uv_handle_t *)&e->async);
}
/* True while tearing down on a runtime where no Node-API call that makes a
   handle may run (napi_async_destroy on Deno). What such a call would free
   then dies with the env. */
static inline bool nt_env_no_handles(const nt_env *e) {
  return e->tearing_down && e->no_handles_at_teardown;
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

/* runner.c (loop thread) */
NT_HIDDEN void nt_runner_pump(nt_env *e);
NT_HIDDEN void nt_runner_deliver(nt_env *e, napi_task t);
/* A runner's completion: counts it out (unless the batch is to, then
   *settle is true) and recycles its record. Returns its env. */
NT_HIDDEN nt_env *nt_runner_retire(uv_work_t *req, bool *settle);

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

/* deliver.c (JS thread, in the batch; call_callback: env->call_callback's
   value) */
NT_HIDDEN void nt_task_settle(napi_task t, napi_value call_callback);

/* calls.c: the batch's halves of progress and call_js. *_locked: mu held;
   the others: JS thread. The batch takes work into env->taken; the
   deliver and run functions return false when a callback ended the env's
   life (the 'exit' listener ran inside it): the batch then stops. */
NT_HIDDEN void nt_progress_take_locked(nt_env *e);
NT_HIDDEN bool nt_progress_deliver_all(nt_env *e);
/* At teardown: takes each task of `tasks` (linked by `link`) off
   env->progress, before they are dropped. */
NT_HIDDEN void nt_progress_unlink_locked(nt_link *tasks);
/* At exit: takes every pending item off env->progress (running tasks'
   progress), as one chain for nt_progress_free. */
NT_HIDDEN nt_progress_item *nt_progress_take_all_locked(nt_env *e);
/* At exit: drops the items the batch took and has not delivered. */
NT_HIDDEN void nt_progress_drop_taken(nt_env *e);
NT_HIDDEN void nt_calls_take_locked(nt_env *e);
NT_HIDDEN bool nt_calls_run_all(nt_env *e);
/* At exit: answers napi_cancelled to every request the batch took and has
   not run (their performs wait for it). */
NT_HIDDEN void nt_calls_answer_taken_locked(nt_env *e);

/* loop.c: the loop thread's entry points, called by libuv and Node only
   (env.c and runner.c hand them over as function pointers). */
NT_HIDDEN void nt_loop_on_async(uv_async_t *handle);
NT_HIDDEN void nt_loop_on_teardown(napi_async_cleanup_hook_handle handle,
                                   void *arg);
NT_HIDDEN napi_value nt_loop_on_exit(napi_env env, napi_callback_info info);
NT_HIDDEN void nt_loop_runner_done(uv_work_t *req, int status);

#endif  /* NAPI_TASK_INTERNAL_H_ */
