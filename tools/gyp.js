'use strict'
// Runs node-gyp against the headers of the node that runs this script when
// they are installed next to it (<prefix>/include/node), so a build never
// downloads headers. An explicit npm_config_nodedir still wins.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const args = process.argv.slice(2)
const prefix = path.resolve(path.dirname(process.execPath), '..')
const local = path.join(prefix, 'include', 'node', 'common.gypi')
if (!process.env.npm_config_nodedir && fs.existsSync(local)) {
  args.push('--nodedir=' + prefix)
}
if (!args.some(a => a.startsWith('-j') || a.startsWith('--jobs'))) {
  args.push('--jobs=max')
}
const gyp = require.resolve('node-gyp/bin/node-gyp.js')
// Our own build is warning-free (gcc, clang and MSVC all print
// "<file>...: warning"): a compiler warning fails it. Users' builds, which
// go through napi_task.gyp without this script, are not affected.
// make's own warnings (a jobserver note) are not the compiler's.
const WARNING = /: warning[: ]/
const MAKE = /^\s*g?make(\[\d+\])?: /
// This repository's builds compile in the library's invariant checks
// (napi_task.gyp, napi_task_checks).
const env = { ...process.env, GYP_DEFINES: `${process.env.GYP_DEFINES || ''} napi_task_checks=1`.trim() }
const run = a => {
  const r = spawnSync(process.execPath, [gyp, ...a],
    { stdio: ['inherit', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28, env })
  process.stdout.write(r.stdout || '')
  process.stderr.write(r.stderr || '')
  const warned = `${r.stdout}\n${r.stderr}`.split('\n').filter(l => WARNING.test(l) && !MAKE.test(l))
  if (r.status === 0 && warned.length > 0) {
    process.stderr.write(`gyp.js: the build printed ${warned.length} compiler warning(s); it must be warning-free\n`)
    return { status: 1 }
  }
  return r
}
// `build` in a tree never configured (a fresh clone: npm test's pretest)
// configures first.
if (args[0] === 'build' && !fs.existsSync(path.resolve('build', 'config.gypi'))) {
  const c = run(['configure', ...args.slice(1)])
  if (c.status !== 0) process.exit(c.status === null ? 1 : c.status)
}
const r = run(args)
process.exit(r.status === null ? 1 : r.status)
