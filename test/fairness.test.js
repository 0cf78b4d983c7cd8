'use strict'
// Sharing the threadpool: with thousands of tasks pending, an fs request
// issued meanwhile waits about one runner budget, not the backlog. The
// same flood through raw napi_create_async_work makes it wait for all of
// it. Both numbers are counts (tasks finished when the fs callback runs),
// never durations.
const t = require('tap')
const fs = require('fs')
const path = require('path')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { control, common } = addon

const POOL = control.poolSize()
const N = 2000
const TASK_US = 1000 // about one runner budget (src/runner.c)

const balanced = (t) => {
  const c = common.counts()
  t.equal(c.twice, 0, 'no datum consumed or dropped twice')
  t.equal(c.created, c.consumed + c.dropped,
    `created ${c.created} == consumed ${c.consumed} + dropped ${c.dropped}`)
}

// Floods the pool, issues fs.stat, and resolves with how many tasks had
// finished when the stat callback ran, once the whole flood is done.
const flood = (kind) => new Promise((resolve, reject) => {
  control.reset()
  let atStat = -1
  let settled = 0
  const finish = () => resolve({ atStat, done: control.counters()[`${kind}Done`] })
  if (kind === 'flood') {
    control.flood(N, TASK_US, (err) => {
      if (err) return reject(err)
      if (++settled === N) finish()
    })
  } else {
    control.rawFlood(N, TASK_US, finish)
  }
  fs.stat(__filename, (err) => {
    if (err) return reject(err)
    atStat = control.counters()[`${kind}Done`]
  })
})

t.test('fairness_fs_during_flood: fs waits for a few tasks, not the backlog', async t => {
  const ours = await flood('flood')
  const raw = await flood('raw')
  t.comment(`tasks finished when fs.stat called back, out of ${N} pending ` +
    `(${TASK_US} µs each, pool ${POOL}): napi-task ${ours.atStat}, ` +
    `raw napi_create_async_work ${raw.atStat}`)
  t.equal(ours.done, N, 'every napi-task ran')
  t.equal(raw.done, N, 'every raw work ran')
  t.ok(ours.atStat >= 0 && ours.atStat <= 8 * POOL,
    `napi-task: ${ours.atStat} <= 8 x pool size`)
  t.ok(raw.atStat >= N - POOL,
    `raw async work: ${raw.atStat} >= ${N - POOL} (fs queued behind the backlog)`)
  balanced(t)
})

t.test('fairness_fs_during_queue_flood: the same with the flood in a queue', async t => {
  control.reset()
  const q = control.queueCreate(2)
  let atStat = -1
  const all = Array.from({ length: 500 }, (_, i) =>
    control.run({ value: i, queue: q, busyUs: TASK_US }))
  await new Promise((resolve, reject) => fs.stat(__filename, (err) => {
    atStat = control.counters().finished
    return err ? reject(err) : resolve()
  }))
  await Promise.all(all)
  t.comment(`queue of 2: ${atStat} of 500 tasks finished when fs.stat called back`)
  t.ok(atStat >= 0 && atStat <= 8 * 2, `${atStat} <= 8 x the queue's cap`)
  t.equal(control.queueRelease(q), 0)
  balanced(t)
})

// Known bug (reported, src/runner.c is not this file's to fix): pump counts
// a runner that left runner_work, but whose runner_done has not run yet,
// as available, so the task waits for the loop to turn. The assertion is
// marked todo until runner.c is fixed.
const STALE_RUNNER = 'src/runner.c: a runner past runner_work counts as available'

t.test('runner_starts_while_js_is_busy: a task delivered right after a runner left starts without the loop', async t => {
  control.reset()
  common.gateDrain(14)
  const first = control.run({ value: 1, gate: 14 })
  while (common.gateWaiting(14) !== 1) await new Promise(resolve => setImmediate(resolve))
  common.gateOpen(14, 1)
  t.equal(control.waitFor('finished', 1), true, 'the first perform returned')
  // Its runner has surely left runner_work by now (the backlog was empty);
  // the JS thread has not turned, so that runner's runner_done has not run.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
  const second = control.run({ value: 2 })
  t.equal(control.waitFor('performs', 2, 2000), true,
    'the next task started while the JS thread stayed busy', { todo: STALE_RUNNER })
  t.same(await Promise.all([first, second]), [1, 2])
})
