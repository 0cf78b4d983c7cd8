/* The RFC's add_one, in C with napi-task.
 *
 *   addOne(41, (err, n) => ...)   callback form
 *   await addOnePromise(41)       promise form
 */
#include <stdlib.h>

#include <napi_task.h>

/* Threadpool: the work. Consumes `data` (a heap double). */
static napi_task_output add_one(napi_task_ctx ctx, void *data) {
  double n = *(double *)data;
  (void)ctx;
  free(data);
  return napi_task_ok_double(n + 1);
}

/* JS thread: take the argument, build the task, deliver it. */
static napi_task build(napi_env env, napi_callback_info info,
                       napi_value *callback) {
  size_t argc = 2;
  napi_value argv[2];
  double *n = malloc(sizeof(*n));
  napi_task task = NULL;

  if (n == NULL) return NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_double(env, argv[0], n) != napi_ok) {
    free(n);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "The \"n\" argument must be of type number");
    return NULL;
  }
  /* Missing arguments read as undefined: a missing callback then gets
     napi_task_schedule's TypeError rather than silence. */
  *callback = argv[1];
  /* On failure napi_task_build frees n with `free` itself. */
  napi_task_build(env, add_one, n, free, &task);
  return task;
}

static napi_value add_one_cb(napi_env env, napi_callback_info info) {
  napi_value callback, result = NULL;
  napi_task task = build(env, info, &callback);
  if (task == NULL) return NULL;
  /* Returns undefined; a non-function callback throws a TypeError. */
  napi_task_schedule(task, callback, &result);
  return result;
}

static napi_value add_one_promise(napi_env env, napi_callback_info info) {
  napi_value callback, promise = NULL;
  napi_task task = build(env, info, &callback);
  if (task == NULL) return NULL;
  napi_task_promise(task, &promise);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"addOne", NULL, add_one_cb, NULL, NULL, NULL, napi_default, NULL},
      {"addOnePromise", NULL, add_one_promise, NULL, NULL, NULL, napi_default,
       NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
