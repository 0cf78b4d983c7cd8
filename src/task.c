/*
 * The task record, JS thread: build, name and progress options, abort and
 * napi_task_cancelled (any thread), and a task's end (discard, drop,
 * free). A task on a signal is detached before nt_task_free by whoever
 * frees it: settle.c or end.c. Calls runner.c, queue.c, env.c, output.c,
 * errors.c.
 */
#include "internal.h"

napi_status napi_task_build(napi_env env, napi_task_perform perform,
                            void *data, napi_task_drop drop,
                            napi_task *result) {
  nt_env *e;
  napi_task t;

  if (result != NULL) *result = NULL;
  if (env == NULL || perform == NULL || result == NULL) goto invalid;
  e = nt_env_get(env);
  t = e != NULL ? nt_calloc(1, sizeof(*t)) : NULL;
  if (t == NULL) {
    if (drop != NULL && data != NULL) drop(data);
    return napi_generic_failure;
  }
  t->env = e;
  t->perform = perform;
  t->data = data;
  t->drop = drop;
  t->state = NT_BUILT;
  t->callback = t->js_error = NT_NO_SLOT;
  atomic_init(&t->cancelled, false);
  nt_list_push(&e->built, &t->link);
  e->tasks++;
  *result = t;
  return napi_ok;

invalid:
  /* A failed call still drops what it was given. */
  if (drop != NULL && data != NULL) drop(data);
  return napi_invalid_arg;
}

nt_task_extra *nt_task_extra_make(napi_task t) {
  nt_task_extra *x = t->x;
  if (x != NULL) return x;
  if ((x = nt_calloc(1, sizeof(*x))) == NULL) return NULL;
  x->task = t;
  nt_list_init(&x->progress_link);
  nt_list_init(&x->progress_js_link);
  nt_list_init(&x->signal_link);
  t->x = x;
  return x;
}

napi_status napi_task_set_name(napi_task task, const char *name) {
  nt_task_extra *x;
  char *copy;
  if (task == NULL || name == NULL || task->delivered)
    return napi_invalid_arg;
  if ((x = nt_task_extra_make(task)) == NULL ||
      (copy = nt_strdup(name)) == NULL)
    return napi_generic_failure;
  free(x->name);
  x->name = copy;
  return napi_ok;
}

napi_status napi_task_set_progress(napi_task task, napi_value on_progress,
                                   napi_task_progress_mode mode) {
  nt_task_extra *x;
  napi_env env;
  napi_valuetype type;
  napi_status s;

  if (task == NULL || on_progress == NULL || task->delivered ||
      (mode != NAPI_TASK_PROGRESS_COALESCE && mode != NAPI_TASK_PROGRESS_QUEUE))
    return napi_invalid_arg;
  env = task->env->env;
  s = napi_typeof(env, on_progress, &type);
  if (s != napi_ok) return s;
  if (type != napi_function) {
    nt_throw_type_error(env, "onProgress", "of type function", on_progress);
    return napi_function_expected;
  }
  if ((x = nt_task_extra_make(task)) == NULL) return napi_generic_failure;
  s = nt_ref_replace(env, &x->on_progress, on_progress);
  if (s == napi_ok) x->progress_mode = mode;
  return s;
}

bool napi_task_cancelled(napi_task_ctx ctx) {
  napi_task t = (napi_task)ctx;
  if (t == NULL) return false;
  return atomic_load(&t->cancelled) || nt_env_phase(t->env) != NT_ENV_OPEN;
}

/* JS thread: the signal fired (signal.c's listener). */
void nt_task_abort(napi_task t) {
  nt_env *e = t->env;
  bool early = false;

  if (t->aborted) return;
  t->aborted = true;
  atomic_store(&t->cancelled, true);
  nt_mutex_lock(&e->mu);
  switch (t->state) {
    case NT_WAITING:
    case NT_READY:
      /* Not started: it never will. Settle on the next turn. */
      nt_dequeue_locked(e, t);
      t->state = NT_SETTLING;
      early = true;
      nt_env_wake(e);
      break;
    case NT_RUNNING:
      /* Wake a call_js wait: it returns napi_cancelled. */
      nt_cond_broadcast(&e->cond);
      break;
    default:
      /* DONE or SETTLING: settle drops the output for the AbortError. */
      break;
  }
  nt_mutex_unlock(&e->mu);
  if (!early) return;
  nt_task_drop_data(t);
  nt_list_push(&e->settle_early, &t->link);
  nt_runner_pump(e); /* the queue may have promoted a waiting task */
}

static void extra_free(napi_task t) {
  nt_task_extra *x = t->x;
  napi_env env = t->env->env;
  nt_ref_delete(env, &x->signal_ref);
  nt_ref_delete(env, &x->on_progress);
  free(x->name);
  free(x);
  t->x = NULL;
}

void nt_task_free(napi_task t) {
  nt_env *e = t->env;
  napi_env env = e->env;

  nt_list_remove(&t->link);
  if (t->x != NULL) extra_free(t);
  if (t->callback != NT_NO_SLOT)
    nt_slot_release(e, t->callback, t->callback_taken);
  if (t->js_error != NT_NO_SLOT) nt_slot_release(e, t->js_error, false);
  if (t->async != NULL && !nt_env_no_handles(e))
    napi_async_destroy(env, t->async);
  if (t->queue != NULL) nt_queue_unref(t->queue);
  if (t->retained) nt_env_release(e);
  e->tasks--;
  free(t);
}

void nt_task_drop_all(napi_task t) {
  /* perform ran: its output is dropped (an undefined one, owning nothing,
     if the data was dropped instead); it never ran: its data is. */
  if (t->state == NT_DONE || t->state == NT_SETTLING)
    nt_output_drop(&t->output);
  else
    nt_task_drop_data(t);
  if (t->x != NULL) {
    nt_progress_free(t->x->progress_head);
    nt_progress_free(t->x->progress_js);
    t->x->progress_head = t->x->progress_tail = t->x->progress_js = NULL;
  }
  /* A pending promise cannot be settled without JS; Node frees its
     persistent with the isolate. */
  nt_task_free(t);
}

void napi_task_discard(napi_task task) {
  if (task == NULL || task->delivered) return;
  nt_task_drop_all(task);
}
