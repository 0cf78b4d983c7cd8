/* The test addon's entry point: wires init_<feature> into exports.<feature>
   and takes the instance-data slot itself, to prove napi-task leaves it to
   the addon. */
#include "common.h"

typedef struct instance {
  uint32_t magic;
} instance;

#define INSTANCE_MAGIC 0x1d5a7a11u

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* true when the slot still holds what this addon put there. */
static napi_value instance_ok(napi_env env, napi_callback_info info) {
  instance *d = NULL;
  napi_value r;
  (void)info;
  CHECK(env, napi_get_instance_data(env, (void **)&d));
  CHECK(env, napi_get_boolean(env, d != NULL && d->magic == INSTANCE_MAGIC,
                              &r));
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  instance *d = malloc(sizeof(*d));
  napi_value v;
  if (d == NULL) return NULL;
  d->magic = INSTANCE_MAGIC;
  CHECK(env, napi_set_instance_data(env, d, instance_free, NULL));
  set_fn(env, exports, "instanceDataOk", instance_ok);
#define TEST_WIRE(name)                                  \
  v = init_##name(env);                                  \
  if (v == NULL) return NULL;                            \
  CHECK(env, napi_set_named_property(env, exports, #name, v));
  TEST_FEATURES(TEST_WIRE)
#undef TEST_WIRE
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
