/* exports.badinput: thin wrappers that hand JS values straight to the
   library's validating entry points (callback, schedule_task, set_signal,
   set_progress, set_queue, queue_create), for test/badinput.test.js. */
#include "common.h"

/* A plain task: add one. */
static napi_task build_plain(napi_env env) {
  napi_task t = NULL;
  napi_task_build(env, perform_add_one, tr_new(0), tr_drop, &t);
  return t;
}

/* One argument: the value under test. Each returns the napi_status (when
   no exception is pending) so the test can check the status too. On
   success the task is delivered and settles normally. */
#define BAD_FN(fname)                                                      \
  static napi_value fname(napi_env env, napi_callback_info info) {         \
    size_t argc = 1;                                                       \
    napi_value argv[1] = {NULL}, r = NULL;                                 \
    napi_task t;                                                           \
    napi_status s;                                                         \
    (void)r;                                                               \
    CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));      \
    t = build_plain(env);                                                  \
    if (t == NULL) return NULL;
#define BAD_END                                                            \
    return js_int(env, s);                                                 \
  }

/* callback(v): napi_task_schedule(t, v) */
BAD_FN(bad_callback)
  s = napi_task_schedule(t, argv[0], &r);
BAD_END

/* scheduleTask(v): napi_task_schedule_task(t, v) */
BAD_FN(bad_schedule_task)
  s = napi_task_schedule_task(t, argv[0]);
BAD_END

/* signal(v, cb): set_signal(v), then on success schedule with cb; on
   failure discard. */
static napi_value bad_signal(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_task t;
  napi_status s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  t = build_plain(env);
  if (t == NULL) return NULL;
  s = napi_task_set_signal(t, argv[0]);
  if (s != napi_ok) {
    napi_task_discard(t);
    return js_int(env, s);
  }
  return js_int(env, napi_task_schedule(t, argv[1], NULL));
}

/* progress(v, cb): set_progress(v), then as signal(). */
static napi_value bad_progress(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_task t;
  napi_status s;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  t = build_plain(env);
  if (t == NULL) return NULL;
  s = napi_task_set_progress(t, argv[0], NAPI_TASK_PROGRESS_QUEUE);
  if (s != napi_ok) {
    napi_task_discard(t);
    return js_int(env, s);
  }
  return js_int(env, napi_task_schedule(t, argv[1], NULL));
}

/* queue(v, cb): set_queue with the queue common.queue()'s external v holds
   (NULL when v is no such external, or once released). */
static napi_value bad_queue(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_task t;
  napi_status s;
  napi_task_queue q;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  q = held_queue(env, argv[0]);
  t = build_plain(env);
  if (t == NULL) return NULL;
  s = napi_task_set_queue(t, q);
  if (s != napi_ok) {
    napi_task_discard(t);
    return js_int(env, s);
  }
  return js_int(env, napi_task_schedule(t, argv[1], NULL));
}

/* queueCreate(v): napi_task_queue_create with v as max_running (a
   number), released at once. Returns the status. */
static napi_value bad_queue_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  napi_task_queue q = NULL;
  napi_status s;
  uint32_t n = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_get_value_uint32(env, argv[0], &n);
  s = napi_task_queue_create(env, n, &q);
  if (q != NULL) napi_task_queue_release(q);
  return js_int(env, s);
}

napi_value init_badinput(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "callback", bad_callback);
  set_fn(env, o, "scheduleTask", bad_schedule_task);
  set_fn(env, o, "signal", bad_signal);
  set_fn(env, o, "progress", bad_progress);
  set_fn(env, o, "queue", bad_queue);
  set_fn(env, o, "queueCreate", bad_queue_create);
  return o;
}
