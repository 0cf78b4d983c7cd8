'use strict'
// Run with: node examples/ask_js
// A bisection solver runs on the threadpool and asks JavaScript for f(x)
// each time it needs a value (napi_task_call_js).
// In your own package, load your addon with require('./build/Release/ask_js.node').
const { bisect } = require('../../build/Release/ask_js.node')

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
