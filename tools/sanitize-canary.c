/*
 * Canary addon for tools/sanitize.js (asan and tsan): proves that the
 * sanitizers are really live in the node process that runs the suite, so a
 * clean sanitizer run means "nothing found", not "nothing checked".
 *
 * It is linked twice (tools/sanitize.js writes the gyp file):
 *   canary.node       with the napi-task library as built for the suite;
 *   canary_bad.node   with the library compiled with -include of
 *                     tools/sanitize-leak.h (leaks one allocation) or
 *                     tools/tsan-race.h (drops one lock), which must make
 *                     the run fail.
 *
 * exports.run(n, cb): n tasks, each reporting two progress values, then
 *   cb() once all settled. Exercises build, delivery, progress, settle and
 *   free on both threads.
 * exports.heapOverflow(): reads one byte past a heap block (ASan must stop).
 * exports.intOverflow(n): signed int overflow on INT_MAX + n (UBSan must).
 */
#include <limits.h>
#include <stdlib.h>

#include <napi_task.h>

typedef struct run_state {
  int left;
  napi_ref cb;
} run_state;

static napi_task_output perform(napi_task_ctx ctx, void *data) {
  double v = *(double *)data;
  int i;
  free(data);
  for (i = 0; i < 2; i++) napi_task_progress(ctx, napi_task_ok_int64(i));
  return napi_task_ok_double(v + 1);
}

static napi_value on_progress(napi_env env, napi_callback_info info) {
  (void)info;
  (void)env;
  return NULL;
}

static napi_value on_done(napi_env env, napi_callback_info info) {
  run_state *st;
  napi_value cb, global;
  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&st);
  if (--st->left > 0) return NULL;
  napi_get_reference_value(env, st->cb, &cb);
  napi_get_global(env, &global);
  napi_delete_reference(env, st->cb);
  free(st);
  napi_call_function(env, global, cb, 0, NULL, NULL);
  return NULL;
}

static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], done, progress;
  double n = 0;
  int i;
  run_state *st = calloc(1, sizeof(*st));

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_double(env, argv[0], &n);
  st->left = (int)n;
  napi_create_reference(env, argv[1], 1, &st->cb);
  napi_create_function(env, "done", NAPI_AUTO_LENGTH, on_done, st, &done);
  napi_create_function(env, "progress", NAPI_AUTO_LENGTH, on_progress, NULL,
                       &progress);
  for (i = 0; i < (int)n; i++) {
    double *d = malloc(sizeof(*d));
    napi_task t;
    *d = i;
    if (napi_task_build(env, perform, d, free, &t) != napi_ok) continue;
    napi_task_set_progress(t, progress, NAPI_TASK_PROGRESS_QUEUE);
    napi_task_schedule(t, done, NULL);
  }
  return NULL;
}

/* UBSan would catch this first (object-size); the point is ASan. */
__attribute__((no_sanitize_undefined))
static napi_value heap_overflow(napi_env env, napi_callback_info info) {
  volatile char *p = malloc(8);
  volatile size_t past = 8; /* unknown to the compiler, which would warn */
  napi_value v;
  (void)info;
  napi_create_int32(env, p[past], &v); /* one past the end */
  free((void *)p);
  return v;
}

static napi_value int_overflow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], v;
  int32_t n = 0;
  int x;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_int32(env, argv[0], &n);
  x = INT_MAX;
  x += n; /* signed overflow for n > 0 */
  napi_create_int32(env, x, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"run", NULL, run, NULL, NULL, NULL, napi_default, NULL},
      {"heapOverflow", NULL, heap_overflow, NULL, NULL, NULL, napi_default,
       NULL},
      {"intOverflow", NULL, int_overflow, NULL, NULL, NULL, napi_default,
       NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
