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

/* NT_MSVC_C: the MSVC C compiler (cl.exe), whose C lacks some of C11.
   Not clang-cl: that is clang, with C11's atomics and _Thread_local.
   NT_INTERLOCKED_ATOMICS: atomics made of the Interlocked intrinsics, not
   <stdatomic.h> (below); cl.exe needs them. tools/msvc-check.js defines
   both itself, to make clang's MSVC target stand in for cl.exe, and the
   second alone for a mingw-w64 build that runs them under Wine
   (docs/setup.md, "MSVC"). */
#if defined(_MSC_VER) && !defined(__clang__) && !defined(NT_MSVC_C)
#define NT_MSVC_C 1
#endif
#if defined(NT_MSVC_C) && !defined(NT_INTERLOCKED_ATOMICS)
#define NT_INTERLOCKED_ATOMICS 1
#endif

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#if defined(NT_MSVC_C) || defined(NT_INTERLOCKED_ATOMICS)
#include <intrin.h>
#endif
#else
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#endif

/* Thread-local storage: C11's keyword, or MSVC's spelling of it (its C
   compiler rejects _Thread_local). */
#ifdef NT_MSVC_C
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
#ifdef NT_MSVC_C
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

/* Atomics: C11's <stdatomic.h> with gcc, clang and mingw-w64. MSVC's C
   compiler has <stdatomic.h> only from VS 2022 17.5 on, and only behind
   /experimental:c11atomics; so with it, the same names are defined here
   the way Windows C code has long done atomics (libuv's among it): the
   Interlocked intrinsics, each a full barrier on every Windows
   architecture, and volatile reads. That needs /std:c11 (VS 2019 16.8 or
   later: _Generic), nothing experimental.

   Only what the library and its test addon use: atomic_bool, atomic_int,
   atomic_uint, atomic_long; atomic_init, atomic_load, atomic_store,
   atomic_exchange, atomic_fetch_add, atomic_fetch_sub,
   atomic_compare_exchange_strong and _weak, and the _explicit loads and
   stores. memory_order_relaxed is one plain volatile access (4 bytes,
   aligned: never torn); every other order is sequentially consistent: a
   store or read-modify-write is an Interlocked call, a load is followed
   by a fence (x86 and x64 order loads themselves, so there it only stops
   the compiler).

   Each type is a struct, so what C11 makes atomic but plain C would not
   (x = 1, x++, a plain read) does not compile here, and neither does an
   operation or a type not defined here: tools/msvc-check.js compiles every
   file against this branch. */
#ifndef NT_INTERLOCKED_ATOMICS
#include <stdatomic.h>
#else

_Static_assert(sizeof(int) == 4 && sizeof(long) == 4,
               "the Interlocked intrinsics used here take a 32-bit long");

typedef enum {
  memory_order_relaxed,
  memory_order_consume,
  memory_order_acquire,
  memory_order_release,
  memory_order_acq_rel,
  memory_order_seq_cst
} memory_order;

/* After a load that is not relaxed. _ReadWriteBarrier is documented as
   deprecated (in favour of C11 and C++ atomics, the very thing missing
   here); MSVC's own <atomic> still uses it, with warning 4996 off. */
#if defined(_M_IX86) || defined(_M_X64) || defined(__i386__) || \
    defined(__x86_64__)
#define NT_LOAD_FENCE_() _ReadWriteBarrier()
#else
/* DMB ISH (MSVC's _ARM64_BARRIER_ISH), as MSVC's <atomic> does there. */
#define NT_LOAD_FENCE_() __dmb(0xB)
#endif

#ifdef _MSC_VER
#pragma warning(push)
#pragma warning(disable : 4996)
#endif

/* atomic_bool is 4 bytes here: the 8-bit Interlocked intrinsics are
   younger (VS 2012), and mingw-w64's headers lack them. */
typedef struct {
  volatile long v;
} atomic_bool;

static inline bool nt_load_atomic_bool(const atomic_bool *p, memory_order mo) {
  long v = p->v;
  if (mo != memory_order_relaxed) NT_LOAD_FENCE_();
  return v != 0;
}
static inline void nt_store_atomic_bool(atomic_bool *p, bool v,
                                        memory_order mo) {
  if (mo == memory_order_relaxed)
    p->v = v;
  else
    (void)_InterlockedExchange(&p->v, v);
}
static inline bool nt_exchange_atomic_bool(atomic_bool *p, bool v) {
  return _InterlockedExchange(&p->v, v) != 0;
}
static inline bool nt_cas_atomic_bool(atomic_bool *p, bool *expected,
                                      bool desired) {
  long seen = _InterlockedCompareExchange(&p->v, desired, *expected);
  if (seen == (long)*expected) return true;
  *expected = seen != 0;
  return false;
}

/* The 32-bit ones: int, unsigned and long are all 4 bytes on Windows. */
#define NT_ATOMIC32_(A, T)                                                   \
  typedef struct {                                                           \
    volatile T v;                                                            \
  } A;                                                                       \
  static inline T nt_load_##A(const A *p, memory_order mo) {                 \
    T v = p->v;                                                              \
    if (mo != memory_order_relaxed) NT_LOAD_FENCE_();                        \
    return v;                                                                \
  }                                                                          \
  static inline void nt_store_##A(A *p, T v, memory_order mo) {              \
    if (mo == memory_order_relaxed)                                          \
      p->v = v;                                                              \
    else                                                                     \
      (void)_InterlockedExchange((volatile long *)&p->v, (long)v);           \
  }                                                                          \
  static inline T nt_exchange_##A(A *p, T v) {                               \
    return (T)_InterlockedExchange((volatile long *)&p->v, (long)v);         \
  }                                                                          \
  static inline T nt_fetch_add_##A(A *p, T v) {                              \
    return (T)_InterlockedExchangeAdd((volatile long *)&p->v, (long)v);      \
  }                                                                          \
  static inline T nt_fetch_sub_##A(A *p, T v) {                              \
    return (T)_InterlockedExchangeAdd((volatile long *)&p->v,                \
                                      (long)(0ul - (unsigned long)v));       \
  }                                                                          \
  static inline bool nt_cas_##A(A *p, T *expected, T desired) {              \
    long seen = _InterlockedCompareExchange((volatile long *)&p->v,          \
                                            (long)desired, (long)*expected); \
    if (seen == (long)*expected) return true;                                \
    *expected = (T)seen;                                                     \
    return false;                                                            \
  }

NT_ATOMIC32_(atomic_int, int)
NT_ATOMIC32_(atomic_uint, unsigned)
NT_ATOMIC32_(atomic_long, long)

#ifdef _MSC_VER
#pragma warning(pop)
#endif

/* The function for the type p points to; a type with no such function
   (fetch_add on atomic_bool, or a type not defined here) does not
   compile. _Generic does not evaluate p. (clang-format mangles it.) */
/* clang-format off */
#define NT_ATOMIC_LOAD_(p)                                                   \
  _Generic((p), atomic_bool *: nt_load_atomic_bool,                          \
                const atomic_bool *: nt_load_atomic_bool,                    \
                atomic_int *: nt_load_atomic_int,                            \
                const atomic_int *: nt_load_atomic_int,                      \
                atomic_uint *: nt_load_atomic_uint,                          \
                const atomic_uint *: nt_load_atomic_uint,                    \
                atomic_long *: nt_load_atomic_long,                          \
                const atomic_long *: nt_load_atomic_long)
#define NT_ATOMIC_ANY_(op, p)                                                \
  _Generic((p), atomic_bool *: nt_##op##_atomic_bool,                        \
                atomic_int *: nt_##op##_atomic_int,                          \
                atomic_uint *: nt_##op##_atomic_uint,                        \
                atomic_long *: nt_##op##_atomic_long)
#define NT_ATOMIC_INT_(op, p)                                                \
  _Generic((p), atomic_int *: nt_##op##_atomic_int,                          \
                atomic_uint *: nt_##op##_atomic_uint,                        \
                atomic_long *: nt_##op##_atomic_long)
/* clang-format on */

#define atomic_load_explicit(p, mo) NT_ATOMIC_LOAD_(p)((p), (mo))
#define atomic_load(p) atomic_load_explicit((p), memory_order_seq_cst)
#define atomic_store_explicit(p, v, mo) NT_ATOMIC_ANY_(store, p)((p), (v), (mo))
#define atomic_store(p, v) atomic_store_explicit((p), (v), memory_order_seq_cst)
/* Before the object is shared: a plain store. */
#define atomic_init(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define atomic_exchange(p, v) NT_ATOMIC_ANY_(exchange, p)((p), (v))
#define atomic_compare_exchange_strong(p, expected, desired) \
  NT_ATOMIC_ANY_(cas, p)((p), (expected), (desired))
/* The Interlocked compare-exchange never fails spuriously. */
#define atomic_compare_exchange_weak(p, expected, desired) \
  atomic_compare_exchange_strong((p), (expected), (desired))
#define atomic_fetch_add(p, v) NT_ATOMIC_INT_(fetch_add, p)((p), (v))
#define atomic_fetch_sub(p, v) NT_ATOMIC_INT_(fetch_sub, p)((p), (v))

#endif /* NT_INTERLOCKED_ATOMICS */

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
   holder must then wake it; an adaptive mutex spins briefly first
   (docs/decisions.md, D11). Elsewhere: the default mutex. */
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
