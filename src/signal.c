/*
 * AbortSignal: one shared 'abort' listener per signal and env, whatever
 * the number of tasks on it, so a long-lived signal shared by many tasks
 * neither grows nor raises MaxListenersExceededWarning. The record hangs
 * off the signal under a private symbol. JS thread only.
 *
 * The rule that keeps this memory-safe: a record is freed only once it is
 * off the signal (no property points to it) and its listener is off the
 * signal too (no abort can reach it). When JS prevents either (a frozen
 * signal, a throwing removeEventListener), the record is kept instead.
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

napi_status nt_signal_check(napi_env env, napi_value signal, bool *ok) {
  napi_value global, ctor, ignored;

  *ok = false;
  if (napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "AbortSignal", &ctor) != napi_ok)
    return napi_generic_failure;
  if (napi_instanceof(env, signal, ctor, ok) != napi_ok) {
    /* A revoked Proxy throws from instanceof: not a signal. */
    *ok = false;
    nt_take_exception(env, &ignored);
  }
  return napi_ok;
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

/* Object.isFrozen(value); false when it cannot be told. */
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

napi_status nt_signal_attach(napi_task t, bool *already_aborted) {
  nt_env *e = t->env;
  napi_env env = e->env;
  napi_value signal, aborted, k, ext, listener;
  napi_valuetype type;
  nt_signal *sig = NULL;
  napi_status s;
  napi_property_descriptor prop = {0};

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
  if (napi_typeof(env, ext, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, ext, (void **)&sig) != napi_ok ||
      sig->dead)
    sig = NULL;
  if (sig != NULL) {
    uint32_t count;
    if (sig->signal == NULL) {
      /* An idle record kept on a frozen signal (see detach): wake it. */
      nt_list_remove(&sig->kept);
      if ((s = napi_create_reference(env, signal, 1, &sig->signal)) !=
              napi_ok ||
          (s = napi_reference_ref(env, sig->listener, &count)) != napi_ok)
        return s;
    }
  } else {
    napi_value exc = NULL;
    bool deleted;
    bool existing = napi_typeof(env, ext, &type) == napi_ok &&
                    type == napi_external;
    sig = nt_calloc(1, sizeof(*sig));
    if (sig == NULL) return napi_generic_failure;
    sig->env = e;
    nt_list_init(&sig->tasks);
    nt_list_init(&sig->kept);
    /* Everything that can fail without side effects first, so that once
       the listener is on the signal, detach can always take it off. */
    if ((s = napi_create_function(env, "napiTaskAbort", NAPI_AUTO_LENGTH,
                                  on_abort, sig, &listener)) != napi_ok ||
        (s = napi_create_external(env, sig, NULL, NULL, &ext)) != napi_ok ||
        (s = napi_create_reference(env, signal, 1, &sig->signal)) !=
            napi_ok ||
        (s = napi_create_reference(env, listener, 1, &sig->listener)) !=
            napi_ok)
      goto fail;
    prop.name = k;
    prop.value = ext;
    prop.attributes = napi_writable | napi_configurable;
    /* A frozen (non-extensible) signal takes no property, nor does one
       holding a dead record: then this task gets a listener of its own,
       unshared. */
    sig->stored = !existing &&
                  napi_define_properties(env, signal, 1, &prop) == napi_ok;
    nt_take_exception(env, &exc);
    exc = NULL;
    if ((s = call_listener_method(env, signal, "addEventListener",
                                  listener)) != napi_ok) {
      /* Take the record off again, or the next task on this signal would
         find sig after it is freed. Node-API refuses to delete with an
         exception pending (an addEventListener that threw): set it aside
         and throw it again. */
      nt_take_exception(env, &exc);
      if (!sig->stored && is_frozen(env, signal)) {
        /* Node 24.19+ and 26.5+ make a signal's listener map at its first
           addEventListener, which a frozen signal refuses. A frozen signal
           can never abort either (abort() writes to it): the task runs,
           listening to nothing. */
        s = napi_ok;
        goto fail;
      }
      if (sig->stored &&
          (napi_delete_property(env, signal, k, &deleted) != napi_ok ||
           !deleted)) {
        /* Frozen by addEventListener itself: the property stays, so the
           record must too, marked dead (its listener is not on the
           signal); later tasks on this signal listen by themselves. */
        napi_delete_reference(env, sig->signal);
        napi_delete_reference(env, sig->listener);
        sig->signal = sig->listener = NULL;
        sig->dead = true;
        nt_list_push(&e->kept_signals, &sig->kept);
        if (exc != NULL) napi_throw(env, exc);
        return s;
      }
      if (exc != NULL) napi_throw(env, exc);
      goto fail;
    }
  }
  nt_list_push(&sig->tasks, &t->x->signal_link);
  t->x->signal = sig;
  return napi_ok;

fail:
  /* The listener is not on the signal: nothing refers to sig any more. */
  if (sig->signal != NULL) napi_delete_reference(env, sig->signal);
  if (sig->listener != NULL) napi_delete_reference(env, sig->listener);
  free(sig);
  return s;
}

void nt_signal_detach(napi_task t) {
  nt_signal *sig = t->x->signal;
  nt_env *e = sig->env;
  napi_env env = e->env;
  napi_value signal, listener, k;
  bool deleted = true, removed = true;
  uint32_t count;

  nt_list_remove(&t->x->signal_link);
  t->x->signal = NULL;
  if (!nt_list_empty(&sig->tasks)) return;
  /* The last task on this signal: remove our record, then the listener.
     During teardown JS cannot run; the signal dies with the env. */
  if (!e->tearing_down && sig->signal != NULL && sig->listener != NULL &&
      napi_get_reference_value(env, sig->signal, &signal) == napi_ok &&
      napi_get_reference_value(env, sig->listener, &listener) == napi_ok) {
    if (sig->stored && (key(e, &k) != napi_ok ||
                        napi_delete_property(env, signal, k, &deleted) !=
                            napi_ok ||
                        !deleted)) {
      /* The signal was frozen after the record was stored: the property
         stays, so the record stays too, listener and all, idle until the
         next task on this signal. It no longer keeps the signal alive,
         and the listener lives only as long as the signal. */
      napi_delete_reference(env, sig->signal);
      sig->signal = NULL;
      napi_reference_unref(env, sig->listener, &count);
      nt_list_push(&e->kept_signals, &sig->kept);
      return;
    }
    if (call_listener_method(env, signal, "removeEventListener", listener) !=
        napi_ok) {
      /* The listener may stay on the signal and fire later: keep sig (its
         task list is empty, so on_abort does nothing). A few bytes, and
         only for a signal whose removeEventListener throws. */
      removed = false;
      nt_fatal_exception(env);
    }
  }
  if (sig->signal != NULL) napi_delete_reference(env, sig->signal);
  if (sig->listener != NULL) napi_delete_reference(env, sig->listener);
  sig->signal = sig->listener = NULL;
  if (removed)
    free(sig);
  else
    nt_list_push(&e->kept_signals, &sig->kept);
}

/* JS thread, at the env's teardown: records kept on hostile signals (see
   above) live as long as their signal, which dies with the env. Until
   then env->kept_signals holds them, so they are never lost. */
void nt_signal_free_kept(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->kept_signals)) != NULL) {
    nt_signal *sig = NT_CONTAINER(l, nt_signal, kept);
    if (sig->signal != NULL) napi_delete_reference(e->env, sig->signal);
    if (sig->listener != NULL) napi_delete_reference(e->env, sig->listener);
    free(sig);
  }
}

napi_value nt_signal_reason(napi_task t) {
  napi_env env = t->env->env;
  napi_value signal, reason = NULL, ignored;
  if (t->x == NULL || t->x->signal_ref == NULL ||
      napi_get_reference_value(env, t->x->signal_ref, &signal) != napi_ok)
    return NULL;
  if (napi_get_named_property(env, signal, "reason", &reason) != napi_ok) {
    /* A throwing reason getter: the task still settles, with an
       AbortError whose cause is undefined. */
    nt_take_exception(env, &ignored);
    return NULL;
  }
  return reason;
}
