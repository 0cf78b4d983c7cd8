/*
 * A task's life on the JS thread: build, options, delivery, settle, free.
 */
#include "internal.h"

napi_status napi_task_build(napi_env env, napi_task_perform perform,
                            void *data, napi_task_drop drop,
                            napi_task *result) {
  nt_env *e;
  napi_task t;

  if (result != NULL) *result = NULL;
  if (env == NULL || perform == NULL || result == NULL) goto invalid;
  e = nt_env_get(env);
  t = e != NULL ? nt_calloc(1, sizeof(*t)) : NULL;
  if (t == NULL) {
    if (drop != NULL && data != NULL) drop(data);
    return napi_generic_failure;
  }
  t->env = e;
  t->perform = perform;
  t->data = data;
  t->drop = drop;
  t->state = NT_BUILT;
  t->callback = t->js_error = NT_NO_SLOT;
  atomic_init(&t->cancelled, false);
  nt_list_push(&e->built, &t->link);
  e->live++;
  *result = t;
  return napi_ok;

invalid:
  /* A failed call still drops what it was given. */
  if (drop != NULL && data != NULL) drop(data);
  return napi_invalid_arg;
}

/* JS thread, before delivery: the task's extra record, made on first use. */
static nt_task_extra *extra(napi_task t) {
  nt_task_extra *x = t->x;
  if (x != NULL) return x;
  if ((x = nt_calloc(1, sizeof(*x))) == NULL) return NULL;
  x->task = t;
  nt_list_init(&x->progress_link);
  nt_list_init(&x->progress_js_link);
  nt_list_init(&x->signal_link);
  t->x = x;
  return x;
}

napi_status napi_task_set_name(napi_task task, const char *name) {
  nt_task_extra *x;
  char *copy;
  if (task == NULL || name == NULL || task->delivered)
    return napi_invalid_arg;
  if ((x = extra(task)) == NULL || (copy = nt_strdup(name)) == NULL)
    return napi_generic_failure;
  free(x->name);
  x->name = copy;
  return napi_ok;
}

napi_status napi_task_set_signal(napi_task task, napi_value signal) {
  nt_task_extra *x;
  napi_env env;
  bool ok = false;
  napi_status s;
  napi_ref ref;

  if (task == NULL || signal == NULL || task->delivered)
    return napi_invalid_arg;
  env = task->env->env;
  s = nt_signal_check(env, signal, &ok);
  if (s != napi_ok) return s;
  if (!ok) {
    nt_throw_type_error(env, "signal", "an instance of AbortSignal", signal);
    return napi_object_expected;
  }
  if ((x = extra(task)) == NULL) return napi_generic_failure;
  s = napi_create_reference(env, signal, 1, &ref);
  if (s != napi_ok) return s;
  if (x->signal_ref != NULL) napi_delete_reference(env, x->signal_ref);
  x->signal_ref = ref;
  return napi_ok;
}

napi_status napi_task_set_progress(napi_task task, napi_value on_progress,
                                   napi_task_progress_mode mode) {
  nt_task_extra *x;
  napi_env env;
  napi_valuetype type;
  napi_ref ref;
  napi_status s;

  if (task == NULL || on_progress == NULL || task->delivered ||
      (mode != NAPI_TASK_PROGRESS_COALESCE && mode != NAPI_TASK_PROGRESS_QUEUE))
    return napi_invalid_arg;
  env = task->env->env;
  s = napi_typeof(env, on_progress, &type);
  if (s != napi_ok) return s;
  if (type != napi_function) {
    nt_throw_type_error(env, "onProgress", "of type function", on_progress);
    return napi_function_expected;
  }
  if ((x = extra(task)) == NULL) return napi_generic_failure;
  s = napi_create_reference(env, on_progress, 1, &ref);
  if (s != napi_ok) return s;
  if (x->on_progress != NULL) napi_delete_reference(env, x->on_progress);
  x->on_progress = ref;
  x->progress_mode = mode;
  return napi_ok;
}

/* Drops a task's reference to its queue; the last one frees it. */
static void queue_unref(napi_task_queue q) {
  if (--q->refs != 0) return;
  nt_list_remove(&q->env_link);
  free(q);
}

napi_status napi_task_set_queue(napi_task task, napi_task_queue queue) {
  if (task == NULL || queue == NULL || task->delivered ||
      queue->env != task->env || queue->released)
    return napi_invalid_arg;
  /* The old queue may have been released meanwhile: this may free it. */
  if (task->queue != NULL) queue_unref(task->queue);
  queue->refs++;
  task->queue = queue;
  return napi_ok;
}

void nt_progress_free(nt_progress_item *item) {
  while (item != NULL) {
    nt_progress_item *next = item->next;
    nt_output_drop(&item->value);
    free(item);
    item = next;
  }
}

/* JS thread. Callbacks of delivered tasks (and call_js exceptions) live in
   the env's slots store, a prototype-less object used as an array, not in
   a napi_ref each: a reference costs about 95 bytes per task (a
   v8impl::Reference and a global handle), an element 8. Settling takes
   the callback out of the store in JS (env.c, call_callback); a slot whose
   value was never taken out (delivery failed, JS could not run, a call_js
   exception) is cleared here. Either way the index goes back on the free
   stack. */
napi_status nt_slot_store(nt_env *e, napi_value value, uint32_t *slot) {
  napi_env env = e->env;
  napi_value store;
  napi_status s;
  uint32_t i;

  if (e->free_count > 0) {
    i = e->free_slots[--e->free_count];
  } else {
    /* A new index: first make sure the free stack will have room for it,
       so that releasing a slot can never fail. */
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
  /* During teardown JS objects may be gone; the store dies with the env. */
  if (!taken && !e->tearing_down) {
    /* Node-API refuses to touch objects with an exception pending (a
       delivery that failed because JS threw): set it aside meanwhile. */
    nt_take_exception(env, &exc);
    if (napi_get_reference_value(env, e->slots, &store) == napi_ok &&
        store != NULL && napi_get_undefined(env, &undefined) == napi_ok)
      napi_set_element(env, store, slot, undefined);
    if (exc != NULL) napi_throw(env, exc);
  }
  e->free_slots[e->free_count++] = slot;
}

static void extra_free(napi_task t) {
  nt_task_extra *x = t->x;
  napi_env env = t->env->env;
  if (x->signal != NULL) nt_signal_detach(t);
  if (x->signal_ref != NULL) napi_delete_reference(env, x->signal_ref);
  if (x->on_progress != NULL) napi_delete_reference(env, x->on_progress);
  free(x->name);
  free(x);
  t->x = NULL;
}

void nt_task_free(napi_task t) {
  nt_env *e = t->env;
  napi_env env = e->env;

  nt_list_remove(&t->link);
  if (t->x != NULL) extra_free(t);
  if (t->callback != NT_NO_SLOT)
    nt_slot_release(e, t->callback, t->callback_taken);
  if (t->js_error != NT_NO_SLOT) nt_slot_release(e, t->js_error, false);
  if (t->async != NULL && !nt_env_no_handles(e))
    napi_async_destroy(env, t->async);
  if (t->queue != NULL) queue_unref(t->queue);
  if (t->retained && --e->outstanding == 0 && !e->tearing_down)
    uv_unref((uv_handle_t *)&e->async);
  e->live--;
  free(t);
}

void nt_task_drop_data(napi_task t) {
  if (t->data != NULL && t->drop != NULL) t->drop(t->data);
  memset(&t->output, 0, sizeof(t->output)); /* both views: nothing owned */
}

void nt_tasks_unlink_progress_locked(nt_link *tasks) {
  nt_link *l;
  for (l = tasks->next; l != tasks; l = l->next) {
    napi_task t = NT_CONTAINER(l, struct napi_task__, link);
    if (t->x != NULL) nt_list_remove(&t->x->progress_link);
  }
}

void nt_task_drop_all(napi_task t) {
  /* perform ran: its output is dropped (an undefined one, owning nothing,
     if the data was dropped instead); it never ran: its data is. */
  if (t->state == NT_DONE || t->state == NT_SETTLING)
    nt_output_drop(&t->output);
  else
    nt_task_drop_data(t);
  if (t->x != NULL) {
    nt_progress_free(t->x->progress_head);
    nt_progress_free(t->x->progress_js);
    t->x->progress_head = t->x->progress_tail = t->x->progress_js = NULL;
  }
  /* A pending promise cannot be settled without JS; Node frees its
     persistent with the isolate. */
  nt_task_free(t);
}

void napi_task_discard(napi_task task) {
  if (task == NULL || task->delivered) return;
  nt_task_drop_all(task);
}

/* Delivery failed: the caller gets `status`; everything is dropped. */
static napi_status fail(napi_task t, napi_status status) {
  nt_task_drop_all(t);
  return status;
}

/* The default resource name, made once per env as element 0 of the env's
   holder object (env.c, env_js_src): creating the string per task was a
   sixth of a promise task's cost on the JS thread (callgrind,
   bench/lib/profile.js). Nothing else can reach the holder, so the
   element is always that string. */
static napi_status default_name(nt_env *e, napi_value *name) {
  napi_value holder;
  napi_status s;
  if ((s = napi_get_reference_value(e->env, e->holder, &holder)) != napi_ok)
    return s;
  return napi_get_element(e->env, holder, 0, name);
}

static napi_status deliver(napi_task t, nt_delivery kind, napi_value callback,
                           napi_value *promise) {
  nt_env *e;
  napi_env env;
  napi_value name;
  napi_valuetype type;
  bool aborted = false;
  napi_status s;

  if (t == NULL || t->delivered) return napi_invalid_arg;
  /* From here the handle is consumed, whatever happens. */
  t->delivered = true;
  nt_list_remove(&t->link); /* off env->built */
  e = t->env;
  env = e->env;
  if (kind == NT_DELIVER_CALLBACK) {
    if (callback == NULL) return fail(t, napi_invalid_arg);
    if ((s = napi_typeof(env, callback, &type)) != napi_ok) return fail(t, s);
    if (type != napi_function) {
      nt_throw_type_error(env, "callback", "of type function", callback);
      return fail(t, napi_function_expected);
    }
    if ((s = nt_slot_store(e, callback, &t->callback)) != napi_ok)
      return fail(t, s);
  } else {
    if (promise == NULL) return fail(t, napi_invalid_arg);
    if ((s = napi_create_promise(env, &t->deferred, promise)) != napi_ok)
      return fail(t, s);
  }
  t->delivery = (uint8_t)kind;

  /* The async context of the delivery call: callbacks, progress and
     call_js run in it, so AsyncLocalStorage and async_hooks see the
     caller's context. Its resource is the task's promise, which exists
     anyway (Node would otherwise make an empty object per task), or, for
     a callback, a new object (NULL): the callback cannot be the resource,
     since one function may serve tasks scheduled in different contexts,
     and AsyncLocalStorage keeps its store on the resource. */
  s = t->x != NULL && t->x->name != NULL
          ? napi_create_string_utf8(env, t->x->name, NAPI_AUTO_LENGTH, &name)
          : default_name(e, &name);
  if (s == napi_ok)
    s = napi_async_init(env, kind == NT_DELIVER_PROMISE ? *promise : NULL,
                        name, &t->async);
  if (s != napi_ok) goto fail_delivered;

  if (t->x != NULL && t->x->signal_ref != NULL) {
    s = nt_signal_attach(t, &aborted);
    if (s != napi_ok) goto fail_delivered;
  }

  nt_env_retain(e);
  t->retained = true;
  if (aborted) {
    /* Settles on a later turn with the AbortError; perform never runs. */
    t->aborted = true;
    nt_task_drop_data(t);
    t->state = NT_SETTLING;
    nt_list_push(&e->settle, &t->link);
    nt_mutex_lock(&e->mu);
    nt_env_wake(e);
    nt_mutex_unlock(&e->mu);
    return napi_ok;
  }
  nt_runner_deliver(e, t);
  return napi_ok;

fail_delivered:
  if (t->deferred != NULL) {
    /* The promise is not handed out (*promise is reset): settle it quietly
       so its deferred is freed, without an unhandled rejection. */
    napi_value undefined = NULL;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, t->deferred, undefined);
    t->deferred = NULL;
  }
  return fail(t, s);
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

/* JS thread, in the batch. Abort (listener), call_js exception, or the
   output decide the result; then the callback runs or the promise
   settles, and the task is freed. */
void nt_task_settle(napi_task t, napi_value call_callback) {
  napi_env env = t->env->env;
  napi_value value = NULL, error = NULL, args[3], returned;
  napi_status s;

  t->state = NT_SETTLING;
  if (t->aborted) {
    nt_output_drop(&t->output);
    error = nt_make_abort_error(env, nt_signal_reason(t));
  } else if (t->js_error != NT_NO_SLOT &&
             t->output.kind_ != NAPI_TASK_OUT_ERROR_) {
    napi_value slots;
    nt_output_drop(&t->output);
    if (napi_get_reference_value(env, t->env->slots, &slots) == napi_ok)
      napi_get_element(env, slots, t->js_error, &error);
  } else {
    nt_output_to_js(env, &t->output, &value, &error);
  }

  if (t->delivery == NT_DELIVER_PROMISE) {
    if (error != NULL)
      napi_reject_deferred(env, t->deferred, error);
    else
      napi_resolve_deferred(env, t->deferred, value);
    t->deferred = NULL;
  } else if (call_callback != NULL &&
             napi_create_uint32(env, t->callback, &args[0]) == napi_ok &&
             callback_args(env, error, value, &args[1])) {
    /* call_callback(slot, err, value) calls callback(err, value) as a
       plain function (call_callback is an arrow function: the receiver
       napi_make_callback wants, an object, is itself). An exception
       thrown by the user's callback is an uncaught exception, as with any
       Node callback. */
    /* Deno writes *result even when it is NULL: every out-parameter
       napi-task passes is a real one. */
    s = napi_make_callback(env, t->async, call_callback, call_callback, 3,
                           args, &returned);
    /* Only then surely taken: napi_pending_exception may also mean that
       JS could not run at all. Clearing it twice is harmless. */
    t->callback_taken = s == napi_ok;
    if (s == napi_pending_exception) nt_fatal_exception(env);
  }
  nt_task_free(t);
}
