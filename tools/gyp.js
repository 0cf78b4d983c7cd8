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
const run = a => spawnSync(process.execPath, [gyp, ...a], { stdio: 'inherit' })
// `build` in a tree never configured (a fresh clone: npm test's pretest)
// configures first.
if (args[0] === 'build' && !fs.existsSync(path.resolve('build', 'config.gypi'))) {
  const c = run(['configure', ...args.slice(1)])
  if (c.status !== 0) process.exit(c.status === null ? 1 : c.status)
}
const r = run(args)
process.exit(r.status === null ? 1 : r.status)
