/*
 * exports.torture: tasks that use every feature at once (progress in both
 * modes, call_js, signals, queues, every output kind, nested delivery from
 * call_js), so a worker can be flooded with them and torn down at a random
 * moment; counters that tell how many performs started and finished; and
 * light (freed, uncounted by common.c) tasks for the soak. Its queues are
 * common.queue()'s.
 *
 * All data handed to napi-task by the torture tasks is tr_new()/tr_bytes()
 * accounted (common.h), so common.counts() balances after a worker is gone.
 * Counters here are process-wide: workers that load the addon share them.
 */
#include "common.h"

#include <stdio.h>

/* ------------------------------------------------------------------------ */
/* Counters                                                                 */
/* ------------------------------------------------------------------------ */

#define STATS(X)   \
  X(started)       \
  X(finished)      \
  X(sawCancel)     \
  X(progressOk)    \
  X(progressCancelled) \
  X(callJsOk)      \
  X(callJsCancelled) \
  X(callJsOther)   \
  X(callJsOtherStatus) \
  X(callJsCancelledRan) \
  X(callJsOkNotRan) \
  X(callJsDataGone) \
  X(callJsFailNotRan) \
  X(finalizerBuilds) \
  X(finalizerBuildOk) \
  X(callJsRan)     \
  X(callJsWaiting) \
  X(callJsAsked)   \
  X(nested)        \
  X(completes)     \
  X(lightCreated)  \
  X(lightConsumed) \
  X(lightDropped)

#define STAT_DECL(name) static atomic_long st_##name;
STATS(STAT_DECL)
#undef STAT_DECL
#define BUMP(name) atomic_fetch_add(&st_##name, 1)

static napi_value stats(napi_env env, napi_callback_info info) {
  napi_value o;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
#define STAT_SET(name) \
  napi_set_named_property(env, o, #name, js_int(env, atomic_load(&st_##name)));
  STATS(STAT_SET)
#undef STAT_SET
  return o;
}

/* reportAtExit(): prints the counters with the monotonic clock (the one
   process.hrtime.bigint() reads) from an atexit handler, i.e. after Node's
   process.exit() has joined the threadpool, as one line on stderr, the
   ledger of tracked data (common.counts()) last:
   NAPI_TASK_ATEXIT {"ns":"...","started":...,...,"twice":...} */
static void at_exit(void) {
  fprintf(stderr, "NAPI_TASK_ATEXIT {\"ns\":\"%llu\"",
          (unsigned long long)uv_hrtime());
#define STAT_PRINT(name) \
  fprintf(stderr, ",\"" #name "\":%ld", atomic_load(&st_##name));
  STATS(STAT_PRINT)
#undef STAT_PRINT
  {
    tr_ledger l = tr_counts();
    fprintf(stderr, ",\"created\":%ld,\"consumed\":%ld,\"dropped\":%ld,"
            "\"twice\":%ld", l.created, l.consumed, l.dropped, l.twice);
  }
  fprintf(stderr, "}\n");
  fflush(stderr);
}

static napi_value report_at_exit(napi_env env, napi_callback_info info) {
  static atomic_bool registered;
  (void)info;
  if (!atomic_exchange(&registered, true)) atexit(at_exit);
  return js_undefined(env);
}

/* ------------------------------------------------------------------------ */
/* Option helpers                                                           */
/* ------------------------------------------------------------------------ */

static bool has(napi_env env, napi_value o, const char *key, napi_value *v) {
  napi_valuetype t = napi_undefined;
  bool yes = false;
  if (napi_has_named_property(env, o, key, &yes) != napi_ok || !yes)
    return false;
  if (napi_get_named_property(env, o, key, v) != napi_ok) return false;
  napi_typeof(env, *v, &t);
  return t != napi_undefined;
}

static int opt_int(napi_env env, napi_value o, const char *key, int dflt) {
  napi_value v;
  double d;
  if (!has(env, o, key, &v) || napi_get_value_double(env, v, &d) != napi_ok)
    return dflt;
  return (int)d;
}

static void opt_str(napi_env env, napi_value o, const char *key, char *buf,
                    size_t n) {
  napi_value v;
  buf[0] = '\0';
  if (has(env, o, key, &v)) arg_string(env, v, buf, n);
}

/* ------------------------------------------------------------------------ */
/* The torture task                                                         */
/* ------------------------------------------------------------------------ */

enum { OUT_DOUBLE, OUT_STRING, OUT_BUFFER, OUT_COMPLETE, OUT_ERROR,
       OUT_COMPLETE_THROW, OUT_KINDS };

typedef struct job {
  int spin_us;    /* busy time, polled for cancellation */
  int gate;       /* -1, or a gate (4..7) perform waits on */
  int progress;   /* progress values to report */
  int call_js;    /* call_js round trips */
  int nested;     /* call_js fn delivers a new task (one level) */
  int out;        /* OUT_* */
  int gate_before;    /* -1, or a gate (4..7) waited on before anything */
  int until_cancelled; /* after the steps, wait for napi_task_cancelled */
  int wait_before;     /* -1, or a gate (0..15) waited on before anything,
                          until the task is cancelled (child processes
                          only: any gate id) */
} job;

static napi_task_output perform_job(napi_task_ctx ctx, void *data);

/* A plain job's data: a tracked record carrying a default job. */
static tracked *build_plain_data(void) {
  job *j = calloc(1, sizeof(*j));
  tracked *tr = tr_new(0);
  if (j == NULL) abort();
  j->gate = j->gate_before = j->wait_before = -1;
  tr->extra = j;
  return tr;
}

static napi_value complete_tracked(napi_env env, void *data) {
  tracked *t = data;
  napi_value v;
  BUMP(completes);
  napi_create_double(env, t->value, &v);
  tr_consume(t);
  return v;
}

static napi_value complete_throws(napi_env env, void *data) {
  BUMP(completes);
  tr_consume(data);
  napi_throw_error(env, "ETORTURE", "complete threw");
  return NULL;
}

/* Spins for us microseconds; false if the task was cancelled meanwhile. */
static bool spin(napi_task_ctx ctx, int us) {
  uint64_t end = uv_hrtime() + (uint64_t)us * 1000u;
  do {
    if (napi_task_cancelled(ctx)) return false;
  } while (uv_hrtime() < end);
  return true;
}

/* call_js's data. Perform owns it; fn borrows it until fn returns. After
   call_js returns, perform marks it CJS_DEAD and parks it in a graveyard
   (never freed: reachable, so LeakSanitizer stays quiet) instead of
   freeing it, so a fn still running after its perform was answered is
   caught as `callJsDataGone` rather than being a silent use after free. */
#define CJS_LIVE 0x11ce11ceu
#define CJS_DEAD 0xdeadca11u
typedef struct cjs {
  uint32_t magic;
  int nested;
  int ran;      /* fn started */
  int returned; /* fn came back from the hook */
  struct cjs *next;
} cjs;

static nt_mutex graveyard_mu;
static cjs *graveyard;
static nt_once_t graveyard_once = NT_ONCE_INIT;
static void graveyard_init(void) { nt_mutex_init(&graveyard_mu); }

static void cjs_bury(cjs *c) {
  nt_once(&graveyard_once, graveyard_init);
  nt_mutex_lock(&graveyard_mu);
  c->magic = CJS_DEAD;
  c->next = graveyard;
  graveyard = c;
  nt_mutex_unlock(&graveyard_mu);
}

static bool cjs_alive(cjs *c) {
  bool alive;
  nt_once(&graveyard_once, graveyard_init);
  nt_mutex_lock(&graveyard_mu);
  alive = c->magic == CJS_LIVE;
  nt_mutex_unlock(&graveyard_mu);
  return alive;
}

/* Delivers a plain task by promise from inside call_js (JS thread). */
static void deliver_nested(napi_env env) {
  job *j = calloc(1, sizeof(*j));
  tracked *tr = tr_new(1);
  napi_task t;
  napi_value p;
  if (j == NULL) abort();
  j->gate = j->gate_before = j->wait_before = -1;
  j->spin_us = 50;
  tr->extra = j;
  if (napi_task_build(env, perform_job, tr, drop_with_extra, &t) != napi_ok) return;
  if (napi_task_promise(t, &p) == napi_ok) BUMP(nested);
}

/* JS thread, from napi_task_call_js: calls globalThis.__tortureHook() when
   it is a function (it may throw, spin, or abort signals). */
static napi_status call_js_fn(napi_env env, void *data) {
  cjs *c = data;
  napi_value global, hook, r;
  napi_valuetype type = napi_undefined;
  napi_status s;

  BUMP(callJsRan);
  c->ran++;
  if (c->nested) deliver_nested(env);
  if ((s = napi_get_global(env, &global)) == napi_ok &&
      (s = napi_get_named_property(env, global, "__tortureHook", &hook)) ==
          napi_ok &&
      napi_typeof(env, hook, &type) == napi_ok && type == napi_function)
    s = napi_call_function(env, global, hook, 0, NULL, &r);
  /* fn is about to return: its data must still be perform's. */
  if (!cjs_alive(c))
    BUMP(callJsDataGone);
  else
    c->returned = 1;
  return s;
}

static napi_task_output perform_job(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  job j = *(job *)tr->extra;
  double value = tr->value;
  int step;

  BUMP(started);
  free(tr->extra);
  tr->extra = NULL;
  tr_consume(tr);

  if (j.gate_before >= 0) gate_wait(gate_get(j.gate_before));
  if (j.wait_before >= 0 && !gate_wait_or_cancel(gate_get(j.wait_before), ctx))
    j.progress = j.call_js = 0;
  for (step = 0; step < j.progress || step < j.call_js; step++) {
    if (step < j.progress) {
      napi_task_output o;
      napi_status s;
      if (step % 2 == 0) {
        char *text = tr_bytes(16);
        snprintf(text, 17, "p%d", step);
        o = napi_task_ok_string(text, tr_drop_bytes);
      } else {
        o = napi_task_ok(complete_tracked, tr_new(step), tr_drop);
      }
      s = napi_task_progress(ctx, o);
      if (s == napi_ok)
        BUMP(progressOk);
      else if (s == napi_cancelled)
        BUMP(progressCancelled);
    }
    if (step < j.call_js) {
      cjs *c = calloc(1, sizeof(*c));
      napi_status s;
      int ran, returned;
      if (c == NULL) abort();
      c->magic = CJS_LIVE;
      c->nested = j.nested && step == 0;
      atomic_fetch_add(&st_callJsWaiting, 1);
      BUMP(callJsAsked);
      s = napi_task_call_js(ctx, call_js_fn, c);
      atomic_fetch_sub(&st_callJsWaiting, 1);
      ran = c->ran;
      returned = c->returned;
      cjs_bury(c);
      if (s == napi_cancelled) {
        BUMP(callJsCancelled);
        /* Cancelled is right when fn never ran, or never came back (it
           called process.exit()); not when fn ran to its end. */
        if (returned) {
          BUMP(callJsOther);
          BUMP(callJsCancelledRan);
        }
      } else if (s == napi_ok || s == napi_pending_exception) {
        BUMP(callJsOk);
        if (!ran) { /* ok yet fn never ran: wrong */
          BUMP(callJsOther);
          BUMP(callJsOkNotRan);
        }
      } else {
        /* Any other status: the last one is kept for the report. A
           failure while fn never ran should have been napi_cancelled
           (counted apart: a known bug, see test/torture.test.js). */
        BUMP(callJsOther);
        if (!ran) BUMP(callJsFailNotRan);
        atomic_store(&st_callJsOtherStatus, (long)s * 10 + (ran ? 1 : 0));
      }
    }
    if (j.spin_us > 0 && !spin(ctx, j.spin_us / 4 + 1)) break;
  }
  if (j.spin_us > 0) spin(ctx, j.spin_us);
  if (j.until_cancelled)
    while (!napi_task_cancelled(ctx)) nt_sleep_ms(1);
  if (j.gate >= 0) gate_wait(gate_get(j.gate));
  if (napi_task_cancelled(ctx)) BUMP(sawCancel);
  BUMP(finished);

  switch (j.out) {
    case OUT_STRING: {
      char *text = tr_bytes(24);
      snprintf(text, 25, "v%g", value);
      return napi_task_ok_string(text, tr_drop_bytes);
    }
    case OUT_BUFFER: {
      unsigned char *b = tr_bytes(64);
      memset(b, (int)value & 0xff, 64);
      return napi_task_ok_buffer(b, 64, tr_drop_bytes);
    }
    case OUT_COMPLETE:
      return napi_task_ok(complete_tracked, tr_new(value), tr_drop);
    case OUT_COMPLETE_THROW:
      return napi_task_ok(complete_throws, tr_new(value), tr_drop);
    case OUT_ERROR:
      return napi_task_error("ETORTURE", "task %g failed", value);
    default:
      return napi_task_ok_double(value);
  }
}

/* task(opts, cb?) -> undefined | Promise
   opts: { value, spinUs, gate, progress, progressMode: 'queue'|'coalesce',
           onProgress, callJs, nested, out: 0..5, signal, queue, name,
           delivery: 'callback'|'task'|'promise' }
   A failed option or delivery leaves its exception pending (rethrown). */
static napi_value task(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, v, r = NULL;
  char delivery[16], mode[16], name[32];
  tracked *tr;
  job *j;
  napi_task t;
  napi_status s = napi_ok;
  napi_task_queue q;

  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  j = calloc(1, sizeof(*j));
  if (j == NULL) abort();
  j->spin_us = opt_int(env, argv[0], "spinUs", 0);
  j->gate = opt_int(env, argv[0], "gate", -1);
  if (j->gate >= 0 && (j->gate < 4 || j->gate > 7)) j->gate = -1;
  j->gate_before = opt_int(env, argv[0], "gateBefore", -1);
  if (j->gate_before >= 0 && (j->gate_before < 4 || j->gate_before > 7))
    j->gate_before = -1;
  j->until_cancelled = opt_int(env, argv[0], "untilCancelled", 0);
  j->wait_before = opt_int(env, argv[0], "waitBefore", -1);
  if (j->wait_before >= 16) j->wait_before = -1;
  j->progress = opt_int(env, argv[0], "progress", 0);
  j->call_js = opt_int(env, argv[0], "callJs", 0);
  j->nested = opt_int(env, argv[0], "nested", 0);
  j->out = opt_int(env, argv[0], "out", OUT_DOUBLE);
  if (j->out < 0 || j->out >= OUT_KINDS) j->out = OUT_DOUBLE;
  opt_str(env, argv[0], "delivery", delivery, sizeof(delivery));
  opt_str(env, argv[0], "progressMode", mode, sizeof(mode));
  opt_str(env, argv[0], "name", name, sizeof(name));
  tr = tr_new(opt_int(env, argv[0], "value", 0));
  tr->extra = j;
  if (napi_task_build(env, perform_job, tr, drop_with_extra, &t) != napi_ok)
    return NULL; /* dropped by the library */

  if (name[0] != '\0') s = napi_task_set_name(t, name);
  if (s == napi_ok && has(env, argv[0], "onProgress", &v))
    s = napi_task_set_progress(t, v,
                               strcmp(mode, "coalesce") == 0
                                   ? NAPI_TASK_PROGRESS_COALESCE
                                   : NAPI_TASK_PROGRESS_QUEUE);
  if (s == napi_ok && has(env, argv[0], "signal", &v))
    s = napi_task_set_signal(t, v);
  if (s == napi_ok && has(env, argv[0], "queue", &v) &&
      (q = held_queue(env, v)) != NULL)
    s = napi_task_set_queue(t, q);
  if (s != napi_ok) {
    /* A setter failed: the task is still ours to discard. */
    napi_task_discard(t);
    return NULL;
  }
  if (strcmp(delivery, "promise") == 0) {
    napi_task_promise(t, &r);
    return r;
  }
  if (strcmp(delivery, "task") == 0) {
    napi_task_schedule_task(t, argv[1]);
    return NULL;
  }
  napi_task_schedule(t, argv[1], &r);
  return r;
}

/* buildInFinalizer(n): n externals whose finalizers build a task and
   deliver it by promise. Their finalizers run when the env goes away
   (Node-API finalizes what is left at env teardown, after napi-task's own
   cleanup hook may have run): building then must fail cleanly (data
   dropped) or work, never crash. */
static void finalizer_builds(napi_env env, void *data, void *hint) {
  napi_task t;
  napi_value p;
  (void)data;
  (void)hint;
  BUMP(finalizerBuilds);
  if (napi_task_build(env, perform_job, build_plain_data(), drop_with_extra, &t) !=
      napi_ok)
    return;
  BUMP(finalizerBuildOk);
  napi_task_promise(t, &p);
}

static napi_value build_in_finalizer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext;
  int n, i;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  n = (int)arg_double(env, argv[0]);
  for (i = 0; i < n; i++)
    CHECK(env, napi_create_external(env, NULL, finalizer_builds, NULL, &ext));
  return js_undefined(env);
}

/* ------------------------------------------------------------------------ */
/* Light tasks for the soak: freed data, separate counters                  */
/* ------------------------------------------------------------------------ */

typedef struct light {
  double value;
} light;

static void light_drop(void *data) {
  BUMP(lightDropped);
  free(data);
}

static napi_value light_complete(napi_env env, void *data) {
  light *l = data;
  napi_value v;
  napi_create_double(env, l->value, &v);
  BUMP(lightConsumed);
  free(l);
  return v;
}

static napi_task_output light_perform(napi_task_ctx ctx, void *data) {
  light *in = data;
  light *out = malloc(sizeof(*out));
  (void)ctx;
  if (out == NULL) abort();
  out->value = in->value + 1;
  free(in);
  BUMP(lightConsumed);
  BUMP(lightCreated);
  return napi_task_ok(light_complete, out, light_drop);
}

/* light(mode, value, cb?): mode 0 schedule (returns undefined), 1
   schedule_task, 2 promise. Resolves / calls back with value + 1. */
static napi_value light_task(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL}, r = NULL;
  light *l = malloc(sizeof(*l));
  napi_task t;
  int mode;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (l == NULL) abort();
  mode = (int)arg_double(env, argv[0]);
  l->value = arg_double(env, argv[1]);
  BUMP(lightCreated);
  if (napi_task_build(env, light_perform, l, light_drop, &t) != napi_ok)
    return NULL;
  if (mode == 2) {
    napi_task_promise(t, &r);
  } else if (mode == 1) {
    napi_task_schedule_task(t, argv[2]);
  } else {
    napi_task_schedule(t, argv[2], &r);
  }
  return r;
}

napi_value init_torture(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "stats", stats);
  set_fn(env, o, "reportAtExit", report_at_exit);
  set_fn(env, o, "task", task);
  set_fn(env, o, "light", light_task);
  set_fn(env, o, "buildInFinalizer", build_in_finalizer);
  return o;
}
