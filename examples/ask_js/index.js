'use strict'
// Run with `node .` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/ask_js` after
// `npm run build`.
// A bisection solver runs on the threadpool and asks JavaScript for f(x)
// each time it needs a value (napi_task_call_js).
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { bisect } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/ask_js.node')
  : require('../../build/Release/ask_js.node')

async function main () {
  // The real root of x^3 - 2x - 5 (Wallis's example), asked of JS.
  const f = (x) => x * x * x - 2 * x - 5
  const { root, calls } = await bisect(f, 2, 3)
  console.log(`x^3 - 2x - 5 = 0 at x = ${root.toFixed(12)} (${calls} calls into JS)`)

  // An exception thrown by f becomes the task's error, as is.
  try {
    await bisect((x) => { throw new RangeError(`cannot evaluate at ${x}`) }, 0, 1)
  } catch (err) {
    console.log(`f threw: ${err.name}: ${err.message}`)
  }
}

main()
