'use strict'
// One task in flight with G µs of JS work (a busy-wait) between tasks, the
// way an `await` loop that does something with each result runs: wall time
// and CPU time (every thread of the process, process.cpuUsage) per task,
// G subtracted. This is what a lingering runner (src/runner.c,
// "Lingering") trades: a shorter round trip for CPU while JS works.
//   node bench/lib/gap.js <peer> <G µs> [n=5000]
// e.g. for G in 0 10 20 40 60 100; do
//        NAPI_TASK_LINGER_US=0 node bench/lib/gap.js task-cb $G
//        node bench/lib/gap.js task-cb $G; node bench/lib/gap.js raw-cb $G
//      done
// The pool size is UV_THREADPOOL_SIZE's (2 unless set). Prints one line
// after an unmeasured first pass of n tasks.
const peers = require('./peers')

const [id, gapArg, nArg = '5000'] = process.argv.slice(2)
const gapUs = Number(gapArg)
const n = Number(nArg)
if (!id || !(gapUs >= 0) || !(n > 0)) {
  console.error('usage: node bench/lib/gap.js <peer> <gap µs> [n]')
  process.exit(2)
}
const p = peers.byId(id)
const inst = p.load(Number(process.env.UV_THREADPOOL_SIZE || 2))

const spin = us => {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000))
  while (process.hrtime.bigint() < end);
}
const one = p.kind === 'callback'
  ? () => new Promise((resolve, reject) =>
    inst.start(peers.JOB.noop, 0, err => err ? reject(err) : resolve()))
  : () => inst.start(peers.JOB.noop, 0)

async function main () {
  for (let pass = 0; pass < 2; pass++) {
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      await one()
      if (gapUs) spin(gapUs)
    }
    const wall = Number(process.hrtime.bigint() - t0) / n / 1000
    const c = process.cpuUsage(cpu0)
    const cpu = (c.user + c.system) / n
    if (pass === 1) {
      console.log(`${id} gap=${gapUs}us n=${n}: wall ${(wall - gapUs).toFixed(1)} us/task, ` +
        `cpu ${(cpu - gapUs).toFixed(1)} us/task (gap subtracted)`)
    }
  }
  if (inst.close) await inst.close()
}

main()
