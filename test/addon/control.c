/* exports.control: the control API's NULL arguments and misuse
   (napi_task_cancelled, napi_task_progress, napi_task_call_js,
   set_signal, set_progress, set_queue, queue_create, queue_release). */
#include "common.h"

/* A call_js fn for the calls that must fail before they could call it. */
static napi_status never_called(napi_env env, void *data) {
  (void)env;
  (void)data;
  return napi_generic_failure;
}

static napi_task_output perform_null_calls(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  napi_status s = napi_task_call_js(ctx, NULL, NULL);
  tr_consume(tr);
  return napi_task_ok_int64(s);
}

/* nullArgs(signal, onProgress, cb): statuses of NULL-argument and misuse
   calls of the control API. Every tracked datum is consumed or dropped
   once; the JS side checks the counts. cb gets the status perform saw
   from napi_task_call_js(ctx, NULL, NULL). */
static napi_value null_args(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], o, b;
  napi_task t, in_flight;
  napi_task_queue q;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_create_object(env, &o));

  CHECK(env, napi_get_boolean(env, napi_task_cancelled(NULL), &b));
  napi_set_named_property(env, o, "cancelledNull", b);
  put_int(env, o, "progressNullCtx",
             napi_task_progress(NULL, napi_task_ok_string(
                                          owned_string("x", 1),
                                          tr_drop_bytes)));
  put_int(env, o, "callJsNullCtx", napi_task_call_js(NULL, never_called, NULL));
  put_int(env, o, "queueCreateNullEnv", napi_task_queue_create(NULL, 1, &q));
  put_int(env, o, "queueCreateNullResult",
             napi_task_queue_create(env, 1, NULL));

  CHECK(env, napi_task_queue_create(env, 1, &q));
  CHECK(env, napi_task_build(env, perform_null_calls, tr_new(0), tr_drop, &t));
  put_int(env, o, "setSignalNullTask", napi_task_set_signal(NULL, argv[0]));
  put_int(env, o, "setSignalNullSignal", napi_task_set_signal(t, NULL));
  put_int(env, o, "setProgressNullTask",
             napi_task_set_progress(NULL, argv[1], NAPI_TASK_PROGRESS_QUEUE));
  put_int(env, o, "setProgressNullFn",
             napi_task_set_progress(t, NULL, NAPI_TASK_PROGRESS_QUEUE));
  put_int(env, o, "setQueueNullTask", napi_task_set_queue(NULL, q));
  put_int(env, o, "setQueueNullQueue", napi_task_set_queue(t, NULL));

  /* The same task, still usable after every failed setter; then its
     setters once it is in flight. */
  CHECK(env, napi_task_set_signal(t, argv[0]));
  CHECK(env, napi_task_set_queue(t, q));
  in_flight = t;
  CHECK(env, napi_task_schedule(t, argv[2], NULL));
  put_int(env, o, "setSignalDelivered",
             napi_task_set_signal(in_flight, argv[0]));
  put_int(env, o, "setProgressDelivered",
             napi_task_set_progress(in_flight, argv[1],
                                    NAPI_TASK_PROGRESS_QUEUE));
  put_int(env, o, "setQueueDelivered", napi_task_set_queue(in_flight, q));
  put_int(env, o, "queueRelease", napi_task_queue_release(q));
  put_int(env, o, "queueReleaseNull", napi_task_queue_release(NULL));
  return o;
}

napi_value init_control(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "nullArgs", null_args);
  return o;
}
