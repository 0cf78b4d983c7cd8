/*
 * The jobs every peer runs, written once so that every peer does exactly the
 * same work on the threadpool. Header-only (static inline, file-local state):
 * each bench addon is one translation unit and gets its own copy.
 *
 *   noop            nothing.
 *   sum(n)          a uint64 loop over 0..n-1. The compiler must not fold
 *                   it into n*(n-1)/2: the bound is read through a volatile
 *                   and an empty asm keeps the accumulator opaque per step.
 *   sleep(ms)       blocks the thread for ms milliseconds (the fairness
 *                   flood: 1 ms tasks).
 *   gate            blocks while the gate is closed (the memory benchmark:
 *                   every task stays in flight until the gate opens).
 *
 * Compiles as C11 and as C++.
 */
#ifndef BENCH_COMMON_H_
#define BENCH_COMMON_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static inline uint64_t bench_sum(uint64_t n) {
  volatile uint64_t opaque = n;
  uint64_t limit = opaque;
  uint64_t s = 0;
  for (uint64_t i = 0; i < limit; i++) {
    s += i;
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : "+r"(s));
#endif
  }
  return s;
}

static inline void bench_sleep(uint32_t ms) { uv_sleep(ms); }

/* The gate. Closed and opened from the JS thread, waited on by perform. */
static uv_once_t bench_gate_once_ = UV_ONCE_INIT;
static uv_mutex_t bench_gate_mu_;
static uv_cond_t bench_gate_cv_;
static int bench_gate_closed_;

static void bench_gate_init_(void) {
  if (uv_mutex_init(&bench_gate_mu_) != 0) abort();
  if (uv_cond_init(&bench_gate_cv_) != 0) abort();
}

static inline void bench_gate_set(int closed) {
  uv_once(&bench_gate_once_, bench_gate_init_);
  uv_mutex_lock(&bench_gate_mu_);
  bench_gate_closed_ = closed;
  if (!closed) uv_cond_broadcast(&bench_gate_cv_);
  uv_mutex_unlock(&bench_gate_mu_);
}

static inline void bench_gate_wait(void) {
  uv_once(&bench_gate_once_, bench_gate_init_);
  uv_mutex_lock(&bench_gate_mu_);
  while (bench_gate_closed_) uv_cond_wait(&bench_gate_cv_, &bench_gate_mu_);
  uv_mutex_unlock(&bench_gate_mu_);
}

/* Job numbers, as JS passes them to the floor and the piscina worker. */
enum { BENCH_NOOP = 0, BENCH_SUM = 1, BENCH_SLEEP = 2, BENCH_GATE = 3 };

/* Runs a job by number, for the peers that keep one record for every job. */
static inline uint64_t bench_run(int job, uint64_t arg) {
  switch (job) {
    case BENCH_SUM: return bench_sum(arg);
    case BENCH_SLEEP: bench_sleep((uint32_t)arg); return 0;
    case BENCH_GATE: bench_gate_wait(); return 0;
    default: return 0;
  }
}

/* Bench code has no recovery path: a failed Node-API call is a bug here. */
#define BENCH_CHECK(call)                                              \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #call); \
      abort();                                                         \
    }                                                                  \
  } while (0)

#endif /* BENCH_COMMON_H_ */
