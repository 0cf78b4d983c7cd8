/*
 * Peers written against Node-API and libuv directly:
 *
 *   raw Node-API   napi_create_async_work + napi_queue_async_work, one work
 *                  per task, delivered to a callback (napi_call_function
 *                  inside the work's callback scope) or to a promise
 *                  (napi_create_promise + napi_resolve_deferred). Written
 *                  the way the Node-API docs and most addons write it,
 *                  resource-name string per task included.
 *   floor          uv_queue_work with no per-task JS call: a whole batch
 *                  is submitted from one JS call and one JS callback runs
 *                  when the batch is done. The cost of the threadpool
 *                  round trip alone; no task library can go below it.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* uv.h needs POSIX types under -std=c11 */
#endif
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

#include "common.h"

/* Callgrind's client request, when valgrind's header is installed: lets
   lib/profile.js count only the measured run (collection off at start). */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#endif
#endif

/* ------------------------------------------------------------------------ */
/* raw Node-API                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
  napi_async_work work;
  napi_ref callback;      /* callback form */
  napi_deferred deferred; /* promise form */
  int job;
  uint64_t arg;
  uint64_t result;
} raw_work;

static void raw_execute(napi_env env, void *data) {
  raw_work *w = (raw_work *)data;
  (void)env;
  w->result = bench_run(w->job, w->arg);
}

static napi_value raw_value(napi_env env, const raw_work *w) {
  napi_value v;
  if (w->job == BENCH_SUM)
    BENCH_CHECK(napi_create_double(env, (double)w->result, &v));
  else
    BENCH_CHECK(napi_get_undefined(env, &v));
  return v;
}

static void raw_complete_callback(napi_env env, napi_status status,
                                  void *data) {
  raw_work *w = (raw_work *)data;
  napi_value cb, recv, argv[2];
  BENCH_CHECK(napi_get_reference_value(env, w->callback, &cb));
  BENCH_CHECK(napi_get_undefined(env, &recv));
  if (status == napi_ok) {
    BENCH_CHECK(napi_get_null(env, &argv[0]));
    argv[1] = raw_value(env, w);
  } else {
    napi_value msg;
    BENCH_CHECK(napi_create_string_utf8(env, "cancelled", NAPI_AUTO_LENGTH,
                                        &msg));
    BENCH_CHECK(napi_create_error(env, NULL, msg, &argv[0]));
    argv[1] = recv;
  }
  /* An exception thrown by the callback stays pending; Node reports it as
     uncaught when this function returns. */
  napi_call_function(env, recv, cb, 2, argv, NULL);
  BENCH_CHECK(napi_delete_reference(env, w->callback));
  BENCH_CHECK(napi_delete_async_work(env, w->work));
  free(w);
}

static void raw_complete_promise(napi_env env, napi_status status,
                                 void *data) {
  raw_work *w = (raw_work *)data;
  if (status == napi_ok) {
    BENCH_CHECK(napi_resolve_deferred(env, w->deferred, raw_value(env, w)));
  } else {
    napi_value msg, err;
    BENCH_CHECK(napi_create_string_utf8(env, "cancelled", NAPI_AUTO_LENGTH,
                                        &msg));
    BENCH_CHECK(napi_create_error(env, NULL, msg, &err));
    BENCH_CHECK(napi_reject_deferred(env, w->deferred, err));
  }
  BENCH_CHECK(napi_delete_async_work(env, w->work));
  free(w);
}

/* Starts one task. `cb` is the callback, or NULL for the promise form. */
static napi_value raw_start(napi_env env, int job, uint64_t arg,
                            napi_value cb) {
  napi_value name, result;
  raw_work *w = (raw_work *)calloc(1, sizeof(*w));
  if (w == NULL) abort();
  w->job = job;
  w->arg = arg;
  BENCH_CHECK(napi_create_string_utf8(env, "bench_raw", NAPI_AUTO_LENGTH,
                                      &name));
  if (cb != NULL) {
    BENCH_CHECK(napi_create_reference(env, cb, 1, &w->callback));
    BENCH_CHECK(napi_get_undefined(env, &result));
  } else {
    BENCH_CHECK(napi_create_promise(env, &w->deferred, &result));
  }
  BENCH_CHECK(napi_create_async_work(
      env, NULL, name, raw_execute,
      cb != NULL ? raw_complete_callback : raw_complete_promise, w,
      &w->work));
  BENCH_CHECK(napi_queue_async_work(env, w->work));
  return result;
}

/* Reads up to two arguments. */
static void args(napi_env env, napi_callback_info info, napi_value *argv,
                 size_t n) {
  size_t argc = n;
  BENCH_CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
}

static uint64_t arg_u64(napi_env env, napi_value v) {
  int64_t i;
  BENCH_CHECK(napi_get_value_int64(env, v, &i));
  return (uint64_t)i;
}

static napi_value noop_cb(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  return raw_start(env, BENCH_NOOP, 0, argv[0]);
}
static napi_value noop_promise(napi_env env, napi_callback_info info) {
  (void)info;
  return raw_start(env, BENCH_NOOP, 0, NULL);
}
static napi_value sum_cb(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  return raw_start(env, BENCH_SUM, arg_u64(env, argv[0]), argv[1]);
}
static napi_value sum_promise(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  return raw_start(env, BENCH_SUM, arg_u64(env, argv[0]), NULL);
}
static napi_value sleep_cb(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  return raw_start(env, BENCH_SLEEP, arg_u64(env, argv[0]), argv[1]);
}
static napi_value sleep_promise(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  return raw_start(env, BENCH_SLEEP, arg_u64(env, argv[0]), NULL);
}
static napi_value gate_cb(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  return raw_start(env, BENCH_GATE, 0, argv[0]);
}
static napi_value gate_promise(napi_env env, napi_callback_info info) {
  (void)info;
  return raw_start(env, BENCH_GATE, 0, NULL);
}

/* ------------------------------------------------------------------------ */
/* floor: uv_queue_work, one JS call per batch                              */
/* ------------------------------------------------------------------------ */

typedef struct {
  napi_env env;
  uv_loop_t *loop;
  napi_ref callback;
  napi_async_context context;
  int job;
  uint64_t arg;
  uint64_t expected;
  uint32_t to_submit; /* not yet handed to libuv */
  uint32_t in_flight; /* handed to libuv, after_work not yet run */
  uint32_t wrong;     /* results that were not `expected` */
} floor_batch;

typedef struct {
  uv_work_t req;
  floor_batch *batch;
  uint64_t result;
} floor_req;

static void floor_work(uv_work_t *req) {
  floor_req *r = (floor_req *)req->data;
  r->result = bench_run(r->batch->job, r->batch->arg);
}

static void floor_after(uv_work_t *req, int status);

static void floor_submit(floor_batch *b) {
  /* One allocation per task, as every peer has at least one. */
  floor_req *r = (floor_req *)malloc(sizeof(*r));
  if (r == NULL) abort();
  r->req.data = r;
  r->batch = b;
  b->to_submit--;
  b->in_flight++;
  if (uv_queue_work(b->loop, &r->req, floor_work, floor_after) != 0) abort();
}

static void floor_finish(floor_batch *b) {
  napi_env env = b->env;
  napi_handle_scope scope;
  napi_value cb, recv, argv[2];
  BENCH_CHECK(napi_open_handle_scope(env, &scope));
  BENCH_CHECK(napi_get_reference_value(env, b->callback, &cb));
  BENCH_CHECK(napi_get_global(env, &recv)); /* must be an object here */
  BENCH_CHECK(napi_get_null(env, &argv[0]));
  BENCH_CHECK(napi_create_uint32(env, b->wrong, &argv[1]));
  napi_make_callback(env, b->context, recv, cb, 2, argv, NULL);
  BENCH_CHECK(napi_close_handle_scope(env, scope));
  BENCH_CHECK(napi_async_destroy(env, b->context));
  BENCH_CHECK(napi_delete_reference(env, b->callback));
  free(b);
}

static void floor_after(uv_work_t *req, int status) {
  floor_req *r = (floor_req *)req->data;
  floor_batch *b = r->batch;
  if (status != 0 || (b->job == BENCH_SUM && r->result != b->expected))
    b->wrong++;
  free(r);
  b->in_flight--;
  if (b->to_submit > 0)
    floor_submit(b); /* window mode: keep the window full */
  else if (b->in_flight == 0)
    floor_finish(b);
}

/* floor(job, arg, count, window, callback): runs `count` jobs, all at once
   (window 0) or `window` in flight at a time, then calls
   callback(null, wrongResults) once. */
static napi_value floor_run(napi_env env, napi_callback_info info) {
  napi_value argv[5], name, result;
  uint32_t count, window, first;
  floor_batch *b;
  args(env, info, argv, 5);
  b = (floor_batch *)calloc(1, sizeof(*b));
  if (b == NULL) abort();
  b->env = env;
  BENCH_CHECK(napi_get_uv_event_loop(env, &b->loop));
  BENCH_CHECK(napi_get_value_int32(env, argv[0], &b->job));
  b->arg = arg_u64(env, argv[1]);
  b->expected = b->arg == 0 ? 0 : b->arg * (b->arg - 1) / 2;
  BENCH_CHECK(napi_get_value_uint32(env, argv[2], &count));
  BENCH_CHECK(napi_get_value_uint32(env, argv[3], &window));
  BENCH_CHECK(napi_create_reference(env, argv[4], 1, &b->callback));
  BENCH_CHECK(napi_create_string_utf8(env, "bench_floor", NAPI_AUTO_LENGTH,
                                      &name));
  BENCH_CHECK(napi_async_init(env, NULL, name, &b->context));
  b->to_submit = count;
  first = window == 0 || window > count ? count : window;
  if (count == 0) {
    floor_finish(b); /* synchronous; bench JS never asks for 0 */
  } else {
    for (uint32_t i = 0; i < first; i++) floor_submit(b);
  }
  BENCH_CHECK(napi_get_undefined(env, &result));
  return result;
}

/* ------------------------------------------------------------------------ */

static napi_value gate_close(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  bench_gate_set(1);
  return NULL;
}
static napi_value gate_open(napi_env env, napi_callback_info info) {
  (void)info;
  (void)env;
  bench_gate_set(0);
  return NULL;
}

/* callgrindToggle(): toggles callgrind's collection; returns whether this
   build can (false: built without valgrind's header). */
static napi_value callgrind_toggle(napi_env env, napi_callback_info info) {
  napi_value result;
  (void)info;
#ifdef BENCH_HAVE_CALLGRIND
  CALLGRIND_TOGGLE_COLLECT;
  BENCH_CHECK(napi_get_boolean(env, true, &result));
#else
  BENCH_CHECK(napi_get_boolean(env, false, &result));
#endif
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  static const napi_property_descriptor props[] = {
#define FN(name, fn) \
  { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL }
      FN("noop", noop_cb),
      FN("noopPromise", noop_promise),
      FN("sum", sum_cb),
      FN("sumPromise", sum_promise),
      FN("sleep", sleep_cb),
      FN("sleepPromise", sleep_promise),
      FN("gate", gate_cb),
      FN("gatePromise", gate_promise),
      FN("floor", floor_run),
      FN("gateClose", gate_close),
      FN("gateOpen", gate_open),
      FN("callgrindToggle", callgrind_toggle),
#undef FN
  };
  BENCH_CHECK(napi_define_properties(env, exports,
                                     sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
