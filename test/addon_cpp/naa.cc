/* exports.naa: the C++ builder with node-addon-api (<napi.h> included
   first, so build() takes a Napi::Env and delivers Napi::Value and
   Napi::Promise). test_addon_cpp compiles this file with
   NAPI_CPP_EXCEPTIONS (a failure throws a Napi::Error), and
   test_addon_cpp_noexcept with NAPI_DISABLE_CPP_EXCEPTIONS (a pending
   exception and an empty value): JS must see the same either way. */
#include <napi.h>

#include <napi_task.hpp>

#include "common.hh"

#include <stdexcept>
#include <string>

namespace test_cpp {

namespace {

/* JS thread: exports.naa.handlers of this env, for call_js. */
thread_local napi_ref handlers_ref = nullptr;

/* A TypeError for a bad argument, thrown as node-addon-api throws: a C++
   throw under NAPI_CPP_EXCEPTIONS, else a pending exception and an empty
   value (after which no other Napi call may be made: so arguments are
   checked first). */
#define ARG(cond, env, what)                                              \
  do {                                                                    \
    if (!(cond)) {                                                        \
      Napi::TypeError e = Napi::TypeError::New((env), what);              \
      e.Set("code", Napi::String::New((env), "ERR_INVALID_ARG_TYPE"));    \
      NAPI_THROW(e, Napi::Value());                                       \
    }                                                                     \
  } while (0)

Napi::Value Deliver(napi_task::naa_builder &b, const Napi::Value &cb) {
  if (cb.IsUndefined()) return b.promise();
  return b.schedule(cb);
}

auto AddOnePerform(double n) {
  return [in = tracked(n)](napi_task::ctx) mutable {
    return [out = tracked(in.use() + 1)](Napi::Env env) mutable {
      return Napi::Number::New(env, out.use());
    };
  };
}

/* addOne(n, cb?) */
Napi::Value AddOne(const Napi::CallbackInfo &info) {
  ARG(info[0].IsNumber(), info.Env(), "n must be a number");
  napi_task::naa_builder b = napi_task::build(
      info.Env(), AddOnePerform(info[0].As<Napi::Number>().DoubleValue()));
  return Deliver(b, info[1]);
}

/* output(kind, cb?, onProgress?): complete callables and progress values
   written with node-addon-api. */
Napi::Value Output(const Napi::CallbackInfo &info) {
  ARG(info[0].IsString(), info.Env(), "kind must be a string");
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  auto go = [&](auto perform) {
    napi_task::naa_builder b = napi_task::build(info.Env(), std::move(perform));
    b.progress(info[2]); /* undefined: no progress */
    return Deliver(b, info[1]);
  };
  if (kind == "object")
    return go([in = tracked(1)]() mutable {
      return [out = tracked(in.use())](Napi::Env env) mutable {
        Napi::Object o = Napi::Object::New(env);
        o.Set("a", Napi::Number::New(env, out.use()));
        o.Set("b", Napi::String::New(env, "two"));
        return o;
      };
    });
  if (kind == "jsonParse")
    /* JSON.parse throws: a Napi::Error under NAPI_CPP_EXCEPTIONS, an empty
       value and a pending SyntaxError without. */
    return go([in = tracked(1)]() mutable {
      return [out = tracked(in.use())](Napi::Env env) mutable -> Napi::Value {
        out.use();
        Napi::Object json = env.Global().Get("JSON").As<Napi::Object>();
        return json.Get("parse").As<Napi::Function>().Call(
            {Napi::String::New(env, "{bad")});
      };
    });
  if (kind == "progress")
    return go([in = tracked(1)](napi_task::ctx ctx) mutable {
      for (int i = 1; i <= 3; i++)
        ctx.progress([t = tracked(i)](Napi::Env env) mutable {
          // Appended, not "p" + decimal(...): GCC 12 at -O3 (Node 24's
          // flags) warns falsely on that (-Wrestrict, GCC bug 105329).
          std::string text("p");
          text += decimal(static_cast<long>(t.use()));
          return Napi::String::New(env, text);
        });
      return in.use();
    });
#if NAPI_TASK_CPP_EXCEPTIONS
  if (kind == "throwsTypeError")
    return go([in = tracked(1)]() mutable {
      return [out = tracked(in.use())](Napi::Env env) mutable -> Napi::Value {
        out.use();
        throw Napi::TypeError::New(env, "thrown as a Napi::TypeError");
      };
    });
  if (kind == "throwsStd")
    return go([in = tracked(1)]() mutable {
      return [out = tracked(in.use())](Napi::Env) mutable -> Napi::Value {
        out.use();
        throw std::runtime_error("a std::runtime_error in complete");
      };
    });
#endif
  NAPI_THROW(Napi::Error::New(info.Env(), "unknown kind " + kind),
             Napi::Value());
}

/* badSignal(v) / badCallback(v) / badProgress(v): the option given v. */
Napi::Value BadSignal(const Napi::CallbackInfo &info) {
  return napi_task::build(info.Env(), AddOnePerform(1))
      .signal(info[0])
      .promise();
}

Napi::Value BadCallback(const Napi::CallbackInfo &info) {
  return napi_task::build(info.Env(), AddOnePerform(1)).schedule(info[0]);
}

Napi::Value BadProgress(const Napi::CallbackInfo &info) {
  return napi_task::build(info.Env(), AddOnePerform(1))
      .progress(info[0], napi_task::coalesce)
      .promise();
}

#if NAPI_TASK_CPP_EXCEPTIONS
/* catches(v): the Napi::Error that a bad signal throws, caught here. */
Napi::Value Catches(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  try {
    napi_task::build(env, AddOnePerform(1)).signal(info[0]).promise();
    o.Set("caught", false);
  } catch (const Napi::Error &e) {
    o.Set("caught", true);
    o.Set("error", e.Value());
    o.Set("pending", env.IsExceptionPending());
  }
  return o;
}
#endif

/* ask(key, question, cb?): perform asks naa.handlers[key](question)
   through ctx.call_js with a Napi::Env function, and resolves with twice
   the answer; a JS exception the handler throws is the task's error. */
Napi::Value Ask(const Napi::CallbackInfo &info) {
  ARG(info[0].IsString() && info[1].IsNumber(), info.Env(),
      "ask(key: string, question: number)");
  std::string key = info[0].As<Napi::String>().Utf8Value();
  double question = info[1].As<Napi::Number>().DoubleValue();
  napi_task::naa_builder b = napi_task::build(
      info.Env(),
      [in = tracked(question), key](napi_task::ctx ctx) mutable
          -> napi_task::output {
        double q = in.use();
        auto r = ctx.call_js([&](Napi::Env env) -> double {
          napi_value h;
          napi_get_reference_value(env, handlers_ref, &h);
          Napi::Value fn = Napi::Object(env, h).Get(key);
          if (fn.IsEmpty() || !fn.IsFunction()) return -1.0;
          Napi::Value out =
              fn.As<Napi::Function>().Call({Napi::Number::New(env, q)});
          if (out.IsEmpty() || !out.IsNumber())
            return 0.0; /* pending (no C++ exceptions), or not a number */
          return out.As<Napi::Number>().DoubleValue();
        });
        counter(CALL_STATUS) = r.status();
        if (!r) return napi_task::ok_undefined(); /* the exception wins */
        return napi_task::ok_double(*r * 2);
      });
  return Deliver(b, info[2]);
}

void DeleteHandlers(void *arg) {
  napi_env env = static_cast<napi_env>(arg);
  if (handlers_ref != nullptr) napi_delete_reference(env, handlers_ref);
  handlers_ref = nullptr;
}

Napi::Object Init(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("addOne", Napi::Function::New(env, AddOne, "addOne"));
  o.Set("output", Napi::Function::New(env, Output, "output"));
  o.Set("badSignal", Napi::Function::New(env, BadSignal, "badSignal"));
  o.Set("badCallback", Napi::Function::New(env, BadCallback, "badCallback"));
  o.Set("badProgress", Napi::Function::New(env, BadProgress, "badProgress"));
#if NAPI_TASK_CPP_EXCEPTIONS
  o.Set("catches", Napi::Function::New(env, Catches, "catches"));
#endif
  o.Set("ask", Napi::Function::New(env, Ask, "ask"));
  Napi::Object handlers = Napi::Object::New(env);
  o.Set("handlers", handlers);
  napi_create_reference(env, handlers, 1, &handlers_ref);
  napi_add_env_cleanup_hook(env, DeleteHandlers, env);
  return o;
}

}  // namespace

/* Called from the module's plain-C init: no C++ exception may leave. */
napi_value init_naa(napi_env env) {
#if NAPI_TASK_CPP_EXCEPTIONS
  try {
    return Init(Napi::Env(env));
  } catch (const Napi::Error &e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
#else
  return Init(Napi::Env(env));
#endif
}

}  // namespace test_cpp
