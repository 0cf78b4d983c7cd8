'use strict'
// Child process: throughput of every peer at one threadpool size (set by
// the parent through UV_THREADPOOL_SIZE before libuv starts its pool).
//
// For each job (noop, sum) and submission mode (all at once, a window of
// 64, one in flight): one warm-up run per peer, then `runs` rounds; each
// round runs every peer once, starting from a different peer each round so
// no peer always runs first. A full GC precedes every run, so a run pays
// for its own garbage only. Reported: ns per task (median, min, max over
// the rounds). One in flight (window 1) runs n / oneDivisor tasks: each
// task is a whole round trip, tens of microseconds.
const peers = require('./peers')
const { run } = require('./run')
const { gc, median, log, childMain } = require('./util')

childMain(async config => {
  const pool = Number(process.env.UV_THREADPOOL_SIZE)
  const list = config.peers.map(peers.byId)
  const loaded = list.map(p => p.load(pool))
  const results = {}
  for (const job of config.jobs) {
    results[job.name] = {}
    for (const window of config.windows) {
      const mode = window === 0 ? 'all' : window === 1 ? 'one' : 'window' + window
      const cell = (results[job.name][mode] = {})
      const jobN = window === 1 ? job.n / (config.oneDivisor || 1) : job.n
      const nFor = p => Math.max(1, Math.round(p.slow ? jobN / config.slowDivisor : jobN))
      const once = async i => {
        const p = list[i]
        gc()
        const r = await run(p, loaded[i], peers.JOB[job.name], job.arg,
          nFor(p), window)
        return { nsPerTask: r.ns / nFor(p), bad: r.bad }
      }
      for (let i = 0; i < list.length; i++) await once(i) // warm-up
      const runs = list.map(() => [])
      const bad = list.map(() => 0)
      for (let round = 0; round < config.runs; round++) {
        for (let k = 0; k < list.length; k++) {
          const i = (k + round) % list.length
          const r = await once(i)
          runs[i].push(r.nsPerTask)
          bad[i] += r.bad
        }
      }
      list.forEach((p, i) => {
        const med = median(runs[i])
        cell[p.id] = {
          n: nFor(p),
          nsPerTask: med,
          min: Math.min(...runs[i]),
          max: Math.max(...runs[i]),
          tasksPerSec: 1e9 / med,
          runs: runs[i],
          wrongResults: bad[i]
        }
        if (bad[i]) log(`  ${p.id}: ${bad[i]} wrong results!`)
      })
      log(`  pool ${pool} ${job.name} ${mode}: ` + list.map(p =>
        `${p.id} ${Math.round(cell[p.id].nsPerTask)}`).join(', '))
    }
  }
  for (const inst of loaded) if (inst.close) await inst.close()
  return results
})
