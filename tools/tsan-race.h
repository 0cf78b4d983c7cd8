/*
 * Force-included (gcc -include) into the napi-task sources of the TSan
 * canary's "bad" build by `tools/sanitize.js tsan`: napi_task_progress()
 * then forgets to take the env mutex, so the threadpool pushes progress
 * items while the JS thread takes them. ThreadSanitizer must report that
 * data race and fail the run; if it does not, the TSan setup is broken and
 * tools/sanitize.js stops. src/ itself is not touched: only this build
 * sees the macros.
 */
#ifndef NAPI_TASK_TSAN_RACE_H_
#define NAPI_TASK_TSAN_RACE_H_

/* The real lock functions first (platform.h has an include guard, so the
   library's own include of it later is a no-op), then the macros that
   replace their calls. */
#include "../src/platform.h"
#include <string.h>

static inline void nt_canary_lock_(nt_mutex *m, const char *fn) {
  if (strcmp(fn, "napi_task_progress") != 0) nt_mutex_lock(m);
}

static inline void nt_canary_unlock_(nt_mutex *m, const char *fn) {
  if (strcmp(fn, "napi_task_progress") != 0) nt_mutex_unlock(m);
}

#define nt_mutex_lock(m) nt_canary_lock_((m), __func__)
#define nt_mutex_unlock(m) nt_canary_unlock_((m), __func__)

#endif
