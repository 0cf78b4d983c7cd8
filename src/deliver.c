/*
 * Delivery (schedule, promise), JS thread: consumes the handle, keeps the
 * callback or makes the promise, captures the async context, attaches the
 * signal and hands the task to the runners. Calls signal.c, task.c,
 * runner.c, env.c, output.c, errors.c.
 */
#include "internal.h"

static napi_status fail(napi_task t, napi_status status) {
  nt_task_drop_all(t);
  return status;
}

/* Element 0 of the env's holder (env.c): nothing else reaches the holder,
   so it is always the string "napi_task" (docs/decisions.md, D6). */
static napi_status default_name(nt_env *e, napi_value *name) {
  napi_value holder;
  napi_status s;
  if ((s = napi_get_reference_value(e->env, e->holder, &holder)) != napi_ok)
    return s;
  return napi_get_element(e->env, holder, 0, name);
}

/* The callback into the env's slots store, or the promise made. */
static napi_status keep_delivery(napi_task t, nt_delivery kind,
                                 napi_value callback, napi_value *promise) {
  nt_env *e = t->env;
  napi_env env = e->env;
  napi_valuetype type;
  napi_status s;

  if (kind == NT_DELIVER_PROMISE) {
    if (promise == NULL) return napi_invalid_arg;
    return napi_create_promise(env, &t->deferred, promise);
  }
  if (callback == NULL) return napi_invalid_arg;
  if ((s = napi_typeof(env, callback, &type)) != napi_ok) return s;
  if (type != napi_function) {
    nt_throw_type_error(env, "callback", "of type function", callback);
    return napi_function_expected;
  }
  return nt_slot_store(e, callback, &t->callback);
}

/* Callbacks, progress and call_js run in the delivery's async context;
   its resource is the promise, or a new object (D15). */
static napi_status async_context(napi_task t, napi_value resource) {
  napi_env env = t->env->env;
  napi_value name;
  napi_status s =
      t->x != NULL && t->x->name != NULL
          ? napi_create_string_utf8(env, t->x->name, NAPI_AUTO_LENGTH, &name)
          : default_name(t->env, &name);
  if (s != napi_ok) return s;
  return napi_async_init(env, resource, name, &t->async);
}

/* The signal fired already: AbortError on a later turn, no perform. */
static void settle_early(nt_env *e, napi_task t) {
  t->aborted = true;
  nt_task_drop_data(t);
  t->state = NT_SETTLING;
  nt_list_push(&e->settle_early, &t->link);
  nt_mutex_lock(&e->mu);
  nt_env_wake(e);
  nt_mutex_unlock(&e->mu);
}

/* Delivery failed after the promise was made: it is not handed out, so
   settle it quietly (its deferred freed, no unhandled rejection). */
static void forget_promise(napi_task t) {
  napi_env env = t->env->env;
  napi_value undefined = NULL;
  if (t->deferred == NULL) return;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, t->deferred, undefined);
  t->deferred = NULL;
}

/* Misuse: throws, unless an exception is pending already. */
static napi_status delivered_again(napi_task t) {
  napi_env env = t->env->env;
  bool pending = true;
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending)
    napi_throw_error(env, nt_error_code_string(NT_ERR_DELIVERED),
                     "napi-task: this task was already delivered");
  return napi_invalid_arg;
}

static napi_status deliver(napi_task t, nt_delivery kind, napi_value callback,
                           napi_value *promise) {
  bool aborted = false;
  napi_status s;

  if (t == NULL) return napi_invalid_arg;
  if (t->delivered) return delivered_again(t);
  /* Consumed from here, whatever happens. It stays on env->built while JS
     may run (async_hooks, signal getters): an 'exit' listener finds it. */
  t->delivered = true;
  s = nt_env_ended(t->env) ? napi_cancelled
                           : keep_delivery(t, kind, callback, promise);
  if (s != napi_ok) {
    nt_list_remove(&t->link);
    return fail(t, s);
  }
  t->delivery = (uint8_t)kind;
  s = async_context(t, kind == NT_DELIVER_PROMISE ? *promise : NULL);
  if (s == napi_ok && t->x != NULL && t->x->signal_ref != NULL)
    s = nt_signal_attach(t, &aborted);
  nt_list_remove(&t->link); /* off env->built */
  /* The env ended ('exit') meanwhile: nothing runs any more. */
  if (s == napi_ok && nt_env_ended(t->env)) s = napi_cancelled;
  if (s != napi_ok) {
    nt_signal_detach(t);
    forget_promise(t);
    return fail(t, s);
  }
  nt_env_retain(t->env);
  t->retained = true;
  if (aborted)
    settle_early(t->env, t);
  else
    nt_runner_deliver(t->env, t);
  return napi_ok;
}

napi_status napi_task_schedule(napi_task task, napi_value callback,
                               napi_value *result) {
  if (result != NULL) {
    *result = NULL;
    if (task != NULL) napi_get_undefined(task->env->env, result);
  }
  return deliver(task, NT_DELIVER_CALLBACK, callback, NULL);
}

napi_status napi_task_schedule_task(napi_task task, napi_value callback) {
  return deliver(task, NT_DELIVER_CALLBACK, callback, NULL);
}

napi_status napi_task_promise(napi_task task, napi_value *promise) {
  napi_status s;
  if (promise != NULL) *promise = NULL;
  s = deliver(task, NT_DELIVER_PROMISE, NULL, promise);
  if (s != napi_ok && promise != NULL) *promise = NULL;
  return s;
}
