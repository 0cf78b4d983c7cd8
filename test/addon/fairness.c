/* exports.fairness: a napi-task flood next to a raw napi_create_async_work
   flood, and a probe that tells how far a flood had got when an ordinary
   threadpool request got a thread. Counts go to the shared counters
   (common.counters(): floodDone, rawDone). */
#include "common.h"

static napi_task_output perform_flood(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  (void)ctx;
  busy_wait_us(tr->value);
  tr_consume(tr);
  atomic_fetch_add(&ctr.flood_done, 1);
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
  atomic_fetch_add(&ctr.raw_done, 1);
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
  p->counter = !strcmp(which, "flood")  ? &ctr.flood_done
               : !strcmp(which, "raw")  ? &ctr.raw_done
                                        : &ctr.finished;
  CHECK(env, napi_create_reference(env, argv[1], 1, &p->cb));
  CHECK(env, napi_create_string_utf8(env, "probe", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_create_async_work(env, NULL, name, probe_execute,
                                    probe_complete, p, &p->work));
  CHECK(env, napi_queue_async_work(env, p->work));
  return js_undefined(env);
}

napi_value init_fairness(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "flood", flood);
  set_fn(env, o, "rawFlood", raw_flood_js);
  set_fn(env, o, "probe", probe_js);
  return o;
}
