'use strict'
// worker_threads: tasks in several envs at once, and teardown of an env
// with tasks built, queued, running and done.
const t = require('./fixtures/tap')
const { afterTeardown } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const bare = require('./fixtures/bare')
const path = require('path')
const { Worker } = require('worker_threads')

const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')
const { common, worker } = require(addonPath)

const POOL = Number(process.env.UV_THREADPOOL_SIZE || 4)

const balanced = (t, label) => checkBalanced(t, common.counts(), label)
const ledgerBalanced = () => checkBalanced.settled(common.counts())

const runWorker = (source, workerData) => new Promise((resolve, reject) => {
  const w = new Worker(source, { eval: true, ...bare, workerData })
  const messages = []
  w.on('message', m => messages.push(m))
  w.on('error', reject)
  w.on('exit', code => resolve({ code, messages }))
})

t.test('worker_concurrent_envs: several workers and the main thread run tasks at once', async t => {
  const source = `
    const { parentPort, workerData } = require('worker_threads')
    const { common, instanceDataOk } = require(workerData.addon)
    const n = workerData.n
    const viaPromise = Promise.all(Array.from({ length: n }, (_, i) => common.addOne(i)))
    const viaCb = Promise.all(Array.from({ length: n }, (_, i) =>
      new Promise(resolve => common.addOne(i, (err, v) => resolve(err === null ? v : -1)))))
    Promise.all([viaPromise, viaCb]).then(([a, b]) => {
      const ok = a.every((v, i) => v === i + 1) && b.every((v, i) => v === i + 1)
      parentPort.postMessage({ ok, count: a.length + b.length, slot: instanceDataOk() })
    })
  `
  const workers = Array.from({ length: 4 }, () =>
    runWorker(source, { addon: addonPath, n: 2000 }))
  const main = Promise.all(Array.from({ length: 2000 }, (_, i) => common.addOne(i)))
  const results = await Promise.all(workers)
  t.ok((await main).every((v, i) => v === i + 1), 'main thread values')
  for (const { code, messages } of results) {
    t.equal(code, 0)
    t.same(messages, [{ ok: true, count: 4000, slot: true }])
  }
  balanced(t, 'after 4 workers')
})

t.test('worker_terminate: no crash, balanced, waits only for running tasks', async t => {
  // Gate 0 holds the POOL running tasks; 500 more wait in the backlog, some
  // built and never delivered, some done and not yet settled.
  common.gateDrain(0)
  const before = common.counts()
  const source = `
    const { parentPort, workerData } = require('worker_threads')
    const { common, worker } = require(workerData.addon)
    common.leakBuilt(10)
    for (let i = 0; i < workerData.pool; i++) worker.gated(0, i, () => {})
    for (let i = 0; i < 250; i++) worker.gated(0, i, () => {})
    for (let i = 0; i < 250; i++) worker.gated(0, i).then(() => {})
    const wait = () => common.gateWaiting(0) === workerData.pool
      ? parentPort.postMessage('filled') : setTimeout(wait, 1)
    wait()
  `
  const w = new Worker(source, { eval: true, ...bare, workerData: { addon: addonPath, pool: POOL } })
  await new Promise(resolve => w.once('message', resolve))
  t.equal(common.gateWaiting(0), POOL, 'the pool is full of running tasks')
  const exited = new Promise(resolve => w.once('exit', resolve))
  const seen = worker.cancelSeen()
  const terminated = w.terminate()
  // Teardown waits for the running ones only: let them finish, once each
  // has seen its task cancelled (teardown has begun: no runner takes a
  // backlog task any more). Had the backlog run too, it would consume more
  // permits than POOL. No delay is guessed: a busy machine may take long
  // to start the worker's teardown.
  const open = () => worker.cancelSeen() - seen >= POOL
    ? common.gateOpen(0, 10000)
    : setTimeout(open, 1)
  open()
  await terminated
  await exited
  await afterTeardown(ledgerBalanced)
  const after = balanced(t, 'after terminate')
  // Each gated task that ran consumed its input: exactly the running ones.
  t.equal(after.consumed - before.consumed, POOL,
    `only the ${POOL} running performs ran; ${500 + 10} tasks were dropped`)
  t.equal(after.dropped - before.dropped, 500 + 10)
  common.gateDrain(0)
})

t.test('worker_terminate_after_delivery: terminate right after delivery, many times: balanced, no crash', async t => {
  const source = `
    const { workerData, parentPort } = require('worker_threads')
    const { common, worker } = require(workerData.addon)
    for (let i = 0; i < 200; i++) common.addOne(i, () => {})
    for (let i = 0; i < 200; i++) common.addOne(i).then(() => {})
    worker.sleeper(2, 0, () => {})
    parentPort.postMessage('go')
  `
  for (let round = 0; round < 20; round++) {
    const w = new Worker(source, { eval: true, ...bare, workerData: { addon: addonPath } })
    await new Promise(resolve => w.once('message', resolve))
    await w.terminate()
  }
  await afterTeardown(ledgerBalanced)
  balanced(t, 'after 20 rounds')
})

t.test('worker_terminate_in_await_loop: terminate a worker that awaits one task at a time, many times: balanced, no crash', async t => {
  // Between two tasks of such a loop a runner may be lingering for the next
  // (src/runner.c, "Lingering"): teardown must end it like any runner.
  const source = `
    const { workerData, parentPort } = require('worker_threads')
    const { common } = require(workerData.addon)
    ;(async () => {
      for (let i = 0; ; i++) {
        if (await common.addOne(i) !== i + 1) throw new Error('wrong value')
        if (i === workerData.tell) parentPort.postMessage('go')
      }
    })()
  `
  for (let round = 0; round < 20; round++) {
    const w = new Worker(source, { eval: true, ...bare, workerData: { addon: addonPath, tell: 50 + round } })
    const errors = []
    w.on('error', e => errors.push(e))
    await new Promise(resolve => w.once('message', resolve))
    await w.terminate()
    t.same(errors, [], `round ${round}: the loop saw only right values`)
  }
  await afterTeardown(ledgerBalanced)
  balanced(t, 'after 20 rounds')
})

t.test('worker_natural_exit: a worker that ends by itself settles everything first', async t => {
  const source = `
    const { workerData, parentPort } = require('worker_threads')
    const { common } = require(workerData.addon)
    let n = 0
    for (let i = 0; i < 100; i++) common.addOne(i, () => { n++ })
    process.on('exit', () => parentPort.postMessage(n))
  `
  const { code, messages } = await runWorker(source, { addon: addonPath })
  t.equal(code, 0)
  t.same(messages, [100], 'the loop stayed alive until all 100 settled')
  balanced(t, 'after a natural exit')
})
