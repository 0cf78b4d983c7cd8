/* exports.core: scenarios for building and delivering tasks, every output
   constructor, errors and bad input. addOne() and lastStatus() are
   common's (common.c). */
#include "common.h"

#include <stdio.h>

/* ---- add one (the RFC example; common.addOne() delivers it) ---- */

/* addOneTask(n, cb) -> status of napi_task_schedule_task */
static napi_value add_one_task(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_task_build(env, perform_add_one,
                             tr_new(arg_double(env, argv[0])), tr_drop, &t));
  return js_int(env, napi_task_schedule_task(t, argv[1]));
}

/* ---- every output constructor ---- */

typedef struct out_req {
  char kind[32];
  char text[256];
  double num;
} out_req;

static napi_value complete_throw(napi_env env, void *data) {
  tracked *t = data;
  tr_consume(t);
  napi_throw_error(env, "ETEST", "complete threw");
  return NULL;
}

static napi_value complete_throw_primitive(napi_env env, void *data) {
  napi_value s;
  tr_consume(data);
  napi_create_string_utf8(env, "boom", NAPI_AUTO_LENGTH, &s);
  napi_throw(env, s);
  return NULL;
}

static napi_value complete_null(napi_env env, void *data) {
  (void)env;
  tr_consume(data);
  return NULL;
}

static napi_task_output perform_output(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  out_req *r = tr->extra;
  napi_task_output o;
  (void)ctx;

  if (!strcmp(r->kind, "undefined")) {
    o = napi_task_ok_undefined();
  } else if (!strcmp(r->kind, "true")) {
    o = napi_task_ok_bool(true);
  } else if (!strcmp(r->kind, "false")) {
    o = napi_task_ok_bool(false);
  } else if (!strcmp(r->kind, "double")) {
    o = napi_task_ok_double(r->num);
  } else if (!strcmp(r->kind, "int64")) {
    o = napi_task_ok_int64((int64_t)r->num);
  } else if (!strcmp(r->kind, "int64max")) {
    o = napi_task_ok_int64(INT64_MAX);
  } else if (!strcmp(r->kind, "string")) {
    char *s = tr_bytes(strlen(r->text));
    memcpy(s, r->text, strlen(r->text) + 1);
    o = napi_task_ok_string(s, tr_drop_bytes);
  } else if (!strcmp(r->kind, "nullString")) {
    o = napi_task_ok_string(NULL, tr_drop_bytes);
  } else if (!strcmp(r->kind, "buffer")) {
    size_t n = (size_t)r->num;
    unsigned char *b = tr_bytes(n);
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(i * 7 + 3);
    o = napi_task_ok_buffer(b, n, tr_drop_bytes);
  } else if (!strcmp(r->kind, "emptyBuffer")) {
    o = napi_task_ok_buffer(NULL, 0, NULL);
  } else if (!strcmp(r->kind, "complete")) {
    o = napi_task_ok(complete_number, tr_new(r->num), tr_drop);
  } else if (!strcmp(r->kind, "completeThrow")) {
    o = napi_task_ok(complete_throw, tr_new(0), tr_drop);
  } else if (!strcmp(r->kind, "completeThrowPrimitive")) {
    o = napi_task_ok(complete_throw_primitive, tr_new(0), tr_drop);
  } else if (!strcmp(r->kind, "completeNull")) {
    o = napi_task_ok(complete_null, tr_new(0), tr_drop);
  } else if (!strcmp(r->kind, "completeNullFn")) {
    o = napi_task_ok(NULL, tr_new(0), tr_drop);
  } else if (!strcmp(r->kind, "error")) {
    o = napi_task_error("ETEST_CODE", "failed with %d and %s", (int)r->num,
                        r->text);
  } else if (!strcmp(r->kind, "errorNoCode")) {
    o = napi_task_error(NULL, "%s", r->text);
  } else if (!strcmp(r->kind, "errorUv")) {
    o = napi_task_error_uv((int)r->num, "open", r->text);
  } else if (!strcmp(r->kind, "errorUvNoPath")) {
    o = napi_task_error_uv((int)r->num, "read", NULL);
  } else {
    o = napi_task_error("EUNKNOWN", "unknown kind %s", r->kind);
  }
  free(r);
  tr_consume(tr);
  return o;
}

static void drop_output_req(void *data) {
  tracked *tr = data;
  free(tr->extra);
  tr_drop(tr);
}

/* output(kind, num, text, cb?) */
static napi_value output(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4] = {NULL, NULL, NULL, NULL};
  out_req *r = calloc(1, sizeof(*r));
  tracked *tr;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  arg_string(env, argv[0], r->kind, sizeof(r->kind));
  r->num = arg_double(env, argv[1]);
  if (argc > 2) arg_string(env, argv[2], r->text, sizeof(r->text));
  tr = tr_new(0);
  tr->extra = r;
  CHECK(env, napi_task_build(env, perform_output, tr, drop_output_req, &t));
  return deliver(env, t, argc > 3 ? argv[3] : NULL);
}

/* ---- bad input ---- */

/* scheduleWith(value): napi_task_schedule with `value` as the callback. */
static napi_value schedule_with(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t));
  last_status = napi_task_schedule(t, argv[0], &r);
  return r;
}

/* scheduleTaskWith(value): the same through napi_task_schedule_task. */
static napi_value schedule_task_with(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t));
  last_status = napi_task_schedule_task(t, argv[0]);
  return NULL;
}

static napi_value noop(napi_env env, napi_callback_info info) {
  (void)info;
  return js_undefined(env);
}

/* nullArgs(): statuses of NULL-argument calls. Every tracked datum given
   is dropped exactly once (checked by the JS side through counts()). */
static napi_value null_args(napi_env env, napi_callback_info info) {
  napi_value o, r, cb;
  napi_task t;
  (void)info;
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_create_function(env, "cb", NAPI_AUTO_LENGTH, noop, NULL,
                                  &cb));
  put_int(env, o, "buildNullEnv",
      napi_task_build(NULL, perform_add_one, tr_new(1), tr_drop, &t));
  put_int(env, o, "buildNullPerform",
      napi_task_build(env, NULL, tr_new(1), tr_drop, &t));
  put_int(env, o, "buildNullResult",
      napi_task_build(env, perform_add_one, tr_new(1), tr_drop, NULL));
  put_int(env, o, "buildNullDrop",
      napi_task_build(env, NULL, NULL, NULL, &t));
  put_int(env, o, "scheduleNullTask", napi_task_schedule(NULL, cb, &r));
  put_int(env, o, "scheduleTaskNullTask", napi_task_schedule_task(NULL, cb));
  put_int(env, o, "promiseNullTask", napi_task_promise(NULL, &r));
  napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t);
  put_int(env, o, "promiseNullResult", napi_task_promise(t, NULL));
  napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t);
  put_int(env, o, "scheduleNullCallback", napi_task_schedule(t, NULL, NULL));
  put_int(env, o, "setNameNullTask", napi_task_set_name(NULL, "x"));
  napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t);
  put_int(env, o, "setNameNullName", napi_task_set_name(t, NULL));
  napi_task_discard(t);
  napi_task_discard(NULL);
  return o;
}

/* The status, and as key + "Code" the code of the exception the call left
   pending (taken, so the next call starts clean), or null. */
static void put_status_code(napi_env env, napi_value o, const char *key,
                            napi_status status) {
  char name[64];
  bool pending = false;
  napi_value exc = NULL, code = NULL;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
    napi_get_and_clear_last_exception(env, &exc);
  put_int(env, o, key, status);
  snprintf(name, sizeof(name), "%sCode", key);
  if (exc == NULL || napi_get_named_property(env, exc, "code", &code) != napi_ok)
    napi_get_null(env, &code);
  napi_set_named_property(env, o, name, code);
}

/* deliverTwice(cb): delivers a task, then delivers the same handle again
   (by each method) while it is in flight; returns the second statuses and
   the codes of what they threw. */
static napi_value deliver_twice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], o, r;
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_task_build(env, perform_add_one, tr_new(1), tr_drop, &t));
  CHECK(env, napi_task_schedule(t, argv[0], NULL));
  CHECK(env, napi_create_object(env, &o));
  put_status_code(env, o, "schedule", napi_task_schedule(t, argv[0], &r));
  put_status_code(env, o, "scheduleTask",
                  napi_task_schedule_task(t, argv[0]));
  put_status_code(env, o, "promise", napi_task_promise(t, &r));
  put_status_code(env, o, "setName", napi_task_set_name(t, "again"));
  napi_task_discard(t); /* a no-op on a delivered task */
  return o;
}

/* discarded(n): builds n tasks and discards them. */
static napi_value discarded(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  for (int i = 0; i < (int)arg_double(env, argv[0]); i++) {
    CHECK(env, napi_task_build(env, perform_add_one, tr_new(i), tr_drop, &t));
    CHECK(env, napi_task_set_name(t, "discarded"));
    napi_task_discard(t);
  }
  return js_undefined(env);
}

/* named(name, n, cb?): add one, with an async_hooks resource name. */
static napi_value named(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  char name[64];
  napi_task t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  arg_string(env, argv[0], name, sizeof(name));
  CHECK(env, napi_task_build(env, perform_add_one,
                             tr_new(arg_double(env, argv[1])), tr_drop, &t));
  CHECK(env, napi_task_set_name(t, name));
  return deliver(env, t, argc > 2 ? argv[2] : NULL);
}

napi_value init_core(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  set_fn(env, o, "addOneTask", add_one_task);
  set_fn(env, o, "output", output);
  set_fn(env, o, "scheduleWith", schedule_with);
  set_fn(env, o, "scheduleTaskWith", schedule_task_with);
  set_fn(env, o, "nullArgs", null_args);
  set_fn(env, o, "deliverTwice", deliver_twice);
  set_fn(env, o, "discarded", discarded);
  set_fn(env, o, "named", named);
  return o;
}
