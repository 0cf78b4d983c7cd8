/*
 * Every allocation the library makes goes through these three: one place
 * to see (or change) how napi-task allocates. They are plain C allocator
 * calls; what they return is released with free(). They are functions of
 * their own file, not inline, so that the fault-injection build
 * (tools/faults.js) can wrap them at link time (-Wl,--wrap) and make the
 * Nth allocation fail, as an out-of-memory would. Any thread.
 */
#include "internal.h"

void *nt_malloc(size_t n) {
  return malloc(n);
}

void *nt_calloc(size_t count, size_t n) {
  return calloc(count, n);
}

void *nt_realloc(void *p, size_t n) {
  return realloc(p, n);
}
