/*
 * Force-included (gcc -include) into the napi-task sources of the canary's
 * "bad" build by `tools/sanitize.js asan`: the library then forgets to free
 * ONE allocation, the first non-NULL pointer src/task.c frees (a task's
 * name or the task record itself). LeakSanitizer must report it and fail the run;
 * if it does not, the sanitizer setup is broken and tools/sanitize.js stops.
 * src/ itself is not touched: only this build sees the macro.
 */
#ifndef NAPI_TASK_SANITIZE_LEAK_H_
#define NAPI_TASK_SANITIZE_LEAK_H_

/* The library's own headers expect this before the system headers. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdlib.h>
#include <string.h>

static int nt_canary_leaked_;

static inline void nt_canary_free_(void *p, const char *file) {
  if (p != NULL && !nt_canary_leaked_ && strstr(file, "src/task.c") != NULL) {
    nt_canary_leaked_ = 1; /* leak it: never freed, soon unreachable */
    return;
  }
  free(p);
}

/* Only calls are redirected; `free` used as a value (a drop function)
   stays the real free. */
#define free(p) nt_canary_free_((p), __FILE__)

#endif
