/* The C++ test addon's entry point: exports.common, exports.plain,
   exports.naa, and exports.exceptions (whether this build catches C++
   exceptions: test_addon_cpp does, test_addon_cpp_noexcept does not). */
#include <napi_task.hpp>

#include "common.hh"

NAPI_MODULE_INIT() {
  napi_value v;
  if ((v = test_cpp::init_common(env)) == nullptr ||
      napi_set_named_property(env, exports, "common", v) != napi_ok ||
      (v = test_cpp::init_plain(env)) == nullptr ||
      napi_set_named_property(env, exports, "plain", v) != napi_ok ||
      (v = test_cpp::init_naa(env)) == nullptr ||
      napi_set_named_property(env, exports, "naa", v) != napi_ok ||
      napi_get_boolean(env, NAPI_TASK_CPP_EXCEPTIONS, &v) != napi_ok ||
      napi_set_named_property(env, exports, "exceptions", v) != napi_ok)
    return nullptr;
  return exports;
}
