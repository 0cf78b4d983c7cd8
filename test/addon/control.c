/* exports.control: scenarios for what perform can do while it runs
   (napi_task_cancelled, napi_task_progress, napi_task_call_js), AbortSignal
   cancellation, queues, and the threadpool-fairness flood next to a raw
   napi_create_async_work flood.

   Timing never decides a test: performs count what they do in the atomics
   below, block on gates (ids 8..15 are this file's), and the JS side waits
   for counts, never for durations. */
#include "common.h"

#include <stdio.h>

#define LANES 8
#define ORDER_MAX 4096
#define WAIT_LIMIT_MS 10000

/* Counters, any thread. Reset by control.reset(). */
static atomic_int performs;        /* performs started */
static atomic_int finished;        /* performs returned */
static atomic_int emitted;         /* performs done reporting progress */
static atomic_int spinning;        /* performs polling napi_task_cancelled */
static atomic_int cancelled_seen;  /* performs that saw it turn true */
static atomic_int progress_ok, progress_cancelled, progress_other;
static atomic_int asked;           /* performs about to call call_js */
static atomic_int call_status;     /* the last call_js status */
static atomic_int flood_done, raw_done;
static atomic_int lane_running[LANES], lane_max[LANES];
static atomic_int order_len;
static atomic_int order[ORDER_MAX];

/* JS thread: status of the last napi-task call a scenario made. Workers
   have their own. */
static NT_THREAD_LOCAL napi_status last_status = napi_ok;
/* JS thread: exports.control of this env, for the call_js handlers. Node
   deletes it with the env. */
static NT_THREAD_LOCAL napi_ref control_ref = NULL;

static napi_value deliver(napi_env env, napi_task t, napi_value cb) {
  napi_valuetype type = napi_undefined;
  napi_value r = NULL;
  if (cb != NULL) napi_typeof(env, cb, &type);
  if (type == napi_undefined)
    last_status = napi_task_promise(t, &r);
  else
    last_status = napi_task_schedule(t, cb, &r);
  return r;
}

/* ---- option helpers ---- */

static napi_value opt(napi_env env, napi_value o, const char *key) {
  bool has = false;
  napi_value v = NULL;
  if (o == NULL || napi_has_named_property(env, o, key, &has) != napi_ok ||
      !has || napi_get_named_property(env, o, key, &v) != napi_ok)
    return NULL;
  return v;
}

static double opt_num(napi_env env, napi_value o, const char *key, double d) {
  napi_value v = opt(env, o, key);
  napi_valuetype type;
  if (v == NULL || napi_typeof(env, v, &type) != napi_ok ||
      type != napi_number)
    return d;
  return arg_double(env, v);
}

static bool opt_bool(napi_env env, napi_value o, const char *key) {
  napi_value v = opt(env, o, key);
  bool b = false;
  if (v != NULL) napi_get_value_bool(env, v, &b);
  return b;
}

static void busy_wait_us(double us) {
  uint64_t end = uv_hrtime() + (uint64_t)(us * 1000);
  while (uv_hrtime() < end) {
  }
}

static void lane_enter(int lane) {
  int now = atomic_fetch_add(&lane_running[lane], 1) + 1;
  int seen = atomic_load(&lane_max[lane]);
  while (now > seen &&
         !atomic_compare_exchange_weak(&lane_max[lane], &seen, now)) {
  }
}

/* ---- the configurable job: run(opts, cb?) ---- */

enum { OUT_NUMBER, OUT_STRING, OUT_ERROR };

typedef struct job {
  int gate_before; /* -1: none; waited on before reporting progress */
  int gate;       /* -1: none; waited on after */
  int lane;       /* -1: none; else concurrency is tracked per lane */
  int progress;   /* report 1..progress */
  bool strings;   /* progress values as owned strings (tr_bytes) */
  bool errors;    /* progress values as error outputs */
  bool spin;      /* poll napi_task_cancelled until it turns true */
  double busy_us; /* then busy-wait this long */
  int output;
} job;

static napi_value complete_number(napi_env env, void *data) {
  tracked *t = data;
  napi_value v;
  napi_create_double(env, t->value, &v);
  tr_consume(t);
  return v;
}

static char *owned_string(const char *prefix, double v) {
  char *s = tr_bytes(48);
  snprintf(s, 48, "%s%g", prefix, v);
  return s;
}

static void report(napi_task_ctx ctx, const job *j, int i) {
  napi_task_output value =
      j->errors    ? napi_task_error("ETEST_PROGRESS", "step %d", i)
      : j->strings ? napi_task_ok_string(owned_string("", i), tr_drop_bytes)
                   : napi_task_ok_int64(i);
  napi_status s = napi_task_progress(ctx, value);
  if (s == napi_ok)
    atomic_fetch_add(&progress_ok, 1);
  else if (s == napi_cancelled)
    atomic_fetch_add(&progress_cancelled, 1);
  else
    atomic_fetch_add(&progress_other, 1);
}

static napi_task_output perform_job(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  job j = *(job *)tr->extra;
  double value = tr->value;
  int at;

  free(tr->extra);
  tr_consume(tr);
  atomic_fetch_add(&performs, 1);
  at = atomic_fetch_add(&order_len, 1);
  if (at < ORDER_MAX) atomic_store(&order[at], (int)value);
  if (j.lane >= 0) lane_enter(j.lane);
  if (j.gate_before >= 0) gate_wait(gate_get(j.gate_before));
  for (int i = 1; i <= j.progress; i++) report(ctx, &j, i);
  atomic_fetch_add(&emitted, 1);
  if (j.gate >= 0) gate_wait(gate_get(j.gate));
  if (j.spin) {
    atomic_fetch_add(&spinning, 1);
    while (!napi_task_cancelled(ctx)) nt_sleep_ms(1);
    atomic_fetch_add(&cancelled_seen, 1);
    atomic_fetch_sub(&spinning, 1);
  }
  if (j.busy_us > 0) busy_wait_us(j.busy_us);

  if (j.lane >= 0) atomic_fetch_sub(&lane_running[j.lane], 1);
  atomic_fetch_add(&finished, 1);
  switch (j.output) {
    case OUT_STRING:
      return napi_task_ok_string(owned_string("value ", value),
                                 tr_drop_bytes);
    case OUT_ERROR:
      return napi_task_error("ETEST_PERFORM", "perform failed with %g",
                             value);
    default:
      return napi_task_ok(complete_number, tr_new(value), tr_drop);
  }
}

static void drop_job(void *data) {
  tracked *tr = data;
  free(tr->extra);
  tr_drop(tr);
}

static napi_task_queue queue_arg(napi_env env, napi_value v) {
  void *q = NULL;
  if (v == NULL || napi_get_value_external(env, v, &q) != napi_ok) return NULL;
  return q;
}

/* run({value, gateBefore, gate, lane, progress, strings, errors, spin,
        busyUs, output, signal, onProgress, mode, queue}, cb?)
   Builds a task, applies the options given (in that order), delivers it:
   by callback when cb is a function, else returns a promise. When a
   setter fails the task is discarded (its data dropped), lastStatus()
   tells the setter's status, and the setter's TypeError, if any, is
   thrown. */
static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, o, v;
  napi_task t;
  tracked *tr;
  job *j = calloc(1, sizeof(*j));
  char text[16];

  if (j == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  o = argv[0];
  j->gate_before = (int)opt_num(env, o, "gateBefore", -1);
  j->gate = (int)opt_num(env, o, "gate", -1);
  j->lane = (int)opt_num(env, o, "lane", -1);
  if (j->lane >= LANES) j->lane = -1;
  j->progress = (int)opt_num(env, o, "progress", 0);
  j->strings = opt_bool(env, o, "strings");
  j->errors = opt_bool(env, o, "errors");
  j->spin = opt_bool(env, o, "spin");
  j->busy_us = opt_num(env, o, "busyUs", 0);
  j->output = OUT_NUMBER;
  if ((v = opt(env, o, "output")) != NULL) {
    arg_string(env, v, text, sizeof(text));
    if (!strcmp(text, "string")) j->output = OUT_STRING;
    if (!strcmp(text, "error")) j->output = OUT_ERROR;
  }
  tr = tr_new(opt_num(env, o, "value", 0));
  tr->extra = j;
  last_status = napi_task_build(env, perform_job, tr, drop_job, &t);
  if (last_status != napi_ok) return NULL;

  if ((v = opt(env, o, "signal")) != NULL)
    last_status = napi_task_set_signal(t, v);
  if (last_status == napi_ok && (v = opt(env, o, "onProgress")) != NULL) {
    napi_task_progress_mode mode = NAPI_TASK_PROGRESS_QUEUE;
    napi_value m = opt(env, o, "mode");
    if (m != NULL) {
      arg_string(env, m, text, sizeof(text));
      mode = !strcmp(text, "coalesce") ? NAPI_TASK_PROGRESS_COALESCE
             : !strcmp(text, "queue")  ? NAPI_TASK_PROGRESS_QUEUE
                                       : (napi_task_progress_mode)99;
    }
    last_status = napi_task_set_progress(t, v, mode);
  }
  if (last_status == napi_ok && (v = opt(env, o, "queue")) != NULL)
    last_status = napi_task_set_queue(t, queue_arg(env, v));
  if (last_status != napi_ok) {
    napi_task_discard(t);
    return NULL; /* throws the setter's TypeError, if it left one */
  }
  return deliver(env, t, argc > 1 ? argv[1] : NULL);
}

/* ---- queues ---- */

/* queueCreate(max) -> external, or null (lastStatus() tells why). */
static napi_value queue_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  napi_task_queue q = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  last_status =
      napi_task_queue_create(env, (uint32_t)arg_double(env, argv[0]), &q);
  if (last_status != napi_ok) {
    napi_get_null(env, &r);
    return r;
  }
  CHECK(env, napi_create_external(env, q, NULL, NULL, &r));
  return r;
}

/* queueRelease(q) -> status */
static napi_value queue_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return js_int(env, napi_task_queue_release(queue_arg(env, argv[0])));
}

/* queueAddress(q) -> BigInt, queueFromAddress(big) -> external: carry a
   queue handle to another env (a worker) to prove set_queue refuses it. */
static napi_value queue_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_create_bigint_uint64(
                 env, (uint64_t)(uintptr_t)queue_arg(env, argv[0]), &r));
  return r;
}

static napi_value queue_from_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  uint64_t address = 0;
  bool lossless;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_bigint_uint64(env, argv[0], &address, &lossless));
  CHECK(env, napi_create_external(env, (void *)(uintptr_t)address, NULL, NULL,
                                  &r));
  return r;
}

/* queueCreateZero() -> {status, cleared}: napi_task_queue_create with a
   max_running of 0, and whether *result was reset to NULL. */
static napi_value queue_create_zero(napi_env env, napi_callback_info info) {
  napi_task_queue q = (napi_task_queue)&q; /* anything but NULL */
  napi_value o, cleared;
  napi_status s;
  (void)info;
  s = napi_task_queue_create(env, 0, &q);
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_get_boolean(env, q == NULL, &cleared));
  napi_set_named_property(env, o, "status", js_int(env, s));
  napi_set_named_property(env, o, "cleared", cleared);
  return o;
}

/* ---- call_js: ask(opts, cb?) ---- */

/* Lives on perform's stack: perform owns it, the JS thread borrows it. */
typedef struct ask_req {
  char key[32];     /* which of control.handlers to call */
  double question;
  double answer;
} ask_req;

typedef struct ask_job {
  ask_req req;
  int gate_before;   /* -1: none; waited on before asking */
  bool wait_closing; /* poll napi_task_cancelled first (env teardown) */
  bool error_output; /* return an error output whatever call_js said */
  int progress;      /* report 1..progress before asking */
} ask_job;

/* JS thread: answer = control.handlers[key](question). */
static napi_status ask_fn(napi_env env, void *data) {
  ask_req *req = data;
  napi_value control, handlers, fn, global, arg, answer;
  napi_status s;

  if ((s = napi_get_reference_value(env, control_ref, &control)) != napi_ok ||
      (s = napi_get_named_property(env, control, "handlers", &handlers)) !=
          napi_ok ||
      (s = napi_get_named_property(env, handlers, req->key, &fn)) !=
          napi_ok ||
      (s = napi_get_global(env, &global)) != napi_ok ||
      (s = napi_create_double(env, req->question, &arg)) != napi_ok ||
      (s = napi_call_function(env, global, fn, 1, &arg, &answer)) != napi_ok)
    return s; /* an exception thrown by the handler stays pending */
  return napi_get_value_double(env, answer, &req->answer);
}

static napi_task_output perform_ask(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  ask_job j = *(ask_job *)tr->extra;
  napi_status s;

  free(tr->extra);
  tr_consume(tr);
  atomic_fetch_add(&performs, 1);
  if (j.gate_before >= 0) gate_wait(gate_get(j.gate_before));
  if (j.wait_closing)
    while (!napi_task_cancelled(ctx)) nt_sleep_ms(1);
  for (int i = 1; i <= j.progress; i++)
    napi_task_progress(ctx, napi_task_ok_int64(i));
  atomic_fetch_add(&asked, 1);
  s = napi_task_call_js(ctx, ask_fn, &j.req);
  atomic_store(&call_status, (int)s);
  atomic_fetch_add(&finished, 1);
  if (j.error_output)
    return napi_task_error("ETEST_PERFORM", "call_js returned %d", (int)s);
  if (s != napi_ok) /* dropped when the handler's exception wins */
    return napi_task_ok(complete_number, tr_new(-(double)s), tr_drop);
  return napi_task_ok_double(j.req.answer * 2);
}

/* ask({key, question, errorOutput, gateBefore, waitClosing, progress,
        onProgress, signal}, cb?):
   perform reports progress 1..progress (QUEUE), then asks
   control.handlers[key](question) through napi_task_call_js and resolves
   with twice the answer (or, when call_js failed, with minus its
   status). */
static napi_value ask(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, o, v;
  ask_job *j = calloc(1, sizeof(*j));
  tracked *tr;
  napi_task t;

  if (j == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  o = argv[0];
  if ((v = opt(env, o, "key")) != NULL)
    arg_string(env, v, j->req.key, sizeof(j->req.key));
  j->req.question = opt_num(env, o, "question", 0);
  j->error_output = opt_bool(env, o, "errorOutput");
  j->wait_closing = opt_bool(env, o, "waitClosing");
  j->gate_before = (int)opt_num(env, o, "gateBefore", -1);
  j->progress = (int)opt_num(env, o, "progress", 0);
  tr = tr_new(0);
  tr->extra = j;
  last_status = napi_task_build(env, perform_ask, tr, drop_job, &t);
  if (last_status != napi_ok) return NULL;
  if (((v = opt(env, o, "signal")) != NULL &&
       (last_status = napi_task_set_signal(t, v)) != napi_ok) ||
      ((v = opt(env, o, "onProgress")) != NULL &&
       (last_status = napi_task_set_progress(t, v, NAPI_TASK_PROGRESS_QUEUE)) !=
           napi_ok)) {
    napi_task_discard(t);
    return NULL;
  }
  return deliver(env, t, argc > 1 ? argv[1] : NULL);
}

/* ---- fairness: a napi-task flood next to a raw async-work flood ---- */

static napi_task_output perform_flood(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  (void)ctx;
  busy_wait_us(tr->value);
  tr_consume(tr);
  atomic_fetch_add(&flood_done, 1);
  return napi_task_ok_undefined();
}

/* flood(n, busyUs, cb): n tasks of busyUs µs each, all calling cb. */
static napi_value flood(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_task t;
  int n;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  n = (int)arg_double(env, argv[0]);
  for (int i = 0; i < n; i++) {
    CHECK(env, napi_task_build(env, perform_flood,
                               tr_new(arg_double(env, argv[1])), tr_drop, &t));
    CHECK(env, napi_task_schedule(t, argv[2], NULL));
  }
  return js_undefined(env);
}

typedef struct raw_flood {
  napi_ref done;   /* called once, when the last work completed */
  int remaining;   /* JS thread only */
  double busy_us;
} raw_flood;

typedef struct raw_work {
  napi_async_work work;
  raw_flood *flood;
} raw_work;

static void raw_execute(napi_env env, void *data) {
  raw_work *w = data;
  (void)env;
  busy_wait_us(w->flood->busy_us);
  atomic_fetch_add(&raw_done, 1);
}

static void raw_complete(napi_env env, napi_status status, void *data) {
  raw_work *w = data;
  raw_flood *f = w->flood;
  napi_value cb, global;
  (void)status;
  napi_delete_async_work(env, w->work);
  free(w);
  if (--f->remaining != 0) return;
  if (napi_get_reference_value(env, f->done, &cb) == napi_ok &&
      napi_get_global(env, &global) == napi_ok)
    napi_call_function(env, global, cb, 0, NULL, NULL);
  napi_delete_reference(env, f->done);
  free(f);
}

/* rawFlood(n, busyUs, done): the same work through plain
   napi_create_async_work + napi_queue_async_work; done() after the last. */
static napi_value raw_flood_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  raw_flood *f = calloc(1, sizeof(*f));
  int n;
  if (f == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  n = (int)arg_double(env, argv[0]);
  f->remaining = n;
  f->busy_us = arg_double(env, argv[1]);
  CHECK(env, napi_create_reference(env, argv[2], 1, &f->done));
  CHECK(env, napi_create_string_utf8(env, "raw_flood", NAPI_AUTO_LENGTH,
                                     &name));
  for (int i = 0; i < n; i++) {
    raw_work *w = malloc(sizeof(*w));
    if (w == NULL) abort();
    w->flood = f;
    CHECK(env, napi_create_async_work(env, NULL, name, raw_execute,
                                      raw_complete, w, &w->work));
    CHECK(env, napi_queue_async_work(env, w->work));
  }
  return js_undefined(env);
}

/* A probe: one raw async work, queued in libuv's FIFO like an fs request.
   Its execute notes how many tasks had finished when it got a thread,
   which no loop latency can inflate. */
typedef struct probe {
  napi_async_work work;
  napi_ref cb;
  atomic_int *counter;
  int seen; /* written in execute, read in complete (libuv orders them) */
} probe;

static void probe_execute(napi_env env, void *data) {
  probe *p = data;
  (void)env;
  p->seen = atomic_load(p->counter);
}

static void probe_complete(napi_env env, napi_status status, void *data) {
  probe *p = data;
  napi_value cb, global, arg;
  (void)status;
  if (napi_get_reference_value(env, p->cb, &cb) == napi_ok &&
      napi_get_global(env, &global) == napi_ok &&
      napi_create_int32(env, p->seen, &arg) == napi_ok)
    napi_call_function(env, global, cb, 1, &arg, NULL);
  napi_delete_reference(env, p->cb);
  napi_delete_async_work(env, p->work);
  free(p);
}

/* probe(counterName, cb): cb(value of the counter when the probe ran). */
static napi_value probe_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], name;
  char which[32];
  probe *p = calloc(1, sizeof(*p));
  if (p == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  arg_string(env, argv[0], which, sizeof(which));
  p->counter = !strcmp(which, "flood")  ? &flood_done
               : !strcmp(which, "raw")  ? &raw_done
                                        : &finished;
  CHECK(env, napi_create_reference(env, argv[1], 1, &p->cb));
  CHECK(env, napi_create_string_utf8(env, "probe", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, probe_execute,
                                    probe_complete, p, &p->work));
  CHECK(env, napi_queue_async_work(env, p->work));
  return js_undefined(env);
}

/* ---- NULL and misuse ---- */

static napi_task_output perform_null_calls(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  napi_status s = napi_task_call_js(ctx, NULL, NULL);
  tr_consume(tr);
  return napi_task_ok_int64(s);
}

static void put_status(napi_env env, napi_value o, const char *k,
                       napi_status s) {
  napi_set_named_property(env, o, k, js_int(env, s));
}

/* nullArgs(signal, onProgress, cb): statuses of NULL-argument and misuse
   calls of the control API. Every tracked datum is consumed or dropped
   once; the JS side checks the counts. cb gets the status perform saw
   from napi_task_call_js(ctx, NULL, NULL). */
static napi_value null_args(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], o, b;
  napi_task t, in_flight;
  napi_task_queue q;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_create_object(env, &o));

  CHECK(env, napi_get_boolean(env, napi_task_cancelled(NULL), &b));
  napi_set_named_property(env, o, "cancelledNull", b);
  put_status(env, o, "progressNullCtx",
             napi_task_progress(NULL, napi_task_ok_string(
                                          owned_string("x", 1),
                                          tr_drop_bytes)));
  put_status(env, o, "callJsNullCtx", napi_task_call_js(NULL, ask_fn, NULL));
  put_status(env, o, "queueCreateNullEnv", napi_task_queue_create(NULL, 1, &q));
  put_status(env, o, "queueCreateNullResult",
             napi_task_queue_create(env, 1, NULL));

  CHECK(env, napi_task_queue_create(env, 1, &q));
  CHECK(env, napi_task_build(env, perform_null_calls, tr_new(0), tr_drop, &t));
  put_status(env, o, "setSignalNullTask", napi_task_set_signal(NULL, argv[0]));
  put_status(env, o, "setSignalNullSignal", napi_task_set_signal(t, NULL));
  put_status(env, o, "setProgressNullTask",
             napi_task_set_progress(NULL, argv[1], NAPI_TASK_PROGRESS_QUEUE));
  put_status(env, o, "setProgressNullFn",
             napi_task_set_progress(t, NULL, NAPI_TASK_PROGRESS_QUEUE));
  put_status(env, o, "setQueueNullTask", napi_task_set_queue(NULL, q));
  put_status(env, o, "setQueueNullQueue", napi_task_set_queue(t, NULL));

  /* The same task, still usable after every failed setter; then its
     setters once it is in flight. */
  CHECK(env, napi_task_set_signal(t, argv[0]));
  CHECK(env, napi_task_set_queue(t, q));
  in_flight = t;
  CHECK(env, napi_task_schedule(t, argv[2], NULL));
  put_status(env, o, "setSignalDelivered",
             napi_task_set_signal(in_flight, argv[0]));
  put_status(env, o, "setProgressDelivered",
             napi_task_set_progress(in_flight, argv[1],
                                    NAPI_TASK_PROGRESS_QUEUE));
  put_status(env, o, "setQueueDelivered", napi_task_set_queue(in_flight, q));
  put_status(env, o, "queueRelease", napi_task_queue_release(q));
  put_status(env, o, "queueReleaseNull", napi_task_queue_release(NULL));
  return o;
}

/* ---- blocking waits (JS thread stays busy: no batch runs meanwhile) ---- */

static atomic_int *counter(const char *name) {
  if (!strcmp(name, "performs")) return &performs;
  if (!strcmp(name, "finished")) return &finished;
  if (!strcmp(name, "emitted")) return &emitted;
  if (!strcmp(name, "spinning")) return &spinning;
  if (!strcmp(name, "asked")) return &asked;
  return NULL;
}

/* waitFor(name, n, limitMs = 10000): blocks the JS thread until counter
   `name` >= n. Returns false after the limit (a failing test, not a
   hang). */
static napi_value wait_for(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL}, r;
  char name[32];
  atomic_int *c;
  int n, waited = 0, limit;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  arg_string(env, argv[0], name, sizeof(name));
  n = (int)arg_double(env, argv[1]);
  limit = argc > 2 && argv[2] != NULL ? (int)arg_double(env, argv[2])
                                      : WAIT_LIMIT_MS;
  if ((c = counter(name)) == NULL) {
    napi_throw_error(env, NULL, "unknown counter");
    return NULL;
  }
  while (atomic_load(c) < n && waited++ < limit) nt_sleep_ms(1);
  CHECK(env, napi_get_boolean(env, atomic_load(c) >= n, &r));
  return r;
}

/* waitGate(id, n): blocks until n performs wait on gate id. */
static napi_value wait_gate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  gate *g;
  int n, waited = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  g = gate_get((int)arg_double(env, argv[0]));
  n = (int)arg_double(env, argv[1]);
  while (gate_waiting(g) < n && waited++ < WAIT_LIMIT_MS) nt_sleep_ms(1);
  CHECK(env, napi_get_boolean(env, gate_waiting(g) >= n, &r));
  return r;
}

/* ---- counters ---- */

static void put(napi_env env, napi_value o, const char *k, int v) {
  napi_set_named_property(env, o, k, js_int(env, v));
}

static napi_value counters(napi_env env, napi_callback_info info) {
  napi_value o, lanes, order_v;
  int n;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  put(env, o, "performs", atomic_load(&performs));
  put(env, o, "finished", atomic_load(&finished));
  put(env, o, "emitted", atomic_load(&emitted));
  put(env, o, "spinning", atomic_load(&spinning));
  put(env, o, "cancelledSeen", atomic_load(&cancelled_seen));
  put(env, o, "progressOk", atomic_load(&progress_ok));
  put(env, o, "progressCancelled", atomic_load(&progress_cancelled));
  put(env, o, "progressOther", atomic_load(&progress_other));
  put(env, o, "asked", atomic_load(&asked));
  put(env, o, "callStatus", atomic_load(&call_status));
  put(env, o, "floodDone", atomic_load(&flood_done));
  put(env, o, "rawDone", atomic_load(&raw_done));
  CHECK(env, napi_create_array_with_length(env, LANES, &lanes));
  for (int i = 0; i < LANES; i++)
    napi_set_element(env, lanes, i, js_int(env, atomic_load(&lane_max[i])));
  napi_set_named_property(env, o, "laneMax", lanes);
  n = atomic_load(&order_len);
  if (n > ORDER_MAX) n = ORDER_MAX;
  CHECK(env, napi_create_array_with_length(env, n, &order_v));
  for (int i = 0; i < n; i++)
    napi_set_element(env, order_v, i, js_int(env, atomic_load(&order[i])));
  napi_set_named_property(env, o, "order", order_v);
  return o;
}

static napi_value reset(napi_env env, napi_callback_info info) {
  (void)info;
  atomic_store(&performs, 0);
  atomic_store(&finished, 0);
  atomic_store(&emitted, 0);
  atomic_store(&spinning, 0);
  atomic_store(&cancelled_seen, 0);
  atomic_store(&progress_ok, 0);
  atomic_store(&progress_cancelled, 0);
  atomic_store(&progress_other, 0);
  atomic_store(&asked, 0);
  atomic_store(&call_status, -1);
  atomic_store(&flood_done, 0);
  atomic_store(&raw_done, 0);
  for (int i = 0; i < LANES; i++) {
    atomic_store(&lane_running[i], 0);
    atomic_store(&lane_max[i], 0);
  }
  atomic_store(&order_len, 0);
  return js_undefined(env);
}

static napi_value get_last_status(napi_env env, napi_callback_info info) {
  (void)info;
  return js_int(env, last_status);
}

/* The pool size napi-task assumes (libuv's rule, as src/env.c). */
static napi_value pool_size(napi_env env, napi_callback_info info) {
  const char *v = getenv("UV_THREADPOOL_SIZE");
  long n = v != NULL ? strtol(v, NULL, 10) : 4;
  (void)info;
  if (n < 1) n = 1;
  if (n > 1024) n = 1024;
  return js_int(env, n);
}

/* Env cleanup hook (the env's thread): the reference is the addon's to
   delete; Node does not free it at teardown. */
static void delete_control_ref(void *arg) {
  napi_env env = arg;
  if (control_ref != NULL) napi_delete_reference(env, control_ref);
  control_ref = NULL;
}

napi_value init_control(napi_env env) {
  napi_value o, handlers;
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_create_object(env, &handlers));
  CHECK(env, napi_set_named_property(env, o, "handlers", handlers));
  CHECK(env, napi_create_reference(env, o, 1, &control_ref));
  CHECK(env, napi_add_env_cleanup_hook(env, delete_control_ref, env));
  set_fn(env, o, "run", run);
  set_fn(env, o, "ask", ask);
  set_fn(env, o, "queueCreate", queue_create);
  set_fn(env, o, "queueCreateZero", queue_create_zero);
  set_fn(env, o, "queueRelease", queue_release);
  set_fn(env, o, "queueAddress", queue_address);
  set_fn(env, o, "queueFromAddress", queue_from_address);
  set_fn(env, o, "flood", flood);
  set_fn(env, o, "rawFlood", raw_flood_js);
  set_fn(env, o, "probe", probe_js);
  set_fn(env, o, "nullArgs", null_args);
  set_fn(env, o, "waitFor", wait_for);
  set_fn(env, o, "waitGate", wait_gate);
  set_fn(env, o, "counters", counters);
  set_fn(env, o, "reset", reset);
  set_fn(env, o, "lastStatus", get_last_status);
  set_fn(env, o, "poolSize", pool_size);
  return o;
}
