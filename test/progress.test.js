'use strict'
// napi_task_set_progress + napi_task_progress: QUEUE delivers every value
// in order, COALESCE a subsequence ending with the newest; all progress
// before the task settles; dropped values dropped exactly once.
const t = require('./fixtures/tap')
const { NO_ASYNC_CONTEXT } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const path = require('path')
const { AsyncLocalStorage } = require('async_hooks')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { common } = addon

const GATE = 10
const napi = { ok: 0, invalid_arg: 1, function_expected: 5 }

const tick = () => new Promise(resolve => setImmediate(resolve))
const until = async (cond) => { while (!cond()) await tick() }
const range = (n, f = x => x) => Array.from({ length: n }, (_, i) => f(i + 1))

const balanced = (t) => checkBalanced(t, common.counts())

// Runs a task with progress; resolves with the events seen and, for each
// settle, how many events had arrived by then.
const withProgress = (opts, how = 'callback') => {
  const events = []
  const onProgress = (v) => events.push(v)
  const o = { onProgress, ...opts }
  if (how === 'promise') {
    return common.run(o).then(value => ({ err: null, value, events, atSettle: events.length }))
  }
  return new Promise(resolve => common.run(o, (err, value) =>
    resolve({ err, value, events, atSettle: events.length })))
}

for (const how of ['callback', 'promise']) {
  for (const strings of [false, true]) {
    const kind = strings ? 'strings' : 'numbers'
    const expect = range(500, i => strings ? String(i) : i)

    t.test(`progress_queue_in_order (${how}, ${kind}): every value, in order, before settle`, async t => {
      const before = common.counts()
      const r = await withProgress({ value: 9, progress: 500, strings, mode: 'queue' }, how)
      t.equal(r.err, null)
      t.equal(r.value, 9)
      t.same(r.events, expect, 'exactly 1..500')
      t.equal(r.atSettle, 500, 'all of them before the task settled')
      const after = balanced(t)
      if (strings) t.equal(after.created - before.created, 502, 'data, 500 strings, output')
    })

    t.test(`progress_queue_all_pending (${how}, ${kind}): a backlog of values keeps its order`, async t => {
      // The JS thread stays blocked while perform reports all 500, so they
      // all wait for the same batch.
      common.gateDrain(GATE)
      common.reset()
      const p = withProgress({ value: 1, gateBefore: GATE, progress: 500, strings, mode: 'queue' }, how)
      await until(() => common.gateWaiting(GATE) === 1)
      common.gateOpen(GATE, 1)
      t.equal(common.waitFor('finished', 1), true, 'perform reported everything and returned')
      const r = await p
      t.same(r.events, expect, 'exactly 1..500')
      t.equal(r.atSettle, 500)
      balanced(t)
    })

    t.test(`progress_coalesce_all_pending (${how}, ${kind}): only the newest survives`, async t => {
      common.gateDrain(GATE)
      common.reset()
      const before = common.counts()
      const p = withProgress({
        value: 2, gateBefore: GATE, progress: 500, strings, mode: 'coalesce',
      }, how)
      await until(() => common.gateWaiting(GATE) === 1)
      common.gateOpen(GATE, 1)
      t.equal(common.waitFor('finished', 1), true, 'perform reported everything and returned')
      const r = await p
      t.same(r.events, [expect[499]], 'one event: the newest value')
      t.equal(r.atSettle, 1, 'before the task settled')
      t.equal(r.value, 2)
      t.equal(common.counters().progressOk, 500, 'napi_task_progress returned napi_ok 500 times')
      const after = balanced(t)
      if (strings) {
        t.equal(after.created - before.created, 502)
        t.equal(after.dropped - before.dropped, 500,
          '499 coalesced strings dropped, 1 dropped after its copy to JS')
      }
    })

    t.test(`progress_coalesce_running (${how}, ${kind}): a subsequence ending with the newest`, async t => {
      const r = await withProgress({ value: 3, progress: 2000, strings, mode: 'coalesce' }, how)
      const want = range(2000, i => strings ? String(i) : i)
      t.ok(r.events.length >= 1 && r.events.length <= 2000, `${r.events.length} events`)
      t.equal(r.events[r.events.length - 1], want[1999], 'ends with the newest value')
      const nums = r.events.map(Number)
      t.ok(nums.every((v, i) => Number.isInteger(v) && v >= 1 && (i === 0 || v > nums[i - 1])),
        'strictly increasing real values: no empty or spurious event')
      t.equal(r.atSettle, r.events.length, 'all before the task settled')
      balanced(t)
    })
  }
}

t.test('progress_without_callback: values dropped once, napi_ok', async t => {
  common.reset()
  const before = common.counts()
  const value = await common.run({ value: 4, progress: 25, strings: true })
  t.equal(value, 4)
  const c = common.counters()
  t.equal(c.progressOk, 25, 'napi_task_progress returned napi_ok')
  const after = balanced(t)
  t.equal(after.created - before.created, 27)
  t.equal(after.dropped - before.dropped, 25, 'each value dropped once')
})

t.test('progress_after_abort: napi_cancelled, dropped, never delivered', async t => {
  common.gateDrain(GATE)
  common.reset()
  const before = common.counts()
  const ac = new AbortController()
  const events = []
  const p = common.run({
    value: 5, gateBefore: GATE, progress: 10, strings: true, mode: 'queue',
    onProgress: v => events.push(v), signal: ac.signal,
  })
  await until(() => common.gateWaiting(GATE) === 1)
  ac.abort()
  common.gateOpen(GATE, 1)
  await t.rejects(p, { name: 'AbortError', code: 'ABORT_ERR' })
  t.same(events, [], 'no progress after the abort')
  const c = common.counters()
  t.equal(c.progressCancelled, 10, 'napi_task_progress returned napi_cancelled')
  const after = balanced(t)
  t.equal(after.dropped - before.dropped, 10 + 1, '10 strings and the output, once each')
})

t.test('progress_pending_at_abort: values not yet delivered are dropped, not delivered after abort()', async t => {
  // perform reports 3 values and blocks on a gate; JS stays blocked until
  // then, so all 3 wait for the JS thread when abort() is called.
  common.gateDrain(GATE)
  common.reset()
  const before = common.counts()
  const ac = new AbortController()
  const events = []
  const p = common.run({
    value: 8, gateBefore: GATE, gate: GATE, progress: 3, strings: true, mode: 'queue',
    onProgress: v => events.push(v), signal: ac.signal,
  })
  await until(() => common.gateWaiting(GATE) === 1)
  common.gateOpen(GATE, 1)
  t.equal(common.waitFor('emitted', 1), true, 'perform reported 3 values')
  ac.abort()
  const afterAbort = events.length
  common.gateOpen(GATE, 1)
  await t.rejects(p, { name: 'AbortError' })
  t.equal(afterAbort, 0, 'nothing was delivered before abort()')
  t.same(events, [], 'and nothing after it')
  const after = balanced(t)
  t.equal(after.dropped - before.dropped, 3 + 1, 'the 3 strings and the output, once each')
})

t.test('progress_in_async_context: on_progress sees the store of the delivery', NO_ASYNC_CONTEXT, async t => {
  const als = new AsyncLocalStorage()
  const seen = []
  const value = await als.run({ id: 'progress' }, () => common.run({
    value: 6, progress: 3, mode: 'queue',
    onProgress: v => seen.push([v, als.getStore() && als.getStore().id]),
  }))
  t.equal(value, 6)
  t.same(seen, [[1, 'progress'], [2, 'progress'], [3, 'progress']])
  balanced(t)
})

t.test('progress_error_values: an error output reaches on_progress as an Error', async t => {
  const seen = []
  const value = await common.run({
    value: 7, progress: 2, errors: true, mode: 'queue', onProgress: e => seen.push(e),
  })
  t.equal(value, 7, 'the task itself succeeds')
  t.equal(seen.length, 2)
  t.ok(seen.every(e => e instanceof Error), 'Error objects')
  t.same(seen.map(e => [e.code, e.message]), [['ETEST_PROGRESS', 'step 1'], ['ETEST_PROGRESS', 'step 2']])
  balanced(t)
})

t.test('progress_bad_input: TypeError for a non-function, invalid_arg for a bad mode', async t => {
  for (const bad of [1, 'f', {}, null, [], Symbol('s')]) {
    const before = common.counts()
    t.throws(() => common.run({ value: 1, onProgress: bad }, () => t.fail('never called')), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: /The "onProgress" argument must be of type function/,
    })
    t.equal(common.lastStatus(), napi.function_expected)
    t.equal(common.counts().dropped - before.dropped, 1, 'data dropped once')
  }
  const before = common.counts()
  t.equal(common.run({ value: 1, onProgress () {}, mode: 'bogus' }, () => t.fail('never')),
    undefined, 'no exception')
  t.equal(common.lastStatus(), napi.invalid_arg)
  t.equal(common.counts().dropped - before.dropped, 1, 'data dropped once')
  balanced(t)
})
