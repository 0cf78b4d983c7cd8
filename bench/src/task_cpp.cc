/*
 * napi-task's C++ builder (include/napi_task.hpp) as a peer: the same jobs
 * as task.c's callback peer, each perform a lambda. Capture-less lambdas
 * and the small `n` capture of sum travel inside the task's data pointer
 * (no allocation), as the C peer passes NULL or a pointer-sized value.
 * Built with node-gyp's defaults (-fno-exceptions), as most addons are.
 */
#define NAPI_VERSION 8
#include <napi_task.hpp> /* first: it includes napi_task.h itself */

#include "common.h"

static napi_value arg(napi_env env, napi_callback_info info, size_t i) {
  napi_value argv[2] = {nullptr, nullptr};
  size_t argc = 2;
  BENCH_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  return argv[i];
}

static uint64_t arg_u64(napi_env env, napi_value v) {
  int64_t i;
  BENCH_CHECK(napi_get_value_int64(env, v, &i));
  return static_cast<uint64_t>(i);
}

// noop(cb)
static napi_value noop_cb(napi_env env, napi_callback_info info) {
  return napi_task::build(env, [](napi_task::ctx) {
           return napi_task::ok_undefined();
         }).schedule(arg(env, info, 0));
}

// sum(n, cb)
static napi_value sum_cb(napi_env env, napi_callback_info info) {
  uint64_t n = arg_u64(env, arg(env, info, 0));
  return napi_task::build(env, [n](napi_task::ctx) {
           return napi_task::ok_double(static_cast<double>(bench_sum(n)));
         }).schedule(arg(env, info, 1));
}

// sleep(ms, cb)
static napi_value sleep_cb(napi_env env, napi_callback_info info) {
  uint32_t ms = static_cast<uint32_t>(arg_u64(env, arg(env, info, 0)));
  return napi_task::build(env, [ms](napi_task::ctx) {
           bench_sleep(ms);
           return napi_task::ok_undefined();
         }).schedule(arg(env, info, 1));
}

// gate(cb)
static napi_value gate_cb(napi_env env, napi_callback_info info) {
  return napi_task::build(env, [](napi_task::ctx) {
           bench_gate_wait();
           return napi_task::ok_undefined();
         }).schedule(arg(env, info, 0));
}

static napi_value gate_close(napi_env, napi_callback_info) {
  bench_gate_set(1);
  return nullptr;
}

static napi_value gate_open(napi_env, napi_callback_info) {
  bench_gate_set(0);
  return nullptr;
}

static napi_value init(napi_env env, napi_value exports) {
  static const napi_property_descriptor props[] = {
      {"noop", nullptr, noop_cb, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sum", nullptr, sum_cb, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sleep", nullptr, sleep_cb, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gate", nullptr, gate_cb, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gateClose", nullptr, gate_close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gateOpen", nullptr, gate_open, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  BENCH_CHECK(napi_define_properties(env, exports,
                                     sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
