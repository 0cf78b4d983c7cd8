/*
 * Settling, loop thread: the batch delivers progress, runs call_js requests
 * and settles tasks in one handle and one callback scope (docs/decisions.md,
 * D8); a runner's completion settles (D9), pumps, or after the env's end
 * hands back to end.c. Calls end.c, calljs.c, progress.c, signal.c, task.c,
 * runner.c, env.c, output.c, errors.c.
 */
#include "internal.h"

/* (err, value); false when Node-API failed: better no call than garbage. */
static bool callback_args(napi_env env, napi_value error, napi_value value,
                          napi_value *args) {
  if (error != NULL) {
    args[0] = error;
    return napi_get_undefined(env, &args[1]) == napi_ok;
  }
  args[1] = value;
  return napi_get_null(env, &args[0]) == napi_ok &&
         (value != NULL || napi_get_undefined(env, &args[1]) == napi_ok);
}

/* The abort, else a call_js exception, else the output (may stay NULL). */
static void settle_result(napi_task t, napi_value *value, napi_value *error) {
  napi_env env = t->env->env;
  napi_value slots;

  if (t->aborted) {
    nt_output_drop(&t->output);
    *error = nt_make_abort_error(env, nt_signal_reason(t));
  } else if (t->js_error != NT_NO_SLOT && !nt_output_is_error(&t->output)) {
    nt_output_drop(&t->output);
    if (napi_get_reference_value(env, t->env->slots, &slots) == napi_ok)
      napi_get_element(env, slots, t->js_error, error);
  } else {
    nt_output_to_js(env, &t->output, value, error);
  }
}

/* call_callback, its own receiver (D18), calls the callback as a plain
   function; a throwing callback is an uncaught exception, as in Node. */
static void call_back(napi_task t, napi_value call_callback,
                      napi_value error, napi_value value) {
  napi_env env = t->env->env;
  napi_value args[3], returned;
  napi_status s;

  if (napi_create_uint32(env, t->callback, &args[0]) != napi_ok ||
      !callback_args(env, error, value, &args[1]))
    return;
  /* Deno writes *result even when it is NULL: pass a real one. */
  s = napi_make_callback(env, t->async, call_callback, call_callback, 3,
                         args, &returned);
  /* Only then surely taken: napi_pending_exception may also mean that
     JS could not run at all. Clearing it twice is harmless. */
  t->callback_taken = s == napi_ok;
  if (s == napi_pending_exception) nt_fatal_exception(env);
}

/* JS thread, in the batch; frees t. */
static void settle(napi_task t, napi_value call_callback) {
  napi_env env = t->env->env;
  napi_value value = NULL, error = NULL;

  t->state = NT_SETTLING;
  settle_result(t, &value, &error);
  if (t->delivery == NT_DELIVER_PROMISE) {
    if (error != NULL)
      napi_reject_deferred(env, t->deferred, error);
    else
      napi_resolve_deferred(env, t->deferred, value);
    t->deferred = NULL;
  } else if (call_callback != NULL) {
    call_back(t, call_callback, error, value);
  }
  nt_signal_detach(t);
  nt_task_free(t);
}

/* mu held: takes the work and counts out the `exited` runners. True when
   tasks waited in the backlog as the batch began (D17). */
static bool take_work_locked(nt_env *e, unsigned exited) {
  nt_runner_count_out_locked(e, exited);
  nt_list_splice(&e->taken.done, &e->done);
  nt_calls_take_locked(e);
  nt_progress_take_locked(e);
  return !nt_list_empty(&e->backlog);
}

/* A batch that settles one callback task with a built-in value and does
   nothing else needs no callback scope of its own (D8). */
static bool lone_plain_callback(nt_env *e) {
  nt_link *done = &e->taken.done;
  napi_task t;
  if (!nt_list_empty(&e->taken.progress) || !nt_list_empty(&e->taken.calls) ||
      nt_list_empty(done) || done->next->next != done)
    return false;
  t = NT_CONTAINER(done->next, struct napi_task__, link);
  /* Settling removes a signal's listener (JS): keep the batch's scope. */
  return t->delivery == NT_DELIVER_CALLBACK && !t->aborted &&
         t->js_error == NT_NO_SLOT && (t->x == NULL || t->x->signal == NULL) &&
         t->output.kind_ != NAPI_TASK_OUT_COMPLETE_ &&
         !nt_output_is_error(&t->output);
}

/* In the env's own async context, made on first use; NULL on failure. */
static napi_callback_scope open_batch_scope(nt_env *e) {
  napi_env env = e->env;
  napi_value holder = NULL, name;
  napi_callback_scope cs = NULL;

  if (napi_get_reference_value(env, e->holder, &holder) != napi_ok ||
      holder == NULL)
    return NULL;
  if (e->batch == NULL &&
      napi_create_string_utf8(env, "napi_task", NAPI_AUTO_LENGTH, &name) ==
          napi_ok)
    napi_async_init(env, holder, name, &e->batch);
  if (e->batch != NULL &&
      napi_open_callback_scope(env, holder, e->batch, &cs) != napi_ok)
    cs = NULL;
  return cs;
}

/* The batch (D8); counts out `exited` runners, whose completion settles. */
static void batch(nt_env *e, unsigned exited) {
  napi_env env = e->env;
  napi_handle_scope hs;
  napi_callback_scope cs;
  napi_value call_callback = NULL;
  nt_link *l;
  bool pump;

  /* Without a handle scope nothing settles: the work waits for the next
     turn, which this makes sure of, or for the env's end. */
  if (napi_open_handle_scope(env, &hs) != napi_ok) {
    nt_mutex_lock(&e->mu);
    nt_runner_count_out_locked(e, exited);
    nt_env_wake(e);
    nt_mutex_unlock(&e->mu);
    return;
  }
  nt_mutex_lock(&e->mu);
  pump = take_work_locked(e, exited);
  nt_mutex_unlock(&e->mu);
  nt_list_splice(&e->taken.done, &e->settle_early);
  cs = lone_plain_callback(e) ? NULL : open_batch_scope(e);

  /* In perform's order: progress before the call_js request it preceded,
     all progress before the task settles. A callback that ends the env
     (the 'exit' listener empties env->taken) stops the batch. */
  if (nt_progress_deliver_all(e) && nt_calls_run_all(e)) {
    if (!nt_list_empty(&e->taken.done))
      napi_get_reference_value(env, e->call_callback, &call_callback);
    while ((l = nt_list_shift(&e->taken.done)) != NULL)
      settle(NT_CONTAINER(l, struct napi_task__, link), call_callback);
  }

  if (cs != NULL) napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
  if (pump) nt_runner_pump(e);
}

void nt_settle_on_async(uv_async_t *handle) {
  nt_env *e = NT_CONTAINER(handle, nt_env, async);
  if (nt_env_ended(e))
    nt_end_drop_finished(e); /* the process went on after 'exit' */
  else
    batch(e, 0);
}

void nt_settle_runner_done(uv_work_t *req, int status) {
  bool settles;
  nt_env *e = nt_runner_retire(req, &settles);

  (void)status;
  if (nt_env_ended(e))
    nt_end_drop_finished(e);
  else if (settles)
    batch(e, 1); /* counts it out, settles, pumps */
  else
    nt_runner_pump(e);
}
