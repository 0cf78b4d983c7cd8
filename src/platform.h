/*
 * The one place where napi-task meets the platform: threads, locks, atomics
 * and the feature macros uv.h needs. Internal, not installed. Every .c file
 * of the library (and of the test addon) includes this before anything else.
 *
 * Why not libuv's own primitives: napi-task runs wherever Node-API runs, and
 * not every runtime has them. Bun's uv_cond_* abort the process, Deno has no
 * uv_once, and neither has uv_sleep (docs/internals.md, "Where it runs").
 * These wrappers are what libuv itself does: pthreads on POSIX; SRWLOCK,
 * CONDITION_VARIABLE and InitOnce on Windows. They cannot fail after init,
 * and init fails only where the platform says it can.
 */
#ifndef NAPI_TASK_PLATFORM_H_
#define NAPI_TASK_PLATFORM_H_

/* Strict C11 hides the POSIX types uv.h needs (pthread_rwlock_t, struct
   addrinfo); on Darwin, _POSIX_C_SOURCE in turn hides the BSD declarations
   its uv.h needs, which _DARWIN_C_SOURCE brings back. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* C11 atomics. MSVC has <stdatomic.h> from VS 2022 17.5 on, behind
   /experimental:c11atomics (napi_task.gyp sets it), and keeps
   __STDC_NO_ATOMICS__ defined even then, so that macro is not consulted. */
#include <stdatomic.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#endif

/* Thread-local storage: C11's keyword, or MSVC's spelling of it (its C
   compiler rejects _Thread_local). */
#if defined(_MSC_VER) && !defined(__clang__)
#define NT_THREAD_LOCAL __declspec(thread)
#else
#define NT_THREAD_LOCAL _Thread_local
#endif

/* Symbols shared between the library's files but not exported from the
   addon that links it. PE targets have no visibility: there, what is not
   exported with __declspec(dllexport) stays inside the DLL anyway. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_WIN32)
#define NT_HIDDEN __attribute__((visibility("hidden")))
#else
#define NT_HIDDEN
#endif

/* A spin-wait hint to the CPU (x86 PAUSE, Arm YIELD). */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#if defined(_M_X64) || defined(_M_IX86)
#define nt_cpu_relax() _mm_pause()
#else
#define nt_cpu_relax() __yield()
#endif
#elif defined(__x86_64__) || defined(__i386__)
#define nt_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || (defined(__ARM_ARCH) && __ARM_ARCH >= 7)
/* Not on older Arm: YIELD needs ARMv6K. */
#define nt_cpu_relax() __asm__ __volatile__("yield")
#else
#define nt_cpu_relax() ((void)0)
#endif

#ifdef _WIN32

typedef SRWLOCK nt_mutex;
typedef CONDITION_VARIABLE nt_cond;
typedef INIT_ONCE nt_once_t;
#define NT_ONCE_INIT INIT_ONCE_STATIC_INIT

static inline int nt_mutex_init(nt_mutex *m) {
  InitializeSRWLock(m);
  return 0;
}
static inline int nt_mutex_init_adaptive(nt_mutex *m) {
  return nt_mutex_init(m);
}
static inline void nt_mutex_destroy(nt_mutex *m) { (void)m; }
static inline void nt_mutex_lock(nt_mutex *m) { AcquireSRWLockExclusive(m); }
static inline void nt_mutex_unlock(nt_mutex *m) {
  ReleaseSRWLockExclusive(m);
}
static inline int nt_cond_init(nt_cond *c) {
  InitializeConditionVariable(c);
  return 0;
}
static inline void nt_cond_destroy(nt_cond *c) { (void)c; }
static inline void nt_cond_broadcast(nt_cond *c) {
  WakeAllConditionVariable(c);
}
/* m held. INFINITE: it returns only when woken (or spuriously, which every
   caller's loop allows). */
static inline void nt_cond_wait(nt_cond *c, nt_mutex *m) {
  SleepConditionVariableSRW(c, m, INFINITE, 0);
}

static BOOL CALLBACK nt_once_thunk(PINIT_ONCE once, PVOID fn, PVOID *ctx) {
  (void)once;
  (void)ctx;
  ((void (*)(void))(uintptr_t)fn)();
  return TRUE;
}
static inline void nt_once(nt_once_t *once, void (*fn)(void)) {
  InitOnceExecuteOnce(once, nt_once_thunk, (PVOID)(uintptr_t)fn, NULL);
}

static inline void nt_sleep_ms(unsigned ms) { Sleep(ms); }
static inline void nt_yield(void) { SwitchToThread(); }

#else  /* POSIX */

typedef pthread_mutex_t nt_mutex;
typedef pthread_cond_t nt_cond;
typedef pthread_once_t nt_once_t;
#define NT_ONCE_INIT PTHREAD_ONCE_INIT

/* A failure of lock, unlock, wait or broadcast means a corrupt or
   uninitialised object: a bug, not a condition to handle (as libuv). */
static inline int nt_mutex_init(nt_mutex *m) {
  return pthread_mutex_init(m, NULL);
}
/* The env mutex is held for a few dozen instructions at a time, by the JS
   thread once per delivery and by each runner once per task. A thread that
   finds glibc's default mutex taken sleeps in the kernel at once, and the
   holder must then wake it; an adaptive mutex spins briefly first (see
   docs/performance.md, "Wake-ups: what the instruction count does not
   show"). Elsewhere: the default mutex. */
static inline int nt_mutex_init_adaptive(nt_mutex *m) {
#if defined(__GLIBC__) && (defined(__USE_XOPEN2K8) || defined(__USE_UNIX98))
  pthread_mutexattr_t attr;
  int r = -1;
  if (pthread_mutexattr_init(&attr) == 0) {
    if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP) == 0)
      r = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  if (r == 0) return 0;
#endif
  return nt_mutex_init(m);
}
static inline void nt_mutex_destroy(nt_mutex *m) { pthread_mutex_destroy(m); }
static inline void nt_mutex_lock(nt_mutex *m) {
  if (pthread_mutex_lock(m) != 0) abort();
}
static inline void nt_mutex_unlock(nt_mutex *m) {
  if (pthread_mutex_unlock(m) != 0) abort();
}
static inline int nt_cond_init(nt_cond *c) {
  return pthread_cond_init(c, NULL);
}
static inline void nt_cond_destroy(nt_cond *c) { pthread_cond_destroy(c); }
static inline void nt_cond_broadcast(nt_cond *c) {
  if (pthread_cond_broadcast(c) != 0) abort();
}
static inline void nt_cond_wait(nt_cond *c, nt_mutex *m) {
  if (pthread_cond_wait(c, m) != 0) abort();
}
static inline void nt_once(nt_once_t *once, void (*fn)(void)) {
  if (pthread_once(once, fn) != 0) abort();
}

static inline void nt_yield(void) { sched_yield(); }

static inline void nt_sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

#endif  /* _WIN32 */

#endif  /* NAPI_TASK_PLATFORM_H_ */
