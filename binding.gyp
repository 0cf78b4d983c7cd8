# This repository's own build: the test addons and the example addons, each
# linking the napi-task static library exactly as a consumer's would.
# Sources are listed by tools/glob.js so new files need no edit here.
#
# The C++ test addon also compiles test/addon/helpers.c, the plain
# Node-API helpers and gates it shares with the C test addon.
#
# C++ (include/napi_task.hpp) is built with node-gyp's defaults (C++17, and
# on Linux -fno-exceptions -fno-rtti) unless a target says otherwise: the
# C++ test addon is built twice, with C++ exceptions (so the paths that
# catch them are tested) and without, and the node-addon-api example turns
# exceptions on as node-addon-api's own setup guide does.
{
  'variables': {
    'naa_include%': "<!(node -p \"require('node-addon-api').include_dir\")",
  },
  'target_defaults': {
    'cflags_c': ['-std=c11', '-Wall', '-Wextra'],
    'cflags_cc': ['-Wall', '-Wextra'],
    'xcode_settings': {
      'GCC_C_LANGUAGE_STANDARD': 'c11',
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'WARNING_CFLAGS': ['-Wall', '-Wextra'],
    },
    # MSVC: C11 for the C files (the test addon includes src/platform.h);
    # C++ files keep node-gyp's -std:c++17 (napi_task.gyp says why both).
    'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/std:c11']}},
    'dependencies': ['napi_task.gyp:napi_task'],
  },
  'targets': [
    {
      'target_name': 'test_addon',
      'sources': ['<!@(node tools/glob.js test/addon/*.c)'],
    },
    {
      # C++ exceptions on, node-addon-api with NAPI_CPP_EXCEPTIONS.
      'target_name': 'test_addon_cpp',
      'sources': ['<!@(node tools/glob.js test/addon_cpp/*.cc)',
                  'test/addon/helpers.c'],
      'include_dirs': ['<(naa_include)'],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions'],
      'cflags_cc': ['-fexceptions'],
      'xcode_settings': {'GCC_ENABLE_CPP_EXCEPTIONS': 'YES'},
      'msvs_settings': {'VCCLCompilerTool': {'ExceptionHandling': 1}},
    },
    {
      # The same sources with node-gyp's default -fno-exceptions, and
      # node-addon-api with NAPI_DISABLE_CPP_EXCEPTIONS.
      'target_name': 'test_addon_cpp_noexcept',
      'sources': ['<!@(node tools/glob.js test/addon_cpp/*.cc)',
                  'test/addon/helpers.c'],
      'include_dirs': ['<(naa_include)'],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
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
    {
      # Plain Node-API C++ with node-gyp's defaults (-fno-exceptions).
      'target_name': 'cpp_plain',
      'sources': ['examples/cpp_plain/cpp_plain.cc'],
    },
    {
      # node-addon-api with C++ exceptions, as its setup guide shows.
      'target_name': 'cpp_naa',
      'sources': ['examples/cpp_naa/cpp_naa.cc'],
      'include_dirs': ['<(naa_include)'],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions'],
      'xcode_settings': {'GCC_ENABLE_CPP_EXCEPTIONS': 'YES'},
      'msvs_settings': {'VCCLCompilerTool': {'ExceptionHandling': 1}},
    },
  ],
}
