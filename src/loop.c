/*
 * The top layer: every entry point of the loop (JS) thread that is not a
 * public call. The batch that settles what the threadpool finished (the
 * env's uv_async_t, and a runner's completion), the teardown that drops
 * what never ran (the async cleanup hook), the process's 'exit' listener,
 * and freeing the env record once nothing can touch it. Calls calls.c,
 * deliver.c, signal.c, task.c, runner.c, queue.c, env.c.
 */
#include "internal.h"

/* Loop thread, from nt_loop_on_exit and nt_loop_on_teardown, mu not held:
   drops every task of `dead`, each taken off its list (and its progress
   off env->progress) under mu by the caller. perform's data or the output
   is dropped, JS references are deleted, and no JS runs. */
static void drop_tasks(nt_env *e, nt_link *dead) {
  nt_link *l;
  napi_handle_scope hs;
  bool scoped;

  if (nt_list_empty(dead)) return;
  scoped = napi_open_handle_scope(e->env, &hs) == napi_ok;
  while ((l = nt_list_shift(dead)) != NULL) {
    napi_task t = NT_CONTAINER(l, struct napi_task__, link);
    nt_signal_detach(t);
    nt_task_drop_all(t);
  }
  if (scoped) napi_close_handle_scope(e->env, hs);
}

/* mu held, at the env's end: moves to `dead` every delivered task that is
   not running (waiting in a queue, ready, done, settling, or taken by a
   batch that will not settle it) and takes them off env->progress.
   Running tasks are in no list: their runner drops what they return
   (runner.c). */
static void take_unstarted_locked(nt_env *e, nt_link *dead) {
  nt_link *l;
  for (l = e->queues.next; l != &e->queues; l = l->next)
    nt_list_splice(dead,
                   &NT_CONTAINER(l, struct napi_task_queue__, env_link)
                        ->waiting);
  nt_list_splice(dead, &e->backlog);
  nt_list_splice(dead, &e->done);
  nt_list_splice(dead, &e->settle);
  nt_list_splice(dead, &e->taken.done);
  nt_progress_unlink_locked(dead);
}

/* JS thread: the process is exiting ('exit' event). In a worker the env's
   teardown follows as usual: perform sees napi_task_cancelled from here,
   call_js answers napi_cancelled, and runners take no new task. On the
   main thread no cleanup hook runs after process.exit() or an uncaught
   exception: Node joins the threadpool (uv_library_shutdown) and exits.
   So the env ends here, as at teardown: what has not run is dropped,
   running performs see napi_task_cancelled and their runner drops what
   they return, and every call_js request is answered, or the join would
   wait for ever. The listener may run inside the batch (an on_progress,
   call_js fn or callback that exits): the batch's taken work is in
   env->taken, and the batch stops once it sees `tearing_down`. A task
   built and not delivered keeps its record, its data dropped: its handle
   is the caller's until delivery (which then fails) or discard. */
napi_value nt_loop_on_exit(napi_env env, napi_callback_info info) {
  nt_env *e = NULL;
  nt_progress_item *pending;
  nt_link dead, *l;

  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&e);
  if (e == NULL || e->tearing_down) return NULL;
  nt_mutex_lock(&e->mu);
  atomic_store(&e->closing, true);
  nt_cond_broadcast(&e->cond);
  if (!e->main_thread) {
    /* process.exit() in a worker returns to fn (the isolate is terminated,
       fn goes on) and teardown follows: the request in fn is answered as
       usual when fn returns, and must not be answered before, or fn would
       write to a perform that has gone. */
    nt_mutex_unlock(&e->mu);
    return NULL;
  }
  e->tearing_down = true;
  e->torn_down = true; /* no send after this point; runners drop */
  nt_list_init(&dead);
  /* process.exit() inside a call_js fn: exit() never returns to fn, and
     it joins the thread that waits for the answer. */
  if (e->current_call != NULL) {
    e->current_call->status = napi_cancelled;
    e->current_call->done = true;
    e->current_call = NULL;
  }
  nt_calls_answer_taken_locked(e);
  take_unstarted_locked(e, &dead);
  pending = nt_progress_take_all_locked(e);
  nt_mutex_unlock(&e->mu);

  /* Before the tasks: an extra record of `dead` may be on taken.progress. */
  nt_progress_drop_taken(e);
  drop_tasks(e, &dead);
  nt_progress_free(pending);
  for (l = e->built.next; l != &e->built; l = l->next)
    nt_task_drop_data(NT_CONTAINER(l, struct napi_task__, link));
  return NULL;
}

/* mu held. `left` runners are counted out (env->left) in the same
   critical section. True when tasks wait in the backlog: they may get a
   runner once the batch has counted its runner out. (A task delivered
   during the batch plans for itself in nt_runner_deliver, as does an
   abort that promotes a queue's task.) */
static bool take_work_locked(nt_env *e, unsigned left) {
  e->left -= left;
  nt_list_splice(&e->taken.done, &e->done);
  nt_calls_take_locked(e);
  nt_progress_take_locked(e);
  return !nt_list_empty(&e->backlog);
}

/* Whether a batch settles one callback task with a built-in value and
   does nothing else: it then needs no scope of its own, since no user code
   runs before napi_make_callback, which opens one in the task's context
   and drains the microtasks when it closes, as raw Node-API's completion
   does (see docs/performance.md, "The batch's work on the JS thread"). */
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

/* Loop thread: the batch. Everything the threadpool finished since the last
   turn is settled here inside one handle scope and one callback scope
   (none for a lone plain callback task: lone_plain_callback), so
   microtasks and process.nextTick run once per batch, not once per task.
   `left` is how many runners to count out (a runner's completion that
   settles: its runner left without waking the loop). */
static void batch(nt_env *e, unsigned left) {
  napi_env env = e->env;
  napi_handle_scope hs;
  napi_callback_scope cs;
  napi_value call_callback = NULL;
  nt_link *l;
  bool pump;

  /* Without a handle scope nothing can be settled: leave the work where it
     is for the next turn, and make sure there is one (nothing else may wake
     the loop for it: found by fault injection, a task then never settled
     and held the process open), or for teardown, which drops it. */
  if (napi_open_handle_scope(env, &hs) != napi_ok) {
    nt_mutex_lock(&e->mu);
    e->left -= left;
    nt_env_wake(e);
    nt_mutex_unlock(&e->mu);
    return;
  }
  nt_mutex_lock(&e->mu);
  pump = take_work_locked(e, left);
  nt_mutex_unlock(&e->mu);
  nt_list_splice(&e->taken.done, &e->settle);
  cs = lone_plain_callback(e) ? NULL : open_batch_scope(e);

  /* In the order perform did things: progress it reported before asking
     JS is seen before the question (a perform waiting in call_js reports
     nothing more), and all progress before the task settles. A callback
     that ends the env (the 'exit' listener empties env->taken) stops the
     batch. */
  if (nt_progress_deliver_all(e) && nt_calls_run_all(e)) {
    if (!nt_list_empty(&e->taken.done))
      napi_get_reference_value(env, e->call_callback, &call_callback);
    while ((l = nt_list_shift(&e->taken.done)) != NULL)
      nt_task_settle(NT_CONTAINER(l, struct napi_task__, link),
                     call_callback);
  }

  if (cs != NULL) napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
  if (pump) nt_runner_pump(e);
}

void nt_loop_on_async(uv_async_t *handle) {
  batch(NT_CONTAINER(handle, nt_env, async), 0);
}

/* Loop thread: frees the record once nothing can touch it any more. */
static void maybe_finish(nt_env *e) {
  if (e->runners != 0 || !e->async_close_done || e->live != 0) return;
  nt_queues_orphan(e);
  nt_signal_free_kept(e);
  nt_env_free(e);
}

static void on_async_closed(uv_handle_t *handle) {
  nt_env *e = NT_CONTAINER(handle, nt_env, async);
  e->async_close_done = true;
  maybe_finish(e);
}

/* Loop thread, from Node's env cleanup: drop everything that has not
   started, let running performs finish (their outputs are then dropped),
   and hold teardown open until the last of them is back. */
void nt_loop_on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  nt_env *e = arg;
  nt_link dead;

  (void)handle;
  e->tearing_down = true;
  nt_list_init(&dead);
  nt_mutex_lock(&e->mu);
  atomic_store(&e->closing, true);
  e->torn_down = true; /* no send after this point; runners drop */
  /* Wake call_js waiters and runners: they see `closing`. Requests not yet
     taken by the JS thread are answered napi_cancelled by their waiter. */
  nt_cond_broadcast(&e->cond);
  nt_mutex_unlock(&e->mu);
  uv_close((uv_handle_t *)&e->async, on_async_closed);

  /* Every task that is not running now is dropped at once: built and never
     delivered, waiting, ready, done, settling. Each of them is in one of
     these lists; running ones are in none, and come back through their
     runner, which drops them (runner.c). Requests a batch took and never
     ran are answered (their performs wait for it). */
  nt_mutex_lock(&e->mu);
  nt_list_splice(&dead, &e->built);
  take_unstarted_locked(e, &dead);
  nt_calls_answer_taken_locked(e);
  nt_mutex_unlock(&e->mu);
  nt_progress_drop_taken(e);
  drop_tasks(e, &dead);
  maybe_finish(e);
}

/* Loop thread: a runner's completion (libuv's after_work). */
void nt_loop_runner_done(uv_work_t *req, int status) {
  bool settle;
  nt_env *e = nt_runner_retire(req, &settle);
  nt_link done;

  (void)status;
  if (!e->tearing_down) {
    if (settle)
      batch(e, 1); /* counts it out, settles, pumps */
    else
      nt_runner_pump(e);
    return;
  }
  /* Teardown: what this runner finished is dropped without calling JS. */
  nt_list_init(&done);
  nt_mutex_lock(&e->mu);
  nt_list_splice(&done, &e->done);
  nt_progress_unlink_locked(&done);
  nt_mutex_unlock(&e->mu);
  drop_tasks(e, &done);
  maybe_finish(e);
}
