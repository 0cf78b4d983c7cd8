/* exports.queue: what the queue tests need beyond common.queueCreate() and
   common.queueRelease(): a max_running of 0, and a queue handle carried to
   another env by address. */
#include "common.h"

/* queueAddress(q) -> BigInt, queueFromAddress(big) -> external: carry a
   queue handle to another env (a worker) to prove set_queue refuses it. */
static napi_value queue_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_create_bigint_uint64(
                 env, (uint64_t)(uintptr_t)queue_arg(env, argv[0]), &r));
  return r;
}

static napi_value queue_from_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  uint64_t address = 0;
  bool lossless;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_bigint_uint64(env, argv[0], &address, &lossless));
  CHECK(env, napi_create_external(env, (void *)(uintptr_t)address, NULL, NULL,
                                  &r));
  return r;
}

/* queueCreateZero() -> {status, cleared}: napi_task_queue_create with a
   max_running of 0, and whether *result was reset to NULL. */
static napi_value queue_create_zero(napi_env env, napi_callback_info info) {
  napi_task_queue q = (napi_task_queue)&q; /* anything but NULL */
  napi_value o, cleared;
  napi_status s;
  (void)info;
  s = napi_task_queue_create(env, 0, &q);
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_get_boolean(env, q == NULL, &cleared));
  napi_set_named_property(env, o, "status", js_int(env, s));
  napi_set_named_property(env, o, "cleared", cleared);
  return o;
}

napi_value init_queue(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "createZero", queue_create_zero);
  set_fn(env, o, "address", queue_address);
  set_fn(env, o, "fromAddress", queue_from_address);
  return o;
}
