/**
 * napi-task's entry points for an addon's build files (the library itself is
 * C: include/napi_task.h). docs/setup.md shows each in use.
 */

/** The directory holding napi_task.h, relative to the current directory (binding.gyp "include_dirs"). */
export declare const include_dir: string

/**
 * The package's own napi_task static-library gyp target,
 * `<path>/napi_task.gyp:napi_task`, relative to the current directory. A
 * plain value: reading it writes nothing. Right for binding.gyp
 * "dependencies" only when napi-task is installed inside the current
 * directory (from the registry or a tarball); `gyp_dependency()` is right
 * in every case.
 */
export declare const gyp: string

/**
 * The napi_task gyp target for binding.gyp "dependencies", relative to the
 * current directory. When napi-task is installed inside the current
 * directory it is `gyp`, and nothing is written. When it is linked from
 * outside (a `file:` directory dependency, `npm link`), it first copies the
 * library's gyp file, sources and header into ./build/napi-task/
 * (replacing what is there) and names the target there, so that gyp writes
 * the library's build files inside ./build/.
 */
export declare function gyp_dependency (): string

/**
 * The package's absolute real path, with forward slashes, holding its
 * CMakeLists.txt (the `napi_task` target) for CMake's add_subdirectory().
 */
export declare const cmake_dir: string

/** This package's version. */
export declare const version: string
