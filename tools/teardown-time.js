'use strict'
// Measures what teardown costs with a backlog (docs/internals.md):
//   node tools/teardown-time.js
// 1. worker.terminate() with 50 queued 200-ms tasks, pool size 2;
// 2. process.exit() with 40 queued 200-ms tasks, pool size 2.
// Each runs in a child with UV_THREADPOOL_SIZE=2 (fixed at first use).
const { execFileSync } = require('child_process')
const path = require('path')

const addon = process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')

if (process.argv[2] === 'terminate') {
  const { Worker } = require('worker_threads')
  const w = new Worker(`
    const { worker } = require(${JSON.stringify(addon)})
    for (let i = 0; i < 50; i++) worker.sleeper(200, i, () => {})
    require('worker_threads').parentPort.postMessage('queued')
  `, { eval: true })
  w.once('message', () => setTimeout(() => {
    const t0 = process.hrtime.bigint()
    w.terminate().then(() => {
      console.log(Number(process.hrtime.bigint() - t0) / 1e6)
    })
  }, 20))
} else if (process.argv[2] === 'exit') {
  const { worker } = require(addon)
  for (let i = 0; i < 40; i++) worker.sleeper(200, i, () => {})
  setTimeout(() => {
    process.stdout.write(`${Date.now()}\n`)
    process.exit(0)
  }, 20)
} else {
  const env = { ...process.env, UV_THREADPOOL_SIZE: '2' }
  const terminate = execFileSync(process.execPath, [__filename, 'terminate'], { env })
  console.log(`worker.terminate() with 50 queued 200-ms tasks: ${Number(terminate).toFixed(0)} ms`)
  const before = Date.now()
  const out = execFileSync(process.execPath, [__filename, 'exit'], { env })
  const exitAt = Number(String(out).trim())
  console.log(`process.exit() with 40 queued 200-ms tasks: ${Date.now() - exitAt} ms from exit() to the process being gone (${Date.now() - before} ms in all)`)
}
