'use strict'
// The peers, each as a small adapter with the same shape, so the drivers
// (throughput, memory, fairness) never care which library they drive.
//
// A peer is one of three kinds:
//   callback  start(job, arg, done): one native call per task, done(err, v)
//   promise   start(job, arg): one native call per task, returns a promise
//   batch     batch(job, arg, count, window, done): one call per batch
//             (the uv_queue_work floor: no per-task JS at all)
//
// `base` names the raw Node-API variant a peer is compared with: callback
// delivery with raw callback, promise delivery with raw promise.
const path = require('path')

const JOB = { noop: 0, sum: 1, sleep: 2, gate: 3 }

const release = path.join(__dirname, '..', 'build', 'Release')
const addons = {}
function addon (name) {
  if (!addons[name]) addons[name] = require(path.join(release, name + '.node'))
  return addons[name]
}

// Per-task entry points: the addon exports noop(cb), sum(n, cb),
// sleep(ms, cb), gate(cb) and the *Promise / *Queue variants.
function callbackPeer (id, label, addonName, suffix = '') {
  return {
    id,
    label,
    kind: 'callback',
    base: 'raw-cb',
    load () {
      const a = addon(addonName)
      const noop = a['noop' + suffix]
      const sum = a['sum' + suffix]
      const sleep = a['sleep' + suffix]
      const gate = a['gate' + suffix]
      return {
        start (job, arg, done) {
          switch (job) {
            case JOB.noop: return noop(done)
            case JOB.sum: return sum(arg, done)
            case JOB.sleep: return sleep(arg, done)
            default: return gate(done)
          }
        },
        gateClose: a.gateClose,
        gateOpen: a.gateOpen,
        addon: a
      }
    }
  }
}

function promisePeer (id, label, addonName) {
  return {
    id,
    label,
    kind: 'promise',
    base: 'raw-p',
    load () {
      const a = addon(addonName)
      return {
        start (job, arg) {
          switch (job) {
            case JOB.noop: return a.noopPromise()
            case JOB.sum: return a.sumPromise(arg)
            case JOB.sleep: return a.sleepPromise(arg)
            default: return a.gatePromise()
          }
        },
        gateClose: a.gateClose,
        gateOpen: a.gateOpen,
        addon: a
      }
    }
  }
}

const floor = {
  id: 'floor',
  label: 'uv_queue_work floor (no per-task JS)',
  kind: 'batch',
  base: 'raw-cb',
  load () {
    const a = addon('bench_raw')
    return {
      batch: a.floor,
      gateClose: a.gateClose,
      gateOpen: a.gateOpen,
      addon: a
    }
  }
}

// piscina: pure JS on worker_threads. The pool has as many threads as the
// libuv threadpool under test. The gate is a SharedArrayBuffer.
const piscina = {
  id: 'piscina',
  label: 'piscina (worker_threads)',
  kind: 'promise',
  base: 'raw-p',
  slow: true, // runs N / 10 tasks
  load (poolSize) {
    const { Piscina } = require('piscina')
    const gate = new Int32Array(new SharedArrayBuffer(4))
    const pool = new Piscina({
      filename: path.join(__dirname, 'piscina-worker.js'),
      minThreads: poolSize,
      maxThreads: poolSize,
      idleTimeout: 60 * 60 * 1000,
      workerData: { gate }
    })
    return {
      start (job, arg) { return pool.run({ job, arg }) },
      gateClose () { Atomics.store(gate, 0, 1) },
      gateOpen () {
        Atomics.store(gate, 0, 0)
        Atomics.notify(gate, 0)
      },
      close () { return pool.destroy() }
    }
  }
}

const all = [
  callbackPeer('raw-cb', 'raw Node-API, callback', 'bench_raw'),
  promisePeer('raw-p', 'raw Node-API, promise', 'bench_raw'),
  callbackPeer('naa-cb', 'node-addon-api AsyncWorker, callback', 'bench_naa'),
  promisePeer('naa-p', 'node-addon-api AsyncWorker, promise', 'bench_naa'),
  callbackPeer('nan', 'NAN AsyncWorker, callback', 'bench_nan'),
  floor,
  piscina,
  callbackPeer('task-cb', 'napi-task, callback', 'bench_napi_task'),
  promisePeer('task-p', 'napi-task, promise', 'bench_napi_task'),
  callbackPeer('task-q', 'napi-task, queue (cap 1), callback',
    'bench_napi_task', 'Queue'),
  callbackPeer('task-cpp', 'napi-task C++ builder, callback', 'bench_napi_task_cpp')
]

function byId (id) {
  const p = all.find(p => p.id === id)
  if (!p) throw new Error('unknown peer ' + id)
  return p
}

// sum(n)'s expected result, as the addons return it (a double).
function expected (job, arg) {
  return job === JOB.sum ? (arg * (arg - 1)) / 2 : undefined
}

module.exports = { JOB, all, byId, expected }
