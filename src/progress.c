/*
 * Progress: napi_task_progress (threadpool) queues a value on its task; the
 * batch (JS thread) delivers them to on_progress in the task's async
 * context, before the task settles. Calls task.c, env.c, output.c, errors.c.
 */
#include "internal.h"

/* mu held: queues `item` on x's pending progress, and the task on
   env->progress. Returns the item it replaces (coalesce mode), or NULL. */
static nt_progress_item *push_progress_locked(nt_env *e, nt_task_extra *x,
                                              nt_progress_item *item) {
  nt_progress_item *old = NULL;
  if (x->progress_mode == NAPI_TASK_PROGRESS_COALESCE &&
      x->progress_head != NULL) {
    old = x->progress_head; /* at most one pending in this mode */
    x->progress_head = x->progress_tail = item;
  } else if (x->progress_tail != NULL) {
    x->progress_tail->next = item;
    x->progress_tail = item;
  } else {
    x->progress_head = x->progress_tail = item;
  }
  if (nt_list_empty(&x->progress_link))
    nt_list_push(&e->progress, &x->progress_link);
  return old;
}

napi_status napi_task_progress(napi_task_ctx ctx, napi_task_output value) {
  napi_task t = (napi_task)ctx;
  nt_env *e;
  nt_task_extra *x;
  nt_progress_item *item, *old;

  if (t == NULL) {
    nt_output_drop(&value);
    return napi_invalid_arg;
  }
  e = t->env;
  if (napi_task_cancelled(ctx)) {
    nt_output_drop(&value);
    return napi_cancelled;
  }
  /* x and on_progress are set before delivery and read-only afterwards. */
  x = t->x;
  if (x == NULL || x->on_progress == NULL) {
    nt_output_drop(&value);
    return napi_ok;
  }
  item = nt_malloc(sizeof(*item));
  if (item == NULL) {
    nt_output_drop(&value);
    return napi_generic_failure;
  }
  item->next = NULL;
  item->value = value;

  nt_mutex_lock(&e->mu);
  if (nt_env_phase(e) != NT_ENV_OPEN) {
    nt_mutex_unlock(&e->mu);
    nt_output_drop(&item->value);
    free(item);
    return napi_cancelled;
  }
  old = push_progress_locked(e, x, item);
  nt_env_wake(e);
  nt_mutex_unlock(&e->mu);
  if (old != NULL) {
    nt_output_drop(&old->value);
    free(old);
  }
  return napi_ok;
}

void nt_progress_take_locked(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_link);
    /* Hand the pending items to the JS side; a new item re-queues it. */
    nt_list_push(&e->taken.progress, &x->progress_js_link);
    x->progress_js = x->progress_head;
    x->progress_head = x->progress_tail = NULL;
  }
}

void nt_progress_unlink_locked(nt_link *tasks) {
  nt_link *l;
  for (l = tasks->next; l != tasks; l = l->next) {
    napi_task t = NT_CONTAINER(l, struct napi_task__, link);
    if (t->x != NULL) nt_list_remove(&t->x->progress_link);
  }
}

void nt_progress_drop_taken(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->taken.progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_js_link);
    nt_progress_free(x->progress_js);
    x->progress_js = NULL;
  }
}

/* JS thread, in the batch: takes x's values one at a time off
   x->progress_js, where the 'exit' listener can drop the rest. False once
   an on_progress call ended the env: x may be gone. */
static bool deliver_progress(nt_env *e, nt_task_extra *x) {
  napi_env env = e->env;
  napi_value cb = NULL, recv, value, error, returned;
  nt_progress_item *item;

  napi_get_global(env, &recv);
  if (x->on_progress != NULL)
    napi_get_reference_value(env, x->on_progress, &cb);
  while ((item = x->progress_js) != NULL) {
    x->progress_js = item->next;
    /* After abort() JS hears the AbortError next: the rest is dropped. */
    if (cb == NULL || x->task->aborted) {
      nt_output_drop(&item->value);
      free(item);
      continue;
    }
    /* An error output is passed as the Error itself. A complete may run
       JS that ends the env. */
    if (!nt_output_to_js(env, &item->value, &value, &error)) value = error;
    free(item);
    if (nt_env_ended(e)) return false;
    if (value != NULL &&
        napi_make_callback(env, x->task->async, recv, cb, 1, &value,
                           &returned) == napi_pending_exception)
      nt_fatal_exception(env);
    if (nt_env_ended(e)) return false;
  }
  return true;
}

bool nt_progress_deliver_all(nt_env *e) {
  nt_link *l;
  while ((l = e->taken.progress.next) != &e->taken.progress) {
    if (!deliver_progress(e, NT_CONTAINER(l, nt_task_extra, progress_js_link)))
      return false;
    nt_list_remove(l);
  }
  return true;
}
