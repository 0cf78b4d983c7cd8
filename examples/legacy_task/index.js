'use strict'
// Run with: node examples/legacy_task
// In your own package, load your addon with require('./build/Release/legacy_task.node').
const { promisify } = require('util')
const {
  countPrimesOld,
  countPrimes,
  countPrimesPromise
} = require('../../build/Release/legacy_task.node')

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
