# The napi-task static library. Consumers list it as a dependency:
#   "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
# and it is compiled into their own addon (no separate .node file).
#
# Flags per toolchain (docs/setup.md, "Platforms"):
# - gcc and clang (Linux): cflags_c.
# - Xcode (macOS): cflags_c is ignored there; xcode_settings is what counts.
# - MSVC (Windows): node-gyp's common.gypi passes -std:c++17 to every file,
#   C files included; /std:c11 after it is the one that counts for C (VS
#   2019 16.8 or later). Nothing experimental: src/platform.h makes its
#   atomics of the Interlocked intrinsics there, not <stdatomic.h>. /W4 is
#   MSVC's -Wall -Wextra. No cl.exe runs on this project's machines: CI
#   checks the MSVC branches with clang's MSVC target and runs mingw-w64
#   builds under Wine (docs/setup.md, "MSVC"); .github/workflows/ci.yml
#   defines a real MSVC job, not run here.
#
# napi_task_checks=1 (GYP_DEFINES; tools/gyp.js sets it for this
# repository's own builds) compiles in the invariant checks (NT_CHECK in
# src/internal.h). Consumers' builds leave them out.
{
  'variables': {'napi_task_checks%': 0},
  'targets': [
    {
      'target_name': 'napi_task',
      'conditions': [
        ['napi_task_checks==1', {'defines': ['NAPI_TASK_CHECKS']}],
      ],
      'type': 'static_library',
      'sources': [
        'src/alloc.c',
        'src/calljs.c',
        'src/deliver.c',
        'src/end.c',
        'src/env.c',
        'src/errors.c',
        'src/legacy.c',
        'src/output.c',
        'src/progress.c',
        'src/queue.c',
        'src/runner.c',
        'src/settle.c',
        'src/signal.c',
        'src/task.c',
      ],
      'include_dirs': ['include'],
      'cflags_c': ['-std=c11', '-Wall', '-Wextra', '-fvisibility=hidden'],
      'xcode_settings': {
        'GCC_C_LANGUAGE_STANDARD': 'c11',
        'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
        'WARNING_CFLAGS': ['-Wall', '-Wextra'],
      },
      'msvs_settings': {
        'VCCLCompilerTool': {
          'AdditionalOptions': ['/std:c11'],
          'WarningLevel': '4',
        },
      },
      'direct_dependent_settings': {
        'include_dirs': ['include'],
      },
    },
  ],
}
