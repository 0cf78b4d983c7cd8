'use strict'
// The piscina peer's task function: the same four jobs in plain JS.
// sum(n) is a Number loop (exact below 2^53, like the native peers' result).
const { workerData } = require('piscina')

const gate = workerData.gate
const sleeper = new Int32Array(new SharedArrayBuffer(4))

module.exports = function task ({ job, arg }) {
  switch (job) {
    case 0:
      return undefined
    case 1: {
      let s = 0
      for (let i = 0; i < arg; i++) s += i
      return s
    }
    case 2:
      Atomics.wait(sleeper, 0, 0, arg) // sleeps `arg` ms
      return undefined
    default:
      while (Atomics.load(gate, 0) === 1) Atomics.wait(gate, 0, 1)
      return undefined
  }
}
