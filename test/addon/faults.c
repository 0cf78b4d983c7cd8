/*
 * exports.faults: the switch of the fault-injection build (tools/faults.js,
 * npm run test:faults). In that build the library is linked with
 * -Wl,--wrap for every Node-API and libuv call it makes and for its
 * allocator (src/alloc.c); the wrappers (tools/faults.js writes them, into
 * build-faults/) count those calls and make the Nth one fail. This file
 * only reaches the counter, and its own Node-API calls are not counted: it
 * is not part of the wrapped library. In every other build the object has
 * `available: false` and nothing else.
 *
 *   arm(n)    counting from 0, make call number n fail (n >= 1); 0 disarms.
 *   armFn(name, k)  make the kth call of the function `name` fail.
 *   result()  { calls, injected, kind, fn, site }: how many calls were
 *             counted since arm(), whether the Nth was reached and failed,
 *             and if so its kind ('napi', 'uv', 'alloc'), the function that
 *             failed and the call site, as an offset into this .node file
 *             (for addr2line). JS thread; the counter is process-wide and
 *             atomic, so runners' calls on pool threads count too.
 *   works()   how many runners libuv holds: uv_queue_work calls that
 *             succeeded and whose completion has not yet run (process-wide,
 *             every env's). 0 means no runner is live anywhere.
 */
#include "common.h"

#ifdef NAPI_TASK_FAULTS
/* In the wrapped library (build-faults/shim.c). */
void nt_fault_arm(unsigned long n);
void nt_fault_arm_fn(const char *fn, unsigned long k);
unsigned long nt_fault_calls(void);
int nt_fault_injected(const char **kind, const char **fn, long *site);
long nt_fault_works(void);

static napi_value arm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nt_fault_arm((unsigned long)arg_double(env, argv[0]));
  return js_undefined(env);
}

/* armFn(name, k): fail the kth call of the function `name` instead. */
static napi_value arm_fn(napi_env env, napi_callback_info info) {
  static char name[64];
  size_t argc = 2, len = 0;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &len));
  nt_fault_arm_fn(name, (unsigned long)arg_double(env, argv[1]));
  return js_undefined(env);
}

static napi_value result(napi_env env, napi_callback_info info) {
  const char *kind = NULL, *fn = NULL;
  long site = -1;
  int injected = nt_fault_injected(&kind, &fn, &site);
  napi_value o;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_set_named_property(env, o, "calls",
                                     js_int(env, (int64_t)nt_fault_calls())));
  CHECK(env, napi_set_named_property(env, o, "injected",
                                     js_int(env, injected)));
  if (injected) {
    CHECK(env, napi_set_named_property(env, o, "kind", js_str(env, kind)));
    CHECK(env, napi_set_named_property(env, o, "fn", js_str(env, fn)));
    CHECK(env, napi_set_named_property(env, o, "site", js_int(env, site)));
  }
  return o;
}

static napi_value works(napi_env env, napi_callback_info info) {
  (void)info;
  return js_int(env, (int64_t)nt_fault_works());
}
#endif

napi_value init_faults(napi_env env) {
  napi_value o, flag;
  CHECK(env, napi_create_object(env, &o));
#ifdef NAPI_TASK_FAULTS
  set_fn(env, o, "arm", arm);
  set_fn(env, o, "armFn", arm_fn);
  set_fn(env, o, "result", result);
  set_fn(env, o, "works", works);
  CHECK(env, napi_get_boolean(env, true, &flag));
#else
  CHECK(env, napi_get_boolean(env, false, &flag));
#endif
  CHECK(env, napi_set_named_property(env, o, "available", flag));
  return o;
}
