/* exports.legacy: the deprecated API (the old Task style and the
   napi_create_async_work adapter) and, for each legacy scenario, the same
   scenario written with the builder, so the tests can run both and compare
   outcomes and drop accounting exactly. */
#define NAPI_TASK_NO_DEPRECATION_WARNINGS /* this file calls them on purpose */
#include "common.h"

#include <stdio.h>

/* Scenario modes, shared by both APIs. */
enum {
  M_OK,        /* the value n + 1 */
  M_ERROR,     /* fails: code 'ELEGACY', "failed on <n>" */
  M_THROW,     /* complete throws: code 'ETHROWN', "complete threw" */
  M_BOTH,      /* legacy only: perform sets output and error */
  M_NEITHER,   /* the value null */
  M_GATE_OK,   /* waits on GATE, then as M_OK */
  M_GATE_ERROR /* waits on GATE, then as M_ERROR */
};

/* The gate the M_GATE_* performs and gated raw executes wait on. */
#define GATE 9

static atomic_int legacy_completes, both_seen, raw_completes, raw_status;
static atomic_int watching;
/* Per thread: workers and the main thread call at once. */
static NT_THREAD_LOCAL napi_status legacy_status = napi_ok; /* JS thread */

static void throw_failed(napi_env env, double n) {
  char msg[64];
  snprintf(msg, sizeof(msg), "failed on %g", n);
  napi_throw_error(env, "ELEGACY", msg);
}

static void gate_if(int mode) {
  if (mode == M_GATE_OK || mode == M_GATE_ERROR) gate_wait(gate_get(GATE));
}

/* ---- the old Task style ---- */

static void calc_perform(const void *self, void **output, void **error) {
  const tracked *s = self;
  int mode = (int)s->arg;
  gate_if(mode);
  switch (mode) {
    case M_OK:
    case M_THROW:
    case M_GATE_OK:
      *output = tr_new(s->value + 1);
      break;
    case M_ERROR:
    case M_GATE_ERROR:
      *error = tr_new(s->value);
      break;
    case M_BOTH:
      *output = tr_new(s->value + 1);
      *error = tr_new(s->value);
      break;
    default: /* M_NEITHER */
      break;
  }
}

static napi_value calc_complete(napi_env env, void *self, void *output,
                                void *error) {
  tracked *s = self, *out = output, *err = error;
  napi_value v = NULL;

  atomic_fetch_add(&legacy_completes, 1);
  if (out != NULL && err != NULL) atomic_fetch_add(&both_seen, 1);
  if (err != NULL) {
    throw_failed(env, err->value);
    tr_consume(err);
  } else if (s->arg == M_THROW) {
    napi_throw_error(env, "ETHROWN", "complete threw");
  } else if (out != NULL) {
    napi_create_double(env, out->value, &v);
  } else {
    napi_get_null(env, &v);
  }
  if (out != NULL) tr_consume(out);
  tr_consume(s);
  return v;
}

static const napi_task_legacy_class calc_class = {
    calc_perform, calc_complete, tr_drop, tr_drop, tr_drop};

/* calc(n, mode, cb) -> napi_status of napi_task_schedule_legacy */
static napi_value calc(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  tracked *self;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  self = tr_new(arg_double(env, argv[0]));
  self->arg = (int64_t)arg_double(env, argv[1]);
  legacy_status = napi_task_schedule_legacy(env, &calc_class, self, argv[2]);
  return js_int(env, legacy_status);
}

/* ---- the same scenarios with the builder ---- */

static napi_value complete_throw(napi_env env, void *data) {
  tr_consume(data);
  napi_throw_error(env, "ETHROWN", "complete threw");
  return NULL;
}

static napi_task_output calc_builder_perform(napi_task_ctx ctx, void *data) {
  tracked *s = data, *err;
  double n = s->value;
  int mode = (int)s->arg;
  napi_task_output o;

  (void)ctx;
  tr_consume(s); /* the builder's perform consumes its data */
  gate_if(mode);
  switch (mode) {
    case M_OK:
    case M_GATE_OK:
      return napi_task_ok(complete_number, tr_new(n + 1), tr_drop);
    case M_THROW:
      return napi_task_ok(complete_throw, tr_new(n + 1), tr_drop);
    case M_ERROR:
    case M_GATE_ERROR:
      /* The same error record the old style makes, turned into an error
         output at once. */
      err = tr_new(n);
      o = napi_task_error("ELEGACY", "failed on %g", err->value);
      tr_consume(err);
      return o;
    default: /* M_NEITHER: a NULL string is null */
      return napi_task_ok_string(NULL, NULL);
  }
}

/* calcBuilder(n, mode, cb) -> napi_status of napi_task_schedule */
static napi_value calc_builder(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  tracked *self;
  napi_task t;
  napi_status s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  self = tr_new(arg_double(env, argv[0]));
  self->arg = (int64_t)arg_double(env, argv[1]);
  s = napi_task_build(env, calc_builder_perform, self, tr_drop, &t);
  if (s == napi_ok) s = napi_task_schedule(t, argv[2], NULL);
  legacy_status = s;
  return js_int(env, s);
}

/* ---- the napi_create_async_work adapter ---- */

/* Raw style: execute leaves its result in data. */
static void raw_execute(napi_env env, void *data) {
  tracked *t = data;
  (void)env;
  gate_if((int)t->arg);
  t->value += 1;
}

static void raw_complete(napi_env env, napi_status status, void *data) {
  tracked *t = data;
  atomic_fetch_add(&raw_completes, 1);
  atomic_store(&raw_status, status);
  if (t->arg == M_THROW) napi_throw_error(env, "ETHROWN", "complete threw");
  tr_consume(t);
}

static napi_value raw_complete_value(napi_env env, napi_status status,
                                     void *data) {
  tracked *t = data;
  napi_value v = NULL;
  atomic_fetch_add(&raw_completes, 1);
  atomic_store(&raw_status, status);
  if (t->arg == M_THROW)
    napi_throw_error(env, "ETHROWN", "complete threw");
  else
    napi_create_double(env, t->value, &v);
  tr_consume(t);
  return v;
}

/* asyncWork(n, mode, signal, cb) and asyncWorkValue(...): builds with the
   adapter, sets the signal unless undefined, then delivers by callback, or
   returns a promise when cb is undefined. */
static napi_value raw(napi_env env, napi_callback_info info, bool value) {
  size_t argc = 4;
  napi_value argv[4] = {NULL, NULL, NULL, NULL}, r = NULL;
  napi_valuetype type = napi_undefined;
  tracked *data;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  data = tr_new(arg_double(env, argv[0]));
  data->arg = (int64_t)arg_double(env, argv[1]);
  if (value) {
    CHECK(env, napi_task_build_async_work_value(env, raw_execute,
                                                raw_complete_value, data,
                                                tr_drop, &t));
  } else {
    CHECK(env, napi_task_build_async_work(env, raw_execute, raw_complete,
                                          data, tr_drop, &t));
  }
  if (argc > 2 && argv[2] != NULL) napi_typeof(env, argv[2], &type);
  if (type != napi_undefined && napi_task_set_signal(t, argv[2]) != napi_ok) {
    napi_task_discard(t); /* a TypeError is pending */
    return NULL;
  }
  type = napi_undefined;
  if (argc > 3 && argv[3] != NULL) napi_typeof(env, argv[3], &type);
  if (type == napi_undefined) {
    napi_task_promise(t, &r);
  } else {
    napi_task_schedule(t, argv[3], &r);
  }
  return r;
}

static napi_value async_work(napi_env env, napi_callback_info info) {
  return raw(env, info, false);
}

static napi_value async_work_value(napi_env env, napi_callback_info info) {
  return raw(env, info, true);
}

/* ---- misuse ---- */

/* nullArgs(cb): statuses of NULL arguments. Every tracked datum is
   consumed or dropped exactly once; none is dropped as NULL (tr_drop(NULL)
   would crash). */
static napi_value null_args(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  static char sentinel;
  napi_value cb, o, b;
  napi_task t = (napi_task)&sentinel; /* a failed build must reset it */
  napi_task_legacy_class no_perform = calc_class, no_complete = calc_class;
  tracked *kept;
  CHECK(env, napi_get_cb_info(env, info, &argc, &cb, NULL, NULL));
  CHECK(env, napi_create_object(env, &o));
  no_perform.perform = NULL;
  no_complete.complete = NULL;

  put_int(env, o, "legacyNullEnv",
      napi_task_schedule_legacy(NULL, &calc_class, tr_new(1), cb));
  /* A NULL class leaves self to the caller, which consumes it. */
  kept = tr_new(1);
  put_int(env, o, "legacyNullClass", napi_task_schedule_legacy(env, NULL, kept,
                                                           cb));
  tr_consume(kept);
  put_int(env, o, "legacyNullPerform",
      napi_task_schedule_legacy(env, &no_perform, tr_new(1), cb));
  put_int(env, o, "legacyNullComplete",
      napi_task_schedule_legacy(env, &no_complete, tr_new(1), cb));
  put_int(env, o, "legacyNullCallback",
      napi_task_schedule_legacy(env, &calc_class, tr_new(1), NULL));
  put_int(env, o, "legacyNullSelf",
      napi_task_schedule_legacy(env, &no_perform, NULL, cb));

  put_int(env, o, "adapterNullEnv",
      napi_task_build_async_work(NULL, raw_execute, raw_complete, tr_new(1),
                                 tr_drop, &t));
  CHECK(env, napi_get_boolean(env, t == NULL, &b));
  CHECK(env, napi_set_named_property(env, o, "adapterResultReset", b));
  put_int(env, o, "adapterNullExecute",
      napi_task_build_async_work(env, NULL, raw_complete, tr_new(1), tr_drop,
                                 &t));
  put_int(env, o, "adapterNullComplete",
      napi_task_build_async_work(env, raw_execute, NULL, tr_new(1), tr_drop,
                                 &t));
  put_int(env, o, "adapterNullResult",
      napi_task_build_async_work(env, raw_execute, raw_complete, tr_new(1),
                                 tr_drop, NULL));
  put_int(env, o, "adapterNullData",
      napi_task_build_async_work(env, NULL, raw_complete, NULL, tr_drop, &t));
  put_int(env, o, "valueNullComplete",
      napi_task_build_async_work_value(env, raw_execute, NULL, tr_new(1),
                                       tr_drop, &t));
  put_int(env, o, "valueNullEnv",
      napi_task_build_async_work_value(NULL, raw_execute, raw_complete_value,
                                       tr_new(1), tr_drop, &t));
  /* A built adapter task that is discarded drops its data. */
  CHECK(env, napi_task_build_async_work(env, raw_execute, raw_complete,
                                        tr_new(1), tr_drop, &t));
  napi_task_discard(t);
  return o;
}

/* ---- teardown ---- */

typedef struct watch {
  int permits;
  unsigned budget_ms;
} watch;

/* Waits until its env starts tearing down, then opens GATE: the gated
   performs finish only after teardown began, so their outputs are
   dropped, deterministically. */
static napi_task_output watch_perform(napi_task_ctx ctx, void *data) {
  watch w = *(watch *)data;
  free(data);
  atomic_fetch_add(&watching, 1);
  for (unsigned ms = 0; ms < w.budget_ms && !napi_task_cancelled(ctx); ms++)
    nt_sleep_ms(1);
  atomic_fetch_sub(&watching, 1);
  gate_open(gate_get(GATE), w.permits);
  return napi_task_ok_undefined();
}

/* watchTeardown(permits, budgetMs, cb) */
static napi_value watch_teardown(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  watch *w = malloc(sizeof(*w));
  napi_task t;
  if (w == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  w->permits = (int)arg_double(env, argv[0]);
  w->budget_ms = (unsigned)arg_double(env, argv[1]);
  CHECK(env, napi_task_build(env, watch_perform, w, free, &t));
  CHECK(env, napi_task_schedule(t, argv[2], NULL));
  return js_undefined(env);
}

/* stats(): what the complete functions saw. */
static napi_value stats(napi_env env, napi_callback_info info) {
  napi_value o;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  napi_set_named_property(env, o, "legacyCompletes",
                          js_int(env, atomic_load(&legacy_completes)));
  napi_set_named_property(env, o, "bothSeen",
                          js_int(env, atomic_load(&both_seen)));
  napi_set_named_property(env, o, "rawCompletes",
                          js_int(env, atomic_load(&raw_completes)));
  napi_set_named_property(env, o, "rawStatus",
                          js_int(env, atomic_load(&raw_status)));
  napi_set_named_property(env, o, "watching",
                          js_int(env, atomic_load(&watching)));
  napi_set_named_property(env, o, "gateWaiting",
                          js_int(env, gate_waiting(gate_get(GATE))));
  return o;
}

static napi_value get_last_status(napi_env env, napi_callback_info info) {
  (void)info;
  return js_int(env, legacy_status);
}

/* openGate(count) */
static napi_value open_gate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  gate_open(gate_get(GATE), (int)arg_double(env, argv[0]));
  return js_undefined(env);
}

napi_value init_legacy(napi_env env) {
  napi_value o, modes;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "calc", calc);
  set_fn(env, o, "calcBuilder", calc_builder);
  set_fn(env, o, "asyncWork", async_work);
  set_fn(env, o, "asyncWorkValue", async_work_value);
  set_fn(env, o, "nullArgs", null_args);
  set_fn(env, o, "watchTeardown", watch_teardown);
  set_fn(env, o, "stats", stats);
  set_fn(env, o, "openGate", open_gate);
  set_fn(env, o, "lastStatus", get_last_status);
  CHECK(env, napi_create_object(env, &modes));
#define MODE(name, v) \
  napi_set_named_property(env, modes, name, js_int(env, v))
  MODE("ok", M_OK);
  MODE("error", M_ERROR);
  MODE("throw", M_THROW);
  MODE("both", M_BOTH);
  MODE("neither", M_NEITHER);
  MODE("gateOk", M_GATE_OK);
  MODE("gateError", M_GATE_ERROR);
#undef MODE
  CHECK(env, napi_set_named_property(env, o, "modes", modes));
  return o;
}
