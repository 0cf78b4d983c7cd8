/*
 * The allocator (alloc.c), any thread. Its own header so that legacy.c,
 * which uses only the public API, needs nothing else of the internals.
 */
#ifndef NAPI_TASK_ALLOC_H_
#define NAPI_TASK_ALLOC_H_

#include "platform.h"

#include <stddef.h>

NT_HIDDEN void *nt_malloc(size_t n);
NT_HIDDEN void *nt_calloc(size_t count, size_t n);
NT_HIDDEN void *nt_realloc(void *p, size_t n);

#endif /* NAPI_TASK_ALLOC_H_ */
