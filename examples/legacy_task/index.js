'use strict'
// Run with `node .` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/legacy_task` after
// `npm run build`.
const fs = require('fs')
const path = require('path')
const { promisify } = require('util')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const {
  countPrimesOld,
  countPrimes,
  countPrimesPromise
} = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/legacy_task.node')
  : require('../../build/Release/legacy_task.node')

const jobs = {
  'old style:': promisify(countPrimesOld),
  'builder:  ': promisify(countPrimes)
}

async function main () {
  // The same job through both APIs: the same value, the same error.
  for (const n of [100000, 200000000]) {
    for (const [label, countPrimes] of Object.entries(jobs)) {
      try {
        console.log(`${label} primes below ${n} = ${await countPrimes(n)}`)
      } catch (err) {
        console.log(`${label} ${err.code}: ${err.message}`)
      }
    }
  }

  // What the builder adds: promises and cancellation.
  console.log(`builder, promise: primes below 1000 = ${await countPrimesPromise(1000)}`)
  try {
    await countPrimesPromise(100000000, AbortSignal.abort())
  } catch (err) {
    console.log(`builder, aborted: ${err.name} ${err.code}`)
  }
}

main()
