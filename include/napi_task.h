/*
 * napi_task.h: move owned work off the JavaScript thread, safely.
 *
 * This header is the specification of napi-task. Read it top to bottom: it
 * follows a task's life (outputs, build, options, delivery, cancellation,
 * what perform may do, queues, then the deprecated API). Every function
 * lists every status it returns; a status that is not napi_ok throws
 * nothing unless its entry says so.
 *
 * The one ownership rule, kept on every path (success, error, JS exception,
 * cancellation, worker termination, process exit, and every misuse the
 * library can detect):
 *
 *   Every closure (function + owned `data` + `drop(data)`) handed to this
 *   library is either CALLED exactly once, and the call then owns `data`,
 *   or never called and DROPPED exactly once. `drop` may be NULL (nothing
 *   to free) and may run on any thread. A call that fails still drops what
 *   it was given.
 *
 * Threads: "JS thread" means the thread that runs the env's event loop (the
 * main thread, or a worker thread for an env created in a worker).
 * "Threadpool" means a libuv threadpool thread. Perform runs there and must
 * never call Node-API. An env holds at most UV_THREADPOOL_SIZE threads at
 * a time, each for about 1 ms before other threadpool users get a turn. A
 * thread that has just run an env's last task may wait up to 50 us for the
 * next one before it goes back to libuv (environment variable
 * NAPI_TASK_LINGER_US, 0 to 1000, read from the process environment when
 * an env starts; 0 turns this off): with one task in flight that saves a
 * thread wake-up per task.
 *
 * Node-API 8 is the floor; NAPI_VERSION defaults to 8 when not set, and a
 * build with NAPI_VERSION below 8 stops with an #error.
 */
#ifndef NAPI_TASK_H_
#define NAPI_TASK_H_

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif

#include <node_api.h>

#if NAPI_VERSION < 8
#error "napi-task needs Node-API 8 or later: build with NAPI_VERSION=8 or above, or leave NAPI_VERSION unset"
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NAPI_TASK_VERSION_MAJOR 0
#define NAPI_TASK_VERSION_MINOR 1
#define NAPI_TASK_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Closures and handles                                                     */
/* ------------------------------------------------------------------------ */

/* Frees a closure's data. Any thread. Never called with data that was
   consumed by a call, and never with NULL. */
typedef void (*napi_task_drop)(void *data);

/* JS thread. Consumes `data`. Returns the task's JS value, or NULL with a
   pending JS exception, which then becomes the task's error. Returning NULL
   with nothing pending is an error too (code 'ERR_NAPI_TASK_NO_VALUE'). */
typedef napi_value (*napi_task_complete)(napi_env env, void *data);

/* The running task, as seen from perform. Valid until perform returns. */
typedef struct napi_task_ctx__ *napi_task_ctx;

/* A built, undelivered task. Delivery or discard consumes it. */
typedef struct napi_task__ *napi_task;

/* A lane of tasks with a cap on how many run at once. */
typedef struct napi_task_queue__ *napi_task_queue;

typedef enum {
  /* Keep only the newest undelivered progress value; older ones are
     dropped. Delivered values are a subsequence ending with the newest. */
  NAPI_TASK_PROGRESS_COALESCE,
  /* Deliver every progress value, in order. */
  NAPI_TASK_PROGRESS_QUEUE
} napi_task_progress_mode;

/* ------------------------------------------------------------------------ */
/* Outputs: what perform returns                                            */
/* ------------------------------------------------------------------------ */

/* An output is returned by value. Success and failure are both outputs: a
   complete closure, a built-in value, or an error. Its fields are private:
   make one only with the constructors below. An output owns what it holds:
   the library converts it on the JS thread (consuming it) or drops it. */
typedef struct napi_task_output {
  int kind_;
  union {
    bool b;
    double d;
    int64_t i;
  } value_;
  void *data_;
  size_t len_;
  napi_task_drop drop_;
  napi_task_complete complete_;
} napi_task_output;

/* Private: output kinds. */
enum {
  NAPI_TASK_OUT_UNDEFINED_,
  NAPI_TASK_OUT_BOOL_,
  NAPI_TASK_OUT_DOUBLE_,
  NAPI_TASK_OUT_INT64_,
  NAPI_TASK_OUT_STRING_,
  NAPI_TASK_OUT_BUFFER_,
  NAPI_TASK_OUT_COMPLETE_,
  NAPI_TASK_OUT_ERROR_
};

/* Private: an output of `kind` with every field set (C and C++ clean). */
static inline napi_task_output napi_task_output_init_(int kind) {
  napi_task_output o;
  o.kind_ = kind;
  o.value_.i = 0;
  o.data_ = NULL;
  o.len_ = 0;
  o.drop_ = NULL;
  o.complete_ = NULL;
  return o;
}

/* Any thread. The JS value is complete(env, data). Ownership: `data` moves
   into the output; it is passed to `complete` (which consumes it), or
   dropped with `drop` if the task is aborted or the env goes away.
   A NULL `complete` makes an error output (code 'ERR_INVALID_ARG_VALUE'),
   and `data` is dropped when that output is. */
static inline napi_task_output napi_task_ok(napi_task_complete complete,
                                            void *data, napi_task_drop drop) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_COMPLETE_);
  o.complete_ = complete;
  o.data_ = data;
  o.drop_ = drop;
  return o;
}

/* Any thread. The JS value `undefined`. */
static inline napi_task_output napi_task_ok_undefined(void) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_UNDEFINED_);
  return o;
}

/* Any thread. A JS boolean. */
static inline napi_task_output napi_task_ok_bool(bool b) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_BOOL_);
  o.value_.b = b;
  return o;
}

/* Any thread. A JS number. */
static inline napi_task_output napi_task_ok_double(double d) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_DOUBLE_);
  o.value_.d = d;
  return o;
}

/* Any thread. A JS number (not a BigInt): exact for |i| <= 2^53, rounded to
   the nearest double beyond. */
static inline napi_task_output napi_task_ok_int64(int64_t i) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_INT64_);
  o.value_.i = i;
  return o;
}

/* Any thread. A JS string from NUL-terminated UTF-8. Ownership: `utf8` moves
   into the output and is dropped with `drop` once copied into the JS heap
   (or when the output is dropped). A NULL `utf8` gives `null`. */
static inline napi_task_output napi_task_ok_string(char *utf8,
                                                   napi_task_drop drop) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_STRING_);
  o.data_ = utf8;
  o.drop_ = drop;
  return o;
}

/* Any thread. A Node Buffer of `len` bytes. Ownership: `bytes` moves into
   the output. Where the runtime allows external buffers the Buffer takes
   the bytes without copying and `drop(bytes)` runs when it is collected;
   where it does not, the bytes are copied and dropped at once. `bytes` may
   be NULL only when `len` is 0. */
static inline napi_task_output napi_task_ok_buffer(void *bytes, size_t len,
                                                   napi_task_drop drop) {
  napi_task_output o = napi_task_output_init_(NAPI_TASK_OUT_BUFFER_);
  o.data_ = bytes;
  o.len_ = len;
  o.drop_ = drop;
  return o;
}

/* Any thread (perform included). The task fails with an `Error` whose
   `code` is `code` (copied; NULL for none) and whose message is formatted
   from `fmt` like printf (copied). If memory runs out, the error still
   reaches JS, with code 'ERR_NAPI_TASK_OUT_OF_MEMORY'. */
napi_task_output napi_task_error(const char *code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Any thread. The task fails with an error shaped like Node's own system
   errors: message "ENOENT: no such file or directory, open 'x'", and the
   properties `errno` (the negative libuv code), `code`, `syscall` and
   `path`. `uv_err` is a negative libuv error code (e.g. UV_ENOENT; -errno
   on POSIX); `syscall` and `path` are copied; `path` may be NULL (then the
   error has no path, and the message none either). Names and messages come
   from uv.h at compile time: no libuv call, so it works on every runtime.
   An unknown code reads "Unknown system error -N", as libuv's does. */
napi_task_output napi_task_error_uv(int uv_err, const char *syscall,
                                    const char *path);

/* ------------------------------------------------------------------------ */
/* Building a task (JS thread)                                              */
/* ------------------------------------------------------------------------ */

/* Threadpool. Consumes `data`. Returns the task's single output. Must not
   call Node-API. May call napi_task_cancelled, napi_task_progress and
   napi_task_call_js with `ctx`. */
typedef napi_task_output (*napi_task_perform)(napi_task_ctx ctx, void *data);

/* JS thread. Builds a task that will run perform(ctx, data) on the
   threadpool once delivered.
   [in]  perform  required.
   [in]  data     moves into the task; passed to perform, or dropped.
   [in]  drop     frees `data` when perform never runs (abort, teardown,
                  discard, a failed delivery). May be NULL.
   [out] result   the task; deliver it or discard it.
   Returns napi_ok, or napi_invalid_arg (NULL env, perform or result) or
   napi_generic_failure (out of memory, or the env is going away: see
   "Cancellation"); on failure `data` has been dropped
   and *result (when not NULL) is NULL. Throws nothing. */
napi_status napi_task_build(napi_env env, napi_task_perform perform,
                            void *data, napi_task_drop drop,
                            napi_task *result);

/* ------------------------------------------------------------------------ */
/* Options (JS thread, before delivery)                                     */
/* ------------------------------------------------------------------------ */
/* Each option is optional. Setters copy what they are given and do not
   consume the task: after a failed setter the caller still delivers or
   discards it. A setter on a task already delivered returns
   napi_invalid_arg and changes nothing. */

/* The async_hooks resource type of the task (default "napi_task").
   Copied. Returns napi_ok; napi_invalid_arg for a NULL task or name or a
   delivered task; napi_generic_failure when out of memory (the old name,
   if any, stays). */
napi_status napi_task_set_name(napi_task task, const char *name);

/* An AbortSignal that cancels the task (see "Cancellation" below). The
   task keeps the signal alive until it settles. Setting another signal
   replaces the first. Returns napi_ok; napi_invalid_arg for a NULL task
   or signal or a delivered task; napi_object_expected with a pending
   TypeError (code 'ERR_INVALID_ARG_TYPE') when `signal` is not an
   AbortSignal; napi_generic_failure when out of memory; or the status of
   a Node-API call that failed (napi_pending_exception, with the exception
   pending, when reading the signal threw). */
napi_status napi_task_set_signal(napi_task task, napi_value signal);

/* A function called as on_progress(value) on the JS thread for each
   progress value perform reports, in the task's async context, always
   before the task settles. An exception thrown by on_progress is an
   uncaught exception, as with any Node callback. Setting it again replaces
   the first. Returns napi_ok; napi_invalid_arg for a NULL task or value,
   a delivered task or an unknown mode; napi_function_expected with a
   pending TypeError (code 'ERR_INVALID_ARG_TYPE') when on_progress is not
   a function; napi_generic_failure when out of memory; or the status of a
   Node-API call that failed. */
napi_status napi_task_set_progress(napi_task task, napi_value on_progress,
                                   napi_task_progress_mode mode);

/* Runs the task in `queue` (see "Queues" below). The queue must belong to
   the task's env. Setting another queue replaces the first. Returns
   napi_ok; napi_invalid_arg for a NULL task or queue, a delivered task, a
   queue of another env, or a released queue. */
napi_status napi_task_set_queue(napi_task task, napi_task_queue queue);

/* ------------------------------------------------------------------------ */
/* Delivery (JS thread): exactly one of these consumes the task             */
/* ------------------------------------------------------------------------ */
/* Whatever a delivery returns, the handle is invalid afterwards. On
   failure the task's data has been dropped (perform never runs) and, where
   the failure is the caller's JS input, a TypeError is pending. Delivering
   a handle again while its task is in flight returns napi_invalid_arg and
   throws an Error with code 'ERR_NAPI_TASK_DELIVERED' (unless an exception
   is pending already); nothing runs or is dropped twice (best effort:
   after the task settled the handle is freed memory). The
   callback never runs, and the promise never settles, inside the delivery
   call: always on a later turn of the event loop, in the async context
   (async_hooks, AsyncLocalStorage) where the task was delivered.

   A perform error output, an exception thrown by complete, and an abort
   all reach the callback's `err` / the rejection; never an uncaught
   exception. An exception thrown by the callback itself is an uncaught
   exception, as with any Node callback.

   When the threadpool cannot be given work at all (no memory for a
   runner, or uv_queue_work refuses) and none of the env's runners is
   live, the tasks ready to run do not wait for ever: each settles with a
   system error (code 'ENOMEM', syscall 'malloc'; or uv_queue_work's
   error, syscall 'uv_queue_work'), its data dropped, perform never run.
   When an output cannot be made into a JS value because a Node-API call
   failed, the task settles with an Error of code 'ERR_NAPI_TASK_OUTPUT'.
   These happen only when Node-API, libuv or the allocator fail; npm run
   test:faults makes them fail (docs/reliability.md).

   Every delivery returns napi_ok, or:
   - napi_invalid_arg for a NULL task, a NULL callback or promise pointer
     (the task is consumed: dropped), or a task already delivered (see
     above: an Error with code 'ERR_NAPI_TASK_DELIVERED' is pending);
   - napi_function_expected (schedule) with a pending TypeError;
   - napi_generic_failure when out of memory;
   - napi_cancelled when the env has gone away since the task was built
     (see "Cancellation"): the task is consumed, nothing will run;
   - the status of a Node-API call that failed, passed on; among them
     napi_pending_exception, with the exception pending, when JS threw
     (the signal's `aborted` getter or addEventListener). */

/* Node-style delivery: callback(err, value) with err === null on success
   and value === undefined on failure; always exactly two arguments, as a
   plain function call (no receiver).
   [in]  callback  a function; otherwise napi_function_expected and a
                   pending TypeError (code 'ERR_INVALID_ARG_TYPE').
   [out] result    `undefined`, so an addon function can return it; may be
                   NULL. Set even on failure. */
napi_status napi_task_schedule(napi_task task, napi_value callback,
                               napi_value *result);

/* As napi_task_schedule, without producing a return value. */
napi_status napi_task_schedule_task(napi_task task, napi_value callback);

/* Promise delivery: resolves with the value, rejects with the error.
   [out] promise  the promise; NULL on failure. Statuses as above
                  (napi_invalid_arg for a NULL `promise`). */
napi_status napi_task_promise(napi_task task, napi_value *promise);

/* Drops the task without running it: its data is dropped, nothing settles.
   NULL is a harmless no-op, and so is a task already delivered. */
void napi_task_discard(napi_task task);

/* ------------------------------------------------------------------------ */
/* Cancellation                                                             */
/* ------------------------------------------------------------------------ */
/* A task is cancelled by the AbortSignal given to napi_task_set_signal, or
   by its env going away (worker termination, process exit). Through a
   signal:
   - aborted at delivery: perform never runs; the task settles on a later
     turn with Node's AbortError (name 'AbortError', code 'ABORT_ERR',
     cause = signal.reason); data dropped.
   - aborted while queued: the same, promptly (not when a thread frees).
   - aborted while running: napi_task_cancelled turns true; perform's
     output is dropped and the task settles with the AbortError.
   - aborted after perform returned but before settling: the AbortError
     wins and the output is dropped.
   The listener is removed when the task settles; tasks sharing one signal
   share one listener (no MaxListenersExceededWarning). A frozen signal
   that has not aborted can never abort: the task runs as if it had none.
   When the env goes away nothing settles (JS cannot run): tasks not yet
   running are dropped without waiting for a thread, a running perform
   sees napi_task_cancelled turn true, and its output is dropped when it
   returns. An env goes away at its teardown (a worker ending) or, on the
   main thread, at the process's 'exit' event, whatever ends the process
   (process.exit(), an uncaught exception or unhandled rejection, the loop
   running dry): Node runs no cleanup hook after process.exit(), so the
   drops happen in the 'exit' listener, before the process ends. Its
   pending progress values are dropped too. From then on napi_task_build
   fails, and a task built before and delivered after fails with
   napi_cancelled (its data already dropped). What was delivered to JS
   belongs to JS: a buffer output's bytes are dropped by their Buffer's
   finalizer, which Node does not run at a main-thread exit. */

/* Any thread, while perform runs. True once the task's signal has aborted
   or its env is going away; perform should then return soon (its output
   will be dropped, as above). A NULL ctx returns false. */
bool napi_task_cancelled(napi_task_ctx ctx);

/* ------------------------------------------------------------------------ */
/* From inside perform (threadpool)                                         */
/* ------------------------------------------------------------------------ */

/* Threadpool, from perform. Reports a progress value: an output converted
   on the JS thread and passed to the task's on_progress. Ownership: `value`
   is consumed on every path (delivered or dropped). Returns napi_ok
   (also when the task has no progress callback: the value is dropped),
   napi_cancelled when the task is cancelled (dropped), napi_invalid_arg for
   a NULL ctx, or napi_generic_failure when out of memory (dropped). */
napi_status napi_task_progress(napi_task_ctx ctx, napi_task_output value);

/* JS thread. Borrows `data`. Runs inside a handle scope; may call any
   Node-API function. A JS exception left pending is captured (see
   napi_task_call_js). */
typedef napi_status (*napi_task_js_fn)(napi_env env, void *data);

/* Threadpool, from perform. Runs fn(env, data) on the JS thread and waits
   for it; answers travel back through `data`, which perform still owns
   (it may live on perform's stack). Returns fn's status;
   napi_pending_exception if fn left a JS exception pending (the exception
   becomes the task's error unless perform returns an error output: one
   of napi_task_error, napi_task_error_uv, or napi_task_ok with a NULL
   complete; any other output is dropped);
   napi_cancelled without running fn (and without hanging) when the task
   was aborted, the env is going away or the process is exiting (from the
   'exit' event on; also when fn itself calls process.exit(): then fn has
   started but will never return); napi_invalid_arg for a NULL ctx or fn. */
napi_status napi_task_call_js(napi_task_ctx ctx, napi_task_js_fn fn,
                              void *data);

/* ------------------------------------------------------------------------ */
/* Queues (JS thread)                                                       */
/* ------------------------------------------------------------------------ */

/* Creates a queue: at most `max_running` of its tasks occupy threadpool
   threads at once; the rest wait in FIFO order. Tasks of other queues, and
   tasks without a queue, are never held back by a full queue. Use it to
   keep long CPU work from starving fs, dns.lookup, crypto and zlib.
   Returns napi_invalid_arg for a NULL env or result or a max_running of 0,
   napi_generic_failure when out of memory. */
napi_status napi_task_queue_create(napi_env env, uint32_t max_running,
                                   napi_task_queue *result);

/* Drops the creator's reference. Tasks already in the queue still run and
   settle; the queue is freed when its last task settles. The handle is
   invalid afterwards. NULL returns napi_invalid_arg. */
napi_status napi_task_queue_release(napi_task_queue queue);

/* ------------------------------------------------------------------------ */
/* The old Task style (deprecated)                                          */
/* ------------------------------------------------------------------------ */

#if defined(NAPI_TASK_NO_DEPRECATION_WARNINGS)
#define NAPI_TASK_DEPRECATED(msg)
#elif defined(__GNUC__) || defined(__clang__)
#define NAPI_TASK_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define NAPI_TASK_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define NAPI_TASK_DEPRECATED(msg)
#endif

#ifndef NAPI_TASK_NO_LEGACY
/* Two ways of writing tasks that came before the builder, kept working for
   code written against them and implemented only by delegation to
   napi_task_build and the deliveries above: they share the builder's
   threadpool hand-off, teardown and exactly-once drops, with no second
   scheduling path. docs/migration.md shows how to move to the builder.
   Each function is marked NAPI_TASK_DEPRECATED; define
   NAPI_TASK_NO_DEPRECATION_WARNINGS to silence that while migrating, or
   NAPI_TASK_NO_LEGACY to check that nothing uses them any more. */

/* The old Task style: one struct of callbacks per task type, as in the
   RFC's `Task` trait. perform borrows `self` and yields a separate output
   or error; complete consumes all three. Usually a `static const`. */
typedef struct napi_task_legacy_class {
  /* Threadpool. Borrows `self`; sets *output on success or *error on
     failure (both are NULL on entry; leaving both NULL is allowed). Must
     not call Node-API. If it sets both, the error wins and the output is
     dropped with drop_output. Not called when the task is cancelled before
     it starts (env teardown). */
  void (*perform)(const void *self, void **output, void **error);
  /* JS thread. Consumes `self`, `output` and `error` (at least one of the
     last two is NULL). Returns the task's JS value, or NULL with a pending
     exception, which becomes the callback's `err`. */
  napi_value (*complete)(napi_env env, void *self, void *output,
                         void *error);
  /* Free `self`, an output and an error when complete does not run (a
     failed call, env teardown). Any thread. Each may be NULL (nothing to
     free); none is called with a NULL pointer. */
  napi_task_drop drop_self, drop_output, drop_error;
} napi_task_legacy_class;

/* Deprecated: build the task with napi_task_build (perform returns
   napi_task_ok(complete, data, drop) or napi_task_error(...)) and deliver
   it with napi_task_schedule (or napi_task_promise); the builder also
   gives AbortSignal, progress and queues.

   JS thread. Runs cls->perform(self, &output, &error) on the threadpool,
   then cls->complete(env, self, output, error) on the JS thread, and
   calls callback(err, value) with complete's value or exception, exactly
   as napi_task_schedule does (never inside this call; in the async context
   of this call).
   Ownership: `*cls` is copied (it need not outlive the call). `self` moves
   into the task: complete consumes it, or drop_self(self) runs once (also
   when this call fails), together with drop_output / drop_error for what
   perform set. The one exception is a NULL `cls`: there is no drop_self to
   call, so `self` is left to the caller.
   Returns napi_ok; napi_invalid_arg for a NULL env, cls, cls->perform,
   cls->complete or callback; napi_function_expected with a pending
   TypeError (code 'ERR_INVALID_ARG_TYPE') when callback is not a function;
   napi_generic_failure when out of memory. */
NAPI_TASK_DEPRECATED("use napi_task_build + napi_task_schedule")
napi_status napi_task_schedule_legacy(napi_env env,
                                      const napi_task_legacy_class *cls,
                                      void *self, napi_value callback);

/* Deprecated: use napi_task_build with a napi_task_perform (see
   napi_task_schedule_legacy).

   The adapter for code written against napi_create_async_work: its
   `execute(env, data)` and `complete(env, status, data)` callbacks, as
   they are, become a built napi_task. Only the call site changes:
   napi_create_async_work + napi_queue_async_work become
   napi_task_build_async_work + a delivery (napi_task_schedule or
   napi_task_promise), and complete no longer calls napi_delete_async_work.
   The task then takes options like any other: napi_task_set_signal
   (cancellation), napi_task_set_queue, napi_task_set_name.

   JS thread. Builds a task that runs execute(env, data) on the threadpool
   (with the env this call was given; it must not call Node-API), then
   complete(env, napi_ok, data) on the JS thread. Deliver it or discard it
   like any built task.
   [in]  execute   required.
   [in]  complete  required. Consumes `data`.
   [in]  data      borrowed by execute, consumed by complete, or dropped.
   [in]  drop      frees `data` when complete never runs (abort, teardown,
                   discard, a failed delivery, a failed call). May be NULL:
                   then `data` leaks on those paths. Not called for a NULL
                   `data`.
   [out] result    the task; NULL on failure.
   Returns napi_ok; napi_invalid_arg for a NULL env, execute, complete or
   result; napi_generic_failure when out of memory. On failure `data` has
   been dropped. Throws nothing.

   Differences from napi_async_work, on purpose:
   - complete runs only after execute ran and the task was not aborted, so
     `status` is always napi_ok. An aborted task (its signal fired) does not
     call complete, with napi_cancelled or otherwise: like any builder task
     it settles with the AbortError and its data is dropped (drop runs,
     complete does not), so complete only ever sees finished work. An
     execute that is already running finishes first; complete still does
     not run.
   - At env teardown (worker termination, process exit) JS cannot run, so
     complete never does: `data` is dropped (after execute returns, if it
     is running). napi_async_work calls complete then, with JS forbidden.
   - An exception complete leaves pending becomes the task's error (the
     callback's `err`, the rejection) instead of an uncaught exception.
   Keep napi_ref and napi_deferred out of `data` once napi-task delivers
   the result: drop has no env and cannot delete them.

   The task's JS value is `undefined`: a raw complete returns nothing. To
   deliver a value, use napi_task_build_async_work_value, whose complete
   returns it. */
NAPI_TASK_DEPRECATED("use napi_task_build + napi_task_schedule")
napi_status napi_task_build_async_work(napi_env env,
                                       napi_async_execute_callback execute,
                                       napi_async_complete_callback complete,
                                       void *data, napi_task_drop drop,
                                       napi_task *result);

/* JS thread. A napi_async_complete_callback that returns the task's JS
   value, or NULL with a pending exception (the task's error). `status` is
   always napi_ok (see above); it is there so a raw complete's body moves
   over unchanged. Consumes `data`. */
typedef napi_value (*napi_task_async_complete_value)(napi_env env,
                                                     napi_status status,
                                                     void *data);

/* Deprecated: use napi_task_build with a napi_task_perform that returns
   napi_task_ok(complete, data, drop).

   As napi_task_build_async_work, but the task's JS value is what
   `complete` returns: the step that lets napi_task_promise resolve with
   the result instead of the addon resolving its own napi_deferred. Same
   ownership and failure returns. */
NAPI_TASK_DEPRECATED("use napi_task_build + napi_task_schedule")
napi_status napi_task_build_async_work_value(
    napi_env env, napi_async_execute_callback execute,
    napi_task_async_complete_value complete, void *data, napi_task_drop drop,
    napi_task *result);
#endif  /* NAPI_TASK_NO_LEGACY */

#ifdef __cplusplus
}
#endif

#endif  /* NAPI_TASK_H_ */
