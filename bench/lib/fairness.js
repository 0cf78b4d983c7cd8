'use strict'
// Child process: fairness at one threadpool size. For each peer: submit a
// flood of `tasks` tasks of `ms` ms each (perform sleeps, so the CPU stays
// free for the JS thread), then at once issue fs.stat() and time it until
// its callback runs. fs.stat shares libuv's threadpool with the tasks: a
// library that hands its whole backlog to libuv makes it wait behind the
// backlog. Also reported: how long the flood took, as a sanity check
// (about tasks * ms / pool size).
const fs = require('fs')
const peers = require('./peers')
const { run } = require('./run')
const { now, gc, delay, median, log, childMain } = require('./util')

function stat () {
  return new Promise((resolve, reject) => {
    const t0 = now()
    fs.stat(__filename, err => err ? reject(err) : resolve(Number(now() - t0) / 1e6))
  })
}

childMain(async config => {
  const pool = Number(process.env.UV_THREADPOOL_SIZE)
  const results = {}
  // Control: fs.stat with the pool idle.
  await stat()
  const idle = []
  for (let i = 0; i < 20; i++) idle.push(await stat())
  results.idle = { statMs: median(idle), min: Math.min(...idle), max: Math.max(...idle) }
  for (const id of config.peers) {
    const p = peers.byId(id)
    const inst = p.load(pool)
    await run(p, inst, peers.JOB.sleep, config.ms, pool * 2, 0) // warm-up
    const lat = []
    const flood = []
    for (let r = 0; r < config.reps; r++) {
      gc()
      await delay(20)
      const f = run(p, inst, peers.JOB.sleep, config.ms, config.tasks, 0)
      const s = await stat()
      const done = await f
      lat.push(s)
      flood.push(done.ns / 1e6)
    }
    if (inst.close) await inst.close()
    results[id] = {
      statMs: median(lat),
      min: Math.min(...lat),
      max: Math.max(...lat),
      runs: lat,
      floodMs: median(flood)
    }
    log(`  pool ${pool} fairness ${id}: fs.stat ${median(lat).toFixed(2)} ms ` +
      `(flood ${median(flood).toFixed(0)} ms)`)
  }
  return results
})
