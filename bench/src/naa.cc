// node-addon-api peer: Napi::AsyncWorker, one worker object per task.
// Callback form: the worker's callback gets (null, value) from OnOK.
// Promise form: a worker built on the env, resolving a Promise::Deferred
// from OnOK, the pattern node-addon-api's docs show.
#include <napi.h>

#include "common.h"

namespace {

Napi::Value JobValue(Napi::Env env, int job, uint64_t result) {
  if (job == BENCH_SUM) return Napi::Number::New(env, (double)result);
  return env.Undefined();
}

class CallbackWorker : public Napi::AsyncWorker {
 public:
  CallbackWorker(const Napi::Function& cb, int job, uint64_t arg)
      : Napi::AsyncWorker(cb, "bench_naa"), job_(job), arg_(arg) {}

  void Execute() override { result_ = bench_run(job_, arg_); }

  void OnOK() override {
    Napi::Env env = Env();
    Callback().Call({env.Null(), JobValue(env, job_, result_)});
  }

 private:
  int job_;
  uint64_t arg_;
  uint64_t result_ = 0;
};

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, int job, uint64_t arg)
      : Napi::AsyncWorker(env, "bench_naa"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(job),
        arg_(arg) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { result_ = bench_run(job_, arg_); }

  void OnOK() override { deferred_.Resolve(JobValue(Env(), job_, result_)); }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int job_;
  uint64_t arg_;
  uint64_t result_ = 0;
};

Napi::Value StartCallback(const Napi::CallbackInfo& info, int job,
                          uint64_t arg, size_t cb_index) {
  auto* w = new CallbackWorker(info[cb_index].As<Napi::Function>(), job, arg);
  w->Queue();  // the worker deletes itself after OnOK
  return info.Env().Undefined();
}

Napi::Value StartPromise(const Napi::CallbackInfo& info, int job,
                         uint64_t arg) {
  auto* w = new PromiseWorker(info.Env(), job, arg);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

uint64_t Arg(const Napi::CallbackInfo& info) {
  return (uint64_t)info[0].As<Napi::Number>().Int64Value();
}

Napi::Value Noop(const Napi::CallbackInfo& info) {
  return StartCallback(info, BENCH_NOOP, 0, 0);
}
Napi::Value NoopPromise(const Napi::CallbackInfo& info) {
  return StartPromise(info, BENCH_NOOP, 0);
}
Napi::Value Sum(const Napi::CallbackInfo& info) {
  return StartCallback(info, BENCH_SUM, Arg(info), 1);
}
Napi::Value SumPromise(const Napi::CallbackInfo& info) {
  return StartPromise(info, BENCH_SUM, Arg(info));
}
Napi::Value Sleep(const Napi::CallbackInfo& info) {
  return StartCallback(info, BENCH_SLEEP, Arg(info), 1);
}
Napi::Value SleepPromise(const Napi::CallbackInfo& info) {
  return StartPromise(info, BENCH_SLEEP, Arg(info));
}
Napi::Value Gate(const Napi::CallbackInfo& info) {
  return StartCallback(info, BENCH_GATE, 0, 0);
}
Napi::Value GatePromise(const Napi::CallbackInfo& info) {
  return StartPromise(info, BENCH_GATE, 0);
}
void GateClose(const Napi::CallbackInfo&) { bench_gate_set(1); }
void GateOpen(const Napi::CallbackInfo&) { bench_gate_set(0); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports["noop"] = Napi::Function::New(env, Noop);
  exports["noopPromise"] = Napi::Function::New(env, NoopPromise);
  exports["sum"] = Napi::Function::New(env, Sum);
  exports["sumPromise"] = Napi::Function::New(env, SumPromise);
  exports["sleep"] = Napi::Function::New(env, Sleep);
  exports["sleepPromise"] = Napi::Function::New(env, SleepPromise);
  exports["gate"] = Napi::Function::New(env, Gate);
  exports["gatePromise"] = Napi::Function::New(env, GatePromise);
  exports["gateClose"] = Napi::Function::New(env, GateClose);
  exports["gateOpen"] = Napi::Function::New(env, GateOpen);
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
