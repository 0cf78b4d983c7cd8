/*
 * Plain Node-API helpers and gates shared by the C test addon (common.h
 * includes this) and the C++ test addon (test/addon_cpp/common.hh, which
 * compiles helpers.c into test_addon_cpp and test_addon_cpp_noexcept).
 * C, callable from C++.
 */
#ifndef TEST_ADDON_HELPERS_H_
#define TEST_ADDON_HELPERS_H_

#include <stddef.h>
#include <stdint.h>

#include "napi_task.h"

#ifdef __cplusplus
extern "C" {
#endif

napi_value js_undefined(napi_env env);
napi_value js_int(napi_env env, int64_t v);
napi_value js_number(napi_env env, double v);
napi_value js_str(napi_env env, const char *s);
double arg_double(napi_env env, napi_value v);
/* Copies a JS string argument into buf (empty on failure). */
void arg_string(napi_env env, napi_value v, char *buf, size_t size);
void set_fn(napi_env env, napi_value obj, const char *name, napi_callback cb);
/* o[k] = v (a status or a count). */
void put_int(napi_env env, napi_value o, const char *k, int64_t v);

/* A gate: perform blocks on it until JS opens it. Thread-safe. Gates are
   never destroyed: a perform may still wait on one while the process
   exits. */
#define GATE_COUNT 16
typedef struct gate gate;
gate *gate_get(int id); /* ids 0..GATE_COUNT-1, else abort() */
void gate_wait(gate *g);
/* As gate_wait, or until ctx's task is cancelled (an abort, or the env
   going away: so a perform left blocked never holds a teardown open). */
bool gate_wait_or_cancel(gate *g, napi_task_ctx ctx); /* true: passed */
void gate_open(gate *g, int count);
int gate_waiting(gate *g);
/* JS thread: a gate id argument, or -1 with a pending RangeError. */
int gate_arg(napi_env env, napi_value v);

/* Sets on o what both addons' exports.common have: gateOpen(id, count),
   gateWaiting(id) (how many performs wait on the gate now), gateDrain(id)
   (takes back unused permits, between scenarios) and poolSize() (the pool
   size napi-task assumes). */
void set_shared_fns(napi_env env, napi_value o);

#ifdef __cplusplus
}
#endif

#endif  /* TEST_ADDON_HELPERS_H_ */
