// NAN peer: Nan::AsyncWorker queued with Nan::AsyncQueueWorker, one worker
// per task, the callback called as callback(null, value) from
// HandleOKCallback. NAN has no promise form.
#include <nan.h>

#include "common.h"

namespace {

class Worker : public Nan::AsyncWorker {
 public:
  Worker(Nan::Callback* cb, int job, uint64_t arg)
      : Nan::AsyncWorker(cb, "bench_nan"), job_(job), arg_(arg) {}

  void Execute() override { result_ = bench_run(job_, arg_); }

  void HandleOKCallback() override {
    Nan::HandleScope scope;
    v8::Local<v8::Value> value;
    if (job_ == BENCH_SUM)
      value = Nan::New<v8::Number>((double)result_);
    else
      value = Nan::Undefined();
    v8::Local<v8::Value> argv[] = {Nan::Null(), value};
    callback->Call(2, argv, async_resource);
  }

 private:
  int job_;
  uint64_t arg_;
  uint64_t result_ = 0;
};

void Start(const Nan::FunctionCallbackInfo<v8::Value>& info, int job,
           uint64_t arg, int cb_index) {
  auto* cb = new Nan::Callback(info[cb_index].As<v8::Function>());
  Nan::AsyncQueueWorker(new Worker(cb, job, arg));
}

uint64_t Arg(const Nan::FunctionCallbackInfo<v8::Value>& info) {
  return (uint64_t)Nan::To<int64_t>(info[0]).FromJust();
}

NAN_METHOD(Noop) { Start(info, BENCH_NOOP, 0, 0); }
NAN_METHOD(Sum) { Start(info, BENCH_SUM, Arg(info), 1); }
NAN_METHOD(Sleep) { Start(info, BENCH_SLEEP, Arg(info), 1); }
NAN_METHOD(Gate) { Start(info, BENCH_GATE, 0, 0); }
NAN_METHOD(GateClose) { bench_gate_set(1); }
NAN_METHOD(GateOpen) { bench_gate_set(0); }

NAN_MODULE_INIT(Init) {
  Nan::SetMethod(target, "noop", Noop);
  Nan::SetMethod(target, "sum", Sum);
  Nan::SetMethod(target, "sleep", Sleep);
  Nan::SetMethod(target, "gate", Gate);
  Nan::SetMethod(target, "gateClose", GateClose);
  Nan::SetMethod(target, "gateOpen", GateOpen);
}

}  // namespace

NODE_MODULE(NODE_GYP_MODULE_NAME, Init)
