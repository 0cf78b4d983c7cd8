# The napi-task static library. Consumers list it as a dependency:
#   "dependencies": ["<!(node -p \"require('napi-task').gyp\")"]
# and it is compiled into their own addon (no separate .node file).
{
  'targets': [
    {
      'target_name': 'napi_task',
      'type': 'static_library',
      'sources': [
        'src/control.c',
        'src/env.c',
        'src/errors.c',
        'src/legacy.c',
        'src/output.c',
        'src/runner.c',
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
        'VCCLCompilerTool': {'AdditionalOptions': ['/std:c11']},
      },
      'direct_dependent_settings': {
        'include_dirs': ['include'],
      },
    },
  ],
}
