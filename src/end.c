/*
 * The env's end, loop thread: a worker's teardown (the cleanup hook), the
 * 'exit' event (the main thread's end, D13), what runners bring back
 * afterwards, freeing the record. What has not run is dropped without JS.
 * Calls calljs.c, progress.c, signal.c, task.c, queue.c, env.c, output.c.
 */
#include "internal.h"

/* mu not held: the tasks of `dead` are already off every list. */
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

/* mu held: phase ENDED. Every delivered task not running goes to `dead`, and
   every call_js request the JS thread took is answered (a perform waits). */
static void end_locked(nt_env *e, nt_link *dead) {
  nt_link *l;
  nt_env_advance_locked(e, NT_ENV_ENDED);
  nt_cond_broadcast(&e->cond);
  for (l = e->queues.next; l != &e->queues; l = l->next)
    nt_list_splice(dead,
                   &NT_CONTAINER(l, struct napi_task_queue__, env_link)
                        ->waiting);
  nt_list_splice(dead, &e->backlog);
  nt_list_splice(dead, &e->done);
  nt_list_splice(dead, &e->settle_early);
  nt_list_splice(dead, &e->taken.done);
  nt_progress_unlink_locked(dead);
  if (e->current_call != NULL) { /* its fn called process.exit() */
    e->current_call->status = napi_cancelled;
    e->current_call->done = true;
    e->current_call = NULL;
  }
  nt_calls_answer_taken_locked(e);
}

/* The 'exit' event, which every way of ending the process emits. In a
   worker the env only closes: teardown follows. On the main thread the env
   ends here (D13), maybe inside the batch (D14); a task built and not
   delivered keeps its record (the caller's handle), its data dropped. */
napi_value nt_end_on_exit(napi_env env, napi_callback_info info) {
  nt_env *e = NULL;
  nt_link dead, *l;

  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&e);
  if (e == NULL || nt_env_ended(e)) return NULL;
  nt_mutex_lock(&e->mu);
  if (!e->main_thread) {
    nt_env_advance_locked(e, NT_ENV_CLOSING);
    nt_cond_broadcast(&e->cond);
    nt_mutex_unlock(&e->mu);
    return NULL;
  }
  nt_list_init(&dead);
  end_locked(e, &dead);
  nt_mutex_unlock(&e->mu);

  nt_progress_drop_taken(e); /* before the tasks whose extras it lists */
  drop_tasks(e, &dead);
  for (l = e->built.next; l != &e->built; l = l->next)
    nt_task_drop_data(NT_CONTAINER(l, struct napi_task__, link));
  return NULL;
}

/* Frees the record once no runner, task or handle is left. */
static void maybe_free(nt_env *e) {
  if (e->sched.runners != 0 || nt_env_phase(e) != NT_ENV_CLOSED ||
      e->tasks != 0)
    return;
  nt_queues_orphan(e);
  nt_signal_free_kept(e);
  nt_env_free(e);
}

static void on_async_closed(uv_handle_t *handle) {
  nt_env *e = NT_CONTAINER(handle, nt_env, async);
  nt_mutex_lock(&e->mu);
  nt_env_advance_locked(e, NT_ENV_CLOSED);
  nt_mutex_unlock(&e->mu);
  maybe_free(e);
}

/* Node's env cleanup: drops what has not started; running performs finish.
   The hook stays open until the record is freed (nt_env_free). */
void nt_end_on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  nt_env *e = arg;
  nt_link dead;

  (void)handle;
  nt_list_init(&dead);
  nt_mutex_lock(&e->mu);
  nt_list_splice(&dead, &e->built);
  end_locked(e, &dead);
  nt_env_advance_locked(e, NT_ENV_TORN_DOWN);
  nt_mutex_unlock(&e->mu);
  /* No send can race the close: nt_env_wake sends only before the end. */
  uv_close((uv_handle_t *)&e->async, on_async_closed);
  nt_progress_drop_taken(e);
  drop_tasks(e, &dead);
  maybe_free(e);
}

void nt_end_drop_finished(nt_env *e) {
  nt_link done;
  nt_list_init(&done);
  nt_mutex_lock(&e->mu);
  nt_list_splice(&done, &e->done);
  nt_list_splice(&done, &e->settle_early);
  nt_progress_unlink_locked(&done);
  nt_mutex_unlock(&e->mu);
  drop_tasks(e, &done);
  maybe_free(e);
}
