'use strict'
// Sharing the threadpool: with thousands of tasks pending, an fs request
// issued meanwhile waits about one runner budget, not the backlog. The
// same flood through raw napi_create_async_work makes it wait for all of
// it. Every number is a count of tasks finished, never a duration:
// - when fs.stat's callback runs (what a user sees; it also includes the
//   tasks that finish while the loop gets round to the callback, which a
//   loaded machine stretches);
// - when a probe request, queued in libuv's FIFO right after the fs.stat,
//   gets a thread (what the hand-off alone decides).
// Both counted from the moment the requests were issued.
const t = require('./fixtures/tap')
const { runtime } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const fs = require('fs')
const path = require('path')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { fairness, common } = addon

const POOL = common.poolSize()
const N = 2000
const TASK_US = 1000 // about one runner budget (src/runner.c)

const balanced = (t) => checkBalanced(t, common.counts())

// Issues fs.stat and a probe; resolves, once both have called back, with
// how many more tasks had finished when each one did than when they were
// issued (tasks may already run while JS is still delivering the flood).
const measure = (counter, read) => {
  const issued = read()
  return Promise.all([
    new Promise((resolve, reject) => fs.stat(__filename, err =>
      err ? reject(err) : resolve(read()))),
    new Promise(resolve => fairness.probe(counter, resolve)),
  ]).then(([stat, probe]) => ({ atStat: stat - issued, atProbe: probe - issued, issued }))
}

// Floods the pool, measures, and resolves once the flood is done too.
const flood = async (kind) => {
  common.reset()
  let finished
  const done = new Promise((resolve, reject) => {
    let settled = 0
    if (kind === 'flood') {
      fairness.flood(N, TASK_US, (err) => {
        if (err) reject(err)
        else if (++settled === N) resolve()
      })
    } else {
      fairness.rawFlood(N, TASK_US, resolve)
    }
  })
  const counts = measure(kind, () => common.counters()[`${kind}Done`])
  await done
  finished = common.counters()[`${kind}Done`]
  return { ...(await counts), finished }
}

t.test('fairness_fs_during_flood: fs waits for a few tasks, not the backlog', async t => {
  const ours = await flood('flood')
  const raw = await flood('raw')
  t.comment(`${N} pending tasks of ${TASK_US} µs, pool ${POOL}; tasks finished when ` +
    `fs.stat called back: napi-task ${ours.atStat}, raw napi_create_async_work ${raw.atStat}; ` +
    `when the probe got a thread: napi-task ${ours.atProbe}, raw ${raw.atProbe}`)
  t.equal(ours.finished, N, 'every napi-task ran')
  t.equal(raw.finished, N, 'every raw work ran')
  t.ok(ours.atProbe <= 4 * POOL,
    `napi-task: the probe waited for ${ours.atProbe} tasks <= 4 x pool size`)
  t.ok(ours.atStat <= N / 10,
    `napi-task: fs.stat called back after ${ours.atStat} tasks <= ${N / 10}`)
  // libuv's FIFO: the probe runs after every raw work was taken.
  const backlog = N - raw.issued - POOL
  if (runtime !== 'node') {
    t.comment(`${runtime}: napi_create_async_work, fs and uv_queue_work do not share one FIFO ` +
      'threadpool, so the raw control cannot show a backlog there')
  } else {
    t.ok(raw.atProbe >= backlog,
      `raw: the probe waited for ${raw.atProbe} >= ${backlog} tasks (the backlog)`)
    t.ok(raw.atStat >= backlog,
      `raw: fs.stat called back after ${raw.atStat} >= ${backlog} tasks`)
  }
  balanced(t)
})

t.test('fairness_fs_during_queue_flood: the same with the flood in a queue', async t => {
  const M = 1000
  const CAP = 2
  common.reset()
  const q = common.queueCreate(CAP)
  const all = Array.from({ length: M }, (_, i) =>
    common.run({ value: i, queue: q, busyUs: TASK_US }))
  const { atStat, atProbe } = await measure('finished', () => common.counters().finished)
  await Promise.all(all)
  t.comment(`a queue of ${CAP}: ${atStat} of ${M} tasks finished when fs.stat called back, ` +
    `${atProbe} when the probe got a thread`)
  t.ok(atProbe <= 4 * CAP, `the probe waited for ${atProbe} <= 4 x the queue's cap`)
  t.ok(atStat <= M / 10, `fs.stat called back after ${atStat} <= ${M / 10}`)
  t.equal(common.queueRelease(q), 0)
  balanced(t)
})

t.test('fairness_runner_starts_while_js_is_busy: a task delivered right after a runner left starts without the loop', async t => {
  common.reset()
  common.gateDrain(14)
  const first = common.run({ value: 1, gate: 14 })
  while (common.gateWaiting(14) !== 1) await new Promise(resolve => setImmediate(resolve))
  common.gateOpen(14, 1)
  t.equal(common.waitFor('finished', 1), true, 'the first perform returned')
  // Its runner has surely left runner_work by now (the backlog was empty);
  // the JS thread has not turned, so that runner's completion (nt_settle_runner_done, src/settle.c) has not run.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
  const second = common.run({ value: 2 })
  t.equal(common.waitFor('performs', 2, 2000), true,
    'the next task started while the JS thread stayed busy')
  t.same(await Promise.all([first, second]), [1, 2])
})
