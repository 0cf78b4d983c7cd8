/* One job, count the primes below n, written twice: in the old Task style
 * (deprecated) and with the builder. Same results, same errors; the builder
 * version also offers a promise and an AbortSignal.
 *
 *   countPrimesOld(n, (err, count) => ...)      old style
 *   countPrimes(n, (err, count) => ...)         builder, callback
 *   await countPrimesPromise(n, signal?)        builder, promise
 *
 * The old half calls a deprecated function on purpose; an addon half-way
 * through its migration silences the warning the same way. Remove this
 * define (or define NAPI_TASK_NO_LEGACY) once nothing old is left. */
#define NAPI_TASK_NO_DEPRECATION_WARNINGS

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <napi_task.h>

#define MAX_N 100000000u

/* Threadpool. Counts primes below n, giving up if `stop` turns true. */
static uint32_t count_primes(uint32_t n, napi_task_ctx stop) {
  uint32_t count = 0;
  for (uint32_t i = 2; i < n; i++) {
    bool prime = true;
    if (stop != NULL && (i & 0xffff) == 0 && napi_task_cancelled(stop))
      return 0; /* the task is aborted: this result is dropped unseen */
    for (uint32_t d = 2; d * d <= i; d++) {
      if (i % d == 0) {
        prime = false;
        break;
      }
    }
    count += prime;
  }
  return count;
}

/* Reads n (a number) from the first argument; throws and returns false
   otherwise. */
static bool get_n(napi_env env, napi_value value, uint32_t *n) {
  if (value == NULL || napi_get_value_uint32(env, value, n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "The \"n\" argument must be of type number");
    return false;
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* Old style (deprecated): a class of callbacks; perform borrows self   */
/* and yields an output or an error; complete consumes all three.      */
/* ------------------------------------------------------------------ */

typedef struct primes_job {
  uint32_t n;
} primes_job;

static void primes_perform(const void *self, void **output, void **error) {
  const primes_job *job = self;
  if (job->n > MAX_N) {
    char *msg = malloc(80);
    if (msg != NULL)
      snprintf(msg, 80, "n must be at most %u, got %u", MAX_N, job->n);
    *error = msg;
    return;
  }
  uint32_t *count = malloc(sizeof(*count));
  if (count != NULL) *count = count_primes(job->n, NULL);
  *output = count;
}

static napi_value primes_complete(napi_env env, void *self, void *output,
                                  void *error) {
  napi_value value = NULL;
  if (error != NULL)
    napi_throw_error(env, "ERR_OUT_OF_RANGE", error);
  else if (output != NULL)
    napi_create_uint32(env, *(uint32_t *)output, &value);
  else
    napi_throw_error(env, "ERR_NO_MEMORY", "out of memory");
  free(self);
  free(output);
  free(error);
  return value;
}

static const napi_task_legacy_class primes_class = {
    primes_perform, primes_complete, free, free, free};

static napi_value count_primes_old(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  primes_job *job;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  job = malloc(sizeof(*job));
  if (job == NULL || !get_n(env, argv[0], &job->n)) {
    free(job);
    return NULL;
  }
  /* Frees job with free() itself if it fails. */
  napi_task_schedule_legacy(env, &primes_class, job, argv[1]);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Builder: perform consumes its data and returns one output, success   */
/* or error.                                                            */
/* ------------------------------------------------------------------ */

static napi_task_output primes(napi_task_ctx ctx, void *data) {
  uint32_t n = *(uint32_t *)data;
  free(data);
  if (n > MAX_N)
    return napi_task_error("ERR_OUT_OF_RANGE", "n must be at most %u, got %u",
                           MAX_N, n);
  return napi_task_ok_int64(count_primes(n, ctx));
}

static napi_task build(napi_env env, napi_value n_value) {
  uint32_t *n = malloc(sizeof(*n));
  napi_task task = NULL;
  if (n == NULL || !get_n(env, n_value, n)) {
    free(n);
    return NULL;
  }
  /* Frees n with free() itself if it fails. */
  napi_task_build(env, primes, n, free, &task);
  return task;
}

static napi_value count_primes_cb(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, result = NULL;
  napi_task task;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if ((task = build(env, argv[0])) == NULL) return NULL;
  napi_task_schedule(task, argv[1], &result);
  return result;
}

static napi_value count_primes_promise(napi_env env,
                                       napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, promise = NULL;
  napi_valuetype type = napi_undefined;
  napi_task task;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if ((task = build(env, argv[0])) == NULL) return NULL;
  if (argv[1] != NULL) napi_typeof(env, argv[1], &type);
  if (type != napi_undefined &&
      napi_task_set_signal(task, argv[1]) != napi_ok) {
    napi_task_discard(task); /* a TypeError is pending */
    return NULL;
  }
  napi_task_promise(task, &promise);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"countPrimesOld", NULL, count_primes_old, NULL, NULL, NULL,
       napi_default, NULL},
      {"countPrimes", NULL, count_primes_cb, NULL, NULL, NULL, napi_default,
       NULL},
      {"countPrimesPromise", NULL, count_primes_promise, NULL, NULL, NULL,
       napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
