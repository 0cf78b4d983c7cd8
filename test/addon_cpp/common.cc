/* The ledger and helpers shared by the C++ test addon's features, and
   exports.common: counts(), reset(), gates (helpers.c), buffer addresses
   and a wait. */
#include <napi_task.hpp>

#include "common.hh"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace test_cpp {

namespace {

constexpr uint32_t LIVE = 0x7a11ed01u;  /* holds a datum */
constexpr uint32_t EMPTY = 0x3e3e3e3eu; /* moved from, or used */
constexpr uint32_t DEAD = 0xdeadbeefu;  /* destroyed */
constexpr int WAIT_LIMIT_MS = 10000;

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

std::string decimal(long v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%ld", v);
  return buf;
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

void args(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
}

namespace {

void put(napi_env env, napi_value o, const char *key, double v) {
  napi_set_named_property(env, o, key, js_number(env, v));
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
  return js_undefined(env);
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

}  // namespace

napi_value init_common(napi_env env) {
  napi_value o;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  set_fn(env, o, "counts", js_counts);
  set_fn(env, o, "reset", js_reset);
  set_shared_fns(env, o); /* gateOpen, gateWaiting, gateDrain, poolSize */
  set_fn(env, o, "waitFor", js_wait_for);
  set_fn(env, o, "bufferAddress", js_buffer_address);
  set_fn(env, o, "lastBytes", js_last_bytes);
  return o;
}

}  // namespace test_cpp
