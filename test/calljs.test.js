'use strict'
// napi_task_call_js: perform asks the JS thread and waits; the answer comes
// back through data; a JS exception becomes the task's error unless
// perform returns one; an abort or a dying env makes it return
// napi_cancelled instead of hanging; fn runs in the task's async context.
const t = require('./fixtures/tap')
const { NO_ASYNC_CONTEXT, afterTeardown, skipOn } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const bare = require('./fixtures/bare')
const path = require('path')
const { Worker } = require('worker_threads')
const { AsyncLocalStorage } = require('async_hooks')

const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')
const { calljs, common } = require(addonPath)

const GATE = 11
// napi_status values (js_native_api_types.h).
const napi = { ok: 0, number_expected: 6, pending_exception: 10, cancelled: 11 }

const tick = () => new Promise(resolve => setImmediate(resolve))
const until = async (cond) => { while (!cond()) await tick() }

const balanced = (t) => checkBalanced(t, common.counts())

const deliveries = {
  callback: (opts) => new Promise(resolve =>
    calljs.ask(opts, (err, value) => resolve({ err, value }))),
  promise: (opts) => calljs.ask(opts).then(
    value => ({ err: null, value }), err => ({ err, value: undefined })),
}

for (const [how, deliver] of Object.entries(deliveries)) {
  t.test(`calljs_answer (${how}): perform uses what JS answered`, async t => {
    common.reset()
    const calls = []
    calljs.handlers.plusOne = (q) => { calls.push(q); return q + 1 }
    const r = await deliver({ key: 'plusOne', question: 20 })
    t.same(r, { err: null, value: 42 }, '(20 + 1) * 2')
    t.same(calls, [20], 'the handler ran once, with the question')
    t.equal(common.counters().callStatus, napi.ok)
    balanced(t)
  })

  t.test(`calljs_throws (${how}): the exception becomes the task's error`, async t => {
    const thrown = new RangeError('no answer')
    calljs.handlers.throws = () => { throw thrown }
    common.reset()
    const before = common.counts()
    const r = await deliver({ key: 'throws', question: 1 })
    t.equal(r.err, thrown, 'the very exception thrown')
    t.equal(r.value, undefined)
    t.equal(common.counters().callStatus, napi.pending_exception,
      'call_js returned napi_pending_exception')
    const after = balanced(t)
    t.equal(after.created - before.created, 2, 'data + output')
    t.equal(after.dropped - before.dropped, 1,
      'the data was consumed; the output perform returned was dropped')

    calljs.handlers.throwsPrimitive = () => { throw 'just a string' } // eslint-disable-line no-throw-literal
    const r2 = await deliver({ key: 'throwsPrimitive' })
    t.equal(r2.err, 'just a string', 'a primitive exception too')
    balanced(t)
  })

  t.test(`calljs_throws_error_output_wins (${how}): perform's error output wins`, async t => {
    calljs.handlers.throws = () => { throw new Error('from JS') }
    const r = await deliver({ key: 'throws', errorOutput: true })
    t.type(r.err, Error)
    t.equal(r.err.code, 'ETEST_PERFORM')
    t.equal(r.err.message, `call_js returned ${napi.pending_exception}`)
    balanced(t)
  })

  // One rule for every error output napi_task.h names: each wins over the
  // exception a call_js fn threw (napi_task_ok with a NULL complete once
  // let the exception through).
  t.test(`calljs_throws_every_error_output_wins (${how}): one precedence rule`, async t => {
    calljs.handlers.throws = () => { throw new Error('from JS') }
    const expected = {
      // libuv's UV_ENOENT: -ENOENT, but -4058 on Windows.
      uv: { code: 'ENOENT', syscall: 'open', path: '/call_js', errno: process.platform === 'win32' ? -4058 : -require('os').constants.errno.ENOENT,
        message: "ENOENT: no such file or directory, open '/call_js'" },
      uvBad: { code: 'ERR_INVALID_ARG_VALUE',
        message: `napi_task_error_uv: uv_err must be a negative libuv error code, got ${napi.pending_exception}` },
      nullComplete: { code: 'ERR_INVALID_ARG_VALUE',
        message: 'napi_task_ok() was given a NULL complete function' }
    }
    for (const [kind, want] of Object.entries(expected)) {
      const before = common.counts()
      const r = await deliver({ key: 'throws', errorOutput: kind })
      t.type(r.err, Error, `${kind}: an Error`)
      for (const [k, v] of Object.entries(want)) t.equal(r.err[k], v, `${kind}: ${k}`)
      t.equal(r.value, undefined, `${kind}: no value`)
      const after = balanced(t)
      if (kind === 'nullComplete') {
        t.equal(after.dropped - before.dropped, 1, `${kind}: the output's data was dropped`)
      }
    }
  })

  t.test(`calljs_aborted_while_waiting (${how}): napi_cancelled, fn never runs, no hang`, async t => {
    // The task waits on a gate; once it runs, JS opens the gate and stays
    // blocked until perform is about to ask, then aborts. The JS thread
    // never turned, so the request cannot have been taken: call_js must
    // give up (whether it was already waiting or not yet).
    common.gateDrain(GATE)
    common.reset()
    let called = 0
    calljs.handlers.never = () => { called++; return 1 }
    const ac = new AbortController()
    const p = deliver({ key: 'never', gateBefore: GATE, signal: ac.signal })
    await until(() => common.gateWaiting(GATE) === 1)
    common.gateOpen(GATE, 1)
    t.equal(common.waitFor('asked', 1), true, 'perform is asking')
    // Most likely its request is queued by now (the path where the JS
    // thread must not run fn); either way the outcome is the same.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
    ac.abort('stop asking')
    const { err } = await p
    t.equal(err.name, 'AbortError')
    t.equal(err.cause, 'stop asking')
    t.equal(common.counters().callStatus, napi.cancelled, 'call_js returned napi_cancelled')
    t.equal(common.counters().finished, 1, 'perform returned')
    t.equal(called, 0, 'fn never ran')
    balanced(t)
  })

  t.test(`calljs_after_abort (${how}): napi_cancelled at once`, async t => {
    common.gateDrain(GATE)
    common.reset()
    let called = 0
    calljs.handlers.never = () => { called++; return 1 }
    const ac = new AbortController()
    const p = deliver({ key: 'never', gateBefore: GATE, signal: ac.signal })
    await until(() => common.gateWaiting(GATE) === 1)
    ac.abort()
    common.gateOpen(GATE, 1)
    const { err } = await p
    t.equal(err.name, 'AbortError')
    t.equal(common.counters().callStatus, napi.cancelled)
    t.equal(called, 0)
    balanced(t)
  })
}

t.test('calljs_status: fn\'s own status comes back', async t => {
  common.reset()
  calljs.handlers.notANumber = () => 'forty-two'
  const value = await calljs.ask({ key: 'notANumber', question: 1 })
  t.equal(common.counters().callStatus, napi.number_expected,
    'napi_get_value_double failed inside fn: napi_number_expected')
  t.equal(value, -napi.number_expected, 'perform saw the same status')
  balanced(t)
})

// The batch delivers progress before it runs call_js requests, so perform's
// order holds: what it reported before asking reaches JS before fn runs.
t.test('calljs_after_progress: progress reported before asking is delivered before fn runs', async t => {
  common.gateDrain(GATE)
  common.reset()
  const events = []
  let seenByFn = null
  calljs.handlers.order = (q) => { seenByFn = events.slice(); return q }
  const p = calljs.ask({
    key: 'order', question: 1, progress: 3, gateBefore: GATE, onProgress: v => events.push(v),
  })
  await until(() => common.gateWaiting(GATE) === 1)
  common.gateOpen(GATE, 1)
  // JS stays blocked until perform has reported and asked: everything
  // waits for the same batch.
  t.equal(common.waitFor('asked', 1), true)
  t.equal(await p, 2)
  t.same(events, [1, 2, 3], 'every progress value, in order')
  t.same(seenByFn, [1, 2, 3], 'fn saw the progress perform reported before asking')
  balanced(t)
})

t.test('calljs_async_context: fn runs in the context of the delivery', NO_ASYNC_CONTEXT, async t => {
  const als = new AsyncLocalStorage()
  const seen = []
  calljs.handlers.store = (q) => {
    seen.push(als.getStore())
    return q
  }
  const [a, b] = await Promise.all([
    als.run('first', () => calljs.ask({ key: 'store', question: 1 })),
    als.run('second', () => new Promise(resolve =>
      calljs.ask({ key: 'store', question: 2 }, (err, v) => resolve([err, v, als.getStore()])))),
  ])
  t.equal(a, 2)
  t.same(b, [null, 4, 'second'])
  t.same(seen.sort(), ['first', 'second'], 'each fn saw its own store')
  balanced(t)
})

// The env goes away (worker.terminate) while perform asks.
const inWorker = (source) => new Promise((resolve, reject) => {
  const w = new Worker(source, { eval: true, ...bare, workerData: { addon: addonPath, gate: GATE } })
  w.on('error', reject)
  w.on('message', () => w.terminate())
  w.on('exit', resolve)
})

t.test('calljs_env_teardown_while_waiting: napi_cancelled, terminate does not hang', skipOn({
  deno: 'terminating a worker whose JS is running (here: spinning) runs no cleanup hook, so nothing can answer the waiting call_js'
}), async t => {
  // The worker's JS thread spins forever, so it never takes the request:
  // only teardown can answer it.
  common.gateDrain(GATE)
  common.reset()
  await inWorker(`
    const { parentPort, workerData } = require('worker_threads')
    const { calljs, common } = require(workerData.addon)
    calljs.handlers.never = () => 1
    calljs.ask({ key: 'never', gateBefore: workerData.gate }, () => {})
    const until = () => {
      if (common.gateWaiting(workerData.gate) !== 1) return setImmediate(until)
      common.gateOpen(workerData.gate, 1)
      common.waitFor('asked', 1)
      parentPort.postMessage('asking')
      for (;;);
    }
    until()
  `)
  await afterTeardown(() => common.counters().finished === 1)
  const c = common.counters()
  t.equal(c.asked, 1)
  t.equal(c.callStatus, napi.cancelled, 'call_js returned napi_cancelled')
  t.equal(c.finished, 1, 'perform returned')
  balanced(t)
})

t.test('calljs_env_teardown_before_asking: napi_cancelled at once', async t => {
  common.reset()
  await inWorker(`
    const { parentPort, workerData } = require('worker_threads')
    const { calljs, common } = require(workerData.addon)
    calljs.handlers.never = () => 1
    calljs.ask({ key: 'never', waitClosing: true }, () => {})
    const until = () => common.counters().performs === 1
      ? parentPort.postMessage('running') : setImmediate(until)
    until()
  `)
  await afterTeardown(() => common.counters().finished === 1)
  const c = common.counters()
  t.equal(c.callStatus, napi.cancelled, 'call_js returned napi_cancelled')
  t.equal(c.finished, 1)
  balanced(t)
})
