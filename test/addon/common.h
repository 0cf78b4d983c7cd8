/*
 * Shared helpers of the test addon: exactly-once accounting of owned data,
 * argument helpers, the scenarios several test files share, and the
 * feature registry.
 *
 * Every data pointer a test hands to napi-task comes from tr_new(). Exactly
 * one of tr_consume() (perform or complete used it) or tr_drop() (the
 * library dropped it) must happen to it. A second one is counted as
 * `twice`; the JS side asserts created == consumed + dropped and twice == 0
 * after every scenario.
 */
#ifndef TEST_ADDON_COMMON_H_
#define TEST_ADDON_COMMON_H_

/* The library's own portability header: locks, once, thread-locals and
   atomics that every runtime and compiler has (the test addon is held to
   the same rules as the library). */
#include "../../src/platform.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "napi_task.h"

/* js_*, arg_*, set_fn, put_int and gates, shared with the C++ test addon. */
#include "helpers.h"

typedef struct tracked {
  uint32_t magic; /* TR_LIVE until consumed or dropped */
  double value;   /* a number the scenario carries */
  int64_t arg;    /* a second one */
  void *extra;    /* scenario-specific */
} tracked;

tracked *tr_new(double value);
/* Marks t used by perform/complete and frees it. */
void tr_consume(tracked *t);
/* The napi_task_drop for tracked data. */
void tr_drop(void *t);
/* A drop for plain malloc'd bytes that counts too (strings, buffers). */
void tr_drop_bytes(void *p);
void *tr_bytes(size_t n);
/* The ledger so far (any thread): common.counts() in JS. */
typedef struct tr_ledger {
  long created, consumed, dropped, twice;
} tr_ledger;
tr_ledger tr_counts(void);

/* Throws a plain Error and returns NULL when a Node-API call fails. */
#define CHECK(env, call)                                          \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), NULL, "test addon: " #call " failed"); \
      return NULL;                                                \
    }                                                             \
  } while (0)

/* ---- shared by the scenarios of several test files (common.c) ---- */

/* JS thread: status of the last napi-task call a shared scenario (and
   test/addon/core.c) made, as common.lastStatus() tells it. Workers have
   their own. */
extern NT_THREAD_LOCAL napi_status last_status;

/* Delivers t by callback when cb is a function, else returns a promise;
   sets last_status. */
napi_value deliver(napi_env env, napi_task t, napi_value cb);
/* complete for tracked data: the number it carries. */
napi_value complete_number(napi_env env, void *data);
/* perform for tracked data: a new tracked value + 1 (the RFC example). */
napi_task_output perform_add_one(napi_task_ctx ctx, void *data);
/* The drop of data whose tracked record's extra is malloc'd. */
void drop_with_extra(void *data);
/* An owned (tr_bytes) string: prefix followed by v. */
char *owned_string(const char *prefix, double v);
void busy_wait_us(double us);

/* Options of an options object: NULL, or the default, when absent. */
napi_value opt(napi_env env, napi_value o, const char *key);
double opt_num(napi_env env, napi_value o, const char *key, double d);
bool opt_bool(napi_env env, napi_value o, const char *key);

/* A queue handle from common.queueCreate()'s external (NULL otherwise). */
napi_task_queue queue_arg(napi_env env, napi_value v);
/* The queue in common.queue()'s owning external: NULL when v is none, or
   once common.releaseQueue() released it. */
napi_task_queue held_queue(napi_env env, napi_value v);

/* Counters any thread bumps, read by common.counters(), zeroed by
   common.reset(), awaited by common.waitFor(). */
typedef struct counters {
  atomic_int performs;   /* performs started */
  atomic_int finished;   /* performs returned */
  atomic_int asked;      /* performs about to call napi_task_call_js */
  atomic_int call_status; /* the last napi_task_call_js status */
  atomic_int flood_done; /* fairness: napi-task flood tasks done */
  atomic_int raw_done;   /* fairness: raw async works done */
} counters;
extern counters ctr;

/* Feature registry: each test/addon/<feature>.c defines init_<feature>,
   returning the object exported as exports.<feature>; its test file is
   test/<feature>.test.js. common.c's is what several test files share. */
#define TEST_FEATURES(X) \
  X(common)              \
  X(badinput)            \
  X(calljs)              \
  X(control)             \
  X(core)                \
  X(fairness)            \
  X(legacy)              \
  X(queue)               \
  X(torture)             \
  X(worker)              \
  X(faults)

#define TEST_DECLARE(name) napi_value init_##name(napi_env env);
TEST_FEATURES(TEST_DECLARE)
#undef TEST_DECLARE

#endif  /* TEST_ADDON_COMMON_H_ */
