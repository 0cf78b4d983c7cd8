/*
 * call_js: a perform (threadpool) queues a request on the env and waits;
 * the batch (JS thread) runs its fn in the task's async context and
 * answers. Until taken, a cancelled task's waiter withdraws it; once
 * taken, the batch or the env's end answers. Calls task.c, env.c, errors.c.
 */
#include "internal.h"

/* JS thread, through napi_make_callback (the task's async context);
   argv[0] is an external holding the request. */
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
  /* fn ended the env ('exit'): c is answered, and may be gone. */
  if (e->current_call != c) return NULL;
  c->status = status;
  if (nt_take_exception(env, &exc)) {
    c->status = napi_pending_exception;
    /* The first becomes the task's error; the slots store, unlike a
       Node-API 8 reference, holds a primitive too (`throw 42`). */
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

  /* Aborted, or the env closing, before its waiter withdrew it: no fn. */
  if (napi_task_cancelled((napi_task_ctx)c->task)) {
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
      /* Unless fn runs, perform hears napi_cancelled (a worker terminated
         during this batch cannot call into JS). */
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
      }
    }
    napi_close_handle_scope(env, hs);
  }
  nt_mutex_lock(&e->mu);
  c->done = true;
  nt_cond_broadcast(&e->cond);
  nt_mutex_unlock(&e->mu);
  /* Answered first: an uncaught exception may end the process, whose join
     would wait for this request's perform. c may be gone from here. */
  if (s == napi_pending_exception) nt_fatal_exception(env);
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
    if (nt_env_ended(e)) return false;
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
      /* Withdrawn until taken; once taken it must be waited for (run_call
         answers napi_cancelled if it sees the abort). */
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
