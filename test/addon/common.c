/* What several test files share: the accounting of the test addon's
   features, and exports.common: counts() and gate control (helpers.c);
   the configurable job run() with its counters (signal, progress, queue and
   fairness tests); bare and owning queue handles; addOne() and
   leakBuilt().

   Timing never decides a test: performs count what they do in atomics,
   block on gates (ids 8..15 are run()'s), and the JS side waits for
   counts, never for durations. */
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

tr_ledger tr_counts(void) {
  tr_ledger l;
  l.created = atomic_load(&created);
  l.consumed = atomic_load(&consumed);
  l.dropped = atomic_load(&dropped);
  l.twice = atomic_load(&twice);
  return l;
}

/* ---- small shared helpers ---- */

NT_THREAD_LOCAL napi_status last_status = napi_ok;
counters ctr;

napi_value deliver(napi_env env, napi_task t, napi_value cb) {
  napi_valuetype type = napi_undefined;
  napi_value r = NULL;
  if (cb != NULL) napi_typeof(env, cb, &type);
  if (type == napi_undefined)
    last_status = napi_task_promise(t, &r);
  else
    last_status = napi_task_schedule(t, cb, &r);
  return r;
}

napi_value complete_number(napi_env env, void *data) {
  tracked *t = data;
  napi_value v;
  napi_create_double(env, t->value, &v);
  tr_consume(t);
  return v;
}

napi_task_output perform_add_one(napi_task_ctx ctx, void *data) {
  tracked *in = data;
  tracked *out = tr_new(in->value + 1);
  (void)ctx;
  tr_consume(in);
  return napi_task_ok(complete_number, out, tr_drop);
}

void drop_with_extra(void *data) {
  tracked *tr = data;
  free(tr->extra);
  tr_drop(tr);
}

char *owned_string(const char *prefix, double v) {
  char *s = tr_bytes(48);
  snprintf(s, 48, "%s%g", prefix, v);
  return s;
}

void busy_wait_us(double us) {
  uint64_t end = uv_hrtime() + (uint64_t)(us * 1000);
  while (uv_hrtime() < end) {
  }
}

napi_value opt(napi_env env, napi_value o, const char *key) {
  bool has = false;
  napi_value v = NULL;
  if (o == NULL || napi_has_named_property(env, o, key, &has) != napi_ok ||
      !has || napi_get_named_property(env, o, key, &v) != napi_ok)
    return NULL;
  return v;
}

double opt_num(napi_env env, napi_value o, const char *key, double d) {
  napi_value v = opt(env, o, key);
  napi_valuetype type;
  if (v == NULL || napi_typeof(env, v, &type) != napi_ok ||
      type != napi_number)
    return d;
  return arg_double(env, v);
}

bool opt_bool(napi_env env, napi_value o, const char *key) {
  napi_value v = opt(env, o, key);
  bool b = false;
  if (v != NULL) napi_get_value_bool(env, v, &b);
  return b;
}

/* ---- the configurable job: run(opts, cb?) ---- */

#define LANES 8
#define ORDER_MAX 4096
#define WAIT_LIMIT_MS 10000

/* run()'s own counters, any thread; common.reset() zeroes them. */
static atomic_int emitted;         /* performs done reporting progress */
static atomic_int spinning;        /* performs polling napi_task_cancelled */
static atomic_int cancelled_seen;  /* performs that saw it turn true */
static atomic_int progress_ok, progress_cancelled, progress_other;
static atomic_int lane_running[LANES], lane_max[LANES];
static atomic_int order_len;
static atomic_int order[ORDER_MAX];

static void lane_enter(int lane) {
  int now = atomic_fetch_add(&lane_running[lane], 1) + 1;
  int seen = atomic_load(&lane_max[lane]);
  while (now > seen &&
         !atomic_compare_exchange_weak(&lane_max[lane], &seen, now)) {
  }
}

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
  atomic_fetch_add(&ctr.performs, 1);
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
  atomic_fetch_add(&ctr.finished, 1);
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
  last_status = napi_task_build(env, perform_job, tr, drop_with_extra, &t);
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

/* ---- counters ---- */

static atomic_int *counter(const char *name) {
  if (!strcmp(name, "performs")) return &ctr.performs;
  if (!strcmp(name, "finished")) return &ctr.finished;
  if (!strcmp(name, "emitted")) return &emitted;
  if (!strcmp(name, "spinning")) return &spinning;
  if (!strcmp(name, "asked")) return &ctr.asked;
  return NULL;
}

/* waitFor(name, n, limitMs = 10000): blocks the JS thread (so no batch
   runs meanwhile) until counter `name` >= n. Returns false after the limit
   (a failing test, not a hang). */
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

static napi_value counters_js(napi_env env, napi_callback_info info) {
  napi_value o, lanes, order_v;
  int n;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  put_int(env, o, "performs", atomic_load(&ctr.performs));
  put_int(env, o, "finished", atomic_load(&ctr.finished));
  put_int(env, o, "emitted", atomic_load(&emitted));
  put_int(env, o, "spinning", atomic_load(&spinning));
  put_int(env, o, "cancelledSeen", atomic_load(&cancelled_seen));
  put_int(env, o, "progressOk", atomic_load(&progress_ok));
  put_int(env, o, "progressCancelled", atomic_load(&progress_cancelled));
  put_int(env, o, "progressOther", atomic_load(&progress_other));
  put_int(env, o, "asked", atomic_load(&ctr.asked));
  put_int(env, o, "callStatus", atomic_load(&ctr.call_status));
  put_int(env, o, "floodDone", atomic_load(&ctr.flood_done));
  put_int(env, o, "rawDone", atomic_load(&ctr.raw_done));
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
  atomic_store(&ctr.performs, 0);
  atomic_store(&ctr.finished, 0);
  atomic_store(&emitted, 0);
  atomic_store(&spinning, 0);
  atomic_store(&cancelled_seen, 0);
  atomic_store(&progress_ok, 0);
  atomic_store(&progress_cancelled, 0);
  atomic_store(&progress_other, 0);
  atomic_store(&ctr.asked, 0);
  atomic_store(&ctr.call_status, -1);
  atomic_store(&ctr.flood_done, 0);
  atomic_store(&ctr.raw_done, 0);
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

/* ---- queues: bare handles (queueCreate) and owning ones (queue) ---- */

napi_task_queue queue_arg(napi_env env, napi_value v) {
  void *q = NULL;
  if (v == NULL || napi_get_value_external(env, v, &q) != napi_ok) return NULL;
  return q;
}

/* queueCreate(max) -> external, or null (lastStatus() tells why). The
   handle is bare: queueRelease(q) releases it, nothing else does. */
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

/* queue(maxRunning) -> external owning a napi_task_queue. Released by
   releaseQueue(q) or, failing that, by the external's finalizer (which may
   run at env teardown, after the library has orphaned the queue). */
typedef struct qbox {
  napi_task_queue q;
} qbox;

static void qbox_finalize(napi_env env, void *data, void *hint) {
  qbox *b = data;
  (void)env;
  (void)hint;
  if (b->q != NULL) napi_task_queue_release(b->q);
  free(b);
}

static napi_value make_queue(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext;
  qbox *b = calloc(1, sizeof(*b));
  napi_status s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  s = napi_task_queue_create(env, (uint32_t)arg_double(env, argv[0]), &b->q);
  if (s != napi_ok) {
    free(b);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "queue_create failed");
    return NULL;
  }
  CHECK(env, napi_create_external(env, b, qbox_finalize, NULL, &ext));
  return ext;
}

static qbox *get_qbox(napi_env env, napi_value v) {
  napi_valuetype t = napi_undefined;
  void *p = NULL;
  if (v == NULL || napi_typeof(env, v, &t) != napi_ok || t != napi_external)
    return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

napi_task_queue held_queue(napi_env env, napi_value v) {
  qbox *b = get_qbox(env, v);
  return b != NULL ? b->q : NULL;
}

static napi_value release_queue(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  qbox *b;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  b = get_qbox(env, argv[0]);
  if (b != NULL && b->q != NULL) {
    napi_task_queue_release(b->q);
    b->q = NULL;
  }
  return js_undefined(env);
}

/* ---- add one ---- */

/* addOne(n, cb) -> undefined; addOne(n) -> Promise */
static napi_value add_one(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  last_status = napi_task_build(env, perform_add_one,
                                tr_new(arg_double(env, argv[0])), tr_drop, &t);
  if (last_status != napi_ok) return NULL;
  return deliver(env, t, argc > 1 ? argv[1] : NULL);
}

/* leakBuilt(n): builds n tasks and never delivers them (the env's
   teardown must drop them). */
static napi_value leak_built(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  for (int i = 0; i < (int)arg_double(env, argv[0]); i++)
    CHECK(env, napi_task_build(env, perform_add_one, tr_new(i), tr_drop, &t));
  return js_undefined(env);
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

napi_value init_common(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "counts", counts);
  set_shared_fns(env, o); /* gateOpen, gateWaiting, gateDrain, poolSize */
  set_fn(env, o, "run", run);
  set_fn(env, o, "counters", counters_js);
  set_fn(env, o, "reset", reset);
  set_fn(env, o, "waitFor", wait_for);
  set_fn(env, o, "waitGate", wait_gate);
  set_fn(env, o, "lastStatus", get_last_status);
  set_fn(env, o, "queueCreate", queue_create);
  set_fn(env, o, "queueRelease", queue_release);
  set_fn(env, o, "queue", make_queue);
  set_fn(env, o, "releaseQueue", release_queue);
  set_fn(env, o, "addOne", add_one);
  set_fn(env, o, "leakBuilt", leak_built);
  return o;
}
