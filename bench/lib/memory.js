'use strict'
// Child process: memory per in-flight task of one peer.
//
// Every task's perform blocks on a shared gate, so all `n` tasks are in
// flight at once (pool-size tasks blocked in perform, the rest queued, in
// libuv's queue or in the library's own backlog). The process runs with a
// 1 MB young generation (--max-semi-space-size=1, set by the parent) so
// that garbage waiting in the nursery cannot pass for per-task memory.
//
//   baseline  RSS after a warm-up of the same peer (2,000 tasks, gate
//             open: code paged in, JIT warm) and a full GC.
//   inFlight  the RSS growth while the second half of the n gated tasks
//             is submitted, over n/2, with a full GC before each reading:
//             one-time costs of the loop fall in the first half, and
//             garbage is not counted. The whole growth over n, with
//             neither correction, is kept too (wholeBytesPerTask).
//   peak      (peak RSS from then until every task settled - baseline) / n,
//             where the kernel's peak counter can be reset
//             (/proc/self/clear_refs); the drain allocates results too.
//   split     the in-flight growth of V8's used heap, and of RSS outside
//             V8's heap (malloc'd records, references, handles), per task.
//
// Promise peers keep their promises in an array allocated before the
// baseline, and attach reactions only after the measurement: the
// reactions are the user's memory, not the library's.
const fs = require('fs')
const peers = require('./peers')
const { run } = require('./run')
const { gc, delay, childMain } = require('./util')

function resetPeak () {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

function peakRss () {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

childMain(async config => {
  const pool = Number(process.env.UV_THREADPOOL_SIZE)
  const p = peers.byId(config.peer)
  const inst = p.load(pool)
  const n = config.n
  const G = peers.JOB.gate
  await run(p, inst, G, 0, Math.min(2000, n), 0)
  const slots = new Array(n).fill(null)
  gc()
  await delay(50)
  gc()
  const canPeak = resetPeak()
  const base = process.memoryUsage()
  const baseline = process.memoryUsage.rss()

  let settled
  const all = new Promise(resolve => { settled = resolve })
  let left = n
  const done = () => { if (--left === 0) settled() }
  // Submitted in two halves: per-task memory is the growth over the second
  // half. One-time costs that fall in the submission loop (the JIT
  // compiling it, a malloc arena or V8 page set committed once) land in
  // the first half; measured here, they moved a 100,000-task total by up
  // to 4 MB between two builds whose per-task cost was the same.
  const half = Math.floor(n / 2)
  const submit = (from, to) => {
    if (p.kind === 'callback') {
      for (let i = from; i < to; i++) inst.start(G, 0, done)
    } else if (p.kind === 'promise') {
      for (let i = from; i < to; i++) slots[i] = inst.start(G, 0)
    } else {
      inst.batch(G, 0, to - from, 0, done)
    }
  }
  if (p.kind === 'batch') left = 2
  inst.gateClose()
  submit(0, half)
  const wholeRss = () => process.memoryUsage.rss()
  // Garbage made while submitting (old copies of grown tables, temporaries)
  // is not memory a task holds: collect it before each reading.
  gc()
  const midRss = wholeRss()
  const mid = process.memoryUsage()
  submit(half, n)
  const inFlightRaw = wholeRss()
  gc()
  const inFlight = wholeRss()
  const at = process.memoryUsage()
  inst.gateOpen()
  if (p.kind === 'promise') for (const s of slots) s.then(done, done)
  await all
  const peak = canPeak ? peakRss() : NaN
  if (inst.close) await inst.close()
  return {
    n,
    baselineRss: baseline,
    inFlightRss: inFlight,
    peakRss: peak,
    midRss,
    // Per task in flight: the growth over the second half.
    bytesPerTask: (inFlight - midRss) / (n - half),
    // The whole submission over n, one-time costs and garbage included.
    wholeBytesPerTask: (inFlightRaw - baseline) / n,
    peakBytesPerTask: (peak - baseline) / n,
    // Where it is, over the second half: the V8 heap's live bytes, and RSS
    // outside the V8 heap (malloc'd records, napi references, global
    // handles, ...).
    jsHeapPerTask: (at.heapUsed - mid.heapUsed) / (n - half),
    outsideHeapPerTask: ((at.rss - at.heapTotal) - (mid.rss - mid.heapTotal)) / (n - half)
  }
})
