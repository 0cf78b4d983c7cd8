/* Accounting, helpers and gates shared by the test addon's features, and
   exports.common: counts(), gate control. */
#include "common.h"

#include <stdio.h>

#define TR_LIVE 0x7a11ed01u
#define TR_GONE 0xdeadbeefu

static atomic_long created, consumed, dropped, twice;

tracked *tr_new(double value) {
  tracked *t = calloc(1, sizeof(*t));
  if (t == NULL) abort();
  t->magic = TR_LIVE;
  t->value = value;
  atomic_fetch_add(&created, 1);
  return t;
}

/* Marks t gone; counts a second visit instead of freeing twice. The
   memory of a gone record is kept on purpose (tiny, test-only) so a double
   visit is detected rather than being a use after free. */
static bool tr_finish(tracked *t) {
  if (t->magic != TR_LIVE) {
    atomic_fetch_add(&twice, 1);
    return false;
  }
  t->magic = TR_GONE;
  return true;
}

void tr_consume(tracked *t) {
  if (tr_finish(t)) atomic_fetch_add(&consumed, 1);
}

void tr_drop(void *p) {
  if (tr_finish(p)) atomic_fetch_add(&dropped, 1);
}

/* Bytes handed to napi-task as strings or buffers: a header before them
   carries the magic, so their drop is counted like any tracked data. */
typedef struct bytes_hdr {
  uint32_t magic;
  uint32_t pad;
  uint64_t pad2;
} bytes_hdr;

void *tr_bytes(size_t n) {
  bytes_hdr *h = malloc(sizeof(*h) + n + 1);
  if (h == NULL) abort();
  h->magic = TR_LIVE;
  atomic_fetch_add(&created, 1);
  return h + 1;
}

void tr_drop_bytes(void *p) {
  bytes_hdr *h = (bytes_hdr *)p - 1;
  if (h->magic != TR_LIVE) {
    atomic_fetch_add(&twice, 1);
    return;
  }
  h->magic = TR_GONE;
  atomic_fetch_add(&dropped, 1);
  free(h);
}

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
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, obj, name, fn);
}

struct gate {
  nt_mutex mu;
  nt_cond cond;
  long permits;
  int waiting;
};

#define GATES 16
static gate gates[GATES];
static nt_once_t gates_once = NT_ONCE_INIT;

static void gates_init(void) {
  for (int i = 0; i < GATES; i++) {
    nt_mutex_init(&gates[i].mu);
    nt_cond_init(&gates[i].cond);
  }
}

gate *gate_get(int id) {
  nt_once(&gates_once, gates_init);
  if (id < 0 || id >= GATES) abort();
  return &gates[id];
}

void gate_wait(gate *g) {
  nt_mutex_lock(&g->mu);
  g->waiting++;
  nt_cond_broadcast(&g->cond);
  while (g->permits == 0) nt_cond_wait(&g->cond, &g->mu);
  g->permits--;
  g->waiting--;
  nt_cond_broadcast(&g->cond);
  nt_mutex_unlock(&g->mu);
}

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

static napi_value counts(napi_env env, napi_callback_info info) {
  napi_value o;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  napi_set_named_property(env, o, "created", js_int(env, atomic_load(&created)));
  napi_set_named_property(env, o, "consumed",
                          js_int(env, atomic_load(&consumed)));
  napi_set_named_property(env, o, "dropped", js_int(env, atomic_load(&dropped)));
  napi_set_named_property(env, o, "twice", js_int(env, atomic_load(&twice)));
  return o;
}

/* gateOpen(id, count) */
static napi_value js_gate_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gate_open(gate_get((int)arg_double(env, argv[0])),
            (int)arg_double(env, argv[1]));
  return js_undefined(env);
}

/* gateWaiting(id): how many performs wait on the gate now. */
static napi_value js_gate_waiting(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return js_int(env, gate_waiting(gate_get((int)arg_double(env, argv[0]))));
}

/* gateDrain(id): takes back unused permits (between scenarios). */
static napi_value js_gate_drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  gate *g;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  g = gate_get((int)arg_double(env, argv[0]));
  nt_mutex_lock(&g->mu);
  g->permits = 0;
  nt_mutex_unlock(&g->mu);
  return js_undefined(env);
}

napi_value init_common(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "counts", counts);
  set_fn(env, o, "gateOpen", js_gate_open);
  set_fn(env, o, "gateWaiting", js_gate_waiting);
  set_fn(env, o, "gateDrain", js_gate_drain);
  return o;
}
