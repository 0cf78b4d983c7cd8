/* exports.legacy: filled in by the legacy feature. */
#include "common.h"

napi_value init_legacy(napi_env env) {
  napi_value o;
  CHECK(env, napi_create_object(env, &o));
  return o;
}
