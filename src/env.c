/*
 * Per-env bookkeeping: finding an env's record without the addon's
 * instance-data slot, the loop-side batch that settles tasks, and teardown.
 */
#include "internal.h"

#include <stdio.h>

/* The only global mutable state: the list of live env records, for
   napi_env -> nt_env. Protected by g_mu. Each JS thread caches its last
   hit in t_cache, so the lock is taken once per env per thread in the
   common case. */
static nt_once_t g_once = NT_ONCE_INIT;
static nt_mutex g_mu;
static nt_link g_envs;
static NT_THREAD_LOCAL nt_env *t_cache;

static void g_init(void) {
  if (nt_mutex_init(&g_mu) != 0) abort();
  nt_list_init(&g_envs);
}

/* libuv's threadpool size, as libuv computes it (threadpool.c). */
static unsigned pool_size(void) {
  const char *v = getenv("UV_THREADPOOL_SIZE");
  long n = v != NULL ? strtol(v, NULL, 10) : 4;
  if (n < 1) n = 1;
  if (n > 1024) n = 1024;
  return (unsigned)n;
}

static void on_async(uv_async_t *handle);
static void on_teardown(napi_async_cleanup_hook_handle handle, void *arg);

/* JS thread: the process is exiting ('exit' event). On the main thread
   process.exit() runs no cleanup hook: it joins the threadpool
   (uv_library_shutdown) and exits. A perform waiting in call_js would hang
   that join, and every runner would go on taking tasks from the backlog.
   So from here perform sees napi_task_cancelled, call_js answers
   napi_cancelled, and runners take no new task. In a worker, the env's
   teardown follows as usual. */
static napi_value on_exit(napi_env env, napi_callback_info info) {
  nt_env *e = NULL;
  napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&e);
  if (e == NULL) return NULL;
  nt_mutex_lock(&e->mu);
  atomic_store(&e->closing, true);
  /* process.exit() inside a call_js fn, on the main thread: exit() never
     returns to fn, and it joins the thread that waits for the answer.
     Answer it now; the JS side leaves the request alone from here on. In a
     worker, process.exit() does return (the isolate is terminated, fn goes
     on) and the env's teardown follows: the request is answered as usual
     when fn returns, and must not be answered before, or fn would write to
     a perform that has gone. */
  if (e->current_call != NULL && e->main_thread) {
    e->current_call->status = napi_cancelled;
    e->current_call->done = true;
    e->current_call = NULL;
  }
  nt_cond_broadcast(&e->cond);
  nt_mutex_unlock(&e->mu);
  return NULL;
}

/* process.on('exit', on_exit), once per env record. */
static napi_status listen_exit(nt_env *e) {
  napi_env env = e->env;
  napi_value global, process, on, argv[2], returned;
  napi_status s;
  if ((s = napi_get_global(env, &global)) != napi_ok ||
      (s = napi_get_named_property(env, global, "process", &process)) !=
          napi_ok ||
      (s = napi_get_named_property(env, process, "on", &on)) != napi_ok ||
      (s = napi_create_string_utf8(env, "exit", NAPI_AUTO_LENGTH, &argv[0])) !=
          napi_ok ||
      (s = napi_create_function(env, "napiTaskExit", NAPI_AUTO_LENGTH,
                                on_exit, e, &argv[1])) != napi_ok)
    return s;
  return napi_call_function(env, process, on, 2, argv, &returned);
}

/* The env's JS objects, made by one small script: the holder (cached
   strings and functions, see env->holder), the slots store (env->slots)
   and the function that settles a callback task. That function takes the
   callback out of the store and calls it, in JS, where reading and
   clearing an element costs a few instructions instead of two Node-API
   element accesses (about 1,000 instructions per task). Holder and store
   have no prototype, so no accessor that user code puts on
   Object.prototype or Array.prototype can see or divert what they hold,
   and the function uses no global (Reflect, Function.prototype.call) that
   user code could have replaced: the callback is called as a plain
   function, callback(err, value). The fourth element says whether this is
   the main thread (worker_threads.isMainThread), or undefined where the
   runtime cannot say (no process.getBuiltinModule before Node 20.16). The
   fifth, whether this is Deno, which runs async cleanup hooks with no
   HandleScope while its napi_async_destroy makes a handle (env->
   no_handles_at_teardown). */
static const char env_js_src[] =
    "(() => {\n"
    "  'use strict'\n"
    "  const holder = { __proto__: null, 0: 'napi_task' }\n"
    "  const slots = { __proto__: null }\n"
    "  const napiTaskCallback = (i, err, value) => {\n"
    "    const callback = slots[i]\n"
    "    slots[i] = undefined\n"
    "    callback(err, value)\n"
    "  }\n"
    "  const get = typeof process === 'object' && process !== null ?\n"
    "    process.getBuiltinModule : undefined\n"
    "  const wt = typeof get === 'function' ? get('worker_threads') : undefined\n"
    "  const deno = typeof process === 'object' && process !== null &&\n"
    "    process.versions !== undefined && process.versions.deno !== undefined\n"
    "  return [holder, slots, napiTaskCallback, wt && wt.isMainThread, deno]\n"
    "})()";

/* made[i] as a boolean; false when it is not one. */
static bool element_bool(napi_env env, napi_value made, uint32_t i,
                         bool *value) {
  napi_value v;
  *value = false;
  return napi_get_element(env, made, i, &v) == napi_ok &&
         napi_get_value_bool(env, v, value) == napi_ok;
}

/* Where JS cannot say, the main thread's env is the one that runs libuv's
   default loop (in Node; Deno has no default loop, but it has
   process.getBuiltinModule). */
static bool is_main_thread(nt_env *e, napi_value made) {
  bool main;
  if (element_bool(e->env, made, 3, &main)) return main;
  return e->loop != NULL && e->loop == uv_default_loop();
}

static napi_status make_js(nt_env *e) {
  napi_env env = e->env;
  napi_value src, made, holder, slots, fn;
  napi_status s;
  if ((s = napi_create_string_utf8(env, env_js_src, NAPI_AUTO_LENGTH,
                                   &src)) != napi_ok ||
      (s = napi_run_script(env, src, &made)) != napi_ok ||
      (s = napi_get_element(env, made, 0, &holder)) != napi_ok ||
      (s = napi_get_element(env, made, 1, &slots)) != napi_ok ||
      (s = napi_get_element(env, made, 2, &fn)) != napi_ok)
    return s;
  e->main_thread = is_main_thread(e, made);
  element_bool(env, made, 4, &e->no_handles_at_teardown);
  if ((s = napi_create_reference(env, holder, 1, &e->holder)) != napi_ok)
    return s;
  if ((s = napi_create_reference(env, slots, 1, &e->slots)) != napi_ok) {
    napi_delete_reference(env, e->holder);
    return s;
  }
  if ((s = napi_create_reference(env, fn, 1, &e->call_callback)) != napi_ok) {
    napi_delete_reference(env, e->holder);
    napi_delete_reference(env, e->slots);
  }
  return s;
}

static void free_on_close(uv_handle_t *handle) {
  free(NT_CONTAINER(handle, nt_env, async));
}

static nt_env *env_create(napi_env env) {
  nt_env *e = nt_calloc(1, sizeof(*e));

  if (e == NULL) return NULL;
  e->env = env;
  e->max_runners = pool_size();
  atomic_init(&e->closing, false);
  nt_list_init(&e->backlog);
  nt_list_init(&e->done);
  nt_list_init(&e->progress);
  nt_list_init(&e->calls);
  nt_list_init(&e->queues);
  nt_list_init(&e->settle);
  nt_list_init(&e->built);
  nt_list_init(&e->runner_reqs);
  nt_list_init(&e->kept_signals);
  if (napi_get_uv_event_loop(env, &e->loop) != napi_ok) goto fail;
  if (make_js(e) != napi_ok) goto fail;
  if (nt_mutex_init_adaptive(&e->mu) != 0) goto fail_ref;
  if (nt_cond_init(&e->cond) != 0) goto fail_mu;
  if (uv_async_init(e->loop, &e->async, on_async) != 0) goto fail_cond;
  /* Only delivered, unsettled tasks keep the loop alive (see retain). */
  uv_unref((uv_handle_t *)&e->async);
  /* The hook first, the 'exit' listener last: once the listener holds e,
     e must live until teardown, so nothing may fail after it (found by
     fault injection: a failed hook after the listener freed e, and the
     'exit' event then used it). A hook can be removed again; a listener
     cannot be taken back from here. */
  if (napi_add_async_cleanup_hook(env, on_teardown, e, &e->hook) != napi_ok)
    goto fail_async;
  if (listen_exit(e) != napi_ok) {
    napi_remove_async_cleanup_hook(e->hook);
    goto fail_async;
  }
  return e;

fail_async:
  /* Nothing was ever sent: close, and free in the close callback. */
  uv_close((uv_handle_t *)&e->async, free_on_close);
  nt_cond_destroy(&e->cond);
  nt_mutex_destroy(&e->mu);
  napi_delete_reference(env, e->holder);
  napi_delete_reference(env, e->slots);
  napi_delete_reference(env, e->call_callback);
  return NULL;

fail_cond:
  nt_cond_destroy(&e->cond);
fail_mu:
  nt_mutex_destroy(&e->mu);
fail_ref:
  napi_delete_reference(env, e->holder);
  napi_delete_reference(env, e->slots);
  napi_delete_reference(env, e->call_callback);
fail:
  free(e);
  return NULL;
}

nt_env *nt_env_get(napi_env env) {
  nt_env *e = t_cache;
  nt_link *l;

  if (e != NULL && e->env == env) return e->tearing_down ? NULL : e;
  nt_once(&g_once, g_init);
  e = NULL;
  nt_mutex_lock(&g_mu);
  for (l = g_envs.next; l != &g_envs; l = l->next) {
    if (NT_CONTAINER(l, nt_env, env_link)->env == env) {
      e = NT_CONTAINER(l, nt_env, env_link);
      break;
    }
  }
  nt_mutex_unlock(&g_mu);
  if (e == NULL) {
    e = env_create(env);
    if (e == NULL) return NULL;
    nt_mutex_lock(&g_mu);
    nt_list_push(&g_envs, &e->env_link);
    nt_mutex_unlock(&g_mu);
  }
  if (e->tearing_down) return NULL;
  t_cache = e;
  return e;
}

void nt_env_wake(nt_env *e) {
  /* mu held: teardown closes the handle under mu, so no send can race the
     close (uv_async_send on a closing handle is undefined). */
  if (!e->torn_down) uv_async_send(&e->async);
}

void nt_env_retain(nt_env *e) {
  if (e->outstanding++ == 0) uv_ref((uv_handle_t *)&e->async);
}

void nt_fatal_exception(napi_env env) {
  napi_value exc;
  /* While an env stops, calls fail with napi_pending_exception although
     nothing is pending: then there is nothing to report. */
  if (nt_take_exception(env, &exc)) napi_fatal_exception(env, exc);
}

/* Loop thread: the batch. Everything the threadpool finished since the last
   turn is settled here inside one handle scope and one callback scope, so
   microtasks and process.nextTick run once per batch, not once per task. */
static void on_async(uv_async_t *handle) {
  nt_env_batch(NT_CONTAINER(handle, nt_env, async), 0);
}

/* Also called by runner_done for a runner that left without waking the
   loop; `left` is how many runners to count out (env->left) in the batch's
   critical section. */
/* Whether a batch settles one callback task with a built-in value and
   does nothing else: it then needs no scope of its own, since no user code
   runs before napi_make_callback, which opens one in the task's context
   and drains the microtasks when it closes, as raw Node-API's completion
   does. About a tenth of a one-in-flight task's JS-thread instructions
   (docs/performance.md). */
static bool lone_plain_callback(nt_link *done, nt_link *progress,
                                nt_link *calls) {
  napi_task t;
  if (!nt_list_empty(progress) || !nt_list_empty(calls) ||
      nt_list_empty(done) || done->next->next != done)
    return false;
  t = NT_CONTAINER(done->next, struct napi_task__, link);
  return t->delivery == NT_DELIVER_CALLBACK && !t->aborted &&
         t->js_error == NT_NO_SLOT &&
         t->output.kind_ != NAPI_TASK_OUT_COMPLETE_ &&
         t->output.kind_ != NAPI_TASK_OUT_ERROR_;
}

void nt_env_batch(nt_env *e, unsigned left) {
  napi_env env = e->env;
  nt_link done, calls, progress, *l;
  napi_handle_scope hs;
  napi_callback_scope cs = NULL;
  napi_value holder = NULL, name, call_callback = NULL;
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
  nt_list_init(&done);
  nt_list_init(&calls);
  nt_list_init(&progress);
  nt_mutex_lock(&e->mu);
  e->left -= left;
  /* Tasks that wait now may get a runner once this batch has counted the
     runner out. A task delivered during the batch plans for itself
     (nt_runner_deliver), as does an abort that promotes a queue's task. */
  pump = !nt_list_empty(&e->backlog);
  nt_list_splice(&done, &e->done);
  for (l = e->calls.next; l != &e->calls; l = l->next)
    NT_CONTAINER(l, nt_call, link)->taken = true;
  nt_list_splice(&calls, &e->calls);
  while ((l = nt_list_shift(&e->progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_link);
    /* Hand the pending items to the JS side; a new item re-queues it. */
    nt_list_push(&progress, &x->progress_js_link);
    x->progress_js = x->progress_head;
    x->progress_head = x->progress_tail = NULL;
  }
  nt_mutex_unlock(&e->mu);
  nt_list_splice(&done, &e->settle);

  if (lone_plain_callback(&done, &progress, &calls)) {
    /* no batch scope */
  } else if (napi_get_reference_value(env, e->holder, &holder) == napi_ok &&
             holder != NULL) {
    if (e->batch == NULL &&
        napi_create_string_utf8(env, "napi_task", NAPI_AUTO_LENGTH, &name) ==
            napi_ok)
      napi_async_init(env, holder, name, &e->batch);
    if (e->batch != NULL &&
        napi_open_callback_scope(env, holder, e->batch, &cs) != napi_ok)
      cs = NULL;
  }

  /* In the order perform did things: progress it reported before asking
     JS is seen before the question (a perform waiting in call_js reports
     nothing more), and all progress before the task settles. */
  while ((l = nt_list_shift(&progress)) != NULL) {
    nt_task_extra *x = NT_CONTAINER(l, nt_task_extra, progress_js_link);
    nt_progress_item *items = x->progress_js;
    x->progress_js = NULL;
    nt_deliver_progress(x->task, items);
  }
  while ((l = nt_list_shift(&calls)) != NULL)
    nt_run_call(e, NT_CONTAINER(l, nt_call, link));
  if (!nt_list_empty(&done))
    napi_get_reference_value(env, e->call_callback, &call_callback);
  while ((l = nt_list_shift(&done)) != NULL)
    nt_task_settle(NT_CONTAINER(l, struct napi_task__, link), call_callback);

  if (cs != NULL) napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
  if (pump) nt_runner_pump(e);
}

/* Loop thread: frees the record once nothing can touch it any more. */
static void maybe_finish(nt_env *e) {
  nt_link *l;
  if (e->runners != 0 || !e->async_close_done || e->live != 0) return;
  nt_mutex_lock(&g_mu);
  nt_list_remove(&e->env_link);
  nt_mutex_unlock(&g_mu);
  if (t_cache == e) t_cache = NULL;
  /* Queues the addon has not released yet outlive the env as orphans:
     napi_task_queue_release frees them without touching the env. */
  while ((l = nt_list_shift(&e->queues)) != NULL) {
    napi_task_queue q = NT_CONTAINER(l, struct napi_task_queue__, env_link);
    q->env = NULL;
    if (q->released) free(q);
  }
  nt_signal_free_kept(e);
  if (e->batch != NULL && !nt_env_no_handles(e))
    napi_async_destroy(e->env, e->batch);
  napi_delete_reference(e->env, e->holder);
  napi_delete_reference(e->env, e->slots);
  napi_delete_reference(e->env, e->call_callback);
  free(e->free_slots);
  free(e->spare_runner);
  napi_remove_async_cleanup_hook(e->hook);
  nt_cond_destroy(&e->cond);
  nt_mutex_destroy(&e->mu);
  free(e);
}

static void on_async_closed(uv_handle_t *handle) {
  nt_env *e = NT_CONTAINER(handle, nt_env, async);
  e->async_close_done = true;
  maybe_finish(e);
}

void nt_env_finish_if_idle(nt_env *e) {
  if (e->tearing_down) maybe_finish(e);
}

/* Loop thread, from Node's env cleanup: drop everything that has not
   started, let running performs finish (their outputs are then dropped),
   and hold teardown open until the last of them is back. */
static void on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  nt_env *e = arg;
  nt_link dead, *l;
  napi_handle_scope hs;
  bool scoped;

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

  scoped = napi_open_handle_scope(e->env, &hs) == napi_ok;
  /* Every task that is not running now is dropped at once: built and never
     delivered, waiting, ready, done, settling. Each of them is in one of
     these lists; running ones are in none, and come back through their
     runner, which drops them (runner.c). */
  nt_mutex_lock(&e->mu);
  nt_list_splice(&dead, &e->built);
  for (l = e->queues.next; l != &e->queues; l = l->next)
    nt_list_splice(&dead,
                   &NT_CONTAINER(l, struct napi_task_queue__, env_link)
                        ->waiting);
  nt_list_splice(&dead, &e->backlog);
  nt_list_splice(&dead, &e->done);
  nt_list_splice(&dead, &e->settle);
  nt_tasks_unlink_progress_locked(&dead);
  nt_mutex_unlock(&e->mu);
  while ((l = nt_list_shift(&dead)) != NULL)
    nt_task_drop_all(NT_CONTAINER(l, struct napi_task__, link));
  if (scoped) napi_close_handle_scope(e->env, hs);
  maybe_finish(e);
}
