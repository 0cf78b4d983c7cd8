# This repository's own build: the test addon and the example addons, each
# linking the napi-task static library exactly as a consumer's would.
# Sources are listed by tools/glob.js so new files need no edit here.
{
  'target_defaults': {
    'cflags_c': ['-std=c11', '-Wall', '-Wextra'],
    'xcode_settings': {'GCC_C_LANGUAGE_STANDARD': 'c11'},
    'dependencies': ['napi_task.gyp:napi_task'],
  },
  'targets': [
    {
      'target_name': 'test_addon',
      'sources': ['<!@(node tools/glob.js test/addon/*.c)'],
    },
    {
      'target_name': 'add_one',
      'sources': ['examples/add_one/add_one.c'],
    },
    {
      'target_name': 'hash_file',
      'sources': ['examples/hash_file/hash_file.c'],
    },
    {
      'target_name': 'legacy_task',
      'sources': ['examples/legacy_task/legacy_task.c'],
    },
    {
      'target_name': 'primes',
      'sources': ['examples/primes/primes.c'],
    },
    {
      'target_name': 'ask_js',
      'sources': ['examples/ask_js/ask_js.c'],
    },
  ],
}
