/**
 * napi-task's entry points for an addon's build files (the library itself is
 * C: include/napi_task.h). docs/setup.md shows each in use.
 */

/** The directory holding napi_task.h, relative to the current directory (binding.gyp "include_dirs"). */
export declare const include_dir: string

/**
 * The napi_task static-library gyp target, `<path>/napi_task.gyp:napi_task`,
 * relative to the current directory (binding.gyp "dependencies"). When
 * napi-task is linked from outside the current directory, reading it copies
 * the library into ./build/napi-task/ first.
 */
export declare const gyp: string

/**
 * The package's absolute real path, with forward slashes, holding its
 * CMakeLists.txt (the `napi_task` target) for CMake's add_subdirectory().
 */
export declare const cmake_dir: string

/** This package's version. */
export declare const version: string
