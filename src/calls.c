/*
 * What perform can do while it runs, each with its JS-thread half: ask
 * whether it is cancelled; report progress (napi_task_progress on the
 * threadpool; taken off the env and delivered to on_progress in the
 * batch); call into JS (napi_task_call_js waits on the threadpool; the
 * batch runs fn and answers). Calls env.c, output.c, errors.c.
 */
#include "internal.h"

bool napi_task_cancelled(napi_task_ctx ctx) {
  napi_task t = (napi_task)ctx;
  if (t == NULL) return false;
  return atomic_load(&t->cancelled) || atomic_load(&t->env->closing);
}

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
  if (atomic_load(&e->closing)) {
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

nt_progress_item *nt_progress_take_all_locked(nt_env *e) {
  nt_progress_item *all = NULL, *tail;
  nt_link *l;
  while ((l = nt_list_shift(&e->progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_link);
    if ((tail = x->progress_tail) != NULL) {
      tail->next = all;
      all = x->progress_head;
    }
    x->progress_head = x->progress_tail = NULL;
  }
  return all;
}

void nt_progress_drop_taken(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->taken.progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_js_link);
    nt_progress_free(x->progress_js);
    x->progress_js = NULL;
  }
}

/* JS thread, in the batch: delivers x's taken progress values one at a
   time off x->progress_js, where the 'exit' listener can drop the rest.
   False when an on_progress call ended the env (the listener ran): x may
   be gone then. */
static bool deliver_progress(nt_env *e, nt_task_extra *x) {
  napi_env env = e->env;
  napi_value cb = NULL, recv, value, error, returned;
  nt_progress_item *item;

  napi_get_global(env, &recv);
  if (x->on_progress != NULL)
    napi_get_reference_value(env, x->on_progress, &cb);
  while ((item = x->progress_js) != NULL) {
    x->progress_js = item->next;
    /* After abort() the next thing JS hears is the AbortError: values
       still pending then (or when an on_progress call aborts) are
       dropped, not delivered. */
    if (cb == NULL || x->task->aborted) {
      nt_output_drop(&item->value);
      free(item);
      continue;
    }
    /* A progress error output is passed as the Error object itself. */
    if (!nt_output_to_js(env, &item->value, &value, &error)) value = error;
    free(item);
    if (value != NULL &&
        napi_make_callback(env, x->task->async, recv, cb, 1, &value,
                           &returned) == napi_pending_exception)
      nt_fatal_exception(env);
    if (e->tearing_down) return false;
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

/* JS thread, called through napi_make_callback so that fn runs in the
   task's async context. argv[0] is an external holding the request. */
static napi_value call_trampoline(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], exc, none = NULL; /* NULL: undefined to JS */
  nt_call *c;
  nt_env *e;
  napi_task t;
  napi_status status;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&e) !=
          napi_ok ||
      napi_get_value_external(env, argv[0], (void **)&c) != napi_ok)
    return NULL;
  t = c->task;
  status = c->fn(env, c->data);
  /* fn called process.exit() (or emitted 'exit'): the exit listener has
     answered this request and perform may be gone with it; touch nothing
     of it (loop.c, nt_loop_on_exit). */
  if (e->current_call != c) return NULL;
  c->status = status;
  if (nt_take_exception(env, &exc)) {
    c->status = napi_pending_exception;
    /* The first exception becomes the task's error. It is kept in the
       env's slots store, which, unlike a reference at Node-API 8, also
       holds a primitive (`throw 42`). */
    if (t->js_error == NT_NO_SLOT) nt_slot_store(e, exc, &t->js_error);
  }
  napi_get_undefined(env, &none);
  return none;
}

/* JS thread, in the batch: runs one call_js request and answers it. */
static void run_call(nt_env *e, nt_call *c) {
  napi_env env = e->env;
  napi_value holder, fn, ext, recv, returned;
  napi_handle_scope hs;
  napi_status s = napi_generic_failure;

  /* The task may have been aborted after its request was queued (by the
     JS that ran before this batch, or earlier in it): its waiter may not
     have woken yet to withdraw the request. fn must not run then. */
  if (atomic_load(&c->task->cancelled)) {
    c->status = napi_cancelled;
  } else if (napi_open_handle_scope(env, &hs) == napi_ok) {
    if (napi_get_reference_value(env, e->holder, &holder) == napi_ok &&
        napi_get_named_property(env, holder, "callJs", &fn) == napi_ok) {
      napi_valuetype type = napi_undefined;
      napi_typeof(env, fn, &type);
      if (type != napi_function &&
          napi_create_function(env, "napiTaskCallJs", NAPI_AUTO_LENGTH,
                               call_trampoline, e, &fn) == napi_ok)
        napi_set_named_property(env, holder, "callJs", fn);
      /* Unless fn runs (the trampoline then sets its status), perform
         hears napi_cancelled: e.g. a worker terminated during this batch
         cannot call into JS any more. */
      c->status = napi_cancelled;
      if (napi_create_external(env, c, NULL, NULL, &ext) == napi_ok &&
          napi_get_global(env, &recv) == napi_ok) {
        e->current_call = c;
        s = napi_make_callback(env, c->task->async, recv, fn, 1, &ext,
                               &returned);
        if (e->current_call != c) { /* answered by the exit listener */
          napi_close_handle_scope(env, hs);
          return;
        }
        e->current_call = NULL;
        if (s == napi_pending_exception) nt_fatal_exception(env);
      }
    }
    napi_close_handle_scope(env, hs);
  }
  nt_mutex_lock(&e->mu);
  c->done = true;
  nt_cond_broadcast(&e->cond);
  nt_mutex_unlock(&e->mu);
}

void nt_calls_take_locked(nt_env *e) {
  nt_link *l;
  for (l = e->calls.next; l != &e->calls; l = l->next)
    NT_CONTAINER(l, nt_call, link)->taken = true;
  nt_list_splice(&e->taken.calls, &e->calls);
}

void nt_calls_answer_taken_locked(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->taken.calls)) != NULL) {
    nt_call *c = NT_CONTAINER(l, nt_call, link);
    c->status = napi_cancelled;
    c->done = true;
  }
  nt_cond_broadcast(&e->cond);
}

bool nt_calls_run_all(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->taken.calls)) != NULL) {
    run_call(e, NT_CONTAINER(l, nt_call, link));
    if (e->tearing_down) return false;
  }
  return true;
}

napi_status napi_task_call_js(napi_task_ctx ctx, napi_task_js_fn fn,
                              void *data) {
  napi_task t = (napi_task)ctx;
  nt_env *e;
  nt_call c;

  if (t == NULL || fn == NULL) return napi_invalid_arg;
  e = t->env;
  memset(&c, 0, sizeof(c));
  c.task = t;
  c.fn = fn;
  c.data = data;
  c.status = napi_cancelled;
  nt_list_init(&c.link);

  nt_mutex_lock(&e->mu);
  if (!napi_task_cancelled(ctx)) {
    nt_list_push(&e->calls, &c.link);
    nt_env_wake(e);
    while (!c.done) {
      /* Until the JS thread has taken the request it can be withdrawn;
         once taken it must be waited for: fn runs, or run_call sees
         the abort and answers napi_cancelled. */
      if (!c.taken && napi_task_cancelled(ctx)) {
        nt_list_remove(&c.link);
        c.status = napi_cancelled;
        break;
      }
      nt_cond_wait(&e->cond, &e->mu);
    }
  }
  nt_mutex_unlock(&e->mu);
  return c.status;
}
