/* The ledger, gates and helpers shared by the C++ test addon's features,
   and exports.common: counts(), reset(), gates, buffer addresses and a
   wait. */
#include <napi_task.hpp>

#include "common.hh"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace test_cpp {

namespace {

constexpr uint32_t LIVE = 0x7a11ed01u;  /* holds a datum */
constexpr uint32_t EMPTY = 0x3e3e3e3eu; /* moved from, or used */
constexpr uint32_t DEAD = 0xdeadbeefu;  /* destroyed */
constexpr int WAIT_LIMIT_MS = 10000;

struct gate {
  std::mutex mu;
  std::condition_variable cond;
  long permits = 0;
  int waiting = 0;
};

/* Never destroyed: a perform may still wait on one while the process
   exits. */
gate *gates() {
  static gate *all = new gate[GATES];
  return all;
}

gate &gate_at(int id) {
  if (id < 0 || id >= GATES) std::abort(); /* callers check gate_arg() */
  return gates()[id];
}

}  // namespace

ledger &counts() {
  static ledger *l = new ledger();
  return *l;
}

std::atomic<uintptr_t> last_bytes{0};

tracked::tracked(double value) noexcept : state_(LIVE), value_(value) {
  counts().objects++;
  counts().data++;
}

tracked::tracked(const tracked &o) noexcept
    : state_(o.state_ == LIVE ? LIVE : EMPTY), value_(o.value_) {
  counts().objects++;
  counts().copies++;
  if (state_ == LIVE) counts().data++;
}

tracked::tracked(tracked &&o) noexcept : state_(o.state_), value_(o.value_) {
  counts().objects++;
  if (o.state_ == LIVE) o.state_ = EMPTY;
}

tracked::~tracked() {
  if (state_ == DEAD) {
    counts().twice++;
    return;
  }
  if (state_ == LIVE) counts().dropped++;
  state_ = DEAD;
  counts().destroyed++;
}

double tracked::use() noexcept {
  if (state_ != LIVE) {
    counts().misuse++;
    return NAN;
  }
  state_ = EMPTY;
  counts().consumed++;
  return value_;
}

std::atomic<int> &counter(int which) {
  static std::atomic<int> *c = new std::atomic<int>[COUNTERS]();
  if (which < 0 || which >= COUNTERS) std::abort();
  return c[which];
}

void lane_enter() noexcept {
  int now = ++counter(LANE_RUNNING);
  int seen = counter(LANE_MAX).load();
  while (now > seen && !counter(LANE_MAX).compare_exchange_weak(seen, now)) {
  }
}

void lane_leave() noexcept { --counter(LANE_RUNNING); }

void gate_wait(int id, napi_task_ctx ctx) {
  gate &g = gate_at(id);
  std::unique_lock<std::mutex> lock(g.mu);
  g.waiting++;
  g.cond.notify_all();
  while (g.permits == 0 && !napi_task_cancelled(ctx))
    g.cond.wait_for(lock, std::chrono::milliseconds(1));
  if (g.permits > 0) g.permits--;
  g.waiting--;
  g.cond.notify_all();
}

int gate_arg(napi_env env, napi_value v) {
  double d = to_number(env, v, -1);
  if (!(d >= 0 && d < GATES) || d != static_cast<int>(d)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "a gate id is 0..15");
    return -1;
  }
  return static_cast<int>(d);
}

void gate_open(int id, int count) {
  gate &g = gate_at(id);
  std::lock_guard<std::mutex> lock(g.mu);
  g.permits += count;
  g.cond.notify_all();
}

int gate_waiting(int id) {
  gate &g = gate_at(id);
  std::lock_guard<std::mutex> lock(g.mu);
  return g.waiting;
}

std::string decimal(long v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%ld", v);
  return buf;
}

napi_value undefined(napi_env env) {
  napi_value v = nullptr;
  napi_get_undefined(env, &v);
  return v;
}

napi_value number(napi_env env, double d) {
  napi_value v = nullptr;
  napi_create_double(env, d, &v);
  return v;
}

napi_value string(napi_env env, const std::string &s) {
  napi_value v = nullptr;
  napi_create_string_utf8(env, s.data(), s.size(), &v);
  return v;
}

double to_number(napi_env env, napi_value v, double fallback) {
  double d = fallback;
  if (v == nullptr || napi_get_value_double(env, v, &d) != napi_ok)
    return fallback;
  return d;
}

std::string to_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (v == nullptr ||
      napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok)
    return std::string();
  std::string s(len + 1, '\0');
  napi_get_value_string_utf8(env, v, &s[0], s.size(), &len);
  s.resize(len);
  return s;
}

bool is_function(napi_env env, napi_value v) {
  napi_valuetype type = napi_undefined;
  return v != nullptr && napi_typeof(env, v, &type) == napi_ok &&
         type == napi_function;
}

napi_value get(napi_env env, napi_value opts, const char *key) {
  bool has = false;
  napi_value v = nullptr;
  napi_valuetype type = napi_undefined;
  if (opts == nullptr || napi_typeof(env, opts, &type) != napi_ok ||
      type != napi_object ||
      napi_has_named_property(env, opts, key, &has) != napi_ok || !has ||
      napi_get_named_property(env, opts, key, &v) != napi_ok)
    return nullptr;
  return v;
}

void set_fn(napi_env env, napi_value obj, const char *name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) ==
      napi_ok)
    napi_set_named_property(env, obj, name, fn);
}

void args(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
}

namespace {

void put(napi_env env, napi_value o, const char *key, double v) {
  napi_set_named_property(env, o, key, number(env, v));
}

/* counts(): the ledger and the perform counters. */
napi_value js_counts(napi_env env, napi_callback_info) {
  napi_value o;
  ledger &l = counts();
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  put(env, o, "objects", l.objects);
  put(env, o, "destroyed", l.destroyed);
  put(env, o, "copies", l.copies);
  put(env, o, "data", l.data);
  put(env, o, "consumed", l.consumed);
  put(env, o, "dropped", l.dropped);
  put(env, o, "twice", l.twice);
  put(env, o, "misuse", l.misuse);
  put(env, o, "allocs", l.allocs);
  put(env, o, "frees", l.frees);
  put(env, o, "performs", counter(PERFORMS));
  put(env, o, "finished", counter(FINISHED));
  put(env, o, "emitted", counter(EMITTED));
  put(env, o, "spinning", counter(SPINNING));
  put(env, o, "cancelledSeen", counter(CANCELLED_SEEN));
  put(env, o, "progressOk", counter(PROGRESS_OK));
  put(env, o, "progressCancelled", counter(PROGRESS_CANCELLED));
  put(env, o, "progressOther", counter(PROGRESS_OTHER));
  put(env, o, "asked", counter(ASKED));
  put(env, o, "callStatus", counter(CALL_STATUS));
  put(env, o, "laneMax", counter(LANE_MAX));
  return o;
}

/* reset(): the perform counters (not the ledger, which only grows). */
napi_value js_reset(napi_env env, napi_callback_info) {
  for (int i = 0; i < COUNTERS; i++) counter(i) = 0;
  counter(CALL_STATUS) = -1;
  return undefined(env);
}

/* gateOpen(id, count), gateWaiting(id), gateDrain(id) */
napi_value js_gate_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  int id = gate_arg(env, argv[0]);
  if (id < 0) return nullptr;
  gate_open(id, static_cast<int>(to_number(env, argv[1])));
  return undefined(env);
}

napi_value js_gate_waiting(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  int id = gate_arg(env, argv[0]);
  if (id < 0) return nullptr;
  return number(env, gate_waiting(id));
}

napi_value js_gate_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  args(env, info, argv, 1);
  int id = gate_arg(env, argv[0]);
  if (id < 0) return nullptr;
  gate &g = gate_at(id);
  std::lock_guard<std::mutex> lock(g.mu);
  g.permits = 0;
  return undefined(env);
}

/* Blocks the JS thread (so no batch runs meanwhile) until `cond`, at most
   WAIT_LIMIT_MS: false then, a failing test rather than a hang. */
template <class Cond>
napi_value block_until(napi_env env, Cond cond) {
  napi_value r;
  for (int i = 0; i < WAIT_LIMIT_MS && !cond(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  napi_get_boolean(env, cond(), &r);
  return r;
}

/* waitFor(name, n): until counter `name` >= n. Only for a perform that
   runs already: a task's start may need the JS thread to turn. */
napi_value js_wait_for(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  args(env, info, argv, 2);
  std::string name = to_string(env, argv[0]);
  int n = static_cast<int>(to_number(env, argv[1]));
  int which = name == "performs"   ? PERFORMS
              : name == "finished" ? FINISHED
              : name == "emitted"  ? EMITTED
              : name == "spinning" ? SPINNING
              : name == "asked"    ? ASKED
                                   : -1;
  if (which < 0) {
    napi_throw_error(env, nullptr, "unknown counter");
    return nullptr;
  }
  return block_until(env, [&] { return counter(which) >= n; });
}

/* bufferAddress(buf) -> BigInt: where a Buffer's bytes are. */
napi_value js_buffer_address(napi_env env, napi_callback_info info) {
  napi_value argv[1], r = nullptr;
  void *data = nullptr;
  size_t len = 0;
  args(env, info, argv, 1);
  if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok)
    data = nullptr;
  napi_create_bigint_uint64(env, reinterpret_cast<uintptr_t>(data), &r);
  return r;
}

/* lastBytes() -> BigInt: where the last byte vector a perform made kept
   its bytes. */
napi_value js_last_bytes(napi_env env, napi_callback_info) {
  napi_value r = nullptr;
  napi_create_bigint_uint64(env, last_bytes.load(), &r);
  return r;
}

/* The pool size napi-task assumes (libuv's rule, as src/env.c). */
napi_value js_pool_size(napi_env env, napi_callback_info) {
  const char *v = std::getenv("UV_THREADPOOL_SIZE");
  long n = v != nullptr ? std::strtol(v, nullptr, 10) : 4;
  if (n < 1) n = 1;
  if (n > 1024) n = 1024;
  return number(env, static_cast<double>(n));
}

}  // namespace

napi_value init_common(napi_env env) {
  napi_value o;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  set_fn(env, o, "counts", js_counts);
  set_fn(env, o, "reset", js_reset);
  set_fn(env, o, "gateOpen", js_gate_open);
  set_fn(env, o, "gateWaiting", js_gate_waiting);
  set_fn(env, o, "gateDrain", js_gate_drain);
  set_fn(env, o, "waitFor", js_wait_for);
  set_fn(env, o, "bufferAddress", js_buffer_address);
  set_fn(env, o, "lastBytes", js_last_bytes);
  set_fn(env, o, "poolSize", js_pool_size);
  return o;
}

}  // namespace test_cpp
