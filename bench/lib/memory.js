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
//   inFlight  (RSS right after submitting n gated tasks - baseline) / n.
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
  inst.gateClose()
  if (p.kind === 'callback') {
    for (let i = 0; i < n; i++) inst.start(G, 0, done)
  } else if (p.kind === 'promise') {
    for (let i = 0; i < n; i++) slots[i] = inst.start(G, 0)
  } else {
    left = 1
    inst.batch(G, 0, n, 0, done)
  }
  const inFlight = process.memoryUsage.rss()
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
    bytesPerTask: (inFlight - baseline) / n,
    peakBytesPerTask: (peak - baseline) / n,
    // Where it is: the V8 heap's live bytes, and RSS outside the V8 heap
    // (malloc'd records, napi references, global handles, ...).
    jsHeapPerTask: (at.heapUsed - base.heapUsed) / n,
    outsideHeapPerTask: ((at.rss - at.heapTotal) - (base.rss - base.heapTotal)) / n
  }
})
