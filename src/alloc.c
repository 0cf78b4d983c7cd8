/*
 * Every allocation of the library, any thread; free() what they return.
 * Not inline, so the fault build (tools/faults.js) can wrap them at link
 * time and fail the Nth.
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
