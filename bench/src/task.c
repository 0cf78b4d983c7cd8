/*
 * napi-task peer, written as a consumer would write it: build, then deliver
 * to a callback (napi_task_schedule), to a promise (napi_task_promise), or
 * to a callback through a queue with a cap (napi_task_set_queue).
 *
 * Inputs travel the way the contract intends: the no-op has no data, sum(n)
 * owns a malloc'd copy of n that perform consumes (free is its drop).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* uv.h needs POSIX types under -std=c11 */
#endif
#define NAPI_VERSION 8
#include <napi_task.h>
#include <stddef.h>

#include "common.h"

/* Per-env state of this addon (the consumer's own instance data). */
typedef struct {
  napi_task_queue queue;
} bench_state;

static napi_task_output perform_noop(napi_task_ctx ctx, void *data) {
  (void)ctx;
  (void)data;
  return napi_task_ok_undefined();
}

static napi_task_output perform_sum(napi_task_ctx ctx, void *data) {
  uint64_t n = *(uint64_t *)data;
  (void)ctx;
  free(data);
  return napi_task_ok_double((double)bench_sum(n));
}

static napi_task_output perform_sleep(napi_task_ctx ctx, void *data) {
  (void)ctx;
  bench_sleep((uint32_t)(uintptr_t)data);
  return napi_task_ok_undefined();
}

static napi_task_output perform_gate(napi_task_ctx ctx, void *data) {
  (void)ctx;
  (void)data;
  bench_gate_wait();
  return napi_task_ok_undefined();
}

typedef enum { DELIVER_CALLBACK, DELIVER_PROMISE, DELIVER_QUEUE } delivery;

/* Builds a task and delivers it. `cb` is ignored for promises. On a failed
   delivery the exception napi-task left pending is thrown to the caller. */
static napi_value deliver(napi_env env, napi_task_perform perform,
                          void *data, napi_task_drop drop, delivery how,
                          napi_value cb) {
  napi_task task;
  napi_value result = NULL;
  if (napi_task_build(env, perform, data, drop, &task) != napi_ok)
    return NULL;
  switch (how) {
    case DELIVER_PROMISE:
      napi_task_promise(task, &result);
      break;
    case DELIVER_QUEUE: {
      bench_state *st;
      BENCH_CHECK(napi_get_instance_data(env, (void **)&st));
      if (napi_task_set_queue(task, st->queue) != napi_ok) {
        napi_task_discard(task);
        return NULL;
      }
      napi_task_schedule(task, cb, &result);
      break;
    }
    default:
      napi_task_schedule(task, cb, &result);
      break;
  }
  return result;
}

static void args(napi_env env, napi_callback_info info, napi_value *argv,
                 size_t n) {
  size_t argc = n;
  BENCH_CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
}

static uint64_t arg_u64(napi_env env, napi_value v) {
  int64_t i;
  BENCH_CHECK(napi_get_value_int64(env, v, &i));
  return (uint64_t)i;
}

static napi_value start_sum(napi_env env, napi_callback_info info,
                            delivery how) {
  napi_value argv[2];
  uint64_t *n;
  args(env, info, argv, 2);
  n = (uint64_t *)malloc(sizeof(*n));
  if (n == NULL) abort();
  *n = arg_u64(env, argv[0]);
  return deliver(env, perform_sum, n, free, how, argv[1]);
}

static napi_value start_sleep(napi_env env, napi_callback_info info,
                              delivery how) {
  napi_value argv[2];
  args(env, info, argv, 2);
  return deliver(env, perform_sleep, (void *)(uintptr_t)arg_u64(env, argv[0]),
                 NULL, how, argv[1]);
}

static napi_value start_arg0(napi_env env, napi_callback_info info,
                             napi_task_perform perform, delivery how) {
  napi_value argv[1];
  args(env, info, argv, 1);
  return deliver(env, perform, NULL, NULL, how, argv[0]);
}

#define ENTRY(fn, body)                                            \
  static napi_value fn(napi_env env, napi_callback_info info) { \
    return body;                                                   \
  }
ENTRY(noop_cb, start_arg0(env, info, perform_noop, DELIVER_CALLBACK))
ENTRY(noop_promise, start_arg0(env, info, perform_noop, DELIVER_PROMISE))
ENTRY(noop_queue, start_arg0(env, info, perform_noop, DELIVER_QUEUE))
ENTRY(sum_cb, start_sum(env, info, DELIVER_CALLBACK))
ENTRY(sum_promise, start_sum(env, info, DELIVER_PROMISE))
ENTRY(sum_queue, start_sum(env, info, DELIVER_QUEUE))
ENTRY(sleep_cb, start_sleep(env, info, DELIVER_CALLBACK))
ENTRY(sleep_promise, start_sleep(env, info, DELIVER_PROMISE))
ENTRY(sleep_queue, start_sleep(env, info, DELIVER_QUEUE))
ENTRY(gate_cb, start_arg0(env, info, perform_gate, DELIVER_CALLBACK))
ENTRY(gate_promise, start_arg0(env, info, perform_gate, DELIVER_PROMISE))
ENTRY(gate_queue, start_arg0(env, info, perform_gate, DELIVER_QUEUE))
#undef ENTRY

/* queueCap(n): replaces this env's queue by one with a cap of n. */
static napi_value queue_cap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint32_t cap;
  bench_state *st;
  args(env, info, argv, 1);
  BENCH_CHECK(napi_get_value_uint32(env, argv[0], &cap));
  BENCH_CHECK(napi_get_instance_data(env, (void **)&st));
  if (st->queue != NULL) BENCH_CHECK(napi_task_queue_release(st->queue));
  st->queue = NULL;
  BENCH_CHECK(napi_task_queue_create(env, cap, &st->queue));
  return NULL;
}

static napi_value gate_close(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  bench_gate_set(1);
  return NULL;
}

static napi_value gate_open(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  bench_gate_set(0);
  return NULL;
}

static void state_free(napi_env env, void *data, void *hint) {
  /* The queue dies with the env; napi-task owns its teardown. */
  (void)env;
  (void)hint;
  free(data);
}

static napi_value init(napi_env env, napi_value exports) {
  static const napi_property_descriptor props[] = {
#define FN(name, fn) \
  { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL }
      FN("noop", noop_cb),
      FN("noopPromise", noop_promise),
      FN("noopQueue", noop_queue),
      FN("sum", sum_cb),
      FN("sumPromise", sum_promise),
      FN("sumQueue", sum_queue),
      FN("sleep", sleep_cb),
      FN("sleepPromise", sleep_promise),
      FN("sleepQueue", sleep_queue),
      FN("gate", gate_cb),
      FN("gatePromise", gate_promise),
      FN("gateQueue", gate_queue),
      FN("queueCap", queue_cap),
      FN("gateClose", gate_close),
      FN("gateOpen", gate_open),
#undef FN
  };
  bench_state *st = (bench_state *)calloc(1, sizeof(*st));
  if (st == NULL) abort();
  BENCH_CHECK(napi_set_instance_data(env, st, state_free, NULL));
  BENCH_CHECK(napi_task_queue_create(env, 1, &st->queue));
  BENCH_CHECK(napi_define_properties(env, exports,
                                     sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
