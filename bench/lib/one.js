'use strict'
// One peer, one job, one mode, for profiling and quick checks:
//   node bench/lib/one.js <peer> [noop|sum] [n] [window] [repeat] [warmup]
// e.g. valgrind --tool=callgrind node bench/lib/one.js task-cb noop 2000
//      perf record -e cpu-clock -g node --perf-basic-prof bench/lib/one.js raw-cb
// Prints ns per task for each repetition. The pool size is
// UV_THREADPOOL_SIZE's (libuv's default 4 when unset).
const peers = require('./peers')
const { run } = require('./run')

async function main () {
  const [id, job = 'noop', n = '100000', window = '0', repeat = '3', warmup = '0'] =
    process.argv.slice(2)
  const p = peers.byId(id)
  const inst = p.load(Number(process.env.UV_THREADPOOL_SIZE || 4))
  const arg = job === 'sum' ? 1000 : 0
  if (Number(warmup)) await run(p, inst, peers.JOB[job], arg, Number(warmup), Number(window))
  // Under lib/profile.js: callgrind collects only the measured runs.
  const toggle = process.env.BENCH_CALLGRIND
    ? require('../build/Release/bench_raw.node').callgrindToggle
    : () => {}
  for (let i = 0; i < Number(repeat); i++) {
    toggle()
    const r = await run(p, inst, peers.JOB[job], arg, Number(n), Number(window))
    toggle()
    console.log(`${id} ${job} n=${n} window=${window}: ${Math.round(r.ns / Number(n))} ns/task` +
      (r.bad ? ` (${r.bad} wrong)` : ''))
  }
  if (inst.close) await inst.close()
}

main()
