/* exports.calljs: napi_task_call_js from perform, through ask(): perform
   asks a JS handler (calljs.handlers[key]) for an answer. Counts go to the
   shared counters (common.counters(): performs, asked, finished,
   callStatus). */
#include "common.h"

/* JS thread: exports.calljs of this env, for ask_fn. Node deletes it with
   the env. */
static NT_THREAD_LOCAL napi_ref calljs_ref = NULL;

/* Lives on perform's stack: perform owns it, the JS thread borrows it. */
typedef struct ask_req {
  char key[32];     /* which of calljs.handlers to call */
  double question;
  double answer;
} ask_req;

/* The error outputs perform can return (napi_task.h lists them): each must
   win over a call_js exception. */
enum { ERR_OUT_NONE, ERR_OUT_ERROR, ERR_OUT_UV, ERR_OUT_UV_BAD,
       ERR_OUT_NULL_COMPLETE };

typedef struct ask_job {
  ask_req req;
  int gate_before;   /* -1: none; waited on before asking */
  bool wait_closing; /* poll napi_task_cancelled first (env teardown) */
  int error_output;  /* ERR_OUT_*: return that error output whatever
                        call_js said */
  int progress;      /* report 1..progress before asking */
} ask_job;

/* JS thread: answer = calljs.handlers[key](question). */
static napi_status ask_fn(napi_env env, void *data) {
  ask_req *req = data;
  napi_value calljs, handlers, fn, global, arg, answer;
  napi_status s;

  if ((s = napi_get_reference_value(env, calljs_ref, &calljs)) != napi_ok ||
      (s = napi_get_named_property(env, calljs, "handlers", &handlers)) !=
          napi_ok ||
      (s = napi_get_named_property(env, handlers, req->key, &fn)) !=
          napi_ok ||
      (s = napi_get_global(env, &global)) != napi_ok ||
      (s = napi_create_double(env, req->question, &arg)) != napi_ok ||
      (s = napi_call_function(env, global, fn, 1, &arg, &answer)) != napi_ok)
    return s; /* an exception thrown by the handler stays pending */
  return napi_get_value_double(env, answer, &req->answer);
}

static napi_task_output perform_ask(napi_task_ctx ctx, void *data) {
  tracked *tr = data;
  ask_job j = *(ask_job *)tr->extra;
  napi_status s;

  free(tr->extra);
  tr_consume(tr);
  atomic_fetch_add(&ctr.performs, 1);
  if (j.gate_before >= 0) gate_wait(gate_get(j.gate_before));
  if (j.wait_closing)
    while (!napi_task_cancelled(ctx)) nt_sleep_ms(1);
  for (int i = 1; i <= j.progress; i++)
    napi_task_progress(ctx, napi_task_ok_int64(i));
  atomic_fetch_add(&ctr.asked, 1);
  s = napi_task_call_js(ctx, ask_fn, &j.req);
  atomic_store(&ctr.call_status, (int)s);
  atomic_fetch_add(&ctr.finished, 1);
  switch (j.error_output) {
    case ERR_OUT_ERROR:
      return napi_task_error("ETEST_PERFORM", "call_js returned %d", (int)s);
    case ERR_OUT_UV:
      return napi_task_error_uv(UV_ENOENT, "open", "/call_js");
    case ERR_OUT_UV_BAD: /* a non-negative code: an error of its own */
      return napi_task_error_uv((int)s, "open", NULL);
    case ERR_OUT_NULL_COMPLETE: /* misuse, documented as an error output */
      return napi_task_ok(NULL, tr_new(0), tr_drop);
    default:
      break;
  }
  if (s != napi_ok) /* dropped when the handler's exception wins */
    return napi_task_ok(complete_number, tr_new(-(double)s), tr_drop);
  return napi_task_ok_double(j.req.answer * 2);
}

/* ask({key, question, errorOutput: true|'uv'|'uvBad'|'nullComplete',
        gateBefore, waitClosing, progress,
        onProgress, signal}, cb?):
   perform reports progress 1..progress (QUEUE), then asks
   calljs.handlers[key](question) through napi_task_call_js and resolves
   with twice the answer (or, when call_js failed, with minus its
   status). */
static napi_value ask(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, o, v;
  ask_job *j = calloc(1, sizeof(*j));
  tracked *tr;
  napi_task t;

  if (j == NULL) return NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  o = argv[0];
  if ((v = opt(env, o, "key")) != NULL)
    arg_string(env, v, j->req.key, sizeof(j->req.key));
  j->req.question = opt_num(env, o, "question", 0);
  /* errorOutput: true (napi_task_error), or 'uv', 'uvBad', 'nullComplete' */
  if ((v = opt(env, o, "errorOutput")) != NULL) {
    char kind[16] = "";
    napi_valuetype type = napi_undefined;
    napi_typeof(env, v, &type);
    if (type == napi_string) arg_string(env, v, kind, sizeof(kind));
    j->error_output = strcmp(kind, "uv") == 0             ? ERR_OUT_UV
                      : strcmp(kind, "uvBad") == 0        ? ERR_OUT_UV_BAD
                      : strcmp(kind, "nullComplete") == 0 ? ERR_OUT_NULL_COMPLETE
                      : opt_bool(env, o, "errorOutput")   ? ERR_OUT_ERROR
                                                          : ERR_OUT_NONE;
  }
  j->wait_closing = opt_bool(env, o, "waitClosing");
  j->gate_before = (int)opt_num(env, o, "gateBefore", -1);
  j->progress = (int)opt_num(env, o, "progress", 0);
  tr = tr_new(0);
  tr->extra = j;
  last_status = napi_task_build(env, perform_ask, tr, drop_with_extra, &t);
  if (last_status != napi_ok) return NULL;
  if (((v = opt(env, o, "signal")) != NULL &&
       (last_status = napi_task_set_signal(t, v)) != napi_ok) ||
      ((v = opt(env, o, "onProgress")) != NULL &&
       (last_status = napi_task_set_progress(t, v, NAPI_TASK_PROGRESS_QUEUE)) !=
           napi_ok)) {
    napi_task_discard(t);
    return NULL;
  }
  return deliver(env, t, argc > 1 ? argv[1] : NULL);
}

/* Env cleanup hook (the env's thread): the reference is the addon's to
   delete; Node does not free it at teardown. */
static void delete_calljs_ref(void *arg) {
  napi_env env = arg;
  if (calljs_ref != NULL) napi_delete_reference(env, calljs_ref);
  calljs_ref = NULL;
}

napi_value init_calljs(napi_env env) {
  napi_value o, handlers;
  CHECK(env, napi_create_object(env, &o));
  CHECK(env, napi_create_object(env, &handlers));
  CHECK(env, napi_set_named_property(env, o, "handlers", handlers));
  CHECK(env, napi_create_reference(env, o, 1, &calljs_ref));
  CHECK(env, napi_add_env_cleanup_hook(env, delete_calljs_ref, env));
  set_fn(env, o, "ask", ask);
  return o;
}
