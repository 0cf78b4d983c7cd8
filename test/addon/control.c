/* exports.control: filled in by the control feature. */
#include "common.h"

napi_value init_control(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  return o;
}
