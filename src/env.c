/*
 * The env record, JS thread (nt_env_wake: any thread, mu held): finding it
 * without the addon's instance-data slot, making it (mutex, uv_async_t, JS
 * objects, cleanup hook, 'exit' listener), freeing it, and the slots store.
 * Calls errors.c.
 *
 * back edge: env.c -> settle.c (nt_settle_on_async).
 * back edge: env.c -> end.c (nt_end_on_teardown, nt_end_on_exit).
 * Making the record registers the loop thread's entry
 * points with libuv and Node; they are passed as function pointers and
 * never called from here.
 */
#include "internal.h"

/* The only global mutable state: live env records, under g_mu. t_cache,
   each JS thread's last hit, spares the lock in the common case. */
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

/* NAPI_TASK_LINGER_US (D4), 0 (off) to NT_LINGER_MAX_US. From the process
   environment, as UV_THREADPOOL_SIZE: a Worker's `env` does not change it. */
static uint64_t linger_ns(void) {
  const char *v = getenv("NAPI_TASK_LINGER_US");
  char *end;
  long n;
  if (v == NULL || *v == '\0') return NT_LINGER_DEFAULT_US * 1000u;
  n = strtol(v, &end, 10);
  if (*end != '\0' || n < 0) return NT_LINGER_DEFAULT_US * 1000u;
  if (n > (long)NT_LINGER_MAX_US) n = (long)NT_LINGER_MAX_US;
  return (uint64_t)n * 1000u;
}

/* process.on('exit', nt_end_on_exit), once per env record. */
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
                                nt_end_on_exit, e, &argv[1])) != napi_ok)
    return s;
  return napi_call_function(env, process, on, 2, argv, &returned);
}

/* The env's JS objects (docs/decisions.md, D7): holder, slots store and
   settling function, with no prototype or global that patched built-ins
   could divert; then whether this is the main thread (undefined where the
   runtime cannot say), Deno (env->no_handles_at_end), and in 'exit'. */
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
    "  const exiting = typeof process === 'object' && process !== null &&\n"
    "    process._exiting === true\n"
    "  return [holder, slots, napiTaskCallback, wt && wt.isMainThread, deno,\n"
    "    exiting]\n"
    "})()";

static bool element_bool(napi_env env, napi_value made, uint32_t i,
                         bool *value) {
  napi_value v;
  *value = false;
  return napi_get_element(env, made, i, &v) == napi_ok &&
         napi_get_value_bool(env, v, value) == napi_ok;
}

/* Where JS cannot say (Node before 20.16), the main thread's env is the
   one on libuv's default loop. */
static bool is_main_thread(nt_env *e, napi_value made) {
  bool main;
  if (element_bool(e->env, made, 3, &main)) return main;
  return e->loop != NULL && e->loop == uv_default_loop();
}

/* On failure the references already made are left for delete_js. */
static napi_status make_js(nt_env *e) {
  napi_env env = e->env;
  napi_value src, made, holder, slots, fn;
  napi_status s;
  bool exiting;
  if ((s = napi_create_string_utf8(env, env_js_src, NAPI_AUTO_LENGTH,
                                   &src)) != napi_ok ||
      (s = napi_run_script(env, src, &made)) != napi_ok ||
      (s = napi_get_element(env, made, 0, &holder)) != napi_ok ||
      (s = napi_get_element(env, made, 1, &slots)) != napi_ok ||
      (s = napi_get_element(env, made, 2, &fn)) != napi_ok)
    return s;
  e->main_thread = is_main_thread(e, made);
  element_bool(env, made, 4, &e->no_handles_at_end);
  /* Made during 'exit': a listener added now would never be called. */
  if (element_bool(env, made, 5, &exiting) && exiting)
    atomic_store(&e->phase, (unsigned)NT_ENV_ENDED);
  if ((s = napi_create_reference(env, holder, 1, &e->holder)) != napi_ok ||
      (s = napi_create_reference(env, slots, 1, &e->slots)) != napi_ok)
    return s;
  return napi_create_reference(env, fn, 1, &e->call_callback);
}

static void delete_js(nt_env *e) {
  nt_ref_delete(e->env, &e->holder);
  nt_ref_delete(e->env, &e->slots);
  nt_ref_delete(e->env, &e->call_callback);
}

static void free_on_close(uv_handle_t *handle) {
  free(NT_CONTAINER(handle, nt_env, async));
}

static void init_lists(nt_env *e) {
  nt_list_init(&e->backlog);
  nt_list_init(&e->done);
  nt_list_init(&e->progress);
  nt_list_init(&e->calls);
  nt_list_init(&e->queues);
  nt_list_init(&e->settle_early);
  nt_list_init(&e->built);
  nt_list_init(&e->kept_signals);
  nt_list_init(&e->taken.done);
  nt_list_init(&e->taken.calls);
  nt_list_init(&e->taken.progress);
}

static nt_env *env_create(napi_env env) {
  nt_env *e = nt_calloc(1, sizeof(*e));
  bool closing = false;

  if (e == NULL) return NULL;
  e->env = env;
  e->sched.pool = pool_size();
  e->sched.linger_ns = linger_ns();
  atomic_init(&e->phase, (unsigned)NT_ENV_OPEN);
  atomic_init(&e->sched.backlog_gen, 0u);
  init_lists(e);
  if (napi_get_uv_event_loop(env, &e->loop) != napi_ok) goto fail;
  if (make_js(e) != napi_ok) goto fail_ref;
  if (nt_mutex_init_adaptive(&e->mu) != 0) goto fail_ref;
  if (nt_cond_init(&e->cond) != 0) goto fail_mu;
  if (uv_async_init(e->loop, &e->async, nt_settle_on_async) != 0)
    goto fail_cond;
  /* Only delivered, unsettled tasks keep the loop alive (nt_env_retain). */
  uv_unref((uv_handle_t *)&e->async);
  /* The 'exit' listener last: it cannot be taken back from here, and once
     it holds e, e must live until teardown, so nothing may fail after it. */
  if (napi_add_async_cleanup_hook(env, nt_end_on_teardown, e, &e->hook) !=
      napi_ok)
    goto fail_async;
  if (listen_exit(e) != napi_ok) {
    napi_remove_async_cleanup_hook(e->hook);
    goto fail_async;
  }
  return e;

fail_async:
  /* Nothing was ever sent: close; the close callback frees e. */
  uv_close((uv_handle_t *)&e->async, free_on_close);
  closing = true;
fail_cond:
  nt_cond_destroy(&e->cond);
fail_mu:
  nt_mutex_destroy(&e->mu);
fail_ref:
  delete_js(e);
fail:
  if (!closing) free(e);
  return NULL;
}

nt_env *nt_env_get(napi_env env) {
  nt_env *e = t_cache;
  nt_link *l;

  if (e != NULL && e->env == env) return nt_env_ended(e) ? NULL : e;
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
  if (nt_env_ended(e)) return NULL;
  t_cache = e;
  return e;
}

void nt_env_wake(nt_env *e) {
  /* mu held: the env ends under mu before its handle is closed, so no send
     races the close (undefined on a closing handle). */
  if (!nt_env_ended(e)) uv_async_send(&e->async);
}

/* The slots store (D7): settling takes a callback out in JS; nt_slot_release
   clears what JS never took (a failed delivery, a call_js exception). */
napi_status nt_slot_store(nt_env *e, napi_value value, uint32_t *slot) {
  napi_env env = e->env;
  napi_value store;
  napi_status s;
  uint32_t i;

  if (e->free_count > 0) {
    i = e->free_slots[--e->free_count];
  } else {
    /* The free stack gets room for each new index: release cannot fail. */
    if (e->slot_count == NT_NO_SLOT) return napi_generic_failure;
    if (e->slot_count == 0 ||
        (e->slot_count >= 16 && (e->slot_count & (e->slot_count - 1)) == 0)) {
      size_t cap = e->slot_count == 0 ? 16 : 2 * (size_t)e->slot_count;
      uint32_t *grown = nt_realloc(e->free_slots, sizeof(*grown) * cap);
      if (grown == NULL) return napi_generic_failure;
      e->free_slots = grown;
    }
    i = e->slot_count++;
  }
  if ((s = napi_get_reference_value(env, e->slots, &store)) != napi_ok ||
      (s = napi_set_element(env, store, i, value)) != napi_ok) {
    e->free_slots[e->free_count++] = i;
    return s;
  }
  *slot = i;
  return napi_ok;
}

void nt_slot_release(nt_env *e, uint32_t slot, bool taken) {
  napi_env env = e->env;
  napi_value store, undefined, exc = NULL;
  /* From teardown on JS objects may be gone; the store dies with the env. */
  if (!taken && !nt_env_torn_down(e)) {
    /* Node-API refuses this with an exception pending: set it aside. */
    nt_take_exception(env, &exc);
    if (napi_get_reference_value(env, e->slots, &store) == napi_ok &&
        store != NULL && napi_get_undefined(env, &undefined) == napi_ok)
      napi_set_element(env, store, slot, undefined);
    nt_restore_exception(env, exc);
  }
  e->free_slots[e->free_count++] = slot;
}

void nt_env_free(nt_env *e) {
  nt_mutex_lock(&g_mu);
  nt_list_remove(&e->env_link);
  nt_mutex_unlock(&g_mu);
  if (t_cache == e) t_cache = NULL;
  if (e->batch != NULL && !nt_env_no_handles(e))
    napi_async_destroy(e->env, e->batch);
  delete_js(e);
  free(e->free_slots);
  free(e->sched.spare);
  napi_remove_async_cleanup_hook(e->hook);
  nt_cond_destroy(&e->cond);
  nt_mutex_destroy(&e->mu);
  free(e);
}
