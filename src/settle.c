/*
 * Settling: the batch, which takes what the threadpool finished off the
 * env and, on the JS thread, delivers progress, runs call_js requests and
 * settles tasks (the callback called, or the promise settled), one handle
 * scope and one callback scope for all of it (D8); and a runner's
 * completion, which settles (D9), pumps, or after the env's end hands
 * back to end.c. Loop thread. Calls end.c, calljs.c, progress.c,
 * signal.c, task.c, runner.c, env.c, output.c, errors.c.
 */
#include "internal.h"

/* args[0], args[1] = (err, value) for a node-style callback: (error,
   undefined) or (null, value), value undefined when no JS value could be
   made (still exactly two arguments). False when Node-API could not make
   them: the callback is then not called, rather than called with garbage
   (found by fault injection: a failed napi_get_null crashed V8). */
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

/* The result: the abort (listener), a call_js exception, or the output.
   *error is set for a failure, else *value (either may stay NULL when no
   JS value could be made). */
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

/* Callback delivery: call_callback(slot, err, value) calls callback(err,
   value) as a plain function (call_callback is an arrow function: the
   receiver napi_make_callback wants, an object, is itself). An exception
   thrown by the user's callback is an uncaught exception, as with any
   Node callback. */
static void call_back(napi_task t, napi_value call_callback,
                      napi_value error, napi_value value) {
  napi_env env = t->env->env;
  napi_value args[3], returned;
  napi_status s;

  if (napi_create_uint32(env, t->callback, &args[0]) != napi_ok ||
      !callback_args(env, error, value, &args[1]))
    return;
  /* Deno writes *result even when it is NULL: every out-parameter
     napi-task passes is a real one. */
  s = napi_make_callback(env, t->async, call_callback, call_callback, 3,
                         args, &returned);
  /* Only then surely taken: napi_pending_exception may also mean that
     JS could not run at all. Clearing it twice is harmless. */
  t->callback_taken = s == napi_ok;
  if (s == napi_pending_exception) nt_fatal_exception(env);
}

/* JS thread, in the batch: the callback runs or the promise settles, and
   the task is freed. */
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

/* mu held: takes the work, and counts out the `exited` runners whose
   completion settles in the same critical section. True when tasks wait
   in the backlog: they may get a runner once that runner is counted out.
   (A task delivered during the batch plans for itself in
   nt_runner_deliver, as does an abort that promotes a queue's task.) */
static bool take_work_locked(nt_env *e, unsigned exited) {
  nt_runner_count_out_locked(e, exited);
  nt_list_splice(&e->taken.done, &e->done);
  nt_calls_take_locked(e);
  nt_progress_take_locked(e);
  return !nt_list_empty(&e->backlog);
}

/* Whether a batch settles one callback task with a built-in value and
   does nothing else: it then needs no scope of its own, since no user code
   runs before napi_make_callback, which opens one in the task's context
   and drains the microtasks when it closes (D8). */
static bool lone_plain_callback(nt_env *e) {
  nt_link *done = &e->taken.done;
  napi_task t;
  if (!nt_list_empty(&e->taken.progress) || !nt_list_empty(&e->taken.calls) ||
      nt_list_empty(done) || done->next->next != done)
    return false;
  t = NT_CONTAINER(done->next, struct napi_task__, link);
  /* A signal's listener is removed (JS) when the task settles: keep that
     inside the batch's scope too. */
  return t->delivery == NT_DELIVER_CALLBACK && !t->aborted &&
         t->js_error == NT_NO_SLOT && (t->x == NULL || t->x->signal == NULL) &&
         t->output.kind_ != NAPI_TASK_OUT_COMPLETE_ &&
         !nt_output_is_error(&t->output);
}

/* The batch's callback scope, in the env's own async context (made on
   first use); NULL when it cannot be opened. */
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

/* The batch: everything the threadpool finished since the last turn, in
   one handle scope and one callback scope, so microtasks and
   process.nextTick run once per batch, not once per task. `exited` runners
   are counted out (a completion that settles). */
static void batch(nt_env *e, unsigned exited) {
  napi_env env = e->env;
  napi_handle_scope hs;
  napi_callback_scope cs;
  napi_value call_callback = NULL;
  nt_link *l;
  bool pump;

  /* Without a handle scope nothing can be settled: the work stays for a
     next turn, which this makes sure of (or for the env's end, which
     drops it). */
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

  /* In the order perform did things: progress reported before a question
     is seen before it, and all progress before the task settles. A
     callback that ends the env (the 'exit' listener empties env->taken)
     stops the batch. */
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
