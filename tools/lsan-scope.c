/*
 * Preloaded by tools/sanitize.js after libasan and libubsan. LeakSanitizer
 * asks __lsan_is_turned_off() at exit whether to run its leak check; this
 * answers "skip" in processes that never loaded a module built by the
 * sanitizer run (a path under one of the colon-separated prefixes in
 * $NAPI_TASK_LSAN_SCOPE), and "check" in every process that did.
 *
 * Why: LD_PRELOAD reaches every process the tests start (npm, node-gyp,
 * python, make, gcc), and node itself leaves V8 heap pages and other
 * allocations behind when a process ends with process.exit() (npm does).
 * Those leaks are not ours and cannot involve our code, which a process
 * runs only after loading it; checking them would bury the report (or
 * overflow a test's pipe) and fail unrelated tests. Memory errors (ASan)
 * and undefined behaviour (UBSan) are still reported in every process.
 * With NAPI_TASK_LSAN_SCOPE unset or empty every process is checked.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdlib.h>
#include <string.h>

/* Is this module's path under one of the colon-separated prefixes? */
static int loaded_from(struct dl_phdr_info *info, size_t size, void *scope) {
  const char *p = scope, *end;
  (void)size;
  if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') return 0;
  for (; *p != '\0'; p = *end ? end + 1 : end) {
    size_t n;
    end = strchr(p, ':');
    if (end == NULL) end = p + strlen(p);
    n = (size_t)(end - p);
    if (n > 0 && strncmp(info->dlpi_name, p, n) == 0) return 1;
  }
  return 0;
}

int __lsan_is_turned_off(void) {
  const char *scope = getenv("NAPI_TASK_LSAN_SCOPE");
  if (scope == NULL || scope[0] == '\0') return 0;
  return dl_iterate_phdr(loaded_from, (void *)scope) ? 0 : 1;
}
