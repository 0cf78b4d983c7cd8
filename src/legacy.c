/*
 * The deprecated styles (the old Task struct, the napi_create_async_work
 * adapter): wrappers over the public builder that use no internals but the
 * allocator. Exactly once: a heap record is the task's data, then its
 * output's; the library either calls its complete, which hands all to the
 * user's, or drops it once.
 */
#define NAPI_TASK_NO_DEPRECATION_WARNINGS
#include "alloc.h" /* first: it brings src/platform.h */

#include <stdlib.h>

#include "napi_task.h"

/* ---- the old Task style ---- */

typedef struct legacy_task {
  napi_task_legacy_class cls; /* copied: the caller's may not outlive us */
  void *self;
  void *output; /* set by cls.perform */
  void *error;  /* set by cls.perform */
} legacy_task;

/* Any thread: complete will not run. */
static void legacy_drop(void *data) {
  legacy_task *lt = data;
  if (lt->self != NULL && lt->cls.drop_self != NULL)
    lt->cls.drop_self(lt->self);
  if (lt->output != NULL && lt->cls.drop_output != NULL)
    lt->cls.drop_output(lt->output);
  if (lt->error != NULL && lt->cls.drop_error != NULL)
    lt->cls.drop_error(lt->error);
  free(lt);
}

/* JS thread. complete consumes self, output and error. */
static napi_value legacy_complete(napi_env env, void *data) {
  legacy_task lt = *(legacy_task *)data;
  free(data);
  return lt.cls.complete(env, lt.self, lt.output, lt.error);
}

/* Threadpool. perform borrows self; the record moves into the output. */
static napi_task_output legacy_perform(napi_task_ctx ctx, void *data) {
  legacy_task *lt = data;
  /* Cancelled: the output is dropped unseen, so skip the work. */
  if (!napi_task_cancelled(ctx))
    lt->cls.perform(lt->self, &lt->output, &lt->error);
  if (lt->output != NULL && lt->error != NULL) {
    /* complete is promised at most one of the two: the error wins. */
    if (lt->cls.drop_output != NULL) lt->cls.drop_output(lt->output);
    lt->output = NULL;
  }
  return napi_task_ok(legacy_complete, lt, legacy_drop);
}

napi_status napi_task_schedule_legacy(napi_env env,
                                      const napi_task_legacy_class *cls,
                                      void *self, napi_value callback) {
  legacy_task *lt;
  napi_task task;
  napi_status s;

  /* Without a class there is no drop_self: self stays the caller's. */
  if (cls == NULL) return napi_invalid_arg;
  if (cls->perform == NULL || cls->complete == NULL) {
    if (self != NULL && cls->drop_self != NULL) cls->drop_self(self);
    return napi_invalid_arg;
  }
  lt = nt_calloc(1, sizeof(*lt));
  if (lt == NULL) {
    if (self != NULL && cls->drop_self != NULL) cls->drop_self(self);
    return napi_generic_failure;
  }
  lt->cls = *cls;
  lt->self = self;
  /* The builder owns lt from here: a failure drops it (and self) once. */
  s = napi_task_build(env, legacy_perform, lt, legacy_drop, &task);
  if (s != napi_ok) return s;
  return napi_task_schedule(task, callback, NULL);
}

/* ---- the napi_create_async_work adapter ---- */

typedef struct async_work {
  napi_env env; /* passed to execute, as napi_async_work does */
  napi_async_execute_callback execute;
  napi_async_complete_callback complete;         /* or */
  napi_task_async_complete_value complete_value;
  void *data;
  napi_task_drop drop;
} async_work;

/* Any thread: complete will not run. */
static void async_work_drop(void *p) {
  async_work *aw = p;
  if (aw->data != NULL && aw->drop != NULL) aw->drop(aw->data);
  free(aw);
}

/* JS thread; consumes data. Aborted tasks never get here: always napi_ok. */
static napi_value async_work_complete(napi_env env, void *p) {
  async_work aw = *(async_work *)p;
  napi_value undefined = NULL;
  bool pending = false;

  free(p);
  if (aw.complete_value != NULL)
    return aw.complete_value(env, napi_ok, aw.data);
  aw.complete(env, napi_ok, aw.data);
  /* A raw complete returns nothing: undefined, or the exception it left. */
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending)
    return NULL;
  napi_get_undefined(env, &undefined);
  return undefined;
}

/* Threadpool. execute borrows data; the record moves into the output. */
static napi_task_output async_work_perform(napi_task_ctx ctx, void *p) {
  async_work *aw = p;
  if (!napi_task_cancelled(ctx)) aw->execute(aw->env, aw->data);
  return napi_task_ok(async_work_complete, aw, async_work_drop);
}

static napi_status build_async_work(napi_env env,
                                    napi_async_execute_callback execute,
                                    napi_async_complete_callback complete,
                                    napi_task_async_complete_value value,
                                    void *data, napi_task_drop drop,
                                    napi_task *result) {
  async_work *aw;

  if (result != NULL) *result = NULL;
  if (execute == NULL || (complete == NULL && value == NULL)) {
    if (data != NULL && drop != NULL) drop(data);
    return napi_invalid_arg;
  }
  aw = nt_malloc(sizeof(*aw));
  if (aw == NULL) {
    if (data != NULL && drop != NULL) drop(data);
    return napi_generic_failure;
  }
  aw->env = env;
  aw->execute = execute;
  aw->complete = complete;
  aw->complete_value = value;
  aw->data = data;
  aw->drop = drop;
  /* A NULL env or result: the builder drops aw, and so data. */
  return napi_task_build(env, async_work_perform, aw, async_work_drop, result);
}

napi_status napi_task_build_async_work(napi_env env,
                                       napi_async_execute_callback execute,
                                       napi_async_complete_callback complete,
                                       void *data, napi_task_drop drop,
                                       napi_task *result) {
  return build_async_work(env, execute, complete, NULL, data, drop, result);
}

napi_status napi_task_build_async_work_value(
    napi_env env, napi_async_execute_callback execute,
    napi_task_async_complete_value complete, void *data, napi_task_drop drop,
    napi_task *result) {
  return build_async_work(env, execute, NULL, complete, data, drop, result);
}
