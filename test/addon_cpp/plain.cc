/* exports.plain: the C++ builder (include/napi_task.hpp) with plain
   Node-API: every kind of perform result, both deliveries, exceptions in
   perform and complete, builders discarded and misused, abort, progress,
   call_js, queues, and what a worker's teardown must drop.

   Every capture is a `tracked` (common.hh), so the JS side can check that
   each was called or destroyed exactly once. Timing never decides a test:
   performs count what they do (common.hh counters), block on gates, and
   the JS side waits for counts. */
#include <napi_task.hpp>

#include "common.hh"

#include <chrono>
#include <climits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace test_cpp {

namespace {

/* JS thread: the builder status of the last scenario (per env: one env
   per thread). */
thread_local napi_status last_status = napi_ok;
/* JS thread: exports.plain.handlers of this env, for call_js. Deleted by
   an env cleanup hook. */
thread_local napi_ref handlers_ref = nullptr;

using bytes = std::vector<uint8_t, counting_alloc<uint8_t>>;

/* Delivers by callback when `cb` is a function (or anything but
   undefined: a bad callback is the builder's to refuse), else as a
   promise. */
napi_value deliver(napi_env env, napi_task::builder &b, napi_value cb) {
  napi_valuetype type = napi_undefined;
  if (cb != nullptr) napi_typeof(env, cb, &type);
  napi_value r = type == napi_undefined ? b.promise() : b.schedule(cb);
  last_status = b.status();
  return r;
}

template <class F>
napi_value build_and_deliver(napi_env env, F &&perform, napi_value cb) {
  napi_task::builder b = napi_task::build(env, std::forward<F>(perform));
  return deliver(env, b, cb);
}

napi_value fortytwo(napi_env env) { return js_number(env, 42); }

/* ---- outputs: output(kind, num, text, cb?) ---- */

napi_value js_output(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  args(env, info, argv, 4);
  const std::string kind = to_string(env, argv[0]);
  const double num = to_number(env, argv[1]);
  const std::string text = to_string(env, argv[2]);
  napi_value cb = argv[3];
  auto go = [&](auto perform) {
    return build_and_deliver(env, std::move(perform), cb);
  };

  if (kind == "undefined")
    return go([in = tracked(num)]() mutable {
      in.use();
      return napi_task::ok_undefined();
    });
  if (kind == "void")
    return go([in = tracked(num)](napi_task::ctx) mutable { in.use(); });
  if (kind == "true")
    return go([in = tracked(num)]() mutable { return in.use() == in.peek(); });
  if (kind == "false")
    return go([in = tracked(num)]() mutable {
      in.use();
      return napi_task::ok_bool(false);
    });
  if (kind == "double")
    return go([in = tracked(num)](napi_task::ctx) mutable { return in.use(); });
  if (kind == "okDouble")
    return go([in = tracked(num)]() mutable {
      return napi_task::ok_double(in.use());
    });
  if (kind == "float")
    return go([in = tracked(num)]() mutable {
      return static_cast<float>(in.use());
    });
  if (kind == "int")
    return go([in = tracked(num)]() mutable {
      return static_cast<int>(in.use());
    });
  if (kind == "int64")
    return go([in = tracked(num)]() mutable {
      return static_cast<int64_t>(in.use());
    });
  if (kind == "int64max")
    return go([in = tracked(num)]() mutable {
      in.use();
      return INT64_MAX;
    });
  if (kind == "uint64max")
    return go([in = tracked(num)]() mutable {
      in.use();
      return UINT64_MAX;
    });
  if (kind == "string")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return text;
    });
  if (kind == "okString")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return napi_task::ok_string(std::move(text));
    });
  if (kind == "embeddedNul")
    return go([in = tracked(num)]() mutable {
      in.use();
      return std::string("a\0b", 3);
    });
  /* A char pointer itself is a compile error for perform (the test
     cpp_perform_char_pointer); ok_string copies it while perform runs. */
  if (kind == "cstring")
    return go([in = tracked(num)]() mutable {
      in.use();
      char local[8] = "caf\xc3\xa9";
      return napi_task::ok_string(local);
    });
  if (kind == "nullCString")
    return go([in = tracked(num)]() mutable {
      in.use();
      return napi_task::ok_string(static_cast<const char *>(nullptr));
    });
  if (kind == "buffer")
    return go([in = tracked(num)]() mutable {
      bytes b(static_cast<size_t>(in.use()));
      for (size_t i = 0; i < b.size(); i++)
        b[i] = static_cast<uint8_t>(i * 7 + 3);
      last_bytes = reinterpret_cast<uintptr_t>(b.data());
      return b;
    });
  if (kind == "charVector")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return std::vector<char>(text.begin(), text.end());
    });
  if (kind == "stringBuffer")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return napi_task::ok_buffer(std::move(text));
    });
  if (kind == "emptyBuffer")
    return go([in = tracked(num)]() mutable {
      in.use();
      return napi_task::ok_buffer(std::vector<uint8_t>());
    });
  if (kind == "error")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return napi_task::error("ETEST_CODE", text);
    });
  if (kind == "errorNoCode")
    return go([in = tracked(num), text]() mutable {
      in.use();
      return napi_task::error(nullptr, text);
    });
  if (kind == "errorUv")
    return go([in = tracked(num), text]() mutable {
      return napi_task::error_uv(static_cast<int>(in.use()), "open", text);
    });
  if (kind == "errorUvNoPath")
    return go([in = tracked(num)]() mutable {
      return napi_task::error_uv(static_cast<int>(in.use()), "read");
    });
  if (kind == "cError")
    return go([in = tracked(num)]() mutable {
      return napi_task_error("ETEST_C", "c helper %d",
                             static_cast<int>(in.use()));
    });
  if (kind == "complete")
    return go([in = tracked(num)]() mutable {
      return [out = tracked(in.use() + 1)](napi_env env) mutable {
        return js_number(env, out.use());
      };
    });
  if (kind == "okComplete")
    return go([in = tracked(num)](const napi_task::ctx &) mutable {
      return napi_task::ok([out = tracked(in.use() + 1)](napi_env env) mutable {
        return js_number(env, out.use());
      });
    });
  if (kind == "completeFnPtr")
    return go([in = tracked(num)]() mutable {
      in.use();
      return &fortytwo;
    });
  if (kind == "completeSmall")
    return go([in = tracked(num)]() mutable {
      return [v = in.use()](napi_env env) { return js_number(env, v * 2); };
    });
  if (kind == "completeNull")
    return go([in = tracked(num)]() mutable {
      return [out = tracked(in.use())](napi_env) mutable {
        out.use();
        return static_cast<napi_value>(nullptr);
      };
    });
  if (kind == "completePending")
    return go([in = tracked(num)]() mutable {
      return [out = tracked(in.use())](napi_env env) mutable -> napi_value {
        out.use();
        napi_throw_error(env, "ETEST", "complete threw");
        return nullptr;
      };
    });
  if (kind == "moveOnly")
    return go([p = std::make_unique<tracked>(num)]() mutable {
      return [p = std::move(p)](napi_env env) { return js_number(env, p->use()); };
    });
  if (kind == "lvalue") {
    /* Built from an lvalue: copied into the task (one copy, one more
       datum); the original is destroyed here, unused. */
    auto perform = [in = tracked(num)]() mutable { return in.use(); };
    napi_task::builder b = napi_task::build(env, perform);
    return deliver(env, b, cb);
  }
#if NAPI_TASK_CPP_EXCEPTIONS
  if (kind == "completeThrows")
    return go([in = tracked(num), text]() mutable {
      return [out = tracked(in.use()), text](napi_env) mutable -> napi_value {
        out.use();
        throw std::runtime_error(text);
      };
    });
  if (kind == "completeThrowsOther")
    return go([in = tracked(num)]() mutable {
      return [out = tracked(in.use())](napi_env) mutable -> napi_value {
        out.use();
        throw 42;
      };
    });
  if (kind == "completePendingThenThrows")
    return go([in = tracked(num)]() mutable {
      return [out = tracked(in.use())](napi_env env) mutable -> napi_value {
        out.use();
        napi_throw_error(env, "EFIRST", "pending first");
        throw std::runtime_error("thrown second");
      };
    });
  if (kind == "performThrows")
    return go([in = tracked(num), text]() mutable -> double {
      in.use();
      throw std::runtime_error(text);
    });
  if (kind == "performThrowsOther")
    return go([in = tracked(num)]() mutable -> napi_task::output {
      in.use();
      throw 7;
    });
  if (kind == "performThrowsUnused")
    /* The capture is destroyed unused while the exception unwinds. */
    return go([in = tracked(num)](napi_task::ctx) -> napi_task::output {
      throw std::logic_error("before using the capture");
    });
#endif
  napi_throw_error(env, nullptr, ("unknown kind " + kind).c_str());
  return nullptr;
}

/* ---- addOne(n, cb?) and bad input ---- */

auto add_one(double n) {
  return [in = tracked(n)](napi_task::ctx) mutable {
    return [out = tracked(in.use() + 1)](napi_env env) mutable {
      return js_number(env, out.use());
    };
  };
}

napi_value js_add_one(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  return build_and_deliver(env, add_one(to_number(env, argv[0])), argv[1]);
}

/* scheduleWith(value): schedule(value) as the callback. */
napi_value js_schedule_with(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  napi_task::builder b = napi_task::build(env, add_one(1));
  napi_value r = b.schedule(argv[0]);
  last_status = b.status();
  return r;
}

/* signalWith(value, cb?) / progressWith(value, cb?): the option given
   `value`, then a delivery. */
napi_value js_signal_with(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  napi_task::builder b = napi_task::build(env, add_one(1)).signal(argv[0]);
  return deliver(env, b, argv[1]);
}

napi_value js_progress_with(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  napi_task::builder b = napi_task::build(env, add_one(1)).progress(argv[0]);
  return deliver(env, b, argv[1]);
}

napi_value js_last_status(napi_env env, napi_callback_info) {
  return js_number(env, last_status);
}

/* builders(kind, cb?): a builder that is not delivered exactly once, as
   it should be. Returns { status, held } for the kinds that neither
   deliver nor throw. */
napi_value js_builders(napi_env env, napi_callback_info info) {
  napi_value argv[2], o, h;
  args(env, info, argv, 2);
  const std::string kind = to_string(env, argv[0]);
  napi_value cb = argv[1];
  napi_status status = napi_ok;
  bool held = false;

  if (kind == "destroyed") {
    napi_task::builder b = napi_task::build(env, add_one(1)).name("never");
    held = static_cast<bool>(b);
    status = b.status();
    /* b goes out of scope undelivered: discarded. */
  } else if (kind == "assigned") {
    napi_task::builder b = napi_task::build(env, add_one(1));
    b = napi_task::build(env, add_one(10)); /* the first is discarded */
    return deliver(env, b, cb);
  } else if (kind == "discard") {
    napi_task::builder b = napi_task::build(env, add_one(1));
    b.discard();
    b.discard();
    status = b.status();
    held = static_cast<bool>(b);
  } else if (kind == "released") {
    napi_task::builder b = napi_task::build(env, add_one(1));
    napi_task::handle h = b.release();
    held = static_cast<bool>(b);
    napi_task_discard(h);
  } else if (kind == "adopted") {
    napi_task::builder b = napi_task::build(env, add_one(2));
    napi_task::builder c(env, b.release());
    return deliver(env, c, cb);
  } else if (kind == "adoptedNull") {
    napi_task::builder b(env, nullptr);
    return b.promise(); /* throws: b holds no task */
  } else if (kind == "movedFrom") {
    napi_task::builder a = napi_task::build(env, add_one(1));
    napi_task::builder b(std::move(a));
    b.promise();
    return a.promise(); /* throws: a holds no task */
  } else if (kind == "twice") {
    napi_task::builder b = napi_task::build(env, add_one(1));
    b.promise();
    return b.schedule(cb); /* throws: delivered already */
  } else if (kind == "nullEnv") {
    napi_task::builder b = napi_task::build(nullptr, add_one(1));
    status = b.status();
    held = static_cast<bool>(b);
  } else if (kind == "nullSignal") {
    return napi_task::build(env, add_one(1)).signal(nullptr).promise();
  } else if (kind == "nullName") {
    return napi_task::build(env, add_one(1))
        .name(static_cast<const char *>(nullptr))
        .promise();
  } else if (kind == "emptyQueue") {
    return napi_task::build(env, add_one(1))
        .queue(napi_task::queue())
        .promise();
  } else if (kind == "afterFailure") {
    /* The first failure is the one reported; later setters do nothing. */
    napi_task::builder b = napi_task::build(env, add_one(1));
    b.signal(js_number(env, 1)).progress(js_number(env, 2)).name("x");
    last_status = b.status();
    return b.schedule(cb);
  } else if (kind == "empty") {
    napi_task::builder b;
    held = static_cast<bool>(b);
    b.promise(); /* no env: nothing can be thrown */
    status = b.status();
  } else {
    napi_throw_error(env, nullptr, ("unknown kind " + kind).c_str());
    return nullptr;
  }
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  napi_set_named_property(env, o, "status", js_number(env, status));
  napi_get_boolean(env, held, &h);
  napi_set_named_property(env, o, "held", h);
  return o;
}

/* ---- the configurable job: run(opts, cb?) ---- */

struct job {
  int gate_before = -1; /* waited on before reporting progress */
  int gate = -1;        /* waited on after */
  bool lane = false;    /* count how many run at once */
  int progress = 0;     /* report 1..progress */
  std::string kind;     /* of the progress values */
  bool spin = false;    /* poll ctx.cancelled() until it turns true */
  std::string output;   /* "complete" (default), "error", "string" */
};

void count_progress(napi_status s) {
  counter(s == napi_ok          ? PROGRESS_OK
          : s == napi_cancelled ? PROGRESS_CANCELLED
                                : PROGRESS_OTHER)++;
}

void report(const napi_task::ctx &ctx, const std::string &kind, int i) {
  if (kind == "double")
    count_progress(ctx.progress(i + 0.5));
  else if (kind == "bool")
    count_progress(ctx.progress(i % 2 == 0));
  else if (kind == "string")
    count_progress(ctx.progress(decimal(i)));
  else if (kind == "cstring")
    count_progress(ctx.progress("step"));
  else if (kind == "buffer")
    count_progress(ctx.progress(bytes(static_cast<size_t>(i), 7)));
  else if (kind == "complete")
    count_progress(ctx.progress([t = tracked(i)](napi_env env) mutable {
      return js_number(env, t.use());
    }));
  else if (kind == "error")
    count_progress(ctx.progress(
        napi_task::error("ETEST_PROGRESS", "step " + decimal(i))));
  else if (kind == "output")
    count_progress(ctx.progress(napi_task_ok_int64(i)));
  else
    count_progress(ctx.progress(i));
}

napi_task::queue *queue_arg(napi_env env, napi_value v) {
  void *q = nullptr;
  if (v == nullptr || napi_get_value_external(env, v, &q) != napi_ok)
    return nullptr;
  return static_cast<napi_task::queue *>(q);
}

/* run({value, gateBefore, gate, lane, progress, kind, spin, output,
        signal, onProgress, mode, queue, name}, cb?) */
napi_value js_run(napi_env env, napi_callback_info info) {
  napi_value argv[2], v;
  args(env, info, argv, 2);
  napi_value o = argv[0];
  job j;
  if ((v = get(env, o, "gateBefore")) != nullptr &&
      (j.gate_before = gate_arg(env, v)) < 0)
    return nullptr;
  if ((v = get(env, o, "gate")) != nullptr && (j.gate = gate_arg(env, v)) < 0)
    return nullptr;
  j.lane = get(env, o, "lane") != nullptr;
  j.progress = static_cast<int>(to_number(env, get(env, o, "progress"), 0));
  j.kind = to_string(env, get(env, o, "kind"));
  j.spin = get(env, o, "spin") != nullptr;
  j.output = to_string(env, get(env, o, "output"));
  double value = to_number(env, get(env, o, "value"), 0);

  napi_task::builder b = napi_task::build(
      env, [in = tracked(value), j = std::move(j)](napi_task::ctx ctx) mutable
               -> napi_task::output {
        double value = in.use();
        counter(PERFORMS)++;
        if (j.lane) lane_enter();
        if (j.gate_before >= 0) gate_wait(j.gate_before, ctx.get());
        for (int i = 1; i <= j.progress; i++) report(ctx, j.kind, i);
        counter(EMITTED)++;
        if (j.gate >= 0) gate_wait(j.gate, ctx.get());
        if (j.spin) {
          counter(SPINNING)++;
          while (!ctx.cancelled())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          counter(CANCELLED_SEEN)++;
          counter(SPINNING)--;
        }
        if (j.lane) lane_leave();
        counter(FINISHED)++;
        if (j.output == "error")
          return napi_task::error("ETEST_PERFORM",
                                  "perform failed with " +
                                      decimal(static_cast<long>(value)));
        if (j.output == "string")
          return napi_task::ok_string("value " +
                                      decimal(static_cast<long>(value)));
        return napi_task::ok([out = tracked(value)](napi_env env) mutable {
          return js_number(env, out.use());
        });
      });
  if ((v = get(env, o, "signal")) != nullptr) b.signal(v);
  if ((v = get(env, o, "onProgress")) != nullptr)
    b.progress(v, to_string(env, get(env, o, "mode")) == "coalesce"
                      ? napi_task::coalesce
                      : napi_task::every);
  if ((v = get(env, o, "queue")) != nullptr) {
    napi_task::queue *q = queue_arg(env, v);
    if (q != nullptr) b.queue(*q); else b.queue(napi_task::queue());
  }
  if ((v = get(env, o, "name")) != nullptr) b.name(to_string(env, v));
  return deliver(env, b, argv[1]);
}

/* ---- queues ---- */

void delete_queue(napi_env, void *data, void *) {
  delete static_cast<napi_task::queue *>(data);
}

/* queueCreate(max) -> an external holding a napi_task::queue (deleted,
   so released, when collected), or a thrown Error. */
napi_value js_queue_create(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  args(env, info, argv, 1);
  auto *q = new napi_task::queue(
      env, static_cast<uint32_t>(to_number(env, argv[0])));
  last_status = q->status();
  if (!*q) {
    delete q;
    return nullptr; /* its Error is pending */
  }
  if (napi_create_external(env, q, delete_queue, nullptr, &r) != napi_ok) {
    delete q;
    return nullptr;
  }
  return r;
}

/* queueRelease(q) -> status of napi_task_queue_release (through reset()) */
napi_value js_queue_release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  napi_task::queue *q = queue_arg(env, argv[0]);
  return js_number(env, q != nullptr ? q->reset() : napi_invalid_arg);
}

/* ---- call_js: ask(opts, cb?) ---- */

/* JS thread: answer = plain.handlers[key](question), as a napi_status
   chain (a thrown exception stays pending). */
napi_status ask_js(napi_env env, const std::string &key, double question,
                   double *answer) {
  napi_value handlers, fn, global, arg, out;
  napi_status s;
  if ((s = napi_get_reference_value(env, handlers_ref, &handlers)) != napi_ok ||
      (s = napi_get_named_property(env, handlers, key.c_str(), &fn)) !=
          napi_ok ||
      (s = napi_get_global(env, &global)) != napi_ok ||
      (s = napi_create_double(env, question, &arg)) != napi_ok ||
      (s = napi_call_function(env, global, fn, 1, &arg, &out)) != napi_ok)
    return s;
  return napi_get_value_double(env, out, answer);
}

/* ask({key, question, kind, errorOutput, gateBefore, signal}, cb?):
   perform asks plain.handlers[key](question) through ctx.call_js and
   resolves with twice the answer; when call_js failed, with minus its
   status (an output that a JS exception replaces). kind: "value" (fn
   returns the answer), "status" (fn returns a napi_status), "void"
   (fn writes a local of perform), "throw" (fn throws a C++ exception). */
napi_value js_ask(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  napi_value o = argv[0];
  std::string key = to_string(env, get(env, o, "key"));
  std::string kind = to_string(env, get(env, o, "kind"));
  double question = to_number(env, get(env, o, "question"), 0);
  bool error_output = get(env, o, "errorOutput") != nullptr;
  int gate_before = -1;
  napi_value g = get(env, o, "gateBefore");
  if (g != nullptr && (gate_before = gate_arg(env, g)) < 0) return nullptr;

  napi_task::builder b = napi_task::build(
      env, [in = tracked(question), key, kind, error_output,
            gate_before](napi_task::ctx ctx) mutable -> napi_task::output {
        double q = in.use();
        double answer = 0;
        napi_status s;
        if (gate_before >= 0) gate_wait(gate_before, ctx.get());
        counter(ASKED)++;
        if (kind == "status") {
          s = ctx.call_js([&](napi_env env) {
                   return ask_js(env, key, q, &answer);
                 }).status();
        } else if (kind == "void") {
          s = ctx.call_js([&](napi_env env) {
                   ask_js(env, key, q, &answer);
                 }).status();
#if NAPI_TASK_CPP_EXCEPTIONS
        } else if (kind == "throw") {
          auto r = ctx.call_js([&](napi_env) -> double {
            throw std::runtime_error("thrown in call_js");
          });
          s = r.status();
#endif
        } else {
          napi_task::js_result<double> r = ctx.call_js([&](napi_env env) {
            double a = 0;
            ask_js(env, key, q, &a);
            return a;
          });
          s = r.status();
          answer = r.value_or(-1.0);
        }
        counter(CALL_STATUS) = s;
        counter(FINISHED)++;
        if (error_output)
          return napi_task::error(
              "ETEST_PERFORM",
              "call_js returned " + decimal(static_cast<long>(s)));
        if (s != napi_ok)
          return napi_task::ok([out = tracked(-static_cast<double>(s))](
                                   napi_env env) mutable {
            return js_number(env, out.use());
          });
        return napi_task::ok_double(answer * 2);
      });
  napi_value signal = get(env, o, "signal");
  if (signal != nullptr) b.signal(signal);
  return deliver(env, b, argv[1]);
}

/* ---- teardown ---- */

/* gated(gateId, value, cb?): perform waits on the gate (or until its task
   is cancelled), then returns a complete callable capturing a tracked
   value. */
napi_value js_gated(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  args(env, info, argv, 3);
  int id = gate_arg(env, argv[0]);
  if (id < 0) return nullptr;
  return build_and_deliver(
      env,
      [in = tracked(to_number(env, argv[1])), id](napi_task::ctx ctx) mutable {
        double v = in.use();
        gate_wait(id, ctx.get());
        return [out = tracked(v)](napi_env env) mutable {
          return js_number(env, out.use());
        };
      },
      argv[2]);
}

/* leakBuilt(n): n tasks built and handed over as C handles that nobody
   delivers: the env's teardown must drop them. */
napi_value js_leak_built(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  int n = static_cast<int>(to_number(env, argv[0]));
  for (int i = 0; i < n; i++)
    (void)napi_task::build(env, add_one(i)).release();
  return js_undefined(env);
}

/* Env cleanup hook: the handlers reference is the addon's to delete. */
void delete_handlers(void *arg) {
  napi_env env = static_cast<napi_env>(arg);
  if (handlers_ref != nullptr) napi_delete_reference(env, handlers_ref);
  handlers_ref = nullptr;
}

}  // namespace

napi_value init_plain(napi_env env) {
  napi_value o;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  set_fn(env, o, "output", js_output);
  set_fn(env, o, "addOne", js_add_one);
  set_fn(env, o, "scheduleWith", js_schedule_with);
  set_fn(env, o, "signalWith", js_signal_with);
  set_fn(env, o, "progressWith", js_progress_with);
  set_fn(env, o, "lastStatus", js_last_status);
  set_fn(env, o, "builders", js_builders);
  set_fn(env, o, "run", js_run);
  set_fn(env, o, "queueCreate", js_queue_create);
  set_fn(env, o, "queueRelease", js_queue_release);
  set_fn(env, o, "ask", js_ask);
  set_fn(env, o, "gated", js_gated);
  set_fn(env, o, "leakBuilt", js_leak_built);
  napi_value handlers;
  if (napi_create_object(env, &handlers) != napi_ok ||
      napi_set_named_property(env, o, "handlers", handlers) != napi_ok ||
      napi_create_reference(env, handlers, 1, &handlers_ref) != napi_ok ||
      napi_add_env_cleanup_hook(env, delete_handlers, env) != napi_ok)
    return nullptr;
  return o;
}

}  // namespace test_cpp
