/* Plain Node-API helpers and gates shared by the C and C++ test addons
   (helpers.h). */
#include "../../src/platform.h" /* first: it sets the feature macros */

#include "helpers.h"

#include <stdbool.h>
#include <stdlib.h>

napi_value js_undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value js_int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

napi_value js_number(napi_env env, double d) {
  napi_value v = NULL;
  napi_create_double(env, d, &v);
  return v;
}

napi_value js_str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

double arg_double(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

void arg_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  buf[0] = '\0';
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok)
    buf[0] = '\0';
}

void set_fn(napi_env env, napi_value obj, const char *name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) ==
      napi_ok)
    napi_set_named_property(env, obj, name, fn);
}

void put_int(napi_env env, napi_value o, const char *k, int64_t v) {
  napi_set_named_property(env, o, k, js_int(env, v));
}

/* ---- gates ---- */

struct gate {
  nt_mutex mu;
  nt_cond cond;
  long permits;
  int waiting;
};

static gate gates[GATE_COUNT];
static nt_once_t gates_once = NT_ONCE_INIT;

static void gates_init(void) {
  for (int i = 0; i < GATE_COUNT; i++) {
    nt_mutex_init(&gates[i].mu);
    nt_cond_init(&gates[i].cond);
  }
}

gate *gate_get(int id) {
  nt_once(&gates_once, gates_init);
  if (id < 0 || id >= GATE_COUNT) abort();
  return &gates[id];
}

bool gate_wait_or_cancel(gate *g, napi_task_ctx ctx) {
  bool passed;
  nt_mutex_lock(&g->mu);
  g->waiting++;
  nt_cond_broadcast(&g->cond);
  while (g->permits == 0) {
    if (ctx == NULL) {
      nt_cond_wait(&g->cond, &g->mu);
      continue;
    }
    if (napi_task_cancelled(ctx)) break;
    nt_mutex_unlock(&g->mu);
    nt_sleep_ms(1);
    nt_mutex_lock(&g->mu);
  }
  passed = g->permits > 0;
  if (passed) g->permits--;
  g->waiting--;
  nt_cond_broadcast(&g->cond);
  nt_mutex_unlock(&g->mu);
  return passed;
}

void gate_wait(gate *g) { (void)gate_wait_or_cancel(g, NULL); }

void gate_open(gate *g, int count) {
  nt_mutex_lock(&g->mu);
  g->permits += count;
  nt_cond_broadcast(&g->cond);
  nt_mutex_unlock(&g->mu);
}

int gate_waiting(gate *g) {
  int n;
  nt_mutex_lock(&g->mu);
  n = g->waiting;
  nt_mutex_unlock(&g->mu);
  return n;
}

int gate_arg(napi_env env, napi_value v) {
  double d = -1;
  if (v == NULL || napi_get_value_double(env, v, &d) != napi_ok) d = -1;
  if (!(d >= 0 && d < GATE_COUNT) || d != (int)d) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "a gate id is 0..15");
    return -1;
  }
  return (int)d;
}

/* ---- exports.common's shared part ---- */

static napi_value js_gate_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  int id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if ((id = gate_arg(env, argv[0])) < 0) return NULL;
  gate_open(gate_get(id), (int)arg_double(env, argv[1]));
  return js_undefined(env);
}

static napi_value js_gate_waiting(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  int id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if ((id = gate_arg(env, argv[0])) < 0) return NULL;
  return js_int(env, gate_waiting(gate_get(id)));
}

static napi_value js_gate_drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  gate *g;
  int id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if ((id = gate_arg(env, argv[0])) < 0) return NULL;
  g = gate_get(id);
  nt_mutex_lock(&g->mu);
  g->permits = 0;
  nt_mutex_unlock(&g->mu);
  return js_undefined(env);
}

/* libuv's rule, as src/env.c. */
static napi_value js_pool_size(napi_env env, napi_callback_info info) {
  const char *v = getenv("UV_THREADPOOL_SIZE");
  long n = v != NULL ? strtol(v, NULL, 10) : 4;
  (void)info;
  if (n < 1) n = 1;
  if (n > 1024) n = 1024;
  return js_int(env, n);
}

void set_shared_fns(napi_env env, napi_value o) {
  set_fn(env, o, "gateOpen", js_gate_open);
  set_fn(env, o, "gateWaiting", js_gate_waiting);
  set_fn(env, o, "gateDrain", js_gate_drain);
  set_fn(env, o, "poolSize", js_pool_size);
}
