'use strict'
// What an addon author's binding.gyp asks for:
//   "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
//   "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
// Both paths are relative to the directory node-gyp runs in (the consumer's
// package), as node-addon-api does. A CMake (cmake-js) build asks for
// `cmake_dir` instead: the package's absolute real path with forward slashes,
// for add_subdirectory(${NAPI_TASK_DIR} napi-task) (docs/setup.md).
//
// Reading a property never writes anything. The one function,
// gyp_dependency(), writes only in the linked case below, and says so.
const fs = require('fs')
const path = require('path')

const here = __dirname // the real path: node resolves symlinks
const rel = p => path.relative('.', p)
const target = dir => rel(path.join(dir, 'napi_task.gyp')) + ':napi_task'

// Installed from a tarball, the package sits inside the consumer's tree and
// gyp writes everything under the consumer's build/. Linked (a `file:`
// dependency on a directory, or `npm link`), its real path is elsewhere, and
// gyp, which resolves symlinks, would write the library's makefile next to
// a path derived from that real path, outside the consumer. So in that case
// gyp_dependency() copies the library's gyp file, sources and header into
// the consumer's build/napi-task/ (node-gyp has just made build/ when it
// runs gyp), and the target is built from there. Re-run `node-gyp rebuild`
// after changing a linked napi-task.
const insideCwd = () => {
  const from = fs.realpathSync(process.cwd())
  const up = path.relative(from, here)
  return !up.startsWith('..') && !path.isAbsolute(up)
}

const materialize = () => {
  const dest = path.resolve('build', 'napi-task')
  fs.rmSync(dest, { recursive: true, force: true })
  for (const dir of ['src', 'include']) {
    fs.cpSync(path.join(here, dir), path.join(dest, dir), { recursive: true })
  }
  fs.copyFileSync(path.join(here, 'napi_task.gyp'), path.join(dest, 'napi_task.gyp'))
  return dest
}

module.exports = {
  include_dir: rel(path.join(here, 'include')),
  gyp: target(here),
  gyp_dependency: () => target(insideCwd() ? here : materialize()),
  cmake_dir: here.split(path.sep).join('/'),
  version: require('./package.json').version
}
