/*
 * The old Task style (deprecated): thin wrappers that delegate to
 * napi_task_build and napi_task_schedule. Filled in by the legacy issue.
 */
#include "internal.h"

typedef int nt_legacy_placeholder;
