/*
 * Shared helpers of the C++ test addon (test/cpp.test.js): instance
 * counters on captures, a counting allocator for byte vectors, and
 * argument helpers; the plain Node-API helpers and gates are the C test
 * addon's (test/addon/helpers.h, compiled in from helpers.c). Plain Node-API only: naa.cc includes <napi.h> before
 * anything of napi-task, the other files never see it.
 *
 * Exactly-once accounting. Every capture a scenario hands to napi-task is
 * a `tracked`. Each one counts its objects (constructed, destroyed, copied)
 * and the datum it carries: a datum is created with the first object,
 * moves with the object it is moved into, and ends exactly once, either
 * CONSUMED (use(): the call that got it used it) or DROPPED (the object
 * holding it was destroyed unused). After every scenario the JS side
 * asserts objects == destroyed, data == consumed + dropped, and that
 * nothing was destroyed or used twice.
 */
#ifndef TEST_ADDON_CPP_COMMON_HH_
#define TEST_ADDON_CPP_COMMON_HH_

/* NAPI_VERSION is 8 (binding.gyp), the library's floor. Only the C API's
   types are needed here: every .cc includes napi_task.hpp (after <napi.h>
   where it uses node-addon-api) before this file. */
#include <node_api.h>

#include "../addon/helpers.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace test_cpp {

/* Any thread. Counters of every tracked object in the process: workers
   and the main thread share them, as the C test addon's ledger. */
struct ledger {
  std::atomic<long> objects{0}, destroyed{0}, copies{0};
  std::atomic<long> data{0}, consumed{0}, dropped{0};
  std::atomic<long> twice{0}, misuse{0};
  std::atomic<long> allocs{0}, frees{0};
};
ledger &counts();

class tracked {
 public:
  explicit tracked(double value) noexcept;
  tracked(const tracked &o) noexcept;
  tracked(tracked &&o) noexcept;
  tracked &operator=(const tracked &) = delete;
  tracked &operator=(tracked &&) = delete;
  ~tracked();

  /* Consumes the datum and returns its value (NaN, counted as misuse,
     when this object holds none). */
  double use() noexcept;
  /* The value without consuming it. */
  double peek() const noexcept { return value_; }

 private:
  uint32_t state_;
  double value_;
};

/* A std::allocator that counts, so a byte vector handed to napi-task is
   seen freed exactly once (after its Buffer is collected). */
template <class T>
struct counting_alloc {
  using value_type = T;
  counting_alloc() noexcept = default;
  template <class U>
  counting_alloc(const counting_alloc<U> &) noexcept {}
  T *allocate(std::size_t n) {
    counts().allocs++;
    return static_cast<T *>(::operator new(n * sizeof(T)));
  }
  void deallocate(T *p, std::size_t) noexcept {
    counts().frees++;
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const counting_alloc<U> &) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const counting_alloc<U> &) const noexcept {
    return false;
  }
};

/* Where the last byte vector made by a perform kept its bytes, to check
   that the Buffer is over the same memory (no copy). */
extern std::atomic<uintptr_t> last_bytes;

/* Counters of what performs did, reset by common.reset(). */
enum counter {
  PERFORMS,       /* performs started */
  FINISHED,       /* performs about to return */
  EMITTED,        /* performs done reporting progress */
  SPINNING,       /* performs polling ctx.cancelled() */
  CANCELLED_SEEN, /* performs that saw it turn true */
  PROGRESS_OK,    /* ctx.progress() returned napi_ok */
  PROGRESS_CANCELLED,
  PROGRESS_OTHER,
  ASKED,          /* performs about to call ctx.call_js() */
  CALL_STATUS,    /* the status of the last call_js */
  LANE_RUNNING,   /* performs running inside a lane */
  LANE_MAX,       /* the most seen running there at once */
  COUNTERS
};
std::atomic<int> &counter(int which);
void lane_enter() noexcept;
void lane_leave() noexcept;

/* Gates (helpers.h): a perform blocks on one until JS opens it, or until
   its task is cancelled (an abort, or the env going away: so a perform
   left blocked by a test, or by the bad-input sweep calling everything
   with junk, never holds a worker's teardown open). Ids 0..15, checked by
   gate_arg(). */
inline void gate_wait(int id, napi_task_ctx ctx) {
  ::gate_wait_or_cancel(::gate_get(id), ctx);
}
using ::gate_arg;

/* An integer as decimal text. Not std::to_string: libstdc++'s digit table
   behind it is a GNU "unique" symbol, which would keep this addon mapped
   after the last worker that loaded it is gone, unlike the C test addon. */
std::string decimal(long v);

/* JS thread helpers (and helpers.h's js_undefined, js_number, set_fn). */
napi_value string(napi_env env, const std::string &s);
double to_number(napi_env env, napi_value v, double fallback = 0);
std::string to_string(napi_env env, napi_value v);
bool is_function(napi_env env, napi_value v);
/* opts[key], or nullptr when absent. */
napi_value get(napi_env env, napi_value opts, const char *key);
using ::set_fn;
/* The first n arguments (missing ones undefined). */
void args(napi_env env, napi_callback_info info, napi_value *argv, size_t n);

/* Each feature file exports an init returning exports.<feature>. */
napi_value init_common(napi_env env);
napi_value init_plain(napi_env env);
napi_value init_naa(napi_env env);

}  // namespace test_cpp

#endif  // TEST_ADDON_CPP_COMMON_HH_
