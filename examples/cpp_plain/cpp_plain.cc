/* cpp_plain: napi-task's C++ builder (napi_task.hpp) with plain Node-API.
 *
 *   summarize(numbers, callback)       -> undefined; callback(err, stats)
 *   summarizeAsync(numbers, signal?)   -> Promise<stats>
 *
 * stats is { count, mean, min, max }. perform is a lambda that owns the
 * numbers it captured (moved in, never copied), runs on the threadpool,
 * and returns another lambda that makes the result object on the JS
 * thread. Built with node-gyp's defaults, so without C++ exceptions:
 * failures are outputs (napi_task::error) and pending JS exceptions.
 */
#include <napi_task.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

struct stats {
  uint32_t count;
  double mean, min, max;
};

/* JS thread: a JS array of numbers as a vector, or false with a pending
   TypeError. */
bool read_numbers(napi_env env, napi_value array, std::vector<double> *out) {
  bool is_array = false;
  uint32_t length = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, array, &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "The \"numbers\" argument must be an array");
    return false;
  }
  out->reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value v;
    double d;
    if (napi_get_element(env, array, i, &v) != napi_ok ||
        napi_get_value_double(env, v, &d) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                            "The \"numbers\" argument must hold numbers");
      return false;
    }
    out->push_back(d);
  }
  return true;
}

/* JS thread: the result object. */
napi_value make_stats(napi_env env, const stats &s) {
  napi_value o = nullptr, v;
  if (napi_create_object(env, &o) != napi_ok) return nullptr;
  napi_create_uint32(env, s.count, &v);
  napi_set_named_property(env, o, "count", v);
  napi_create_double(env, s.mean, &v);
  napi_set_named_property(env, o, "mean", v);
  napi_create_double(env, s.min, &v);
  napi_set_named_property(env, o, "min", v);
  napi_create_double(env, s.max, &v);
  napi_set_named_property(env, o, "max", v);
  return o;
}

/* Builds the task: the vector moves into perform's captures. */
napi_task::builder summarize_task(napi_env env, std::vector<double> numbers) {
  return napi_task::build(env, [numbers = std::move(numbers)](
                                   napi_task::ctx ctx) -> napi_task::output {
    /* Threadpool: no Node-API here. */
    if (numbers.empty())
      return napi_task::error("ERR_EMPTY", "summarize: no numbers");
    stats s{static_cast<uint32_t>(numbers.size()), 0, numbers[0], numbers[0]};
    double sum = 0;
    for (double x : numbers) {
      if (ctx.cancelled()) break; /* the output is dropped anyway */
      sum += x;
      s.min = std::min(s.min, x);
      s.max = std::max(s.max, x);
    }
    s.mean = sum / static_cast<double>(numbers.size());
    /* JS thread, later: the value. `s` is captured by value; the
       numbers are freed when this lambda returns. */
    return napi_task::ok(
        [s](napi_env env) { return make_stats(env, s); });
  });
}

napi_value summarize(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  std::vector<double> numbers;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (!read_numbers(env, argv[0], &numbers)) return nullptr;
  /* callback(err, stats); a callback that is not a function is a
     TypeError, and the task (with its numbers) is dropped. */
  return summarize_task(env, std::move(numbers)).schedule(argv[1]);
}

napi_value summarize_async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  std::vector<double> numbers;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (!read_numbers(env, argv[0], &numbers)) return nullptr;
  /* An absent signal is undefined, which .signal() takes as none. */
  return summarize_task(env, std::move(numbers)).signal(argv[1]).promise();
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "summarize", NAPI_AUTO_LENGTH, summarize, nullptr,
                       &fn);
  napi_set_named_property(env, exports, "summarize", fn);
  napi_create_function(env, "summarizeAsync", NAPI_AUTO_LENGTH,
                       summarize_async, nullptr, &fn);
  napi_set_named_property(env, exports, "summarizeAsync", fn);
  return exports;
}
