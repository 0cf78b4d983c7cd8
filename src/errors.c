/*
 * The bottom layer, JS thread (nt_strdup: any thread): the library's own
 * JS errors (the code table, Node-shaped TypeErrors, AbortError) and the
 * Node-API idioms the other files share (pending exceptions, references).
 * Calls only the allocator.
 */
#include "internal.h"

#include <stdio.h>

static const char *const codes[NT_ERR_COUNT_] = {
#define NT_ERR_STRING(name, str) str,
    NT_ERRORS(NT_ERR_STRING)
#undef NT_ERR_STRING
};

const char *nt_error_code_string(nt_error_code code) {
  return codes[code];
}

char *nt_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = nt_malloc(n);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

bool nt_take_exception(napi_env env, napi_value *exc) {
  bool pending = false;
  napi_value taken = NULL, undefined = NULL;
  napi_status s = napi_is_exception_pending(env, &pending);
  if (exc != NULL) *exc = NULL;
  if (s == napi_ok && !pending) return false;
  if (napi_get_and_clear_last_exception(env, &taken) != napi_ok ||
      taken == NULL)
    return false;
  /* Not known to be pending: with none, what comes out is undefined. */
  if (s != napi_ok &&
      (napi_get_undefined(env, &undefined) != napi_ok ||
       napi_strict_equals(env, taken, undefined, &pending) != napi_ok ||
       pending))
    return false;
  if (exc != NULL) *exc = taken;
  return true;
}

void nt_clear_exception(napi_env env) {
  nt_take_exception(env, NULL);
}

void nt_restore_exception(napi_env env, napi_value exc) {
  if (exc != NULL) napi_throw(env, exc);
}

void nt_fatal_exception(napi_env env) {
  napi_value exc;
  /* While an env stops, calls fail with napi_pending_exception although
     nothing is pending: then there is nothing to report. */
  if (nt_take_exception(env, &exc)) napi_fatal_exception(env, exc);
}

void nt_ref_delete(napi_env env, napi_ref *ref) {
  if (*ref == NULL) return;
  napi_delete_reference(env, *ref);
  *ref = NULL;
}

napi_status nt_ref_replace(napi_env env, napi_ref *ref, napi_value value) {
  napi_ref made;
  napi_status s = napi_create_reference(env, value, 1, &made);
  if (s != napi_ok) return s;
  nt_ref_delete(env, ref);
  *ref = made;
  return napi_ok;
}

/* value[key], a non-empty string, into buf; false otherwise. */
static bool get_name(napi_env env, napi_value value, const char *key,
                     char *buf, size_t size) {
  napi_value v;
  napi_valuetype t;
  size_t len;
  if (napi_get_named_property(env, value, key, &v) != napi_ok) {
    nt_clear_exception(env);
    return false;
  }
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok)
    return false;
  return len > 0;
}

/* describe() of a primitive: its String(), cut after 25 characters. */
static void describe_primitive(napi_env env, napi_value value,
                               napi_valuetype t, char *buf, size_t n) {
  napi_value str;
  char text[64] = "";
  size_t len = 0;

  if (napi_coerce_to_string(env, value, &str) != napi_ok ||
      napi_get_value_string_utf8(env, str, text, sizeof(text), &len) !=
          napi_ok) {
    nt_clear_exception(env);
    text[0] = '\0';
    len = 0;
  }
  if (len > 25) memcpy(text + 25, "...", 4);
  if (t == napi_string)
    snprintf(buf, n, "Received type string ('%s')", text);
  else if (t == napi_bigint)
    snprintf(buf, n, "Received type bigint (%sn)", text);
  else
    snprintf(buf, n, "Received type %s (%s)",
             t == napi_number ? "number" : "boolean", text);
}

/* Node's description of a received value ("Received type number (1)"),
   as internal/errors.js determineSpecificType makes it. */
static void describe(napi_env env, napi_value value, char *buf, size_t n) {
  napi_valuetype t = napi_undefined;
  napi_value ctor;
  char text[64] = "";

  if (value == NULL || napi_typeof(env, value, &t) != napi_ok) {
    snprintf(buf, n, "Received undefined");
    return;
  }
  switch (t) {
    case napi_undefined:
      snprintf(buf, n, "Received undefined");
      return;
    case napi_null:
      snprintf(buf, n, "Received null");
      return;
    case napi_function:
      if (get_name(env, value, "name", text, sizeof(text)))
        snprintf(buf, n, "Received function %s", text);
      else
        snprintf(buf, n, "Received function ");
      return;
    case napi_object:
    case napi_external:
      if (t == napi_object &&
          napi_get_named_property(env, value, "constructor", &ctor) ==
              napi_ok &&
          get_name(env, ctor, "name", text, sizeof(text))) {
        snprintf(buf, n, "Received an instance of %s", text);
      } else {
        nt_clear_exception(env);
        snprintf(buf, n, "Received an instance of Object");
      }
      return;
    case napi_symbol:
      /* String(symbol) is allowed; symbol + '' is not. */
      if (get_name(env, value, "description", text, sizeof(text)))
        snprintf(buf, n, "Received type symbol (Symbol(%s))", text);
      else
        snprintf(buf, n, "Received type symbol (Symbol())");
      return;
    default:
      describe_primitive(env, value, t, buf, n);
      return;
  }
}

napi_status nt_throw_type_error(napi_env env, const char *what,
                                const char *expected, napi_value received) {
  char got[128];
  char msg[320];
  bool pending = false;

  /* Never throw on top of a pending exception. */
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending)
    return napi_pending_exception;
  describe(env, received, got, sizeof(got));
  snprintf(msg, sizeof(msg), "The \"%s\" argument must be %s. %s", what,
           expected, got);
  return napi_throw_type_error(env, codes[NT_ERR_INVALID_ARG_TYPE], msg);
}

napi_value nt_make_error(napi_env env, const char *code, const char *message) {
  napi_value code_v = NULL, msg_v, err = NULL;
  if (code != NULL &&
      napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v) != napi_ok)
    return NULL;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_v) !=
      napi_ok)
    return NULL;
  if (napi_create_error(env, code_v, msg_v, &err) != napi_ok) return NULL;
  return err;
}

/* Node's AbortError (cause: signal.reason), its own properties as Node's:
   `cause` (not enumerable), then `code` and `name`. */
napi_value nt_make_abort_error(napi_env env, napi_value reason) {
  napi_value err, code, name;
  napi_property_descriptor props[3] = {{0}, {0}, {0}};

  err = nt_make_error(env, NULL, "The operation was aborted");
  if (err == NULL) return NULL;
  if (reason == NULL) napi_get_undefined(env, &reason);
  if (napi_create_string_utf8(env, codes[NT_ERR_ABORT], NAPI_AUTO_LENGTH,
                              &code) != napi_ok ||
      napi_create_string_utf8(env, "AbortError", NAPI_AUTO_LENGTH, &name) !=
          napi_ok)
    return err;
  /* Defined, not assigned: a setter on Error.prototype must not run, nor
     leave an exception that would keep the callback from being called. */
  props[0].utf8name = "cause";
  props[0].value = reason;
  props[0].attributes = napi_writable | napi_configurable;
  props[1].utf8name = "code";
  props[1].value = code;
  props[1].attributes = napi_writable | napi_enumerable | napi_configurable;
  props[2].utf8name = "name";
  props[2].value = name;
  props[2].attributes = napi_writable | napi_enumerable | napi_configurable;
  napi_define_properties(env, err, 3, props);
  return err;
}
