/*
 * Shared helpers of the test addon: exactly-once accounting of owned data,
 * argument helpers, and the feature registry.
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

/* Throws a plain Error and returns NULL when a Node-API call fails. */
#define CHECK(env, call)                                          \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), NULL, "test addon: " #call " failed"); \
      return NULL;                                                \
    }                                                             \
  } while (0)

napi_value js_undefined(napi_env env);
napi_value js_int(napi_env env, int64_t v);
napi_value js_str(napi_env env, const char *s);
double arg_double(napi_env env, napi_value v);
/* Copies a JS string argument into buf (empty on failure). */
void arg_string(napi_env env, napi_value v, char *buf, size_t size);
void set_fn(napi_env env, napi_value obj, const char *name, napi_callback cb);

/* A gate: perform blocks on it until JS opens it. Thread-safe. */
typedef struct gate gate;
gate *gate_get(int id); /* ids 0..15, created on first use */
void gate_wait(gate *g);
void gate_open(gate *g, int count);
int gate_waiting(gate *g);
/* Waits until at least n performs wait on the gate (bounded spin). */

/* Feature registry: each test/addon/<feature>.c defines init_<feature>,
   returning the object exported as exports.<feature>. */
#define TEST_FEATURES(X) \
  X(common)              \
  X(core)                \
  X(control)             \
  X(legacy)              \
  X(torture)             \
  X(faults)

#define TEST_DECLARE(name) napi_value init_##name(napi_env env);
TEST_FEATURES(TEST_DECLARE)
#undef TEST_DECLARE

#endif  /* TEST_ADDON_COMMON_H_ */
