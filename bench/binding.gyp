# The bench addons: one per peer, all built in Release with the same flags.
# napi-task is linked the way a consumer links it: a dependency on its
# static library target (its include dir comes with it).
{
  'target_defaults': {
    'cflags_c': ['-std=c11', '-Wall', '-Wextra'],
    'cflags_cc': ['-Wall', '-Wextra'],
    'xcode_settings': {
      'GCC_C_LANGUAGE_STANDARD': 'c11',
      'WARNING_CFLAGS': ['-Wall', '-Wextra'],
    },
  },
  'targets': [
    {
      # raw Node-API (napi_create_async_work) and the uv_queue_work floor.
      'target_name': 'bench_raw',
      'sources': ['src/raw.c'],
    },
    {
      'target_name': 'bench_naa',
      'sources': ['src/naa.cc'],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api",
      ],
      'defines': ['NAPI_VERSION=8'],
    },
    {
      'target_name': 'bench_nan',
      'sources': ['src/nan.cc'],
      'include_dirs': ["<!(node -e \"require('nan')\")"],
      # NODE_MODULE casts NAN's init to node::addon_register_func.
      'cflags_cc': ['-Wno-cast-function-type'],
    },
    {
      'target_name': 'bench_napi_task',
      'sources': ['src/task.c'],
      # See lib/napi_task.gyp: the library's own target, included.
      'dependencies': ['lib/napi_task.gyp:napi_task'],
    },
    {
      # The C++ builder, include/napi_task.hpp, over the same library.
      'target_name': 'bench_napi_task_cpp',
      'sources': ['src/task_cpp.cc'],
      'dependencies': ['lib/napi_task.gyp:napi_task'],
    },
  ],
}
