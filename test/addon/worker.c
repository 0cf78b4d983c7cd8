/* exports.worker: tasks for the worker-thread tests (and
   tools/teardown-time.js): ones that block on a gate until JS lets them
   go, and sleepers that can log that they ran. */
#include "common.h"

#include <stdio.h>

/* How many gated performs saw their task cancelled while they waited (the
   env going away): a test opens the gate only once teardown has begun,
   instead of after a guessed delay. */
static atomic_int cancel_seen;

static napi_task_output perform_gate(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  double v = tr->value;
  gate *g = gate_get((int)tr->arg);
  /* Cancelled while waiting: count it, then keep waiting for the gate, so
     teardown still waits for this running perform. */
  if (!gate_wait_or_cancel(g, ctx)) {
    atomic_fetch_add(&cancel_seen, 1);
    gate_wait(g);
  }
  tr_consume(tr);
  return napi_task_ok_double(v);
}

/* gated(gateId, value, cb?): perform waits on the gate, returns value. */
static napi_value gated(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  tracked *tr;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tr = tr_new(arg_double(env, argv[1]));
  tr->arg = (int64_t)arg_double(env, argv[0]);
  CHECK(env, napi_task_build(env, perform_gate, tr, tr_drop, &t));
  return deliver(env, t, argc > 2 ? argv[2] : NULL);
}

/* cancelSeen(): cancel_seen, above. */
static napi_value js_cancel_seen(napi_env env, napi_callback_info info) {
  (void)info;
  return js_int(env, atomic_load(&cancel_seen));
}

/* Where sleepers log that they ran (a file survives process.exit()). */
static FILE *run_log;
static nt_mutex run_log_mu;
static nt_once_t run_log_once = NT_ONCE_INIT;

static void run_log_init(void) { nt_mutex_init(&run_log_mu); }

/* runLog(path): from now on every sleeper's perform appends a line. */
static napi_value set_run_log(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[1024];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  arg_string(env, argv[0], path, sizeof(path));
  nt_once(&run_log_once, run_log_init);
  nt_mutex_lock(&run_log_mu);
  if (run_log != NULL) fclose(run_log);
  run_log = fopen(path, "a");
  nt_mutex_unlock(&run_log_mu);
  return js_undefined(env);
}

static napi_task_output perform_sleep(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  double v = tr->value;
  (void)ctx;
  nt_once(&run_log_once, run_log_init);
  nt_mutex_lock(&run_log_mu);
  if (run_log != NULL) {
    fprintf(run_log, "ran %g\n", v);
    fflush(run_log);
  }
  nt_mutex_unlock(&run_log_mu);
  nt_sleep_ms((unsigned)tr->arg);
  tr_consume(tr);
  return napi_task_ok_double(v);
}

/* sleeper(ms, value, cb?): perform sleeps ms, returns value. */
static napi_value sleeper(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  tracked *tr;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tr = tr_new(arg_double(env, argv[1]));
  tr->arg = (int64_t)arg_double(env, argv[0]);
  CHECK(env, napi_task_build(env, perform_sleep, tr, tr_drop, &t));
  return deliver(env, t, argc > 2 ? argv[2] : NULL);
}

napi_value init_worker(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "gated", gated);
  set_fn(env, o, "cancelSeen", js_cancel_seen);
  set_fn(env, o, "sleeper", sleeper);
  set_fn(env, o, "runLog", set_run_log);
  return o;
}
