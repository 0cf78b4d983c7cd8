/* ask_js: a solver on the threadpool that asks JavaScript for values.
 *
 *   bisect(f, lo, hi) -> Promise<{ root, calls }>
 *
 * perform runs the bisection loop on a threadpool thread; each time it
 * needs f(x) it calls napi_task_call_js, which runs `evaluate` on the JS
 * thread (where f may be called) and blocks perform until it has run. The
 * answer travels back through a struct on perform's stack.
 *
 * An exception thrown by f is not lost: napi_task_call_js returns
 * napi_pending_exception, perform stops and returns an ordinary output,
 * and the promise rejects with f's own exception.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <napi_task.h>

/* The task's data: made on the JS thread, consumed by perform. */
typedef struct bisect_job {
  napi_ref f; /* JS thread only: the function to find a root of */
  double lo, hi;
} bisect_job;

/* One question for the JS thread. Lives on perform's stack. */
typedef struct question {
  napi_ref f;
  double x;       /* in */
  double fx;      /* out */
} question;

/* JS thread (through napi_task_call_js). Borrows data. */
static napi_status evaluate(napi_env env, void *data) {
  question *q = data;
  napi_value f, global, x, fx;
  napi_valuetype type;
  napi_status s;

  if ((s = napi_get_reference_value(env, q->f, &f)) != napi_ok ||
      (s = napi_get_global(env, &global)) != napi_ok ||
      (s = napi_create_double(env, q->x, &x)) != napi_ok ||
      (s = napi_call_function(env, global, f, 1, &x, &fx)) != napi_ok)
    return s; /* if f threw, the exception stays pending: call_js keeps it */
  if ((s = napi_typeof(env, fx, &type)) != napi_ok) return s;
  if (type != napi_number) {
    napi_throw_type_error(env, "ERR_INVALID_RETURN_VALUE",
                          "f must return a number");
    return napi_pending_exception;
  }
  return napi_get_value_double(env, fx, &q->fx);
}

/* JS thread (through napi_task_call_js): the last use of the reference. */
static napi_status release(napi_env env, void *data) {
  return napi_delete_reference(env, ((question *)data)->f);
}

/* The result object, made on the JS thread. */
typedef struct answer {
  double root;
  int calls;
} answer;

static napi_value make_answer(napi_env env, void *data) {
  answer *a = data;
  napi_value o = NULL, v;
  if (napi_create_object(env, &o) == napi_ok &&
      napi_create_double(env, a->root, &v) == napi_ok)
    napi_set_named_property(env, o, "root", v);
  if (o != NULL && napi_create_int32(env, a->calls, &v) == napi_ok)
    napi_set_named_property(env, o, "calls", v);
  free(a);
  return o;
}

/* Threadpool. Consumes data (a bisect_job). */
static napi_task_output run_bisect(napi_task_ctx ctx, void *data) {
  bisect_job job = *(bisect_job *)data;
  question q = {job.f, 0, 0};
  double lo = job.lo, hi = job.hi, flo;
  int calls = 0;
  napi_status s;
  answer *a;

  free(data);
  q.x = lo;
  if ((s = napi_task_call_js(ctx, evaluate, &q)) != napi_ok) goto failed;
  calls++;
  flo = q.fx;
  q.x = hi;
  if ((s = napi_task_call_js(ctx, evaluate, &q)) != napi_ok) goto failed;
  calls++;
  if ((flo < 0) == (q.fx < 0)) {
    napi_task_call_js(ctx, release, &q);
    return napi_task_error("ERR_NO_SIGN_CHANGE",
                           "f(lo) and f(hi) must have opposite signs");
  }
  /* Halve [lo, hi] until no double lies strictly between them. */
  for (;;) {
    double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    q.x = mid;
    if ((s = napi_task_call_js(ctx, evaluate, &q)) != napi_ok) goto failed;
    calls++;
    if (q.fx == 0) {
      lo = hi = mid;
      break;
    }
    if ((q.fx < 0) == (flo < 0))
      lo = mid, flo = q.fx;
    else
      hi = mid;
  }
  napi_task_call_js(ctx, release, &q);
  if ((a = malloc(sizeof(*a))) == NULL)
    return napi_task_error("ERR_OUT_OF_MEMORY", "ask_js: out of memory");
  a->root = fabs(lo) < fabs(hi) ? lo : hi;
  a->calls = calls;
  return napi_task_ok(make_answer, a, free);

failed:
  /* napi_pending_exception: f threw (or returned a non-number); any
     non-error output lets that exception become the task's error.
     napi_cancelled: the env is going away; nothing will be delivered.
     Either way the reference is released if the JS thread still runs. */
  napi_task_call_js(ctx, release, &q);
  return napi_task_ok_undefined();
}

/* Frees a job whose perform never ran. Any thread, so it must not touch
   the reference: that only happens when the env is going away (or the
   delivery failed, out of memory), and Node deletes every reference an env
   still has when it goes away. */
static void drop_job(void *data) { free(data); }

/* bisect(f, lo, hi) -> Promise<{ root, calls }> */
static napi_value bisect_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], promise = NULL;
  napi_valuetype type = napi_undefined;
  bisect_job *job;
  napi_task task;
  double lo, hi;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_typeof(env, argv[0], &type) != napi_ok ||
      type != napi_function ||
      napi_get_value_double(env, argv[1], &lo) != napi_ok ||
      napi_get_value_double(env, argv[2], &hi) != napi_ok || !(lo < hi)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "bisect(f, lo, hi): f a function, lo < hi numbers");
    return NULL;
  }
  if ((job = malloc(sizeof(*job))) == NULL ||
      napi_create_reference(env, argv[0], 1, &job->f) != napi_ok) {
    free(job);
    napi_throw_error(env, NULL, "ask_js: out of memory");
    return NULL;
  }
  job->lo = lo;
  job->hi = hi;
  if (napi_task_build(env, run_bisect, job, drop_job, &task) != napi_ok)
    return NULL; /* job was dropped */
  napi_task_promise(task, &promise);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "bisect", NAPI_AUTO_LENGTH, bisect_js, NULL, &fn);
  napi_set_named_property(env, exports, "bisect", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
