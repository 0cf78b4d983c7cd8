/* exports.torture: filled in by the torture feature. */
#include "common.h"

napi_value init_torture(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  return o;
}
