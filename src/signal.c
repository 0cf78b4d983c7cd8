/*
 * AbortSignal, JS thread only: one 'abort' listener per signal and env, so
 * a signal shared by many tasks neither grows nor warns; its record hangs
 * off the signal under a private symbol. A record is freed only once no
 * property points to it and its listener is off the signal; when JS
 * prevents either (frozen signal, throwing removeEventListener), it is
 * kept instead. Calls task.c, errors.c.
 */
#include "internal.h"

struct nt_signal {
  nt_env *env;
  napi_ref signal;   /* strong while tasks wait on it; NULL when idle */
  napi_ref listener; /* the 'abort' listener: strong, weak when idle */
  nt_link tasks;     /* tasks attached (signal_link) */
  bool stored;       /* the signal's property points to this record */
  bool dead;         /* stuck on the signal, but its listener never got on */
  nt_link kept;      /* in env->kept_signals while kept without tasks */
};

/* signal instanceof AbortSignal, into *ok. */
static napi_status is_signal(napi_env env, napi_value signal, bool *ok) {
  napi_value global, ctor;

  *ok = false;
  if (napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "AbortSignal", &ctor) != napi_ok)
    return napi_generic_failure;
  if (napi_instanceof(env, signal, ctor, ok) != napi_ok) {
    /* A revoked Proxy throws from instanceof: not a signal. */
    *ok = false;
    nt_clear_exception(env);
  }
  return napi_ok;
}

napi_status napi_task_set_signal(napi_task task, napi_value signal) {
  nt_task_extra *x;
  napi_env env;
  bool ok = false;
  napi_status s;

  if (task == NULL || signal == NULL || task->delivered)
    return napi_invalid_arg;
  env = task->env->env;
  s = is_signal(env, signal, &ok);
  if (s != napi_ok) return s;
  if (!ok) {
    nt_throw_type_error(env, "signal", "an instance of AbortSignal", signal);
    return napi_object_expected;
  }
  if ((x = nt_task_extra_make(task)) == NULL) return napi_generic_failure;
  return nt_ref_replace(env, &x->signal_ref, signal);
}

/* The per-env symbol that keys our record on a signal. */
static napi_status key(nt_env *e, napi_value *result) {
  napi_env env = e->env;
  napi_value holder, desc;
  napi_valuetype type;
  napi_status s;

  if ((s = napi_get_reference_value(env, e->holder, &holder)) != napi_ok)
    return s;
  if ((s = napi_get_named_property(env, holder, "signalKey", result)) !=
      napi_ok)
    return s;
  if (napi_typeof(env, *result, &type) == napi_ok && type == napi_symbol)
    return napi_ok;
  if ((s = napi_create_string_utf8(env, "napi_task.signal", NAPI_AUTO_LENGTH,
                                   &desc)) != napi_ok ||
      (s = napi_create_symbol(env, desc, result)) != napi_ok)
    return s;
  return napi_set_named_property(env, holder, "signalKey", *result);
}

static napi_value on_abort(napi_env env, napi_callback_info info) {
  nt_signal *sig;
  nt_link *l, *next;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&sig) != napi_ok)
    return NULL;
  /* nt_task_abort never detaches, so the list is stable here. */
  for (l = sig->tasks.next; l != &sig->tasks; l = next) {
    next = l->next;
    nt_task_abort(NT_CONTAINER(l, nt_task_extra, signal_link)->task);
  }
  return NULL;
}

/* Calls signal[method]('abort', listener). */
static napi_status call_listener_method(napi_env env, napi_value signal,
                                        const char *method,
                                        napi_value listener) {
  napi_value fn, argv[2], returned;
  napi_status s;
  if ((s = napi_get_named_property(env, signal, method, &fn)) != napi_ok ||
      (s = napi_create_string_utf8(env, "abort", NAPI_AUTO_LENGTH,
                                   &argv[0])) != napi_ok)
    return s;
  argv[1] = listener;
  return napi_call_function(env, signal, fn, 2, argv, &returned);
}

static bool is_frozen(napi_env env, napi_value value) {
  napi_value global, object, fn, result;
  bool frozen = false;
  if (napi_get_global(env, &global) == napi_ok &&
      napi_get_named_property(env, global, "Object", &object) == napi_ok &&
      napi_get_named_property(env, object, "isFrozen", &fn) == napi_ok &&
      napi_call_function(env, object, fn, 1, &value, &result) == napi_ok)
    napi_get_value_bool(env, result, &frozen);
  return frozen;
}

static void drop_refs(napi_env env, nt_signal *sig) {
  nt_ref_delete(env, &sig->signal);
  nt_ref_delete(env, &sig->listener);
}

/* Only once its listener is off the signal: nothing refers to it. */
static void record_free(napi_env env, nt_signal *sig) {
  drop_refs(env, sig);
  free(sig);
}

/* The live record the signal's property `ext` holds; NULL: none, or dead. */
static nt_signal *record_of(napi_env env, napi_value ext) {
  napi_valuetype type;
  nt_signal *sig = NULL;
  if (napi_typeof(env, ext, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, ext, (void **)&sig) != napi_ok ||
      sig->dead)
    return NULL;
  return sig;
}

/* An idle record kept on a frozen signal (see detach): wake it. */
static napi_status record_wake(napi_env env, nt_signal *sig,
                               napi_value signal) {
  uint32_t count;
  napi_status s;
  if (sig->signal != NULL) return napi_ok;
  nt_list_remove(&sig->kept);
  if ((s = napi_create_reference(env, signal, 1, &sig->signal)) != napi_ok)
    return s;
  return napi_reference_ref(env, sig->listener, &count);
}

/* A new record, its listener and its external (*ext): all that can fail
   comes before the listener is on the signal, so detach can take it off. */
static napi_status record_new(nt_env *e, napi_value signal, napi_value *ext,
                              napi_value *listener, nt_signal **result) {
  napi_env env = e->env;
  nt_signal *sig = nt_calloc(1, sizeof(*sig));
  napi_status s;

  *result = NULL;
  if (sig == NULL) return napi_generic_failure;
  sig->env = e;
  nt_list_init(&sig->tasks);
  nt_list_init(&sig->kept);
  if ((s = napi_create_function(env, "napiTaskAbort", NAPI_AUTO_LENGTH,
                                on_abort, sig, listener)) != napi_ok ||
      (s = napi_create_external(env, sig, NULL, NULL, ext)) != napi_ok ||
      (s = napi_create_reference(env, signal, 1, &sig->signal)) !=
          napi_ok ||
      (s = napi_create_reference(env, *listener, 1, &sig->listener)) !=
          napi_ok) {
    record_free(env, sig);
    return s;
  }
  *result = sig;
  return napi_ok;
}

/* addEventListener failed (and may have thrown): the record must not stay
   findable once freed. The task is not attached. */
static napi_status listen_failed(nt_env *e, nt_signal *sig,
                                 napi_value signal, napi_value k,
                                 napi_status s) {
  napi_env env = e->env;
  napi_value exc = NULL;
  bool deleted;

  /* Node-API refuses to delete with an exception pending: set it aside. */
  nt_take_exception(env, &exc);
  if (!sig->stored && is_frozen(env, signal)) {
    /* A frozen signal refuses its first addEventListener (Node 24.19+,
       26.5+) and can never abort (abort() writes to it): the task runs,
       listening to nothing. */
    record_free(env, sig);
    return napi_ok;
  }
  if (sig->stored &&
      (napi_delete_property(env, signal, k, &deleted) != napi_ok ||
       !deleted)) {
    /* Frozen by addEventListener itself: the property stays, so the record
       does too, dead; later tasks on this signal listen on their own. */
    drop_refs(env, sig);
    sig->dead = true;
    nt_list_push(&e->kept_signals, &sig->kept);
    nt_restore_exception(env, exc);
    return s;
  }
  nt_restore_exception(env, exc);
  record_free(env, sig);
  return s;
}

/* No live record on the signal: a new one, stored on it under key `k` and
   listening. *result stays NULL when the task is not to be attached. */
static napi_status attach_new(nt_env *e, napi_value signal, napi_value k,
                              napi_value ext, nt_signal **result) {
  napi_env env = e->env;
  napi_value listener;
  napi_valuetype type;
  nt_signal *sig;
  napi_property_descriptor prop = {0};
  bool existing = napi_typeof(env, ext, &type) == napi_ok &&
                  type == napi_external;
  napi_status s = record_new(e, signal, &ext, &listener, &sig);

  if (s != napi_ok) return s;
  prop.name = k;
  prop.value = ext;
  prop.attributes = napi_writable | napi_configurable;
  /* A frozen signal takes no property, nor does one holding a dead
     record: this task then gets a listener of its own. */
  sig->stored = !existing &&
                napi_define_properties(env, signal, 1, &prop) == napi_ok;
  nt_clear_exception(env);
  s = call_listener_method(env, signal, "addEventListener", listener);
  if (s != napi_ok) return listen_failed(e, sig, signal, k, s);
  *result = sig;
  return napi_ok;
}

napi_status nt_signal_attach(napi_task t, bool *already_aborted) {
  nt_env *e = t->env;
  napi_env env = e->env;
  napi_value signal, aborted, k, ext;
  nt_signal *sig;
  napi_status s;

  *already_aborted = false;
  if ((s = napi_get_reference_value(env, t->x->signal_ref, &signal)) !=
          napi_ok ||
      (s = napi_get_named_property(env, signal, "aborted", &aborted)) !=
          napi_ok ||
      (s = napi_get_value_bool(env, aborted, already_aborted)) != napi_ok)
    return s;
  if (*already_aborted) return napi_ok;

  if ((s = key(e, &k)) != napi_ok ||
      (s = napi_get_property(env, signal, k, &ext)) != napi_ok)
    return s;
  sig = record_of(env, ext);
  if (sig != NULL)
    s = record_wake(env, sig, signal);
  else
    s = attach_new(e, signal, k, ext, &sig);
  if (s != napi_ok || sig == NULL) return s;
  nt_list_push(&sig->tasks, &t->x->signal_link);
  t->x->signal = sig;
  return napi_ok;
}

void nt_signal_detach(napi_task t) {
  nt_signal *sig = t->x != NULL ? t->x->signal : NULL;
  nt_env *e;
  napi_env env;
  napi_value signal, listener, k;
  bool deleted = true, removed = true;
  uint32_t count;

  if (sig == NULL) return;
  e = sig->env;
  env = e->env;
  nt_list_remove(&t->x->signal_link);
  t->x->signal = NULL;
  if (!nt_list_empty(&sig->tasks)) return;
  /* The last task: remove our record, then the listener. From teardown on
     no JS runs, and the signal dies with the env. */
  if (!nt_env_torn_down(e) && sig->signal != NULL && sig->listener != NULL &&
      napi_get_reference_value(env, sig->signal, &signal) == napi_ok &&
      napi_get_reference_value(env, sig->listener, &listener) == napi_ok) {
    if (sig->stored && (key(e, &k) != napi_ok ||
                        napi_delete_property(env, signal, k, &deleted) !=
                            napi_ok ||
                        !deleted)) {
      /* Frozen since the record was stored: it stays, idle, until the next
         task, no longer keeping the signal alive. */
      nt_ref_delete(env, &sig->signal);
      napi_reference_unref(env, sig->listener, &count);
      nt_list_push(&e->kept_signals, &sig->kept);
      return;
    }
    if (call_listener_method(env, signal, "removeEventListener", listener) !=
        napi_ok) {
      /* The listener may stay and fire later: keep sig (with no tasks,
         on_abort does nothing). */
      removed = false;
      nt_fatal_exception(env);
    }
  }
  drop_refs(env, sig);
  if (removed)
    free(sig);
  else
    nt_list_push(&e->kept_signals, &sig->kept);
}

/* JS thread, as the env record is freed: records kept on hostile signals
   live as long as their signal, which dies with the env. */
void nt_signal_free_kept(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->kept_signals)) != NULL)
    record_free(e->env, NT_CONTAINER(l, nt_signal, kept));
}

napi_value nt_signal_reason(napi_task t) {
  napi_env env = t->env->env;
  napi_value signal, reason = NULL;
  if (t->x == NULL || t->x->signal_ref == NULL ||
      napi_get_reference_value(env, t->x->signal_ref, &signal) != napi_ok)
    return NULL;
  if (napi_get_named_property(env, signal, "reason", &reason) != napi_ok) {
    /* A throwing reason getter: the AbortError's cause is undefined. */
    nt_clear_exception(env);
    return NULL;
  }
  return reason;
}
