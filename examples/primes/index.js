'use strict'
// Run with `node . [limit]` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/primes [limit]`
// after `npm run build`. The limit defaults to 1e10.
// Counts the primes below `limit` on the threadpool, draws a progress bar
// on a terminal, and cancels cleanly on Ctrl-C through an AbortController.
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { countPrimes } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/primes.node')
  : require('../../build/Release/primes.node')

const limit = Number(process.argv[2] || 1e10)
const ac = new AbortController()
// Ctrl-C (SIGINT) aborts the task instead of killing the process: perform
// sees napi_task_cancelled, stops, and the promise rejects.
process.once('SIGINT', () => ac.abort())

const tty = process.stderr.isTTY
let lastPercent = -1
function onProgress (fraction) {
  const percent = Math.floor(fraction * 100)
  if (tty) {
    const width = 40
    const full = Math.round(fraction * width)
    process.stderr.write(`\r[${'#'.repeat(full)}${' '.repeat(width - full)}] ${percent}%`)
  } else if (percent !== lastPercent) {
    // Not a terminal (a pipe, a log): one line per new percent.
    process.stderr.write(`progress ${percent}%\n`)
  }
  lastPercent = percent
}

countPrimes(limit, { signal: ac.signal, onProgress }).then((count) => {
  if (tty) process.stderr.write('\n')
  console.log(`${count} prime${count === 1 ? '' : 's'} below ${limit}`)
}, (err) => {
  if (tty) process.stderr.write('\n')
  if (err.name === 'AbortError') {
    console.error(`cancelled: ${err.message}`)
    process.exitCode = 130 // as a shell reports a process ended by SIGINT
  } else {
    console.error(err)
    process.exitCode = 1
  }
})
