/* primes: count the primes below N on the threadpool, with progress and
 * cancellation, in a queue for CPU jobs.
 *
 *   countPrimes(limit, { signal, onProgress }) -> Promise<number>
 *
 * - perform runs a segmented sieve of Eratosthenes and checks
 *   napi_task_cancelled between segments, so an AbortSignal stops it
 *   within one segment (a fraction of a millisecond).
 * - It reports the fraction done (0..1) with napi_task_progress in
 *   COALESCE mode: the JS side only ever wants the newest value, so a
 *   slow terminal never builds a backlog.
 * - Every countPrimes task goes into one queue of max_running 1: several
 *   long jobs run one after another and leave the other threadpool
 *   threads to fs, dns.lookup, crypto and zlib.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <napi_task.h>

/* Numbers sieved per segment: 256 KiB of flags, cache-sized. */
#define SEGMENT (1u << 18)
/* Counts up to 2^53 are exact in a JS number. */
#define MAX_LIMIT 9007199254740992.0

typedef struct job {
  uint64_t limit; /* count the primes p < limit */
} job;

/* The primes <= n, by a plain sieve (n is at most about 9.5e7). */
static uint32_t *small_primes(uint32_t n, size_t *count) {
  unsigned char *composite = calloc((size_t)n + 1, 1);
  uint32_t *primes = NULL;
  size_t found = 0;

  if (composite == NULL) return NULL;
  for (uint64_t i = 2; i * i <= n; i++)
    if (!composite[i])
      for (uint64_t j = i * i; j <= n; j += i) composite[j] = 1;
  for (uint32_t i = 2; i <= n; i++) found += !composite[i];
  primes = malloc((found > 0 ? found : 1) * sizeof(*primes));
  if (primes != NULL) {
    found = 0;
    for (uint32_t i = 2; i <= n; i++)
      if (!composite[i]) primes[found++] = i;
  }
  free(composite);
  *count = found;
  return primes;
}

/* Threadpool. Consumes data (a job). */
static napi_task_output count_primes(napi_task_ctx ctx, void *data) {
  uint64_t limit = ((job *)data)->limit, total = 0, lo;
  uint32_t root, *primes;
  size_t nprimes;
  unsigned char *segment;
  unsigned last_permille = 0;

  free(data);
  if (limit < 3) return napi_task_ok_int64(0);
  root = (uint32_t)sqrt((double)limit);
  while ((uint64_t)root * root >= limit) root--; /* root < sqrt(limit) */
  while ((uint64_t)(root + 1) * (root + 1) < limit) root++;
  primes = small_primes(root, &nprimes);
  segment = malloc(SEGMENT);
  if (primes == NULL || segment == NULL) {
    free(primes);
    free(segment);
    return napi_task_error("ERR_OUT_OF_MEMORY", "primes: out of memory");
  }

  for (lo = 0; lo < limit; lo += SEGMENT) {
    uint64_t hi = limit - lo < SEGMENT ? limit : lo + SEGMENT;
    unsigned permille;

    /* Aborted: stop now. The output is dropped and the promise rejects
       with the AbortError, so what we return does not matter. */
    if (napi_task_cancelled(ctx)) break;
    memset(segment, 1, (size_t)(hi - lo));
    for (size_t k = 0; k < nprimes; k++) {
      uint64_t p = primes[k], start = (lo + p - 1) / p * p;
      if (start < p * p) start = p * p;
      for (uint64_t m = start; m < hi; m += p) segment[m - lo] = 0;
    }
    for (uint64_t n = lo < 2 ? 2 : lo; n < hi; n++) total += segment[n - lo];

    /* At most 1000 reports; COALESCE keeps only the newest one pending. */
    permille = (unsigned)((double)hi / (double)limit * 1000);
    if (permille != last_permille) {
      last_permille = permille;
      napi_task_progress(ctx, napi_task_ok_double(permille / 1000.0));
    }
  }
  free(segment);
  free(primes);
  return napi_task_ok_int64((int64_t)total);
}

/* The queue of this addon instance (one per env), from instance data. */
static void release_queue(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  napi_task_queue_release(data);
}

/* Reads options[name] into *value: NULL when options is not an object or
   the property is missing or undefined. Reading it can run JS (a getter, a
   Proxy, a revoked Proxy): if that throws, the exception is replaced by a
   TypeError with a code, as Node's own functions do for a bad argument,
   with the original as its `cause`, and false is returned. */
static bool option(napi_env env, napi_value options, const char *name,
                   napi_value *value) {
  napi_valuetype type = napi_undefined;
  napi_value v = NULL, exc, code, msg, err;
  bool has = false, pending = false;
  char text[96];

  *value = NULL;
  if (options == NULL || napi_typeof(env, options, &type) != napi_ok ||
      type != napi_object)
    return true;
  if (napi_has_named_property(env, options, name, &has) == napi_ok &&
      (!has || (napi_get_named_property(env, options, name, &v) == napi_ok &&
                napi_typeof(env, v, &type) == napi_ok))) {
    if (has && type != napi_undefined) *value = v;
    return true;
  }
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending ||
      napi_get_and_clear_last_exception(env, &exc) != napi_ok)
    return false;
  snprintf(text, sizeof(text),
           "The \"options.%s\" property could not be read", name);
  if (napi_create_string_utf8(env, "ERR_INVALID_ARG_VALUE", NAPI_AUTO_LENGTH,
                              &code) == napi_ok &&
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) == napi_ok &&
      napi_create_type_error(env, code, msg, &err) == napi_ok &&
      napi_set_named_property(env, err, "cause", exc) == napi_ok)
    napi_throw(env, err);
  else
    napi_throw(env, exc);
  return false;
}

/* countPrimes(limit, { signal, onProgress } = {}) -> Promise<number> */
static napi_value count_primes_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, promise = NULL, signal, on_progress;
  napi_task_queue queue = NULL;
  napi_task task;
  double limit = -1;
  job *j;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_double(env, argv[0], &limit) != napi_ok ||
      !(limit >= 0 && limit <= MAX_LIMIT) || floor(limit) != limit) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE",
                           "The \"limit\" argument must be an integer "
                           "from 0 to 2^53");
    return NULL;
  }
  if ((j = malloc(sizeof(*j))) == NULL) {
    napi_throw_error(env, NULL, "primes: out of memory");
    return NULL;
  }
  j->limit = (uint64_t)limit;
  /* On failure build drops j with `free` itself. */
  if (napi_task_build(env, count_primes, j, free, &task) != napi_ok) {
    napi_throw_error(env, NULL, "primes: could not build the task");
    return NULL;
  }

  /* Options. An option that cannot be read, or a setter that fails,
     leaves a TypeError pending (e.g. a signal that is not an AbortSignal);
     the task is then discarded, which frees j. */
  if (!option(env, argv[1], "signal", &signal) ||
      !option(env, argv[1], "onProgress", &on_progress) ||
      (signal != NULL && napi_task_set_signal(task, signal) != napi_ok) ||
      (on_progress != NULL &&
       napi_task_set_progress(task, on_progress,
                              NAPI_TASK_PROGRESS_COALESCE) != napi_ok) ||
      (napi_get_instance_data(env, (void **)&queue) == napi_ok &&
       queue != NULL && napi_task_set_queue(task, queue) != napi_ok)) {
    napi_task_discard(task);
    return NULL;
  }

  /* Delivery consumes the task whatever it returns. */
  napi_task_promise(task, &promise);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_task_queue queue;

  /* One lane for CPU jobs per env: they run one at a time. */
  if (napi_task_queue_create(env, 1, &queue) == napi_ok &&
      napi_set_instance_data(env, queue, release_queue, NULL) != napi_ok)
    napi_task_queue_release(queue);
  napi_create_function(env, "countPrimes", NAPI_AUTO_LENGTH, count_primes_js,
                       NULL, &fn);
  napi_set_named_property(env, exports, "countPrimes", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
